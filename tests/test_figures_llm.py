"""lorakit.figures.llm draws lessons 11-13's figures: each returns a Figure with the expected
elements, on the tiny chat tokenizer of tests/tiny_chat.py (no download)."""
import matplotlib
import matplotlib.pyplot as plt
import pytest

from lorakit.figures import llm
from lorakit.tasks import ChatTask
from tiny_chat import tiny_chat_tokenizer

MESSAGES = [{"role": "user", "content": "Hi?"}, {"role": "assistant", "content": "No."}]


@pytest.fixture(scope="module")
def tokenizer():
    return tiny_chat_tokenizer()


def boxes(fig):
    return [p for p in fig.axes[0].patches if isinstance(p, matplotlib.patches.Rectangle)]


def test_token_roles_follow_the_turns():
    tokens = ["<|im_start|>", "s", "y", "s", "Ċ", "A", "<|im_end|>", "Ċ", "<|im_start|>", "user", "Ċ", "Hi",
              "<|im_end|>", "Ċ"]
    assert llm.token_roles(tokens) == ["sys"] * 7 + [None] + ["user"] * 5 + [None]
    assert llm.token_roles(["x", "<|im_start|>", "assistant"]) == [None, "assistant", "assistant"]


def test_chat_template_draws_one_box_per_token_coloured_by_role(tokenizer):
    ids, _ = ChatTask().encode_one(MESSAGES, tokenizer, train=True)
    n_figures = len(plt.get_fignums())
    fig = llm.chat_template(tokenizer, ids)
    assert isinstance(fig, matplotlib.figure.Figure)
    assert len(plt.get_fignums()) == n_figures                      # nothing left open in pyplot
    drawn = boxes(fig)
    assert len(drawn) == len(ids)
    colours = {matplotlib.colors.to_hex(p.get_facecolor()) for p in drawn}
    assert {llm.ROLE_COLOURS[r].lower() for r in ("system", "user", "assistant")} <= colours
    thick = [p for p in drawn if p.get_linewidth() > 1]
    assert len(thick) == sum(i in tokenizer.all_special_ids for i in ids) == 6     # 3 turns: start and end
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts[0] == "<|im_start|>" and "\\n" in texts and "<|im_end|>" in texts
    assert "6 of them special" in fig.axes[0].get_title()
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == ["system", "user", "assistant", "between turns"]


def test_masked_loss_highlights_the_scored_tokens(tokenizer):
    ids, labels = ChatTask().encode_one(MESSAGES, tokenizer, train=True)
    fig = llm.masked_loss(tokenizer, ids, labels)
    assert isinstance(fig, matplotlib.figure.Figure)
    colours = [matplotlib.colors.to_hex(p.get_facecolor()) for p in boxes(fig)]
    scored = [label != -100 for label in labels]
    assert colours == [llm.SCORED.lower() if s else llm.NOT_SCORED.lower() for s in scored]
    assert sum(scored) == len("No.") + 1                            # the reply's bytes and its <|im_end|>
    assert f"{sum(scored)} of {len(ids)} tokens scored" in fig.axes[0].get_title()
    with pytest.raises(ValueError, match="one label per token"):
        llm.masked_loss(tokenizer, ids, labels[:-1])


def test_forgetting_draws_what_each_model_kept_and_learned():
    general = {"base model": 0.6, "LoRA": 0.55, "full fine-tuning": 0.4}
    fig = llm.forgetting(general, {"LoRA": 40.0, "full fine-tuning": 45.0})
    assert isinstance(fig, matplotlib.figure.Figure) and len(fig.axes) == 2
    kept, learned = fig.axes
    assert [p.get_height() for p in kept.patches] == list(general.values())
    assert [t.get_text() for t in kept.get_xticklabels()] == list(general)
    assert kept.lines[0].get_ydata()[0] == 0.6                      # the base model's line
    assert [p.get_height() for p in learned.patches] == [40.0, 45.0]
    assert len(llm.forgetting(general).axes) == 1                   # without what was learned: one panel
