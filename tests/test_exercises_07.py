"""The exercise checkers of lesson 07: each accepts the solution's answer and rejects wrong ones.

The answers are the ones solutions/07_*.py computes (that script also asserts that the checkers accept them).
"""
import itertools
import math

import numpy as np

from lorakit.data import load_task_data
from lorakit.exercises import nb07
from lorakit.models import load_tokenizer
from lorakit.tasks import NER_TAGS, best_span


TAG = {name: i for i, name in enumerate(NER_TAGS)}


QUESTIONS = [("Denver Broncos", ["Denver Broncos", "The Denver Broncos", "Broncos"]),
             ("the Broncos of Denver", ["Denver Broncos", "Broncos"]),
             ("Santa Clara, California", ["Levi's Stadium", "Santa Clara"]),
             ("February 7", ["February 7, 2016", "2016"])]


def test_07_1_scores_with_several_gold_answers():
    assert nb07.check_1(QUESTIONS, 25.0, 85.0)
    assert not nb07.check_1(QUESTIONS, 25.0, 67.5)       # the first gold answer only: 1, 0.8, 0, 0.8
    v = nb07.check_1(QUESTIONS, 0.25, 0.85)
    assert not v and "percent" in str(v)
    assert not nb07.check_1([(p, g[:1]) for p, g in QUESTIONS], 25.0, 85.0)    # no question has several answers


def test_07_2_number_of_windows():
    tokenizer = load_tokenizer()

    def n_windows(n, q, max_length, doc_stride):
        c = max_length - q - tokenizer.num_special_tokens_to_add(pair=True)
        return 1 if n <= c else 1 + math.ceil((n - c) / (c - doc_stride))

    def no_overlap(n, q, max_length, doc_stride):
        return math.ceil(n / (max_length - q - 3))

    assert nb07.check_2(n_windows)
    assert not nb07.check_2(no_overlap)
    assert not nb07.check_2(lambda n, q, max_length, doc_stride: 1 / 0)


def test_07_3_n_best_search():
    def n_best_spans(start_logits, end_logits, offsets, n_best=20, max_answer_length=30):
        # another right answer than the solution's: a loop over the candidate pairs
        top = lambda logits: set(np.argsort(-logits, kind="stable")[:n_best].tolist())
        spans = []
        for s, e in itertools.product(top(start_logits), top(end_logits)):
            if None not in (offsets[s], offsets[e]) and 0 <= e - s < max_answer_length:
                spans.append((float(start_logits[s] + end_logits[e]), s, e))
        spans.sort(key=lambda span: span[0], reverse=True)
        return spans

    def no_length_limit(start_logits, end_logits, offsets, n_best=20, max_answer_length=30):
        return n_best_spans(start_logits, end_logits, offsets, n_best, 10**6)

    def unsorted(*args):
        return n_best_spans(*args)[::-1]

    assert nb07.check_3(n_best_spans)
    assert not nb07.check_3(no_length_limit)
    assert not nb07.check_3(unsorted)
    # best_span agrees with the reference search on which the checker relies
    start, end, offsets = nb07.random_window(np.random.default_rng(1))
    assert math.isclose(n_best_spans(start, end, offsets)[0][0], best_span(start, end, offsets, 20, 30).score)


def test_07_4_answers_beyond_the_first_window():
    validation = load_task_data("qa", max_examples=100)["validation"]
    from lorakit.tasks import get_task
    features = get_task("qa", doc_stride=16, max_length=64).encode(validation, load_tokenizer(), train=False)
    first = {}
    for index, start in zip(features["example_index"], features["start_positions"]):
        first.setdefault(index, start)
    lost = sum(start == 0 for start in first.values())
    assert 0 < lost < len(validation)
    assert nb07.check_4(lost, validation)
    assert not nb07.check_4(0, validation)
    assert not nb07.check_4(lost + 1, validation)


def test_07_5_parameter_matched_rank():
    assert nb07.check_5(36)
    assert not nb07.check_5(8) and not nb07.check_5(35) and not nb07.check_5(37) and not nb07.check_5(0)


def test_07_question_1_window_size_and_step():
    assert nb07.question_1(64 - 12 - 3, 64 - 12 - 3 - 16)
    v = nb07.question_1(64 - 12, 16)                                      # special tokens forgotten, stride as step
    assert not v and "[CLS] and two [SEP]" in str(v) and "not how far" in str(v)
    v = nb07.question_1(49, 49)                                           # windows side by side
    assert not v and "overlap" in str(v)


def test_07_question_2_target_of_a_window_without_the_answer():
    assert nb07.question_2(0, 0)
    v = nb07.question_2(-100, -100)                                       # lesson 06's ignore label
    assert not v and "lesson 06" in str(v)
    assert not nb07.question_2(None, None)


def test_07_question_3_pairs_scored_by_the_n_best_search():
    assert nb07.question_3(400)
    v = nb07.question_3(20)
    assert not v and "paired with each" in str(v)
    assert not nb07.question_3(210)


def test_07_question_4_squad_scores_of_a_long_answer():
    p, r = 2 / 5, 1.0
    assert nb07.question_4(0, 2 * p * r / (p + r))
    v = nb07.question_4(0, p)                                             # the precision
    assert not v and "harmonic mean" in str(v)
    v = nb07.question_4(1, 100 * 2 * p * r / (p + r))                     # EM on the overlap, F1 in percent
    assert not v and "whole normalised strings" in str(v) and "fraction" in str(v)


def test_07_questions_left_unanswered_say_so():
    for unanswered in (nb07.question_1(..., ...), nb07.question_2(0, ...), nb07.question_3(...),
                       nb07.question_4(..., ...)):
        assert not unanswered and "not yet: replace" in str(unanswered) and "..." in str(unanswered)
