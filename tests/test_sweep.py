"""Rank sweeps resume without duplicates; the plot and the explorer work from a small table."""
import pandas as pd
import pytest

import lorakit.sweep as sweep
from lorakit import ConfigError, DataError
from lorakit.plots import plot_rank_sweep
from lorakit import widgets
from lorakit.widgets import describe_rank, rank_explorer


def fake_run_one(calls):
    """A stand-in for training: a row whose accuracy grows with rank, and a record of the call."""
    def run_one(config, test_set, save_to=None):
        calls.append((config.method, config.r, config.seed))
        rank = config.r if config.method == "lora" else 0
        accuracy = {"full": 0.95, "head": 0.7}.get(config.method, 0.8 + 0.01 * rank)
        return {"task": config.task, "method": config.method, "rank": rank, "seed": config.seed,
                "accuracy": accuracy + 0.001 * config.seed, "val_accuracy": accuracy,
                "trainable_params": 1000 if config.method != "lora" else 10 * rank,
                "train_seconds": 1.0, "peak_memory_mb": 1.0, "epochs_run": 1}
    return run_one


@pytest.fixture
def fake(monkeypatch):
    calls = []
    monkeypatch.setattr(sweep, "run_one", fake_run_one(calls))
    monkeypatch.setattr(sweep, "load_test_split", lambda config: None)
    return calls


def test_planned_runs():
    assert sweep.planned_runs([1, 2], [0], ["head"]) == [("lora", 1, 0), ("lora", 2, 0), ("head", 0, 0)]
    with pytest.raises(ConfigError, match="valid baselines"):
        sweep.planned_runs([1], [0], ["lora"])


def stop_after(calls, count, monkeypatch):
    """Make sweep.run_one raise KeyboardInterrupt once `calls` records `count` runs (a stopped sweep);
    returns the run_one it replaced, to resume with."""
    real = sweep.run_one

    def interrupted(config, test_set, save_to=None):
        if len(calls) == count:
            raise KeyboardInterrupt
        return real(config, test_set, save_to)

    monkeypatch.setattr(sweep, "run_one", interrupted)
    return real


def test_resume_after_interrupt_without_duplicates(fake, tmp_path, monkeypatch):
    real = stop_after(fake, 3, monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        sweep.run_sweep("sentiment", [1, 2, 4], [0, 1], ["full"], out=tmp_path, progress=False)
    kept = pd.read_csv(tmp_path / "results.csv")
    assert len(kept) == 3  # the finished runs, each a whole row

    monkeypatch.setattr(sweep, "run_one", real)
    table = sweep.run_sweep("sentiment", [1, 2, 4], [0, 1], ["full"], out=tmp_path, progress=False)
    assert len(table) == 8 and not table.duplicated(["method", "rank", "seed"]).any()
    assert len(fake) == 3 + 5  # three finished before the interrupt; the other five now
    again = sweep.run_sweep("sentiment", [1, 2, 4], [0, 1], ["full"], out=tmp_path, progress=False)
    assert len(fake) == 8 and len(again) == 8  # a finished sweep returns at once


def test_run_one_scores_with_the_runs_task_options(monkeypatch):
    """A sweep with --max-length 64 scores its test split with 64-token inputs too, not the default."""
    from types import SimpleNamespace
    seen = {}
    config = sweep.TrainConfig(task="ner", max_length=64)
    result = SimpleNamespace(model=None, tokenizer=None, config=config, task=config.make_task(),
                             metrics={"f1": 0.5, "trainable_params": 1, "train_seconds": 1.0,
                                      "peak_memory_mb": 1.0, "epochs_run": 1, "steps_run": 1})
    monkeypatch.setattr(sweep, "train", lambda config, progress: result)

    def evaluate(model, tokenizer, task, test_set):
        seen.update(task=task.name, max_length=task.max_length)
        return None, {"f1": 0.5}

    monkeypatch.setattr(sweep, "evaluate", evaluate)
    sweep.run_one(result.config, test_set=None)
    assert seen["max_length"] == 64 and seen["task"] == "ner"


def test_other_task_in_results_is_refused(fake, tmp_path):
    sweep.run_sweep("sentiment", [1], [0], out=tmp_path, progress=False)
    with pytest.raises(ConfigError, match="holds a sweep of"):
        sweep.run_sweep("ner", [1], [0], out=tmp_path, progress=False)


def test_damaged_results_table(tmp_path):
    (tmp_path / "results.csv").write_text("nonsense\n1\n")
    with pytest.raises(DataError, match="missing column"):
        sweep.read_results(tmp_path / "results.csv")


def small_table():
    rows = [("lora", r, s, 0.8 + 0.01 * r + 0.002 * s, 10 * r) for r in (1, 2, 4, 8) for s in (0, 1, 2)]
    rows += [("full", 0, s, 0.95 + 0.001 * s, 1000) for s in (0, 1, 2)]
    rows += [("head", 0, s, 0.7, 100) for s in (0, 1, 2)]
    table = pd.DataFrame(rows, columns=["method", "rank", "seed", "accuracy", "trainable_params"])
    table["val_accuracy"] = table["accuracy"]      # a sweep records the metric it validated on
    table["train_seconds"] = 2.0
    return table


def test_plot_from_small_table(tmp_path):
    path = tmp_path / "rank_vs_accuracy.png"
    fig = plot_rank_sweep(small_table(), "accuracy", path=path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    ax, params = fig.axes
    assert ax.get_xscale() == "log" and params.get_yscale() == "log"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["LoRA (mean, min-max over seeds)", "full fine-tuning", "head only (frozen body)",
                      "trainable parameters"]
    lora_line = ax.get_lines()[0]
    assert list(lora_line.get_xdata()) == [1, 2, 4, 8]
    assert lora_line.get_ydata()[0] == pytest.approx(0.812)  # mean over seeds 0, 1, 2


def test_summarize_and_explorer():
    table = small_table()
    summary = sweep.summarize(table, "accuracy")
    assert summary.query("method == 'lora' and rank == 8")["mean"].item() == pytest.approx(0.882)
    info = describe_rank(table, 4, "accuracy")
    assert info["runs"] == 3 and info["trainable_params"] == 40
    assert describe_rank(table, 16, "accuracy") == {"runs": 0}
    widget = rank_explorer({"sentiment": table}, spectra={("sentiment", 4): [1.0, 0.5, 0.1, 0.0]})
    assert widgets.validated_metric(table) == "accuracy"
    slider = widget.children[1]
    assert list(slider.options) == [1, 2, 4, 8]
    slider.value = 4  # moving the slider redraws without error
