"""Solutions to the exercises and questions of notebooks/14_rl_with_lora.ipynb.

Run from the repository root: python solutions/14_rl_with_lora.py (every answer is checked by an assert).
Nothing here needs the chat model: both exercises are functions, checked against lorakit.rl.
"""
import torch

from lorakit.exercises import nb14
from lorakit.rl import group_advantages, grpo_loss


# Exercise 1. Each group of `group_size` consecutive rewards is centred on its own mean and divided by its
# own standard deviation (n - 1, torch's default, as TRL's nanstd) plus 1e-4, so an all-alike group gives 0.
def advantages(rewards, group_size):
    grouped = rewards.view(-1, group_size)                           # (questions, G)
    mean, std = grouped.mean(1, keepdim=True), grouped.std(1, keepdim=True)
    return ((grouped - mean) / (std + 1e-4)).flatten()


assert nb14.check_1(advantages)
rewards = torch.tensor([1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0])
assert torch.allclose(advantages(rewards, 4), group_advantages(rewards, 4))
assert torch.equal(advantages(rewards, 4)[4:], torch.zeros(4))     # the second group teaches nothing
print("1. advantages:", advantages(rewards, 4).round(decimals=4).tolist())


# Exercise 2. The clipped per-token loss: the ratio times A, and the ratio clipped to [1 - clip, 1 + clip]
# times A; the smaller of the two objectives, negated (a loss is minimised).
def clipped(ratio, advantage, clip):
    return -torch.min(ratio * advantage, ratio.clamp(1 - clip, 1 + clip) * advantage)


assert nb14.check_2(clipped)
ratio = torch.tensor([[1.5, 0.5]])
loss = grpo_loss(ratio.log(), torch.zeros(1, 2), torch.tensor([1.0]), torch.ones(1, 2))
assert torch.isclose(loss, clipped(ratio, 1.0, 0.2).mean())         # one reply: the mean of its tokens
print("2. per-token losses for ratios 1.5 and 0.5, A = +1:", clipped(ratio, 1.0, 0.2).tolist())

# Question 1. All four rewards equal their mean: every advantage is 0 (0 / (0 + 1e-4)).
assert nb14.question_1([0.0, 0.0, 0.0, 0.0])
# Question 2. clip(1.5, 0.8, 1.2) = 1.2; min(1.5 * 1, 1.2 * 1) = 1.2; the loss is -1.2 (and its gradient 0).
assert nb14.question_2(-1.2)
# Question 3. mean 1/8; std with n - 1: sqrt((7/8)^2 + 7 (1/8)^2) / 7) = sqrt(1/8); (7/8) / sqrt(1/8) = 2.4749,
# and with eps 1e-4 in the denominator 2.4742.
answer = (1 - 1 / 8) / ((1 / 8) ** 0.5 + 1e-4)
assert nb14.question_3(answer)
print(f"questions: 0, 0, 0, 0; -1.2; {answer:.4f}")
