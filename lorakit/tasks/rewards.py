"""Verifiable rewards: a chat model's reply to a task's question, scored 0 to 1 against the row's gold.

Reinforcement learning (`lorakit.rl`, lesson 14) needs a number for every sampled reply, and the
course's labelled tasks give one for free: the gold label, entities or answer of the row that the
question was made from. Each task takes one of these as its `reward` method (self is the task):

    label_reward       sentiment: 1 for the gold label alone, in the one-word format asked, else 0
    entity_f1_reward   NER: entity F1 of the reply's [entity, type] pairs (0 when it does not parse)
    token_f1_reward    QA: SQuAD token F1 of the reply against the best gold answer

Example:
    >>> from lorakit.tasks import SentimentTask
    >>> task, row = SentimentTask(), {"text": "Loved it.", "label": 1}
    >>> [label_reward(task, reply, row) for reply in ["Positive.", "positive", "It is positive.", "Negative"]]
    [1.0, 1.0, 0.0, 0.0]
"""
import re

from .squad import squad_f1


def label_reward(task, reply, row):
    """1.0 when the reply is the gold label word and nothing else (any case; punctuation or markup
    such as "**" around it allowed), else 0.0: right, and in the format the question asked."""
    gold = task.to_chat(row)[1]
    return float(re.fullmatch(rf"\W*{re.escape(gold)}\W*", reply.strip(), re.IGNORECASE) is not None)


def entity_f1_reward(task, reply, row):
    """Entity F1 (0-1) of the reply's entities against the row's gold ones, as seqeval counts an
    entity (type and words in place); 1.0 when neither has any, 0.0 when the reply does not parse.

    >>> from lorakit.tasks import NerTask
    >>> row = {"tokens": ["Anna", "Berg", "left", "Oslo", "."], "ner_tags": [1, 2, 0, 5, 0]}
    >>> entity_f1_reward(NerTask(), '[["Anna Berg", "PER"]]', row)   # P = 1, R = 1/2
    0.6666666666666666
    """
    from seqeval.metrics.sequence_labeling import get_entities
    tags = task.from_reply(reply, row)
    if tags is None:
        return 0.0
    gold = set(get_entities(task._ids_to_names(row["ner_tags"], task.labels)))
    found = set(get_entities(tags))
    if not gold and not found:
        return 1.0
    return 2 * len(gold & found) / (len(gold) + len(found))


def token_f1_reward(task, reply, row):
    """SQuAD's token F1 (0-1) of the reply's answer against the best-matching gold answer.

    >>> from lorakit.tasks import QaTask
    >>> token_f1_reward(QaTask(), "in northern France", {"answers": {"text": ["Northern France"]}})
    0.8
    """
    answer = task.from_reply(reply, row) or ""
    return max(squad_f1(answer, gold) for gold in row["answers"]["text"])
