"""Checkers for the exercises (`check_N`) and the "Check your understanding" questions (`question_N`)
of lesson 13 (forgetting). Each returns a `Verdict`.

Exercise 1 is also an experiment (general accuracy against rank and replay): its checker checks the
trainable parameters you count by hand, not the accuracies you measured, which depend on your runs.

Example:
    >>> check_1({2: 407040, 32: 6512640 * 2})
    Exercise 1: not yet: r=32: the count is linear in r.
"""
from . import close, question, verdict

# SmolLM2-135M-Instruct: 30 decoder blocks, of which the chat default ("top-2/3") adapts the top 20;
# (d_in, d_out) of each adapted Linear layer of a block (grouped-query attention: 9 query heads, 3
# key/value heads of 64; MLP width 1536). lm_head is tied to the embeddings and not adapted.
BLOCKS = 20
SHAPES = {"q_proj": (576, 576), "k_proj": (576, 192), "v_proj": (576, 192), "o_proj": (576, 576),
          "gate_proj": (576, 1536), "up_proj": (576, 1536), "down_proj": (1536, 576)}
# The general question of exercise 2 and its accepted answer (data/chat/general.jsonl, first line).
ACCEPTED = "Paris"


def check_1(counts):
    """{r: trainable parameters} of the chat adapter (the default targets: every Linear layer of the
    top two thirds of the blocks), for r = 2 and r = 32.

    >>> check_1({2: 407040, 32: 6512640})
    Exercise 1: correct.
    """
    if not isinstance(counts, dict):
        return verdict(1, ["give a dict {r: trainable parameters} for r = 2 and r = 32"])
    per_rank = BLOCKS * sum(d_in + d_out for d_in, d_out in SHAPES.values())
    problems = []
    for r in (2, 32):
        if r not in counts:
            problems.append(f"give the count for r={r}")
        elif not close(counts[r], r * per_rank):
            if 2 in counts and r == 32 and close(counts[2], 2 * per_rank):
                problems.append("r=32: the count is linear in r")
            elif close(counts[r], r * per_rank + r * (576 + 49152)):
                problems.append(f"r={r}: lm_head is tied to the embeddings and not adapted")
            else:
                problems.append(f"r={r}: add r (d_in + d_out) over the 7 Linear layers of each adapted block "
                                f"(the top two thirds: {BLOCKS} of 30)")
    return verdict(1, problems)


def check_2(judged):
    """{reply: True if the general score counts it right, else False} for the question "What is the
    capital of France?" (accepted answer: Paris), as `ChatTask.metrics` scores it (`contains`).

    >>> check_2({"Paris.": True, "Lyon.": False})
    Exercise 2: correct.
    >>> check_2({"I would say paris": False})
    Exercise 2: not yet: 'I would say paris' counts as right: an accepted answer anywhere in the reply, in any case, whatever else the reply says.
    """
    from ..tasks.chat import contains
    if not isinstance(judged, dict) or not judged:
        return verdict(2, ["give a dict {reply: True or False}, with at least one reply"])
    problems = []
    for reply, right in judged.items():
        if not isinstance(reply, str) or not isinstance(right, bool):
            problems.append(f"{reply!r}: give each reply as a string and your judgement as True or False")
            continue
        actual = contains(reply, ACCEPTED)
        if actual == right:
            continue
        if actual:
            problems.append(f"{reply!r} counts as right: an accepted answer anywhere in the reply, in any case, "
                            "whatever else the reply says")
        elif ACCEPTED.lower() in reply.lower():
            problems.append(f"{reply!r} counts as wrong: the answer must stand as whole words, with no letter "
                            "or digit joined to it")
        else:
            problems.append(f"{reply!r} counts as wrong: only the accepted answers' words count, not their meaning")
    return verdict(2, problems)


# Question 1: the share of its update `train` kept (the chat default's update_scale), the share wanted.
KEPT, WANTED = 0.8, 0.5
# Question 2: the chat default's replay, and the task conversations of a full-mode run.
REPLAY, TASK_ROWS = 0.3, 240
# Question 3's choices, as the lesson lists them, and why each wrong one is wrong.
WHAT_IT_SHOWS = {
    "a": "that is Biderman et al.'s finding, at each method's best learning rate after long training; one short "
         "run with the defaults' learning rates is not that comparison, and can come out the other way",
    "b": "",
    "c": "the lesson's run shows one learning rate per method, so it says nothing about every learning rate",
}


def question_1(factor):
    """The factor that `rescaled(lora.model, factor)` needs to show `WANTED` of the trained update, when
    `train` kept `KEPT` of it.

    >>> question_1(0.5)
    Question 1: not yet: the model already holds 0.8 of the update, and rescaled multiplies what it holds.
    """
    if close(factor, WANTED / KEPT):
        return question(1, [])
    if close(factor, WANTED):
        return question(1, [f"the model already holds {KEPT:g} of the update, and rescaled multiplies what it holds"])
    return question(1, [f"rescaled multiplies every scaling, which holds {KEPT:g} of the update now: which factor "
                        f"turns {KEPT:g} into {WANTED:g}?"])


def question_2(replayed, share):
    """With `replay` = `REPLAY` and `TASK_ROWS` task conversations: how many replayed conversations the
    training set gets, and what share of the mixed training set they are.

    >>> question_2(72, 0.3)
    Question 2: not yet: replay counts replayed rows per task row, so their share of the mixed set is smaller.
    """
    extra = round(REPLAY * TASK_ROWS)
    problems = []
    if isinstance(replayed, bool) or not isinstance(replayed, int) or replayed != extra:
        problems.append(f"replay {REPLAY:g} adds that many replayed rows for every task row")
    if close(share, REPLAY):
        problems.append("replay counts replayed rows per task row, so their share of the mixed set is smaller")
    elif not close(share, extra / (TASK_ROWS + extra), abs_=0.005):
        problems.append("the share is the replayed rows over all the rows of the mixed set")
    return question(2, problems)


def question_3(choice):
    """What section 2's table shows: one letter, "a", "b" or "c".

    >>> question_3("b")
    Question 3: correct.
    """
    choice = choice.strip().lower() if isinstance(choice, str) else choice
    if choice not in WHAT_IT_SHOWS:
        return question(3, ['answer with one letter: "a", "b" or "c"'])
    return question(3, [WHAT_IT_SHOWS[choice]] if WHAT_IT_SHOWS[choice] else [])
