"""The chat task's training throughput: lorakit against TRL's SFTTrainer + peft, and lorakit's tricks.

    python -m benchmarks.chat --quick                        # a tiny Llama, well under a minute
    python -m benchmarks.chat --threads 1 --json chat.json   # SmolLM2-135M-Instruct: 18 min on 1 thread

One process, one base model, every contender on its own deep copy of the same weights, the same LoRA
(lorakit's chat defaults: r=16, lora_alpha=16, no dropout, every Linear layer of the top two thirds
of the body's layers), the same
conversations, batch size and max_length, fp32, fused AdamW, gradient clipping at 1.0, a linear
schedule, no gradient accumulation. Training contenders, interleaved round by round (timing.py):

    lorakit              `lorakit train`'s step: LoRALinear layers, `ChatTask.loss` (the vocabulary
                         projection only from the first scored position on), length-grouped batches
    lorakit_full_logits  trick (a) off: the same, but logits at every position, then the same loss
    lorakit_random       trick (b) off: the same as lorakit, on TRL's random batches
    trl                  TRL's SFTTrainer with peft's LoraConfig, data in prompt/completion
                         conversational form (so the prompt is masked: completion-only loss), TRL's
                         default random batches, gradient checkpointing off (as lorakit)
    trl_checkpointing    the same with TRL's own default, gradient checkpointing on (optional)

Trick (c), merged LoRA for evaluation: greedy generation of `gen_tokens` tokens for a batch of
prompts by the unmerged model and by a copy merged with `merge_lora`, interleaved.

How TRL's step is timed. `trainer.train()` runs first for one step plus `loop_steps` more, timed
by a TrainerCallback from on_step_begin to on_step_end (`trl_train_loop`: TRL's real loop, a
cross-check, not interleaved); it also sets up what `train()` sets up (the prepared model, gradient
checkpointing when asked). The interleaved TRL step is then the body of `Trainer`'s loop for one
optimizer step with gradient_accumulation_steps=1, on TRL's own objects: `get_batch_samples` (the
count of scored tokens), `training_step` (TRL's `compute_loss` with its fused LM head and its
metrics, then backward), gradient clipping, `optimizer.step()`, `lr_scheduler.step()`,
`model.zero_grad()`. Its batches are TRL's tokenisation and TRL's collator, on a random order of the
examples (what TRL's default sampler draws); lorakit_random gets the same examples in the same
batches through lorakit's collator, so trl and lorakit_random are paired batch for batch. Batches
are collated before the timing, for every contender.

Same job, checked. Every example is tokenised by both libraries to the same token ids and the same
scored tokens (an error otherwise); the one change to TRL's prepared data is that the newline the
chat template writes after the reply's end-of-turn token is not scored, as lorakit does not score it
(generation stops at that token). Before any step, with the same non-zero LoRA weights copied into
both models, the losses of lorakit, lorakit_full_logits and trl on one batch must agree within 1e-4
(relative).

Reported: per contender the median step time, tokens per second (real, non-padding tokens of the
step / its time; the median over steps, and the total over all timed steps), padded tokens, and the
peak memory of one step on a common batch (the `batch_size` longest examples: the widest batch of an
epoch in either batching), counted as in bench.py (suite._step_memory). Every ratio is the median of
per-round paired ratios; `chat_vs_trl_tokens_per_second` = lorakit tokens/s / TRL tokens/s.

Example (a 2-layer Llama of width 32 on the bundled tokenizer; seconds):
    >>> results = bench_chat(tiny_llama(load_tokenizer(default_chat_model())),  # doctest: +SKIP
    ...                      load_tokenizer(default_chat_model()), chat_examples(48), batch_size=4)
    >>> results["chat_vs_trl_tokens_per_second"] > 0  # doctest: +SKIP
    True
"""
import argparse
import contextlib
import copy
import os
import shutil
import statistics
import sys
import tempfile
import time
import warnings

import torch
import torch.nn.functional as F

from lorakit import apply_lora, lora_layers, merge_lora
from lorakit.config import TrainConfig
from lorakit.models import _quiet_transformers, default_chat_model, load_task_model, load_tokenizer
from lorakit.tasks.base import IGNORE_INDEX
from lorakit.tasks.chat import ChatTask, read_chat
from lorakit.train import length_grouped_batches

from .contenders import make_adamw, model_info, trainable
from .machine import choose_device, default_threads
from .memory import tensor_bytes
from .report import write_json
from .report import chat_markdown as markdown
from .suite import _step_memory, machine_info
from .timing import interleaved, paired, ratio, summary, sync

# ratio name: (numerator, denominator) of tokens per second, each the median of paired ratios
SPEED_RATIOS = {
    "chat_vs_trl_tokens_per_second": ("lorakit", "trl"),
    "chat_vs_trl_checkpointing_tokens_per_second": ("lorakit", "trl_checkpointing"),
    "scored_only_vs_full_logits_tokens_per_second": ("lorakit", "lorakit_full_logits"),
    "length_grouped_vs_random_tokens_per_second": ("lorakit", "lorakit_random"),
    "random_batches_vs_trl_tokens_per_second": ("lorakit_random", "trl"),
}
MEMORY_RATIOS = {
    "chat_vs_trl_peak_memory": ("lorakit", "trl"),
    "chat_vs_trl_checkpointing_peak_memory": ("lorakit", "trl_checkpointing"),
    "scored_only_vs_full_logits_peak_memory": ("lorakit", "lorakit_full_logits"),
}


# ----------------------------------------------------------------------------------------- data
def chat_lora():
    """lorakit's chat defaults for LoRA, batch size and max_length (`TrainConfig(task="chat")`).

    >>> chat_lora()["target_modules"], chat_lora()["r"]
    ('top-2/3', 16)
    """
    config = TrainConfig(task="chat").resolved()
    return {"r": config.r, "lora_alpha": config.lora_alpha, "lora_dropout": config.lora_dropout,
            "target_modules": config.target_modules, "batch_size": config.batch_size,
            "max_length": config.make_task().max_length, "max_grad_norm": config.max_grad_norm}


def chat_examples(n=None):
    """The conversations `lorakit train --task chat` trains on: the first n (default 800) of the
    bundled training split, plus the replay rows (a Dataset with a "messages" column)."""
    from lorakit.data import bundled_data_dir
    task = ChatTask()
    n = n or TrainConfig(task="chat").resolved().max_train_examples
    rows = read_chat(bundled_data_dir() / "chat" / "train.jsonl", True, task)
    return task.training_set(rows.select(range(min(n, len(rows)))))


def prompt_completion(messages):
    """A conversation in TRL's prompt/completion conversational form: the reply is the completion.

    >>> prompt_completion([{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}])
    {'prompt': [{'role': 'user', 'content': 'Hi'}], 'completion': [{'role': 'assistant', 'content': 'Hello'}]}
    """
    if sum(turn["role"] == "assistant" for turn in messages) != 1 or messages[-1]["role"] != "assistant":
        raise ValueError("the TRL comparison needs conversations with one reply, at the end: TRL's "
                         "prompt/completion form scores the last reply only, lorakit every reply")
    return {"prompt": list(messages[:-1]), "completion": list(messages[-1:])}


def score_to_end_of_turn(labels, eos_id):
    """`labels` with every token after the first end-of-turn token `eos_id` set to -100.

    >>> score_to_end_of_turn([-100, 5, 2, 198], eos_id=2)
    [-100, 5, 2, -100]
    """
    out, ended = list(labels), False
    for i, token in enumerate(labels):
        if ended:
            out[i] = IGNORE_INDEX
        ended = ended or token == eos_id
    return out


def real_tokens(batch):
    """Tokens of a batch that are not padding (its attention mask's sum).

    >>> real_tokens({"attention_mask": torch.tensor([[1, 1, 1], [1, 0, 0]])})
    4
    """
    return int(batch["attention_mask"].sum())


def padding_stats(lengths, batches):
    """Real and padded tokens of an epoch of `batches` (lists of indices) over examples of `lengths`.

    >>> padding_stats([3, 1, 2, 2], [[0, 1], [2, 3]])   # widths 3 and 2: 8 slots, 8 - 6 padding
    {'batches': 2, 'real_tokens': 8, 'padded_tokens': 10, 'padding_fraction': 0.2}
    """
    real = sum(lengths[i] for batch in batches for i in batch)
    padded = sum(len(batch) * max(lengths[i] for i in batch) for batch in batches)
    return {"batches": len(batches), "real_tokens": real, "padded_tokens": padded,
            "padding_fraction": round(1 - real / padded, 4)}


def random_batches(n, batch_size, seed):
    """Batches of a random order of range(n), as a DataLoader with a RandomSampler draws them.

    >>> sorted(i for batch in random_batches(5, 2, seed=0) for i in batch)
    [0, 1, 2, 3, 4]
    """
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed)).tolist()
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


# ------------------------------------------------------------------------------------ contenders
def tiny_llama(tokenizer, layers=2, width=32):
    """A Llama of `layers` layers and width `width` with random weights, for `--quick` and tests."""
    from transformers import LlamaConfig, LlamaForCausalLM
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=width, intermediate_size=2 * width,
                         num_hidden_layers=layers, num_attention_heads=4, num_key_value_heads=2,
                         max_position_embeddings=2048, tie_word_embeddings=True,
                         bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                         pad_token_id=tokenizer.pad_token_id)
    return LlamaForCausalLM(config)


def lorakit_chat_model(base, lora):
    """A copy of `base` with lorakit's LoRA; B drawn at random (as if trained), so LoRA changes outputs."""
    model = apply_lora(copy.deepcopy(base), lora["target_modules"], r=lora["r"],
                       lora_alpha=lora["lora_alpha"], lora_dropout=lora["lora_dropout"])
    torch.manual_seed(1)
    with torch.no_grad():
        for layer in lora_layers(model).values():
            torch.nn.init.normal_(layer.lora_B.weight, std=0.02)
    return model.train()


def copy_lora_weights(source, peft_model):
    """Copy every lora_A / lora_B weight of a lorakit model into the same layer of a peft model.

    peft calls `model.layers.0.mlp.up_proj.lora_A.weight` `base_model.model.` + that, with the adapter's
    name `.default` before `.weight`. Returns the number of tensors copied (all of peft's).
    """
    ours = dict(source.named_parameters())
    copied = 0
    with torch.no_grad():
        for name, p in peft_model.named_parameters():
            if ".lora_" in name:
                p.copy_(ours[name.removeprefix("base_model.model.").replace(".default.", ".")])
                copied += 1
    assert copied == sum(".lora_" in name for name in ours), "peft and lorakit adapt different layers"
    return copied


def full_logits_loss(model, batch):
    """`ChatTask.loss` without its trick: logits at every position (B, T, V), then the same loss."""
    logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits[:, :-1]
    targets = batch["labels"][:, 1:]                  # (B, T-1): position t predicts token t + 1
    return F.cross_entropy(logits.flatten(0, 1).float(), targets.flatten(), ignore_index=IGNORE_INDEX)


def linear_schedule(optimizer, steps):
    """`lorakit train`'s schedule: linear warm-up over 10% of `steps`, then linear decay."""
    from transformers import get_linear_schedule_with_warmup
    return get_linear_schedule_with_warmup(optimizer, int(0.1 * steps), steps)


def lorakit_step(model, loss_fn, steps, max_grad_norm, adamw):
    """(step(batch), optimizer): one step of `lorakit train`'s loop (train.train_epoch) on `model`."""
    params = trainable(model)
    optimizer = make_adamw(params, adamw)
    scheduler = linear_schedule(optimizer, steps)

    def step(batch):
        loss = loss_fn(model, batch)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, max_grad_norm)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
    return step, optimizer


class StepTimer:
    """A TrainerCallback timing each optimizer step of `trainer.train()` (on_step_begin to on_step_end)
    and counting its real tokens (TRL's own count, `num_tokens`); the first `skip` steps are not kept."""

    def __init__(self, trainer, device, skip=1):
        self.trainer, self.device, self.skip = trainer, device, skip
        self.times, self.tokens, self._start, self._tokens = [], [], 0.0, 0

    def on_step_begin(self, args, state, control, **kwargs):
        sync(self.device)
        self._tokens = self.trainer._total_train_tokens
        self._start = time.perf_counter()

    def on_step_end(self, args, state, control, **kwargs):
        sync(self.device)
        seconds = time.perf_counter() - self._start
        if state.global_step > self.skip:
            self.times.append(seconds)
            self.tokens.append(self.trainer._total_train_tokens - self._tokens)

    def __getattr__(self, name):  # every other TrainerCallback event: nothing to do
        if name.startswith("on_"):
            return lambda *args, **kwargs: None
        raise AttributeError(name)


def trl_trainer(base, tokenizer, examples, lora, target_modules, batch_size, steps, device, adamw,
                checkpointing=False):
    """TRL's SFTTrainer on a copy of `base` with peft's LoraConfig (the same r, alpha, layers, dropout)."""
    from peft import LoraConfig
    from trl import SFTConfig, SFTTrainer
    from datasets import Dataset
    peft_config = LoraConfig(task_type="CAUSAL_LM", r=lora["r"], lora_alpha=lora["lora_alpha"],
                             lora_dropout=lora["lora_dropout"],
                             target_modules=target_modules if isinstance(target_modules, str) else list(target_modules))
    args = SFTConfig(output_dir=tempfile.mkdtemp(prefix="lorakit-bench-trl-"),
                     per_device_train_batch_size=batch_size, gradient_accumulation_steps=1,
                     max_length=lora["max_length"], max_grad_norm=lora["max_grad_norm"],
                     learning_rate=1e-5, lr_scheduler_type="linear", warmup_steps=int(0.1 * steps),
                     max_steps=steps, optim={"fused": "adamw_torch_fused", "foreach": "adamw_torch",
                                             "for-loop": "adamw_torch"}[adamw],
                     activation_checkpointing=checkpointing, bf16=False, fp16=False,
                     completion_only_loss=True, use_cpu=device.type == "cpu", report_to="none",
                     save_strategy="no", logging_steps=10**6, disable_tqdm=True, seed=0,
                     dataloader_num_workers=0)
    data = Dataset.from_list([prompt_completion(m) for m in examples])
    with warnings.catch_warnings(), _quiet():
        warnings.simplefilter("ignore")
        trainer = SFTTrainer(model=copy.deepcopy(base).to(device), args=args, train_dataset=data,
                             processing_class=copy.deepcopy(tokenizer), peft_config=peft_config)
        trainer.train_dataset = trainer.train_dataset.map(
            lambda row: {"labels": score_to_end_of_turn(row["labels"], tokenizer.eos_token_id)})
    return trainer


def trl_step(trainer):
    """step(batch): the body of Trainer's loop for one optimizer step (no accumulation), on TRL's objects.

    Needs `trainer.train()` to have run once (it prepares the model, optimizer and scheduler).
    """
    model = trainer.model_wrapped

    def step(batch):
        inputs, num_items = trainer.get_batch_samples(iter([dict(batch)]), 1, trainer.args.device)
        trainer.training_step(model, inputs[0], num_items)
        trainer.accelerator.clip_grad_norm_(model.parameters(), trainer.args.max_grad_norm)
        trainer.optimizer.step()
        trainer.lr_scheduler.step()
        model.zero_grad()
    return step


@contextlib.contextmanager
def _quiet():
    """transformers' load reports, datasets' progress bars and Trainer's printed metrics off for the block."""
    import datasets
    bars = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()
    try:  # train() prints its metrics; stdout is the report's
        with _quiet_transformers(), contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        if bars:
            datasets.enable_progress_bars()


# ------------------------------------------------------------------------------------- the checks
def check_same_tokens(features, trl_dataset):
    """Raise unless TRL tokenised every example to lorakit's token ids and scores the same tokens."""
    differ = [i for i, (ours, theirs) in enumerate(zip(features, trl_dataset))
              if ours["input_ids"] != theirs["input_ids"] or ours["labels"] != theirs["labels"]]
    if differ or len(features) != len(trl_dataset):
        raise AssertionError(f"TRL tokenised {len(differ)} of {len(features)} examples differently "
                             f"from lorakit (first: {differ[:3]}); the comparison would not be of the same job")


@torch.no_grad()
def same_loss(losses):
    """{"losses": {name: value}, "max_relative_difference": d}; raise when d > 1e-4."""
    values = {name: float(loss) for name, loss in losses.items()}
    ref = values["lorakit"]
    worst = max(abs(v - ref) / abs(ref) for v in values.values())
    if worst > 1e-4:
        raise AssertionError(f"the contenders' losses on one batch differ by {worst:.2e} (relative): {values}")
    return {"losses": values, "max_relative_difference": worst}


# ---------------------------------------------------------------------------------------- timing
def timed_steps(steps, batches, repeats, warmup, device):
    """Interleave the contenders; the call k of contender `name` runs steps[name] on batches[name][k]."""
    calls = {name: iter(batches[name]) for name in steps}
    fns = {name: (lambda name=name: steps[name](next(calls[name]))) for name in steps}
    return interleaved(fns, repeats, warmup, device)


def contender_result(times, batches, warmup, memory):
    """Step times, tokens per second (median over steps and total) and memory of one contender."""
    tokens = [real_tokens(b) for b in batches[warmup:warmup + len(times)]]
    slots = [b["input_ids"].numel() for b in batches[warmup:warmup + len(times)]]
    return summary(times) | memory | {
        "tokens": tokens, "padded_tokens": slots, "padding_fraction": round(1 - sum(tokens) / sum(slots), 4),
        "tokens_per_second": statistics.median(t / s for t, s in zip(tokens, times)),
        "tokens_per_second_total": sum(tokens) / sum(times)}


def seconds_per_token(times, batches, warmup):
    """Each timed step's seconds per real token (the inverse of its tokens per second)."""
    return [s / real_tokens(b) for s, b in zip(times, batches[warmup:])]


def generate_fixed(model, batch, new_tokens):
    """A function generating exactly `new_tokens` tokens greedily for a left-padded batch, to be timed."""
    from transformers import GenerationConfig
    config = GenerationConfig(max_new_tokens=new_tokens, min_new_tokens=new_tokens, do_sample=False,
                              pad_token_id=model.config.pad_token_id, eos_token_id=model.config.eos_token_id)

    @torch.no_grad()
    def run():
        model.generate(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                       generation_config=config)
    return run


def bench_generation(model, prompts, new_tokens, repeats, warmup, device):
    """Trick (c): greedy generation by the unmerged LoRA model vs a copy merged with merge_lora."""
    models = {"unmerged": copy.deepcopy(model).eval(), "merged": merge_lora(copy.deepcopy(model)).eval()}
    inputs = {k: prompts[k] for k in ("input_ids", "attention_mask")}
    with torch.no_grad():
        ref = models["unmerged"](**inputs).logits
        error = (models["merged"](**inputs).logits - ref).abs().max().item()
    # float32 rounding of (W0 + sBA) x vs W0 x + s B (A x), through every layer: relative to the logits
    assert error <= 1e-4 * ref.abs().max().item(), f"the merged model disagrees with the unmerged one by {error}"
    times = interleaved({name: generate_fixed(m, inputs, new_tokens) for name, m in models.items()},
                        repeats, warmup, device)
    return {name: summary(times[name]) for name in models} | {
        "new_tokens": new_tokens, "prompts": int(inputs["input_ids"].shape[0]),
        "max_logit_difference": error, "paired": {"merged_vs_unmerged": paired(times["merged"], times["unmerged"])}}


# ------------------------------------------------------------------------------------ the benchmark
def bench_chat(model=None, tokenizer=None, examples=None, batch_size=None, max_length=None, repeats=5,
               warmup=2, device="cpu", gen_tokens=16, loop_steps=2, trl_checkpointing=True,
               adamw="fused", log=print):
    """Tokens per second and peak memory of the chat task's training step: lorakit vs TRL + peft.

    `model`: a causal LM or its folder (default: the bundled SmolLM2-135M-Instruct); every contender
    trains a deep copy. `tokenizer`: default the model folder's. `examples`: conversations (a Dataset
    with "messages", or a list of message lists; default `chat_examples()`). `batch_size` and
    `max_length` default to lorakit's chat defaults. Returns the JSON-ready results; see the module
    docstring for what is measured and checked, and its example.
    """
    device = torch.device(device)
    lora = chat_lora() | {k: v for k, v in (("batch_size", batch_size), ("max_length", max_length)) if v}
    batch_size = lora["batch_size"]
    path = model if model is None or isinstance(model, (str, os.PathLike)) else None
    tokenizer = tokenizer or load_tokenizer(str(path or default_chat_model()))
    base = load_task_model("chat", None, str(path or default_chat_model())) if path or model is None else model
    base = base.to(device).train()
    examples = chat_examples() if examples is None else examples
    messages = list(examples["messages"] if hasattr(examples, "column_names") else examples)

    task = ChatTask(max_length=lora["max_length"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # conversations longer than max_length are left out, as in train
        features = task.encode(task.dataset({"messages": messages}), tokenizer, train=True)
    kept = [messages[i] for i in features["example_index"]]
    features = [{"input_ids": f["input_ids"], "labels": f["labels"]} for f in features]
    lengths = [len(f["input_ids"]) for f in features]
    rounds = warmup + repeats
    if len(features) < rounds * batch_size:
        raise ValueError(f"{len(features)} examples make fewer than warmup + repeats = {rounds} "
                         f"batches of {batch_size}")
    log(f"chat benchmark: {len(features)} conversations, batch {batch_size}, {rounds} steps per contender")

    # the batches: length-grouped as `lorakit train` makes them, random as TRL's sampler draws them
    grouped = length_grouped_batches(lengths, batch_size, seed=0)
    shuffled = random_batches(len(features), batch_size, seed=0)
    widest = sorted(range(len(features)), key=lengths.__getitem__, reverse=True)[:batch_size]
    collate = task.collator(tokenizer)

    def ours(indices):
        return {k: v.to(device) for k, v in collate([features[i] for i in indices]).items()}

    # the contenders
    lorakit_model = lorakit_chat_model(base, lora)
    targets = lorakit_model.lora_config.target_modules
    models = {"lorakit": lorakit_model, "lorakit_full_logits": copy.deepcopy(lorakit_model),
              "lorakit_random": copy.deepcopy(lorakit_model)}
    trainers = {"trl": False} | ({"trl_checkpointing": True} if trl_checkpointing else {})
    total_steps = rounds + loop_steps + 3
    for name, checkpointing in trainers.items():
        log(f"  building {name} (SFTTrainer, tokenising {len(kept)} conversations)")
        trainers[name] = trl_trainer(base, tokenizer, kept, lora, targets, batch_size, total_steps, device,
                                     adamw, checkpointing)
        check_same_tokens(features, trainers[name].train_dataset)
        copy_lora_weights(lorakit_model, trainers[name].model)

    def theirs(trainer, indices):
        return trainer.data_collator([trainer.train_dataset[i] for i in indices])

    # the same job: the same loss on one batch, before any step
    check_batch = shuffled[0]
    with torch.no_grad():
        trainer = trainers["trl"]
        losses = {"lorakit": ChatTask.loss(lorakit_model, ours(check_batch)),
                  "lorakit_full_logits": full_logits_loss(lorakit_model, ours(check_batch)),
                  "trl": trainer.compute_loss(trainer.model, trainer._prepare_inputs(theirs(trainer, check_batch)))}
    loss_check = same_loss(losses) | {"examples": check_batch}
    log(f"  same loss on one batch: {loss_check['losses']}")

    # TRL's own loop for 1 + loop_steps steps (sets the trainer up; the cross-check times)
    loops = {}
    for name, trainer in trainers.items():
        timer = StepTimer(trainer, device)
        trainer.add_callback(timer)
        trainer.args.max_steps = 1 + loop_steps
        with _quiet():
            trainer.train()
        trainer.remove_callback(timer)
        loops[name] = {"times_s": timer.times, "tokens": timer.tokens,
                       "tokens_per_second_total": ratio(sum(timer.tokens), sum(timer.times)),
                       "activation_checkpointing": bool(trainer.model.is_activation_checkpointing)}

    batches = {"lorakit": [ours(b) for b in grouped[:rounds]],
               "lorakit_full_logits": [ours(b) for b in grouped[:rounds]],
               "lorakit_random": [ours(b) for b in shuffled[:rounds]]}
    batches |= {name: [theirs(trainer, b) for b in shuffled[:rounds]] for name, trainer in trainers.items()}
    steps, optimizers = {}, {}
    for name, loss_fn in (("lorakit", ChatTask.loss), ("lorakit_full_logits", full_logits_loss),
                          ("lorakit_random", ChatTask.loss)):
        steps[name], optimizers[name] = lorakit_step(models[name], loss_fn, total_steps,
                                                     lora["max_grad_norm"], adamw)
    for name, trainer in trainers.items():
        steps[name], optimizers[name] = trl_step(trainer), trainer.optimizer
        models[name] = trainer.model
    log(f"  timing {', '.join(steps)}: {warmup} warm-up + {repeats} interleaved rounds")
    times = timed_steps(steps, batches, repeats, warmup, device)

    log("  peak memory of one step on the widest batch")
    common = {name: ours(widest) for name in ("lorakit", "lorakit_full_logits", "lorakit_random")}
    common |= {name: theirs(trainer, widest) for name, trainer in trainers.items()}
    contenders = {}
    for name in steps:
        memory = _step_memory(models[name], getattr(optimizers[name], "optimizer", optimizers[name]),
                              lambda name=name: steps[name](common[name]),
                              tensor_bytes(common[name].values()), device)
        contenders[name] = contender_result(times[name], batches[name], warmup, memory)

    log(f"  generation: unmerged vs merged, {gen_tokens} new tokens")
    prompts = ChatTask().collator(tokenizer, targets=False)(
        task.encode(task.dataset({"messages": kept[:batch_size]}), tokenizer, train=False))
    generation = bench_generation(lorakit_model, {k: v.to(device) for k, v in prompts.items()}, gen_tokens,
                                  repeats, warmup, device)

    for trainer in trainers.values():  # the output folders SFTTrainer needs; nothing is saved in them
        shutil.rmtree(trainer.args.output_dir, ignore_errors=True)
    per_token = {name: seconds_per_token(times[name], batches[name], warmup) for name in steps}
    paired_ratios = {key: paired(per_token[b], per_token[a])
                     for key, (a, b) in SPEED_RATIOS.items() if a in steps and b in steps}
    paired_ratios["merged_vs_unmerged_generation_latency"] = generation["paired"]["merged_vs_unmerged"]
    ratios = {key: value["median"] for key, value in paired_ratios.items()}
    ratios |= {key: ratio(contenders[a]["peak_bytes"] or 0, contenders[b]["peak_bytes"] or 0)
               for key, (a, b) in MEMORY_RATIOS.items() if a in steps and b in steps}
    return {"chat_vs_trl_tokens_per_second": ratios["chat_vs_trl_tokens_per_second"],
            "chat_vs_trl_peak_memory": ratios["chat_vs_trl_peak_memory"],
            "ratios": ratios, "paired": paired_ratios,
            "ratios_of_totals": {key: ratio(contenders[a]["tokens_per_second_total"],
                                            contenders[b]["tokens_per_second_total"])
                                 for key, (a, b) in SPEED_RATIOS.items() if a in steps and b in steps},
            "contenders": contenders, "generation": generation, "trl_train_loop": loops,
            "padding": {"length_grouped": padding_stats(lengths, grouped),
                        "random": padding_stats(lengths, shuffled)},
            "loss_check": loss_check, "model": model_info(base),
            "settings": {"batch_size": batch_size, "max_length": lora["max_length"], "examples": len(features),
                         "repeats": repeats, "warmup": warmup, "adamw": adamw, "gen_tokens": gen_tokens,
                         "lora": {k: lora[k] for k in ("r", "lora_alpha", "lora_dropout")}
                         | {"target_modules": targets},
                         "widest_batch_tokens": sum(lengths[i] for i in widest),
                         # the example indices of each step (warm-up first): lorakit and lorakit_full_logits
                         # take the length-grouped batches, lorakit_random and TRL the random ones
                         "batches": {"length_grouped": grouped[:rounds], "random": shuffled[:rounds]}}}


# ------------------------------------------------------------------------------------ the report
def parse_args(argv=None):
    """The command line.

    >>> parse_args(["--quick", "--threads", "1"]).threads
    1
    """
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a tiny Llama (2 layers, width 32), 48 "
                        "conversations, batch 4, 3 rounds: a smoke test in seconds")
    parser.add_argument("--json", metavar="FILE", help="also write every number to FILE as JSON")
    parser.add_argument("--threads", type=int, metavar="N",
                        help="torch threads (default: the CPUs this process may use)")
    parser.add_argument("--repeats", type=int, metavar="N", help="timed rounds (default 5, quick 3)")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--model", help="a causal LM folder or Hub name (default: the bundled SmolLM2-135M-"
                        "Instruct); with --quick, only its tokenizer is used")
    parser.add_argument("--no-trl-checkpointing", action="store_true",
                        help="leave out TRL with its default gradient checkpointing (a fifth of the time)")
    args = parser.parse_args(argv)
    if args.repeats is not None and args.repeats < 1:
        parser.error("--repeats must be at least 1")
    return args


def run_chat(quick=False, device=torch.device("cpu"), repeats=None, model=None, trl_checkpointing=True,
             log=print):
    """The chat benchmark as `main` and `bench.py` run it: the bundled SmolLM2 (or `model`), or with
    `quick` a tiny Llama on its tokenizer; the results with the machine and the wall time."""
    started = time.perf_counter()
    if quick:
        tokenizer = load_tokenizer(model or default_chat_model())
        results = bench_chat(tiny_llama(tokenizer), tokenizer, chat_examples(48), batch_size=4,
                             repeats=repeats or 3, warmup=1, device=device, gen_tokens=4, loop_steps=1,
                             trl_checkpointing=trl_checkpointing, log=log)
    else:
        results = bench_chat(model, repeats=repeats or 5, device=device,
                             trl_checkpointing=trl_checkpointing, log=log)
    import trl
    results["machine"] = machine_info(device) | {"trl": trl.__version__}
    results["settings"]["quick"] = quick
    results["wall_s"] = round(time.perf_counter() - started, 1)
    return results


def main(argv=None):
    """Command line entry point: print the markdown report, write the JSON; returns the results."""
    args = parse_args(argv)
    torch.set_num_threads(args.threads or default_threads())
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    results = run_chat(args.quick, choose_device(args.device), args.repeats, args.model,
                       not args.no_trl_checkpointing, log)
    if args.json:
        write_json(results, args.json)
    print(markdown(results) + (f"\n\nwrote {args.json}" if args.json else ""))
    return results


if __name__ == "__main__":
    main()
