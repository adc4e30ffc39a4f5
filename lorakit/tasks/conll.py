"""The CoNLL reader: NER's file format and CoNLL-2003's Hub schema, read into the NER dataset.

    file      "token ... TAG" per line (the tag is the last column), a blank line between sentences,
              "-DOCSTART-" lines ignored; tags from NER_TAGS (BIO over PER ORG LOC MISC); columns split
              at ASCII blanks only, so a token may hold a no-break space
    dataset   id: str, tokens: [str], ner_tags: [ClassLabel(NER_TAGS)]         (CoNLL-2003)

`lorakit.tasks.ner` is the task that trains on it.
"""
import re
from pathlib import Path

from datasets import ClassLabel, Dataset, DatasetDict, Features, Sequence, Value

from ..errors import DataError
from .reading import SPLITS, check_fields, read_text, require_splits, split_lines

NER_TAGS = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"]
_TAG_INDEX = {tag: i for i, tag in enumerate(NER_TAGS)}
_ASCII_BLANKS = re.compile(r"[ \t\v\f]+")


def ner_features():
    """The NER schema (CoNLL-2003's): id, tokens and one ClassLabel(NER_TAGS) tag per token."""
    return Features({"id": Value("string"), "tokens": Sequence(Value("string")),
                     "ner_tags": Sequence(ClassLabel(names=NER_TAGS))})


def ner_dataset(columns, labelled=True):
    """A Dataset in the NER schema, without `ner_tags` when the file had no tags."""
    features = ner_features()
    if not labelled:
        del columns["ner_tags"], features["ner_tags"]
    return Dataset.from_dict(columns, features=features)


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


def read_conll(path, require_labels=True, task=None):
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
    lines = split_lines(read_text(path))
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
        tokens.append(cols[0])
        if labelled:
            labels.append(_tag_id(cols, f"{path}, line {n}"))
    flush()
    if not sentences:
        raise DataError(f"{path}: no sentences, only -DOCSTART- lines")
    columns = {"id": ids, "tokens": sentences, "ner_tags": tags}
    return task.dataset(columns, labelled) if task else ner_dataset(columns, labelled)


def _tag_id(cols, where):
    """The tag id of one CoNLL line's columns (the tag is the last), checked."""
    if len(cols) < 2:
        raise DataError(f"{where}: no tag after token {cols[0]!r} (expected 'token TAG')")
    if cols[-1] not in _TAG_INDEX:
        raise DataError(f"{where}: unknown tag {cols[-1]!r} (valid: {', '.join(NER_TAGS)})")
    return _TAG_INDEX[cols[-1]]


def from_hub_conll2003(dd):
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
    require_splits(dd, SPLITS, "conll2003")
    out = {}
    for split in SPLITS:
        ds = dd[split]
        check_fields(ds.column_names, ("tokens", "ner_tags"), f"conll2003 {split}", "column")
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
        out[split] = ds.cast(ner_features())
    return DatasetDict(out)
