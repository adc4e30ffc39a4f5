"""Figures of lessons 05-07: the three task heads and what they score.

Each function draws one figure and returns its `matplotlib.figure.Figure`; nothing is shown or
saved (the figure is closed in pyplot before it is returned, so a notebook cell that ends with it
displays it once, and a script can `savefig` it):

- `classification_head` (05): which weights full fine-tuning, head-only training and LoRA train,
  from the encoder through BERT's pooler and the new classifier to two logits;
- `probability_curves` (05): the softmax of two logits as sigmoid(z1 - z0), against tanh(z1 - z0);
- `subword_labels` (06): a sentence's words, its sub-word tokens and the label of each token,
  -100 where the loss does not score it;
- `context_windows` (07): the windows of a long context, the tokens neighbouring windows share
  (doc stride), and the answer's start and end tokens.

Example:
    >>> from lorakit.figures import tasks
    >>> fig = tasks.probability_curves()
    >>> [line.get_label() for line in fig.axes[0].get_lines()[:2]]
    ['softmax = sigmoid(z1 - z0)', 'tanh(z1 - z0)']
"""
import numpy as np

TRAINED, FROZEN, IGNORED = "#D55E00", "#BBBBBB", "#7F7F7F"     # Okabe-Ito vermillion, greys
ANSWER = "#0072B2"                                               # Okabe-Ito blue

# What each method of lesson 05 trains: (block, trained?) from the encoder to the logits.
METHOD_BLOCKS = {
    "full": [("encoder", True), ("pooler", True), ("classifier", True)],
    "head": [("encoder", False), ("pooler", False), ("classifier", True)],
    "lora": [("encoder", "lora"), ("pooler", False), ("classifier", True)],      # frozen, LoRA A, B trained
}


def new_figure(figsize):
    """A figure of `figsize` inches that no pyplot window holds: closed in pyplot, returned to the caller.

    Made through pyplot (not `Figure()` alone) so that Jupyter's inline display knows it.
    """
    import matplotlib.pyplot as plt
    fig = plt.figure(figsize=figsize)
    plt.close(fig)
    return fig


def box(ax, x, y, text, color, width=2.0, height=0.6):
    """A labelled rectangle centred at (x, y) on `ax`."""
    from matplotlib.patches import FancyBboxPatch
    ax.add_patch(FancyBboxPatch((x - width / 2, y - height / 2), width, height, boxstyle="round,pad=0.03",
                                facecolor=color, edgecolor="black", linewidth=0.8))
    ax.text(x, y, text, ha="center", va="center", fontsize=9)


def arrow(ax, x0, x1, y):
    ax.annotate("", xy=(x1, y), xytext=(x0, y), arrowprops=dict(arrowstyle="->", linewidth=1))


def classification_head(hidden=384, num_labels=2):
    """The sequence classifier of lesson 05, one row per method: the encoder, BERT's pooler (Linear +
    tanh on the [CLS] vector), the new classifier (`hidden` -> `num_labels` logits) and the softmax;
    trained blocks in vermillion, frozen ones in grey.

    >>> fig = classification_head(384, 2)
    >>> sum(t.get_text() == "classifier\\n384 -> 2" for t in fig.axes[0].texts)       # one per method
    3
    """
    from matplotlib.patches import Patch
    fig = new_figure((10, 3.6))
    ax = fig.add_subplot()
    details = {"pooler": f"pooler: tanh(Linear)\n{hidden} -> {hidden}",
               "classifier": f"classifier\n{hidden} -> {num_labels}"}
    xs = [1.2, 3.8, 6.4, 8.6, 10.4]
    for row, (method, blocks) in enumerate(METHOD_BLOCKS.items()):
        y = 2 - row
        ax.text(-0.2, y, method, ha="right", va="center", fontsize=11, fontweight="bold")
        for x, (name, trained) in zip(xs, blocks):
            box(ax, x, y, "" if trained == "lora" else details.get(name, name), TRAINED if trained is True else FROZEN)
            if trained == "lora":           # a frozen encoder with small trained factors in its attention
                ax.text(x - 0.55, y, name, ha="center", va="center", fontsize=9)
                box(ax, x + 0.45, y, "LoRA A, B\nquery, value", TRAINED, width=0.95, height=0.45)
        ax.text(xs[3], y, f"{num_labels} logits\nz0, z1", ha="center", va="center", fontsize=9)
        ax.text(xs[4], y, "softmax\np(class)", ha="center", va="center", fontsize=9)
        for x0, x1 in zip(xs, xs[1:]):
            arrow(ax, x0 + (1.05 if x0 < xs[3] else 0.5), x1 - (1.05 if x1 <= xs[2] else 0.5), y)
    ax.text((xs[0] + xs[1]) / 2, 2.4, f"[CLS] vector ({hidden})", ha="center", fontsize=8)
    ax.legend(handles=[Patch(facecolor=TRAINED, label="trained"), Patch(facecolor=FROZEN, label="frozen")],
              loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=2, frameon=False)
    ax.set_xlim(-1.0, 11.2)
    ax.set_ylim(-0.5, 2.8)
    ax.axis("off")
    ax.set_title("What each method trains (new: the classifier; pretrained: the rest)")
    fig.tight_layout()
    return fig


def probability_curves(d_max=6.0, points=241):
    """p(positive) = softmax(z)_1 = sigmoid(z1 - z0) against tanh(z1 - z0), for z1 - z0 in [-d_max, d_max];
    the band below 0, where tanh goes and no probability can, is shaded.

    >>> fig = probability_curves(4, 9)
    >>> [round(float(y), 3) for y in fig.axes[0].get_lines()[0].get_ydata()[[0, 4, 8]]]
    [0.018, 0.5, 0.982]
    """
    d = np.linspace(-d_max, d_max, points)
    fig = new_figure((6, 3.4))
    ax = fig.add_subplot()
    ax.plot(d, 1 / (1 + np.exp(-d)), color=ANSWER, linewidth=2, label="softmax = sigmoid(z1 - z0)")
    ax.plot(d, np.tanh(d), color=TRAINED, linewidth=2, label="tanh(z1 - z0)")
    ax.axhspan(-1.05, 0, color=FROZEN, alpha=0.3, label="below 0: not a probability")
    for level in (0, 1):
        ax.axhline(level, color="black", linewidth=0.6, linestyle=":")
    ax.set_xlabel("z1 - z0 (positive logit minus negative logit)")
    ax.set_ylabel("value")
    ax.set_ylim(-1.05, 1.05)
    ax.set_title("Two logits to one number")
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return fig


def subword_labels(words, tokens, word_ids, labels, label_names):
    """A sentence's words (top), its tokens (middle) and each token's label (bottom): a line joins each
    word to its pieces; -100 (not scored by the loss) is drawn in grey.

    `word_ids` is `encoding.word_ids()` (None for special tokens); `labels` one id per token, -100
    where not scored; `label_names` maps an id to its tag name.

    >>> fig = subword_labels(["Ada", "spoke"], ["[CLS]", "ada", "spoke", "[SEP]"], [None, 0, 1, None],
    ...                      [-100, 1, 0, -100], ["O", "B-PER"])
    >>> [t.get_text() for t in fig.axes[0].texts if t.get_position()[1] == 0][:4]       # the labels row
    ['-100', 'B-PER', 'O', '-100']
    """
    if not len(tokens) == len(word_ids) == len(labels):
        raise ValueError(f"one word id and one label per token: {len(tokens)} tokens, "
                         f"{len(word_ids)} word ids, {len(labels)} labels")
    fig = new_figure((max(6.0, 0.62 * len(tokens)), 3.0))
    ax = fig.add_subplot()
    token_x = np.arange(len(tokens), dtype=float)
    word_x = [token_x[[i for i, w in enumerate(word_ids) if w == word]].mean() for word in range(len(words))]
    for x, word in zip(word_x, words):
        ax.text(x, 2, word, ha="center", va="center", fontsize=9, fontweight="bold", rotation=30)
    for x, token, word, label in zip(token_x, tokens, word_ids, labels):
        ax.text(x, 1, token, ha="center", va="center", fontsize=9, rotation=30)
        if word is not None:
            ax.plot([word_x[word], x], [1.8, 1.2], color="black", linewidth=0.6)
        ignored = label == -100
        ax.text(x, 0, "-100" if ignored else label_names[label], ha="center", va="center", fontsize=9,
                rotation=30, color=IGNORED if ignored else TRAINED, fontweight="normal" if ignored else "bold")
    for y, name in [(2, "words"), (1, "tokens"), (0, "labels")]:
        ax.text(-1.2, y, name, ha="right", va="center", fontsize=10)
    ax.set_xlim(-2.6, len(tokens) - 0.4)
    ax.set_ylim(-0.5, 2.5)
    ax.axis("off")
    scored = sum(label != -100 for label in labels)
    ax.set_title(f"{len(words)} words, {len(tokens)} tokens: the loss scores {scored} of them "
                 "(each word's first piece)", fontsize=10)
    fig.tight_layout()
    return fig


def context_windows(windows, answer, doc_stride, targets=None):
    """The windows over a context, one row each, as spans of context tokens; the tokens a window shares
    with the previous one (`doc_stride`) hatched, and the answer's tokens as a band across all rows.

    `windows`: (first, last) context-token index of each window, inclusive; `answer`: (start, end)
    context-token index of the answer; `targets`: each window's (start_positions, end_positions),
    written at the end of its row.

    >>> fig = context_windows([(0, 38), (23, 61)], (40, 42), 16, [(0, 0), (30, 32)])
    >>> [int(p.get_width()) for p in fig.axes[0].patches[:2]]
    [39, 39]
    """
    from matplotlib.patches import Patch
    fig = new_figure((9, 0.7 * len(windows) + 2.0))
    ax = fig.add_subplot()
    for row, (first, last) in enumerate(windows):
        y = len(windows) - 1 - row
        ax.barh(y, last - first + 1, left=first, height=0.6, color=FROZEN, edgecolor="black")
        if row > 0:
            ax.barh(y, doc_stride, left=first, height=0.6, color="none", edgecolor="black", hatch="//")
        holds = first <= answer[0] and answer[1] <= last
        note = f"window {row}: tokens {first}-{last}"
        if targets is not None:
            note += f", target {tuple(targets[row])}" + ("" if holds else " ([CLS]: not here)")
        ax.text(max(last for _, last in windows) + 2, y, note, va="center", fontsize=9)
    ax.axvspan(answer[0], answer[1] + 1, color=ANSWER, alpha=0.5)
    ax.legend(handles=[Patch(facecolor=ANSWER, alpha=0.5, label=f"answer: context tokens {answer[0]}-{answer[1]}"),
                       Patch(facecolor="none", edgecolor="black", hatch="//",
                             label=f"the {doc_stride} tokens shared with the previous window")],
              loc="upper center", bbox_to_anchor=(0.5, -0.3), ncol=2, fontsize=8, frameon=False)
    ax.set_yticks([])
    ax.set_xlabel("context token")
    ax.set_xlim(0, max(last for _, last in windows) * 1.7 + 2)
    title = f"{len(windows)} windows of a context, doc stride {doc_stride}"
    ax.set_title(title + ("\n(a target counts the window's own tokens: [CLS] is 0)" if targets is not None else ""))
    fig.tight_layout()
    return fig
