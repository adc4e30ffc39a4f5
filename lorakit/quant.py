"""QLoRA's wrapping of a model (lesson 15): its frozen Linear layers stored in 4-bit NF4.

QLoRA (Dettmers et al., 2023, arXiv 2305.14314) fine-tunes LoRA factors on top of a base model whose
weights are stored in 4 bits and de-quantised, block by block, only when a layer runs (eq. 5-6):

    Y = X doubleDequant(c1, c2, W_NF4) + X L1 L2        L1 L2: the LoRA factors, in full precision

The pieces, bottom up: `lorakit.nf4` (the NF4 code, block-wise quantisation, double quantisation;
its names are re-exported here, so `quant.quantize_nf4` works as before), `lorakit.nf4_layer`
(`NF4Linear`, a frozen Linear stored that way), and this module, which quantises a model:
`quantize_model`, `dequantize_model` and the bytes it saves. `apply_lora(model, ..., quantize="nf4")`
is QLoRA: LoRA on the chosen layers, then every Linear of the body stored in NF4, not only the
adapted ones, as the paper does. The task head, trained in full, stays in full precision
(transformers' `load_in_4bit` keeps it so when named in `llm_int8_skip_modules`).

Example:
    >>> net = quantize_model(nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 2)), ["0"])
    >>> type(net[0]).__name__, nf4_bytes(net), frozen_bytes(net)  # frozen: NF4 codes + 64 fp32 biases
    ('NF4Linear', 2120, 2376)
"""
from torch import nn

from .errors import ConfigError
from .layer import lora_layers
from .nf4 import (BLOCKSIZE, LUT_STEPS, NESTED_BLOCKSIZE, NF4_OFFSET, ZERO_INDEX,  # noqa: F401 (re-exported)
                  QuantState, _midpoints, bits_per_parameter, dequantize_absmax, dequantize_blockwise,
                  dequantize_nf4, double_quantize, dynamic_map, nf4_code, pack_nibbles, quantize_blockwise,
                  quantize_nf4, state_tensors, storage_bytes, unpack_nibbles)
from .nf4_layer import NF4Linear
from .targets import find_target_modules, set_submodule

QUANTIZE_CHOICES = ("nf4",)  # apply_lora(quantize=...) and --quantize


def check_quantize(quantize):
    """Raise ConfigError unless `quantize` is None (full precision) or one of QUANTIZE_CHOICES.

    >>> check_quantize("nf4")
    >>> check_quantize("int4")
    Traceback (most recent call last):
    lorakit.errors.ConfigError: quantize must be None or one of nf4, got 'int4'
    """
    if quantize is not None and quantize not in QUANTIZE_CHOICES:
        raise ConfigError(f"quantize must be None or one of {', '.join(QUANTIZE_CHOICES)}, got {quantize!r}")



def quantize_model(model, target_modules="all-linear", modules_to_save=None, compress_statistics=True,
                   compute_dtype=None):
    """Store the chosen nn.Linear layers of `model` in NF4 (NF4Linear), in place; returns the model.

    `target_modules` and `modules_to_save` select layers as in `apply_lora`. The default,
    "all-linear", is what QLoRA quantises (section 4): every Linear layer of the body, that is all
    but the task head and `modules_to_save`, which stay in full precision and are trained.
    In a model that already has LoRA layers, each one's frozen base (`<name>.base_layer`) is
    quantised and its factors lora_A, lora_B never are: `apply_lora(model, ..., quantize="nf4")`
    adds LoRA first, then calls this.

    >>> net = quantize_model(nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 64)), ["0"])
    >>> type(net[0]).__name__, type(net[2]).__name__
    ('NF4Linear', 'Linear')
    """
    if any(isinstance(m, NF4Linear) for m in model.modules()):
        raise ConfigError("this model is already quantised; load a fresh base model first")
    factors = {f"{name}.{part}" for name in lora_layers(model) for part in ("lora_A", "lora_B")}
    for name in find_target_modules(model, target_modules, modules_to_save):
        layer = model.get_submodule(name)
        if name in factors:
            continue
        if not isinstance(layer, nn.Linear):
            raise ConfigError(f"quantize_model replaces nn.Linear layers; {name} is {type(layer).__name__}")
        set_submodule(model, name, NF4Linear(layer, compress_statistics, compute_dtype))
    return model


def dequantize_model(model):
    """Replace every NF4Linear of `model` by a plain nn.Linear (`NF4Linear.to_linear`); returns the model.

    The weights are the de-quantised ones, not the originals: quantisation error stays.

    >>> net = dequantize_model(quantize_model(nn.Sequential(nn.Linear(64, 64))))
    >>> type(net[0]).__name__
    'Linear'
    """
    for name, layer in [(n, m) for n, m in model.named_modules() if isinstance(m, NF4Linear)]:
        set_submodule(model, name, layer.to_linear())
    return model


def nf4_bytes(model):
    """Bytes of the packed weights and constants of every NF4Linear in `model` (biases excluded).

    >>> nf4_bytes(quantize_model(nn.Sequential(nn.Linear(64, 64))))  # 2048 + 64 + 4 + 4, vs 16384
    2120
    """
    return sum(storage_bytes(state_tensors(m.weight_packed, m.quant_state))
               for m in model.modules() if isinstance(m, NF4Linear))


def frozen_bytes(model):
    """Bytes that the frozen weights of `model` take: frozen parameters at their dtype, plus the packed
    codes and constants of every NF4Linear (what QLoRA saves shows here, measured from the tensors).

    >>> net = nn.Sequential(nn.Linear(64, 64, bias=False))
    >>> frozen_bytes(net.requires_grad_(False)), frozen_bytes(quantize_model(net))  # 4096 fp32 vs NF4
    (16384, 2120)
    """
    dense = sum(p.numel() * p.element_size() for p in model.parameters() if not p.requires_grad)
    return dense + nf4_bytes(model)
