"""The classroom plot: LoRA rank against accuracy, with full fine-tuning and head-only as references.

Readable on a projector: large fonts, thick lines, and the Okabe-Ito palette, which stays distinct
for colour-blind viewers. Rank runs along a log2 axis; the LoRA line shows the mean over seeds with
the spread (min to max) shaded; full fine-tuning and head-only training are horizontal bands (mean
plus and minus one standard deviation); a second axis counts trainable parameters.

Example:
    >>> import pandas as pd
    >>> table = pd.DataFrame({"method": ["lora", "lora", "full"], "rank": [1, 8, 0], "seed": [0, 0, 0],
    ...                       "accuracy": [0.8, 0.9, 0.92], "trainable_params": [10, 80, 1000]})
    >>> fig = plot_rank_sweep(table, "accuracy")
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    ['LoRA (mean, min-max over seeds)', 'full fine-tuning', 'trainable parameters']
"""
import io

import matplotlib

from ._io import atomic_write_bytes

# Okabe & Ito (2008), "Color Universal Design".
OKABE_ITO = {"lora": "#0072B2", "full": "#D55E00", "head": "#009E73", "params": "#7F7F7F"}
LABELS = {"full": "full fine-tuning", "head": "head only (frozen body)"}


def plot_rank_sweep(table, metric, title=None, path=None):
    """Draw rank (log2) against `metric` from a sweep table; save a PNG if `path` is given."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FixedLocator, FuncFormatter
    with matplotlib.rc_context({"font.size": 16, "axes.titlesize": 18, "lines.linewidth": 3}):
        fig, ax = plt.subplots(figsize=(10, 6.5))
        lora = table[table["method"] == "lora"].groupby("rank")
        ranks = sorted(lora.groups)
        mean = lora[metric].mean().loc[ranks]
        ax.plot(ranks, mean, "o-", color=OKABE_ITO["lora"], markersize=10,
                label="LoRA (mean, min-max over seeds)")
        ax.fill_between(ranks, lora[metric].min().loc[ranks], lora[metric].max().loc[ranks],
                        color=OKABE_ITO["lora"], alpha=0.2)
        for method in ("full", "head"):
            rows = table[table["method"] == method][metric]
            if len(rows):
                m, s = rows.mean(), rows.std() if len(rows) > 1 else 0.0
                ax.axhline(m, color=OKABE_ITO[method], linestyle="--", label=LABELS[method])
                ax.axhspan(m - s, m + s, color=OKABE_ITO[method], alpha=0.15)
        ax.set_xscale("log", base=2)
        ax.xaxis.set_major_locator(FixedLocator(ranks))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}"))
        ax.set_xlabel("LoRA rank r (log scale)")
        ax.set_ylabel(metric.replace("_", " "))
        ax.grid(alpha=0.3)
        params = ax.twinx()
        params.plot(ranks, lora["trainable_params"].first().loc[ranks], "s:",
                    color=OKABE_ITO["params"], linewidth=2, label="trainable parameters")
        params.set_yscale("log")
        params.set_ylabel("trainable parameters (log scale)", color=OKABE_ITO["params"])
        lines = ax.get_legend_handles_labels()
        more = params.get_legend_handles_labels()
        ax.legend(lines[0] + more[0], lines[1] + more[1], loc="lower right", fontsize=13)
        ax.set_title(title or f"LoRA rank vs {metric.replace('_', ' ')}")
        fig.tight_layout()
        if path:
            buffer = io.BytesIO()
            fig.savefig(buffer, format="png", dpi=120)
            atomic_write_bytes(path, buffer.getvalue())
    return fig
