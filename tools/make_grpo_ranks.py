"""Make data/sweeps/grpo_ranks.json: lesson 14's rank 1 against rank 16 (and the default rank 4), measured.

Each run is `lorakit train --task chat --method grpo --reward sentiment` with the GRPO defaults but for
the rank, on the first 192 shuffled training questions (24 steps of 8 questions, G = 8 replies each),
with no time limit (every run trains the same 24 steps), scored on the same 64 held-out questions
before and after. Runs that differ only in the seed draw other training questions and other samples.
Each run is written as it ends (rerun the script to finish a stopped one).

The same run from the command line:

    lorakit train --task chat --method grpo --reward sentiment --rank 1 --seed 0 \
      --max-train-examples 192 --max-train-minutes 0 --out runs/grpo-r1

Usage: OMP_NUM_THREADS=1 python tools/make_grpo_ranks.py [OUT.json] [RANKS] [SEEDS]
(defaults: data/sweeps/grpo_ranks.json, 1,4,16 and 0,1; two cores can run two seeds at once into two
files, whose lists of runs then go into one file unchanged).
"""
import json
import sys
from pathlib import Path

import torch

from lorakit._io import atomic_write_text
from lorakit.config import TrainConfig
from lorakit.grpo import train_grpo

KEPT = ("trainable_params", "reward_before", "reward_after", "reward_curve", "steps_run", "train_seconds",
        "seconds_per_step", "held_out_questions", "group_size", "questions_per_step")


def main(out="data/sweeps/grpo_ranks.json", ranks="1,4,16", seeds="0,1"):
    torch.set_num_threads(1)
    path = Path(out)
    runs = json.loads(path.read_text()) if path.exists() else []
    done = {(run["r"], run["seed"]) for run in runs}
    for seed in map(int, seeds.split(",")):
        for r in map(int, ranks.split(",")):
            if (r, seed) in done:
                continue
            config = TrainConfig(task="chat", method="grpo", reward="sentiment", r=r, seed=seed,
                                 max_train_examples=192, max_train_minutes=0)
            metrics = train_grpo(config, progress=False).metrics
            runs.append({"r": r, "seed": seed, **{k: metrics[k] for k in KEPT}})
            atomic_write_text(path, json.dumps(runs, indent=1) + "\n")
            print(f"rank {r} seed {seed}: held-out reward {metrics['reward_before']:.3f} -> "
                  f"{metrics['reward_after']:.3f}, {metrics['train_seconds']:.0f} s", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
