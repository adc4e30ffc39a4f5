"""Checkers for the exercises of lesson 12 (LoRA instruction tuning). Each returns a `Verdict`.

Both exercises are experiments: their checkers check what can be checked (a new wording; the prompt
lengths of your shots), not the accuracies you measured, which depend on your runs.

Example:
    >>> check_1("How does the writer feel about it?")
    Exercise 1: not yet: put $text where the review goes, as the task's own instructions do.
"""
import functools

from . import verdict


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


@functools.lru_cache(maxsize=8)
def prompt_tokens(shots):
    """Tokens of the prompt that asks the first sentiment test review with `shots` solved examples."""
    from ..data import load_split
    from ..models import load_tokenizer
    from ..tasks import AskedTask, ChatTask, SentimentTask
    tokenizer = load_tokenizer(ChatTask.base_model())
    review = load_split("sentiment", "test").select([0])
    return len(AskedTask(SentimentTask(), shots=shots).encode(review, tokenizer)["input_ids"][0])


def check_2(lengths):
    """{shots: prompt tokens} for the first sentiment test review, asked as section 5 asks it.

    >>> check_2({0: 10, 1: 5})
    Exercise 2: not yet: more shots make a longer prompt.
    """
    shots = sorted(lengths)
    if any(lengths[a] >= lengths[b] for a, b in zip(shots, shots[1:])):
        return verdict(2, ["more shots make a longer prompt"])
    wrong = [k for k in shots if lengths[k] != prompt_tokens(k)]
    if wrong:
        return verdict(2, [f"{k} shots: count the tokens of the whole prompt, template markers and "
                           "generation prompt included" for k in wrong[:1]])
    return verdict(2, [])
