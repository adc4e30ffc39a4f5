"""Checkers for the notebooks' exercises: right or not, and why not, without giving the answer away.

One module per notebook (`lorakit.exercises.nb08` for lesson 08). Each exercise has a function
`check_N(...)` and each "Check your understanding" question a function `question_N(...)`; both take
the learner's answer and return a `Verdict`: truthy when the answer is
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
    >>> question(1, ["B starts at zero, so B A x is zero whatever A is"])
    Question 1: not yet: B starts at zero, so B A x is zero whatever A is.
"""
from dataclasses import dataclass, field


@dataclass
class Verdict:
    """The outcome of one check: `exercise` (its number), `problems` (empty when correct), and
    `kind`, "Exercise" or "Question" (a "Check your understanding" question)."""
    exercise: int
    problems: list = field(default_factory=list)
    kind: str = "Exercise"

    def __bool__(self):
        return not self.problems

    def __str__(self):
        if not self.problems:
            return f"{self.kind} {self.exercise}: correct."
        return f"{self.kind} {self.exercise}: not yet: " + "; ".join(self.problems) + "."

    __repr__ = __str__


def verdict(exercise, problems):
    """The verdict on an exercise from the list of problems found (none: correct)."""
    return Verdict(exercise, [p.rstrip(".") for p in problems])


def build_task(name, **options):
    """The task `name` built with `options`: the checkers' one way to turn a name into a task.

    >>> build_task("qa", doc_stride=16).doc_stride
    16
    """
    from ..tasks import get_task
    return get_task(name, **options)


def question(number, problems):
    """The verdict on a "Check your understanding" question (none of `problems`: correct)."""
    return Verdict(number, [p.rstrip(".") for p in problems], "Question")


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
