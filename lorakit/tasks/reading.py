"""Reading task files with errors that point at the line: the helpers every task's reader shares.

Bad input raises a `DataError` with a one-line message that names the file and the line (1-based)
or question id, and says what would be valid; nothing is skipped silently. The readers are plain
Python (csv, json) rather than pandas, so that every error can point at its line. Line-based files
(CoNLL, JSON Lines) are split at "\\n" only (a final "\\r" is dropped), never at the other breaks
that `str.splitlines` knows (U+2028, U+0085, ...), so that line numbers are those of an editor.

The Hub's data sets come with other splits than the course's train/validation/test; `carve` cuts a
validation split out of a training split, reproducibly.
"""
import json
import random
from pathlib import Path

from ..errors import DataError

SPLITS = ("train", "validation", "test")


def bundled_data_dir() -> Path:
    """The folder with the bundled data: `data/` beside the package in a checkout or editable
    install, else `lorakit/bundled/` inside an installed wheel.

    Example:
        >>> (bundled_data_dir() / "sentiment" / "train.csv").is_file()
        True
    """
    package = Path(__file__).resolve().parent.parent     # = Path(lorakit.__file__).parent
    checkout = package.parent / "data"
    if (checkout / "README.md").is_file() and (package.parent / "pyproject.toml").is_file():
        return checkout
    return package / "bundled"

def read_text(path) -> str:
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


def type_name(value):
    return {dict: "an object", list: "a list", str: "a string", int: "a number",
            float: "a number", bool: "true/false"}.get(type(value), "null")


def repeated(names):
    """The first of `names` that appears a second time, or None.

    Example:
        >>> repeated(["text", "label", "id", "label"]), repeated(["text", "label"])
        ('label', None)
    """
    return next((name for i, name in enumerate(names) if name in names[:i]), None)


def check_fields(found, needed, where, what="field"):
    for name in needed:
        if name not in found:
            raise DataError(f"{where}: missing {what} {name!r} "
                            f"(found: {', '.join(map(str, found)) or 'nothing'})")


def parse_json(text, where, object_pairs_hook=None):
    try:
        return json.loads(text, object_pairs_hook=object_pairs_hook)
    except json.JSONDecodeError as e:
        raise DataError(f"{where}, line {e.lineno}, column {e.colno}: malformed JSON ({e.msg})") \
            from None


def split_lines(text):
    r"""The lines of a text file, split at "\n" only, each without a final "\r".

    Example:
        >>> split_lines("a\u2028b\r\nc\n")
        ['a\u2028b', 'c', '']
    """
    return [line.removesuffix("\r") for line in text.split("\n")]


class KeyTwice(dict):
    """A JSON object in which the key `twice` appears more than once (see `pairs_to_dict`)."""

    def __init__(self, pairs, twice):
        super().__init__(pairs)
        self.twice = twice


def pairs_to_dict(pairs):
    """json's object_pairs_hook: the object as a dict, or a KeyTwice when a key repeats (json
    would keep the last value silently).

    Example:
        >>> json.loads('{"label": 0, "label": 1}', object_pairs_hook=pairs_to_dict).twice
        'label'
    """
    twice = repeated([key for key, _ in pairs])
    return dict(pairs) if twice is None else KeyTwice(pairs, twice)


def typed_field(obj, key, kind, where):
    """obj[key], checked to be of `kind` (a type or tuple of types)."""
    if not isinstance(obj, dict):
        raise DataError(f"{where}: expected an object, found {type_name(obj)}")
    check_fields(list(obj), (key,), where)
    value = obj[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        want = type_name(kind[0]() if isinstance(kind, tuple) else kind())
        raise DataError(f"{where}: field {key!r} must be {want}, found {type_name(value)}")
    return value


def carve(ds, n, seed, group=None):
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


def require_splits(dd, needed, name):
    missing = [s for s in needed if s not in dd]
    if missing:
        raise DataError(f"{name}: missing split {missing[0]!r} (found: {', '.join(dd)})")


def carve_size(train, test):
    return max(1, min(len(test), len(train) // 10))

