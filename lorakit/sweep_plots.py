"""A plot per swept axis of a sweep: `lr_vs_<metric>.png`, `batch_size_vs_<metric>.png` and
`target_modules_vs_<metric>.png`, beside the rank plot (`lorakit.plots`).

Each line (or, for the target sets, each row of markers) is one setting of everything else that was
swept (the method and rank, and the other axes); a point is the mean over seeds, its bar one
standard deviation. Learning rates run along a log10 axis, batch sizes along a log2 axis; for target
sets the baselines, which adapt no layer, are dashed horizontal lines.

Example:
    >>> import pandas as pd
    >>> table = pd.DataFrame({"method": ["lora"] * 4 + ["full"] * 2, "rank": [4] * 4 + [0] * 2,
    ...                       "seed": [0, 1, 0, 1, 0, 0], "lr": [1e-4, 1e-4, 1e-3, 1e-3, 1e-4, 1e-3],
    ...                       "accuracy": [0.6, 0.7, 0.8, 0.9, 0.85, 0.5]})
    >>> fig = plot_axis(table, "lr", "accuracy")
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    ['LoRA r=4', 'full fine-tuning']
"""
import io
from pathlib import Path

import matplotlib

from ._io import atomic_write_bytes
from .plots import LABELS, plot_rank_sweep
from .sweep_axes import AXES

PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]
AXIS_LABELS = {"lr": "learning rate (log scale)", "batch_size": "batch size (log2 scale)",
               "target_modules": "layers adapted (target_modules)"}


def setting_label(setting):
    """A line's label from its setting (method, rank and other swept values).

    >>> setting_label({"method": "lora", "rank": 4, "batch_size": 8}), setting_label({"method": "full", "rank": 0})
    ('LoRA r=4, batch 8', 'full fine-tuning')
    """
    method = setting["method"]
    parts = [f"LoRA r={setting['rank']}" if method == "lora" else LABELS.get(method, method).split(" (")[0]]
    names = {"lr": "lr {:g}", "batch_size": "batch {}", "target_modules": "{}"}
    parts += [names[a].format(setting[a]) for a in AXES if a in setting and setting[a] not in ("", None)]
    return ", ".join(parts)


def settings(table, axis):
    """(setting dict, its rows) for each line: the rows grouped by method, rank and the other swept axes."""
    columns = ["method", "rank"] + [a for a in AXES if a in table.columns and a != axis]
    table = table.fillna({"target_modules": ""}) if "target_modules" in table.columns else table
    for values, rows in table.groupby(columns, sort=False):
        yield dict(zip(columns, values)), rows


def plot_axis(table, axis, metric, title=None, path=None):
    """Draw swept `axis` against `metric` (mean and standard deviation over seeds); save a PNG at `path`."""
    import matplotlib.pyplot as plt
    categories = list(dict.fromkeys(table.loc[table["method"] == "lora", axis])) if axis == "target_modules" else None
    with matplotlib.rc_context({"font.size": 15, "axes.titlesize": 17, "lines.linewidth": 2.5}):
        fig, ax = plt.subplots(figsize=(10, 6.5))
        lines = list(settings(table, axis))
        for i, (setting, rows) in enumerate(lines):
            color, label = PALETTE[i % len(PALETTE)], setting_label(setting)
            stats = rows.groupby(axis, sort=False)[metric].agg(["mean", "std"]).fillna({"std": 0.0})
            if categories is not None and setting["method"] != "lora":
                ax.axhline(stats["mean"].mean(), color=color, linestyle="--", label=label)
                continue
            stats = stats.sort_index() if categories is None else stats
            x = stats.index.map(categories.index) + 0.08 * (i - len(lines) / 2) if categories else stats.index
            ax.errorbar(x, stats["mean"], yerr=stats["std"], fmt="o" if categories else "o-", color=color,
                        capsize=5, markersize=8, label=label)
        style_axis(ax, axis, categories)
        ax.set_ylabel(metric.replace("_", " "))
        ax.set_title(title or f"{axis.replace('_', ' ')} vs {metric.replace('_', ' ')}")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=11)
        fig.tight_layout()
        if path:
            save_png(fig, path)
    return fig


def style_axis(ax, axis, categories):
    """Log10 for learning rates, log2 for batch sizes (ticks at the values), names for target sets."""
    from matplotlib.ticker import FuncFormatter, LogLocator
    if categories is not None:
        ax.set_xticks(range(len(categories)), categories)
        ax.set_xlim(-0.5, len(categories) - 0.5)
    else:
        ax.set_xscale("log", base=10 if axis == "lr" else 2)
        if axis == "batch_size":
            ax.xaxis.set_major_locator(LogLocator(base=2))
            ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}"))
    ax.set_xlabel(AXIS_LABELS[axis])


def save_png(fig, path):
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    atomic_write_bytes(path, buffer.getvalue())


def plot_sweep(table, metric, out, task, swept=()):
    """Every plot of a finished sweep in `out`: the rank plot, then one per swept axis; their paths."""
    import matplotlib.pyplot as plt
    paths = []
    if (table["method"] == "lora").any():
        paths.append(Path(out) / f"rank_vs_{metric}.png")
        plt.close(plot_rank_sweep(table, metric, title=f"{task}: LoRA rank vs {metric}", path=paths[-1]))
    for axis in swept:
        paths.append(Path(out) / f"{axis}_vs_{metric}.png")
        plt.close(plot_axis(table, axis, metric, title=f"{task}: {axis.replace('_', ' ')} vs {metric}",
                            path=paths[-1]))
    return paths
