"""The exercise checkers of lesson 04: each accepts the solution's answer and rejects wrong ones.

The answers are the ones solutions/04_training_loop.py computes (that script also asserts that the
checkers accept them).
"""
import math

import torch

from lorakit.exercises import nb04
from lorakit.timelimit import LinearSchedule
from lorakit.train import length_grouped_batches


def test_04_1_steps_warmup_and_learning_rate():
    steps, warmup = 3 * len(length_grouped_batches([10] * 600, batch_size=16, seed=0)), 11
    lr_at_60 = 1e-3 * LinearSchedule(warmup, steps)(60)              # train()'s own schedule
    assert steps == 114
    assert nb04.check_1(steps, warmup, lr_at_60)
    for rounded_down in (111, 112):                                   # 3 x (600 // 16), 3 x 600 // 16
        v = nb04.check_1(rounded_down, warmup, lr_at_60)
        assert not v and "round the batches per epoch up" in str(v)
    assert not nb04.check_1(38, warmup, lr_at_60)                    # one epoch only
    assert not nb04.check_1(steps, 10, lr_at_60)
    assert not nb04.check_1(steps, warmup, 1e-3)                      # no decay
    assert not nb04.check_1(steps, warmup, 1e-3 * (114 - 60) / 114)   # decay from step 0


def mean_loss(model, loader):
    model.eval()
    total = rows = 0
    with torch.no_grad():
        for batch in loader:
            total += model(**batch).loss.item() * len(batch["labels"])
            rows += len(batch["labels"])
    return total / rows


def test_04_2_mean_loss_in_eval_mode_without_gradients():
    assert nb04.check_2(mean_loss)

    def mean_of_means(model, loader):
        model.eval()
        with torch.no_grad():
            return sum(model(**b).loss.item() for b in loader) / len(loader)

    def dropout_on(model, loader):
        model.train()
        with torch.no_grad():
            return sum(model(**b).loss.item() * len(b["labels"]) for b in loader) / 20

    def with_gradients(model, loader):
        model.eval()
        return sum(model(**b).loss * len(b["labels"]) for b in loader) / 20

    v = nb04.check_2(mean_of_means)
    assert not v and "weight each batch" in str(v)
    v = nb04.check_2(dropout_on)
    assert not v and "model.eval()" in str(v)
    v = nb04.check_2(with_gradients)
    assert not v and "torch.no_grad()" in str(v) and "eval" not in str(v)
    v = nb04.check_2(lambda model, loader: model.nope)
    assert not v and "AttributeError" in str(v)


def test_04_3_one_learning_rate():
    assert nb04.check_3({1e-3: 0.93, 5e-5: 0.06}, one_lr_is_fair=False)
    assert not nb04.check_3({1e-3: 0.93, 5e-5: 0.06}, one_lr_is_fair=True)
    assert not nb04.check_3({1e-3: 0.93, 5e-5: 0.5}, one_lr_is_fair=False)
    assert not nb04.check_3({1e-3: 0.93}, one_lr_is_fair=False)


def test_04_questions():
    assert nb04.question_1(["forward", "backward", "step", "zero_grad"])
    assert nb04.question_1(("zero_grad", "forward", "backward", "step"))
    assert nb04.question_1(["forward", "zero_grad", "backward", "step"])      # cleared before backward: fine
    v = nb04.question_1(["forward", "step", "backward", "zero_grad"])
    assert not v and "backward comes first" in str(v)
    v = nb04.question_1(["forward", "backward", "zero_grad", "step"])
    assert not v and "throws the gradients away" in str(v)
    v = nb04.question_1(["backward", "forward", "step", "zero_grad"])
    assert not v and "loss that the forward pass computes" in str(v)
    v = nb04.question_1(["forward", "backward", "step"])
    assert not v and "each once" in str(v)
    assert nb04.question_2(math.log(2)) and nb04.question_2(0.6931)
    v = nb04.question_2(0.5)
    assert not v and "-log p" in str(v) and "0.69" not in str(v)
    v = nb04.question_2(1.0)
    assert not v and "natural logarithm" in str(v)
    assert nb04.question_3(False)
    v = nb04.question_3(True)
    assert not v and "no gradient" in str(v)
    v = nb04.question_3("no")
    assert not v and "True or False" in str(v)
    for unanswered in (nb04.question_1(...), nb04.question_2(...), nb04.question_3(...)):
        assert not unanswered and "replace ..." in str(unanswered)
