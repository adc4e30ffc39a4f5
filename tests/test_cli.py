"""The command line end to end on tiny slices of the bundled data: train -> predict -> evaluate."""
import csv
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from lorakit._io import plain_mode
from lorakit.cli import main
from lorakit.data import bundled_path

TINY = ["--max-train-examples", "24", "--max-eval-examples", "16", "--epochs", "1", "--quiet"]
ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args):
    """Run `python -m lorakit` in a subprocess; returns (exit status, stdout, stderr)."""
    env = dict(os.environ, HF_HUB_OFFLINE="1", PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "lorakit", *args], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=600)
    return done.returncode, done.stdout, done.stderr


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One tiny trained run per task, shared by the tests of this module."""
    runs = {}
    for task in ("sentiment", "ner", "qa"):
        out = tmp_path_factory.mktemp(task) / "run"
        assert main(["train", "--task", task, "--out", str(out), *TINY]) == 0
        runs[task] = out
    return runs


@pytest.mark.parametrize("task", ["sentiment", "ner", "qa"])
def test_train_writes_the_run_folder(trained, task):
    out = trained[task]
    names = {p.name for p in out.iterdir()}
    assert {"adapter_config.json", "adapter_model.safetensors", "lorakit.json", "metrics.json"} <= names
    info = json.loads((out / "lorakit.json").read_text())
    assert info["task"] == task and info["method"] == "lora" and info["seed"] == 0
    assert set(info["versions"]) == {"lorakit", "torch", "transformers", "peft"}
    metrics = json.loads((out / "metrics.json").read_text())
    share = 0.02 if task == "qa" else 0.01  # QA adapts every Linear layer, the others query and value
    assert metrics["trainable_params"] < share * metrics["total_params"]
    assert metrics["train_seconds"] > 0 and len(metrics["history"]) == 1
    assert not any(p.name.startswith(".") for p in out.parent.iterdir())  # no staging folder left
    assert stat.S_IMODE(out.stat().st_mode) == plain_mode(folder=True)  # not the stage's owner-only mode


def test_sentiment_predict_keeps_order_and_evaluate(trained, tmp_path, capsys):
    source = bundled_path("sentiment", "test")
    rows = list(csv.DictReader(source.open(encoding="utf-8")))[:12]
    unlabelled = tmp_path / "in.csv"
    with unlabelled.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([["text"]] + [[r["text"]] for r in rows])
    out = tmp_path / "pred.csv"
    assert main(["predict", "--model-dir", str(trained["sentiment"]), "--input", str(unlabelled),
                 "--output", str(out)]) == 0
    predicted = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [p["text"] for p in predicted] == [r["text"] for r in rows]
    assert {p["label"] for p in predicted} <= {"positive", "negative"}
    capsys.readouterr()
    assert main(["evaluate", "--model-dir", str(trained["sentiment"]), "--data", str(source)]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert 0 <= metrics["accuracy"] <= 1 and "macro_f1" in metrics


def test_ner_predict_writes_conll(trained, tmp_path, capsys):
    words = tmp_path / "in.conll"
    words.write_text("Maria\nSilva\nvisited\nLisbon\n.\n\nHello\nworld\n", encoding="utf-8")
    out = tmp_path / "pred.conll"
    assert main(["predict", "--model-dir", str(trained["ner"]), "--input", str(words),
                 "--output", str(out)]) == 0
    sentences = out.read_text(encoding="utf-8").strip().split("\n\n")
    assert [[line.split()[0] for line in s.splitlines()] for s in sentences] == [
        ["Maria", "Silva", "visited", "Lisbon", "."], ["Hello", "world"]]
    capsys.readouterr()
    assert main(["evaluate", "--model-dir", str(trained["ner"]),
                 "--data", str(bundled_path("ner", "test"))]) == 0
    assert {"precision", "recall", "f1"} <= set(json.loads(capsys.readouterr().out))


def test_qa_predict_writes_json_by_id(trained, tmp_path, capsys):
    out = tmp_path / "pred.json"
    source = bundled_path("qa", "validation")
    assert main(["predict", "--model-dir", str(trained["qa"]), "--input", str(source),
                 "--output", str(out)]) == 0
    predictions = json.loads(out.read_text(encoding="utf-8"))
    ids = [q["id"] for a in json.loads(source.read_text())["data"] for p in a["paragraphs"] for q in p["qas"]]
    assert list(predictions) == ids and all(isinstance(v, str) for v in predictions.values())
    capsys.readouterr()
    assert main(["evaluate", "--model-dir", str(trained["qa"]), "--data", str(source)]) == 0
    assert {"exact_match", "f1"} <= set(json.loads(capsys.readouterr().out))


def test_batched_outputs_follow_feature_order(trained):
    """predict_outputs batches shortest first and merges LoRA; each output still belongs to its feature."""
    import numpy as np
    import torch

    from lorakit.data import read_task_file
    from lorakit.lora import lora_layers
    from lorakit.runs import load_run
    from lorakit.inference import model_task, predict_outputs
    model, tokenizer, _ = load_run(trained["ner"])
    task = model_task(model, "ner")
    features = task.encode(read_task_file("ner", bundled_path("ner", "test")).select(range(12)), tokenizer, train=False)
    assert len(set(len(ids) for ids in features["input_ids"])) > 3  # the sort really reorders
    weights = {n: layer.base_layer.weight.clone() for n, layer in lora_layers(model).items()}
    together = predict_outputs(model, features, task, tokenizer, batch_size=5)
    alone = [predict_outputs(model, features.select([i]), task, tokenizer)[0] for i in range(len(features))]
    for a, b in zip(together, alone):
        np.testing.assert_allclose(a, b, atol=1e-5)
    assert all(torch.equal(layer.base_layer.weight, weights[n]) and not layer.merged
               for n, layer in lora_layers(model).items())


def test_task_options_are_saved_and_used_for_prediction(tmp_path, capsys):
    from lorakit.runs import load_run
    from lorakit.inference import model_task
    out = tmp_path / "qa"
    assert main(["train", "--task", "qa", "--out", str(out), "--max-length", "96", "--doc-stride", "24", *TINY]) == 0
    model, _, info = load_run(out)
    assert (info["options"]["max_length"], info["options"]["doc_stride"]) == (96, 24)
    task = model_task(model, "qa", info["options"])
    assert (task.max_length, task.doc_stride) == (96, 24)
    assert (model_task(model, "qa").max_length, model_task(model, "qa").doc_stride) == (256, 64)
    capsys.readouterr()
    assert main(["evaluate", "--model-dir", str(out), "--data", str(bundled_path("qa", "validation"))]) == 0
    assert "f1" in json.loads(capsys.readouterr().out)


def test_ner_label_all_tokens_trains(tmp_path):
    from lorakit.runs import read_run_info
    out = tmp_path / "ner"
    assert main(["train", "--task", "ner", "--out", str(out), "--label-all-tokens", *TINY]) == 0
    assert read_run_info(out)["options"]["label_all_tokens"] is True


def test_regex_target_modules_adapt_only_the_layers_they_match(tmp_path):
    """--target-modules with regex characters is one regex over whole layer paths, as in peft."""
    from safetensors.torch import load_file
    out, pattern = tmp_path / "top", r".*layer\.5\..*(query|value)"
    assert main(["train", "--task", "sentiment", "--out", str(out), "--target-modules", pattern, *TINY]) == 0
    assert json.loads((out / "adapter_config.json").read_text())["target_modules"] == pattern
    adapted = {k.split(".lora_")[0] for k in load_file(out / "adapter_model.safetensors") if ".lora_" in k}
    assert adapted == {f"base_model.model.bert.encoder.layer.5.attention.self.{n}" for n in ("query", "value")}
    assert main(["evaluate", "--model-dir", str(out), "--data", str(bundled_path("sentiment", "test"))]) == 0


def test_same_seed_same_run(tmp_path):
    """Reproducibility: the same seed on a CPU gives the same metrics and adapter weights."""
    outs = [tmp_path / "a", tmp_path / "b"]
    for out in outs:
        assert main(["train", "--task", "sentiment", "--out", str(out), *TINY]) == 0
    metrics = [json.loads((o / "metrics.json").read_text()) for o in outs]
    for m in metrics:
        for timing in ("train_seconds", "peak_memory_mb"):
            m.pop(timing)
    assert metrics[0] == metrics[1]
    weights = [(o / "adapter_model.safetensors").read_bytes() for o in outs]
    assert weights[0] == weights[1]


@pytest.mark.parametrize("method", ["full", "head"])
def test_baseline_methods_round_trip(method, tmp_path, capsys):
    out, valid = tmp_path / method, tmp_path / "valid.csv"
    lines = bundled_path("sentiment", "validation").read_text(encoding="utf-8").splitlines()
    valid.write_text("\n".join(lines[:17]) + "\n", encoding="utf-8")
    assert main(["train", "--task", "sentiment", "--method", method, "--out", str(out),
                 "--eval", str(valid), *TINY]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    if method == "full":
        assert metrics["trainable_params"] == metrics["total_params"]
        assert (out / "model.safetensors").is_file()
    else:
        assert metrics["trainable_params"] == 384 * 2 + 2
        assert (out / "head_model.safetensors").is_file()
    capsys.readouterr()
    assert main(["evaluate", "--model-dir", str(out), "--data", str(valid)]) == 0
    reported = json.loads(capsys.readouterr().out)
    assert reported["accuracy"] == pytest.approx(metrics["accuracy"])  # the model saved is the one scored


def torchrun_train(tmp_path, name, *options):
    """`lorakit train` on the sentiment task under torchrun with 2 processes: (metrics, stdout, rates)."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    out = tmp_path / name
    env = dict(os.environ, HF_HUB_OFFLINE="1", PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    done = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
                           "--master_port", "29533", "-m", "lorakit", "train", "--task", "sentiment",
                           "--out", str(out), *TINY, "--max-train-examples", "60", "--batch-size", "1", *options,
                           "--report-to", "tensorboard", "--logging-dir", str(tmp_path / f"{name}-logs")],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    metrics = json.loads((out / "metrics.json").read_text())
    rates = [e.value for e in EventAccumulator(metrics["logs"]).Reload().Scalars("train/learning_rate")]
    return metrics, done.stdout, rates


def test_two_processes_on_cpu(tmp_path):
    """Under torchrun with 2 processes on a CPU, training runs in both, only rank 0 writes, the
    learning rate follows the schedule of the whole run (accelerate steps it once per process), and
    a deadline stops both processes at rank 0's step."""
    metrics, stdout, rates = torchrun_train(tmp_path, "whole")
    assert metrics["processes"] == 2 and stdout.count("saved to") == 1
    # 60 batches, 30 steps of 2: the schedule counts 60, warm-up 6
    assert (metrics["steps_planned"], metrics["steps_run"]) == (30, 30)
    expected = [1 / 3, 2 / 3] + [(60 - 2 * step) / 54 for step in range(3, 31)]
    assert rates == pytest.approx([1e-3 * f for f in expected], abs=1e-9)
    metrics, stdout, rates = torchrun_train(tmp_path, "late", "--max-train-minutes", "1e-6")
    # past its deadline from the start: both processes stop after the first step (else they would hang)
    assert (metrics["steps_run"], metrics["stopped_by_deadline"]) == (1, True) and stdout.count("saved to") == 1
    assert rates == pytest.approx([1e-3 / 3], abs=1e-9)


def test_update_scale_defaults_to_0_8_for_chat_lora_and_applies_to_plain_lora_only():
    from lorakit.config import TrainConfig
    from lorakit.errors import ConfigError
    scale = lambda **kw: TrainConfig(**kw).resolved().update_scale  # noqa: E731
    assert scale(task="chat") == 0.8
    assert scale(task="chat", method="full") == scale(task="chat", use_dora=True) == scale(task="sentiment") == 1
    assert scale(task="sentiment", update_scale=0.5) == 0.5
    with pytest.raises(ConfigError, match="--update-scale applies to plain LoRA.*not --method full"):
        scale(task="sentiment", method="full", update_scale=0.5)
    with pytest.raises(ConfigError, match="not DoRA"):
        scale(task="chat", use_dora=True, update_scale=0.8)
    with pytest.raises(ConfigError, match=r"--update-scale must be a number in \[0, 1\], got 1.5"):
        scale(task="chat", update_scale=1.5)


def test_task_defaults_fill_only_what_is_left_open():
    from lorakit.config import TrainConfig
    qa = TrainConfig(task="qa").resolved()
    assert (qa.epochs, qa.batch_size, qa.lr, qa.target_modules, qa.attention_dropout) == (1, 16, 2e-3, "all-linear", 0.0)
    sentiment = TrainConfig(task="sentiment").resolved()
    assert (sentiment.epochs, sentiment.batch_size, sentiment.lr, sentiment.target_modules,
            sentiment.attention_dropout) == (5, 32, 1e-3, None, None)
    full_qa = TrainConfig(task="qa", method="full").resolved()
    assert (full_qa.lr, full_qa.target_modules) == (5e-5, None)  # the QA LoRA lr is for LoRA only
    mine = TrainConfig(task="qa", epochs=2, batch_size=8, lr=1e-4, target_modules=["query"],
                       attention_dropout=0.1).resolved()
    assert (mine.epochs, mine.batch_size, mine.lr, mine.target_modules, mine.attention_dropout) == (
        2, 8, 1e-4, ["query"], 0.1)
