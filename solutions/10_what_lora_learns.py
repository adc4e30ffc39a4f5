"""Solutions to the exercises of notebooks/10_what_lora_learns.ipynb.

Run from the repository root: python solutions/10_what_lora_learns.py (every answer is checked by an assert).
Exercise 1 needs no training; 2 to 4 train small adapters (seconds with LORAKIT_FAST=1, minutes without).
The answers to the lesson's "Check your understanding" questions close the script.
"""
import copy

import pandas as pd
import torch

from lorakit.analysis import amplification, subspace_similarity
from lorakit.exercises import nb10
from lorakit.fast import pick
from lorakit.lora import lora_layers, merge_lora, unmerge_lora
from lorakit.config import TrainConfig
from lorakit.train import train

# Exercise 1. Each of the i unit vectors of U1 has, on average, a squared projection of j/d on a random
# j-dimensional subspace, so ||U1[:, :i]^T U2[:, :j]||^2 is about i j / d; divided by min(i, j) that is
# max(i, j) / d. Random subspaces overlap more the larger the larger one is.
torch.manual_seed(0)
d = 384
A1, A2 = torch.randn(8, d), torch.randn(32, d)
phis = {(i, j): subspace_similarity(A1, A2, i, j) for i, j in [(1, 1), (1, 32), (8, 8), (8, 32)]}
for (i, j), phi in phis.items():
    print(f"1. phi(i={i}, j={j}) = {phi:.3f}   max(i, j)/d = {max(i, j) / d:.3f}")
assert nb10.check_1(phis)
assert not nb10.check_1({(i, j): min(i, j) / d for i, j in phis})      # min instead of max: rejected


# Exercise 2. Every merge adds and every unmerge subtracts a rounded product; the rounding errors add up.
# The adapter of section 5 is the rank-4 sentiment run (lesson settings: alpha 16, seed 0); a float64
# copy of it shows the same cycles at float64's rounding.
config = dict(task="sentiment", max_train_examples=pick(full=3000, fast=48),
              max_eval_examples=pick(full=500, fast=40), epochs=pick(full=2, fast=1))
section_5 = train(TrainConfig(r=4, lora_alpha=16, seed=0, **config), progress=False)


def drift(model, cycles=10):
    """The largest change of any W0 entry after `cycles` merges and unmerges of every LoRA layer."""
    layers = lora_layers(model)
    start = {name: layer.base_layer.weight.detach().clone() for name, layer in layers.items()}
    for _ in range(cycles):
        merge_lora(model)
        unmerge_lora(model)
    return max((layer.base_layer.weight - start[name]).abs().max().item() for name, layer in layers.items())


drift32 = drift(copy.deepcopy(section_5.model))           # copies: section_5 is used again in exercise 4
drift64 = drift(copy.deepcopy(section_5.model).double())
assert 0 < drift32 < 1e-5 and drift64 < 1e-13
assert nb10.check_2(drift32, drift64)
print(f"2. after 10 merge/unmerge cycles W0 moved by {drift32:.1e} (float32), {drift64:.1e} (float64). "
      f"A server merges once: merging per request costs a d x d update each time and drifts.")

# Exercise 3. The number of directions holding 90% of ||dW||_F^2, for every LoRA layer of a rank-32 adapter.
model = train(TrainConfig(r=32, **config), progress=False).model
k90 = {}
for name, layer in lora_layers(model).items():
    s = torch.linalg.svdvals(layer.get_delta_weight().detach().double())
    energy = (s ** 2).cumsum(0) / (s ** 2).sum()       # share of ||dW||_F^2 in the top 1, 2, ... directions
    k90[name] = int((energy < 0.9).sum()) + 1
assert len(k90) == 12 and nb10.check_3(k90, model)
assert not nb10.check_3({name: k - 1 for name, k in k90.items()}, model)   # one direction short: rejected
rows = [{"block": next(int(part) for part in name.split(".") if part.isdigit()), "layer": name.split(".")[-1],
         "k90": k} for name, k in k90.items()]
table = pd.DataFrame(rows).pivot(index="block", columns="layer", values="k90")
print("3. directions holding 90% of ||dW||^2, per block and layer:\n", table.to_string())

# Exercise 4. Longer training moves B further from zero: ||dW|| grows, and so does the amplification.
# The short run is section 5's adapter (trained for exercise 2); the long one trains twice the epochs.
long_run = train(TrainConfig(r=4, lora_alpha=16, seed=0, **{**config, "epochs": 2 * config["epochs"]}),
                 progress=False)


def last_query(run):
    """The LoRA layer of the last block's query projection, the layer sections 3 and 4 study."""
    return [layer for name, layer in lora_layers(run.model).items() if name.endswith("query")][-1]


short, long = (amplification(last_query(run).base_layer.weight, last_query(run).get_delta_weight())
               for run in (section_5, long_run))
assert long["delta_norm"] > short["delta_norm"] and long["factor"] > short["factor"]
assert nb10.check_4(short, long, norm_grows=True, factor_grows=True)
print(f"4. {config['epochs']} -> {2 * config['epochs']} epochs: ||dW|| {short['delta_norm']:.3f} -> "
      f"{long['delta_norm']:.3f}, factor {short['factor']:.2f} -> {long['factor']:.2f}")

# Check your understanding.
# 1. Random subspaces overlap by about max(i, j) / d: 4 / 384.
# 2. dW = (alpha/r) B A passes through the r numbers A x, so its rank, and its count of non-zero
#    singular values, is at most r = 8.
# 3. Merged, the layer holds one weight W = W0 + dW of W0's shape: no extra products (0).
# 4. No: a rotation keeps W^T W; LoRA adds a low-rank matrix, which changes it (section 7).
answers = {1: 4 / 384, 2: 8, 3: 0, 4: False}
for k, answer in answers.items():
    assert getattr(nb10, f"question_{k}")(answer), k
print("questions:", answers)
