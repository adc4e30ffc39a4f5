"""lorakit.figures.clinic draws lesson 18's figures: each returns a Figure with the expected elements."""
import math

import matplotlib
import matplotlib.pyplot as plt

from lorakit.figures import clinic


def test_loss_curves_draw_each_run_and_mark_non_finite_steps():
    n_figures = len(plt.get_fignums())
    fig = clinic.loss_curves({"healthy": [0.7, 0.6, 0.5], "diverged": [0.7, 40.0, float("nan")]})
    assert isinstance(fig, matplotlib.figure.Figure) and len(plt.get_fignums()) == n_figures
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    healthy, diverged, marks = ax.lines
    assert list(healthy.get_ydata()) == [0.7, 0.6, 0.5] and math.isnan(diverged.get_ydata()[2])
    assert list(marks.get_xdata()) == [3] and marks.get_marker() == "x"


def test_update_norms_draw_a_dot_per_layer_and_the_limits():
    fig = clinic.update_norms({"lr 1e-3": {"q": 1e-2, "v": 2e-2}, "lr 1e-8": {"q": 1e-7, "v": 2e-7}})
    ax = fig.axes[0]
    dots = [line for line in ax.lines if line.get_marker() == "o"]
    assert [list(d.get_ydata()) for d in dots] == [[1e-2, 2e-2], [1e-7, 2e-7]]
    limits = [line.get_ydata()[0] for line in ax.lines if line.get_linestyle() == ":"]
    assert limits == [1e-4, 1.0] and ax.get_yscale() == "log"
