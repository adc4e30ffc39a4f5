"""How much faster and smaller is LoRA? Measured side by side, in one process.

    python benchmarks/bench.py --quick                 # < 2 minutes on a 2-core CPU (smoke test)
    python benchmarks/bench.py --json results.json     # the full run (10-15 minutes on 2 CPU cores)
    python benchmarks/bench.py --threads 1             # on a shared machine (see report.load_warning)
    python benchmarks/bench.py --device cuda           # the same on a GPU (--device auto picks it)

Three benchmarks (suite.py), each on the bundled all-MiniLM-L6-v2 and on a BERT-base-shaped model with
random weights (hidden 768, 12 layers; no download):

1. One training step (forward, backward, AdamW step, zero_grad): lorakit LoRA vs peft LoRA (the same
   config: r=8, alpha=16, query and value, classifier trained whole) vs full fine-tuning, plus a
   "frozen body" step that back-propagates activation gradients through the whole body and computes no
   weight gradient at all: the floor any adapter inside the body has to pay (contenders.py). Time,
   optimizer-state bytes (counted after the step) and peak memory (memory.py).
2. Inference (eval mode, torch.no_grad): the base model vs lorakit unmerged vs merged (merge_lora) vs
   merge_and_unload.
3. One layer, forward + backward: frozen nn.Linear vs lorakit's LoRALinear vs peft's lora.Linear over
   several widths d and ranks r.

Contenders are interleaved and every ratio is a median of paired per-round ratios (timing.py); threads
are set explicitly (--threads, default: the cores this process may use) and reported; seeds are fixed.
This file is the command line only: plan.py says what to run, report.py writes the tables and JSON.
"""
import argparse
import json
import os
import sys
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

# The repo root, for `benchmarks.*` and for lorakit in a checkout without `pip install -e .`.
ROOT = str(Path(__file__).resolve().parent.parent)
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import torch  # noqa: E402

from benchmarks.plan import plan_for  # noqa: E402
from benchmarks.report import add_chat, markdown, write_json  # noqa: E402
from benchmarks.suite import native_bf16, run  # noqa: E402
from benchmarks.machine import choose_device, default_threads  # noqa: E402


def parse_args(argv=None):
    """The command line; --repeats must be at least 1.

    >>> parse_args(["--quick", "--threads", "1"]).threads
    1
    """
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="small batches, few repeats, BERT-base shape cut to 2 layers (< 2 min on 2 CPUs)")
    parser.add_argument("--json", metavar="FILE", help="also write every number to FILE as JSON")
    parser.add_argument("--repeats", type=int, metavar="N",
                        help="timed repeats of a training step (default 7, quick 3); inference and "
                             "layers get proportionally more")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--threads", type=int, metavar="N",
                        help="torch threads (default: the CPUs this process may use)")
    parser.add_argument("--adamw", default="fused", choices=["fused", "foreach", "for-loop"],
                        help="AdamW implementation for every contender (default fused, the fastest)")
    parser.add_argument("--bf16", default="auto", choices=["auto", "on", "off"],
                        help="also time the lorakit LoRA step under bf16 autocast: auto (default) where "
                             "the device computes bf16 natively; on, also where it is emulated")
    parser.add_argument("--chat", default="run", metavar="run|skip|FILE",
                        help="the chat task against TRL's SFTTrainer (benchmarks/chat.py): run it "
                             "(default; 18 min on one thread, quick: a tiny Llama), skip it, or take "
                             "the JSON that `python -m benchmarks.chat --json FILE` wrote")
    parser.add_argument("--note", help="a line to record with the results, e.g. 'machine shared'")
    args = parser.parse_args(argv)
    if args.repeats is not None and args.repeats < 1:
        parser.error("--repeats must be at least 1")
    return args


def chat_results(choice, quick, device, log):
    """The chat benchmark's results: run now, read from a JSON file, or None ("skip")."""
    if choice == "skip":
        return None
    if choice == "run":
        from benchmarks.chat import run_chat
        log("[chat] lorakit vs TRL SFTTrainer + peft" + (" (tiny Llama)" if quick else ", SmolLM2-135M-Instruct"))
        return run_chat(quick, device, log=log)
    try:
        results = json.loads(Path(choice).read_text())
    except (OSError, ValueError) as e:
        raise SystemExit(f"--chat {choice}: not a JSON file that benchmarks.chat wrote ({e})") from None
    if "chat_vs_trl_tokens_per_second" not in results:
        raise SystemExit(f"--chat {choice}: no chat_vs_trl_tokens_per_second in it; write it with "
                         "python -m benchmarks.chat --json FILE")
    return results


def main(argv=None, plan=None):
    """Command line entry point; tests pass a tiny `plan` instead of the quick or full one."""
    args = parse_args(argv)
    from transformers.utils import logging as hf_logging
    hf_logging.disable_progress_bar()
    torch.set_num_threads(args.threads or default_threads())
    torch.manual_seed(0)
    device = choose_device(args.device)
    bf16 = native_bf16(device) if args.bf16 == "auto" else args.bf16 == "on"
    plan = plan or plan_for(args.quick, args.repeats, args.adamw, bf16)
    if args.note:
        plan = replace(plan, notes=plan.notes + [args.note])
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    results = add_chat(run(plan, device, log), None)
    if args.json:   # the encoders' results are kept even if the chat benchmark then fails
        write_json(results, args.json)
    add_chat(results, chat_results(args.chat, plan.quick, device, log))
    print(markdown(results))
    if args.json:
        write_json(results, args.json)
        print(f"\nwrote {args.json}")
    return results


if __name__ == "__main__":
    main()
