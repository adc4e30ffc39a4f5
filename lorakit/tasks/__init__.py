"""The tasks, one module each, and the registry that names them.

Everything about a task lives in its module: file format and reader, schema, the Hub data set,
tokenisation and label alignment, model outputs, post-processing, metrics, the prediction file,
the model class, training defaults and the task's own options. Nothing outside this package names
a task; the rest of lorakit asks the registry:

    >>> sorted(TASKS)
    ['chat', 'ner', 'qa', 'sentiment']
    >>> get_task("qa").main_metric, get_task("ner", label_all_tokens=True).label_all_tokens
    ('f1', True)
    >>> get_task("pos")
    Traceback (most recent call last):
    lorakit.errors.UnknownChoiceError: unknown task 'pos' (valid: sentiment, ner, qa, chat)

Adding a task is one module (a `Task` subclass) plus one line here; a notebook or test can also
`register_task` its own.
"""
from ..errors import UnknownChoiceError
from .base import IGNORE_INDEX, Collator, Task
from .chat import AskedTask, ChatTask, read_chat
from .ner import NER_TAGS, NerTask, align_labels_with_tokens, continuation_labels, read_conll
from .qa import QaTask, Span, best_span, read_squad
from .sentiment import SENTIMENT_LABELS, SentimentTask, read_sentiment
from .squad import squad_exact_match, squad_f1, squad_normalize

TASKS = {}


def register_task(cls):
    """Add a Task subclass to the registry under `cls.name`; returns it (usable as a decorator)."""
    TASKS[cls.name] = cls
    return cls


for _task in (SentimentTask, NerTask, QaTask, ChatTask):
    register_task(_task)


def get_task(name, **options):
    """The Task object of the task called `name`; `options` go to its constructor."""
    if name not in TASKS:
        raise UnknownChoiceError(f"unknown task {name!r} (valid: {', '.join(TASKS)})")
    return TASKS[name](**options)


__all__ = ["IGNORE_INDEX", "NER_TAGS", "SENTIMENT_LABELS", "TASKS", "AskedTask", "ChatTask", "Collator",
           "NerTask", "QaTask", "read_chat",
           "SentimentTask", "Span", "Task", "align_labels_with_tokens", "best_span",
           "continuation_labels", "get_task", "read_conll", "read_sentiment", "read_squad",
           "register_task", "squad_exact_match", "squad_f1", "squad_normalize"]
