"""Checkers for the exercises (`check_N`) and the "Check your understanding" questions (`question_N`)
of lesson 11 (prompting a chat LLM). Each returns a `Verdict`.

Example:
    >>> check_1("Anna left Oslo .".split(), {'[["Oslo", "LOC"]]': ["O", "O", "B-LOC", "O"]})
    Exercise 1: correct.
"""
import functools

from . import build_task, question, verdict


def check_1(tokens, predictions):
    """Your predictions of `NerTask.from_reply`: {reply: BIO tags on `tokens`, or None if unparsed}.

    >>> tokens = "Anna left Oslo .".split()
    >>> check_1(tokens, {'{"LOC": "Oslo"}': ["O", "O", "B-LOC", "O"]})
    Exercise 1: not yet: '{"LOC": "Oslo"}' does not parse: only [[entity, type], ...] or {type: [entity, ...]} do.
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
            problems.append(f"{reply!r} does not parse: only [[entity, type], ...] or {{type: [entity, ...]}} do")
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

    check_2("<|im_start|>user\\nHello<|im_end|>\\n")
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


# Question 2's choices, as the lesson lists them, and why each wrong one is wrong.
WHY_EMPTY = {
    "a": "the model answered the same question with the template, so it can answer it",
    "b": "",
    "c": "length has nothing to do with it: the reply stops at the first token the model writes",
}


@functools.lru_cache(maxsize=8)
def prompt_tokens(shots, task="sentiment"):
    """Tokens of the prompt that asks the first test row of `task` with `shots` solved examples, with
    the bundled model's tokenizer (lesson 11's prompt-length table; lesson 12's exercise 2)."""
    from ..data import load_split
    from ..models import load_tokenizer
    from ..tasks import AskedTask, ChatTask
    tokenizer = load_tokenizer(ChatTask.base_model())
    row = load_split(task, "test").select([0])
    return len(AskedTask(build_task(task), shots=shots).encode(row, tokenizer)["input_ids"][0])


def question_1(roles):
    """The roles of the turns in the zero-shot prompt of section 4, in order, up to and including the
    turn the generation prompt opens: a list of role names.

    >>> question_1(["system", "user", "assistant"])
    Question 1: correct.
    >>> question_1(["user", "assistant"])
    Question 1: not yet: SmolLM2's template writes its default system turn first when the conversation has none.
    """
    if not isinstance(roles, (list, tuple)) or not all(isinstance(r, str) for r in roles):
        return question(1, ["give the roles as a list of strings, in order"])
    roles = [r.strip().lower() for r in roles]
    if roles == ["system", "user", "assistant"]:
        return question(1, [])
    if not roles or roles[0] != "system":
        return question(1, ["SmolLM2's template writes its default system turn first when the conversation has none"])
    if roles[-1] != "assistant":
        return question(1, ["the prompt ends with the generation prompt, which opens a turn: whose?"])
    return question(1, ["a zero-shot question is one user turn between the system turn and the generation prompt"])


def question_2(choice):
    """Why was the reply to a bare request (no template) empty? One letter: "a", "b" or "c".

    >>> question_2("b")
    Question 2: correct.
    """
    choice = choice.strip().lower() if isinstance(choice, str) else choice
    if choice not in WHY_EMPTY:
        return question(2, ['answer with one letter: "a", "b" or "c"'])
    return question(2, [WHY_EMPTY[choice]] if WHY_EMPTY[choice] else [])


def question_3(extra):
    """How many more tokens the 3-shot prompt of the first sentiment test row has than its zero-shot
    prompt, with the bundled model (the prompt-length table of section 4).

    >>> question_3("many")
    Question 3: not yet: give a number of tokens.
    """
    if isinstance(extra, bool) or not isinstance(extra, int):
        return question(3, ["give a number of tokens"])
    zero, three = prompt_tokens(0), prompt_tokens(3)
    if extra == three - zero:
        return question(3, [])
    if extra == three:
        return question(3, ["that is the whole 3-shot prompt; how many of its tokens did the shots add?"])
    return question(3, ["subtract the 0-shot prompt's length from the 3-shot prompt's, in the sentiment column"])
