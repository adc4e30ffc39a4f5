"""Checkers for the exercises and questions of lesson 17 (adapters in production). Each returns a `Verdict`.

Example:
    >>> check_1([[2.0, 2.0], [0.0, 1.0]])
    Exercise 1: not yet: the update is scaled by s = lora_alpha / r before it is added.
"""
import torch

from ..combine import ties
from . import close, question, verdict

# Exercise 1: one layer to merge by hand
W0, LORA_A, LORA_B, LORA_ALPHA, R = [[1.0, 0.0], [0.0, 1.0]], [[1.0, 2.0]], [[1.0], [0.0]], 2.0, 1
# Question 1: two updates to combine with TIES
TIES_A, TIES_B, TIES_DENSITY = [3.0, -1.0, 2.0, 0.5], [-2.0, -3.0, 1.0, 0.25], 0.5
# Question 2: one base and three adapters against three merged models (MB)
BASE_MB, ADAPTER_MB, TASKS = 540.0, 2.0, 3


def _numbers(value, shape):
    """`value` as a float tensor of `shape`, or None when it is not one."""
    try:
        tensor = torch.tensor(value, dtype=torch.float32)
    except (TypeError, ValueError, RuntimeError):
        return None
    return tensor if tuple(tensor.shape) == shape else None


def check_1(merged):
    """W0 + s B A for `W0`, `LORA_A`, `LORA_B` with s = LORA_ALPHA / R: the merged weight, rows = outputs.

    >>> check_1([[1.0, 0.0], [0.0, 1.0]])
    Exercise 1: not yet: that is W0 alone; merging adds the update s B A to it.
    """
    merged = _numbers(merged, (2, 2))
    if merged is None:
        return verdict(1, ["give a 2 x 2 matrix, a list of two rows"])
    w0, a, b = torch.tensor(W0), torch.tensor(LORA_A), torch.tensor(LORA_B)
    if torch.allclose(merged, w0 + LORA_ALPHA / R * b @ a):
        return verdict(1, [])
    if torch.allclose(merged, w0):
        return verdict(1, ["that is W0 alone; merging adds the update s B A to it"])
    if torch.allclose(merged, w0 + b @ a):
        return verdict(1, ["the update is scaled by s = lora_alpha / r before it is added"])
    if torch.allclose(merged, w0 + LORA_ALPHA / R * (b @ a).T):
        return verdict(1, ["B A has B's rows (outputs) and A's columns (inputs): check the orientation"])
    return verdict(1, ["compute B A (2 x 1 times 1 x 2), scale it by lora_alpha / r, add it to W0"])


def check_2(expected):
    """The expected value of one entry 0.3 of an update after DARE with density 0.2 (kept or dropped).

    >>> check_2(1.5)
    Exercise 2: not yet: 1.5 is the value when the entry is kept; it is kept only with probability 0.2.
    """
    if close(expected, 0.3):
        return verdict(2, [])
    if close(expected, 1.5):
        return verdict(2, ["1.5 is the value when the entry is kept; it is kept only with probability 0.2"])
    if close(expected, 0.06):
        return verdict(2, ["a kept entry is divided by the density: that rescaling is DARE's second step"])
    return verdict(2, ["average over the two outcomes: kept (and rescaled) or dropped"])


def check_3(name):
    """llama.cpp's name for the HF tensor "model.layers.3.self_attn.q_proj.weight".

    >>> check_3("blk.3.q_proj.weight")
    Exercise 3: not yet: llama.cpp names the attention projections attn_q, attn_k, attn_v, attn_output.
    """
    if name == "blk.3.attn_q.weight":
        return verdict(3, [])
    if isinstance(name, str) and name.startswith("blk.3.") and "q_proj" in name:
        return verdict(3, ["llama.cpp names the attention projections attn_q, attn_k, attn_v, attn_output"])
    return verdict(3, ["a block's tensors are blk.<layer>.<name>.weight: see lorakit.export.LLAMA_NAMES"])


def question_1(combined):
    """TIES of TIES_A and TIES_B with weights 1 and 1 and density TIES_DENSITY: four numbers.

    >>> question_1([1.0, -4.0, 3.0, 0.75])
    Question 1: not yet: that is the plain sum; TIES first trims each update to its largest half.
    """
    combined = _numbers(combined, (4,))
    if combined is None:
        return question(1, ["give four numbers, one per entry"])
    a, b = torch.tensor(TIES_A), torch.tensor(TIES_B)
    if torch.allclose(combined, ties([a, b], [1.0, 1.0], TIES_DENSITY)):
        return question(1, [])
    if torch.allclose(combined, a + b):
        return question(1, ["that is the plain sum; TIES first trims each update to its largest half"])
    return question(1, ["trim each to its 2 largest |entries|, elect each entry's sign from the trimmed sum, "
                        "then average only the entries that agree with it"])


def question_2(served_mb, merged_mb):
    """Memory of one base plus TASKS adapters, and of TASKS merged models, in MB.

    >>> question_2(546.0, 546.0)
    Question 2: not yet: each merged model holds a whole copy of the base.
    """
    problems = []
    if not close(served_mb, BASE_MB + TASKS * ADAPTER_MB):
        problems.append("one base holds the shared weights once; each adapter adds its own A, B and head")
    if close(merged_mb, BASE_MB + TASKS * ADAPTER_MB):
        problems.append("each merged model holds a whole copy of the base")
    elif not close(merged_mb, TASKS * BASE_MB):
        problems.append("a merged model is as large as its base: the update adds no parameters once merged")
    return question(2, problems)


WHY_PERMUTE = {"a": "no: permuting rows changes no value, and the file is not smaller",
               "b": None,
               "c": "no: the order of the layers in the file is by block; the rows of q and k are what moves"}


def question_3(choice):
    """Why export permutes the rows of q_proj and k_proj: one letter, "a", "b" or "c".

    >>> question_3("b")
    Question 3: correct.
    """
    choice = choice.strip().lower() if isinstance(choice, str) else choice
    if choice not in WHY_PERMUTE:
        return question(3, ['answer with one letter: "a", "b" or "c"'])
    return question(3, [WHY_PERMUTE[choice]] if WHY_PERMUTE[choice] else [])
