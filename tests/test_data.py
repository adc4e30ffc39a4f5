"""Tests of lorakit.data (readers, bundled splits, Hub mappers) and of the data generator.

Run: HF_HUB_OFFLINE=1 .venv/bin/python -m pytest tests/test_data.py -q
Nothing here touches the network: the Hub mappers run on small data sets built below with the
Hub's own column names, features and label names.
"""
import doctest
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from datasets import ClassLabel, Dataset, DatasetDict, Features, Sequence, Value

import lorakit.data as data
import lorakit.tasks.by_name as by_name
from lorakit.data import (bundled_data_dir, bundled_path, load_hub, load_split, load_task_data,
                          read_task_file, task_features)
from lorakit.errors import ConfigError, DataError, UnknownChoiceError
from lorakit.tasks import NER_TAGS, SENTIMENT_LABELS, TASKS, read_conll, read_sentiment, read_squad
from lorakit.tasks.ner import from_hub_conll2003
from lorakit.tasks.qa import from_hub_squad
from lorakit.tasks.reading import SPLITS
from lorakit.tasks.sentiment import from_hub_sst2

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
MIN_SIZES = {"sentiment": (6000, 1000, 1000), "ner": (4000, 800, 800), "qa": (3000, 600, 600),
             "chat": (3000, 150, 300)}

sys.path.insert(0, str(ROOT / "tools"))
from datagen import names  # noqa: E402  (the generator's name lists)


@pytest.fixture(scope="module")
def bundled():
    """Every bundled split, read once: {task: {split: Dataset}}."""
    return {task: {split: load_split(task, split) for split in SPLITS} for task in TASKS}


# ---------------------------------------------------------------------------------------------
# Readers on small files.
def test_read_sentiment_csv():
    ds = read_sentiment(FIXTURES / "sentiment.csv")
    assert ds.features == task_features("sentiment")
    assert ds.features["label"].names == ["negative", "positive"]
    assert list(ds["text"])[0] == "Slow service, but the food more than made up for it."
    assert list(ds["text"])[3] == 'She said "never again", and meant it.'
    assert list(ds["label"]) == [1, 0, 1, 0, 1, 0]          # Positive, NEGATIVE, 1, 0 all accepted


def test_read_sentiment_jsonl_and_json_array(tmp_path):
    ds = read_sentiment(FIXTURES / "sentiment.jsonl")
    assert list(ds["label"]) == [0, 1, 0, 1] and ds.column_names == ["text", "label"]
    array = tmp_path / "reviews.json"
    array.write_text(json.dumps([{"text": "Great.", "label": "positive"}]))
    assert read_sentiment(array)[:] == {"text": ["Great."], "label": [1]}


def test_read_conll():
    ds = read_conll(FIXTURES / "ner.conll")
    assert ds.features == task_features("ner")
    assert ds.features["ner_tags"].feature.names == NER_TAGS
    assert list(ds["tokens"]) == [["EU", "rejects", "German", "call", "."], ["Peter", "Blackburn"],
                            ["BRUSSELS", "1996-08-22"]]
    names_ = ds.features["ner_tags"].feature.names
    assert [[names_[t] for t in tags] for tags in list(ds["ner_tags"])] == [
        ["B-ORG", "O", "B-MISC", "O", "O"], ["B-PER", "I-PER"], ["B-LOC", "O"]]
    assert list(ds["id"]) == ["0", "1", "2"]


def test_read_squad():
    ds = read_squad(FIXTURES / "squad.json")
    assert ds.features == task_features("qa")
    assert ds.column_names == ["id", "title", "context", "question", "answers"]
    assert list(ds["id"]) == ["q1", "q2", "q3"]
    assert ds[1]["answers"] == {"text": ["Ada Okafor", "Okafor"], "answer_start": [54, 58]}
    assert ds[2]["title"] == "Lagos"


def test_read_task_file_dispatches():
    assert len(read_task_file("sentiment", FIXTURES / "sentiment.csv")) == 6
    assert len(read_task_file("ner", FIXTURES / "ner.conll")) == 3
    assert len(read_task_file("qa", FIXTURES / "squad.json")) == 3


def test_files_without_labels_for_prediction(tmp_path):
    (tmp_path / "in.csv").write_text("text\nGreat value.\nNever again.\n")
    ds = read_task_file("sentiment", tmp_path / "in.csv", require_labels=False)
    assert ds.column_names == ["text"] and len(ds) == 2
    (tmp_path / "in.jsonl").write_text('{"text": "Great value."}\n')
    assert read_sentiment(tmp_path / "in.jsonl", require_labels=False).column_names == ["text"]
    (tmp_path / "in.conll").write_text("-DOCSTART-\n\nAda\nwon\n\nOk\n")
    ds = read_conll(tmp_path / "in.conll", require_labels=False)
    assert ds.column_names == ["id", "tokens"] and list(ds["tokens"]) == [["Ada", "won"], ["Ok"]]
    qa = {"data": [{"title": "T", "paragraphs": [{"context": "Ada won.", "qas": [
        {"id": "q1", "question": "Who won?"}, {"id": "q2", "question": "What?", "answers": []}]}]}]}
    (tmp_path / "in.json").write_text(json.dumps(qa))
    ds = read_squad(tmp_path / "in.json", require_labels=False)
    assert ds.column_names == ["id", "title", "context", "question"] and len(ds) == 2
    # labelled files read the same either way; labels stay required by default
    assert read_conll(FIXTURES / "ner.conll", require_labels=False)[:] == \
        read_conll(FIXTURES / "ner.conll")[:]
    with pytest.raises(DataError, match="in.csv, line 1: missing column 'label'"):
        read_sentiment(tmp_path / "in.csv")
    with pytest.raises(DataError, match="in.conll, line 3: no tag after token 'Ada'"):
        read_conll(tmp_path / "in.conll")


def test_partly_labelled_files_are_errors(tmp_path):
    (tmp_path / "mixed.jsonl").write_text('{"text": "A", "label": 1}\n{"text": "B"}\n')
    with pytest.raises(DataError, match="mixed.jsonl, line 2: missing field 'label'"):
        read_sentiment(tmp_path / "mixed.jsonl", require_labels=False)
    (tmp_path / "mixed.conll").write_text("Ada B-PER\nwon\n")
    with pytest.raises(DataError, match="mixed.conll, line 2: no tag after token 'won'"):
        read_conll(tmp_path / "mixed.conll", require_labels=False)


# ---------------------------------------------------------------------------------------------
# Bad input: each case is (task, file name, content, text the message must hold).
BAD = [
    ("sentiment", "latin1.csv", "text,label\nCaf\xe9 was great,positive\n".encode("latin-1"),
     ["latin1.csv", "line 2", "not UTF-8"]),
    ("sentiment", "empty.csv", b"  \n", ["empty.csv", "empty file"]),
    ("sentiment", "nolabel.csv", b"text,score\nGood,5\n",
     ["nolabel.csv", "line 1", "missing column 'label'", "found: text, score"]),
    ("sentiment", "neutral.csv", b"text,label\nGood,positive\nMeh,neutral\n",
     ["neutral.csv", "line 3", "unknown label 'neutral'", "valid: negative, positive"]),
    ("sentiment", "blank.csv", b"text,label\n,positive\n", ["blank.csv", "line 2", "empty text"]),
    ("sentiment", "fields.csv", b"text,label\nGood,positive,extra\n",
     ["fields.csv", "line 2", "expected 2 fields"]),
    ("sentiment", "header.csv", b"text,label\n", ["header.csv", "no examples"]),
    ("sentiment", "broken.jsonl", b'{"text": "Good", "label": "positive"}\n{"text": "Bad",\n',
     ["broken.jsonl", "line 2", "malformed JSON"]),
    ("sentiment", "nofield.jsonl", b'{"text": "Good"}\n',
     ["nofield.jsonl", "line 1", "missing field 'label'", "found: text"]),
    ("sentiment", "notobj.jsonl", b'["Good", "positive"]\n', ["notobj.jsonl", "line 1", "expected an object"]),
    ("sentiment", "label2.jsonl", b'{"text": "Good", "label": 2}\n',
     ["label2.jsonl", "line 1", "unknown label 2"]),
    ("sentiment", "reviews.txt", b"Good\tpositive\n", ["reviews.txt", "unsupported file type '.txt'"]),
    ("ner", "tags.conll", "EU B-ORG\n\nPeter B-PERSON\n".encode(),
     ["tags.conll", "line 3", "unknown tag 'B-PERSON'", "valid: O, B-PER, I-PER"]),
    ("ner", "notag.conll", b"EU B-ORG\nrejects\n", ["notag.conll", "line 2", "no tag after token 'rejects'"]),
    ("ner", "empty.conll", b"\n\n", ["empty.conll", "empty file"]),
    ("ner", "docstart.conll", b"-DOCSTART- -X- O O\n\n", ["docstart.conll", "no sentences"]),
    ("ner", "cp1252.conll", "M\xfcller B-PER\n".encode("cp1252"), ["cp1252.conll", "line 1", "not UTF-8"]),
    ("qa", "broken.json", b'{"data": [\n  {"title": "T",}\n]}',
     ["broken.json", "line 2", "column", "malformed JSON"]),
    ("qa", "nodata.json", b'{"version": "1.1", "articles": []}',
     ["nodata.json", "missing field 'data'", "found: version, articles"]),
    ("qa", "noanswers.json",
     json.dumps({"data": [{"title": "T", "paragraphs": [{"context": "Ada won.", "qas": [
         {"id": "q7", "question": "Who won?"}]}]}]}).encode(),
     ["noanswers.json", "question id 'q7'", "missing field 'answers'", "found: id, question"]),
    ("qa", "offset.json",
     json.dumps({"data": [{"title": "T", "paragraphs": [{"context": "Ada won in Lyon.", "qas": [
         {"id": "q9", "question": "Where?", "answers": [{"text": "Lyon", "answer_start": 10}]}]}]}]}).encode(),
     ["offset.json", "question id 'q9'", "answer_start 10 does not point at the answer text 'Lyon'"]),
    ("qa", "v2.json",
     json.dumps({"data": [{"title": "T", "paragraphs": [{"context": "Ada won.", "qas": [
         {"id": "q3", "question": "Why?", "answers": []}]}]}]}).encode(),
     ["v2.json", "question id 'q3'", "no answers"]),
    ("qa", "dup.json",
     json.dumps({"data": [{"title": "T", "paragraphs": [{"context": "Ada won.", "qas": [
         {"id": "q1", "question": "Who?", "answers": [{"text": "Ada", "answer_start": 0}]},
         {"id": "q1", "question": "Who?", "answers": [{"text": "Ada", "answer_start": 0}]}]}]}]}).encode(),
     ["dup.json", "question id 'q1'", "used twice"]),
    ("qa", "ctx.json", json.dumps({"data": [{"title": "T", "paragraphs": [{"context": 3, "qas": []}]}]}).encode(),
     ["ctx.json", "data[0].paragraphs[0]", "field 'context' must be a string"]),
]


@pytest.mark.parametrize("task,name,content,expected", BAD, ids=[b[1] for b in BAD])
def test_bad_input_raises_one_line_data_error(tmp_path, task, name, content, expected):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DataError) as info:
        read_task_file(task, path)
    message = str(info.value)
    assert "\n" not in message
    for part in expected:
        assert part in message, (part, message)
    assert info.value.__cause__ is None or isinstance(info.value.__cause__, DataError)


@pytest.mark.parametrize("task", TASKS)
def test_missing_file(tmp_path, task):
    with pytest.raises(DataError, match=re.escape(f"{tmp_path / 'nope.x'}: no such file")):
        read_task_file(task, tmp_path / "nope.x")


def test_unknown_names_list_the_valid_ones():
    for call in (lambda: read_task_file("pos", FIXTURES / "ner.conll"),
                 lambda: load_split("summarisation", "train"), lambda: bundled_path("NER", "test"),
                 lambda: load_task_data("tagging")):
        with pytest.raises(DataError, match=r"unknown task .* \(valid: sentiment, ner, qa, chat\)"):
            call()
    with pytest.raises(DataError, match=r"unknown split 'dev' \(valid: train, validation, test\)"):
        load_split("ner", "dev")
    with pytest.raises(ConfigError, match=r"unknown source 'web' \(valid: bundled, hub\)"):
        load_task_data("ner", source="web")
    with pytest.raises(ConfigError, match="max_examples"):
        load_task_data("ner", max_examples=0)
    assert issubclass(UnknownChoiceError, DataError) and issubclass(UnknownChoiceError, ConfigError)


# ---------------------------------------------------------------------------------------------
# The bundled data.
def test_bundled_data_dir_is_the_checkout_folder():
    assert bundled_data_dir() == ROOT / "data"
    assert bundled_path("qa", "validation") == ROOT / "data" / "qa" / "validation.json"


@pytest.mark.parametrize("task", TASKS)
def test_bundled_splits_sizes_and_schema(bundled, task):
    for split, minimum in zip(SPLITS, MIN_SIZES[task]):
        ds = bundled[task][split]
        assert len(ds) >= minimum, (task, split, len(ds))
        assert ds.features == task_features(task)
    if task == "sentiment":
        assert bundled[task]["train"].features["label"].names == SENTIMENT_LABELS
    if task == "ner":
        assert bundled[task]["train"].features["ner_tags"].feature.names == NER_TAGS
        used = {t for tags in list(bundled[task]["train"]["ner_tags"]) for t in tags}
        assert used == set(range(len(NER_TAGS)))           # every tag occurs


def test_bundled_sentiment_is_balanced(bundled):
    for split in SPLITS:
        labels = list(bundled["sentiment"][split]["label"])
        assert labels.count(0) == labels.count(1), split


def test_implied_sentiment_kinds_serve_both_labels():
    """Implied sentiment, rating talk and turned-round feelings occur about equally often for both
    labels, and the rating frames are shared: only the number or the structure decides."""
    import random
    from datagen import sentiment
    pools = names.build_pools()["train"]
    rng = random.Random(0)
    rows = [sentiment.make_example(rng, pools, label) for _ in range(1500) for label in ("positive", "negative")]
    for kind in ("implied", "rating", "reversal"):
        pos = sum(kind in r["kinds"] and r["label"] == "positive" for r in rows)
        neg = sum(kind in r["kinds"] and r["label"] == "negative" for r in rows)
        assert min(pos, neg) > 0.7 * max(pos, neg) and min(pos, neg) >= 20, (kind, pos, neg)
    ctx = sentiment._Ctx(rng, pools, sentiment.PRODUCT)
    frames = {label: {re.sub(r"\d+|one|two|four|five|a single", "N", sentiment._rating(ctx, label))
                      for _ in range(400)} for label in ("positive", "negative")}
    assert len(frames["positive"] & frames["negative"]) >= 8       # "N/10.", "Giving it N stars." ...


def test_bundled_qa_has_800_paragraphs_and_short_contexts(bundled):
    contexts = {c for split in SPLITS for c in list(bundled["qa"][split]["context"])}
    assert len(contexts) >= 800
    assert all(60 <= len(c.split()) <= 150 for c in contexts)


def test_splits_share_no_text(bundled):
    keys = {
        "sentiment": lambda ds: {" ".join(t.lower().split()) for t in list(ds["text"])},
        "ner": lambda ds: {" ".join(t).lower() for t in list(ds["tokens"])},
        "qa": lambda ds: set(ds["context"]),
    }
    for task, key in keys.items():
        sets = {split: key(bundled[task][split]) for split in SPLITS}
        assert not sets["train"] & sets["validation"], task
        assert not sets["train"] & sets["test"], task
        assert not sets["validation"] & sets["test"], task


def _entities(ds):
    """{(type, text)} of a NER split."""
    tag_names = ds.features["ner_tags"].feature.names
    out = set()
    for tokens, tags in zip(list(ds["tokens"]), list(ds["ner_tags"])):
        cur = None
        for tok, tag in zip(tokens, (tag_names[t] for t in tags)):
            if tag.startswith("B-"):
                cur = [tag[2:], [tok]]
                out.add((cur[0], tuple(cur[1])))
            elif tag.startswith("I-") and cur:
                out.discard((cur[0], tuple(cur[1])))
                cur[1].append(tok)
                out.add((cur[0], tuple(cur[1])))
            else:
                cur = None
    return {(t, " ".join(w)) for t, w in out}


def test_held_out_entities_never_in_train(bundled):
    train = _entities(bundled["ner"]["train"])
    for split in ("validation", "test"):
        shared = {e for e in _entities(bundled["ner"][split]) & train if e[1] not in names.SHARED}
        assert not shared, sorted(shared)[:10]
    people = {w for t, text in train if t == "PER" for w in text.split()}
    test_people = {w for t, text in _entities(bundled["ner"]["test"]) if t == "PER"
                   for w in text.split()}
    leaked = {w for w in test_people & people if w not in names.SHARED and not w.islower()}
    assert not leaked, sorted(leaked)[:10]


def _ngrams(texts, n=4):
    """All word n-grams (n <= 4) of the texts, words as runs of letters and digits."""
    grams = set()
    for text in texts:
        words = re.findall(r"\w+", text)
        for i in range(len(words)):
            for j in range(i + 1, min(i + n, len(words)) + 1):
                grams.add(" ".join(words[i:j]))
    return grams


def test_test_names_never_appear_in_training_text(bundled):
    train = _ngrams(list(bundled["sentiment"]["train"]["text"])
                    + [" ".join(t) for t in list(bundled["ner"]["train"]["tokens"])]
                    + list(bundled["qa"]["train"]["context"]) + list(bundled["qa"]["train"]["question"]))
    held = names.build_pools()["test"].held_out()
    assert sum(len(v) for v in held.values()) > 400
    found = {kind: [n for n in ns if " ".join(re.findall(r"\w+", n)) in train]
             for kind, ns in held.items()}
    assert not any(found.values()), {k: v[:5] for k, v in found.items() if v}


# ---------------------------------------------------------------------------------------------
# max_examples and the Hub mappers.
def test_max_examples_keeps_the_first_n():
    dd = load_task_data("ner", max_examples=5)
    assert list(dd) == list(SPLITS) and all(len(ds) == 5 for ds in dd.values())
    assert list(dd["train"]["tokens"]) == list(load_split("ner", "train")["tokens"])[:5]


POS = ['"', "''", "#", "$", "(", ")", ",", ".", ":", "``", "CC", "CD", "DT", "EX", "FW", "IN",
       "JJ", "JJR", "JJS", "LS", "MD", "NN", "NNP", "NNPS", "NNS", "NN|SYM", "PDT", "POS", "PRP",
       "PRP$", "RB", "RBR", "RBS", "RP", "SYM", "TO", "UH", "VB", "VBD", "VBG", "VBN", "VBP",
       "VBZ", "WDT", "WP", "WP$", "WRB"]
CHUNK = ["O", "B-ADJP", "I-ADJP", "B-ADVP", "I-ADVP", "B-CONJP", "I-CONJP", "B-INTJ", "I-INTJ",
         "B-LST", "I-LST", "B-NP", "I-NP", "B-PP", "I-PP", "B-PRT", "I-PRT", "B-SBAR", "I-SBAR",
         "B-UCP", "I-UCP", "B-VP", "I-VP"]


def hub_sst2():
    """Shaped like stanfordnlp/sst2: idx, sentence, label (test labels are -1)."""
    f = Features({"idx": Value("int32"), "sentence": Value("string"),
                  "label": ClassLabel(names=["negative", "positive"])})
    def split(n, labelled=True):
        return Dataset.from_dict({"idx": list(range(n)),
                                  "sentence": [f"sentence {i} " for i in range(n)],
                                  "label": [i % 2 if labelled else -1 for i in range(n)]},
                                 features=f)
    return DatasetDict({"train": split(40), "validation": split(6), "test": split(5, False)})


def hub_conll(ner_names=NER_TAGS):
    """Shaped like lhoestq/conll2003: id, tokens, pos_tags, chunk_tags, ner_tags."""
    f = Features({"id": Value("string"), "tokens": Sequence(Value("string")),
                  "pos_tags": Sequence(ClassLabel(names=POS)),
                  "chunk_tags": Sequence(ClassLabel(names=CHUNK)),
                  "ner_tags": Sequence(ClassLabel(names=ner_names))})
    rows = [(["-DOCSTART-"], ["O"]), (["EU", "rejects", "German", "call"], ["B-ORG", "O", "B-MISC", "O"]),
            (["Peter", "Blackburn"], ["B-PER", "I-PER"])]
    def split():
        return Dataset.from_dict({
            "id": [str(i) for i in range(len(rows))], "tokens": [r[0] for r in rows],
            "pos_tags": [[22] * len(r[0]) for r in rows], "chunk_tags": [[11] * len(r[0]) for r in rows],
            "ner_tags": [[ner_names.index(t) for t in r[1]] for r in rows]}, features=f)
    return DatasetDict({s: split() for s in SPLITS})


def hub_squad():
    """Shaped like rajpurkar/squad: id, title, context, question, answers (train, validation)."""
    f = Features({"id": Value("string"), "title": Value("string"), "context": Value("string"),
                  "question": Value("string"),
                  "answers": Sequence({"text": Value("string"), "answer_start": Value("int32")})})
    def split(prefix, titles):
        rows = [(f"{prefix}{i}", t) for i, t in enumerate(titles)]
        return Dataset.from_dict({
            "id": [r[0] for r in rows], "title": [r[1] for r in rows],
            "context": [f"{r[1]} is a place." for r in rows], "question": ["What?"] * len(rows),
            "answers": [{"text": ["a place"], "answer_start": [len(r[1]) + 4]} for r in rows]},
            features=f)
    train_titles = [f"T{i // 3}" for i in range(60)]           # 20 titles, 3 questions each
    return DatasetDict({"train": split("tr", train_titles), "validation": split("va", ["V"] * 5)})


def test_from_hub_sst2():
    dd = from_hub_sst2(hub_sst2())
    assert list(dd) == list(SPLITS)
    assert all(ds.features == task_features("sentiment") for ds in dd.values())
    assert list(dd["test"]["text"]) == list(hub_sst2()["validation"]["sentence"])     # validation -> test
    assert len(dd["train"]) + len(dd["validation"]) == 40 and len(dd["validation"]) == 4
    assert not set(dd["train"]["text"]) & set(dd["validation"]["text"])
    assert list(from_hub_sst2(hub_sst2())["validation"]["text"]) == list(dd["validation"]["text"])  # seeded
    wrong = hub_sst2().cast_column("label", ClassLabel(names=["neg", "pos"]))
    with pytest.raises(DataError, match="label names"):
        from_hub_sst2(wrong)


def test_from_hub_conll2003_maps_tags_by_name():
    dd = from_hub_conll2003(hub_conll())
    assert list(dd) == list(SPLITS)
    assert dd["test"].features == task_features("ner")
    assert list(dd["test"]["tokens"]) == [["EU", "rejects", "German", "call"], ["Peter", "Blackburn"]]
    assert list(dd["test"]["ner_tags"]) == [[3, 0, 7, 0], [1, 2]]
    shuffled = ["O", "B-LOC", "I-LOC", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-MISC", "I-MISC"]
    assert list(from_hub_conll2003(hub_conll(shuffled))["test"]["ner_tags"]) == [[3, 0, 7, 0], [1, 2]]
    plain = hub_conll().cast_column("ner_tags", Sequence(Value("int64")))   # ints, CoNLL order
    assert list(from_hub_conll2003(plain)["train"]["ner_tags"]) == [[3, 0, 7, 0], [1, 2]]


def test_from_hub_squad_carves_validation_by_title():
    dd = from_hub_squad(hub_squad())
    assert list(dd) == list(SPLITS)
    assert all(ds.features == task_features("qa") for ds in dd.values())
    assert list(dd["test"]["id"]) == list(hub_squad()["validation"]["id"])
    assert len(dd["train"]) + len(dd["validation"]) == 60 and len(dd["validation"]) == 6
    assert not set(dd["train"]["title"]) & set(dd["validation"]["title"])


def test_load_hub_calls_load_dataset_and_maps(monkeypatch):
    calls = []
    def fake_load_dataset(name):
        calls.append(name)
        return {"stanfordnlp/sst2": hub_sst2, "lhoestq/conll2003": hub_conll,
                "rajpurkar/squad": hub_squad}[name]()
    monkeypatch.setattr(by_name.datasets, "load_dataset", fake_load_dataset)
    assert load_hub("ner")["test"].features == task_features("ner")
    dd = load_task_data("sentiment", source="hub", max_examples=3)
    assert [len(ds) for ds in dd.values()] == [3, 3, 3]
    assert load_hub("qa", name="rajpurkar/squad")["train"].features == task_features("qa")
    assert calls == ["lhoestq/conll2003", "stanfordnlp/sst2", "rajpurkar/squad"]

    def offline(name):
        raise ConnectionError("Couldn't reach the Hub\nmore detail")
    monkeypatch.setattr(by_name.datasets, "load_dataset", offline)
    with pytest.raises(DataError, match=r"^could not load 'rajpurkar/squad' .*ConnectionError: "
                                        r"Couldn't reach the Hub\)$"):
        load_hub("qa")


def test_docstring_examples():
    from lorakit.tasks import conll, ner, qa, reading, registry, sentiment
    results = [doctest.testmod(m, optionflags=doctest.ELLIPSIS)
               for m in (data, by_name, conll, ner, qa, reading, registry, sentiment)]
    assert sum(r.failed for r in results) == 0 and sum(r.attempted for r in results) > 10


# ---------------------------------------------------------------------------------------------
# The generator.
def _generate(out, hash_seed):
    env = dict(os.environ, PYTHONHASHSEED=str(hash_seed))
    subprocess.run([sys.executable, str(ROOT / "tools" / "make_data.py"), "--out", str(out)],
                   check=True, env=env, capture_output=True, timeout=120)
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file()}


def test_generator_is_deterministic_and_matches_committed_data(tmp_path):
    first = _generate(tmp_path / "a", 1)
    second = _generate(tmp_path / "b", 2)          # another hash seed: no set-order dependence
    assert len(first) == 15 and first == second
    for rel, content in first.items():
        assert (ROOT / "data" / rel).read_bytes() == content, \
            f"data/{rel} differs from the generator's output: run python tools/make_data.py"


def test_data_card_numbers_come_from_the_data(bundled):
    card = (ROOT / "data" / "README.md").read_text(encoding="utf-8")
    assert "python tools/make_data.py" in card
    for split in SPLITS:
        ds = bundled["sentiment"][split]
        pos = list(ds["label"]).count(1)
        assert f"| {split} | {len(ds)} | {pos} | {len(ds) - pos} |" in card
        assert f"| {split} | {len(bundled['ner'][split])} |" in card


def test_a_csv_review_longer_than_the_csv_modules_field_limit_is_read_whole(tmp_path):
    """Python's csv refuses fields over 128 KB by default; a long document is valid input."""
    long_text = "a long and careful review " * 10_000            # 260 KB in one field
    path = tmp_path / "long.csv"
    path.write_text(f'text,label\n"{long_text}",positive\nshort,negative\n', encoding="utf-8")
    rows = read_task_file("sentiment", path)
    assert len(rows) == 2 and rows[0]["text"] == long_text
