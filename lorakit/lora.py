"""LoRA from scratch: a layer that wraps a frozen Linear, and functions that put it into a model.

LoRA (Hu et al., 2021, eq. 3) keeps a pretrained weight W0 (d_out x d_in) frozen and learns a
low-rank update:

    h = W0 x + (lora_alpha / r) * B A x        A: (r, d_in), B: (d_out, r)

A starts random (Kaiming-uniform, as peft and loralib), B starts at zero, so at step 0 the model is
exactly the pretrained one. rsLoRA (Kalajdzievski, 2023) scales by lora_alpha / sqrt(r) instead.
After training, B A can be merged into W0, so inference costs nothing extra. Two variants are
options of the same layer, their maths in `lorakit.variants`: `use_dora=True` (DoRA, a learned
magnitude per output row) and `init_lora_weights="pissa"` (A and B from W0's top singular vectors).

Design: we wrap rather than subclass (`LoRALinear(base, ...)` keeps the original layer as
`base_layer`), use peft's names (`lora_A`, `lora_B`, `r`, `lora_alpha`, `scaling`) so that a learner
can move to peft without translating, and merge only when `merge()` is called.

Speed: the same values as peft's layer (to float rounding), computed in fewer and better-shaped
matmuls. A training step goes through `MergedWeightLoRA` (one matmul with W0 + s B A, and the
hand-derived gradients of notebook 02 in backward); prediction uses one fused `torch.addmm` for the
update (`LoRALinear.add_update`). `benchmarks/` measures both against peft and the frozen-body floor.
"""
import contextlib
import math
import re
import warnings
from dataclasses import asdict, dataclass, field

import torch
from torch import nn

from . import quant, variants
from .errors import ConfigError, LorakitWarning, MergeError
from .variants import loraplus_param_groups  # noqa: F401  (LoRA+, re-exported: lorakit.lora.loraplus_param_groups)

try:  # GPT-2 style layers store the weight as (d_in, d_out) and compute x @ W + b.
    from transformers.pytorch_utils import Conv1D
except ImportError:  # pragma: no cover - transformers is a dependency, but the layer works without it
    Conv1D = ()

# Output layers of the task heads: "all-linear" never adapts them (they are trained whole instead).
HEAD_NAMES = ("classifier", "qa_outputs", "score", "lm_head")
TOP_LAYERS = re.compile(r"top-(\d+)(?:/(\d+))?")   # target_modules "top-K" or "top-N/D" (`top_layers`)


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
    if init_lora_weights is not True and init_lora_weights not in ("gaussian", "pissa"):
        raise ConfigError(f"init_lora_weights must be one of {variants.INIT_CHOICES}, got {init_lora_weights!r}")


class LoRALinear(nn.Module):
    """A frozen `nn.Linear` (or GPT-2 `Conv1D`) plus a trainable low-rank update.

    Args:
        base: the layer to adapt; it is kept, frozen, as `self.base_layer`.
        r: rank of the update.
        lora_alpha: scale numerator; `scaling = lora_alpha / r` (or `/ sqrt(r)` with rsLoRA).
        lora_dropout: dropout applied to the input of the LoRA path only.
        use_rslora: scale by lora_alpha / sqrt(r) (rank-stabilised LoRA).
        use_dora: learn a magnitude per output row as well (DoRA); see `variants.dora_forward`.
        init_lora_weights: True (Kaiming-uniform A, zero B), "gaussian" (A ~ N(0, 1/r), zero B)
            or "pissa" (see `variants.pissa_init`; it changes the base weight to the residual).

    Example:
        >>> layer = LoRALinear(nn.Linear(6, 4), r=2, lora_alpha=4)
        >>> layer.lora_A.weight.shape, layer.lora_B.weight.shape, layer.scaling
        (torch.Size([2, 6]), torch.Size([4, 2]), 2.0)
        >>> x = torch.randn(3, 6)
        >>> torch.equal(layer(x), layer.base_layer(x))  # B = 0: starts at the pretrained model
        True
    """

    def __init__(self, base, r, lora_alpha, lora_dropout=0.0, use_rslora=False, use_dora=False,
                 init_lora_weights=True):
        super().__init__()
        check_lora_options(r, lora_alpha, lora_dropout, init_lora_weights)
        if not isinstance(base, (nn.Linear, Conv1D)):
            raise ConfigError(f"LoRALinear wraps nn.Linear or Conv1D layers, got {type(base).__name__}")
        self.base_layer = base
        self.fan_in_fan_out = not isinstance(base, nn.Linear)  # Conv1D: weight is (d_in, d_out)
        d_out, d_in = self.base_weight_shape()
        self.in_features, self.out_features = d_in, d_out
        self.r, self.lora_alpha, self.use_rslora = r, lora_alpha, use_rslora
        self.scaling = lora_alpha / (math.sqrt(r) if use_rslora else r)
        self.lora_dropout = nn.Dropout(lora_dropout) if lora_dropout > 0 else nn.Identity()
        weight = base.weight
        self.lora_A = nn.Linear(d_in, r, bias=False, device=weight.device)   # A: (r, d_in)
        self.lora_B = nn.Linear(r, d_out, bias=False, device=weight.device)  # B: (d_out, r)
        self.use_dora, self.init_lora_weights = use_dora, init_lora_weights
        self.reset_lora_parameters()
        for p in base.parameters():
            p.requires_grad_(False)
        if use_dora:  # DoRA eq. 5: m = ||W0 + s B A||_row, so the layer starts as W0
            norm = variants.weight_norm(self.base_weight(), self.get_delta_weight_rows().detach())
            self.lora_magnitude_vector = nn.Parameter(norm)  # m: (d_out,)
        self.merged = False

    @torch.no_grad()
    def reset_lora_parameters(self):
        """Initialise A and B as `init_lora_weights` says (peft's `reset_lora_parameters`)."""
        if self.init_lora_weights == "pissa":
            variants.pissa_init(self)
            return
        if self.init_lora_weights == "gaussian":
            nn.init.normal_(self.lora_A.weight, std=1 / self.r)
        else:
            nn.init.kaiming_uniform_(self.lora_A.weight, a=math.sqrt(5))
        nn.init.zeros_(self.lora_B.weight)

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
        if self.use_dora:
            return variants.dora_forward(self, x.to(self.lora_A.weight.dtype), result).to(result.dtype)
        return self.add_update(result, x)

    def folds(self, x):
        """Whether this training step can go through `MergedWeightLoRA` (the faster path): plain
        LoRA with gradients on, the base layer frozen, no active dropout, on a CPU or CUDA without
        autocast, W0 in x's dtype (not NF4)."""
        A = self.lora_A.weight
        return (torch.is_grad_enabled() and A.requires_grad and not self.merged and not self.use_dora
                and not any(p.requires_grad for p in self.base_layer.parameters())
                and (isinstance(self.lora_dropout, nn.Identity) or not self.training)
                and x.device.type in ("cpu", "cuda") and not torch.is_autocast_enabled(x.device.type)
                and not isinstance(self.base_layer, quant.NF4Linear)
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
        if isinstance(self.base_layer, quant.NF4Linear):
            raise MergeError("the base layer is stored in 4 bits (NF4): merging would re-quantise "
                             "W0 + s B A and round off part of the update; merge into a de-quantised "
                             "copy instead (merge_and_unload(model) de-quantises, then merges)")
        weight = self.base_layer.weight
        if self.use_dora:
            merged_weight, self._dora_norm = variants.dora_merged_weight(self)
            self.set_base_weight(merged_weight.to(weight.dtype))
        else:
            weight += self.get_delta_weight().to(weight.dtype)
        self.merged = True

    @torch.no_grad()
    def unmerge(self):
        """Subtract the update again, restoring W0 (to floating-point rounding)."""
        if not self.merged:
            raise MergeError("this LoRA layer is not merged, so there is nothing to unmerge")
        weight = self.base_layer.weight
        if self.use_dora:
            self.set_base_weight(variants.dora_unmerged_weight(self, self._dora_norm).to(weight.dtype))
        else:
            weight -= self.get_delta_weight().to(weight.dtype)
        self.merged = False

    def extra_repr(self):
        dora = ", use_dora=True" if self.use_dora else ""
        return f"r={self.r}, lora_alpha={self.lora_alpha}, scaling={self.scaling:g}{dora}, merged={self.merged}"


class MergedWeightLoRA(torch.autograd.Function):
    """A LoRA training step through the merged weight, with the backward derived in notebook 02.

    Forward: H = X (W0 + s B A)^T + b, one matmul of the frozen layer's size; the update is folded
    into a (d_out, d_in) weight first (cheap: r multiply-adds per entry), so no (n, d_out) tensor
    B A x is made. Backward (`lorakit.grads.lora_grads`, with n = the tokens of the batch):

        dL/dX = G (W0 + s B A)     (n, d_in)    the frozen layer's own backward, on the merged weight
        dL/dB = s G^T (X A^T)      (d_out, r)   computed as (X A^T)^T G, then transposed
        dL/dA = s (G B)^T X        (r, d_in)

    so autograd never forms dL/dW (d_out, d_in) nor adds two (n, d_in) gradients of X. Each product
    is ordered so that its thin (r-wide) operand is on the side the BLAS call reads fastest; the
    merged weight is recomputed in backward rather than kept, so training holds no extra weight copy.
    On a 2-core CPU this took a (2048 x 384) LoRA layer's forward + backward from 1.45x the frozen
    layer's (peft's order of operations: 1.63x) to 1.13x. Values equal peft's to float rounding.

    >>> x = torch.randn(5, 4, requires_grad=True)
    >>> W0, A, B = torch.randn(3, 4), torch.randn(2, 4, requires_grad=True), torch.randn(3, 2, requires_grad=True)
    >>> h = MergedWeightLoRA.apply(x, W0, None, A, B, 0.5)
    >>> torch.allclose(h, x @ W0.T + 0.5 * (x @ A.T) @ B.T, atol=1e-6)
    True
    """

    @staticmethod
    def forward(ctx, x, W0, bias, A, B, scaling):  # x: (..., d_in), W0: (d_out, d_in)
        ax = nn.functional.linear(x, A)                                           # (..., r)
        ctx.save_for_backward(x, ax, W0, A, B)
        ctx.scaling = scaling
        return nn.functional.linear(x, torch.addmm(W0, B, A, alpha=scaling), bias)  # (..., d_out)

    @staticmethod
    def backward(ctx, grad_h):  # grad_h: (..., d_out)
        x, ax, W0, A, B = ctx.saved_tensors
        s = ctx.scaling
        G, X, XA = grad_h.reshape(-1, grad_h.shape[-1]), x.reshape(-1, x.shape[-1]), ax.reshape(-1, A.shape[0])
        grad_x = grad_h @ torch.addmm(W0, B, A, alpha=s) if ctx.needs_input_grad[0] else None
        grad_B = (XA.T @ G).T * s                                # (d_out, r)
        grad_A = (nn.functional.linear(G, B.T.contiguous()).T @ X) * s   # (r, n) @ (n, d_in)
        return grad_x, None, None, grad_A, grad_B, None


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


def _matches(name, targets):
    """peft's rule: a regex string must match the whole name; a list entry matches the name or its tail."""
    if isinstance(targets, str):
        return re.fullmatch(targets, name) is not None
    return any(name == t or name.endswith("." + t) for t in targets)


def linear_layer_names(model):
    """Names of every nn.Linear / Conv1D in `model` (what `target_modules` can pick from).

    >>> linear_layer_names(nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)))
    ['0', '2']
    """
    return [n for n, m in model.named_modules() if isinstance(m, (nn.Linear, Conv1D)) and n]


def layer_stack(model):
    """(path, number of blocks) of the model's stack of repeated blocks: its longest nn.ModuleList
    (a Llama's `model.layers`, BERT's `encoder.layer`, GPT-2's `transformer.h`).

    >>> layer_stack(nn.Sequential(nn.ModuleList([nn.Linear(2, 2)] * 3), nn.Linear(2, 1)))
    ('0', 3)
    """
    stacks = [(name, len(m)) for name, m in model.named_modules() if isinstance(m, nn.ModuleList) and name]
    if not stacks:
        raise ConfigError("target_modules 'top-K' needs a model built as a stack of blocks (an nn.ModuleList); "
                          "this one has none: give layer names or a regex")
    return max(stacks, key=lambda s: s[1])


def top_layers(model, target_modules):
    r"""`target_modules` with "top-K" written out as the regex it stands for: every Linear layer in
    the last K blocks of the model's layer stack ("top-N/D": that fraction of the blocks, rounded),
    each named in full, so that peft, which wraps every module a regex matches, finds the same layers.
    Backward then stops at the lowest adapted block, so a step costs less than with "all-linear"
    (the chat task's default is "top-2/3", see `ChatTask.defaults`). Other values are returned as
    they are.

    >>> stack = nn.Sequential(nn.ModuleList([nn.Sequential(nn.Linear(2, 2)) for _ in range(4)]))
    >>> top_layers(stack, "top-2"), find_target_modules(stack, "top-3/4"), top_layers(stack, ["0.1.0"])
    ('0\\.(2|3)\\.(0)', ['0.1.0', '0.2.0', '0.3.0'], ['0.1.0'])
    """
    top = TOP_LAYERS.fullmatch(target_modules) if isinstance(target_modules, str) else None
    if top is None:
        return target_modules
    path, count = layer_stack(model)
    k = int(top.group(1))
    if top.group(2):                                   # "top-N/D": a fraction of the blocks, at most 1
        n, d = k, int(top.group(2))
        k = round(count * n / d) if 0 < n <= d else 0
    if not 1 <= k <= count:
        raise ConfigError(f"target_modules {target_modules!r}: this model has {count} blocks ({path}); "
                          f"use top-1 to top-{count}, or a fraction such as top-2/3")
    indices = [str(i) for i in range(count - k, count)]
    blocks = [f"{path}.{i}." for i in indices]
    inner = sorted({name[len(b):] for name in linear_layer_names(model) for b in blocks if name.startswith(b)})
    return (re.escape(path) + r"\.(" + "|".join(indices) + r")\.(" + "|".join(map(re.escape, inner)) + ")")


def find_target_modules(model, target_modules, modules_to_save=None):
    """The names of the layers that `target_modules` selects, or a ConfigError that lists the choices.

    `target_modules` is a list of names (a name matches a layer whose path ends with it), a regex
    that must match a whole path, "all-linear": every Linear except the task head, or "top-K":
    every Linear in the last K blocks (`top_layers`).
    """
    target_modules = top_layers(model, target_modules)
    names = linear_layer_names(model)
    keep = modules_to_save or []
    if target_modules == "all-linear":
        chosen = [n for n in names if n.split(".")[-1] not in HEAD_NAMES and not _matches(n, keep)]
    else:
        if isinstance(target_modules, (list, tuple, set)) and not target_modules:
            raise ConfigError("target_modules is empty: give layer names, a regex or 'all-linear'")
        if isinstance(target_modules, str):
            try:
                re.compile(target_modules)
            except re.error as e:
                raise ConfigError(f"target_modules {target_modules!r} is not a valid regular expression: {e}") from None
        chosen = [n for n in names if _matches(n, target_modules)]
    if not chosen:
        short = sorted({n.split(".")[-1] for n in names})
        raise ConfigError(f"target_modules {target_modules!r} matches no Linear layer; "
                          f"this model has: {', '.join(short)}")
    return chosen


def check_rank(model, names, r):
    """Raise ConfigError if rank `r` exceeds a chosen layer's min(d_in, d_out); warn above half of it.

    An update B A of a (d_out, d_in) weight has rank at most min(d_in, d_out), so a larger r only
    adds parameters (and memory) that cannot help. Above half of it, LoRA's factors are about as
    large as the weight they adapt.

    >>> check_rank(nn.Sequential(nn.Linear(8, 4)), ["0"], r=5)
    Traceback (most recent call last):
    lorakit.errors.ConfigError: rank r=5 is larger than layer 0 allows: its weight is 4 x 8, so an update has rank at most 4
    """
    widths = {name: min(model.get_submodule(name).weight.shape) for name in names}
    name = min(widths, key=widths.get)
    if r > widths[name]:
        rows, columns = model.get_submodule(name).weight.shape
        raise ConfigError(f"rank r={r} is larger than layer {name} allows: its weight is "
                          f"{rows} x {columns}, so an update has rank at most {widths[name]}")
    if r > widths[name] / 2:
        warnings.warn(f"rank r={r} is above half of the width of layer {name} ({widths[name]}): "
                      f"LoRA's factors are then about as large as the weight itself",
                      LorakitWarning, stacklevel=3)


def _set_submodule(model, name, module):
    parent_name, _, child = name.rpartition(".")
    setattr(model.get_submodule(parent_name) if parent_name else model, child, module)


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
    if any(isinstance(m, LoRALinear) for m in model.modules()):
        raise ConfigError("this model already has LoRA layers; load a fresh base model first")
    target_modules = top_layers(model, target_modules)    # "top-K" -> its regex, which peft reads
    chosen = find_target_modules(model, target_modules, modules_to_save)
    if init_lora_weights == "pissa" and any(isinstance(model.get_submodule(n), quant.NF4Linear)
                                            for n in chosen):
        raise ConfigError("PiSSA needs the full-precision W0, but the model is already stored in NF4: "
                          "load it unquantised and pass quantize='nf4', which quantises PiSSA's residual")
    check_rank(model, chosen, r)
    saved = _find_modules_to_save(model, modules_to_save)
    for p in model.parameters():
        p.requires_grad_(False)
    for name in chosen:
        base = model.get_submodule(name)
        _set_submodule(model, name, LoRALinear(base, r, lora_alpha, lora_dropout, use_rslora,
                                               use_dora, init_lora_weights))
    for module in saved:
        for p in module.parameters():
            p.requires_grad_(True)
    if quantize:
        quant.quantize_model(model, "all-linear", modules_to_save)
        with torch.no_grad():
            for layer in lora_layers(model).values():
                if layer.use_dora:  # m = ||W0 + s B A||_row of the quantised W0
                    layer.lora_magnitude_vector.copy_(
                        variants.weight_norm(layer.base_weight(), layer.get_delta_weight_rows()))
    if target_modules == "all-linear":  # record what it resolved to, so peft picks the same layers
        target_modules = sorted({n.split(".")[-1] for n in chosen})
    model.lora_config = LoraConfig(
        r=r, lora_alpha=lora_alpha, lora_dropout=lora_dropout, use_rslora=use_rslora,
        use_dora=use_dora, init_lora_weights=init_lora_weights, target_modules=target_modules if isinstance(target_modules, str) else list(target_modules),
        modules_to_save=list(modules_to_save) if modules_to_save else None,
        fan_in_fan_out=any(m.fan_in_fan_out for m in lora_layers(model).values()))
    return model


def _find_modules_to_save(model, modules_to_save):
    if not modules_to_save:
        return []
    found = [m for n, m in model.named_modules() if n and _matches(n, modules_to_save)]
    if not found:
        top = sorted({n.split(".")[-1] for n, _ in model.named_modules() if n})
        raise ConfigError(f"modules_to_save {list(modules_to_save)} matches no module; "
                          f"this model has: {', '.join(top)}")
    return found


def lora_layers(model):
    """{name: LoRALinear} for every LoRA layer in `model`."""
    return {n: m for n, m in model.named_modules() if isinstance(m, LoRALinear)}


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

    >>> net = apply_lora(nn.Sequential(nn.Linear(4, 4)), ["0"], r=2)
    >>> _ = nn.init.ones_(net[0].lora_B.weight)
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

    >>> net = apply_lora(nn.Sequential(nn.Linear(4, 4)), ["0"], r=2)
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

    >>> net = apply_lora(nn.Sequential(nn.Linear(4, 4)), ["0"], r=2)
    >>> before = net[0].base_layer.weight.clone()
    >>> with merged(net):
    ...     net[0].merged
    True
    >>> net[0].merged, torch.equal(net[0].base_layer.weight, before)
    (False, True)
    """
    layers = [layer for layer in lora_layers(model).values()
              if not layer.merged and not isinstance(layer.base_layer, quant.NF4Linear)]
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
    quantized = [m for m in model.modules() if isinstance(m, quant.NF4Linear)]
    if quantized:
        warnings.warn(f"merge_and_unload de-quantised {len(quantized)} NF4 layers to merge into them: "
                      f"the merged model holds full-precision weights", LorakitWarning, stacklevel=2)
        quant.dequantize_model(model)
    for name, layer in lora_layers(model).items():
        if not layer.merged:
            layer.merge()
        _set_submodule(model, name, layer.base_layer)
    if hasattr(model, "lora_config"):
        del model.lora_config
    return model


def count_parameters(model, print_report=False):
    """(trainable, total) parameter counts; with print_report, print them as peft does.

    >>> count_parameters(nn.Linear(4, 3))
    (15, 15)
    """
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    # A 4-bit base (lorakit.quant.NF4Linear) keeps its weights as packed buffers: count the weights.
    packed = sum(math.prod(m.weight_shape) for m in model.modules() if hasattr(m, "weight_packed"))
    total = sum(p.numel() for p in model.parameters()) + packed
    if print_report:
        print(f"trainable params: {trainable:,} || all params: {total:,} "
              f"|| trainable%: {100 * trainable / max(total, 1):.4f}")
    return trainable, total
