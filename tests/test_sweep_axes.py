"""Sweeps over learning rates, batch sizes and target sets: the grid, resume, the plots, bad values."""
import pandas as pd
import pytest

import lorakit.models
import lorakit.sweep as sweep
from lorakit import ConfigError
from lorakit.cli import build_parser
from lorakit.sweep_axes import Axes, check_target_sets
from lorakit.sweep_plots import plot_axis, plot_sweep
from test_sweep import stop_after
from tiny import tiny_bert


@pytest.fixture
def fake(monkeypatch):
    """Training replaced by a row whose accuracy peaks at lr 1e-3; the tiny BERT as the model."""
    calls = []

    def run_one(config, test_set, save_to=None):
        calls.append(config)
        accuracy = 0.9 - abs(config.lr - 1e-3) * 100 if config.lr else 0.8
        return {"task": config.task, "method": config.method, "seed": config.seed,
                "rank": config.r if config.method == "lora" else 0, "accuracy": accuracy + 0.01 * config.seed,
                "trainable_params": 10, "train_seconds": 1.0, "score_seconds": 0.5}

    monkeypatch.setattr(sweep, "run_one", run_one)
    monkeypatch.setattr(sweep, "load_test_split", lambda config: None)
    monkeypatch.setattr(lorakit.models, "load_task_model", lambda *args, **kwargs: tiny_bert())
    return calls


def test_a_two_by_two_grid(fake, tmp_path):
    axes = Axes(lrs=[3e-4, 3e-3], batch_sizes=[8, 32])
    table = sweep.run_sweep("sentiment", [4], [0], ["full"], out=tmp_path, progress=False, axes=axes)
    assert len(table) == 8 and list(table.columns[:6]) == ["task", "method", "rank", "seed", "lr", "batch_size"]
    lora = table[table["method"] == "lora"]
    assert sorted(zip(lora["lr"], lora["batch_size"])) == [(3e-4, 8), (3e-4, 32), (3e-3, 8), (3e-3, 32)]
    assert sorted({(c.method, c.lr, c.batch_size) for c in fake})[:2] == [("full", 3e-4, 8), ("full", 3e-4, 32)]
    assert len(sweep.read_results(tmp_path / "results.csv")) == 8      # each row appended as its run ended


def test_target_sets_reach_the_runs(fake, tmp_path):
    axes = Axes(target_sets=[["query", "value"], "all-linear"])
    table = sweep.run_sweep("sentiment", [2], [0, 1], ["full"], out=tmp_path, progress=False, axes=axes)
    assert [c.target_modules for c in fake] == [["query", "value"]] * 2 + ["all-linear"] * 2 + [None] * 2
    assert table["target_modules"].fillna("").tolist() == ["query,value"] * 2 + ["all-linear"] * 2 + [""] * 2
    again = sweep.run_sweep("sentiment", [2], [0, 1], ["full"], out=tmp_path, progress=False, axes=axes)
    assert len(fake) == 6 and len(again) == 6          # read back, the target sets are known as done


def test_resume_after_a_stop(fake, tmp_path, monkeypatch):
    axes = Axes(lrs=[1e-4, 1e-3], batch_sizes=[8, 32])
    real = stop_after(fake, 3, monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        sweep.run_sweep("sentiment", [4], [0], out=tmp_path, progress=False, axes=axes)
    assert len(pd.read_csv(tmp_path / "results.csv")) == 3
    monkeypatch.setattr(sweep, "run_one", real)
    table = sweep.run_sweep("sentiment", [4], [0], out=tmp_path, progress=False, axes=axes)
    assert len(fake) == 4 and len(table) == 4 and not table.duplicated(["lr", "batch_size"]).any()
    with pytest.raises(ConfigError, match="--lrs, --batch-sizes"):      # other axes: another --out
        sweep.run_sweep("sentiment", [4], [0], out=tmp_path, progress=False, axes=Axes(lrs=[1e-4]))


def test_max_minutes_shares_the_time_among_the_grid(fake, tmp_path):
    sweep.run_sweep("sentiment", [4], [0], out=tmp_path, progress=False, max_minutes=8,
                    clock=lambda: 0.0, axes=Axes(lrs=[1e-4, 1e-3], batch_sizes=[8, 32]))
    # the clock stands still here, so each run gets the 8 minutes shared among the runs left, less
    # the slowest scoring so far (0.5 s)
    expected = [2.0] + [8 / left - 0.5 / 60 for left in (3, 2, 1)]
    assert [c.max_train_minutes for c in fake] == pytest.approx(expected)


def test_the_plots(tmp_path):
    rows = [("lora", 4, s, lr, b, 0.9 - abs(lr - 1e-3) * 100 + 0.01 * s) for lr in (1e-4, 1e-3, 1e-2)
            for b in (8, 32) for s in (0, 1)]
    rows += [("full", 0, s, lr, b, 0.85) for lr in (1e-4, 1e-3, 1e-2) for b in (8, 32) for s in (0, 1)]
    table = pd.DataFrame(rows, columns=["method", "rank", "seed", "lr", "batch_size", "accuracy"])
    table["trainable_params"] = 10
    paths = plot_sweep(table, "accuracy", tmp_path, "sentiment", ["lr", "batch_size"])
    assert [p.name for p in paths] == ["rank_vs_accuracy.png", "lr_vs_accuracy.png", "batch_size_vs_accuracy.png"]
    assert all(p.read_bytes()[:4] == b"\x89PNG" for p in paths)
    ax = plot_axis(table, "lr", "accuracy").axes[0]
    assert ax.get_xscale() == "log"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["LoRA r=4, batch 8", "LoRA r=4, batch 32", "full fine-tuning, batch 8", "full fine-tuning, batch 32"]
    line = ax.get_lines()[0]
    assert list(line.get_xdata()) == [1e-4, 1e-3, 1e-2] and line.get_ydata()[1] == pytest.approx(0.905)


def test_the_target_modules_plot():
    table = pd.DataFrame({"method": ["lora", "lora", "full"], "rank": [4, 4, 0], "seed": 0,
                          "target_modules": ["query,value", "all-linear", None], "accuracy": [0.8, 0.9, 0.95]})
    ax = plot_axis(table, "target_modules", "accuracy").axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["query,value", "all-linear"]
    assert ax.get_lines()[-1].get_ydata()[0] == 0.95          # the baseline, a dashed line


@pytest.mark.parametrize("option, value, message", [
    ("--lrs", "", "argument --lrs: expected learning rates"),
    ("--lrs", "1e-3,", "argument --lrs: empty item"),
    ("--lrs", "1e-3,-3e-4", "argument --lrs: each learning rate must be a number > 0, got -0.0003"),
    ("--lrs", "0", "argument --lrs: each learning rate must be a number > 0, got 0"),
    ("--lrs", "3e-4,3e-4", "argument --lrs: learning rates must differ"),
    ("--batch-sizes", "8,,32", "argument --batch-sizes: empty item"),
    ("--batch-sizes", "0,8", "argument --batch-sizes: each batch size must be a positive integer"),
    ("--target-sets", "query:", "argument --target-sets: empty item"),
    ("--target-sets", ":", "argument --target-sets: expected target sets"),
])
def test_bad_values_name_the_option(option, value, message, capsys):
    with pytest.raises(SystemExit) as stop:
        build_parser().parse_args(["sweep", "--task", "sentiment", "--out", "x", option, value])
    error = capsys.readouterr().err
    assert stop.value.code == 2 and message in error and len(error.strip().splitlines()) == 1


def test_an_unknown_layer_names_the_option(monkeypatch):
    monkeypatch.setattr(lorakit.models, "load_task_model", lambda *args, **kwargs: tiny_bert())
    config = sweep.TrainConfig(task="sentiment")
    with pytest.raises(ConfigError, match=r"--target-sets 'query,valu': 'valu' matches no Linear layer"):
        check_target_sets(config, [4], [["query", "valu"]])
    with pytest.raises(ConfigError, match=r"--target-sets 'mlp': rank r=64 is larger"):
        check_target_sets(config, [64], ["mlp"])


def test_a_swept_axis_and_its_single_option_clash(fake, tmp_path):
    with pytest.raises(ConfigError, match="--lrs and --lr: give one"):
        sweep.run_sweep("sentiment", [4], [0], out=tmp_path, base_config=sweep.TrainConfig(lr=1e-3),
                        progress=False, axes=Axes(lrs=[1e-4]))

