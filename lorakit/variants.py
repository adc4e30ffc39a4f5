"""The LoRA variants (lesson 16), each a class that overrides the steps of plain LoRA it changes.

`LoraVariant` is plain LoRA, step by step; `LoRALinear` runs every step through the variant that
changes it (`select`), so no variant is a flag inside the layer. A new variant subclasses
`LoraVariant`, names the option that turns it on (peft's name and value), overrides its steps, and
is added to `VARIANTS`: one place.

    step                        plain LoRA                      changed by
    scaling(r, lora_alpha)      s = lora_alpha / r              rsLoRA: lora_alpha / sqrt(r)
    init_weights(layer)         A Kaiming-uniform, B = 0        PiSSA, "gaussian"
    fit_to_base(layer)          nothing                         DoRA: m = ||W0 + s B A||_row
    forward(layer, x, result)   result + s B A x                DoRA
    merge / unmerge(layer)      W0 <- W0 +- s B A               DoRA
    param_groups(model, lr, wd) one AdamW group                 LoRA+: B at lr * ratio

rsLoRA (Kalajdzievski, 2023, arXiv 2312.03732) scales by lora_alpha / sqrt(r), so the update's size
does not shrink as r grows.

DoRA (Liu et al., 2024, arXiv 2402.09353) splits the adapted weight into a direction and a
learned magnitude m (d_out,), one number per output row (eq. 5):

    W' = m * (W0 + s B A) / ||W0 + s B A||_row        m starts at ||W0||_row, so W' = W0 at step 0

The norm is treated as a constant (detached) when back-propagating (section 4.3), as peft does.

PiSSA (Meng et al., 2024, arXiv 2404.02948) starts A and B from the top-r singular vectors of W0
(eq. 2-3) and leaves the residual W0 - s B A in the frozen layer, so the output is unchanged at
step 0 but training moves the principal directions first.

LoRA+ (Hayou et al., 2024, arXiv 2402.12354) gives B a learning rate `loraplus_ratio` times A's.

Every formula follows peft (`peft/tuners/lora/dora.py`, `layer.py: pissa_init`,
`peft/optimizers/loraplus.py`), so lorakit's adapters and optimizers match peft's to rounding.
This module imports no layer: it works on whatever `layer` it is given (a `LoRALinear`).
"""
import math

import torch
import torch.nn.functional as F
from torch import nn

from .errors import ConfigError
from .nf4 import dequantize_nf4, quantize_nf4

STEPS = ("scaling", "init_weights", "fit_to_base", "forward", "merge", "unmerge", "param_groups")


class LoraVariant:
    """Plain LoRA (Hu et al., 2021): every step a variant may change, as LoRA itself does it.

    `option, value`: the option (peft's name) and the value of it that choose this variant.

    >>> from lorakit.layer import LoRALinear
    >>> layer = LoRALinear(nn.Linear(6, 4), r=2, lora_alpha=4)
    >>> plain = LoraVariant()
    >>> plain.scaling(2, 4), torch.equal(plain.forward(layer, torch.ones(1, 6), torch.zeros(1, 4)), torch.zeros(1, 4))
    (2.0, True)
    """

    option, value = None, None

    @classmethod
    def from_options(cls, options):
        """An instance if `options` ({peft name: value}) ask for this variant, else None."""
        return cls() if cls.option and options.get(cls.option) == cls.value else None

    def scaling(self, r, lora_alpha):
        """The factor s in h = W0 x + s B A x (LoRA eq. 3)."""
        return lora_alpha / r

    @torch.no_grad()
    def init_weights(self, layer):
        """A Kaiming-uniform (as peft and loralib), B zero: the layer starts as W0."""
        nn.init.kaiming_uniform_(layer.lora_A.weight, a=math.sqrt(5))
        nn.init.zeros_(layer.lora_B.weight)

    def fit_to_base(self, layer):
        """Set what depends on W0; run at init and again when W0 changes (QLoRA quantises it)."""

    def forward(self, layer, x, result):
        """The layer's output given the base output `result` (..., d_out) for x (..., d_in)."""
        return layer.add_update(result, x)

    @torch.no_grad()
    def merge(self, layer):
        """W0 <- W0 + s B A, in place, in W0's dtype."""
        weight = layer.base_layer.weight
        weight += layer.get_delta_weight().to(weight.dtype)

    @torch.no_grad()
    def unmerge(self, layer):
        """W0 <- W0 - s B A (restores W0 to floating-point rounding)."""
        weight = layer.base_layer.weight
        weight -= layer.get_delta_weight().to(weight.dtype)

    def param_groups(self, model, lr, weight_decay=0.0):
        """AdamW groups: every trainable parameter at `lr`."""
        params = [p for p in model.parameters() if p.requires_grad]
        return [dict(params=params, lr=lr, weight_decay=weight_decay)]


PLAIN = LoraVariant()


def select(**options):
    """{step: the chosen variant that changes it, else plain LoRA} for peft-named `options`.

    Two chosen variants may not change the same step (it would be ambiguous which one runs).

    >>> steps = select(use_rslora=True, use_dora=True, init_lora_weights=True)
    >>> type(steps["scaling"]).__name__, type(steps["forward"]).__name__, steps["init_weights"] is PLAIN
    ('RsLoRA', 'DoRA', True)
    """
    chosen = [v for v in (cls.from_options(options) for cls in VARIANTS) if v is not None]
    steps = {}
    for step in STEPS:
        own = [v for v in chosen if getattr(type(v), step) is not getattr(LoraVariant, step)]
        if len(own) > 1:
            raise ConfigError(f"{' and '.join(type(v).__name__ for v in own)} both change LoRA's {step}")
        steps[step] = own[0] if own else PLAIN
    return steps


# ----------------------------------------------------------------------------- rsLoRA
class RsLoRA(LoraVariant):
    """rsLoRA: s = lora_alpha / sqrt(r) (Kalajdzievski, 2023).

    >>> RsLoRA().scaling(16, 8)
    2.0
    """

    option, value = "use_rslora", True

    def scaling(self, r, lora_alpha):
        return lora_alpha / math.sqrt(r)


class GaussianInit(LoraVariant):
    """peft's init_lora_weights="gaussian": A ~ N(0, 1/r) instead of Kaiming-uniform, B zero.

    >>> from lorakit.layer import LoRALinear
    >>> layer = LoRALinear(nn.Linear(512, 4), r=2, lora_alpha=4, init_lora_weights="gaussian")
    >>> type(layer.variant["init_weights"]).__name__, round(layer.lora_A.weight.std().item(), 1)
    ('GaussianInit', 0.5)
    """

    option, value = "init_lora_weights", "gaussian"

    @torch.no_grad()
    def init_weights(self, layer):
        nn.init.normal_(layer.lora_A.weight, std=1 / layer.r)
        nn.init.zeros_(layer.lora_B.weight)


# ----------------------------------------------------------------------------- DoRA
def weight_norm(weight, delta):
    """||W0 + delta|| of each output row: (d_out, d_in) matrices in, (d_out,) out (DoRA eq. 5).

    >>> weight_norm(torch.tensor([[3., 4.], [0., 1.]]), torch.zeros(2, 2))
    tensor([5., 1.])
    """
    return torch.linalg.norm(weight + delta, dim=1).to(weight.dtype)


def dora_forward(layer, x, result):
    """What DoRA adds to the base output `result` (..., d_out) for the input x (..., d_in).

    m / ||W0 + s B A|| * (W0 x + s B A x) + bias, written as peft does: the base output is reused,
    its bias taken out, and (m / norm - 1) W0 x + m / norm * s B A x added to it. With dropout in
    training, W0 x is recomputed from the dropped-out input, as in peft.

    >>> from lorakit.layer import LoRALinear
    >>> layer = LoRALinear(nn.Linear(4, 3), r=2, lora_alpha=2, use_dora=True)
    >>> x = torch.randn(5, 4)
    >>> torch.allclose(layer(x), layer.base_layer(x))  # m = ||W0||, B = 0: the base layer at init
    True
    """
    weight = layer.base_weight().to(x.dtype)                           # (d_out, d_in)
    lora_weight = layer.lora_B.weight @ layer.lora_A.weight           # (d_out, d_in)
    norm = weight_norm(weight, layer.scaling * lora_weight.detach()).detach()  # (d_out,), a constant
    scale = (layer.lora_magnitude_vector / norm).view(1, -1)          # (1, d_out)
    if isinstance(layer.lora_dropout, nn.Identity) or not layer.training:
        bias = layer.base_layer.bias
        base_result = result if bias is None else result - bias       # W0 x: (..., d_out)
    else:
        x = layer.lora_dropout(x)
        base_result = F.linear(x, weight)
    lora_result = layer.lora_B(layer.lora_A(x)) * layer.scaling      # s B A x: (..., d_out)
    return result + (scale - 1) * base_result + scale * lora_result


def dora_merged_weight(layer):
    """(W0 + s B A) * m / ||W0 + s B A||, shaped (d_out, d_in), and the norm that `unmerge` needs.

    >>> from lorakit.layer import LoRALinear
    >>> layer = LoRALinear(nn.Linear(4, 3), r=2, lora_alpha=2, use_dora=True)
    >>> weight, norm = dora_merged_weight(layer)
    >>> torch.allclose(weight, layer.base_layer.weight), norm.shape
    (True, torch.Size([3]))
    """
    weight = layer.base_weight()
    delta = layer.scaling * (layer.lora_B.weight @ layer.lora_A.weight)  # (d_out, d_in)
    norm = weight_norm(weight, delta).detach()
    return (layer.lora_magnitude_vector / norm).view(-1, 1) * (weight + delta), norm


def dora_unmerged_weight(layer, norm):
    """W0 again from the merged weight: W' * ||W0 + s B A|| / m - s B A, shaped (d_out, d_in).

    >>> from lorakit.layer import LoRALinear
    >>> layer = LoRALinear(nn.Linear(4, 3), r=2, lora_alpha=2, use_dora=True)
    >>> w0 = layer.base_layer.weight.clone(); layer.merge()
    >>> torch.allclose(dora_unmerged_weight(layer, layer._dora_norm), w0, atol=1e-6)
    True
    """
    delta = layer.scaling * (layer.lora_B.weight @ layer.lora_A.weight)
    return layer.base_weight() / (layer.lora_magnitude_vector / norm).view(-1, 1) - delta


class DoRA(LoraVariant):
    """DoRA: a learned magnitude m per output row times the direction of W0 + s B A (eq. 5).

    >>> from lorakit.layer import LoRALinear
    >>> layer = LoRALinear(nn.Linear(4, 3), r=2, lora_alpha=2, use_dora=True)
    >>> torch.allclose(layer.lora_magnitude_vector, layer.base_layer.weight.norm(dim=1))  # m = ||W0||
    True
    """

    option, value = "use_dora", True

    @torch.no_grad()
    def fit_to_base(self, layer):
        norm = weight_norm(layer.base_weight(), layer.get_delta_weight_rows())  # (d_out,)
        if hasattr(layer, "lora_magnitude_vector"):
            layer.lora_magnitude_vector.copy_(norm)
        else:
            layer.lora_magnitude_vector = nn.Parameter(norm)  # m: (d_out,)

    def forward(self, layer, x, result):
        return dora_forward(layer, x.to(layer.lora_A.weight.dtype), result).to(result.dtype)

    @torch.no_grad()
    def merge(self, layer):
        """W0 <- m / ||W0 + s B A||_row * (W0 + s B A), keeping the norm for `unmerge`."""
        merged_weight, layer._dora_norm = dora_merged_weight(layer)
        layer.set_base_weight(merged_weight.to(layer.base_layer.weight.dtype))

    @torch.no_grad()
    def unmerge(self, layer):
        layer.set_base_weight(dora_unmerged_weight(layer, layer._dora_norm).to(layer.base_layer.weight.dtype))


# ----------------------------------------------------------------------------- PiSSA
@torch.no_grad()
def pissa_init(layer):
    """Set A, B from the top-r singular triplets of W0 and leave the residual in the base layer.

    W0 = U S V^T (PiSSA eq. 2); with S_r divided by the scaling s, as peft does (so s B A is the
    rank-r part of W0 whatever lora_alpha is): A = sqrt(S_r / s) V_r^T (r, d_in),
    B = U_r sqrt(S_r / s) (d_out, r), and W_res = W0 - s B A (eq. 3).

    >>> from lorakit.layer import LoRALinear
    >>> base = nn.Linear(6, 4); x = torch.randn(2, 6); before = base(x)
    >>> layer = LoRALinear(base, r=2, lora_alpha=4, init_lora_weights="pissa")
    >>> torch.allclose(layer(x), before, atol=1e-6)  # the output is unchanged at init
    True
    """
    weight = layer.base_weight()
    if weight.dtype not in (torch.float32, torch.float16, torch.bfloat16):
        raise TypeError("PiSSA needs a float32, float16 or bfloat16 base weight")
    dtype, weight = weight.dtype, weight.float()
    U, S, Vh = torch.linalg.svd(weight, full_matrices=False)  # (d_out, k), (k,), (k, d_in)
    r = layer.r
    S_r = S[:r] / layer.scaling
    lora_A = torch.diag(torch.sqrt(S_r)) @ Vh[:r]              # (r, d_in)
    lora_B = U[:, :r] @ torch.diag(torch.sqrt(S_r))            # (d_out, r)
    layer.lora_A.weight.data = lora_A
    layer.lora_B.weight.data = lora_B
    layer.set_base_weight((weight - layer.scaling * lora_B @ lora_A).to(dtype))


def pissa_to_lora(tensors, initial):
    """Turn a trained PiSSA adapter into a plain LoRA one for the ORIGINAL weight W0.

    W0 = W_res + s B0 A0 and the trained model is W_res + s B A, so the update to W0 is
    s (B A - B0 A0) = s [B, -B0] [A; A0]: rank 2r (peft's `subtract_mutated_init`). `tensors` and
    `initial` are {key: tensor} of the trained and the initial adapter; other keys pass through.

    >>> A, B, A0, B0 = torch.ones(1, 3), torch.ones(2, 1), torch.zeros(1, 3), torch.ones(2, 1)
    >>> out = pissa_to_lora({"x.lora_A.weight": A, "x.lora_B.weight": B},
    ...                     {"x.lora_A.weight": A0, "x.lora_B.weight": B0})
    >>> out["x.lora_A.weight"].shape, out["x.lora_B.weight"].shape
    (torch.Size([2, 3]), torch.Size([2, 2]))
    """
    converted = dict(tensors)
    for key, value in tensors.items():
        if "lora_A" in key:
            converted[key] = torch.cat([value, initial[key]], dim=0)    # (2r, d_in)
        elif "lora_B" in key:
            converted[key] = torch.cat([value, -initial[key]], dim=1)   # (d_out, 2r)
    return converted


def pissa_nf4_error(weight, r):
    """Relative error of storing W0 (d_out, d_in) in NF4 when its top-r singular part stays in full
    precision, as QPiSSA does (A and B hold it, only the residual is quantised); r = 0 is QLoRA's
    error, W0 itself in NF4: ||Q(W0 - P_r) + P_r - W0|| / ||W0||, P_r = U_r S_r V_r^T.

    >>> w = torch.randn(64, 64)
    >>> pissa_nf4_error(w, 64) < 1e-5 < pissa_nf4_error(w, 0)   # nothing left to quantise at full rank
    True
    """
    U, S, Vh = torch.linalg.svd(weight, full_matrices=False)  # (d_out, k), (k,), (k, d_in)
    principal = U[:, :r] @ torch.diag(S[:r]) @ Vh[:r]           # (d_out, d_in)
    residual = weight - principal
    restored = dequantize_nf4(*quantize_nf4(residual)) + principal
    return ((restored - weight).norm() / weight.norm()).item()


class PiSSA(LoraVariant):
    """PiSSA: A and B from W0's top-r singular triplets, the residual left in W0 (`pissa_init`).

    >>> from lorakit.layer import LoRALinear
    >>> layer = LoRALinear(nn.Linear(6, 4), r=2, lora_alpha=4, init_lora_weights="pissa")
    >>> bool(layer.lora_B.weight.abs().sum() > 0)  # B is not zero: W0's principal part moved into it
    True
    """

    option, value = "init_lora_weights", "pissa"

    def init_weights(self, layer):
        pissa_init(layer)


# ----------------------------------------------------------------------------- LoRA+
def _decays(model):
    """Names of the parameters AdamW decays, as peft and transformers choose them: no biases and
    nothing inside a LayerNorm."""
    no_decay = {f"{m_name}.{p_name}" if m_name else p_name
                for m_name, module in model.named_modules() if isinstance(module, nn.LayerNorm)
                for p_name, _ in module.named_parameters(recurse=False)}
    return {n for n, _ in model.named_parameters() if n not in no_decay and "bias" not in n}


def loraplus_param_groups(model, lr, loraplus_ratio=16, weight_decay=0.0):
    """AdamW parameter groups for LoRA+: B (and every 1-D parameter) at lr * ratio, the rest at lr.

    The grouping is peft's `create_loraplus_optimizer`: a trainable parameter goes with B when its
    name holds "lora_B" or it is a vector (DoRA's magnitude, a head's bias); B's biases and
    LayerNorm weights get no weight decay. A head's weight matrix keeps the base lr.

    >>> from lorakit.inject import apply_lora
    >>> net = apply_lora(nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 2)), ["0"], r=2, modules_to_save=["1"])
    >>> [(g["lr"], len(g["params"])) for g in loraplus_param_groups(net, lr=1e-3, loraplus_ratio=16)]
    [(0.001, 2), (0.016, 1), (0.016, 1)]
    """
    decays = _decays(model)
    groups = {"A": [], "B": [], "B_no_decay": []}
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        if "lora_B" in name or p.ndim == 1:
            groups["B" if name in decays else "B_no_decay"].append(p)
        else:
            groups["A"].append(p)
    return [dict(params=groups["A"], lr=lr, weight_decay=weight_decay),
            dict(params=groups["B"], lr=lr * loraplus_ratio, weight_decay=weight_decay),
            dict(params=groups["B_no_decay"], lr=lr * loraplus_ratio, weight_decay=0.0)]


class LoraPlus(LoraVariant):
    """LoRA+: B (and every vector) at lr * ratio (`loraplus_param_groups`); chosen by loraplus_ratio.

    >>> LoraPlus.from_options({"loraplus_ratio": 16}).ratio, LoraPlus.from_options({}) is None
    (16, True)
    """

    def __init__(self, ratio=16):
        self.ratio = ratio

    @classmethod
    def from_options(cls, options):
        ratio = options.get("loraplus_ratio")
        return cls(ratio) if ratio else None

    def param_groups(self, model, lr, weight_decay=0.0):
        return loraplus_param_groups(model, lr, self.ratio, weight_decay)


VARIANTS = (RsLoRA, GaussianInit, PiSSA, DoRA, LoraPlus)  # a new variant: add it here
# The init_lora_weights values lorakit implements (peft's names): True is Kaiming-uniform A, zero B.
INIT_CHOICES = (True,) + tuple(v.value for v in VARIANTS if v.option == "init_lora_weights")
