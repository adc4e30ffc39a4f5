"""The axes a sweep crosses beside rank and seed: learning rates, batch sizes and sets of target layers.

`lorakit sweep --lrs 3e-4,3e-3 --batch-sizes 8,32 --target-sets "query,value:all-linear"` trains every
combination; `results.csv` gets a column per swept axis (`lr`, `batch_size`, `target_modules`), and a
run is known by its method, rank, seed and those values, so a stopped sweep resumes. Full fine-tuning
and head-only baselines take the same learning rates and batch sizes (they adapt no layers).

Example:
    >>> axes = Axes(lrs=[3e-4, 3e-3], target_sets=[["query", "value"], "all-linear"])
    >>> [run["lr"] for run in planned_grid([4], [0], ["full"], axes)]
    [0.0003, 0.003, 0.0003, 0.003, 0.0003, 0.003]
"""
import argparse
import re
from dataclasses import dataclass, replace

from .config import POSITIVE_NUMBER, target_modules
from .errors import ConfigError

AXES = ("lr", "batch_size", "target_modules")     # the results.csv columns, in this order
FLAGS = {"lr": ("--lrs", "--lr"), "batch_size": ("--batch-sizes", "--batch-size"),
         "target_modules": ("--target-sets", "--target-modules")}


@dataclass
class Axes:
    """The values swept on each axis; None: not swept (the run's own option applies)."""

    lrs: list = None
    batch_sizes: list = None
    target_sets: list = None

    def swept(self):
        """{column: values} of the swept axes, in AXES order."""
        values = {"lr": self.lrs, "batch_size": self.batch_sizes, "target_modules": self.target_sets}
        return {axis: v for axis, v in values.items() if v is not None}


def lr_list(text):
    """--lrs: comma-separated learning rates, each > 0.

    >>> lr_list("1e-4, 3e-4")
    [0.0001, 0.0003]
    >>> lr_list("1e-3,-1e-3")
    Traceback (most recent call last):
    argparse.ArgumentTypeError: each learning rate must be a number > 0, got -0.001
    """
    values = []
    for item in items(text, "learning rates, e.g. 1e-4,1e-3"):
        try:
            values.append(float(item))
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected comma-separated learning rates, got {item!r}") from None
    bad = [v for v in values if not POSITIVE_NUMBER.ok(v)]
    if bad:
        raise argparse.ArgumentTypeError(f"each learning rate must be a number > 0, got {bad[0]:g}")
    return distinct(values, "learning rates")


def batch_size_list(text):
    """--batch-sizes: comma-separated whole numbers, each >= 1.

    >>> batch_size_list("8,32")
    [8, 32]
    >>> batch_size_list("8,,32")
    Traceback (most recent call last):
    argparse.ArgumentTypeError: empty item in '8,,32': expected batch sizes, e.g. 8,32,128
    """
    try:
        values = [int(item) for item in items(text, "batch sizes, e.g. 8,32,128")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated whole numbers, e.g. 8,32, got {text!r}") from None
    if min(values) < 1:
        raise argparse.ArgumentTypeError(f"each batch size must be a positive integer, got {min(values)}")
    return distinct(values, "batch sizes")


def target_set_list(text):
    """--target-sets: ':'-separated sets, each what --target-modules takes.

    >>> target_set_list("query,value:all-linear:mlp")
    [['query', 'value'], 'all-linear', 'mlp']
    """
    sets = [target_modules(item) for item in items(text, "target sets, e.g. query,value:all-linear", ":")]
    return distinct(sets, "target sets", key=target_text)


def items(text, what, sep=","):
    """The non-empty items of `text`; an empty list or an empty item is an error naming `what`."""
    parts = [part.strip() for part in text.split(sep)]
    if not any(parts):
        raise argparse.ArgumentTypeError(f"expected {what}; got none")
    if "" in parts:
        raise argparse.ArgumentTypeError(f"empty item in {text!r}: expected {what}")
    return parts


def distinct(values, what, key=str):
    """`values`, unless one is given twice (its runs would be trained and counted twice)."""
    keys = [key(v) for v in values]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        raise argparse.ArgumentTypeError(f"{what} must differ, got {twice[0]} twice")
    return values


def target_text(targets):
    """A target set as results.csv writes it: names joined by ',', or the preset or regex itself.

    >>> target_text(["query", "value"]), target_text("all-linear"), target_text(None)
    ('query,value', 'all-linear', '')
    """
    if targets is None:
        return ""
    return targets if isinstance(targets, str) else ",".join(targets)


def check_no_clash(axes, base):
    """Raise ConfigError if an axis is swept and its single-run option is given too."""
    given = {"lr": base.lr, "batch_size": base.batch_size, "target_modules": base.target_modules}
    for axis in axes.swept():
        if given[axis] is not None:
            many, one = FLAGS[axis]
            raise ConfigError(f"{many} and {one}: give one of them (the sweep sets {one} per run)")


def planned_grid(ranks, seeds, baselines, axes):
    """One dict per run (method, rank, seed and each swept axis' value): LoRA at every rank and
    target set, then each baseline (rank 0, no target set), every one at every lr and batch size."""
    swept = axes.swept()
    lrs, batches = swept.get("lr", [None]), swept.get("batch_size", [None])
    runs = [dict(method="lora", rank=r, targets=t) for r in ranks for t in swept.get("target_modules", [None])]
    runs += [dict(method=m, rank=0, targets=None) for m in baselines]
    grid = []
    for run in runs:
        for lr in lrs:
            for batch in batches:
                for seed in seeds:
                    values = {"lr": lr, "batch_size": batch, "target_modules": target_text(run["targets"])}
                    grid.append({"method": run["method"], "rank": run["rank"], "seed": seed,
                                 **{axis: values[axis] for axis in swept}, "targets": run["targets"]})
    return grid


def run_key(run, axes):
    """What tells a run apart in results.csv: method, rank, seed and the swept values.

    >>> run_key({"method": "lora", "rank": 4, "seed": 0, "lr": 3e-3}, Axes(lrs=[3e-3]))
    ('lora', 4, 0, 0.003)
    """
    return (run["method"], int(run["rank"]), int(run["seed"])) + tuple(run[a] for a in axes.swept())


def run_name(method, rank, seed, swept):
    """A run's folder name: method, rank and seed, then each swept value (a target set's
    characters other than letters, digits, '.' and '-' as '-').

    >>> run_name("lora", 4, 0, {"lr": 3e-3, "batch_size": 8, "target_modules": "query,value"})
    'lora_r4_s0_lr0.003_bs8_tquery-value'
    """
    short = {"lr": "lr", "batch_size": "bs", "target_modules": "t"}
    parts = [f"{method}_r{rank}_s{seed}"] + [f"{short[a]}{v:g}" if a != "target_modules" else
                                             "t" + (re.sub(r"[^\w.-]", "-", v) or "none") for a, v in swept.items()]
    return "_".join(parts)


def done_keys(table, axes):
    """The keys of the runs already in `table` (read by `sweep.read_results`), refusing a table
    whose swept axes are not these."""
    if table.empty:
        return set()
    there = [a for a in AXES if a in table.columns]
    if there != list(axes.swept()):
        said = ", ".join(FLAGS[a][0] for a in there) or "no --lrs, --batch-sizes or --target-sets"
        raise ConfigError(f"results.csv holds a sweep over {said}; sweep the same axes or use another --out")
    rows = table.fillna({"target_modules": ""}) if "target_modules" in table else table
    return {run_key(row, axes) for row in rows.to_dict("records")}


def run_config(base, run):
    """The TrainConfig of one planned run: `base` with its method, rank, seed and swept values."""
    config = replace(base, method=run["method"], r=run["rank"] or base.r, seed=run["seed"])
    if "lr" in run:
        config = replace(config, lr=run["lr"])
    if "batch_size" in run:
        config = replace(config, batch_size=run["batch_size"])
    if "target_modules" in run and run["method"] == "lora":
        config = replace(config, target_modules=run["targets"])
    return config


def check_target_sets(config, ranks, target_sets):
    """Before the first run: each target set picks layers of the model and takes the largest rank;
    an error names --target-sets."""
    from .lora import check_rank, find_target_modules
    from .models import head_module_names, load_task_model
    from .targets import linear_layer_names, matches
    model = load_task_model(config.task, None, config.model)
    layers = linear_layer_names(model)
    for targets in target_sets:
        try:
            unknown = [t for t in targets if not any(matches(n, [t]) for n in layers)] if isinstance(targets, list) else []
            if unknown:
                short = sorted({n.split(".")[-1] for n in layers})
                raise ConfigError(f"{unknown[0]!r} matches no Linear layer; this model has: {', '.join(short)}")
            names = find_target_modules(model, targets, head_module_names(model))
            if ranks:
                check_rank(model, names, max(ranks))
        except ConfigError as e:
            raise ConfigError(f"--target-sets {target_text(targets)!r}: {e}") from None


def add_axis_options(parser):
    """`lorakit sweep`'s --lrs, --batch-sizes and --target-sets."""
    parser.add_argument("--lrs", type=lr_list, help="learning rates to sweep, e.g. 1e-4,3e-4,1e-3 (with "
                        "--baselines, the baselines are swept over them too)")
    parser.add_argument("--batch-sizes", type=batch_size_list,
                        help="batch sizes to sweep, e.g. 8,32,128")
    parser.add_argument("--target-sets", type=target_set_list, help="sets of layers to adapt, separated by "
                        "':', each what --target-modules takes, e.g. \"query,value:mlp:all-linear\"")


def axes_from_args(args):
    """The Axes of parsed `lorakit sweep` arguments."""
    return Axes(lrs=args.lrs, batch_sizes=args.batch_sizes, target_sets=args.target_sets)
