"""Solutions to the exercises of notebooks/00_setup.ipynb.

Run from the repository root: python solutions/00_setup.py (every answer is checked by an assert).
The answers to the lesson's "Check your understanding" questions close the script.
"""
import torch
from transformers import BertConfig

import lorakit
from lorakit.device import select_precision
from lorakit.exercises import nb00

model = lorakit.load_task_model("sentiment", labels=["negative", "positive"])

# Exercise 1. The classifier maps the 384-wide [CLS] representation to 2 logits: a (2, 384) weight
# plus a bias of 2, so 2 * 384 + 2 = 770.
head = model.classifier
assert tuple(head.weight.shape) == (2, 384) and tuple(head.bias.shape) == (2,)
assert sum(p.numel() for p in head.parameters()) == 2 * 384 + 2 == 770
assert nb00.check_1(sum(p.numel() for p in head.parameters()))
print("1. classifier:", 2 * 384 + 2, "parameters")

# Exercise 2. 12 layers (query and value in 6 encoder layers), each 384 x 384.
# Full update: 12 * 384 * 384 weights (plus 12 * 384 biases if the biases were trained too).
# LoRA, rank 8: A is 8 x 384 and B is 384 x 8, so 12 * 8 * (384 + 384).
full = 12 * 384 * 384
lora = 12 * 8 * (384 + 384)
names = [n for n, m in model.named_modules() if isinstance(m, torch.nn.Linear) and n.split(".")[-1] in ("query", "value")]
assert len(names) == 12
assert sum(model.get_submodule(n).weight.numel() for n in names) == full
assert nb00.check_2(full, lora)
print(f"2. full update {full:,} weights; LoRA r=8 {lora:,} ({100 * lora / full:.2f}%)")


# Exercise 3. bf16 needs compute capability >= (8, 0); older GPUs use fp16. The notebook's rule, applied
# to each GPU, must agree with the rule the training loop really uses, lorakit.device.select_precision.
gpus = {"T4": (7, 5), "A100": (8, 0), "H100": (9, 0)}
answers = {gpu: "bf16" if capability >= (8, 0) else "fp16" for gpu, capability in gpus.items()}
assert answers == {"T4": "fp16", "A100": "bf16", "H100": "bf16"}
for gpu, capability in gpus.items():
    assert select_precision("cuda", capability=capability) == answers[gpu], gpu
assert nb00.check_3(answers)
print("3.", ", ".join(f"{gpu} -> {p}" for gpu, p in answers.items()))

# Exercise 4. Only the head depends on the number of labels: its weight becomes (3, 384) and its
# bias (3,). Every pretrained weight keeps its shape (and its values: they come from the same file).
three = lorakit.load_task_model("sentiment", labels=["negative", "neutral", "positive"])
two_shapes = {n: p.shape for n, p in model.named_parameters()}
three_shapes = {n: p.shape for n, p in three.named_parameters()}
changed = sorted(n for n in two_shapes if two_shapes[n] != three_shapes[n])
assert changed == ["classifier.bias", "classifier.weight"], changed
assert nb00.check_4(changed)
assert torch.equal(model.bert.encoder.layer[0].attention.self.query.weight,
                   three.bert.encoder.layer[0].attention.self.query.weight)
print("4. changed:", changed, "->", [tuple(three_shapes[n]) for n in changed])

# Check your understanding.
# 1. nn.Linear stores its weight as (d_out, d_in): bert-base's intermediate.dense maps 768 -> 3072, so
#    (3072, 768), as MiniLM's maps 384 -> 1536 with a (1536, 384) weight (section 3's table).
# 2. "b": fast mode shrinks data sizes and step counts (pick(full, fast)); the code path and the model stay.
# 3. "bf16": 8 exponent bits, float32's range; fp16 has 5 and needs loss scaling.
base = BertConfig()                                       # bert-base's default configuration
answers = {1: (base.intermediate_size, base.hidden_size), 2: "b", 3: "bf16"}
assert answers[1] == (3072, 768)
assert torch.finfo(torch.bfloat16).max > 1e38 > torch.finfo(torch.float16).max   # float32's range, fp16's not
for k, answer in answers.items():
    assert getattr(nb00, f"question_{k}")(answer), k
print("questions:", answers)
