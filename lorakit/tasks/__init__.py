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

Adding a task is one module (a `Task` subclass) plus one line in `registry.py`; a notebook or test
can also `register_task` its own. `by_name.py` offers a task's data and model by its name.
"""
from .base import IGNORE_INDEX, Collator, Task
from .chat import AskedTask, ChatTask
from .conll import NER_TAGS, read_conll
from .conversations import read_chat
from .ner import NerTask, align_labels_with_tokens, continuation_labels
from .qa import QaTask, Span, best_span, read_squad
from .registry import TASKS, as_task, get_task, make_task, register_task
from .sentiment import SENTIMENT_LABELS, SentimentTask, read_sentiment
from .squad import squad_exact_match, squad_f1, squad_normalize

__all__ = ["IGNORE_INDEX", "NER_TAGS", "SENTIMENT_LABELS", "TASKS", "AskedTask", "ChatTask", "Collator",
           "NerTask", "QaTask", "read_chat",
           "SentimentTask", "Span", "Task", "align_labels_with_tokens", "best_span",
           "as_task", "continuation_labels", "get_task", "make_task", "read_conll", "read_sentiment", "read_squad",
           "register_task", "squad_exact_match", "squad_f1", "squad_normalize"]
