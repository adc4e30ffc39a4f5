"""Tensors follow their inputs' device and dtype, so the course runs on a GPU without one in CI.

A function that makes a tensor on the CPU (torch.arange, torch.randn without `device=`) and mixes it
with an input on a GPU crashes there. PyTorch's `meta` device has shapes but no data, and refuses
to mix with the CPU just as a GPU does, so running each function on meta inputs finds such a
tensor here. A function that ends in a Python number (`float(...)`) cannot finish on meta: that one
error, and only that one, is allowed.
"""
import json
import re
from pathlib import Path

import pytest
import torch
from torch import nn

from lorakit import analysis, grads, lowrank
from lorakit.lora import LoRALinear, apply_lora, merged

META = torch.device("meta")
NO_DATA = "cannot be called on meta tensors"       # float() / .item() of a meta tensor
NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def on_meta(fn, *args):
    """fn(*args) with meta inputs: the result, or None if it stopped only for want of data."""
    try:
        return fn(*args)
    except RuntimeError as e:
        if NO_DATA in str(e):
            return None
        raise


def test_similarity_grid_stays_on_its_inputs_device():
    grid = on_meta(analysis.similarity_grid, torch.randn(4, 32, device=META), torch.randn(8, 32, device=META))
    assert grid.device == META and grid.shape == (4, 8)


def test_amplification_draws_its_random_directions_on_the_weights_device():
    W0, delta = torch.randn(16, 12, device=META), torch.randn(16, 12, device=META)
    _, on_delta, on_random = analysis.projection_norms(W0, delta, 2)
    assert on_delta.device == on_random.device == META
    cpu = torch.randn(16, 12), torch.randn(16, 12)
    assert analysis.amplification(*cpu, 2, seed=3) == analysis.amplification(*cpu, 2, seed=3)


@pytest.mark.parametrize("fn,args", [
    (analysis.subspace_similarity, (torch.randn(4, 16), torch.randn(4, 16), 2, 3)),
    (analysis.delta_weight_spectrum, (LoRALinear(nn.Linear(8, 6), r=3, lora_alpha=6),)),
    (grads.lora_forward, (torch.randn(5, 8), torch.randn(6, 8), torch.randn(3, 8), torch.randn(6, 3), 2.0)),
    (grads.lora_grads, (torch.randn(5, 8), torch.randn(6, 8), torch.randn(3, 8), torch.randn(6, 3), 2.0,
                        torch.randn(5, 6))),
    (grads.check_lora_grads, (torch.randn(5, 8), torch.randn(6, 8), torch.randn(3, 8), torch.randn(6, 3), 2.0)),
], ids=["subspace_similarity", "delta_weight_spectrum", "lora_forward", "lora_grads", "check_lora_grads"])
def test_analysis_and_gradient_helpers_run_on_meta(fn, args):
    meta = [a.to(META) if isinstance(a, (torch.Tensor, nn.Module)) else a for a in args]
    result = on_meta(fn, *meta)
    tensors = [result] if isinstance(result, torch.Tensor) else [] if result is None else \
        [v for v in (result.values() if isinstance(result, dict) else result) if isinstance(v, torch.Tensor)]
    assert all(t.device == META for t in tensors)


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_lowrank_computes_in_float64_on_the_cpu_whatever_comes_in(dtype):
    """lowrank's documented contract: a float64 CPU copy, so spectra are exact and NumPy-ready."""
    W = torch.randn(12, 8).to(dtype)
    for value in (lowrank.singular_values(W), lowrank.rank_k_approx(W, 3), lowrank.random_like(W),
                  *lowrank.truncated_svd(W, 2)):
        assert value.dtype == torch.float64 and value.device.type == "cpu"


def test_lora_layer_on_meta_and_in_bf16():
    layer = LoRALinear(nn.Linear(16, 8, device=META), r=4, lora_alpha=8)
    assert {p.device for p in layer.parameters()} == {META}
    assert layer(torch.randn(3, 16, device=META)).device == META
    net = apply_lora(nn.Sequential(nn.Linear(16, 8, device=META)), ["0"], r=2)
    with merged(net):
        assert net(torch.randn(2, 16, device=META)).shape == (2, 8)
    half = LoRALinear(nn.Linear(16, 8).to(torch.bfloat16), r=4, lora_alpha=8)
    assert half(torch.randn(3, 16, dtype=torch.bfloat16)).dtype == torch.bfloat16   # factors stay float32


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebooks_move_tensors_to_the_cpu_before_numpy(path):
    """`.numpy()` fails on a GPU tensor; every call in a code cell must come right after `.cpu()`."""
    cells = [c for c in json.loads(path.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"]
    for i, cell in enumerate(cells):
        bare = re.findall(r"[\w\]\)]+(?<!\.cpu\(\))\.numpy\(\)", "".join(cell["source"]))
        assert not bare, f"{path.name}, code cell {i}: {bare[0]} without .cpu() first"
