"""One GRPO step: lorakit (`lorakit.grpo.grpo_step`) against TRL's GRPOTrainer + peft.

    python -m benchmarks.grpo --quick                        # a tiny Llama: seconds
    python -m benchmarks.grpo --json grpo.json               # SmolLM2-135M-Instruct

One process, one base model, each contender on its own deep copy of the same weights, the same LoRA
(lorakit's GRPO defaults: r=4, lora_alpha=16, every Linear of the top two thirds of the layers), the
same sentiment questions (the bundled training split, asked in the canonical wording), the same
questions per step, G, reply length (`reward_reply_tokens`), temperature 1, no KL term, the same
reward (`SentimentTask.reward`), GRPO's per-reply loss, fp32, AdamW, gradient clipping at 1.0. A step
is everything: sampling the G replies of each question, scoring, advantages, the loss, backward and
the optimizer step. The contenders run interleaved round by round (timing.py), each on the next
questions of its own copy of the same list.

    lorakit   `grpo_step`: the prompt run once per group and its KV cache shared by the G replies,
              in sampling and in the loss's forward pass; groups that all scored alike left out
    trl       the body of Trainer's loop for one optimizer step on TRL's objects: `training_step`
              (GRPOTrainer's `_prepare_inputs` generates with `model.generate`, scores and computes
              the advantages; `compute_loss`, backward), clipping, `optimizer.step()`, the schedule

Reported: each contender's median step time; `grpo_vs_trl_step` = the median of the per-round ratios
lorakit time / TRL time (below 1: lorakit faster); and the memory of each contender alone
(`rss_growth_mb`: in a fresh process, the peak resident memory while it is set up on the loaded base
model and takes two steps, less the memory before; its model copy, LoRA, optimizer state and the
steps' activations), with `grpo_vs_trl_memory` = lorakit's / TRL's.
"""
import argparse
import copy
import json
import sys
import tempfile
import time
import warnings

import torch

from benchmarks.timing import interleaved, paired, summary
from lorakit.config import TrainConfig
from lorakit.grpo import GRPO_DEFAULTS, GrpoRun, grpo_step
from lorakit.lora import apply_lora
from lorakit.models import load_task_model
from lorakit.pretrained import default_chat_model, load_tokenizer
from lorakit.targets import top_layers
from lorakit.tasks import SentimentTask
from lorakit.timelimit import LinearSchedule


def questions(n):
    """The first `n` sentiment training rows (dicts)."""
    return list(SentimentTask().bundled_split("train").select(range(n)))


def tiny_llama(tokenizer, layers=2, width=32):
    """A small random Llama on `tokenizer` (the quick mode's model)."""
    from transformers import LlamaConfig, LlamaForCausalLM
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=width, intermediate_size=2 * width,
                         num_hidden_layers=layers, num_attention_heads=2, num_key_value_heads=1,
                         tie_word_embeddings=True, eos_token_id=tokenizer.eos_token_id,
                         pad_token_id=tokenizer.eos_token_id)
    return LlamaForCausalLM(config)


def lorakit_run(base, tokenizer, config):
    """A GrpoRun on a copy of `base` with lorakit's LoRA, stepping over no rows of its own."""
    model = apply_lora(copy.deepcopy(base), config.target_modules, r=config.r, lora_alpha=config.lora_alpha)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=config.lr)
    schedule = LinearSchedule(0, 10**6)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
    task = SentimentTask()
    return GrpoRun(config, None, task, model.train(), tokenizer, optimizer, scheduler, schedule, [], [], "cpu",
                   task.reward_reply_tokens, torch.Generator().manual_seed(0))


def trl_trainer(base, tokenizer, config, rows):
    """TRL's GRPOTrainer on a copy of `base` with peft's LoraConfig on the same layers."""
    from datasets import Dataset
    from peft import LoraConfig
    from trl import GRPOConfig, GRPOTrainer
    task = SentimentTask()
    targets = top_layers(base, config.target_modules)
    peft_config = LoraConfig(task_type="CAUSAL_LM", r=config.r, lora_alpha=config.lora_alpha, target_modules=targets)
    G = config.group_size

    def reward(completions, label, **kwargs):
        return [task.reward(c[0]["content"] if isinstance(c, list) else c, {"text": "", "label": y})
                for c, y in zip(completions, label)]
    args = GRPOConfig(output_dir=tempfile.mkdtemp(prefix="lorakit-bench-grpo-"), loss_type="grpo", beta=0.0,
                      num_generations=G, per_device_train_batch_size=G * config.batch_size,
                      max_completion_length=task.reward_reply_tokens, temperature=1.0, learning_rate=config.lr,
                      max_grad_norm=config.max_grad_norm, max_steps=1, use_cpu=True, bf16=False, fp16=False,
                      report_to="none", save_strategy="no", logging_steps=10**6, disable_tqdm=True, seed=0,
                      gradient_checkpointing=False)
    data = Dataset.from_list([{"prompt": task.to_chat(r)[0], "label": r["label"]} for r in rows])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trainer = GRPOTrainer(model=copy.deepcopy(base), reward_funcs=reward, args=args, train_dataset=data,
                              processing_class=copy.deepcopy(tokenizer), peft_config=peft_config)
        trainer.train()                        # prepares the model, optimizer and scheduler (one step)
    return trainer


def trl_step(trainer):
    """step(batch): one optimizer step of Trainer's loop (no accumulation) on TRL's own objects."""
    model = trainer.model_wrapped

    def step(batch):
        trainer.training_step(model, batch, None)
        trainer.accelerator.clip_grad_norm_(model.parameters(), trainer.args.max_grad_norm)
        trainer.optimizer.step()
        trainer.lr_scheduler.step()
        model.zero_grad()
    return step


def trl_batches(trainer, n):
    """`n` generation batches from TRL's own data loader (each question repeated G times)."""
    loader = iter(trainer.get_train_dataloader())
    return [next(loader) for _ in range(n)]


def grpo_config(batch_size, group_size):
    """The settings both contenders take: lorakit's GRPO defaults, temperature 1, no KL term."""
    return TrainConfig(task="chat", method="grpo", reward="sentiment", batch_size=batch_size,
                       group_size=group_size, lr=GRPO_DEFAULTS["lr"], r=GRPO_DEFAULTS["r"],
                       target_modules=GRPO_DEFAULTS["target_modules"], temperature=1.0, kl_weight=0.0)


def bench_grpo(base, tokenizer, repeats=5, warmup=1, batch_size=8, group_size=8, log=print):
    """{"lorakit": ..., "trl": ..., "grpo_vs_trl_step": ..., "settings": ...}."""
    config = grpo_config(batch_size, group_size)
    steps = repeats + warmup
    rows = questions(batch_size * (steps + 2))
    log("setting up TRL's GRPOTrainer")
    trainer = trl_trainer(base, tokenizer, config, rows)
    run = lorakit_run(base, tokenizer, config)
    ours = iter([rows[i:i + batch_size] for i in range(0, len(rows), batch_size)])
    theirs = iter(trl_batches(trainer, steps))
    step = trl_step(trainer)
    log(f"timing {repeats} interleaved rounds after {warmup} warm-up")
    times = interleaved({"lorakit": lambda: grpo_step(run, next(ours)), "trl": lambda: step(next(theirs))},
                        repeats, warmup, torch.device("cpu"))
    ratio = paired(times["lorakit"], times["trl"])
    return {"lorakit": summary(times["lorakit"]), "trl": summary(times["trl"]),
            "grpo_vs_trl_step": ratio["median"], "grpo_vs_trl_step_quartiles": ratio,
            "settings": {"questions_per_step": batch_size, "group_size": group_size, "r": config.r,
                         "reply_tokens": SentimentTask.reward_reply_tokens, "repeats": repeats}}


def memory_alone(name, base, tokenizer, steps=2, batch_size=8, group_size=8):
    """Peak resident memory growth (MiB) of one contender set up on `base` and taking `steps` steps,
    over the process's memory before its set-up: run it in a fresh process (`--alone NAME`), since
    the memory an earlier contender freed stays with the process on a CPU."""
    import psutil

    from lorakit.measure import PeakMemory
    from peft import LoraConfig  # noqa: F401  (imported first: code is not the contender's memory)
    from trl import GRPOConfig, GRPOTrainer  # noqa: F401
    config, rows = grpo_config(batch_size, group_size), questions(batch_size * (steps + 1))
    before = psutil.Process().memory_info().rss / 2**20
    with PeakMemory("cpu") as peak:
        if name == "lorakit":
            run = lorakit_run(base, tokenizer, config)
            for i in range(steps):
                grpo_step(run, rows[i * batch_size:(i + 1) * batch_size])
        else:                                   # TRL's set-up takes one step, then `steps` more
            trainer = trl_trainer(base, tokenizer, config, rows)
            step = trl_step(trainer)
            for batch in trl_batches(trainer, steps):
                step(batch)
    return round(peak.mb - before, 1)


def memory_in_own_processes(quick, log):
    """{"lorakit": MiB, "trl": MiB} from `--alone NAME` runs of this module, one fresh process each."""
    import subprocess
    grown = {}
    for name in ("lorakit", "trl"):
        log(f"memory of {name} alone, in a fresh process")
        out = subprocess.run([sys.executable, "-m", "benchmarks.grpo", "--alone", name] + ["--quick"] * quick,
                             capture_output=True, text=True, check=True).stdout
        grown[name] = json.loads(out.strip().splitlines()[-1])["rss_growth_mb"]
    return grown


def base_model(quick, tokenizer):
    return tiny_llama(tokenizer) if quick else load_task_model("chat", None, default_chat_model())


def write(results, path):
    text = json.dumps(results, indent=1)
    if path:
        open(path, "w").write(text + "\n")
    return text


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a tiny Llama, 2 questions a step, G 4, 2 rounds")
    parser.add_argument("--json", metavar="FILE", help="also write the numbers to FILE")
    parser.add_argument("--repeats", type=int, default=None, help="timed rounds (default 5, quick 2)")
    parser.add_argument("--no-memory", action="store_true", help="leave out the two memory runs")
    parser.add_argument("--alone", choices=["lorakit", "trl"], help=argparse.SUPPRESS)   # one memory run
    args = parser.parse_args(argv)
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    started = time.perf_counter()
    tokenizer = load_tokenizer(default_chat_model())
    sizes = (2, 4) if args.quick else (8, 8)                   # questions per step, G
    if args.alone:
        grown = memory_alone(args.alone, base_model(args.quick, tokenizer), tokenizer, 2, *sizes)
        print(json.dumps({"rss_growth_mb": grown}))
        return grown
    results = bench_grpo(base_model(args.quick, tokenizer), tokenizer, args.repeats or (2 if args.quick else 5),
                         1, *sizes, log)
    results["settings"]["quick"] = args.quick
    write(results, args.json)                 # the timings are kept if a memory run fails
    if not args.no_memory:
        grown = memory_in_own_processes(args.quick, log)
        results["rss_growth_mb"] = grown
        results["grpo_vs_trl_memory"] = round(grown["lorakit"] / grown["trl"], 3)
    results["wall_s"] = round(time.perf_counter() - started, 1)
    text = write(results, args.json)
    print(text)
    return results


if __name__ == "__main__":
    main()
