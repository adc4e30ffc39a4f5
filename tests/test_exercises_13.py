"""The checkers of lesson 13 accept the solutions' answers and reject wrong ones."""
from lorakit.exercises import nb13


def test_check_1_trainable_parameters():
    right = {2: 407_040, 32: 6_512_640}
    assert right[2] * 8 == 3_256_320                                    # the default r=16 run's count
    assert nb13.check_1(right)
    assert "linear in r" in str(nb13.check_1({2: 407_040, 32: 2 * 6_512_640}))
    all_blocks = {2: 610_560, 32: 9_768_960}                            # every Linear of all 30 blocks
    assert "top two thirds" in str(nb13.check_1(all_blocks))
    with_head = {r: n + r * (576 + 49152) for r, n in right.items()}
    assert "tied" in str(nb13.check_1(with_head))
    assert not nb13.check_1({2: 610_560})
    assert not nb13.check_1(None)


def test_check_2_what_counts_as_right():
    right = {"Paris.": True, "paris": True, "It is either Lyon or Paris.": True, "Paris-Orly": True,
             "Parisian cafés": False, "The City of Light.": False}
    assert nb13.check_2(right)
    assert "anywhere in the reply" in str(nb13.check_2({"It is either Lyon or Paris.": False}))
    assert "in any case" in str(nb13.check_2({"paris": False}))
    assert "whole words" in str(nb13.check_2({"Parisian cafés": True}))
    assert "meaning" in str(nb13.check_2({"The City of Light.": True}))
    assert not nb13.check_2({"Paris": "yes"})
    assert not nb13.check_2({})


def test_question_1_the_dial_factor():
    assert nb13.question_1(0.625) and nb13.question_1(5 / 8)
    assert "already holds" in str(nb13.question_1(0.5))
    assert "which factor" in str(nb13.question_1(0.4))
    assert "0.625" not in str(nb13.question_1(0.4))


def test_question_2_replayed_rows_and_their_share():
    assert nb13.question_2(72, 72 / 312)
    assert "share of the mixed set is smaller" in str(nb13.question_2(72, 0.3))
    assert "for every task row" in str(nb13.question_2(103, 0.3))     # 0.3 of the mixed set
    assert "over all the rows" in str(nb13.question_2(72, 0.5))


def test_question_3_what_one_short_run_shows():
    assert nb13.question_3("b")
    assert "best learning rate" in str(nb13.question_3("a"))
    assert "one learning rate" in str(nb13.question_3("c"))
    assert "one letter" in str(nb13.question_3(2))
