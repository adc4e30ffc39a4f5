"""The figures of lessons 05-07 (lorakit.figures.tasks): each returns a Figure with the expected
elements (axes, labels, the plotted values), and leaves nothing open in pyplot."""
import matplotlib

matplotlib.use("agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from lorakit.figures import tasks  # noqa: E402


def texts(fig):
    return [t.get_text() for t in fig.axes[0].texts]


def test_figures_are_returned_not_left_open():
    before = plt.get_fignums()
    figures = [tasks.classification_head(), tasks.probability_curves(),
               tasks.subword_labels(["a"], ["[CLS]", "a", "[SEP]"], [None, 0, None], [-100, 0, -100], ["O"]),
               tasks.context_windows([(0, 9)], (2, 3), 4)]
    assert all(isinstance(f, Figure) and len(f.axes) == 1 for f in figures)
    assert plt.get_fignums() == before


@pytest.mark.parametrize("hidden, num_labels", [(384, 2), (768, 3)])
def test_classification_head_shows_what_each_method_trains(hidden, num_labels):
    fig = tasks.classification_head(hidden, num_labels)
    words = texts(fig)
    assert {"full", "head", "lora"} <= set(words)
    assert words.count(f"classifier\n{hidden} -> {num_labels}") == 3
    assert words.count(f"pooler: tanh(Linear)\n{hidden} -> {hidden}") == 3
    assert f"[CLS] vector ({hidden})" in words and "LoRA A, B\nquery, value" in words
    colors = [matplotlib.colors.to_hex(p.get_facecolor()) for p in fig.axes[0].patches]
    trained, frozen = tasks.TRAINED.lower(), tasks.FROZEN.lower()
    # full: 3 trained blocks; head: classifier only; lora: LoRA factors and classifier (encoder, pooler frozen)
    assert colors.count(trained) == 3 + 1 + 2 and colors.count(frozen) == 2 + 2
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["trained", "frozen"]


def test_probability_curves_plot_sigmoid_and_tanh():
    fig = tasks.probability_curves(d_max=5, points=101)
    ax = fig.axes[0]
    sigmoid, tanh = ax.get_lines()[:2]
    d = sigmoid.get_xdata()
    assert d[0] == -5 and d[-1] == 5 and len(d) == 101
    np.testing.assert_allclose(sigmoid.get_ydata(), 1 / (1 + np.exp(-d)))
    np.testing.assert_allclose(tanh.get_ydata(), np.tanh(d))
    assert min(tanh.get_ydata()) < 0 <= min(sigmoid.get_ydata())
    assert "z1 - z0" in ax.get_xlabel() and ax.get_ylabel() == "value"
    assert "not a probability" in [t.get_text() for t in ax.get_legend().get_texts()][2]


def test_subword_labels_draw_words_tokens_and_labels():
    words = ["Ada", "Lovelace", "spoke"]
    tokens = ["[CLS]", "ada", "love", "##lace", "spoke", "[SEP]"]
    word_ids = [None, 0, 1, 1, 2, None]
    labels = [-100, 1, 2, -100, 0, -100]
    fig = tasks.subword_labels(words, tokens, word_ids, labels, ["O", "B-PER", "I-PER"])
    ax = fig.axes[0]
    row = lambda y: [t.get_text() for t in ax.texts if t.get_position()[1] == y]
    assert row(2)[:3] == words and row(1)[:6] == tokens
    assert row(0)[:6] == ["-100", "B-PER", "I-PER", "-100", "O", "-100"]
    assert len(ax.get_lines()) == 4                      # one line per token that belongs to a word
    assert "scores 3 of them" in ax.get_title()
    with pytest.raises(ValueError, match="one label per token"):
        tasks.subword_labels(words, tokens, word_ids, labels[:-1], ["O", "B-PER", "I-PER"])


def test_context_windows_draw_windows_stride_and_answer():
    windows, answer, targets = [(0, 38), (23, 61), (46, 84)], (40, 42), [(0, 0), (30, 32), (0, 0)]
    fig = tasks.context_windows(windows, answer, 16, targets)
    ax = fig.axes[0]
    bars = [p for p in ax.patches if p.get_hatch() is None and hasattr(p, "get_width")][:3]
    assert [(p.get_x(), p.get_width()) for p in bars] == [(0, 39), (23, 39), (46, 39)]
    hatched = [p for p in ax.patches if p.get_hatch() == "//"]
    assert [(p.get_x(), p.get_width()) for p in hatched] == [(23, 16), (46, 16)]
    notes = texts(fig)
    assert "window 1: tokens 23-61, target (30, 32)" in notes
    assert sum("not here" in n for n in notes) == 2
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["answer: context tokens 40-42", "the 16 tokens shared with the previous window"]
    assert ax.get_xlabel() == "context token" and "doc stride 16" in ax.get_title()
