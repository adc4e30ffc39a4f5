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
