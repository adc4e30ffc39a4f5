"""Checkers for the exercises and questions of lesson 15 (QLoRA). Each returns a `Verdict`.

Example:
    >>> check_2({"bf16": 28, "nf4": 3.611, "lora_training": 0.64})
    Exercise 2: not yet: bf16: a bf16 weight is 16 bits, 2 bytes.
"""
from ..quant import nf4_code
from . import close, question, verdict

DOUBLE_BLOCK = 256     # constants per second-level block (QLoRA's double quantisation)
GB = 1e9               # exercise 2 counts in GB of 10**9 bytes


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
            problems.append(f"{key}: sort out which constants are 8-bit and which 32-bit")
        else:
            problems.append(f"{key}: 4 bits of code plus each constant's bits shared by the weights it scales")
    return verdict(1, problems)


def check_2(gb, weights=7e9, trainable=40e6):
    """{"bf16", "nf4", "lora_training"}: GB (10**9 bytes) of 7 billion Linear weights in bf16 and in NF4
    with double quantisation (blocks of 64 and 256), and of a LoRA adapter of 40 million fp32 parameters
    trained with AdamW (the parameters, their gradients and AdamW's two moments).

    >>> check_2({"bf16": 14, "nf4": 3.5, "lora_training": 0.64})
    Exercise 2: not yet: nf4: the block constants take memory too, not only the 4-bit codes.
    """
    problems = []
    for key in ("bf16", "nf4", "lora_training"):
        if key not in gb:
            problems.append(f"give a value for {key!r}")
    if problems:
        return verdict(2, problems)

    bf16, nf4, lora = gb["bf16"], gb["nf4"], gb["lora_training"]
    if not close(bf16, 2 * weights / GB, rel=0.005):
        if close(bf16, 2 * weights, rel=0.005):
            problems.append("bf16: give GB (10**9 bytes), not bytes")
        elif close(bf16, 2 * weights / 2**30, rel=0.005):
            problems.append("bf16: a GB here is 10**9 bytes, not 2**30")
        elif close(bf16, 4 * weights / GB, rel=0.005) or close(bf16, 16 * weights / GB, rel=0.005):
            problems.append("bf16: a bf16 weight is 16 bits, 2 bytes")
        else:
            problems.append("bf16: weights times bytes per weight")

    if not close(nf4, weights * _bits(64, True) / 8 / GB, rel=0.002):
        if close(nf4, weights * 4 / 8 / GB, rel=0.002):
            problems.append("nf4: the block constants take memory too, not only the 4-bit codes")
        elif close(nf4, weights * _bits(64, False) / 8 / GB, rel=0.002):
            problems.append("nf4: that is without double quantisation: the block constants are 8-bit")
        elif close(nf4, weights * 4 / GB, rel=0.01) or close(nf4, weights * _bits(64, True) / GB, rel=0.01):
            problems.append("nf4: 8 bits make a byte")
        else:
            problems.append("nf4: 4 bits of code per weight, plus the constants' bits shared by the weights")

    if not close(lora, 16 * trainable / GB, rel=0.005):
        per_parameter = lora * GB / trainable if isinstance(lora, (int, float)) else None
        if per_parameter is not None and any(close(per_parameter, b, rel=0.005) for b in (4, 8, 12)):
            problems.append(f"lora_training: {per_parameter:g} bytes per trainable parameter; count the fp32 "
                            "parameter, its gradient and both of AdamW's moments")
        else:
            problems.append("lora_training: each fp32 number takes 4 bytes: count the numbers that training keeps per parameter")
    return verdict(2, problems)


# ----------------------------------------------------------------- Check your understanding
ABSMAX, WEIGHT = 0.2, 0.05      # question 1: a block's absmax and one of its weights
PARTS = ("codes", "absmax", "lora_A", "lora_B")   # question 2: the tensors of a QLoRA layer


def question_1(restored):
    """The weight 0.05 of a block whose absmax is 0.2, after NF4 quantisation and de-quantisation
    (no double quantisation).

    >>> question_1(0.05)
    Question 1: not yet: 4 bits hold 16 values, so the weight comes back as one of 16 values times the absmax.
    """
    code = nf4_code()
    nearest = code[(code - WEIGHT / ABSMAX).abs().argmin()].item()
    if close(restored, nearest * ABSMAX, rel=0, abs_=5e-4):
        return question(1, [])
    if close(restored, WEIGHT, rel=0, abs_=1e-4):
        problem = "4 bits hold 16 values, so the weight comes back as one of 16 values times the absmax"
    elif close(restored, WEIGHT / ABSMAX, rel=0, abs_=5e-4):
        problem = "that is the weight divided by the absmax: find its nearest NF4 value, then multiply back"
    elif close(restored, nearest, rel=0, abs_=5e-4):
        problem = "that is the NF4 value; de-quantising multiplies it by the block's absmax"
    else:
        problem = "divide by the absmax, take the nearest of quant.nf4_code()'s 16 values, multiply back"
    return question(1, [problem])


def question_2(trained):
    """Which of a QLoRA layer's tensors ("codes", "absmax", "lora_A", "lora_B") the optimizer updates.

    >>> question_2({"codes", "lora_A", "lora_B"})
    Question 2: not yet: the base is frozen: its 4-bit codes and block constants are stored once and never updated.
    """
    if isinstance(trained, str) or not all(isinstance(t, str) for t in trained):
        return question(2, [f"give a set of names from {PARTS}"])
    trained = set(trained)
    problems = []
    if trained - set(PARTS):
        problems.append(f"the names are {PARTS}")
    if trained & {"codes", "absmax"}:
        problems.append("the base is frozen: its 4-bit codes and block constants are stored once and never updated")
    if not {"lora_A", "lora_B"} <= trained:
        problems.append("both LoRA factors train, in full precision")
    return question(2, problems)


def question_3(exact):
    """At least how many of a block's 64 weights (none zero, magnitudes distinct) de-quantise to
    exactly themselves, without double quantisation.

    >>> question_3(0)
    Question 3: not yet: the block's largest magnitude divided by the absmax is exactly one of the NF4 values.
    """
    if exact == 1 and not isinstance(exact, bool):
        return question(3, [])
    if exact == 0:
        return question(3, ["the block's largest magnitude divided by the absmax is exactly one of the NF4 values"])
    return question(3, ["4 bits hold 16 values and a weight is rarely one of them times the absmax: "
                        "one weight of every block always is"])
