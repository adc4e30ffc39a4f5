"""Rank sweeps: train one run per (method, rank, seed) and collect the results in one table.

Each finished run is appended to `results.csv` at once (the file is rewritten atomically, so an
interrupted sweep never leaves half a row), and runs already in the file are skipped: rerunning an
interrupted sweep finishes the rest, and rerunning a finished one returns at once.

Example (a small sweep; minutes on a laptop CPU):
    table = run_sweep("sentiment", ranks=[1, 8], seeds=[0], out="runs/sweep")
    table[["method", "rank", "accuracy", "trainable_params"]]
"""
import io
import time
from dataclasses import fields, replace
from pathlib import Path

import pandas as pd

from . import interrupts, quant
from ._io import atomic_write_text, check_can_write
from .data import bundled_data_dir, load_task_data
from .errors import ConfigError, DataError, WriteError
from .runs import save_run
from .config import TrainConfig
from .inference import evaluate
from .sweep_axes import (Axes, check_no_clash, check_target_sets, done_keys, planned_grid, run_config,
                         run_key, run_name)
from .train import scalar_metrics, train

RESULTS = "results.csv"
KEY = ["method", "rank", "seed"]
TEXT = ("task", "target_modules")     # the columns of text; every other one holds numbers
SWEPT = ("lora", "full", "head")      # the methods a sweep trains (LoRA per rank, and its baselines)
# The LoRA family at a matched budget (lesson 16): TrainConfig fields over a shared base config.
VARIANTS = {
    "LoRA r=8": {},
    "LoRA r=64": {"r": 64},
    "rsLoRA r=64": {"r": 64, "use_rslora": True},
    "DoRA r=8": {"use_dora": True},
    "LoRA+ r=8": {"loraplus_ratio": 16},
    "PiSSA r=8": {"init_lora_weights": "pissa"},
    "QLoRA r=8": {"quantize": "nf4"},
}


def planned_runs(ranks, seeds, baselines=()):
    """(method, rank, seed) for each run: LoRA at every rank, then each baseline (rank 0 = none)."""
    for method in baselines:
        if method not in ("full", "head"):
            raise ConfigError(f"--baselines {method!r}: valid baselines are full and head")
    for what, values in (("ranks", ranks), ("seeds", seeds), ("baselines", baselines)):
        twice = sorted({v for v in values if list(values).count(v) > 1})
        if twice:
            raise ConfigError(f"--{what}: {twice[0]} is given twice; its runs would be trained and "
                              f"counted twice")
    runs = [("lora", r, s) for r in ranks for s in seeds]
    return runs + [(m, 0, s) for m in baselines for s in seeds]


def check_sweep_out(out):
    """Raise WriteError unless `out` can hold a sweep's results.csv, plot and runs."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise WriteError(f"--out {out}: exists and is not a folder")
    if (out / RESULTS).is_dir():
        raise WriteError(f"--out {out}: {out / RESULTS} is a folder, not a results table")
    check_can_write(out / RESULTS, "--out")


def check_largest_rank(config, ranks):
    """Raise ConfigError before the first run if the largest rank does not fit the model's layers."""
    from .lora import check_rank, find_target_modules
    from .models import default_target_modules, head_module_names, load_task_model
    model = load_task_model(config.task, None, config.model)
    targets = config.target_modules or default_target_modules(model.config.model_type)
    check_rank(model, find_target_modules(model, targets, head_module_names(model)), max(ranks))


def read_results(path, task=None):
    """The results table at `path` (empty if there is none), checked cell by cell and to be a
    sweep of `task`: `method` is lora, full or head, `rank` and `seed` are whole numbers >= 0
    (returned as int), and every other column but `task` holds numbers (an empty cell is NaN).
    A bad cell is a DataError naming its line (the header is line 1) and column.

    Example:
        >>> import tempfile
        >>> p = Path(tempfile.mkdtemp()) / RESULTS
        >>> _ = p.write_text("task,method,rank,seed,f1\\nner,lora,8.0,0,\\nner,full,0,1,0.9\\n")
        >>> read_results(p, "ner").values.tolist()
        [['ner', 'lora', 8, 0, nan], ['ner', 'full', 0, 1, 0.9]]
    """
    path = Path(path)
    if not path.is_file():
        return pd.DataFrame()
    try:  # every cell as text, blank lines kept, so that row i is line i + 2
        table = pd.read_csv(path, dtype=str, keep_default_na=False, skip_blank_lines=False)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as e:
        raise DataError(f"{path}: not a results table ({str(e).splitlines()[0]})") from None
    missing = [c for c in ["task"] + KEY if c not in table.columns]
    if missing:
        raise DataError(f"{path}: missing column(s) {', '.join(missing)}")
    table = table.fillna("")                          # the cells a short row lacks
    table = table[(table != "").any(axis=1)]          # blank lines
    for column in table.columns.drop([c for c in TEXT if c in table.columns]):
        cells = table[column]
        numbers = pd.to_numeric(cells.where(cells != ""), errors="coerce")
        if column == "method":
            bad, want = ~cells.isin(SWEPT), f"one of {', '.join(SWEPT)}"
        elif column in KEY:
            bad, want = ~((numbers >= 0) & (numbers % 1 == 0)), "a whole number >= 0"
        else:
            bad, want = numbers.isna() & (cells != ""), "a number or empty"
        if bad.any():
            row = bad.idxmax()                        # the first bad row
            raise DataError(f"{path}, line {row + 2}: column {column!r} must be {want}, "
                            f"got {cells[row]!r}")
        if column != "method":
            table[column] = numbers.astype(int) if column in KEY else numbers
    if task is not None and len(table) and set(table["task"]) != {task}:
        raise ConfigError(f"{path} holds a sweep of {sorted(set(table['task']))}, not {task}; "
                          f"use another --out")
    return table.reset_index(drop=True)


def bundled_results(task):
    """The precomputed sweep of `task` shipped with lorakit (`data/sweeps/<task>.csv`).

    Lesson 08 plots it at once; `data/sweeps/README.md` gives the command that made it.

    >>> sorted(set(bundled_results("sentiment")["method"]))
    ['full', 'head', 'lora']
    """
    path = bundled_data_dir() / "sweeps" / f"{task}.csv"
    if not path.is_file():
        shipped = sorted(p.stem for p in path.parent.glob("*.csv"))
        raise DataError(f"no precomputed sweep for task {task!r} (shipped: {', '.join(shipped)})")
    return read_results(path, task)


def append_row(path, table, row):
    """The table with `row` added, written to `path` atomically. Returns the new table."""
    table = pd.concat([table, pd.DataFrame([row])], ignore_index=True)
    buffer = io.StringIO()
    table.to_csv(buffer, index=False)
    atomic_write_text(path, buffer.getvalue())
    return table


def run_one(config, test_set, save_to=None):
    """Train one run and score it on the test split; returns one results row.

    With `save_to`, the trained run is also saved there (adapter, head and metrics).
    """
    result = train(config, progress=False)
    scoring_started = time.perf_counter()
    _, scores = evaluate(result.model, result.tokenizer, result.task, test_set)  # the run's own task
    score_seconds = time.perf_counter() - scoring_started
    if save_to is not None:
        save_run(result, save_to, overwrite=True)
    main, m = result.task.main_metric, result.metrics
    return {"task": config.task, "method": config.method,
            "rank": config.r if config.method == "lora" else 0, "seed": config.seed,
            **scalar_metrics(scores), f"val_{main}": m[main], "trainable_params": m["trainable_params"],
            "train_seconds": m["train_seconds"], "peak_memory_mb": m["peak_memory_mb"],
            "epochs_run": m["epochs_run"], "steps_run": m["steps_run"], "score_seconds": round(score_seconds, 2)}


def run_folder(out, method, rank, seed, **swept):
    """Where `run_sweep(..., save_runs=True)` saves a run: out/runs/<method>_r<rank>_s<seed>, then
    each swept value (`sweep_axes.run_name`).

    >>> run_folder("sweep", "lora", 8, 0).as_posix(), run_folder("sweep", "full", 0, 1, lr=1e-4).name
    ('sweep/runs/lora_r8_s0', 'full_r0_s1_lr0.0001')
    """
    return Path(out) / "runs" / run_name(method, rank, seed, swept)


def run_sweep(task, ranks, seeds=(0,), baselines=(), out="runs/sweep", base_config=None,
              progress=True, save_runs=False, max_minutes=None, clock=time.perf_counter, axes=None):
    """Run every planned (method, rank, seed) not yet in `out/results.csv`; return the whole table.

    `base_config` (a TrainConfig) sets the options shared by all runs (epochs, lr, data, model...);
    lr and epochs left at None take each method's defaults. With `save_runs`, each run is also
    saved in `run_folder(out, method, rank, seed)`, so its adapter can be studied afterwards.
    With `max_minutes`, the sweep ends within about that many minutes of `clock` (seconds): see
    `run_minutes`; the runs that no longer fit are skipped (a later call can finish them).
    `axes` (a `sweep_axes.Axes`) crosses learning rates, batch sizes and target sets too.
    """
    from tqdm.auto import tqdm
    base, axes = replace(base_config or TrainConfig(), task=task), axes or Axes()
    check_no_clash(axes, base)
    resolved = base.resolved()  # check the shared options before the first run
    planned_runs(ranks, seeds, baselines)
    if axes.target_sets:
        check_target_sets(resolved, ranks, axes.target_sets)
    elif ranks:
        check_largest_rank(resolved, ranks)
    path = Path(out) / RESULTS
    table = read_results(path, task)
    done = done_keys(table, axes)
    todo = [run for run in planned_grid(ranks, seeds, baselines, axes) if run_key(run, axes) not in done]
    test_set = load_test_split(base)
    bar = tqdm(todo, desc=f"sweep {task}", disable=not progress or not todo)
    started, scoring = clock(), 0.0
    for i, run in enumerate(bar):
        interrupts.check()
        swept = {axis: run[axis] for axis in axes.swept()}
        bar.set_postfix(method=run["method"], rank=run["rank"], seed=run["seed"], **swept)
        config = run_config(base, run)
        if max_minutes:
            share = run_minutes(max_minutes - (clock() - started) / 60, len(todo) - i, scoring / 60)
            if share is None:
                bar.write(f"--max-minutes {max_minutes:g}: no time left for the last {len(todo) - i} of "
                          f"{len(todo)} runs; run the sweep again to add them")
                break
            config = replace(config, max_train_minutes=share)
        folder = run_folder(out, run["method"], run["rank"], run["seed"], **swept) if save_runs else None
        row = run_one(config, test_set, folder)
        row = {**{k: row[k] for k in ["task"] + KEY}, **swept, **row}     # the swept values after the key
        scoring = max(scoring, row.get("score_seconds", 0.0))
        table = append_row(path, table, row)
    return table


MIN_RUN_MINUTES = 0.25   # a run with less than 15 s cannot time its first steps: skipped instead


def run_minutes(minutes_left, runs_left, scoring_minutes):
    """The training limit of the next run: an equal share of the minutes left, less the time the
    slowest test scoring took so far; None when that leaves less than MIN_RUN_MINUTES.

    >>> run_minutes(10, 4, 0.5)          # 2.5 minutes each, 0.5 of them to score on the test split
    2.0
    >>> run_minutes(1, 4, 0.1) is None   # 15 s each, 6 s to score: too little to train
    True
    """
    share = minutes_left / runs_left - scoring_minutes
    return share if share >= MIN_RUN_MINUTES else None


def load_test_split(config):
    """The split a sweep scores on: the test split of `config.data_source`, cut to max_eval_examples."""
    test_set = load_task_data(config.task, source=config.data_source)["test"]
    if config.max_eval_examples:
        test_set = test_set.select(range(min(config.max_eval_examples, len(test_set))))
    return test_set


def summarize(table, metric):
    """Mean and standard deviation of `metric` per (method, rank) over seeds."""
    grouped = table.groupby(["method", "rank"])
    summary = grouped[metric].agg(["mean", "std", "count"]).reset_index()
    summary["trainable_params"] = grouped["trainable_params"].first().values
    return summary


def check_variants(variants):
    """Raise ConfigError, naming the variant, if one sets a field that TrainConfig does not have.

    >>> check_variants({"DoRA": {"use_dora": True}})
    >>> check_variants({"DoRA": {"use_dorra": True}})
    Traceback (most recent call last):
    lorakit.errors.ConfigError: variant 'DoRA': 'use_dorra' is not a TrainConfig field
    """
    known = {f.name for f in fields(TrainConfig)}
    for name, options in variants.items():
        unknown = sorted(set(options) - known)
        if unknown:
            raise ConfigError(f"variant {name!r}: {unknown[0]!r} is not a TrainConfig field")


def compare_variants(base_config, variants=None, seeds=(0,), progress=True):
    """Train each LoRA variant with each seed at the same budget and score it on the test split.

    `variants` maps a name to TrainConfig fields set over `base_config` (default `VARIANTS`); all
    else (data, steps, learning rate, seed list) is shared, so the rows differ only in the variant.
    One row per run: the test metrics, trainable parameters, training seconds (validation included)
    and the megabytes of the frozen weights, measured on the trained model (`quant.frozen_bytes`).

    Example (seven variants, minutes each on a laptop CPU):
        table = compare_variants(TrainConfig(task="sentiment", epochs=1))
        summarize_variants(table, "accuracy")
    """
    from tqdm.auto import tqdm
    variants = VARIANTS if variants is None else variants
    check_variants(variants)
    test_set = load_test_split(base_config)
    rows = []
    for name, seed in tqdm([(n, s) for n in variants for s in seeds], desc="variants", disable=not progress):
        interrupts.check()
        result = train(replace(base_config, **variants[name], seed=seed), progress=False)
        _, scores = evaluate(result.model, result.tokenizer, result.task, test_set)
        rows.append({"variant": name, "seed": seed, **scalar_metrics(scores),
                     "trainable_params": result.metrics["trainable_params"],
                     "train_seconds": result.metrics["train_seconds"],
                     "frozen_mb": round(quant.frozen_bytes(result.model) / 2**20, 2)})
    return pd.DataFrame(rows)


def summarize_variants(table, metric):
    """Per variant, in the table's order: mean, standard deviation and count of `metric` over seeds,
    the trainable parameters, the median training seconds and the frozen megabytes.

    >>> table = pd.DataFrame({"variant": ["b", "a", "b"], "seed": [0, 0, 1], "f1": [1.0, 2.0, 3.0],
    ...                       "trainable_params": 5, "train_seconds": [1.0, 2.0, 3.0], "frozen_mb": 9.0})
    >>> summarize_variants(table, "f1")[["variant", "mean", "std", "count", "train_seconds"]].round(3)
      variant  mean    std  count  train_seconds
    0       b   2.0  1.414      2            2.0
    1       a   2.0    NaN      1            2.0
    """
    grouped = table.groupby("variant", sort=False)
    summary = grouped[metric].agg(["mean", "std", "count"])
    summary["trainable_params"] = grouped["trainable_params"].first()
    summary["train_seconds"] = grouped["train_seconds"].median()
    summary["frozen_mb"] = grouped["frozen_mb"].first()
    return summary.reset_index()
