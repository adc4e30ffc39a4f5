"""Checkers for the exercises of lesson 08 (rank against accuracy).

Exercises 1-3 read the sweep shipped with the course (`bundled_results("sentiment")`), so each
checker compares the learner's answer with what that table gives; exercise 4 is arithmetic on the
scalings. No checker trains anything.

Example:
    >>> from lorakit.exercises import nb08
    >>> nb08.check_2(slope=9216, intercept=770)
    Exercise 2: correct.
"""
import math

from . import close, verdict

ALPHA = 16                       # lora_alpha of the shipped sweep and the live sweep
BLOCKS, D = 6, 384               # all-MiniLM-L6-v2: 6 blocks, query and value of 384 x 384
CLASSES = 2                      # the sentiment head: positive, negative


def lora_summary():
    """Mean, std and count of test accuracy per LoRA rank in the shipped sentiment sweep.

    >>> int(lora_summary().loc[1, "count"])
    3
    """
    from ..sweep import bundled_results, summarize
    summary = summarize(bundled_results("sentiment"), "accuracy")
    return summary.set_index(["method", "rank"]).loc["lora"]


def full_params():
    """Trainable parameters of full fine-tuning in the shipped sentiment sweep."""
    from ..sweep import bundled_results
    table = bundled_results("sentiment")
    return int(table.loc[table["method"] == "full", "trainable_params"].iloc[0])


def check_1(rank, fraction):
    """Exercise 1: the smallest rank within one point (0.01) of the best mean, and its trainable
    weights as a fraction of full fine-tuning's (a number such as 0.0016, not a percentage).

    >>> check_1(32, 0.013)
    Exercise 1: not yet: a smaller rank is also within one point (0.01) of the best mean accuracy.
    """
    lora = lora_summary()
    best = lora["mean"].max()
    enough = min(r for r in lora.index if lora.loc[r, "mean"] >= best - 0.01)
    problems = []
    if rank not in lora.index:
        problems.append(f"the shipped sweep trained ranks {sorted(lora.index)}; pick one of them")
    elif lora.loc[rank, "mean"] < best - 0.01:
        problems.append("that rank's mean accuracy is more than one point below the best rank's")
    elif rank != enough:
        problems.append("a smaller rank is also within one point (0.01) of the best mean accuracy")
    weights = lora.loc[rank if rank in lora.index else enough, "trainable_params"]
    target = weights / full_params()                   # the share of the rank given
    if close(fraction, 100 * target, rel=0.02):
        problems.append("give the fraction as a number (0.5 for a half), not a percentage")
    elif not close(fraction, target, rel=0.02):
        problems.append("the fraction should be the rank's trainable_params divided by full "
                        "fine-tuning's trainable_params")
    return verdict(1, problems)


def check_2(slope, intercept):
    """Exercise 2: trainable LoRA weights = slope * r + intercept.

    >>> check_2(slope=4608, intercept=770)
    Exercise 2: not yet: the slope counts too few weights: every block adapts query and value, and each adapted layer has two factors, A (r x d_in) and B (d_out x r).
    """
    problems = []
    slope_target = BLOCKS * 2 * (D + D)                 # 6 blocks x (query, value) x r (d_in + d_out) / r
    if close(slope, slope_target / 2, rel=0.01):
        problems.append("the slope counts too few weights: every block adapts query and value, and each "
                        "adapted layer has two factors, A (r x d_in) and B (d_out x r)")
    elif not close(slope, slope_target, rel=0.01):
        problems.append("the slope is not what the table gives: fit trainable_params against rank "
                        "over the LoRA rows (e.g. numpy.polyfit(rank, params, 1))")
    if close(intercept, CLASSES * D, abs_=0.5):
        problems.append("the intercept is the classifier head: count its biases too")
    elif not close(intercept, CLASSES * D + CLASSES, abs_=0.5):
        problems.append("the intercept is what does not depend on r: only the classifier head, "
                        "a weight and a bias per class")
    return verdict(2, problems)


def check_3(se_vs_1, se_vs_4, beats_1, beats_4):
    """Exercise 3: the standard errors of (rank 32 - rank 1) and (rank 32 - rank 4), and whether each
    difference is more than two standard errors (True: rank 32 is better beyond the noise).

    The standard error of a difference of two means over n seeds each is sqrt(s1^2/n + s2^2/n).

    >>> check_3(0.03, 0.03, False, False)
    Exercise 3: not yet: the standard error of the difference with rank 1 is off: a mean over n seeds has a standard error of std / sqrt(n), and the two means' variances add; likewise with rank 4.
    """
    lora = lora_summary()
    problems = []
    for low, se, beats, name in ((1, se_vs_1, beats_1, "rank 1"), (4, se_vs_4, beats_4, "rank 4")):
        a, b = lora.loc[low], lora.loc[32]
        target = math.sqrt(a["std"] ** 2 / a["count"] + b["std"] ** 2 / b["count"])
        if not close(se, target, rel=0.02):
            if problems:
                problems.append(f"likewise with {name}")
                continue
            problems.append(f"the standard error of the difference with {name} is off: a mean over n "
                            f"seeds has a standard error of std / sqrt(n), and the two means' variances add")
        if not isinstance(beats, bool):
            problems.append(f"say True or False for {name}")
        elif beats != (b["mean"] - a["mean"] > 2 * target):
            problems.append(f"compare the difference of the means with two standard errors again for {name}")
    return verdict(3, problems)


def check_4(ratios, most_changed):
    """Exercise 4: rsLoRA's scaling divided by plain LoRA's at each rank, as a dict {rank: ratio},
    and the rank of the live sweep whose scaling changes most.

    >>> check_4({1: 1.0, 4: 4.0, 16: 16.0}, 16)
    Exercise 4: not yet: the ratio at rank 4 is off: divide alpha/sqrt(r) by alpha/r.
    """
    problems = []
    if not isinstance(ratios, dict) or not ratios:
        return verdict(4, ["give the ratios as a dict {rank: ratio}, e.g. for the ranks of the live sweep"])
    for r in sorted(ratios):
        if not close(ratios[r], (ALPHA / math.sqrt(r)) / (ALPHA / r), rel=0.01):
            problems.append(f"the ratio at rank {r} is off: divide alpha/sqrt(r) by alpha/r")
            break
    if most_changed != max(ratios):
        problems.append("the scaling changes most where the ratio is furthest from 1")
    return verdict(4, problems)
