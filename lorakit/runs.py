"""A trained run on disk: what `lorakit train` writes and `predict`/`evaluate` read back.

    DIR/adapter_config.json, adapter_model.safetensors   method lora: peft's format (head included)
    DIR/head_model.safetensors                            method head: the trained head's weights
    DIR/config.json, model.safetensors, tokenizer files   method full: a whole transformers model
    (no weights)                                          method prompt: the base model as it is
    DIR/lorakit.json                                      task, labels, base model, seed, precision, options, versions
    DIR/metrics.json                                      validation metrics, parameter counts, timings

A run is written into a hidden staging folder beside DIR and renamed into place at the end, so an
interrupted run never leaves a half-written DIR. An existing DIR is replaced only with
`overwrite=True`, only when it holds a lorakit run and nothing else (lorakit.json lists the run's
files), and only after the new run is complete on disk.
"""
import fnmatch
import json
import os
import shutil
import tempfile
from pathlib import Path

from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from . import interrupts
from ._io import check_can_write, plain_mode, write_json
from .adapters import check_finite, load_adapter, save_adapter
from .errors import AdapterError, ConfigError, WriteError
from .config import METHODS, config_dict, config_from_dict
from .models import head_module_names, load_task_model, load_tokenizer
from .quant import check_quantize, quantize_model

RUN_FILE, METRICS_FILE, HEAD_FILE = "lorakit.json", "metrics.json", "head_model.safetensors"
RUN_FIELDS = ("task", "method", "labels", "base_model", "options")
# What a run saved before lorakit.json listed its files may hold (adapter, head or whole model).
OLD_RUN_FILES = (RUN_FILE, METRICS_FILE, HEAD_FILE, "adapter_config.json", "adapter_model.safetensors",
                 "config.json", "generation_config.json", "model.safetensors", "model-*-of-*.safetensors",
                 "model.safetensors.index.json", "tokenizer.json", "tokenizer_config.json",
                 "special_tokens_map.json", "added_tokens.json", "vocab.txt", "vocab.json", "merges.txt",
                 "chat_template.jinja", "tokenizer.model", "spiece.model", "sentencepiece.bpe.model")


def versions():
    """Versions of the packages a run depends on, recorded in lorakit.json."""
    import peft
    import torch
    import transformers

    from . import __version__
    return {"lorakit": __version__, "torch": torch.__version__,
            "transformers": transformers.__version__, "peft": peft.__version__}


def check_out_dir(out, overwrite=False, inputs=(), need_bytes=0):
    """Raise unless the folder `out` can take a new run; `lorakit train` calls it before training.

    A run goes into a new or empty folder. With `overwrite`, a folder is replaced only when it holds
    a lorakit run and nothing else: never the current folder or one above it, a folder that holds
    one of the `inputs` (training and validation files), a symbolic link, or a folder with other files.
    """
    out = Path(out)
    here, target = Path.cwd().resolve(), out.resolve()
    if target == here or target in here.parents:
        raise WriteError(f"--out {out}: is the current folder or holds it; name a folder for the run, "
                         f"e.g. --out runs/{out.resolve().name or 'run'}")
    if out.is_symlink():
        raise WriteError(f"--out {out}: is a symbolic link; give the folder it points to")
    if out.exists() and not out.is_dir():
        raise WriteError(f"--out {out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()):
        if not overwrite:
            raise WriteError(f"--out {out}: folder is not empty; choose another or pass --overwrite")
        check_replaceable(out, inputs)
    check_can_write(out, "--out", need_bytes)


def check_replaceable(out, inputs=()):
    """Raise unless `--overwrite` may delete the folder `out`: a lorakit run and nothing else."""
    for file in inputs:
        if file and out.resolve() in Path(file).resolve().parents:
            raise WriteError(f"--out {out}: holds the input file {file}, which --overwrite would delete")
    refuse = f"--out {out}: --overwrite replaces only a folder that lorakit train wrote, and"
    try:
        info = json.loads((out / RUN_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise WriteError(f"{refuse} this one holds no readable {RUN_FILE}; choose another --out") from None
    files = info.get("files") if isinstance(info, dict) else None
    for entry in sorted(out.iterdir()):
        own = entry.name in files if isinstance(files, list) else _written_by_lorakit(entry.name)
        if entry.name != RUN_FILE and not (own and entry.is_file() and not entry.is_symlink()):
            raise WriteError(f"{refuse} {entry.name} is not part of the run; move it or choose another --out")


def _written_by_lorakit(name):
    """For runs saved before lorakit.json listed its files: a name that `save_run` may write."""
    return any(fnmatch.fnmatch(name, pattern) for pattern in OLD_RUN_FILES)


def expected_size(config):
    """About how many bytes a run will take on disk: the base model's weights for full
    fine-tuning, a tenth of them (at least 8 MB) for an adapter or a head."""
    folder = Path(config.make_task().base_model(config.model))
    weights = sum(f.stat().st_size for f in folder.glob("*") if f.suffix in (".safetensors", ".bin")) \
        if folder.is_dir() else 0        # a Hub name: not known before the download
    return weights + 2**22 if config.method == "full" else max(2**23, weights // 10)


def save_run(result, out, overwrite=False):
    """Write a TrainResult (or copy a run folder that `save_run` wrote) to the folder `out`: staged
    beside it, then renamed into place.

    An old run at `out` (with `overwrite`) is set aside, the new one renamed in, and only then the
    old one deleted; an interrupt meanwhile waits for that to finish. A write that fails (no room,
    no permission) leaves `out` as it was and raises a WriteError.
    """
    out = Path(out)
    check_out_dir(out, overwrite)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.partial-"))
    except OSError as e:
        raise WriteError(f"--out {out}: cannot create it ({e.strerror or e})") from None
    try:
        os.chmod(stage, plain_mode(folder=True))  # mkdtemp makes it owner-only
        if isinstance(result, (str, os.PathLike)):   # a saved run: checked, then copied
            read_run_info(result)
            shutil.copytree(result, stage, dirs_exist_ok=True)
        else:
            write_run_files(result, stage)
        with interrupts.deferred():
            replace_folder(stage, out)
    except OSError as e:
        raise WriteError(f"--out {out}: the run could not be written ({e.strerror or e}); "
                         f"nothing at {out} was changed") from None
    finally:
        with interrupts.deferred():
            shutil.rmtree(stage, ignore_errors=True)   # already gone when the run is in place
    return out


def write_run_files(result, folder):
    """The files of a run, in `folder`; lorakit.json lists them all, for a later --overwrite."""
    config, model = result.config, result.model
    base = result.task.base_model(config.model)
    if config.method in ("lora", "grpo"):     # grpo: a LoRA adapter trained by RL
        save_adapter(model, folder, base_model_name_or_path=base, task_type=result.task.peft_task_type)
    elif config.method == "head":
        heads = head_module_names(model)
        state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()
                 if k.split(".")[0] in heads}
        save_file(state, folder / HEAD_FILE)
    elif config.method == "full":
        model.save_pretrained(folder)
        result.tokenizer.save_pretrained(folder)
    write_json(folder / METRICS_FILE, result.metrics)
    files = sorted(p.name for p in folder.iterdir()) + [RUN_FILE]
    write_json(folder / RUN_FILE, {"task": config.task, "method": config.method,
                                   "labels": result.labels, "base_model": base,
                                   "seed": config.seed, "precision": result.metrics.get("precision"),
                                   "options": config_dict(config),
                                   "versions": versions(), "files": files})


def replace_folder(new, target):
    """Rename the folder `new` to `target`. An existing `target` is renamed aside first and deleted
    only once `new` is in place, so at every moment one whole folder is at `target` or aside."""
    if not target.exists():
        os.replace(new, target)
        return
    aside = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.old-"))
    os.replace(target, aside)              # replaces the empty folder mkdtemp made
    try:
        os.replace(new, target)
    except BaseException:
        os.replace(aside, target)
        raise
    shutil.rmtree(aside)


def read_run_info(model_dir):
    """The checked contents of `model_dir/lorakit.json`: every field present and of its type."""
    model_dir = Path(model_dir)
    if not model_dir.is_dir():
        raise AdapterError(f"--model-dir {model_dir}: no such folder")
    file = model_dir / RUN_FILE
    if not file.is_file():
        raise AdapterError(f"--model-dir {model_dir}: holds no trained run ({RUN_FILE} is missing; "
                           f"make one with lorakit train --out {model_dir})")
    try:
        info = json.loads(file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise AdapterError(f"{file}: not valid JSON ({e})") from None
    missing = [k for k in RUN_FIELDS if not isinstance(info, dict) or k not in info]
    if missing:
        raise AdapterError(f"{file}: missing field(s) {', '.join(missing)}")
    try:
        check_run_info(info)
    except ConfigError as e:
        raise AdapterError(f"{file}: {e}") from None
    return info


def check_run_info(info):
    """Raise ConfigError unless the fields of a lorakit.json have their types and valid values."""
    if not isinstance(info["options"], dict):
        raise ConfigError(f"'options' must be a JSON object, got {type(info['options']).__name__}")
    if not isinstance(info["task"], str):
        raise ConfigError(f"'task' must be a task name, got {info['task']!r}")
    if info["method"] not in METHODS:
        raise ConfigError(f"'method' must be one of {', '.join(METHODS)}, got {info['method']!r}")
    config = config_from_dict({**info["options"], "task": info["task"], "method": info["method"]})
    task = config.make_task(options=False)
    labels = info["labels"]
    if task.default_labels is not None and not (
            isinstance(labels, list) and labels and all(isinstance(n, str) and n for n in labels)
            and len(set(labels)) == len(labels)):
        raise ConfigError(f"'labels' must be the run's label names (a list of distinct strings), "
                          f"got {labels!r}")
    if not isinstance(info["base_model"], str) or not info["base_model"]:
        raise ConfigError(f"'base_model' must be a model name or folder, got {info['base_model']!r}")
    config.resolved()


def load_run(model_dir):
    """(model, tokenizer, info) of a run that `save_run` wrote; the model in eval mode."""
    model_dir = Path(model_dir)
    info = read_run_info(model_dir)
    task, method, labels = info["task"], info["method"], info["labels"]
    if method == "full":
        model = load_task_model(task, labels, model_dir)
        check_finite(dict(model.named_parameters()), model_dir / "model.safetensors")
        return model.eval(), load_tokenizer(model_dir), info
    model = load_task_model(task, labels, info["base_model"])
    if method in ("lora", "grpo"):
        load_adapter(model, model_dir)
        quantize = info["options"].get("quantize")
        if quantize:  # QLoRA: the body stored in NF4 as in training (apply_lora's quantize step)
            check_quantize(quantize)
            quantize_model(model, "all-linear", model.lora_config.modules_to_save)
    elif method == "head":
        _load_head(model, model_dir / HEAD_FILE)
    return model.eval(), load_tokenizer(info["base_model"]), info


def _load_head(model, file):
    try:
        state = load_file(file)
    except FileNotFoundError:
        raise AdapterError(f"{file.parent}: holds no head weights ({HEAD_FILE} is missing)") from None
    except (SafetensorError, OSError) as e:
        raise AdapterError(f"{file}: damaged or truncated safetensors file ({e})") from None
    check_finite(state, file)
    own = model.state_dict()
    for key, value in state.items():
        if key not in own or own[key].shape != value.shape:
            raise AdapterError(f"{file}: {key} does not fit this model (made for another base model "
                               f"or label set?)")
    model.load_state_dict(state, strict=False)


def keep_run(result, folder):
    """Save a TrainResult (or copy a run folder that `save_run` wrote) where it outlives the
    session, and return the folder.

    On Colab the runtime's disk is wiped when it resets; a folder under /content/drive (your
    Google Drive, mounted here on first use) is not. Anywhere else `folder` is an ordinary path. An
    earlier run in `folder` is replaced (only a lorakit run; see `check_out_dir`).

    Example (in a notebook):
        keep_run(result, "/content/drive/MyDrive/lorakit/ner")
        keep_run("runs/ner", "/content/drive/MyDrive/lorakit/ner")      # a run saved before
    """
    folder = Path(folder)
    if folder.parts[:3] == ("/", "content", "drive") and not Path("/content/drive/MyDrive").is_dir():
        from google.colab import drive    # only on Colab
        drive.mount("/content/drive")
    return save_run(result, folder, overwrite=(folder / RUN_FILE).is_file())


def push_to_hub(folder, repo_id, private=True):
    """Upload a saved run (its adapter in peft's format, lorakit.json, metrics) to the Hugging Face Hub.

    Anyone can then load the adapter with `peft.PeftModel.from_pretrained(base, repo_id)`. Needs a
    login (`huggingface-cli login`, or HF_TOKEN) and the internet. Returns the repository's URL.

    Example:
        push_to_hub("runs/ner", "your-name/minilm-ner-lora")
        'https://huggingface.co/your-name/minilm-ner-lora'
    """
    import huggingface_hub
    read_run_info(folder)                  # a whole run, not any folder
    try:
        url = huggingface_hub.create_repo(repo_id, private=private, exist_ok=True)
        huggingface_hub.upload_folder(repo_id=repo_id, folder_path=str(folder),
                                      commit_message="lorakit run")
    except Exception as e:        # no login, no network, a name taken: one line
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise WriteError(f"could not push {folder} to the Hub as {repo_id!r} ({first})") from None
    return str(url)
