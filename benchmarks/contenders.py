"""What is benchmarked: the base models, the contenders built from them, and the optimizer.

Every contender starts from a deep copy of the same base model, so all of them have the same weights:
- "lorakit" and "peft": the same LoRA (`LORA`: r=8, alpha=16, query and value by default or every
  Linear of the encoder (`plan.ALL_LINEAR`), no dropout, the classifier trained whole) through each library;
- "full": full fine-tuning, every parameter trained;
- "frozen_body": everything frozen but the classifier, yet backward runs through every layer
  computing activation gradients and no weight gradient at all: the floor of any adapter in the body.

Example:
    >>> from transformers import BertConfig, BertForSequenceClassification
    >>> base = BertForSequenceClassification(BertConfig(vocab_size=64, hidden_size=16,
    ...     num_hidden_layers=1, num_attention_heads=2, intermediate_size=32))
    >>> models = {name: make(base, LORA["target_modules"]) for name, make in STEP_CONTENDERS.items()}
    >>> {name: sum(p.numel() for p in trainable(m)) for name, m in models.items()}  # r(16 + 16) x 2 + 34
    {'lorakit': 546, 'peft': 546, 'full': 11810, 'frozen_body': 34}
"""
import copy
import warnings

import torch

from lorakit import apply_lora, load_task_model

LORA = dict(r=8, lora_alpha=16, target_modules=["query", "value"], modules_to_save=["classifier"])


def build_base(spec, device, num_labels=2):
    """The base model of a ModelSpec, in train mode, on `device`, with fixed weights (seed 0).

    `spec.bert` None means the bundled all-MiniLM-L6-v2, else BertConfig options for random weights.
    """
    torch.manual_seed(0)
    if spec.bert is None:
        model = load_task_model("sentiment", labels=["negative", "positive"])
    else:
        from transformers import BertConfig, BertForSequenceClassification
        model = BertForSequenceClassification(BertConfig(num_labels=num_labels, **spec.bert))
    return model.to(device).train()


def make_batch(model, batch, seq_len, device, seed=0):
    """Random token ids (no padding) and labels: timing does not depend on the text.

    >>> from types import SimpleNamespace
    >>> model = SimpleNamespace(config=SimpleNamespace(vocab_size=64, num_labels=2))
    >>> {k: tuple(v.shape) for k, v in make_batch(model, 2, 8, torch.device("cpu")).items()}
    {'input_ids': (2, 8), 'attention_mask': (2, 8), 'labels': (2,)}
    """
    generator = torch.Generator().manual_seed(seed)
    vocab = model.config.vocab_size
    ids = torch.randint(1000 if vocab > 2000 else 1, vocab, (batch, seq_len), generator=generator)
    labels = torch.randint(0, model.config.num_labels, (batch,), generator=generator)
    return {"input_ids": ids.to(device), "attention_mask": torch.ones_like(ids).to(device),
            "labels": labels.to(device)}


def trainable(model):
    """The parameters of `model` that require grad (what the optimizer updates)."""
    return [p for p in model.parameters() if p.requires_grad]


def lorakit_model(base, target_modules=LORA["target_modules"]):
    """A copy of `base` with lorakit's LoRA (`LORA`, on `target_modules`) applied."""
    return apply_lora(copy.deepcopy(base), target_modules, r=LORA["r"],
                      lora_alpha=LORA["lora_alpha"], modules_to_save=LORA["modules_to_save"])


def peft_model(base, target_modules=LORA["target_modules"]):
    """A copy of `base` with peft's LoRA, configured as `LORA`, on `target_modules`."""
    import peft
    targets = target_modules if isinstance(target_modules, str) else list(target_modules)
    config = peft.LoraConfig(task_type="SEQ_CLS", r=LORA["r"], lora_alpha=LORA["lora_alpha"],
                             target_modules=targets, lora_dropout=0.0,
                             modules_to_save=list(LORA["modules_to_save"]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return peft.get_peft_model(copy.deepcopy(base), config)


def frozen_body_model(base, target_modules=None):
    """Everything frozen but the classifier; the embeddings' output requires grad, so backward runs
    through every layer computing activation gradients and no weight gradient: the LoRA floor."""
    model = copy.deepcopy(base)
    for name, p in model.named_parameters():
        p.requires_grad_(name.startswith("classifier."))
    model.base_model.embeddings.register_forward_hook(lambda module, args, out: out.requires_grad_())
    return model


def full_model(base, target_modules=None):
    """A copy of `base`, every parameter trained (`target_modules` is not used)."""
    return copy.deepcopy(base)


STEP_CONTENDERS = {"lorakit": lorakit_model, "peft": peft_model, "full": full_model,
                   "frozen_body": frozen_body_model}


def peft_lora_linear(base, r, lora_alpha):
    """peft's lora.Linear around the nn.Linear `base`: the single-layer contender of LoRALinear."""
    import peft
    config = peft.LoraConfig(r=r, lora_alpha=lora_alpha, lora_dropout=0.0)
    return peft.tuners.lora.Linear(base, "default", config=config, r=r, lora_alpha=lora_alpha)


def make_adamw(params, kind="fused"):
    """AdamW in one of torch's three implementations: "fused", "foreach" or "for-loop".

    "fused" (one kernel for all tensors, CPU and CUDA since torch 2.4) is the fastest, so full
    fine-tuning is not handicapped by a slow optimizer; "for-loop" is what torch picks by default on CPU.

    >>> make_adamw([torch.nn.Parameter(torch.zeros(3))], "for-loop").defaults["foreach"]
    False
    """
    options = {"fused": {"fused": True}, "foreach": {"foreach": True},
               "for-loop": {"foreach": False}}[kind]
    try:
        return torch.optim.AdamW(params, lr=1e-5, **options)
    except RuntimeError as e:  # torch < 2.4 has no fused AdamW on CPU
        warnings.warn(f"AdamW {kind} unavailable ({e}); using foreach")
        return torch.optim.AdamW(params, lr=1e-5, foreach=True)


def model_info(base):
    """The shape of a base model, for the report: type, width, depth, heads, vocabulary, parameters."""
    c = base.config
    return {"model_type": c.model_type, "hidden_size": c.hidden_size, "layers": c.num_hidden_layers,
            "heads": c.num_attention_heads, "intermediate_size": c.intermediate_size,
            "vocab_size": c.vocab_size, "params": sum(p.numel() for p in base.parameters())}
