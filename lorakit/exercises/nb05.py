"""Checkers for the exercises of lesson 05 (sentiment: LoRA, full fine-tuning, head only).

Exercises 1 and 2 check your numbers against your own inputs (logits, a confusion matrix);
exercise 3 counts the bundled model's parameters with `prepare_model` (no training). Each checker
returns a `Verdict`. (The exercise on one learning rate for all methods moved to lesson 04:
`lorakit.exercises.nb04.check_3`.)

Example:
    >>> check_2([[40, 10], [30, 20]], accuracy=0.6, macro_f1=0.6)
    Exercise 2: not yet: macro-F1 is the mean of the two classes' F1, each 2 TP / (2 TP + FP + FN).
"""
import functools

import torch

from . import close, verdict

LABELS = ["negative", "positive"]
BIG, BIG_LORA_SHARE, BIG_HIDDEN = 110_000_000, 0.003, 768   # the 110 M model of exercise 3


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

    from ..tasks import get_task
    gold, predicted = [], []
    for g, row in enumerate(matrix):
        for p, n in enumerate(row):
            gold += [g] * n
            predicted += [LABELS[p]] * n
    data = datasets.Dataset.from_dict({"text": ["x"] * len(gold), "label": gold})
    m = get_task("sentiment").metrics(data, predicted)
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
    768-wide two-class head (`big_mib`); `fits_in_2gb`, the methods whose state leaves room for
    activations in 2 GB on the 110 M model.

    >>> check_3({"full": 300, "lora": 87, "head": 87}, {"full": 1678, "lora": 423, "head": 420}, {"full"})
    Exercise 3: not yet: some MiniLM numbers are off: count 4 bytes for every weight and 3 x 4 more (gradient, two AdamW moments) for every trainable one; LoRA and head-only training fit in 2 GB with room to spare.
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
    if not {"lora", "head"} <= set(fits_in_2gb):
        problems.append("LoRA and head-only training fit in 2 GB with room to spare")
    return verdict(3, problems)
