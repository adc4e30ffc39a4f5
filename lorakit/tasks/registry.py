"""The registry of tasks: each task's name, and the one way from a name (and options) to a Task.

    >>> sorted(TASKS)
    ['chat', 'ner', 'qa', 'sentiment']
    >>> make_task("qa", {"doc_stride": 32, "shots": None, "lr": 0.1}).doc_stride
    32
"""
from ..errors import UnknownChoiceError
from .base import Task
from .chat import ChatTask
from .ner import NerTask
from .qa import QaTask
from .sentiment import SentimentTask

TASKS = {}


def register_task(cls):
    """Add a Task subclass to the registry under `cls.name`; returns it (usable as a decorator)."""
    TASKS[cls.name] = cls
    return cls


for _task in (SentimentTask, NerTask, QaTask, ChatTask):
    register_task(_task)


def task_class(name):
    """The Task subclass called `name`, or an UnknownChoiceError that lists the valid names."""
    if name not in TASKS:
        raise UnknownChoiceError(f"unknown task {name!r} (valid: {', '.join(TASKS)})")
    return TASKS[name]


def get_task(name, **options):
    """The Task object of the task called `name`; `options` go to its constructor."""
    return task_class(name)(**options)


def make_task(name, values, labels=None):
    """The task `name` with its own options taken from `values` (a dict that may hold other
    options too, such as a run's whole config; None keeps the task's default)."""
    kind = task_class(name)
    return kind(labels=labels, **{k: values[k] for k in kind.option_defaults if values.get(k) is not None})


def as_task(task):
    """`task` itself when it is a Task, else the task of that name with its defaults."""
    return task if isinstance(task, Task) else get_task(task)


def option_owners(option):
    """The names of the tasks that have `option` (e.g. "doc_stride": ["qa"])."""
    return [name for name, kind in TASKS.items() if option in kind.option_defaults]
