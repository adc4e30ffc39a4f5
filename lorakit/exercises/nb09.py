"""Checkers for the exercises and questions of lesson 09 (choosing LoRA's hyperparameters).

Exercise 1 reads the grid shipped with the course (`lorakit.hyper.bundled_grid`); exercises 2-4 are
arithmetic on the scalings, the steps and the model's layers. No checker trains anything.

Example:
    >>> from lorakit.exercises import nb09
    >>> nb09.check_4({8: 125, 16: 63, 64: 16})
    Exercise 4: correct.
"""
import math

from . import close, question, verdict

ALPHA, EXAMPLES = 16, 1000           # the shipped grid: lora_alpha, training examples seen (one epoch)
BLOCKS, D, D_MLP = 6, 384, 1536      # all-MiniLM-L6-v2: 6 blocks, hidden 384, MLP 1536


def best(setting):
    """The learning rate with the best test accuracy of `setting` in the shipped grid."""
    from ..hyper import best_lrs, bundled_grid
    return best_lrs(bundled_grid(), "accuracy")[setting]


def check_1(lora_lr, full_lr, ratio):
    """Exercise 1: the best learning rate of LoRA r=4 and of full fine-tuning in the shipped grid,
    and LoRA's divided by full fine-tuning's.

    >>> check_1(0.01, 0.0003, 0.03)
    Exercise 1: not yet: the ratio is upside down: LoRA's best learning rate divided by full fine-tuning's.
    """
    want_lora, want_full = best("LoRA r=4"), best("full fine-tuning")
    problems = []
    if not close(lora_lr, want_lora):
        problems.append("LoRA r=4's best learning rate is not that: read the lr of its highest accuracy")
    if not close(full_lr, want_full):
        problems.append("full fine-tuning's best learning rate is not that: read the lr of its highest accuracy")
    if close(ratio, want_full / want_lora, rel=0.01):
        problems.append("the ratio is upside down: LoRA's best learning rate divided by full fine-tuning's")
    elif not close(ratio, want_lora / want_full, rel=0.01):
        problems.append("the ratio should be LoRA's best learning rate divided by full fine-tuning's")
    return verdict(1, problems)


def check_2(factor, lr_factor):
    """Exercise 2: at r=32, how many times larger rsLoRA's scaling alpha/sqrt(r) is than alpha/r, and
    the factor the best learning rate should then be multiplied by if the step size is what matters.

    >>> check_2(32, 1 / 32 ** 0.5)
    Exercise 2: not yet: (alpha/sqrt(r)) / (alpha/r) = sqrt(r), not r.
    """
    problems = []
    if close(factor, 32):
        problems.append("(alpha/sqrt(r)) / (alpha/r) = sqrt(r), not r")
    elif not close(factor, math.sqrt(32), rel=0.01):
        problems.append("divide alpha/sqrt(r) by alpha/r at r = 32")
    if close(lr_factor, math.sqrt(32), rel=0.01):
        problems.append("a larger scaling means larger steps, so the learning rate should shrink, not grow")
    elif not close(lr_factor, 1 / math.sqrt(32), rel=0.01) and not close(lr_factor, 1 / 32):
        problems.append("the step is about scaling times learning rate: keep that product the same")
    elif close(lr_factor, 1 / 32):
        problems.append("the scaling grew by sqrt(32), so the learning rate shrinks by the same factor")
    return verdict(2, problems)


def layer_weights(targets, r):
    """LoRA weights r (d_in + d_out) summed over the layers of `targets` in all 6 blocks (all-linear
    also adapts the pooler, one more D x D layer above the blocks).

    >>> layer_weights("query,value", 4), layer_weights("all-linear", 1)
    (36864, 42240)
    """
    shapes = {"query,value": [(D, D)] * 2, "mlp": [(D, D_MLP), (D_MLP, D)],
              "all-linear": [(D, D)] * 4 + [(D, D_MLP), (D_MLP, D)]}[targets]
    pooler = r * (D + D) if targets == "all-linear" else 0
    return BLOCKS * sum(r * (a + b) for a, b in shapes) + pooler


def check_3(weights):
    """Exercise 3: the LoRA weights (A and B, head left out) of query,value at r=4, mlp at r=2 and
    all-linear at r=1, as a dict.

    >>> check_3({"query,value": 36864, "mlp": 23040, "all-linear": 42240})
    Exercise 3: not yet: mlp at r=2: count both factors, A (r x d_in) and B (d_out x r), of both MLP layers in all 6 blocks.
    """
    if not isinstance(weights, dict) or set(weights) != {"query,value", "mlp", "all-linear"}:
        return verdict(3, ["give a dict with the keys 'query,value', 'mlp' and 'all-linear'"])
    problems = []
    for targets, r in (("query,value", 4), ("mlp", 2), ("all-linear", 1)):
        if not close(weights[targets], layer_weights(targets, r)):
            where = {"mlp": "both MLP layers", "all-linear": "each linear layer, and the pooler"}.get(targets, "each adapted layer")
            problems.append(f"{targets} at r={r}: count both factors, A (r x d_in) and B (d_out x r), of {where} in all 6 blocks")
    return verdict(3, problems)


def check_4(steps):
    """Exercise 4: the optimizer steps of one epoch of the 1,000 examples at batch sizes 8, 16 and 64
    (a dict; the last batch may be short).

    >>> check_4({8: 125, 16: 62, 64: 16})
    Exercise 4: not yet: batch 16: a last, shorter batch is a step too (round up).
    """
    if not isinstance(steps, dict) or set(steps) != {8, 16, 64}:
        return verdict(4, ["give a dict with the keys 8, 16 and 64"])
    problems = []
    for batch in (8, 16, 64):
        if steps[batch] == EXAMPLES // batch and EXAMPLES % batch:
            problems.append(f"batch {batch}: a last, shorter batch is a step too (round up)")
        elif steps[batch] != math.ceil(EXAMPLES / batch):
            problems.append(f"batch {batch}: divide the {EXAMPLES} examples by the batch size")
    return verdict(4, problems)


def question_1(choice):
    """Question 1: which scaling makes the best learning rate move with the rank at a fixed alpha?
    "a": alpha/r (LoRA's), "b": alpha/sqrt(r) (rsLoRA's).

    >>> question_1("a")
    Question 1: not yet: under alpha/r with Adam, the step of B A hardly depends on r early in training, so neither does the best lr.
    """
    if choice not in ("a", "b"):
        return question(1, ['answer "a" or "b"'])
    return question(1, ["under alpha/r with Adam, the step of B A hardly depends on r early in training, so "
                        "neither does the best lr"] if choice == "a" else [])


def question_2(steps):
    """Question 2: how many optimizer steps does batch 64 take over the 1,000 examples (an int)?

    >>> question_2(15)
    Question 2: not yet: the last 40 examples make a shorter batch, which is a step too.
    """
    if not isinstance(steps, int) or isinstance(steps, bool):
        return question(2, ["give a whole number (an int)"])
    if steps == 15:
        return question(2, ["the last 40 examples make a shorter batch, which is a step too"])
    return question(2, [] if steps == 16 else ["divide 1,000 by 64 and round up"])


def question_3(holds):
    """Question 3: does a best learning rate found on a short run hold for a run ten times longer
    (True or False)?

    >>> question_3(True)
    Question 3: not yet: the best lr depends on the budget: a short run needs large steps to get anywhere, a long one can take smaller ones.
    """
    if not isinstance(holds, bool):
        return question(3, ["answer True or False"])
    return question(3, ["the best lr depends on the budget: a short run needs large steps to get anywhere, a "
                        "long one can take smaller ones"] if holds else [])
