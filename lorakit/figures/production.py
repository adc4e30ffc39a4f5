"""Figures for lesson 17 (adapters in production).

Each function draws one figure and returns its `matplotlib.figure.Figure` (made by
`method.new_figure`), so nothing is shown, saved or kept open as a side effect.

- `combinations`: two adapters' updates on one weight block and what linear, TIES and DARE keep of them;
- `inference_cost`: time per batch of the merged and the unmerged model, side by side.

Example:
    >>> import torch
    >>> fig = combinations(torch.randn(6, 6), torch.randn(6, 6))
    >>> [ax.get_title() for ax in fig.axes[:5]]
    ['adapter 1', 'adapter 2', 'linear', 'TIES', 'DARE']
"""
import torch

from .. import combine
from .method import new_figure


def combinations(delta_1, delta_2, weights=(0.5, 0.5), density=0.5, seed=0):
    """Five heat maps of one (rows, cols) block: two updates, then their linear, TIES and DARE
    combinations; an entry that a combination sets to 0 is blank (white).

    >>> fig = combinations(torch.ones(4, 4), -torch.ones(4, 4))
    >>> fig.axes[0].images[0].get_array().shape
    (4, 4)
    """
    deltas = [delta_1.detach().float(), delta_2.detach().float()]
    shown = {"adapter 1": deltas[0], "adapter 2": deltas[1],
             "linear": combine.linear(deltas, weights),
             "TIES": combine.ties(deltas, weights, density),
             "DARE": combine.dare(deltas, weights, density, torch.Generator().manual_seed(seed))}
    limit = max(t.abs().max().item() for t in shown.values()) or 1.0
    fig = new_figure((12, 2.8))
    axes = fig.subplots(1, len(shown))
    for ax, (title, tensor) in zip(axes, shown.items()):
        values = tensor.masked_fill(tensor == 0, float("nan")).numpy()
        image = ax.imshow(values, cmap="RdBu_r", vmin=-limit, vmax=limit)
        kept = (tensor != 0).float().mean().item()
        ax.set_title(title)
        ax.set_xlabel(f"{kept:.0%} of entries non-zero")
        ax.set_xticks([])
        ax.set_yticks([])
    fig.colorbar(image, ax=list(axes), shrink=0.8, label="update entry")
    return fig


def inference_cost(times):
    """Bars of {model: seconds per batch}, e.g. {"unmerged (LoRA)": 0.012, "merged": 0.009}.

    >>> fig = inference_cost({"unmerged": 2.0, "merged": 1.0})
    >>> [float(p.get_height()) for p in fig.axes[0].patches]
    [2.0, 1.0]
    """
    fig = new_figure((5, 3))
    ax = fig.add_subplot()
    names = list(times)
    ax.bar(names, [times[n] for n in names], color=["#D55E00", "#0072B2"][:len(names)] + ["0.6"] * (len(names) - 2))
    ax.set(ylabel="seconds per batch", title="Inference time, merged and unmerged")
    return fig
