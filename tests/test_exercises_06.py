"""The exercise checkers of lesson 06: each accepts the solution's answer and rejects wrong ones.

The answers are the ones solutions/06_*.py computes (that script also asserts that the checkers accept them).
"""
import numpy as np

from lorakit.exercises import nb06
from lorakit.models import load_tokenizer
from lorakit.tasks import NER_TAGS
from lorakit.tasks.ner import align_labels_with_tokens, continuation_labels


TAG = {name: i for i, name in enumerate(NER_TAGS)}


def test_06_1_alignment_with_all_tokens():
    words = ["Florencia", "Medina", "(", "Uzbekistan", ")"]
    tags = [TAG[t] for t in ["B-PER", "I-PER", "O", "B-LOC", "O"]]
    word_ids = load_tokenizer()(words, is_split_into_words=True).word_ids()
    right = align_labels_with_tokens(word_ids, tags, True, continuation_labels(NER_TAGS))  # the solution's, checked there
    assert nb06.check_1(right, word_ids, tags)
    first_only = [label if word is None or word != prev else -100            # the notebook's default rule
                  for label, word, prev in zip(right, word_ids, [None] + word_ids[:-1])]
    assert first_only != right and not nb06.check_1(first_only, word_ids, tags)
    b_kept = [tags[w] if w is not None else -100 for w in word_ids]          # B-X copied onto later pieces
    v = nb06.check_1(b_kept, word_ids, tags)
    assert not v and "I-X" in str(v)
    assert not nb06.check_1(right[:-1], word_ids, tags)


GOLD2 = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "I-ORG", "O", "B-MISC"], ["O", "B-PER", "O", "O"]]
PRED2 = [["B-PER", "I-PER", "O", "B-ORG"], ["B-ORG", "O", "O", "B-MISC"], ["O", "B-PER", "B-LOC", "O"]]


def test_06_2_entity_scores_by_hand():
    p, r = 3 / 6, 3 / 5
    assert nb06.check_2(GOLD2, PRED2, p, r, 2 * p * r / (p + r))
    assert not nb06.check_2(GOLD2, PRED2, r, p, 2 * p * r / (p + r))        # precision and recall swapped
    token_p = 9 / 12                                                          # a token count, not entities
    assert not nb06.check_2(GOLD2, PRED2, token_p, token_p, token_p)
    v = nb06.check_2(GOLD2, PRED2, 50, 60, 100 * 2 * p * r / (p + r))
    assert not v and "fractions" in str(v)


def test_06_3_default_against_strict_mode():
    assert nb06.check_3([["B-PER", "I-PER", "O"]], [["I-PER", "I-PER", "O"]])
    assert not nb06.check_3([["B-PER", "I-PER", "O"]], [["B-PER", "I-PER", "O"]])
    assert not nb06.check_3([["B-PER", "I-PER", "O"]], [["B-LOC", "I-LOC", "O"]])


def test_06_4_zero_f1_with_most_tokens_right():
    gold = [[TAG[t] for t in ["B-PER", "I-PER", "O", "B-LOC", "O"]], [TAG["B-ORG"], TAG["O"]]]
    best = [["B-PER", "O", "O", "B-MISC", "O"], ["B-LOC", "O"]]     # one wrong token per entity
    assert nb06.check_4(gold, best, 4 / 7)
    assert not nb06.check_4(gold, best, 5 / 7)                         # misreported accuracy
    all_o = [["O"] * 5, ["O"] * 2]
    v = nb06.check_4(gold, all_o, 3 / 7)                               # F1 0, but 3 of 7 where 4 are possible
    assert not v and "more tokens" in str(v)
    assert not nb06.check_4(gold, [["B-PER", "I-PER", "O", "O", "O"], ["O", "O"]], 5 / 7)   # PER still right


def test_06_5_all_linear_parameter_count():
    assert nb06.check_5(335_241)
    assert not nb06.check_5(77_193)                                   # query and value only
    assert not nb06.check_5(335_241 - (384 * 9 + 9))                  # head forgotten
    assert not nb06.check_5(335_241 + 1)


def test_06_question_1_labels_of_sub_word_tokens():
    assert nb06.question_1(align_labels_with_tokens(nb06.Q1_WORD_IDS, nb06.Q1_TAGS))
    assert nb06.question_1([-100, 1, 2, -100, 0, -100])
    v = nb06.question_1([-100, 1, 2, 2, 0, -100])                         # the later piece labelled too
    assert not v and "token 3 (##lace)" in str(v) and "later piece" in str(v)
    v = nb06.question_1([0, 1, 2, -100, 0, 0])                            # [CLS] and [SEP] labelled O
    assert not v and "belongs to no word" in str(v)
    assert "one label per token" in str(nb06.question_1([1, 2, 0]))       # one label per word


def test_06_question_2_entity_f1_against_token_accuracy():
    assert nb06.question_2(0.5, 0.75)
    v = nb06.question_2(0.75, 0.75)                                       # F1 counted over tags
    assert not v and "whole entities" in str(v) and "accuracy" not in str(v)
    v = nb06.question_2(0.5, 0.5)                                         # the O word forgotten
    assert not v and "O included" in str(v)


def test_06_question_3_padding_with_o():
    assert nb06.question_3("b")
    v = nb06.question_3("a")
    assert not v and "not the loss" in str(v)
    assert not nb06.question_3("c")


def test_06_questions_left_unanswered_say_so():
    for unanswered in (nb06.question_1(...), nb06.question_2(..., ...), nb06.question_2(0.5, ...),
                       nb06.question_3(...)):
        assert not unanswered and "not yet: replace" in str(unanswered) and "..." in str(unanswered)
