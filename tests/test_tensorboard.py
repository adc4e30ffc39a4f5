"""--report-to tensorboard writes loss, learning rate and validation metrics; without the package it
says in one line what to install."""
import json

from lorakit.cli import main
from test_errors import TINY, assert_one_line_error, in_process


def test_training_curves_for_tensorboard(tmp_path, capsys):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    out, logs = tmp_path / "run", tmp_path / "logs"
    assert main(["train", "--task", "sentiment", "--out", str(out), *TINY, "--epochs", "2", "--batch-size", "8",
                 "--report-to", "tensorboard", "--logging-dir", str(logs)]) == 0   # 16 reviews: 2 steps an epoch
    metrics = json.loads((out / "metrics.json").read_text())
    events = EventAccumulator(metrics["logs"]).Reload()
    scalars = events.Tags()["scalars"]
    assert {"train/loss", "train/learning_rate", "validation/accuracy", "validation/macro_f1"} <= set(scalars)
    assert [e.step for e in events.Scalars("train/loss")] == [1, 2, 3, 4]             # every step
    assert [e.step for e in events.Scalars("validation/accuracy")] == [2, 4]          # every epoch
    rates = [e.value for e in events.Scalars("train/learning_rate")]
    assert max(rates) <= 1e-3 + 1e-9 and rates[-1] < max(rates)    # warm-up, then linear decay


def test_report_to_without_tensorboard_says_what_to_install(tmp_path, monkeypatch, capsys):
    import importlib.util
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "tensorboard" else find_spec(name, *a))
    result = in_process(capsys, "train", "--task", "sentiment", "--out", tmp_path / "o", *TINY,
                        "--report-to", "tensorboard")
    assert_one_line_error(result, "--report-to tensorboard", "pip install 'lorakit[tensorboard]'")
    assert not (tmp_path / "o").exists()
