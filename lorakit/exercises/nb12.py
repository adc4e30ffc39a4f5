"""Checkers for the exercises (`check_N`) and the "Check your understanding" questions (`question_N`)
of lesson 12 (LoRA instruction tuning). Each returns a `Verdict`.

Both exercises are experiments: their checkers check what can be checked (a new wording; the prompt
lengths of your shots), not the accuracies you measured, which depend on your runs.

Example:
    >>> check_1("How does the writer feel about it?")
    Exercise 1: not yet: put $text where the review goes, as the task's own instructions do.
"""
from . import close, question, verdict
from .nb11 import prompt_tokens     # tokens of the first sentiment test row's prompt, by shots

SHOTS = (0, 1, 3, 5)                 # the shots exercise 2 asks for


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


def check_2(lengths):
    """{shots: prompt tokens} of the first sentiment test review for 0, 1, 3 and 5 shots, asked as
    section 5 asks it.

    >>> check_2({0: 10, 1: 5, 3: 20, 5: 30})
    Exercise 2: not yet: more shots make a longer prompt.
    """
    if not isinstance(lengths, dict) or sorted(lengths) != list(SHOTS):
        return verdict(2, ["give a dict {shots: prompt tokens} for 0, 1, 3 and 5 shots"])
    if any(lengths[a] >= lengths[b] for a, b in zip(SHOTS, SHOTS[1:])):
        return verdict(2, ["more shots make a longer prompt"])
    wrong = [k for k in SHOTS if lengths[k] != prompt_tokens(k)]
    if wrong:
        return verdict(2, [f"{wrong[0]} shots: count the tokens of the whole prompt, template markers and "
                           "generation prompt included"])
    return verdict(2, [])


# Question 1: the parts of a training conversation, and whether the loss scores their tokens.
SCORED = {"the system turn": False, "the user's turn": False,
          "<|im_start|>assistant and its newline": False, "the reply": True,
          "the <|im_end|> after the reply": True, "the newline after that <|im_end|>": False}
WHY = {"the system turn": "the system turn is prompt: the model is given it, never asked to write it",
       "the user's turn": "the user's turn is prompt: we want replies, not questions",
       "<|im_start|>assistant and its newline": "the generation prompt is given to the model when it is asked, "
                                                "never written by it",
       "the reply": "the reply is what the model should learn to write",
       "the <|im_end|> after the reply": "the end-of-turn token is scored: it is how the model learns to stop",
       "the newline after that <|im_end|>": "the newline after <|im_end|> is the template's, between turns: "
                                            "lorakit's mask leaves it at -100 (TRL's completion_only_loss "
                                            "scores it)"}
# Questions 2 and 3: a batch's per-token losses, and a batch's conversation lengths.
SCORED_TOKENS, SCORED_MEAN, PROMPT_TOKENS, PROMPT_MEAN = 20, 0.5, 180, 3.0
LENGTHS = (120, 60, 40, 20)


def question_1(scored):
    """{part of a training conversation: True if the loss scores its tokens, else False}, for every
    part in `SCORED`.

    >>> question_1({part: True for part in SCORED})     # doctest: +ELLIPSIS
    Question 1: not yet: the system turn is prompt...
    """
    if not isinstance(scored, dict) or set(scored) != set(SCORED):
        return question(1, ["give a dict {part: True or False} with exactly the parts of SCORED: "
                            + ", ".join(repr(p) for p in SCORED)])
    return question(1, [WHY[part] for part, right in SCORED.items() if scored[part] is not right])


def question_2(masked, unmasked):
    """The masked loss and the loss over all tokens of a batch with `SCORED_TOKENS` scored tokens of
    mean cross-entropy `SCORED_MEAN` and `PROMPT_TOKENS` prompt tokens of mean `PROMPT_MEAN`.

    >>> question_2(0.5, 1.75)
    Question 2: not yet: the loss over all tokens weighs every token alike, not each group's mean.
    """
    total = SCORED_TOKENS * SCORED_MEAN + PROMPT_TOKENS * PROMPT_MEAN
    problems = []
    if not close(masked, SCORED_MEAN):
        problems.append("the masked loss is the mean over the scored tokens only")
    if not close(unmasked, total / (SCORED_TOKENS + PROMPT_TOKENS)):
        if close(unmasked, (SCORED_MEAN + PROMPT_MEAN) / 2):
            problems.append("the loss over all tokens weighs every token alike, not each group's mean")
        else:
            problems.append("the loss over all tokens: the sum of every token's loss over the number of tokens")
    return question(2, problems)


def question_3(share):
    """The share of the positions that are padding when conversations of `LENGTHS` tokens share one
    right-padded batch.

    >>> question_3(1.0)
    Question 3: not yet: the share is padding over all the batch's positions, not over the real tokens.
    """
    positions, real = len(LENGTHS) * max(LENGTHS), sum(LENGTHS)
    if close(share, 1 - real / positions, abs_=0.005):
        return question(3, [])
    if close(share, (positions - real) / real, abs_=0.005):
        return question(3, ["the share is padding over all the batch's positions, not over the real tokens"])
    return question(3, ["every row is padded to the batch's longest conversation: count the positions, then "
                        "the padded ones"])
