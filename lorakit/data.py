"""The course's data: readers of the three task formats, the bundled data sets, and the Hub data
sets mapped to the same schema.

Every loader returns `datasets.Dataset`s with one schema per task, the one the Hub's reference
data set uses, so that the rest of lorakit never asks where the data came from:

    sentiment  text: str, label: ClassLabel(["negative", "positive"])          (stanfordnlp/sst2)
    ner        id: str, tokens: [str], ner_tags: [ClassLabel(NER_TAGS)]         (CoNLL-2003)
    qa         id, title, context, question: str,
               answers: {"text": [str], "answer_start": [int32]}                (rajpurkar/squad)

Files on disk (a user's own, or the bundled ones under `data/`):

    sentiment  CSV with a header that has `text` and `label`, or JSON Lines {"text", "label"};
               labels "positive"/"negative" (any case) or 0/1
    ner        CoNLL: "token ... TAG" per line (the tag is the last column), a blank line between
               sentences, "-DOCSTART-" lines ignored; tags from NER_TAGS (BIO over PER ORG LOC MISC)
               and columns split at ASCII blanks only: a token may hold a no-break space
    qa         SQuAD v1.1 JSON: {"data": [{"title", "paragraphs": [{"context",
               "qas": [{"id", "question", "answers": [{"text", "answer_start"}]}]}]}]}

Files to predict on may have no labels at all: with `require_labels=False` the readers accept
them and leave the label column (`label`, `ner_tags` or `answers`) out of the Dataset.

Bad input raises a `DataError` with a one-line message that names the file and the line (1-based)
or question id, and says what would be valid; nothing is skipped silently. The readers are plain
Python (csv, json) rather than pandas, so that every error can point at its line. Line-based files
(CoNLL, JSON Lines) are split at "\\n" only (a final "\\r" is dropped), never at the other breaks
that `str.splitlines` knows (U+2028, U+0085, ...), so that line numbers are those of an editor.

Example:
    >>> dd = load_task_data("sentiment", max_examples=4)
    >>> {split: len(ds) for split, ds in dd.items()}
    {'train': 4, 'validation': 4, 'test': 4}
    >>> dd["train"].features["label"].names
    ['negative', 'positive']
"""
import csv
import io
import json
import random
import re
from pathlib import Path

import datasets
from datasets import ClassLabel, Dataset, DatasetDict, Features, Sequence, Value

from .errors import ConfigError, DataError

TASKS = ("sentiment", "ner", "qa")
SPLITS = ("train", "validation", "test")
SENTIMENT_LABELS = ["negative", "positive"]
NER_TAGS = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"]
FILE_NAMES = {"sentiment": "{split}.csv", "ner": "{split}.conll", "qa": "{split}.json"}
HUB_NAMES = {"sentiment": "stanfordnlp/sst2", "ner": "lhoestq/conll2003", "qa": "rajpurkar/squad"}

_TAG_INDEX = {tag: i for i, tag in enumerate(NER_TAGS)}
_LABELS = {"negative": 0, "positive": 1, "0": 0, "1": 1}


class UnknownChoiceError(DataError, ConfigError):
    """An unknown task, split or source name: a data error and an option error at once, so that
    both `except DataError` and `except ConfigError` catch it."""


def task_features(task: str) -> Features:
    """The `datasets.Features` of a task's schema.

    Example:
        >>> task_features("ner")["ner_tags"].feature.names[:3]
        ['O', 'B-PER', 'I-PER']
    """
    _check_choice("task", task, TASKS)
    if task == "sentiment":
        return Features({"text": Value("string"), "label": ClassLabel(names=SENTIMENT_LABELS)})
    if task == "ner":
        return Features({"id": Value("string"), "tokens": Sequence(Value("string")),
                         "ner_tags": Sequence(ClassLabel(names=NER_TAGS))})
    return Features({"id": Value("string"), "title": Value("string"),
                     "context": Value("string"), "question": Value("string"),
                     "answers": Sequence({"text": Value("string"),
                                          "answer_start": Value("int32")})})


def _check_choice(kind, value, valid):
    if value not in valid:
        raise UnknownChoiceError(f"unknown {kind} {value!r} (valid: {', '.join(valid)})")


# ---------------------------------------------------------------------------------------------
# Where the bundled files are.
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
    _check_choice("task", task, TASKS)
    _check_choice("split", split, SPLITS)
    return bundled_data_dir() / task / FILE_NAMES[task].format(split=split)


# ---------------------------------------------------------------------------------------------
# Reading files.
def _read_text(path) -> str:
    """The text of a UTF-8 file (a byte-order mark is allowed), or a DataError."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: no such file")
    if path.is_dir():
        raise DataError(f"{path}: is a folder, not a file")
    try:
        data = path.read_bytes()
    except OSError as e:
        raise DataError(f"{path}: cannot be read ({e.strerror or e})") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        raise DataError(f"{path}, line {line}: not UTF-8 text (byte 0x{data[e.start]:02x}); "
                        "save the file as UTF-8") from None
    if not text.strip():
        raise DataError(f"{path}: empty file")
    return text


def _type_name(value):
    return {dict: "an object", list: "a list", str: "a string", int: "a number",
            float: "a number", bool: "true/false"}.get(type(value), "null")


def _sentiment_row(obj, where, labelled=True):
    """(text, label id or None) of one record, checked."""
    text = obj["text"]
    if not isinstance(text, str):
        raise DataError(f"{where}: 'text' must be a string, found {_type_name(text)}")
    if not text.strip():
        raise DataError(f"{where}: empty text")
    if not labelled:
        return text, None
    label = obj["label"]
    if isinstance(label, bool) or not isinstance(label, (str, int)) \
            or str(label).strip().lower() not in _LABELS:
        raise DataError(f"{where}: unknown label {label!r} "
                        f"(valid: {', '.join(SENTIMENT_LABELS)}, 0, 1)")
    return text, _LABELS[str(label).strip().lower()]


def _sentiment_csv(path, text, require_labels):
    reader = csv.reader(io.StringIO(text, newline=""))
    rows, line = [], 1
    try:
        raw_header = next(reader)
        header = [h.strip().lower() for h in raw_header]
        twice = _repeated(header)
        if twice is not None:
            raise DataError(f"{path}, line 1: column {twice!r} appears twice (header: "
                            f"{', '.join(raw_header)}; names ignore case and spaces)")
        labelled = require_labels or "label" in header
        _check_fields(header, ("text", "label") if labelled else ("text",), f"{path}, line 1",
                      "column")
        line = reader.line_num + 1
        for record in reader:
            where, line = f"{path}, line {line}", reader.line_num + 1
            if not record:                     # a blank line
                continue
            if len(record) != len(header):
                raise DataError(f"{where}: expected {len(header)} fields "
                                f"({', '.join(header)}), found {len(record)}")
            rows.append(_sentiment_row(dict(zip(header, record)), where, labelled))
    except csv.Error as e:
        raise DataError(f"{path}, line {line}: malformed CSV ({e})") from None
    return rows


def _repeated(names):
    """The first of `names` that appears a second time, or None.

    Example:
        >>> _repeated(["text", "label", "id", "label"]), _repeated(["text", "label"])
        ('label', None)
    """
    return next((name for i, name in enumerate(names) if name in names[:i]), None)


def _check_fields(found, needed, where, what="field"):
    for name in needed:
        if name not in found:
            raise DataError(f"{where}: missing {what} {name!r} "
                            f"(found: {', '.join(map(str, found)) or 'nothing'})")


def _json(text, where, object_pairs_hook=None):
    try:
        return json.loads(text, object_pairs_hook=object_pairs_hook)
    except json.JSONDecodeError as e:
        raise DataError(f"{where}, line {e.lineno}, column {e.colno}: malformed JSON ({e.msg})") \
            from None


def _lines(text):
    r"""The lines of a text file, split at "\n" only, each without a final "\r".

    Example:
        >>> _lines("a\u2028b\r\nc\n")
        ['a\u2028b', 'c', '']
    """
    return [line.removesuffix("\r") for line in text.split("\n")]


class _KeyTwice(dict):
    """A JSON object in which the key `twice` appears more than once (see `_pairs_to_dict`)."""

    def __init__(self, pairs, twice):
        super().__init__(pairs)
        self.twice = twice


def _pairs_to_dict(pairs):
    """json's object_pairs_hook: the object as a dict, or a _KeyTwice when a key repeats (json
    would keep the last value silently).

    Example:
        >>> json.loads('{"label": 0, "label": 1}', object_pairs_hook=_pairs_to_dict).twice
        'label'
    """
    twice = _repeated([key for key, _ in pairs])
    return dict(pairs) if twice is None else _KeyTwice(pairs, twice)


def _sentiment_jsonl(path, text, require_labels):
    if path.suffix.lower() == ".json" and text.lstrip().startswith("["):   # an array of records
        records = _json(text, str(path), _pairs_to_dict)
        items = [(f"{path}, item {i + 1}", r) for i, r in enumerate(records)]
    else:
        items = []
        for n, line in enumerate(_lines(text), 1):
            if line.strip():
                where = f"{path}, line {n}"
                try:
                    items.append((where, json.loads(line, object_pairs_hook=_pairs_to_dict)))
                except json.JSONDecodeError as e:
                    raise DataError(f"{where}, column {e.colno}: malformed JSON ({e.msg})") \
                        from None
    labelled = require_labels or any(isinstance(r, dict) and "label" in r for _, r in items)
    rows = []
    for where, record in items:
        if isinstance(record, _KeyTwice):
            raise DataError(f"{where}: key {record.twice!r} appears twice (give each key once)")
        if not isinstance(record, dict):
            raise DataError(f"{where}: expected an object with 'text' and 'label', "
                            f"found {_type_name(record)}")
        _check_fields(list(record), ("text", "label") if labelled else ("text",), where)
        rows.append(_sentiment_row(record, where, labelled))
    return rows


def read_sentiment(path, require_labels: bool = True) -> Dataset:
    """Read a sentiment file: CSV (`.csv`) or JSON Lines (`.jsonl`, `.json`; a `.json` file may
    also hold one array of records) with fields `text` and `label`. Returns a Dataset with
    `text` and `label` (0 negative, 1 positive). With `require_labels=False` a file without
    labels is accepted too, and gives a Dataset with `text` only.

    Example:
        >>> import tempfile
        >>> p = Path(tempfile.mkdtemp()) / "reviews.csv"
        >>> _ = p.write_text('text,label\\n"Slow, but worth it.",Positive\\nDull.,0\\n')
        >>> read_sentiment(p)[:]
        {'text': ['Slow, but worth it.', 'Dull.'], 'label': [1, 0]}
    """
    path = Path(path)
    suffix = path.suffix.lower()
    text = _read_text(path)
    if suffix == ".csv":
        rows = _sentiment_csv(path, text, require_labels)
    elif suffix in (".jsonl", ".json"):
        rows = _sentiment_jsonl(path, text, require_labels)
    else:
        raise DataError(f"{path}: unsupported file type {suffix or '(none)'!r} for sentiment "
                        "(valid: .csv, .jsonl, .json)")
    if not rows:
        raise DataError(f"{path}: no examples, only a header")
    columns = {"text": [t for t, _ in rows], "label": [lab for _, lab in rows]}
    return _dataset("sentiment", columns, labelled=rows[0][1] is not None)


_ASCII_BLANKS = re.compile(r"[ \t\v\f]+")


def _columns(line):
    r"""The columns of one CoNLL line, split at ASCII blanks (space, tab, \v, \f) only, so that
    a token keeps its no-break and other Unicode spaces; a line of nothing but spaces of any
    kind has none (it ends a sentence).

    Example:
        >>> _columns("10\u00a0000 CD\tO"), _columns(" \u00a0 ")
        (['10\xa0000', 'CD', 'O'], [])
    """
    if not line.strip():
        return []
    return [col for col in _ASCII_BLANKS.split(line) if col]


def read_conll(path, require_labels: bool = True) -> Dataset:
    """Read a CoNLL file: one token per line with its tag in the last column, a blank line
    between sentences. Returns a Dataset with `id`, `tokens` and `ner_tags` (ids into NER_TAGS).
    With `require_labels=False`, a file of bare tokens (no tag on any line) is accepted too and
    gives `id` and `tokens` only.

    Example:
        >>> import tempfile
        >>> p = Path(tempfile.mkdtemp()) / "news.conll"
        >>> _ = p.write_text("-DOCSTART- O\\n\\nAda NNP B-PER\\nwon VBD O\\n\\nOk UH O\\n")
        >>> read_conll(p)[0]
        {'id': '0', 'tokens': ['Ada', 'won'], 'ner_tags': [1, 0]}
    """
    path = Path(path)
    lines = _lines(_read_text(path))
    labelled = require_labels or any(len(cols) > 1 and cols[0] != "-DOCSTART-"
                                     for cols in map(_columns, lines))
    ids, sentences, tags = [], [], []
    tokens, labels = [], []

    def flush():
        if tokens:
            ids.append(str(len(ids)))
            sentences.append(list(tokens))
            tags.append(list(labels))
            tokens.clear(), labels.clear()

    for n, line in enumerate(lines, 1):
        if "\r" in line:
            raise DataError(f"{path}, line {n}: a carriage return (\\r) inside the line; save the "
                            "file with \\n or \\r\\n line endings")
        cols = _columns(line)
        if not cols:
            flush()
            continue
        if cols[0] == "-DOCSTART-":
            flush()
            continue
        if not labelled:
            tokens.append(cols[0])
            continue
        if len(cols) < 2:
            raise DataError(f"{path}, line {n}: no tag after token {cols[0]!r} "
                            "(expected 'token TAG')")
        if cols[-1] not in _TAG_INDEX:
            raise DataError(f"{path}, line {n}: unknown tag {cols[-1]!r} "
                            f"(valid: {', '.join(NER_TAGS)})")
        tokens.append(cols[0])
        labels.append(_TAG_INDEX[cols[-1]])
    flush()
    if not sentences:
        raise DataError(f"{path}: no sentences, only -DOCSTART- lines")
    return _dataset("ner", {"id": ids, "tokens": sentences, "ner_tags": tags}, labelled)


def _field(obj, key, kind, where):
    """obj[key], checked to be of `kind` (a type or tuple of types)."""
    if not isinstance(obj, dict):
        raise DataError(f"{where}: expected an object, found {_type_name(obj)}")
    _check_fields(list(obj), (key,), where)
    value = obj[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        want = _type_name(kind[0]() if isinstance(kind, tuple) else kind())
        raise DataError(f"{where}: field {key!r} must be {want}, found {_type_name(value)}")
    return value


def read_squad(path, require_labels: bool = True) -> Dataset:
    """Read a SQuAD v1.1 JSON file. Returns a Dataset with one row per question: `id`, `title`,
    `context`, `question`, `answers` ({"text": [...], "answer_start": [...]}). Every answer must
    be the text found at its `answer_start` in the context. With `require_labels=False`, a file
    whose questions have no answers is accepted too and gives a Dataset without `answers`.

    Example:
        >>> import tempfile, json
        >>> p = Path(tempfile.mkdtemp()) / "qa.json"
        >>> qa = {"id": "q1", "question": "Who?", "answers": [{"text": "Ada", "answer_start": 0}]}
        >>> para = {"context": "Ada won.", "qas": [qa]}
        >>> _ = p.write_text(json.dumps({"data": [{"title": "T", "paragraphs": [para]}]}))
        >>> read_squad(p)[0]["answers"]
        {'text': ['Ada'], 'answer_start': [0]}
    """
    path = Path(path)
    root = _json(_read_text(path), str(path))
    labelled = require_labels or _has_answers(root)
    cols = {name: [] for name in ("id", "title", "context", "question", "answers")}
    seen = set()
    for i, article in enumerate(_field(root, "data", list, str(path))):
        where = f"{path}: data[{i}]"
        title = article.get("title", "") if isinstance(article, dict) else ""
        for j, para in enumerate(_field(article, "paragraphs", list, where)):
            pwhere = f"{where}.paragraphs[{j}]"
            context = _field(para, "context", str, pwhere)
            for k, qa in enumerate(_field(para, "qas", list, pwhere)):
                qid = str(_field(qa, "id", (str, int), f"{pwhere}.qas[{k}]"))
                qwhere = f"{path}, question id {qid!r}"
                if qid in seen:
                    raise DataError(f"{qwhere}: the id is used twice")
                seen.add(qid)
                question = _field(qa, "question", str, qwhere)
                answers = _field(qa, "answers", list, qwhere) if labelled else []
                if labelled and not answers:
                    raise DataError(f"{qwhere}: no answers (SQuAD v1.1 needs at least one)")
                texts, starts = [], []
                for a in answers:
                    text = _field(a, "text", str, qwhere)
                    start = _field(a, "answer_start", int, qwhere)
                    found = context[start:start + len(text)] if start >= 0 else ""
                    if not text or found != text:
                        raise DataError(f"{qwhere}: answer_start {start} does not point at the "
                                        f"answer text {text!r} (found {found!r})")
                    texts.append(text)
                    starts.append(start)
                for name, value in (("id", qid), ("title", str(title)), ("context", context),
                                    ("question", question),
                                    ("answers", {"text": texts, "answer_start": starts})):
                    cols[name].append(value)
    if not cols["id"]:
        raise DataError(f"{path}: no questions")
    return _dataset("qa", cols, labelled)


def _has_answers(root):
    """True when any question of a SQuAD-shaped object has a non-empty "answers" list."""
    try:
        return any(qa.get("answers") for article in root["data"] for para in article["paragraphs"]
                   for qa in para["qas"])
    except (TypeError, KeyError, AttributeError):
        return True           # malformed: read it as labelled, so the error names the place


_LABEL_COLUMNS = {"sentiment": "label", "ner": "ner_tags", "qa": "answers"}


def _dataset(task, columns, labelled):
    """A Dataset in the task's schema, without its label column when the file had no labels."""
    features = task_features(task)
    if not labelled:
        del columns[_LABEL_COLUMNS[task]], features[_LABEL_COLUMNS[task]]
    return Dataset.from_dict(columns, features=features)


_READERS = {"sentiment": read_sentiment, "ner": read_conll, "qa": read_squad}


def read_task_file(task: str, path, require_labels: bool = True) -> Dataset:
    """Read a file in the format of `task` ("sentiment", "ner" or "qa"); with
    `require_labels=False` the file may have no labels (for prediction).

    Example:
        >>> len(read_task_file("qa", bundled_path("qa", "test")))
        600
    """
    _check_choice("task", task, TASKS)
    return _READERS[task](path, require_labels=require_labels)


# ---------------------------------------------------------------------------------------------
# The bundled data sets and the Hub's.
def load_split(task: str, split: str) -> Dataset:
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


def load_task_data(task: str, source: str = "bundled", max_examples=None) -> DatasetDict:
    """Train, validation and test splits of a task, from the bundled files (`source="bundled"`)
    or the real Hub data sets (`source="hub"`, needs the internet or the Hub cache), all in the
    task's schema. `max_examples` keeps the first N examples of each split (fast mode).

    Example:
        >>> dd = load_task_data("qa", max_examples=2)
        >>> dd["test"].column_names
        ['id', 'title', 'context', 'question', 'answers']
    """
    _check_choice("task", task, TASKS)
    _check_choice("source", source, ("bundled", "hub"))
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


def _carve(ds: Dataset, n: int, seed: int, group=None):
    """Split `ds` into (rest, carved) with about n examples carved out, chosen by a seeded
    shuffle; with `group` (a column), whole groups move together (all questions of a title)."""
    keys = list(ds[group]) if group else list(range(len(ds)))
    order = list(dict.fromkeys(keys))                  # the groups, first-seen order
    random.Random(seed).shuffle(order)
    chosen, size, counts = set(), 0, {}
    for k in keys:
        counts[k] = counts.get(k, 0) + 1
    for k in order:
        if size >= n:
            break
        chosen.add(k)
        size += counts[k]
    rest = [i for i, k in enumerate(keys) if k not in chosen]
    carved = [i for i, k in enumerate(keys) if k in chosen]
    return ds.select(rest), ds.select(carved)


def _require_splits(dd, needed, name):
    missing = [s for s in needed if s not in dd]
    if missing:
        raise DataError(f"{name}: missing split {missing[0]!r} (found: {', '.join(dd)})")


def _carve_size(train, test):
    return max(1, min(len(test), len(train) // 10))


def from_hub_sst2(dd, seed: int = 0) -> DatasetDict:
    """Map `stanfordnlp/sst2` (columns idx, sentence, label; its test labels are -1) to the
    sentiment schema: its validation split becomes the test split, and a validation split of the
    same size (at most a tenth of train) is carved from train with a seeded shuffle.

    Example:
        >>> hub = DatasetDict({s: Dataset.from_dict(
        ...     {"idx": list(range(20)), "sentence": ["good"] * 10 + ["bad"] * 10,
        ...      "label": [1] * 10 + [0] * 10},
        ...     features=Features({"idx": Value("int32"), "sentence": Value("string"),
        ...                        "label": ClassLabel(names=["negative", "positive"])}))
        ...     for s in ("train", "validation")})
        >>> {s: len(d) for s, d in from_hub_sst2(hub).items()}
        {'train': 18, 'validation': 2, 'test': 20}
    """
    _require_splits(dd, ("train", "validation"), "stanfordnlp/sst2")
    out = {}
    for split in ("train", "validation"):
        ds = dd[split]
        text_col = "sentence" if "sentence" in ds.column_names else "text"
        _check_fields(ds.column_names, (text_col, "label"), f"stanfordnlp/sst2 {split}", "column")
        feature = ds.features["label"]
        if isinstance(feature, ClassLabel) and feature.names != SENTIMENT_LABELS:
            raise DataError(f"stanfordnlp/sst2 {split}: label names {feature.names} are not "
                            f"{SENTIMENT_LABELS}")
        bad = sorted(set(ds["label"]) - {0, 1})
        if bad:
            raise DataError(f"stanfordnlp/sst2 {split}: labels must be 0 or 1, found {bad[0]}")
        ds = ds.select_columns([text_col, "label"])
        if text_col != "text":
            ds = ds.rename_column(text_col, "text")
        out[split] = ds.cast(task_features("sentiment"))
    train, val = _carve(out["train"], _carve_size(out["train"], out["validation"]), seed)
    return DatasetDict({"train": train, "validation": val, "test": out["validation"]})


def from_hub_conll2003(dd) -> DatasetDict:
    """Map CoNLL-2003 from the Hub (e.g. `lhoestq/conll2003`: id, tokens, pos_tags, chunk_tags,
    ner_tags) to the NER schema. Tags given as a ClassLabel are mapped by name; plain integers are
    taken to be in CoNLL-2003 order (= NER_TAGS). "-DOCSTART-" rows are dropped.

    Example:
        >>> f = Features({"id": Value("string"), "tokens": Sequence(Value("string")),
        ...               "ner_tags": Sequence(ClassLabel(names=NER_TAGS))})
        >>> hub = DatasetDict({s: Dataset.from_dict({"id": ["0"], "tokens": [["Ada", "won"]],
        ...     "ner_tags": [[1, 0]]}, features=f) for s in ("train", "validation", "test")})
        >>> from_hub_conll2003(hub)["test"][0]["ner_tags"]
        [1, 0]
    """
    _require_splits(dd, SPLITS, "conll2003")
    out = {}
    for split in SPLITS:
        ds = dd[split]
        _check_fields(ds.column_names, ("tokens", "ner_tags"), f"conll2003 {split}", "column")
        inner = getattr(ds.features["ner_tags"], "feature", None)
        if isinstance(inner, ClassLabel):
            unknown = [t for t in inner.names if t not in _TAG_INDEX]
            if unknown:
                raise DataError(f"conll2003 {split}: unknown tag {unknown[0]!r} "
                                f"(valid: {', '.join(NER_TAGS)})")
            remap = [_TAG_INDEX[t] for t in inner.names]
        else:
            remap = list(range(len(NER_TAGS)))
        bad = sorted({t for tags in ds["ner_tags"] for t in tags} - set(range(len(remap))))
        if bad:
            raise DataError(f"conll2003 {split}: tag id {bad[0]} is out of range "
                            f"(0-{len(remap) - 1})")
        ds = ds.filter(lambda ex: ex["tokens"] != ["-DOCSTART-"])
        if "id" not in ds.column_names:
            ds = ds.add_column("id", [str(i) for i in range(len(ds))])
        ds = ds.select_columns(["id", "tokens", "ner_tags"])
        if remap != list(range(len(NER_TAGS))):
            ds = ds.map(lambda ex: {"ner_tags": [remap[t] for t in ex["ner_tags"]]},
                        features=Features({"id": ds.features["id"], "tokens": ds.features["tokens"],
                                           "ner_tags": Sequence(Value("int64"))}))
        out[split] = ds.cast(task_features("ner"))
    return DatasetDict(out)


def from_hub_squad(dd, seed: int = 0) -> DatasetDict:
    """Map `rajpurkar/squad` (train and validation; already in the QA schema) to the three
    splits: its validation split becomes the test split, and a validation split of the same size
    (at most a tenth of train) is carved from train by whole titles, so that no paragraph is in
    both.

    Example:
        >>> f = task_features("qa")
        >>> rows = {"id": ["a", "b", "c"], "title": ["T1", "T1", "T2"], "context": ["Ada won."] * 3,
        ...         "question": ["Who won?"] * 3,
        ...         "answers": [{"text": ["Ada"], "answer_start": [0]}] * 3}
        >>> hub = DatasetDict({s: Dataset.from_dict(rows, features=f)
        ...                    for s in ("train", "validation")})
        >>> sorted(len(d) for d in from_hub_squad(hub).values())
        [1, 2, 3]
    """
    _require_splits(dd, ("train", "validation"), "rajpurkar/squad")
    out = {}
    for split in ("train", "validation"):
        ds = dd[split]
        _check_fields(ds.column_names, ("id", "title", "context", "question", "answers"),
                      f"rajpurkar/squad {split}", "column")
        out[split] = ds.select_columns(["id", "title", "context", "question", "answers"]) \
            .cast(task_features("qa"))
    train, val = _carve(out["train"], _carve_size(out["train"], out["validation"]), seed,
                        group="title")
    return DatasetDict({"train": train, "validation": val, "test": out["validation"]})


_HUB_MAPPERS = {"sentiment": from_hub_sst2, "ner": from_hub_conll2003, "qa": from_hub_squad}


def load_hub(task: str, name=None) -> DatasetDict:
    """Download (or take from the Hub cache) the real data set of a task and map it to the
    task's schema: `stanfordnlp/sst2`, `lhoestq/conll2003` or `rajpurkar/squad` unless `name`
    names another data set of the same shape.

    Example (needs the internet):
        >>> load_hub("ner")["train"].features["ner_tags"].feature.names[:2]  # doctest: +SKIP
        ['O', 'B-PER']
    """
    _check_choice("task", task, TASKS)
    name = name or HUB_NAMES[task]
    try:
        dd = datasets.load_dataset(name)
    except Exception as e:        # network, cache or name errors all come out as one line
        first = str(e).strip().splitlines()[0] if str(e).strip() else ""
        raise DataError(f"could not load {name!r} from the Hugging Face Hub "
                        f"({type(e).__name__}: {first})") from e
    return _HUB_MAPPERS[task](dd)
