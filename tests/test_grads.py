"""Hand-derived LoRA gradients against autograd and finite differences (notebook 02)."""
import math

import pytest
import torch
from torch import nn

from lorakit import LoRALinear
from lorakit.grads import (LoRAFunction, check_lora_grads, lora_forward, lora_grads, sigmoid_bce,
                           update_size_by_rank)

# (n, d_in, d_out, r): batch, input width, output width, rank
SHAPES = [(1, 3, 2, 1), (5, 4, 3, 2), (8, 12, 10, 4), (3, 16, 6, 8), (7, 6, 9, 6)]


def tensors(n, d_in, d_out, r, seed=0, zero_B=False, dtype=torch.float64):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d_in, generator=gen, dtype=dtype)         # (n, d_in)
    W0 = torch.randn(d_out, d_in, generator=gen, dtype=dtype)    # (d_out, d_in)
    A = torch.randn(r, d_in, generator=gen, dtype=dtype)         # (r, d_in)
    B = torch.zeros(d_out, r, dtype=dtype) if zero_B else torch.randn(d_out, r, generator=gen, dtype=dtype)
    G = torch.randn(n, d_out, generator=gen, dtype=dtype)        # dL/dH, (n, d_out)
    return x, W0, A, B, G


@pytest.mark.parametrize("n,d_in,d_out,r", SHAPES)
@pytest.mark.parametrize("scaling", [1.0, 2.0, 16 / math.sqrt(8)])
def test_hand_gradients_match_autograd_and_gradcheck(n, d_in, d_out, r, scaling):
    x, W0, A, B, G = tensors(n, d_in, d_out, r)
    res = check_lora_grads(x, W0, A, B, scaling, grad_h=G)
    assert res["max_diff_A"] < 1e-10 and res["max_diff_B"] < 1e-10
    assert res["gradcheck"] is True
    assert res["grad_A"].shape == (r, d_in) and res["grad_B"].shape == (d_out, r)


@pytest.mark.parametrize("n,d_in,d_out,r", SHAPES)
def test_gradients_are_the_closed_forms(n, d_in, d_out, r):
    x, W0, A, B, G = tensors(n, d_in, d_out, r, seed=1)
    s = 0.75
    grad_A, grad_B = lora_grads(x, W0, A, B, s, G)
    torch.testing.assert_close(grad_B, s * G.T @ (x @ A.T))
    torch.testing.assert_close(grad_A, s * B.T @ G.T @ x)
    # summed over the batch: dL/dB = s * sum_i g_i (A x_i)^T
    torch.testing.assert_close(grad_B, s * sum(torch.outer(G[i], A @ x[i]) for i in range(n)))
    # they are the full-weight gradient G^T X projected through the factors
    full = G.T @ x                                                # dL/dW, (d_out, d_in)
    torch.testing.assert_close(grad_B, s * full @ A.T)
    torch.testing.assert_close(grad_A, s * B.T @ full)


@pytest.mark.parametrize("n,d_in,d_out,r", SHAPES)
def test_b_zero_gives_zero_grad_a_but_not_zero_grad_b(n, d_in, d_out, r):
    x, W0, A, B, G = tensors(n, d_in, d_out, r, seed=2, zero_B=True)
    grad_A, grad_B = lora_grads(x, W0, A, B, 2.0, G)
    assert torch.count_nonzero(grad_A) == 0
    assert torch.count_nonzero(grad_B) > 0
    res = check_lora_grads(x, W0, A, B, 2.0, grad_h=G)                 # autograd agrees
    assert res["gradcheck"] and res["max_diff_A"] == 0.0


def test_both_factors_zero_never_learns():
    x, W0, A, B, G = tensors(4, 5, 3, 2, zero_B=True)
    grad_A, grad_B = lora_grads(x, W0, torch.zeros_like(A), B, 1.0, G)
    assert torch.count_nonzero(grad_A) == 0 and torch.count_nonzero(grad_B) == 0


@pytest.mark.parametrize("d_in,d_out,r,alpha,rslora", [(6, 4, 2, 4, False), (16, 8, 4, 16, True),
                                                        (10, 10, 8, 8, False)])
def test_parity_with_lorakit_lora_linear(d_in, d_out, r, alpha, rslora):
    torch.manual_seed(0)
    layer = LoRALinear(nn.Linear(d_in, d_out, bias=False), r=r, lora_alpha=alpha, use_rslora=rslora)
    assert layer.scaling == pytest.approx(alpha / (math.sqrt(r) if rslora else r))
    x = torch.randn(5, d_in)
    W0, A = layer.base_layer.weight.detach(), layer.lora_A.weight
    # step 0: B = 0, the layer is the base layer, and only B gets a gradient
    target = torch.randn(5, d_out)
    h = layer(x)
    torch.testing.assert_close(h, lora_forward(x, W0, A.detach(), layer.lora_B.weight.detach(), layer.scaling))
    loss = ((h - target) ** 2).sum()
    loss.backward()
    G = 2 * (h - target).detach()                                          # dL/dH
    grad_A, grad_B = lora_grads(x, W0, A.detach(), layer.lora_B.weight.detach(), layer.scaling, G)
    assert torch.count_nonzero(layer.lora_A.weight.grad) == 0
    torch.testing.assert_close(layer.lora_B.weight.grad, grad_B)
    torch.testing.assert_close(layer.lora_A.weight.grad, grad_A)
    # after a step B != 0, so A gets a gradient too, still equal to the hand formula
    with torch.no_grad():
        layer.lora_B.weight -= 0.1 * layer.lora_B.weight.grad
    layer.zero_grad()
    h = layer(x)
    ((h - target) ** 2).sum().backward()
    G = 2 * (h - target).detach()
    grad_A, grad_B = lora_grads(x, W0, A.detach(), layer.lora_B.weight.detach(), layer.scaling, G)
    assert torch.count_nonzero(layer.lora_A.weight.grad) > 0
    # the layer multiplies in another order ((G B)^T X, see MergedWeightLoRA): float32 rounding apart
    torch.testing.assert_close(layer.lora_A.weight.grad, grad_A, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(layer.lora_B.weight.grad, grad_B, rtol=1e-5, atol=1e-5)


def test_lora_forward_equals_merged_weight():
    x, W0, A, B, _ = tensors(6, 5, 4, 3)
    torch.testing.assert_close(lora_forward(x, W0, A, B, 1.5), x @ (W0 + 1.5 * B @ A).T)


def test_lora_function_input_gradient():
    x, W0, A, B, G = tensors(5, 4, 3, 2)
    x1 = x.clone().requires_grad_(True)
    LoRAFunction.apply(x1, W0, A, B, 0.5).backward(G)
    x2 = x.clone().requires_grad_(True)
    lora_forward(x2, W0, A, B, 0.5).backward(G)
    torch.testing.assert_close(x1.grad, x2.grad)


def test_check_lora_grads_does_not_touch_its_inputs():
    x, W0, A, B, G = tensors(3, 4, 5, 2, dtype=torch.float32)
    copies = [t.clone() for t in (x, W0, A, B)]
    check_lora_grads(x, W0, A, B, 1.0)
    for t, c in zip((x, W0, A, B), copies):
        assert torch.equal(t, c) and t.dtype == torch.float32 and not t.requires_grad


def test_check_lora_grads_catches_a_wrong_formula(monkeypatch):
    """The check must be able to fail: a sign error in dL/dA is caught by both comparisons."""
    import lorakit.grads as g
    right = g.lora_grads

    def wrong(*args):
        grad_A, grad_B = right(*args)
        return -grad_A, grad_B

    monkeypatch.setattr(g, "lora_grads", wrong)
    x, W0, A, B, G = tensors(4, 5, 3, 2)
    res = g.check_lora_grads(x, W0, A, B, 1.0, grad_h=G)
    assert res["gradcheck"] is False and res["max_diff_A"] > 1e-3 and res["max_diff_B"] < 1e-10
    monkeypatch.setattr(g, "lora_grads", right)


RANKS = [1, 2, 4, 8, 16, 32]


def test_update_size_scalings_and_rank_one_agreement():
    rows = update_size_by_rank(RANKS)
    assert [row["r"] for row in rows] == RANKS
    for row in rows:
        assert row["scaling_lora"] == pytest.approx(16 / row["r"])
        assert row["scaling_rslora"] == pytest.approx(16 / math.sqrt(row["r"]))
    assert rows[0]["update_lora"] == pytest.approx(rows[0]["update_rslora"])   # r = 1: same scaling


def test_adam_first_update_flat_with_rslora_and_shrinking_with_alpha_over_r():
    d_out, lr = 256, 1e-3
    rows = update_size_by_rank(RANKS, d_in=256, d_out=d_out, lr=lr, optimizer="adam")
    rs = [row["update_rslora"] for row in rows]
    assert max(rs) / min(rs) < 1.2                                              # flat
    for row in rows:  # ||dW|| ~ s * lr * sqrt(d_out * r / 3)
        for name in ("lora", "rslora"):
            predicted = row[f"scaling_{name}"] * lr * math.sqrt(d_out * row["r"] / 3)
            assert row[f"update_{name}"] == pytest.approx(predicted, rel=0.1)
    lo = [row["update_lora"] for row in rows]
    assert all(a > b for a, b in zip(lo, lo[1:]))                                # shrinking
    assert lo[0] / lo[-1] == pytest.approx(math.sqrt(32), rel=0.15)              # like 1 / sqrt(r)


def test_sgd_first_update_is_the_closed_form():
    """SGD: dW = s * (-lr * dL/dB) A = -lr s^2 G^T X A^T A, with G the MSE gradient."""
    d_in, d_out, n, lr, alpha, seed = 32, 24, 16, 0.1, 8, 3
    rows = update_size_by_rank([2, 8], d_in=d_in, d_out=d_out, n=n, lr=lr, lora_alpha=alpha,
                               optimizer="sgd", seed=seed)
    gen = torch.Generator().manual_seed(seed)
    X, Y = torch.randn(n, d_in, generator=gen), torch.randn(n, d_out, generator=gen)
    torch.manual_seed(seed)
    base = nn.Linear(d_in, d_out)
    for row in rows:
        for name, rslora in (("lora", False), ("rslora", True)):
            torch.manual_seed(seed + 1)
            layer = LoRALinear(base, r=row["r"], lora_alpha=alpha, use_rslora=rslora)
            A, s = layer.lora_A.weight.detach(), layer.scaling
            G = 2 * (base(X) - Y).detach() / (n * d_out)                           # d mse / dH
            dW = -lr * s ** 2 * G.T @ X @ A.T @ A
            assert row[f"update_{name}"] == pytest.approx(torch.linalg.matrix_norm(dW).item(), rel=1e-4)


def test_update_size_rejects_unknown_optimizer():
    with pytest.raises(ValueError):
        update_size_by_rank([1], optimizer="lion")


@pytest.mark.parametrize("n", [1, 5, 64])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_sigmoid_bce_matches_torch_and_autograd(n, dtype):
    gen = torch.Generator().manual_seed(n)
    z = (torch.randn(n, generator=gen) * 5).to(dtype)
    y = torch.randint(0, 2, (n,), generator=gen).to(dtype)
    loss, grad = sigmoid_bce(z, y)
    zz = z.clone().requires_grad_(True)
    ref = torch.nn.functional.binary_cross_entropy_with_logits(zz, y)
    ref.backward()
    torch.testing.assert_close(loss, ref.detach())
    torch.testing.assert_close(grad, zz.grad)
    torch.testing.assert_close(grad, (torch.sigmoid(z) - y) / n)               # dL/dz = (p - y) / n


def test_sigmoid_bce_is_stable_for_extreme_logits():
    z = torch.tensor([-200.0, 200.0, -200.0, 200.0])
    y = torch.tensor([1.0, 0.0, 0.0, 1.0])
    loss, grad = sigmoid_bce(z, y)
    assert torch.isfinite(loss) and loss.item() == pytest.approx(100.0)        # (200 + 200 + 0 + 0) / 4
    torch.testing.assert_close(grad, torch.tensor([-0.25, 0.25, 0.0, 0.0]))
    naive = -(y * torch.log(torch.sigmoid(z)) + (1 - y) * torch.log(1 - torch.sigmoid(z))).mean()
    assert not torch.isfinite(naive)                                           # why the stable form


def test_two_way_softmax_is_a_sigmoid_of_the_logit_difference():
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(10, 2, generator=gen, dtype=torch.float64)            # (n, 2)
    labels = torch.randint(0, 2, (10,), generator=gen)
    ce = torch.nn.functional.cross_entropy(logits, labels)
    loss, _ = sigmoid_bce(logits[:, 1] - logits[:, 0], labels.double())
    torch.testing.assert_close(loss, ce)
    torch.testing.assert_close(torch.softmax(logits, -1)[:, 1], torch.sigmoid(logits[:, 1] - logits[:, 0]))
