"""What a run records so that a later diagnosis (`lorakit doctor`, lesson 18) can see what went wrong.

    steps            loss, learning rate and gradient norm of every optimizer step (null: not finite)
    update_norms     per LoRA layer: ||(lora_alpha / r) B A|| and ||W0|| (Frobenius norms), at the end
    base_model       the base model's name and a hash of its frozen weights (the body, not the head)
    target_modules   what --target-modules asked for, the layers it matched, and the model's Linear
                     layers (the last part of their names) and number of blocks
    scored_tokens    for token-level labels: how many training tokens the loss scores, of how many
    sample_loss      the final model's mean loss on up to 32 training and 32 validation examples

`train` puts them in metrics.json under "diagnostics"; `StepLog` collects the steps as it trains.

Example:
    >>> log = StepLog()
    >>> log.add(0.69, 1.5, 1e-3); log.add(float("nan"), float("inf"), 1e-3)
    >>> log.to_dict()
    {'loss': [0.69, None], 'lr': [0.001, 0.001], 'grad_norm': [1.5, None]}
"""
import hashlib
import math
from dataclasses import dataclass, field

import torch
from torch.utils.data import DataLoader

from .errors import LorakitError
from .layer import lora_layers
from .targets import linear_layer_names
from .tasks.base import IGNORE_INDEX

SAMPLE = 32          # examples of each split whose loss is measured at the end


def finite_or_none(value, digits=6):
    """`value` as a float rounded to `digits` significant digits, or None when it is NaN or infinite.

    >>> finite_or_none(0.123456789), finite_or_none(float("inf"))
    (0.123457, None)
    """
    value = float(value)
    return float(f"{value:.{digits}g}") if math.isfinite(value) else None


@dataclass
class StepLog:
    """Loss, learning rate and gradient norm (before clipping) of each optimizer step."""

    loss: list = field(default_factory=list)
    lr: list = field(default_factory=list)
    grad_norm: list = field(default_factory=list)

    def add(self, loss, grad_norm, lr):
        self.loss.append(finite_or_none(loss))
        self.grad_norm.append(None if grad_norm is None else finite_or_none(grad_norm))
        self.lr.append(finite_or_none(lr))

    def to_dict(self):
        return {"loss": self.loss, "lr": self.lr, "grad_norm": self.grad_norm}


def update_norms(model):
    """{layer: {"update": ||s B A||, "base": ||W0||}} for every LoRA layer of `model` (Frobenius norms)."""
    norms = {}
    with torch.no_grad():
        for name, layer in lora_layers(model).items():
            delta = layer.get_delta_weight_rows().float()            # (d_out, d_in)
            norms[name] = {"update": finite_or_none(delta.norm()),
                           "base": finite_or_none(layer.base_weight().float().norm())}
    return norms


def body_name(name):
    """A parameter's name in the plain base model: LoRA's wrapper taken out.

    >>> body_name("bert.encoder.layer.0.attention.self.query.base_layer.weight")
    'bert.encoder.layer.0.attention.self.query.weight'
    """
    return name.replace(".base_layer.", ".")


def weights_hash(model, heads=()):
    """sha256 (first 16 hex digits) of the body's parameters, by name: the task heads (top-level
    modules named in `heads`) and LoRA's factors left out, so a base model and the same base with an
    adapter on it hash alike.

    >>> a, b = torch.nn.Linear(2, 2), torch.nn.Linear(2, 2)
    >>> weights_hash(a) == weights_hash(a), weights_hash(a) == weights_hash(b)
    (True, False)
    """
    digest = hashlib.sha256()
    for name, p in sorted((body_name(n), p) for n, p in model.named_parameters()):
        if name.split(".")[0] in heads or "lora_" in name:
            continue
        digest.update(name.encode())
        digest.update(p.detach().cpu().contiguous().view(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()[:16]


def block_of(name):
    """The block a layer is in: its path up to the first part that is a number, or None outside the blocks.

    >>> block_of("bert.encoder.layer.3.attention.self.query"), block_of("bert.pooler.dense")
    ('bert.encoder.layer.3', None)
    """
    parts = name.split(".")
    numbers = [i for i, part in enumerate(parts) if part.isdigit()]
    return ".".join(parts[:numbers[0] + 1]) if numbers else None


def asked_targets(config, model):
    """What the run asked LoRA to adapt: --target-modules, else the defaults that `apply_lora` got."""
    return config.target_modules or getattr(getattr(model, "lora_config", None), "target_modules", None)


def target_record(asked, model, layers):
    """`asked` (target_modules), the layers LoRA wrapped (`layers`: {name: LoRALinear}), and what the
    model offers: the last part of its Linear layers' names and its number of blocks (`block_of`).

    >>> from lorakit.inject import apply_lora
    >>> net = torch.nn.ModuleList([torch.nn.ModuleDict({"q": torch.nn.Linear(2, 2), "v": torch.nn.Linear(2, 2)})
    ...                            for _ in range(2)])
    >>> target_record(["q", "q_proj"], net, lora_layers(apply_lora(net, ["q", "q_proj"], r=1)))
    {'asked': ['q', 'q_proj'], 'matched': ['0.q', '1.q'], 'linear': ['q', 'v'], 'blocks': 2}
    """
    names = [n.removesuffix(".base_layer") for n in linear_layer_names(model) if ".lora_" not in n]
    return {"asked": asked, "matched": sorted(layers), "linear": sorted({n.split(".")[-1] for n in names}),
            "blocks": len({block_of(n) for n in names} - {None})}


def frozen_body(model, heads):
    """True when every parameter outside the heads and LoRA's factors is frozen (LoRA, head only)."""
    return not any(p.requires_grad for n, p in model.named_parameters()
                   if n.split(".")[0] not in heads and "lora_" not in n)


def scored_tokens(features, limit=2000):
    """How many tokens the loss scores in up to `limit` training features, for token-level labels
    (None for one label per example). `copies_input`: the scored labels are the input ids
    themselves (a language model learning text), as in a chat run.

    >>> import datasets
    >>> scored_tokens(datasets.Dataset.from_dict({"input_ids": [[5, 6, 7, 8]], "labels": [[-100, -100, 7, 8]]}))
    {'scored': 2, 'total': 4, 'share': 0.5, 'copies_input': True}
    """
    if "labels" not in features.column_names or len(features) == 0:
        return None
    rows = features.select(range(min(limit, len(features))))
    if not isinstance(rows[0]["labels"], list):
        return None
    scored = total = same = 0
    for ids, labels in zip(rows["input_ids"], rows["labels"]):
        kept = [(i, y) for i, y in zip(ids, labels) if y != IGNORE_INDEX]
        scored, total, same = scored + len(kept), total + len(ids), same + sum(i == y for i, y in kept)
    return {"scored": scored, "total": total, "share": round(scored / max(total, 1), 4),
            "copies_input": scored > 0 and same == scored}


@torch.no_grad()
def mean_loss(model, task, tokenizer, features, batch_size=16):
    """The task's mean loss of `model` (in eval mode) over `features`, or None if not finite."""
    device = next(model.parameters()).device
    loader = DataLoader(features, batch_size=batch_size, collate_fn=task.collator(tokenizer))
    losses = [task.loss(model, {k: v.to(device) for k, v in batch.items()}).item() for batch in loader]
    return finite_or_none(sum(losses) / len(losses)) if losses else None


def sample_loss(run, model):
    """{"train": loss, "validation": loss} of the final model on the first SAMPLE examples of each
    split; the validation split encoded as for training (with its labels), skipped if it cannot be."""
    train_features = run.loader.dataset
    out = {"train": mean_loss(model, run.task, run.tokenizer,
                              train_features.select(range(min(SAMPLE, len(train_features)))))}
    try:
        rows = run.eval_set.select(range(min(SAMPLE, len(run.eval_set))))
        out["validation"] = mean_loss(model, run.task, run.tokenizer, run.task.encode(rows, run.tokenizer))
    except (LorakitError, KeyError, ValueError, IndexError):
        out["validation"] = None
    return out


def adapter_record(config, task, model):
    """What any run records of its adapter: the update norms, the base model (name, and the weights'
    hash when the body stayed frozen and unquantized) and the layers LoRA wrapped."""
    from .models import head_module_names
    heads = head_module_names(model)
    identity = {"name": task.base_model(config.model), "weights_sha256": None}
    if frozen_body(model, heads) and not getattr(config, "quantize", None):
        identity["weights_sha256"] = weights_hash(model, heads)
    return {"update_norms": update_norms(model), "base_model": identity,
            "target_modules": target_record(asked_targets(config, model), model, lora_layers(model))}


def record(run, model, log):
    """The "diagnostics" of a finished run: `model` as `train` returns it, `log` its StepLog."""
    trained = bool(run.loader)
    return {"steps": log.to_dict(), **adapter_record(run.config, run.task, model),
            "scored_tokens": scored_tokens(run.loader.dataset) if trained else None,
            "sample_loss": sample_loss(run, model) if trained else None,
            "generation_padding": generation_padding(run.task, run.tokenizer)}


def generation_padding(task, tokenizer):
    """"left" or "right": the side on which `task` pads a batch of prompts to generate from, or None
    for a task whose collator does not generate (a classifier)."""
    left = getattr(task.collator(tokenizer, targets=False), "left", None)
    return None if left is None else ("left" if left else "right")
