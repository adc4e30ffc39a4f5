"""Ctrl-C (SIGINT) and SIGTERM stop `train`, `predict` and `sweep` at any moment, with real signals.

The moments: Python's imports, reading and tokenising the data (where the `datasets` library once
swallowed the interrupt), loading the model, training and predicting. Each must end within seconds
with status 130 and one line, keep what had finished and leave no half-written file behind. The
signal goes when the process says it has reached the moment (`interrupts.reached`, through
$LORAKIT_STAGE_FILE), so a slow or a fast machine sends it at the same point of the run.
"""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lorakit.cli import main
from lorakit.data import bundled_path

ROOT = Path(__file__).resolve().parents[1]
TRAIN = ["train", "--task", "sentiment", "--max-train-examples", "1500", "--max-eval-examples", "8",
         "--epochs", "1", "--quiet"]


def start(args, stages, ignore_sigint=False):
    """The command line running `args`, writing the stages it reaches to the file `stages`."""
    env = dict(os.environ, HF_HUB_OFFLINE="1", PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1",
               LORAKIT_STAGE_FILE=str(stages))
    # A shell script's background job starts with SIGINT ignored; lorakit must still stop on it.
    ignore = (lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if ignore_sigint else None
    return subprocess.Popen([sys.executable, "-m", "lorakit", *map(str, args)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=ignore)


def wait_for(stage, stages, process, limit=600):
    """Wait until `process` has written `stage` to the file `stages` (it is still running then)."""
    deadline = time.monotonic() + limit
    while not (stages.is_file() and stage in stages.read_text().split()):
        assert process.poll() is None, f"ended before {stage!r}: {process.communicate()[1][-1500:]}"
        assert time.monotonic() < deadline, f"no {stage!r} in {limit} s"
        time.sleep(0.01)


def stop(process, stage, stages, sig=signal.SIGINT, again=None):
    """Send `sig` once the process reaches `stage` (and once more after `again` seconds);
    (status, stderr, seconds it took)."""
    wait_for(stage, stages, process)
    process.send_signal(sig)
    sent = time.monotonic()
    if again is not None:
        time.sleep(again)
        if process.poll() is None:
            process.send_signal(sig)
    _, err = process.communicate(timeout=120)
    return process.returncode, err, time.monotonic() - sent


def assert_stopped(status, err, seconds, folder):
    assert status == 130, err[-2000:]
    assert err.strip().splitlines()[-1] == "lorakit: interrupted" and "Traceback" not in err, err[-2000:]
    assert seconds < 10, f"took {seconds:.1f} s to stop"
    assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == []   # no staging left


@pytest.mark.parametrize("stage", ["start", "data", "model", "tokenize", "train"])
def test_train_stops_at_any_moment(stage, tmp_path):
    out, stages = tmp_path / "run", tmp_path.parent / f"{tmp_path.name}.stages"
    assert_stopped(*stop(start([*TRAIN, "--out", out], stages), stage, stages), tmp_path)
    assert not out.exists()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_train_stops_even_if_sigint_was_ignored_by_the_parent(sig, tmp_path):
    out, stages = tmp_path / "run", tmp_path.parent / f"{tmp_path.name}.stages"
    assert_stopped(*stop(start([*TRAIN, "--out", out], stages, ignore_sigint=True), "data", stages, sig), tmp_path)
    assert not out.exists()


@pytest.fixture(scope="module")
def qa_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("qa") / "run"
    assert main(["train", "--task", "qa", "--out", str(out), "--max-train-examples", "16",
                 "--max-eval-examples", "8", "--epochs", "1", "--quiet"]) == 0
    return out


@pytest.mark.parametrize("stage", ["start", "model", "predict"])
def test_predict_stops_and_writes_nothing(stage, qa_run, tmp_path):
    output, stages = tmp_path / "answers.json", tmp_path.parent / f"{tmp_path.name}.stages"
    process = start(["predict", "--model-dir", qa_run, "--input", bundled_path("qa", "test"), "--output", output],
                    stages)
    assert_stopped(*stop(process, stage, stages), tmp_path)
    assert not output.exists()


@pytest.mark.parametrize("stage,again", [("start", None), ("data", None), ("data", 0.3)],
                         ids=["imports", "data", "twice"])
def test_sweep_stops_before_its_first_run(stage, again, tmp_path):
    stages = tmp_path.parent / f"{tmp_path.name}.stages"
    process = start(["sweep", "--task", "sentiment", "--ranks", "1,2", "--max-train-examples", "1500",
                     "--max-eval-examples", "8", "--epochs", "1", "--quiet", "--out", tmp_path], stages)
    assert_stopped(*stop(process, stage, stages, again=again), tmp_path)
    assert not (tmp_path / "results.csv").exists()


def test_an_interrupt_that_datasets_swallows_still_stops_training(tmp_path, monkeypatch, capsys):
    """datasets hashes each transform inside a bare `except:` (update_fingerprint); a Ctrl-C that
    lands there used to vanish, and the run went on to the end."""
    from datasets.fingerprint import Hasher
    update, sent = Hasher.update, []

    def update_and_interrupt(self, value):
        inside_try = sys._getframe(1).f_code.co_name == "update_fingerprint" and getattr(self, "started", False)
        self.started = True           # its first update (the old fingerprint) is outside the `try`
        if inside_try and not sent:
            sent.append(value)
            os.kill(os.getpid(), signal.SIGINT)
        return update(self, value)
    monkeypatch.setattr(Hasher, "update", update_and_interrupt)
    status = main([*TRAIN[:-5], "--max-train-examples", "16", "--max-eval-examples", "8", "--epochs", "1",
                   "--quiet", "--out", str(tmp_path / "run")])
    assert sent and status == 130 and not (tmp_path / "run").exists()
    assert capsys.readouterr().err.strip() == "lorakit: interrupted"


def test_an_interrupt_inside_del_is_not_printed_but_not_lost():
    """Python hands an exception raised in __del__ to sys.unraisablehook (which prints it) and drops
    it; ours is kept from that hook and raised again by check(). Other exceptions still reach it."""
    import gc

    from lorakit import interrupts

    class Interrupted:
        def __del__(self):
            os.kill(os.getpid(), signal.SIGINT)

    class Broken:
        def __del__(self):
            raise ValueError("a real bug in __del__")
    seen, saved = [], (sys.unraisablehook, interrupts._State.unraisablehook)
    sys.unraisablehook = lambda unraisable: seen.append(unraisable.exc_type)
    interrupts.install()
    try:
        Interrupted()
        gc.collect()
        assert interrupts.pending() == signal.SIGINT and seen == []
        with pytest.raises(KeyboardInterrupt):
            interrupts.check()
        Broken()
        gc.collect()
        assert seen == [ValueError]
    finally:
        interrupts.reset()
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        sys.unraisablehook, interrupts._State.unraisablehook = saved
