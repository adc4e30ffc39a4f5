"""Checkers for the exercises of lesson 11 (prompting a chat LLM). Each returns a `Verdict`.

Example:
    >>> check_1("Anna left Oslo .".split(), {'[["Oslo", "LOC"]]': ["O", "O", "B-LOC", "O"]})
    Exercise 1: correct.
"""
import functools

from . import verdict


def check_1(tokens, predictions):
    """Your predictions of `NerTask.from_reply`: {reply: BIO tags on `tokens`, or None if unparsed}.

    >>> tokens = "Anna left Oslo .".split()
    >>> check_1(tokens, {'{"LOC": "Oslo"}': ["O", "O", "B-LOC", "O"]})
    Exercise 1: not yet: '{"LOC": "Oslo"}' does not parse: is it [[entity, type], ...] or {type: [entity, ...]}?.
    """
    from ..tasks import NerTask
    if not isinstance(predictions, dict) or not predictions:
        return verdict(1, ["give a dict {reply: predicted BIO tags, or None}, with at least one reply"])
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
    return verdict(1, problems)


@functools.lru_cache(maxsize=1)
def sentiment_prompt():
    """(prompt text, user turn) of the zero-shot question for the first sentiment test review, as
    section 4 of lesson 11 asks it with the bundled model's chat template."""
    from ..data import load_split
    from ..models import load_tokenizer
    from ..tasks import AskedTask, ChatTask, SentimentTask
    tokenizer = load_tokenizer(ChatTask.base_model())
    review = load_split("sentiment", "test").select([0])
    ids = AskedTask(SentimentTask()).encode(review, tokenizer)["input_ids"][0]
    return tokenizer.decode(ids), SentimentTask().to_chat(review[0])[0][0]["content"]


def check_2(text):
    """The zero-shot prompt for the first sentiment test review, written by hand as one string: every
    turn SmolLM2's chat template writes, up to and including the generation prompt.

    >>> check_2(None)
    Exercise 2: not yet: give the prompt as one string.
    >>> check_2("<|im_start|>user\\nHello<|im_end|>\\n")     # doctest: +SKIP
    Exercise 2: not yet: SmolLM2's template writes a system turn first when the conversation has none.
    """
    if not isinstance(text, str):
        return verdict(2, ["give the prompt as one string"])
    expected, question = sentiment_prompt()
    if text == expected:
        return verdict(2, [])
    if not text.startswith("<|im_start|>system\n"):
        problem = "SmolLM2's template writes a system turn first when the conversation has none"
    elif question not in text:
        problem = ("the user's turn holds the task's canonical instruction (SentimentTask.chat_instructions[0]) "
                   "with the review in place of $text")
    elif not text.endswith("<|im_start|>assistant\n"):
        problem = "end with the generation prompt: the assistant's turn opened, then a newline"
    else:
        problem = ("each turn is <|im_start|>, the role, a newline, the content, <|im_end|> and a newline: "
                   "compare yours with the template's turn by turn (the system turn's words too)")
    return verdict(2, [problem])
