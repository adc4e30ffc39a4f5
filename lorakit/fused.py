"""The fused training path of a LoRA layer: one matmul with W0 + s B A, and a hand-written backward.

`LoRALinear` (lorakit.layer) has two ways to compute a training step, chosen by one switch, its
`fused` attribute (see STYLE.md, "A fast path beside the plain one"):

    plain   h = W0 x + s B (A x)             what lesson 03 shows; autograd derives the backward
    fused   h = (W0 + s B A) x               `MergedWeightLoRA`, the backward of lesson 02 by hand

Both give the same outputs and gradients to float rounding (tests/test_lora.py pins them together);
the fused one makes no (n, d_out) tensor for B A x and never forms dL/dW0.
`benchmarks/` measures both against peft and the frozen-body floor.
"""
import torch
from torch import nn


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
