"""The three benchmarks of a plan, and the run that gathers them into the JSON-ready results.

1. One training step (lorakit.measure.training_step: forward, backward, AdamW step, zero_grad) of
   every contender in contenders.STEP_CONTENDERS: time, trainable parameters, bytes, peak memory.
2. Inference (eval mode, torch.no_grad): the base model vs lorakit unmerged vs merged (merge_lora) vs
   merge_and_unload, after checking that the three LoRA variants give the same logits.
3. One layer, forward + backward: frozen nn.Linear vs lorakit's LoRALinear vs peft's lora.Linear over
   the plan's widths d and ranks r.

Example (two tiny layer shapes; the model benchmarks take the same `plan` and a device):
    >>> import torch
    >>> from benchmarks.plan import Plan
    >>> plan = Plan(models=[], repeats=2, warmup=1, layer_repeats=2, layer_dims=(16,),
    ...             layer_ranks=(1, 4), layer_tokens=8)
    >>> [(row["d"], row["r"]) for row in bench_layers(plan, torch.device("cpu"))["rows"]]
    [(16, 1), (16, 4)]
"""
import copy
import functools
import gc
import os
import platform
import statistics
import time
from dataclasses import asdict

import torch
from torch import nn

from lorakit import LoRALinear, lora_layers, merge_and_unload, merge_lora
from lorakit.device import select_precision
from lorakit.measure import training_step

from .contenders import (LORA, STEP_CONTENDERS, build_base, lorakit_model, make_adamw, make_batch,
                         model_info, peft_lora_linear, trainable)
from .memory import optimizer_state_bytes, step_peak_bytes, tensor_bytes
from .report import targets
from .timing import interleaved, medians, paired, ratio, summary

STEP_PAIRS = [("lorakit", "peft"), ("lorakit", "full"), ("peft", "full"), ("frozen_body", "full"),
              ("lorakit", "frozen_body"), ("frozen_body", "peft"), ("peft", "frozen_body")]
# ratio name: (benchmark, numerator, denominator); each is the median of the paired ratios
TIME_RATIOS = {
    "lora_vs_peft_step": ("train_step", "lorakit", "peft"),
    "lora_vs_full_step": ("train_step", "lorakit", "full"),
    "peft_vs_full_step": ("train_step", "peft", "full"),
    "frozen_body_vs_full_step": ("train_step", "frozen_body", "full"),
    "lora_vs_floor_step": ("train_step", "lorakit", "frozen_body"),
    "peft_vs_floor_step": ("train_step", "peft", "frozen_body"),
    "floor_vs_peft_step": ("train_step", "frozen_body", "peft"),   # the lowest lorakit / peft can go
    "merged_vs_base_latency": ("inference", "merged", "base"),
    "unmerged_vs_base_latency": ("inference", "unmerged", "base"),
    "merge_and_unload_vs_base_latency": ("inference", "merge_and_unload", "base"),
}
TOP_LEVEL = ("lora_vs_peft_step", "lora_vs_floor_step", "lora_vs_full_step", "merged_vs_base_latency",
             "lora_vs_full_optimizer_state")


# ----------------------------------------------------------------------------- 1. training step
def _step_memory(model, optimizer, step, batch_bytes, device):
    """Counted bytes of one contender after its timed steps, and the measured peak of one more step."""
    params, grads = list(model.parameters()), trainable(model)
    opt_bytes = optimizer_state_bytes(optimizer)
    resident = tensor_bytes(params) + tensor_bytes(model.buffers()) + opt_bytes + batch_bytes
    delta = step_peak_bytes(step, device)
    return {
        "trainable_params": sum(p.numel() for p in grads),
        "total_params": sum(p.numel() for p in params),
        "param_bytes": tensor_bytes(params),
        "grad_bytes": tensor_bytes(grads),
        "optimizer_state_bytes": opt_bytes,
        # analytic: weights + gradients + AdamW state, what must exist at the end of backward
        "static_bytes": tensor_bytes(params) + tensor_bytes(grads) + opt_bytes,
        "step_peak_delta_bytes": delta,
        "peak_bytes": None if delta is None else resident + delta,
    }


def bf16_step(model, batch, optimizer, device):
    """`training_step` under bf16 autocast: matmuls in bf16, the weights and their update in fp32."""
    with torch.autocast(device.type, dtype=torch.bfloat16):
        return training_step(model, batch, optimizer)


def bench_train_step(base, batch, plan, device, targets=LORA["target_modules"]):
    """{contender: times and bytes, "paired": {"a_vs_b": paired ratios}} of one training step;
    with `plan.bf16` also "lorakit_bf16", the lorakit LoRA step under bf16 autocast."""
    models = {name: make(base, targets) for name, make in STEP_CONTENDERS.items()}
    if plan.bf16:
        models["lorakit_bf16"] = lorakit_model(base, targets)
    optimizers = {name: make_adamw(trainable(model), plan.adamw) for name, model in models.items()}
    steps = {name: functools.partial(training_step, model, batch, optimizers[name])
             for name, model in models.items()}
    if plan.bf16:
        steps["lorakit_bf16"] = functools.partial(bf16_step, models["lorakit_bf16"], batch,
                                                  optimizers["lorakit_bf16"], device)
    times = interleaved(steps, plan.repeats, plan.warmup, device)
    batch_bytes = tensor_bytes(batch.values())
    results = {name: summary(times[name])
               | _step_memory(model, optimizers[name], steps[name], batch_bytes, device)
               for name, model in models.items()}
    pairs = STEP_PAIRS + [("lorakit_bf16", "lorakit"), ("lorakit_bf16", "full")] * plan.bf16
    results["paired"] = {f"{a}_vs_{b}": paired(times[a], times[b]) for a, b in pairs}
    return results


# ----------------------------------------------------------------------------- 2. inference
def _inference_models(base, targets=LORA["target_modules"]):
    """Base, lorakit unmerged, merged and merge_and_unload, in eval mode; B != 0, as if trained."""
    lora = lorakit_model(base, targets)
    torch.manual_seed(1)
    for layer in lora_layers(lora).values():  # as if trained: B != 0, so merging changes the weights
        nn.init.normal_(layer.lora_B.weight, std=0.02)
    models = {"base": copy.deepcopy(base), "unmerged": lora,
              "merged": merge_lora(copy.deepcopy(lora)),
              "merge_and_unload": merge_and_unload(copy.deepcopy(lora))}
    for model in models.values():
        model.eval()
    return models


@torch.no_grad()
def _check_same_logits(models, inputs):
    """Assert that merged and merge_and_unload compute what the unmerged model computes."""
    ref = models["unmerged"](**inputs).logits
    for name in ("merged", "merge_and_unload"):
        err = (models[name](**inputs).logits - ref).abs().max().item()
        assert err < 1e-3, f"{name} disagrees with the unmerged model by {err}"


def _no_grad_forward(model, inputs):
    """A function that runs model(**inputs) under torch.no_grad, to be timed."""
    @torch.no_grad()
    def forward():
        model(**inputs)
    return forward


def bench_inference(base, batch, plan, device, targets=LORA["target_modules"]):
    """{variant: times and weight bytes, "paired": {"variant_vs_base": ...}} of one forward pass."""
    inputs = {k: v for k, v in batch.items() if k != "labels"}
    models = _inference_models(base, targets)
    _check_same_logits(models, inputs)
    forwards = {name: _no_grad_forward(model, inputs) for name, model in models.items()}
    times = interleaved(forwards, plan.infer_repeats, plan.warmup, device)
    results = {name: summary(times[name]) | {"param_bytes": tensor_bytes(m.parameters())}
               for name, m in models.items()}
    results["paired"] = {f"{name}_vs_base": paired(times[name], times["base"])
                         for name in ("unmerged", "merged", "merge_and_unload")}
    return results


# ----------------------------------------------------------------------------- 3. one layer
def _bench_layer(d, r, plan, device):
    """One row of the layer table: forward + backward of each layer on (tokens, d) inputs."""
    torch.manual_seed(0)
    base = nn.Linear(d, d).to(device).requires_grad_(False)
    layers = {"frozen_linear": base,
              "lorakit": LoRALinear(copy.deepcopy(base), r=r, lora_alpha=16),
              "peft": peft_lora_linear(copy.deepcopy(base), r=r, lora_alpha=16).to(device)}
    x = torch.randn(plan.layer_tokens, d, device=device, requires_grad=True)   # (tokens, d)
    grad_out = torch.randn(plan.layer_tokens, d, device=device)                # (tokens, d)

    def fwd_bwd(layer):
        def run():
            layer(x).backward(grad_out)
            x.grad = None
            for p in layer.parameters():
                p.grad = None
        return run
    times = interleaved({name: fwd_bwd(layer) for name, layer in layers.items()},
                        plan.layer_repeats, plan.warmup + 1, device)
    row = {"d": d, "r": r, "tokens": plan.layer_tokens}
    for name in layers:
        row[f"{name}_s"] = statistics.median(times[name])
    row["paired_lorakit_vs_peft"] = paired(times["lorakit"], times["peft"])
    row["lorakit_vs_peft"] = row["paired_lorakit_vs_peft"]["median"]
    row["lorakit_vs_frozen_linear"] = paired(times["lorakit"], times["frozen_linear"])["median"]
    return row


def bench_layers(plan, device):
    """Every (d, r) of the plan, as inside a model (the input requires grad); see the module docstring."""
    rows = [_bench_layer(d, r, plan, device) for d in plan.layer_dims for r in plan.layer_ranks]
    return {"rows": rows,
            "lorakit_vs_peft_median": statistics.median(row["lorakit_vs_peft"] for row in rows)}


# ----------------------------------------------------------------------------- one model, one run
def _count_ratios(step):
    """LoRA / full of the optimizer state, trainable parameters, static and (if measured) peak bytes."""
    lora, full = step["lorakit"], step["full"]
    ratios = {"lora_vs_full_optimizer_state": ratio(lora["optimizer_state_bytes"],
                                                    full["optimizer_state_bytes"]),
              "lora_vs_full_trainable_params": ratio(lora["trainable_params"], full["trainable_params"]),
              "lora_vs_full_static_memory": ratio(lora["static_bytes"], full["static_bytes"])}
    if lora["peak_bytes"] and full["peak_bytes"]:
        ratios["lora_vs_full_peak_memory"] = ratio(lora["peak_bytes"], full["peak_bytes"])
    return ratios


def bench_model(spec, plan, device, log=print):
    """Training step and inference benchmarks of one ModelSpec, with their ratios."""
    base = build_base(spec, device)
    batch = make_batch(base, spec.batch, spec.seq_len, device)
    log(f"[{spec.name}] training step: lorakit, peft, full, frozen body{', lorakit bf16' * plan.bf16} "
        f"({plan.repeats} interleaved repeats)")
    parts = {"train_step": bench_train_step(base, batch, plan, device, spec.targets)}
    log(f"[{spec.name}] inference: base, unmerged, merged, merge_and_unload "
        f"({plan.infer_repeats} interleaved repeats)")
    parts["inference"] = bench_inference(base, batch, plan, device, spec.targets)
    ratios = {name: parts[part]["paired"][f"{a}_vs_{b}"]["median"]
              for name, (part, a, b) in TIME_RATIOS.items()}
    if plan.bf16:
        ratios["bf16_vs_fp32_step"] = parts["train_step"]["paired"]["lorakit_bf16_vs_lorakit"]["median"]
    of_medians = {name: ratio(parts[part][a]["median_s"], parts[part][b]["median_s"])
                  for name, (part, a, b) in TIME_RATIOS.items()}
    return {"model": model_info(base), "note": spec.note, "batch": spec.batch, "seq_len": spec.seq_len,
            "targets": spec.targets, "judged": spec.judged,
            **parts, "ratios": ratios | _count_ratios(parts["train_step"]),
            "ratios_of_medians": of_medians}


def _cpu_name():
    """The CPU's model name from /proc/cpuinfo, else what `platform` knows."""
    try:
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def native_bf16(device):
    """Whether `device` computes bf16 in hardware (AMX / AVX512-BF16 on a CPU, compute 8.0 on CUDA):
    exactly where lorakit's `--precision auto` picks bf16."""
    return select_precision(device.type) == "bf16"


def bf16_keys(ratios, native):
    """`bf16_vs_fp32_step`: the measured ratio where bf16 is native, else None; a ratio measured
    where bf16 is emulated is kept apart, as `bf16_emulated_vs_fp32_step`.

    >>> bf16_keys({"bf16_vs_fp32_step": 2.4}, native=False)
    {'bf16_vs_fp32_step': None, 'bf16_emulated_vs_fp32_step': 2.4}
    """
    measured = ratios.get("bf16_vs_fp32_step")
    if native or measured is None:
        return {"bf16_vs_fp32_step": measured}
    return {"bf16_vs_fp32_step": None, "bf16_emulated_vs_fp32_step": measured}


def machine_info(device):
    """CPU, threads, library versions, device (and GPU), load average: what a result depends on."""
    import peft
    import transformers
    info = {"cpu": _cpu_name(), "cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "torch": torch.__version__, "transformers": transformers.__version__,
            "peft": peft.__version__, "python": platform.python_version(),
            "device": str(device), "dtype": "float32", "native_bf16": native_bf16(device),
            "platform": platform.platform()}
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
    if hasattr(os, "getloadavg"):
        info["load_average_start"] = os.getloadavg()[0]
    return info


def _settings(plan):
    """The plan as recorded in the results."""
    return {"quick": plan.quick, "repeats": plan.repeats, "warmup": plan.warmup,
            "infer_repeats": plan.infer_repeats, "layer_repeats": plan.layer_repeats,
            "adamw": plan.adamw, "bf16": plan.bf16, "lora": LORA, "notes": plan.notes,
            "models": [asdict(m) for m in plan.models]}


def _timestamped(log, start):
    """`log` with the seconds since `start` (a time.perf_counter()) in front of every line."""
    return lambda msg: log(f"{time.perf_counter() - start:6.0f} s  {msg}")


def run(plan, device, log=print):
    """Run every benchmark of `plan`; returns the JSON-ready results. `log` gets progress lines."""
    results = {"machine": machine_info(device), "settings": _settings(plan), "configs": {}}
    start = time.perf_counter()
    log = _timestamped(log, start)
    for spec in plan.models:
        results["configs"][spec.name] = bench_model(spec, plan, device, log)
        gc.collect()
    log(f"[layers] forward+backward, d in {plan.layer_dims}, r in {plan.layer_ranks}, "
        f"{plan.layer_tokens} tokens ({plan.layer_repeats} interleaved repeats)")
    results["layers"] = bench_layers(plan, device)
    primary = results["primary_config"] = plan.models[0].name
    results["ratios"] = {name: res["ratios"] for name, res in results["configs"].items()}
    results |= {key: results["configs"][primary]["ratios"][key] for key in TOP_LEVEL}
    results |= bf16_keys(results["configs"][primary]["ratios"], results["machine"]["native_bf16"])
    results["medians_s"] = {name: {part: medians(res[part]) for part in ("train_step", "inference")}
                            for name, res in results["configs"].items()}
    results["targets"] = targets(results)
    results["wall_s"] = time.perf_counter() - start
    if hasattr(os, "getloadavg"):
        results["machine"]["load_average_end"] = os.getloadavg()[0]
    return results
