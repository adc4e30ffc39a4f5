"""Checkers for the exercises and questions of lesson 09 (choosing LoRA's hyperparameters).

Exercise 1 reads the grid shipped with the course (`lorakit.hyper.bundled_grid`); exercises 2 and 3
are arithmetic on the scalings and the model's layers; exercise 4 reads the learner's own live grid (the
table `run_sweep` returned). No checker trains anything.

Example:
    >>> from lorakit.exercises import nb09
    >>> nb09.check_2(32 ** 0.5, 32 ** -0.5)
    Exercise 2: correct.
"""
import math

import numpy as np

from . import close, question, verdict

LIVE_EXAMPLES = 400                  # section 6's live grid in full mode: training reviews, one epoch
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
    the factor the best learning rate should then be multiplied by if what a step gains, s r lr, is what
    matters (at a fixed rank, scaling times learning rate).

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
        problems.append("at a fixed rank what a step gains goes like scaling times learning rate: keep that "
                        "product the same")
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


def best_means(live, stat="sem"):
    """Per batch size of a live grid and per method ("full", "lora"): the best mean accuracy over the
    settings (learning rate, and rank where several were run; the first where two tie) and, at that
    setting, `stat` of the accuracy over the seeds ("sem": the standard error of that mean; "std": the
    standard deviation, a learner's likely slip).

    >>> import pandas as pd
    >>> live = pd.DataFrame({"method": ["lora", "lora", "full", "full"], "rank": [4, 4, 0, 0], "batch_size": 8,
    ...                      "lr": 1e-3, "seed": [0, 1, 0, 1], "accuracy": [0.6, 0.7, 0.8, 0.9]})
    >>> {m: (round(mean, 3), round(se, 3)) for m, (mean, se) in best_means(live)[8].items()}
    {'full': (0.85, 0.05), 'lora': (0.65, 0.05)}
    """
    best = {}
    for batch, rows in live.groupby("batch_size"):
        best[int(batch)] = {}
        for method in ("full", "lora"):
            settings = rows[rows["method"] == method].groupby(["rank", "lr"])["accuracy"].agg(["mean", stat])
            top = settings.loc[settings["mean"].idxmax()]                    # settings: one row per (rank, lr)
            best[int(batch)][method] = (float(top["mean"]), float(top[stat]))
    return best


def batch_gaps(live, stat="sem"):
    """Per batch size: full fine-tuning's best mean minus LoRA's (`best_means`), and the standard error of
    that difference, sqrt(se_full^2 + se_lora^2).

    >>> import pandas as pd
    >>> live = pd.DataFrame({"method": ["lora", "lora", "full", "full"], "rank": [4, 4, 0, 0], "batch_size": 8,
    ...                      "lr": 1e-3, "seed": [0, 1, 0, 1], "accuracy": [0.6, 0.7, 0.8, 0.9]})
    >>> {batch: (round(d, 3), round(se, 3)) for batch, (d, se) in batch_gaps(live).items()}
    {8: (0.2, 0.071)}
    """
    return {batch: (best["full"][0] - best["lora"][0], math.hypot(best["full"][1], best["lora"][1]))
            for batch, best in best_means(live, stat).items()}


def live_grid_problems(live):
    """What keeps a table from answering exercise 4 (an empty list: it can)."""
    if not hasattr(live, "columns") or not {"method", "rank", "batch_size", "lr", "accuracy"} <= set(live.columns):
        return ["give the table run_sweep returned (its method, rank, batch_size, lr and accuracy columns) first"]
    if not {"full", "lora"} <= set(live["method"]):
        return ['your table needs LoRA and full fine-tuning runs: keep baselines=["full"]']
    if live.groupby(["method", "rank", "batch_size", "lr"]).size().min() < 2:
        return ["run at least two seeds: a mean over one seed has no standard error"]
    return []


def check_4(live, gaps):
    """Exercise 4: from your rerun of section 6 at batch sizes 8 and 64 (`live`, the table run_sweep
    returned, with the full fine-tuning baseline and two seeds), for each batch size a tuple
    (difference, se, beyond): full fine-tuning's best mean accuracy minus LoRA's (each the best over the
    learning rates, and LoRA's over the ranks too if you ran several), the standard error of that
    difference, and whether the difference, either way, is more than two standard errors.

    >>> import pandas as pd
    >>> live = pd.DataFrame({"method": ["lora", "lora", "full", "full"], "rank": [4, 4, 0, 0], "batch_size": 8,
    ...                      "lr": 1e-3, "seed": [0, 1, 0, 1], "accuracy": [0.6, 0.7, 0.8, 0.9]})
    >>> check_4(live, {8: (-0.2, 0.0707, True)})
    Exercise 4: not yet: batch 8: the difference is upside down: full fine-tuning's best mean minus LoRA's.
    """
    problems = live_grid_problems(live)
    if problems:
        return verdict(4, problems)
    want, with_std, means = batch_gaps(live), batch_gaps(live, "std"), best_means(live)
    if not isinstance(gaps, dict) or set(gaps) != set(want):
        return verdict(4, [f"give a dict with one entry per batch size of your table ({sorted(want)})"])
    for batch, (difference, se) in want.items():
        answer = gaps[batch]
        if not isinstance(answer, (tuple, list)) or len(answer) != 3:
            problems.append(f"batch {batch}: give (difference, standard error, True or False)")
            continue
        their_difference, their_se, beyond = answer
        if not close(their_difference, difference, abs_=0.001):
            problems.append(f"batch {batch}: the difference is upside down: full fine-tuning's best mean minus LoRA's"
                            if close(their_difference, -difference, abs_=0.001) else
                            f"batch {batch}: take each method's best mean over the learning rates at this batch size")
        if not close(their_se, se, abs_=0.001):
            if close(their_se, with_std[batch][1], abs_=0.001):
                problems.append(f"batch {batch}: a mean's standard error is the standard deviation over its seeds "
                                f"divided by the square root of their number")
            elif close(their_se, means[batch]["full"][1] + means[batch]["lora"][1], abs_=0.001):
                problems.append(f"batch {batch}: the variances of the two means add, not their standard errors")
            else:
                problems.append(f"batch {batch}: the standard error of a difference is sqrt(se_full^2 + se_lora^2), "
                                f"each that of the best mean")
        if not isinstance(beyond, (bool, np.bool_)):                 # numpy's bool: a comparison of pandas values
            problems.append(f"batch {batch}: say True or False for 'more than two standard errors'")
        elif beyond != (abs(difference) > 2 * se):
            problems.append(f"batch {batch}: compare the size of the difference with two standard errors again")
    return verdict(4, problems)


def question_1(choice):
    """Question 1: at learning rate 1e-3 and a fixed lora_alpha, under which scaling was rank 32 clearly
    better than rank 4 in section 3's table? "a": alpha/r (LoRA's), "b": alpha/sqrt(r) (rsLoRA's).

    >>> question_1("a")
    Question 1: not yet: under alpha/r both ranks get the same s r lr = alpha lr; read the two alpha/r columns at 1e-3 in section 3's table.
    """
    if choice not in ("a", "b"):
        return question(1, ['answer "a" or "b"'])
    return question(1, ["under alpha/r both ranks get the same s r lr = alpha lr; read the two alpha/r columns at "
                        "1e-3 in section 3's table"] if choice == "a" else [])


def question_2(steps):
    """Question 2: how many optimizer steps does one run of section 6's live grid take in full mode (400
    reviews, one epoch, sentiment's default batch size), an int?

    >>> question_2(12)
    Question 2: not yet: the last 16 reviews make a shorter batch, which is a step too.
    """
    from ..config import TrainConfig
    batch = TrainConfig(task="sentiment").resolved().batch_size       # sentiment's default batch size
    if not isinstance(steps, int) or isinstance(steps, bool):
        return question(2, ["give a whole number (an int)"])
    if steps == LIVE_EXAMPLES // batch and LIVE_EXAMPLES % batch:
        return question(2, [f"the last {LIVE_EXAMPLES % batch} reviews make a shorter batch, which is a step too"])
    if steps == math.ceil(LIVE_EXAMPLES / 16):
        return question(2, ["that is batch 16's count, the shipped grid's batch: the live grid trains at "
                            "sentiment's default batch size"])
    if steps == math.ceil(1000 / 16):
        return question(2, ["that is the shipped grid's run (1,000 reviews at batch 16): the live grid trains on 400"])
    return question(2, [] if steps == math.ceil(LIVE_EXAMPLES / batch) else
                    ["divide the 400 reviews by the batch size and round up"])


def question_3(trusted):
    """Question 3: full fine-tuning's best learning rate in the short live grid was 1e-3, where the shipped
    grid's longer runs were at chance: can a best learning rate found on a short run be trusted for a
    longer one (True or False)?

    >>> question_3(True)
    Question 3: not yet: the same rate learned in the live grid's short runs and collapsed in the shipped grid's longer ones: the best lr depends on the budget it was found with.
    """
    if not isinstance(trusted, bool):
        return question(3, ["answer True or False"])
    return question(3, ["the same rate learned in the live grid's short runs and collapsed in the shipped grid's "
                        "longer ones: the best lr depends on the budget it was found with"] if trusted else [])
