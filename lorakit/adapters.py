"""Save and load LoRA adapters in peft's on-disk format.

An adapter directory holds two files, exactly as `peft.PeftModel.save_pretrained` writes them:

    adapter_config.json          r, lora_alpha, target_modules, modules_to_save, ... (peft's names)
    adapter_model.safetensors    base_model.model.<module path>.lora_A.weight   (r, d_in)
                                 base_model.model.<module path>.lora_B.weight   (d_out, r)
                                 base_model.model.<module path>.lora_magnitude_vector  (d_out,)  DoRA
                                 base_model.model.<head path>.weight / .bias    (modules_to_save)

So `peft.PeftModel.from_pretrained(base, path)` loads a lorakit adapter, and `load_adapter` loads one
that peft saved. Weights are read with safetensors only: nothing is ever unpickled.

Every config field that lorakit uses is checked for its type and range; fields it does not know
(a newer peft's) are loaded with a warning, and fields whose non-default values change the maths
(UNSUPPORTED) are refused. Tensors holding NaN or inf (a diverged run) are refused too.
"""
import json
import math
import warnings
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save

from ._io import atomic_write_bytes, write_json
from .errors import AdapterError, ConfigError, LorakitWarning
from .inject import LoraConfig, apply_lora
from .layer import lora_layers
from .targets import matches
from .variants import INIT_CHOICES, pissa_to_lora

CONFIG_NAME = "adapter_config.json"
WEIGHTS_NAME = "adapter_model.safetensors"
PREFIX = "base_model.model."

REQUIRED = ("peft_type", "r", "lora_alpha", "target_modules")
# Every field peft's LoraConfig has written (0.10 to 0.21). lorakit reads those in FIELDS, refuses
# non-default values of those in UNSUPPORTED and ignores the rest; a field not listed here (from a
# newer peft) is ignored with a warning.
KNOWN = set(REQUIRED) | {
    "task_type", "auto_mapping", "peft_version", "base_model_name_or_path", "revision",
    "inference_mode", "exclude_modules", "lora_dropout", "fan_in_fan_out", "bias", "use_rslora",
    "modules_to_save", "init_lora_weights", "layers_to_transform", "layers_pattern", "rank_pattern",
    "alpha_pattern", "megatron_config", "megatron_core", "trainable_token_indices", "loftq_config",
    "eva_config", "corda_config", "lora_ga_config", "use_dora", "velora_config",
    "alora_invocation_tokens", "use_qalora", "qalora_group_size", "monteclora_config",
    "layer_replication", "runtime_config", "lora_bias", "target_parameters", "use_bdlora",
    "arrow_config", "kasa_config", "ensure_weight_tying"}
# Fields whose non-default values change the model in ways lorakit does not implement.
UNSUPPORTED = {"bias": "none", "lora_bias": False, "layers_to_transform": None,
               "rank_pattern": {}, "alpha_pattern": {}, "layer_replication": None,
               "target_parameters": None, "exclude_modules": None, "trainable_token_indices": None}


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_names(value):
    return isinstance(value, list) and all(isinstance(name, str) for name in value)


# The fields lorakit reads: {field: (is the value valid?, what would be valid)}.
FIELDS = {
    "r": (lambda v: isinstance(v, int) and not isinstance(v, bool) and v > 0, "a positive integer"),
    "lora_alpha": (lambda v: _is_number(v) and v > 0, "a number > 0"),
    "target_modules": (lambda v: bool(v) and (isinstance(v, str) or _is_names(v)),
                       "a list of layer names or a regex string"),
    "modules_to_save": (lambda v: v is None or _is_names(v), "null or a list of module names"),
    "lora_dropout": (lambda v: v is None or (_is_number(v) and 0 <= v < 1),
                     "null or a number in [0, 1)"),
    "use_rslora": (lambda v: v is None or isinstance(v, bool), "null, true or false"),
    "fan_in_fan_out": (lambda v: v is None or isinstance(v, bool), "null, true or false"),
    "use_dora": (lambda v: v is None or isinstance(v, bool), "null, true or false"),
    # False (peft: leave nn.Linear's init) and null load like true: the saved A and B replace them.
    "init_lora_weights": (lambda v: v is None or isinstance(v, bool) or v in INIT_CHOICES[1:],
                          'null, true, false, "gaussian" or "pissa"'),
}


def adapter_parameters(model):
    """{peft key name: parameter} for what an adapter holds: LoRA weights and modules_to_save."""
    config = model.lora_config
    params = {}
    for name, layer in lora_layers(model).items():
        params[f"{PREFIX}{name}.lora_A.weight"] = layer.lora_A.weight
        params[f"{PREFIX}{name}.lora_B.weight"] = layer.lora_B.weight
        if layer.use_dora:
            params[f"{PREFIX}{name}.lora_magnitude_vector"] = layer.lora_magnitude_vector
    for name, module in model.named_modules():
        if name and config.modules_to_save and matches(name, config.modules_to_save):
            for pname, p in module.named_parameters():
                params[f"{PREFIX}{name}.{pname}"] = p
    return params


def adapter_state_dict(model):
    """The tensors an adapter holds, under peft's key names, as float32 CPU copies."""
    return {k: v.detach().float().contiguous().cpu() for k, v in adapter_parameters(model).items()}


def save_adapter(model, path, base_model_name_or_path=None, task_type=None,
                 path_initial_model_for_weight_conversion=None):
    """Write `model`'s adapter to the folder `path` in peft's format (each file written atomically).

    `path_initial_model_for_weight_conversion` (peft's name): the folder where a PiSSA model's
    adapter was saved right after `apply_lora`. The adapter is then written as a plain LoRA one of
    rank 2r for the ORIGINAL base weights (`variants.pissa_to_lora`), as peft's `save_pretrained` does.

    Example:
        >>> import tempfile, torch.nn as nn
        >>> from lorakit import apply_lora
        >>> net = apply_lora(nn.Sequential(nn.Linear(4, 4)), ["0"], r=2)
        >>> folder = tempfile.mkdtemp(); save_adapter(net, folder)
        >>> sorted(p.name for p in Path(folder).iterdir())
        ['adapter_config.json', 'adapter_model.safetensors']
    """
    if not hasattr(model, "lora_config"):
        raise AdapterError("this model has no LoRA layers to save; call apply_lora first")
    if any(layer.merged for layer in lora_layers(model).values()):
        raise AdapterError("the model is merged; call unmerge_lora before saving its adapter")
    path, config, tensors = Path(path), model.lora_config, adapter_state_dict(model)
    r, lora_alpha, init = config.r, config.lora_alpha, config.init_lora_weights
    if path_initial_model_for_weight_conversion is not None:
        if config.use_dora:
            raise AdapterError("a DoRA adapter cannot be converted to a plain LoRA one")
        tensors = pissa_to_lora(tensors, read_adapter_weights(path_initial_model_for_weight_conversion))
        # rank 2r with the same scaling: alpha / r (or alpha / sqrt(r) with rsLoRA) unchanged
        r, lora_alpha, init = 2 * r, lora_alpha * (math.sqrt(2) if config.use_rslora else 2), True
    atomic_write_bytes(path / WEIGHTS_NAME, save(tensors))
    write_json(path / CONFIG_NAME, {
        "peft_type": "LORA", "task_type": task_type,
        "base_model_name_or_path": base_model_name_or_path,
        "r": r, "lora_alpha": lora_alpha, "lora_dropout": config.lora_dropout,
        "target_modules": config.target_modules, "modules_to_save": config.modules_to_save,
        "use_rslora": config.use_rslora, "fan_in_fan_out": config.fan_in_fan_out,
        "bias": "none", "use_dora": config.use_dora, "init_lora_weights": init,
        "inference_mode": True})


def read_adapter_config(path):
    """Read and check `path/adapter_config.json`; returns (LoraConfig, the raw dict).

    Every field in FIELDS is checked (a wrong type or range is an AdapterError naming it), an
    UNSUPPORTED field with a non-default value is refused, and a field outside KNOWN only warns.

    Example:
        >>> import tempfile, torch.nn as nn
        >>> from lorakit import apply_lora
        >>> folder = tempfile.mkdtemp()
        >>> save_adapter(apply_lora(nn.Sequential(nn.Linear(4, 4)), ["0"], r=2), folder)
        >>> config, raw = read_adapter_config(folder)
        >>> config.r, config.target_modules, raw["peft_type"]
        (2, ['0'], 'LORA')
    """
    file = Path(path) / CONFIG_NAME
    if not Path(path).is_dir():
        raise AdapterError(f"{path}: no such adapter folder")
    if not file.is_file():
        raise AdapterError(f"{path}: holds no adapter ({CONFIG_NAME} is missing)")
    try:
        raw = json.loads(file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise AdapterError(f"{file}: not valid JSON ({e})") from None
    if not isinstance(raw, dict):
        raise AdapterError(f"{file}: expected a JSON object, got {type(raw).__name__}")
    missing = [k for k in REQUIRED if k not in raw]
    if missing:
        raise AdapterError(f"{file}: missing field(s) {', '.join(missing)}")
    unknown = sorted(set(raw) - KNOWN)
    if unknown:
        warnings.warn(f"{file}: unknown field(s) {', '.join(unknown)} (from a newer peft?); "
                      "loading the adapter without them", LorakitWarning, stacklevel=2)
    if raw["peft_type"] != "LORA":
        raise AdapterError(f"{file}: peft_type is {raw['peft_type']!r}; lorakit loads only 'LORA'")
    for key, default in UNSUPPORTED.items():
        if raw.get(key) is not None and raw[key] != default:
            raise AdapterError(f"{file}: {key}={raw[key]!r} is not supported by lorakit "
                               f"(supported: {default!r})")
    for key, (valid, want) in FIELDS.items():
        if not valid(raw.get(key)):
            raise AdapterError(f"{file}: field {key!r} must be {want}, got {json.dumps(raw[key])}")
    return config_from_raw(raw), raw


def config_from_raw(raw):
    """The LoraConfig of a checked adapter_config.json dict (absent fields take peft's defaults).

    >>> config = config_from_raw({"r": 4, "lora_alpha": 8, "target_modules": ["query"], "use_dora": True})
    >>> config.use_dora, config.init_lora_weights
    (True, True)
    """
    init = raw.get("init_lora_weights")
    return LoraConfig(r=raw["r"], lora_alpha=raw["lora_alpha"], target_modules=raw["target_modules"],
                      lora_dropout=raw.get("lora_dropout") or 0.0,
                      use_rslora=bool(raw.get("use_rslora")),
                      modules_to_save=raw.get("modules_to_save") or None,
                      fan_in_fan_out=bool(raw.get("fan_in_fan_out")), use_dora=bool(raw.get("use_dora")),
                      init_lora_weights=init if init in INIT_CHOICES[1:] else True)  # False, null: True


def read_adapter_weights(path):
    """The tensors of `path/adapter_model.safetensors`, or an AdapterError if the file is damaged
    or a tensor holds NaN or inf."""
    file = Path(path) / WEIGHTS_NAME
    if not file.is_file():
        raise AdapterError(f"{path}: holds no adapter weights ({WEIGHTS_NAME} is missing)")
    try:
        tensors = load_file(file)
    except (SafetensorError, OSError, ValueError) as e:
        raise AdapterError(f"{file}: damaged or truncated safetensors file ({e})") from None
    check_finite(tensors, file)
    return tensors


def check_finite(tensors, file):
    """Raise AdapterError if a tensor of {name: tensor} (read from `file`) holds NaN or inf."""
    for key, value in tensors.items():
        if value.is_floating_point() and not torch.isfinite(value).all():
            raise AdapterError(f"{file}: tensor {key} holds NaN or infinite values "
                               "(a diverged or damaged run)")


def load_adapter(model, path):
    """Add the adapter saved in `path` (by lorakit or peft) to `model` and return it.

    `model` is a base model (LoRA is applied from the adapter's config) or one that already has
    matching LoRA layers. A PiSSA adapter is loaded as peft loads it: the residual W0 - s B0 A0 is
    computed from `model`'s weights (the original ones), then the trained A and B replace B0, A0.
    Every tensor must fit: a key that the model lacks, or a shape made for
    another base model, raises AdapterError naming it.

    Example:
        >>> import tempfile, torch, torch.nn as nn
        >>> from lorakit import apply_lora
        >>> _ = torch.manual_seed(0); net = apply_lora(nn.Sequential(nn.Linear(4, 4)), ["0"], r=2)
        >>> folder = tempfile.mkdtemp(); save_adapter(net, folder)
        >>> again = load_adapter(nn.Sequential(nn.Linear(4, 4)), folder)
        >>> torch.equal(again[0].lora_A.weight, net[0].lora_A.weight)
        True
    """
    config, _ = read_adapter_config(path)
    tensors = read_adapter_weights(path)
    if not lora_layers(model):
        try:
            apply_lora(model, config)
        except ConfigError as e:
            raise AdapterError(f"{path}: adapter does not fit this model: {e}") from None
    params = adapter_parameters(model)
    missing, unexpected = sorted(set(params) - set(tensors)), sorted(set(tensors) - set(params))
    if unexpected or missing:
        key = (unexpected or missing)[0]
        what = "has a tensor the model lacks" if unexpected else "lacks a tensor the model needs"
        why = ("does its use_dora match its weights?" if key.endswith("lora_magnitude_vector")
               else "was the adapter made for another base model?")
        raise AdapterError(f"{Path(path) / WEIGHTS_NAME}: {what}: {key} ({why})")
    for key, value in tensors.items():  # check every shape before changing any weight
        if params[key].shape != value.shape:
            raise AdapterError(f"{Path(path) / WEIGHTS_NAME}: {key} has shape {tuple(value.shape)} "
                               f"but this model needs {tuple(params[key].shape)}; the adapter was "
                               f"made for another base model or label set")
    for key, value in tensors.items():
        params[key].data.copy_(value.to(params[key].dtype))
    return model
