"""Is it really LoRA? Tell LoRA from full fine-tuning that only carries LoRA's name.

LoRA freezes the pretrained weights and trains the small factors A and B (plus, on purpose, a new
task head). Code that adds A and B beside each layer but never freezes the model still runs, still
lowers the loss, and still "has LoRA layers", yet it trains every weight of the model: it is full
fine-tuning with extra matrices, with none of LoRA's savings. Two checks tell them apart:

1. the trainable parameters are the adapter's (names with `lora_`) and the heads', nothing else;
2. after one real optimizer step, every other parameter is bit for bit what it was.

`audit_lora` runs both on a copy of the parameters' values and puts them back afterwards, so the
model leaves the audit as it came in (its optimizer state, if any, is not touched).

Example:
    >>> import torch
    >>> from torch import nn
    >>> from lorakit.layer import LoRALinear
    >>> _ = torch.manual_seed(0)
    >>> x = torch.randn(4, 8)
    >>> lora = nn.Sequential(LoRALinear(nn.Linear(8, 8), r=2, lora_alpha=4))
    >>> audit = audit_lora(lora, lambda m: m(x).pow(2).mean())
    >>> bool(audit), audit.trainable, audit.moved_base
    (True, 32, [])
    >>> for p in lora.parameters():       # the mistake: nothing frozen
    ...     _ = p.requires_grad_(True)
    >>> audit = audit_lora(lora, lambda m: m(x).pow(2).mean())
    >>> bool(audit), audit.moved_base
    (False, ['0.base_layer.weight', '0.base_layer.bias'])
"""
from dataclasses import dataclass, field

import torch


@dataclass
class LoraAudit:
    """What `audit_lora` found. Truthy when the model trains like LoRA.

    trainable, total: parameter counts. adapter: trainable parameters in LoRA factors.
    trainable_base: names of trainable parameters that are neither LoRA factors nor heads.
    moved_base: names of parameters outside the adapter and heads that one optimizer step changed.
    adapter_moved: whether that step changed the adapter at all (else the check proves nothing).
    """
    trainable: int
    total: int
    adapter: int
    trainable_base: list = field(default_factory=list)
    moved_base: list = field(default_factory=list)
    adapter_moved: bool = False

    def __bool__(self):
        return self.adapter > 0 and self.adapter_moved and not self.trainable_base and not self.moved_base

    def __str__(self):
        share = f"{self.trainable:,} of {self.total:,} parameters trainable ({100 * self.trainable / max(self.total, 1):.2f}%)"
        if self:
            return f"LoRA: {share}, all of them adapter or head; frozen weights unchanged after a step"
        problems = []
        if self.adapter == 0:
            problems.append("no trainable LoRA factors")
        elif not self.adapter_moved:
            problems.append("the optimizer step did not change the adapter")
        if self.trainable_base:
            problems.append(f"{len(self.trainable_base)} pretrained tensors trainable")
        if self.moved_base:
            problems.append(f"{len(self.moved_base)} pretrained tensors changed by one step")
        return f"NOT LoRA: {share}; " + "; ".join(problems)

    __repr__ = __str__


def is_adapter(name):
    """True for a parameter of a LoRA factor (lorakit's and peft's names: lora_A, lora_B, ...).

    >>> is_adapter("bert.encoder.layer.0.attention.self.query.lora_A.weight"), is_adapter("classifier.bias")
    (True, False)
    """
    return any(part.startswith("lora_") for part in name.split("."))


def is_head(name, heads):
    """True when a part of the dotted `name` is one of `heads` (e.g. "classifier").

    >>> is_head("base_model.model.classifier.modules_to_save.default.weight", ["classifier"])
    True
    """
    return any(part in heads for part in name.split("."))


def audit_lora(model, loss_fn, heads=("classifier",), lr=1e-3):
    """Check that `model` trains like LoRA: see the module docstring. Returns a `LoraAudit`.

    `loss_fn(model)` returns a scalar loss, e.g. `lambda m: m(**batch).loss` for a 🤗 model.
    The step is AdamW over **all** of `model.parameters()`, as careless code writes it: a frozen
    parameter gets no gradient and so cannot move, an unfrozen one moves. Values and gradients are
    restored afterwards.
    """
    named = dict(model.named_parameters())
    trainable = sum(p.numel() for p in named.values() if p.requires_grad)
    adapter = sum(p.numel() for n, p in named.items() if p.requires_grad and is_adapter(n))
    others = [n for n in named if not is_adapter(n) and not is_head(n, heads)]
    before = {n: p.detach().clone() for n, p in named.items()}
    was_training = model.training
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    try:
        if trainable:                         # nothing trainable: nothing can move, and no backward
            loss_fn(model).backward()
            optimizer.step()
        moved = [n for n, p in named.items() if not torch.equal(p.detach(), before[n])]
    finally:
        with torch.no_grad():
            for n, p in named.items():
                p.copy_(before[n])
                p.grad = None
        model.train(was_training)
    return LoraAudit(trainable=trainable, total=sum(p.numel() for p in named.values()), adapter=adapter,
                     trainable_base=[n for n in others if named[n].requires_grad],
                     moved_base=[n for n in moved if n in others],
                     adapter_moved=any(is_adapter(n) for n in moved))
