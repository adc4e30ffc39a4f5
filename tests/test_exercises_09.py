"""The exercise checkers of lesson 09: each accepts the solution's answer and rejects plausible wrong ones.

The answers are the ones solutions/09_*.py computes (that script also asserts that the checkers accept them).
"""
import math

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


def test_09_4_steps_per_batch_size():
    assert nb09.check_4({8: 125, 16: 63, 64: 16})
    assert not nb09.check_4({8: 125, 16: 62, 64: 15})                      # rounded down
    assert not nb09.check_4({8: 8000, 16: 16000, 64: 64000})


def test_09_questions():
    assert nb09.question_1("b") and not nb09.question_1("a") and not nb09.question_1(2)
    assert nb09.question_2(16) and not nb09.question_2(15) and not nb09.question_2(16.0)
    assert nb09.question_3(False) and not nb09.question_3(True) and not nb09.question_3("no")
