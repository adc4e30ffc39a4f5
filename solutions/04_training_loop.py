"""Solutions to the exercises of notebooks/04_training_loop.ipynb.

Run from the repository root: python solutions/04_training_loop.py (every answer is checked by an assert).
Exercises 1 and 2 need no training; exercise 3 trains twice (seconds with LORAKIT_FAST=1, minutes without).
"""
import math

import torch
from transformers import get_linear_schedule_with_warmup

import lorakit
from lorakit.config import DEFAULT_LR, TrainConfig
from lorakit.exercises import nb04
from lorakit.fast import pick
from lorakit.train import length_grouped_batches, train

# Exercise 1. A step trains one batch. 600 reviews in batches of 16 make 37 full batches and one of 8:
# 38 steps an epoch, 114 for three epochs (not 3 x 600 / 16 = 112.5, nor 112). The warm-up is
# int(0.1 x 114) = 11 steps. After it the factor falls linearly from 1 at step 11 to 0 at step 114:
# at step 60 it is (114 - 60) / (114 - 11) = 54 / 103, so the rate is 1e-3 x 0.524 = 5.24e-4.
steps = 3 * math.ceil(600 / 16)
warmup_steps = int(0.1 * steps)
optimizer = torch.optim.AdamW([torch.zeros(1, requires_grad=True)], lr=1e-3)
scheduler = get_linear_schedule_with_warmup(optimizer, warmup_steps, steps)
for _ in range(60):
    optimizer.step()
    scheduler.step()
lr_at_60 = scheduler.get_last_lr()[0]
assert math.isclose(lr_at_60, 1e-3 * 54 / 103)
# train() plans the same number of batches (its batches of similar length are still 16 at most):
assert 3 * len(length_grouped_batches([10] * 600, batch_size=16, seed=0)) == steps
assert nb04.check_1(steps, warmup_steps, lr_at_60)
print(f"1. {steps} steps, {warmup_steps} of warm-up, step 60 at lr {lr_at_60:.3g}")


# Exercise 2. Each batch's `loss` is the mean over its rows; the last batch may be smaller, so weight
# each mean by its rows (or sum the per-row losses) before dividing by all the rows.
def mean_loss(model, loader):
    model.eval()                                   # dropout off: the same input, the same loss
    total = rows = 0
    with torch.no_grad():                          # no graph: nothing will call backward
        for batch in loader:
            n = len(batch["labels"])
            total += model(**batch).loss.item() * n
            rows += n
    return total / rows


assert nb04.check_2(mean_loss)
print("2.", nb04.check_2(mean_loss))

# Exercise 3. LoRA at full fine-tuning's learning rate. B starts at zero and AdamW moves each weight by about
# lr per step, so with a 20 times smaller learning rate B stays about 20 times smaller: the adapter barely
# changes the model within the same number of steps, and the head does most of the work. One learning rate
# for all methods is not a fair comparison: tune it per method.
sizes = dict(max_train_examples=pick(full=None, fast=64), max_eval_examples=pick(full=None, fast=100),
             epochs=pick(full=None, fast=1), seed=0)
norms = {}
for lr in (DEFAULT_LR["lora"], DEFAULT_LR["full"]):
    result = train(TrainConfig(task="sentiment", method="lora", lr=lr, **sizes), progress=False)
    norms[lr] = sum(layer.lora_B.weight.norm().item() for layer in lorakit.lora_layers(result.model).values())
    print(f"3. lr {lr:g}: validation accuracy {result.metrics['accuracy']:.3f}, sum of |B| {norms[lr]:.4f}")
assert norms[DEFAULT_LR["full"]] < norms[DEFAULT_LR["lora"]] / 5
assert nb04.check_3(norms, one_lr_is_fair=False)

# Check your understanding.
# 1. forward (the loss), backward (its gradients), step (uses them), zero_grad (clears them for the next
#    batch); clearing first, before the forward pass, is the same loop seen one step later.
assert nb04.question_1(["forward", "backward", "step", "zero_grad"])
assert nb04.question_1(["zero_grad", "forward", "backward", "step"])
# 2. The loss of one review is -ln p of its right label: -ln 0.5 = ln 2 = 0.693, whatever the label.
fifty_fifty = torch.nn.functional.cross_entropy(torch.zeros(4, 2), torch.tensor([0, 1, 1, 0])).item()
assert math.isclose(fifty_fifty, math.log(2), rel_tol=1e-6)
assert nb04.question_2(fifty_fifty)
# 3. A frozen weight gets no gradient, and AdamW skips a tensor whose .grad is None: W0 stays put.
frozen = torch.nn.Parameter(torch.ones(3), requires_grad=False)
head = torch.nn.Parameter(torch.ones(3))
step_optimizer = torch.optim.AdamW([frozen, head], lr=0.1)
(head * 2).sum().backward()
step_optimizer.step()
assert torch.equal(frozen, torch.ones(3)) and not torch.equal(head.detach(), torch.ones(3))
assert nb04.question_3(False)
print(f"questions: forward, backward, step, zero_grad; loss {fifty_fifty:.4f} = ln 2; W0 does not move")
