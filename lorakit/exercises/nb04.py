"""Checkers for the exercises of lesson 04 (the training loop).

Exercise 1 plans a run's steps and learning rates (no training); exercise 2 takes your `mean_loss`
function and runs it on a small random model; exercise 3 takes the numbers of your two training runs.
Each checker returns a `Verdict`.

Example:
    >>> check_1(steps=112, warmup_steps=11, lr_at_60=1e-3)
    Exercise 1: not yet: the last batch of an epoch may be short, but it is a step too: round the batches per epoch up; after the warm-up the rate falls linearly from lr to 0 at the last step.
"""
import math

import torch

from . import close, question, verdict

# Exercise 1's run: 600 reviews, batch size 16, 3 epochs, warmup_ratio 0.1, lr 1e-3; the rate of step 60.
PLAN = dict(examples=600, batch_size=16, epochs=3, warmup_ratio=0.1, lr=1e-3, step=60)


def planned(examples, batch_size, epochs, warmup_ratio, lr, step):
    """(steps, warm-up steps, learning rate at `step`) of a run with a linear warm-up and decay."""
    steps = epochs * math.ceil(examples / batch_size)
    warmup = int(warmup_ratio * steps)
    factor = step / warmup if step < warmup else max(0.0, (steps - step) / (steps - warmup))
    return steps, warmup, lr * factor


def check_1(steps, warmup_steps, lr_at_60):
    """Exercise 1: for `train()` on 600 reviews, batch size 16, 3 epochs, warmup_ratio 0.1 and lr 1e-3:
    the optimizer steps in all, the warm-up steps, and the learning rate of step 60 (counted from 0:
    the rate after 60 calls of `scheduler.step()`).

    >>> check_1(steps=114, warmup_steps=10, lr_at_60=5e-4)
    Exercise 1: not yet: the warm-up lasts int(warmup_ratio x steps) steps; after the warm-up the rate falls linearly from lr to 0 at the last step.
    """
    right_steps, right_warmup, right_lr = planned(**PLAN)
    problems = []
    if steps != right_steps:
        epochs, examples, size = PLAN["epochs"], PLAN["examples"], PLAN["batch_size"]
        if steps in (epochs * (examples // size), epochs * examples // size):     # rounded down
            problems.append("the last batch of an epoch may be short, but it is a step too: "
                            "round the batches per epoch up")
        else:
            problems.append("a step trains one batch: count the batches of an epoch, times the epochs")
    if warmup_steps != right_warmup:
        problems.append("the warm-up lasts int(warmup_ratio x steps) steps")
    if not close(lr_at_60, right_lr, rel=1e-3):
        problems.append("after the warm-up the rate falls linearly from lr to 0 at the last step")
    return verdict(1, problems)


def small_model(seed=0):
    """A 2-layer BERT classifier with random weights and heavy dropout (0.5), and 20 random labelled rows."""
    from transformers import BertConfig, BertForSequenceClassification
    torch.manual_seed(seed)
    config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=32, hidden_dropout_prob=0.5, num_labels=2)
    model = BertForSequenceClassification(config)
    g = torch.Generator().manual_seed(seed)
    rows = [{"input_ids": torch.randint(1, 50, (6,), generator=g),
             "attention_mask": torch.ones(6, dtype=torch.long),
             "labels": torch.randint(0, 2, (), generator=g)} for _ in range(20)]
    return model, rows


def check_2(mean_loss):
    """Exercise 2: `mean_loss(model, loader)`, your function: the mean cross-entropy per review over
    every batch of `loader`, in eval mode, without gradients. It is run on a small random model left
    in training mode, with batches of 8, 8 and 4 rows.

    >>> def by_batch(model, loader):    # the mean of the batch means, with dropout on
    ...     return sum(model(**b).loss.item() for b in loader) / len(loader)
    >>> check_2(by_batch)
    Exercise 2: not yet: the model computed in training mode (dropout on): call model.eval() first; gradients were on: wrap the loop in torch.no_grad().
    """
    from torch.utils.data import DataLoader
    model, rows = small_model()
    loader = DataLoader(rows, batch_size=8)
    model.eval()
    with torch.no_grad():
        means, sizes = zip(*[(model(**b).loss.item(), len(b["labels"])) for b in loader])
    right = sum(m * n for m, n in zip(means, sizes)) / sum(sizes)
    unweighted = sum(means) / len(means)                # the mean of the batch means
    seen = []
    model.register_forward_pre_hook(lambda m, args: seen.append((m.training, torch.is_grad_enabled())))
    model.train()
    try:
        answer = mean_loss(model, loader)
    except Exception as e:                      # the learner's code: say what it raised
        return verdict(2, [f"your function raised {type(e).__name__}: {e}"])
    answer = answer.item() if isinstance(answer, torch.Tensor) and answer.numel() == 1 else answer
    problems = []
    if not seen:
        return verdict(2, ["your function never called the model"])
    if any(training for training, _ in seen):
        problems.append("the model computed in training mode (dropout on): call model.eval() first")
    if any(grad for _, grad in seen):
        problems.append("gradients were on: wrap the loop in torch.no_grad()")
    if close(answer, right, rel=1e-4):
        pass
    elif close(answer, unweighted, rel=1e-4):
        problems.append("weight each batch's mean loss by its rows: the last batch holds 4, not 8")
    elif not problems:
        problems.append("the number is off: the mean cross-entropy of every review, all batches together")
    return verdict(2, problems)


def check_3(b_norms, one_lr_is_fair):
    """Exercise 3: `b_norms`, {learning rate: sum of the norms of every LoRA B} after your runs at
    LoRA's default (1e-3) and at full fine-tuning's (5e-5); `one_lr_is_fair`, your answer to "is one
    learning rate for all methods a fair comparison?".

    >>> check_3({1e-3: 0.9, 5e-5: 0.05}, one_lr_is_fair=True)
    Exercise 3: not yet: one learning rate for all methods favours the method it was tuned for.
    """
    problems = []
    if not {1e-3, 5e-5} <= set(b_norms):
        problems.append("train at both learning rates, 1e-3 and 5e-5, and give {lr: sum of |B|}")
    elif not b_norms[5e-5] < b_norms[1e-3] / 5:
        problems.append("at a 20 times smaller learning rate B should stay several times smaller; "
                        "sum the norms of lora_B after training")
    if one_lr_is_fair is not False:
        problems.append("one learning rate for all methods favours the method it was tuned for")
    return verdict(3, problems)


# "Check your understanding": three short questions, answered in the lesson (sections 2 and 3).
# Each takes your answer; `...` (the notebook's placeholder) is no answer.

PARTS = ("forward", "backward", "step", "zero_grad")


def question_1(order):
    """The four parts of a training step in the order the loop runs them, as a list of the names
    "forward", "backward", "step" and "zero_grad" (clearing the gradients first or last are both right).

    >>> question_1(["forward", "step", "backward", "zero_grad"])
    Question 1: not yet: the optimizer step uses the gradients that backward computes: backward comes first.
    """
    if order is ...:
        return question(1, ["replace ... with your answer"])
    if sorted(order if isinstance(order, (list, tuple)) else []) != sorted(PARTS):
        return question(1, ['give a list of the four names "forward", "backward", "step" and "zero_grad", each once'])
    order = list(order)
    if order[0] == "zero_grad":
        order = order[1:] + order[:1]                      # clearing first = clearing last of the step before
    position = {part: i for i, part in enumerate(order)}
    if position["backward"] < position["forward"]:
        return question(1, ["backward needs the loss that the forward pass computes"])
    if position["step"] < position["backward"]:
        return question(1, ["the optimizer step uses the gradients that backward computes: backward comes first"])
    if position["backward"] < position["zero_grad"] < position["step"]:
        return question(1, ["clearing between backward and step throws the gradients away before the step uses them"])
    if position["forward"] != 0:
        return question(1, ["start from the forward pass (or from clearing the gradients)"])
    return question(1, [])


def question_2(loss):
    """The cross-entropy loss of a model that gives every review the probability 0.5 for each label.

    >>> question_2(0.5)
    Question 2: not yet: the loss is -log p of the right label, not p itself.
    """
    if loss is ...:
        return question(2, ["replace ... with your answer"])
    if close(loss, math.log(2), rel=1e-3):
        return question(2, [])
    if close(loss, 0.5):
        return question(2, ["the loss is -log p of the right label, not p itself"])
    if close(loss, 1.0):
        return question(2, ["PyTorch's cross-entropy takes the natural logarithm, not log base 2"])
    if close(loss, -math.log(2), rel=1e-3):
        return question(2, ["the sign: the loss is minus the log-probability, so it is positive"])
    return question(2, ["the loss of one review is -log p, p the probability of its right label"])


def question_3(w0_moves):
    """AdamW is given all of `model.parameters()`, and the body was frozen (requires_grad False) as
    `apply_lora` does: does W0 move in an optimizer step? True or False.

    >>> question_3(True)
    Question 3: not yet: a frozen weight gets no gradient, and AdamW skips a tensor that has none (section 2's table).
    """
    if w0_moves is ...:
        return question(3, ["replace ... with True or False"])
    if not isinstance(w0_moves, bool):
        return question(3, ["answer True or False"])
    if w0_moves:
        return question(3, ["a frozen weight gets no gradient, and AdamW skips a tensor that has none (section 2's table)"])
    return question(3, [])
