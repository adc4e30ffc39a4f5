"""Many adapters on one base: a mixed batch, each row through its own adapter (peft's `adapter_names=`).

    base layer W0 (shared)    + adapter k's  s_k B_k A_k x   for the rows whose adapter is k
    head (modules_to_save)    each adapter's own copy, for its rows

One copy of the base serves every task; each adapter adds only its A, B and head. `memory` measures
what that saves against one merged model per task.

Example (two sentiment runs of one base):
    served = load({"reviews": "runs/sentiment", "tweets": "runs/tweets"})
    served.predict(["Great!", "Awful."], adapter_names=["reviews", "tweets"])
    ['positive', 'negative']
"""
import copy

import torch
from torch import nn

from .adapters import PREFIX, read_adapter_weights
from .errors import ConfigError
from .layer import lora_layers
from .runs import load_run, read_run_info
from .targets import set_submodule


class Routed(nn.Module):
    """A layer whose rows go through one of several versions of it: `rows[i]` names row i's version.

    `versions` maps an adapter name to a module computing that adapter's output from the input
    (`LoRAUpdate`: the base output plus the update; a head: the head itself).
    """

    def __init__(self, versions):
        super().__init__()
        self.versions = nn.ModuleDict(versions)
        self.rows = None                                   # list of adapter names, one per batch row

    def forward(self, x, *args, **kwargs):               # x: (batch, ...)
        outputs = [None] * x.shape[0]
        for name in dict.fromkeys(self.rows):
            index = torch.tensor([i for i, row in enumerate(self.rows) if row == name])
            for i, y in zip(index.tolist(), self.versions[name](x[index], *args, **kwargs)):
                outputs[i] = y
        return torch.stack(outputs)


class LoRAUpdate(nn.Module):
    """base(x) + scaling * B A x, with the base layer shared among adapters."""

    def __init__(self, base_layer, lora_A, lora_B, scaling):
        super().__init__()
        self.base_layer = [base_layer]                     # a list: shared, not a submodule per adapter
        self.lora_A, self.lora_B, self.scaling = nn.Parameter(lora_A), nn.Parameter(lora_B), scaling

    def forward(self, x):                                  # (..., d_in) -> (..., d_out)
        return self.base_layer[0](x) + self.scaling * (x @ self.lora_A.T) @ self.lora_B.T


class Served:
    """A base model with several adapters: `predict(texts, adapter_names)`, `generate(prompts, ...)`."""

    def __init__(self, model, tokenizer, info, labels):
        self.model, self.tokenizer, self.info, self.labels = model, tokenizer, info, labels

    def route(self, adapter_names):
        unknown = sorted(set(adapter_names) - set(self.labels))
        if unknown:
            raise ConfigError(f"adapter_names: no adapter {unknown[0]!r} (loaded: {', '.join(self.labels)})")
        for module in self.model.modules():
            if isinstance(module, Routed):
                module.rows = list(adapter_names)

    @torch.no_grad()
    def logits(self, texts, adapter_names):
        """The model's logits for `texts` (a padded batch), row i through adapter `adapter_names[i]`."""
        self.route(adapter_names)
        batch = self.tokenizer(list(texts), padding=True, truncation=True, return_tensors="pt")
        return self.model(**batch).logits

    def predict(self, texts, adapter_names):
        """A classifier's label for each text, by its own adapter's head and label names."""
        ids = self.logits(texts, adapter_names).argmax(-1).tolist()
        return [self.labels[name][i] for name, i in zip(adapter_names, ids)]

    @torch.no_grad()
    def generate(self, prompts, adapter_names, max_new_tokens=16):
        """A chat model's greedy replies to `prompts` (chat messages lists), each by its own adapter."""
        self.route(adapter_names)
        self.tokenizer.padding_side = "left"
        texts = [self.tokenizer.apply_chat_template(p, tokenize=False, add_generation_prompt=True) for p in prompts]
        batch = self.tokenizer(texts, padding=True, return_tensors="pt", add_special_tokens=False)
        out = self.model.generate(**batch, max_new_tokens=max_new_tokens, do_sample=False,
                                  pad_token_id=self.tokenizer.pad_token_id)
        return self.tokenizer.batch_decode(out[:, batch["input_ids"].shape[1]:], skip_special_tokens=True)


def load(runs):
    """Serve the LoRA runs {name: run folder} (one base, targets and task) on one copy of the base."""
    names, folders = list(runs), list(runs.values())
    model, tokenizer, info = load_run(folders[0])
    infos = [read_run_info(f) for f in folders]
    for folder, other in zip(folders[1:], infos[1:]):
        if (other["base_model"], other["task"]) != (info["base_model"], info["task"]):
            raise ConfigError(f"{folder}: another base model or task than {folders[0]}; serve them apart")
    tensors = {name: read_adapter_weights(folder) for name, folder in runs.items()}
    with torch.no_grad():
        for layer_name, layer in lora_layers(model).items():
            key = f"{PREFIX}{layer_name}"
            set_submodule(model, layer_name, Routed({
                name: LoRAUpdate(layer.base_layer, t[f"{key}.lora_A.weight"], t[f"{key}.lora_B.weight"],
                                 layer.scaling) for name, t in tensors.items()}))
        for head in model.lora_config.modules_to_save or []:
            module = model.get_submodule(head)
            set_submodule(model, head, Routed({name: _head_copy(module, head, t) for name, t in tensors.items()}))
    labels = {name: i["labels"] for name, i in zip(names, infos)}
    return Served(model.eval(), tokenizer, info, labels)


def _head_copy(module, head, tensors):
    """A copy of the head `module` holding the adapter's saved head weights."""
    copied = copy.deepcopy(module)
    copied.load_state_dict({k[len(f"{PREFIX}{head}."):]: v for k, v in tensors.items()
                            if k.startswith(f"{PREFIX}{head}.")})
    return copied


def memory(served, merged_models):
    """Bytes held by `served` (one base + every adapter) and by `merged_models` (one per task), measured
    on the tensors in memory; the base shared by LoRAUpdate layers is counted once."""
    def size(model):
        seen, total = set(), 0
        for p in list(model.parameters()) + [w for m in model.modules() if isinstance(m, LoRAUpdate)
                                             for w in m.base_layer[0].parameters()]:
            if p.data_ptr() not in seen:
                seen.add(p.data_ptr())
                total += p.numel() * p.element_size()
        return total
    return {"served_bytes": size(served.model), "merged_bytes": sum(size(m) for m in merged_models)}
