"""Solutions to the exercises of notebooks/16_variants.ipynb.

Run from the repository root: python solutions/16_variants.py (every answer is checked by an assert).
Exercises 1 and 3 take seconds; exercise 2 trains two sentiment runs (seconds with LORAKIT_FAST=1,
minutes without).
"""
import copy
from dataclasses import replace

from lorakit.config import TrainConfig
from lorakit.exercises import nb16
from lorakit.fast import pick
from lorakit.lora import apply_lora, count_parameters
from lorakit.models import load_task_model
from lorakit.train import train
from lorakit.variants import pissa_nf4_error

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
assert nb16.check_2(128)
config = TrainConfig(task="sentiment", epochs=1, max_train_examples=pick(full=500, fast=16),
                     max_eval_examples=pick(full=200, fast=8), r=64, seed=0)
plain = train(replace(config, lora_alpha=128), progress=False)
rs = train(replace(config, lora_alpha=16, use_rslora=True), progress=False)
assert plain.metrics["accuracy"] == rs.metrics["accuracy"]
print(f"2. alpha = 128: plain LoRA accuracy {plain.metrics['accuracy']:.4f}, rsLoRA {rs.metrics['accuracy']:.4f}")

# Exercise 3. The error falls as more of W0's large directions stay in full precision, and reaches zero at
# r = 384 (= min(d_in, d_out)): then W0 is all principal part and the residual is zero, which NF4 stores
# exactly. The fall is not linear: the first directions hold most of the energy and the outliers.
query = encoder.bert.encoder.layer[0].attention.self.query.weight.detach()
errors = {r: pissa_nf4_error(query, r) for r in (1, 8, 32, 128)}
assert all(errors[a] > errors[b] for a, b in [(1, 8), (8, 32), (32, 128)])
assert pissa_nf4_error(query, 384) < 1e-5
assert nb16.check_3(errors)
print("3.", {r: round(e, 4) for r, e in errors.items()})
