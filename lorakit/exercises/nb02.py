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

from . import close, question, verdict


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


Z_4 = (-1.0, -10.0, -100.0, -1000.0)        # exercise 4's logits, one example each, label 1


def check_4(losses, gradients):
    """Exercise 4: `grads.sigmoid_bce`'s loss and gradient dL/dz for one example (n = 1) of label 1 at
    each z of `Z_4` (-1, -10, -100, -1000): two lists of four numbers, in that order. The gradient
    stays within 1 in size (1/n) however wrong the logit; the loss grows without bound, about |z|.

    >>> check_4([1.3133, 10.0, 100.0, float("inf")], [-0.7311, -0.99995, -1.0, -1.0])
    Exercise 4: not yet: losses: inf comes from log(sigmoid(z)) computed directly; use grads.sigmoid_bce.
    """
    def numbers(values):
        try:
            values = [float(v) for v in values]
        except (TypeError, ValueError):
            return None
        return values if len(values) == len(Z_4) else None

    losses, gradients = numbers(losses), numbers(gradients)
    right_losses = [math.log1p(math.exp(z)) - z for z in Z_4]                 # -log sigmoid(z)
    right_grads = [-1 / (1 + math.exp(z)) for z in Z_4]                      # sigmoid(z) - 1
    problems = []
    if losses is None:
        problems.append("losses: give four numbers, one for each z of -1, -10, -100, -1000")
    elif any(math.isinf(v) or math.isnan(v) for v in losses):
        problems.append("losses: inf comes from log(sigmoid(z)) computed directly; use grads.sigmoid_bce")
    elif not all(close(v, right, rel=1e-4) for v, right in zip(losses, right_losses)):
        problems.append("losses: take grads.sigmoid_bce(torch.tensor([z]), torch.ones(1))[0] for each z")
    if gradients is None:
        problems.append("gradients: give four numbers, one for each z of -1, -10, -100, -1000")
    elif all(close(-v, right, rel=1e-4) for v, right in zip(gradients, right_grads)):
        problems.append("gradients: the sign: dL/dz = sigmoid(z) - y, and y = 1 here")
    elif not all(close(v, right, rel=1e-4) for v, right in zip(gradients, right_grads)):
        problems.append("gradients: take grads.sigmoid_bce(...)[1], the gradient (sigmoid(z) - y) / n with n = 1")
    return verdict(4, problems)


# "Check your understanding": three short questions, answered in the lesson (sections 3, 4 and 5).

def question_1(zero_gradient):
    """At step 0, with A random and B = 0: the factor whose gradient is zero, "A" or "B".

    >>> question_1("B")
    Question 1: not yet: dL/dB = s G^T (X A^T) needs A, which is random; look at what dL/dA passes through.
    """
    if zero_gradient not in ("A", "B"):
        return question(1, ['answer "A" or "B"'])
    if zero_gradient == "B":
        return question(1, ["dL/dB = s G^T (X A^T) needs A, which is random; look at what dL/dA passes through"])
    return question(1, [])


def question_2(ratio):
    """Under Adam with s = alpha / r: the size ||dW||_F of the first update at r = 16 divided by the
    one at r = 4 (a number; 2 would mean twice as large).

    >>> question_2(0.25)
    Question 2: not yet: s falls by a factor 4, but dW = s dB A has r rows of A, each entry of dB of size lr: ||dW|| goes as s sqrt(r).
    """
    if close(ratio, 0.5, rel=1e-3):
        return question(2, [])
    if close(ratio, 0.25, rel=1e-3):
        return question(2, ["s falls by a factor 4, but dW = s dB A has r rows of A, each entry of dB of size lr: "
                            "||dW|| goes as s sqrt(r)"])
    if close(ratio, 1.0, rel=1e-3):
        return question(2, ["equal sizes at every rank is rsLoRA's alpha / sqrt(r), not alpha / r"])
    if close(ratio, 1 / 64, rel=1e-3) or close(ratio, 1 / 8, rel=1e-3):
        return question(2, ["that is plain SGD's rule, s^2 sqrt(r); Adam's first step has entries of size lr whatever the gradient"])
    return question(2, ["use the section's formula ||dW||_F ~ s lr sqrt(d_out r / 3) with s = alpha / r, at both ranks"])


def question_3(gradient):
    """dL/dz of the binary cross-entropy for one example (n = 1) of label y = 0 whose sigmoid(z) is 0.8.

    >>> question_3(-0.8)
    Question 3: not yet: the sign: the gradient is prediction minus target, sigmoid(z) - y.
    """
    if close(gradient, 0.8):
        return question(3, [])
    if close(gradient, -0.8):
        return question(3, ["the sign: the gradient is prediction minus target, sigmoid(z) - y"])
    if close(gradient, 0.2) or close(gradient, -0.2):
        return question(3, ["the label is y = 0 here, not 1"])
    if close(gradient, 0.16):
        return question(3, ["sigmoid'(z) = p (1 - p) cancels against the derivative of the log: what is left is p - y"])
    return question(3, ["dL/dz = sigmoid(z) - y (section 5)"])
