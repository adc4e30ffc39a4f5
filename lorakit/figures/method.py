"""Figures for lessons 01-04 (the method): a picture before the algebra.

Each function draws one figure and returns its `matplotlib.figure.Figure`; nothing is shown, saved
or kept open as a side effect (the figure is closed in pyplot before it is returned), so a notebook
cell that ends with the figure displays it once, and a script can `savefig` it.

- `product_rank`: the shapes of B (m x r), A (r x n) and W = B A, beside W's singular values: r of
  them non-zero (lesson 01, before the SVD);
- `first_step_gradients`: dL/dA and dL/dB at step 0 as heat maps, dL/dA all zero because B = 0
  (lesson 02, before the algebra of section 3);
- `lora_bypass`: the frozen W0 (d_out x d_in) beside the LoRA path A (r x d_in), B (d_out x r) and
  the scaling, with the shapes written on the boxes (lesson 03);
- `training_loop`: the four parts of a training step, as a cycle over the batches (lesson 04);
- `loss_curve`: the loss of every step, its running mean and a reference level (lesson 04).

Example:
    >>> fig = lora_bypass(d_in=384, d_out=384, r=8)
    >>> any("(8 × 384)" in t.get_text() for t in fig.axes[0].texts)
    True
"""
import torch
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch, Rectangle

# Okabe & Ito (2008), as lorakit.plots: distinct for colour-blind readers.
BLUE, ORANGE, GREEN, GREY = "#0072B2", "#D55E00", "#009E73", "#7F7F7F"
THINNEST = 0.12          # lora_bypass: the least thickness of a drawn factor, in drawing units (W0's side is 3)


def new_figure(figsize):
    """An empty figure of `figsize` inches, made through pyplot and closed there at once.

    Made through pyplot, not `Figure()` alone: Jupyter's inline backend learns to display figures
    when pyplot makes its first one, and a lesson may draw this figure before any other.
    """
    import matplotlib.pyplot as plt
    fig = plt.figure(figsize=figsize, layout="constrained")
    plt.close(fig)
    return fig


def as_numpy(tensor):
    """A float64 NumPy copy of a tensor on any device (autograd history dropped)."""
    return torch.as_tensor(tensor).detach().to(torch.float64).cpu().numpy()


def matrix_box(ax, x, y, width, height, label, colour, hatch=None):
    """A rectangle at (x, y) (lower left) with `label` centred in it."""
    ax.add_patch(Rectangle((x, y), width, height, facecolor=colour, edgecolor="black", alpha=0.35,
                           hatch=hatch))
    ax.text(x + width / 2, y + height / 2, label, ha="center", va="center", fontsize=10)


def arrow(ax, start, end, colour="black"):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=14, color=colour, lw=1.5))


def product_rank(B, A):
    """Left: B (m x r) times A (r x n) gives W (m x n), drawn to scale. Right: W's singular values.

    >>> B, A = torch.randn(6, 2), torch.randn(2, 5)
    >>> fig = product_rank(B, A)
    >>> len(fig.axes), len(fig.axes[1].patches)          # the shapes, then one bar per singular value
    (2, 5)
    """
    (m, r), n = B.shape, A.shape[1]
    W = torch.as_tensor(B, dtype=torch.float64) @ torch.as_tensor(A, dtype=torch.float64)   # (m, n)
    s = torch.linalg.svdvals(W)                                                             # (min(m, n),)
    fig = new_figure((11, 3.6))
    shapes, spectrum = fig.subplots(1, 2, width_ratios=[1.3, 1])
    matrix_box(shapes, 0, 0, r, m, f"B\n({m} × {r})", BLUE)
    shapes.text(r + 0.5, m / 2, "×", ha="center", va="center", fontsize=16)
    matrix_box(shapes, r + 1, m - r, n, r, f"A ({r} × {n})", ORANGE)
    shapes.text(r + n + 1.5, m / 2, "=", ha="center", va="center", fontsize=16)
    matrix_box(shapes, r + n + 2, 0, n, m, f"W = B A\n({m} × {n})\nrank ≤ {r}", GREEN)
    shapes.set(xlim=(-0.5, r + 2 * n + 2.5), ylim=(-0.5, m + 0.5), aspect="equal",
               title=f"{r * (m + n)} numbers stored as B and A, {m * n} as W")
    shapes.axis("off")
    spectrum.bar(range(1, len(s) + 1), as_numpy(s), color=GREEN)
    for i, value in enumerate(as_numpy(s), 1):
        spectrum.text(i, value, f"{value:.2g}", ha="center", va="bottom", fontsize=9)
    spectrum.set(xlabel="index i", ylabel="singular value $s_i$", xticks=range(1, len(s) + 1),
                 title=f"W's singular values: {r} non-zero, the rest ≈ 0")
    return fig


def first_step_gradients(grad_A, grad_B):
    """dL/dA (r x d_in) and dL/dB (d_out x r) side by side, on one colour scale centred at 0.

    >>> fig = first_step_gradients(torch.zeros(2, 6), torch.randn(4, 2))
    >>> [ax.get_title().split(":")[0] for ax in fig.axes]
    ['dL/dA (2 × 6)', 'dL/dB (4 × 2)']
    """
    grad_A, grad_B = as_numpy(grad_A), as_numpy(grad_B)
    limit = max(abs(grad_A).max(), abs(grad_B).max()) or 1.0
    fig = new_figure((10, 3.4))
    axes = fig.subplots(1, 2, width_ratios=[grad_A.shape[1], 2 * grad_B.shape[1]])
    for ax, grad, name, rows, cols in ((axes[0], grad_A, "dL/dA", "r", "d_in"),
                                       (axes[1], grad_B, "dL/dB", "d_out", "r")):
        ax.imshow(grad, cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set(title=f"{name} ({grad.shape[0]} × {grad.shape[1]}): largest |entry| {abs(grad).max():.2g}",
               xlabel=cols, ylabel=rows, xticks=[], yticks=[])
    fig.suptitle("Step 0, B = 0: A's gradient passes through B and is zero; B's is not "
                 "(blue < 0 < red)")
    return fig


def lora_bypass(d_in, d_out, r, alpha=None):
    """The LoRA layer as a diagram: x goes through the frozen W0 and, beside it, through A then B,
    scaled by alpha / r; the two add up to h. Each box is drawn with its rows down and its columns
    across, to scale (a factor thinner than `THINNEST` of W0's side is drawn that thick), and carries
    its shape in the paper's notation.

    >>> fig = lora_bypass(d_in=6, d_out=4, r=2, alpha=4)
    >>> sorted(t.get_text().split("\\n")[0] for t in fig.axes[0].texts if ") = (" in t.get_text())
    ['A  (r × d_in) = (2 × 6)', 'B  (d_out × r) = (4 × 2)', 'W0  (d_out × d_in) = (4 × 6)']
    """
    side = 3.0 / max(d_in, d_out)                              # drawing units per row or column
    w0_w, w0_h = d_in * side, d_out * side
    a_h, b_w = max(r * side, THINNEST), max(r * side, THINNEST)
    scale = "α/r" if alpha is None else f"α/r = {alpha}/{r} = {alpha / r:g}"
    fig = new_figure((10, 5.2))
    ax = fig.add_subplot()
    ax.text(0.3, 3.6, f"x\n({d_in})", ha="center", va="center", fontsize=12)
    matrix_box(ax, 1.5, 4.0, w0_w, w0_h, "", "0.6", hatch="//")
    ax.text(1.5 + w0_w / 2, 4.1 + w0_h, f"W0  (d_out × d_in) = ({d_out} × {d_in})\nfrozen: no gradient",
            ha="center", va="bottom", fontsize=10)
    matrix_box(ax, 1.5, 1.2, w0_w, a_h, "", ORANGE)
    ax.text(1.5 + w0_w / 2, 1.1, f"A  (r × d_in) = ({r} × {d_in})\nrandom at the start",
            ha="center", va="top", fontsize=10)
    b_x = 2.3 + max(w0_w, 2.8)                                 # room for A's label
    matrix_box(ax, b_x, 0.0, b_w, w0_h, "", BLUE)
    ax.text(b_x + b_w + 0.15, 0.4, f"B  (d_out × r) = ({d_out} × {r})\nzero at the start\n× {scale}",
            ha="left", va="bottom", fontsize=10)
    plus = (b_x + 3.2, 3.6)
    ax.add_patch(Circle(plus, 0.3, facecolor="white", edgecolor="black"))
    ax.text(*plus, "+", ha="center", va="center", fontsize=14)
    ax.text(plus[0] + 0.5, plus[1], f"h = W0 x + (α/r) B A x   ({d_out})", ha="left", va="center", fontsize=11)
    arrow(ax, (0.6, 3.9), (1.5, 4.0 + w0_h / 2))
    arrow(ax, (0.6, 3.3), (1.5, 1.2 + a_h / 2))
    arrow(ax, (1.5 + w0_w, 1.2 + a_h / 2), (b_x, 1.2 + a_h / 2))
    arrow(ax, (1.5 + w0_w, 4.0 + w0_h / 2), (plus[0] - 0.25, plus[1] + 0.15))
    arrow(ax, (b_x + b_w, w0_h / 2), (plus[0] - 0.2, plus[1] - 0.25), GREEN)
    ax.text(1.5, -0.7, f"trained: A and B, r (d_in + d_out) = {r * (d_in + d_out):,} numbers, "
                       f"against d_in × d_out = {d_in * d_out:,} for a full update", ha="left", va="center",
            fontsize=10, color=GREEN)
    thickened = " (A and B drawn thicker, to be seen)" if r * side < THINNEST else ""
    ax.set(xlim=(-0.2, plus[0] + 4.8), ylim=(-1.1, 5.8 + w0_h), aspect="equal",
           title=f"A LoRA layer: the frozen weight and the low-rank bypass, shapes to scale{thickened}")
    ax.axis("off")
    return fig


STEPS = ("forward:\nlogits and loss", "loss.backward():\ngradients", "optimizer.step():\nmove the weights",
         "optimizer.zero_grad():\nclear the gradients")


def training_loop():
    """The four parts of a training step, drawn as a cycle that takes a new batch each time round.

    >>> [t.get_text() for t in training_loop().axes[0].texts][:2]
    ['next batch', 'forward:\\nlogits and loss']
    """
    fig = new_figure((8, 3.6))
    ax = fig.add_subplot()
    corners = [(1.0, 3.0), (5.0, 3.0), (5.0, 0.6), (1.0, 0.6)]     # clockwise from the top left
    ax.text(-1.2, 3.5, "next batch", ha="center", va="center", fontsize=11, color=BLUE)
    arrow(ax, (-0.6, 3.5), (1.0, 3.5), BLUE)
    for (x, y), label in zip(corners, STEPS):
        ax.add_patch(FancyBboxPatch((x, y), 3.0, 1.0, boxstyle="round,pad=0.1", facecolor=GREY, alpha=0.25))
        ax.text(x + 1.5, y + 0.5, label, ha="center", va="center", fontsize=10)
    arrow(ax, (4.1, 3.5), (4.9, 3.5))
    arrow(ax, (6.5, 2.9), (6.5, 1.7))
    arrow(ax, (4.9, 1.1), (4.1, 1.1))
    arrow(ax, (2.5, 1.7), (2.5, 2.9), BLUE)
    ax.text(2.6, 2.3, "  every batch of every epoch", ha="left", va="center", fontsize=9, color=BLUE)
    ax.set(xlim=(-2.2, 8.4), ylim=(0.2, 4.4), title="One training step, repeated over the batches")
    ax.axis("off")
    return fig


def running_mean(values, window):
    """The mean of each value and the up to `window - 1` values before it.

    >>> running_mean([1.0, 3.0, 5.0], 2)
    [1.0, 2.0, 4.0]
    """
    return [sum(values[max(0, i - window + 1):i + 1]) / len(values[max(0, i - window + 1):i + 1])
            for i in range(len(values))]


def loss_curve(losses, window=8, reference=None, reference_label=None, title="training loss"):
    """Each step's loss (dots), the running mean of the last `window` steps (a line), and an optional
    horizontal `reference` level (dotted), against the step number counted from 1.

    >>> fig = loss_curve([0.7, 0.6, 0.5], window=2, reference=0.69, reference_label="ln 2")
    >>> [[round(float(y), 3) for y in line.get_ydata()] for line in fig.axes[0].lines[:2]]
    [[0.7, 0.6, 0.5], [0.7, 0.65, 0.55]]
    """
    losses = [float(v) for v in losses]
    steps = range(1, len(losses) + 1)
    fig = new_figure((6.5, 3.4))
    ax = fig.add_subplot()
    ax.plot(steps, losses, ".", color=BLUE, alpha=0.5, label="one batch")
    ax.plot(steps, running_mean(losses, window), "-", color=ORANGE, label=f"mean of the last {window}")
    if reference is not None:
        ax.axhline(reference, color=GREY, linestyle=":", label=reference_label)
    ax.set(xlabel="step", ylabel="cross-entropy loss", title=title)
    ax.legend()
    return fig
