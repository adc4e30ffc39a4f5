"""How much faster and smaller is LoRA? Measured side by side, in one process.

    python benchmarks/bench.py --quick                 # < 2 minutes on a 2-core CPU (smoke test)
    python benchmarks/bench.py --json results.json     # the full run (10-15 minutes on 2 CPU cores)
    python benchmarks/bench.py --threads 1             # on a shared machine (see load_warning)
    python benchmarks/bench.py --device cuda           # the same on a GPU (--device auto picks it)

Three benchmarks, each on the bundled all-MiniLM-L6-v2 and on a BERT-base-shaped model with random
weights (hidden 768, 12 layers; no download):

1. One training step (forward, backward, AdamW step, zero_grad): lorakit LoRA vs peft LoRA (the same
   config: r=8, alpha=16, query and value, classifier trained whole) vs full fine-tuning, plus a
   "frozen body" step that back-propagates activation gradients through the whole body and computes no
   weight gradient at all: the floor any adapter inside the body has to pay. Time, optimizer-state bytes
   (counted after the step) and peak memory.
2. Inference (eval mode, torch.no_grad): the base model vs lorakit unmerged vs merged (merge_lora) vs
   merge_and_unload.
3. One layer, forward + backward: frozen nn.Linear vs lorakit's LoRALinear vs peft's lora.Linear over
   several widths d and ranks r.

Design choices, because the machine may be shared and timings are noisy:
- Contenders are interleaved (round i runs A B C, the next B C A, ...), never all A then all B, so a
  burst of load from elsewhere hits every contender alike; we warm up first and report medians.
- Every time ratio is the median of per-round paired ratios A_i / B_i (A and B from the same round),
  which cancels load that drifts between rounds; their quartiles show the noise, and the ratio of the
  medians is kept in the JSON too.
- Threads are set explicitly (--threads, default: the cores this process may use) and reported; seeds
  are fixed; garbage collection is paused inside each timed call.
- Peak memory: on CUDA, torch.cuda.max_memory_allocated. On CPU, torch keeps no such counter and the RSS
  mostly shows what malloc kept from earlier steps, so we record every tensor allocation and free during
  one step with torch.profiler (profile_memory=True) and take the peak of their running sum. Reported
  peak = resident bytes counted before the step (parameters, buffers, optimizer state, batch)
  + that measured peak of the step. The counted static part (weights + gradients + AdamW state) is
  printed too, so the analytic and measured numbers can be compared.
"""
import argparse
import contextlib
import copy
import gc
import json
import os
import platform
import statistics
import sys
import time
import warnings
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch
from torch import nn

try:
    import lorakit
except ImportError:  # run as `python benchmarks/bench.py` from a checkout without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import lorakit

from lorakit import LoRALinear, apply_lora, lora_layers, merge_and_unload, merge_lora

# What the issue asks us to show; each is judged in `targets()`.
TARGET_PEFT = 1.0         # lorakit LoRA step / peft LoRA step
TARGET_FULL = 0.70        # lorakit LoRA step / full fine-tuning step
TARGET_MERGED = 1.03      # merged inference / base inference
TARGET_OPT_STATE = 0.01   # LoRA optimizer state / full optimizer state
FLOOR = 2 / 3             # forward + activation grads, no weight grads: 2 of the 3 passes of a full step

LORA = dict(r=8, lora_alpha=16, target_modules=["query", "value"], modules_to_save=["classifier"])


# ----------------------------------------------------------------------------- what to run
@dataclass
class ModelSpec:
    """One model to benchmark. `bert` = None means the bundled all-MiniLM-L6-v2."""
    name: str
    batch: int
    seq_len: int
    bert: dict = None  # BertConfig options for a random-weight model
    note: str = ""


@dataclass
class Plan:
    """Everything one run measures; `plan_for` gives the quick and full plans, tests build a tiny one."""
    models: list
    repeats: int = 7
    warmup: int = 2
    infer_repeats: int = 11     # inference and single layers are short, so they get more repeats
    layer_repeats: int = 11
    layer_dims: tuple = (384, 768, 1024)
    layer_ranks: tuple = (1, 8, 64)
    layer_tokens: int = 2048
    adamw: str = "fused"        # see make_adamw
    quick: bool = False
    notes: list = field(default_factory=list)


BERT_BASE = dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072)


def plan_for(quick=False, repeats=None, adamw="fused"):
    """The full plan or the quick one (< 2 minutes on 2 CPU cores); `repeats` scales all repeats."""
    if quick:
        plan = Plan(models=[ModelSpec("minilm-l6", batch=8, seq_len=64),
                            ModelSpec("bert-base-2l", batch=8, seq_len=64,
                                      bert=BERT_BASE | dict(num_hidden_layers=2),
                                      note="BERT-base width, 2 of its 12 layers (quick mode)")],
                    repeats=3, warmup=1, infer_repeats=5, layer_repeats=5, layer_tokens=512, quick=True,
                    notes=["quick mode: batch 8 x 64, few repeats, the BERT-base shape cut to 2 layers, "
                           "layers on 512 tokens; a smoke test, not numbers to quote"])
    else:
        plan = Plan(models=[ModelSpec("minilm-l6", batch=16, seq_len=128),
                            ModelSpec("bert-base", batch=8, seq_len=128, bert=dict(BERT_BASE),
                                      note="BERT-base shape, random weights")])
    if repeats is not None:
        scale = repeats / plan.repeats
        plan = replace(plan, repeats=repeats, infer_repeats=max(1, round(plan.infer_repeats * scale)),
                       layer_repeats=max(1, round(plan.layer_repeats * scale)))
    return replace(plan, adamw=adamw)


# ----------------------------------------------------------------------------- device and timing
def pick_device(name="auto"):
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise SystemExit("bench.py: --device cuda, but torch sees no CUDA device")
    return torch.device(name)


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_call(fn, device):
    """Seconds one call of fn takes, with the device synchronised before and after."""
    sync(device)
    gc_was_on = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter()
        fn()
        sync(device)
        return time.perf_counter() - start
    finally:
        if gc_was_on:
            gc.enable()


def interleaved(fns, repeats, warmup, device):
    """{name: [seconds per repeat]} for every contender in `fns`, interleaved and rotated.

    Round i runs the contenders starting at number i mod k (A B C, B C A, C A B, ...): interleaving
    spreads outside load over all of them, rotating removes any "always runs after X" bias.
    """
    names = list(fns)
    for _ in range(warmup):
        for name in names:
            fns[name]()
    sync(device)
    gc.collect()
    times = {name: [] for name in names}
    for i in range(repeats):
        for name in names[i % len(names):] + names[:i % len(names)]:
            times[name].append(time_call(fns[name], device))
    return times


def summary(times):
    return {"median_s": statistics.median(times), "min_s": min(times), "max_s": max(times),
            "times_s": times}


def ratio(a, b):
    return a / b if b else float("nan")


def paired(times_a, times_b):
    """Median and quartiles of the per-round ratios A_i / B_i (a noise estimate for A / B)."""
    ratios = sorted(a / b for a, b in zip(times_a, times_b))
    if len(ratios) == 1:
        return {"median": ratios[0], "q1": ratios[0], "q3": ratios[0]}
    q1, _, q3 = statistics.quantiles(ratios, n=4, method="inclusive")
    return {"median": statistics.median(ratios), "q1": q1, "q3": q3}


# ----------------------------------------------------------------------------- memory
def tensor_bytes(tensors):
    return sum(t.numel() * t.element_size() for t in tensors)


def optimizer_state_bytes(optimizer):
    """Bytes of every tensor AdamW keeps (exp_avg, exp_avg_sq, step) after at least one step."""
    return tensor_bytes(v for state in optimizer.state.values() for v in state.values()
                        if torch.is_tensor(v))


@contextlib.contextmanager
def _quiet_stderr_fd():
    """Send file descriptor 2 to /dev/null: torch.profiler's C++ side prints start/stop lines there."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _profiled_peak_cpu(fn):
    """Peak of the running sum of tensor allocations minus frees while fn runs (torch.profiler).

    Counts what torch's CPU allocator hands out (tensors, autograd buffers); oneDNN scratch space that
    bypasses it is not counted. Returns None if this torch's profiler does not expose the events.
    """
    from torch.profiler import ProfilerActivity, profile
    try:
        from torch._C._profiler import _EventType
        with _quiet_stderr_fd(), profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
            fn()
        events = []
        stack = list(prof.profiler.kineto_results.experimental_event_tree())
        while stack:
            node = stack.pop()
            if node.tag == _EventType.Allocation and node.extra_fields.device.type == "cpu":
                events.append((node.start_time_ns, node.extra_fields.alloc_size))
            stack.extend(node.children)
    except Exception as e:  # a private API: report instead of failing the whole run
        warnings.warn(f"CPU memory profiling unavailable ({type(e).__name__}: {e})")
        return None
    running = peak = 0
    for _, size in sorted(events):
        running += size
        peak = max(peak, running)
    return peak


def step_peak_bytes(fn, device):
    """Peak bytes that one call of fn allocates on top of what was already allocated."""
    if device.type == "cuda":
        sync(device)
        before = torch.cuda.memory_allocated(device)
        torch.cuda.reset_peak_memory_stats(device)
        fn()
        sync(device)
        return torch.cuda.max_memory_allocated(device) - before
    return _profiled_peak_cpu(fn)


# ----------------------------------------------------------------------------- models
def build_base(spec, device, num_labels=2):
    """The base model of a spec, in train mode, on `device`, with fixed weights (seed 0)."""
    torch.manual_seed(0)
    if spec.bert is None:
        model = lorakit.load_task_model("sentiment", labels=["negative", "positive"])
    else:
        from transformers import BertConfig, BertForSequenceClassification
        config = BertConfig(num_labels=num_labels, **spec.bert)
        model = BertForSequenceClassification(config)
    return model.to(device).train()


def make_batch(model, batch, seq_len, device, seed=0):
    """Random token ids (no padding) and labels: timing does not depend on the text."""
    generator = torch.Generator().manual_seed(seed)
    vocab = model.config.vocab_size
    ids = torch.randint(1000 if vocab > 2000 else 1, vocab, (batch, seq_len), generator=generator)
    labels = torch.randint(0, model.config.num_labels, (batch,), generator=generator)
    return {"input_ids": ids.to(device), "attention_mask": torch.ones_like(ids).to(device),
            "labels": labels.to(device)}


def lorakit_model(base):
    return apply_lora(copy.deepcopy(base), LORA["target_modules"], r=LORA["r"],
                      lora_alpha=LORA["lora_alpha"], modules_to_save=LORA["modules_to_save"])


def peft_model(base):
    import peft
    config = peft.LoraConfig(task_type="SEQ_CLS", r=LORA["r"], lora_alpha=LORA["lora_alpha"],
                             target_modules=list(LORA["target_modules"]), lora_dropout=0.0,
                             modules_to_save=list(LORA["modules_to_save"]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return peft.get_peft_model(copy.deepcopy(base), config)


def frozen_body_model(base):
    """Everything frozen but the classifier; the embeddings' output requires grad, so backward runs
    through every layer computing activation gradients and no weight gradient: the LoRA floor."""
    model = copy.deepcopy(base)
    for name, p in model.named_parameters():
        p.requires_grad_(name.startswith("classifier."))
    model.base_model.embeddings.register_forward_hook(lambda module, args, out: out.requires_grad_())
    return model


def make_adamw(params, kind="fused"):
    """AdamW in one of torch's three implementations. "fused" (one kernel for all tensors, CPU and
    CUDA since torch 2.4) is the fastest, so full fine-tuning is not handicapped by a slow optimizer;
    "for-loop" is what torch picks by default on CPU."""
    options = {"fused": {"fused": True}, "foreach": {"foreach": True},
               "for-loop": {"foreach": False}}[kind]
    try:
        return torch.optim.AdamW(params, lr=1e-5, **options)
    except RuntimeError as e:  # torch < 2.4 has no fused AdamW on CPU
        warnings.warn(f"AdamW {kind} unavailable ({e}); using foreach")
        return torch.optim.AdamW(params, lr=1e-5, foreach=True)


def trainer(model, batch, adamw="fused"):
    """(step function, optimizer): forward, backward, AdamW step, zero_grad."""
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = make_adamw(params, adamw)

    def step():
        loss = model(**batch).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    return step, optimizer


# ----------------------------------------------------------------------------- benchmarks
STEP_CONTENDERS = {"lorakit": lorakit_model, "peft": peft_model, "full": copy.deepcopy,
                   "frozen_body": frozen_body_model}


def bench_train_step(base, batch, plan, device):
    models = {name: make(base) for name, make in STEP_CONTENDERS.items()}
    steps, optimizers = {}, {}
    for name, model in models.items():
        steps[name], optimizers[name] = trainer(model, batch, plan.adamw)
    times = interleaved(steps, plan.repeats, plan.warmup, device)
    batch_bytes = tensor_bytes(batch.values())
    results = {}
    for name, model in models.items():
        params = list(model.parameters())
        trainable = [p for p in params if p.requires_grad]
        opt_bytes = optimizer_state_bytes(optimizers[name])
        resident = tensor_bytes(params) + tensor_bytes(model.buffers()) + opt_bytes + batch_bytes
        delta = step_peak_bytes(steps[name], device)
        results[name] = summary(times[name]) | {
            "trainable_params": sum(p.numel() for p in trainable),
            "total_params": sum(p.numel() for p in params),
            "param_bytes": tensor_bytes(params),
            "grad_bytes": tensor_bytes(trainable),
            "optimizer_state_bytes": opt_bytes,
            # analytic: weights + gradients + AdamW state, what must exist at the end of backward
            "static_bytes": tensor_bytes(params) + tensor_bytes(trainable) + opt_bytes,
            "step_peak_delta_bytes": delta,
            "peak_bytes": None if delta is None else resident + delta,
        }
    pairs = [("lorakit", "peft"), ("lorakit", "full"), ("peft", "full"), ("frozen_body", "full"),
             ("lorakit", "frozen_body")]
    results["paired"] = {f"{a}_vs_{b}": paired(times[a], times[b]) for a, b in pairs}
    del models, steps, optimizers
    return results


def bench_inference(base, batch, plan, device):
    inputs = {k: v for k, v in batch.items() if k != "labels"}
    lora = lorakit_model(base)
    torch.manual_seed(1)
    for layer in lora_layers(lora).values():  # as if trained: B != 0, so merging changes the weights
        nn.init.normal_(layer.lora_B.weight, std=0.02)
    models = {"base": copy.deepcopy(base), "unmerged": lora,
              "merged": merge_lora(copy.deepcopy(lora)),
              "merge_and_unload": merge_and_unload(copy.deepcopy(lora))}
    for model in models.values():
        model.eval()

    def forward(model):
        def run():
            with torch.no_grad():
                model(**inputs)
        return run

    with torch.no_grad():  # the three LoRA variants compute the same function
        ref = models["unmerged"](**inputs).logits
        for name in ("merged", "merge_and_unload"):
            err = (models[name](**inputs).logits - ref).abs().max().item()
            assert err < 1e-3, f"{name} disagrees with the unmerged model by {err}"
    times = interleaved({name: forward(m) for name, m in models.items()}, plan.infer_repeats,
                        plan.warmup, device)
    results = {name: summary(times[name]) | {"param_bytes": tensor_bytes(m.parameters())}
               for name, m in models.items()}
    results["paired"] = {f"{name}_vs_base": paired(times[name], times["base"])
                         for name in ("unmerged", "merged", "merge_and_unload")}
    return results


def peft_lora_linear(base, r, lora_alpha):
    import peft
    config = peft.LoraConfig(r=r, lora_alpha=lora_alpha, lora_dropout=0.0)
    return peft.tuners.lora.Linear(base, "default", config=config, r=r, lora_alpha=lora_alpha)


def bench_layers(plan, device):
    """Forward + backward of one layer on (tokens, d) inputs that require grad, as inside a model."""
    rows = []
    for d in plan.layer_dims:
        for r in plan.layer_ranks:
            torch.manual_seed(0)
            base = nn.Linear(d, d).to(device).requires_grad_(False)
            layers = {"frozen_linear": base,
                      "lorakit": LoRALinear(copy.deepcopy(base), r=r, lora_alpha=16),
                      "peft": peft_lora_linear(copy.deepcopy(base), r=r, lora_alpha=16).to(device)}
            x = torch.randn(plan.layer_tokens, d, device=device, requires_grad=True)
            grad_out = torch.randn(plan.layer_tokens, d, device=device)

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
            rows.append(row)
    return {"rows": rows,
            "lorakit_vs_peft_median": statistics.median(row["lorakit_vs_peft"] for row in rows)}


def model_info(base):
    c = base.config
    return {"model_type": c.model_type, "hidden_size": c.hidden_size, "layers": c.num_hidden_layers,
            "heads": c.num_attention_heads, "intermediate_size": c.intermediate_size,
            "vocab_size": c.vocab_size, "params": sum(p.numel() for p in base.parameters())}


def bench_model(spec, plan, device, log=print):
    base = build_base(spec, device)
    batch = make_batch(base, spec.batch, spec.seq_len, device)
    log(f"[{spec.name}] training step: lorakit, peft, full, frozen body "
        f"({plan.repeats} interleaved repeats)")
    step = bench_train_step(base, batch, plan, device)
    log(f"[{spec.name}] inference: base, unmerged, merged, merge_and_unload "
        f"({plan.infer_repeats} interleaved repeats)")
    infer = bench_inference(base, batch, plan, device)
    med = {k: v["median_s"] for k, v in step.items() if k != "paired"}
    imed = {k: v["median_s"] for k, v in infer.items() if k != "paired"}
    sp, ip = step["paired"], infer["paired"]
    time_ratios = {  # name: (paired ratios, numerator median, denominator median)
        "lora_vs_peft_step": (sp["lorakit_vs_peft"], med["lorakit"], med["peft"]),
        "lora_vs_full_step": (sp["lorakit_vs_full"], med["lorakit"], med["full"]),
        "peft_vs_full_step": (sp["peft_vs_full"], med["peft"], med["full"]),
        "frozen_body_vs_full_step": (sp["frozen_body_vs_full"], med["frozen_body"], med["full"]),
        "lora_vs_frozen_body_step": (sp["lorakit_vs_frozen_body"], med["lorakit"], med["frozen_body"]),
        "merged_vs_base_latency": (ip["merged_vs_base"], imed["merged"], imed["base"]),
        "unmerged_vs_base_latency": (ip["unmerged_vs_base"], imed["unmerged"], imed["base"]),
        "merge_and_unload_vs_base_latency": (ip["merge_and_unload_vs_base"], imed["merge_and_unload"],
                                             imed["base"]),
    }
    ratios = {name: pair["median"] for name, (pair, _, _) in time_ratios.items()}
    ratios |= {
        "lora_vs_full_optimizer_state": ratio(step["lorakit"]["optimizer_state_bytes"],
                                              step["full"]["optimizer_state_bytes"]),
        "lora_vs_full_trainable_params": ratio(step["lorakit"]["trainable_params"],
                                               step["full"]["trainable_params"]),
        "lora_vs_full_static_memory": ratio(step["lorakit"]["static_bytes"], step["full"]["static_bytes"]),
    }
    if step["lorakit"]["peak_bytes"] and step["full"]["peak_bytes"]:
        ratios["lora_vs_full_peak_memory"] = ratio(step["lorakit"]["peak_bytes"], step["full"]["peak_bytes"])
    return {"model": model_info(base), "note": spec.note, "batch": spec.batch, "seq_len": spec.seq_len,
            "train_step": step, "inference": infer, "ratios": ratios,
            "ratios_of_medians": {name: ratio(a, b) for name, (_, a, b) in time_ratios.items()}}


def machine_info(device):
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    import peft
    import transformers
    info = {"cpu": cpu, "cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "torch": torch.__version__, "transformers": transformers.__version__,
            "peft": peft.__version__, "python": platform.python_version(),
            "device": str(device), "dtype": "float32",
            "platform": platform.platform()}
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
    if hasattr(os, "getloadavg"):
        info["load_average_start"] = os.getloadavg()[0]
    return info


def targets(results):
    """Each target of the issue, per model, with the measured value and an honest verdict."""
    rows = []
    for name, res in results["configs"].items():
        r, step = res["ratios"], res["train_step"]
        q1 = step["paired"]["lorakit_vs_peft"]["q1"]
        value = r["lora_vs_peft_step"]
        rows.append({"target": "lorakit LoRA step / peft LoRA step", "config": name, "value": value,
                     "goal": f"<= {TARGET_PEFT:.2f}", "met": value <= TARGET_PEFT or q1 <= TARGET_PEFT,
                     "verdict": "met" if value <= TARGET_PEFT else
                     (f"met within noise (paired q1 {q1:.3f})" if q1 <= TARGET_PEFT else "not met")})
        value = r["lora_vs_full_step"]
        rows.append({"target": "LoRA step / full fine-tuning step", "config": name, "value": value,
                     "goal": f"<= {TARGET_FULL:.2f}", "met": value <= TARGET_FULL,
                     "verdict": "met" if value <= TARGET_FULL else "not met"})
        value = r["merged_vs_base_latency"]
        rows.append({"target": "merged inference / base inference", "config": name, "value": value,
                     "goal": f"<= {TARGET_MERGED:.2f}", "met": value <= TARGET_MERGED,
                     "verdict": "met" if value <= TARGET_MERGED else "not met"})
        value = r["lora_vs_full_optimizer_state"]
        rows.append({"target": "LoRA optimizer state / full", "config": name, "value": value,
                     "goal": f"< {TARGET_OPT_STATE:.2f}", "met": value < TARGET_OPT_STATE,
                     "verdict": "met" if value < TARGET_OPT_STATE else "not met"})
    return rows


def run(plan, device, log=print):
    """Run every benchmark of `plan`; returns the JSON-ready results."""
    results = {"machine": machine_info(device),
               "settings": {"quick": plan.quick, "repeats": plan.repeats, "warmup": plan.warmup,
                            "infer_repeats": plan.infer_repeats, "layer_repeats": plan.layer_repeats,
                            "adamw": plan.adamw, "lora": LORA, "notes": plan.notes,
                            "models": [asdict(m) for m in plan.models]},
               "configs": {}}
    start = time.perf_counter()
    log = (lambda say: lambda msg: say(f"{time.perf_counter() - start:6.0f} s  {msg}"))(log)
    for spec in plan.models:
        results["configs"][spec.name] = bench_model(spec, plan, device, log)
        gc.collect()
    log(f"[layers] forward+backward, d in {plan.layer_dims}, r in {plan.layer_ranks}, "
        f"{plan.layer_tokens} tokens ({plan.layer_repeats} interleaved repeats)")
    results["layers"] = bench_layers(plan, device)
    primary = plan.models[0].name
    results["primary_config"] = primary
    results["ratios"] = {name: res["ratios"] for name, res in results["configs"].items()}
    for key in ("lora_vs_peft_step", "lora_vs_full_step", "merged_vs_base_latency",
                "lora_vs_full_optimizer_state"):
        results[key] = results["configs"][primary]["ratios"][key]
    results["medians_s"] = {name: {"train_step": {k: v["median_s"] for k, v in res["train_step"].items()
                                                  if k != "paired"},
                                   "inference": {k: v["median_s"] for k, v in res["inference"].items()
                                                 if k != "paired"}}
                            for name, res in results["configs"].items()}
    results["targets"] = targets(results)
    results["wall_s"] = time.perf_counter() - start
    if hasattr(os, "getloadavg"):
        results["machine"]["load_average_end"] = os.getloadavg()[0]
    return results


# ----------------------------------------------------------------------------- report
def _mb(n):
    return "n/a" if n is None else f"{n / 2**20:,.1f}"


def load_warning(machine):
    """A warning when other work competed for the CPUs during a multi-threaded CPU run, else None.

    With more runnable threads than CPUs, every parallel op waits for its slowest (preempted) thread;
    that adds a similar delay to every op, so steps slow down several times and ratios drift towards 1.
    """
    load = machine.get("load_average_start", 0)  # taken before the timings; the end one counts our threads
    if machine["device"] != "cpu" or machine["torch_threads"] < 2 or load < machine["cpu_count"]:
        return None
    return (f"load average {load:.1f} on {machine['cpu_count']} CPUs with {machine['torch_threads']} "
            "torch threads: other work competed for the CPUs, which slows every op and pulls the "
            "ratios towards 1; on a shared machine rerun with --threads 1")


def markdown(results):
    m = results["machine"]
    out = [f"## LoRA benchmarks: {m['device']}, {m['cpu']}" + (f", {m['gpu']}" if "gpu" in m else ""),
           "",
           f"torch {m['torch']}, {m['torch_threads']} torch thread{'s' * (m['torch_threads'] != 1)} on "
           f"{m['cpu_count']} CPUs, "
           f"transformers {m['transformers']}, peft {m['peft']}, float32; "
           f"load average {m.get('load_average_start', float('nan')):.2f} at start, "
           f"{m.get('load_average_end', float('nan')):.2f} at end. "
           f"Medians of interleaved repeats (train step {results['settings']['repeats']}, "
           f"inference {results['settings']['infer_repeats']}, layers "
           f"{results['settings']['layer_repeats']}).", ""]
    for note in results["settings"]["notes"] + [w for w in [load_warning(m)] if w]:
        out += [f"> {note}", ""]
    for name, res in results["configs"].items():
        info, step, infer, r = res["model"], res["train_step"], res["inference"], res["ratios"]
        out += ["", f"### {name}: {info['layers']} layers x {info['hidden_size']} wide, "
                f"{info['params'] / 1e6:.1f} M parameters, batch {res['batch']} x {res['seq_len']} tokens"
                + (f" ({res['note']})" if res["note"] else ""), "",
                "| training step | median ms | vs full (paired) | trainable params | optimizer state MB "
                "| weights+grads+state MB | peak MB (measured) |",
                "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
        labels = {"lorakit": "lorakit LoRA", "peft": "peft LoRA", "full": "full fine-tuning",
                  "frozen_body": "frozen body (floor: activation grads only)"}
        for key, label in labels.items():
            s = step[key]
            out.append(f"| {label} | {s['median_s'] * 1e3:,.0f} | "
                       f"{1.0 if key == 'full' else step['paired'][key + '_vs_full']['median']:.3f} | "
                       f"{s['trainable_params']:,} | {_mb(s['optimizer_state_bytes'])} | "
                       f"{_mb(s['static_bytes'])} | {_mb(s['peak_bytes'])} |")
        p = step["paired"]["lorakit_vs_peft"]
        pf = step["paired"]["lorakit_vs_full"]
        out += ["", f"lorakit / peft step: {p['median']:.3f} (paired quartiles {p['q1']:.3f} to "
                f"{p['q3']:.3f}; ratio of medians {res['ratios_of_medians']['lora_vs_peft_step']:.3f}). "
                f"LoRA / full: {pf['median']:.3f} (quartiles {pf['q1']:.3f} to {pf['q3']:.3f}). "
                f"The floor is about {FLOOR:.3f} in theory "
                f"(forward + activation gradients, no weight gradients) and "
                f"{r['frozen_body_vs_full_step']:.3f} measured (frozen body); LoRA step / frozen-body "
                f"step = {r['lora_vs_frozen_body_step']:.3f}.", "",
                "| inference (no_grad, eval) | median ms | vs base (paired) | quartiles | weights MB |",
                "| --- | ---: | ---: | --- | ---: |"]
        for key in ("base", "unmerged", "merged", "merge_and_unload"):
            s = infer[key]
            pq = infer["paired"].get(f"{key}_vs_base")
            quart = f"{pq['q1']:.3f} to {pq['q3']:.3f}" if pq else ""
            out.append(f"| {key} | {s['median_s'] * 1e3:,.1f} | "
                       f"{pq['median'] if pq else 1.0:.3f} | {quart} | "
                       f"{_mb(s['param_bytes'])} |")
    layers = results["layers"]
    out += ["", f"### One layer, forward + backward on {layers['rows'][0]['tokens']} tokens "
            "(input requires grad)", "",
            "| d | r | frozen Linear ms | lorakit ms | peft ms | lorakit / peft | lorakit / frozen |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for row in layers["rows"]:
        out.append(f"| {row['d']} | {row['r']} | {row['frozen_linear_s'] * 1e3:.2f} | "
                   f"{row['lorakit_s'] * 1e3:.2f} | {row['peft_s'] * 1e3:.2f} | "
                   f"{row['lorakit_vs_peft']:.3f} | {row['lorakit_vs_frozen_linear']:.3f} |")
    out += ["", f"Median lorakit / peft over all layer shapes: {layers['lorakit_vs_peft_median']:.3f}", "",
            "### Targets", "", "| target | model | measured | goal | verdict |", "| --- | --- | ---: | --- | --- |"]
    for t in results["targets"]:
        out.append(f"| {t['target']} | {t['config']} | {t['value']:.4f} | {t['goal']} | {t['verdict']} |")
    out += ["", f"Total benchmark time {results['wall_s']:.0f} s."]
    return "\n".join(out)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="small batches, few repeats, BERT-base shape cut to 2 layers (< 2 min on 2 CPUs)")
    parser.add_argument("--json", metavar="FILE", help="also write every number to FILE as JSON")
    parser.add_argument("--repeats", type=int, metavar="N",
                        help="timed repeats of a training step (default 7, quick 3); inference and "
                             "layers get proportionally more")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--threads", type=int, metavar="N",
                        help="torch threads (default: the CPUs this process may use)")
    parser.add_argument("--adamw", default="fused", choices=["fused", "foreach", "for-loop"],
                        help="AdamW implementation for every contender (default fused, the fastest)")
    parser.add_argument("--note", help="a line to record with the results, e.g. 'machine shared'")
    args = parser.parse_args(argv)
    if args.repeats is not None and args.repeats < 1:
        parser.error("--repeats must be at least 1")
    return args


def main(argv=None, plan=None):
    """Command line entry point; tests pass a tiny `plan` instead of the quick or full one."""
    args = parse_args(argv)
    from transformers.utils import logging as hf_logging
    hf_logging.disable_progress_bar()
    threads = args.threads or (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                               else os.cpu_count())
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    device = pick_device(args.device)
    plan = plan or plan_for(args.quick, args.repeats, args.adamw)
    if args.note:
        plan = replace(plan, notes=plan.notes + [args.note])
    results = run(plan, device, log=lambda msg: print(msg, file=sys.stderr, flush=True))
    print(markdown(results))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
        print(f"\nwrote {args.json}")
    return results


if __name__ == "__main__":
    main()
