"""The checkers of lesson 16 accept the solutions' answers and reject wrong ones."""
import math

from lorakit.exercises import nb16
from lorakit.variants import pissa_nf4_error


def test_check_1_bits_per_weight():
    right = {(32, False): 5.0, (32, True): 4 + 8 / 32 + 32 / (32 * 256),
             (128, False): 4.25, (128, True): 4 + 8 / 128 + 32 / (128 * 256)}
    assert nb16.check_1(right)
    no_second_level = {**right, (128, True): 4 + 8 / 128}
    verdict = nb16.check_1(no_second_level)
    assert not verdict and "its own fp32 constant" in str(verdict)
    assert not nb16.check_1({(32, False): 5.0})
    assert "4.0" not in str(nb16.check_1({k: 4.0 for k in right}))  # the answer is not given away


def test_check_2_dora_parameters():
    assert nb16.check_2(12 * 384)
    assert not nb16.check_2(384) and not nb16.check_2(12 * 384 * 8) and not nb16.check_2(0)


def test_check_3_alpha():
    assert nb16.check_3(128) and nb16.check_3(16 * math.sqrt(64))
    for wrong in (16, 64, 1024, 0, "128"):
        assert not nb16.check_3(wrong)


def test_check_4_pissa_errors():
    weight = nb16._query_weight()
    right = {r: pissa_nf4_error(weight, r) for r in (1, 8, 32, 128)}
    assert all(right[a] > right[b] for a, b in [(1, 8), (8, 32), (32, 128)])
    assert nb16.check_4(right)
    plain = {r: right[1] * 1.2 for r in right}           # the error of W0 itself, at every rank
    assert not nb16.check_4(plain)
    assert not nb16.check_4({1: right[1]})
