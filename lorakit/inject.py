"""Put LoRA into a model (lesson 03): freeze it, wrap the chosen layers, report what trains.

`apply_lora(model, target_modules, r, ...)` freezes every weight, wraps each layer that
`target_modules` picks (`lorakit.targets`) in a `LoRALinear` (`lorakit.layer`), keeps
`modules_to_save` (the task head) trainable, optionally stores the frozen body in NF4 (QLoRA,
`lorakit.quant`), and records what it did as `model.lora_config` for `save_adapter`.
`count_parameters` is the report that shows the result: trainable against total parameters.

Example:
    >>> net = apply_lora(nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 2)), ["0"], r=2)
    >>> type(net[0]).__name__, count_parameters(net)    # 2 * (8 + 8) trainable of 122 + 32
    ('LoRALinear', (32, 122))
"""
import math
from dataclasses import asdict, dataclass, field

from torch import nn

from . import quant
from .errors import ConfigError
from .layer import LoRALinear, check_lora_options, lora_layers
from .nf4_layer import NF4Linear
from .targets import check_rank, find_target_modules, matches, set_submodule, top_layers


@dataclass
class LoraConfig:
    """What `apply_lora` did to a model; stored on it as `model.lora_config` for `save_adapter`."""

    r: int = 8
    lora_alpha: float = 16
    target_modules: object = field(default_factory=lambda: ["query", "value"])  # list or regex str
    lora_dropout: float = 0.0
    use_rslora: bool = False
    modules_to_save: list = None
    fan_in_fan_out: bool = False
    use_dora: bool = False
    init_lora_weights: object = True  # True, "gaussian" or "pissa" (peft's values)

    def to_dict(self):
        return asdict(self)


def apply_lora(model, target_modules, r=8, lora_alpha=16, lora_dropout=0.0, use_rslora=False,
               modules_to_save=None, use_dora=False, init_lora_weights=True, quantize=None):
    """Freeze `model`, wrap the chosen layers in LoRALinear, and keep `modules_to_save` trainable.

    Works in place and returns the model. `modules_to_save` names modules (usually the task head,
    e.g. ["classifier"]) that are trained in full and saved with the adapter. `target_modules` may
    also be a whole `LoraConfig` (lorakit's, or anything with the same fields, such as peft's),
    which then sets every option. `use_dora` and `init_lora_weights` are LoRALinear's.

    `quantize="nf4"` is QLoRA (Dettmers et al., 2023): after LoRA is added on the full-precision
    weights, every Linear of the body (the adapted layers' bases and all other frozen ones, not the
    head or `modules_to_save`) is stored in 4-bit NF4 with double quantisation
    (`quant.quantize_model`); the LoRA factors stay in full precision. PiSSA thus splits the
    original W0 and only its residual is quantised (as QPiSSA does), and DoRA's magnitude is taken
    from the quantised weights, so the model starts as the quantised one.

    Example:
        >>> net = nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 2))
        >>> net = apply_lora(net, ["0"], r=2, modules_to_save=["2"])
        >>> count_parameters(net)  # 2 * (8 + 8) LoRA + 8 * 2 + 2 head
        (50, 122)
        >>> count_parameters(apply_lora(nn.Sequential(nn.Linear(8, 8)), LoraConfig(r=2, target_modules=["0"])))
        (32, 104)
        >>> qlora = apply_lora(nn.Sequential(nn.Linear(64, 64)), ["0"], r=2, quantize="nf4")
        >>> type(qlora[0].base_layer).__name__, qlora[0].lora_A.weight.dtype
        ('NF4Linear', torch.float32)
    """
    if hasattr(target_modules, "target_modules"):      # a LoraConfig
        c = target_modules
        return apply_lora(model, c.target_modules, c.r, c.lora_alpha, c.lora_dropout, c.use_rslora,
                          c.modules_to_save, getattr(c, "use_dora", False),
                          getattr(c, "init_lora_weights", True), quantize)
    check_lora_options(r, lora_alpha, lora_dropout, init_lora_weights)
    quant.check_quantize(quantize)
    target_modules, chosen = _choose_layers(model, target_modules, modules_to_save, init_lora_weights)
    check_rank(model, chosen, r)
    saved = _find_modules_to_save(model, modules_to_save)
    _freeze_and_wrap(model, chosen, saved, r, lora_alpha, lora_dropout, use_rslora, use_dora,
                     init_lora_weights)
    if quantize:
        _quantize_body(model, modules_to_save)
    model.lora_config = LoraConfig(
        r=r, lora_alpha=lora_alpha, lora_dropout=lora_dropout, use_rslora=use_rslora, use_dora=use_dora,
        init_lora_weights=init_lora_weights, target_modules=_recorded_targets(target_modules, chosen),
        modules_to_save=list(modules_to_save) if modules_to_save else None,
        fan_in_fan_out=any(m.fan_in_fan_out for m in lora_layers(model).values()))
    return model


def _recorded_targets(target_modules, chosen):
    """target_modules as `save_adapter` writes it: "all-linear" as the layer names it resolved to,
    so that peft picks the same layers; a regex as it is; other collections as a list."""
    if target_modules == "all-linear":
        return sorted({n.split(".")[-1] for n in chosen})
    return target_modules if isinstance(target_modules, str) else list(target_modules)


def _freeze_and_wrap(model, chosen, saved, *layer_options):
    """Freeze every weight, wrap each chosen layer in LoRALinear(base, *layer_options), then make
    the `saved` modules (the head) trainable again."""
    for p in model.parameters():
        p.requires_grad_(False)
    for name in chosen:
        set_submodule(model, name, LoRALinear(model.get_submodule(name), *layer_options))
    for module in saved:
        for p in module.parameters():
            p.requires_grad_(True)


def _choose_layers(model, target_modules, modules_to_save, init_lora_weights):
    """(target_modules with "top-K" as its regex, which peft reads; the names of the layers to
    wrap), after refusing a model that cannot take LoRA as asked."""
    if any(isinstance(m, LoRALinear) for m in model.modules()):
        raise ConfigError("this model already has LoRA layers; load a fresh base model first")
    target_modules = top_layers(model, target_modules)
    chosen = find_target_modules(model, target_modules, modules_to_save)
    if init_lora_weights == "pissa" and any(isinstance(model.get_submodule(n), NF4Linear) for n in chosen):
        raise ConfigError("PiSSA needs the full-precision W0, but the model is already stored in NF4: "
                          "load it unquantised and pass quantize='nf4', which quantises PiSSA's residual")
    return target_modules, chosen


def _quantize_body(model, modules_to_save):
    """QLoRA: store every Linear of the body in NF4, then let each variant refit to the new W0."""
    quant.quantize_model(model, "all-linear", modules_to_save)
    for layer in lora_layers(model).values():
        layer.variant["fit_to_base"].fit_to_base(layer)  # DoRA: m = ||W0 + s B A||_row of the NF4 W0


def _find_modules_to_save(model, modules_to_save):
    if not modules_to_save:
        return []
    found = [m for n, m in model.named_modules() if n and matches(n, modules_to_save)]
    if not found:
        top = sorted({n.split(".")[-1] for n, _ in model.named_modules() if n})
        raise ConfigError(f"modules_to_save {list(modules_to_save)} matches no module; "
                          f"this model has: {', '.join(top)}")
    return found


def count_parameters(model, print_report=False):
    """(trainable, total) parameter counts; with print_report, print them as peft does.

    >>> count_parameters(nn.Linear(4, 3))
    (15, 15)
    """
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    # A 4-bit base (lorakit.nf4_layer.NF4Linear) keeps its weights as packed buffers: count the weights.
    packed = sum(math.prod(m.weight_shape) for m in model.modules() if hasattr(m, "weight_packed"))
    total = sum(p.numel() for p in model.parameters()) + packed
    if print_report:
        print(f"trainable params: {trainable:,} || all params: {total:,} "
              f"|| trainable%: {100 * trainable / max(total, 1):.4f}")
    return trainable, total
