"""lorakit: the helper package of a hands-on course on LoRA fine-tuning.

Each module teaches one concept; this file re-exports the public API so notebooks can write
`import lorakit` and `lorakit.apply_lora(...)`. The modules load on first use (PEP 562), so
`import lorakit` is instant and the command line can install its Ctrl-C handling before torch,
transformers and datasets are imported.

Example:
    >>> import lorakit
    >>> lorakit.apply_lora is lorakit.lora.apply_lora
    True
"""
import importlib
import logging

# bitsandbytes, which `import peft` imports when it is installed, logs "Failed to load CPU
# gemm_4bit_forward from kernels-community" as it loads on a CPU with AVX512-BF16 and without the
# optional `kernels` package (bitsandbytes/backends/cpu/ops.py); it then uses its own CPU kernel, and
# `kernels` would download one from the Hub. That module logs nothing else, so lorakit keeps it quiet.
logging.getLogger("bitsandbytes.backends.cpu.ops").setLevel(logging.ERROR)

__version__ = "0.1.0"

MODULES = ("adapters", "analysis", "audit", "data", "device", "errors", "exercises", "fast", "figures", "grads", "lora",
           "lowrank", "models", "plots", "probe", "quant", "tasks", "variants",
           "fused", "inject", "layer", "merge", "nf4", "nf4_layer", "targets")  # the parts of lora, quant
# Each public name and the module it lives in.
NAMES = {
    "adapters": ("load_adapter", "read_adapter_config", "save_adapter"),
    "audit": ("audit_lora",),
    "errors": ("AdapterError", "ConfigError", "DataError", "LorakitError", "MergeError",
               "TrainingError"),
    "fast": ("fast_mode",),
    "lora": ("LoRALinear", "LoraConfig", "apply_lora", "count_parameters", "linear_layer_names",
             "lora_layers", "merge_and_unload", "merge_lora", "unmerge_lora"),
    "models": ("default_model", "default_target_modules", "load_task_model", "load_tokenizer"),
    "probe": ("fit_probe", "mean_pooled_features", "sentence_features"),
    "quant": ("NF4Linear", "dequantize_nf4", "quantize_model", "quantize_nf4"),
}
_HOME = {name: module for module, names in NAMES.items() for name in names}

__all__ = sorted(set(MODULES) | set(_HOME))


def __getattr__(name):
    if name in _HOME:
        return getattr(importlib.import_module(f".{_HOME[name]}", __name__), name)
    if name in MODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'lorakit' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
