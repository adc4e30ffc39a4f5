"""Checkers for the exercises of lesson 07 (extractive QA with LoRA). Each returns a `Verdict`.

Exercises 2 and 3 take your function itself and compare it with `QaTask.encode` and `best_span`
on cases of the checker's own; exercises 1 and 4 score your inputs with lorakit; exercise 5 counts
parameters with `prepare_model`. Nothing is trained. Questions 1-4 ("Check your understanding")
take numbers.

Example:
    >>> check_5(8)
    Exercise 5: not yet: at rank 8 query and value train far fewer weights than all-linear; raise the rank.
"""
import functools
import math

import numpy as np

from . import build_task, close, question, verdict


def check_1(questions, exact_match, f1):
    """Exercise 1: `questions`, a list of (prediction, [gold answers]) with several gold answers for
    some; `exact_match` and `f1`, their SQuAD scores in percent, by hand.

    >>> check_1([("Denver Broncos", ["Denver Broncos", "Broncos"])], 100.0, 100.0)
    Exercise 1: correct.
    """
    import datasets

    if not any(len(golds) > 1 for _, golds in questions):
        return verdict(1, ["give at least one question several gold answers"])
    data = datasets.Dataset.from_dict({"answers": [{"text": list(g), "answer_start": [0] * len(g)}
                                                   for _, g in questions]})
    m = build_task("qa").metrics(data, [p for p, _ in questions])
    problems = []
    for name, value, target in (("exact match", exact_match, m["exact_match"]), ("F1", f1, m["f1"])):
        if close(value, target / 100, abs_=1e-6) and target:
            problems.append(f"give the {name} in percent, as SQuAD does")
        elif not close(value, target, abs_=1e-6):
            problems.append(f"the {name} is off: normalise both answers, take the best over the gold answers, "
                            "then the mean over the questions")
    return verdict(1, problems)


@functools.lru_cache(maxsize=1)
def first_example():
    """The first bundled validation question and its tokenizer, for exercises 2 and 4."""
    from ..data import load_task_data
    from ..models import load_tokenizer
    return load_task_data("qa", max_examples=1)["validation"], load_tokenizer()


def check_2(n_windows):
    """Exercise 2: your function n_windows(n, q, max_length, doc_stride), the number of windows of
    a context of n tokens after a question of q tokens, compared with QaTask.encode.

    >>> check_2(lambda n, q, max_length, doc_stride: 1)
    Exercise 2: not yet: n_windows(n, q, 64, 16) gives 1 windows; QaTask.encode makes another number (n and q: the token counts of the first validation question and context, without special tokens).
    """
    example, tokenizer = first_example()
    q = len(tokenizer(example[0]["question"].strip(), add_special_tokens=False)["input_ids"])
    n = len(tokenizer(example[0]["context"], add_special_tokens=False)["input_ids"])
    for max_length, doc_stride in [(64, 16), (64, 0), (48, 8), (80, 30), (128, 64), (256, 64)]:
        windows = len(build_task("qa", doc_stride=doc_stride, max_length=max_length).encode(example, tokenizer))
        try:
            yours = n_windows(n, q, max_length, doc_stride)
        except Exception as e:   # a learner's function may fail in any way; say how
            return verdict(2, [f"n_windows(n, q, {max_length}, {doc_stride}) raised {type(e).__name__}: {e}"])
        if yours != windows:
            return verdict(2, [f"n_windows(n, q, {max_length}, {doc_stride}) gives {yours} windows; QaTask.encode "
                               "makes another number (n and q: the token counts of the first validation "
                               "question and context, without special tokens)"])
    return verdict(2, [])


def random_window(rng):
    """(start logits, end logits, offsets) of a random window: [CLS], a question, context, [SEP]."""
    length = int(rng.integers(8, 60))
    question = int(rng.integers(2, length - 3))
    offsets = [None] * (question + 1) + [(4 * i, 4 * i + 3) for i in range(length - question - 2)] + [None]
    return rng.normal(size=length), rng.normal(size=length), offsets


def check_3(n_best_spans):
    """Exercise 3: your function n_best_spans(start_logits, end_logits, offsets, n_best,
    max_answer_length), every valid candidate as (score, start token, end token), best first.

    >>> check_3(lambda start, end, offsets, n_best, max_len: [])
    Exercise 3: not yet: on a random window your search finds no candidate where best_span finds one.
    """
    from ..tasks import best_span
    rng = np.random.default_rng(0)
    for _ in range(100):
        start, end, offsets = random_window(rng)
        for n_best, max_len in [(20, 30), (5, 3), (len(start), 1)]:
            ref = best_span(start, end, offsets, n_best, max_len)
            try:
                spans = list(n_best_spans(start, end, offsets, n_best, max_len))
            except Exception as e:   # a learner's function may fail in any way; say how
                return verdict(3, [f"your function raised {type(e).__name__}: {e}"])
            if not spans:
                if ref is not None:
                    return verdict(3, ["on a random window your search finds no candidate where best_span finds one"])
                continue
            if ref is None:
                return verdict(3, ["your search keeps a span that cannot be an answer (outside the context, "
                                   "reversed or too long)"])
            score, s, e = spans[0]
            if not math.isclose(score, ref.score, abs_tol=1e-9) or (offsets[s][0], offsets[e][1]) != (ref.start_char, ref.end_char):
                return verdict(3, [f"your best candidate differs from best_span's (n_best={n_best}, "
                                   f"max_answer_length={max_len})"])
            if any(b[0] > a[0] for a, b in zip(spans, spans[1:])):
                return verdict(3, ["the candidates should be sorted by score, best first"])
            if any(not (offsets[s] and offsets[e] and s <= e < s + max_len) for _, s, e in spans):
                return verdict(3, ["some candidate is outside the context, reversed or longer than "
                                   "max_answer_length"])
    return verdict(3, [])


def check_4(lost, validation):
    """Exercise 4: `lost`, how many questions of the data set `validation` have an answer that lies
    beyond the first window when max_length=64 and doc_stride=16.

    >>> from lorakit.data import load_task_data
    >>> check_4(0, load_task_data("qa", max_examples=20)["validation"])
    Exercise 4: not yet: some answers do lie beyond the first window: count the questions whose first window has the target (0, 0).
    """
    tokenizer = first_example()[1]
    features = build_task("qa", doc_stride=16, max_length=64).encode(validation, tokenizer, train=False)
    first = {}
    for index, start in zip(features["example_index"], features["start_positions"]):
        first.setdefault(index, start)                     # the first window of each question
    target = sum(start == 0 for start in first.values())
    if lost == target:
        return verdict(4, [])
    if lost == 0:
        return verdict(4, ["some answers do lie beyond the first window: count the questions whose first "
                           "window has the target (0, 0)"])
    return verdict(4, ["count the questions, not the windows, whose first window has the target (0, 0)"
                       if lost > target else "count every question whose first window lacks the whole answer"])


@functools.lru_cache(maxsize=4)
def trainable_params(target_modules, r):
    """Trainable parameters of the bundled QA model with LoRA rank r on `target_modules`."""
    from ..config import TrainConfig
    from ..lora import count_parameters
    from ..train import prepare_model
    targets = target_modules if target_modules == "all-linear" else list(target_modules)
    return count_parameters(prepare_model("qa", None, TrainConfig(task="qa", target_modules=targets, r=r)))[0]


def check_5(rank):
    """Exercise 5: the LoRA rank on query and value alone whose trainable parameters equal those of
    rank 8 on all-linear (the QA default).

    >>> check_5(36)
    Exercise 5: correct.
    """
    if not isinstance(rank, int) or rank < 1:
        return verdict(5, ["a rank is a positive integer"])
    ours, target = trainable_params(("query", "value"), rank), trainable_params("all-linear", 8)
    if ours < target:
        return verdict(5, [f"at rank {rank} query and value train far fewer weights than all-linear; raise the rank"
                           if ours < 0.8 * target else f"rank {rank} is close but trains fewer weights than all-linear"])
    if ours > target:
        return verdict(5, [f"rank {rank} trains more weights than all-linear; lower it"])
    return verdict(5, [])


# "Check your understanding". Each question takes your answer; `...` (the notebook's placeholder) is no answer.
Q1 = dict(question_tokens=12, max_length=64, doc_stride=16, special_tokens=3)   # [CLS] question [SEP] context [SEP]
Q3_N_BEST = 20
Q4_PREDICTION, Q4_GOLD = "Norman Foster and Michel Virlogeux", "Norman Foster"


def question_1(context_per_window, step):
    """Question 1: a question of 12 tokens, max_length=64, doc_stride=16: how many context tokens does
    each window hold, and how many context tokens after the previous window's first does the next
    window start?

    >>> question_1(52, 16)
    Question 1: not yet: the window also holds [CLS] and two [SEP]; doc_stride is what neighbouring windows share, not how far the next one moves.
    """
    if context_per_window is ... or step is ...:
        return question(1, ["replace each ... with your answer"])
    per_window = Q1["max_length"] - Q1["question_tokens"] - Q1["special_tokens"]
    problems = []
    if context_per_window != per_window:
        problems.append({Q1["max_length"]: "the question and the special tokens are in every window too",
                         Q1["max_length"] - Q1["question_tokens"]: "the window also holds [CLS] and two [SEP]"}
                        .get(context_per_window, "take the question and the special tokens from max_length"))
    if step != per_window - Q1["doc_stride"]:
        problems.append({Q1["doc_stride"]: "doc_stride is what neighbouring windows share, not how far the next one "
                                           "moves",
                         per_window: "neighbouring windows overlap: the next one starts doc_stride tokens before "
                                     "the previous one ends"}
                        .get(step, "the next window starts where the previous one ends, less the shared tokens"))
    return question(1, problems)


def question_2(start_position, end_position):
    """Question 2: the training targets (start_positions, end_positions) of a window that does not hold
    the whole answer.

    >>> question_2(-100, -100)
    Question 2: not yet: -100 leaves a token out of the loss (lesson 06); here the window is trained too, to point at its [CLS] token.
    """
    if start_position is ... or end_position is ...:
        return question(2, ["replace each ... with your answer"])
    if (start_position, end_position) == (0, 0):
        return question(2, [])
    if -100 in (start_position, end_position):
        return question(2, ["-100 leaves a token out of the loss (lesson 06); here the window is trained too, "
                            "to point at its [CLS] token"])
    if None in (start_position, end_position):
        return question(2, ["every window gets a target: the model learns to say 'not here'"])
    return question(2, ["the target of such a window is a position, the same for start and end: the [CLS] token's"])


def question_3(pairs):
    """Question 3: with n_best=20, how many (start, end) pairs does the n-best search score in one
    window, before it skips the invalid ones?

    >>> question_3(20)
    Question 3: not yet: each of the n_best starts is paired with each of the n_best ends.
    """
    if pairs is ...:
        return question(3, ["replace ... with your answer"])
    if pairs == Q3_N_BEST ** 2:
        return question(3, [])
    if pairs in (Q3_N_BEST, 2 * Q3_N_BEST):
        return question(3, ["each of the n_best starts is paired with each of the n_best ends"])
    if pairs in (Q3_N_BEST * (Q3_N_BEST + 1) // 2, Q3_N_BEST * (Q3_N_BEST - 1) // 2):
        return question(3, ["the search scores every pair first and skips the reversed ones afterwards"])
    return question(3, ["pair the n_best highest start logits with the n_best highest end logits"])


def question_4(exact_match, f1):
    """Question 4: SQuAD's exact match (0 or 1) and F1 (0-1) of the prediction "Norman Foster and
    Michel Virlogeux" against the gold answer "Norman Foster".

    >>> question_4(0, 0.4)
    Question 4: not yet: that is the precision (shared / predicted words); F1 is the harmonic mean of precision and recall.
    """
    from ..tasks import squad_exact_match, squad_f1, squad_normalize
    if exact_match is ... or f1 is ...:
        return question(4, ["replace each ... with your answer"])
    problems = []
    if exact_match != squad_exact_match(Q4_PREDICTION, Q4_GOLD):
        problems.append("exact match compares the whole normalised strings")
    right = squad_f1(Q4_PREDICTION, Q4_GOLD)
    predicted, gold = squad_normalize(Q4_PREDICTION).split(), squad_normalize(Q4_GOLD).split()
    precision = len(set(predicted) & set(gold)) / len(predicted)
    if close(f1, right, abs_=5e-3):
        pass
    elif close(f1, 100 * right, abs_=0.5):
        problems.append("give the F1 of one answer as a fraction between 0 and 1, as squad_f1 does")
    elif close(f1, precision, abs_=5e-3):
        problems.append("that is the precision (shared / predicted words); F1 is the harmonic mean of precision "
                        "and recall")
    else:
        problems.append("F1 is the harmonic mean of precision (shared / predicted words) and recall (shared / gold "
                        "words), after normalisation")
    return question(4, problems)
