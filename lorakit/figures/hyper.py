"""Lesson 09's figure: the metric against the learning rate, one line per setting, each best marked,
a band of one standard error over seeds around each line where it has several seeds.

Example:
    >>> import pandas as pd
    >>> table = pd.DataFrame({"method": ["lora", "lora", "full", "full"], "rank": [4, 4, 0, 0],
    ...                       "seed": 0, "lr": [1e-3, 1e-2, 1e-4, 1e-3], "accuracy": [0.8, 0.9, 0.9, 0.5]})
    >>> lr_curves(table, "accuracy").axes[0].get_title()
    'best learning rates: LoRA r=4 / full fine-tuning = 100'
"""
import matplotlib
from matplotlib.figure import Figure

from ..hyper import best_lrs, lr_grid

COLOURS = ["#0072B2", "#56B4E9", "#D55E00", "#009E73", "#CC79A7", "#E69F00"]   # Okabe-Ito


def lr_curves(table, metric, ratio=("LoRA r=4", "full fine-tuning")):
    """`metric` (mean over seeds) against the learning rate on a log axis, one line per setting,
    shaded within one standard error where it has several seeds, a star at each setting's best; the
    title gives the ratio of the best lrs of the two settings in `ratio` when both are drawn."""
    grid, best = lr_grid(table, metric), best_lrs(table, metric)
    errors = lr_grid(table, metric, "sem")
    with matplotlib.rc_context({"font.size": 13}):
        fig = Figure(figsize=(8.5, 5))
        ax = fig.subplots()
        for i, name in enumerate(grid.columns):
            line = grid[name].dropna().sort_index()
            colour = COLOURS[i % len(COLOURS)]
            ax.plot(line.index, line.values, "o-", color=colour, linewidth=2.5, label=name)
            error = errors[name].reindex(line.index)
            if error.notna().any():       # one seed has no standard error: no band
                ax.fill_between(line.index, line - error.fillna(0), line + error.fillna(0), color=colour,
                                alpha=0.2, linewidth=0)
            ax.plot([best[name]], [line.loc[best[name]]], "*", color=colour, markersize=20,
                    markeredgecolor="black")
        ax.set_xscale("log")
        ax.set_xlabel("learning rate (log scale); star: each line's best; band: ± one standard error")
        ax.set_ylabel(metric.replace("_", " "))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=11)
        if all(name in best for name in ratio):
            ax.set_title(f"best learning rates: {ratio[0]} / {ratio[1]} = {best[ratio[0]] / best[ratio[1]]:.3g}")
        fig.tight_layout()
    return fig
