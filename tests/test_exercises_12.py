"""The checkers of lesson 12 accept the solutions' answers and reject wrong ones."""
from lorakit.exercises import nb12
from lorakit.tasks import SentimentTask


def test_check_1_a_new_wording():
    assert nb12.check_1("How does the writer feel, positive or negative?\n\n$text")
    assert not nb12.check_1(SentimentTask.chat_instructions[0])        # a training wording
    assert not nb12.check_1("How does the writer feel?")                # no place for the review
    assert not nb12.check_1(None)


def test_check_2_trainable_parameters():
    right = {2: 407_040, 32: 6_512_640}
    assert right[2] * 8 == 3_256_320                                    # the default r=16 run's count
    assert nb12.check_2(right)
    assert not nb12.check_2({2: 407_040, 32: 2 * 6_512_640})
    all_blocks = {2: 610_560, 32: 9_768_960}                            # every Linear of all 30 blocks
    assert "top two thirds" in str(nb12.check_2(all_blocks))
    with_head = {r: n + r * (576 + 49152) for r, n in right.items()}
    assert "tied" in str(nb12.check_2(with_head))
    assert not nb12.check_2({2: 610_560})


def test_check_3_reply_parsing():
    tokens = "Maria Lopez flew from Lima to Paris .".split()
    right = {'{"PER": ["Maria Lopez"], "LOC": ["Lima", "Paris"]}':
             ["B-PER", "I-PER", "O", "O", "B-LOC", "O", "B-LOC", "O"],
             '{"LOC": "Lima"}': None, '{"DATE": ["May"]}': ["O"] * 8}
    assert nb12.check_3(tokens, right)
    assert not nb12.check_3(tokens, {'{"LOC": "Lima"}': ["O", "O", "O", "O", "B-LOC", "O", "O", "O"]})
    assert not nb12.check_3(tokens, {'{"DATE": ["May"]}': None})
    assert not nb12.check_3(tokens, {'{"LOC": ["Paris", "Paris"]}': ["O"] * 6 + ["B-LOC", "B-LOC"]})


def test_check_4_prompt_lengths():
    right = {k: nb12.prompt_tokens(k) for k in (0, 1, 3)}
    assert nb12.check_4(right)
    assert not nb12.check_4({0: right[0], 1: right[1] - 1, 3: right[3]})
    assert not nb12.check_4({0: right[3], 3: right[0]})
