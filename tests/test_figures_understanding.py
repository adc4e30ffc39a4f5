"""The figures of lessons 08 and 10 (lorakit.figures.understanding): each returns a Figure that shows
what the lesson reads off it, and leaves no pyplot figure open."""
import matplotlib

matplotlib.use("agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from lorakit.figures import understanding  # noqa: E402
from lorakit.sweep import bundled_results  # noqa: E402


@pytest.fixture
def sweep():
    """Two ranks over two seeds, and both baselines."""
    return pd.DataFrame({"method": ["lora"] * 4 + ["full", "head"], "rank": [1, 1, 8, 8, 0, 0],
                         "seed": [0, 1, 0, 1, 0, 0], "accuracy": [0.7, 0.8, 0.85, 0.87, 0.9, 0.6],
                         "trainable_params": [100, 100, 800, 800, 10_000, 20]})


def test_rank_tradeoff_draws_accuracy_parameters_and_both_references(sweep):
    before = plt.get_fignums()
    fig = understanding.rank_tradeoff(sweep, "accuracy", title="a sweep")
    assert isinstance(fig, Figure) and plt.get_fignums() == before            # nothing left open
    accuracy, params = fig.axes
    lora = accuracy.get_lines()[0]
    assert list(lora.get_xdata()) == [1, 8] and np.allclose(lora.get_ydata(), [0.75, 0.86])
    references = {line.get_ydata()[0] for line in accuracy.get_lines()[1:]}   # axhline: full, head
    assert references == {0.9, 0.6}
    assert list(params.get_lines()[0].get_ydata()) == [100, 800] and params.get_yscale() == "log"
    assert accuracy.get_xlabel() == "LoRA rank r (log scale)" and accuracy.get_ylabel() == "accuracy"
    assert "trainable parameters" in params.get_ylabel() and accuracy.get_title() == "a sweep"
    legend = [t.get_text() for t in accuracy.get_legend().get_texts()]
    assert "full fine-tuning (10,000 trainable)" in legend and "head only (frozen body) (20 trainable)" in legend
    top = accuracy.child_axes[0]
    assert [t.get_text() for t in top.get_xticklabels()] == ["1%", "8%"]        # 100 and 800 of 10,000
    assert "% of full fine-tuning" in top.get_xlabel()


def test_rank_tradeoff_without_baselines_has_no_top_axis(sweep):
    fig = understanding.rank_tradeoff(sweep[sweep["method"] == "lora"], "accuracy")
    assert not fig.axes[0].child_axes
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == [
        "LoRA (mean, min-max over seeds)", "trainable parameters"]


def test_rank_tradeoff_on_the_shipped_sweep():
    table = bundled_results("sentiment")
    fig = understanding.rank_tradeoff(table, "accuracy")
    top = [t.get_text() for t in fig.axes[0].child_axes[0].get_xticklabels()]
    assert len(top) == 6 and top[-1] == "1.3%"                                 # rank 32: 295,682 of 22.7 M


def test_update_spectrum_shows_w0_each_update_and_its_rank():
    torch.manual_seed(0)
    W0 = torch.randn(32, 24)
    deltas = {2: torch.randn(32, 2) @ torch.randn(2, 24), 6: torch.randn(32, 6) @ torch.randn(6, 24)}
    before = plt.get_fignums()
    fig = understanding.update_spectrum(W0, deltas, title="one layer")
    assert isinstance(fig, Figure) and plt.get_fignums() == before
    (ax,) = fig.axes
    w0, small, large, mark_small, mark_large = ax.get_lines()
    assert [w0.get_label(), small.get_label(), large.get_label()] == ["W0 (pretrained)", "dW, r = 2", "dW, r = 6"]
    assert np.allclose(w0.get_ydata(), torch.linalg.svdvals(W0.double()).numpy())
    assert len(small.get_xdata()) == 24 and list(w0.get_xdata()) == list(range(1, 25))
    s = small.get_ydata()
    assert s[1] > 1e4 * s[2]                                  # rank 2: nothing but rounding after index 2
    assert list(mark_small.get_xdata()) == [2, 2] and list(mark_large.get_xdata()) == [6, 6]
    assert ax.get_xscale() == ax.get_yscale() == "log"
    assert "index" in ax.get_xlabel() and "singular value" in ax.get_ylabel() and ax.get_title() == "one layer"


def test_update_spectrum_reads_a_half_precision_tensor():
    fig = understanding.update_spectrum(torch.eye(4).to(torch.bfloat16), {1: torch.ones(4, 4)})
    assert fig.axes[0].get_lines()[1].get_ydata()[0] == pytest.approx(4.0)
