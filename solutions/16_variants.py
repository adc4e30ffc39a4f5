"""Solutions to the exercises of notebooks/16_variants.ipynb.

Run from the repository root: python solutions/16_variants.py (every answer is checked by an assert).
Exercises 1 and 3 and the questions take seconds; exercise 2 trains two sentiment runs (seconds with
LORAKIT_FAST=1, minutes without).
"""
import copy
from dataclasses import replace

import torch
from torch import nn

from lorakit.config import TrainConfig
from lorakit.exercises import nb16
from lorakit.fast import pick
from lorakit.lora import LoRALinear, apply_lora, count_parameters
from lorakit.models import load_task_model
from lorakit.train import train
from lorakit.variants import loraplus_param_groups, pissa_nf4_error

# Exercise 1. DoRA adds a magnitude vector of d_out = 384 numbers to each of the 12 adapted layers.
encoder = load_task_model("sentiment", ["negative", "positive"])
counts = {}
for use_dora in (False, True):
    model = apply_lora(copy.deepcopy(encoder), ["query", "value"], r=8, lora_alpha=16,
                       modules_to_save=["classifier"], use_dora=use_dora)
    counts[use_dora] = count_parameters(model)[0]
extra = counts[True] - counts[False]
assert extra == 12 * 384 and nb16.check_1(extra)
print(f"1. LoRA {counts[False]:,}, DoRA {counts[True]:,}: {extra:,} more (12 layers x 384)")

# Exercise 2. alpha / 64 = 16 / sqrt(64) = 2, so alpha = 128. The two runs compute the same thing
# (scaling 2 for both), so with the same seed they give the same result.
config = TrainConfig(task="sentiment", epochs=1, max_train_examples=pick(full=500, fast=16),
                     max_eval_examples=pick(full=200, fast=8), r=64, seed=0)
plain = train(replace(config, lora_alpha=128), progress=False)
rs = train(replace(config, lora_alpha=16, use_rslora=True), progress=False)
assert plain.metrics["accuracy"] == rs.metrics["accuracy"]
lora_weights = [{n: t for n, t in r.model.state_dict().items() if "lora_" in n} for r in (plain, rs)]
assert lora_weights[0] and lora_weights[0].keys() == lora_weights[1].keys()
same_run = all(torch.equal(t, lora_weights[1][n]) for n, t in lora_weights[0].items())   # every trained factor
assert nb16.check_2(128, same_run)
print(f"2. alpha = 128: plain LoRA accuracy {plain.metrics['accuracy']:.4f}, rsLoRA {rs.metrics['accuracy']:.4f}")

# Exercise 3. The error falls as more of W0's large directions stay in full precision, and reaches zero at
# r = 384 (= min(d_in, d_out)): then W0 is all principal part and the residual is zero, which NF4 stores
# exactly. The fall is not linear: the first directions hold most of the energy and the outliers.
query = encoder.bert.encoder.layer[0].attention.self.query.weight.detach()
errors = {r: pissa_nf4_error(query, r) for r in (1, 8, 32, 128, 384)}
assert all(errors[a] > errors[b] for a, b in [(1, 8), (8, 32), (32, 128), (128, 384)])
assert errors[384] < 1e-5
assert nb16.check_3(errors)
print("3.", {r: round(e, 4) for r, e in errors.items()})

# Check your understanding.
# Question 1. m starts at the length of each row of W0, so that W' = W0: rows (3, 4) and (0, 2) give
# m = (5, 2). lorakit's DoRA layer on that W0:
base = nn.Linear(2, 2, bias=False)
with torch.no_grad():
    base.weight.copy_(torch.tensor(nb16.QUESTION_1_W0))
m = LoRALinear(base, r=1, lora_alpha=1, use_dora=True).lora_magnitude_vector.tolist()
assert m == [5.0, 2.0] and nb16.question_1(m)
print("Q1. m =", m)

# Question 2. LoRA+ keeps A's learning rate and multiplies B's by the ratio: 2e-3 and 16 * 2e-3 = 0.032.
model = apply_lora(nn.Sequential(nn.Linear(8, 8)), ["0"], r=2, lora_alpha=4)
groups = loraplus_param_groups(model, lr=2e-3, loraplus_ratio=16)
names = {id(p): n.split(".")[1] for n, p in model.named_parameters()}
lrs = {names[id(p)]: g["lr"] for g in groups for p in g["params"] if names[id(p)].startswith("lora")}
assert nb16.question_2(lrs)
print("Q2.", lrs)

# Question 3. W0 = diag(3, 1): its top singular triplet is 3 e1 e1^T, which A and B take (s = 1);
# the frozen layer keeps W0 - 3 e1 e1^T = diag(0, 1). lorakit's PiSSA layer on that W0:
pissa = nn.Linear(2, 2, bias=False)
with torch.no_grad():
    pissa.weight.copy_(torch.tensor(nb16.QUESTION_3_W0))
pissa = LoRALinear(pissa, r=1, lora_alpha=1, init_lora_weights="pissa")
w_res = pissa.base_layer.weight.detach()
assert torch.allclose(w_res, torch.diag(torch.tensor([0.0, 1.0])), atol=1e-6) and nb16.question_3(w_res)
print("Q3. W_res =", w_res.round(decimals=4).tolist())
