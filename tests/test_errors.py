"""Every command-line error path: exit status 2, one line naming what is wrong, no traceback."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lorakit import apply_lora, save_adapter
from lorakit.cli import main
from lorakit.data import bundled_path
from tiny import tiny_bert

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--max-train-examples", "16", "--max-eval-examples", "8", "--epochs", "1", "--quiet"]


def cli(*args):
    """Run `python -m lorakit ARGS` in a subprocess: (status, stdout, stderr)."""
    env = dict(os.environ, HF_HUB_OFFLINE="1", PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "lorakit", *map(str, args)], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=600)
    return done.returncode, done.stdout, done.stderr


def assert_one_line_error(result, *words):
    status, _, err = result
    assert status == 2, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "error:" in lines[0], err
    for word in words:
        assert word in lines[0], lines[0]


def in_process(capsys, *args):
    """Run the CLI in this process (faster); same contract as `cli`."""
    status = main(list(map(str, args)))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "sentiment"
    assert main(["train", "--task", "sentiment", "--out", str(out), *TINY]) == 0
    return out


@pytest.fixture
def run_copy(run_dir, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy)
    return copy


# -- options ---------------------------------------------------------------------------------
@pytest.mark.parametrize("args,words", [
    (["--rank", "0"], ["--rank", "positive integer"]),
    (["--rank", "-4"], ["--rank", "positive integer"]),
    (["--alpha", "0"], ["--alpha", "> 0"]),
    (["--alpha", "-1"], ["--alpha", "> 0"]),
    (["--dropout", "1"], ["--dropout", "[0, 1)"]),
    (["--dropout", "-0.1"], ["--dropout", "[0, 1)"]),
    (["--attention-dropout", "1"], ["--attention-dropout", "[0, 1)"]),
    (["--max-length", "0"], ["--max-length", "positive integer"]),
    (["--doc-stride", "-1"], ["--doc-stride", ">= 0"]),
    (["--max-train-minutes", "-1"], ["--max-train-minutes", "a number >= 0"]),
    (["--target-modules", "layer\\.(1|2"], ["--target-modules", "not a valid regular expression"]),
    (["--task", "pos"], ["--task", "invalid choice", "sentiment"]),
    (["--method", "adapter"], ["--method", "invalid choice"]),
])
def test_bad_options(args, words, tmp_path):
    base = ["train", "--task", "sentiment", "--out", tmp_path / "o"]
    assert_one_line_error(cli(*base, *args), *words)


def test_target_module_that_matches_nothing(tmp_path, capsys):
    result = in_process(capsys, "train", "--task", "sentiment", "--out", tmp_path / "o",
                        "--target-modules", "q_proj", *TINY)
    assert_one_line_error(result, "q_proj", "matches no Linear layer", "query", "value")
    assert not (tmp_path / "o").exists()


def test_non_empty_out_needs_overwrite(run_dir, tmp_path, capsys):
    out = tmp_path / "o"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    assert_one_line_error(in_process(capsys, "train", "--task", "sentiment", "--out", out, *TINY),
                          "--out", "not empty", "--overwrite")
    assert (out / "notes.txt").read_text() == "keep me"


def test_non_finite_loss_stops_with_step(tmp_path, capsys):
    result = in_process(capsys, "train", "--task", "sentiment", "--out", tmp_path / "o",
                        "--lr", "1e36", "--batch-size", "4", "--method", "head", *TINY)
    assert_one_line_error(result, "at step", "lower learning rate")
    assert not (tmp_path / "o").exists()


# -- data files ------------------------------------------------------------------------------
BAD_DATA = {
    "not_utf8.csv": (b"text,label\n\xff\xfe bad,positive\n", ["not_utf8.csv", "line 2", "UTF-8"]),
    "empty.csv": (b"", ["empty.csv", "empty file"]),
    "no_label.csv": (b"text,score\nfine,1\n", ["no_label.csv", "label"]),
    "bad_label.csv": (b"text,label\nfine,neutral\n", ["bad_label.csv", "line 2", "neutral"]),
}


@pytest.mark.parametrize("name", BAD_DATA)
def test_bad_sentiment_files(name, tmp_path, capsys):
    data, words = BAD_DATA[name]
    path = tmp_path / name
    path.write_bytes(data)
    assert_one_line_error(in_process(capsys, "train", "--task", "sentiment", "--out", tmp_path / "o",
                                     "--train", path, *TINY), *words)


@pytest.mark.parametrize("text,words", [
    ("Paris B-LOC\nis\n", ["line 2", "tag"]),
    ("Paris B-PLACE\n", ["line 1", "B-PLACE"]),
])
def test_bad_conll_files(text, words, tmp_path, capsys):
    path = tmp_path / "bad.conll"
    path.write_text(text)
    assert_one_line_error(in_process(capsys, "train", "--task", "ner", "--out", tmp_path / "o",
                                     "--train", path, *TINY), "bad.conll", *words)


def test_bad_squad_files(tmp_path, capsys):
    path = tmp_path / "bad.json"
    path.write_text('{"data": [')
    assert_one_line_error(in_process(capsys, "train", "--task", "qa", "--out", tmp_path / "o",
                                     "--train", path, *TINY), "bad.json", "JSON")
    squad = {"data": [{"title": "t", "paragraphs": [{"context": "Ada was born in 1815.", "qas": [
        {"id": "q1", "question": "When?", "answers": [{"text": "1815", "answer_start": 3}]}]}]}]}
    path.write_text(json.dumps(squad))
    assert_one_line_error(in_process(capsys, "train", "--task", "qa", "--out", tmp_path / "o",
                                     "--train", path, *TINY), "q1", "answer_start")


# -- trained runs and adapters ---------------------------------------------------------------
def test_model_dir_missing_or_empty(tmp_path, capsys):
    data = bundled_path("sentiment", "test")
    assert_one_line_error(in_process(capsys, "evaluate", "--model-dir", tmp_path / "nope", "--data", data),
                          "nope", "no such folder")
    assert_one_line_error(in_process(capsys, "evaluate", "--model-dir", tmp_path, "--data", data),
                          "holds no trained run")


@pytest.mark.parametrize("change,words", [
    ({"r": None}, ["missing field", "r"]),
    ({"r": "8"}, ["'r'", "positive integer"]),
])
def test_adapter_config_fields(run_copy, change, words, capsys):
    file = run_copy / "adapter_config.json"
    config = json.loads(file.read_text())
    for key, value in change.items():
        config.pop(key) if value is None else config.__setitem__(key, value)
    file.write_text(json.dumps(config))
    result = in_process(capsys, "evaluate", "--model-dir", run_copy, "--data", bundled_path("sentiment", "test"))
    assert_one_line_error(result, "adapter_config.json", *words)


@pytest.mark.parametrize("damage", ["truncate", "garbage"])
def test_damaged_weights(run_copy, damage, capsys):
    file = run_copy / "adapter_model.safetensors"
    data = file.read_bytes()
    file.write_bytes(data[: len(data) // 3] if damage == "truncate" else b"\x13" * 100)
    result = in_process(capsys, "predict", "--model-dir", run_copy, "--input",
                        bundled_path("sentiment", "test"), "--output", run_copy / "p.csv")
    assert_one_line_error(result, "adapter_model.safetensors", "damaged or truncated")
    assert not (run_copy / "p.csv").exists()


def test_adapter_of_another_base_model(run_copy, capsys):
    save_adapter(apply_lora(tiny_bert(num_labels=2), ["query", "value"], r=8,
                            modules_to_save=["classifier"]), run_copy)
    result = in_process(capsys, "evaluate", "--model-dir", run_copy, "--data", bundled_path("sentiment", "test"))
    assert_one_line_error(result, "adapter_model.safetensors", "another base model")


def test_adapter_of_another_label_set(run_copy, capsys):
    info = json.loads((run_copy / "lorakit.json").read_text())
    info["labels"] = ["negative", "neutral", "positive"]
    (run_copy / "lorakit.json").write_text(json.dumps(info))
    result = in_process(capsys, "evaluate", "--model-dir", run_copy, "--data", bundled_path("sentiment", "test"))
    assert_one_line_error(result, "classifier", "label set")


@pytest.mark.parametrize("task,args,words", [
    ("sentiment", ["--doc-stride", "8"], ["--doc-stride", "qa only"]),
    ("qa", ["--label-all-tokens"], ["--label-all-tokens", "ner only"]),
    ("qa", ["--doc-stride", "300"], ["--doc-stride", "0..255", "--max-length 256"]),
    ("qa", ["--max-length", "64", "--doc-stride", "64"], ["--doc-stride", "0..63"]),
])
def test_task_options_for_the_wrong_task(task, args, words, tmp_path, capsys):
    result = in_process(capsys, "train", "--task", task, "--out", tmp_path / "o", *args, *TINY)
    assert_one_line_error(result, *words)
    assert not (tmp_path / "o").exists()


def test_run_options_that_are_not_an_object(run_copy, capsys):
    info = json.loads((run_copy / "lorakit.json").read_text())
    info["options"] = [1, 2]
    (run_copy / "lorakit.json").write_text(json.dumps(info))
    result = in_process(capsys, "evaluate", "--model-dir", run_copy, "--data", bundled_path("sentiment", "test"))
    assert_one_line_error(result, "lorakit.json", "'options' must be a JSON object")


def test_predict_input_in_the_wrong_format(run_dir, tmp_path, capsys):
    result = in_process(capsys, "predict", "--model-dir", run_dir, "--input", bundled_path("ner", "test"),
                        "--output", tmp_path / "p.csv")
    assert_one_line_error(result, "test.conll")
    assert not (tmp_path / "p.csv").exists()


def test_debug_shows_the_traceback(tmp_path):
    status, _, err = cli("--debug", "evaluate", "--model-dir", tmp_path / "nope", "--data", "x.csv")
    assert status != 0 and "Traceback" in err
