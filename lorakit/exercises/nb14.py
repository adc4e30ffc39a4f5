"""Checkers for the exercises (`check_N`) and the "Check your understanding" questions (`question_N`)
of lesson 14 (reinforcement learning with LoRA). Each returns a `Verdict`.

Both exercises ask for a function, and the checkers call it on cases of their own, comparing with
`lorakit.rl`: your advantages (exercise 1) and your clipped per-token objective (exercise 2).

Example:
    >>> question_1([0.0, 0.0, 0.0, 0.0])
    Question 1: correct.
"""
import torch

from ..rl import group_advantages, grpo_loss
from . import close, question, verdict

# Question 3: a group of 8 replies of which one is right (reward 1), the others wrong (0).
ONE_RIGHT = [1.0] + [0.0] * 7


def _as_list(value):
    try:
        return [float(v) for v in value]
    except (TypeError, ValueError):
        return None


def question_1(advantages):
    """The advantages of a group of four replies that all scored 1 (a list of 4 numbers)."""
    values = _as_list(advantages)
    if values is None or len(values) != 4:
        return question(1, ["give a list of 4 numbers, one advantage per reply"])
    if any(abs(v) > 1e-6 for v in values):
        return question(1, ["each reward minus the group's mean: what is left when all four are equal?"])
    return question(1, [])


def question_2(loss):
    """The per-token loss -min(ratio A, clip(ratio, 0.8, 1.2) A) for ratio 1.5 and advantage A = +1."""
    if close(loss, 1.5) or close(loss, -1.5):
        return question(2, ["the ratio is clipped to 1.2 before min compares"])
    if close(loss, 1.2):
        return question(2, ["mind the sign: the loss is minus the objective"])
    return question(2, [] if close(loss, -1.2) else ["clip the ratio to [0.8, 1.2], multiply by A, take the "
                                                     "smaller of the two, and negate"])


def question_3(advantage):
    """The advantage of the one right reply in `ONE_RIGHT` (the std with n - 1, plus 1e-4)."""
    right = group_advantages(torch.tensor(ONE_RIGHT), len(ONE_RIGHT))[0].item()
    if close(advantage, 1 - sum(ONE_RIGHT) / len(ONE_RIGHT), rel=1e-3):
        return question(3, ["divide by the group's standard deviation too"])
    population = (1 - 1 / 8) / (7 / 64) ** 0.5
    if close(advantage, population, rel=1e-3):
        return question(3, ["the standard deviation divides by n - 1, as torch.std and TRL do"])
    return question(3, [] if close(advantage, right, rel=1e-3) else ["(reward - group mean) / (group std + 1e-4)"])


CASES = [([1.0, 0.0, 0.0, 1.0], 4), ([1.0, 1.0, 1.0, 1.0, 0.0, 0.5, 0.25, 0.0], 4), ([0.2, 0.9, 0.4, 0.7, 0.1, 0.1], 3)]


def check_1(advantages):
    """Your `advantages(rewards, group_size)` (rewards: a 1-D tensor, groups of `group_size` in a row)
    gives `lorakit.rl.group_advantages` on cases of the checker's own.

    >>> check_1(lambda rewards, group_size: rewards - rewards.mean())
    Exercise 1: not yet: rewards [1.0, 0.0, 0.0, 1.0] in groups of 4: centre and scale each group on its own.
    >>> check_1(lambda rewards, group_size: group_advantages(rewards, group_size))
    Exercise 1: correct.
    """
    if not callable(advantages):
        return verdict(1, ["give a function advantages(rewards, group_size)"])
    for rewards, size in CASES:
        expected = group_advantages(torch.tensor(rewards), size)
        try:
            got = torch.as_tensor(advantages(torch.tensor(rewards), size), dtype=torch.float32).flatten()
        except Exception as e:       # the learner's code: any error is a wrong answer, said in one line
            return verdict(1, [f"rewards {rewards} in groups of {size}: your function raised {type(e).__name__}: {e}"])
        if got.shape != expected.shape or not torch.allclose(got, expected, atol=1e-3):
            return verdict(1, [f"rewards {rewards} in groups of {size}: centre and scale each group on its own"])
    return verdict(1, [])


def check_2(objective):
    """Your `clipped(ratio, advantage, clip)`: the per-token loss -min(ratio A, clip(ratio, 1 - clip,
    1 + clip) A), for tensors of ratios and advantages, equal to `lorakit.rl.grpo_loss` per token.

    >>> check_2(lambda ratio, advantage, clip: -ratio * advantage)
    Exercise 2: not yet: ratio 0.5, advantage -1.0, clip 0.2: clip the ratio before taking the minimum.
    """
    if not callable(objective):
        return verdict(2, ["give a function clipped(ratio, advantage, clip)"])
    for ratio in (0.5, 0.9, 1.0, 1.1, 1.5):
        for advantage in (1.0, -1.0, 0.5):
            logps = torch.tensor([[float(torch.log(torch.tensor(ratio)))]])
            expected = grpo_loss(logps, torch.zeros(1, 1), torch.tensor([advantage]), torch.ones(1, 1))
            try:
                got = float(objective(torch.tensor(ratio), torch.tensor(advantage), 0.2))
            except Exception as e:
                return verdict(2, [f"your function raised {type(e).__name__}: {e}"])
            if abs(got - expected.item()) > 1e-4:
                return verdict(2, [f"ratio {ratio}, advantage {advantage}, clip 0.2: clip the ratio before "
                                   "taking the minimum" if abs(got + ratio * advantage) < 1e-4 else
                                   f"ratio {ratio}, advantage {advantage}, clip 0.2: -min(ratio A, clipped ratio A)"])
    return verdict(2, [])
