"""The options of a training run, each declared once: its default, its flag, its help and its check.

`TrainConfig` is what `lorakit train` builds from its flags, what `lorakit.json` records, and what
`predict`, `evaluate` and `sweep` read back. The command line is made from the fields
(`add_options`), so an option is written in one place; `resolved()` fills in the task's defaults and
checks every value with the same rule the flag uses. The task itself is built once from the config
(`make_task`) and travels with the run.

Example:
    >>> config = TrainConfig(task="qa").resolved()
    >>> config.epochs, config.lr, config.target_modules
    (1, 0.002, 'all-linear')
    >>> config.make_task().doc_stride
    64
    >>> TrainConfig(r=0).resolved()
    Traceback (most recent call last):
    lorakit.errors.ConfigError: --rank must be a positive integer, got 0
"""
import argparse
import copy
import math
import re
import warnings
from dataclasses import asdict, dataclass, field, fields

from .device import PRECISIONS
from .errors import ConfigError, LorakitWarning
from .lora import TOP_LAYERS
from .tasks import TASKS
from .tasks.registry import make_task, option_owners

METHODS = ("lora", "full", "head", "prompt", "grpo")
# Learning rates that work for each method on the bundled model (full fine-tuning needs a small one);
# prompting trains nothing.
DEFAULT_LR = {"lora": 1e-3, "full": 5e-5, "head": 3e-3, "prompt": None, "grpo": 2e-3}
DEFAULT_R = 8                      # LoRA rank, where the task sets none
MAX_SEED = 2**32 - 1     # numpy.random.seed takes 0 .. 2**32 - 1


@dataclass(frozen=True)
class Check:
    """What values an option takes: `convert` (the flag's text to a value) then `valid(value)`."""

    convert: type
    valid: object
    expected: str

    def ok(self, value):
        if isinstance(value, bool) or not isinstance(value, (int, float) if self.convert is float else self.convert):
            return False
        return bool(self.valid(value))


POSITIVE_INT = Check(int, lambda v: v >= 1, "a positive integer")
NON_NEGATIVE_INT = Check(int, lambda v: v >= 0, "an integer >= 0")
POSITIVE_NUMBER = Check(float, lambda v: 0 < v < math.inf, "a number > 0")
PROBABILITY = Check(float, lambda v: 0 <= v < 1, "a number in [0, 1)")
SEED = Check(int, lambda v: 0 <= v <= MAX_SEED, f"an integer in 0..{MAX_SEED}")
FRACTION = Check(float, lambda v: 0 <= v <= 1, "a number in [0, 1]")
NON_NEGATIVE_NUMBER = Check(float, lambda v: 0 <= v < math.inf, "a number >= 0")


def option(default, help=None, flag=None, check=None, choices=None, sweep=True):
    """A TrainConfig field with what the command line needs to offer it (no `help`: no flag).

    `help` may hold `{defaults}` or `{overrides}`, filled in with the tasks' own defaults (each task
    declares them), and `{tasks}`, the task names.
    `sweep=False` leaves the flag out of `lorakit sweep`, which sets it per run.
    """
    return field(default=default, metadata=dict(help=help, flag=flag, check=check, choices=choices,
                                                sweep=sweep))


def target_modules(text):
    r"""The --target-modules value: comma-separated layer names, "all-linear", "top-K" or "top-N/D"
    (every Linear of the last K blocks, or of that fraction of them: `lora.top_layers`), or a regex
    that must match a layer's whole path (text with any of \^$*+?()[]{}| in it; peft takes a string
    so too).

    >>> target_modules("q_proj, v_proj"), target_modules(r"model\.layers\.(1|2)\..*_proj")
    (['q_proj', 'v_proj'], 'model\\.layers\\.(1|2)\\..*_proj')
    >>> target_modules("top-2/3")
    'top-2/3'
    """
    if TOP_LAYERS.fullmatch(text.strip()):
        return text.strip()
    if re.search(r"[\\^$*+?()\[\]{}|]", text):
        try:
            re.compile(text)
        except re.error as e:
            raise argparse.ArgumentTypeError(f"not a valid regular expression: {e}") from None
        return text
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise argparse.ArgumentTypeError("expected comma-separated layer names, e.g. query,value")
    return names[0] if names in (["all-linear"], ["mlp"]) else names   # presets: lora.find_target_modules


@dataclass
class TrainConfig:
    """Every option of a run; `lorakit.json` records it. None means "the default for the task"."""

    task: str = option("sentiment", "the task: {tasks}", choices="tasks")
    method: str = option("lora", "lora (default), full fine-tuning, the task head only, or prompt: "
                         "no training, the chat model prompted as it is (with --shots examples), or grpo: LoRA "
                         "(rank 4 unless --rank) trained by reinforcement learning on --reward (chat only; "
                         "lorakit.grpo)",
                         choices=METHODS, sweep=False)
    r: int = option(None, "LoRA rank r (default 8{overrides})", "--rank", POSITIVE_INT, sweep=False)
    lora_alpha: float = option(16, "lora_alpha (default 16)", "--alpha", POSITIVE_NUMBER)
    lora_dropout: float = option(0.0, "LoRA dropout in [0, 1) (default 0)", "--dropout", PROBABILITY)
    attention_dropout: float = option(None, "dropout on attention probabilities (default: the model's "
                                      "own{overrides})", check=PROBABILITY)
    max_length: int = option(None, "tokens per example or window (default {defaults})", check=POSITIVE_INT)
    doc_stride: int = option(None, "tokens shared by neighbouring windows of a long context "
                             "(default {defaults})", check=NON_NEGATIVE_INT)
    label_all_tokens: bool = option(False, "train on every sub-token of a word, not only the first")
    shots: int = option(None, "solved examples put before each question when a chat model is asked "
                        "(default 0: zero-shot)", check=NON_NEGATIVE_INT)
    reward: str = option(None, "--method grpo: the task whose questions are asked and whose gold answers score "
                         "the replies", choices=("sentiment", "ner", "qa"))
    group_size: int = option(None, "--method grpo: replies sampled per question (default 8)", check=POSITIVE_INT)
    reply_tokens: int = option(None, "--method grpo: the longest reply sampled (default: the reward task's, "
                               "sentiment 4, ner 64, qa 16)", check=POSITIVE_INT)
    temperature: float = option(None, "--method grpo: sampling temperature (default 1)", check=POSITIVE_NUMBER)
    kl_weight: float = option(None, "--method grpo: weight of the KL penalty to the base model (default 0)",
                              check=NON_NEGATIVE_NUMBER)
    max_new_tokens: int = option(None, "the longest reply a chat model generates (default {defaults})",
                                 check=POSITIVE_INT)
    replay: float = option(None, "the base model's own answers to general requests mixed into chat "
                           "training, as a fraction of the training set, against forgetting "
                           "(default {defaults}; 0: none)", check=FRACTION)
    update_scale: float = option(None, "keep this fraction of the learned LoRA update when training ends "
                                 "(B times it; WiSE-FT's dial between the base model, 0, and the trained "
                                 "one, 1), against forgetting (default 1{overrides})", check=FRACTION)
    use_rslora: bool = option(False, "scale by alpha/sqrt(r) instead of alpha/r", "--rslora")
    use_dora: bool = option(False, "DoRA: learn a magnitude per output row too (Liu et al., 2024)")
    init_lora_weights: str = option("default", "how A and B start: default (Kaiming-uniform A, zero B), "
                                    "gaussian (A ~ N(0, 1/r)) or pissa (top singular vectors of W0)",
                                    "--init", choices=("default", "gaussian", "pissa"))
    loraplus_ratio: float = option(None, "LoRA+: B's learning rate is this times --lr "
                                   "(Hayou et al., 2024; default: plain LoRA)", check=POSITIVE_NUMBER)
    quantize: str = option(None, "nf4: QLoRA, the frozen body stored in 4-bit NormalFloat with double "
                           "quantisation (Dettmers et al., 2023; default: full precision)", choices=("nf4",))
    target_modules: list = option(None, "layers to adapt, e.g. query,value, all-linear, or top-K / "
                                  "top-N/D: every Linear of the last K blocks, or of that fraction "
                                  "of them (default: the model family's attention query and "
                                  "value{overrides})")
    model: str = option(None, "Hub name or folder (default: bundled all-MiniLM-L6-v2)")
    train_file: str = option(None, "training file (default: the bundled train split)", "--train")
    eval_file: str = option(None, "validation file (default: the bundled validation split)", "--eval")
    data_source: str = option("bundled", "hub: the task's Hub data set (CoNLL-2003, SST-2, SQuAD)",
                              choices=("bundled", "hub"))
    max_train_examples: int = option(None, "use the first N training examples (default: all{overrides})",
                                     check=POSITIVE_INT)
    max_train_minutes: float = option(None, "train for at most about M minutes: the first steps measure "
                                      "the speed, then the run trains as many of its batches as fit, the "
                                      "learning rate decaying to 0 at the last (0: no limit; default: "
                                      "none{overrides})", check=NON_NEGATIVE_NUMBER)
    max_eval_examples: int = option(None, "use the first N validation examples (default: all{overrides})",
                                    check=POSITIVE_INT)
    epochs: int = option(None, "epochs (default {defaults})", check=POSITIVE_INT)
    batch_size: int = option(None, "examples per batch (default {defaults})", check=POSITIVE_INT)
    lr: float = option(None, "learning rate (default by method: lora 1e-3, full 5e-5, head 3e-3"
                       "{overrides})", check=POSITIVE_NUMBER)
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    max_grad_norm: float = 1.0
    patience: int = option(2, "epochs without improvement before stopping early (default 2)",
                           check=POSITIVE_INT)
    seed: int = option(0, f"random seed in 0..{MAX_SEED} (default 0)", check=SEED, sweep=False)
    report_to: str = option(None, "tensorboard: write training curves (loss and learning rate per step, "
                            "validation metrics per epoch); needs pip install 'lorakit[tensorboard]'",
                            choices=("tensorboard",))
    logging_dir: str = option("runs/logs", "where --report-to writes, one folder per run (default runs/logs)")
    device: str = option("auto", "where to train (default: the best there is)",
                         choices=("auto", "cpu", "cuda", "mps"))
    precision: str = option("auto", "auto (default): fp16 or bf16 by GPU; on a CPU bf16 autocast where it "
                            "computes bf16 natively (AMX, AVX512-BF16), else fp32", choices=PRECISIONS)

    def resolved(self):
        """A copy with the task's defaults filled in and every option checked."""
        c = copy.deepcopy(self)
        kind = c.make_task(options=False)     # the task's defaults; its options are checked below
        if c.method not in kind.methods:
            raise ConfigError(f"--method {c.method} does not apply to --task {c.task} "
                              f"(valid: {', '.join(kind.methods)})")
        plain_lora = c.method == "lora" and not c.use_dora   # the only update that --update-scale interpolates
        not_applicable = {"target_modules": c.method != "lora", "update_scale": not plain_lora}
        for name, value in kind.defaults.items():
            if getattr(c, name) is None and not not_applicable.get(name):
                setattr(c, name, value.get(c.method) if isinstance(value, dict) else value)
        c.lr = DEFAULT_LR[c.method] if c.lr is None else c.lr
        c.r = default_rank(kind) if c.r is None else c.r
        for f in fields(c):
            check, value = f.metadata.get("check"), getattr(c, f.name)
            if check is not None and value is not None and not check.ok(value):
                raise ConfigError(f"{flag_of(f)} must be {check.expected}, got {value!r}")
        c.update_scale = 1.0 if c.update_scale is None else c.update_scale
        if c.update_scale != 1 and not plain_lora:
            raise ConfigError(f"--update-scale applies to plain LoRA updates (--method lora without "
                              f"--use-dora), not {'DoRA' if c.use_dora else '--method ' + c.method}")
        if c.quantize and c.method != "lora":
            raise ConfigError(f"--quantize {c.quantize} applies to --method lora only (QLoRA), not {c.method}")
        check_task_options(c)
        check_grpo_options(c)
        return c

    def make_task(self, labels=None, options=True):
        """The run's Task, with its options and `labels` (default: the task's own): the one place
        where a run's options become its task, which then travels with the run. `options=False`
        leaves the task's own defaults (what `resolved` fills in before it checks the options)."""
        return make_task(self.task, asdict(self) if options else {}, labels)


def check_task_options(config):
    """Refuse an option set for a task that has no such option; let the task check its own."""
    for f in fields(config):
        owners = option_owners(f.name)
        value = getattr(config, f.name)
        if owners and config.task not in owners and value not in (None, False):
            raise ConfigError(f"{flag_of(f)} applies to --task {' or '.join(owners)} only, not {config.task}")
    config.make_task()


GRPO_OPTIONS = ("reward", "group_size", "reply_tokens", "temperature", "kl_weight")


def check_grpo_options(config):
    """Refuse a GRPO option without --method grpo, and --method grpo without --reward."""
    given = [f for f in fields(config) if f.name in GRPO_OPTIONS and getattr(config, f.name) is not None]
    if config.method != "grpo" and given:
        raise ConfigError(f"{flag_of(given[0])} applies to --method grpo only, not {config.method}")
    if config.method == "grpo" and config.reward is None:
        raise ConfigError("--method grpo needs --reward: sentiment, ner or qa")


def flag_of(f):
    return f.metadata.get("flag") or "--" + f.name.replace("_", "-")


def config_dict(config):
    """The config as a plain dict (what lorakit.json stores under "options")."""
    return asdict(config)


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


# ----------------------------------------------------------------------------- the command line
def argument_type(check):
    """An argparse type for `check`: convert the text, then require the check; errors say why."""
    def parse(text):
        try:
            value = check.convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {check.expected}, got {text!r}") from None
        if not check.valid(value):
            raise argparse.ArgumentTypeError(f"expected {check.expected}, got {value:g}")
        return value
    return parse


def default_rank(task):
    """The LoRA rank of a run of `task` (a Task) that gives none: the task's own, else DEFAULT_R.

    >>> from lorakit.tasks import ChatTask, SentimentTask
    >>> default_rank(ChatTask()), default_rank(SentimentTask())
    (16, 8)
    """
    return task.defaults.get("r", DEFAULT_R)


def task_defaults(name):
    """{task: its default of option `name`} for the tasks that declare one (LoRA's, for the lr)."""
    values = {task: {**kind.option_defaults, **kind.defaults}.get(name) for task, kind in TASKS.items()}
    values = {task: v.get("lora") if isinstance(v, dict) else v for task, v in values.items()}
    return {task: v for task, v in values.items() if v is not None}


def defaults_help(name):
    """The tasks' defaults of `name` as a help text says them: the usual one, then the others.

    >>> defaults_help("max_length"), defaults_help("epochs")
    ('128, qa 256, chat 1024', '1, sentiment 5, ner 3')
    """
    given = task_defaults(name)
    usual = max(given.values(), key=list(given.values()).count)
    others = [f"{task} {v}" for task, v in given.items() if v != usual]
    return ", ".join([str(usual)] + others)


def overrides_help(name):
    """The tasks that change option `name` from its usual default, e.g. "; qa all-linear"."""
    return "".join(f"; {task} {v}" for task, v in task_defaults(name).items())


def add_options(parser, sweep=False):
    """Add a flag for every TrainConfig field that has help; `sweep` leaves out per-run flags."""
    for f in fields(TrainConfig):
        meta = f.metadata
        if not meta.get("help") or (sweep and not meta["sweep"]):
            continue
        help_text = meta["help"]
        for key, fill in (("{defaults}", defaults_help), ("{overrides}", overrides_help)):
            help_text = help_text.replace(key, fill(f.name) if key in help_text else "")
        help_text = help_text.replace("{tasks}", ", ".join(TASKS))
        kwargs = dict(dest=f.name, help=help_text)
        if f.type is bool:
            kwargs.update(action="store_true")
        else:
            choices = list(TASKS) if meta["choices"] == "tasks" else meta["choices"]
            kwargs.update(default=f.default, choices=choices, metavar=None if choices else
                          flag_of(f)[2:].upper().replace("-", "_"),
                          type=argument_type(meta["check"]) if meta["check"] else
                          target_modules if f.name == "target_modules" else None)
        parser.add_argument(flag_of(f), required=f.name == "task", **kwargs)


def config_from_args(args, **overrides):
    """The TrainConfig of parsed command-line `args` (fields the parser lacks keep their defaults)."""
    given = {f.name: getattr(args, f.name) for f in fields(TrainConfig) if hasattr(args, f.name)}
    return TrainConfig(**{**given, **overrides})
