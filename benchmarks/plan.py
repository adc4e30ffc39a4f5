"""What one run measures: the models (bundled MiniLM, a BERT-base shape) and how many repeats.

`plan_for` gives the full plan and the quick one (a smoke test); tests build a tiny `Plan` of their own.

Example:
    >>> [(m.name, m.batch, m.seq_len) for m in plan_for().models]
    [('minilm-l6', 16, 128), ('minilm-l6-all-linear', 16, 128), ('bert-base', 8, 128)]
    >>> plan_for(quick=True, repeats=6).infer_repeats   # quick: 3 step repeats, 5 inference repeats
    10
"""
from dataclasses import dataclass, field, replace

# Every Linear of the encoder's layers (the pooler and classifier excluded), as a regex both
# libraries read the same way: LoRA's recommended targets (QLoRA) and the chat task's default.
ALL_LINEAR = r".*\.layer\.\d+\..*(query|key|value|dense)"
BERT_BASE = dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072)


@dataclass
class ModelSpec:
    """One model to benchmark. `bert` = None means the bundled all-MiniLM-L6-v2."""
    name: str
    batch: int
    seq_len: int
    bert: dict = None  # BertConfig options for a random-weight model
    note: str = ""
    targets: object = ("query", "value")   # LoRA's target_modules: names or a regex
    judged: bool = True                    # False: reported, but the targets are not for it


@dataclass
class Plan:
    """Everything one run measures: models, repeats, layer shapes, AdamW implementation, notes."""
    models: list
    repeats: int = 7
    warmup: int = 2
    infer_repeats: int = 11     # inference and single layers are short, so they get more repeats
    layer_repeats: int = 11
    layer_dims: tuple = (384, 768, 1024)
    layer_ranks: tuple = (1, 8, 64)
    layer_tokens: int = 2048
    adamw: str = "fused"        # see contenders.make_adamw
    bf16: bool = False          # also time the lorakit LoRA step under bf16 autocast
    quick: bool = False
    notes: list = field(default_factory=list)


def _quick_plan():
    """Batch 8 x 64, few repeats, the BERT-base shape cut to 2 layers: < 2 minutes on 2 CPU cores."""
    return Plan(models=[ModelSpec("minilm-l6", batch=8, seq_len=64),
                        ModelSpec("minilm-l6-all-linear", batch=8, seq_len=64, targets=ALL_LINEAR,
                                  judged=False, note="LoRA on every Linear of the encoder"),
                        ModelSpec("bert-base-2l", batch=8, seq_len=64,
                                  bert=BERT_BASE | dict(num_hidden_layers=2),
                                  note="BERT-base width, 2 of its 12 layers (quick mode)")],
                repeats=3, warmup=1, infer_repeats=5, layer_repeats=5, layer_tokens=512, quick=True,
                notes=["quick mode: batch 8 x 64, few repeats, the BERT-base shape cut to 2 layers, "
                       "layers on 512 tokens; a smoke test, not numbers to quote"])


def _full_plan():
    """The bundled MiniLM at batch 16 x 128 and the BERT-base shape at 8 x 128 (10-15 min on 2 CPUs)."""
    return Plan(models=[ModelSpec("minilm-l6", batch=16, seq_len=128),
                        ModelSpec("minilm-l6-all-linear", batch=16, seq_len=128, targets=ALL_LINEAR,
                                  judged=False, note="LoRA on every Linear of the encoder"),
                        ModelSpec("bert-base", batch=8, seq_len=128, bert=dict(BERT_BASE),
                                  note="BERT-base shape, random weights")])


def plan_for(quick=False, repeats=None, adamw="fused", bf16=False):
    """The full plan or the quick one; `repeats` scales all repeats (see the module docstring);
    `bf16` adds the lorakit LoRA step under bf16 autocast."""
    plan = _quick_plan() if quick else _full_plan()
    if repeats is not None:
        scale = repeats / plan.repeats
        plan = replace(plan, repeats=repeats, infer_repeats=max(1, round(plan.infer_repeats * scale)),
                       layer_repeats=max(1, round(plan.layer_repeats * scale)))
    return replace(plan, adamw=adamw, bf16=bf16)
