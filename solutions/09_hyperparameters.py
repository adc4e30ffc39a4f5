"""Solutions to the exercises of notebooks/09_hyperparameters.ipynb.

Run from the repository root: python solutions/09_hyperparameters.py (every answer is checked by an assert).
Exercises 1-3 read the shipped grid or count weights; exercise 4 reruns section 6's live grid at two
batch sizes, with the full fine-tuning baseline and two seeds (seconds with LORAKIT_FAST=1, minutes without). The answers to the lesson's "Check your
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

# Exercise 2. (alpha / sqrt(r)) / (alpha / r) = sqrt(r); at a fixed r, s r lr stays the same with an lr sqrt(r) times lower.
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

# Exercise 4. Section 6's live grid at batch 8 and 64, keeping the full fine-tuning baseline and two seeds;
# then, per batch size, each method's best mean over the learning rates and the standard error of their difference.
config = TrainConfig(max_train_examples=pick(full=400, fast=16), max_eval_examples=pick(full=200, fast=16), epochs=1)
lrs = pick(full=[1e-4, 1e-3, 1e-2], fast=[1e-3])
live = run_sweep("sentiment", [4], seeds=[0, 1], baselines=["full"], out=Path(tempfile.mkdtemp()) / "batch",
                 base_config=config, progress=False, axes=Axes(lrs=lrs, batch_sizes=[8, 64]))
assert len(live) == 2 * 2 * 2 * len(lrs)                   # 2 methods x 2 batch sizes x 2 seeds x the lrs
stats = live.groupby(["batch_size", "method", "rank", "lr"])["accuracy"].agg(["mean", "sem"])  # a row per setting
print(f"4. live accuracy, mean and standard error over the two seeds:\n{stats}")
gaps = {}
for batch in (8, 64):
    settings = {m: stats.loc[(batch, m)] for m in ("full", "lora")}             # one row per (rank, lr)
    best = {m: rows.loc[rows["mean"].idxmax()] for m, rows in settings.items()}  # the (first) best one's row
    difference = best["full"]["mean"] - best["lora"]["mean"]
    se = math.sqrt(best["full"]["sem"] ** 2 + best["lora"]["sem"] ** 2)
    gaps[batch] = (difference, se, abs(difference) > 2 * se)
    print(f"   batch {batch}: full fine-tuning's best minus LoRA's {difference:+.3f} ± {se:.3f}: "
          f"{'more' if gaps[batch][2] else 'not more'} than two standard errors")
assert nb09.check_4(live, gaps)

# Check your understanding.
# 1: at 1e-3 the two alpha/r ranks are both at chance; rsLoRA's rank 32 (0.735) is far above rank 4 (0.566).
# 2: ceil(400 / 32) = 13 steps (sentiment's default batch is 32; the last batch has 16 reviews).
# 3: full fine-tuning's 1e-3 learned in the live grid's 13 steps and was at chance in the shipped grid's 63.
assert nb09.question_1("b") and nb09.question_2(math.ceil(400 / 32)) and nb09.question_3(False)
print("questions: 1 b, 2 13, 3 False")
