"""The training loop: short and readable, no hidden framework magic.

One function, `train`, fine-tunes a pretrained model on a task with one of three methods, so the
notebooks can compare them:

    lora   the body frozen, LoRA on the attention layers, the task head trained in full
    full   every weight trained (full fine-tuning)
    head   the body frozen, only the task head trained

It is built on `accelerate`, so the same code runs on a CPU, on one GPU in mixed precision (fp16 on
a T4, bf16 from compute capability 8.0), or in several processes under `torchrun`/`accelerate
launch`. AdamW, linear warm-up then decay, dynamic padding, evaluation after each epoch, early
stopping, and the best epoch's weights restored at the end. The same seed on a CPU gives the same
metrics.

Example (the bundled model and data; about a minute on a laptop CPU in fast mode):
    >>> result = train(TrainConfig(task="sentiment", epochs=1, max_train_examples=64))  # doctest: +SKIP
    >>> result.metrics["accuracy"]  # doctest: +SKIP
"""
import contextlib
import copy
import math
import time
import warnings
from dataclasses import asdict, dataclass, field, fields

import torch
from torch.utils.data import DataLoader

from . import interrupts
from .data import load_task_data, read_task_file
from .device import select_device, select_precision
from .errors import ConfigError, LorakitWarning, TrainingError
from .lora import apply_lora, check_lora_options, count_parameters, merged
from .measure import PeakMemory
from .models import default_target_modules, head_module_names, load_task_model, load_tokenizer
from .tasks import get_task

METHODS = ("lora", "full", "head")
MAX_SEED = 2**32 - 1     # numpy.random.seed takes 0 .. 2**32 - 1
# Learning rates that work for each method on the bundled model (full fine-tuning needs a small one).
DEFAULT_LR = {"lora": 1e-3, "full": 5e-5, "head": 3e-3}
# Per task: epochs, batch size, and what differs from the defaults above. Extractive QA learns slowly
# with LoRA on query and value alone (validation F1 75 after one epoch, batch 16, lr 3e-3); on every
# Linear layer it reaches 85 by three quarters of that epoch (lr 2e-3), so QA adapts "all-linear".
# QA also turns off dropout on the attention probabilities: with it on, PyTorch's fused CPU attention
# falls back to a slower path, and a QA training step takes about 20% longer (hidden dropout stays).
TASK_DEFAULTS = {
    "sentiment": {"epochs": 3, "batch_size": 32},
    "ner": {"epochs": 3, "batch_size": 32},
    "qa": {"epochs": 1, "batch_size": 16, "target_modules": "all-linear", "lr": {"lora": 2e-3},
           "attention_dropout": 0.0},
}


@dataclass
class TrainConfig:
    """Every option of a run; `lorakit.json` records it. None means "the default for the task"."""

    task: str = "sentiment"
    method: str = "lora"
    r: int = 8
    lora_alpha: float = 16
    lora_dropout: float = 0.0
    attention_dropout: float = None      # None: the task's default (the model's own, 0.1 for BERT; QA 0)
    max_length: int = None               # tokens per example or window; None: the task's (128, QA 256)
    doc_stride: int = None               # QA: tokens shared by neighbouring windows; None: 64
    label_all_tokens: bool = False       # NER: train on every sub-token, not only a word's first
    use_rslora: bool = False
    target_modules: list = None          # None: the task's default (attention query and value; QA all-linear)
    model: str = None                    # None: the bundled all-MiniLM-L6-v2
    train_file: str = None               # None: the bundled train split
    eval_file: str = None                # None: the bundled validation split
    data_source: str = "bundled"         # "bundled" or "hub" (CoNLL-2003, SST-2, SQuAD)
    max_train_examples: int = None
    max_eval_examples: int = None
    epochs: int = None
    batch_size: int = None
    lr: float = None
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    max_grad_norm: float = 1.0
    patience: int = 2                    # epochs without improvement before stopping early
    seed: int = 0
    device: str = "auto"
    precision: str = "auto"

    def resolved(self):
        """A copy with the task defaults filled in and every option checked."""
        c = copy.deepcopy(self)
        get_task(c.task)
        if c.method not in METHODS:
            raise ConfigError(f"--method {c.method!r} is not one of {', '.join(METHODS)}")
        if c.method == "lora":
            check_lora_options(c.r, c.lora_alpha, c.lora_dropout)
        defaults = TASK_DEFAULTS[c.task]
        c.epochs = defaults["epochs"] if c.epochs is None else c.epochs
        c.batch_size = defaults["batch_size"] if c.batch_size is None else c.batch_size
        if c.lr is None:
            c.lr = defaults.get("lr", {}).get(c.method, DEFAULT_LR[c.method])
        if c.method == "lora" and c.target_modules is None:
            c.target_modules = defaults.get("target_modules")
        if c.attention_dropout is None:
            c.attention_dropout = defaults.get("attention_dropout")
        if c.attention_dropout is not None and not 0 <= c.attention_dropout < 1:
            raise ConfigError(f"--attention-dropout must be in [0, 1), got {c.attention_dropout!r}")
        for name in ("epochs", "batch_size") + (("max_length",) if c.max_length is not None else ()):
            if not isinstance(getattr(c, name), int) or getattr(c, name) < 1:
                raise ConfigError(f"--{name.replace('_', '-')} must be a positive integer, got {getattr(c, name)!r}")
        _check_task_options(c)
        if isinstance(c.seed, bool) or not isinstance(c.seed, int) or not 0 <= c.seed <= MAX_SEED:
            raise ConfigError(f"--seed must be an integer in 0..{MAX_SEED} (NumPy's range), got {c.seed!r}")
        if not c.lr > 0 or not math.isfinite(c.lr):
            raise ConfigError(f"--lr must be a positive number, got {c.lr!r}")
        return c


def config_from_dict(options):
    """A TrainConfig from a dict such as lorakit.json's `options`, each value checked for its type.

    Keys that this lorakit does not know (from a newer one) are left out with a warning.

    >>> config_from_dict({"task": "ner", "r": 4}).r
    4
    >>> config_from_dict({"task": "ner", "r": "4"})
    Traceback (most recent call last):
    lorakit.errors.ConfigError: option 'r' must be an integer or null, got '4'
    """
    kinds = {f.name: f.type for f in fields(TrainConfig)}
    unknown = sorted(set(options) - set(kinds))
    if unknown:
        warnings.warn(f"ignoring option(s) this lorakit does not know: {', '.join(unknown)}",
                      LorakitWarning, stacklevel=2)
    for name, value in options.items():
        if name in kinds and not _has_kind(value, kinds[name]):
            raise ConfigError(f"option {name!r} must be {KIND_NAMES[kinds[name]]}, got {value!r}")
    return TrainConfig(**{k: v for k, v in options.items() if k in kinds})


KIND_NAMES = {int: "an integer or null", float: "a number or null", bool: "true or false",
              str: "a string or null", list: "a list of layer names, 'all-linear' or null"}


def _has_kind(value, kind):
    if kind is bool:
        return isinstance(value, bool)
    if value is None:
        return True
    if isinstance(value, bool):
        return False
    if kind is float:
        return isinstance(value, (int, float))
    if kind is list:      # target_modules: names, "all-linear" or a regex
        return isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))
    return isinstance(value, kind)


def _check_task_options(c):
    if c.doc_stride is not None and c.task != "qa":
        raise ConfigError(f"--doc-stride applies to --task qa only, not {c.task}")
    if c.label_all_tokens and c.task != "ner":
        raise ConfigError(f"--label-all-tokens applies to --task ner only, not {c.task}")
    if c.task == "qa":
        qa = get_task("qa", **task_options(config_dict(c)))
        if not isinstance(qa.doc_stride, int) or not 0 <= qa.doc_stride < qa.max_length:
            raise ConfigError(f"--doc-stride must be an overlap in 0..{qa.max_length - 1} tokens "
                              f"(below --max-length {qa.max_length}), got {qa.doc_stride!r}")


def task_options(options):
    """The Task options in a run's options (a TrainConfig as a dict); older runs lack them.

    >>> task_options({"task": "qa", "max_length": 384, "doc_stride": 128})
    {'max_length': 384, 'doc_stride': 128}
    """
    chosen = {"max_length": options.get("max_length")}
    if options["task"] == "qa":
        chosen["doc_stride"] = options.get("doc_stride")
    if options["task"] == "ner":
        chosen["label_all_tokens"] = options.get("label_all_tokens") or False
    return {k: v for k, v in chosen.items() if v is not None}


@dataclass
class TrainResult:
    model: torch.nn.Module
    tokenizer: object
    config: TrainConfig
    labels: list
    metrics: dict                       # validation metrics of the best epoch, plus parameter counts and timings
    history: list = field(default_factory=list)  # one dict per epoch: loss and validation metrics


def seed_everything(seed):
    """Seed Python, NumPy and torch (all devices) for a reproducible run."""
    from accelerate.utils import set_seed
    set_seed(seed)


def prepare_model(task, labels, config):
    """Load the pretrained model with a fresh head and set up `config.method`'s trainable weights."""
    model = load_task_model(task, labels, config.model, attention_dropout=config.attention_dropout)
    heads = head_module_names(model)
    if config.method == "lora":
        targets = config.target_modules or default_target_modules(model.config.model_type)
        apply_lora(model, targets, r=config.r, lora_alpha=config.lora_alpha,
                   lora_dropout=config.lora_dropout, use_rslora=config.use_rslora, modules_to_save=heads)
    elif config.method == "head":
        for name, p in model.named_parameters():
            p.requires_grad_(name.split(".")[0] in heads)
    return model


def load_datasets(config):
    """(train, validation) Datasets for the run: the user's files, the Hub's sets or the bundled ones."""
    data = load_task_data(config.task, source=config.data_source) if not (config.train_file and config.eval_file) else {}
    train_set = read_task_file(config.task, config.train_file) if config.train_file else data["train"]
    eval_set = read_task_file(config.task, config.eval_file) if config.eval_file else data["validation"]
    if config.max_train_examples:
        train_set = train_set.select(range(min(config.max_train_examples, len(train_set))))
    if config.max_eval_examples:
        eval_set = eval_set.select(range(min(config.max_eval_examples, len(eval_set))))
    return train_set, eval_set


def length_grouped_batches(lengths, batch_size, seed, pool=50):
    """Shuffled batches of indices whose examples have similar lengths, so little is padding.

    The indices are shuffled, cut into pools of `pool` batches, each pool sorted by length and cut
    into batches, and the batches shuffled again: random order, but short with short. On the
    bundled sentiment data this halves the padded tokens, and so the time per epoch.

    >>> length_grouped_batches([5, 1, 4, 2, 3, 6], batch_size=2, seed=0, pool=3)  # lengths (1,2) (5,6) (3,4)
    [[1, 3], [0, 5], [4, 2]]
    """
    g = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(lengths), generator=g).tolist()
    size = batch_size * pool
    batches = []
    for start in range(0, len(order), size):
        chunk = sorted(order[start:start + size], key=lambda i: lengths[i])
        batches += [chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size)]
    return [batches[i] for i in torch.randperm(len(batches), generator=g).tolist()]


def model_columns(features, task):
    """Drop the columns the model does not take (ids, offsets), keeping what the collator needs."""
    keep = {"input_ids", "attention_mask", "token_type_ids", "labels", "start_positions", "end_positions"}
    return features.remove_columns([c for c in features.column_names if c not in keep])


@torch.no_grad()
def predict_outputs(model, features, task, tokenizer, batch_size=64, device=None, autocast=None):
    """Run `model` over encoded `features`; one numpy output per feature, in order, trimmed to its length.

    Sentiment gives (num_labels,) logits, NER (seq_len, num_labels), QA (start (seq_len,), end (seq_len,)).
    Features are batched shortest first, so a batch pads little, and LoRA layers run merged.
    """
    device = device or next(model.parameters()).device
    was_training = model.training
    model.eval()
    lengths = [len(ids) for ids in features["input_ids"]]
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    loader = DataLoader(model_columns(features, task).select(order), batch_size=batch_size,
                        collate_fn=task.collator(tokenizer))
    outputs = []
    with merged(model):
        for batch in loader:
            interrupts.check()
            outputs += _batch_outputs(model, batch, task, device, autocast)
    model.train(was_training)
    by_feature = [None] * len(order)
    for i, output in zip(order, outputs):
        by_feature[i] = output
    return by_feature


def _batch_outputs(model, batch, task, device, autocast):
    batch = {k: v.to(device) for k, v in batch.items() if k not in ("labels", "start_positions", "end_positions")}
    with autocast() if autocast else contextlib.nullcontext():
        out = model(**batch)
    lengths = batch["attention_mask"].sum(dim=1).tolist()
    if task.name == "qa":
        start, end = out.start_logits.float().cpu().numpy(), out.end_logits.float().cpu().numpy()
        return [(s[:n], e[:n]) for s, e, n in zip(start, end, lengths)]
    logits = out.logits.float().cpu().numpy()
    return [l if task.name == "sentiment" else l[:n] for l, n in zip(logits, lengths)]


def model_task(model, task_name, options=None):
    """The Task for `task_name`, with the label names the model was trained with.

    `options` are the run's options (`lorakit.json`), so that a run trained with, say,
    `max_length=384` predicts with the same windows.
    """
    chosen = task_options({**(options or {}), "task": task_name})
    if task_name == "qa":
        return get_task("qa", **chosen)
    id2label = model.config.id2label
    return get_task(task_name, labels=[id2label[i] for i in range(len(id2label))], **chosen)


def predict(model, tokenizer, task_name, dataset, batch_size=64, options=None, **kwargs):
    """Predictions for every example of `dataset`, in its order, in the task's natural format."""
    task = model_task(model, task_name, options)
    features = task.encode(dataset, tokenizer, train=False)
    outputs = predict_outputs(model, features, task, tokenizer, batch_size, **kwargs)
    return task.postprocess(dataset, features, outputs)


def evaluate(model, tokenizer, task_name, dataset, batch_size=64, options=None, **kwargs):
    """(predictions, metrics) of `model` on a labelled `dataset`."""
    predictions = predict(model, tokenizer, task_name, dataset, batch_size, options, **kwargs)
    return predictions, model_task(model, task_name, options).metrics(dataset, predictions)


def train(config: TrainConfig, progress=True) -> TrainResult:
    """Fine-tune as `config` says and return the model with the best validation score restored."""
    from accelerate import Accelerator
    from tqdm.auto import tqdm
    from transformers import get_linear_schedule_with_warmup

    config = config.resolved()
    task = get_task(config.task, **task_options(config_dict(config)))
    device = select_device(config.device)
    accelerator = Accelerator(mixed_precision=select_precision(device, config.precision), cpu=device == "cpu")
    seed_everything(config.seed)
    train_set, eval_set = load_datasets(config)
    labels = task.label_names(train_set)
    tokenizer = load_tokenizer(config.model)
    model = prepare_model(config.task, labels, config)
    trainable, total = count_parameters(model)

    train_features = model_columns(task.encode(train_set, tokenizer, train=True), task)
    eval_features = task.encode(eval_set, tokenizer, train=False)
    batches = length_grouped_batches([len(ids) for ids in train_features["input_ids"]],
                                     config.batch_size, config.seed)
    loader = DataLoader(train_features, batch_sampler=batches, collate_fn=task.collator(tokenizer))
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
    steps = config.epochs * math.ceil(len(loader) / accelerator.num_processes)
    scheduler = get_linear_schedule_with_warmup(optimizer, int(config.warmup_ratio * steps), steps)
    model, optimizer, loader, scheduler = accelerator.prepare(model, optimizer, loader, scheduler)

    bar = tqdm(total=steps, desc=f"{config.task} {config.method}",
               disable=not (progress and accelerator.is_local_main_process))
    started = time.perf_counter()
    with PeakMemory(device) as peak:
        history, best_scores, best_state = _epochs(config, task, model, loader, optimizer, scheduler,
                                                   accelerator, tokenizer, eval_set, eval_features, params, bar)
    bar.close()
    train_seconds = time.perf_counter() - started
    model = accelerator.unwrap_model(model)
    model.load_state_dict(best_state, strict=False)
    model.eval()
    metrics = {**best_scores, "best_epoch": max(history, key=lambda h: h[task.main_metric])["epoch"],
               "epochs_run": len(history), "trainable_params": trainable, "total_params": total,
               "trainable_percent": 100 * trainable / total, "train_seconds": round(train_seconds, 2),
               "peak_memory_mb": round(peak.mb, 1), "device": device,
               "mixed_precision": accelerator.mixed_precision, "processes": accelerator.num_processes,
               "history": history}
    return TrainResult(model, tokenizer, config, labels, metrics, history)


def _epochs(config, task, model, loader, optimizer, scheduler, accelerator, tokenizer, eval_set,
            eval_features, params, bar):
    """The epochs of `train`: returns (history, best validation scores, best trainable weights)."""
    main = accelerator.is_local_main_process
    history, best, best_state, waited, step = [], -math.inf, None, 0, 0
    for epoch in range(1, config.epochs + 1):
        model.train()
        total_loss = 0.0
        for batch in loader:
            interrupts.check()
            loss = model(**batch).loss
            step += 1
            if not torch.isfinite(loss):
                raise TrainingError(f"the loss became {loss.item()} at step {step} (epoch {epoch}); "
                                    f"try a lower learning rate than --lr {config.lr:g}")
            accelerator.backward(loss)
            accelerator.clip_grad_norm_(params, config.max_grad_norm)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            total_loss += loss.item()
            bar.update(1)
            bar.set_postfix(loss=f"{loss.item():.4f}")
        unwrapped = accelerator.unwrap_model(model)
        outputs = predict_outputs(unwrapped, eval_features, task, tokenizer, device=accelerator.device,
                                  autocast=accelerator.autocast)
        scores = task.metrics(eval_set, task.postprocess(eval_set, eval_features, outputs))
        history.append({"epoch": epoch, "train_loss": total_loss / len(loader), **_scalars(scores)})
        if main and not bar.disable:
            bar.write(f"epoch {epoch}: loss {history[-1]['train_loss']:.4f}, "
                      f"validation {task.main_metric} {scores[task.main_metric]:.4f}")
        if scores[task.main_metric] > best:
            best, waited = scores[task.main_metric], 0
            best_state = {k: p.detach().clone() for k, p in unwrapped.named_parameters()
                          if p.requires_grad}
            best_scores = scores
        else:
            waited += 1
            if waited >= config.patience:
                break
    return history, best_scores, best_state


def _scalars(scores):
    return {k: v for k, v in scores.items() if isinstance(v, (int, float))}


def config_dict(config):
    return asdict(config)
