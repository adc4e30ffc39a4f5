"""Several task adapters on one pretrained body in memory: switch tasks by swapping LoRA weights.

A LoRA adapter is small (a few hundred kilobytes); the pretrained body it was trained on is large
(90 MB for MiniLM, 440 MB for BERT-base). A server that answers several tasks keeps the body once
and, for each task, only that task's LoRA factors and head. `SharedBody` does this: every task model
added to it uses the same body object, and `use(name)` copies that task's lora_A and lora_B into the
body's LoRA layers before the model runs.

Example:
    bank = SharedBody()
    bank.add("sentiment", load_run("runs/sentiment")[0])
    bank.add("ner", load_run("runs/ner")[0])
    ner_model = bank.use("ner")  # the body now holds the NER adapter
"""
import torch

from .errors import AdapterError
from .layer import lora_layers


def _body(model):
    return getattr(model, model.base_model_prefix)


class SharedBody:
    """Task models that share one body; each keeps its own head and its own LoRA weights."""

    def __init__(self):
        self.body, self.models, self.adapters, self.active = None, {}, {}, None

    def add(self, name, model):
        """Add a LoRA model (e.g. from `load_run`); from now on it runs on the shared body.

        The first model added gives the body, so add first the model whose body has the most parts
        (a sequence classifier's body has a pooler, a token classifier's has none).
        """
        body = _body(model)
        layers = lora_layers(body)
        if not layers:
            raise AdapterError(f"{name}: the model has no LoRA layers to switch")
        if self.body is not None:
            self._check_fits(name, body)
            setattr(model, model.base_model_prefix, self.body)
        # (lora_A, lora_B, scaling) of each layer, copied so that later switches cannot change them
        self.adapters[name] = {key: (layer.lora_A.weight.detach().clone(),
                                     layer.lora_B.weight.detach().clone(), layer.scaling)
                               for key, layer in layers.items()}
        self.models[name] = model
        if self.body is None:  # later models leave the shared layers, and the active task, as they are
            self.body, self.active = body, name

    def _check_fits(self, name, body):
        """Refuse a body of another base model, or with LoRA on other layers or at another rank."""
        shared, own = dict(self.body.named_parameters()), dict(body.named_parameters())
        if {k for k in shared if "lora_" in k} != {k for k in own if "lora_" in k}:
            raise AdapterError(f"{name}: LoRA is on other layers than in the shared body")
        for key, p in own.items():
            if key not in shared:
                raise AdapterError(f"{name}: the shared body lacks {key}; add the model with the "
                                   f"larger body first")
            if "lora_" in key and shared[key].shape != p.shape:
                raise AdapterError(f"{name}: LoRA weight {key} does not fit the shared body "
                                   f"(another rank)")
            if "lora_" not in key and not torch.equal(shared[key], p):
                raise AdapterError(f"{name}: weight {key} differs from the shared body's; the "
                                   f"adapter was trained on another base model")

    @torch.no_grad()
    def use(self, name):
        """Load `name`'s LoRA weights into the shared body and return its model."""
        if name not in self.models:
            raise AdapterError(f"no adapter named {name!r} (have: {', '.join(self.models)})")
        layers = lora_layers(self.body)
        if any(layer.merged for layer in layers.values()):
            raise AdapterError("the shared body is merged; unmerge it before switching adapters")
        for key, (A, B, scaling) in self.adapters[name].items():
            layers[key].lora_A.weight.copy_(A)
            layers[key].lora_B.weight.copy_(B)
            layers[key].scaling = scaling
        self.active = name
        return self.models[name]

    def parameter_count(self):
        """Distinct parameters held in memory by all the task models together."""
        seen = {}
        for model in self.models.values():
            for p in model.parameters():
                seen[p.data_ptr()] = p.numel()
        return sum(seen.values()) + sum(A.numel() + B.numel() for adapter in self.adapters.values()
                                        for A, B, _ in adapter.values())
