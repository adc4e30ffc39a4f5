"""lorakit.figures.hyper draws lesson 09's learning-rate curves, each best marked, the ratio in the title."""
import matplotlib.pyplot as plt
import pandas as pd
import pytest

from lorakit.figures import hyper


def test_lr_curves_mark_each_best_and_give_the_ratio():
    n_figures = len(plt.get_fignums())
    table = pd.DataFrame({"method": ["lora"] * 6 + ["full"] * 3, "rank": [4] * 6 + [0] * 3,
                          "seed": [0, 1] * 3 + [0] * 3, "lr": [1e-4, 1e-4, 1e-3, 1e-3, 1e-2, 1e-2, 1e-5, 1e-4, 1e-3],
                          "accuracy": [0.5, 0.6, 0.9, 0.8, 0.7, 0.7, 0.6, 0.88, 0.5]})
    fig = hyper.lr_curves(table, "accuracy")
    ax = fig.axes[0]
    assert len(plt.get_fignums()) == n_figures and ax.get_xscale() == "log"
    lora, lora_best, full, full_best = ax.get_lines()
    assert list(lora.get_ydata()) == pytest.approx([0.55, 0.85, 0.7])    # the means over seeds
    band, = ax.collections                    # one standard error around LoRA (two seeds), none for full
    assert band.get_paths()[0].vertices[:, 1].max() == pytest.approx(0.85 + 0.05)
    assert list(lora_best.get_xdata()) == [1e-3] and list(full_best.get_xdata()) == [1e-4]
    assert ax.get_title() == "best learning rates: LoRA r=4 / full fine-tuning = 10"
    assert "full" not in hyper.lr_curves(table[table["method"] == "lora"], "accuracy").axes[0].get_title()
