"""The exercise checkers of lesson 10: each accepts the solution's answer and rejects wrong ones.

The answers are the ones solutions/10_*.py computes (that script also asserts that the checkers accept them).
"""
import pytest
import torch
from torch import nn

from lorakit.analysis import amplification, subspace_similarity
from lorakit.exercises import nb10
from lorakit.lora import apply_lora, lora_layers
from tiny import tiny_bert


def test_10_1_random_subspaces():
    torch.manual_seed(0)
    A1, A2 = torch.randn(8, 384), torch.randn(32, 384)
    phis = {(i, j): subspace_similarity(A1, A2, i, j) for i, j in [(1, 1), (1, 32), (8, 8), (8, 32)]}
    assert nb10.check_1(phis)
    assert not nb10.check_1({(i, j): min(i, j) / 384 for i, j in phis})        # min instead of max
    assert not nb10.check_1({(1, 1): 0.0026, (8, 8): 0.02})                     # no pair with i != j
    assert not nb10.check_1({(i, j): 1.0 for i, j in phis})


def merge_drift(dtype, cycles=10):
    """How far W0 moves in `cycles` merges and unmerges of a rank-8 update (as the solution does it)."""
    torch.manual_seed(0)
    W0 = torch.randn(384, 384, dtype=dtype)
    delta = 2 * torch.randn(384, 8, dtype=dtype) @ torch.randn(8, 384, dtype=dtype) * 0.02
    W = W0.clone()
    for _ in range(cycles):
        W = (W + delta) - delta
    return (W - W0).abs().max().item()


def test_10_2_merge_drift():
    drift32, drift64 = merge_drift(torch.float32), merge_drift(torch.float64)
    assert nb10.check_2(drift32, drift64)
    assert not nb10.check_2(0.0, drift64)                      # float32 rounds
    assert not nb10.check_2(drift32, drift32)                  # float64 rounds far less
    assert not nb10.check_2(0.3, drift64)                      # not rounding: a wrong unmerge


@pytest.fixture(scope="module")
def trained_like():
    """A tiny BERT with rank-8 LoRA whose B is random, as after some training."""
    model = apply_lora(tiny_bert(), ["query", "value"], r=8, lora_alpha=16)
    torch.manual_seed(1)
    for layer in lora_layers(model).values():
        nn.init.normal_(layer.lora_B.weight, std=0.1)
    return model


def test_10_3_directions_for_90_percent(trained_like):
    k90 = {}
    for name, layer in lora_layers(trained_like).items():
        s = torch.linalg.svdvals(layer.get_delta_weight().detach().double())
        energy = (s ** 2).cumsum(0) / (s ** 2).sum()
        k90[name] = int((energy < 0.9).sum()) + 1
    assert nb10.check_3(k90, trained_like)
    assert not nb10.check_3({name: k - 1 for name, k in k90.items()}, trained_like)       # one short
    assert not nb10.check_3(dict(list(k90.items())[:-1]), trained_like)                  # a layer missing
    unsquared = {}                                             # 90% of the sum of singular values, not squares
    for name, layer in lora_layers(trained_like).items():
        s = torch.linalg.svdvals(layer.get_delta_weight().detach().double())
        unsquared[name] = int((s.cumsum(0) / s.sum() < 0.9).sum()) + 1
    assert unsquared != k90 and not nb10.check_3(unsquared, trained_like)


def test_10_4_longer_training(trained_like):
    layer = lora_layers(trained_like)[next(iter(lora_layers(trained_like)))]
    W0 = layer.base_layer.weight
    short = amplification(W0, layer.get_delta_weight(), r=4)
    long = amplification(W0, 2 * layer.get_delta_weight(), r=4)    # the same directions, twice as far
    assert nb10.check_4(short, long, norm_grows=True, factor_grows=True)
    assert not nb10.check_4(short, long, norm_grows=True, factor_grows=False)
    assert not nb10.check_4(long, short, norm_grows=False, factor_grows=False)   # swapped: norm must grow
    inverted = dict(long, factor=long["w_on_delta"] / long["delta_norm"])
    assert not nb10.check_4(short, inverted, True, True)
    assert not nb10.check_4(amplification(W0, layer.get_delta_weight(), r=2), long, True, True)  # not rank 4


def test_10_questions():
    assert nb10.question_1(4 / 384) and nb10.question_1(0.011)
    assert not nb10.question_1(0.0) and "not orthogonal" in str(nb10.question_1(0.0))
    assert not nb10.question_1(1 / 384) and "0.010" not in str(nb10.question_1(1 / 384))
    assert nb10.question_2(8)
    assert not nb10.question_2(384) and "through r dimensions" in str(nb10.question_2(384))
    assert nb10.question_3(0)
    assert not nb10.question_3(2) and "unmerged" in str(nb10.question_3(2))
    assert nb10.question_4(False)
    assert not nb10.question_4(True) and "W^T W" in str(nb10.question_4(True))
