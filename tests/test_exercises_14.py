"""The checkers of lesson 14 accept the solutions' answers and reject plausible wrong ones."""
import torch

from lorakit.exercises import nb14


def my_advantages(rewards, group_size):
    grouped = rewards.view(-1, group_size)
    return ((grouped - grouped.mean(1, keepdim=True)) / (grouped.std(1, keepdim=True) + 1e-4)).flatten()


def population_std(rewards, group_size):
    grouped = rewards.view(-1, group_size)
    return ((grouped - grouped.mean(1, keepdim=True)) / (grouped.std(1, unbiased=False, keepdim=True) + 1e-4)).flatten()


def test_check_1_advantages_by_hand():
    assert nb14.check_1(my_advantages)
    assert not nb14.check_1(lambda r, g: r - r.mean())                                   # not per group
    assert not nb14.check_1(population_std)                                              # n, not n - 1
    assert "raised" in str(nb14.check_1(lambda r, g: r.view(g, 5)))
    assert not nb14.check_1("advantages")


def test_check_2_the_clipped_objective():
    assert nb14.check_2(lambda ratio, a, clip: -torch.min(ratio * a, ratio.clamp(1 - clip, 1 + clip) * a))
    assert "clip the ratio" in str(nb14.check_2(lambda ratio, a, clip: -ratio * a))
    assert not nb14.check_2(lambda ratio, a, clip: -torch.max(ratio * a, ratio.clamp(1 - clip, 1 + clip) * a))
    assert not nb14.check_2(lambda ratio, a, clip: torch.min(ratio * a, ratio.clamp(1 - clip, 1 + clip) * a))
    assert not nb14.check_2(None)


def test_question_1_a_group_that_all_scored_alike():
    assert nb14.question_1([0, 0, 0, 0])
    assert not nb14.question_1([1, 1, 1, 1])
    assert not nb14.question_1([0.25, 0.25, 0.25, 0.25])
    assert "4 numbers" in str(nb14.question_1([0, 0]))


def test_question_2_a_clipped_token():
    assert nb14.question_2(-1.2)
    assert "clipped" in str(nb14.question_2(-1.5))
    assert "sign" in str(nb14.question_2(1.2))
    assert not nb14.question_2(0)


def test_question_3_the_one_right_reply():
    assert nb14.question_3(2.4742)
    assert "standard deviation too" in str(nb14.question_3(0.875))
    assert "n - 1" in str(nb14.question_3(2.6458))
    assert not nb14.question_3(1.0)
