"""The exercise checkers of lesson 09: each accepts the solution's answer and rejects plausible wrong ones.

The answers are the ones solutions/09_*.py computes (that script also asserts that the checkers accept them).
"""
import math

import numpy as np
import pandas as pd

from lorakit.exercises import nb09
from lorakit.hyper import best_lrs, bundled_grid


def test_09_1_best_learning_rates_and_their_ratio():
    grid = bundled_grid()
    plain = grid[(grid["batch_size"] == 16) & (grid["use_rslora"] == 0) & grid["target_modules"].isin(["query,value", ""])]
    best = best_lrs(plain, "accuracy")
    lora, full = best["LoRA r=4"], best["full fine-tuning"]
    assert nb09.check_1(lora, full, lora / full)
    assert not nb09.check_1(lora, full, full / lora)                       # upside down
    assert "upside down" in str(nb09.check_1(lora, full, full / lora))
    assert not nb09.check_1(lora * 3, full, lora * 3 / full)                # a neighbouring lr
    assert not nb09.check_1(lora, full * 3, lora / full / 3)


def test_09_2_rslora_factor():
    assert nb09.check_2(math.sqrt(32), 1 / math.sqrt(32))
    assert not nb09.check_2(32, 1 / math.sqrt(32))                          # r, not sqrt(r)
    assert not nb09.check_2(math.sqrt(32), math.sqrt(32))                   # the lr grows
    assert not nb09.check_2(math.sqrt(32), 1 / 32)


def test_09_3_weights_of_each_target_set():
    right = {"query,value": 36864, "mlp": 46080, "all-linear": 42240}
    assert nb09.check_3(right)
    assert not nb09.check_3({**right, "mlp": 23040})                       # one factor only
    assert not nb09.check_3({**right, "all-linear": 6 * 4 * 768})           # attention only
    assert not nb09.check_3({**right, "all-linear": 41472})                 # the pooler forgotten
    assert not nb09.check_3([36864, 46080, 41472])


def live_table():
    """A live grid as run_sweep returns it: batch 8 and 64, two learning rates, two seeds, LoRA and full."""
    rows = []
    accuracy = {("lora", 8, 1e-3): (0.60, 0.66), ("lora", 8, 1e-2): (0.74, 0.80),
                ("full", 8, 1e-3): (0.82, 0.86), ("full", 8, 1e-2): (0.50, 0.52),
                ("lora", 64, 1e-3): (0.50, 0.54), ("lora", 64, 1e-2): (0.57, 0.61),
                ("full", 64, 1e-3): (0.70, 0.78), ("full", 64, 1e-2): (0.50, 0.50)}
    for (method, batch, lr), scores in accuracy.items():
        for seed, score in enumerate(scores):
            rows.append({"method": method, "rank": 4 if method == "lora" else 0, "seed": seed, "lr": lr,
                         "batch_size": batch, "accuracy": score})
    return pd.DataFrame(rows)


def test_09_4_gaps_read_from_the_learners_own_table():
    live = live_table()
    # by hand: batch 8: full 0.84 (1e-3) - LoRA 0.77 (1e-2); batch 64: full 0.74 (1e-3) - LoRA 0.59 (1e-2)
    se = {8: math.hypot(0.02, 0.03), 64: math.hypot(0.04, 0.02)}                # sem of two seeds: |a - b| / 2
    right = {8: (0.07, se[8], False), 64: (0.15, se[64], True)}   # 0.07 < 2 x 0.036; 0.15 > 2 x 0.045
    assert nb09.check_4(live, right)
    assert not nb09.check_4(live, {**right, 8: (0.07, se[8], True)})           # within two standard errors
    assert "upside down" in str(nb09.check_4(live, {**right, 64: (-0.15, se[64], True)}))
    assert not nb09.check_4(live, {**right, 8: (0.84 - 0.63, se[8], False)})   # LoRA's mean at full's best lr
    std = {b: math.hypot(*(x * math.sqrt(2) for x in pair)) for b, pair in {8: (0.02, 0.03), 64: (0.04, 0.02)}.items()}
    assert "square root" in str(nb09.check_4(live, {**right, 8: (0.07, std[8], False)}))  # std, not sem
    assert "variances" in str(nb09.check_4(live, {**right, 64: (0.15, 0.06, True)}))     # se_full + se_lora
    assert not nb09.check_4(live, {8: right[8]})                                # a batch size missing
    assert not nb09.check_4(live, {8: right[8][:2], 64: right[64]})             # no True / False
    assert "two seeds" in str(nb09.check_4(live[live["seed"] == 0], right))     # one seed: no standard error
    assert "baselines" in str(nb09.check_4(live[live["method"] == "lora"], right))
    assert not nb09.check_4(right, right)                                       # not a table
    numpy_bools = {b: (d, se, np.bool_(beyond)) for b, (d, se, beyond) in right.items()}
    assert nb09.check_4(live, numpy_bools)                                      # a comparison of pandas values
    assert not nb09.check_4(live, {**right, 8: (0.07, se[8], "no")})


def test_09_4_batch_gaps_against_pandas():
    live = live_table()
    gaps = nb09.batch_gaps(live)
    full8 = live[(live["method"] == "full") & (live["batch_size"] == 8) & (live["lr"] == 1e-3)]["accuracy"]
    lora8 = live[(live["method"] == "lora") & (live["batch_size"] == 8) & (live["lr"] == 1e-2)]["accuracy"]
    assert math.isclose(gaps[8][0], full8.mean() - lora8.mean())
    assert math.isclose(gaps[8][1], math.hypot(full8.sem(), lora8.sem()))


def test_09_4_ranks_are_not_mixed():
    live = live_table()
    rank32 = pd.DataFrame({"method": "lora", "rank": 32, "seed": [0, 1], "lr": 1e-2, "batch_size": 8,
                           "accuracy": [0.90, 0.92]})
    gaps = nb09.batch_gaps(pd.concat([live, rank32], ignore_index=True))
    assert math.isclose(gaps[8][0], 0.84 - 0.91) and math.isclose(gaps[8][1], math.hypot(0.02, 0.01))


def test_09_questions():
    assert nb09.question_1("b") and not nb09.question_1("a") and not nb09.question_1(2)
    assert nb09.question_2(13) and not nb09.question_2(12) and not nb09.question_2(13.0)
    assert not nb09.question_2(25) and not nb09.question_2(63) and not nb09.question_2(400)
    assert nb09.question_3(False) and not nb09.question_3(True) and not nb09.question_3("no")
