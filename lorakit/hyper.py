"""Lesson 09's reading of a hyperparameter grid: the shipped grid, one number per setting and lr,
and each setting's best learning rate.

A *setting* is everything but the learning rate and the seed: the method, the rank, rsLoRA or not,
the batch size and the target set. `lr_grid` gives the mean of a metric over seeds per (lr,
setting), or its standard error (`stat="sem"`: the standard deviation over seeds divided by the
square root of their number); `lr_table` both as "mean ± sem" text; `best_lrs` the learning rate
where each setting's mean peaks.

Example:
    >>> import pandas as pd
    >>> table = pd.DataFrame({"method": ["lora", "lora", "full", "full"], "rank": [4, 4, 0, 0],
    ...                       "seed": 0, "lr": [1e-3, 1e-2, 1e-4, 1e-3], "accuracy": [0.8, 0.9, 0.9, 0.5]})
    >>> best_lrs(table, "accuracy").to_dict()
    {'LoRA r=4': 0.01, 'full fine-tuning': 0.0001}
"""
from .data import bundled_data_dir

GRID = "sentiment_hyperparameters"      # data/sweeps/<GRID>.csv, made by tools/make_hyper_grid.py


def bundled_grid():
    """The hyperparameter grid shipped with lorakit (data/sweeps/sentiment_hyperparameters.csv), one
    row per run; `data/sweeps/README.md` says how it was made.

    >>> sorted(set(bundled_grid()["method"]))
    ['full', 'lora']
    """
    from .sweep import read_results
    return read_results(bundled_data_dir() / "sweeps" / f"{GRID}.csv", "sentiment")


def setting(row):
    """The name of a row's setting (all but lr and seed).

    >>> setting({"method": "lora", "rank": 32, "use_rslora": 1, "batch_size": 16})
    'LoRA r=32, rsLoRA'
    >>> setting({"method": "lora", "rank": 4, "batch_size": 64, "target_modules": "query,value"})
    'LoRA r=4, batch 64'
    """
    name = f"LoRA r={row['rank']}" if row["method"] == "lora" else {"full": "full fine-tuning"}.get(
        row["method"], row["method"])
    extras = [", rsLoRA" if row.get("use_rslora") == 1 else "",
              f", batch {row['batch_size']:g}" if row.get("batch_size", 16) != 16 else "",
              f", {row['target_modules']}" if row.get("target_modules") not in (None, "", "query,value") else ""]
    return name + "".join(extras)


def lr_grid(table, metric, stat="mean"):
    """`stat` ("mean" or "sem") of `metric` over seeds: one row per learning rate, one column per setting.

    >>> import pandas as pd
    >>> table = pd.DataFrame({"method": "lora", "rank": 4, "seed": [0, 1], "lr": 1e-3, "accuracy": [0.7, 0.9]})
    >>> lr_grid(table, "accuracy", "sem").round(3).to_dict()
    {'LoRA r=4': {0.001: 0.1}}
    """
    named = table.assign(setting=[setting(row) for row in table.to_dict("records")])
    grid = named.pivot_table(index="lr", columns="setting", values=metric, aggfunc="mean", sort=False).sort_index()
    if stat == "mean":
        return grid
    # the same rows and columns as the means, NaN where there is a single seed
    return named.pivot_table(index="lr", columns="setting", values=metric, aggfunc=stat).reindex_like(grid)


def lr_table(table, metric, digits=3):
    """`lr_grid`'s means with their standard errors as text, "mean ± sem" ("" where a setting has no
    run at that learning rate; the mean alone where it has one seed).

    >>> import pandas as pd
    >>> table = pd.DataFrame({"method": ["lora", "lora", "full"], "rank": [4, 4, 0], "seed": [0, 1, 0],
    ...                       "lr": [1e-3, 1e-3, 1e-4], "accuracy": [0.7, 0.9, 0.85]})
    >>> lr_table(table, "accuracy").to_dict()
    {'LoRA r=4': {0.0001: '', 0.001: '0.800 ± 0.100'}, 'full fine-tuning': {0.0001: '0.850', 0.001: ''}}
    """
    means, errors = lr_grid(table, metric), lr_grid(table, metric, "sem")
    text = means.map(lambda m: "" if m != m else f"{m:.{digits}f}")
    return text + errors.map(lambda e: "" if e != e else f" ± {e:.{digits}f}")


def best_lrs(table, metric):
    """The learning rate of each setting's highest mean `metric` (a Series by setting)."""
    return lr_grid(table, metric).idxmax()
