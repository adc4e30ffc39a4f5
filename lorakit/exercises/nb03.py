"""Checkers for the exercises of lesson 03 (LoRA from scratch). Each returns a `Verdict`.

Exercises 1, 2 and 4 take your `MyLoRALinear` class itself, build it and `lorakit.LoRALinear`
with the same seed on a small layer (12 -> 8, r = 4, alpha = 8) and compare them.

Example:
    >>> check_3(337_920 - 6 * 8 * (384 + 1536))
    Exercise 3: not yet: each encoder layer has two feed-forward Linear layers (384 -> 1536 and 1536 -> 384).
"""
import torch
from torch import nn

from . import verdict


def pair(layer_class, **options):
    """(yours, lorakit's) with the same seed and the same non-zero B, or raise what yours raised."""
    from ..lora import LoRALinear
    layers = []
    for make in (layer_class, LoRALinear):
        torch.manual_seed(1)
        layers.append(make(nn.Linear(12, 8), r=4, lora_alpha=8, **options))
    with torch.no_grad():
        B = torch.randn(8, 4, generator=torch.Generator().manual_seed(2))
        for layer in layers:
            layer.lora_B.weight.copy_(B)
    return layers


def built(exercise, layer_class, **options):
    """(yours, lorakit's, None), or (None, None, verdict) when your class cannot be built."""
    try:
        return (*pair(layer_class, **options), None)
    except Exception as e:  # a learner's class may fail in any way; say how
        call = ", ".join(f"{k}={v}" for k, v in options.items())
        return None, None, verdict(exercise, [f"{layer_class.__name__}(base, r=4, lora_alpha=8, {call}) raised "
                                              f"{type(e).__name__}: {e}"])


def check_1(layer_class):
    """Your `MyLoRALinear` with a `lora_dropout` argument, compared with lorakit's in eval and train mode.

    >>> from lorakit.lora import LoRALinear
    >>> class NoDropout(LoRALinear):                  # takes lora_dropout, and ignores it
    ...     def __init__(self, base, r, lora_alpha, lora_dropout=0.0):
    ...         super().__init__(base, r, lora_alpha)
    >>> check_1(NoDropout)
    Exercise 1: not yet: in train() mode the outputs differ: apply dropout to the input of the LoRA path, once.
    """
    mine, ref, failed = built(1, layer_class, lora_dropout=0.5)
    if failed is not None:
        return failed
    x = torch.randn(5, 12, generator=torch.Generator().manual_seed(3))
    mine.eval(); ref.eval()
    with torch.no_grad():
        if not torch.allclose(mine(x), ref(x)):
            return verdict(1, ["in eval() mode the outputs differ: dropout must do nothing there"])
        mine.train(); ref.train()
        torch.manual_seed(7); out_mine = mine(x)
        torch.manual_seed(7); out_ref = ref(x)
    if not torch.allclose(out_mine, out_ref):
        return verdict(1, ["in train() mode the outputs differ: apply dropout to the input of the LoRA path, once"])
    return verdict(1, [])


def check_2(layer_class):
    """Your `MyLoRALinear` with a `use_rslora` argument, compared with lorakit's.

    >>> from lorakit.lora import LoRALinear
    >>> class Plain(LoRALinear):                      # takes use_rslora, and ignores it
    ...     def __init__(self, base, r, lora_alpha, use_rslora=False):
    ...         super().__init__(base, r, lora_alpha)
    >>> check_2(Plain)
    Exercise 2: not yet: with use_rslora=True the scaling is not rsLoRA's.
    """
    problems = []
    for rslora in (True, False):
        mine, ref, failed = built(2, layer_class, use_rslora=rslora)
        if failed is not None:
            return failed
        if abs(float(getattr(mine, "scaling", float("nan"))) - ref.scaling) > 1e-12:
            problems.append(f"with use_rslora={rslora} the scaling is not " + ("rsLoRA's" if rslora else "alpha / r"))
            continue
        x = torch.randn(5, 12, generator=torch.Generator().manual_seed(3))
        with torch.no_grad():
            if not torch.allclose(mine(x), ref(x)):
                problems.append(f"with use_rslora={rslora} the outputs differ from lorakit.LoRALinear")
    return verdict(2, problems)


def check_3(trainable):
    """Your prediction of what apply_lora(model, "all-linear", r=8, ...) trains on MiniLM, as an int
    (with or without the classifier head's 770, say which by the number you give).

    >>> check_3(338_690)
    Exercise 3: correct.
    """
    if not isinstance(trainable, int) or isinstance(trainable, bool):
        return verdict(3, ["give the count as a whole number (an int)"])
    square, up, down = 8 * (384 + 384), 8 * (384 + 1536), 8 * (1536 + 384)
    lora = 6 * (4 * square + up + down) + square              # 6 encoder layers, then the pooler
    for head in (0, 770):
        if trainable == lora + head:
            return verdict(3, [])
        if trainable == lora - square + head:
            return verdict(3, ["the pooler (384 -> 384) is a Linear layer too"])
        if trainable in (lora - 6 * up + head, lora - 6 * down + head):
            return verdict(3, ["each encoder layer has two feed-forward Linear layers (384 -> 1536 and 1536 -> 384)"])
    return verdict(3, ["per encoder layer: query, key, value and attention output (384 -> 384), "
                       "then the two feed-forward layers; and the pooler"])


def check_4(layer_class):
    """Your `MyLoRALinear` with a merge guard: merging twice must raise, merge then unmerge must agree.

    >>> from lorakit.lora import LoRALinear
    >>> class Unguarded(LoRALinear):                  # merges as often as it is asked
    ...     @torch.no_grad()
    ...     def merge(self):
    ...         self.base_layer.weight += self.get_delta_weight()
    ...         self.merged = True
    >>> check_4(Unguarded)
    Exercise 4: not yet: merge() ran twice without complaint.
    """
    mine, ref, failed = built(4, layer_class)
    if failed is not None:
        return failed
    x = torch.randn(5, 12, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        before = mine(x)
        mine.merge()
        try:
            mine.merge()
        except Exception:  # any exception is a refusal; lorakit raises MergeError
            pass
        else:
            return verdict(4, ["merge() ran twice without complaint"])
        if not torch.allclose(mine(x), before, atol=1e-6):
            return verdict(4, ["after merge() the output changed: a merged layer must skip the LoRA path"])
        if not hasattr(mine, "unmerge"):
            return verdict(4, ["keep unmerge(): it must undo one merge"])
        mine.unmerge()
        if not torch.allclose(mine(x), before, atol=1e-6):
            return verdict(4, ["after merge, a refused second merge and unmerge, the output changed"])
    return verdict(4, [])
