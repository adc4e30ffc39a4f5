"""Checkers for the exercises of lesson 02 (LoRA's gradients). Each returns a `Verdict`.

The checkers of exercises 1 and 3 take a function and test it on fresh random inputs against
autograd or a real optimizer step, so a right formula passes whatever data you tried it on.

Example:
    >>> check_1(lambda X, W0, A, B, s, G: G @ W0)
    Exercise 1: not yet: right for B = 0 only: the LoRA path passes a gradient to X too.
"""
import math

import torch
from torch import nn

from . import close, verdict


def random_case(seed, n=5, d_in=7, d_out=6, r=3):
    gen = torch.Generator().manual_seed(seed)
    draw = lambda *shape: torch.randn(*shape, dtype=torch.float64, generator=gen)  # noqa: E731
    return draw(n, d_in), draw(d_out, d_in), draw(r, d_in), draw(d_out, r), 1.5, draw(n, d_out)


def check_1(grad_x):
    """`grad_x(X, W0, A, B, s, G)` returns dL/dX (n, d_in) of the LoRA layer for dL/dH = G.

    >>> check_1(lambda X, W0, A, B, s, G: G @ (W0 + s * B @ A))
    Exercise 1: correct.
    """
    from ..grads import lora_forward
    for seed in range(3):
        X, W0, A, B, s, G = random_case(seed)
        X_ = X.clone().requires_grad_(True)
        lora_forward(X_, W0, A, B, s).backward(G)
        try:
            mine = torch.as_tensor(grad_x(X, W0, A, B, s, G), dtype=torch.float64)
        except Exception as e:  # a learner's function may fail in any way; say how
            return verdict(1, [f"grad_x raised {type(e).__name__}: {e}"])
        if mine.shape != X.shape:
            return verdict(1, [f"dL/dX must have X's shape (n, d_in) = {tuple(X.shape)}, got {tuple(mine.shape)}"])
        if not torch.allclose(mine, X_.grad):
            if torch.allclose(mine, G @ W0):
                return verdict(1, ["right for B = 0 only: the LoRA path passes a gradient to X too"])
            return verdict(1, ["it differs from autograd; write H = X W^T for one merged W and differentiate"])
    return verdict(1, [])


def check_2(vanishes, starts_at_pretrained):
    """With A = 0 and B random: which gradient vanishes at step 0 ("A" or "B"), and does the model
    still start at the pretrained one (True/False)?

    >>> check_2("A", True)
    Exercise 2: not yet: vanishes: dL/dB = s G^T (X A^T) and dL/dA = s B^T G^T X; put A = 0 into both.
    """
    problems = []
    if vanishes not in ("A", "B"):
        problems.append('vanishes: answer "A" or "B"')
    elif vanishes != "B":
        problems.append("vanishes: dL/dB = s G^T (X A^T) and dL/dA = s B^T G^T X; put A = 0 into both")
    if starts_at_pretrained is not True:
        problems.append("starts_at_pretrained: what is B A when A = 0?")
    return verdict(2, problems)


def check_3(delta_w):
    """`delta_w(lr, s, G, X, A)` returns the weight change dW (d_out, d_in) of one SGD step from B = 0,
    for dL/dH = G (n, d_out), input X (n, d_in) and A (r, d_in). Checked against a real SGD step of the
    two factors of a LoRA layer (A random, B zero, W0 frozen), as in section 3 of the lesson.

    >>> check_3(lambda lr, s, G, X, A: -lr * s * G.T @ X @ A.T @ A)
    Exercise 3: not yet: the size is off by a factor s: s enters once in dL/dB and once in dW = s B A.
    """
    from ..grads import lora_forward
    torch.manual_seed(0)
    d_in, d_out, r, scaling = 7, 6, 3, 12 / 3
    W0 = torch.randn(d_out, d_in)                                                       # frozen
    A_param = nn.Parameter(nn.init.kaiming_uniform_(torch.empty(r, d_in), a=math.sqrt(5)))  # (r, d_in)
    B_param = nn.Parameter(torch.zeros(d_out, r))                                       # (d_out, r)
    x, y, lr = torch.randn(5, d_in), torch.randn(5, d_out), 0.05
    h = lora_forward(x, W0, A_param, B_param, scaling)
    nn.functional.mse_loss(h, y).backward()
    A = A_param.detach().clone()
    torch.optim.SGD([A_param, B_param], lr=lr).step()
    G = 2 * (h - y).detach() / h.numel()                  # d mse / dH: (n, d_out)
    measured = (scaling * B_param @ A_param).detach()     # dW = s B_1 A_1, from B_0 A_0 = 0
    try:
        mine = torch.as_tensor(delta_w(lr, scaling, G, x, A), dtype=measured.dtype)
    except Exception as e:  # a learner's function may fail in any way; say how
        return verdict(3, [f"delta_w raised {type(e).__name__}: {e}"])
    if mine.shape != measured.shape:
        return verdict(3, [f"dW must be (d_out, d_in) = {tuple(measured.shape)}, got {tuple(mine.shape)}"])
    if torch.allclose(mine, measured, rtol=1e-4, atol=1e-7):
        return verdict(3, [])
    if torch.allclose(-mine, measured, rtol=1e-4, atol=1e-7):
        return verdict(3, ["the sign: a step goes against the gradient"])
    for factor in (scaling, 1 / scaling):
        if torch.allclose(mine * factor, measured, rtol=1e-4, atol=1e-7):
            return verdict(3, ["the size is off by a factor s: s enters once in dL/dB and once in dW = s B A"])
    return verdict(3, ["it differs from the real step: start from B_1 = -lr dL/dB and dW = s B_1 A"])


def check_4(max_grad_times_n, loss_at_minus_1000):
    """For label 1: the largest |dL/dz| x n you measured with `grads.sigmoid_bce` over very negative
    and very positive z, and the loss at z = -1000.

    >>> check_4(1.0, float("inf"))
    Exercise 4: not yet: loss: inf comes from log(sigmoid(z)) computed directly; use grads.sigmoid_bce.
    """
    problems = []
    if not close(max_grad_times_n, 1.0, abs_=1e-3) or max_grad_times_n > 1.0 + 1e-12:
        problems.append("gradient: try z far below 0 (a confident wrong answer), and multiply by n")
    try:
        loss = float(loss_at_minus_1000)
    except (TypeError, ValueError):
        return verdict(4, problems + ["loss: give a number"])
    if math.isinf(loss) or math.isnan(loss):
        problems.append("loss: inf comes from log(sigmoid(z)) computed directly; use grads.sigmoid_bce")
    elif not close(loss, 1000.0, rel=1e-6):
        problems.append("loss: compute it with grads.sigmoid_bce(torch.tensor([-1000.0]), torch.ones(1))")
    return verdict(4, problems)
