"""Checkers for the exercises and questions of lesson 18 (the clinic). Each returns a `Verdict`.

Example:
    >>> question_2("right")
    Question 2: not yet: right padding is for training; a prompt that ends in padding is continued after the padding.
"""
import math

import torch

from . import close, question, verdict

RUNAWAY_CASES = [                        # (losses of each step, whether the loss ran away)
    ([0.69, 0.68, 0.66, 0.60], False), ([0.69, 0.9, 1.6, 3.0], True), ([0.69, float("nan")], True),
    ([0.69, None, 0.5], True), ([0.69, 0.5, 1.2], False), ([2.3, 2.0, 4.7], True), ([], False),
    ([0.69, 0.7, float("inf")], True),
]


def question_1(entry_size):
    """About how large is each entry of B after 100 Adam steps at --lr 1e-8 (B starts at zero), if every
    step pushes it the same way at a constant learning rate?

    >>> question_1(1e-8)
    Question 1: not yet: that is one step; Adam moves each entry by about the learning rate at every step.
    """
    if not isinstance(entry_size, (int, float)) or isinstance(entry_size, bool) or not entry_size > 0:
        return question(1, ["give a positive number: the size of one entry of B"])
    if close(entry_size, 1e-6, rel=0.5):
        return question(1, [])
    if close(entry_size, 1e-8, rel=0.5):
        return question(1, ["that is one step; Adam moves each entry by about the learning rate at every step"])
    return question(1, ["Adam's step is about the learning rate whatever the gradient's size: count the steps"])


def question_2(side):
    """Which side must a batch of prompts be padded on for generation: "left" or "right"?"""
    if side == "left":
        return question(2, [])
    if side == "right":
        return question(2, ["right padding is for training; a prompt that ends in padding is continued "
                            "after the padding"])
    return question(2, ['answer "left" or "right"'])


FINDINGS = ("learning rate too high", "learning rate too low", "overfitting", "fp16 overflow")


def question_3(finding):
    """A run whose final loss is 0.01 on its training examples and 2.1 on validation examples, its
    updates a hundredth of its weights: which of FINDINGS is it?

    >>> question_3("learning rate too low")
    Question 3: not yet: an update of a hundredth of the weight is a normal size, and the training loss fell far.
    """
    if finding == "overfitting":
        return question(3, [])
    hints = {"learning rate too high": "the training loss fell to 0.01: nothing ran away",
             "learning rate too low": "an update of a hundredth of the weight is a normal size, and the "
                                      "training loss fell far",
             "fp16 overflow": "every loss is finite"}
    return question(3, [hints.get(finding, f"answer one of {', '.join(FINDINGS)}")])


def check_1(factor):
    """By what factor does the update (lora_alpha / r) B A change when adapter_config.json's
    lora_alpha is edited from 16 to 64 and r (8) and the weights are kept?

    >>> check_1(0.25)
    Exercise 1: not yet: the scaling is lora_alpha / r: a larger alpha makes the update larger.
    """
    if close(factor, 4):
        return verdict(1, [])
    if close(factor, 0.25):
        return verdict(1, ["the scaling is lora_alpha / r: a larger alpha makes the update larger"])
    if close(factor, 2):
        return verdict(1, ["the scaling is lora_alpha / r, not its square root (that is rsLoRA's)"])
    return verdict(1, ["compare lora_alpha / r before and after the edit"])


def check_2(ran_away):
    """A function `ran_away(losses)`: True when a step's loss is None, NaN or infinite, or more than
    twice the first step's loss.

    >>> check_2(lambda losses: max(losses, default=0) > 2 * losses[0] if losses else False)
    Exercise 2: not yet: [0.69, nan]: expected True, got False.
    """
    for losses, expected in RUNAWAY_CASES:
        try:
            got = ran_away(list(losses))
        except Exception as e:   # the learner's function failing on a case is a finding, not a crash
            return verdict(2, [f"{losses}: raised {type(e).__name__}: {e}"])
        if bool(got) != expected or not isinstance(got, bool):
            return verdict(2, [f"{losses}: expected {expected}, got {got}"])
    return verdict(2, [])


def check_3(relative_update):
    """A function `relative_update(B, A, W0, scaling)`: ||scaling B A|| / ||W0|| (Frobenius norms).

    >>> check_3(lambda B, A, W0, s: float((B @ A).norm() / W0.norm()))
    Exercise 3: not yet: the update is the scaling times B A.
    """
    g = torch.Generator().manual_seed(0)
    B, A, W0 = torch.randn(6, 2, generator=g), torch.randn(2, 5, generator=g), torch.randn(6, 5, generator=g)
    right = float((2.0 * B @ A).norm() / W0.norm())
    try:
        got = float(relative_update(B, A, W0, 2.0))
    except Exception as e:
        return verdict(3, [f"raised {type(e).__name__}: {e}"])
    if math.isclose(got, right, rel_tol=1e-4):
        return verdict(3, [])
    if math.isclose(got, right / 2, rel_tol=1e-4):
        return verdict(3, ["the update is the scaling times B A"])
    if math.isclose(got, float((2.0 * B @ A).norm()), rel_tol=1e-4):
        return verdict(3, ["divide by the norm of W0: the update relative to the weight it changes"])
    return verdict(3, ["take the Frobenius norm (.norm()) of the whole matrices"])
