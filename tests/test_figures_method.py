"""lorakit.figures.method: each function returns a Figure with the expected axes, labels and values,
and leaves nothing open in pyplot."""
import math

import matplotlib
import pytest
import torch
from matplotlib.figure import Figure

from lorakit.figures import method

matplotlib.use("agg")


@pytest.fixture(autouse=True)
def nothing_left_open_in_pyplot():
    import matplotlib.pyplot as plt
    before = plt.get_fignums()
    yield
    assert plt.get_fignums() == before, "a figure function opened a pyplot figure"


def texts(ax):
    return [t.get_text() for t in ax.texts]


def test_product_rank_draws_the_three_shapes_and_the_singular_values():
    torch.manual_seed(0)
    B, A = torch.randn(6, 2), torch.randn(2, 5)
    fig = method.product_rank(B, A)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    shapes, spectrum = fig.axes
    assert len(shapes.patches) == 3
    assert {"B\n(6 × 2)", "A (2 × 5)", "W = B A\n(6 × 5)\nrank ≤ 2"} <= set(texts(shapes))
    heights = torch.tensor([bar.get_height() for bar in spectrum.patches], dtype=torch.float64)
    torch.testing.assert_close(heights, torch.linalg.svdvals(B.double() @ A.double()))
    assert (heights[:2] > 1e-3).all() and (heights[2:] < 1e-12).all()          # rank 2
    assert spectrum.get_xlabel() == "index i" and "singular value" in spectrum.get_ylabel()


def test_first_step_gradients_shows_both_gradients_on_one_scale():
    grad_A, grad_B = torch.zeros(3, 7), torch.randn(5, 3)
    fig = method.first_step_gradients(grad_A, grad_B)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    (left,), (right,) = fig.axes[0].images, fig.axes[1].images
    torch.testing.assert_close(torch.as_tensor(left.get_array()), grad_A.double())
    torch.testing.assert_close(torch.as_tensor(right.get_array()), grad_B.double())
    assert left.get_clim() == right.get_clim() == (-grad_B.abs().max().item(), grad_B.abs().max().item())
    assert fig.axes[0].get_title().startswith("dL/dA (3 × 7)") and "largest |entry| 0" in fig.axes[0].get_title()
    assert fig.axes[1].get_title().startswith("dL/dB (5 × 3)")
    assert (fig.axes[0].get_xlabel(), fig.axes[0].get_ylabel()) == ("d_in", "r")
    assert (fig.axes[1].get_xlabel(), fig.axes[1].get_ylabel()) == ("r", "d_out")


@pytest.mark.parametrize("d_in,d_out,r", [(384, 384, 8), (384, 1536, 4), (6, 4, 2)])
def test_lora_bypass_writes_each_shape_and_draws_it_to_scale(d_in, d_out, r):
    fig = method.lora_bypass(d_in=d_in, d_out=d_out, r=r, alpha=16)
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    ax = fig.axes[0]
    written = "\n".join(texts(ax))
    for shape in (f"W0  (d_out × d_in) = ({d_out} × {d_in})", f"A  (r × d_in) = ({r} × {d_in})",
                  f"B  (d_out × r) = ({d_out} × {r})", f"α/r = 16/{r} = {16 / r:g}",
                  f"{r * (d_in + d_out):,} numbers", f"{d_in * d_out:,}"):
        assert shape in written, shape
    w0, a, b = [p for p in ax.patches if type(p).__name__ == "Rectangle"]
    assert math.isclose(w0.get_width() / w0.get_height(), d_in / d_out)       # columns across, rows down
    assert math.isclose(a.get_width(), w0.get_width()) and math.isclose(b.get_height(), w0.get_height())
    assert ("drawn thicker" in ax.get_title()) == (r * w0.get_height() / d_out < method.THINNEST)
    assert a.get_height() == max(r * w0.get_height() / d_out, method.THINNEST)
    assert b.get_width() == max(r * w0.get_height() / d_out, method.THINNEST)


def test_training_loop_names_the_four_parts_in_order():
    fig = method.training_loop()
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    drawn = texts(fig.axes[0])
    assert [drawn.index(step) for step in method.STEPS] == sorted(drawn.index(step) for step in method.STEPS)
    assert [s.split(":")[0].split("(")[0] for s in method.STEPS] == \
        ["forward", "loss.backward", "optimizer.step", "optimizer.zero_grad"]


def test_loss_curve_plots_the_losses_their_running_mean_and_the_reference():
    losses = [0.70, 0.68, 0.66, 0.60, 0.50]
    fig = method.loss_curve(losses, window=2, reference=math.log(2), reference_label="ln 2")
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    ax = fig.axes[0]
    dots, mean, reference = ax.lines
    assert list(dots.get_xdata()) == [1, 2, 3, 4, 5] and list(dots.get_ydata()) == losses
    assert [round(y, 6) for y in mean.get_ydata()] == [0.70, 0.69, 0.67, 0.63, 0.55]
    assert list(reference.get_ydata()) == [math.log(2)] * 2
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["one batch", "mean of the last 2", "ln 2"]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("step", "cross-entropy loss")
    assert len(method.loss_curve(losses).axes[0].lines) == 2                 # no reference: no third line


def test_running_mean():
    assert method.running_mean([1.0, 3.0, 5.0, 7.0], 3) == [1.0, 2.0, 3.0, 5.0]
