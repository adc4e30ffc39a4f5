"""Solutions to the exercises of notebooks/15_qlora.ipynb.

Run from the repository root: python solutions/15_qlora.py (every answer is checked by an assert).
Both exercises and the three questions take seconds.
"""
import torch
from torch import nn

from lorakit import quant
from lorakit.exercises import nb15
from lorakit.lora import LoRALinear, apply_lora

# Exercise 1. 4 bits of code per weight, plus the constants: without double quantisation one fp32
# constant per block (32 / blocksize bits); with it, one 8-bit constant per block (8 / blocksize) and one
# fp32 constant per 256 constants (32 / (256 blocksize)).
bits = {}
for blocksize in (32, 128):
    for double in (False, True):
        by_hand = 4 + 32 / blocksize if not double else 4 + 8 / blocksize + 32 / (256 * blocksize)
        measured = quant.bits_per_parameter(blocksize * 256 * 64, blocksize=blocksize, double_quant=double)
        assert abs(measured - by_hand) < 1e-3, (blocksize, double, measured, by_hand)
        bits[(blocksize, double)] = by_hand
assert nb15.check_1(bits)
print("1.", {k: round(v, 4) for k, v in bits.items()})

# Exercise 2. Weights times bytes per weight. bf16: 2 bytes, 7e9 * 2 = 14 GB. NF4 with double
# quantisation: 4 + 8/64 + 32/(64*256) = 4.127 bits = 0.516 bytes, 7e9 * 0.516 = 3.61 GB, a quarter
# of bf16 and a little more. The LoRA factors: each fp32 parameter has its value, its gradient and
# AdamW's two moments (exp_avg, exp_avg_sq), 4 numbers of 4 bytes: 40e6 * 16 = 0.64 GB.
weights, trainable = 7e9, 40e6
gb = {"bf16": weights * 2 / 1e9,
      "nf4": weights * (4 + 8 / 64 + 32 / (64 * 256)) / 8 / 1e9,
      "lora_training": trainable * 4 * 4 / 1e9}
assert abs(gb["nf4"] - weights * quant.bits_per_parameter(64 * 256 * 64) / 8 / 1e9) < 1e-3

# The 16 bytes per trainable parameter, measured: one AdamW step on a LoRA layer, then every tensor
# that training holds for the factors (parameters, gradients, optimizer state).
layer = LoRALinear(nn.Linear(256, 256), r=8, lora_alpha=16)
params = [p for p in layer.parameters() if p.requires_grad]
optimizer = torch.optim.AdamW(params, lr=1e-3)
layer(torch.randn(4, 256)).pow(2).sum().backward()
optimizer.step()
held = sum(p.numel() * p.element_size() + p.grad.numel() * p.grad.element_size() for p in params)
held += sum(t.numel() * t.element_size() for state in optimizer.state.values()
            for t in state.values() if torch.is_tensor(t) and t.dim() > 0)       # not the step counter
assert held == 16 * sum(p.numel() for p in params), held
assert nb15.check_2(gb)
print("2.", {k: round(v, 3) for k, v in gb.items()}, "GB; measured on a LoRA layer: 16 bytes per trainable parameter")

# Check your understanding.
# Question 1. 0.05 / 0.2 = 0.25; the nearest NF4 value is 0.2461 (0.1609 and 0.3379 are further), so the
# weight comes back as 0.2461 * 0.2 = 0.0492. Checked with lorakit on a block whose absmax is 0.2.
code = quant.nf4_code()
nearest = code[(code - 0.25).abs().argmin()].item()
block = torch.zeros(64)
block[0], block[1] = 0.2, 0.05                                     # absmax 0.2, the weight 0.05
packed, state = quant.quantize_nf4(block.view(1, 64), compress_statistics=False)
restored = quant.dequantize_nf4(packed, state).flatten()[1].item()
assert abs(restored - nearest * 0.2) < 1e-6 and nb15.question_1(restored)
print(f"Q1. 0.05 -> {restored:.4f} (NF4 value {nearest:.4f} times the absmax 0.2)")

# Question 2. Only the LoRA factors train; the 4-bit codes and the block constants are buffers, not
# parameters, so no optimizer sees them. Listed on a QLoRA layer:
qlora = apply_lora(nn.Sequential(nn.Linear(64, 64)), ["0"], r=4, lora_alpha=8, quantize="nf4")
trained = {n.split(".")[1] for n, p in qlora.named_parameters() if p.requires_grad}
frozen = {n.split(".")[-1] for n, _ in qlora.named_buffers()}
assert trained == {"lora_A", "lora_B"} and {"weight_packed", "absmax"} <= frozen
assert nb15.question_2(trained)
print(f"Q2. trained: {sorted(trained)}; stored as buffers: {sorted(frozen)}")

# Question 3. The weight of largest magnitude divides to exactly +1 or -1, both NF4 values, and comes back
# as +-absmax, exactly; the others are rounded. Counted on 1,000 random blocks: at least one each.
torch.manual_seed(0)
blocks = torch.randn(1000, 64)
packed, state = quant.quantize_nf4(blocks, compress_statistics=False)
exact = (quant.dequantize_nf4(packed, state) == blocks).sum(dim=1)          # (1000,)
assert exact.min().item() == 1 and nb15.question_3(1)
print(f"Q3. at least 1 (in 1,000 random blocks: {exact.min().item()} to {exact.max().item()} exact)")
