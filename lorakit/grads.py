"""LoRA's forward pass and its gradients, derived by hand (notebook 02_lora_gradients).

For a batch X (n x d_in) the LoRA layer (Hu et al., 2021, eq. 3) computes, row by row,
h = W0 x + s B A x, i.e.

    H = X W0^T + s (X A^T) B^T        X: (n, d_in)  W0: (d_out, d_in)  A: (r, d_in)  B: (d_out, r)

with s = lora_alpha / r (or lora_alpha / sqrt(r) with rsLoRA). Given G = dL/dH (n, d_out), the
chain rule gives the two gradients LoRA trains (W0 is frozen, so dL/dW0 is never formed):

    dL/dB = s G^T (X A^T)      (d_out, r)   = s * sum over the batch of g (A x)^T
    dL/dA = s B^T G^T X        (r, d_in)    = s * sum over the batch of (B^T g) x^T

At initialisation B = 0, so dL/dA = 0 while dL/dB is not: the first step moves only B, and A starts
learning from the second step on.

Design: plain functions on tensors, so the formulas read like the maths; `LoRAFunction` plugs the
hand-written backward into autograd so that `torch.autograd.gradcheck` can test it against finite
differences in float64; `check_lora_grads` runs both checks at once.

Example:
    >>> x, W0, A, B = torch.randn(5, 4), torch.randn(3, 4), torch.randn(2, 4), torch.zeros(3, 2)
    >>> grad_A, grad_B = lora_grads(x, W0, A, B, scaling=2.0, grad_h=torch.ones(5, 3))
    >>> grad_A.abs().max().item(), grad_B.abs().max().item() > 0    # B = 0: only B gets a gradient
    (0.0, True)
"""
import copy
import math

import torch
from torch import nn

__all__ = ["lora_forward", "lora_grads", "LoRAFunction", "check_lora_grads",
           "update_size_by_rank", "sigmoid_bce"]


def lora_forward(x, W0, A, B, scaling):
    """H = X W0^T + scaling * (X A^T) B^T for a batch X (n, d_in); returns (n, d_out).

    >>> x, W0, A, B = torch.randn(5, 4), torch.randn(3, 4), torch.randn(2, 4), torch.randn(3, 2)
    >>> h = lora_forward(x, W0, A, B, scaling=0.5)
    >>> h.shape, torch.allclose(h, x @ (W0 + 0.5 * B @ A).T, atol=1e-6)   # = merged weight
    (torch.Size([5, 3]), True)
    """
    return x @ W0.T + scaling * ((x @ A.T) @ B.T)  # (n, d_out) + s * ((n, r) @ (r, d_out))


def lora_grads(x, W0, A, B, scaling, grad_h):
    """The hand-derived (dL/dA, dL/dB) of `lora_forward`, given grad_h = dL/dH (n, d_out).

    dL/dA = s B^T G^T X  (r, d_in) and dL/dB = s G^T (X A^T)  (d_out, r). W0 does not appear:
    it is frozen and only shapes H (hence G) in the forward pass; it is taken for symmetry.

    >>> x, W0, A, B = (torch.randn(5, 4, dtype=torch.float64), torch.randn(3, 4, dtype=torch.float64),
    ...                torch.randn(2, 4, dtype=torch.float64, requires_grad=True),
    ...                torch.randn(3, 2, dtype=torch.float64, requires_grad=True))
    >>> G = torch.randn(5, 3, dtype=torch.float64)
    >>> lora_forward(x, W0, A, B, 2.0).backward(G)                # autograd, for comparison
    >>> grad_A, grad_B = lora_grads(x, W0, A, B, 2.0, G)
    >>> torch.allclose(grad_A, A.grad), torch.allclose(grad_B, B.grad)
    (True, True)
    """
    with torch.no_grad():
        G = grad_h                                # (n, d_out)
        grad_B = scaling * (G.T @ (x @ A.T))      # (d_out, n) @ (n, r) -> (d_out, r)
        grad_A = scaling * ((B.T @ G.T) @ x)      # (r, d_out) @ (d_out, n) @ (n, d_in) -> (r, d_in)
    return grad_A, grad_B


class LoRAFunction(torch.autograd.Function):
    """`lora_forward` with the hand-derived backward of `lora_grads`, for `torch.autograd.gradcheck`.

    Inputs (x, W0, A, B, scaling); gradients flow to x, A and B. W0 and scaling get None: W0 is
    frozen in LoRA, and scaling is a constant. dL/dX = G (W0 + s B A) is the usual Linear backward
    through the merged weight.

    >>> A = torch.randn(2, 4, dtype=torch.float64, requires_grad=True)
    >>> B = torch.randn(3, 2, dtype=torch.float64, requires_grad=True)
    >>> x, W0 = torch.randn(5, 4, dtype=torch.float64), torch.randn(3, 4, dtype=torch.float64)
    >>> torch.autograd.gradcheck(LoRAFunction.apply, (x, W0, A, B, 0.5))
    True
    """

    @staticmethod
    def forward(ctx, x, W0, A, B, scaling):
        ctx.save_for_backward(x, W0, A, B)
        ctx.scaling = scaling
        return lora_forward(x, W0, A, B, scaling)

    @staticmethod
    def backward(ctx, grad_h):
        x, W0, A, B = ctx.saved_tensors
        s = ctx.scaling
        grad_A, grad_B = lora_grads(x, W0, A, B, s, grad_h)
        grad_x = grad_h @ (W0 + s * (B @ A)) if ctx.needs_input_grad[0] else None  # (n, d_in)
        return grad_x, None, grad_A, grad_B, None


def check_lora_grads(x, W0, A, B, scaling, grad_h=None, seed=0):
    """Compare `lora_grads` with autograd and run `torch.autograd.gradcheck`, all in float64.

    grad_h defaults to a random (n, d_out) matrix drawn with `seed`. Returns a dict:
        max_diff_A, max_diff_B   largest |hand - autograd| entry of dL/dA and dL/dB
        gradcheck                True if the hand-written backward matches finite differences
                                 (False, not an exception, if it does not)
        grad_A, grad_B           the hand-derived gradients (float64)
    Inputs are copied, never modified.

    >>> res = check_lora_grads(torch.randn(6, 5), torch.randn(4, 5), torch.randn(3, 5), torch.randn(4, 3), 2.0)
    >>> res["max_diff_A"] < 1e-12, res["max_diff_B"] < 1e-12, res["gradcheck"]
    (True, True, True)
    """
    f64 = dict(dtype=torch.float64)
    x, W0 = x.detach().to(**f64), W0.detach().to(**f64)
    A = A.detach().to(**f64).requires_grad_(True)
    B = B.detach().to(**f64).requires_grad_(True)
    if grad_h is None:
        gen = torch.Generator().manual_seed(seed)
        grad_h = torch.randn(x.shape[0], W0.shape[0], generator=gen, **f64).to(x.device)
    grad_h = grad_h.detach().to(**f64)
    lora_forward(x, W0, A, B, scaling).backward(grad_h)  # autograd's dL/dA, dL/dB land in .grad
    grad_A, grad_B = lora_grads(x, W0, A, B, scaling, grad_h)
    ok = torch.autograd.gradcheck(LoRAFunction.apply, (x.requires_grad_(True), W0, A, B, scaling),
                                  raise_exception=False)
    return {"max_diff_A": (grad_A - A.grad).abs().max().item(),
            "max_diff_B": (grad_B - B.grad).abs().max().item(),
            "gradcheck": ok, "grad_A": grad_A, "grad_B": grad_B}


def update_size_by_rank(ranks, d_in=256, d_out=256, n=64, lr=1e-3, lora_alpha=16,
                        optimizer="adam", seed=0):
    """||dW||_F after one training step of a lorakit.LoRALinear, for alpha/r and alpha/sqrt(r).

    The same frozen layer W0, batch X and target Y are used for every rank; the loss is the mean
    squared error. One step of `optimizer` ("adam" or "sgd", learning rate `lr`) from the usual
    initialisation (A Kaiming-uniform, B = 0) gives dW = s B_1 A. Returns one dict per rank:
        r, scaling_lora (alpha/r), scaling_rslora (alpha/sqrt(r)),
        update_lora, update_rslora   ||dW||_F with each scaling

    What to expect (notebook 02 measures it): the first step moves B only, by -lr * dL/dB. Adam's
    first step is lr * sign(dL/dB) (its moment estimates are g and g^2), whatever the scaling; the r
    rows of A are nearly orthogonal with squared norm ~1/3 (Kaiming-uniform variance 1/(3 d_in)), so
    ||dW||_F ~ s lr sqrt(d_out r / 3) for r << d_in: flat across ranks for alpha/sqrt(r), falling like
    1/sqrt(r) for alpha/r. With SGD the step is lr s G^T X A^T, proportional to s itself, so
    ||dW||_F ~ s^2 sqrt(r) (for r << d_in) and neither scaling is flat.

    >>> rows = update_size_by_rank([4, 16], optimizer="adam")
    >>> [row["r"] for row in rows], rows[0]["scaling_lora"], rows[0]["scaling_rslora"]
    ([4, 16], 4.0, 8.0)
    >>> 0.8 < rows[1]["update_rslora"] / rows[0]["update_rslora"] < 1.25       # flat across ranks
    True
    """
    from .layer import LoRALinear  # local import: the layer imports nothing from here; keep this module light

    if optimizer not in ("adam", "sgd"):
        raise ValueError(f"optimizer must be 'adam' or 'sgd', got {optimizer!r}")
    gen = torch.Generator().manual_seed(seed)
    X = torch.randn(n, d_in, generator=gen)          # (n, d_in)
    Y = torch.randn(n, d_out, generator=gen)         # (n, d_out)
    torch.manual_seed(seed)
    base = nn.Linear(d_in, d_out)
    rows = []
    for r in ranks:
        row = {"r": r, "scaling_lora": None, "scaling_rslora": None}
        for name, rslora in (("lora", False), ("rslora", True)):
            torch.manual_seed(seed + 1)               # the same A for both scalings at this rank
            layer = LoRALinear(copy.deepcopy(base), r=r, lora_alpha=lora_alpha, use_rslora=rslora)
            params = [layer.lora_A.weight, layer.lora_B.weight]
            opt = (torch.optim.Adam(params, lr=lr) if optimizer == "adam"
                   else torch.optim.SGD(params, lr=lr))
            loss = torch.nn.functional.mse_loss(layer(X), Y)
            loss.backward()
            opt.step()
            with torch.no_grad():
                row[f"scaling_{name}"] = layer.scaling
                row[f"update_{name}"] = torch.linalg.matrix_norm(layer.get_delta_weight()).item()
        rows.append(row)
    return rows


def sigmoid_bce(z, y):
    """Binary cross-entropy of logits z against labels y in {0, 1}, averaged, and its gradient.

    With p = sigmoid(z) = 1 / (1 + exp(-z)), L = -mean(y log p + (1 - y) log(1 - p)), and per
    example dL/dz = p - y (so the mean's gradient is (p - y) / n). Computed stably as
    L = mean(max(z, 0) - y z + log(1 + exp(-|z|))), which never takes the log of 0.
    Returns (loss: 0-d tensor, grad_z: shaped like z).

    >>> z, y = torch.tensor([2.0, -1.0, 0.0]), torch.tensor([1.0, 0.0, 1.0])
    >>> loss, grad = sigmoid_bce(z, y)
    >>> torch.allclose(loss, torch.nn.functional.binary_cross_entropy_with_logits(z, y))
    True
    >>> torch.allclose(grad, (torch.sigmoid(z) - y) / 3)
    True
    """
    z = torch.as_tensor(z)
    y = torch.as_tensor(y, dtype=z.dtype)
    n = z.numel()
    loss = (z.clamp(min=0) - y * z + torch.log1p(torch.exp(-z.abs()))).mean()
    grad_z = (torch.sigmoid(z) - y) / n
    return loss, grad_z
