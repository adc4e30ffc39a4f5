"""benchmarks/bench.py on tiny random BERTs: every benchmark runs, the JSON has its keys, ratios are sane.

Timings on models this small say nothing; this test only checks that the code path works (seconds).
"""
import importlib.util
import json
import math
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks" / "bench.py"

sys.path.insert(0, str(ROOT))
from benchmarks.memory import step_peak_bytes  # noqa: E402
from benchmarks.plan import ALL_LINEAR, ModelSpec, Plan  # noqa: E402
from benchmarks.timing import interleaved  # noqa: E402


@pytest.fixture(scope="module")
def bench():
    """benchmarks/bench.py loaded by its path, as `python benchmarks/bench.py` runs it."""
    spec = importlib.util.spec_from_file_location("lorakit_bench", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def tiny_plan():
    tiny = dict(vocab_size=64, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                intermediate_size=48, max_position_embeddings=32)
    return Plan(models=[ModelSpec("tiny-a", batch=2, seq_len=8, bert=tiny),
                        ModelSpec("tiny-b", batch=2, seq_len=8, bert=tiny | dict(num_hidden_layers=1),
                                  targets=ALL_LINEAR)],
                repeats=2, warmup=1, infer_repeats=2, layer_repeats=2, layer_dims=(16, 32),
                layer_ranks=(1, 4), layer_tokens=16, bf16=True, notes=["tiny plan for tests"])


def positive_finite(x):
    return isinstance(x, (int, float)) and math.isfinite(x) and x > 0


@pytest.fixture(scope="module")
def results(bench, tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "results.json"
    threads = torch.get_num_threads()
    try:
        bench.main(["--json", str(out), "--threads", "1", "--device", "cpu", "--chat", "skip"], plan=tiny_plan())
    finally:
        torch.set_num_threads(threads)  # main sets threads for the whole process
    return json.loads(out.read_text())


def test_json_has_the_keys_the_issue_asks_for(results):
    for key in ("lora_vs_peft_step", "lora_vs_floor_step", "lora_vs_full_step", "merged_vs_base_latency",
                "lora_vs_full_optimizer_state"):
        assert positive_finite(results[key]), key
        assert results[key] == results["ratios"]["tiny-a"][key]  # top level = the first model
        assert positive_finite(results["ratios"]["tiny-b"][key]), key
    assert results["primary_config"] == "tiny-a"
    assert {"cpu", "torch_threads", "torch", "device"} <= set(results["machine"])
    assert results["machine"]["torch_threads"] == 1 and results["machine"]["device"] == "cpu"
    for name in ("tiny-a", "tiny-b"):
        medians = results["medians_s"][name]
        assert set(medians["train_step"]) == {"lorakit", "peft", "full", "frozen_body", "lorakit_bf16"}
        assert set(medians["inference"]) == {"base", "unmerged", "merged", "merge_and_unload"}
        assert all(positive_finite(v) for part in medians.values() for v in part.values())
        assert all(positive_finite(v) for v in results["ratios"][name].values())
        assert all(positive_finite(v) for v in results["configs"][name]["ratios_of_medians"].values())
    assert len(results["layers"]["rows"]) == 4
    for row in results["layers"]["rows"]:
        assert all(positive_finite(row[k]) for k in ("frozen_linear_s", "lorakit_s", "peft_s",
                                                      "lorakit_vs_peft"))
    assert {t["config"] for t in results["targets"]} == {"tiny-a", "tiny-b"}
    # bf16 was timed (the tiny plan asks for it); the top-level key is null where bf16 is emulated
    if results["machine"]["native_bf16"]:
        assert positive_finite(results["bf16_vs_fp32_step"])
    else:
        assert results["bf16_vs_fp32_step"] is None and positive_finite(results["bf16_emulated_vs_fp32_step"])
    assert all(isinstance(t["met"], bool) for t in results["targets"])


def test_counts_and_memory(results):
    step = results["configs"]["tiny-a"]["train_step"]
    # lorakit and peft train exactly the same parameters, so they keep the same AdamW state
    assert step["lorakit"]["trainable_params"] == step["peft"]["trainable_params"]
    assert step["lorakit"]["optimizer_state_bytes"] == step["peft"]["optimizer_state_bytes"]
    # AdamW keeps exp_avg and exp_avg_sq (2 floats per trainable parameter) plus a step counter
    full = step["full"]
    assert 8 * full["trainable_params"] <= full["optimizer_state_bytes"] < 9 * full["trainable_params"]
    # every Linear of the encoder (tiny-b): 6 per layer, the pooler and classifier left out, in both
    all_linear = results["configs"]["tiny-b"]["train_step"]
    assert all_linear["lorakit"]["trainable_params"] == all_linear["peft"]["trainable_params"] == \
        4 * 8 * (32 + 32) + 2 * 8 * (32 + 48) + 66   # q, k, v, attention out; FFN in, out; classifier
    for name in ("lorakit", "peft", "full", "frozen_body"):
        assert step[name]["step_peak_delta_bytes"] > 0, name  # the profiler saw the step allocate
        assert step[name]["peak_bytes"] > step[name]["param_bytes"], name


def test_cpu_peak_is_none_with_a_warning_when_the_private_profiler_api_is_missing(monkeypatch):
    import torch._C._profiler as private
    monkeypatch.delattr(private, "_EventType")
    with pytest.warns(UserWarning, match="CPU memory profiling unavailable"):
        assert step_peak_bytes(lambda: torch.ones(256) * 2, torch.device("cpu")) is None


def test_interleaving_rotates_the_contenders():
    calls = []
    fns = {name: (lambda name=name: calls.append(name)) for name in "ABC"}
    times = interleaved(fns, repeats=3, warmup=1, device=torch.device("cpu"))
    assert calls == list("ABC" "ABC" "BCA" "CAB")  # warm-up, then rounds starting at A, B, C
    assert {k: len(v) for k, v in times.items()} == {"A": 3, "B": 3, "C": 3}


def test_markdown_table_and_options(bench, results):
    text = bench.markdown(results)
    assert "| lorakit LoRA |" in text and "| merge_and_unload |" in text and "### Targets" in text
    assert bench.plan_for(quick=True).quick and not bench.plan_for().quick
    assert bench.plan_for(repeats=14).infer_repeats == 2 * bench.plan_for().infer_repeats
    with pytest.raises(SystemExit):
        bench.parse_args(["--repeats", "0"])


def test_chat_file_that_is_not_a_chat_result_is_refused_in_one_line(bench, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"lora_vs_peft_step": 1.0}')
    with pytest.raises(SystemExit, match=f"--chat {bad}: no chat_vs_trl_tokens_per_second"):
        bench.chat_results(str(bad), False, torch.device("cpu"), print)
    with pytest.raises(SystemExit, match="--chat .*missing.json: not a JSON file"):
        bench.chat_results(str(tmp_path / "missing.json"), False, torch.device("cpu"), print)
    assert bench.chat_results("skip", False, torch.device("cpu"), print) is None
