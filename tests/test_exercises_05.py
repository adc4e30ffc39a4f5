"""The exercise checkers of lesson 05: each accepts the solution's answer and rejects wrong ones.

The answers are the ones solutions/05_sentiment.py computes (that script also asserts that the checkers accept them).
"""
import math

import pytest
import torch

from lorakit.exercises import nb05


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
    v = nb05.check_3(minilm, large, {"full", "lora", "head"})              # full's state fits, with little room left
    assert not v and "less than half" in str(v)


def test_05_question_1_probability_from_two_logits():
    assert nb05.question_1(1 / (1 + math.exp(-2.0)))                        # sigmoid(z1 - z0), z = (1, 3)
    v = nb05.question_1(math.tanh(2.0))
    assert not v and "tanh" in str(v) and "0.96" not in str(v) and "0.88" not in str(v)
    assert "exponentiates" in str(nb05.question_1(0.75))                  # 3 / (1 + 3), no exponentials
    assert "replace ..." in str(nb05.question_1(...))


def test_05_question_2_bytes_per_trainable_weight():
    assert nb05.question_2(12)
    v = nb05.question_2(4)                                                  # the gradient only
    assert not v and "two running averages" in str(v)
    assert "not extra" in str(nb05.question_2(16))


def test_05_question_3_when_accuracy_and_macro_f1_differ():
    assert nb05.question_3("b") and nb05.question_3(" (B) ")
    v = nb05.question_3("a")
    assert not v and "balanced" in str(v)
    assert "a, b or c" in str(nb05.question_3("d"))


def test_05_questions_left_unanswered_say_so():
    for unanswered in (nb05.question_1(...), nb05.question_2(...), nb05.question_3(...)):
        assert not unanswered and "not yet: replace" in str(unanswered) and "..." in str(unanswered)
