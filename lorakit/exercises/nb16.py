"""Checkers for the exercises and questions of lesson 16 (the LoRA variants). Each returns a `Verdict`.

Example:
    >>> check_2(16, True)
    Exercise 2: not yet: that is rsLoRA's own alpha; plain LoRA divides by r, not by sqrt(r).
"""
import functools
import math

import torch

from ..variants import pissa_nf4_error
from . import close, question, verdict


def check_1(extra):
    """The trainable parameters that DoRA adds to LoRA r=8 on MiniLM's query and value layers.

    >>> check_1(12 * 384 * 8)
    Exercise 1: not yet: the magnitude is a vector, one number per output row, not a matrix.
    """
    layers, d_out = 12, 384           # query and value in each of 6 blocks
    if close(extra, layers * d_out):
        return verdict(1, [])
    if close(extra, d_out) or close(extra, 6 * d_out):
        return verdict(1, ["count every adapted layer: query and value in each block"])
    if close(extra, layers * d_out * 8) or close(extra, layers * d_out * d_out):
        return verdict(1, ["the magnitude is a vector, one number per output row, not a matrix"])
    return verdict(1, ["DoRA adds its magnitude vector m to each adapted layer: count its length"])


def check_2(lora_alpha, same_run):
    """The lora_alpha that makes plain LoRA at r=64 scale as rsLoRA does at r=64 with lora_alpha=16,
    and whether the two trainings with the same seed are the same run (True or False).

    >>> check_2(1024, True)
    Exercise 2: not yet: that scales 8 times more than rsLoRA: alpha / 64 must equal 16 / sqrt(64).
    """
    problems = []
    if close(lora_alpha, 16 * math.sqrt(64)):
        pass
    elif close(lora_alpha, 16):
        problems.append("that is rsLoRA's own alpha; plain LoRA divides by r, not by sqrt(r)")
    elif isinstance(lora_alpha, (int, float)) and lora_alpha > 0:
        ratio = (lora_alpha / 64) / (16 / 8)
        more = f"{ratio:g} times more" if ratio > 1 else f"{1 / ratio:g} times less"
        problems.append(f"that scales {more} than rsLoRA: alpha / 64 must equal 16 / sqrt(64)")
    else:
        problems.append("give a positive number for lora_alpha")
    if not isinstance(same_run, bool):
        problems.append("answer same_run with True or False")
    elif not same_run:
        problems.append("same_run: with equal scalings and the same seed, compare the two runs' metrics again")
    return verdict(2, problems)


@functools.lru_cache(maxsize=1)
def _query_weight():
    from ..models import load_task_model
    model = load_task_model("sentiment", labels=["negative", "positive"])
    return model.base_model.encoder.layer[0].attention.self.query.weight.detach().clone()


RANKS = (1, 8, 32, 128, 384)     # exercise 3; 384 = min(d_in, d_out) of the query layer


def check_3(errors):
    """{r: relative NF4 error of the residual} for the query layer of block 0, r = 1, 8, 32, 128, 384.

    >>> check_3({1: 0.1, 8: 0.08, 32: 0.05, 128: 0.02, 384: 0.0})
    Exercise 3: not yet: r=1: quantise W0 minus its top-r part, add the top-r part back, compare with W0.
    """
    weight = _query_weight()
    problems = []
    for r in RANKS:
        if r not in errors:
            problems.append(f"give the error at r={r}")
        elif r == 384 and not close(errors[r], 0.0, rel=0, abs_=1e-4):
            problems.append("r=384: how much of W0 is left to quantise when the top-384 part is kept?")
        elif r < 384 and not close(errors[r], pissa_nf4_error(weight, r), rel=0.02):
            problems.append(f"r={r}: quantise W0 minus its top-r part, add the top-r part back, compare with W0")
            break
    return verdict(3, problems)


# ----------------------------------------------------------------- Check your understanding
QUESTION_1_W0 = [[3.0, 4.0], [0.0, 2.0]]        # question 1: DoRA's magnitude of this W0 at the start
LR, RATIO = 2e-3, 16                            # question 2: LoRA+ learning rates
QUESTION_3_W0 = [[3.0, 0.0], [0.0, 1.0]]        # question 3: PiSSA's residual, r = 1, s = 1


def _numbers(answer, shape):
    """The answer as a float tensor of `shape`, or None if it is not one."""
    try:
        t = torch.as_tensor(answer, dtype=torch.float32)
    except (TypeError, ValueError, RuntimeError):
        return None
    return t if tuple(t.shape) == shape else None


def question_1(m):
    """DoRA's magnitude vector m at the start, for W0 = [[3, 4], [0, 2]] (rows are outputs).

    >>> question_1([3.0, 4.472])
    Question 1: not yet: m has one number per output row: the length of each row of W0, not of each column.
    """
    m = _numbers(m, (2,))
    if m is None:
        return question(1, ["give two numbers, one per output row"])
    w0 = torch.tensor(QUESTION_1_W0)
    if torch.allclose(m, w0.norm(dim=1), atol=1e-3):
        return question(1, [])
    if torch.allclose(m, w0.norm(dim=0), atol=1e-3):
        problem = "m has one number per output row: the length of each row of W0, not of each column"
    elif torch.allclose(m, torch.ones(2)):
        problem = "m starts where W' = W0: a unit direction times m must give back W0's row"
    elif torch.allclose(m, (w0 ** 2).sum(dim=1), atol=1e-3):
        problem = "a length, not its square"
    else:
        problem = "at the start W' = W0, so m is the length of each row of W0"
    return question(1, [problem])


def question_2(lrs):
    """{"lora_A": lr, "lora_B": lr}: LoRA+'s learning rates with LR = 2e-3 and loraplus_ratio = 16.

    >>> question_2({"lora_A": 0.032, "lora_B": 0.002})
    Question 2: not yet: B is the factor that starts at zero and must grow: it gets the larger rate.
    """
    if not isinstance(lrs, dict) or {"lora_A", "lora_B"} - set(lrs):
        return question(2, ["give a dict with the keys 'lora_A' and 'lora_B'"])
    a, b = lrs["lora_A"], lrs["lora_B"]
    if close(a, LR, rel=1e-3) and close(b, LR * RATIO, rel=1e-3):
        return question(2, [])
    if close(a, LR * RATIO, rel=1e-3) and close(b, LR, rel=1e-3):
        return question(2, ["B is the factor that starts at zero and must grow: it gets the larger rate"])
    problems = []
    if not close(a, LR, rel=1e-3):
        problems.append("lora_A: LoRA+ leaves A's learning rate as it was")
    if not close(b, LR * RATIO, rel=1e-3):
        problems.append("lora_B: the ratio multiplies the learning rate of B")
    return question(2, problems)


def question_3(w_res):
    """PiSSA's residual W_res (what stays frozen) for W0 = [[3, 0], [0, 1]], r = 1, s = 1.

    >>> question_3([[3.0, 0.0], [0.0, 0.0]])
    Question 3: not yet: that is the principal part, which A and B hold; the frozen layer keeps the rest.
    """
    w_res = _numbers(w_res, (2, 2))
    if w_res is None:
        return question(3, ["give a 2 x 2 matrix"])
    w0 = torch.tensor(QUESTION_3_W0)
    U, S, Vh = torch.linalg.svd(w0)
    principal = S[0] * torch.outer(U[:, 0], Vh[0])      # the top-1 part, (2, 2)
    if torch.allclose(w_res, w0 - principal, atol=1e-4):
        return question(3, [])
    if torch.allclose(w_res, principal, atol=1e-4):
        problem = "that is the principal part, which A and B hold; the frozen layer keeps the rest"
    elif torch.allclose(w_res, w0, atol=1e-4):
        problem = "that is W0 itself, as in plain LoRA; PiSSA moves the top-r part into A and B"
    else:
        problem = "W_res = W0 minus its top-1 singular part, the largest singular value's"
    return question(3, [problem])
