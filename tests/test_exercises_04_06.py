"""The exercise checkers of notebooks 04-06: each accepts the solution's answer and rejects wrong ones.

The answers are the ones solutions/04-06 compute (those scripts also assert that the checkers accept
them); nothing here trains a model.
"""
import itertools
import math

import numpy as np
import pytest
import torch

from lorakit.data import load_task_data
from lorakit.exercises import nb04, nb05, nb06
from lorakit.models import load_tokenizer
from lorakit.tasks import NER_TAGS, best_span
from lorakit.tasks.ner import align_labels_with_tokens, continuation_labels

TAG = {name: i for i, name in enumerate(NER_TAGS)}


# Notebook 04 -------------------------------------------------------------------------------------

def test_04_1_alignment_with_all_tokens():
    words = ["Florencia", "Medina", "(", "Uzbekistan", ")"]
    tags = [TAG[t] for t in ["B-PER", "I-PER", "O", "B-LOC", "O"]]
    word_ids = load_tokenizer()(words, is_split_into_words=True).word_ids()
    right = align_labels_with_tokens(word_ids, tags, True, continuation_labels(NER_TAGS))  # the solution's, checked there
    assert nb04.check_1(right, word_ids, tags)
    first_only = [label if word is None or word != prev else -100            # the notebook's default rule
                  for label, word, prev in zip(right, word_ids, [None] + word_ids[:-1])]
    assert first_only != right and not nb04.check_1(first_only, word_ids, tags)
    b_kept = [tags[w] if w is not None else -100 for w in word_ids]          # B-X copied onto later pieces
    v = nb04.check_1(b_kept, word_ids, tags)
    assert not v and "I-X" in str(v)
    assert not nb04.check_1(right[:-1], word_ids, tags)


GOLD2 = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "I-ORG", "O", "B-MISC"], ["O", "B-PER", "O", "O"]]
PRED2 = [["B-PER", "I-PER", "O", "B-ORG"], ["B-ORG", "O", "O", "B-MISC"], ["O", "B-PER", "B-LOC", "O"]]


def test_04_2_entity_scores_by_hand():
    p, r = 3 / 6, 3 / 5
    assert nb04.check_2(GOLD2, PRED2, p, r, 2 * p * r / (p + r))
    assert not nb04.check_2(GOLD2, PRED2, r, p, 2 * p * r / (p + r))        # precision and recall swapped
    token_p = 9 / 12                                                          # a token count, not entities
    assert not nb04.check_2(GOLD2, PRED2, token_p, token_p, token_p)
    v = nb04.check_2(GOLD2, PRED2, 50, 60, 100 * 2 * p * r / (p + r))
    assert not v and "fractions" in str(v)


def test_04_3_default_against_strict_mode():
    assert nb04.check_3([["B-PER", "I-PER", "O"]], [["I-PER", "I-PER", "O"]])
    assert not nb04.check_3([["B-PER", "I-PER", "O"]], [["B-PER", "I-PER", "O"]])
    assert not nb04.check_3([["B-PER", "I-PER", "O"]], [["B-LOC", "I-LOC", "O"]])


def test_04_4_zero_f1_with_most_tokens_right():
    gold = [[TAG[t] for t in ["B-PER", "I-PER", "O", "B-LOC", "O"]], [TAG["B-ORG"], TAG["O"]]]
    best = [["B-PER", "O", "O", "B-MISC", "O"], ["B-LOC", "O"]]     # one wrong token per entity
    assert nb04.check_4(gold, best, 4 / 7)
    assert not nb04.check_4(gold, best, 5 / 7)                         # misreported accuracy
    all_o = [["O"] * 5, ["O"] * 2]
    v = nb04.check_4(gold, all_o, 3 / 7)                               # F1 0, but 3 of 7 where 4 are possible
    assert not v and "more tokens" in str(v)
    assert not nb04.check_4(gold, [["B-PER", "I-PER", "O", "O", "O"], ["O", "O"]], 5 / 7)   # PER still right


def test_04_5_all_linear_parameter_count():
    assert nb04.check_5(335_241)
    assert not nb04.check_5(77_193)                                   # query and value only
    assert not nb04.check_5(335_241 - (384 * 9 + 9))                  # head forgotten
    assert not nb04.check_5(335_241 + 1)


# Notebook 05 -------------------------------------------------------------------------------------

def test_05_1_softmax_sigmoid_tanh():
    z = torch.randn(1000, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 3
    d = z[:, 1] - z[:, 0]
    share = (torch.tanh(d) < 0).double().mean().item()
    assert nb05.check_1(z, torch.softmax(z, dim=-1)[:, 1], share, (torch.tanh(d / 2) + 1) / 2)
    assert not nb05.check_1(z, torch.softmax(z, dim=-1)[:, 0], share, (torch.tanh(d / 2) + 1) / 2)
    assert not nb05.check_1(z, torch.sigmoid(d), 1 - share + 0.1, (torch.tanh(d / 2) + 1) / 2)
    assert not nb05.check_1(z, torch.sigmoid(d), share, torch.tanh(d))
    assert not nb05.check_1(z[:10], torch.sigmoid(d[:10]), share, (torch.tanh(d[:10] / 2) + 1) / 2)


@pytest.mark.parametrize("matrix", [[[40, 10], [30, 20]], [[95, 0], [5, 0]]])
def test_05_2_accuracy_and_macro_f1(matrix):
    (tn, fp), (fn, tp) = matrix
    accuracy = (tn + tp) / (tn + fp + fn + tp)
    macro = (2 * tp / (2 * tp + fp + fn) + 2 * tn / (2 * tn + fn + fp)) / 2
    assert nb05.check_2(matrix, accuracy, macro)
    assert not nb05.check_2(matrix, accuracy, accuracy)               # macro-F1 is not the accuracy here
    assert not nb05.check_2(matrix, tp / (tp + fn + 1e-9), macro)


def test_05_3_training_state():
    def mib(trainable, total):
        return 4 * (total + 3 * trainable) / 2**20
    big = 110_000_000
    minilm = {m: mib(*nb05.counts(m)) for m in ("full", "lora", "head")}
    large = {"full": mib(big, big), "lora": mib(0.003 * big, big), "head": mib(2 * 768 + 2, big)}
    assert nb05.check_3(minilm, large, {"lora", "head"})
    weights_only = {m: 4 * nb05.counts(m)[1] / 2**20 for m in minilm}       # gradients and moments forgotten
    assert not nb05.check_3(weights_only, large, {"lora", "head"})
    v = nb05.check_3({m: x * 2**20 / 1e6 for m, x in minilm.items()}, large, {"lora", "head"})
    assert not v and "MB" in str(v)
    assert not nb05.check_3(minilm, large, {"full"})


def test_05_4_one_learning_rate():
    assert nb05.check_4({1e-3: 0.93, 5e-5: 0.06}, one_lr_is_fair=False)
    assert not nb05.check_4({1e-3: 0.93, 5e-5: 0.06}, one_lr_is_fair=True)
    assert not nb05.check_4({1e-3: 0.93, 5e-5: 0.5}, one_lr_is_fair=False)
    assert not nb05.check_4({1e-3: 0.93}, one_lr_is_fair=False)


# Notebook 06 -------------------------------------------------------------------------------------

QUESTIONS = [("Denver Broncos", ["Denver Broncos", "The Denver Broncos", "Broncos"]),
             ("the Broncos of Denver", ["Denver Broncos", "Broncos"]),
             ("Santa Clara, California", ["Levi's Stadium", "Santa Clara"]),
             ("February 7", ["February 7, 2016", "2016"])]


def test_06_1_scores_with_several_gold_answers():
    assert nb06.check_1(QUESTIONS, 25.0, 85.0)
    assert not nb06.check_1(QUESTIONS, 25.0, 67.5)       # the first gold answer only: 1, 0.8, 0, 0.8
    v = nb06.check_1(QUESTIONS, 0.25, 0.85)
    assert not v and "percent" in str(v)
    assert not nb06.check_1([(p, g[:1]) for p, g in QUESTIONS], 25.0, 85.0)    # no question has several answers


def test_06_2_number_of_windows():
    tokenizer = load_tokenizer()

    def n_windows(n, q, max_length, doc_stride):
        c = max_length - q - tokenizer.num_special_tokens_to_add(pair=True)
        return 1 if n <= c else 1 + math.ceil((n - c) / (c - doc_stride))

    def no_overlap(n, q, max_length, doc_stride):
        return math.ceil(n / (max_length - q - 3))

    assert nb06.check_2(n_windows)
    assert not nb06.check_2(no_overlap)
    assert not nb06.check_2(lambda n, q, max_length, doc_stride: 1 / 0)


def test_06_3_n_best_search():
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

    assert nb06.check_3(n_best_spans)
    assert not nb06.check_3(no_length_limit)
    assert not nb06.check_3(unsorted)
    # best_span agrees with the reference search on which the checker relies
    start, end, offsets = nb06.random_window(np.random.default_rng(1))
    assert math.isclose(n_best_spans(start, end, offsets)[0][0], best_span(start, end, offsets, 20, 30).score)


def test_06_4_answers_beyond_the_first_window():
    validation = load_task_data("qa", max_examples=100)["validation"]
    from lorakit.tasks import get_task
    features = get_task("qa", doc_stride=16, max_length=64).encode(validation, load_tokenizer(), train=False)
    first = {}
    for index, start in zip(features["example_index"], features["start_positions"]):
        first.setdefault(index, start)
    lost = sum(start == 0 for start in first.values())
    assert 0 < lost < len(validation)
    assert nb06.check_4(lost, validation)
    assert not nb06.check_4(0, validation)
    assert not nb06.check_4(lost + 1, validation)


def test_06_5_parameter_matched_rank():
    assert nb06.check_5(36)
    assert not nb06.check_5(8) and not nb06.check_5(35) and not nb06.check_5(37) and not nb06.check_5(0)
