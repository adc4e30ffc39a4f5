"""The LoRA layer from scratch (lesson 03): a frozen Linear plus a trainable low-rank update.

LoRA (Hu et al., 2021, eq. 3) keeps a pretrained weight W0 (d_out x d_in) frozen and learns a
low-rank update:

    h = W0 x + (lora_alpha / r) * B A x        A: (r, d_in), B: (d_out, r)

A starts random (Kaiming-uniform, as peft and loralib), B starts at zero, so at step 0 the model is
exactly the pretrained one. After training, B A can be merged into W0 (`merge()`), so inference
costs nothing extra. The variants (rsLoRA, DoRA, PiSSA; lesson 16) are not flags inside the layer:
each is a `lorakit.variants.LoraVariant` that changes some of its steps, and the layer runs every
step through the variant that owns it (`self.variant[step]`).

Design: we wrap rather than subclass (`LoRALinear(base, ...)` keeps the original layer as
`base_layer`), use peft's names (`lora_A`, `lora_B`, `r`, `lora_alpha`, `scaling`) so that a learner
can move to peft without translating, and merge only when `merge()` is called. Putting layers into a
model is `lorakit.inject`; merging a whole model is `lorakit.merge`.

Speed: a training step goes through `lorakit.fused.MergedWeightLoRA` when `fused` is on (the
default) and the step allows it (`folds`); prediction uses one fused `torch.addmm` for the update
(`add_update`). Both equal the plain computation to float rounding.
"""
import torch
from torch import nn

from . import variants
from .errors import ConfigError, MergeError
from .fused import MergedWeightLoRA
from .nf4_layer import NF4Linear

try:  # GPT-2 style layers store the weight as (d_in, d_out) and compute x @ W + b.
    from transformers.pytorch_utils import Conv1D
except ImportError:  # pragma: no cover - transformers is a dependency, but the layer works without it
    Conv1D = ()

LINEAR_TYPES = (nn.Linear, Conv1D)  # what LoRALinear wraps and `target_modules` can pick from


def check_lora_options(r, lora_alpha, lora_dropout=0.0, init_lora_weights=True):
    """Raise ConfigError unless r is a positive int, lora_alpha > 0, 0 <= lora_dropout < 1 and
    init_lora_weights is True, "gaussian" or "pissa" (`variants.INIT_CHOICES`).

    >>> check_lora_options(8, 16, 0.1, "pissa")
    >>> check_lora_options(0, 16)
    Traceback (most recent call last):
    lorakit.errors.ConfigError: rank r must be a positive integer, got 0
    """
    if isinstance(r, bool) or not isinstance(r, int) or r <= 0:
        raise ConfigError(f"rank r must be a positive integer, got {r!r}")
    if not isinstance(lora_alpha, (int, float)) or not lora_alpha > 0:
        raise ConfigError(f"lora_alpha must be a number > 0, got {lora_alpha!r}")
    if not isinstance(lora_dropout, (int, float)) or not 0 <= lora_dropout < 1:
        raise ConfigError(f"lora_dropout must be in [0, 1), got {lora_dropout!r}")
    if init_lora_weights is not True and init_lora_weights not in variants.INIT_CHOICES[1:]:
        raise ConfigError(f"init_lora_weights must be one of {variants.INIT_CHOICES}, got {init_lora_weights!r}")


class LoRALinear(nn.Module):
    """A frozen `nn.Linear` (or GPT-2 `Conv1D`) plus a trainable low-rank update.

    Args:
        base: the layer to adapt; it is kept, frozen, as `self.base_layer`.
        r: rank of the update.
        lora_alpha: scale numerator; `scaling = lora_alpha / r` (or `/ sqrt(r)` with rsLoRA).
        lora_dropout: dropout applied to the input of the LoRA path only.
        use_rslora: scale by lora_alpha / sqrt(r) (rank-stabilised LoRA, `variants.RsLoRA`).
        use_dora: learn a magnitude per output row as well (`variants.DoRA`).
        init_lora_weights: True (Kaiming-uniform A, zero B), "gaussian" (A ~ N(0, 1/r), zero B)
            or "pissa" (`variants.PiSSA`; it changes the base weight to the residual).
        fused: train through `MergedWeightLoRA` where it applies (the switch between the plain
            and the fused path; both give the same numbers).

    Example:
        >>> layer = LoRALinear(nn.Linear(6, 4), r=2, lora_alpha=4)
        >>> layer.lora_A.weight.shape, layer.lora_B.weight.shape, layer.scaling
        (torch.Size([2, 6]), torch.Size([4, 2]), 2.0)
        >>> x = torch.randn(3, 6)
        >>> torch.equal(layer(x), layer.base_layer(x))  # B = 0: starts at the pretrained model
        True
    """

    def __init__(self, base, r, lora_alpha, lora_dropout=0.0, use_rslora=False, use_dora=False,
                 init_lora_weights=True, fused=True):
        super().__init__()
        check_lora_options(r, lora_alpha, lora_dropout, init_lora_weights)
        if not isinstance(base, LINEAR_TYPES):
            raise ConfigError(f"LoRALinear wraps nn.Linear or Conv1D layers, got {type(base).__name__}")
        self.base_layer = base
        self.fan_in_fan_out = not isinstance(base, nn.Linear)  # Conv1D: weight is (d_in, d_out)
        d_out, d_in = self.base_weight_shape()
        self.in_features, self.out_features = d_in, d_out
        # peft's option names, kept as a record; the behaviour they choose is in self.variant
        self.r, self.lora_alpha, self.use_rslora = r, lora_alpha, use_rslora
        self.use_dora, self.init_lora_weights, self.fused = use_dora, init_lora_weights, fused
        self.variant = variants.select(use_rslora=use_rslora, use_dora=use_dora,
                                       init_lora_weights=init_lora_weights)  # {step: LoraVariant}
        self.scaling = self.variant["scaling"].scaling(r, lora_alpha)
        self.lora_dropout = nn.Dropout(lora_dropout) if lora_dropout > 0 else nn.Identity()
        device = base.weight.device
        self.lora_A = nn.Linear(d_in, r, bias=False, device=device)   # A: (r, d_in)
        self.lora_B = nn.Linear(r, d_out, bias=False, device=device)  # B: (d_out, r)
        self.reset_lora_parameters()
        for p in base.parameters():
            p.requires_grad_(False)
        self.variant["fit_to_base"].fit_to_base(self)  # DoRA: m = ||W0 + s B A||_row
        self.merged = False

    def reset_lora_parameters(self):
        """Initialise A and B as the chosen variant does (peft's `reset_lora_parameters`)."""
        self.variant["init_weights"].init_weights(self)

    def base_weight_shape(self):
        """(d_out, d_in) of the wrapped layer, whatever its storage layout."""
        shape = tuple(self.base_layer.weight.shape)
        return shape[::-1] if self.fan_in_fan_out else shape

    def base_weight(self):
        """W0 as (d_out, d_in), whatever the storage layout (a view: Conv1D stores it transposed)."""
        weight = self.base_layer.weight
        return weight.T if self.fan_in_fan_out else weight

    def set_base_weight(self, weight):
        """Replace W0 by `weight` (d_out, d_in), stored in the base layer's own layout."""
        self.base_layer.weight.data = (weight.T if self.fan_in_fan_out else weight).contiguous()

    def get_delta_weight_rows(self):
        """The update (lora_alpha / r) B A as (d_out, d_in)."""
        return (self.lora_B.weight @ self.lora_A.weight) * self.scaling

    def get_delta_weight(self):
        """The update (lora_alpha / r) B A, shaped like the base weight. (d_out, d_in) for Linear."""
        delta = self.get_delta_weight_rows()  # (d_out, d_in)
        return delta.T if self.fan_in_fan_out else delta

    def forward(self, x):  # x: (..., d_in)
        if self.folds(x):
            return MergedWeightLoRA.apply(x, self.base_weight(), self.base_layer.bias,
                                          self.lora_A.weight, self.lora_B.weight, self.scaling)
        result = self.base_layer(x)  # (..., d_out)
        if self.merged:
            return result
        return self.variant["forward"].forward(self, x, result)

    def folds(self, x):
        """Whether this training step goes through `MergedWeightLoRA` (the fused path): `fused` on,
        plain LoRA's forward with gradients on, the base layer frozen, no active dropout, on a CPU or
        CUDA without autocast, W0 in x's dtype (not NF4)."""
        A = self.lora_A.weight
        return (self.fused and torch.is_grad_enabled() and A.requires_grad and not self.merged
                and self.variant["forward"] is variants.PLAIN
                and not any(p.requires_grad for p in self.base_layer.parameters())
                and (isinstance(self.lora_dropout, nn.Identity) or not self.training)
                and x.device.type in ("cpu", "cuda") and not torch.is_autocast_enabled(x.device.type)
                and not isinstance(self.base_layer, NF4Linear)
                and x.dtype == A.dtype == self.base_layer.weight.dtype)

    def add_update(self, result, x):
        """result + scaling * B A x, the sum and the scale done inside one matmul.

        `torch.addmm(C, P, Q, alpha=s)` computes C + s P Q in the BLAS call itself, so no
        (..., d_out) tensor is made for B A x or for s B A x, and backward scales only the small
        (..., r) and (r, d_out) gradients. The same value as peft's `result + B(A(x)) * scaling`
        to float rounding (tests/test_lora.py checks 1e-5).

        >>> layer = LoRALinear(nn.Linear(6, 4), r=2, lora_alpha=4)
        >>> _ = nn.init.normal_(layer.lora_B.weight)
        >>> x = torch.randn(3, 5, 6)
        >>> plain = layer.base_layer(x) + layer.lora_B(layer.lora_A(x)) * layer.scaling
        >>> torch.allclose(layer(x), plain, atol=1e-6)
        True
        """
        if not isinstance(self.lora_dropout, nn.Identity):  # no call at all without dropout
            x = self.lora_dropout(x)
        ax = self.lora_A(x.to(self.lora_A.weight.dtype)).to(result.dtype)          # A x: (..., r)
        out = torch.addmm(result.reshape(-1, self.out_features), ax.reshape(-1, self.r),
                          self.lora_B.weight.to(result.dtype).T, alpha=self.scaling)  # (N, d_out)
        return out.view(result.shape)

    @torch.no_grad()
    def merge(self):
        """Add the update into the base weight: W0 <- W0 + (lora_alpha / r) B A.

        With DoRA: W0 <- m / ||W0 + s B A||_row * (W0 + s B A), keeping the norm for `unmerge`.
        A base stored in NF4 (QLoRA) raises MergeError: it would take the update only to 4-bit rounding."""
        if self.merged:
            raise MergeError("this LoRA layer is already merged; call unmerge() before merging again")
        if isinstance(self.base_layer, NF4Linear):
            raise MergeError("the base layer is stored in 4 bits (NF4): merging would re-quantise "
                             "W0 + s B A and round off part of the update; merge into a de-quantised "
                             "copy instead (merge_and_unload(model) de-quantises, then merges)")
        self.variant["merge"].merge(self)
        self.merged = True

    @torch.no_grad()
    def unmerge(self):
        """Subtract the update again, restoring W0 (to floating-point rounding)."""
        if not self.merged:
            raise MergeError("this LoRA layer is not merged, so there is nothing to unmerge")
        self.variant["unmerge"].unmerge(self)
        self.merged = False

    def extra_repr(self):
        dora = ", use_dora=True" if self.use_dora else ""
        return f"r={self.r}, lora_alpha={self.lora_alpha}, scaling={self.scaling:g}{dora}, merged={self.merged}"


def lora_layers(model):
    """{name: LoRALinear} for every LoRA layer in `model`.

    >>> list(lora_layers(nn.Sequential(LoRALinear(nn.Linear(4, 4), r=2, lora_alpha=4), nn.ReLU())))
    ['0']
    """
    return {n: m for n, m in model.named_modules() if isinstance(m, LoRALinear)}
