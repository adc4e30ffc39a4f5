"""Figures for lessons 15 (QLoRA) and 16 (the LoRA variants).

Each function draws one figure and returns its `matplotlib.figure.Figure` (made by
`method.new_figure`, closed in pyplot at once), so nothing is shown, saved or kept open as a side
effect; a notebook cell that ends with the figure displays it once.

- `nf4_levels`: a real weight divided by its block absmax, as a histogram, with NF4's 16 values
  (`lorakit.quant.nf4_code()`) as vertical lines (lesson 15, before the code is built by hand);
- `code_usage`: how often each of 16 code values is the nearest one, for several codes (lesson 15);
- `bits_per_weight`: where the bits of one weight go, code and constants (lesson 15, before the
  arithmetic of double quantisation);
- `dora_split`: one weight row as DoRA sees it, a direction and a length (lesson 16);
- `variant_comparison`: mean and spread over seeds of each variant at a matched budget (lesson 16).

Example:
    >>> import torch
    >>> fig = nf4_levels(torch.randn(64, 64))
    >>> len(fig.axes[0].lines)          # the 16 NF4 values
    16
"""
import matplotlib
import torch

from .. import quant
from .method import new_figure

# Okabe & Ito (2008), as lorakit.plots: distinct for colour-blind readers.
BLUE, ORANGE, GREEN, GREY = "#0072B2", "#D55E00", "#009E73", "#7F7F7F"


def scaled_by_block_absmax(weight, blocksize=quant.BLOCKSIZE):
    """Every weight divided by the largest magnitude in its block of `blocksize` (QLoRA eq. 1), flat.

    >>> scaled_by_block_absmax(torch.tensor([[1.0, -2.0], [0.5, 0.25]]), blocksize=2).tolist()
    [0.5, -1.0, 1.0, 0.5]
    """
    blocks = weight.detach().float().flatten().view(-1, blocksize)  # (n_blocks, blocksize)
    return (blocks / blocks.abs().amax(dim=1, keepdim=True)).flatten()


def nf4_levels(weight, blocksize=quant.BLOCKSIZE, bins=120):
    """Histogram of `weight` divided by its block absmax, with the 16 NF4 values as vertical lines.

    >>> fig = nf4_levels(torch.randn(8, 64))
    >>> fig.axes[0].get_xlabel()
    'weight / its block absmax'
    """
    scaled = scaled_by_block_absmax(weight, blocksize)
    fig = new_figure((9, 3.2))
    ax = fig.add_subplot()
    ax.hist(scaled.cpu().numpy(), bins=bins, color="0.75", label=f"{scaled.numel():,} weights")
    for i, value in enumerate(quant.nf4_code().tolist()):
        ax.axvline(value, color=BLUE, lw=1, label="the 16 NF4 values" if i == 0 else None)
    ax.set(xlabel="weight / its block absmax", ylabel="weights per bin",
           title=f"A real weight in blocks of {blocksize}, scaled to [-1, 1], and NF4's 16 values")
    ax.legend(loc="upper right")
    return fig


def code_usage(shares):
    """`shares` maps a code's name to the share of the weights (16 numbers) that each value stores.

    >>> fig = code_usage({"NF4": [1 / 16] * 16})
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    ['NF4', 'equal use, 1/16']
    """
    fig = new_figure((6, 3.2))
    ax = fig.add_subplot()
    for (name, share), colour in zip(shares.items(), [BLUE, ORANGE, GREEN, GREY]):
        share = torch.as_tensor(share, dtype=torch.float32)
        ax.plot(range(len(share)), share.cpu().numpy(), "o-", color=colour, label=name)
    ax.axhline(1 / 16, color="k", ls="--", lw=0.8, label="equal use, 1/16")
    ax.set(xlabel="code index", ylabel="share of the weights", title="How often each code value is used")
    ax.legend()
    return fig


def bits_per_weight(blocksize=quant.BLOCKSIZE, nested_blocksize=quant.NESTED_BLOCKSIZE):
    """Stacked bars: the bits of one weight in bf16, in NF4, and in NF4 with double quantisation.

    Each constant's bits are shared by the weights it scales: an fp32 constant per `blocksize`
    weights adds 32 / blocksize bits; with double quantisation an 8-bit constant per block adds
    8 / blocksize, and an fp32 constant per `nested_blocksize` blocks adds 32 / (blocksize * nested_blocksize).

    >>> fig = bits_per_weight()
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
    ['bf16', 'NF4', 'NF4, double quantisation']
    """
    rows = {
        "bf16": {"the weight": 16.0},
        "NF4": {"4-bit code": 4.0, "fp32 block constants": 32 / blocksize},
        "NF4, double quantisation": {"4-bit code": 4.0, "8-bit block constants": 8 / blocksize,
                                     "fp32 constants of the constants": 32 / (blocksize * nested_blocksize)},
    }
    colours = {"the weight": GREY, "4-bit code": BLUE, "fp32 block constants": ORANGE,
               "8-bit block constants": GREEN, "fp32 constants of the constants": "k"}
    fig = new_figure((9, 2.8))
    ax = fig.add_subplot()
    labelled = set()
    for y, parts in enumerate(rows.values()):
        left = 0.0
        for part, bits in parts.items():
            ax.barh(y, bits, left=left, color=colours[part], label=None if part in labelled else part)
            labelled.add(part)
            left += bits
        ax.text(left + 0.2, y, f"{left:.3f} bits", va="center")
    ax.set_yticks(range(len(rows)), list(rows))
    ax.invert_yaxis()
    ax.set(xlabel="bits per weight", xlim=(0, 19),
           title=f"Where the bits go: blocks of {blocksize} weights, {nested_blocksize} constants")
    ax.legend(loc="lower right", fontsize=8)
    return fig


def dora_split(w0=(2.0, 0.6), delta=(-0.6, 1.2), magnitude=1.4):
    """One weight row in two dimensions: W0's row, LoRA's row W0 + sBA, and DoRA's row, the length
    `magnitude` along the direction of W0 + sBA. A dashed circle marks the length of W0's row.

    >>> fig = dora_split()
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    ['row of $W_0$', 'LoRA: $W_0 + sBA$', 'DoRA: $m$ times the direction of $W_0 + sBA$', 'length of the $W_0$ row']
    """
    w0, delta = torch.tensor(w0, dtype=torch.float32), torch.tensor(delta, dtype=torch.float32)
    lora = w0 + delta
    dora = magnitude * lora / lora.norm()
    fig = new_figure((5.5, 4.5))
    ax = fig.add_subplot()
    arrows = [(w0, GREY, 2.5, "row of $W_0$"), (lora, BLUE, 2.5, "LoRA: $W_0 + sBA$"),
              (dora, ORANGE, 7, "DoRA: $m$ times the direction of $W_0 + sBA$")]
    for vector, colour, width, label in arrows:     # DoRA's arrow drawn wide, under LoRA's, same direction
        ax.annotate("", xy=vector.tolist(), xytext=(0, 0), zorder=3 if width < 5 else 2,
                    arrowprops={"arrowstyle": "-|>", "color": colour, "lw": width, "alpha": 0.9})
        ax.plot([], [], color=colour, lw=width, label=label)          # the legend's entry
    ax.add_patch(matplotlib.patches.Circle((0, 0), w0.norm().item(), fill=False, ls="--", color=GREY,
                                           label="length of the $W_0$ row"))
    reach = 1.15 * max(w0.norm(), lora.norm(), torch.tensor(abs(magnitude))).item()
    ax.set(xlim=(-reach, reach), ylim=(-0.45 * reach, reach), aspect="equal",
           title="DoRA: LoRA sets the direction, m the length")
    ax.legend(loc="lower left", fontsize=8)
    return fig


def variant_comparison(summary, reference=None):
    """Horizontal bars: each variant's mean score, with its standard deviation over seeds as an error
    bar (none with one seed), and a dashed line at `reference`'s mean (default: the first row).
    `summary` has the columns of `lorakit.sweep.summarize_variants`: variant, mean, std, count.

    >>> import pandas as pd
    >>> s = pd.DataFrame({"variant": ["LoRA", "DoRA"], "mean": [0.8, 0.81], "std": [0.01, 0.02], "count": 3})
    >>> len(variant_comparison(s).axes[0].patches)
    2
    """
    reference = summary["variant"].iloc[0] if reference is None else reference
    means = summary["mean"].to_numpy()
    spreads = summary["std"].fillna(0.0).to_numpy()
    fig = new_figure((7, 0.45 * len(summary) + 1.2))
    ax = fig.add_subplot()
    ax.barh(range(len(summary)), means, xerr=spreads, color=BLUE, ecolor="k", capsize=4)
    ax.axvline(means[list(summary["variant"]).index(reference)], color=ORANGE, ls="--", lw=1,
               label=f"{reference} (mean)")
    ax.set_yticks(range(len(summary)), list(summary["variant"]))
    ax.invert_yaxis()
    ax.set_xlim(max(0.0, (means - spreads).min() - 0.05), (means + spreads).max() + 0.02)
    ax.set(xlabel=f"mean over {int(summary['count'].max())} seed(s); error bar: standard deviation",
           title="The variants at a matched budget")
    ax.legend(loc="lower right", fontsize=8)
    return fig
