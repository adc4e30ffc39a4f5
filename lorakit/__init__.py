"""lorakit: the helper package of a hands-on course on LoRA fine-tuning.

Each module teaches one concept; this file re-exports the public API so notebooks can write
`import lorakit` and `lorakit.apply_lora(...)`.
"""
from . import analysis, data, device, fast, grads, lowrank, plots, tasks
from .adapters import load_adapter, read_adapter_config, save_adapter
from .errors import (AdapterError, ConfigError, DataError, LorakitError, MergeError,
                     TrainingError)
from .fast import fast_mode
from .lora import (LoRALinear, LoraConfig, apply_lora, count_parameters, linear_layer_names,
                   lora_layers, merge_and_unload, merge_lora, unmerge_lora)
from .models import default_model, default_target_modules, load_task_model, load_tokenizer

__version__ = "0.1.0"

__all__ = [
    "analysis", "data", "device", "fast", "grads", "lowrank", "plots", "tasks",
    "AdapterError", "ConfigError", "DataError", "LoRALinear", "LoraConfig", "LorakitError",
    "MergeError", "TrainingError", "apply_lora", "count_parameters", "default_model",
    "default_target_modules", "fast_mode", "linear_layer_names", "load_adapter",
    "load_task_model", "load_tokenizer", "lora_layers", "merge_and_unload", "merge_lora",
    "read_adapter_config", "save_adapter", "unmerge_lora",
]
