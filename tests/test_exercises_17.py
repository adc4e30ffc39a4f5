"""The checkers of lesson 17 accept the solutions' answers and reject plausible wrong ones."""
from lorakit.exercises import nb17


def test_check_1_merge_by_hand():
    assert nb17.check_1([[3.0, 4.0], [0.0, 1.0]])
    for wrong, hint in [([[1.0, 0.0], [0.0, 1.0]], "W0 alone"), ([[2.0, 2.0], [0.0, 1.0]], "scaled"),
                        ([[3.0, 0.0], [4.0, 1.0]], "orientation"), ([1.0, 2.0], "2 x 2")]:
        verdict = nb17.check_1(wrong)
        assert not verdict and hint in str(verdict), (wrong, str(verdict))


def test_check_2_dare_expected_value():
    assert nb17.check_2(0.3)
    for wrong, hint in [(1.5, "probability"), (0.06, "divided"), (0.0, "average")]:
        verdict = nb17.check_2(wrong)
        assert not verdict and hint in str(verdict)


def test_check_3_llama_cpp_name():
    assert nb17.check_3("blk.3.attn_q.weight")
    assert "attn_q" in str(nb17.check_3("blk.3.q_proj.weight"))
    assert not nb17.check_3("model.layers.3.attn_q.weight") and not nb17.check_3(3)


def test_question_1_ties():
    assert nb17.question_1([3.0, -3.0, 2.0, 0.0])
    assert "plain sum" in str(nb17.question_1([1.0, -4.0, 3.0, 0.75]))
    assert not nb17.question_1([3.0, -3.0, 2.0, 0.25]) and not nb17.question_1([3.0])


def test_question_2_memory():
    assert nb17.question_2(546, 1620)
    assert "whole copy" in str(nb17.question_2(546, 546))
    assert "shared weights once" in str(nb17.question_2(1620, 1620))
    assert not nb17.question_2(546, 1626)


def test_question_3_why_permute():
    assert nb17.question_3("b") and nb17.question_3(" B ")
    assert not nb17.question_3("a") and not nb17.question_3("c") and not nb17.question_3("d")
