"""Checkers for the exercises of lesson 12 (LoRA on a chat LLM). Each returns a `Verdict`.

Exercises 1 and 4 are experiments: their checkers check what can be checked (a new wording; the prompt
lengths of your shots), not the accuracies you measured, which depend on your runs.

Example:
    >>> check_2({2: 407040, 32: 6512640 * 2})
    Exercise 2: not yet: r=32: the count is linear in r.
"""
import functools

from . import close, verdict

# SmolLM2-135M-Instruct: 30 decoder blocks, of which the chat default ("top-2/3") adapts the top 20;
# (d_in, d_out) of each adapted Linear layer of a block (grouped-query attention: 9 query heads, 3
# key/value heads of 64; MLP width 1536). lm_head is tied to the embeddings and not adapted.
BLOCKS = 20
SHAPES = {"q_proj": (576, 576), "k_proj": (576, 192), "v_proj": (576, 192), "o_proj": (576, 576),
          "gate_proj": (576, 1536), "up_proj": (576, 1536), "down_proj": (1536, 576)}


def check_1(wording):
    """A sentiment instruction of your own: a string with `$text` where the review goes, not one of the
    wordings the chat data trains on.

    >>> check_1("Is this review positive or negative?\\n\\n$text")
    Exercise 1: correct.
    """
    from ..tasks import SentimentTask
    if not isinstance(wording, str):
        return verdict(1, ["give the instruction as a string"])
    problems = []
    if "$text" not in wording:
        problems.append("put $text where the review goes, as the task's own instructions do")
    if wording in SentimentTask.chat_instructions:
        problems.append("that wording is in the training data; write one the adapter never saw")
    return verdict(1, problems)


def check_2(counts):
    """{r: trainable parameters} of the chat adapter (the default targets: every Linear layer of the
    top two thirds of the blocks), for r = 2 and r = 32.

    >>> check_2({2: 407040, 32: 6512640})
    Exercise 2: correct.
    """
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
    return verdict(2, problems)


def check_3(tokens, predictions):
    """Your predictions of `NerTask.from_reply`: {reply: BIO tags on `tokens`, or None if unparsed}.

    >>> tokens = "Anna left Oslo .".split()
    >>> check_3(tokens, {'{"LOC": "Oslo"}': ["O", "O", "B-LOC", "O"]})
    Exercise 3: not yet: '{"LOC": "Oslo"}' does not parse: is it [[entity, type], ...] or {type: [entity, ...]}?.
    """
    from ..tasks import NerTask
    ner, row = NerTask(), {"tokens": list(tokens)}
    problems = []
    for reply, predicted in predictions.items():
        actual = ner.from_reply(reply, row)
        if actual == predicted:
            continue
        if actual is None:
            problems.append(f"{reply!r} does not parse: is it [[entity, type], ...] or {{type: [entity, ...]}}?")
        elif predicted is None:
            problems.append(f"{reply!r} parses (a fence, an unknown type or an empty list is allowed)")
        else:
            problems.append(f"{reply!r}: check where each entity is tagged, and which are dropped")
    return verdict(3, problems)


@functools.lru_cache(maxsize=8)
def prompt_tokens(shots):
    """Tokens of the prompt that asks the first sentiment test review with `shots` solved examples."""
    from ..data import load_split
    from ..models import load_tokenizer
    from ..tasks import AskedTask, ChatTask, SentimentTask
    tokenizer = load_tokenizer(ChatTask.base_model())
    review = load_split("sentiment", "test").select([0])
    return len(AskedTask(SentimentTask(), shots=shots).encode(review, tokenizer)["input_ids"][0])


def check_4(lengths):
    """{shots: prompt tokens} for the first sentiment test review, as section 5 asks it.

    >>> check_4({0: 10, 1: 5})  # doctest: +SKIP
    Exercise 4: not yet: more shots make a longer prompt.
    """
    shots = sorted(lengths)
    if any(lengths[a] >= lengths[b] for a, b in zip(shots, shots[1:])):
        return verdict(4, ["more shots make a longer prompt"])
    wrong = [k for k in shots if lengths[k] != prompt_tokens(k)]
    if wrong:
        return verdict(4, [f"{k} shots: count the tokens of the whole prompt, template markers and "
                           "generation prompt included" for k in wrong[:1]])
    return verdict(4, [])
