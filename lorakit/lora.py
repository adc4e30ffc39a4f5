"""LoRA in one import: the names of the modules that build it, gathered for the lessons.

LoRA (Hu et al., 2021, eq. 3) keeps a pretrained weight W0 (d_out x d_in) frozen and learns a
low-rank update, h = W0 x + (lora_alpha / r) B A x, with A (r, d_in) random and B (d_out, r) zero,
so training starts at the pretrained model; after training, B A merges into W0.

Each piece has its own module, bottom up (none imports one above it, nor this file):

    lorakit.fused      MergedWeightLoRA: the fused training path (lesson 02's backward by hand)
    lorakit.variants   rsLoRA, DoRA, PiSSA, LoRA+: one `LoraVariant` interface (lesson 16)
    lorakit.layer      LoRALinear, the layer (lesson 03), and lora_layers
    lorakit.targets    which layers to adapt: names, regexes, "all-linear", "top-K" (lesson 03)
    lorakit.inject     apply_lora, LoraConfig, count_parameters (lesson 03)
    lorakit.merge      merge_lora, unmerge_lora, merged, merge_and_unload, scale_update (lesson 10)

Example:
    >>> from torch import nn
    >>> net = apply_lora(nn.Sequential(nn.Linear(8, 8)), ["0"], r=2)
    >>> isinstance(net[0], LoRALinear), count_parameters(net)
    (True, (32, 104))
"""
from .fused import MergedWeightLoRA
from .inject import LoraConfig, apply_lora, count_parameters
from .layer import LoRALinear, check_lora_options, lora_layers
from .merge import merge_and_unload, merge_lora, merged, rescaled, scale_update, unmerge_lora
from .targets import (HEAD_NAMES, TOP_LAYERS, check_rank, find_target_modules, layer_stack,
                      linear_layer_names, top_layers)
from .variants import loraplus_param_groups

__all__ = ["HEAD_NAMES", "TOP_LAYERS", "LoRALinear", "LoraConfig", "MergedWeightLoRA", "apply_lora",
           "check_lora_options", "check_rank", "count_parameters", "find_target_modules", "layer_stack",
           "linear_layer_names", "lora_layers", "loraplus_param_groups", "merge_and_unload", "merge_lora",
           "merged", "rescaled", "scale_update", "top_layers", "unmerge_lora"]
