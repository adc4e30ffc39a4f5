"""Tests of the tasks asked as a chat: instructions (`to_chat`) and reply parsing (`from_reply`).

Run: HF_HUB_OFFLINE=1 .venv/bin/python -m pytest tests/test_chat_formats.py -q
No model here: the formats are plain text, checked on hand-made rows and on the bundled data.
"""
import json

import pytest

from lorakit.data import load_split
from lorakit.errors import ConfigError
from lorakit.tasks import NER_TAGS, NerTask, QaTask, SentimentTask, Task, get_task
from lorakit.tasks.ner import parse_entities, tag_entities

TAG = {tag: i for i, tag in enumerate(NER_TAGS)}
SENTENCE = ["Anna", "Berg", "of", "Nordbank", "flew", "from", "Oslo", "to", "Oslo", "Airport", "."]
TAGS = ["B-PER", "I-PER", "O", "B-ORG", "O", "O", "B-LOC", "O", "B-LOC", "I-LOC", "O"]
NER_ROW = {"id": "0", "tokens": SENTENCE, "ner_tags": [TAG[t] for t in TAGS]}
QA_ROW = {"id": "q1", "title": "Bridges", "context": "The Kvist bridge was built by Ada Berg in 1901.",
          "question": "Who built the Kvist bridge?", "answers": {"text": ["Ada Berg"], "answer_start": [29]}}


def gold_prediction(task, row):
    """What the task itself predicts for a row when it is right."""
    if task.name == "sentiment":
        return task.labels[row["label"]]
    if task.name == "ner":
        return [task.labels[t] for t in row["ner_tags"]]
    return row["answers"]["text"][0]


def fields(task, row):
    """The row's texts that every instruction must show."""
    return {"sentiment": [row.get("text")], "ner": [" ".join(row.get("tokens", []))],
            "qa": [row.get("context"), row.get("question")]}[task.name]


# --------------------------------------------------------------------------- the round trip
@pytest.mark.parametrize("name", ["sentiment", "ner", "qa"])
def test_gold_reply_parses_back_to_the_gold_prediction_on_the_bundled_validation_split(name):
    task = get_task(name)
    data = load_split(name, "validation")
    for i, row in enumerate(data):
        messages, reply = task.to_chat(row, variant=i)
        assert task.from_reply(reply, row) == gold_prediction(task, row), (i, reply)
        assert [m["role"] for m in messages] == ["user"]
        assert all(text in messages[0]["content"] for text in fields(task, row))


# --------------------------------------------------------------------------- instructions
@pytest.mark.parametrize("task,row", [(SentimentTask(), {"text": "Slow, but worth it.", "label": 1}),
                                      (NerTask(), NER_ROW), (QaTask(), QA_ROW)])
def test_instructions_are_varied_and_each_shows_the_row(task, row):
    templates = task.chat_instructions
    assert len(templates) >= 8 and len(set(templates)) == len(templates)
    contents = [task.to_chat(row, variant)[0][0]["content"] for variant in range(len(templates))]
    assert len(set(contents)) == len(templates)
    for content in contents:
        assert all(text in content for text in fields(task, row)) and "$" not in content
    first = fields(task, row)[0]
    assert any(c.startswith(first) for c in contents), "some templates put the text first"
    assert any(not c.startswith(first) for c in contents)
    # variant counts modulo the number of templates; 0 is the canonical one
    assert task.to_chat(row, len(templates)) == task.to_chat(row) == task.to_chat(row, 0)
    assert task.to_chat(row)[0][0]["content"] == contents[0]


def test_hand_checked_chats():
    messages, reply = SentimentTask().to_chat({"text": "Not worth it.", "label": 0})
    assert messages == [{"role": "user", "content": "Is the sentiment of this review positive or "
                         "negative? Answer with one word.\n\nReview: Not worth it."}]
    assert reply == "negative"
    messages, reply = NerTask().to_chat(NER_ROW, variant=3)
    assert messages[0]["content"] == "NER, JSON output:\nAnna Berg of Nordbank flew from Oslo to Oslo Airport ."
    assert reply == '[["Anna Berg", "PER"], ["Nordbank", "ORG"], ["Oslo", "LOC"], ["Oslo Airport", "LOC"]]'
    messages, reply = QaTask().to_chat(QA_ROW, variant=1)
    assert messages[0]["content"] == QA_ROW["context"] + "\n\n" + QA_ROW["question"]
    assert reply == "Ada Berg"


def test_ner_reply_pairs_in_sentence_order_and_none_is_an_empty_list():
    row = {"tokens": ["Expo", "Lisbon", "fans", "met", "Ana", "and", "Rui", "of", "Benfica"],
           "ner_tags": [TAG[t] for t in ["B-MISC", "B-LOC", "O", "O", "B-PER", "O", "B-PER", "O", "B-ORG"]]}
    reply = NerTask().to_chat(row)[1]
    assert json.loads(reply) == [["Expo", "MISC"], ["Lisbon", "LOC"], ["Ana", "PER"], ["Rui", "PER"],
                                 ["Benfica", "ORG"]]
    assert NerTask().to_chat({"tokens": ["Hello", "."], "ner_tags": [0, 0]})[1] == "[]"
    accented = NerTask().to_chat({"tokens": ["Zoë", "won"], "ner_tags": [1, 0]})[1]
    assert accented == '[["Zoë", "PER"]]'                       # ensure_ascii=False


def test_rows_without_gold_have_no_reply():
    assert SentimentTask().to_chat({"text": "Fine."})[1] is None
    assert SentimentTask().to_chat({"text": "Fine.", "label": -1})[1] is None   # the Hub's SST-2 test split
    assert NerTask().to_chat({"tokens": ["Ada", "won"]})[1] is None
    assert QaTask().to_chat({**QA_ROW, "answers": {"text": [], "answer_start": []}})[1] is None
    assert QaTask().to_chat({k: v for k, v in QA_ROW.items() if k != "answers"})[1] is None


def test_a_task_without_instructions_cannot_be_asked_as_a_chat():
    class Plain(Task):
        name = "plain"
    for call in (lambda t: t.to_chat({}), lambda t: t.from_reply("x", {}), lambda t: t.unparsed_prediction({})):
        with pytest.raises(ConfigError, match="task plain cannot be asked as a chat"):
            call(Plain())


# --------------------------------------------------------------------------- sentiment replies
@pytest.mark.parametrize("reply,expected", [
    ("positive", "positive"), ("Positive.", "positive"), (" negative", "negative"),
    ("NEGATIVE!\n", "negative"), ('"positive"', "positive"), ("The review is positive.", "positive"),
    ("negative. Negative.", "negative"),
    ("not positive", None), ("It isn't negative.", None), ("positive or negative", None),
    ("Positive, negative", None), ("positively", None), ("pos", None), ("", None), ("neutral", None),
])
def test_sentiment_from_reply(reply, expected):
    assert SentimentTask().from_reply(reply, {"text": "x", "label": 1}) == expected


# --------------------------------------------------------------------------- NER replies
def test_ner_entity_occurring_twice_is_tagged_at_both_places():
    assert NerTask().from_reply('{"LOC": ["Oslo", "Oslo Airport"]}', NER_ROW) == \
        ["O"] * 6 + ["B-LOC", "O", "B-LOC", "I-LOC", "O"]
    tokens = ["Oslo", "beat", "Oslo", "."]
    assert NerTask().from_reply('{"ORG": ["Oslo", "Oslo"]}', {"tokens": tokens}) == ["B-ORG", "O", "B-ORG", "O"]
    # one mention in the reply tags only the first place
    assert NerTask().from_reply('{"ORG": ["Oslo"]}', {"tokens": tokens}) == ["B-ORG", "O", "O", "O"]


def test_ner_pairs_and_objects_by_type_give_the_same_tags():
    pairs = '[["Anna Berg", "PER"], ["Nordbank", "ORG"], ["Oslo", "LOC"], ["Oslo Airport", "LOC"]]'
    by_type = '{"PER": ["Anna Berg"], "ORG": ["Nordbank"], "LOC": ["Oslo", "Oslo Airport"]}'
    assert NerTask().from_reply(pairs, NER_ROW) == NerTask().from_reply(by_type, NER_ROW) == TAGS
    # types not in the label set are ignored, pair by pair
    assert parse_entities('[["Oslo", "LOC"], ["Monday", "DATE"], ["Ada", "per"]]') == [("LOC", "Oslo")]
    assert NerTask().from_reply("[]", NER_ROW) == ["O"] * len(SENTENCE)


def test_ner_entities_not_in_the_sentence_are_dropped():
    reply = '{"PER": ["Anna Berg", "Per Olsen"], "ORG": ["Nord bank"], "LOC": ["Oslo", "Oslo", "Oslo"]}'
    assert NerTask().from_reply(reply, NER_ROW) == \
        ["B-PER", "I-PER", "O", "O", "O", "O", "B-LOC", "O", "B-LOC", "O", "O"]
    entities = parse_entities(reply)
    assert tag_entities(SENTENCE, entities)[1] == [("PER", "Per Olsen"), ("ORG", "Nord bank"), ("LOC", "Oslo")]
    # part of a token is not a token: "Berg" does not match "Bergen"
    assert tag_entities(["Bergen", "."], [("LOC", "Berg")]) == (["O", "O"], [("LOC", "Berg")])
    assert tag_entities(["Ada"], [("PER", ""), ("PER", "  ")])[1] == [("PER", ""), ("PER", "  ")]


def test_ner_entity_words_matched_across_any_whitespace():
    row = {"tokens": ["Anna", "Berg", "won", "10\u00a0000", "kroner"]}   # a token with a no-break space
    assert NerTask().from_reply('{"PER": [" Anna\\tBerg "], "MISC": ["10 000"]}', row) == \
        ["B-PER", "I-PER", "O", "B-MISC", "O"]


def test_ner_json_fence_whitespace_and_unknown_types():
    tags = ["O"] * 6 + ["B-LOC"] + ["O"] * 4
    for reply in ['```json\n{"LOC": ["Oslo"]}\n```', '```\n{"LOC": ["Oslo"]}\n```', '  {"LOC": ["Oslo"]}\n',
                  '```JSON {"LOC": ["Oslo"]} ```', '{"LOC": ["Oslo"], "DATE": ["Monday"], "misc": 3}']:
        assert NerTask().from_reply(reply, NER_ROW) == tags, reply
    assert NerTask().from_reply("{}", NER_ROW) == ["O"] * len(SENTENCE)
    assert NerTask().from_reply('{"PER": []}', NER_ROW) == ["O"] * len(SENTENCE)


@pytest.mark.parametrize("reply", [
    '{"PER": ["Anna Berg"]',                       # cut off
    "{'PER': ['Anna Berg']}",                      # Python, not JSON
    'Entities: {"PER": ["Anna Berg"]}',            # text around the JSON
    '{"PER": ["Anna Berg"]} Hope this helps!',
    '```json\n{"PER": ["Anna Berg"]}',             # an unclosed fence
    '["Anna Berg"]', '"Anna Berg"', "null", "",    # neither pairs nor an object
    '[["Anna Berg"]]', '[["Anna Berg", "PER", "x"]]', '[["Anna Berg", null]]', '[{"PER": "Anna Berg"}]',
    '[["Anna Berg", "PER"]',                       # cut off
    '{"PER": "Anna Berg"}',                        # not a list
    '{"PER": [["Anna", "Berg"]]}', '{"PER": ["Anna Berg", 7]}', '{"LOC": null}',
    "PER: Anna Berg",
])
def test_ner_malformed_replies_do_not_parse(reply):
    assert NerTask().from_reply(reply, NER_ROW) is None


# --------------------------------------------------------------------------- QA replies
@pytest.mark.parametrize("reply,expected", [
    ("Ada Berg", "Ada Berg"), ("  Ada Berg\n", "Ada Berg"), ('"Ada Berg"', "Ada Berg"),
    ("'1901'", "1901"), ("\u201cAda Berg\u201d", "Ada Berg"), ('""Ada""', '"Ada"'),   # one pair only
    ('"Ada', '"Ada'), ("Ada Berg.", "Ada Berg."),
    ("", None), ("   ", None), ('""', None), ("' '", None),
])
def test_qa_from_reply(reply, expected):
    assert QaTask().from_reply(reply, QA_ROW) == expected


# --------------------------------------------------------------------------- unparsed replies
def test_unparsed_predictions_score_as_wrong():
    import datasets
    sentiment = SentimentTask()
    rows = [{"text": "Good.", "label": 1}, {"text": "Bad.", "label": 0}]
    data = datasets.Dataset.from_dict({"text": ["Good.", "Bad."], "label": [1, 0]},
                                      features=SentimentTask.features())
    assert [sentiment.unparsed_prediction(r) for r in rows] == ["negative", "positive"]
    assert sentiment.metrics(data, [sentiment.unparsed_prediction(r) for r in rows])["accuracy"] == 0.0
    assert sentiment.unparsed_prediction({"text": "Good."}) == ""
    ner = NerTask()
    assert ner.unparsed_prediction(NER_ROW) == ["O"] * len(SENTENCE)
    ner_data = datasets.Dataset.from_dict({"tokens": [SENTENCE], "ner_tags": [NER_ROW["ner_tags"]]})
    assert ner.metrics(ner_data, [ner.unparsed_prediction(NER_ROW)])["f1"] == 0.0
    qa_data = datasets.Dataset.from_dict({"answers": [QA_ROW["answers"]]})
    assert QaTask().metrics(qa_data, [QaTask().unparsed_prediction(QA_ROW)]) == {"exact_match": 0.0, "f1": 0.0}


# --------------------------------------------------------------------------- the bundled chat data
def read_jsonl(name):
    from lorakit.data import bundled_data_dir
    path = bundled_data_dir() / "chat" / name
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_bundled_chat_splits_have_their_sizes_and_share_no_prompt():
    sizes = {"train": 1000, "validation": 50, "test": 100}
    prompts = {}
    for split, n in sizes.items():
        records = read_jsonl(f"{split}.jsonl")
        assert [sum(r["task"] == t for r in records) for t in ("sentiment", "ner", "qa")] == [n, n, n]
        assert all([m["role"] for m in r["messages"]] == ["user", "assistant"] for r in records)
        prompts[split] = {r["messages"][0]["content"] for r in records}
    assert not prompts["train"] & prompts["test"] and not prompts["train"] & prompts["validation"]
    canonical = SentimentTask().chat_instructions[0].split("$")[0]
    test = [r for r in read_jsonl("test.jsonl") if r["task"] == "sentiment"]
    assert sum(r["messages"][0]["content"].startswith(canonical) for r in test) >= len(test) / 3


def test_bundled_test_conversations_come_from_the_test_split():
    """Each sentiment test conversation shows a text of the sentiment test split, with its label."""
    gold = {row["text"]: SentimentTask().labels[row["label"]] for row in load_split("sentiment", "test")}
    for record in (r for r in read_jsonl("test.jsonl") if r["task"] == "sentiment"):
        shown = [text for text in gold if text in record["messages"][0]["content"]]
        assert shown and record["messages"][1]["content"] == gold[max(shown, key=len)]


def test_general_questions_and_replay_prompts():
    general = read_jsonl("general.jsonl")
    assert len(general) >= 48
    for record in general:
        assert [m["role"] for m in record["messages"]] == ["user"] and record["answers"]
        assert all(isinstance(a, str) and a.strip() for a in record["answers"])
    prompts = read_jsonl("replay_prompts.jsonl")
    assert len(prompts) >= 200
    questions = {r["messages"][0]["content"].lower() for r in general}
    assert not questions & {r["messages"][0]["content"].lower() for r in prompts}
    replay = read_jsonl("replay.jsonl")
    assert len(replay) >= 0.9 * len(prompts)
    assert {r["messages"][0]["content"] for r in replay} <= {r["messages"][0]["content"] for r in prompts}
    assert all([m["role"] for m in r["messages"]] == ["user", "assistant"] and r["messages"][1]["content"].strip()
               and r["task"] == "replay" for r in replay)
