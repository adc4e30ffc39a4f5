"""Nothing already written is lost: --overwrite, file-system errors, option bounds, damaged runs.

Each test is one case a hostile user tried; the signals themselves are in test_signals.py.
"""
import errno
import json
import os
import shutil
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

import lorakit.config
import lorakit.errors
import lorakit.train
from lorakit.cli import main
from lorakit.data import bundled_path
from test_errors import TINY, assert_one_line_error, in_process, run_dir  # noqa: F401 (a fixture)


@pytest.fixture
def old_run(run_dir, tmp_path):
    """A copy of a finished run, to be overwritten; returns (folder, its files' bytes)."""
    folder = tmp_path / "old"
    shutil.copytree(run_dir, folder)
    return folder, snapshot(folder)


@pytest.fixture
def no_training(monkeypatch):
    """Fail the test if training starts: the error must come before it."""
    def refuse(*args, **kwargs):
        raise AssertionError("training started before the bad --out was refused")
    monkeypatch.setattr(lorakit.train, "train", refuse)


def snapshot(folder):
    return {p.name: p.read_bytes() for p in Path(folder).iterdir()}


def hidden(folder):
    return [p.name for p in Path(folder).iterdir() if p.name.startswith(".")]


def train(capsys, out, *args):
    return in_process(capsys, "train", "--task", "sentiment", "--out", out, *TINY, *args)


# -- --overwrite replaces only a lorakit run --------------------------------------------------
def test_overwrite_never_empties_the_current_folder(tmp_path, monkeypatch, capsys, no_training):
    data = tmp_path / "train.csv"
    shutil.copy(bundled_path("sentiment", "validation"), data)
    monkeypatch.chdir(tmp_path)
    for out in (".", "..", str(tmp_path)):
        result = train(capsys, out, "--overwrite", "--train", "train.csv")
        assert_one_line_error(result, "--out", "current folder")
    assert data.read_bytes() == bundled_path("sentiment", "validation").read_bytes()


def test_overwrite_refuses_a_folder_that_holds_no_run(tmp_path, capsys, no_training):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.tex").write_text("years of work")
    assert_one_line_error(train(capsys, out, "--overwrite"), "--out", "lorakit.json")
    assert (out / "thesis.tex").read_text() == "years of work"


def test_overwrite_refuses_a_run_with_other_files(old_run, capsys, no_training):
    folder, before = old_run
    (folder / "notes.txt").write_text("keep me")
    assert_one_line_error(train(capsys, folder, "--overwrite"), "--out", "notes.txt", "not part of the run")
    assert snapshot(folder) == {**before, "notes.txt": b"keep me"}


def test_overwrite_refuses_a_folder_holding_an_input_file(old_run, capsys, no_training):
    folder, _ = old_run
    data = folder / "train.csv"
    shutil.copy(bundled_path("sentiment", "validation"), data)
    assert_one_line_error(train(capsys, folder, "--overwrite", "--train", data), "--out", "input file", "train.csv")
    assert data.is_file()


def test_overwrite_refuses_a_symbolic_link(old_run, tmp_path, capsys, no_training):
    folder, before = old_run
    link = tmp_path / "link"
    link.symlink_to(folder)
    assert_one_line_error(train(capsys, link, "--overwrite"), "--out", "symbolic link")
    assert link.is_symlink() and snapshot(folder) == before


def test_overwrite_replaces_a_run_and_leaves_nothing_aside(old_run, capsys):
    folder, before = old_run
    status, _, err = train(capsys, folder, "--overwrite", "--seed", "1")
    assert status == 0, err
    assert json.loads((folder / "lorakit.json").read_text())["seed"] == 1
    assert hidden(folder.parent) == []
    info = json.loads((folder / "lorakit.json").read_text())
    assert sorted(info["files"]) == sorted(p.name for p in folder.iterdir())  # the manifest


def test_overwrite_replaces_a_run_saved_before_the_manifest(old_run, capsys):
    folder, _ = old_run
    info = json.loads((folder / "lorakit.json").read_text())
    del info["files"]
    (folder / "lorakit.json").write_text(json.dumps(info))
    assert train(capsys, folder, "--overwrite")[0] == 0


def test_old_run_stays_when_the_new_one_cannot_be_moved_in(old_run, monkeypatch, capsys):
    folder, before = old_run
    real_replace, calls = os.replace, []

    def replace(src, dst):
        calls.append((Path(src).name, Path(dst).name))
        if len(calls) == 2:                 # 1: old run aside, 2: new run in
            raise OSError(errno.EIO, "Input/output error")
        return real_replace(src, dst)
    monkeypatch.setattr("lorakit.runs.os.replace", replace)
    assert_one_line_error(train(capsys, folder, "--overwrite"), "--out", "Input/output error")
    assert snapshot(folder) == before and hidden(folder.parent) == []


def test_interrupt_while_saving_keeps_the_old_run(old_run, monkeypatch, capsys):
    folder, before = old_run

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr("lorakit.runs.save_adapter", interrupted)
    status, _, err = train(capsys, folder, "--overwrite")
    assert status == 130 and "interrupted" in err
    assert snapshot(folder) == before and hidden(folder.parent) == []


# -- file-system errors come before training -----------------------------------------------------
def test_out_under_a_file(tmp_path, capsys, no_training):
    (tmp_path / "afile").write_text("x")
    assert_one_line_error(train(capsys, tmp_path / "afile" / "run"), "--out", "afile", "is a file")


def test_out_where_nothing_can_be_written(capsys, no_training):
    assert_one_line_error(train(capsys, "/proc/lorakit-run"), "--out", "cannot write in /proc")


def test_out_in_a_read_only_folder(tmp_path, monkeypatch, capsys, no_training):
    """A folder without write permission. Root (as CI runs) may write in any folder whatever its mode,
    so the folder also refuses what the operating system refuses a user there: making a file in it."""
    import tempfile
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    make_folder = tempfile.mkdtemp

    def refused(*args, dir=None, **kwargs):
        if dir is not None and Path(dir) == locked:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(dir))
        return make_folder(*args, dir=dir, **kwargs)
    monkeypatch.setattr("lorakit._io.tempfile.mkdtemp", refused)
    assert_one_line_error(train(capsys, locked / "run"), "--out", "cannot write", "Permission denied")


def test_out_on_a_full_disk(tmp_path, monkeypatch, capsys, no_training):
    monkeypatch.setattr("lorakit._io.shutil.disk_usage", lambda path: shutil._ntuple_diskusage(10**9, 10**9 - 2**20, 2**20))
    assert_one_line_error(train(capsys, tmp_path / "run"), "--out", "1.0 MB free", "needs about")


def test_disk_full_while_saving(old_run, monkeypatch, capsys):
    folder, before = old_run

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr("lorakit.adapters.atomic_write_bytes", full)
    assert_one_line_error(train(capsys, folder, "--overwrite"), "--out", "No space left on device", "nothing")
    assert snapshot(folder) == before and hidden(folder.parent) == []


def test_sweep_out_that_is_a_file(tmp_path, capsys, no_training):
    (tmp_path / "results").write_text("mine")
    result = in_process(capsys, "sweep", "--task", "sentiment", "--ranks", "1", "--out", tmp_path / "results", *TINY)
    assert_one_line_error(result, "--out", "not a folder")
    assert (tmp_path / "results").read_text() == "mine"


@pytest.mark.parametrize("where", ["folder", "input", "run file", "unwritable"])
def test_predict_output_checked_before_predicting(where, run_dir, tmp_path, capsys):
    source = tmp_path / "reviews.csv"
    shutil.copy(bundled_path("sentiment", "test"), source)
    output, words = {"folder": (tmp_path, ["is a folder"]),
                     "input": (source, ["is the --input file"]),
                     "run file": (run_dir / "lorakit.json", ["file of the run"]),
                     "unwritable": (Path("/proc/p.csv"), ["cannot write"])}[where]
    before = source.read_bytes(), (run_dir / "lorakit.json").read_bytes()
    result = in_process(capsys, "predict", "--model-dir", run_dir, "--input", source, "--output", output)
    assert_one_line_error(result, "--output", *words)
    assert (source.read_bytes(), (run_dir / "lorakit.json").read_bytes()) == before


# -- options that cannot work are refused up front -------------------------------------------
@pytest.mark.parametrize("task,length", [("sentiment", 1), ("sentiment", 2), ("ner", 2)])
def test_max_length_leaves_room_for_text(task, length, tmp_path, capsys):
    result = in_process(capsys, "train", "--task", task, "--out", tmp_path / "o", "--max-length", length, *TINY)
    assert_one_line_error(result, "--max-length", "at least 3")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("rank", [385, 1000, 100000])
def test_rank_above_the_layer_width(rank, tmp_path, capsys):
    assert_one_line_error(train(capsys, tmp_path / "o", "--rank", rank), f"r={rank}", "384 x 384", "at most 384")


def test_rank_above_half_the_width_warns_in_one_line(tmp_path, capsys):
    status, _, err = train(capsys, tmp_path / "o", "--rank", "200")
    assert status == 0
    assert [line for line in err.splitlines() if "warning" in line] == [
        "lorakit: warning: rank r=200 is above half of the width of layer bert.encoder.layer.0.attention.self.query "
        "(384): LoRA's factors are then about as large as the weight itself"]


@pytest.mark.parametrize("seed", ["-1", str(2**32), "1.5"])
def test_seed_outside_numpys_range(seed, tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["train", "--task", "sentiment", "--out", str(tmp_path / "o"), "--seed", seed])
    assert stop.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--seed" in err and "integer in 0..4294967295" in err


@pytest.mark.parametrize("option,value", [("--seeds", "0,1,0"), ("--ranks", "4,4")])
def test_sweep_values_given_twice(option, value, tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["sweep", "--task", "sentiment", option, value, "--out", str(tmp_path / "s")])
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and option in err and "twice" in err


def test_sweep_rank_checked_before_the_first_run(tmp_path, capsys):
    result = in_process(capsys, "sweep", "--task", "sentiment", "--ranks", "1,500", "--out", tmp_path / "s", *TINY)
    assert_one_line_error(result, "r=500", "at most 384")
    assert not (tmp_path / "s" / "results.csv").exists()


# -- damaged run folders ----------------------------------------------------------------------
@pytest.mark.parametrize("field,value,words", [
    ("labels", None, ["'labels'", "label names"]),
    ("labels", ["positive", "positive"], ["'labels'", "distinct"]),
    ("task", 3, ["'task'"]),
    ("method", "adapter", ["'method'", "lora"]),
    ("base_model", None, ["'base_model'"]),
    ("options", {"r": "8"}, ["option 'r'", "integer"]),
    ("options", {"max_length": [128]}, ["option 'max_length'"]),
    ("options", {"use_rslora": "yes"}, ["option 'use_rslora'", "true or false"]),
    ("options", {"target_modules": 5}, ["option 'target_modules'"]),
    ("options", {"seed": -1}, ["--seed"]),
])
def test_damaged_run_info(field, value, words, old_run, capsys):
    folder, _ = old_run
    info = json.loads((folder / "lorakit.json").read_text())
    info[field] = {**info["options"], **value} if field == "options" else value
    (folder / "lorakit.json").write_text(json.dumps(info))
    result = in_process(capsys, "evaluate", "--model-dir", folder, "--data", bundled_path("sentiment", "test"))
    assert_one_line_error(result, "lorakit.json", *words)


def test_adapter_target_modules_of_the_wrong_type(old_run, capsys):
    folder, _ = old_run
    config = json.loads((folder / "adapter_config.json").read_text())
    config["target_modules"] = 5
    (folder / "adapter_config.json").write_text(json.dumps(config))
    result = in_process(capsys, "evaluate", "--model-dir", folder, "--data", bundled_path("sentiment", "test"))
    assert_one_line_error(result, "adapter_config.json", "target_modules")


def test_adapter_full_of_nan_is_refused(old_run, tmp_path, capsys):
    folder, _ = old_run
    file = folder / "adapter_model.safetensors"
    tensors = load_file(file)
    key = next(k for k in tensors if "lora_B" in k)
    tensors[key] = torch.full_like(tensors[key], float("nan"))
    save_file(tensors, file)
    result = in_process(capsys, "predict", "--model-dir", folder, "--input", bundled_path("sentiment", "test"),
                        "--output", tmp_path / "p.csv")
    assert_one_line_error(result, "adapter_model.safetensors", key, "NaN")
    assert not (tmp_path / "p.csv").exists()


def test_head_run_full_of_inf_is_refused(tmp_path, capsys):
    out = tmp_path / "head"
    assert main(["train", "--task", "sentiment", "--method", "head", "--out", str(out), *TINY]) == 0
    file = out / "head_model.safetensors"
    tensors = {k: torch.full_like(v, float("inf")) for k, v in load_file(file).items()}
    save_file(tensors, file)
    capsys.readouterr()
    result = in_process(capsys, "evaluate", "--model-dir", out, "--data", bundled_path("sentiment", "test"))
    assert_one_line_error(result, "head_model.safetensors", "NaN or infinite")


def test_sweep_results_with_a_bad_cell(tmp_path, capsys):
    out = tmp_path / "s"
    out.mkdir()
    (out / "results.csv").write_text("task,method,rank,seed,accuracy\nsentiment,lora,abc,0,0.9\n")
    result = in_process(capsys, "sweep", "--task", "sentiment", "--ranks", "1", "--out", out, *TINY)
    assert_one_line_error(result, "results.csv, line 2", "'rank'", "abc")


def test_keep_run_replaces_its_own_earlier_run(run_dir, tmp_path):
    from types import SimpleNamespace

    from lorakit.runs import keep_run, load_run
    model, tokenizer, info = load_run(run_dir)
    config = lorakit.config.config_from_dict(info["options"])
    result = SimpleNamespace(model=model, tokenizer=tokenizer, config=config, task=config.make_task(),
                             labels=info["labels"], metrics={"accuracy": 0.5})
    folder = tmp_path / "kept"
    assert keep_run(result, folder) == folder and keep_run(result, folder) == folder   # twice: replaced
    assert json.loads((folder / "metrics.json").read_text()) == {"accuracy": 0.5}
    copied = tmp_path / "copied"
    assert keep_run(folder, copied) == copied                                            # a saved run, copied
    assert sorted(p.name for p in copied.iterdir()) == sorted(p.name for p in folder.iterdir())
    with pytest.raises(lorakit.errors.LorakitError):
        keep_run(tmp_path, tmp_path / "not-a-run")                                       # no lorakit.json
    assert not (tmp_path / "not-a-run").exists()


def test_push_to_hub_uploads_the_run_folder(run_dir, monkeypatch):
    import huggingface_hub

    from lorakit.runs import push_to_hub
    calls = []
    monkeypatch.setattr(huggingface_hub, "create_repo", lambda repo_id, **kw: calls.append(("create", repo_id)) or f"https://huggingface.co/{repo_id}")
    monkeypatch.setattr(huggingface_hub, "upload_folder", lambda **kw: calls.append(("upload", kw["folder_path"])))
    assert push_to_hub(run_dir, "me/ner-lora") == "https://huggingface.co/me/ner-lora"
    assert calls == [("create", "me/ner-lora"), ("upload", str(run_dir))]

    def offline(*args, **kwargs):
        raise ConnectionError("Couldn't reach the Hub\nmore")
    monkeypatch.setattr(huggingface_hub, "create_repo", offline)
    with pytest.raises(lorakit.errors.WriteError, match=r"could not push .* \(Couldn't reach the Hub\)$"):
        push_to_hub(run_dir, "me/ner-lora")
