"""Extractive question answering: question + passage -> an answer span of the passage (SQuAD v1.1).

    file      SQuAD v1.1 JSON: {"data": [{"title", "paragraphs": [{"context",
              "qas": [{"id", "question", "answers": [{"text", "answer_start"}]}]}]}]}
    dataset   id, title, context, question: str,
              answers: {"text": [str], "answer_start": [int32]}                (rajpurkar/squad)
    features  one per window of a long context; `start_positions`/`end_positions`
    outputs   (start logits (seq_len,), end logits (seq_len,)) per window
    written   JSON {question id: answer text}

Default lengths: 256 tokens per window with `doc_stride=64`, the number of tokens two neighbouring
windows share (the HF `stride`), so an answer of up to 64 tokens cut by one window lies whole
inside the next. QA trains LoRA on every Linear layer (`all-linear`) for one epoch at lr 2e-3: at
the same trainable count, lr and epoch, LoRA on query and value alone (rank 36) reached a test F1 of
75.6 against 87.7 (lesson 07 compares them). It also turns off dropout on
the attention probabilities: with it on, PyTorch's fused CPU attention falls back to a slower
path, and a QA training step takes about 20% longer (hidden dropout stays).
"""
import json
from collections import namedtuple
from pathlib import Path

import numpy as np
from datasets import Dataset, DatasetDict, Features, Sequence, Value

from ..errors import ConfigError, DataError
from .base import (Task, check_lengths, checked_max_length, column_values, group_by_example, has_gold,
                   require_columns, tokenize_map)
from .reading import carve, carve_size, check_fields, parse_json, read_text, require_splits, typed_field
from .rewards import token_f1_reward
from .squad import squad_exact_match, squad_f1

Span = namedtuple("Span", "start_char end_char score")
_QUOTES = {'"': '"', "'": "'", "\u201c": "\u201d", "\u2018": "\u2019"}   # opening -> closing quote


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
        >>> features = QaTask(doc_stride=4, max_length=16).encode(data, load_tokenizer())
        >>> list(features["start_positions"]), list(features["end_positions"])
        ([0, 0, 8], [0, 0, 10])
    """

    name, main_metric, label_column = "qa", "f1", "answers"
    option_defaults = {"max_length": 256, "doc_stride": 64}
    defaults = {"epochs": 1, "batch_size": 16, "target_modules": "all-linear", "lr": {"lora": 2e-3},
                "attention_dropout": 0.0}
    model_class, peft_task_type = "AutoModelForQuestionAnswering", "QUESTION_ANS"
    file_name, hub_name = "{split}.json", "rajpurkar/squad"
    chat_reply_tokens = 48      # the longest reply a chat model gives (see tasks/chat.py)
    reward, reward_reply_tokens = token_f1_reward, 16   # reinforcement learning (lorakit.rl)
    chat_instructions = [       # $context, $question; the reply: the answer copied from the passage
        "Answer the question with a short span copied from the passage.\n\nPassage: $context\n\n"
        "Question: $question",
        "$context\n\n$question",
        "Question: $question\nContext: $context\nAnswer with words from the context.",
        "Please read the text below and answer the question using the exact words of the text."
        "\n\nText: $context\n\nQuestion: $question",
        "Read: $context\nQ: $question\nA:",
        "$question Answer from this passage, copying the answer exactly:\n\n$context",
        "Here is a paragraph:\n\n$context\n\nBased on the paragraph, answer briefly: $question",
        'Extract the answer to "$question" from the passage below.\n\n$context',
        "Context:\n$context\n\nQuestion:\n$question\n\nShort answer:",
        "I have a question about this text: $question\n\n$context\n\nJust give me the answer, please.",
    ]

    def __init__(self, labels=None, n_best=20, max_answer_length=30, **options):
        super().__init__(labels, **options)
        self.n_best, self.max_answer_length = n_best, max_answer_length
        if not isinstance(self.doc_stride, int) or not 0 <= self.doc_stride < self.max_length:
            raise ConfigError(f"--doc-stride must be an overlap in 0..{self.max_length - 1} tokens "
                              f"(below --max-length {self.max_length}), got {self.doc_stride!r}")

    @staticmethod
    def features():
        return Features({"id": Value("string"), "title": Value("string"),
                         "context": Value("string"), "question": Value("string"),
                         "answers": Sequence({"text": Value("string"), "answer_start": Value("int32")})})

    def read(self, path, require_labels=True):
        return read_squad(path, require_labels, self)

    @staticmethod
    def from_hub(dd):
        return from_hub_squad(dd)

    def encode(self, dataset, tokenizer, train=True):
        """Windows of question + context; start/end positions when every row has an answer.

        Features made with train=False also keep `example_id` and `offset_mapping`
        (character offsets of context tokens, None for question and special tokens).
        """
        require_columns(dataset, ["question", "context"], self.name)
        max_length = checked_max_length(self.max_length, tokenizer, pair=True)
        stride = self.doc_stride
        gold = has_gold(dataset, "answers", train, lambda a: bool(a and a["text"]))
        ids = (column_values(dataset, "id") if "id" in dataset.column_names
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
        return tokenize_map(dataset, tokenize)

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

    @staticmethod
    def outputs(output, lengths):
        """(start logits, end logits) per window, each (seq_len,) without the padding."""
        start, end = output.start_logits.float().cpu().numpy(), output.end_logits.float().cpu().numpy()
        return [(s[:n], e[:n]) for s, e, n in zip(start, end, lengths)]

    def postprocess(self, dataset, features, outputs):
        """The answer text of each example: the best `best_span` over all of its windows.

        outputs[i] is a pair (start_logits (seq_len,), end_logits (seq_len,)). An example with
        no valid span gets "".
        """
        groups = group_by_example(features, outputs, len(dataset))
        offsets, contexts = column_values(features, "offset_mapping"), dataset["context"]
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
        check_lengths(predictions, dataset)
        has_gold(dataset, "answers", True, lambda a: bool(a and a["text"]), "metrics")
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
        check_lengths(predictions, dataset)
        require_columns(dataset, ["id"], self.name)
        ids = dataset["id"]
        if len(set(ids)) != len(ids):
            raise DataError("qa question ids must be unique to write predictions")
        return json.dumps(dict(zip(ids, predictions)), indent=2, ensure_ascii=False) + "\n"

    def to_chat(self, row, variant=0):
        """The passage and question as a user turn, and the gold reply: the first gold answer, as is.

        Example:
            >>> row = {"context": "Ada Berg built the bridge in 1901.", "question": "Who built it?",
            ...        "answers": {"text": ["Ada Berg"], "answer_start": [0]}}
            >>> messages, reply = QaTask().to_chat(row, variant=4)
            >>> print(messages[0]["content"])
            Read: Ada Berg built the bridge in 1901.
            Q: Who built it?
            A:
            >>> reply
            'Ada Berg'
        """
        messages = self._user_turn(variant, context=row["context"], question=row["question"].strip())
        answers = row.get("answers")
        return messages, answers["text"][0] if answers and answers["text"] else None

    def from_reply(self, reply, row):
        """The answer text: the reply without surrounding whitespace and one pair of quotes; None
        when nothing is left.

        Example:
            >>> [QaTask().from_reply(r, {}) for r in [" Ada Berg\\n", '"1901"', "\u201cOslo\u201d", ' "" ']]
            ['Ada Berg', '1901', 'Oslo', None]
        """
        answer = reply.strip()
        if len(answer) >= 2 and _QUOTES.get(answer[0]) == answer[-1]:
            answer = answer[1:-1].strip()
        return answer or None

    def unparsed_prediction(self, row):
        """The empty answer, which matches no gold answer."""
        return ""


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


def read_squad(path, require_labels=True, task=None):
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
    root = parse_json(read_text(path), str(path))
    labelled = require_labels or _has_answers(root)
    cols = {name: [] for name in ("id", "title", "context", "question", "answers")}
    seen = set()
    for i, article in enumerate(typed_field(root, "data", list, str(path))):
        where = f"{path}: data[{i}]"
        title = article.get("title", "") if isinstance(article, dict) else ""
        for j, para in enumerate(typed_field(article, "paragraphs", list, where)):
            pwhere = f"{where}.paragraphs[{j}]"
            context = typed_field(para, "context", str, pwhere)
            for k, qa in enumerate(typed_field(para, "qas", list, pwhere)):
                qid = str(typed_field(qa, "id", (str, int), f"{pwhere}.qas[{k}]"))
                qwhere = f"{path}, question id {qid!r}"
                if qid in seen:
                    raise DataError(f"{qwhere}: the id is used twice")
                seen.add(qid)
                question = typed_field(qa, "question", str, qwhere)
                answers = _answers(qa, context, qwhere) if labelled else {"text": [], "answer_start": []}
                for name, value in (("id", qid), ("title", str(title)), ("context", context),
                                    ("question", question), ("answers", answers)):
                    cols[name].append(value)
    if not cols["id"]:
        raise DataError(f"{path}: no questions")
    return (task or QaTask()).dataset(cols, labelled)


def _answers(qa, context, where):
    """{"text": [...], "answer_start": [...]} of one question, each answer found in its context."""
    answers = typed_field(qa, "answers", list, where)
    if not answers:
        raise DataError(f"{where}: no answers (SQuAD v1.1 needs at least one)")
    texts, starts = [], []
    for a in answers:
        text, start = typed_field(a, "text", str, where), typed_field(a, "answer_start", int, where)
        found = context[start:start + len(text)] if start >= 0 else ""
        if not text or found != text:
            raise DataError(f"{where}: answer_start {start} does not point at the answer text "
                            f"{text!r} (found {found!r})")
        texts.append(text)
        starts.append(start)
    return {"text": texts, "answer_start": starts}


def _has_answers(root):
    """True when any question of a SQuAD-shaped object has a non-empty "answers" list."""
    try:
        return any(qa.get("answers") for article in root["data"] for para in article["paragraphs"]
                   for qa in para["qas"])
    except (TypeError, KeyError, AttributeError):
        return True           # malformed: read it as labelled, so the error names the place


def from_hub_squad(dd, seed=0):
    """Map `rajpurkar/squad` (train and validation; already in the QA schema) to the three
    splits: its validation split becomes the test split, and a validation split of the same size
    (at most a tenth of train) is carved from train by whole titles, so that no paragraph is in
    both.

    Example:
        >>> f = QaTask.features()
        >>> rows = {"id": ["a", "b", "c"], "title": ["T1", "T1", "T2"], "context": ["Ada won."] * 3,
        ...         "question": ["Who won?"] * 3,
        ...         "answers": [{"text": ["Ada"], "answer_start": [0]}] * 3}
        >>> hub = DatasetDict({s: Dataset.from_dict(rows, features=f)
        ...                    for s in ("train", "validation")})
        >>> sorted(len(d) for d in from_hub_squad(hub).values())
        [1, 2, 3]
    """
    require_splits(dd, ("train", "validation"), "rajpurkar/squad")
    out = {}
    for split in ("train", "validation"):
        ds = dd[split]
        check_fields(ds.column_names, ("id", "title", "context", "question", "answers"),
                      f"rajpurkar/squad {split}", "column")
        out[split] = ds.select_columns(["id", "title", "context", "question", "answers"]) \
            .cast(QaTask.features())
    train, val = carve(out["train"], carve_size(out["train"], out["validation"]), seed,
                        group="title")
    return DatasetDict({"train": train, "validation": val, "test": out["validation"]})
