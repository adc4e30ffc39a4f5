"""The checkers of lesson 16 accept the solutions' answers and reject wrong ones."""
import math

from lorakit.exercises import nb16
from lorakit.variants import pissa_nf4_error


def test_check_1_dora_parameters():
    assert nb16.check_1(12 * 384)
    assert not nb16.check_1(384) and not nb16.check_1(12 * 384 * 8) and not nb16.check_1(0)


def test_check_2_alpha():
    assert nb16.check_2(128) and nb16.check_2(16 * math.sqrt(64))
    for wrong in (16, 64, 1024, 0, "128"):
        assert not nb16.check_2(wrong)


def test_check_3_pissa_errors():
    weight = nb16._query_weight()
    right = {r: pissa_nf4_error(weight, r) for r in (1, 8, 32, 128)}
    assert all(right[a] > right[b] for a, b in [(1, 8), (8, 32), (32, 128)])
    assert nb16.check_3(right)
    plain = {r: right[1] * 1.2 for r in right}           # the error of W0 itself, at every rank
    assert not nb16.check_3(plain)
    assert not nb16.check_3({1: right[1]})
