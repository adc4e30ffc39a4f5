"""The checkers of lesson 12 accept the solutions' answers and reject wrong ones."""
from lorakit.exercises import nb12
from lorakit.tasks import SentimentTask


def test_check_1_a_new_wording():
    assert nb12.check_1("How does the writer feel, positive or negative?\n\n$text")
    assert not nb12.check_1(SentimentTask.chat_instructions[0])        # a training wording
    assert not nb12.check_1("How does the writer feel?")                # no place for the review
    assert not nb12.check_1(None)


def test_check_2_prompt_lengths():
    right = {k: nb12.prompt_tokens(k) for k in (0, 1, 3)}
    assert nb12.check_2(right)
    assert not nb12.check_2({0: right[0], 1: right[1] - 1, 3: right[3]})
    assert "template markers" in str(nb12.check_2({0: right[0], 1: right[1] - 1, 3: right[3]}))
    assert "longer prompt" in str(nb12.check_2({0: right[3], 3: right[0]}))
