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

from . import close, question, verdict

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


LIVE_RANKS = (1, 4, 16)           # the live sweep's ranks in a full run (exercise 4)


def check_4(ratios, most_changed):
    """Exercise 4: rsLoRA's scaling divided by plain LoRA's at each rank of the live sweep (1, 4 and 16),
    as a dict {rank: ratio}, and the rank whose scaling changes most.

    >>> check_4({1: 1.0, 4: 4.0, 16: 16.0}, 16)
    Exercise 4: not yet: the ratio at rank 4 is off: divide alpha/sqrt(r) by alpha/r.
    """
    problems = []
    if not isinstance(ratios, dict) or set(ratios) != set(LIVE_RANKS):
        return verdict(4, ["give the ratios as a dict {rank: ratio} with one entry for each of the ranks "
                           "1, 4 and 16"])
    for r in LIVE_RANKS:
        if not close(ratios[r], (ALPHA / math.sqrt(r)) / (ALPHA / r), rel=0.01):
            problems.append(f"the ratio at rank {r} is off: divide alpha/sqrt(r) by alpha/r")
            break
    if most_changed not in LIVE_RANKS:
        problems.append("name one of the ranks 1, 4 and 16")
    elif most_changed != max(LIVE_RANKS):                # the ratio, sqrt(r), grows with r
        problems.append("the scaling changes most where the ratio is furthest from 1")
    return verdict(4, problems)


# Check your understanding: short questions on the lesson itself.

def question_1(better):
    """Question 1: rank 4's mean accuracy is above rank 8's by less than the worst-to-best spread of
    the seeds at either rank. Does the sweep show that rank 4 is better than rank 8 (True or False)?

    >>> question_1(True)
    Question 1: not yet: a difference smaller than the spread between seeds can come from the seeds alone.
    """
    if not isinstance(better, bool):
        return question(1, ["answer True or False"])
    return question(1, ["a difference smaller than the spread between seeds can come from the seeds alone"]
                    if better else [])


def question_2(weights):
    """Question 2: the trainable LoRA weights of one adapted 384 x 384 layer at rank 16 (an int).

    >>> question_2(16 * 384)
    Question 2: not yet: count both factors, A (r x d_in) and B (d_out x r).
    """
    if not (isinstance(weights, int) and not isinstance(weights, bool)):
        return question(2, ["give the count as a whole number (an int)"])
    if weights == 16 * D:
        return question(2, ["count both factors, A (r x d_in) and B (d_out x r)"])
    if weights == D * D:
        return question(2, ["that is the full weight W0, which LoRA freezes"])
    if weights != 16 * (D + D):
        return question(2, ["A is r x d_in and B is d_out x r, with r = 16 and d_in = d_out = 384"])
    return question(2, [])


def question_3(choice):
    """Question 3: why training time hardly changes from rank 1 to rank 32: "a" the optimizer step
    dominates, "b" the forward and backward passes through the frozen body dominate, "c" the
    LoRA products run in parallel with the frozen layer.

    >>> question_3("a")
    Question 3: not yet: the optimizer updates only the LoRA factors and the head, a few hundred thousand numbers at most.
    """
    why = {"a": "the optimizer updates only the LoRA factors and the head, a few hundred thousand numbers "
                "at most",
           "c": "the extra products cost r (d_in + d_out) multiply-adds per token whether or not they run "
                "in parallel: the question is what that is small next to"}
    if choice not in ("a", "b", "c"):
        return question(3, ['answer "a", "b" or "c"'])
    return question(3, [why[choice]] if choice in why else [])
