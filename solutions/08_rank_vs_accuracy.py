"""Solutions to the exercises of notebooks/08_rank_vs_accuracy.ipynb.

Run from the repository root: python solutions/08_rank_vs_accuracy.py (every answer is checked by an assert).
Exercises 1-3 read the shipped sweep; exercise 4 runs two small sweeps (seconds with LORAKIT_FAST=1,
minutes without). The answers to the lesson's "Check your understanding" questions close the script.
"""
import math
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np

from lorakit.exercises import nb08
from lorakit.fast import pick
from lorakit.sweep import bundled_results, run_sweep, summarize
from lorakit.config import TrainConfig

table = bundled_results("sentiment")
summary = summarize(table, "accuracy")
lora = summary[summary["method"] == "lora"].set_index("rank")
full = summary[summary["method"] == "full"].iloc[0]

# Exercise 1. The best LoRA rank by mean accuracy, then the smallest rank within 0.01 of it.
best = lora["mean"].max()
enough = min(r for r in lora.index if lora.loc[r, "mean"] >= best - 0.01)
share = lora.loc[enough, "trainable_params"] / full["trainable_params"]
assert share < 0.01
assert nb08.check_1(enough, share)
print(f"1. rank {enough} is within one point of the best ({lora.loc[enough, 'mean']:.4f} vs {best:.4f}), "
      f"with {lora.loc[enough, 'trainable_params']:,} trainable weights = {100 * share:.3f}% of full fine-tuning's")

# Exercise 2. Each adapted layer adds r * (d_in + d_out) = r * (384 + 384) weights; query and value in 6
# blocks are 12 layers, so the slope is 12 * 768 = 9216 per unit of rank. The intercept is what does not
# depend on r: the classifier head, a (2, 384) weight and 2 biases = 770.
slope, intercept = np.polyfit(lora.index.to_numpy(float), lora["trainable_params"].to_numpy(float), 1)
assert round(slope) == 12 * (384 + 384) == 9216 and round(intercept) == 2 * 384 + 2 == 770
assert nb08.check_2(slope, intercept)
print(f"2. trainable = {slope:.0f} r + {intercept:.0f}")

# Exercise 3. The difference of two means over n seeds each has a standard error of
# sqrt(s1^2 / n + s2^2 / n). A difference within about two standard errors is not evidence; telling such
# ranks apart needs more seeds (the error falls as 1/sqrt(n)) or a larger test split.
answers = {}
for low_rank in (1, 4):
    low, high = lora.loc[low_rank], lora.loc[32]
    difference = high["mean"] - low["mean"]
    se = math.sqrt(low["std"] ** 2 / low["count"] + high["std"] ** 2 / high["count"])
    answers[low_rank] = (se, bool(difference > 2 * se))
    verdict = "more than" if abs(difference) > 2 * se else "within"
    print(f"3. rank 32 - rank {low_rank} = {difference:+.4f}, standard error {se:.4f}: {verdict} two "
          f"standard errors with {int(low['count'])} seeds")
(se_1, beats_1), (se_4, beats_4) = answers[1], answers[4]
# In the shipped sweep rank 1 is 3.4 points below rank 32, but its three seeds spread 8 points, so
# neither difference is beyond two standard errors: three seeds cannot tell these ranks apart.
assert not beats_1 and not beats_4
assert nb08.check_3(se_1, se_4, beats_1, beats_4)
assert not nb08.check_3(lora.loc[1, "std"], se_4, beats_1, beats_4)   # a std over seeds is not an error of a mean

# Exercise 4. rsLoRA scales by alpha / sqrt(r): the same as alpha / r at r = 1, but sqrt(r) times larger
# above it (2x at rank 4, 4x at rank 16), so the high ranks take larger steps (lesson 02). Rerunning
# section 6 with seed 1 tests whether its conclusions are more than one seed's luck. At rank 1 both runs
# are the same computation, so their results are identical.
ratios = {r: (16 / math.sqrt(r)) / (16 / r) for r in (1, 4, 16)}      # = sqrt(r)
assert nb08.check_4(ratios, 16)                                       # sqrt(16) = 4: furthest from 1
ranks = pick(full=[1, 4, 16], fast=[1, 4])
config = TrainConfig(max_train_examples=pick(full=1500, fast=24), max_eval_examples=pick(full=500, fast=24),
                     epochs=pick(full=2, fast=1))
out = Path(tempfile.mkdtemp())
plain = run_sweep("sentiment", ranks, seeds=[1], out=out / "plain", base_config=config, progress=False)
rs = run_sweep("sentiment", ranks, seeds=[1], out=out / "rslora", base_config=replace(config, use_rslora=True),
               progress=False)
plain, rs = plain.set_index("rank"), rs.set_index("rank")
assert plain.loc[1, "accuracy"] == rs.loc[1, "accuracy"]
for r in ranks:
    print(f"4. seed 1, rank {r:>2}: alpha/r {plain.loc[r, 'accuracy']:.4f}   alpha/sqrt(r) {rs.loc[r, 'accuracy']:.4f}")

# Check your understanding.
# 1. No: rank 4's mean is above rank 8's by less than the worst-to-best spread of either rank's seeds,
#    so the seeds alone could have made that difference.
rank_spread = table[table["method"] == "lora"].groupby("rank")["accuracy"].agg(lambda a: a.max() - a.min())
assert 0 < lora.loc[4, "mean"] - lora.loc[8, "mean"] < min(rank_spread.loc[4], rank_spread.loc[8])
# 2. A is 16 x 384 and B is 384 x 16: 16 * (384 + 384) = 12,288.
# 3. "b": the forward and backward passes through the frozen body; the optimizer updates only the LoRA
#    factors and the head, and the LoRA products add r (d_in + d_out) per token next to d_in d_out.
answers = {1: False, 2: 16 * (384 + 384), 3: "b"}
for k, answer in answers.items():
    assert getattr(nb08, f"question_{k}")(answer), k
print("questions:", answers)
