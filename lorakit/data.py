"""The course's data: the bundled data sets, a task's files, and the Hub data sets in the same schema.

Every loader returns `datasets.Dataset`s in the task's schema, the one the Hub's reference data set
uses, so that the rest of lorakit never asks where the data came from. Each task's module
(`lorakit.tasks.sentiment`, `.ner`, `.qa`) describes its file format and schema and reads its
files; this module finds the files and the Hub sets and hands them to the task.

Files to predict on may have no labels at all: with `require_labels=False` the readers accept
them and leave the label column (`label`, `ner_tags` or `answers`) out of the Dataset.

Example:
    >>> dd = load_task_data("sentiment", max_examples=4)
    >>> {split: len(ds) for split, ds in dd.items()}
    {'train': 4, 'validation': 4, 'test': 4}
    >>> dd["train"].features["label"].names
    ['negative', 'positive']
"""
from pathlib import Path

import datasets

from .errors import ConfigError, DataError, UnknownChoiceError
from .tasks import TASKS, get_task
from .tasks.reading import SPLITS

SOURCES = ("bundled", "hub")


def _check_choice(kind, value, valid):
    if value not in valid:
        raise UnknownChoiceError(f"unknown {kind} {value!r} (valid: {', '.join(valid)})")


def bundled_data_dir() -> Path:
    """The folder with the bundled data: `data/` beside the package in a checkout or editable
    install, else `lorakit/bundled/` inside an installed wheel.

    Example:
        >>> (bundled_data_dir() / "sentiment" / "train.csv").is_file()
        True
    """
    package = Path(__file__).resolve().parent            # = Path(lorakit.__file__).parent
    checkout = package.parent / "data"
    if any((checkout / task).is_dir() for task in TASKS):
        return checkout
    return package / "bundled"


def bundled_path(task: str, split: str) -> Path:
    """The bundled file of one task and split.

    Example:
        >>> bundled_path("ner", "test").name
        'test.conll'
    """
    file_name = get_task(task).file_name
    _check_choice("split", split, SPLITS)
    return bundled_data_dir() / task / file_name.format(split=split)


def task_features(task: str):
    """The `datasets.Features` of a task's schema.

    Example:
        >>> task_features("ner")["ner_tags"].feature.names[:3]
        ['O', 'B-PER', 'I-PER']
    """
    return get_task(task).features()


def read_task_file(task: str, path, require_labels: bool = True):
    """Read a file in the format of `task` (e.g. "sentiment", "ner" or "qa"); with
    `require_labels=False` the file may have no labels (for prediction).

    Example:
        >>> len(read_task_file("qa", bundled_path("qa", "test")))
        600
    """
    return get_task(task).read(path, require_labels=require_labels)


def load_split(task: str, split: str):
    """One bundled split ("train", "validation" or "test") of a task.

    Example:
        >>> load_split("ner", "validation").num_rows
        800
    """
    path = bundled_path(task, split)
    if not path.is_file():
        raise DataError(f"{path}: no such file; the bundled data is missing "
                        "(in a checkout, run: python tools/make_data.py)")
    return read_task_file(task, path)


def load_task_data(task: str, source: str = "bundled", max_examples=None):
    """Train, validation and test splits of a task, from the bundled files (`source="bundled"`)
    or the real Hub data sets (`source="hub"`, needs the internet or the Hub cache), all in the
    task's schema. `max_examples` keeps the first N examples of each split (fast mode).

    Example:
        >>> dd = load_task_data("qa", max_examples=2)
        >>> dd["test"].column_names
        ['id', 'title', 'context', 'question', 'answers']
    """
    from datasets import DatasetDict
    get_task(task)
    _check_choice("source", source, SOURCES)
    if max_examples is not None and (isinstance(max_examples, bool)
                                     or not isinstance(max_examples, int) or max_examples < 1):
        raise ConfigError(f"max_examples must be a positive integer or None, got {max_examples!r}")
    if source == "hub":
        dd = load_hub(task)
    else:
        dd = DatasetDict({split: load_split(task, split) for split in SPLITS})
    if max_examples is not None:
        dd = DatasetDict({s: ds.select(range(min(max_examples, len(ds)))) for s, ds in dd.items()})
    return dd


def load_hub(task: str, name=None):
    """Download (or take from the Hub cache) the real data set of a task and map it to the
    task's schema: the task's `hub_name` (e.g. `stanfordnlp/sst2`, `lhoestq/conll2003`,
    `rajpurkar/squad`) unless `name` names another data set of the same shape.

    Example (needs the internet):
        >>> load_hub("ner")["train"].features["ner_tags"].feature.names[:2]  # doctest: +SKIP
        ['O', 'B-PER']
    """
    kind = get_task(task)
    name = name or kind.hub_name
    try:
        dd = datasets.load_dataset(name)
    except Exception as e:        # network, cache or name errors all come out as one line
        first = str(e).strip().splitlines()[0] if str(e).strip() else ""
        raise DataError(f"could not load {name!r} from the Hugging Face Hub "
                        f"({type(e).__name__}: {first})") from e
    return kind.from_hub(dd)
