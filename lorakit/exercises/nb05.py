"""Checkers for the exercises of lesson 05 (sentiment: LoRA, full fine-tuning, head only).

Exercises 1 and 2 check your numbers against your own inputs (logits, a confusion matrix);
exercise 3 counts the bundled model's parameters with `prepare_model` (no training). Questions 1-3
("Check your understanding") take a number or a letter. Each checker returns a `Verdict`. (The
exercise on one learning rate for all methods moved to lesson 04: `lorakit.exercises.nb04.check_3`.)

Example:
    >>> check_2([[40, 10], [30, 20]], accuracy=0.6, macro_f1=0.6)
    Exercise 2: not yet: macro-F1 is the mean of the two classes' F1, each 2 TP / (2 TP + FP + FN).
"""
import functools
import math

import torch

from . import build_task, close, question, verdict

LABELS = ["negative", "positive"]
BIG, BIG_LORA_SHARE, BIG_HIDDEN = 110_000_000, 0.003, 768   # the 110 M model of exercise 3
TWO_GB_MIB = 2e9 / 2**20                                      # exercise 3's 2 GB, in MiB


def check_1(z, p_positive, negative_share, rescaled):
    """Exercise 1: for logits `z` (n, 2) of random texts: `p_positive` (n,), the softmax probability
    of class 1; `negative_share`, the share of tanh(z1 - z0) below 0; `rescaled` (n,), (tanh(d/2) + 1)/2.

    >>> z = torch.randn(200, 2, generator=torch.Generator().manual_seed(0))
    >>> d = z[:, 1] - z[:, 0]
    >>> check_1(z, torch.sigmoid(d), (torch.tanh(d) < 0).float().mean(), (torch.tanh(d) + 1) / 2)
    Exercise 1: not yet: rescaled is not (tanh(d/2) + 1) / 2 with d = z1 - z0.
    """
    z = torch.as_tensor(z, dtype=torch.float64)
    if z.ndim != 2 or z.shape[1] != 2 or len(z) < 100:
        return verdict(1, ["z should be logits of shape (n, 2) with n >= 100 random rows"])
    d = z[:, 1] - z[:, 0]
    problems = []
    if not torch.allclose(torch.as_tensor(p_positive, dtype=torch.float64), torch.softmax(z, -1)[:, 1], atol=1e-5):
        problems.append("p_positive is not the softmax probability of the second class")
    if not close(negative_share, (torch.tanh(d) < 0).double().mean().item(), abs_=1e-6):
        problems.append("negative_share is not the share of tanh(z1 - z0) values below 0")
    elif not 0.35 <= float(negative_share) <= 0.65:
        problems.append("your logits are not random enough: about half of the differences should be negative")
    if not torch.allclose(torch.as_tensor(rescaled, dtype=torch.float64), (torch.tanh(d / 2) + 1) / 2, atol=1e-5):
        problems.append("rescaled is not (tanh(d/2) + 1) / 2 with d = z1 - z0")
    return verdict(1, problems)


def check_2(matrix, accuracy, macro_f1):
    """Exercise 2: accuracy and macro-F1 of a 2 x 2 confusion matrix (rows true, columns predicted).

    >>> check_2([[40, 10], [30, 20]], accuracy=0.6, macro_f1=0.5833)
    Exercise 2: correct.
    """
    import datasets

    gold, predicted = [], []
    for g, row in enumerate(matrix):
        for p, n in enumerate(row):
            gold += [g] * n
            predicted += [LABELS[p]] * n
    data = datasets.Dataset.from_dict({"text": ["x"] * len(gold), "label": gold})
    m = build_task("sentiment").metrics(data, predicted)
    problems = []
    if not close(accuracy, m["accuracy"], abs_=5e-4):
        problems.append("accuracy is the diagonal (the right predictions) over all texts")
    if not close(macro_f1, m["macro_f1"], abs_=5e-4):
        problems.append("macro-F1 is the mean of the two classes' F1, each 2 TP / (2 TP + FP + FN)")
    return verdict(2, problems)


@functools.lru_cache(maxsize=3)
def counts(method):
    """(trainable, total) parameters of the bundled sentiment model for `method`, LoRA at r = 8."""
    from ..config import TrainConfig
    from ..lora import count_parameters
    from ..train import prepare_model
    return count_parameters(prepare_model("sentiment", LABELS, TrainConfig(method=method, r=8)))


def state_mib(trainable, total):
    return 4 * (total + 3 * trainable) / 2**20


def check_3(minilm_mib, big_mib, fits_in_2gb):
    """Exercise 3: the training state in MiB (2**20 bytes), a dict {"full", "lora", "head": MiB},
    for the bundled MiniLM (`minilm_mib`) and for a 110 M model with LoRA on 0.3 % of it and a
    768-wide two-class head (`big_mib`); `fits_in_2gb`, the set of methods whose state, on the 110 M
    model, takes at most half of 2 GB (2 x 10**9 bytes), leaving the other half for activations.

    >>> check_3({"full": 300, "lora": 87, "head": 87}, {"full": 1678, "lora": 423, "head": 420}, {"full"})
    Exercise 3: not yet: some MiniLM numbers are off: count 4 bytes for every weight and 3 x 4 more (gradient, two AdamW moments) for every trainable one; compare each method's state on the 110 M model with half of 2 GB.
    """
    big = {"full": (BIG, BIG), "lora": (BIG_LORA_SHARE * BIG, BIG), "head": (2 * BIG_HIDDEN + 2, BIG)}
    problems = []
    for name, given, sizes in (("MiniLM", minilm_mib, lambda m: counts(m)), ("110 M", big_mib, lambda m: big[m])):
        if set(given) != {"full", "lora", "head"}:
            problems.append(f"give the {name} numbers as a dict with the keys full, lora and head")
            continue
        wrong = [m for m in given if not close(given[m], state_mib(*sizes(m)), rel=0.01)]
        if wrong and all(close(given[m], state_mib(*sizes(m)) * 2**20 / 1e6, rel=0.01) for m in given):
            problems.append(f"the {name} numbers look like MB (10**6 bytes); give MiB (2**20 bytes)")
        elif wrong:
            problems.append(f"some {name} numbers are off: count 4 bytes for every weight and 3 x 4 more "
                            "(gradient, two AdamW moments) for every trainable one")
    fits = {m for m in big if state_mib(*big[m]) <= TWO_GB_MIB / 2}
    if set(fits_in_2gb) != fits:
        problems.append("full fine-tuning's state fits in 2 GB but takes most of it: it leaves less than half "
                        "for activations" if set(fits_in_2gb) == fits | {"full"} else
                        "compare each method's state on the 110 M model with half of 2 GB")
    return verdict(3, problems)


# "Check your understanding". Each question takes your answer; `...` (the notebook's placeholder) is no answer.
LOGITS = (1.0, 3.0)                         # question 1: (negative, positive) logits of one review


def question_1(p_positive):
    """Question 1: p(positive) for a review whose logits are z = (1.0, 3.0) (negative, positive).

    >>> question_1(0.75)
    Question 1: not yet: the softmax exponentiates each logit before it divides by the sum.
    """
    z0, z1 = LOGITS
    if p_positive is ...:
        return question(1, ["replace ... with your answer"])
    right = 1 / (1 + math.exp(-(z1 - z0)))
    if close(p_positive, right, abs_=5e-3):
        return question(1, [])
    hints = [(math.tanh(z1 - z0), "that is tanh(z1 - z0), which is no probability (it goes below 0 for a "
                                  "negative review); the softmax of two logits is the sigmoid of their difference"),
             (1 - right, "that is p(negative); the question asks for the positive class"),
             (z1 / (z0 + z1), "the softmax exponentiates each logit before it divides by the sum"),
             (1 / (1 + math.exp(-z1)), "only the difference of the two logits matters, not z1 alone")]
    for value, hint in hints:
        if close(p_positive, value, abs_=5e-3):
            return question(1, [hint])
    if not close(p_positive, 0.5, abs_=0.5):
        return question(1, ["a probability lies between 0 and 1"])
    return question(1, ["apply the softmax to the two logits and take the positive class's share"])


def question_2(extra_bytes):
    """Question 2: how many bytes of training state each trainable float32 weight needs with AdamW,
    beyond the 4 bytes of the weight itself.

    >>> question_2(4)
    Question 2: not yet: the gradient takes 4 bytes, but AdamW also keeps two running averages per weight.
    """
    if extra_bytes is ...:
        return question(2, ["replace ... with your answer"])
    hints = {12: None, 4: "the gradient takes 4 bytes, but AdamW also keeps two running averages per weight",
             8: "count the gradient as well as AdamW's two moments, 4 bytes each",
             16: "the weight's own 4 bytes are not extra: count only what training adds"}
    if extra_bytes in hints and hints[extra_bytes] is None:
        return question(2, [])
    return question(2, [hints.get(extra_bytes, "count the gradient and AdamW's two moments, 4 bytes each in float32")])


def question_3(choice):
    """Question 3: when do accuracy and macro-F1 differ a lot? (a) the classes are balanced and the
    model favours neither; (b) one class is much larger and the model favours it; (c) never, with two
    classes.

    >>> question_3("c")
    Question 3: not yet: try 95 negative and 5 positive reviews and a model that always says negative.
    """
    if choice is ...:
        return question(3, ["replace ... with a, b or c"])
    hints = {"b": None,
             "a": "on balanced classes, with predictions that favour neither, each class's F1 stays close to the "
                  "accuracy (section 4's table shows the two side by side)",
             "c": "try 95 negative and 5 positive reviews and a model that always says negative"}
    choice = str(choice).strip().lower().strip("()")
    if choice not in hints:
        return question(3, ["answer with a, b or c"])
    return question(3, [hints[choice]] if hints[choice] else [])
