"""The exercise checkers of lesson 08: each accepts the solution's answer and rejects wrong ones.

The answers are the ones solutions/08_*.py computes (that script also asserts that the checkers accept them).
"""
import math

import numpy as np
import pytest

from lorakit.exercises import nb08
from lorakit.sweep import bundled_results, summarize


@pytest.fixture(scope="module")
def lora():
    summary = summarize(bundled_results("sentiment"), "accuracy")
    return summary[summary["method"] == "lora"].set_index("rank")


def standard_error(lora, low):
    a, b = lora.loc[low], lora.loc[32]
    return math.sqrt(a["std"] ** 2 / a["count"] + b["std"] ** 2 / b["count"])


def test_08_1_smallest_rank_within_a_point(lora):
    full = nb08.full_params()
    best = lora["mean"].max()
    enough = min(r for r in lora.index if lora.loc[r, "mean"] >= best - 0.01)
    share = lora.loc[enough, "trainable_params"] / full
    assert nb08.check_1(enough, share)
    assert not nb08.check_1(32, lora.loc[32, "trainable_params"] / full)       # best, not smallest
    assert not nb08.check_1(1, lora.loc[1, "trainable_params"] / full)         # more than a point below
    assert not nb08.check_1(enough, 100 * share)                               # a percentage
    assert "percentage" in str(nb08.check_1(enough, 100 * share))
    assert not nb08.check_1(enough, lora.loc[enough, "trainable_params"])       # a count, not a fraction


def test_08_2_slope_and_intercept(lora):
    slope, intercept = np.polyfit(lora.index.to_numpy(float), lora["trainable_params"].to_numpy(float), 1)
    assert nb08.check_2(slope, intercept)
    assert not nb08.check_2(slope / 2, intercept)              # one factor, or one layer per block
    assert not nb08.check_2(slope, 768)                        # the head without its biases
    assert not nb08.check_2(384 * 384, intercept)


def test_08_3_standard_errors(lora):
    se_1, se_4 = standard_error(lora, 1), standard_error(lora, 4)
    beats_1 = bool(lora.loc[32, "mean"] - lora.loc[1, "mean"] > 2 * se_1)
    beats_4 = bool(lora.loc[32, "mean"] - lora.loc[4, "mean"] > 2 * se_4)
    assert nb08.check_3(se_1, se_4, beats_1, beats_4)
    assert not nb08.check_3(lora.loc[1, "std"], se_4, beats_1, beats_4)        # a std, not an error
    assert not nb08.check_3(se_1, se_4 * math.sqrt(3), beats_1, beats_4)       # no 1/sqrt(n)
    assert not nb08.check_3(se_1, se_4, not beats_1, beats_4)
    assert not nb08.check_3(se_1, se_4, beats_1, not beats_4)
    assert str(se_1)[:5] not in str(nb08.check_3(0.5, se_4, beats_1, beats_4))  # never tells the value


def test_08_4_rslora_ratios():
    ratios = {r: (16 / math.sqrt(r)) / (16 / r) for r in (1, 4, 16)}
    assert nb08.check_4(ratios, 16)
    assert not nb08.check_4({r: 1 / v for r, v in ratios.items()}, 16)        # upside down
    assert not nb08.check_4(ratios, 1)
    assert not nb08.check_4([1, 2, 4], 16)


def test_08_4_needs_every_live_rank():
    assert not nb08.check_4({4: 2.0}, 4)                                      # one rank only
    assert "1, 4 and 16" in str(nb08.check_4({4: 2.0}, 4))


def test_08_questions():
    assert nb08.question_1(False)
    assert not nb08.question_1(True) and "spread between seeds" in str(nb08.question_1(True))
    assert nb08.question_2(16 * (384 + 384))
    assert not nb08.question_2(16 * 384) and "both factors" in str(nb08.question_2(16 * 384))
    assert not nb08.question_2(384 * 384) and "freezes" in str(nb08.question_2(384 * 384))
    assert nb08.question_3("b")
    assert not nb08.question_3("a") and "optimizer" in str(nb08.question_3("a"))
    assert "12288" not in str(nb08.question_2(1)) and "12,288" not in str(nb08.question_2(1))
