"""Figures of lesson 18 (the clinic): the symptoms that `lorakit doctor` reads, drawn.

- `loss_curves`: the loss of every step of several runs on one log scale, a missing (non-finite)
  loss marked with a cross at the top;
- `update_norms`: each LoRA layer's ||(lora_alpha / r) B A|| / ||W0|| for several runs, on a log
  scale, with the band where the doctor calls an update too small or too large.

The scored-token mask of a chat run is `lorakit.figures.llm.masked_loss` (lesson 12).

Example:
    >>> fig = loss_curves({"healthy": [0.7, 0.6], "lr 3": [0.7, None]})
    >>> [line.get_label() for line in fig.axes[0].lines][:2]   # then an "x" where lr 3 has no loss
    ['healthy', 'lr 3']
"""
import math

from .method import new_figure

# Okabe & Ito (2008): distinct for colour-blind readers.
COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"]


def finite(values):
    """The values with NaN, inf and None as NaN (matplotlib leaves a gap there).

    >>> finite([1.0, None, float("inf")])
    [1.0, nan, nan]
    """
    return [float(v) if v is not None and math.isfinite(v) else math.nan for v in values]


def loss_curves(runs, title="training loss of each step"):
    """{run name: [loss of each step]} as lines on a log scale; a step whose loss was NaN, infinite
    or None is marked with an "x" at the top of the plot."""
    fig = new_figure((6.5, 3.4))
    ax = fig.add_subplot()
    for colour, (name, losses) in zip(COLOURS, runs.items()):
        ax.plot(range(1, len(losses) + 1), finite(losses), "-", color=colour, label=name)
    ax.set_yscale("log")
    top = ax.get_ylim()[1]
    for colour, losses in zip(COLOURS, runs.values()):
        bad = [i + 1 for i, v in enumerate(finite(losses)) if math.isnan(v)]
        if bad:
            ax.plot(bad, [top] * len(bad), "x", color=colour, clip_on=False)
    ax.set(xlabel="step", ylabel="loss (log scale)", title=title)
    ax.legend()
    return fig


def update_norms(runs, low=1e-4, high=1.0, title="the LoRA update, relative to the weight it changes"):
    """{run name: {layer: ||s B A|| / ||W0||}} as dots per layer (log scale), with dotted lines at
    `low` and `high`, the doctor's limits for "near zero" and "larger than the weight"."""
    fig = new_figure((6.5, 3.4))
    ax = fig.add_subplot()
    for colour, (name, norms) in zip(COLOURS, runs.items()):
        ax.plot(range(1, len(norms) + 1), list(norms.values()), "o", color=colour, label=name)
    for level, words in ((low, "too small below"), (high, "too large above")):
        ax.axhline(level, color="#7F7F7F", linestyle=":")
        ax.annotate(words, (1, level), fontsize=8, color="#7F7F7F", va="bottom")
    ax.set_yscale("log")
    ax.set(xlabel="LoRA layer (query and value of each block, in order)", ylabel="||s B A|| / ||W0||",
           title=title)
    ax.legend()
    return fig
