"""Adapter arithmetic: several LoRA adapters of one base combined into one (lesson 17).

Each combination works tensor by tensor on the adapters' lora_A and lora_B, as peft's
`add_weighted_adapter` does for its "linear", "ties" and "dare_linear" types (not on the products
B A: that is peft's "*_svd" types). Adapter k enters with weight w_k * scaling_k, split as
sqrt(|w_k s_k|) * sign on A and sqrt(|w_k s_k|) on B, so the result has rank r and lora_alpha = r
(scaling 1). On a stack of n tensors T_k (one per adapter, same shape):

    linear   sum_k w_k T_k
    ties     trim: keep each T_k's `density` largest |entries|, zero the rest;
             elect: per entry, the sign of sum_k trimmed T_k;
             disjoint mean: sum_k w_k T_k over the adapters whose sign agrees, / how many agree
    dare     drop: keep each entry with probability `density` (seeded), zero it otherwise;
             rescale: divide what is kept by `density`; then linear

A classifier head (modules_to_save) is combined linearly with the weights themselves; peft refuses it.

Example:
    >>> a, b = torch.tensor([[3., -1.]]), torch.tensor([[-1., -2.]])
    >>> ties([a, b], [1.0, 1.0], density=0.5).tolist()
    [[3.0, -2.0]]
"""
import dataclasses
import math

import torch

from .errors import AdapterError, ConfigError

COMBINATIONS = ("linear", "ties", "dare")


def linear(tensors, weights):
    """sum_k w_k T_k.

    >>> linear([torch.ones(2), 2 * torch.ones(2)], [0.5, 0.25]).tolist()
    [1.0, 1.0]
    """
    return sum(w * t for w, t in zip(weights, tensors))


def trim(tensor, density):
    """`tensor` with all but its `density` largest |entries| set to 0 (TIES' first step).

    >>> trim(torch.tensor([1., -4., 2., 3.]), 0.5).tolist()
    [0.0, -4.0, 0.0, 3.0]
    """
    if density >= 1:
        return tensor
    keep = torch.zeros(tensor.numel(), dtype=tensor.dtype)
    keep[torch.topk(tensor.abs().reshape(-1), k=int(density * tensor.numel())).indices] = 1
    return tensor * keep.reshape(tensor.shape)


def ties(tensors, weights, density):
    """TIES-merging (Yadav et al., 2023): trim, elect the sign, average the agreeing entries."""
    trimmed = torch.stack([trim(t, density) for t in tensors])       # (n, *shape)
    sign = torch.where(trimmed.sum(dim=0) >= 0, 1.0, -1.0)           # the elected sign, per entry
    agrees = trimmed.sign() == sign                                  # (n, *shape)
    weighted = torch.stack([w * t for w, t in zip(weights, trimmed)])
    return (weighted * agrees).sum(dim=0) / agrees.sum(dim=0).clamp(min=1)


def drop_and_rescale(tensor, density, generator):
    """DARE (Yu et al., 2024): each entry kept with probability `density`, then divided by it.

    >>> drop_and_rescale(torch.ones(4), 0.5, torch.Generator().manual_seed(0)).tolist()
    [2.0, 0.0, 2.0, 2.0]
    """
    if density >= 1:
        return tensor
    keep = torch.bernoulli(torch.full_like(tensor, density), generator=generator)
    return tensor * keep / density


def dare(tensors, weights, density, generator):
    """Drop and rescale each adapter's tensor, then add them up with their weights."""
    return linear([drop_and_rescale(t, density, generator) for t in tensors], weights)


def split_weights(weights, scalings):
    """(weights on A, weights on B): sqrt(|w s|) on both, w's sign on A only, as peft splits them.

    >>> split_weights([0.5, -2.0], [2.0, 2.0])
    ([1.0, -2.0], [1.0, 2.0])
    """
    roots = [math.sqrt(abs(w * s)) for w, s in zip(weights, scalings)]
    return [math.copysign(r, w * s) for r, w, s in zip(roots, weights, scalings)], roots


def combine_layer(lora_As, lora_Bs, weights, scalings, combination, density=0.5, generator=None):
    """(lora_A, lora_B) of one layer combined from one (r, d_in) A and one (d_out, r) B per adapter."""
    on_A, on_B = split_weights(weights, scalings)
    if combination == "linear":
        return linear(lora_As, on_A), linear(lora_Bs, on_B)
    if combination == "ties":
        return ties(lora_As, on_A, density), ties(lora_Bs, on_B, density)
    if combination == "dare":   # A's masks are drawn first, then B's, as peft draws them
        return dare(lora_As, on_A, density, generator), dare(lora_Bs, on_B, density, generator)
    raise ConfigError(f"--combination {combination!r}: expected one of {', '.join(COMBINATIONS)}")


def check_inputs(weights, density, count):
    """Raise ConfigError unless there is one weight per adapter and 0 < density <= 1."""
    if count < 2:
        raise ConfigError("--combination needs at least two --model-dir adapters")
    if len(weights) != count:
        raise ConfigError(f"--weights: {len(weights)} given for {count} adapters; give one per --model-dir")
    if not 0 < density <= 1:
        raise ConfigError(f"--density {density}: expected a fraction in (0, 1]")


def check_compatible(first, other, names):
    """Raise AdapterError unless two runs' (lorakit.json, adapter_config.json) dicts can combine."""
    (info_a, config_a), (info_b, config_b) = first, other
    for what, key, source in (("base model", "base_model", 0), ("task", "task", 0), ("labels", "labels", 0),
                              ("target modules", "target_modules", 1), ("rank r", "r", 1)):
        a, b = (info_a, config_a)[source].get(key), (info_b, config_b)[source].get(key)
        if (sorted(a) if isinstance(a, list) and key == "target_modules" else a) != \
                (sorted(b) if isinstance(b, list) and key == "target_modules" else b):
            raise AdapterError(f"--model-dir {names[1]}: its {what} ({b}) differs from {names[0]}'s ({a}); "
                               f"only adapters of one base, targets, rank and task head combine")
    if config_a.get("use_dora") or config_b.get("use_dora"):
        raise AdapterError(f"--model-dir {names[0]}: DoRA adapters do not combine (their magnitudes do not add)")


def combine_runs(model_dirs, out, combination="linear", weights=None, density=0.5, seed=0):
    """Combine the LoRA runs in `model_dirs` into one adapter run written to `out` (a folder that
    lorakit and peft load). Returns `out` as a Path.

    Example (two chat runs of one base):
        combine_runs(["runs/chat-sentiment", "runs/chat-ner"], "runs/both", "ties", [0.5, 0.5])
    """
    from .adapters import read_adapter_config, read_adapter_weights, save_adapter
    from ._io import write_json
    from .export import _staged
    from .runs import RUN_FILE, load_run, read_run_info
    weights = [1.0 / len(model_dirs)] * len(model_dirs) if weights is None else list(weights)
    check_inputs(weights, density, len(model_dirs))
    staged = _staged(out)                                  # refuses an existing `out` before loading
    runs = [(read_run_info(d), read_adapter_config(d)[1]) for d in model_dirs]
    for d, (info, _) in zip(model_dirs, runs):
        if info["method"] not in ("lora", "grpo"):
            raise AdapterError(f"--model-dir {d}: a {info['method']} run has no adapter to combine")
    for d, run in zip(model_dirs[1:], runs[1:]):
        check_compatible(runs[0], run, (model_dirs[0], d))
    model, _, info = load_run(model_dirs[0])               # its layers in module order, as peft walks them
    tensors = [read_adapter_weights(d) for d in model_dirs]
    scalings = [config["lora_alpha"] / (math.sqrt(config["r"]) if config.get("use_rslora") else config["r"])
                for _, config in runs]
    combine_model(model, tensors, weights, combination, density, seed, scalings)
    with staged as stage:
        save_adapter(model, stage, base_model_name_or_path=info["base_model"],
                     task_type=runs[0][1].get("task_type"))
        options = {**info["options"], "lora_alpha": model.lora_config.r, "use_rslora": False}
        write_json(stage / RUN_FILE, {**info, "options": options, "combination": combination,
                                      "weights": weights, "density": density, "seed": seed,
                                      "combined_from": [str(d) for d in model_dirs],
                                      "files": sorted(p.name for p in stage.iterdir()) + [RUN_FILE]})
    return out


@torch.no_grad()
def combine_model(model, tensors, weights, combination, density=0.5, seed=0, scalings=None):
    """Put into the LoRA layers of `model` the combination of the adapters whose peft-named tensors
    are `tensors` (one dict per adapter, with `scalings`, default the model's own); heads are combined
    linearly. lora_alpha becomes r."""
    from .adapters import PREFIX, adapter_parameters
    from .layer import lora_layers
    generator = torch.Generator().manual_seed(seed)
    layers, params = lora_layers(model), adapter_parameters(model)
    for name, layer in layers.items():
        key = f"{PREFIX}{name}"
        lora_A, lora_B = combine_layer([t[f"{key}.lora_A.weight"] for t in tensors],
                                       [t[f"{key}.lora_B.weight"] for t in tensors],
                                       weights, scalings or [layer.scaling] * len(tensors), combination,
                                       density, generator)
        layer.lora_A.weight.copy_(lora_A)
        layer.lora_B.weight.copy_(lora_B)
        layer.lora_alpha, layer.scaling = layer.r, 1.0
    for key, param in params.items():
        if ".lora_" not in key:                               # a head (modules_to_save)
            param.copy_(linear([t[key] for t in tensors], weights))
    model.lora_config = dataclasses.replace(model.lora_config, lora_alpha=model.lora_config.r, use_rslora=False)
    return model
