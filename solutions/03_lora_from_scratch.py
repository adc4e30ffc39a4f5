"""Solutions to the exercises of notebooks/03_lora_from_scratch.ipynb.

Run from the repository root: python solutions/03_lora_from_scratch.py (every answer is checked by an assert).
The `MyLoRALinear` below is the notebook's teaching class with the exercises' additions; the course's
real layer is `lorakit.LoRALinear`.
"""
import math

import torch
from torch import nn

import lorakit
from lorakit import lowrank
from lorakit.exercises import nb03


class MyLoRALinear(nn.Module):
    def __init__(self, base, r, lora_alpha, lora_dropout=0.0, use_rslora=False):
        super().__init__()
        self.base_layer = base
        for p in base.parameters():
            p.requires_grad_(False)
        d_out, d_in = base.weight.shape
        # Exercise 2: rsLoRA scales by alpha / sqrt(r) instead of alpha / r.
        self.scaling = lora_alpha / (math.sqrt(r) if use_rslora else r)
        # Exercise 1: dropout on the input of the LoRA path only.
        self.lora_dropout = nn.Dropout(lora_dropout) if lora_dropout > 0 else nn.Identity()
        self.lora_A = nn.Linear(d_in, r, bias=False)                  # A: (r, d_in)
        self.lora_B = nn.Linear(r, d_out, bias=False)                 # B: (d_out, r)
        nn.init.kaiming_uniform_(self.lora_A.weight, a=math.sqrt(5))
        nn.init.zeros_(self.lora_B.weight)
        self.merged = False

    def delta_weight(self):
        return self.scaling * self.lora_B.weight @ self.lora_A.weight  # (d_out, d_in)

    def forward(self, x):
        out = self.base_layer(x)
        if self.merged:
            return out
        return out + self.scaling * self.lora_B(self.lora_A(self.lora_dropout(x)))

    @torch.no_grad()
    def merge(self):
        # Exercise 4: refuse to add s B A twice (lorakit raises lorakit.MergeError).
        if self.merged:
            raise RuntimeError("already merged; call unmerge() first")
        self.base_layer.weight += self.delta_weight()
        self.merged = True

    @torch.no_grad()
    def unmerge(self):
        if not self.merged:
            raise RuntimeError("not merged")
        self.base_layer.weight -= self.delta_weight()
        self.merged = False


def pair(**options):
    torch.manual_seed(1)
    mine = MyLoRALinear(nn.Linear(12, 8), r=4, lora_alpha=8, **options)
    torch.manual_seed(1)
    ref = lorakit.LoRALinear(nn.Linear(12, 8), r=4, lora_alpha=8, **options)
    with torch.no_grad():
        B = torch.randn(8, 4)
        mine.lora_B.weight.copy_(B)
        ref.lora_B.weight.copy_(B)
    return mine, ref


x = torch.randn(5, 12)

# Exercise 1. In eval() mode dropout is the identity: both layers agree exactly. In train() mode the
# same seed draws the same dropout mask, since both apply it at the same point. Dropout goes on the
# LoRA path only: it regularises the small adapter, while the frozen base layer must keep computing
# what it was pretrained to compute (and at inference, after merging, there is no separate path left).
# (lorakit sums h = W0 x + s B A x in another order, for speed, so the match is to float rounding.)
mine, ref = pair(lora_dropout=0.1)
mine.eval(); ref.eval()
torch.testing.assert_close(mine(x), ref(x), rtol=1e-5, atol=1e-5)
mine.train(); ref.train()
torch.manual_seed(7); out_mine = mine(x)
torch.manual_seed(7); out_ref = ref(x)
torch.testing.assert_close(out_mine, out_ref, rtol=1e-5, atol=1e-5)
assert not torch.equal(out_mine, mine.base_layer(x) + mine.scaling * mine.lora_B(mine.lora_A(x)))  # dropout acted
assert nb03.check_1(MyLoRALinear)
print("1. lora_dropout matches lorakit in eval and train mode")

# Exercise 2.
mine, ref = pair(use_rslora=True)
assert mine.scaling == ref.scaling == 8 / math.sqrt(4) == 4.0
torch.testing.assert_close(mine(x), ref(x), rtol=1e-5, atol=1e-5)
assert nb03.check_2(MyLoRALinear)
print("2. use_rslora: scaling", ref.scaling, "and outputs match lorakit")

# Exercise 3. "all-linear" adapts every Linear except the classifier head: in each of the 6 encoder
# layers query, key, value and attention output (384 -> 384), intermediate (384 -> 1536) and output
# (1536 -> 384); plus the pooler (384 -> 384). The classifier (modules_to_save) adds its 770.
per_layer = 4 * lowrank.lora_param_count(384, 384, 8) + lowrank.lora_param_count(384, 1536, 8) \
    + lowrank.lora_param_count(1536, 384, 8)
predicted = 6 * per_layer + lowrank.lora_param_count(384, 384, 8) + 770
model = lorakit.load_task_model("sentiment", labels=["negative", "positive"])
lorakit.apply_lora(model, "all-linear", r=8, lora_alpha=16, modules_to_save=["classifier"])
trainable, total = lorakit.count_parameters(model, print_report=True)
assert trainable == predicted == 338_690, (trainable, predicted)
assert nb03.check_3(predicted) and nb03.check_3(predicted - 770)  # with or without the head
print(f"3. all-linear, r=8: predicted {predicted:,}, measured {trainable:,}")

# Exercise 4. lorakit.LoRALinear.merge() raises lorakit.MergeError the second time; our guard does the same.
mine, ref = pair()
ref.merge()
try:
    ref.merge()
    raise AssertionError("lorakit merged twice")
except lorakit.MergeError as e:
    print("4. lorakit:", e)
mine.merge()
try:
    mine.merge()
    raise AssertionError("MyLoRALinear merged twice")
except RuntimeError:
    pass
mine.unmerge(); ref.unmerge()
torch.testing.assert_close(mine(x), ref(x))
assert nb03.check_4(MyLoRALinear)
print("4. a second merge raises; merge, refused merge, unmerge gives the layer back")

# Check your understanding.
# 1. nn.Linear keeps its weight as (out_features, in_features): A = nn.Linear(384, 8) has weight (8, 384)
#    = (r, d_in), B = nn.Linear(8, 1536) has weight (1536, 8) = (d_out, r).
layer = lorakit.LoRALinear(nn.Linear(384, 1536), r=8, lora_alpha=16)
shape_A, shape_B = tuple(layer.lora_A.weight.shape), tuple(layer.lora_B.weight.shape)
assert (shape_A, shape_B) == ((8, 384), (1536, 8))
assert nb03.question_1(shape_A, shape_B)
# 2. alpha / r = 16 / 8 = 2; rsLoRA's alpha / sqrt(r) = 16 / sqrt(8) = 5.657.
scalings = [lorakit.LoRALinear(nn.Linear(12, 8), r=8, lora_alpha=16, use_rslora=rs).scaling for rs in (False, True)]
assert scalings[0] == 2.0 and math.isclose(scalings[1], 16 / math.sqrt(8))
assert nb03.question_2(*scalings)
# 3. (c): the guide's full fine-tuning also has lora_A and lora_B layers (b) and its loss falls too (a);
#    only its pretrained weights move after a step, which lorakit.audit.audit_lora checks.
assert nb03.question_3("c")
print(f"questions: A {shape_A}, B {shape_B}; scalings {scalings[0]:g} and {scalings[1]:.3f}; (c)")
