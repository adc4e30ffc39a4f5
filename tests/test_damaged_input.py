"""Damaged input is refused with a one-line error that names the file and the place at fault:
repeated CSV columns and JSON keys, CoNLL tokens with Unicode spaces, adapter configs of the
wrong types, adapters holding NaN or inf, and bad cells in a sweep's results.csv.

Run: HF_HUB_OFFLINE=1 .venv/bin/python -m pytest tests/test_damaged_input.py -q
"""
import json
import math
import warnings

import pytest
import torch
from safetensors.torch import load_file, save_file

import lorakit.sweep as sweep
from lorakit import AdapterError, apply_lora, load_adapter, save_adapter
from lorakit.adapters import CONFIG_NAME, WEIGHTS_NAME
from lorakit.tasks import read_conll, read_sentiment
from lorakit.errors import DataError
from tiny import tiny_bert


def one_line_error(kind, call, *parts):
    """Run `call`, check it raises `kind` with a one-line message holding every part."""
    with pytest.raises(kind) as info:
        call()
    message = str(info.value)
    assert "\n" not in message
    for part in parts:
        assert part in message, (part, message)


# ---------------------------------------------------------------------------------------------
# 1. Sentiment: a column or key given twice.
@pytest.mark.parametrize("header,column", [
    ("text,label,label", "label"),
    ("text,text,label", "text"),
    ("text,Label,label", "label"),          # the same name once normalised (case, spaces)
    ("Text, text ,label", "text"),
])
def test_csv_column_given_twice_is_refused(tmp_path, header, column):
    path = tmp_path / "reviews.csv"
    path.write_text(f"{header}\nfine,positive,negative\n")
    one_line_error(DataError, lambda: read_sentiment(path),
                   f"{path}, line 1: column '{column}' appears twice")


def test_jsonl_key_given_twice_is_refused(tmp_path):
    path = tmp_path / "reviews.jsonl"
    path.write_text('{"text": "fine", "label": 1}\n\n{"text": "dull", "label": 0, "label": 1}\n')
    one_line_error(DataError, lambda: read_sentiment(path),
                   f"{path}, line 3: key 'label' appears twice")


def test_json_array_key_given_twice_is_refused(tmp_path):
    path = tmp_path / "reviews.json"
    path.write_text('[{"text": "fine", "label": 1}, {"text": "a", "text": "b", "label": 0}]')
    one_line_error(DataError, lambda: read_sentiment(path),
                   f"{path}, item 2: key 'text' appears twice")


def test_jsonl_lines_are_split_at_newlines_only(tmp_path):
    # U+2028 is valid inside a JSON string; str.splitlines() would cut the record in two.
    path = tmp_path / "reviews.jsonl"
    path.write_text('{"text": "one\u2028two", "label": 1}\r\n{"text": "dull", "label": "meh"}\n')
    one_line_error(DataError, lambda: read_sentiment(path), f"{path}, line 2: unknown label 'meh'")
    path.write_text('{"text": "one\u2028two", "label": 1}\r\n')
    assert read_sentiment(path)[:] == {"text": ["one\u2028two"], "label": [1]}


# ---------------------------------------------------------------------------------------------
# 2. CoNLL: columns split at ASCII blanks, lines at "\n" only.
@pytest.mark.parametrize("space", ["\u00a0", "\u2009", "\u202f", "\u3000", "\x85", "\u2028",
                                   "\x1c", "\x1e"])
def test_conll_token_with_a_unicode_space_stays_whole(tmp_path, space):
    path = tmp_path / "news.conll"
    path.write_text(f"10{space}000 CD O\nmen\tNNS O\r\n\nAda B-PER\n", newline="")
    ds = read_conll(path)
    assert ds["tokens"] == [[f"10{space}000", "men"], ["Ada"]]
    assert ds["ner_tags"] == [[0, 0], [1]]


def test_conll_unlabelled_token_with_a_unicode_space_stays_whole(tmp_path):
    path = tmp_path / "news.conll"
    path.write_text("10\u00a0000\nmen\n")
    assert read_conll(path, require_labels=False)["tokens"] == [["10\u00a0000", "men"]]


def test_conll_line_numbers_count_newlines_only(tmp_path):
    path = tmp_path / "news.conll"
    path.write_text("a\u2028b\x85c O\nwon XX\n")
    one_line_error(DataError, lambda: read_conll(path), f"{path}, line 2: unknown tag 'XX'")


def test_conll_carriage_return_inside_a_line_is_refused(tmp_path):
    path = tmp_path / "news.conll"
    path.write_text("Ada B-PER\r\nEU B-ORG\rwon O\n", newline="")
    one_line_error(DataError, lambda: read_conll(path),
                   f"{path}, line 2: a carriage return (\\r) inside the line")


# ---------------------------------------------------------------------------------------------
# 3. Adapter configs: every field lorakit uses is checked; unknown fields only warn.
@pytest.fixture
def saved(tmp_path):
    model = apply_lora(tiny_bert(), ["query", "value"], r=4, lora_alpha=8,
                       modules_to_save=["classifier"])
    save_adapter(model, tmp_path)
    return tmp_path


def edit_config(folder, **changes):
    file = folder / CONFIG_NAME
    file.write_text(json.dumps(json.loads(file.read_text()) | changes))


@pytest.mark.parametrize("field,value,want", [
    ("r", "8", "a positive integer"),
    ("r", True, "a positive integer"),
    ("r", 0, "a positive integer"),
    ("r", 2.0, "a positive integer"),
    ("lora_alpha", "16", "a number > 0"),
    ("lora_alpha", -1, "a number > 0"),
    ("lora_alpha", False, "a number > 0"),
    ("target_modules", 5, "a list of layer names or a regex string"),
    ("target_modules", [], "a list of layer names or a regex string"),
    ("target_modules", ["query", 3], "a list of layer names or a regex string"),
    ("modules_to_save", "classifier", "null or a list of module names"),
    ("modules_to_save", [None], "null or a list of module names"),
    ("lora_dropout", 1, "null or a number in [0, 1)"),
    ("lora_dropout", "0.1", "null or a number in [0, 1)"),
    ("use_rslora", "yes", "null, true or false"),
    ("fan_in_fan_out", 0, "null, true or false"),
])
def test_config_field_of_the_wrong_type_is_refused(saved, field, value, want):
    edit_config(saved, **{field: value})
    one_line_error(AdapterError, lambda: load_adapter(tiny_bert(), saved),
                   f"{saved / CONFIG_NAME}: field '{field}' must be {want}",
                   f"got {json.dumps(value)}")


def test_config_nulls_of_optional_fields_load(saved):
    edit_config(saved, modules_to_save=None, lora_dropout=None, use_rslora=None,
                fan_in_fan_out=None)
    with pytest.raises(AdapterError, match="has a tensor the model lacks: .*classifier"):
        load_adapter(tiny_bert(), saved)   # the config loads; without modules_to_save, the head
                                           # is a tensor too many


def test_unknown_config_fields_warn_and_load(saved):
    edit_config(saved, rank=8, new_peft_option={"x": 1})
    with pytest.warns(UserWarning, match="unknown field.*new_peft_option, rank"):
        model = load_adapter(tiny_bert(), saved)
    assert model.lora_config.r == 4


def test_unsupported_values_are_still_refused(saved):
    edit_config(saved, lora_bias=True, rank=8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(AdapterError, match="lora_bias=True is not supported"):
            load_adapter(tiny_bert(), saved)


# ---------------------------------------------------------------------------------------------
# 4. Adapters holding NaN or inf are refused before any weight changes.
@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("key", [
    "base_model.model.bert.encoder.layer.1.attention.self.value.lora_B.weight",
    "base_model.model.classifier.bias"])
def test_adapter_with_nan_or_inf_is_refused(saved, bad, key):
    tensors = load_file(saved / WEIGHTS_NAME)
    tensors[key].view(-1)[0] = bad
    save_file(tensors, saved / WEIGHTS_NAME)
    model = apply_lora(tiny_bert(seed=1), ["query", "value"], r=4, lora_alpha=8,
                       modules_to_save=["classifier"])
    before = {k: v.clone() for k, v in model.state_dict().items()}
    one_line_error(AdapterError, lambda: load_adapter(model, saved),
                   f"{saved / WEIGHTS_NAME}: tensor {key} holds NaN or infinite values")
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


# ---------------------------------------------------------------------------------------------
# 5. results.csv: every cell is checked.
HEADER = "task,method,rank,seed,accuracy,trainable_params,train_seconds"
GOOD = ["sentiment,lora,8,0,0.9,80,1.5", "sentiment,full,0,1,0.95,1000,2.0"]


@pytest.mark.parametrize("row,column,want,got", [
    ("sentiment,lora,abc,0,0.9,80,1.5", "rank", "a whole number >= 0", "'abc'"),
    ("sentiment,lora,-1,0,0.9,80,1.5", "rank", "a whole number >= 0", "'-1'"),
    ("sentiment,lora,8,1.5,0.9,80,1.5", "seed", "a whole number >= 0", "'1.5'"),
    ("sentiment,lora,8,,0.9,80,1.5", "seed", "a whole number >= 0", "''"),
    ("sentiment,dora,8,0,0.9,80,1.5", "method", "one of lora, full, head", "'dora'"),
    ("sentiment,,8,0,0.9,80,1.5", "method", "one of lora, full, head", "''"),
    ("sentiment,lora,8,0,high,80,1.5", "accuracy", "a number or empty", "'high'"),
    ("sentiment,lora,8,0,0.9,80k,1.5", "trainable_params", "a number or empty", "'80k'"),
    ("sentiment,lora,8,0,0.9,80,1.5s", "train_seconds", "a number or empty", "'1.5s'"),
    ("sentiment,lora,8", "seed", "a whole number >= 0", "''"),          # a short row
])
def test_bad_results_cell_is_refused(tmp_path, row, column, want, got):
    path = tmp_path / "results.csv"
    path.write_text("\n".join([HEADER, GOOD[0], "", row, GOOD[1]]) + "\n")   # the bad row: line 4
    one_line_error(DataError, lambda: sweep.read_results(path),
                   f"{path}, line 4: column '{column}' must be {want}, got {got}")


def test_good_results_read_with_integer_keys(tmp_path):
    path = tmp_path / "results.csv"
    rows = [GOOD[0], "", "sentiment,head,0.0,2,,100,1.0", GOOD[1]]   # "0.0" is a whole number
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    table = sweep.read_results(path, "sentiment")
    assert table[sweep.KEY].values.tolist() == [["lora", 8, 0], ["head", 0, 2], ["full", 0, 1]]
    assert str(table["rank"].dtype) == str(table["seed"].dtype) == "int64"
    assert str(table["trainable_params"].dtype) == "int64"
    assert math.isnan(table["accuracy"][1]) and table["accuracy"][0] == 0.9
