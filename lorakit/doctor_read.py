"""What `lorakit doctor` reads from a folder: a lorakit run or a plain peft adapter folder.

    lorakit.json                 the run's task, base model, precision and options
    metrics.json                 its "history" and "diagnostics" (`lorakit.diagnostics`)
    adapter_config.json          r, lora_alpha, target_modules, task_type, base_model_name_or_path
    adapter_model.safetensors    the LoRA factors: their shapes and the update (lora_alpha / r) B A
    tokenizer_config.json        padding_side, when a tokenizer was saved with the adapter
    trainer_state.json           a transformers Trainer checkpoint's log: loss, learning_rate, grad_norm

Example:
    folder = read_folder("runs/sentiment")
    folder.steps["loss"][:3], folder.lora_shapes()
"""
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from .errors import AdapterError

RUN_FILE, METRICS_FILE, CONFIG_FILE = "lorakit.json", "metrics.json", "adapter_config.json"
WEIGHTS_FILE, TOKENIZER_FILE, TRAINER_FILE = "adapter_model.safetensors", "tokenizer_config.json", "trainer_state.json"


@dataclass
class Folder:
    """The parts of a run folder that a diagnosis looks at; each empty when its file is absent."""

    path: Path
    info: dict = field(default_factory=dict)          # lorakit.json
    metrics: dict = field(default_factory=dict)       # metrics.json
    adapter: dict = field(default_factory=dict)       # adapter_config.json
    tensors: dict = field(default_factory=dict)       # adapter_model.safetensors: {key: tensor}
    tokenizer: dict = field(default_factory=dict)     # tokenizer_config.json
    steps: dict = field(default_factory=dict)         # {"loss": [...], "lr": [...], "grad_norm": [...]}

    @property
    def diagnostics(self):
        value = self.metrics.get("diagnostics")
        return value if isinstance(value, dict) else {}

    @property
    def options(self):
        value = self.info.get("options")
        return value if isinstance(value, dict) else {}

    def lora_shapes(self):
        """{module name: (rows of lora_A, columns of lora_B)}: the rank each factor was saved with.

        >>> import torch
        >>> Folder(Path("."), tensors={"base_model.model.q.lora_A.weight": torch.zeros(4, 8),
        ...                            "base_model.model.q.lora_B.weight": torch.zeros(8, 4)}).lora_shapes()
        {'q': (4, 4)}
        """
        shapes = {}
        for key, value in self.tensors.items():
            for part, axis in ((".lora_A.weight", 0), (".lora_B.weight", 1)):
                if key.endswith(part) and value.dim() == 2:
                    name = key[:-len(part)].removeprefix("base_model.model.")
                    shapes.setdefault(name, [None, None])[axis] = value.shape[axis]
        return {name: tuple(pair) for name, pair in shapes.items()}


def read_json(file):
    """The JSON object in `file`, {} when there is no such file; AdapterError when it is damaged."""
    if not file.is_file():
        return {}
    try:
        value = json.loads(file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, OSError) as e:
        raise AdapterError(f"{file}: cannot be read as JSON ({e})") from None
    if not isinstance(value, dict):
        raise AdapterError(f"{file}: expected a JSON object, got {type(value).__name__}")
    return value


def read_tensors(file):
    """{key: tensor} of a safetensors file, {} when there is none; AdapterError when it is damaged."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file
    if not file.is_file():
        return {}
    try:
        return load_file(file)
    except (SafetensorError, OSError, ValueError) as e:
        raise AdapterError(f"{file}: damaged or truncated safetensors file ({e})") from None


def trainer_steps(state):
    """The per-step log of a transformers Trainer's trainer_state.json, in lorakit's columns.

    >>> trainer_steps({"log_history": [{"loss": 2.0, "learning_rate": 1e-4, "grad_norm": 3.0, "step": 10},
    ...                                {"eval_loss": 2.5, "step": 10}]})
    {'loss': [2.0], 'lr': [0.0001], 'grad_norm': [3.0]}
    """
    rows = [r for r in state.get("log_history", []) if isinstance(r, dict) and "loss" in r]

    def column(key):
        return [r.get(key) if isinstance(r.get(key), (int, float)) and math.isfinite(r[key]) else None
                for r in rows]
    return {"loss": column("loss"), "lr": column("learning_rate"), "grad_norm": column("grad_norm")}


def read_folder(path):
    """Read what a diagnosis needs from `path`: a lorakit run or a folder with adapter_config.json.
    Raises AdapterError (one line) when it is not such a folder or one of its files is damaged."""
    path = Path(path)
    if not path.is_dir():
        raise AdapterError(f"{path}: no such folder")
    if not (path / RUN_FILE).is_file() and not (path / CONFIG_FILE).is_file():
        raise AdapterError(f"{path}: holds neither a lorakit run ({RUN_FILE}) nor a peft adapter ({CONFIG_FILE})")
    folder = Folder(path, read_json(path / RUN_FILE), read_json(path / METRICS_FILE), read_json(path / CONFIG_FILE),
                    read_tensors(path / WEIGHTS_FILE), read_json(path / TOKENIZER_FILE))
    recorded = folder.diagnostics.get("steps")
    folder.steps = recorded if isinstance(recorded, dict) else trainer_steps(read_json(path / TRAINER_FILE))
    return folder
