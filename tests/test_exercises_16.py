"""The checkers of lesson 16 accept the solutions' answers and reject wrong ones."""
import math

from lorakit.exercises import nb16
from lorakit.variants import pissa_nf4_error


def test_check_1_dora_parameters():
    assert nb16.check_1(12 * 384)
    assert not nb16.check_1(384) and not nb16.check_1(12 * 384 * 8) and not nb16.check_1(0)


def test_check_2_alpha():
    assert nb16.check_2(128, True) and nb16.check_2(16 * math.sqrt(64), True)
    for wrong in (16, 64, 1024, 0, "128"):
        assert not nb16.check_2(wrong, True)
    assert "sqrt(r)" in str(nb16.check_2(16, True))
    verdict = nb16.check_2(128, False)                   # the right alpha, but not the right conclusion
    assert not verdict and "same_run" in str(verdict)
    assert not nb16.check_2(128, "yes")


def test_check_3_pissa_errors():
    weight = nb16._query_weight()
    right = {r: pissa_nf4_error(weight, r) for r in (1, 8, 32, 128, 384)}
    assert all(right[a] > right[b] for a, b in [(1, 8), (8, 32), (32, 128), (128, 384)])
    assert nb16.check_3(right)
    plain = {r: right[1] * 1.2 for r in right}           # the error of W0 itself, at every rank
    assert not nb16.check_3(plain)
    assert not nb16.check_3({1: right[1]})
    verdict = nb16.check_3({**right, 384: right[128]})   # no fall to zero at full rank
    assert not verdict and "r=384" in str(verdict)


def test_question_1_dora_magnitude_at_the_start():
    assert nb16.question_1([5.0, 2.0])
    for wrong, hint in [([3.0, math.sqrt(20)], "not of each column"), ([1.0, 1.0], "unit direction"),
                        ([25.0, 4.0], "not its square"), ([5.0], "two numbers")]:
        verdict = nb16.question_1(wrong)
        assert not verdict and hint in str(verdict) and "5" not in str(verdict), (wrong, str(verdict))


def test_question_2_loraplus_learning_rates():
    assert nb16.question_2({"lora_A": 2e-3, "lora_B": 0.032})
    verdict = nb16.question_2({"lora_A": 0.032, "lora_B": 2e-3})
    assert not verdict and "starts at zero" in str(verdict)
    verdict = nb16.question_2({"lora_A": 0.032, "lora_B": 0.032})
    assert not verdict and "lora_A" in str(verdict) and "0.032" not in str(verdict)
    assert not nb16.question_2({"lora_B": 0.032})


def test_question_3_pissa_residual():
    assert nb16.question_3([[0.0, 0.0], [0.0, 1.0]])
    for wrong, hint in [([[3.0, 0.0], [0.0, 0.0]], "principal part"), ([[3.0, 0.0], [0.0, 1.0]], "W0 itself"),
                        ([[1.0, 0.0], [0.0, 0.0]], "top-1"), ([1.0, 0.0], "2 x 2")]:
        verdict = nb16.question_3(wrong)
        assert not verdict and hint in str(verdict), (wrong, str(verdict))
