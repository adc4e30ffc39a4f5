"""Solutions to the exercises of notebooks/05_sentiment.ipynb.

Run from the repository root: python solutions/05_sentiment.py (every answer is checked by an assert).
None of the exercises trains. (The exercise on one learning rate for all methods is now lesson 04's
exercise 3: solutions/04_training_loop.py.)
"""
import math

import datasets
import torch

import lorakit
from lorakit.config import TrainConfig
from lorakit.exercises import nb05
from lorakit.tasks import get_task
from lorakit.train import prepare_model

LABELS = ["negative", "positive"]

# Exercise 1. softmax(z)_1 = e^z1 / (e^z0 + e^z1) = 1 / (1 + e^-(z1 - z0)) = sigmoid(z1 - z0): only the
# difference of the two logits matters. tanh(d) lies in (-1, 1) and is negative whenever d < 0, that is for
# every text the model calls negative, so it is no probability; rescaled, (tanh(d/2) + 1) / 2 = sigmoid(d).
gen = torch.Generator().manual_seed(0)
z = torch.randn(1000, 2, generator=gen, dtype=torch.float64) * 3           # (n, 2) logits
d = z[:, 1] - z[:, 0]
torch.testing.assert_close(torch.softmax(z, dim=-1)[:, 1], torch.sigmoid(d))
negative_share = (torch.tanh(d) < 0).double().mean().item()
assert 0.4 < negative_share < 0.6
torch.testing.assert_close((torch.tanh(d / 2) + 1) / 2, torch.sigmoid(d))
assert nb05.check_1(z, torch.softmax(z, dim=-1)[:, 1], negative_share, (torch.tanh(d / 2) + 1) / 2)
print(f"1. softmax == sigmoid(z1 - z0); tanh(z1 - z0) < 0 for {negative_share:.1%} of random logits")

# Exercise 2. From a confusion matrix (rows gold, columns predicted): accuracy = trace / total; F1 of a
# class = 2 TP / (2 TP + FP + FN); macro-F1 = the mean over the classes.
sentiment = get_task("sentiment")


def by_hand(matrix):
    (tn, fp), (fn, tp) = matrix                       # class 0 negative, class 1 positive
    accuracy = (tn + tp) / (tn + fp + fn + tp)
    f1_positive = 2 * tp / (2 * tp + fp + fn)
    f1_negative = 2 * tn / (2 * tn + fn + fp)         # for "negative", tn plays the role of TP
    return accuracy, (f1_positive + f1_negative) / 2


def data_for(matrix):
    gold, predicted = [], []
    for g, row in enumerate(matrix):
        for p, n in enumerate(row):
            gold += [g] * n
            predicted += [LABELS[p]] * n
    return datasets.Dataset.from_dict({"text": ["x"] * len(gold), "label": gold}), predicted


for matrix in ([[40, 10], [30, 20]], [[95, 0], [5, 0]]):
    accuracy, macro_f1 = by_hand(matrix)
    m = sentiment.metrics(*data_for(matrix))
    assert m["confusion_matrix"] == matrix
    assert math.isclose(m["accuracy"], accuracy) and math.isclose(m["macro_f1"], macro_f1)
    assert nb05.check_2(matrix, accuracy, macro_f1)
    print(f"2. {matrix}: accuracy {accuracy:.3f}, macro-F1 {macro_f1:.3f}")
# They differ a lot when the classes are unbalanced and the model favours the big one: always saying
# "negative" on 95 negative and 5 positive texts is 95 % accurate, but the positive class's F1 is 0, so
# macro-F1 is below 0.5. On balanced data (the bundled splits) the two stay close.

# Exercise 3. Training state in float32: 4 bytes for every weight, plus a gradient and AdamW's two moments
# (3 x 4 bytes) for every trainable weight. Activations come on top and grow with batch size and length.


def state_mib(trainable, total):
    return 4 * (total + 3 * trainable) / 2**20


print("3.              MiniLM (22.7 M)   110 M model")
big = 110_000_000
minilm_mib, big_mib = {}, {}
for method in ("full", "lora", "head"):
    model = prepare_model("sentiment", LABELS, TrainConfig(method=method))
    trainable, total = lorakit.count_parameters(model)
    big_trainable = {"full": big, "lora": 0.003 * big, "head": 2 * 768 + 2}[method]
    minilm_mib[method], big_mib[method] = state_mib(trainable, total), state_mib(big_trainable, big)
    print(f"   {method:<5} {minilm_mib[method]:14.0f} MiB {big_mib[method]:11.0f} MiB")
    if method == "full":
        assert math.isclose(state_mib(trainable, total), 16 * total / 2**20)   # 4 copies of every weight
assert state_mib(big, big) > 1600 > state_mib(0.003 * big, big)
assert nb05.check_3(minilm_mib, big_mib, {"lora", "head"})
# 2 GB = 1907 MiB. For the 110 M model the state alone of full fine-tuning (about 1.7 GB) leaves almost
# nothing for activations, the CUDA context and the data; LoRA and head-only need about a quarter of it
# (the frozen weights), so they fit with room to spare. That is LoRA's memory argument in one line.

# Check your understanding.
# Question 1. z = (1.0, 3.0): p(positive) = e^3 / (e^1 + e^3) = sigmoid(3 - 1) = sigmoid(2).
p_positive = torch.softmax(torch.tensor([1.0, 3.0]), dim=-1)[1].item()
assert math.isclose(p_positive, torch.sigmoid(torch.tensor(2.0)).item(), rel_tol=1e-6)
assert nb05.question_1(p_positive)
# Question 2. A gradient and AdamW's two moments, 4 bytes each in float32: 12 bytes beyond the weight's own 4.
assert nb05.question_2(3 * 4)
# Question 3. (b): with one class much larger, a model that favours it keeps a high accuracy while the small
# class's F1 falls, and macro-F1 with it (exercise 2's [[95, 0], [5, 0]]: accuracy 0.95, macro-F1 below 0.5).
assert nb05.question_3("b")
print(f"questions: p(positive) = {p_positive:.4f}; 12 bytes per trainable weight; (b)")
