"""Checkers for the exercises of lesson 13 (forgetting). Each returns a `Verdict`.

Exercise 1 is also an experiment (general accuracy against rank and replay): its checker checks the
trainable parameters you count by hand, not the accuracies you measured, which depend on your runs.

Example:
    >>> check_1({2: 407040, 32: 6512640 * 2})
    Exercise 1: not yet: r=32: the count is linear in r.
"""
from . import close, verdict

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
