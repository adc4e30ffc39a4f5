"""Figures for part III, understanding LoRA (lessons 08 and 10).

- `rank_tradeoff` (lesson 08): accuracy against rank with trainable parameters on a second axis
  and full fine-tuning and head-only training as reference lines. It is `lorakit.plots.plot_rank_sweep`
  (the classroom plot, drawn once in the course) with the cost of each choice written on it: the
  baselines' trainable parameters in the legend and, along the top, each rank's trainable weights as
  a share of full fine-tuning's.
- `update_spectrum` (lesson 10): the singular values of learned updates dW = (alpha/r) B A against
  those of the pretrained W0. W0 has as many non-zero singular values as its width; a rank-r update
  has at most r (lesson 01), so its curve falls off a cliff after index r.

Each function returns a `matplotlib.figure.Figure` and shows, saves or leaves open nothing: no pyplot
figure stays behind, so a notebook cell that ends with the figure displays it once.

Example:
    >>> import torch
    >>> W0 = torch.randn(64, 64)
    >>> fig = update_spectrum(W0, {4: torch.randn(64, 4) @ torch.randn(4, 64)})
    >>> [line.get_label() for line in fig.axes[0].get_lines()][:2]
    ['W0 (pretrained)', 'dW, r = 4']
"""
import matplotlib

from ..lowrank import singular_values
from ..plots import LABELS, OKABE_ITO, plot_rank_sweep

UPDATE_COLOURS = ("#009E73", "#0072B2", "#CC79A7", "#E69F00")   # Okabe-Ito, one per update


def rank_tradeoff(table, metric, title=None):
    """Rank (log2) against `metric` from a sweep table, with what each choice trains written on it.

    The figure of `plot_rank_sweep` (LoRA's mean and min-max over seeds, full fine-tuning and head only
    as bands, LoRA's trainable parameters on the right axis), plus the baselines' trainable parameters
    in their legend entries and, when the table has full fine-tuning, a top axis giving each rank's
    trainable weights as a percentage of full fine-tuning's.

    >>> import pandas as pd
    >>> table = pd.DataFrame({"method": ["lora", "lora", "full"], "rank": [1, 8, 0], "seed": [0, 0, 0],
    ...                       "accuracy": [0.8, 0.9, 0.92], "trainable_params": [10, 80, 1000]})
    >>> fig = rank_tradeoff(table, "accuracy")
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()][1]
    'full fine-tuning (1,000 trainable)'
    >>> [t.get_text() for t in fig.axes[0].child_axes[0].get_xticklabels()]   # the top axis
    ['1%', '8%']
    """
    import matplotlib.pyplot as plt
    fig = plot_rank_sweep(table, metric, title=title)
    plt.close(fig)                                     # the Figure stays usable; pyplot forgets it
    ax = fig.axes[0]
    trained = {m: int(table.loc[table["method"] == m, "trainable_params"].iloc[0])
               for m in LABELS if (table["method"] == m).any()}
    for text in ax.get_legend().get_texts():
        method = next((m for m, label in LABELS.items() if text.get_text() == label), None)
        if method in trained:
            text.set_text(f"{LABELS[method]} ({trained[method]:,} trainable)")
    if "full" in trained:
        lora = table[table["method"] == "lora"].groupby("rank")["trainable_params"].first()
        top = ax.secondary_xaxis("top")
        top.set_xticks(list(lora.index), [f"{100 * n / trained['full']:.2g}%" for n in lora])
        top.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
        top.tick_params(labelsize=12)
        top.set_xlabel("LoRA's trainable weights, % of full fine-tuning's", fontsize=13)
        ax.set_title(ax.get_title(), pad=12, fontsize=ax.title.get_fontsize())
        fig.tight_layout()                             # room for the top axis under the title
    return fig


def update_spectrum(W0, deltas, title=None):
    """Singular values of the pretrained `W0` and of each update in `deltas` ({r: dW}), log-log.

    A dotted vertical line marks each update's rank r: a rank-r dW has at most r non-zero singular
    values, so what its curve shows after r is rounding (or nothing, where a value is exactly 0).

    >>> import torch
    >>> fig = update_spectrum(torch.eye(8), {2: torch.ones(8, 2) @ torch.ones(2, 8)})
    >>> ax = fig.axes[0]
    >>> ax.get_xlabel(), ax.get_yscale(), [v.get_xdata()[0] for v in ax.get_lines()[2:]]
    ('singular value index (log scale)', 'log', [2])
    """
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter
    with matplotlib.rc_context({"font.size": 14, "lines.linewidth": 2.5}):
        fig = Figure(figsize=(10, 4.5))                       # not pyplot's: nothing left open
        ax = fig.subplots()
        s0 = singular_values(W0).numpy()                      # float64 on the CPU, largest first
        index = range(1, len(s0) + 1)
        ax.plot(index, s0, color="#000000", label="W0 (pretrained)")
        updates = sorted(deltas.items())
        for (r, delta), colour in zip(updates, UPDATE_COLOURS):
            s = singular_values(delta).numpy()                # min(d_out, d_in) values, at most r non-zero
            ax.plot(range(1, len(s) + 1), s, ".-", color=colour, markersize=5, label=f"dW, r = {r}")
        for (r, _), colour in zip(updates, UPDATE_COLOURS):
            ax.axvline(r, color=colour, linestyle=":", linewidth=2)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}"))
        ax.set_xlabel("singular value index (log scale)")
        ax.set_ylabel("singular value (log scale)")
        ax.grid(alpha=0.3)
        ax.legend(loc="lower left", fontsize=12)
        ax.set_title(title or "singular values: the update against the pretrained weight")
        fig.tight_layout()
    return fig
