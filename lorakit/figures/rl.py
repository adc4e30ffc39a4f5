"""Figures of lesson 14 (reinforcement learning with LoRA): one group of sampled replies with their
rewards and advantages, and reward curves (the mean reward of each training step) side by side.

Example:
    from lorakit.figures import rl
    rl.group(replies, rewards, advantages)
    rl.reward_curves({"rank 1": curve_1, "rank 16": curve_16})
"""
import matplotlib

# Okabe & Ito (2008), colours that stay distinct for colour-blind readers.
ABOVE, BELOW, LINE_COLOURS = "#009E73", "#D55E00", ["#0072B2", "#E69F00", "#CC79A7", "#7F7F7F"]


def group(replies, rewards, advantages, width=28):
    """Two bar panels for one question's group: each reply's reward, and its advantage (green above
    the group's mean: made likelier; orange below: made less likely). Replies label the bars,
    cut to `width` characters.

    >>> fig = group(["Positive", "The review is positive."], [1.0, 0.0], [0.71, -0.71])
    >>> [ax.get_title() for ax in fig.axes]
    ['reward of each reply', 'advantage: (reward - group mean) / group std']
    """
    import matplotlib.pyplot as plt
    labels = [r if len(r) <= width else r[:width - 1] + "…" for r in (repr(x)[1:-1] for x in replies)]
    rows = range(len(replies))
    fig, axes = plt.subplots(1, 2, figsize=(11, 0.4 * len(replies) + 1.4), sharey=True)
    axes[0].barh(rows, rewards, color="#0072B2")
    axes[0].set_xlim(0, 1.05)
    axes[0].set_title("reward of each reply")
    axes[0].set_yticks(list(rows), labels)
    axes[0].invert_yaxis()
    axes[1].barh(rows, advantages, color=[ABOVE if a > 0 else BELOW for a in advantages])
    axes[1].axvline(0, color="black", linewidth=1)
    axes[1].set_title("advantage: (reward - group mean) / group std")
    fig.tight_layout()
    plt.close(fig)                          # returned, not left open in pyplot (no side effects)
    return fig


def reward_curves(curves, before=None, smooth=5):
    """The mean training reward of every step for each run in `curves` ({name: [reward per step]}),
    faint, with its running mean over `smooth` steps on top; `before` ({name: held-out reward before
    training}) marks where each run started as a dashed line.

    >>> fig = reward_curves({"rank 1": [0.1, 0.3, 0.6], "rank 16": [0.2, 0.5, 0.9]}, before={"rank 1": 0.1})
    >>> len(fig.axes[0].lines)
    5
    """
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 4))
    for k, (name, curve) in enumerate(curves.items()):
        colour = LINE_COLOURS[k % len(LINE_COLOURS)]
        steps = range(1, len(curve) + 1)
        ax.plot(steps, curve, color=colour, alpha=0.3, linewidth=1)
        mean = [sum(curve[max(0, i - smooth + 1):i + 1]) / len(curve[max(0, i - smooth + 1):i + 1])
                for i in range(len(curve))]
        ax.plot(steps, mean, color=colour, linewidth=2, label=name)
        if before and name in before:
            ax.axhline(before[name], color=colour, linestyle="--", linewidth=1)
    ax.set_xlabel("step")
    ax.set_ylabel("mean reward of the step's replies")
    ax.set_ylim(-0.02, 1.02)
    ax.legend(loc="lower right")
    ax.set_title("reward during training (dashed: held-out reward before)")
    fig.tight_layout()
    plt.close(fig)                          # returned, not left open in pyplot (no side effects)
    return fig
