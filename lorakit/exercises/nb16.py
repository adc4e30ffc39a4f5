"""Checkers for the exercises of lesson 16 (the LoRA variants). Each returns a `Verdict`.

Example:
    >>> check_2(16)
    Exercise 2: not yet: that is rsLoRA's own alpha; plain LoRA divides by r, not by sqrt(r).
"""
import functools
import math

from ..variants import pissa_nf4_error
from . import close, verdict


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


def check_2(lora_alpha):
    """The lora_alpha that makes plain LoRA at r=64 scale as rsLoRA does at r=64 with lora_alpha=16.

    >>> check_2(1024)
    Exercise 2: not yet: that scales 8 times more than rsLoRA: alpha / 64 must equal 16 / sqrt(64).
    """
    if close(lora_alpha, 16 * math.sqrt(64)):
        return verdict(2, [])
    if close(lora_alpha, 16):
        return verdict(2, ["that is rsLoRA's own alpha; plain LoRA divides by r, not by sqrt(r)"])
    ratio = (lora_alpha / 64) / (16 / 8) if isinstance(lora_alpha, (int, float)) and lora_alpha else None
    if ratio:
        more = f"{ratio:g} times more" if ratio > 1 else f"{1 / ratio:g} times less"
        return verdict(2, [f"that scales {more} than rsLoRA: alpha / 64 must equal 16 / sqrt(64)"])
    return verdict(2, ["give a positive number"])


@functools.lru_cache(maxsize=1)
def _query_weight():
    from ..models import load_task_model
    model = load_task_model("sentiment", labels=["negative", "positive"])
    return model.base_model.encoder.layer[0].attention.self.query.weight.detach().clone()


def check_3(errors):
    """{r: relative NF4 error of the residual} for the query layer of block 0, r = 1, 8, 32, 128.

    >>> check_3({1: 0.1, 8: 0.08, 32: 0.05, 128: 0.02})
    Exercise 3: not yet: r=1: quantise W0 minus its top-r part, add the top-r part back, compare with W0.
    """
    weight = _query_weight()
    problems = []
    for r in (1, 8, 32, 128):
        if r not in errors:
            problems.append(f"give the error at r={r}")
        elif not close(errors[r], pissa_nf4_error(weight, r), rel=0.02):
            problems.append(f"r={r}: quantise W0 minus its top-r part, add the top-r part back, compare with W0")
            break
    return verdict(3, problems)
