"""Solutions to the exercises and questions of notebooks/17_production.ipynb.

Run from the repository root: python solutions/17_production.py (every answer is checked by an assert;
a second or two, no training).
"""
import torch

from lorakit.combine import ties
from lorakit.exercises import nb17
from lorakit.export import LLAMA_NAMES

# Exercise 1. s = lora_alpha / r = 2; B A = [[1, 2], [0, 0]]; W0 + s B A = [[3, 4], [0, 1]].
merged = (torch.eye(2) + nb17.LORA_ALPHA / nb17.R * torch.tensor(nb17.LORA_B) @ torch.tensor(nb17.LORA_A)).tolist()
assert merged == [[3.0, 4.0], [0.0, 1.0]] and nb17.check_1(merged)
print("1. merged weight", merged)

# Exercise 2. Kept with probability 0.2 as 0.3 / 0.2 = 1.5, dropped otherwise: 0.2 * 1.5 = 0.3, unbiased.
expected = 0.2 * (0.3 / 0.2) + 0.8 * 0.0
assert nb17.check_2(expected)
print(f"2. expected value {expected:g}: DARE's rescaling keeps the update unbiased")

# Exercise 3. lorakit.export.LLAMA_NAMES maps self_attn.q_proj to attn_q, inside block 3.
name = f"blk.3.{LLAMA_NAMES['self_attn.q_proj']}.weight"
assert name == "blk.3.attn_q.weight" and nb17.check_3(name)
print("3.", name)

# Question 1. Trim: a -> (3, 0, 2, 0), b -> (-2, -3, 0, 0); elected signs of the sum (1, -3, 2, 0): +, -, +, +;
# disjoint means: 3 (a only agrees), -3 (b), 2 (a), 0 (none): (3, -3, 2, 0).
combined = ties([torch.tensor(nb17.TIES_A), torch.tensor(nb17.TIES_B)], [1.0, 1.0], nb17.TIES_DENSITY).tolist()
assert combined == [3.0, -3.0, 2.0, 0.0] and nb17.question_1(combined)
print("Q1.", combined)

# Question 2. One base plus three adapters: 540 + 3 * 2 = 546 MB; three merged models: 3 * 540 = 1620 MB.
assert nb17.question_2(546.0, 1620.0)
print("Q2. 546 MB against 1620 MB")

# Question 3. (b): HF rotates the two halves of each head, llama.cpp neighbouring pairs; the rows are permuted.
assert nb17.question_3("b")
print("Q3. b")
