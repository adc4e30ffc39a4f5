"""A frozen Linear layer stored in NF4: QLoRA's base layer (lesson 15).

`NF4Linear` keeps only the packed 4-bit codes and block constants of its weight (`lorakit.nf4`) and
de-quantises the weight in each forward pass and again in backward (eq. 5-6 of QLoRA, Dettmers et
al., 2023), so training never holds a full-precision copy. It is an `nn.Linear`, so `LoRALinear`
wraps it unchanged; `lorakit.quant.quantize_model` puts it into a model.

Example:
    >>> layer = NF4Linear(nn.Linear(64, 8))
    >>> layer.weight.dtype, layer.weight_packed.dtype, layer(torch.randn(2, 64)).shape
    (torch.float32, torch.uint8, torch.Size([2, 8]))
"""
import torch
from torch import nn
from torch.nn import functional as F

from .nf4 import BLOCKSIZE, NESTED_BLOCKSIZE, QuantState, dequantize_nf4, quantize_nf4


class _NF4Matmul(torch.autograd.Function):
    """x W^T + b with W de-quantised in the forward pass and again in the backward pass, so that no
    full-precision copy of W is kept between the two (bitsandbytes' MatMul4Bit does the same)."""

    @staticmethod
    def forward(ctx, x, bias, layer, dtype):  # x: (..., d_in)
        ctx.layer = layer
        return F.linear(x, layer.dequantize(dtype), bias)  # (..., d_out)

    @staticmethod
    def backward(ctx, grad):  # grad: (..., d_out)
        grad_x = grad @ ctx.layer.dequantize(grad.dtype) if ctx.needs_input_grad[0] else None  # (..., d_in)
        grad_bias = grad.reshape(-1, grad.shape[-1]).sum(0) if ctx.needs_input_grad[1] else None
        return grad_x, grad_bias, None, None


class NF4Linear(nn.Linear):
    """A frozen nn.Linear stored in NF4 (+ double quantisation), de-quantised in each forward.

    A subclass of nn.Linear (not a wrapper) so that `LoRALinear` and `apply_lora` take it as a base
    layer. Only the packed codes and constants are stored (buffers, so they follow `.to(device)` and
    the state dict); the bias stays as it was. The backward pass de-quantises W again rather than
    keeping the full-precision W from the forward pass, so training holds no full copy either.
    `.weight` is a fresh de-quantised copy on each access: writing into it changes nothing, which is
    why `LoRALinear.merge()` refuses an NF4 base (`to_linear()` gives a plain layer to merge into).
    Set `compute_dtype` rather than calling `.half()`, which would also cast the fp32 constants.

    Args:
        linear: the layer to quantise (its weight is copied, the layer itself is not changed).
        compress_statistics: double-quantise the block constants (QLoRA's default).
        compute_dtype: dtype of the matmul; None uses the input's dtype (as bitsandbytes).

    Example:
        >>> layer = NF4Linear(nn.Linear(64, 32))
        >>> layer.weight.shape, layer.weight_packed.shape, layer(torch.randn(2, 64)).shape
        (torch.Size([32, 64]), torch.Size([1024, 1]), torch.Size([2, 32]))
    """

    def __init__(self, linear, compress_statistics=True, compute_dtype=None, blocksize=BLOCKSIZE):
        nn.Module.__init__(self)  # not nn.Linear.__init__: it would allocate a full-size weight
        self.in_features, self.out_features = linear.in_features, linear.out_features
        self.compute_dtype = compute_dtype
        packed, state = quantize_nf4(linear.weight.detach(), blocksize, compress_statistics)
        self.register_buffer("weight_packed", packed)  # (d_out * d_in / 2, 1) uint8
        self.register_buffer("absmax", state.absmax)   # (n_blocks,) fp32, or uint8 if nested
        self.register_buffer("offset", state.offset)
        self.register_buffer("nested_absmax", state.state2.absmax if state.nested else None)
        self.weight_shape, self.weight_dtype, self.blocksize = state.shape, state.dtype, blocksize
        bias = linear.bias
        self.bias = None if bias is None else nn.Parameter(bias.detach(), requires_grad=False)

    @property
    def quant_state(self):
        """The QuantState of the stored weight, rebuilt from the buffers (so it follows .to())."""
        state2 = None
        if self.nested_absmax is not None:
            state2 = QuantState(self.nested_absmax, self.absmax.shape, torch.float32, NESTED_BLOCKSIZE)
        return QuantState(self.absmax, self.weight_shape, self.weight_dtype, self.blocksize,
                          self.offset, state2)

    def dequantize(self, dtype=None):
        """The weight (d_out, d_in) de-quantised to `dtype` (default: the original weight's)."""
        return dequantize_nf4(self.weight_packed, self.quant_state, dtype)

    @property
    def weight(self):
        """The de-quantised weight (d_out, d_in): a new tensor, outside autograd, on each access."""
        with torch.no_grad():
            return self.dequantize()

    def forward(self, x):  # x: (..., d_in)
        dtype = self.compute_dtype or x.dtype
        bias = None if self.bias is None else self.bias.to(dtype)
        return _NF4Matmul.apply(x.to(dtype), bias, self, dtype).to(x.dtype)  # (..., d_out)

    def to_linear(self):
        """A plain frozen nn.Linear holding the de-quantised weight, in the original dtype, and the bias.

        >>> layer = NF4Linear(nn.Linear(64, 8))
        >>> plain = layer.to_linear()
        >>> type(plain).__name__, torch.equal(plain.weight, layer.weight)
        ('Linear', True)
        """
        linear = nn.Linear(self.in_features, self.out_features, bias=self.bias is not None, device="meta")
        linear.weight = nn.Parameter(self.weight, requires_grad=False)
        if self.bias is not None:
            linear.bias = nn.Parameter(self.bias.detach().clone(), requires_grad=False)
        return linear

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}, nf4, double_quant={self.nested_absmax is not None}")
