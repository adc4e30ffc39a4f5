"""NF4 from scratch: QLoRA's 4-bit code, block-wise quantisation and double quantisation (lesson 15).

QLoRA (Dettmers et al., 2023, arXiv 2305.14314) stores the frozen weights in 4 bits and
de-quantises them, block by block, only when a layer runs (eq. 5-6). Three ideas, one section each:
  1. NF4 (section 3, eq. 4): 16 code values that are quantiles of N(0, 1), scaled to [-1, 1], so that
     normally distributed weights fall into each code equally often.
  2. Block-wise absmax quantisation (eq. 1-2): every block of 64 weights is divided by its largest
     magnitude (a constant c2, fp32) and each weight becomes the index of the nearest code (4 bits).
  3. Double quantisation (section 3, "Double Quantization"): the fp32 block constants are themselves
     quantised to 8 bits in blocks of 256 (mean subtracted first), 4.5 -> 4.127 bits per parameter.

Design: plain functions on tensors, no layers (`lorakit.nf4_layer` stores a Linear this way,
`lorakit.quant` quantises a model). They follow bitsandbytes (`quantize_nf4`, `dequantize_nf4`,
`quantize_blockwise`, `QuantState` with its field names) and reproduce its CPU results bit for bit,
quirks included (each quirk is named where it is copied); tests/test_quant.py proves the equality.

Example:
    >>> w = torch.randn(8, 64)
    >>> packed, state = quantize_nf4(w)
    >>> packed.shape, packed.dtype, state.absmax.dtype  # two 4-bit codes per byte; 8-bit constants
    (torch.Size([256, 1]), torch.uint8, torch.uint8)
    >>> bool((dequantize_nf4(packed, state) - w).abs().max() < 0.2 * w.abs().max())
    True
"""
from dataclasses import dataclass

import torch
from torch.nn import functional as F

NF4_OFFSET = 0.9677083  # 1 - (1/30 + 1/32) / 2: the outermost probability, as in bitsandbytes
BLOCKSIZE = 64          # weights per fp32 constant (QLoRA section 3)
NESTED_BLOCKSIZE = 256  # constants per second-level constant (double quantisation)
LUT_STEPS = 65535       # bitsandbytes' CPU 8-bit kernel first snaps x/absmax to 65536 grid points
ZERO_INDEX = 7          # the NF4 code 0.0


# 1. The code values -------------------------------------------------------------------------

def nf4_code():
    """The 16 NF4 values (QLoRA eq. 4): quantiles of N(0, 1), normalised to [-1, 1], sorted.

    Asymmetric, so that 0 is exact: 8 quantiles above 0 (the largest becomes 1.0) and 7 below,
    at evenly spaced probabilities from NF4_OFFSET down to 1/2 (excluded), as bitsandbytes does.

    >>> code = nf4_code()
    >>> code.shape, code[0].item(), code[7].item(), code[15].item(), int((code > 0).sum())
    (torch.Size([16]), -1.0, 0.0, 1.0, 8)
    """
    probs_pos = torch.linspace(NF4_OFFSET, 0.5, 9, dtype=torch.float32)[:-1].double()  # (8,)
    probs_neg = torch.linspace(NF4_OFFSET, 0.5, 8, dtype=torch.float32)[:-1].double()  # (7,)
    quantiles = torch.cat([-torch.special.ndtri(probs_neg), torch.zeros(1, dtype=torch.float64),
                           torch.special.ndtri(probs_pos)])  # Q_X(p) = inverse normal CDF
    values = quantiles.float().sort().values  # (16,)
    return values / values.max()


def dynamic_map():
    """bitsandbytes' signed 8-bit "dynamic" code (Dettmers, 2016, arXiv 1511.04561), 256 values.

    For each exponent 10^-6 ... 10^0 the 2^i midpoints of an even grid on [0.1, 1], with both
    signs, plus 0 and 1: fine steps near zero, coarse ones near +-1. Double quantisation uses it.

    >>> code = dynamic_map()
    >>> code.shape, code[0].item() > -1, code[127].item(), code[255].item()
    (torch.Size([256]), True, 0.0, 1.0)
    """
    values = [0.0, 1.0]
    for i in range(7):
        edges = torch.linspace(0.1, 1, 2**i + 1, dtype=torch.float32)
        means = (edges[:-1] + edges[1:]) / 2.0  # (2^i,)
        values += ((10 ** (i - 6)) * means).tolist() + (-(10 ** (i - 6)) * means).tolist()
    return torch.tensor(sorted(values), dtype=torch.float32)


def _midpoints(code):
    """Decision boundaries between sorted codes: x goes to the nearest code, a tie to the lower."""
    return (code[:-1] + code[1:]) / 2


# 2. Block-wise absmax quantisation to NF4 ---------------------------------------------------

@dataclass
class QuantState:
    """What de-quantisation needs besides the codes; bitsandbytes' `QuantState` field names.

    absmax: one constant per block, fp32 (or uint8 codes when nested); shape, dtype: the original
    tensor's; offset and state2 (the constants' own QuantState): set by double quantisation.

    >>> state = quantize_nf4(torch.randn(4, 100), compress_statistics=False)[1]
    >>> state.absmax.shape, state.shape, state.nested  # 400 weights: 6 full blocks and one of 16
    (torch.Size([7]), torch.Size([4, 100]), False)
    """

    absmax: torch.Tensor
    shape: torch.Size
    dtype: torch.dtype
    blocksize: int = BLOCKSIZE
    offset: torch.Tensor = None
    state2: "QuantState" = None

    @property
    def nested(self):
        return self.state2 is not None


def _absmax_scale(flat, blocksize):
    """(absmax per block, flat / absmax clamped to [-1, 1]); the last block may be shorter.

    As bitsandbytes: full blocks are multiplied by 1/absmax, the short last block is divided by
    its absmax, and an all-zero block is scaled by 1e38 (so it stays 0) but stores absmax 0.
    """
    n = flat.numel()
    full = n - n % blocksize
    blocks = flat[:full].view(-1, blocksize)                    # (n_full_blocks, blocksize)
    absmax = blocks.abs().amax(dim=1)                            # (n_full_blocks,)
    scaled = [(blocks * (1.0 / absmax.clamp(min=1e-38)).view(-1, 1)).reshape(-1)]
    if full < n:
        tail_max = flat[full:].abs().amax()
        absmax = torch.cat([absmax, tail_max.view(1)])           # (n_blocks,)
        scaled.append(flat[full:] / tail_max.clamp(min=1e-38))
    return absmax, torch.cat(scaled).clamp(-1, 1)                # (n_blocks,), (n,)


def pack_nibbles(indices, pad=0):
    """Two 4-bit indices per byte, the first in the high nibble; an odd length gets `pad` at the end.

    >>> pack_nibbles(torch.tensor([1, 2, 15])).flatten().tolist()  # 0x12, 0xF0
    [18, 240]
    """
    indices = indices.to(torch.uint8)
    if indices.numel() % 2:
        indices = torch.cat([indices, indices.new_full((1,), pad)])
    return ((indices[0::2] << 4) | indices[1::2]).view(-1, 1)  # (ceil(n / 2), 1), as bitsandbytes


def unpack_nibbles(packed, n):
    """The first n 4-bit indices of `packed`, high nibble first (inverse of `pack_nibbles`).

    >>> unpack_nibbles(torch.tensor([[18], [240]], dtype=torch.uint8), 3).tolist()
    [1, 2, 15]
    """
    packed = packed.view(-1)
    return torch.stack([packed >> 4, packed & 0x0F], dim=1).view(-1)[:n].long()  # (n,)


def quantize_nf4(A, blocksize=BLOCKSIZE, compress_statistics=True):
    """Quantise A to NF4 in blocks (QLoRA eq. 1 with the NF4 code); returns (packed, QuantState).

    Each x becomes the index of the code nearest to x / absmax(block) (ties: the lower code).
    compress_statistics=True adds double quantisation of the absmax values, as QLoRA and
    bitsandbytes' Linear4bit do (bitsandbytes' `quantize_nf4` defaults to False).

    >>> packed, state = quantize_nf4(torch.tensor([0.5, -1.0, 0.0]), compress_statistics=False)
    >>> packed.flatten().tolist()  # indices 12, 0 | 7 and a 7 for padding
    [192, 119]
    >>> state.absmax.tolist()
    [1.0]
    """
    absmax, scaled = _absmax_scale(A.reshape(-1).float(), blocksize)  # (n_blocks,), (n,)
    indices = torch.bucketize(scaled, _midpoints(nf4_code().to(A.device)))  # (n,) in 0 ... 15
    packed = pack_nibbles(indices, pad=ZERO_INDEX)  # bitsandbytes pads x / absmax with a 0
    state = QuantState(absmax, A.shape, A.dtype, blocksize)
    return packed, (double_quantize(state) if compress_statistics else state)


def dequantize_nf4(A, quant_state, dtype=None):
    """The weight back from packed NF4 codes (QLoRA eq. 6): code[index] * absmax of its block.

    The product is taken in fp32, then cast to `dtype` (default: the original dtype).

    >>> w = torch.randn(3, 70)
    >>> restored = dequantize_nf4(*quantize_nf4(w))
    >>> restored.shape == w.shape, restored.dtype
    (True, torch.float32)
    """
    absmax = dequantize_absmax(quant_state)           # (n_blocks,) fp32
    n, bs = quant_state.shape.numel(), quant_state.blocksize
    values = nf4_code().to(A.device)[unpack_nibbles(A, n)]  # (n,) in [-1, 1]
    values = F.pad(values, (0, absmax.numel() * bs - n)).view(-1, bs) * absmax.view(-1, 1)
    return values.view(-1)[:n].to(dtype or quant_state.dtype).view(quant_state.shape)


# 3. Double quantisation: 8-bit block-wise quantisation of the constants ---------------------

def _snap_to_grid(scaled):
    """bitsandbytes' CPU 8-bit kernel: i = int((x + 1) / 2 * 65535 + 0.5), and the grid point
    -1 + 2 i / 65535 whose nearest code its lookup table holds (fp32 throughout, as in C)."""
    steps = (scaled.clamp(-1, 1) + 1) * 0.5                                   # in [0, 1]
    index = (steps * LUT_STEPS + 0.5).trunc()                                 # 0 ... 65535
    return -1.0 + (2.0 * index) / LUT_STEPS


def quantize_blockwise(A, code, blocksize=NESTED_BLOCKSIZE):
    """8-bit block-wise quantisation of a 1-D fp32 tensor (bitsandbytes' CPU kernel, bit for bit).

    Returns (uint8 codes, fp32 absmax per block). x * (1 / absmax) is snapped to bitsandbytes'
    65536-point grid, then mapped to the nearest code; an all-zero block gets index 0.

    >>> codes, absmax = quantize_blockwise(torch.tensor([0.5, -0.25, 1.0]), dynamic_map())
    >>> codes.tolist(), [round(v, 4) for v in dequantize_blockwise(codes, absmax, dynamic_map()).tolist()]
    ([219, 53, 255], [0.5008, -0.2477, 1.0])
    """
    blocks = F.pad(A, (0, -A.numel() % blocksize)).view(-1, blocksize)        # (n_blocks, blocksize)
    absmax = blocks.abs().amax(dim=1)                                         # (n_blocks,)
    scaled = blocks * (1.0 / absmax).view(-1, 1)
    codes = torch.bucketize(_snap_to_grid(scaled), _midpoints(code))
    codes = torch.where(absmax.view(-1, 1) == 0, 0, codes).to(torch.uint8)
    return codes.view(-1)[:A.numel()].clone(), absmax


def dequantize_blockwise(codes, absmax, code, blocksize=NESTED_BLOCKSIZE):
    """code[codes] * absmax of its block, in fp32 (inverse of `quantize_blockwise`).

    >>> dequantize_blockwise(torch.tensor([0, 255], dtype=torch.uint8), torch.tensor([2.0]), dynamic_map())
    tensor([-1.9859,  2.0000])
    """
    n = codes.numel()
    values = F.pad(code[codes.long()], (0, absmax.numel() * blocksize - n))   # (n_blocks * blocksize,)
    return (values.view(-1, blocksize) * absmax.view(-1, 1)).view(-1)[:n]


def double_quantize(quant_state):
    """Quantise the fp32 block constants to 8 bits in blocks of 256 (QLoRA section 3).

    The constants are all positive, so their mean (`offset`) is subtracted first to use the
    symmetric 8-bit code fully, exactly as bitsandbytes' quantize_4bit(compress_statistics=True).

    >>> state = double_quantize(QuantState(torch.rand(300) + 1, torch.Size([300 * 64]), torch.float32))
    >>> state.absmax.dtype, state.state2.absmax.shape, state.offset.shape
    (torch.uint8, torch.Size([2]), torch.Size([]))
    """
    absmax = quant_state.absmax
    offset = absmax.mean()
    codes, absmax2 = quantize_blockwise(absmax - offset, dynamic_map().to(absmax.device))
    state2 = QuantState(absmax2, absmax.shape, torch.float32, NESTED_BLOCKSIZE)
    return QuantState(codes, quant_state.shape, quant_state.dtype, quant_state.blocksize, offset, state2)


def dequantize_absmax(quant_state):
    """The fp32 block constants: stored as they are, or (nested) de-quantised plus `offset`.

    >>> state = QuantState(torch.tensor([0.5, 1.5]), torch.Size([128]), torch.float32)
    >>> [round(v, 4) for v in dequantize_absmax(double_quantize(state)).tolist()]  # offset 1 +- 0.5
    [0.5035, 1.5]

    (-1 is not in the dynamic map, whose lowest code is -0.993; +1 is.)
    """
    if not quant_state.nested:
        return quant_state.absmax
    state2 = quant_state.state2
    code = dynamic_map().to(state2.absmax.device)
    return dequantize_blockwise(quant_state.absmax, state2.absmax, code) + quant_state.offset


def state_tensors(packed, quant_state):
    """Every tensor stored for one quantised weight; the code tables are shared constants, not counted.

    >>> [tuple(t.shape) for t in state_tensors(*quantize_nf4(torch.randn(64, 64)))]  # + offset, absmax2
    [(2048, 1), (64,), (), (1,)]
    """
    tensors = [packed, quant_state.absmax]
    if quant_state.nested:
        tensors += [quant_state.offset, quant_state.state2.absmax]
    return tensors


def storage_bytes(tensors):
    """Bytes that the tensors' storages occupy (a view counts its whole storage).

    >>> storage_bytes([torch.zeros(10), torch.zeros(10, dtype=torch.uint8)])
    50
    """
    return sum(t.untyped_storage().nbytes() for t in tensors)


def bits_per_parameter(numel, blocksize=BLOCKSIZE, double_quant=True):
    """Bits per weight, measured on the tensors that quantising `numel` weights stores.

    QLoRA section 3: 4 + 32/64 = 4.5 without double quantisation and
    4 + 8/64 + 32/(64*256) = 4.127 with it (plus 32 bits of offset per tensor).

    >>> round(bits_per_parameter(64 * 256 * 64, double_quant=False), 3)
    4.5
    >>> round(bits_per_parameter(64 * 256 * 64), 3)
    4.127
    """
    packed, state = quantize_nf4(torch.zeros(numel), blocksize, compress_statistics=double_quant)
    return 8 * storage_bytes(state_tensors(packed, state)) / numel
