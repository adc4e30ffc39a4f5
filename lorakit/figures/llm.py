"""Figures of lessons 11-13 (LoRA on a chat LLM): the chat template token by token, the masked chat
loss with its scored tokens highlighted, and forgetting (general questions before and after tuning).

The two token figures lay a conversation's tokens out in rows, one box per token, in reading order:
what the model sees is one sequence, and the boxes' colours say what each token is (its turn's role,
or whether the loss scores it). Byte-level BPE's markers are written as in the lessons' tables:
`␣` for a leading space (Ġ), `\\n` for a newline (Ċ).

Example:
    from lorakit.figures import llm
    ids, labels = ChatTask().encode_one(messages, tokenizer, train=True)
    llm.masked_loss(tokenizer, ids, labels)
"""
import matplotlib

IGNORE_INDEX = -100                 # PyTorch cross-entropy's ignore_index: the label of an unscored token
# Okabe & Ito (2008), colours that stay distinct for colour-blind readers.
ROLE_COLOURS = {"system": "#BBBBBB", "user": "#E69F00", "assistant": "#56B4E9"}
SCORED, NOT_SCORED = "#009E73", "#E5E5E5"
BAR_COLOURS = ["#7F7F7F", "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00"]


def shown(token):
    """A token as the lessons' tables write it: `Ġ` becomes `␣`, `Ċ` becomes `\\n`.

    >>> shown("Ġare"), shown("Ċ")
    ('␣are', '\\\\n')
    """
    return token.replace("Ġ", "␣").replace("Ċ", "\\n")


def token_roles(tokens, start="<|im_start|>", end="<|im_end|>"):
    """The role of the turn each token belongs to (`start`, the role name, its newline, the content
    and `end` all count as the turn's); None outside any turn (the newline after `end`).

    >>> token_roles(["<|im_start|>", "user", "Ċ", "Hi", "<|im_end|>", "Ċ"])
    ['user', 'user', 'user', 'user', 'user', None]
    """
    roles, role, i = [None] * len(tokens), None, 0
    while i < len(tokens):
        if tokens[i] == start:                           # the role's name runs up to the first newline
            j = i + 1
            while j < len(tokens) and "Ċ" not in tokens[j] and "\n" not in tokens[j]:
                j += 1
            role = "".join(tokens[i + 1:j])
            stop = min(j + 1, len(tokens))              # through the newline
            roles[i:stop] = [role] * (stop - i)
            i = stop
            continue
        roles[i] = role
        if tokens[i] == end:
            role = None
        i += 1
    return roles


def _token_grid(tokens, colours, bold, per_row, title, legend):
    """Boxes in rows of `per_row`: token k at row k // per_row, column k % per_row."""
    import matplotlib.pyplot as plt
    rows = -(-len(tokens) // per_row)
    with matplotlib.rc_context({"font.size": 10}):
        fig, ax = plt.subplots(figsize=(per_row * 1.05, 0.55 * rows + 1.1))
        for k, (token, colour, strong) in enumerate(zip(tokens, colours, bold)):
            x, y = k % per_row, -(k // per_row)
            ax.add_patch(matplotlib.patches.Rectangle((x + 0.04, y - 0.4), 0.92, 0.8, facecolor=colour,
                                                      edgecolor="black", linewidth=2.0 if strong else 0.5))
            text = token if len(token) <= 12 else token[:11] + "…"
            ax.text(x + 0.5, y, text, ha="center", va="center", fontsize=8 if len(text) > 7 else 9,
                    fontweight="bold" if strong else "normal")
        ax.set_xlim(0, per_row)
        ax.set_ylim(-rows + 0.5, 0.5)
        ax.axis("off")
        ax.set_title(title)
        ax.legend(handles=[matplotlib.patches.Patch(facecolor=c, edgecolor="black", label=label)
                           for label, c in legend.items()],
                  loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=len(legend), frameon=False)
        fig.tight_layout()
    plt.close(fig)                          # returned, not left open in pyplot (no side effects)
    return fig


def chat_template(tokenizer, ids, per_row=12):
    """The tokens `ids` of a templated conversation, one box each, coloured by the role of their turn;
    the tokenizer's special tokens (the template's markers) drawn bold with a thick edge.

    fig = chat_template(tokenizer, tokenizer.apply_chat_template(messages))
    len(fig.axes[0].patches) == len(ids)
    True
    """
    ids = list(ids)
    tokens = tokenizer.convert_ids_to_tokens(ids)
    roles = token_roles(tokens)
    special = set(tokenizer.all_special_ids)
    colours = [ROLE_COLOURS.get(role, "white") for role in roles]
    legend = {role: ROLE_COLOURS.get(role, "white") for role in dict.fromkeys(r for r in roles if r)}
    legend["between turns"] = "white"
    n_special = sum(i in special for i in ids)
    return _token_grid([shown(t) for t in tokens], colours, [i in special for i in ids], per_row,
                       f"The chat template: {len(ids)} tokens, {n_special} of them special (bold)", legend)


def masked_loss(tokenizer, ids, labels, per_row=12):
    """The tokens `ids` of a training conversation, one box each: green where the loss scores the
    token (its label is the token), grey where the label is -100 (not scored).

    fig = masked_loss(tokenizer, ids, labels)
    """
    ids, labels = list(ids), list(labels)
    if len(ids) != len(labels):
        raise ValueError(f"{len(ids)} ids but {len(labels)} labels: one label per token")
    scored = [label != IGNORE_INDEX for label in labels]
    tokens = [shown(t) for t in tokenizer.convert_ids_to_tokens(ids)]
    colours = [SCORED if s else NOT_SCORED for s in scored]
    legend = {"scored: label = the token": SCORED, f"label {IGNORE_INDEX}: not scored": NOT_SCORED}
    return _token_grid(tokens, colours, scored, per_row,
                       f"The masked chat loss: {sum(scored)} of {len(ids)} tokens scored", legend)


def forgetting(general, learned=None):
    """Bars of the general-question accuracy of each model in `general` ({name: accuracy}, the base
    model first: a dashed line marks it), and beside them, if given, what each run learned
    (`learned`: {name: score}, e.g. the validation F1 of the chat tasks).

    >>> fig = forgetting({"base model": 0.6, "LoRA": 0.55, "full fine-tuning": 0.4},
    ...                  {"LoRA": 40.0, "full fine-tuning": 45.0})
    >>> [ax.get_title() for ax in fig.axes]
    ['general questions (what it kept)', 'the tasks (what it learned)']
    """
    import matplotlib.pyplot as plt
    panels = [("general questions (what it kept)", general, "general accuracy")]
    if learned:
        panels.append(("the tasks (what it learned)", learned, "validation F1 (chat)"))
    names = list(general)
    colours = {name: BAR_COLOURS[k % len(BAR_COLOURS)] for k, name in enumerate(names)}
    fig, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 4), squeeze=False)
    for ax, (title, scores, ylabel) in zip(axes[0], panels):
        keys = list(scores)
        values = [scores[k] for k in keys]
        bars = ax.bar(range(len(keys)), values, color=[colours.get(k, "#CC79A7") for k in keys])
        ax.bar_label(bars, fmt="%.3g")
        ax.set_xticks(range(len(keys)), keys)
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.set_ylim(0, max(max(values), 1e-9) * 1.25)
    axes[0][0].axhline(general[names[0]], color="black", linestyle="--", linewidth=1,
                       label=f"{names[0]} (before tuning)")
    axes[0][0].legend(loc="upper right")
    fig.tight_layout()
    plt.close(fig)                          # returned, not left open in pyplot (no side effects)
    return fig
