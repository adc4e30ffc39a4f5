"""A trained run on disk: what `lorakit train` writes and `predict`/`evaluate` read back.

    DIR/adapter_config.json, adapter_model.safetensors   method lora: peft's format (head included)
    DIR/head_model.safetensors                            method head: the trained head's weights
    DIR/config.json, model.safetensors, tokenizer files   method full: a whole transformers model
    DIR/lorakit.json                                      task, labels, base model, options, seed, versions
    DIR/metrics.json                                      validation metrics, parameter counts, timings

A run is written into a hidden staging folder beside DIR and renamed into place at the end, so an
interrupted run never leaves a half-written DIR, and an existing DIR is replaced only with
`overwrite=True`.
"""
import json
import os
import shutil
import tempfile
from pathlib import Path

from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from ._io import plain_mode, write_json
from .adapters import load_adapter, save_adapter
from .errors import AdapterError, ConfigError
from .models import TASK_TYPES, head_module_names, load_task_model, load_tokenizer, resolve_model

RUN_FILE, METRICS_FILE, HEAD_FILE = "lorakit.json", "metrics.json", "head_model.safetensors"
RUN_FIELDS = ("task", "method", "labels", "base_model", "options")


def versions():
    """Versions of the packages a run depends on, recorded in lorakit.json."""
    import peft
    import torch
    import transformers

    from . import __version__
    return {"lorakit": __version__, "torch": torch.__version__,
            "transformers": transformers.__version__, "peft": peft.__version__}


def check_out_dir(out, overwrite=False):
    """Refuse a non-empty `out` unless `overwrite`; raise before any training starts."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise ConfigError(f"--out {out}: folder is not empty; choose another or pass --overwrite")


def save_run(result, out, overwrite=False):
    """Write a TrainResult to the folder `out` (atomically: staged, then renamed into place)."""
    from .train import config_dict
    out = Path(out)
    check_out_dir(out, overwrite)
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.partial-"))
    try:
        os.chmod(stage, plain_mode(folder=True))  # mkdtemp makes it owner-only
        config, model = result.config, result.model
        base = resolve_model(config.model)
        if config.method == "lora":
            save_adapter(model, stage, base_model_name_or_path=base, task_type=TASK_TYPES[config.task])
        elif config.method == "head":
            heads = head_module_names(model)
            state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()
                     if k.split(".")[0] in heads}
            save_file(state, stage / HEAD_FILE)
        else:
            model.save_pretrained(stage)
            result.tokenizer.save_pretrained(stage)
        write_json(stage / RUN_FILE, {"task": config.task, "method": config.method,
                                      "labels": result.labels, "base_model": base,
                                      "seed": config.seed, "options": config_dict(config),
                                      "versions": versions()})
        write_json(stage / METRICS_FILE, result.metrics)
        if out.exists():
            shutil.rmtree(out)
        os.replace(stage, out)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    return out


def read_run_info(model_dir):
    """The checked contents of `model_dir/lorakit.json`."""
    model_dir = Path(model_dir)
    if not model_dir.is_dir():
        raise AdapterError(f"--model-dir {model_dir}: no such folder")
    file = model_dir / RUN_FILE
    if not file.is_file():
        raise AdapterError(f"--model-dir {model_dir}: holds no trained run ({RUN_FILE} is missing; "
                           f"make one with lorakit train --out {model_dir})")
    try:
        info = json.loads(file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise AdapterError(f"{file}: not valid JSON ({e})") from None
    missing = [k for k in RUN_FIELDS if not isinstance(info, dict) or k not in info]
    if missing:
        raise AdapterError(f"{file}: missing field(s) {', '.join(missing)}")
    if not isinstance(info["options"], dict):
        raise AdapterError(f"{file}: 'options' must be a JSON object, got {type(info['options']).__name__}")
    return info


def load_run(model_dir):
    """(model, tokenizer, info) of a run that `save_run` wrote; the model in eval mode."""
    model_dir = Path(model_dir)
    info = read_run_info(model_dir)
    task, method, labels = info["task"], info["method"], info["labels"]
    if method == "full":
        return load_task_model(task, labels, model_dir).eval(), load_tokenizer(model_dir), info
    model = load_task_model(task, labels, info["base_model"])
    if method == "lora":
        load_adapter(model, model_dir)
    else:
        _load_head(model, model_dir / HEAD_FILE)
    return model.eval(), load_tokenizer(info["base_model"]), info


def _load_head(model, file):
    try:
        state = load_file(file)
    except FileNotFoundError:
        raise AdapterError(f"{file.parent}: holds no head weights ({HEAD_FILE} is missing)") from None
    except (SafetensorError, OSError) as e:
        raise AdapterError(f"{file}: damaged or truncated safetensors file ({e})") from None
    own = model.state_dict()
    for key, value in state.items():
        if key not in own or own[key].shape != value.shape:
            raise AdapterError(f"{file}: {key} does not fit this model (made for another base model "
                               f"or label set?)")
    model.load_state_dict(state, strict=False)
