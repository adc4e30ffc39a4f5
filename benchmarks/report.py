"""The report of a run: each target judged, the Markdown tables, the JSON file.

Every ratio is a median of paired per-round ratios (see timing.py), so the report shows their
quartiles beside it; the lorakit / peft target counts as met "within noise" when the ratio misses
but its lower quartile meets it.

Example:
    >>> ratios = {"lora_vs_peft_step": 1.02, "lora_vs_full_step": 0.76,
    ...           "merged_vs_base_latency": 1.01, "lora_vs_full_optimizer_state": 0.003}
    >>> res = {"ratios": ratios, "train_step": {"paired": {"lorakit_vs_peft": {"q1": 0.95}}}}
    >>> [t["verdict"] for t in targets({"configs": {"minilm": res}})]
    ['met within noise (paired q1 0.950)', 'not met', 'met', 'met']
"""
import json

from lorakit._io import atomic_write_text

# What the issue asks us to show
TARGET_PEFT = 1.0         # lorakit LoRA step / peft LoRA step
TARGET_FULL = 0.70        # lorakit LoRA step / full fine-tuning step
TARGET_MERGED = 1.03      # merged inference / base inference
TARGET_OPT_STATE = 0.01   # LoRA optimizer state / full optimizer state
# (target, ratio, goal, strict "<" rather than "<=", paired ratio whose lower quartile may meet the
# goal "within noise")
TARGETS = [
    ("lorakit LoRA step / peft LoRA step", "lora_vs_peft_step", TARGET_PEFT, False, "lorakit_vs_peft"),
    ("LoRA step / full fine-tuning step", "lora_vs_full_step", TARGET_FULL, False, None),
    ("merged inference / base inference", "merged_vs_base_latency", TARGET_MERGED, False, None),
    ("LoRA optimizer state / full", "lora_vs_full_optimizer_state", TARGET_OPT_STATE, True, None),
]
FLOOR = 2 / 3             # forward + activation grads, no weight grads: 2 of the 3 passes of a full step
STEP_LABELS = {"lorakit": "lorakit LoRA", "peft": "peft LoRA", "full": "full fine-tuning",
               "frozen_body": "frozen body (floor: activation grads only)"}


def _judge(target, config, res):
    """One row of the targets table: the measured value of `target` for one model, and its verdict."""
    label, key, goal, strict, noise_pair = target
    value = res["ratios"][key]
    met = value < goal if strict else value <= goal
    verdict = "met" if met else "not met"
    if not met and noise_pair:
        q1 = res["train_step"]["paired"][noise_pair]["q1"]
        met = q1 <= goal
        verdict = f"met within noise (paired q1 {q1:.3f})" if met else verdict
    return {"target": label, "config": config, "value": value,
            "goal": f"{'<' if strict else '<='} {goal:.2f}", "met": met, "verdict": verdict}


def targets(results):
    """Each target of the issue, per model, with the measured value and an honest verdict."""
    return [_judge(target, name, res) for name, res in results["configs"].items() for target in TARGETS]


def _mb(n):
    """Bytes as MiB with one decimal, or "n/a" when not measured."""
    return "n/a" if n is None else f"{n / 2**20:,.1f}"


def load_warning(machine):
    """A warning when other work competed for the CPUs during a multi-threaded CPU run, else None.

    With more runnable threads than CPUs, every parallel op waits for its slowest (preempted) thread;
    that adds a similar delay to every op, so steps slow down several times and ratios drift towards 1.

    >>> load_warning({"device": "cpu", "torch_threads": 1, "cpu_count": 2, "load_average_start": 3.0})
    """
    load = machine.get("load_average_start", 0)  # taken before the timings; the end one counts our threads
    if machine["device"] != "cpu" or machine["torch_threads"] < 2 or load < machine["cpu_count"]:
        return None
    return (f"load average {load:.1f} on {machine['cpu_count']} CPUs with {machine['torch_threads']} "
            "torch threads: other work competed for the CPUs, which slows every op and pulls the "
            "ratios towards 1; on a shared machine rerun with --threads 1")


def _header(results):
    """The title, the machine and settings line, and the notes as quotes."""
    m, settings = results["machine"], results["settings"]
    out = [f"## LoRA benchmarks: {m['device']}, {m['cpu']}" + (f", {m['gpu']}" if "gpu" in m else ""),
           "",
           f"torch {m['torch']}, {m['torch_threads']} torch thread{'s' * (m['torch_threads'] != 1)} on "
           f"{m['cpu_count']} CPUs, "
           f"transformers {m['transformers']}, peft {m['peft']}, float32; "
           f"load average {m.get('load_average_start', float('nan')):.2f} at start, "
           f"{m.get('load_average_end', float('nan')):.2f} at end. "
           f"Medians of interleaved repeats (train step {settings['repeats']}, "
           f"inference {settings['infer_repeats']}, layers "
           f"{settings['layer_repeats']}).", ""]
    for note in settings["notes"] + [w for w in [load_warning(m)] if w]:
        out += [f"> {note}", ""]
    return out


def _step_table(name, res):
    """The model's heading and its training-step table."""
    info, step = res["model"], res["train_step"]
    out = ["", f"### {name}: {info['layers']} layers x {info['hidden_size']} wide, "
           f"{info['params'] / 1e6:.1f} M parameters, batch {res['batch']} x {res['seq_len']} tokens"
           + (f" ({res['note']})" if res["note"] else ""), "",
           "| training step | median ms | vs full (paired) | trainable params | optimizer state MB "
           "| weights+grads+state MB | peak MB (measured) |",
           "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for key, label in STEP_LABELS.items():
        s = step[key]
        out.append(f"| {label} | {s['median_s'] * 1e3:,.0f} | "
                   f"{1.0 if key == 'full' else step['paired'][key + '_vs_full']['median']:.3f} | "
                   f"{s['trainable_params']:,} | {_mb(s['optimizer_state_bytes'])} | "
                   f"{_mb(s['static_bytes'])} | {_mb(s['peak_bytes'])} |")
    return out


def _step_summary(res):
    """The paragraph under the step table: lorakit / peft, LoRA / full and the floor."""
    p, pf = res["train_step"]["paired"]["lorakit_vs_peft"], res["train_step"]["paired"]["lorakit_vs_full"]
    r = res["ratios"]
    return ["", f"lorakit / peft step: {p['median']:.3f} (paired quartiles {p['q1']:.3f} to "
            f"{p['q3']:.3f}; ratio of medians {res['ratios_of_medians']['lora_vs_peft_step']:.3f}). "
            f"LoRA / full: {pf['median']:.3f} (quartiles {pf['q1']:.3f} to {pf['q3']:.3f}). "
            f"The floor is about {FLOOR:.3f} in theory "
            f"(forward + activation gradients, no weight gradients) and "
            f"{r['frozen_body_vs_full_step']:.3f} measured (frozen body); LoRA step / frozen-body "
            f"step = {r['lora_vs_frozen_body_step']:.3f}."]


def _inference_table(infer):
    """The inference table of one model: base, unmerged, merged, merge_and_unload."""
    out = ["", "| inference (no_grad, eval) | median ms | vs base (paired) | quartiles | weights MB |",
           "| --- | ---: | ---: | --- | ---: |"]
    for key in ("base", "unmerged", "merged", "merge_and_unload"):
        s = infer[key]
        pq = infer["paired"].get(f"{key}_vs_base")
        quart = f"{pq['q1']:.3f} to {pq['q3']:.3f}" if pq else ""
        out.append(f"| {key} | {s['median_s'] * 1e3:,.1f} | "
                   f"{pq['median'] if pq else 1.0:.3f} | {quart} | "
                   f"{_mb(s['param_bytes'])} |")
    return out


def _layer_table(layers):
    """The single-layer table and the median lorakit / peft over its shapes."""
    out = ["", f"### One layer, forward + backward on {layers['rows'][0]['tokens']} tokens "
           "(input requires grad)", "",
           "| d | r | frozen Linear ms | lorakit ms | peft ms | lorakit / peft | lorakit / frozen |",
           "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for row in layers["rows"]:
        out.append(f"| {row['d']} | {row['r']} | {row['frozen_linear_s'] * 1e3:.2f} | "
                   f"{row['lorakit_s'] * 1e3:.2f} | {row['peft_s'] * 1e3:.2f} | "
                   f"{row['lorakit_vs_peft']:.3f} | {row['lorakit_vs_frozen_linear']:.3f} |")
    return out + ["", f"Median lorakit / peft over all layer shapes: {layers['lorakit_vs_peft_median']:.3f}"]


def _targets_table(rows):
    """The targets table: target, model, measured value, goal, verdict."""
    out = ["", "### Targets", "", "| target | model | measured | goal | verdict |",
           "| --- | --- | ---: | --- | --- |"]
    for t in rows:
        out.append(f"| {t['target']} | {t['config']} | {t['value']:.4f} | {t['goal']} | {t['verdict']} |")
    return out


def markdown(results):
    """The whole report as Markdown: header, per-model tables, layer table, targets, total time."""
    out = _header(results)
    for name, res in results["configs"].items():
        out += _step_table(name, res) + _step_summary(res) + _inference_table(res["inference"])
    out += _layer_table(results["layers"]) + _targets_table(results["targets"])
    out += ["", f"Total benchmark time {results['wall_s']:.0f} s."]
    return "\n".join(out)


def write_json(results, path):
    """Write every number of the run to `path` (atomically, so a reader never sees half a file)."""
    atomic_write_text(path, json.dumps(results, indent=1))
