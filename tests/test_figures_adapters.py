"""lorakit.figures.adapters: each function returns a Figure with the expected elements and values,
and leaves nothing open in pyplot."""
import math

import matplotlib
import pandas as pd
import pytest
import torch
from matplotlib.figure import Figure

from lorakit import quant
from lorakit.figures import adapters

matplotlib.use("agg")


@pytest.fixture(autouse=True)
def nothing_left_open_in_pyplot():
    import matplotlib.pyplot as plt
    before = plt.get_fignums()
    yield
    assert plt.get_fignums() == before, "a figure function opened a pyplot figure"


def legend(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_scaled_by_block_absmax_puts_every_block_in_minus_one_to_one():
    torch.manual_seed(0)
    w = torch.randn(16, 64)
    scaled = adapters.scaled_by_block_absmax(w, blocksize=64).view(-1, 64)
    assert torch.equal(scaled.abs().amax(dim=1), torch.ones(16))           # each block reaches +-1 once
    torch.testing.assert_close(scaled * w.abs().amax(dim=1, keepdim=True), w)


def test_nf4_levels_draws_the_histogram_and_the_16_nf4_values():
    torch.manual_seed(0)
    w = torch.randn(32, 64)
    fig = adapters.nf4_levels(w, blocksize=64, bins=50)
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    ax = fig.axes[0]
    assert len(ax.patches) == 50                                               # the histogram's bars
    assert sum(bar.get_height() for bar in ax.patches) == w.numel()
    positions = torch.tensor([line.get_xdata()[0] for line in ax.lines])        # vertical lines
    assert torch.equal(positions, quant.nf4_code())
    assert legend(ax) == [f"{w.numel():,} weights", "the 16 NF4 values"]
    assert "absmax" in ax.get_xlabel()


def test_code_usage_draws_one_line_per_code_and_the_equal_share():
    fig = adapters.code_usage({"NF4": torch.full((16,), 1 / 16), "evenly spaced": torch.linspace(0, 0.125, 16)})
    ax = fig.axes[0]
    assert isinstance(fig, Figure) and len(ax.lines) == 3
    assert legend(ax) == ["NF4", "evenly spaced", "equal use, 1/16"]
    assert list(ax.lines[1].get_ydata()) == pytest.approx(torch.linspace(0, 0.125, 16).tolist())
    assert list(ax.lines[2].get_ydata()) == [1 / 16, 1 / 16]


def test_bits_per_weight_stacks_the_code_and_the_constants():
    fig = adapters.bits_per_weight(blocksize=64, nested_blocksize=256)
    ax = fig.axes[0]
    assert isinstance(fig, Figure)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["bf16", "NF4", "NF4, double quantisation"]
    assert len(ax.patches) == 1 + 2 + 3                                        # one segment per part
    totals = {}                                                                # bar (its y) -> right end
    for p in ax.patches:
        y = round(p.get_y() + p.get_height() / 2)
        totals[y] = max(totals.get(y, 0.0), p.get_x() + p.get_width())
    assert totals[0] == 16
    assert totals[1] == pytest.approx(quant.bits_per_parameter(64 * 256 * 64, double_quant=False), abs=1e-4)
    assert totals[2] == pytest.approx(quant.bits_per_parameter(64 * 256 * 64, double_quant=True), abs=1e-4)
    assert [t.get_text() for t in ax.texts] == ["16.000 bits", "4.500 bits", "4.127 bits"]


def test_dora_split_draws_three_rows_and_the_length_of_w0():
    fig = adapters.dora_split(w0=(3.0, 4.0), delta=(1.0, -1.0), magnitude=2.0)
    ax = fig.axes[0]
    assert isinstance(fig, Figure)
    ends = [tuple(a.xy) for a in ax.texts]                                     # the arrows' heads
    assert ends[:2] == [(3.0, 4.0), (4.0, 3.0)]
    assert math.hypot(*ends[2]) == pytest.approx(2.0) and ends[2][0] / ends[2][1] == pytest.approx(4 / 3)
    circle = ax.patches[0]
    assert circle.get_radius() == pytest.approx(5.0)
    assert len(legend(ax)) == 4 and legend(ax)[2].startswith("DoRA")


def test_variant_comparison_draws_means_spreads_and_the_reference():
    summary = pd.DataFrame({"variant": ["LoRA r=8", "DoRA r=8", "PiSSA r=8"], "mean": [0.80, 0.81, 0.87],
                            "std": [0.02, float("nan"), 0.01], "count": [3, 1, 3]})
    fig = adapters.variant_comparison(summary)
    ax = fig.axes[0]
    assert isinstance(fig, Figure)
    assert [bar.get_width() for bar in ax.patches] == pytest.approx([0.80, 0.81, 0.87])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["LoRA r=8", "DoRA r=8", "PiSSA r=8"]
    reference = [line for line in ax.lines if line.get_linestyle() == "--"]
    assert len(reference) == 1 and reference[0].get_xdata()[0] == pytest.approx(0.80)
    assert legend(ax) == ["LoRA r=8 (mean)"]
    fig = adapters.variant_comparison(summary, reference="PiSSA r=8")
    assert legend(fig.axes[0]) == ["PiSSA r=8 (mean)"]
