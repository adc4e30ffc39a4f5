"""`lorakit train --task chat --method grpo --reward sentiment|ner|qa`: GRPO on the chat model, LoRA only.

    the reward task's training rows -> its questions (to_chat) -> per step: P questions, G replies each
    (`lorakit.rl`), rewards, advantages, one clipped policy-gradient step on the LoRA weights

The run records the mean reward of greedy replies to held-out questions (the reward task's
validation split) before and after training, and the mean training reward of every step
(`metrics.json`: reward_before, reward_after, reward_curve). It honours `--max-train-minutes` as
`lorakit train` does (`lorakit.timelimit.Deadline`: the steps that fit, the learning rate decaying to
0 at the last), and saves a LoRA adapter in peft's format: `lorakit predict --task sentiment` asks
the trained model as it asks any chat run. Like `lorakit train`, it records what `lorakit doctor`
reads (`metrics.json` "diagnostics": each step's learning rate, gradient norm, GRPO loss and reward,
the update norms, the base model's hash, the layers LoRA wrapped).

Defaults (`GRPO_DEFAULTS`): rank 4, because a policy-gradient step carries little information (a
reward per reply, not a target per token), and "LoRA Without Regret" (Schulman et al., 2025) found
even rank 1 matching full fine-tuning in RL; 8 questions a step, 8 replies each, temperature 1, no
KL penalty (TRL's default; the update stays small at this rank and step count).

Example (about 12 minutes on a 2-core CPU):
    result = train_grpo(TrainConfig(task="chat", method="grpo", reward="sentiment"))
    result.metrics["reward_before"], result.metrics["reward_after"]
"""
import math
import time
import warnings
from dataclasses import dataclass, field, replace

import torch

from . import interrupts
from .config import TrainConfig
from .device import select_device
from .diagnostics import StepLog, adapter_record
from .errors import TrainingError
from .lora import count_parameters, rescaled
from .measure import PeakMemory
from .pretrained import load_tokenizer
from .rl import group_advantages, grpo_loss, left_pad, reply_logprobs, sample_replies, score_replies
from .tasks.chat import pad_id, template_ids
from .timelimit import Deadline, LinearSchedule, cut_message
from .train import TrainResult, prepare_model, seed_everything

GRPO_DEFAULTS = {"r": 4, "lr": 2e-3, "batch_size": 8, "group_size": 8, "temperature": 1.0, "kl_weight": 0.0,
                 "max_train_examples": 960, "max_eval_examples": 64, "max_train_minutes": 12.5,
                 "target_modules": "top-2/3", "epochs": 1}
EVAL_BATCH = 32      # held-out questions answered at once (greedy, one reply each)


def bundled_ranks():
    """The shipped GRPO runs at ranks 1, 4 and 16 (data/sweeps/grpo_ranks.json, made by
    tools/make_grpo_ranks.py): a DataFrame, one row per run (r, seed, held-out reward before and
    after, the reward of every step, ...).

    >>> runs = bundled_ranks()
    >>> sorted(set(runs["r"])), runs.groupby("r")["seed"].count().tolist()
    ([1, 4, 16], [3, 3, 3])
    >>> all(len(curve) == steps for curve, steps in zip(runs["reward_curve"], runs["steps_run"]))
    True
    """
    import json

    import pandas as pd

    from .data import bundled_data_dir
    return pd.DataFrame(json.loads((bundled_data_dir() / "sweeps" / "grpo_ranks.json").read_text()))


def with_grpo_defaults(config):
    """`config` with GRPO's defaults where it leaves an option unset (None)."""
    return replace(config, **{k: v for k, v in GRPO_DEFAULTS.items() if getattr(config, k) is None})


@dataclass
class GrpoRun:
    """What the loop works on, set up once by `set_up_grpo`."""

    config: TrainConfig
    task: object              # the chat task (the run's own: base model, peft task type)
    asked: object             # the reward task: its questions, its gold, its `reward`
    model: torch.nn.Module
    tokenizer: object
    optimizer: torch.optim.Optimizer
    scheduler: object
    schedule: LinearSchedule
    train_rows: list
    eval_rows: list
    device: str
    reply_tokens: int
    generator: torch.Generator = None
    deadline: Deadline = None  # with --max-train-minutes: decides the steps that fit
    curve: list = field(default_factory=list)   # mean training reward of each step
    log: StepLog = field(default_factory=StepLog)  # loss, learning rate and gradient norm of each step


def question_ids(asked, tokenizer, rows):
    """Template token ids of each row's question, as `lorakit predict --task ...` asks it."""
    return [template_ids(tokenizer, asked.to_chat(row)[0], generation_prompt=True) for row in rows]


def set_up_grpo(config):
    """The model with LoRA, the optimizer, the schedule and the rows of a resolved grpo `config`."""
    seed_everything(config.seed)
    device = select_device(config.device)
    task, asked = config.make_task(), TrainConfig(task=config.reward).make_task()
    train_set = asked.read(config.train_file) if config.train_file else asked.bundled_split("train")
    eval_set = asked.read(config.eval_file) if config.eval_file else asked.bundled_split("validation")
    train_set = train_set.shuffle(seed=config.seed).select(range(min(config.max_train_examples, len(train_set))))
    eval_set = eval_set.shuffle(seed=0).select(range(min(config.max_eval_examples, len(eval_set))))
    base = task.base_model(config.model)
    tokenizer = load_tokenizer(base)
    interrupts.reached("model")
    model = prepare_model(task, None, replace(config, method="lora"), base).to(device)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=config.lr,
                                  weight_decay=config.weight_decay)
    steps = config.epochs * math.ceil(len(train_set) / config.batch_size)
    schedule = LinearSchedule(int(config.warmup_ratio * steps), steps)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
    return GrpoRun(config, task, asked, model, tokenizer, optimizer, scheduler, schedule, list(train_set),
                   list(eval_set), device, config.reply_tokens or asked.reward_reply_tokens,
                   torch.Generator(device=device).manual_seed(config.seed))


def sample_and_score(run, rows, group_size, temperature):
    """(prompt ids, prompt mask, reply ids, reply mask, reply texts, rewards) for `rows`."""
    tokenizer = run.tokenizer
    ids, mask = left_pad(question_ids(run.asked, tokenizer, rows), pad_id(tokenizer))
    ids, mask = ids.to(run.device), mask.to(run.device)
    replies, reply_mask = sample_replies(run.model, ids, mask, group_size, run.reply_tokens,
                                         tokenizer.eos_token_id, temperature, run.generator)
    texts = [tokenizer.decode(r[m.bool()], skip_special_tokens=True).strip() for r, m in zip(replies, reply_mask)]
    return ids, mask, replies, reply_mask, texts, score_replies(run.asked, texts, rows)


def grpo_step(run, rows):
    """One GRPO step on `rows`: sample, score, and one update; returns (mean reward, loss)."""
    c = run.config
    ids, mask, replies, reply_mask, _, rewards = sample_and_score(run, rows, c.group_size, c.temperature)
    advantages = group_advantages(rewards, c.group_size).to(run.device)
    # A group that all scored alike has A = 0: without a KL term its replies add exactly 0 to the
    # loss and its gradient, so only the others are run, and the mean is taken over all replies.
    informative = advantages.view(-1, c.group_size).abs().sum(1) > 0 if not c.kl_weight else \
        torch.ones(len(rows), dtype=torch.bool, device=run.device)
    if not informative.any():                 # no update, but the schedule counts the step
        run.log.add(0.0, 0.0, run.scheduler.get_last_lr()[0])
        with warnings.catch_warnings():       # torch warns when no optimizer step came first
            warnings.filterwarnings("ignore", "Detected call of `lr_scheduler.step")
            run.scheduler.step()
        return rewards.mean().item(), 0.0
    keep = informative.repeat_interleave(c.group_size)
    logps = reply_logprobs(run.model, ids[informative], mask[informative], replies[keep], c.temperature)
    ref = None
    if c.kl_weight:
        with torch.no_grad(), rescaled(run.model, 0.0):            # the base model: LoRA switched off
            ref = reply_logprobs(run.model, ids, mask, replies, c.temperature)
    loss = grpo_loss(logps, logps.detach(), advantages[keep], reply_mask[keep], ref_logps=ref,
                     kl_weight=c.kl_weight) * keep.float().mean()
    if not torch.isfinite(loss):
        raise TrainingError(f"the GRPO loss became {loss.item()}; try a lower learning rate than --lr {c.lr:g}")
    loss.backward()
    grad_norm = torch.nn.utils.clip_grad_norm_([p for p in run.model.parameters() if p.requires_grad],
                                               c.max_grad_norm)
    run.log.add(loss.item(), grad_norm, run.scheduler.get_last_lr()[0])
    run.optimizer.step()
    run.scheduler.step()
    run.optimizer.zero_grad()
    return rewards.mean().item(), loss.item()


def held_out_reward(run, rows=None):
    """Mean reward of greedy replies to the held-out questions (`run.eval_rows`)."""
    rows = run.eval_rows if rows is None else rows
    total = 0.0
    for start in range(0, len(rows), EVAL_BATCH):
        batch = rows[start:start + EVAL_BATCH]
        total += sample_and_score(run, batch, 1, 0.0)[-1].sum().item()
    return total / max(len(rows), 1)


def train_loop(run, clock, progress):
    """GRPO steps over the training rows until they or the deadline run out; returns the steps run."""
    from tqdm.auto import tqdm
    c = run.config
    batches = [run.train_rows[i:i + c.batch_size] for _ in range(c.epochs)
               for i in range(0, len(run.train_rows), c.batch_size)]
    deadline = run.deadline
    stop_at = len(batches)
    run.model.train()
    bar = tqdm(total=stop_at, desc=f"grpo {c.reward}", disable=not progress)
    for step, rows in enumerate(batches, 1):
        interrupts.reached("train")
        interrupts.check()
        reward, loss = grpo_step(run, rows)
        run.curve.append(round(reward, 4))
        bar.update(1)
        bar.set_postfix(reward=f"{reward:.2f}", loss=f"{loss:.3f}")
        if deadline:
            planned, stop_at = stop_at, min(deadline.after_step(step, clock()), len(batches))
            if stop_at < planned == len(batches) and progress:
                bar.write(cut_message(c.max_train_minutes, stop_at, len(batches)))
            run.schedule.total, bar.total = stop_at, stop_at
        if step >= stop_at:
            break
    bar.close()
    run.model.eval()
    return step, len(batches)


def diagnostics(run):
    """What `lorakit doctor` reads of a GRPO run (`lorakit.diagnostics`): each step's learning rate and
    gradient norm, its GRPO loss under "grpo_loss" (about 0 whatever the progress, so not "loss",
    which doctor reads as a supervised loss), its mean reward, the update norms, the base model and
    the layers LoRA wrapped."""
    steps = run.log.to_dict()
    steps = {"grpo_loss": steps.pop("loss"), **steps, "reward": run.curve}
    return {"steps": steps, **adapter_record(run.config, run.task, run.model)}


def train_grpo(config: TrainConfig, progress=True, clock=time.perf_counter) -> TrainResult:
    """GRPO as `config` says (`--method grpo`); returns the model with its trained adapter and metrics."""
    config = with_grpo_defaults(config).resolved()
    job_started = clock()
    run = set_up_grpo(config)
    started = clock()
    before = held_out_reward(run)
    evaluation = clock() - started
    steps = run.schedule.total
    run.deadline = Deadline(config.max_train_minutes, [1] * steps, steps, job_started, evaluation,
                            training_from=clock()) if config.max_train_minutes else None
    trainable, total = count_parameters(run.model)
    started = clock()
    with PeakMemory(torch.device(run.device).type) as peak:
        steps_run, planned = train_loop(run, clock, progress)
    train_seconds = clock() - started
    after = held_out_reward(run)
    metrics = {"reward_before": round(before, 4), "reward_after": round(after, 4),
               "reward_gain": round(after - before, 4), "reward": config.reward,
               "held_out_questions": len(run.eval_rows), "reward_curve": run.curve,
               "steps_planned": planned, "steps_run": steps_run, "stopped_by_deadline": steps_run < planned,
               "group_size": config.group_size, "questions_per_step": config.batch_size,
               "reply_tokens": run.reply_tokens, "trainable_params": trainable, "total_params": total,
               "trainable_percent": 100 * trainable / total, "train_seconds": round(train_seconds, 2),
               "seconds_per_step": round(train_seconds / max(steps_run, 1), 2),
               "evaluation_seconds": round(evaluation, 2), "peak_memory_mb": round(peak.mb, 1),
               "device": torch.device(run.device).type, "precision": "fp32", "diagnostics": diagnostics(run)}
    return TrainResult(run.model, run.tokenizer, config, run.task, None, metrics, [])
