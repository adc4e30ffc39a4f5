"""Make data/sweeps/sentiment_hyperparameters.csv: lesson 09's measured grids, in one table.

Four grids on the bundled sentiment data (1,000 training examples, one epoch, batch 16, 300
validation and 300 test examples), seeds 0 to 3 (a run takes 10 to 60 seconds on one core of a
2-core machine), each row appended as its run ends (rerun the script to finish a stopped one):
- learning rate: LoRA r=4 and r=32 (query,value; alpha 16, so scaling alpha/r) at 3e-4 to 3e-2, and
  full fine-tuning at 3e-5 to 1e-3;
- rsLoRA (alpha/sqrt(r)) at r=4 and r=32, learning rates 1e-4 to 1e-2;
- batch size 8 and 64 besides 16, at the same 1,000 examples seen: LoRA r=4 at lr 3e-3 and full
  fine-tuning at lr 3e-4 (each one's best at batch 16);
- layers at about matched trainable parameters: query,value r=4, mlp r=2, all-linear r=1 (lr 1e-3,
  3e-3 and 1e-2).

The same runs from the command line (one `lorakit sweep` per grid; `--rslora` for the second):

    lorakit sweep --task sentiment --ranks 4,32 --lrs 3e-4,1e-3,3e-3,1e-2,3e-2 --batch-sizes 16 \
      --max-train-examples 1000 --max-eval-examples 300 --epochs 1 --out runs/lr

Usage: OMP_NUM_THREADS=1 python tools/make_hyper_grid.py [OUT.csv] [SEEDS]

SEEDS is a comma-separated list (default 0,1,2,3). Two cores can run two seeds at once into two files
(`... runs/seed1.csv 1` beside `... runs/seed2.csv 2`); the rows of both go into one table unchanged.
"""
import sys
from dataclasses import replace
from pathlib import Path

import pandas as pd
import torch

from lorakit.config import TrainConfig
from lorakit.sweep import append_row, load_test_split, run_one

LORA_LRS, FULL_LRS, RSLORA_LRS = (3e-4, 1e-3, 3e-3, 1e-2, 3e-2), (3e-5, 1e-4, 3e-4, 1e-3), (1e-4, 3e-4, 1e-3, 3e-3, 1e-2)


def planned(seed):
    """(method, r, lr, batch_size, target_modules, use_rslora) of each run of one seed."""
    qv = "query,value"
    runs = [("lora", r, lr, 16, qv, False) for r in (4, 32) for lr in LORA_LRS]
    runs += [("full", 0, lr, 16, "", False) for lr in FULL_LRS]
    runs += [("lora", r, lr, 16, qv, True) for r in (4, 32) for lr in RSLORA_LRS]
    runs += [("lora", 4, 3e-3, b, qv, False) for b in (8, 64)]
    runs += [("full", 0, 3e-4, b, "", False) for b in (8, 64)]
    runs += [("lora", 2, lr, 16, "mlp", False) for lr in (3e-3, 1e-2, 1e-3)]
    runs += [("lora", 1, lr, 16, "all-linear", False) for lr in (3e-3, 1e-2, 1e-3)]
    return [(*run, seed) for run in runs]


def target_value(text):
    return text.split(",") if "," in text else text or None


def main(out="data/sweeps/sentiment_hyperparameters.csv", seeds="0,1,2,3"):
    torch.set_num_threads(1)
    path = Path(out)
    table = pd.read_csv(path, keep_default_na=False) if path.exists() else pd.DataFrame()
    base = TrainConfig(task="sentiment", max_train_examples=1000, epochs=1, max_eval_examples=300)
    test_set = load_test_split(base)
    key = ["method", "rank", "lr", "batch_size", "target_modules", "use_rslora", "seed"]
    done = set() if table.empty else {tuple(r) for r in table[key].astype(str).values.tolist()}
    runs = [run for seed in seeds.split(",") for run in planned(int(seed))]
    for method, r, lr, batch, targets, rslora, seed in runs:
        if tuple(map(str, (method, r, lr, batch, targets, int(rslora), seed))) in done:
            continue
        config = replace(base, method=method, r=r or None, lr=lr, batch_size=batch, seed=seed,
                         target_modules=target_value(targets), use_rslora=rslora)
        row = run_one(config, test_set)
        row.update(lr=lr, batch_size=batch, target_modules=targets, lora_alpha=16, use_rslora=int(rslora))
        table = append_row(path, table, row)
        print(f"{len(table)}: {method} r={r} lr={lr:g} batch={batch} {targets or '-'} rslora={rslora} "
              f"seed={seed}: accuracy {row['accuracy']:.3f}, {row['train_seconds']:.0f} s", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
