"""A sweep stopped by a real Ctrl-C (SIGINT) or SIGTERM keeps every finished row; a rerun completes it."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
RANKS = [1, 2, 3, 4, 5, 6]
SWEEP = ["-m", "lorakit", "sweep", "--task", "sentiment", "--ranks", ",".join(map(str, RANKS)),
         "--seeds", "0", "--max-train-examples", "16", "--max-eval-examples", "16", "--epochs", "1",
         "--quiet", "--save-runs"]


def start_sweep(out):
    env = dict(os.environ, HF_HUB_OFFLINE="1", PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    return subprocess.Popen([sys.executable, *SWEEP, "--out", str(out)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def rows(path):
    return len(pd.read_csv(path)) if path.is_file() else 0


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_sweep_resumes_after_a_real_signal(sig, tmp_path):
    results = tmp_path / "results.csv"
    process = start_sweep(tmp_path)
    deadline = time.monotonic() + 300
    while rows(results) < 2:  # interrupt in the middle of the third run or later
        assert process.poll() is None, process.communicate()[1][-2000:]
        assert time.monotonic() < deadline, "the sweep wrote no rows in 300 s"
        time.sleep(0.1)
    process.send_signal(sig)
    _, stderr = process.communicate(timeout=120)

    assert process.returncode == 130 and "lorakit: interrupted" in stderr
    assert "Traceback" not in stderr
    kept = pd.read_csv(results)
    assert 2 <= len(kept) < len(RANKS), "the signal came after the sweep had finished"
    assert not kept.isna().any().any()  # every row kept is whole
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary files

    process = start_sweep(tmp_path)
    _, stderr = process.communicate(timeout=600)
    assert process.returncode == 0, stderr[-2000:]
    table = pd.read_csv(results)
    assert sorted(table["rank"]) == RANKS and not table.duplicated(["method", "rank", "seed"]).any()
    pd.testing.assert_frame_equal(table.iloc[:len(kept)], kept)  # the finished rows are untouched
    saved = sorted(p.name for p in (tmp_path / "runs").iterdir())
    assert saved == sorted(f"lora_r{r}_s0" for r in RANKS)  # --save-runs: one run folder per row
    assert (tmp_path / "runs" / "lora_r6_s0" / "adapter_model.safetensors").is_file()
