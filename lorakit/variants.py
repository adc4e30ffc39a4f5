"""Three LoRA variants, each a few functions that `LoRALinear` and the training loop call.

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
"""
import torch
import torch.nn.functional as F
from torch import nn

# The init_lora_weights values lorakit implements (peft's names): True is Kaiming-uniform A, zero B.
INIT_CHOICES = (True, "gaussian", "pissa")


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

    >>> from lorakit.lora import LoRALinear
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

    >>> from lorakit.lora import LoRALinear
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

    >>> from lorakit.lora import LoRALinear
    >>> layer = LoRALinear(nn.Linear(4, 3), r=2, lora_alpha=2, use_dora=True)
    >>> w0 = layer.base_layer.weight.clone(); layer.merge()
    >>> torch.allclose(dora_unmerged_weight(layer, layer._dora_norm), w0, atol=1e-6)
    True
    """
    delta = layer.scaling * (layer.lora_B.weight @ layer.lora_A.weight)
    return layer.base_weight() / (layer.lora_magnitude_vector / norm).view(-1, 1) - delta


# ----------------------------------------------------------------------------- PiSSA
@torch.no_grad()
def pissa_init(layer):
    """Set A, B from the top-r singular triplets of W0 and leave the residual in the base layer.

    W0 = U S V^T (PiSSA eq. 2); with S_r divided by the scaling s, as peft does (so s B A is the
    rank-r part of W0 whatever lora_alpha is): A = sqrt(S_r / s) V_r^T (r, d_in),
    B = U_r sqrt(S_r / s) (d_out, r), and W_res = W0 - s B A (eq. 3).

    >>> from lorakit.lora import LoRALinear
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
    from . import quant
    U, S, Vh = torch.linalg.svd(weight, full_matrices=False)  # (d_out, k), (k,), (k, d_in)
    principal = U[:, :r] @ torch.diag(S[:r]) @ Vh[:r]           # (d_out, d_in)
    residual = weight - principal
    restored = quant.dequantize_nf4(*quant.quantize_nf4(residual)) + principal
    return ((restored - weight).norm() / weight.norm()).item()


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

    >>> from lorakit.lora import apply_lora
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
