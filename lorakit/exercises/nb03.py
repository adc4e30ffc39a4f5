"""Checkers for the exercises of lesson 03 (LoRA from scratch). Each returns a `Verdict`.

Exercises 1, 2 and 4 take your `MyLoRALinear` class itself, build it and `lorakit.LoRALinear`
with the same seed on a small layer (12 -> 8, r = 4, alpha = 8) and compare them.

Example:
    >>> check_3(337_920 - 6 * 8 * (384 + 1536))
    Exercise 3: not yet: each encoder layer has two feed-forward Linear layers (384 -> 1536 and 1536 -> 384).
"""
import torch
from torch import nn

from . import close, question, verdict


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


# "Check your understanding": three short questions, answered in the lesson (sections 1 and 5).

def question_1(shape_A, shape_B):
    """The shapes of `lora_A.weight` and `lora_B.weight`, as tuples, for LoRA with r = 8 around
    `nn.Linear(384, 1536)` (d_in = 384, d_out = 1536).

    >>> question_1((384, 8), (8, 1536))
    Question 1: not yet: nn.Linear keeps its weight as (out_features, in_features): A maps d_in to r.
    """
    r, d_in, d_out = 8, 384, 1536
    answer = tuple(shape_A) if isinstance(shape_A, (tuple, list)) else shape_A, \
        tuple(shape_B) if isinstance(shape_B, (tuple, list)) else shape_B
    if answer == ((r, d_in), (d_out, r)):
        return question(1, [])
    if answer == ((d_in, r), (r, d_out)):
        return question(1, ["nn.Linear keeps its weight as (out_features, in_features): A maps d_in to r"])
    if answer == ((d_out, r), (r, d_in)):
        return question(1, ["A comes first and reads the input: it is r x d_in, and B writes the output"])
    if answer == ((r, d_out), (d_in, r)):
        return question(1, ["d_in is the layer's input size, 384, and d_out its output size"])
    return question(1, ["give two tuples: A is (r, d_in) and B is (d_out, r) in the paper's notation"])


def question_2(scaling, rslora_scaling):
    """The scaling of a LoRA layer with lora_alpha = 16 and r = 8, without and with use_rslora=True.

    >>> question_2(2.0, 2.0)
    Question 2: not yet: rslora_scaling: rsLoRA divides alpha by sqrt(r), not by r.
    """
    problems = []
    if close(scaling, 8 / 16):
        problems.append("scaling: it is alpha / r, not r / alpha")
    elif not close(scaling, 16 / 8):
        problems.append("scaling: it is alpha / r")
    if close(rslora_scaling, 16 / 8):
        problems.append("rslora_scaling: rsLoRA divides alpha by sqrt(r), not by r")
    elif not close(rslora_scaling, 16 / 8 ** 0.5, rel=1e-4):
        problems.append("rslora_scaling: it is alpha / sqrt(r)")
    return question(2, problems)


CHECKS = {"a": "the training loss falls", "b": "the model has lora_A and lora_B layers",
          "c": "every pretrained weight is bit for bit unchanged after an optimizer step"}


def question_3(letter):
    """Which of `CHECKS` tells real LoRA from full fine-tuning that only carries LoRA's name: "a", "b" or "c"?

    >>> question_3("b")
    Question 3: not yet: the guide's model of section 5 has lora_A and lora_B layers too, and trains everything.
    """
    if letter not in CHECKS:
        return question(3, ['answer "a", "b" or "c"'])
    if letter == "a":
        return question(3, ["full fine-tuning's loss falls too: section 5's guide model trains, and is not LoRA"])
    if letter == "b":
        return question(3, ["the guide's model of section 5 has lora_A and lora_B layers too, and trains everything"])
    return question(3, [])
