"""QLoRA from the command line (`--quantize nf4`): a run trains, saves, loads back as the same
quantised model and evaluates; and no lorakit command shows bitsandbytes' import-time warning."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from lorakit import quant as Q
from lorakit.cli import main
from lorakit.config import TrainConfig
from lorakit.lora import lora_layers
from lorakit.runs import load_run, save_run
from lorakit.train import train

ROOT = Path(__file__).resolve().parents[1]
WARNING = "gemm_4bit_forward"  # "Failed to load CPU gemm_4bit_forward from kernels-community: ..."


def python(*args):
    """Run `python *args` in a subprocess, offline, on one thread; returns (exit status, stderr)."""
    env = dict(os.environ, HF_HUB_OFFLINE="1", PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=600)
    return done.returncode, done.stderr


def test_qlora_run_loads_back_as_the_same_model_and_evaluates(tmp_path, capsys):
    config = TrainConfig(task="sentiment", quantize="nf4", max_train_examples=16, max_eval_examples=16,
                         epochs=1)
    result = train(config, progress=False)
    save_run(result, tmp_path / "run")
    model, tokenizer, info = load_run(tmp_path / "run")
    assert info["options"]["quantize"] == "nf4"
    trained = {n: m for n, m in result.model.named_modules() if isinstance(m, Q.NF4Linear)}
    loaded = {n: m for n, m in model.named_modules() if isinstance(m, Q.NF4Linear)}
    assert set(loaded) == set(trained) and len(loaded) == 37  # 6 layers x 6 Linear + the pooler
    assert all(torch.equal(loaded[n].weight_packed, trained[n].weight_packed) for n in loaded)
    assert set(lora_layers(model)) == set(lora_layers(result.model))
    batch = tokenizer(["a wonderful film", "dull and far too long"], padding=True, return_tensors="pt")
    with torch.no_grad():
        assert torch.equal(model(**batch).logits, result.model.eval()(**batch).logits)
    capsys.readouterr()
    assert main(["evaluate", "--model-dir", str(tmp_path / "run"), "--data",
                 str(ROOT / "data" / "sentiment" / "test.csv")]) == 0
    assert "accuracy" in capsys.readouterr().out


def test_lorakit_train_prints_no_bitsandbytes_warning(tmp_path):
    """The command as a user runs it. `-X importtime` lists every module imported, to show that
    the module which logs the warning was loaded (on this CPU it may not take that branch: the
    next test forces it)."""
    pytest.importorskip("bitsandbytes")
    status, stderr = python("-X", "importtime", "-m", "lorakit", "train", "--task", "sentiment",
                            "--max-train-examples", "16", "--max-eval-examples", "16", "--epochs", "1",
                            "--out", str(tmp_path / "run"))
    assert status == 0, stderr[-2000:]
    assert "bitsandbytes.backends.cpu.ops" in stderr
    assert WARNING not in stderr


# Loads bitsandbytes as a lorakit command does (after `import lorakit`, through peft), then loads
# its CPU module again as on a CPU with AVX512-BF16 and without the `kernels` package: the branch
# that logs the warning.
FORCE_WARNING = """
import importlib, sys
if sys.argv[1] == "lorakit":
    import lorakit
import peft
import bitsandbytes.functional, bitsandbytes.backends.cpu.ops as ops
bitsandbytes.functional.has_avx512bf16 = lambda: True
sys.modules["kernels"] = None  # not installed (and never a download from the Hub)
importlib.reload(ops)
"""


def test_the_warning_is_silenced_where_bitsandbytes_logs_it():
    pytest.importorskip("bitsandbytes")
    status, stderr = python("-c", FORCE_WARNING, "without")
    assert status == 0 and WARNING in stderr  # the forced branch does warn without lorakit
    status, stderr = python("-c", FORCE_WARNING, "lorakit")
    assert status == 0 and WARNING not in stderr, stderr[-2000:]


def test_quantize_is_refused_without_lora():
    import pytest

    from lorakit.config import TrainConfig
    from lorakit.errors import ConfigError
    with pytest.raises(ConfigError, match="--quantize nf4 applies to --method lora only"):
        TrainConfig(task="sentiment", method="full", quantize="nf4").resolved()


def test_parameter_count_includes_the_4bit_weights():
    from torch import nn

    from lorakit.lora import apply_lora, count_parameters
    plain = apply_lora(nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 2)), ["0"], r=2)
    quantised = apply_lora(nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 2)), ["0"], r=2,
                           quantize="nf4")
    assert count_parameters(quantised) == count_parameters(plain)
