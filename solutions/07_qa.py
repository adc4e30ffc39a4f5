"""Solutions to the exercises of notebooks/07_qa.ipynb.

Run from the repository root: python solutions/07_qa.py (every answer is checked by an assert).
No exercise needs a trained model: they check scoring, windows, the span search and parameter counts.
"""
import math
from collections import Counter

import datasets
import numpy as np

from lorakit.data import load_task_data
from lorakit.exercises import nb07
from lorakit.fast import pick
from lorakit.models import load_tokenizer
from lorakit.tasks import best_span, get_task, squad_normalize

qa = get_task("qa")
tokenizer = load_tokenizer()

# Exercise 1. With several gold answers each score is the best over them; then the mean over questions, x 100.


def f1(prediction, gold):
    p, g = squad_normalize(prediction).split(), squad_normalize(gold).split()
    shared = sum((Counter(p) & Counter(g)).values())
    if shared == 0:
        return 0.0
    precision, recall = shared / len(p), shared / len(g)
    return 2 * precision * recall / (precision + recall)


questions = [  # (prediction, gold answers)
    ("Denver Broncos", ["Denver Broncos", "The Denver Broncos", "Broncos"]),   # EM 1: "the" is dropped
    ("the Broncos of Denver", ["Denver Broncos", "Broncos"]),    # P 2/3, R 2/2 -> 0.8 (vs "Broncos": 0.5)
    ("Santa Clara, California", ["Levi's Stadium", "Santa Clara"]),          # P 2/3, R 2/2 -> 0.8
    ("February 7", ["February 7, 2016", "2016"]),                             # P 2/2, R 2/3 -> 0.8
]
em_by_hand = [max(float(squad_normalize(p) == squad_normalize(g)) for g in golds) for p, golds in questions]
f1_by_hand = [max(f1(p, g) for g in golds) for p, golds in questions]
assert em_by_hand == [1.0, 0.0, 0.0, 0.0]
assert np.allclose(f1_by_hand, [1.0, 0.8, 0.8, 0.8])
data = datasets.Dataset.from_dict({"answers": [{"text": golds, "answer_start": [0] * len(golds)}
                                               for _, golds in questions]})
m = qa.metrics(data, [p for p, _ in questions])
assert math.isclose(m["exact_match"], 100 * np.mean(em_by_hand))
assert math.isclose(m["f1"], 100 * np.mean(f1_by_hand))
assert nb07.check_1(questions, 100 * np.mean(em_by_hand), 100 * np.mean(f1_by_hand))
print(f"1. EM {m['exact_match']:.1f}, F1 {m['f1']:.1f}: as QaTask.metrics")

# Exercise 2. A window holds max_length tokens: [CLS] question [SEP] context [SEP], so c = max_length - q - 3
# context tokens (3 special tokens for a BERT pair). Each next window starts c - doc_stride tokens further
# on (it repeats the last doc_stride tokens), so n context tokens need
#     1 window when n <= c, else 1 + ceil((n - c) / (c - doc_stride)).


def n_windows(n, q, max_length, doc_stride):
    c = max_length - q - tokenizer.num_special_tokens_to_add(pair=True)
    return 1 if n <= c else 1 + math.ceil((n - c) / (c - doc_stride))


example = load_task_data("qa", max_examples=1)["validation"]
q = len(tokenizer(example[0]["question"], add_special_tokens=False)["input_ids"])
n = len(tokenizer(example[0]["context"], add_special_tokens=False)["input_ids"])
checked = []
for max_length, doc_stride in [(64, 16), (64, 0), (48, 8), (80, 30), (128, 64), (256, 64)]:
    features = get_task("qa", doc_stride=doc_stride, max_length=max_length).encode(example, tokenizer)
    assert len(features) == n_windows(n, q, max_length, doc_stride), (max_length, doc_stride)
    checked.append((max_length, doc_stride, len(features)))
assert nb07.check_2(n_windows)
print(f"2. q = {q}, n = {n} tokens; (max_length, doc_stride, windows):", checked)

# Exercise 3. The n-best search, returning every valid candidate sorted by score.


def n_best_spans(start_logits, end_logits, offsets, n_best=20, max_answer_length=30):
    starts = np.argsort(-start_logits, kind="stable")[:n_best]
    ends = np.argsort(-end_logits, kind="stable")[:n_best]
    spans = [(float(start_logits[s] + end_logits[e]), int(s), int(e)) for s in starts for e in ends
             if offsets[s] is not None and offsets[e] is not None and s <= e < s + max_answer_length]
    return sorted(spans, key=lambda span: -span[0])


rng = np.random.default_rng(0)
for trial in range(200):
    length = int(rng.integers(8, 60))
    question = int(rng.integers(2, length - 3))
    offsets = [None] * (question + 1) + [(4 * i, 4 * i + 3) for i in range(length - question - 2)] + [None]
    start, end = rng.normal(size=length), rng.normal(size=length)
    for n_best, max_len in [(20, 30), (5, 3), (length, 1)]:
        spans = n_best_spans(start, end, offsets, n_best, max_len)
        ref = best_span(start, end, offsets, n_best, max_len)
        if not spans:
            assert ref is None
            continue
        score, s, e = spans[0]
        assert math.isclose(score, ref.score) and (offsets[s][0], offsets[e][1]) == (ref.start_char, ref.end_char)
        if max_len == 1:
            assert all(s == e for _, s, e in spans)           # only one-token answers are left
assert nb07.check_3(n_best_spans)
print("3. n-best search == best_span on 200 random windows; max_answer_length=1 keeps one-token spans only")

# Exercise 4. Without windows the model would see only the first window of each context: answers beyond it
# (target (0, 0) in the first window) could never be found.
validation = load_task_data("qa", max_examples=pick(full=None, fast=100))["validation"]
features = get_task("qa", doc_stride=16, max_length=64).encode(validation, tokenizer, train=False)
first = {}
for index, start in zip(features["example_index"], features["start_positions"]):
    first.setdefault(index, start)                        # the first window of each question
lost = sum(start == 0 for start in first.values())
reachable = {index for index, start in zip(features["example_index"], features["start_positions"]) if start}
assert len(first) == len(validation) and 0 < lost < len(validation) and len(reachable) == len(validation)
assert nb07.check_4(lost, validation)
print(f"4. max_length=64: {lost} of {len(validation)} answers lie beyond the first window "
      f"({lost / len(validation):.0%}); with all windows every answer is whole in some window")

# Exercise 5. LoRA on a d_in x d_out layer trains r (d_in + d_out) weights. All-linear at rank 8 adapts, in
# each of the 6 layers, four 384 x 384 layers (query, key, value, attention output) and the feed-forward
# 384 -> 1536 and 1536 -> 384: 8 (4 * 768 + 2 * 1920) = 55,296 weights a layer. Query and value alone at
# rank r train r (2 * 768) = 1,536 r a layer, so r = 55,296 / 1,536 = 36 matches exactly (the qa_outputs
# head is the same in both).
per_layer_all_linear = 8 * (4 * (384 + 384) + 2 * (384 + 1536))
rank = per_layer_all_linear // (2 * (384 + 384))
assert rank * 2 * (384 + 384) == per_layer_all_linear
assert nb07.trainable_params(("query", "value"), rank) == nb07.trainable_params("all-linear", 8) == 332_546
assert nb07.check_5(rank)
print(f"5. query and value at rank {rank} train as many weights as all-linear at rank 8: 332,546")

# Check your understanding.
# Question 1. A window is [CLS] question [SEP] context [SEP]: 64 - 12 - 3 = 49 context tokens; the next
# window repeats the last 16 of them, so it starts 49 - 16 = 33 context tokens after the previous one.
per_window = 64 - 12 - tokenizer.num_special_tokens_to_add(pair=True)
assert nb07.question_1(per_window, per_window - 16)
# Question 2. (0, 0), the [CLS] token: the window learns to say "not here".
assert nb07.question_2(0, 0)
# Question 3. Every pair of the 20 best starts and the 20 best ends: 20 * 20 = 400, before the skipping.
assert nb07.question_3(20 * 20)
# Question 4. "norman foster and michel virlogeux" against "norman foster": not equal, so EM 0; 2 shared
# words, precision 2/5, recall 2/2, F1 = 2 * 0.4 * 1 / 1.4 = 4/7.
f1 = 2 * (2 / 5) * 1 / (2 / 5 + 1)
assert math.isclose(f1, 4 / 7)
assert nb07.question_4(0, f1)
print(f"questions: {per_window} context tokens per window, step {per_window - 16}; (0, 0); 400 pairs; EM 0, F1 {f1:.4f}")
