"""Tests of lorakit.tasks on hand-checked examples with the bundled (uncased BERT) tokenizer."""
import csv
import json

import datasets
import numpy as np
import pytest
import torch

from lorakit.errors import ConfigError, DataError
from lorakit.models import default_model, load_tokenizer
from lorakit.tasks import (NER_TAGS, NerTask, QaTask, SentimentTask, align_labels_with_tokens,
                           best_span, continuation_labels, get_task, squad_exact_match, squad_f1,
                           squad_normalize)

datasets.disable_progress_bars()

SENTIMENT_FEATURES = datasets.Features({"text": datasets.Value("string"),
                                        "label": datasets.ClassLabel(names=["negative", "positive"])})
NER_FEATURES = datasets.Features({"id": datasets.Value("string"),
                                  "tokens": datasets.List(datasets.Value("string")),
                                  "ner_tags": datasets.List(datasets.ClassLabel(names=NER_TAGS))})
# "Who wrote it?" + this context, max_length=16, doc_stride=4 gives three windows:
#   1: [CLS] who wrote it ? [SEP] it was written long ago , in a cold [SEP]
#   2: [CLS] who wrote it ? [SEP] , in a cold winter , by ada love [SEP]       (cuts the answer)
#   3: [CLS] who wrote it ? [SEP] , by ada love ##lace in london . [SEP]       (holds it: 8..10)
CONTEXT = "It was written long ago, in a cold winter, by Ada Lovelace in London."


@pytest.fixture(scope="module")
def tokenizer():
    return load_tokenizer()


def ner_data(with_tags=True):
    rows = {"id": ["0", "1"], "tokens": [["Huggingface", "is", "in", "Zurich"], ["Ada", "spoke"]],
            "ner_tags": [[3, 0, 0, 5], [1, 0]]}
    if not with_tags:
        del rows["ner_tags"]
        return datasets.Dataset.from_dict(rows)
    return datasets.Dataset.from_dict(rows, features=NER_FEATURES)


def qa_data(answers=True):
    rows = {"id": ["q1", "q2"], "title": ["t", "t"], "context": [CONTEXT, "Paris is in France."],
            "question": ["Who wrote it?", "Where is Paris?"],
            "answers": [{"text": ["Ada Lovelace"], "answer_start": [CONTEXT.index("Ada")]},
                        {"text": ["France"], "answer_start": [12]}]}
    if not answers:
        rows["answers"] = [{"text": [], "answer_start": []}] * 2
    return datasets.Dataset.from_dict(rows)


# ----------------------------------------------------------------------------- get_task, labels

def test_get_task_names_and_main_metrics():
    assert [(get_task(n).name, get_task(n).main_metric) for n in ("sentiment", "ner", "qa")] == [
        ("sentiment", "accuracy"), ("ner", "f1"), ("qa", "f1")]
    assert isinstance(get_task("ner"), NerTask) and isinstance(get_task("qa"), QaTask)
    with pytest.raises(ConfigError, match="valid: sentiment, ner, qa"):
        get_task("pos")


def test_label_names_from_class_labels_or_defaults():
    custom = datasets.Dataset.from_dict({"text": ["x"], "label": [0]}, features=datasets.Features(
        {"text": datasets.Value("string"), "label": datasets.ClassLabel(names=["bad", "good"])}))
    assert SentimentTask().label_names(custom) == ["bad", "good"]
    assert SentimentTask().label_names(datasets.Dataset.from_dict({"text": ["x"]})) == ["negative", "positive"]
    assert NerTask().label_names(ner_data()) == NER_TAGS
    assert NerTask(labels=["O", "B-X", "I-X"]).label_names(ner_data(False)) == ["O", "B-X", "I-X"]
    assert QaTask().label_names(qa_data()) is None


# ----------------------------------------------------------------------------- NER alignment

def test_align_labels_first_piece_and_specials():
    assert align_labels_with_tokens([None, 0, 0, 0, 1, None], [1, 0]) == [-100, 1, -100, -100, 0, -100]
    assert continuation_labels(NER_TAGS) == [0, 2, 2, 4, 4, 6, 6, 8, 8]


def test_ner_encode_aligns_word_pieces(tokenizer):
    features = NerTask().encode(ner_data(), tokenizer)
    first = features[0]
    # [CLS] hugging ##face is in zurich [SEP]
    assert tokenizer.convert_ids_to_tokens(first["input_ids"]) == [
        "[CLS]", "hugging", "##face", "is", "in", "zurich", "[SEP]"]
    assert first["labels"] == [-100, 3, -100, 0, 0, 5, -100]
    assert first["example_index"] == 0 and "word_ids" not in features.column_names
    assert set(features.column_names) == {"input_ids", "token_type_ids", "attention_mask",
                                          "labels", "example_index"}


def test_ner_label_all_tokens_turns_b_into_i(tokenizer):
    features = NerTask(label_all_tokens=True).encode(ner_data(), tokenizer)
    assert features[0]["labels"] == [-100, 3, 4, 0, 0, 5, -100]      # B-ORG I-ORG for hugging ##face


def test_ner_eval_features_keep_word_ids_and_unlabelled_input_works(tokenizer):
    task = NerTask()
    assert task.encode(ner_data(), tokenizer, train=False)[0]["word_ids"] == [None, 0, 0, 1, 2, 3, None]
    plain = task.encode(ner_data(False), tokenizer, train=False)
    assert "labels" not in plain.column_names and plain[1]["word_ids"] == [None, 0, 1, None]
    with pytest.raises(DataError, match="training needs"):
        task.encode(ner_data(False), tokenizer, train=True)


def test_ner_mismatched_tags_is_a_data_error(tokenizer):
    bad = datasets.Dataset.from_dict({"tokens": [["a", "b"]], "ner_tags": [[0]]})
    with pytest.raises(DataError, match="2 tokens but 1 tags"):
        NerTask().encode(bad, tokenizer)


def tiny_roberta(add_prefix_space):
    """A byte-level BPE tokenizer of RoBERTa's kind, built in memory (no download)."""
    from tokenizers.pre_tokenizers import ByteLevel
    from transformers import RobertaTokenizer
    vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3, "<mask>": 4}
    for piece in sorted(ByteLevel.alphabet()) + ["Ġa", "Ġb"]:
        vocab.setdefault(piece, len(vocab))
    return RobertaTokenizer(vocab=vocab, merges=[("Ġ", "a"), ("Ġ", "b")],
                            add_prefix_space=add_prefix_space)


def test_ner_with_roberta_needs_add_prefix_space():
    data = datasets.Dataset.from_dict({"tokens": [["a", "b", "ab"]], "ner_tags": [[1, 2, 0]]})
    with pytest.raises(ConfigError, match="add_prefix_space=True"):
        NerTask().encode(data, tiny_roberta(False))
    features = NerTask().encode(data, tiny_roberta(True), train=False)
    assert "token_type_ids" not in features.column_names               # RoBERTa has none
    assert features[0]["word_ids"] == [None, 0, 1, 2, 2, None]        # <s> Ġa Ġb Ġa b </s>
    assert features[0]["labels"] == [-100, 1, 2, 0, -100, -100]


# ----------------------------------------------------------------------------- NER postprocess

def one_hot_logits(tag_ids, num_labels=len(NER_TAGS)):
    logits = np.zeros((len(tag_ids), num_labels))                      # (seq_len, num_labels)
    logits[np.arange(len(tag_ids)), tag_ids] = 1.0
    return logits


def test_ner_postprocess_reads_first_piece_and_keeps_order(tokenizer):
    data = ner_data()
    features = NerTask().encode(data, tokenizer, train=False)
    outputs = [one_hot_logits([0, 3, 7, 0, 0, 5, 0]),                 # ##face's B-MISC is ignored
               one_hot_logits([0, 1, 0, 0])]
    assert NerTask().postprocess(data, features, outputs) == [["B-ORG", "O", "O", "B-LOC"], ["B-PER", "O"]]
    # the same features in reverse order (with their outputs) still give dataset order
    reverse = features.select([1, 0])
    assert NerTask().postprocess(data, reverse, outputs[::-1]) == [["B-ORG", "O", "O", "B-LOC"], ["B-PER", "O"]]


def test_ner_postprocess_truncated_words_are_o(tokenizer):
    data = ner_data(False).select([0])
    features = NerTask(max_length=4).encode(data, tokenizer, train=False)  # [CLS] hugging ##face [SEP]
    assert features[0]["word_ids"] == [None, 0, 0, None]
    assert NerTask().postprocess(data, features, [one_hot_logits([0, 3, 4, 0])]) == [["B-ORG", "O", "O", "O"]]


# ----------------------------------------------------------------------------- QA encode

def test_qa_positions_across_windows(tokenizer):
    features = QaTask(doc_stride=4, max_length=16).encode(qa_data().select([0]), tokenizer)
    assert len(features) == 3 and list(features["example_index"]) == [0, 0, 0]
    assert list(features["start_positions"]) == [0, 0, 8]             # window 2 cuts the answer
    assert list(features["end_positions"]) == [0, 0, 10]
    last = features[2]
    answer_ids = last["input_ids"][last["start_positions"]:last["end_positions"] + 1]
    assert tokenizer.decode(answer_ids) == "ada lovelace"
    assert all(len(ids) <= 16 for ids in features["input_ids"])


def test_qa_eval_features_keep_ids_and_context_offsets(tokenizer):
    features = QaTask(doc_stride=4, max_length=16).encode(qa_data(), tokenizer, train=False)
    assert list(features["example_id"]) == ["q1", "q1", "q1", "q2"]
    assert list(features["example_index"]) == [0, 0, 0, 1]
    offsets = features[2]["offset_mapping"]
    assert offsets[:6] == [None] * 6 and offsets[-1] is None          # [CLS] question [SEP] / [SEP]
    assert CONTEXT[offsets[8][0]:offsets[10][1]] == "Ada Lovelace"
    assert list(features["start_positions"]) == [0, 0, 8, 9]          # gold present: kept for eval loss


def test_qa_unanswered_inputs_encode_without_positions(tokenizer):
    for data in (qa_data(answers=False), qa_data().remove_columns("answers")):
        features = QaTask().encode(data, tokenizer, train=False)
        assert "start_positions" not in features.column_names and len(features) == 2
    with pytest.raises(DataError, match="training needs"):
        QaTask().encode(qa_data(answers=False), tokenizer)


def test_qa_bad_inputs_are_clear_errors(tokenizer):
    wrong_start = qa_data().select([1]).map(
        lambda row: {"answers": {"text": ["France"], "answer_start": [0]}})
    with pytest.raises(DataError, match="question q2: answer 'France' is not at character 0"):
        QaTask().encode(wrong_start, tokenizer)
    with pytest.raises(DataError, match="question q1: .* no room for context"):
        QaTask(doc_stride=8, max_length=14).encode(qa_data(), tokenizer)
    with pytest.raises(ConfigError, match="doc-stride"):
        QaTask(doc_stride=16, max_length=16).encode(qa_data(), tokenizer)


# ----------------------------------------------------------------------------- QA postprocess

def test_best_span_skips_invalid_spans():
    offsets = [None, None, (0, 2), (3, 5), (6, 9)]
    start = np.array([10.0, 8.0, 1.0, 0.0, 3.0])
    end = np.array([10.0, 0.0, 2.0, 0.0, 0.5])
    # [CLS] and question tokens are skipped; start 4 + end 2 is end < start; best is 4..4 = 3.5
    assert best_span(start, end, offsets) == (6, 9, 3.5)
    assert best_span(start, end, offsets, n_best=1) is None          # only [CLS] is tried
    end[3] = 5.0                                   # now 2..3 scores 1 + 5 = 6, 3..3 scores 5
    assert best_span(start, end, offsets) == (0, 5, 6.0)
    assert best_span(start, end, offsets, max_answer_length=1) == (3, 5, 5.0)


def qa_outputs(features, spans):
    """Logits that put `spans[i] = (start, end, value)` on feature i and a decoy on [CLS]."""
    outputs = []
    for ids, (start, end, value) in zip(features["input_ids"], spans):
        start_logits, end_logits = np.zeros(len(ids)), np.zeros(len(ids))   # (seq_len,)
        start_logits[0] = end_logits[0] = 50.0                                # [CLS]: never valid
        start_logits[start] += value
        end_logits[end] += value
        outputs.append((start_logits, end_logits))
    return outputs


def test_qa_postprocess_picks_best_window_and_keeps_order(tokenizer):
    data = qa_data()
    task = QaTask(doc_stride=4, max_length=16)
    features = task.encode(data, tokenizer, train=False)
    # scores (start + end logit): window 1 "written" 2 + 2; window 2 "love" 4.5 + 4.5;
    # window 3 "ada lovelace" 5 + 5 wins. Example 2: [CLS] where is paris ? [SEP] paris is in france
    spans = [(8, 8, 2.0), (14, 14, 4.5), (8, 10, 5.0), (9, 9, 3.0)]
    outputs = qa_outputs(features, spans)
    assert task.postprocess(data, features, outputs) == ["Ada Lovelace", "France"]
    assert QaTask(max_answer_length=2).postprocess(data, features, outputs) == ["Love", "France"]
    order = [3, 1, 0, 2]
    assert task.postprocess(data, features.select(order), [outputs[i] for i in order]) == [
        "Ada Lovelace", "France"]


def test_qa_postprocess_without_gold_and_length_checks(tokenizer):
    data = qa_data().remove_columns("answers")
    features = QaTask().encode(data, tokenizer, train=False)
    outputs = qa_outputs(features, [(8, 9, 1.0), (9, 9, 1.0)])
    assert QaTask().postprocess(data, features, outputs) == ["written long", "France"]
    with pytest.raises(DataError, match="2 features"):
        QaTask().postprocess(data, features, outputs[:1])
    with pytest.raises(ConfigError, match="train=False"):
        QaTask().postprocess(data, QaTask().encode(qa_data(), tokenizer), outputs)


# ----------------------------------------------------------------------------- sentiment

def test_sentiment_encode_and_postprocess(tokenizer):
    data = datasets.Dataset.from_dict({"text": ["Great film", "dull", "fine"], "label": [1, 0, 1]},
                                      features=SENTIMENT_FEATURES)
    features = SentimentTask().encode(data, tokenizer)
    assert features[0]["input_ids"] == [101, 2307, 2143, 102] and list(features["labels"]) == [1, 0, 1]
    outputs = [np.array([0.0, 1.0]), np.array([2.0, 1.0]), np.array([-1.0, 3.0])]
    assert SentimentTask().postprocess(data, features, outputs) == ["positive", "negative", "positive"]


def test_sentiment_without_labels(tokenizer):
    data = datasets.Dataset.from_dict({"text": ["a", "b"]})
    features = SentimentTask().encode(data, tokenizer, train=False)
    assert "labels" not in features.column_names
    assert SentimentTask().postprocess(data, features, [np.array([1.0, 0.0]), np.array([0.0, 1.0])]) == [
        "negative", "positive"]
    hub_test_split = datasets.Dataset.from_dict({"text": ["a"], "label": [-1]})   # SST-2 test: -1
    assert "labels" not in SentimentTask().encode(hub_test_split, tokenizer, train=False).column_names
    with pytest.raises(DataError, match="training needs"):
        SentimentTask().encode(data, tokenizer)


def test_sentiment_metrics_hand_computed():
    data = datasets.Dataset.from_dict({"text": list("abcde"), "label": [1, 1, 1, 0, 0]},
                                      features=SENTIMENT_FEATURES)
    m = SentimentTask().metrics(data, ["positive", "negative", "positive", "negative", "positive"])
    assert m["accuracy"] == pytest.approx(0.6)
    assert m["confusion_matrix"] == [[1, 1], [1, 2]]                  # rows gold: negative, positive
    # F1(negative) = 2*1/(2*1+1+1) = 0.5; F1(positive) = 2*2/(2*2+1+1) = 2/3
    assert m["macro_f1"] == pytest.approx((0.5 + 2 / 3) / 2)
    with pytest.raises(DataError, match="label names"):
        SentimentTask().metrics(data, ["pos"] * 5)


# ----------------------------------------------------------------------------- metrics

def test_ner_metrics_partly_wrong_entity():
    data = datasets.Dataset.from_dict(
        {"tokens": [list("abcdef"), ["x", "y"]],
         "ner_tags": [[1, 2, 0, 3, 4, 4], [5, 0]]}, features=datasets.Features(
            {"tokens": datasets.List(datasets.Value("string")),
             "ner_tags": datasets.List(datasets.ClassLabel(names=NER_TAGS))}))
    predictions = [["B-PER", "I-PER", "O", "B-ORG", "I-ORG", "O"],    # ORG cut short: wrong
                   ["B-LOC", "B-MISC"]]                              # spurious MISC
    m = NerTask().metrics(data, predictions)
    # gold entities PER ORG LOC; predicted PER ORG' LOC MISC; right: PER, LOC
    assert (m["precision"], m["recall"]) == (pytest.approx(2 / 4), pytest.approx(2 / 3))
    assert m["f1"] == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))
    assert m["per_type"]["ORG"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert m["per_type"]["PER"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1}
    assert m["per_type"]["MISC"]["support"] == 0
    json.dumps(m)                                                     # plain Python numbers
    with pytest.raises(DataError, match="1 predicted tags for 2 words"):
        NerTask().metrics(data, [predictions[0], ["B-LOC"]])


def test_squad_normalisation_and_scores():
    assert squad_normalize("The  Eiffel Tower!") == "eiffel tower"
    assert squad_normalize("an apple, a pear") == "apple pear"
    assert squad_normalize("theatre") == "theatre"                    # articles only as words
    assert squad_exact_match("eiffel tower.", "The Eiffel Tower") == 1.0
    # "tower of paris" vs "eiffel tower in paris": 2 common, P = 2/3, R = 2/4
    assert squad_f1("the tower of Paris", "Eiffel Tower in Paris") == pytest.approx(4 / 7)
    assert squad_f1("", "Paris") == 0.0 and squad_f1("a", "the") == 0.0


def test_qa_metrics_max_over_gold_answers():
    data = datasets.Dataset.from_dict({"answers": [
        {"text": ["The Eiffel Tower", "Eiffel Tower in Paris"], "answer_start": [0, 4]},
        {"text": ["The Eiffel Tower", "Eiffel Tower in Paris"], "answer_start": [0, 4]}]})
    m = QaTask().metrics(data, ["eiffel tower!", "the tower of Paris"])
    # example 1: EM 1, F1 1; example 2: EM 0, F1 max(0.4, 4/7) = 4/7
    assert m["exact_match"] == pytest.approx(50.0)
    assert m["f1"] == pytest.approx(100 * (1 + 4 / 7) / 2)
    with pytest.raises(DataError, match="gold"):
        QaTask().metrics(qa_data(answers=False), ["", ""])


# ----------------------------------------------------------------------------- collator

def test_collator_pads_and_drops_bookkeeping(tokenizer):
    task = NerTask()
    features = task.encode(ner_data(), tokenizer, train=False)
    batch = task.collator(tokenizer)([features[0], features[1]])
    assert set(batch) == {"input_ids", "token_type_ids", "attention_mask", "labels"}
    assert batch["input_ids"].shape == (2, 7) and batch["labels"].dtype == torch.long
    assert batch["labels"][1].tolist() == [-100, 1, 0, -100, -100, -100, -100]
    assert batch["attention_mask"][1].tolist() == [1, 1, 1, 1, 0, 0, 0]
    assert set(task.collator(tokenizer, targets=False)([features[0]])) == {"input_ids", "token_type_ids", "attention_mask"}


def test_qa_and_sentiment_collators_with_distilbert_tokenizer():
    from transformers import DistilBertTokenizer
    distil = DistilBertTokenizer.from_pretrained(default_model())
    features = QaTask().encode(qa_data(), distil, train=False)
    assert "token_type_ids" not in features.column_names
    batch = QaTask().collator(distil)(list(features))
    assert set(batch) == {"input_ids", "attention_mask", "start_positions", "end_positions"}
    assert batch["start_positions"].shape == (2,)
    data = datasets.Dataset.from_dict({"text": ["a b c", "d"], "label": [0, 1]})
    batch = SentimentTask().collator(distil)(list(SentimentTask().encode(data, distil)))
    assert batch["input_ids"].shape == (2, 5) and batch["labels"].tolist() == [0, 1]


# ----------------------------------------------------------------------------- prediction files

def test_write_predictions_round_trips(tmp_path):
    texts = ['plain', 'with, comma', 'with "quotes"\nand a newline']
    data = datasets.Dataset.from_dict({"text": texts})
    SentimentTask().write_predictions(data, ["positive", "negative", "positive"], tmp_path / "s.csv")
    with open(tmp_path / "s.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [(r["text"], r["label"]) for r in rows] == list(zip(texts, ["positive", "negative", "positive"]))

    tags = [["B-ORG", "O", "O", "B-LOC"], ["B-PER", "O"]]
    NerTask().write_predictions(ner_data(False), tags, tmp_path / "n.conll")
    sentences = [[line.split() for line in block.splitlines()]
                 for block in (tmp_path / "n.conll").read_text().strip("\n").split("\n\n")]
    assert [[w for w, _ in s] for s in sentences] == ner_data(False)["tokens"][:]
    assert [[t for _, t in s] for s in sentences] == tags

    QaTask().write_predictions(qa_data(), ["Ada Lovelace", "Frànce"], tmp_path / "q.json")
    assert json.loads((tmp_path / "q.json").read_text(encoding="utf-8")) == {
        "q1": "Ada Lovelace", "q2": "Frànce"}

    with pytest.raises(DataError, match="1 predictions for 2 examples"):
        QaTask().write_predictions(qa_data(), ["x"], tmp_path / "bad.json")
    assert not (tmp_path / "bad.json").exists()


def test_max_length_option_truncates(tokenizer):
    data = datasets.Dataset.from_dict({"text": ["word " * 300], "label": [1]})
    assert get_task("sentiment").max_length == 128
    assert len(get_task("sentiment", max_length=32).encode(data, tokenizer)["input_ids"][0]) == 32
    assert get_task("qa", max_length=384).max_length == 384 and get_task("ner", max_length=64).max_length == 64
