"""Sentiment: a review -> "positive" or "negative" (sequence classification; SST-2's schema).

    file      CSV with a header that has `text` and `label`, or JSON Lines {"text", "label"};
              labels "positive"/"negative" (any case) or 0/1; a column or key given twice is refused
    dataset   text: str, label: ClassLabel(["negative", "positive"])          (stanfordnlp/sst2)
    features  one per row; `labels`: the class id
    outputs   (num_labels,) logits per row
    written   CSV `text,label`
"""
import csv
import io
import json
import re
from pathlib import Path

import numpy as np
from datasets import ClassLabel, Dataset, DatasetDict, Features, Value

from ..errors import DataError
from .base import Task, check_lengths, checked_max_length, group_by_example, has_gold, require_columns, tokenize_map
from .rewards import label_reward
from .reading import (KeyTwice, carve, carve_size, check_fields, pairs_to_dict, parse_json, read_text,
                      repeated, require_splits, split_lines, type_name)

SENTIMENT_LABELS = ["negative", "positive"]
_LABELS = {"negative": 0, "positive": 1, "0": 0, "1": 1}
# A reply that negates ("not positive") or hedges does not parse, even with one label word in it.
_NEGATION = re.compile(r"\b(?:not|no|never|neither|nor)\b|n't\b", re.IGNORECASE)


class SentimentTask(Task):
    """Sentence classification: `text` -> one label name (accuracy, macro-F1, confusion matrix).

    Example:
        >>> import datasets
        >>> task = SentimentTask()
        >>> data = datasets.Dataset.from_dict({"text": ["a", "b", "c"], "label": [1, 1, 0]})
        >>> m = task.metrics(data, ["positive", "negative", "negative"])
        >>> m["confusion_matrix"], round(m["macro_f1"], 4)
        ([[1, 0], [1, 1]], 0.6667)
    """

    name, main_metric, label_column, default_labels = "sentiment", "accuracy", "label", SENTIMENT_LABELS
    model_class, peft_task_type = "AutoModelForSequenceClassification", "SEQ_CLS"
    # Five epochs: the bundled reviews hold implied sentiment, ratings and idioms, and three epochs
    # left those (and 0.6 points of test accuracy) behind; README "Default runs".
    defaults = {"epochs": 5, "batch_size": 32}
    file_name, hub_name = "{split}.csv", "stanfordnlp/sst2"
    chat_reply_tokens = 24     # room for a one-word label, or an untrained model's sentence
    reward, reward_reply_tokens = label_reward, 4   # reinforcement learning (lorakit.rl): one word
    chat_instructions = [       # $text: the review; the reply is one word, a label name
        "Is the sentiment of this review positive or negative? Answer with one word.\n\nReview: $text",
        "Classify the sentiment as positive or negative.\n$text",
        "$text\n\nWas that positive or negative?",
        "Please read the following text and tell me whether its sentiment is positive or negative. "
        "Reply with a single word.\n\nText: \"$text\"",
        "Sentiment (positive/negative)?\n\n$text",
        "Here is a review:\n$text\nDoes the writer feel positive or negative about it? One word, please.",
        "Label the text as positive or negative.\nText: $text\nLabel:",
        "Would you say this is a positive or a negative opinion?\n\n\"$text\"",
        "$text\n\nOne word: positive or negative?",
        "Could you tell me if the tone of this message is positive or negative? Thanks!\n\n$text",
    ]

    @staticmethod
    def features():
        return Features({"text": Value("string"), "label": ClassLabel(names=SENTIMENT_LABELS)})

    def read(self, path, require_labels=True):
        return read_sentiment(path, require_labels, self)

    @staticmethod
    def from_hub(dd):
        return from_hub_sst2(dd)

    def encode(self, dataset, tokenizer, train=True):
        """Token ids of each `text`, truncated to `max_length`; `labels` when gold labels exist.

        A label of None or -1 (the Hub's SST-2 test split) counts as "no gold label".
        """
        require_columns(dataset, ["text"], self.name)
        max_length = checked_max_length(self.max_length, tokenizer)
        gold = has_gold(dataset, "label", train, lambda v: v is not None and v >= 0)

        def tokenize(batch, indices):
            features = dict(tokenizer(batch["text"], truncation=True, max_length=max_length))
            features["example_index"] = indices
            if gold:
                features["labels"] = batch["label"]
            return features
        return tokenize_map(dataset, tokenize)

    @staticmethod
    def outputs(output, lengths):
        """One (num_labels,) array of logits per row of the batch."""
        return list(output.logits.float().cpu().numpy())

    def postprocess(self, dataset, features, outputs):
        """The arg-max label name of each example; outputs[i] is (num_labels,) logits."""
        names = self._names(dataset)
        groups = group_by_example(features, outputs, len(dataset))
        return [names[int(np.argmax(outputs[rows[0]]))] for rows in groups]

    def metrics(self, dataset, predictions):
        """accuracy and macro_f1 (0-1) and confusion_matrix (rows gold, columns predicted).

        Both axes follow `label_names(dataset)`. Macro-F1 averages the classes that occur in
        the gold labels or the predictions (a class in neither has no defined F1).
        """
        check_lengths(predictions, dataset)
        names = self._names(dataset)
        has_gold(dataset, "label", True, lambda v: v is not None and v >= 0, "metrics")
        index = {name: i for i, name in enumerate(names)}
        if any(p not in index for p in predictions):
            raise DataError(f"sentiment predictions must be label names from {names}")
        gold = self._ids_to_names(dataset["label"], names)
        matrix = np.zeros((len(names), len(names)), dtype=int)          # (gold, predicted)
        for g, p in zip(gold, predictions):
            matrix[index[g], index[p]] += 1
        tp = np.diag(matrix)
        denominators = matrix.sum(0) + matrix.sum(1)                    # 2TP + FP + FN
        seen = denominators > 0
        f1 = 2 * tp[seen] / denominators[seen]
        return {"accuracy": float(tp.sum() / max(matrix.sum(), 1)),
                "macro_f1": float(f1.mean()) if seen.any() else 0.0,
                "confusion_matrix": matrix.tolist()}

    def format_predictions(self, dataset, predictions):
        """CSV text with a `text,label` header and one row per example.

        Example:
            >>> import datasets
            >>> data = datasets.Dataset.from_dict({"text": ["fine, really"]})
            >>> SentimentTask().format_predictions(data, ["positive"])
            'text,label\\n"fine, really",positive\\n'
        """
        check_lengths(predictions, dataset)
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["text", "label"])
        writer.writerows(zip(dataset["text"], predictions))
        return buffer.getvalue()

    def to_chat(self, row, variant=0):
        """The review as a user turn, and the gold reply: one word, "positive" or "negative".

        Example:
            >>> messages, reply = SentimentTask().to_chat({"text": "Loved it.", "label": 1})
            >>> print(messages[0]["content"])
            Is the sentiment of this review positive or negative? Answer with one word.
            <BLANKLINE>
            Review: Loved it.
            >>> reply
            'positive'
        """
        label = row.get("label")
        reply = None if label is None or label < 0 else self.labels[label]
        return self._user_turn(variant, text=row["text"]), reply

    def from_reply(self, reply, row):
        """The label name when the reply holds exactly one of them (any case, as a whole word) and
        no negation; else None.

        Example:
            >>> task = SentimentTask()
            >>> [task.from_reply(r, {}) for r in ["Positive.", "It is negative", "not positive", "pos"]]
            ['positive', 'negative', None, None]
        """
        found = {name for name in self.labels
                 if re.search(rf"\b{re.escape(name)}\b", reply, re.IGNORECASE)}
        if len(found) != 1 or _NEGATION.search(reply):
            return None
        return found.pop()

    def unparsed_prediction(self, row):
        """The label that is not the gold one (scored as wrong); "" for a row without a gold label."""
        label = row.get("label")
        if label is None or label < 0:
            return ""
        return next(name for name in self.labels if name != self.labels[label])


def _sentiment_row(obj, where, labelled=True):
    """(text, label id or None) of one record, checked."""
    text = obj["text"]
    if not isinstance(text, str):
        raise DataError(f"{where}: 'text' must be a string, found {type_name(text)}")
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
    # A long document is valid input (the tokenizer truncates it): no field can exceed the file, so
    # raise the csv module's 128 KB field limit to the file's size (it is process-wide; only raised).
    csv.field_size_limit(max(csv.field_size_limit(), len(text)))
    reader = csv.reader(io.StringIO(text, newline=""))
    rows, line = [], 1
    try:
        raw_header = next(reader)
        header = [h.strip().lower() for h in raw_header]
        twice = repeated(header)
        if twice is not None:
            raise DataError(f"{path}, line 1: column {twice!r} appears twice (header: "
                            f"{', '.join(raw_header)}; names ignore case and spaces)")
        labelled = require_labels or "label" in header
        check_fields(header, ("text", "label") if labelled else ("text",), f"{path}, line 1",
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


def _sentiment_jsonl(path, text, require_labels):
    if path.suffix.lower() == ".json" and text.lstrip().startswith("["):   # an array of records
        records = parse_json(text, str(path), pairs_to_dict)
        items = [(f"{path}, item {i + 1}", r) for i, r in enumerate(records)]
    else:
        items = []
        for n, line in enumerate(split_lines(text), 1):
            if line.strip():
                where = f"{path}, line {n}"
                try:
                    items.append((where, json.loads(line, object_pairs_hook=pairs_to_dict)))
                except json.JSONDecodeError as e:
                    raise DataError(f"{where}, column {e.colno}: malformed JSON ({e.msg})") \
                        from None
    labelled = require_labels or any(isinstance(r, dict) and "label" in r for _, r in items)
    rows = []
    for where, record in items:
        if isinstance(record, KeyTwice):
            raise DataError(f"{where}: key {record.twice!r} appears twice (give each key once)")
        if not isinstance(record, dict):
            raise DataError(f"{where}: expected an object with 'text' and 'label', "
                            f"found {type_name(record)}")
        check_fields(list(record), ("text", "label") if labelled else ("text",), where)
        rows.append(_sentiment_row(record, where, labelled))
    return rows


def read_sentiment(path, require_labels=True, task=None):
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
    text = read_text(path)
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
    return (task or SentimentTask()).dataset(columns, labelled=rows[0][1] is not None)


def from_hub_sst2(dd, seed=0):
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
    require_splits(dd, ("train", "validation"), "stanfordnlp/sst2")
    out = {}
    for split in ("train", "validation"):
        ds = dd[split]
        text_col = "sentence" if "sentence" in ds.column_names else "text"
        check_fields(ds.column_names, (text_col, "label"), f"stanfordnlp/sst2 {split}", "column")
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
        out[split] = ds.cast(SentimentTask.features())
    train, val = carve(out["train"], carve_size(out["train"], out["validation"]), seed)
    return DatasetDict({"train": train, "validation": val, "test": out["validation"]})
