"""Reinforcement learning with verifiable rewards: the pieces of GRPO, each a short function (lesson 14).

GRPO (Shao et al., 2024, DeepSeekMath, section 4.1) trains a policy without a value model. For each
question it samples a group of G replies, scores each with a reward, and uses the reward's place in
its own group as the advantage; then it takes PPO's clipped policy-gradient step:

    prompts -sample_replies-> G replies each -score_replies-> rewards (P*G,)
            -group_advantages-> A = (r - mean of its group) / (std of its group + eps)
            -reply_logprobs-> log pi(token) of every reply token (P*G, L)
            -grpo_loss-> -min(ratio A, clip(ratio, 1-eps, 1+eps) A) + beta ratio KL, mean per reply, then over replies

The loss is TRL's `GRPOTrainer` loss with `loss_type="grpo"` (tests/test_rl.py checks it on the same
batch); the KL estimate is Schulman's k3, exp(ref - logp) - (ref - logp) - 1, weighted by the ratio
as TRL's is. The reference model of the KL penalty is the base model itself: with LoRA it is the same network with the update
switched off (`lorakit.merge.rescaled(model, 0)`), so no second copy is kept.

Speed: a group's G replies share their prompt, so the prompt is run once and its KV cache repeated G
times, both when sampling (`sample_replies`) and in the loss's forward pass (`reply_logprobs`), where
the gradient flows back through the shared cache; for a 70-token question and 4-token replies that
is a fifth of the tokens of running every reply with its own copy of the prompt.

Example: two questions, four replies each; only the first group's replies differ.
    >>> rewards = torch.tensor([1., 0., 0., 0., 1., 1., 1., 1.])   # 2 questions, G = 4
    >>> group_advantages(rewards, group_size=4)
    tensor([ 1.4997, -0.4999, -0.4999, -0.4999,  0.0000,  0.0000,  0.0000,  0.0000])
"""
import torch

EPSILON = 1e-4       # added to a group's std (TRL's value), so a group that all scored alike gives A = 0
CLIP = 0.2           # PPO's clip range of the probability ratio (TRL's `epsilon`)


def left_pad(rows, pad_id):
    """(ids, mask): lists of token ids as one (B, T) tensor padded on the left, and its attention mask.

    >>> left_pad([[5, 6, 7], [8]], pad_id=0)
    (tensor([[5, 6, 7],
            [0, 0, 8]]), tensor([[1, 1, 1],
            [0, 0, 1]]))
    """
    width = max(len(r) for r in rows)
    ids = torch.tensor([[pad_id] * (width - len(r)) + list(r) for r in rows])
    mask = torch.tensor([[0] * (width - len(r)) + [1] * len(r) for r in rows])
    return ids, mask


def run_prompts(model, prompt_ids, prompt_mask, group_size):
    """One forward pass over the P prompts: (the last position's logits repeated G times (P*G, V),
    the KV cache repeated G times, each row's next position (P*G,)). With gradients on, the gradient
    of everything computed from the cache flows back through it into the prompt's pass."""
    positions = (prompt_mask.cumsum(1) - 1).clamp(min=0)                 # left padding: real tokens from 0
    out = model(input_ids=prompt_ids, attention_mask=prompt_mask, position_ids=positions, use_cache=True,
                logits_to_keep=1)
    cache = out.cache if getattr(out, "cache", None) is not None else out.past_key_values
    cache.batch_repeat_interleave(group_size)                            # (P, ...) -> (P*G, ...)
    last = out.logits[:, -1].repeat_interleave(group_size, dim=0)        # (P*G, V)
    return last, cache, prompt_mask.sum(1).repeat_interleave(group_size)


def with_cache(model, cache):
    """The keyword that passes a KV cache to `model`: `cache` (transformers 5.x) or `past_key_values`."""
    import inspect
    name = "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"
    return {name: cache}


def pick_tokens(logits, temperature, generator=None):
    """One token per row: sampled from softmax(logits / temperature), or the best one at temperature 0.

    >>> pick_tokens(torch.tensor([[0.0, 3.0, 1.0]]), temperature=0)
    tensor([1])
    """
    if temperature == 0:
        return logits.argmax(-1)
    probs = torch.softmax(logits.float() / temperature, dim=-1)
    return torch.multinomial(probs, 1, generator=generator).squeeze(1)


@torch.no_grad()
def sample_replies(model, prompt_ids, prompt_mask, group_size, max_new_tokens, eos_id, temperature=1.0,
                   generator=None):
    """(reply_ids, reply_mask), each (P*G, L): `group_size` replies to each of the P left-padded
    prompts (rows i*G .. i*G+G-1 answer prompt i), sampled token by token with the KV cache. A reply
    ends at its end-of-turn token `eos_id` (kept, and scored, like TRL's completion mask); the
    positions after it hold `eos_id` and mask 0. Temperature 0 gives greedy replies."""
    logits, cache, position = run_prompts(model, prompt_ids, prompt_mask, group_size)
    mask = prompt_mask.repeat_interleave(group_size, dim=0)               # (P*G, T)
    done = torch.zeros(len(logits), dtype=torch.bool, device=logits.device)
    tokens = []
    for step in range(max_new_tokens):
        token = pick_tokens(logits, temperature, generator).masked_fill(done, eos_id)   # (P*G,)
        tokens.append(token)
        done |= token == eos_id
        if done.all() or step == max_new_tokens - 1:
            break
        mask = torch.cat([mask, torch.ones_like(mask[:, :1])], dim=1)
        out = model(input_ids=token[:, None], attention_mask=mask, position_ids=(position + step)[:, None],
                    use_cache=True, **with_cache(model, cache))
        logits = out.logits[:, -1]
    reply = torch.stack(tokens, dim=1)                                    # (P*G, L)
    return reply, reply_mask(reply, eos_id)


def reply_mask(reply_ids, eos_id):
    """1 for each token up to and including a reply's first `eos_id`, 0 after it.

    >>> reply_mask(torch.tensor([[4, 2, 2], [4, 4, 4]]), eos_id=2)
    tensor([[1, 1, 0],
            [1, 1, 1]])
    """
    is_eos = (reply_ids == eos_id).int()
    after = (is_eos.cumsum(1) - is_eos) > 0                              # an eos came before this token
    return (~after).long()


def token_logprobs(logits, ids, temperature=1.0):
    """log softmax(logits / temperature) at `ids`: (B, L, V), (B, L) -> (B, L), in float32.

    >>> token_logprobs(torch.zeros(1, 2, 4), torch.tensor([[0, 3]]))     # uniform over 4 tokens
    tensor([[-1.3863, -1.3863]])
    """
    logits = logits.float() / temperature
    return logits.gather(-1, ids[..., None]).squeeze(-1) - logits.logsumexp(-1)


def reply_logprobs(model, prompt_ids, prompt_mask, reply_ids, temperature=1.0):
    """(P*G, L) log-probabilities of every reply token under `model` (gradients flow when they are
    on): the P prompts run once, their KV cache shared by each prompt's G replies (`run_prompts`).
    Logits are divided by `temperature` first, as TRL does."""
    group_size = len(reply_ids) // len(prompt_ids)
    first, cache, position = run_prompts(model, prompt_ids, prompt_mask, group_size)
    length = reply_ids.shape[1]
    if length == 1:
        return token_logprobs(first[:, None], reply_ids, temperature)
    mask = torch.cat([prompt_mask.repeat_interleave(group_size, dim=0), torch.ones_like(reply_ids)], dim=1)
    positions = position[:, None] + torch.arange(length, device=reply_ids.device)   # (P*G, L)
    out = model(input_ids=reply_ids, attention_mask=mask, position_ids=positions, use_cache=True,
                logits_to_keep=length, **with_cache(model, cache))
    logits = torch.cat([first[:, None], out.logits[:, :-1]], dim=1)      # token t is predicted at t - 1
    return token_logprobs(logits, reply_ids, temperature)


def score_replies(task, replies, rows):
    """(P*G,) rewards: reply i*G + j answers rows[i]; `task.reward` scores it against that row's gold.

    >>> from lorakit.tasks import SentimentTask
    >>> score_replies(SentimentTask(), ["Positive", "Sure! Positive."], [{"text": "Great.", "label": 1}])
    tensor([1., 0.])
    """
    group_size = len(replies) // len(rows)
    return torch.tensor([task.reward(reply, rows[i // group_size]) for i, reply in enumerate(replies)])


def group_advantages(rewards, group_size, eps=EPSILON):
    """(reward - its group's mean) / (its group's standard deviation + eps), one per reply.

    The std is the sample one (n - 1), as TRL's `nanstd`; a group whose replies all scored the same
    gets advantage 0: it tells the policy nothing about which reply was better."""
    grouped = rewards.view(-1, group_size)                                # (P, G)
    mean, std = grouped.mean(1, keepdim=True), grouped.std(1, keepdim=True)
    return ((grouped - mean) / (std + eps)).flatten()


def kl_penalty(logps, ref_logps):
    """Per-token KL estimate to the reference model (Schulman's k3): exp(ref - logp) - (ref - logp) - 1,
    never negative and 0 where the two agree (TRL's and DeepSeekMath's eq. 4).

    >>> kl_penalty(torch.tensor([-1.0, -2.0]), torch.tensor([-1.0, -1.0]))
    tensor([0.0000, 0.7183])
    """
    delta = ref_logps - logps
    return torch.exp(delta) - delta - 1


def grpo_loss(logps, old_logps, advantages, mask, clip=CLIP, ref_logps=None, kl_weight=0.0):
    """GRPO's clipped policy-gradient loss (TRL's `loss_type="grpo"`): per token
    -min(ratio A, clip(ratio, 1 - clip, 1 + clip) A) + kl_weight ratio KL, with ratio = pi / pi_old; each
    reply's mean over its masked tokens, then the mean over replies. The KL estimate is weighted by
    the ratio (TRL's `use_bias_correction_kl`, from DeepSeek-V3.2): its value is 1 on the samples'
    own policy, but its gradient makes the penalty's gradient that of the reverse KL, unbiased.

    logps, old_logps, ref_logps, mask: (B, L); advantages: (B,). With one update per batch of samples
    (as here) old_logps is logps detached: the ratio is 1 and the gradient is A times that of log pi.

    >>> logps = torch.tensor([[-0.5, -1.0], [-2.0, -0.1]])
    >>> grpo_loss(logps, logps, torch.tensor([1.0, -1.0]), torch.tensor([[1, 1], [1, 0]]))
    tensor(0.)
    """
    ratio = torch.exp(logps - old_logps)
    clipped = ratio.clamp(1 - clip, 1 + clip)
    A = advantages[:, None]                                               # (B, 1)
    per_token = -torch.min(ratio * A, clipped * A)                        # (B, L)
    if kl_weight:
        per_token = per_token + kl_weight * ratio * kl_penalty(logps, ref_logps)
    per_reply = (per_token * mask).sum(1) / mask.sum(1).clamp(min=1)
    return per_reply.mean()
