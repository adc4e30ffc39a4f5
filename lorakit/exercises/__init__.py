"""Checkers for the notebooks' exercises: right or not, and why not, without giving the answer away.

One module per notebook (`lorakit.exercises.nb08` for lesson 08). Each exercise has a function
`check_N(...)` that takes the learner's answer and returns a `Verdict`: truthy when the answer is
right, shown as one line (make the check the last line of a notebook cell, or print it). A checker names what is wrong ("the slope should count both factors of every
adapted layer") but never prints the expected value; the worked answers stay in `solutions/`.

Example:
    >>> verdict(1, [])
    Exercise 1: correct.
    >>> v = verdict(2, ["the rank must be an int"])
    >>> print(v)
    Exercise 2: not yet: the rank must be an int.
    >>> bool(v), v.problems
    (False, ['the rank must be an int'])
"""
from dataclasses import dataclass, field


@dataclass
class Verdict:
    """The outcome of one check: `exercise` (its number), `problems` (empty when correct)."""
    exercise: int
    problems: list = field(default_factory=list)

    def __bool__(self):
        return not self.problems

    def __str__(self):
        if not self.problems:
            return f"Exercise {self.exercise}: correct."
        return f"Exercise {self.exercise}: not yet: " + "; ".join(self.problems) + "."

    __repr__ = __str__


def verdict(exercise, problems):
    """The verdict on an exercise from the list of problems found (none: correct)."""
    return Verdict(exercise, [p.rstrip(".") for p in problems])


def close(value, target, rel=1e-6, abs_=0.0):
    """True when `value` is a number within `rel` (relative) or `abs_` of `target`.

    >>> close(0.1 + 0.2, 0.3), close("0.3", 0.3), close(0.31, 0.3, abs_=0.02)
    (True, False, True)
    """
    try:
        value = float(value) if not isinstance(value, str) else None
    except (TypeError, ValueError):
        return False
    return value is not None and abs(value - target) <= max(rel * abs(target), abs_)
