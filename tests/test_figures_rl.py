"""lorakit.figures.rl draws lesson 14's figures: each returns a Figure with the expected elements."""
import matplotlib
import matplotlib.pyplot as plt

from lorakit.figures import rl


def test_group_draws_rewards_and_signed_advantages():
    n_figures = len(plt.get_fignums())
    fig = rl.group(["Positive", "Negative", "A very long reply that will be cut short here"], [1, 0, 0],
                   [1.15, -0.58, -0.58])
    assert isinstance(fig, matplotlib.figure.Figure) and len(plt.get_fignums()) == n_figures
    rewards, advantages = fig.axes
    assert [p.get_width() for p in rewards.patches] == [1, 0, 0]
    colours = [matplotlib.colors.to_hex(p.get_facecolor()) for p in advantages.patches]
    assert colours == [rl.ABOVE.lower(), rl.BELOW.lower(), rl.BELOW.lower()]
    labels = [t.get_text() for t in rewards.get_yticklabels()]
    assert labels[0] == "Positive" and labels[2].endswith("…") and len(labels[2]) == 28


def test_reward_curves_draw_each_run_and_its_running_mean():
    fig = rl.reward_curves({"rank 1": [0.0, 1.0, 0.0, 1.0], "rank 16": [0.5] * 4}, before={"rank 16": 0.2}, smooth=2)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["rank 1", "rank 16"]
    assert list(ax.lines[1].get_ydata()) == [0.0, 0.5, 0.5, 0.5]          # the running mean over 2 steps
    assert list(ax.lines[-1].get_ydata()) == [0.2, 0.2]                   # the dashed start of rank 16
