"""A task's data and model, asked for by the task's name (or given its Task): what `lorakit.data` and
`lorakit.models` offer a notebook that writes `load_task_data("ner")`.

Every loader returns `datasets.Dataset`s in the task's schema, the one the Hub's reference data set
uses, so that the rest of lorakit never asks where the data came from. Each task's module describes
its file format and reads its files; this module finds the files and the Hub sets and hands them to
the task. Files to predict on may have no labels at all: with `require_labels=False` the readers
accept them and leave the label column (`label`, `ner_tags` or `answers`) out of the Dataset.

Example:
    >>> dd = load_task_data("sentiment", max_examples=4)
    >>> {split: len(ds) for split, ds in dd.items()}
    {'train': 4, 'validation': 4, 'test': 4}
    >>> dd["train"].features["label"].names
    ['negative', 'positive']
"""
import datasets

from .. import interrupts
from ..errors import ConfigError, DataError, UnknownChoiceError
from .reading import SPLITS
from .registry import as_task

SOURCES = ("bundled", "hub")


def bundled_path(task, split):
    """The bundled file of one task (a Task or its name) and split.

    Example:
        >>> bundled_path("ner", "test").name
        'test.conll'
    """
    return as_task(task).bundled_path(split)


def task_features(task):
    """The `datasets.Features` of a task's schema.

    Example:
        >>> task_features("ner")["ner_tags"].feature.names[:3]
        ['O', 'B-PER', 'I-PER']
    """
    return as_task(task).features()


def read_task_file(task, path, require_labels=True):
    """Read a file in the format of `task` (e.g. "sentiment", "ner" or "qa"); with
    `require_labels=False` the file may have no labels (for prediction).

    Example:
        >>> len(read_task_file("qa", bundled_path("qa", "test")))
        600
    """
    return as_task(task).read(path, require_labels=require_labels)


def load_split(task, split):
    """One bundled split ("train", "validation" or "test") of a task.

    Example:
        >>> load_split("ner", "validation").num_rows
        800
    """
    return as_task(task).bundled_split(split)


def load_task_data(task, source="bundled", max_examples=None):
    """Train, validation and test splits of a task, from the bundled files (`source="bundled"`)
    or the real Hub data sets (`source="hub"`, needs the internet or the Hub cache), all in the
    task's schema. `max_examples` keeps the first N examples of each split (fast mode).

    Example:
        >>> dd = load_task_data("qa", max_examples=2)
        >>> dd["test"].column_names
        ['id', 'title', 'context', 'question', 'answers']
    """
    interrupts.reached("data")
    task = as_task(task)
    if source not in SOURCES:
        raise UnknownChoiceError(f"unknown source {source!r} (valid: {', '.join(SOURCES)})")
    if max_examples is not None and (isinstance(max_examples, bool)
                                     or not isinstance(max_examples, int) or max_examples < 1):
        raise ConfigError(f"max_examples must be a positive integer or None, got {max_examples!r}")
    if source == "hub":
        dd = load_hub(task)
    else:
        dd = datasets.DatasetDict({split: task.bundled_split(split) for split in SPLITS})
    if max_examples is not None:
        dd = datasets.DatasetDict({s: ds.select(range(min(max_examples, len(ds)))) for s, ds in dd.items()})
    return dd


def load_hub(task, name=None):
    """Download (or take from the Hub cache) the real data set of a task and map it to the
    task's schema: the task's `hub_name` (e.g. `stanfordnlp/sst2`, `lhoestq/conll2003`,
    `rajpurkar/squad`) unless `name` names another data set of the same shape.

    Example (needs the internet):
        load_hub("ner")["train"].features["ner_tags"].feature.names[:2]
        ['O', 'B-PER']
    """
    task = as_task(task)
    name = name or task.hub_name
    try:
        dd = datasets.load_dataset(name)
    except Exception as e:        # network, cache or name errors all come out as one line
        first = str(e).strip().splitlines()[0] if str(e).strip() else ""
        raise DataError(f"could not load {name!r} from the Hugging Face Hub "
                        f"({type(e).__name__}: {first})") from e
    return task.from_hub(dd)


def load_task_model(task, labels=None, name_or_path=None, attention_dropout=None):
    """A pretrained body with a freshly initialised head for `task` (a Task or its name).

    `labels` (a list of label names) sets the head size and id2label for classification tasks.
    `attention_dropout`, if given, replaces the model's dropout on attention probabilities.
    """
    return as_task(task).load_model(labels, name_or_path, attention_dropout)
