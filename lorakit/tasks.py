"""Tasks: per-task preprocessing, post-processing and metrics for sentiment, NER and QA.

A model sees sub-word tokens; people read words, labels and answer strings. Each task turns rows of
a `datasets.Dataset` into token features (`encode`), pads them into batches (`collator`), maps the
model's logits back onto the original rows (`postprocess`) and scores them (`metrics`):

    dataset -encode-> features -collator-> batches -model-> outputs -postprocess-> predictions

| task      | one row                    | features per row  | model target                      |
| --------- | -------------------------- | ----------------- | --------------------------------- |
| sentiment | text, label                | 1                 | `labels`: class id                |
| ner       | tokens, ner_tags           | 1 (truncated)     | `labels`: one id per sub-token    |
| qa        | question, context, answers | 1 per window      | `start_positions`/`end_positions` |

Design choices, and why:
- Features are not padded: the collator pads each batch to its own longest row (dynamic
  padding), so short sentences do not pay for `max_length` positions they never use.
- Every feature keeps `example_index`, the row of the dataset it came from, so post-processing
  never relies on ids being unique and always returns predictions in the dataset's order.
- Default lengths: sentiment and NER 128 tokens (long enough for nearly every SST-2 and
  CoNLL-2003 sentence); QA 256 with `doc_stride=64`, the number of tokens two neighbouring
  windows share (the HF `stride`), so an answer of up to 64 tokens cut by one window lies whole
  inside the next. Lengths are capped at the tokenizer's `model_max_length`.
- NER uses `tokenizer(words, is_split_into_words=True)` and `word_ids()`. Byte-level BPE tokenizers
  (RoBERTa, GPT-2) must then be loaded with `add_prefix_space=True`, otherwise every word is
  tokenized as if it started the sentence; `encode` checks this and says so.
- Labels that the loss must ignore are -100, the `ignore_index` of PyTorch's cross-entropy.

Example (sentiment, with hand-made logits in place of a model):
    >>> import datasets, numpy as np
    >>> from lorakit.models import load_tokenizer
    >>> task, tokenizer = get_task("sentiment"), load_tokenizer()
    >>> data = datasets.Dataset.from_dict({"text": ["great film", "dull"], "label": [1, 1]})
    >>> features = task.encode(data, tokenizer)
    >>> features[0]["input_ids"], features[0]["labels"], features[0]["example_index"]
    ([101, 2307, 2143, 102], 1, 0)
    >>> outputs = [np.array([0.1, 2.0]), np.array([1.5, -1.0])]     # (num_labels,) logits each
    >>> predictions = task.postprocess(data, features, outputs)
    >>> predictions, task.metrics(data, predictions)["accuracy"]
    (['positive', 'negative'], 0.5)
"""
import csv
import io
import json
import re
import string
from collections import Counter, namedtuple

import numpy as np

from . import interrupts
from ._io import atomic_write_text
from .errors import ConfigError, DataError

SENTIMENT_LABELS = ["negative", "positive"]
NER_TAGS = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"]
IGNORE_INDEX = -100   # PyTorch's CrossEntropyLoss skips targets equal to this
# Columns that encode() keeps for post-processing; the collator never hands them to the model.
BOOKKEEPING_COLUMNS = ("example_index", "example_id", "offset_mapping", "word_ids")


# ---------------------------------------------------------------------------------------------
# Plain functions (the notebooks call these directly; the task classes use them)
# ---------------------------------------------------------------------------------------------

def align_labels_with_tokens(word_ids, word_labels, label_all_tokens=False, b_to_i=None):
    """One label per token: each word's label on its first sub-token, -100 elsewhere.

    `word_ids` comes from `encoding.word_ids()` (None for special tokens). With
    `label_all_tokens=True` the continuation pieces get a label too, mapped through `b_to_i`
    (a list or dict from a label id to the id used inside a word, see `continuation_labels`),
    so that "hugging ##face" is B-ORG I-ORG rather than B-ORG B-ORG.

    Example: "Huggingface is in Zurich" -> [CLS] hugging ##face is in zurich [SEP]
        >>> word_ids = [None, 0, 0, 1, 2, 3, None]
        >>> tags = [3, 0, 0, 5]                      # B-ORG O O B-LOC
        >>> align_labels_with_tokens(word_ids, tags)
        [-100, 3, -100, 0, 0, 5, -100]
        >>> align_labels_with_tokens(word_ids, tags, True, continuation_labels(NER_TAGS))
        [-100, 3, 4, 0, 0, 5, -100]
    """
    labels, previous = [], None
    for word in word_ids:                                  # one entry per token
        if word is None:                                   # [CLS], [SEP], <s>, ...
            labels.append(IGNORE_INDEX)
        elif word != previous:                             # first piece of a word
            labels.append(word_labels[word])
        elif label_all_tokens:                             # later piece, labelled on request
            label = word_labels[word]
            labels.append(b_to_i[label] if b_to_i is not None else label)
        else:                                              # later piece: ignored by the loss
            labels.append(IGNORE_INDEX)
        previous = word
    return labels


def continuation_labels(label_names):
    """For each label id, the id to use on a word's later pieces: B-X -> I-X, others unchanged.

    Example:
        >>> continuation_labels(["O", "B-PER", "I-PER", "B-LOC", "I-LOC"])
        [0, 2, 2, 4, 4]
    """
    index = {name: i for i, name in enumerate(label_names)}
    return [index.get("I-" + name[2:], i) if name.startswith("B-") else i
            for i, name in enumerate(label_names)]


def squad_normalize(text):
    """SQuAD v1.1 answer normalisation: lower-case, drop punctuation and a/an/the, squeeze spaces.

    Example:
        >>> squad_normalize("  The Eiffel-Tower, in  PARIS!")
        'eiffeltower in paris'
    """
    text = text.lower()
    text = "".join(ch for ch in text if ch not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def squad_exact_match(prediction, ground_truth):
    """1.0 when the two answers are equal after `squad_normalize`, else 0.0.

    Example:
        >>> squad_exact_match("the Normans.", "Normans"), squad_exact_match("Norman", "Normans")
        (1.0, 0.0)
    """
    return float(squad_normalize(prediction) == squad_normalize(ground_truth))


def squad_f1(prediction, ground_truth):
    """Token-level F1 (0-1) between two normalised answers, as the SQuAD v1.1 script computes it.

    Example: 2 of 3 predicted tokens are right and 2 of 2 gold tokens are found: P=2/3, R=1.
        >>> round(squad_f1("in northern France", "Northern France"), 4)
        0.8
    """
    predicted, gold = squad_normalize(prediction).split(), squad_normalize(ground_truth).split()
    same = sum((Counter(predicted) & Counter(gold)).values())
    if same == 0:
        return 0.0
    precision, recall = same / len(predicted), same / len(gold)
    return 2 * precision * recall / (precision + recall)


Span = namedtuple("Span", "start_char end_char score")


def best_span(start_logits, end_logits, offsets, n_best=20, max_answer_length=30):
    """The best answer span of one window, as character offsets into the context, or None.

    Tries the `n_best` highest start logits against the `n_best` highest end logits, skips
    spans that leave the context (offset None), end before they start or are longer than
    `max_answer_length` tokens, and keeps the highest start + end logit.

    Example: tokens 2-3 are context; the best valid span runs from token 2 to token 3.
        >>> start = np.array([9.0, 0.0, 5.0, 1.0])   # (seq_len,); 9.0 is on [CLS]: skipped
        >>> end = np.array([9.0, 0.0, 1.0, 6.0])     # (seq_len,)
        >>> best_span(start, end, [None, None, (0, 3), (4, 9)])
        Span(start_char=0, end_char=9, score=11.0)
    """
    start_logits, end_logits = np.asarray(start_logits), np.asarray(end_logits)
    starts = np.argsort(-start_logits, kind="stable")[:n_best]
    ends = np.argsort(-end_logits, kind="stable")[:n_best]
    best = None
    for s in starts:
        for e in ends:
            if offsets[s] is None or offsets[e] is None or e < s or e - s + 1 > max_answer_length:
                continue
            score = float(start_logits[s] + end_logits[e])
            if best is None or score > best.score:
                best = Span(int(offsets[s][0]), int(offsets[e][1]), score)
    return best


def get_task(name, **options):
    """The Task object for "sentiment", "ner" or "qa"; `options` go to its constructor.

    Example:
        >>> get_task("ner", label_all_tokens=True).main_metric
        'f1'
        >>> get_task("pos")
        Traceback (most recent call last):
        lorakit.errors.ConfigError: unknown task 'pos' (valid: sentiment, ner, qa)
    """
    if name not in TASKS:
        raise ConfigError(f"unknown task {name!r} (valid: {', '.join(TASKS)})")
    return TASKS[name](**options)


# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------

def _column(rows, name):
    """A column of a Dataset (or of a list of dicts) as a plain list."""
    if isinstance(rows, list):
        return [row[name] for row in rows]
    if name not in rows.column_names:
        raise ConfigError(f"features have no {name!r} column: make them with "
                          f"task.encode(..., train=False)")
    return list(rows[name])


def _require(dataset, columns, task):
    missing = [c for c in columns if c not in dataset.column_names]
    if missing:
        raise DataError(f"{task} data needs the column(s) {', '.join(missing)}; "
                        f"it has {', '.join(dataset.column_names) or 'none'}")


def _has_gold(dataset, column, required, is_gold=lambda value: value is not None,
              purpose="training"):
    """True when every row has a gold value in `column`; a DataError if `required` and not."""
    present = column in dataset.column_names and all(is_gold(v) for v in dataset[column])
    if required and not present:
        hint = "; pass train=False to encode data without labels" if purpose == "training" else ""
        raise DataError(f"{purpose} needs a gold {column!r} in every row{hint}")
    return present


def _max_length(max_length, tokenizer, pair=False):
    """`max_length` capped at the model's, checked to leave room for text beside the special tokens.

    A single text needs its special tokens plus one; a QA pair one question and one context token.
    Below that the tokenizer silently skips truncation, and NER loses every label (a NaN loss).
    """
    specials = tokenizer.num_special_tokens_to_add(pair=pair)
    least = specials + (2 if pair else 1)
    if isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < least:
        raise ConfigError(f"--max-length {max_length} leaves no room for text: this tokenizer adds "
                          f"{specials} special tokens, so give at least {least}")
    return min(max_length, tokenizer.model_max_length)


def _tokenize_map(dataset, function):
    """Run `function(batch, indices)` over the dataset, keeping only the columns it returns.

    The map is quick, so its progress bar is hidden (and the setting restored afterwards). It gets
    a fresh fingerprint rather than one hashed from `function`: hashing pickles the tokenizer in the
    closure (slow), inside a bare `except:` that would swallow a Ctrl-C.
    """
    import uuid

    import datasets

    def checked(batch, indices):
        interrupts.check()
        return function(batch, indices)
    bars = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()
    try:
        return dataset.map(checked, batched=True, with_indices=True,
                           remove_columns=dataset.column_names, new_fingerprint=uuid.uuid4().hex)
    finally:
        if bars:
            datasets.enable_progress_bars()


def _group_by_example(features, outputs, num_examples):
    """For each dataset row, the positions of its features (and of their outputs)."""
    if len(outputs) != len(features):
        raise DataError(f"got {len(outputs)} outputs for {len(features)} features; "
                        f"give one output per feature, in feature order")
    groups = [[] for _ in range(num_examples)]
    for position, example in enumerate(_column(features, "example_index")):
        if not 0 <= example < num_examples:
            raise DataError(f"a feature belongs to row {example}, but the dataset has "
                            f"{num_examples} rows: were the features made from this dataset?")
        groups[example].append(position)
    if not all(groups):
        raise DataError(f"row {groups.index([])} of the dataset has no features")
    return groups


def _check_lengths(predictions, dataset):
    if len(predictions) != len(dataset):
        raise DataError(f"got {len(predictions)} predictions for {len(dataset)} examples")


def _check_split_words(tokenizer):
    """Pre-split words must tokenize as the sentence they came from (RoBERTa: add_prefix_space)."""
    words = ["Hello", "world"]
    split = tokenizer(words, is_split_into_words=True, add_special_tokens=False)["input_ids"]
    if split != tokenizer(" ".join(words), add_special_tokens=False)["input_ids"]:
        raise ConfigError("this tokenizer splits pre-tokenized words wrongly; load it with "
                          "AutoTokenizer.from_pretrained(name, add_prefix_space=True)")


class Collator:
    """Pads a list of features into a dict of tensors and drops the book-keeping columns.

    `token_labels=True` pads `labels` lists with -100 (NER); otherwise labels are scalars.
    """

    def __init__(self, tokenizer, token_labels=False, pad_to_multiple_of=None):
        from transformers import DataCollatorForTokenClassification, DataCollatorWithPadding
        kind = DataCollatorForTokenClassification if token_labels else DataCollatorWithPadding
        self.pad = kind(tokenizer, pad_to_multiple_of=pad_to_multiple_of, return_tensors="pt")

    def __call__(self, features):
        rows = [{k: v for k, v in f.items() if k not in BOOKKEEPING_COLUMNS} for f in features]
        return dict(self.pad(rows))


# ---------------------------------------------------------------------------------------------
# The tasks
# ---------------------------------------------------------------------------------------------

class Task:
    """What every task shares; subclasses fill in encode, postprocess, metrics and formats."""

    name = ""
    main_metric = ""
    max_length = 128
    label_column = None          # the dataset column with the gold labels
    default_labels = None
    token_labels = False         # True when `labels` holds one id per token

    def __init__(self, labels=None, max_length=None):
        # Label names to use when the dataset carries no ClassLabel feature (prediction inputs);
        # pass the names a trained model was saved with when they differ from the defaults.
        labels = self.default_labels if labels is None else labels
        self.labels = list(labels) if labels is not None else None
        if max_length is not None:   # else the class's own: 128 tokens, QA 256
            self.max_length = max_length

    def label_names(self, dataset):
        """The dataset's ClassLabel names, else the task's own `labels` (None for QA)."""
        feature = dataset.features.get(self.label_column) if self.label_column else None
        feature = getattr(feature, "feature", feature)      # List(ClassLabel) for NER tags
        names = getattr(feature, "names", None)
        return list(names) if names else (list(self.labels) if self.labels else None)

    def collator(self, tokenizer, pad_to_multiple_of=None):
        """A callable: list of features -> dict of padded tensors the model takes."""
        return Collator(tokenizer, self.token_labels, pad_to_multiple_of)

    def model_inputs(self, batch):
        """The entries of `batch` that the model's forward takes (labels included)."""
        return {k: v for k, v in batch.items() if k not in BOOKKEEPING_COLUMNS}

    def write_predictions(self, dataset, predictions, path):
        """Write `format_predictions(dataset, predictions)` to `path` atomically."""
        atomic_write_text(path, self.format_predictions(dataset, predictions))

    def _names(self, dataset):
        names = self.label_names(dataset)
        if not names:
            raise ConfigError(f"{self.name}: no label names; pass labels=[...] to the task")
        return names

    def _ids_to_names(self, ids, names):
        if not all(0 <= i < len(names) for i in ids):
            raise DataError(f"{self.name}: a label id is outside 0..{len(names) - 1} ({names})")
        return [names[i] for i in ids]


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

    name, main_metric, max_length = "sentiment", "accuracy", 128
    label_column, default_labels = "label", SENTIMENT_LABELS

    def encode(self, dataset, tokenizer, max_length=None, train=True):
        """Token ids of each `text`, truncated to `max_length`; `labels` when gold labels exist.

        A label of None or -1 (the Hub's SST-2 test split) counts as "no gold label".
        """
        _require(dataset, ["text"], self.name)
        max_length = _max_length(self.max_length if max_length is None else max_length, tokenizer)
        gold = _has_gold(dataset, "label", train, lambda v: v is not None and v >= 0)

        def tokenize(batch, indices):
            features = dict(tokenizer(batch["text"], truncation=True, max_length=max_length))
            features["example_index"] = indices
            if gold:
                features["labels"] = batch["label"]
            return features
        return _tokenize_map(dataset, tokenize)

    def postprocess(self, dataset, features, outputs):
        """The arg-max label name of each example; outputs[i] is (num_labels,) logits."""
        names = self._names(dataset)
        groups = _group_by_example(features, outputs, len(dataset))
        return [names[int(np.argmax(outputs[rows[0]]))] for rows in groups]

    def metrics(self, dataset, predictions):
        """accuracy and macro_f1 (0-1) and confusion_matrix (rows gold, columns predicted).

        Both axes follow `label_names(dataset)`. Macro-F1 averages the classes that occur in
        the gold labels or the predictions (a class in neither has no defined F1).
        """
        _check_lengths(predictions, dataset)
        names = self._names(dataset)
        _has_gold(dataset, "label", True, lambda v: v is not None and v >= 0, "metrics")
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
        _check_lengths(predictions, dataset)
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["text", "label"])
        writer.writerows(zip(dataset["text"], predictions))
        return buffer.getvalue()


class NerTask(Task):
    """Named entities: `tokens` -> one BIO tag per word, scored by seqeval's entity-level F1.

    `label_all_tokens=True` trains on every sub-token (continuations get I- tags) instead of
    only the first piece of each word. Words cut off by `max_length` are predicted "O".

    Example:
        >>> import datasets
        >>> from lorakit.models import load_tokenizer
        >>> data = datasets.Dataset.from_dict({"tokens": [["Huggingface", "is", "in", "Zurich"]],
        ...                                    "ner_tags": [[3, 0, 0, 5]]})
        >>> features = NerTask().encode(data, load_tokenizer(), train=False)
        >>> features[0]["labels"], features[0]["word_ids"]
        ([-100, 3, -100, 0, 0, 5, -100], [None, 0, 0, 1, 2, 3, None])
    """

    name, main_metric, max_length = "ner", "f1", 128
    label_column, default_labels, token_labels = "ner_tags", NER_TAGS, True

    def __init__(self, labels=None, label_all_tokens=False, max_length=None):
        super().__init__(labels, max_length)
        self.label_all_tokens = label_all_tokens

    def encode(self, dataset, tokenizer, max_length=None, train=True):
        """Sub-token ids of each sentence; `labels` aligned by `align_labels_with_tokens`.

        Features made with train=False also keep `word_ids` for `postprocess`.
        """
        _require(dataset, ["tokens"], self.name)
        _check_split_words(tokenizer)
        max_length = _max_length(self.max_length if max_length is None else max_length, tokenizer)
        gold = _has_gold(dataset, "ner_tags", train)
        b_to_i = continuation_labels(self._names(dataset)) if self.label_all_tokens else None

        def tokenize(batch, indices):
            encoding = tokenizer(batch["tokens"], is_split_into_words=True, truncation=True,
                                 max_length=max_length)
            word_ids = [encoding.word_ids(i) for i in range(len(indices))]
            features = {**encoding, "example_index": indices}
            if gold:
                rows = zip(word_ids, batch["tokens"], batch["ner_tags"], indices)
                features["labels"] = [self._align(*row, b_to_i) for row in rows]
            if not train:
                features["word_ids"] = word_ids
            return features
        return _tokenize_map(dataset, tokenize)

    def _align(self, word_ids, tokens, tags, row, b_to_i):
        if len(tokens) != len(tags):
            raise DataError(f"ner row {row}: {len(tokens)} tokens but {len(tags)} tags")
        return align_labels_with_tokens(word_ids, tags, self.label_all_tokens, b_to_i)

    def postprocess(self, dataset, features, outputs):
        """One tag name per word: the arg-max at each word's first sub-token.

        outputs[i] is (seq_len, num_labels) logits for feature i.
        """
        names = self._names(dataset)
        groups = _group_by_example(features, outputs, len(dataset))
        all_word_ids, sentences = _column(features, "word_ids"), dataset["tokens"]
        predictions = []
        for words, rows in zip(sentences, groups):
            word_ids, logits = all_word_ids[rows[0]], np.asarray(outputs[rows[0]])
            if logits.shape[0] != len(word_ids):
                raise DataError(f"NER logits have {logits.shape[0]} rows for "
                                f"{len(word_ids)} tokens")
            tag_ids = logits.argmax(-1)                                  # (seq_len,)
            tags, seen = ["O"] * len(words), set()
            for position, word in enumerate(word_ids):
                if word is not None and word not in seen:
                    tags[word] = self._ids_to_names([int(tag_ids[position])], names)[0]
                    seen.add(word)
            predictions.append(tags)
        return predictions

    def metrics(self, dataset, predictions):
        """seqeval entity precision, recall, f1 (0-1, default CoNLL mode) and a per-type report.

        Example: gold has PER "Ada Lovelace" and LOC "London"; the prediction finds only "Ada".
            >>> import datasets
            >>> data = datasets.Dataset.from_dict({"tokens": [["Ada", "Lovelace", "in", "London"]],
            ...                                    "ner_tags": [[1, 2, 0, 5]]})
            >>> m = NerTask().metrics(data, [["B-PER", "O", "O", "B-LOC"]])
            >>> m["precision"], m["recall"], m["f1"], m["per_type"]["PER"]["support"]
            (0.5, 0.5, 0.5, 1)
        """
        from seqeval.metrics import classification_report, f1_score, precision_score, recall_score
        _check_lengths(predictions, dataset)
        names = self._names(dataset)
        _has_gold(dataset, "ner_tags", True, purpose="metrics")
        gold = [self._ids_to_names(tags, names) for tags in dataset["ner_tags"]]
        for row, (g, p) in enumerate(zip(gold, predictions)):
            if len(g) != len(p):
                raise DataError(f"ner row {row}: {len(p)} predicted tags for {len(g)} words")
        predictions = [list(p) for p in predictions]
        report = classification_report(gold, predictions, output_dict=True, zero_division=0)
        per_type = {kind: {"precision": float(r["precision"]), "recall": float(r["recall"]),
                           "f1": float(r["f1-score"]), "support": int(r["support"])}
                    for kind, r in report.items() if not kind.endswith(" avg")}
        return {"precision": float(precision_score(gold, predictions, zero_division=0)),
                "recall": float(recall_score(gold, predictions, zero_division=0)),
                "f1": float(f1_score(gold, predictions, zero_division=0)),
                "per_type": per_type}

    def format_predictions(self, dataset, predictions):
        """CoNLL text: one `token TAG` line per word, a blank line between sentences.

        Example:
            >>> import datasets
            >>> data = datasets.Dataset.from_dict({"tokens": [["Ada", "spoke"], ["Hi"]]})
            >>> print(NerTask().format_predictions(data, [["B-PER", "O"], ["O"]]), end="")
            Ada B-PER
            spoke O
            <BLANKLINE>
            Hi O
        """
        _check_lengths(predictions, dataset)
        blocks = []
        for row, (tokens, tags) in enumerate(zip(dataset["tokens"], predictions)):
            if len(tokens) != len(tags) or any(re.fullmatch(r"\S+", t, re.ASCII) is None for t in tokens):
                raise DataError(f"ner row {row}: need one tag per token and tokens without spaces")
            blocks.append("".join(f"{token} {tag}\n" for token, tag in zip(tokens, tags)))
        return "\n".join(blocks)


class QaTask(Task):
    """Extractive QA (SQuAD v1.1): question + context -> answer text, scored by EM and F1 (0-100).

    A long context is cut into windows of `max_length` tokens that overlap by `doc_stride`
    tokens; each window is one feature. Training targets are the answer's token positions in a
    window, or (CLS, CLS) = (0, 0) when the window does not hold the whole answer. The question
    comes first (truncation="only_second"), as BERT, RoBERTa and DistilBERT expect.

    Example: windows of 16 tokens (question 4, specials 3, context 9) overlapping by 4. Window 1
    ends before the answer, window 2 cuts it ("... ada love" | "##lace"), window 3 holds it all.
        >>> import datasets
        >>> from lorakit.models import load_tokenizer
        >>> data = datasets.Dataset.from_dict({"id": ["q1"], "question": ["Who wrote it?"],
        ...     "context": ["It was written long ago, in a cold winter, by Ada Lovelace in London."],
        ...     "answers": [{"text": ["Ada Lovelace"], "answer_start": [46]}]})
        >>> features = QaTask(doc_stride=4).encode(data, load_tokenizer(), max_length=16)
        >>> list(features["start_positions"]), list(features["end_positions"])
        ([0, 0, 8], [0, 0, 10])
    """

    name, main_metric, max_length = "qa", "f1", 256
    label_column = None

    def __init__(self, doc_stride=64, n_best=20, max_answer_length=30, max_length=None):
        super().__init__(None, max_length)
        self.doc_stride, self.n_best, self.max_answer_length = doc_stride, n_best, max_answer_length

    def encode(self, dataset, tokenizer, max_length=None, train=True, doc_stride=None):
        """Windows of question + context; start/end positions when every row has an answer.

        Features made with train=False also keep `example_id` and `offset_mapping`
        (character offsets of context tokens, None for question and special tokens).
        """
        _require(dataset, ["question", "context"], self.name)
        max_length = _max_length(self.max_length if max_length is None else max_length, tokenizer,
                                 pair=True)
        stride = self.doc_stride if doc_stride is None else doc_stride
        if not 0 <= stride < max_length:
            raise ConfigError(f"doc_stride must be in 0..{max_length - 1} (an overlap in tokens), "
                              f"got {stride}")
        gold = _has_gold(dataset, "answers", train, lambda a: bool(a and a["text"]))
        ids = (_column(dataset, "id") if "id" in dataset.column_names
               else [str(i) for i in range(len(dataset))])

        def tokenize(batch, indices):
            questions = [q.strip() for q in batch["question"]]   # leading spaces waste tokens
            self._check_room(questions, [ids[i] for i in indices], tokenizer, max_length, stride)
            encoding = tokenizer(questions, batch["context"], truncation="only_second",
                                 max_length=max_length, stride=stride,
                                 return_overflowing_tokens=True, return_offsets_mapping=True)
            sample = encoding.pop("overflow_to_sample_mapping")   # feature -> row in this batch
            offsets = encoding.pop("offset_mapping")
            features = {**encoding, "example_index": [indices[s] for s in sample]}
            sequence_ids = [encoding.sequence_ids(i) for i in range(len(sample))]
            if gold:
                positions = [self._positions(encoding["input_ids"][i], offsets[i], sequence_ids[i],
                                             batch["answers"][s], batch["context"][s],
                                             ids[indices[s]], tokenizer)
                             for i, s in enumerate(sample)]
                features["start_positions"] = [start for start, _ in positions]
                features["end_positions"] = [end for _, end in positions]
            if not train:
                features["example_id"] = [ids[indices[s]] for s in sample]
                features["offset_mapping"] = [
                    [o if s == 1 else None for o, s in zip(offsets[i], sequence_ids[i])]
                    for i in range(len(sample))]
            return features
        return _tokenize_map(dataset, tokenize)

    @staticmethod
    def _check_room(questions, ids, tokenizer, max_length, stride):
        """Each window must hold the question and more context tokens than the overlap."""
        specials = tokenizer.num_special_tokens_to_add(pair=True)
        lengths = [len(q) for q in tokenizer(questions, add_special_tokens=False)["input_ids"]]
        for qid, length in zip(ids, lengths):
            if max_length - specials - length <= stride:
                raise DataError(f"question {qid}: {length} tokens leave no room for context in "
                                f"max_length={max_length} with doc_stride={stride}; raise "
                                f"max_length or lower doc_stride")

    @staticmethod
    def _positions(input_ids, offsets, sequence_ids, answers, context, qid, tokenizer):
        """Token positions (start, end) of the first gold answer in one window, or (CLS, CLS)."""
        start_char, text = answers["answer_start"][0], answers["text"][0]
        end_char = start_char + len(text)
        if context[start_char:end_char] != text:
            raise DataError(f"question {qid}: answer {text!r} is not at character {start_char} "
                            f"of its context")
        cls = input_ids.index(tokenizer.cls_token_id) if tokenizer.cls_token_id in input_ids else 0
        in_context = [i for i, s in enumerate(sequence_ids) if s == 1]
        if not in_context:
            return cls, cls
        first, last = in_context[0], in_context[-1]
        if offsets[first][0] > start_char or offsets[last][1] < end_char:
            return cls, cls                                 # the window does not hold it all
        start = first
        while start <= last and offsets[start][0] <= start_char:
            start += 1
        end = last
        while end >= first and offsets[end][1] >= end_char:
            end -= 1
        return start - 1, end + 1

    def postprocess(self, dataset, features, outputs):
        """The answer text of each example: the best `best_span` over all of its windows.

        outputs[i] is a pair (start_logits (seq_len,), end_logits (seq_len,)). An example with
        no valid span gets "".
        """
        groups = _group_by_example(features, outputs, len(dataset))
        offsets, contexts = _column(features, "offset_mapping"), dataset["context"]
        answers = []
        for context, rows in zip(contexts, groups):
            spans = []
            for row in rows:
                start_logits, end_logits = outputs[row]
                if len(start_logits) != len(offsets[row]) or len(end_logits) != len(offsets[row]):
                    raise DataError(f"QA logits have {len(start_logits)} positions for a feature "
                                    f"of {len(offsets[row])} tokens")
                spans.append(best_span(start_logits, end_logits, offsets[row],
                                       self.n_best, self.max_answer_length))
            best = max((s for s in spans if s is not None), key=lambda s: s.score, default=None)
            answers.append(context[best.start_char:best.end_char] if best else "")
        return answers

    def metrics(self, dataset, predictions):
        """exact_match and f1 (0-100): each the best over the gold answers, averaged over examples.

        Example:
            >>> import datasets
            >>> data = datasets.Dataset.from_dict({"answers": [
            ...     {"text": ["the Normans", "Normans"], "answer_start": [0, 4]},
            ...     {"text": ["in northern France"], "answer_start": [0]}]})
            >>> QaTask().metrics(data, ["Normans!", "France"])
            {'exact_match': 50.0, 'f1': 75.0}
        """
        _check_lengths(predictions, dataset)
        _has_gold(dataset, "answers", True, lambda a: bool(a and a["text"]), "metrics")
        if not len(dataset):
            raise DataError("qa metrics need at least one example")
        em = f1 = 0.0
        for answers, prediction in zip(dataset["answers"], predictions):
            em += max(squad_exact_match(prediction, gold) for gold in answers["text"])
            f1 += max(squad_f1(prediction, gold) for gold in answers["text"])
        return {"exact_match": 100 * em / len(dataset), "f1": 100 * f1 / len(dataset)}

    def format_predictions(self, dataset, predictions):
        """JSON text {question id: answer text}, the SQuAD prediction-file format.

        Example:
            >>> import datasets
            >>> data = datasets.Dataset.from_dict({"id": ["q1"]})
            >>> QaTask().format_predictions(data, ["Ada"])
            '{\\n  "q1": "Ada"\\n}\\n'
        """
        _check_lengths(predictions, dataset)
        _require(dataset, ["id"], self.name)
        ids = dataset["id"]
        if len(set(ids)) != len(ids):
            raise DataError("qa question ids must be unique to write predictions")
        return json.dumps(dict(zip(ids, predictions)), indent=2, ensure_ascii=False) + "\n"


TASKS = {"sentiment": SentimentTask, "ner": NerTask, "qa": QaTask}
