"""Checkers for the exercises of lesson 16 (the LoRA family). Each returns a `Verdict`.

Example:
    >>> check_3(16)
    Exercise 3: not yet: that is rsLoRA's own alpha; plain LoRA divides by r, not by sqrt(r).
"""
import functools
import math

from ..variants import pissa_nf4_error
from . import close, verdict

DOUBLE_BLOCK = 256     # constants per second-level block (QLoRA's double quantisation)


def _bits(blocksize, double):
    """Bits per weight for large tensors: 4, plus the constants' share."""
    if not double:
        return 4 + 32 / blocksize
    return 4 + 8 / blocksize + 32 / (blocksize * DOUBLE_BLOCK)


def check_1(bits):
    """{(blocksize, double_quant): bits per weight} for blocks of 32 and 128, with and without double
    quantisation (large tensors: the one fp32 offset per tensor is negligible).

    >>> check_1({(32, False): 5.0, (32, True): 4.25, (128, False): 4.25, (128, True): 4.0635})
    Exercise 1: not yet: (32, True): a block of 256 constants has its own fp32 constant too.
    """
    problems = []
    for key in [(32, False), (32, True), (128, False), (128, True)]:
        if key not in bits:
            problems.append(f"give a value for {key}")
            continue
        blocksize, double = key
        if close(bits[key], _bits(blocksize, double), rel=0, abs_=5e-4):
            continue
        if double and close(bits[key], 4 + 8 / blocksize, rel=0, abs_=5e-4):
            problems.append(f"{key}: a block of {DOUBLE_BLOCK} constants has its own fp32 constant too")
        elif close(bits[key], 4 + (8 if not double else 32) / blocksize, rel=0, abs_=5e-4):
            problems.append(f"{key}: which constants are 8-bit and which 32-bit?")
        else:
            problems.append(f"{key}: 4 bits of code plus each constant's bits shared by the weights it scales")
    return verdict(1, problems)


def check_2(extra):
    """The trainable parameters that DoRA adds to LoRA r=8 on MiniLM's query and value layers.

    >>> check_2(12 * 384 * 8)
    Exercise 2: not yet: the magnitude is a vector, one number per output row, not a matrix.
    """
    layers, d_out = 12, 384           # query and value in each of 6 blocks
    if close(extra, layers * d_out):
        return verdict(2, [])
    if close(extra, d_out) or close(extra, 6 * d_out):
        return verdict(2, ["count every adapted layer: query and value in each block"])
    if close(extra, layers * d_out * 8) or close(extra, layers * d_out * d_out):
        return verdict(2, ["the magnitude is a vector, one number per output row, not a matrix"])
    return verdict(2, ["DoRA adds its magnitude vector m to each adapted layer; how long is m?"])


def check_3(lora_alpha):
    """The lora_alpha that makes plain LoRA at r=64 scale as rsLoRA does at r=64 with lora_alpha=16.

    >>> check_3(1024)
    Exercise 3: not yet: that scales 8 times more than rsLoRA: alpha / 64 must equal 16 / sqrt(64).
    """
    if close(lora_alpha, 16 * math.sqrt(64)):
        return verdict(3, [])
    if close(lora_alpha, 16):
        return verdict(3, ["that is rsLoRA's own alpha; plain LoRA divides by r, not by sqrt(r)"])
    ratio = (lora_alpha / 64) / (16 / 8) if isinstance(lora_alpha, (int, float)) and lora_alpha else None
    if ratio:
        more = f"{ratio:g} times more" if ratio > 1 else f"{1 / ratio:g} times less"
        return verdict(3, [f"that scales {more} than rsLoRA: alpha / 64 must equal 16 / sqrt(64)"])
    return verdict(3, ["give a positive number"])


@functools.lru_cache(maxsize=1)
def _query_weight():
    from ..models import load_task_model
    model = load_task_model("sentiment", labels=["negative", "positive"])
    return model.base_model.encoder.layer[0].attention.self.query.weight.detach().clone()


def check_4(errors):
    """{r: relative NF4 error of the residual} for the query layer of block 0, r = 1, 8, 32, 128.

    >>> check_4({1: 0.1, 8: 0.08, 32: 0.05, 128: 0.02})
    Exercise 4: not yet: r=1: quantise W0 minus its top-r part, add the top-r part back, compare with W0.
    """
    weight = _query_weight()
    problems = []
    for r in (1, 8, 32, 128):
        if r not in errors:
            problems.append(f"give the error at r={r}")
        elif not close(errors[r], pissa_nf4_error(weight, r), rel=0.02):
            problems.append(f"r={r}: quantise W0 minus its top-r part, add the top-r part back, compare with W0")
            break
    return verdict(4, problems)
