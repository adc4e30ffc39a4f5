"""Solutions to the exercises of notebooks/09_hyperparameters.ipynb.

Run from the repository root: python solutions/09_hyperparameters.py (every answer is checked by an assert).
Exercises 1-3 read the shipped grid or count weights; exercise 4 also reruns a small live grid over two
batch sizes (seconds with LORAKIT_FAST=1, minutes without). The answers to the lesson's "Check your
understanding" questions close the script.
"""
import math
import tempfile
from pathlib import Path

from lorakit.config import TrainConfig
from lorakit.exercises import nb09
from lorakit.fast import pick
from lorakit.hyper import best_lrs, bundled_grid
from lorakit.sweep import run_sweep
from lorakit.sweep_axes import Axes

grid = bundled_grid()

# Exercise 1. The plain runs (query and value, batch 16, alpha/r), then each setting's best lr.
plain = grid[(grid["batch_size"] == 16) & (grid["use_rslora"] == 0) & grid["target_modules"].isin(["query,value", ""])]
best = best_lrs(plain, "accuracy")
lora_lr, full_lr = best["LoRA r=4"], best["full fine-tuning"]
assert nb09.check_1(lora_lr, full_lr, lora_lr / full_lr)
print(f"1. best lr: LoRA r=4 {lora_lr:g}, full fine-tuning {full_lr:g}, ratio {lora_lr / full_lr:g}")

# Exercise 2. (alpha / sqrt(r)) / (alpha / r) = sqrt(r); the same step takes a learning rate sqrt(r) times lower.
factor = math.sqrt(32)
assert nb09.check_2(factor, 1 / factor)
print(f"2. rsLoRA's scaling at r=32 is {factor:.2f} times alpha/r; the best lr should be about {1 / factor:.3f} times as large")

# Exercise 3. r (d_in + d_out) per adapted layer, 6 blocks.
weights = {"query,value": 6 * 2 * 4 * (384 + 384), "mlp": 6 * 2 * 2 * (384 + 1536),
           "all-linear": 6 * 1 * (4 * (384 + 384) + 2 * (384 + 1536)) + 1 * (384 + 384)}   # + the pooler
assert nb09.check_3(weights)
head = grid.loc[(grid["target_modules"] == "query,value") & (grid["rank"] == 4), "trainable_params"].iloc[0] - weights["query,value"]
for (targets, r), w in zip((("query,value", 4), ("mlp", 2), ("all-linear", 1)), weights.values()):
    row = grid[(grid["target_modules"] == targets) & (grid["rank"] == r)].iloc[0]
    assert row["trainable_params"] == w + head               # the table counts the classifier head too
print(f"3. LoRA weights {weights}; the head adds {head} to each")

# Exercise 4. One step per batch, the last one short: ceil(1000 / b).
steps = {b: math.ceil(1000 / b) for b in (8, 16, 64)}
assert nb09.check_4(steps)
config = TrainConfig(max_train_examples=pick(full=400, fast=16), max_eval_examples=pick(full=200, fast=16), epochs=1)
lrs = pick(full=[1e-4, 1e-3, 1e-2], fast=[1e-3])
live = run_sweep("sentiment", [4], seeds=[0], out=Path(tempfile.mkdtemp()) / "batch", base_config=config,
                 progress=False, axes=Axes(lrs=lrs, batch_sizes=[8, 64]))
assert len(live) == 2 * len(lrs)
by_batch = live.pivot_table(index="lr", columns="batch_size", values="accuracy")
print(f"4. steps {steps}; live accuracy by lr and batch size:\n{by_batch}\n   best lr per batch: {by_batch.idxmax().to_dict()}")

# Check your understanding.
assert nb09.question_1("b") and nb09.question_2(16) and nb09.question_3(False)
print("questions: 1 b, 2 16, 3 False")
