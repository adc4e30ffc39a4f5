"""The checkers of lesson 11 accept the solutions' answers and reject wrong ones."""
from lorakit.exercises import nb11


def test_check_1_reply_parsing():
    tokens = "Maria Lopez flew from Lima to Paris .".split()
    right = {'{"PER": ["Maria Lopez"], "LOC": ["Lima", "Paris"]}':
             ["B-PER", "I-PER", "O", "O", "B-LOC", "O", "B-LOC", "O"],
             '{"LOC": "Lima"}': None, '{"DATE": ["May"]}': ["O"] * 8}
    assert nb11.check_1(tokens, right)
    assert not nb11.check_1(tokens, {'{"LOC": "Lima"}': ["O", "O", "O", "O", "B-LOC", "O", "O", "O"]})
    assert "does not parse" in str(nb11.check_1(tokens, {'{"LOC": "Lima"}': ["O"] * 8}))
    assert "parses" in str(nb11.check_1(tokens, {'{"DATE": ["May"]}': None}))
    assert "dropped" in str(nb11.check_1(tokens, {'{"LOC": ["Paris", "Paris"]}': ["O"] * 6 + ["B-LOC", "B-LOC"]}))
    assert not nb11.check_1(tokens, {})
    assert not nb11.check_1(tokens, None)


def test_check_2_the_template_by_hand():
    right, question = nb11.sentiment_prompt()
    assert nb11.check_2(right)
    system_turn = right[:right.index("<|im_start|>user")]
    assert "system turn" in str(nb11.check_2(right[len(system_turn):]))              # no system turn
    assert "generation prompt" in str(nb11.check_2(right[:-len("<|im_start|>assistant\n")]))
    assert "canonical instruction" in str(nb11.check_2(right.replace(question, "Positive or negative?")))
    assert "turn by turn" in str(nb11.check_2(right.replace("<|im_end|>\n<|im_start|>user", "<|im_end|><|im_start|>user")))
    assert not nb11.check_2(right + "positive")                                      # the reply is not the prompt
    assert not nb11.check_2(None)


def test_question_1_the_turns_of_a_zero_shot_prompt():
    assert nb11.question_1(["system", "user", "assistant"])
    assert "system turn" in str(nb11.question_1(["user", "assistant"]))
    assert "generation prompt" in str(nb11.question_1(["system", "user"]))
    assert "one user turn" in str(nb11.question_1(["system", "user", "user", "assistant"]))
    assert not nb11.question_1("system user assistant")


def test_question_2_why_the_bare_reply_is_empty():
    assert nb11.question_2("b") and nb11.question_2(" B ")
    assert "can answer it" in str(nb11.question_2("a"))
    assert "first token" in str(nb11.question_2("c"))
    assert "one letter" in str(nb11.question_2("d"))


def test_question_3_what_the_shots_cost():
    extra = nb11.prompt_tokens(3) - nb11.prompt_tokens(0)
    assert extra > 0 and nb11.question_3(extra)
    assert "whole 3-shot prompt" in str(nb11.question_3(nb11.prompt_tokens(3)))
    assert "subtract" in str(nb11.question_3(extra + 1))
    assert str(extra) not in str(nb11.question_3(extra + 1))                   # never the expected value
    assert not nb11.question_3(float(extra))
