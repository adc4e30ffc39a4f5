"""The checkers of lesson 12 accept the solutions' answers and reject wrong ones."""
from lorakit.exercises import nb12
from lorakit.tasks import SentimentTask


def test_check_1_a_new_wording():
    assert nb12.check_1("How does the writer feel, positive or negative?\n\n$text")
    assert not nb12.check_1(SentimentTask.chat_instructions[0])        # a training wording
    assert not nb12.check_1("How does the writer feel?")                # no place for the review
    assert not nb12.check_1(None)


def test_check_2_prompt_lengths():
    right = {k: nb12.prompt_tokens(k) for k in (0, 1, 3, 5)}
    assert nb12.check_2(right)
    assert not nb12.check_2({**right, 1: right[1] - 1})
    assert "template markers" in str(nb12.check_2({**right, 1: right[1] - 1}))
    assert "longer prompt" in str(nb12.check_2({**right, 0: right[3], 3: right[0]}))


def test_check_2_asks_for_every_shot_count():
    right = {k: nb12.prompt_tokens(k) for k in (0, 1, 3, 5)}
    assert "0, 1, 3 and 5" in str(nb12.check_2({k: right[k] for k in (0, 1, 3)}))
    assert not nb12.check_2({})
    assert not nb12.check_2([right[k] for k in (0, 1, 3, 5)])


def test_question_1_which_tokens_are_scored():
    assert nb12.question_1(dict(nb12.SCORED))
    stops = {**nb12.SCORED, "the <|im_end|> after the reply": False}
    assert "learns to stop" in str(nb12.question_1(stops))
    newline = {**nb12.SCORED, "the newline after that <|im_end|>": True}
    assert "-100" in str(nb12.question_1(newline))
    assert "never written" in str(nb12.question_1({**nb12.SCORED, "<|im_start|>assistant and its newline": True}))
    assert "exactly the parts" in str(nb12.question_1({"the reply": True}))


def test_question_2_masked_and_unmasked_loss():
    assert nb12.question_2(0.5, 2.75)
    assert "each group's mean" in str(nb12.question_2(0.5, 1.75))
    assert "scored tokens only" in str(nb12.question_2(2.75, 2.75))
    assert "2.75" not in str(nb12.question_2(0.5, 2.0))


def test_question_3_padding_share():
    assert nb12.question_3(0.5)
    assert "not over the real tokens" in str(nb12.question_3(1.0))
    assert "longest conversation" in str(nb12.question_3(0.25))
