"""Merging a LoRA model's updates into its weights, and scaling them (lesson 10).

A LoRA layer merges on request (`LoRALinear.merge()`: W0 <- W0 + s B A), never as a side effect of
`.eval()`. The functions here do it for a whole model: `merge_lora` / `unmerge_lora`, `merged` (for a
`with` block, restoring W0 bit for bit), `merge_and_unload` (a plain model with no LoRA code left),
and `scale_update` / `rescaled`, which keep a fraction of every learned update (WiSE-FT).
Switching between several adapters on one body is `lorakit.switch`.

Example:
    >>> from lorakit.inject import apply_lora
    >>> net = apply_lora(torch.nn.Sequential(torch.nn.Linear(4, 4)), ["0"], r=2)
    >>> type(merge_and_unload(net)[0]).__name__
    'Linear'
"""
import contextlib
import warnings

import torch

from .errors import LorakitWarning, MergeError
from .layer import lora_layers
from .nf4_layer import NF4Linear
from .quant import dequantize_model
from .targets import set_submodule

def merge_lora(model):
    """Merge every LoRA layer of `model` (explicitly; `.eval()` never merges). Returns the model."""
    for layer in lora_layers(model).values():
        layer.merge()
    return model


def unmerge_lora(model):
    """Undo `merge_lora`. Returns the model."""
    for layer in lora_layers(model).values():
        layer.unmerge()
    return model


@torch.no_grad()
def scale_update(model, factor):
    """Keep `factor` of every LoRA layer's learned update: B <- factor B, so W = W0 + factor s B A.

    WiSE-FT (Wortsman et al., 2022) interpolates the weights of a pretrained model (factor 0) and of
    its fine-tuned version (1); in between, a model often keeps most of what it learned and forgets
    less of what it knew. With LoRA the interpolation is one multiplication per layer, and an adapter
    saved afterwards holds it (peft loads it as it is). Returns the model.

    >>> from lorakit.inject import apply_lora
    >>> net = apply_lora(torch.nn.Sequential(torch.nn.Linear(4, 4)), ["0"], r=2)
    >>> _ = torch.nn.init.ones_(net[0].lora_B.weight)
    >>> before = net[0].get_delta_weight_rows()                     # (4, 4)
    >>> torch.allclose(scale_update(net, 0.8)[0].get_delta_weight_rows(), 0.8 * before)
    True
    """
    for layer in _unmerged(model, "scale_update"):
        layer.lora_B.weight.mul_(factor)
    return model


@contextlib.contextmanager
def rescaled(model, factor):
    """Every LoRA layer's update times `factor` for the `with` block (its `scaling`; the weights are
    left alone): what `scale_update(model, factor)` would make, to measure it before deciding.

    >>> from lorakit.inject import apply_lora
    >>> net = apply_lora(torch.nn.Sequential(torch.nn.Linear(4, 4)), ["0"], r=2)
    >>> with rescaled(net, 0.5):
    ...     net[0].scaling
    4.0
    >>> net[0].scaling
    8.0
    """
    layers = _unmerged(model, "rescaled")
    scalings = [layer.scaling for layer in layers]
    for layer in layers:
        layer.scaling *= factor
    try:
        yield model
    finally:
        for layer, scaling in zip(layers, scalings):
            layer.scaling = scaling


def _unmerged(model, caller):
    """The LoRA layers of `model`; a merged one would keep its old update in W0, so refuse it."""
    layers = list(lora_layers(model).values())
    if any(layer.merged for layer in layers):
        raise MergeError(f"{caller} needs the LoRA layers unmerged (call unmerge_lora first)")
    return layers


@contextlib.contextmanager
def merged(model):
    """Merge every unmerged LoRA layer for the `with` block, then put back the exact base weights.

    Evaluation uses it: a merged model runs one matmul per layer instead of three. Restoring a copy
    (rather than subtracting B A again) leaves W0 bit for bit as it was, so training can go on.
    Layers whose base is stored in NF4 (QLoRA) run unmerged: merging would round off part of the update.

    >>> from lorakit.inject import apply_lora
    >>> net = apply_lora(torch.nn.Sequential(torch.nn.Linear(4, 4)), ["0"], r=2)
    >>> before = net[0].base_layer.weight.clone()
    >>> with merged(net):
    ...     net[0].merged
    True
    >>> net[0].merged, torch.equal(net[0].base_layer.weight, before)
    (False, True)
    """
    layers = [layer for layer in lora_layers(model).values()
              if not layer.merged and not isinstance(layer.base_layer, NF4Linear)]
    saved = [layer.base_layer.weight.detach().clone() for layer in layers]
    for layer in layers:
        layer.merge()
    try:
        yield model
    finally:
        with torch.no_grad():
            for layer, weight in zip(layers, saved):
                layer.base_layer.weight.copy_(weight)
                layer.merged = False


def merge_and_unload(model):
    """Merge the updates and put the plain base layers back: a model with no LoRA code left in it.

    A QLoRA model is first de-quantised (every NF4Linear becomes a plain nn.Linear, with a warning),
    so the update is merged exactly and the result holds full-precision weights. peft instead
    re-quantises the merged weights to 4 bits, which rounds off part of the update.
    """
    quantized = [m for m in model.modules() if isinstance(m, NF4Linear)]
    if quantized:
        warnings.warn(f"merge_and_unload de-quantised {len(quantized)} NF4 layers to merge into them: "
                      f"the merged model holds full-precision weights", LorakitWarning, stacklevel=2)
        dequantize_model(model)
    for name, layer in lora_layers(model).items():
        if not layer.merged:
            layer.merge()
        set_submodule(model, name, layer.base_layer)
    if hasattr(model, "lora_config"):
        del model.lora_config
    return model
