"""Solutions to the exercises and questions of notebooks/14_rl_with_lora.ipynb.

Run from the repository root: python solutions/14_rl_with_lora.py (every answer is checked by an assert).
Nothing here needs the chat model: both exercises are functions, checked against lorakit.rl; the question on
the other rewards is answered with runs measured on the command line (their numbers below).
"""
import torch

from lorakit.exercises import nb14
from lorakit.rl import group_advantages, grpo_loss
from lorakit.tasks import NerTask, QaTask


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
# Question 3. mean 1/8; std with n - 1: sqrt(((7/8)^2 + 7 (1/8)^2) / 7) = sqrt((7/8) / 7) = sqrt(1/8) = 0.35355;
# (7/8) / sqrt(1/8) = 2.4749, and with 1e-4 added to the std 2.4742.
answer = (1 - 1 / 8) / ((1 / 8) ** 0.5 + 1e-4)
assert nb14.question_3(answer)
print(f"questions: 0, 0, 0, 0; -1.2; {answer:.4f}")

# The other rewards (the question after the exercises). Measured on 2026-12-06 on a 2-core AMD EPYC (one torch
# thread, other jobs running), each with `lorakit train --task chat --method grpo --reward ner|qa
# --max-train-minutes 6 --max-eval-examples 32`: the GRPO defaults otherwise, 32 held-out questions.
#   ner: reward_before 0.0, reward_after 0.0; 4 steps in the 6 minutes (53.5 s a step: replies of up to 64
#        tokens); every step's training reward 0.0, every gradient norm 0, the adapter left at 0.
#   qa:  reward_before 0.097, reward_after 0.200; 7 steps (34.7 s a step: up to 16 tokens); training rewards
#        0.039, 0.025, 0.056, 0.033, 0.058, 0.036, 0.096 (still in the warm-up: the last step at lr 1e-3).
# (Sentiment starts at 0.031 on its 64 held-out questions.) NER starts lowest, at 0. The untrained model
# answers with JSON of its own design (7 of its greedy replies to 8 held-out questions were an object
# {"entity": {"type": "people", "name": ... cut at 64 tokens) instead of the [[text, type], ...] list the
# reward parses, and a reply that does not parse scores 0. Every reply of every group scored 0, so every
# advantage is 0 and there is no gradient: GRPO learns nothing. RL cannot teach what the model never samples
# (section 6); NER needs supervised fine-tuning first (lesson 12) or a reward with partial credit. QA's token
# F1 gives such credit: a sentence that contains the answer scores above 0, the groups differ, and the
# held-out reward rose from 0.097 to 0.200 in 7 steps.
ner, qa = NerTask(), QaTask()
row = {"tokens": ["Anna", "Berg", "left", "Oslo", "."], "ner_tags": [1, 2, 0, 5, 0]}
untrained = 'JSON:\n{\n  "entity": {\n    "type": "people",\n    "name": "Anna Berg"'   # cut off, as theirs
assert ner.reward(untrained, row) == 0.0 and ner.reward('[["Anna Berg", "PER"], ["Oslo", "LOC"]]', row) == 1.0
assert torch.equal(group_advantages(torch.zeros(8), 8), torch.zeros(8))     # a group that all scored 0
partial = qa.reward('The answer to your question is: "Daan Olsen"', {"answers": {"text": ["Daan Olsen"]}})
assert abs(partial - 4 / 9) < 1e-6               # 2 of the reply's 7 tokens are the answer's 2: F1 = 4/9
print(f"other rewards: NER {ner.reward(untrained, row)} for the untrained model's JSON, "
      f"QA {partial:.3f} for a sentence")
