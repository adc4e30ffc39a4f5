"""The LoRA paper's analyses: subspace similarity, dW spectrum, amplification; merged latency."""
import pytest
import torch
from torch import nn

from lorakit import apply_lora
from lorakit.analysis import amplification, delta_weight_spectrum, similarity_grid, subspace_similarity
from lorakit.measure import inference_latency, train_step_time
from lorakit.lora import LoRALinear


@pytest.mark.parametrize("r,d", [(4, 64), (8, 384)])
def test_similarity_with_itself_is_one(r, d):
    A = torch.randn(r, d)
    for i in range(1, r + 1):
        assert subspace_similarity(A, A, i, i) == pytest.approx(1.0)
    assert subspace_similarity(A, A, 1, r) == pytest.approx(1.0)  # a subspace of a subspace


@pytest.mark.parametrize("i,j", [(1, 8), (4, 8), (8, 64), (2, 2)])
def test_independent_random_adapters_are_near_chance(i, j):
    d, trials = 384, 40
    torch.manual_seed(0)
    values = [subspace_similarity(torch.randn(8, d), torch.randn(64, d), i, j) for _ in range(trials)]
    mean = sum(values) / trials
    assert mean == pytest.approx(max(i, j) / d, rel=0.25)


def test_grid_matches_pointwise():
    A1, A2 = torch.randn(4, 32), torch.randn(6, 32)
    grid = similarity_grid(A1, A2)
    assert grid.shape == (4, 6)
    assert grid[2, 4].item() == pytest.approx(subspace_similarity(A1, A2, 3, 5))
    with pytest.raises(ValueError, match="i must be"):
        subspace_similarity(A1, A2, 5, 1)


def test_delta_spectrum_has_at_most_r_values():
    layer = LoRALinear(nn.Linear(32, 24), r=3, lora_alpha=6)
    nn.init.normal_(layer.lora_B.weight)
    s = delta_weight_spectrum(layer)
    assert s.shape == (3,) and (s[:-1] >= s[1:]).all()
    full = torch.linalg.svdvals(layer.lora_B.weight.double() @ layer.lora_A.weight.double() * layer.scaling)
    torch.testing.assert_close(s, full[:3])
    assert full[3:].abs().max() < 1e-9  # rank(dW) <= r


def test_amplification_of_a_direction_w_lacks():
    torch.manual_seed(0)
    W0 = torch.randn(40, 30)
    U, S, Vh = torch.linalg.svd(W0, full_matrices=False)
    weak = torch.outer(U[:, -1], Vh[-1])  # W0's weakest direction
    result = amplification(W0, 5 * weak)
    assert result["rank"] == 1
    assert result["w_on_delta"] == pytest.approx(S[-1].item(), rel=1e-6)
    assert result["factor"] == pytest.approx(5 / S[-1].item(), rel=1e-6)


def test_latency_is_positive():
    model = nn.Sequential(nn.Linear(8, 8))
    assert inference_latency(model, {"input": torch.randn(2, 8)}, repeats=3) > 0


def test_train_step_time_leaves_the_weights_and_mode_alone(inputs):
    from tiny import tiny_bert
    model = apply_lora(tiny_bert(), ["query", "value"], r=2)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    batch = {**inputs, "labels": torch.tensor([0, 1, 2])}
    assert train_step_time(model, batch, repeats=2) > 0
    assert not model.training  # tiny_bert is in eval mode, and stays so
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert all(p.grad is None for p in model.parameters())
