"""GRPO (lorakit.rl, lorakit.grpo) on a tiny Llama built in the test: the loss equals TRL's GRPOTrainer
loss on the same batch (value and gradients), the shared-prompt pass equals a plain one, sampling,
rewards, advantages, and `lorakit train --method grpo` end to end with `predict --task sentiment`."""
import csv
import json

import pytest
import torch
from tiny_chat import save_tiny_chat_model, tiny_chat_tokenizer, tiny_llama

from lorakit.cli import main
from lorakit.config import TrainConfig
from lorakit.errors import ConfigError
from lorakit.rl import (group_advantages, grpo_loss, kl_penalty, left_pad, reply_logprobs, reply_mask,
                        sample_replies, score_replies, token_logprobs)
from lorakit.tasks import NerTask, QaTask, SentimentTask

G = 4


@pytest.fixture(scope="module")
def tokenizer():
    return tiny_chat_tokenizer()


def prompts(tokenizer, texts=("Is it good?", "A longer question, with more words in it?")):
    rows = [tokenizer.apply_chat_template([{"role": "user", "content": t}], add_generation_prompt=True,
                                          tokenize=True) for t in texts]
    return left_pad([list(r["input_ids"] if hasattr(r, "keys") else r) for r in rows], tokenizer.pad_token_id)


def sampled_batch(tokenizer, model, seed=0):
    ids, mask = prompts(tokenizer)
    replies, rmask = sample_replies(model, ids, mask, G, max_new_tokens=6, eos_id=tokenizer.eos_token_id,
                                    generator=torch.Generator().manual_seed(seed))
    return ids, mask, replies, rmask


def trl_trainer(tokenizer, tmp_path, beta, temperature):
    """TRL's GRPOTrainer on the tiny model (a folder: with beta > 0 TRL loads its reference model from
    there too), with GRPO's per-reply loss (loss_type="grpo")."""
    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer
    args = GRPOConfig(output_dir=str(tmp_path), loss_type="grpo", beta=beta, epsilon=0.2, temperature=temperature,
                      num_generations=G, per_device_train_batch_size=G, max_completion_length=6,
                      use_bias_correction_kl=True, report_to="none", use_cpu=True, bf16=False, fp16=False)
    data = Dataset.from_dict({"prompt": ["Is it good?"] * 8})
    model = save_tiny_chat_model(tmp_path / "model")
    return GRPOTrainer(model=str(model), reward_funcs=lambda completions, **kw: [0.0] * len(completions), args=args,
                       train_dataset=data, processing_class=tokenizer)


@pytest.mark.parametrize("beta", [0.0, 0.04])
def test_the_loss_equals_trls_grpo_loss_and_its_gradients(tokenizer, tmp_path, beta):
    torch.manual_seed(0)
    temperature = 0.7
    trainer = trl_trainer(tokenizer, tmp_path, beta, temperature)
    model = trainer.model.eval()                       # eval: TRL divides by no accumulation steps
    ids, mask, replies, rmask = sampled_batch(tokenizer, model)
    with torch.no_grad():                              # an older policy and a reference that differ from it
        now = reply_logprobs(model, ids, mask, replies, temperature)
    old = now + 0.3 * torch.randn_like(now)           # some ratios leave [0.8, 1.2]: clipping is exercised
    ref = now + 0.5 * torch.randn_like(now)
    advantages = group_advantages(torch.tensor([1., 0., 0., 1., 0., 0., 0., 1.]), G)
    inputs = {"prompt_ids": ids.repeat_interleave(G, 0), "prompt_mask": mask.repeat_interleave(G, 0),
              "completion_ids": replies, "completion_mask": rmask, "advantages": advantages,
              "old_per_token_logps": old, "ref_per_token_logps": ref,
              "num_items_in_batch": rmask.sum()}
    theirs = trainer._compute_loss(model, inputs)
    their_grads = torch.autograd.grad(theirs, [p for p in model.parameters() if p.requires_grad])
    logps = reply_logprobs(model, ids, mask, replies, temperature)
    ours = grpo_loss(logps, old, advantages, rmask, clip=0.2, ref_logps=ref if beta else None, kl_weight=beta)
    our_grads = torch.autograd.grad(ours, [p for p in model.parameters() if p.requires_grad])
    ratio = torch.exp(logps - old)[rmask.bool()]
    assert ((ratio < 0.8) | (ratio > 1.2)).any()
    torch.testing.assert_close(ours, theirs, rtol=1e-5, atol=1e-6)
    for a, b in zip(our_grads, their_grads):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-6)


def test_the_shared_prompt_pass_equals_one_pass_per_reply(tokenizer):
    model = tiny_llama(tokenizer)
    ids, mask, replies, _ = sampled_batch(tokenizer, model, seed=1)
    shared = reply_logprobs(model, ids, mask, replies, temperature=0.5)
    full_ids = torch.cat([ids.repeat_interleave(G, 0), replies], 1)
    full_mask = torch.cat([mask.repeat_interleave(G, 0), torch.ones_like(replies)], 1)
    logits = model(input_ids=full_ids, attention_mask=full_mask).logits[:, ids.shape[1] - 1:-1]
    torch.testing.assert_close(shared, token_logprobs(logits, replies, 0.5), rtol=1e-4, atol=1e-5)


def test_greedy_sampling_equals_generate_and_groups_follow_their_prompt(tokenizer):
    model = tiny_llama(tokenizer)
    ids, mask = prompts(tokenizer)
    greedy, _ = sample_replies(model, ids, mask, 1, 5, tokenizer.eos_token_id, temperature=0)
    expected = model.generate(input_ids=ids, attention_mask=mask, do_sample=False, max_new_tokens=5,
                              pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id)
    assert torch.equal(greedy, expected[:, ids.shape[1]:])
    three, _ = sample_replies(model, ids, mask, 3, 5, tokenizer.eos_token_id, temperature=0)
    assert torch.equal(three, greedy.repeat_interleave(3, 0))      # rows i*G .. answer prompt i


def test_a_reply_ends_at_its_first_end_of_turn():
    assert reply_mask(torch.tensor([[5, 2, 2, 2], [2, 5, 5, 5], [5, 5, 5, 5]]), eos_id=2).tolist() == \
        [[1, 1, 0, 0], [1, 0, 0, 0], [1, 1, 1, 1]]


def test_advantages_are_centred_and_scaled_within_each_group():
    rewards = torch.tensor([1.0, 0.0, 0.0, 1.0, 0.5, 0.5, 0.5, 0.5])
    a = group_advantages(rewards, 4)
    assert a[:4].sum().abs() < 1e-6 and torch.allclose(a[:4].std(), torch.tensor(1.0), atol=1e-3)
    assert torch.equal(a[4:], torch.zeros(4))            # all alike: nothing to learn from that group
    assert group_advantages(rewards, 2).tolist() != a.tolist()


def test_the_loss_pushes_up_replies_with_positive_advantage():
    logps = torch.tensor([[-1.0, -1.0], [-1.0, -1.0]], requires_grad=True)
    loss = grpo_loss(logps, logps.detach(), torch.tensor([1.0, -1.0]), torch.ones(2, 2))
    loss.backward()
    assert (logps.grad[0] < 0).all() and (logps.grad[1] > 0).all()      # descent raises reply 0's log pi
    assert kl_penalty(torch.tensor([-1.0]), torch.tensor([-1.0])).item() == 0
    assert kl_penalty(torch.tensor([-1.0]), torch.tensor([-3.0])).item() > 0


def test_rewards_score_replies_against_the_gold_of_their_row():
    rows = [{"text": "Great.", "label": 1}, {"text": "Awful.", "label": 0}]
    replies = ["Positive", "positive.", "Negative", "The review is negative."]
    assert score_replies(SentimentTask(), replies, rows).tolist() == [1.0, 1.0, 1.0, 0.0]
    ner = {"tokens": ["Ada", "met", "Bo", "."], "ner_tags": [1, 0, 1, 0]}
    assert NerTask().reward('[["Ada", "PER"], ["Bo", "PER"]]', ner) == 1.0
    assert NerTask().reward('[["Ada", "PER"]]', ner) == pytest.approx(2 / 3)
    assert NerTask().reward("Ada is a person", ner) == 0.0
    qa = {"answers": {"text": ["Ada Berg", "Berg"]}}
    assert QaTask().reward("Berg", qa) == 1.0 and QaTask().reward("Oslo", qa) == 0.0


def test_grpo_options_are_checked():
    with pytest.raises(ConfigError, match="needs --reward"):
        TrainConfig(task="chat", method="grpo").resolved()
    with pytest.raises(ConfigError, match="--group-size applies to --method grpo only"):
        TrainConfig(task="chat", group_size=4).resolved()
    with pytest.raises(ConfigError, match="does not apply to --task sentiment"):
        TrainConfig(task="sentiment", method="grpo", reward="sentiment").resolved()


def test_train_grpo_saves_an_adapter_that_predict_asks(tmp_path, capsys):
    model = save_tiny_chat_model(tmp_path / "model")
    out = tmp_path / "run"
    assert main(["train", "--task", "chat", "--method", "grpo", "--reward", "sentiment", "--model", str(model),
                 "--max-train-examples", "4", "--max-eval-examples", "4", "--batch-size", "2",
                 "--group-size", "2", "--reply-tokens", "3", "--rank", "1", "--out", str(out), "--quiet"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert len(metrics["reward_curve"]) == metrics["steps_run"] == 2
    assert 0 <= metrics["reward_before"] <= 1 and 0 <= metrics["reward_after"] <= 1
    assert (out / "adapter_model.safetensors").is_file()
    steps = metrics["diagnostics"]["steps"]            # what `lorakit doctor` reads
    assert len(steps["grpo_loss"]) == len(steps["grad_norm"]) == len(steps["lr"]) == 2 and "loss" not in steps
    assert set(metrics["diagnostics"]["target_modules"]["matched"]) == set(metrics["diagnostics"]["update_norms"])
    from lorakit.doctor import diagnose
    assert not [f for f in diagnose(out, base=str(model)) if "another base" in f.problem]   # same weights' hash
    config = json.loads((out / "adapter_config.json").read_text())
    assert config["r"] == 1 and config["task_type"] == "CAUSAL_LM"
    reviews = tmp_path / "reviews.csv"
    reviews.write_text("text,label\nLoved it.,positive\nAwful.,negative\n")
    assert main(["predict", "--model-dir", str(out), "--task", "sentiment", "--input", str(reviews),
                 "--output", str(tmp_path / "p.csv"), "--quiet"]) == 0
    assert len(list(csv.DictReader((tmp_path / "p.csv").open()))) == 2
