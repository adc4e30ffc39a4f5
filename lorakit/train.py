"""The training loop: short and readable, no hidden framework magic.

One function, `train`, fine-tunes a pretrained model on a task with one of three methods, so the
notebooks can compare them:

    lora   the body frozen, LoRA on the attention layers, the task head trained in full
    full   every weight trained (full fine-tuning)
    head   the body frozen, only the task head trained
    prompt nothing trained: a chat model as it is, asked with its prompt (and examples); validated only

It is built on `accelerate`, so the same code runs on a CPU, on one GPU in mixed precision (fp16 on
a T4, bf16 from compute capability 8.0), or in several processes under `torchrun`/`accelerate
launch`. AdamW, linear warm-up then decay (to 0 where a time limit ends training,
`lorakit.timelimit`), dynamic padding, evaluation after each epoch, early stopping, and the best
epoch's weights restored at the end. The same seed on a CPU gives the same metrics, unless a time
limit cut the run (how many steps fit depends on the machine's speed). The options are
`lorakit.config.TrainConfig`; prediction is in `lorakit.inference`.

Example (the bundled model and data; about a minute on a laptop CPU in fast mode):
    result = train(TrainConfig(task="sentiment", epochs=1, max_train_examples=64))
    result.metrics["accuracy"]
"""
import functools
import math
import time
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import torch
from torch.utils.data import DataLoader

from . import interrupts
from .config import TrainConfig, config_dict, default_rank
from .data import load_task_data
from .diagnostics import StepLog, record
from .device import accelerate_precision, select_device, select_precision, training_attention
from .errors import ConfigError, TrainingError
from .inference import predict_outputs
from .lora import apply_lora, count_parameters, loraplus_param_groups, rescaled, scale_update
from .measure import PeakMemory
from .pretrained import default_target_modules, load_tokenizer
from .timelimit import Deadline, LinearSchedule, agreed, cut_message, step_costs

MIN_VALIDATION_EXAMPLES = 16   # a deadline's validation scores at least these (or the whole set)


@dataclass
class TrainResult:
    model: torch.nn.Module
    tokenizer: object
    config: TrainConfig                 # resolved: the task's defaults filled in
    task: object                        # the run's Task, with its options and labels
    labels: list
    metrics: dict                       # validation metrics of the best epoch, plus parameter counts and timings
    history: list = field(default_factory=list)  # one dict per epoch: loss and validation metrics


@dataclass
class Run:
    """What the loop works on, set up once by `set_up`."""

    config: TrainConfig
    task: object
    model: torch.nn.Module
    tokenizer: object
    accelerator: object
    loader: DataLoader
    optimizer: torch.optim.Optimizer
    scheduler: object
    eval_set: object
    eval_features: object
    precision: str            # "fp32", "fp16" or "bf16" (lorakit's name; accelerate says "no" for fp32)
    schedule: LinearSchedule = None   # the scheduler's learning-rate factor (a time limit shortens it)
    costs: list = None        # padded tokens of each planned optimizer step, all epochs (`step_costs`)
    stop_at: int = 0          # optimizer steps to train in all: the plan, or fewer under a time limit
    steps_run: int = 0
    deadline: Deadline = None  # with --max-train-minutes: decides stop_at after every step
    log: StepLog = field(default_factory=StepLog)   # loss, lr and gradient norm of each step
    clock: object = time.perf_counter


def seed_everything(seed):
    """Seed Python, NumPy and torch (all devices) for a reproducible run."""
    from accelerate.utils import set_seed
    set_seed(seed)


def prepare_model(task, labels, config, base=None):
    """Load the pretrained model (`base`, default the task's) with a fresh head for `task` (a Task, or
    a task's name: the task that `config` with that name makes) and set up `config.method`'s
    trainable weights."""
    task = replace(config, task=task).make_task() if isinstance(task, str) else task
    model = task.load_model(labels, base or task.base_model(config.model), config.attention_dropout)
    heads = task.head_names(model)
    if config.method == "lora":
        targets = config.target_modules or default_target_modules(model.config.model_type)
        init = True if config.init_lora_weights == "default" else config.init_lora_weights  # peft's True
        r = config.r if config.r is not None else default_rank(task)   # an unresolved config
        apply_lora(model, targets, r=r, lora_alpha=config.lora_alpha,
                   lora_dropout=config.lora_dropout, use_rslora=config.use_rslora, modules_to_save=heads,
                   use_dora=config.use_dora, init_lora_weights=init, quantize=config.quantize)
    elif config.method in ("head", "prompt"):
        for name, p in model.named_parameters():
            p.requires_grad_(name.split(".")[0] in heads)
    return model


def load_datasets(config, task):
    """(train, validation) Datasets of `task` for the run: the user's files, the Hub's sets or the bundled ones."""
    data = load_task_data(task, source=config.data_source) if not (config.train_file and config.eval_file) else {}
    train_set = task.read(config.train_file) if config.train_file else data["train"]
    eval_set = task.read(config.eval_file) if config.eval_file else data["validation"]
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


def set_up(config):
    """Data, task, model, optimizer and schedule of a resolved `config`, prepared by accelerate."""
    from accelerate import Accelerator
    from accelerate.state import AcceleratorState
    check_tracker(config.report_to)
    device = select_device(config.device)
    precision = select_precision(device, config.precision)
    # accelerate keeps one state per process and refuses a second Accelerator with another precision
    # ("restart your runtime"): a notebook or a test may train in bf16 and then in fp32. A fresh
    # state for each run; the distributed PartialState (torchrun's process group) is kept.
    AcceleratorState._reset_state()
    accelerator = Accelerator(mixed_precision=accelerate_precision(precision), cpu=device == "cpu",
                              log_with=config.report_to, project_dir=config.logging_dir)
    seed_everything(config.seed)
    task = config.make_task()
    train_set, eval_set = load_datasets(config, task)
    task = task.relabelled(task.label_names(train_set))   # the training data's label names
    base = task.base_model(config.model)
    tokenizer = load_tokenizer(base)
    interrupts.reached("model")
    model = prepare_model(task, task.labels, config, base)
    eval_features = task.encode(eval_set, tokenizer, train=False)
    if config.method == "prompt":         # nothing to train: the model, ready to be validated
        model = accelerator.prepare(model)
        return Run(config, task, model, tokenizer, accelerator, [], None, None, eval_set, eval_features,
                   precision)
    train_features = task.encode(task.training_set(train_set), tokenizer, train=True)
    batches = length_grouped_batches([len(ids) for ids in train_features["input_ids"]],
                                     config.batch_size, config.seed)
    loader = DataLoader(train_features, batch_sampler=batches, collate_fn=task.collator(tokenizer))
    params = [p for p in model.parameters() if p.requires_grad]
    if config.loraplus_ratio:  # LoRA+: B (and vectors) at lr * ratio, as peft's create_loraplus_optimizer
        params = loraplus_param_groups(model, config.lr, config.loraplus_ratio, config.weight_decay)
    # fused: one kernel for all tensors (CPU and CUDA); torch's default on a CPU loops over them in Python
    optimizer = torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay,
                                  fused=device in ("cpu", "cuda") or None)
    # accelerate steps the schedule once per process at each optimizer step (a step trains a batch
    # in every process), so the schedule counts batches: per process steps times processes
    processes = accelerator.num_processes
    costs = config.epochs * step_costs(batches, [len(ids) for ids in train_features["input_ids"]], processes)
    schedule = LinearSchedule(int(config.warmup_ratio * len(costs) * processes), len(costs) * processes)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
    model, optimizer, loader, scheduler = accelerator.prepare(model, optimizer, loader, scheduler)
    return Run(config, task, model, tokenizer, accelerator, loader, optimizer, scheduler, eval_set,
               eval_features, precision, schedule, costs, len(costs))


def check_tracker(report_to):
    """Raise ConfigError if the package that --report-to needs is missing (accelerate would skip it)."""
    import importlib.util
    if report_to == "tensorboard" and importlib.util.find_spec("tensorboard") is None:
        raise ConfigError("--report-to tensorboard needs the tensorboard package: "
                          "pip install 'lorakit[tensorboard]' (or pip install tensorboard)")


def run_name(config):
    """A name for the run's training curves, e.g. 'ner-lora-r8-seed0-20261201-143000'."""
    return f"{config.task}-{config.method}-r{config.r}-seed{config.seed}-{time.strftime('%Y%m%d-%H%M%S')}"


def train(config: TrainConfig, progress=True, clock=time.perf_counter) -> TrainResult:
    """Fine-tune as `config` says and return the model with the best validation score restored.

    With `config.max_train_minutes`, the whole call ends within about that many minutes of `clock`
    (seconds; tests pass their own), training fewer steps where needed (`lorakit.timelimit`)."""
    from tqdm.auto import tqdm
    if config.method == "grpo":
        raise ConfigError("--method grpo is reinforcement learning: lorakit.grpo.train_grpo trains it")
    config = config.resolved()
    job_started = clock()
    run = set_up(config)
    run.clock = clock
    if config.max_train_minutes and run.loader:
        validation = sample_validation_seconds(run)
        run.deadline = Deadline(config.max_train_minutes, run.costs, len(run.costs) // config.epochs,
                                job_started, validation, training_from=clock())
    trainable, total = count_parameters(run.model)
    bar = tqdm(total=run.stop_at, desc=f"{config.task} {config.method}",
               disable=not (progress and run.accelerator.is_local_main_process))
    name = run_name(config)
    if config.report_to:
        hparams = {k: v for k, v in config_dict(config).items() if isinstance(v, (int, float, str, bool))}
        run.accelerator.init_trackers(name, config=hparams)
    started = clock()
    with PeakMemory(run.accelerator.device.type) as peak, training_attention_of(run):
        history, best_scores, best_state = fit(run, bar) if run.loader else prompted(run)
    bar.close()
    run.accelerator.end_training()
    # Without accelerate's autocast wrapper: the returned model computes in float32, like a loaded
    # run (on a bf16 or fp16 run, the wrapper made later predictions and timings silently bf16).
    model = run.accelerator.unwrap_model(run.model, keep_fp32_wrapper=False)
    model.load_state_dict(best_state, strict=False)
    scale_update(model, config.update_scale)
    model.eval()
    main = run.task.main_metric
    metrics = {**best_scores, "best_epoch": max(history, key=lambda h: h[main])["epoch"],
               "epochs_run": len(history), "trainable_params": trainable, "total_params": total,
               "trainable_percent": 100 * trainable / total,
               "train_seconds": round(clock() - started, 2),
               "steps_planned": len(run.costs or []), "steps_run": run.steps_run,
               "stopped_by_deadline": bool(run.deadline) and run.steps_run == run.stop_at < len(run.costs),
               "peak_memory_mb": round(peak.mb, 1), "device": run.accelerator.device.type,
               "precision": run.precision,
               "processes": run.accelerator.num_processes, "history": history}
    metrics["diagnostics"] = record(run, model, run.log)   # for `lorakit doctor`
    if config.report_to:
        metrics["logs"] = str(Path(config.logging_dir) / name)
    return TrainResult(model, run.tokenizer, config, run.task, run.task.labels, metrics, history)


@contextmanager
def training_attention_of(run):
    """The run's model with `training_attention` (eager on a CPU in bf16) while inside, and with the
    attention it was loaded with after: the returned model is like a loaded one."""
    attention = training_attention(run.accelerator.device.type, run.precision)
    if attention is None:
        yield
        return
    model = run.accelerator.unwrap_model(run.model)
    loaded = model.config._attn_implementation
    model.set_attn_implementation(attention)
    try:
        yield
    finally:
        model.set_attn_implementation(loaded)


def prompted(run):
    """What `fit` returns for a run that trains nothing: its validation scores as "epoch 0"."""
    scores = validate(run)
    return [{"epoch": 0, "train_loss": None, **scalar_metrics(scores)}], scores, {}


def fit(run, bar):
    """Epochs with early stopping: returns (history, best validation scores, best trainable weights)."""
    main = run.task.main_metric
    history, best, best_state, waited = [], -math.inf, None, 0
    for epoch in range(1, run.config.epochs + 1):
        loss = train_epoch(run, bar, epoch)
        validation_started = run.clock()
        share = run.deadline.validation_share(validation_started) if run.deadline else 1.0
        scores = validate(run, share)
        if run.deadline:    # the time of a whole validation, estimated from the share scored
            run.deadline.validated((run.clock() - validation_started) / max(share, 1e-3))
        history.append({"epoch": epoch, "train_loss": loss, **scalar_metrics(scores)})
        run.accelerator.log({f"validation/{k}": v for k, v in scalar_metrics(scores).items()},
                            step=run.steps_run)
        if run.accelerator.is_local_main_process and not bar.disable:
            bar.write(f"epoch {epoch}: loss {loss:.4f}, validation {main} {scores[main]:.4f}")
        if scores[main] > best:
            best, waited, best_scores = scores[main], 0, scores
            best_state = {k: p.detach().clone() for k, p in
                          run.accelerator.unwrap_model(run.model).named_parameters() if p.requires_grad}
        else:
            waited += 1
            if waited >= run.config.patience:
                break
        if run.steps_run >= run.stop_at:   # a time limit ended training in this epoch
            break
    return history, best_scores, best_state


def train_epoch(run, bar, epoch):
    """One pass over the training data (or up to `run.stop_at`, the steps a time limit leaves);
    returns the mean loss."""
    run.model.train()
    params = [p for p in run.model.parameters() if p.requires_grad]
    total = 0.0
    for step, batch in enumerate(run.loader, 1):
        interrupts.reached("train")
        interrupts.check()
        loss = run.task.loss(run.model, batch)
        if not torch.isfinite(loss):
            raise TrainingError(f"the loss became {loss.item()} at step {step} of epoch {epoch}; "
                                f"try a lower learning rate than --lr {run.config.lr:g}")
        run.accelerator.backward(loss)
        grad_norm = run.accelerator.clip_grad_norm_(params, run.config.max_grad_norm)
        run.log.add(loss.item(), grad_norm, run.scheduler.get_last_lr()[0])
        run.optimizer.step()
        run.scheduler.step()
        run.optimizer.zero_grad()
        total += loss.item()
        run.steps_run += 1
        run.accelerator.log({"train/loss": loss.item(), "train/learning_rate": run.scheduler.get_last_lr()[0]},
                            step=run.steps_run)
        bar.update(1)
        bar.set_postfix(loss=f"{loss.item():.4f}")
        planned = run.deadline.after_step(run.steps_run, run.clock()) if run.deadline else None
        if planned is not None:         # at the same step in every process: they agree on rank 0's plan
            replan(run, agreed(planned, run.accelerator), bar)
        if run.steps_run >= run.stop_at:
            break
    return total / step


def replan(run, steps, bar):
    """Train `steps` optimizer steps in all (at most the plan), the learning rate decaying to 0 at
    the last; says so when the deadline first cuts the plan."""
    steps = min(steps, len(run.costs))
    if steps == run.stop_at:
        return
    if run.stop_at == len(run.costs) and run.accelerator.is_local_main_process and not bar.disable:
        bar.write(cut_message(run.config.max_train_minutes, steps, len(run.costs)))
    run.schedule.total = steps * run.accelerator.num_processes
    run.stop_at = steps
    bar.total = steps


def sample_validation_seconds(run, sample=64, batch_size=64):
    """Seconds one validation is expected to take (the deadline's first guess): `sample` validation
    examples spread over the set, predicted now in one batch (after two untimed ones: the first
    call pays one-time costs) and timed, scaled by padded tokens to the whole set's batches
    (`predict_outputs` batches it shortest first)."""
    features = run.eval_features
    lengths = [len(ids) for ids in features["input_ids"]]
    ordered = sorted(lengths)
    padded = sum(len(ordered[i:i + batch_size]) * ordered[i:i + batch_size][-1]
                 for i in range(0, len(ordered), batch_size))
    n = min(sample, len(lengths))
    picked = sorted({round(i * (len(lengths) - 1) / max(n - 1, 1)) for i in range(n)})
    model = run.accelerator.unwrap_model(run.model)
    predict = functools.partial(predict_outputs, model, task=run.task, tokenizer=run.tokenizer,
                                device=run.accelerator.device, autocast=run.accelerator.autocast)
    predict(features.select(picked[:2]))
    started = run.clock()
    predict(features.select(picked), batch_size=batch_size)
    return (run.clock() - started) * padded / (len(picked) * max(lengths[i] for i in picked))


def validate(run, share=1.0):
    """The task's metrics on the validation split, predicted by the model as `train` would return it
    now (its LoRA update times --update-scale). With `share` < 1 (a deadline that leaves too little
    time), on that share of the examples, evenly spread, and "validation_examples" says how many."""
    eval_set, features = run.eval_set, run.eval_features
    scored = max(MIN_VALIDATION_EXAMPLES, math.floor(share * len(eval_set)))
    if scored < len(eval_set):
        eval_set = eval_set.select(sorted({round(i * (len(eval_set) - 1) / max(scored - 1, 1))
                                           for i in range(scored)}))
        features = run.task.encode(eval_set, run.tokenizer, train=False)
    model = run.accelerator.unwrap_model(run.model)
    with rescaled(model, run.config.update_scale):   # the model `train` will return
        outputs = predict_outputs(model, features, run.task, run.tokenizer,
                                  device=run.accelerator.device, autocast=run.accelerator.autocast)
    scores = run.task.metrics(eval_set, run.task.postprocess(eval_set, features, outputs))
    return scores if eval_set is run.eval_set else {**scores, "validation_examples": len(eval_set)}


def scalar_metrics(scores):
    """The numbers of a metrics dict, without lists and nested dicts (confusion matrix, per type)."""
    return {k: v for k, v in scores.items() if isinstance(v, (int, float))}
