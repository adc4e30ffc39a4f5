"""benchmarks/grpo.py on a tiny Llama: lorakit's GRPO step and TRL's GRPOTrainer both run, timed, and
each one's memory is measured alone.

Timings on a model this small say nothing about SmolLM2 (docs/lessons/14_rl_with_lora.md has the
full run); this test checks that the code path of both contenders works on the same job.
"""
import math
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.grpo import bench_grpo, memory_alone  # noqa: E402
from tiny_chat import tiny_chat_tokenizer, tiny_llama  # noqa: E402


def positive_finite(x):
    return isinstance(x, (int, float)) and math.isfinite(x) and x > 0


def test_both_contenders_take_timed_steps_and_their_memory_is_measured():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        tokenizer = tiny_chat_tokenizer()
        results = bench_grpo(tiny_llama(tokenizer), tokenizer, repeats=1, warmup=0, batch_size=1, group_size=2,
                             log=lambda msg: None)
        grown = {name: memory_alone(name, tiny_llama(tokenizer), tokenizer, steps=1, batch_size=1, group_size=2)
                 for name in ("lorakit", "trl")}
    finally:
        torch.set_num_threads(threads)
    assert len(results["lorakit"]["times_s"]) == len(results["trl"]["times_s"]) == 1
    assert positive_finite(results["grpo_vs_trl_step"])
    assert results["settings"]["group_size"] == 2 and results["settings"]["questions_per_step"] == 1
    assert all(isinstance(v, float) and math.isfinite(v) for v in grown.values())
