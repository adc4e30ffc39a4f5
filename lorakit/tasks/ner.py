"""Named entities: a sentence's words -> one BIO tag per word (token classification; CoNLL-2003's schema).

    file      CoNLL: "token ... TAG" per line (the tag is the last column), a blank line between
              sentences, "-DOCSTART-" lines ignored; tags from NER_TAGS (BIO over PER ORG LOC MISC);
              columns split at ASCII blanks only (read by `lorakit.tasks.conll`)
    dataset   id: str, tokens: [str], ner_tags: [ClassLabel(NER_TAGS)]         (CoNLL-2003)
    features  one per sentence (truncated); `labels`: one id per sub-token, -100 where not scored
    outputs   (seq_len, num_labels) logits per sentence
    written   CoNLL `token TAG`

The encoder sees sub-word tokens, the data has words: `tokenizer(words, is_split_into_words=True)`
and `word_ids()` map one to the other. Byte-level BPE tokenizers (RoBERTa, GPT-2) must then be
loaded with `add_prefix_space=True`, otherwise every word is tokenized as if it started the
sentence; `encode` checks this and says so.
"""
import json
import re

import numpy as np

from ..errors import ConfigError, DataError
from .base import (IGNORE_INDEX, Task, check_lengths, checked_max_length, column_values, group_by_example,
                   has_gold, require_columns, tokenize_map)
from .rewards import entity_f1_reward
from .conll import NER_TAGS, from_hub_conll2003, ner_features, read_conll

# A JSON reply may come inside a Markdown code fence: ```json ... ```
_FENCE = re.compile(r"```(?:json)?\s*(.*?)\s*```", re.DOTALL | re.IGNORECASE)


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

    name, main_metric, label_column, default_labels = "ner", "f1", "ner_tags", NER_TAGS
    token_labels = True
    option_defaults = {"max_length": 128, "label_all_tokens": False}
    model_class, peft_task_type = "AutoModelForTokenClassification", "TOKEN_CLS"
    file_name, hub_name = "{split}.conll", "lhoestq/conll2003"
    chat_reply_tokens = 96      # the longest reply a chat model gives (see tasks/chat.py)
    reward, reward_reply_tokens = entity_f1_reward, 64   # reinforcement learning (lorakit.rl)
    chat_instructions = [       # $sentence: the tokens joined by spaces; the reply: [entity, type] pairs
        "Find the named entities in this sentence: people (PER), organisations (ORG), locations (LOC) "
        "and other names (MISC). Answer with a JSON list of [entity, type] pairs in the order they "
        'appear, e.g. [["Anna Berg", "PER"], ["Oslo", "LOC"]], or [] if there are none.\n\nSentence: $sentence',
        "Extract the entities from the text below as a JSON list of [entity, type] pairs (types PER, ORG, "
        "LOC, MISC).\n\n$sentence",
        "$sentence\n\nList the people, organisations, places and other named things above as JSON, each "
        "with its type (PER, ORG, LOC, MISC).",
        "NER, JSON output:\n$sentence",
        "Please tag the named entities in the following sentence. Give a JSON list with one [entity, type] "
        "pair per entity (type PER, ORG, LOC or MISC), in the order they appear.\n\nSentence: \"$sentence\"",
        "Which persons, organizations, locations and miscellaneous names does this sentence mention? "
        "Reply in JSON.\n\n$sentence",
        "Text: $sentence\nEntities (JSON, types PER/ORG/LOC/MISC):",
        "Could you pull out the named entities here? Pair each with its type (PER, ORG, LOC, MISC) in a "
        "JSON list, and return [] if there are none.\n\n$sentence",
        "Named entities of: $sentence\nFormat: JSON [[entity, type], ...].",
        "Read this sentence and return its named entities and their types as JSON.\n\n$sentence",
    ]

    @staticmethod
    def features():
        return ner_features()

    def read(self, path, require_labels=True):
        return read_conll(path, require_labels, self)

    @staticmethod
    def from_hub(dd):
        return from_hub_conll2003(dd)

    def encode(self, dataset, tokenizer, train=True):
        """Sub-token ids of each sentence; `labels` aligned by `align_labels_with_tokens`.

        Features made with train=False also keep `word_ids` for `postprocess`.
        """
        require_columns(dataset, ["tokens"], self.name)
        check_split_words(tokenizer)
        max_length = checked_max_length(self.max_length, tokenizer)
        gold = has_gold(dataset, "ner_tags", train)
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
        return tokenize_map(dataset, tokenize)

    def _align(self, word_ids, tokens, tags, row, b_to_i):
        if len(tokens) != len(tags):
            raise DataError(f"ner row {row}: {len(tokens)} tokens but {len(tags)} tags")
        return align_labels_with_tokens(word_ids, tags, self.label_all_tokens, b_to_i)

    @staticmethod
    def outputs(output, lengths):
        """One (seq_len, num_labels) array of logits per sentence, without its padding."""
        return [logits[:n] for logits, n in zip(output.logits.float().cpu().numpy(), lengths)]

    def postprocess(self, dataset, features, outputs):
        """One tag name per word: the arg-max at each word's first sub-token.

        outputs[i] is (seq_len, num_labels) logits for feature i.
        """
        names = self._names(dataset)
        groups = group_by_example(features, outputs, len(dataset))
        all_word_ids, sentences = column_values(features, "word_ids"), dataset["tokens"]
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
        check_lengths(predictions, dataset)
        names = self._names(dataset)
        has_gold(dataset, "ner_tags", True, purpose="metrics")
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
        check_lengths(predictions, dataset)
        blocks = []
        for row, (tokens, tags) in enumerate(zip(dataset["tokens"], predictions)):
            if len(tokens) != len(tags) or any(re.fullmatch(r"\S+", t, re.ASCII) is None for t in tokens):
                raise DataError(f"ner row {row}: need one tag per token and tokens without spaces")
            blocks.append("".join(f"{token} {tag}\n" for token, tag in zip(tokens, tags)))
        return "\n".join(blocks)

    def entity_types(self):
        """The entity types of the label set, in its order: PER, ORG, LOC, MISC for NER_TAGS."""
        return [tag[2:] for tag in self.labels if tag.startswith("B-")]

    def to_chat(self, row, variant=0):
        """The sentence (its tokens joined by spaces) as a user turn, and the gold reply: compact JSON,
        a list of [entity, type] pairs in sentence order, repeats kept ([] when there are none).

        Entity first, then its type: a small model copies the words, then types them while it sees
        them. (A JSON object grouped by type, {"PER": [...], "LOC": [...]}, makes it choose a type
        before it has found an entity of it: SmolLM2-135M, trained on 800 sentences, reached entity
        F1 0.55 with that format and 0.79 with this one.)

        Example:
            >>> row = {"tokens": ["Anna", "Berg", "left", "Oslo", "for", "Oslo", "."],
            ...        "ner_tags": [1, 2, 0, 5, 0, 5, 0]}
            >>> NerTask().to_chat(row)[1]
            '[["Anna Berg", "PER"], ["Oslo", "LOC"], ["Oslo", "LOC"]]'
        """
        from seqeval.metrics.sequence_labeling import get_entities
        messages = self._user_turn(variant, sentence=" ".join(row["tokens"]))
        if row.get("ner_tags") is None:
            return messages, None
        tags = self._ids_to_names(row["ner_tags"], self.labels)
        pairs = [[" ".join(row["tokens"][first:last + 1]), kind]   # the entities seqeval scores
                 for kind, first, last in get_entities(tags)]
        return messages, json.dumps(pairs, ensure_ascii=False)

    def from_reply(self, reply, row):
        """One BIO tag per token of `row["tokens"]`, from a JSON reply; None if it does not parse.

        Each entity string is tagged at the first place in the sentence where its words occur and
        no word is tagged yet, left to right; one that does not occur is dropped (see `tag_entities`).

        Example:
            >>> row = {"tokens": ["Anna", "Berg", "left", "Oslo", "for", "Oslo", "."]}
            >>> NerTask().from_reply('[["Anna Berg", "PER"], ["Oslo", "LOC"], ["Oslo", "LOC"]]', row)
            ['B-PER', 'I-PER', 'O', 'B-LOC', 'O', 'B-LOC', 'O']
        """
        entities = parse_entities(reply, self.entity_types())
        return None if entities is None else tag_entities(row["tokens"], entities)[0]

    def unparsed_prediction(self, row):
        """No entity at all: "O" for every token."""
        return ["O"] * len(row["tokens"])

    def chat_reply_pattern(self):
        """The reply format `to_chat` teaches, as a regular expression: a JSON list of [entity, type]
        pairs with the task's types; generation is held to it (see tasks/chat.py, `PatternGuide`).

        Example:
            >>> import re
            >>> pattern = NerTask().chat_reply_pattern()
            >>> [bool(re.fullmatch(pattern, reply)) for reply in
            ...  ('[["Anna Berg", "PER"], ["Oslo", "LOC"]]', '[]', '[["Oslo", ["LOC"]]]', '[["Oslo", "CITY"]]',
            ...   r'[["O\\'Neil", "PER"]]')]                                   # JSON has no \\' escape
            [True, True, False, False, False]
        """
        text = r'"(?:[^"\\\n]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"'     # a JSON string on one line
        pair = rf'\[ ?{text}, ?"(?:{"|".join(map(re.escape, self.entity_types()))})" ?\]'
        return rf"\s?\[ ?(?:{pair}(?:, ?{pair})*)? ?\]\s?"


def parse_entities(reply, types=("PER", "ORG", "LOC", "MISC")):
    """[(type, entity text)] of a JSON reply, in the reply's order, or None if it does not parse.

    The reply is a list of [entity, type] pairs (what `to_chat` teaches) or an object that maps
    each type to a list of its entities (what an untrained model often writes). Surrounding
    whitespace and a ```json fence are allowed. The reply does not parse (None) when there is
    anything else around the JSON, when an item of a list is not a pair of strings, or when a
    known type of an object maps to anything but a list of strings. Types not in `types` are
    ignored, so an invented type does not cost the good entities.

    Example:
        >>> parse_entities('[["Oslo", "LOC"], ["May", "DATE"], ["Ada", "PER"]]')
        [('LOC', 'Oslo'), ('PER', 'Ada')]
        >>> parse_entities('```json\\n{"LOC": ["Oslo"], "DATE": ["May"], "PER": []}\\n```')
        [('LOC', 'Oslo')]
        >>> parse_entities('[["Oslo"]]'), parse_entities('{"LOC": "Oslo"}'), parse_entities('Entities: []')
        (None, None, None)
    """
    text = reply.strip()
    fenced = _FENCE.fullmatch(text)
    try:
        found = json.loads(fenced.group(1) if fenced else text)
    except json.JSONDecodeError:
        return None
    if isinstance(found, list):
        if not all(isinstance(pair, list) and len(pair) == 2 and all(isinstance(x, str) for x in pair)
                   for pair in found):
            return None
        return [(kind, name) for name, kind in found if kind in types]
    if not isinstance(found, dict):
        return None
    entities = []
    for kind, names in found.items():
        if kind not in types:
            continue
        if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
            return None
        entities += [(kind, name) for name in names]
    return entities


def tag_entities(tokens, entities):
    """(BIO tags, dropped): each (type, text) of `entities` tagged onto `tokens`, in order.

    An entity's words (its text split at whitespace) are tagged where they first occur as whole
    tokens with none of them tagged yet; one that does not occur so is dropped: it is returned in
    `dropped`, as the reply's entities that could not be placed.

    Example: the second "Oslo" goes to the second place; "Bergen" is not in the sentence.
        >>> tokens = ["Oslo", "and", "Oslo", "Fjord", "Oslo"]
        >>> tag_entities(tokens, [("LOC", "Oslo Fjord"), ("LOC", "Oslo"), ("LOC", "Oslo"), ("LOC", "Bergen")])
        (['B-LOC', 'O', 'B-LOC', 'I-LOC', 'B-LOC'], [('LOC', 'Bergen')])
    """
    words = [" ".join(token.split()) for token in tokens]   # a token may hold a no-break space
    tags, dropped = ["O"] * len(tokens), []
    for kind, text in entities:
        target = " ".join(text.split())
        span = next(((start, end) for start in range(len(words))
                     for end in range(start + 1, len(words) + 1)
                     if " ".join(words[start:end]) == target
                     and all(tag == "O" for tag in tags[start:end])), None)
        if span is None:
            dropped.append((kind, text))
            continue
        start, end = span
        tags[start:end] = [f"B-{kind}"] + [f"I-{kind}"] * (end - start - 1)
    return tags, dropped


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


def check_split_words(tokenizer):
    """Pre-split words must tokenize as the sentence they came from (RoBERTa: add_prefix_space)."""
    words = ["Hello", "world"]
    split = tokenizer(words, is_split_into_words=True, add_special_tokens=False)["input_ids"]
    if split != tokenizer(" ".join(words), add_special_tokens=False)["input_ids"]:
        raise ConfigError("this tokenizer splits pre-tokenized words wrongly; load it with "
                          "AutoTokenizer.from_pretrained(name, add_prefix_space=True)")
