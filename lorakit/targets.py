r"""Which layers LoRA adapts (lesson 03): layer names, regexes, "all-linear" and the top-K blocks.

`target_modules` follows peft: a list of names (a name matches a layer whose path ends with it), a
regex that must match a whole path, "all-linear" (every Linear but the task head), or lorakit's
"top-K" / "top-N/D" (every Linear in the last blocks, written out as a regex that peft reads too).
`find_target_modules` turns it into layer names, or a ConfigError that lists the choices;
`lorakit.inject.apply_lora` then wraps those layers.

Example:
    >>> net = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 2))
    >>> find_target_modules(net, ["0"]), find_target_modules(net, r"\d"), linear_layer_names(net)
    (['0'], ['0', '2'], ['0', '2'])
"""
import re
import warnings

from torch import nn

from .errors import ConfigError, LorakitWarning
from .layer import LINEAR_TYPES

# Output layers of the task heads: "all-linear" never adapts them (they are trained whole instead).
HEAD_NAMES = ("classifier", "qa_outputs", "score", "lm_head")
TOP_LAYERS = re.compile(r"top-(\d+)(?:/(\d+))?")   # target_modules "top-K" or "top-N/D" (`top_layers`)


def matches(name, targets):
    """peft's rule: a regex string must match the whole name; a list entry matches the name or its tail.

    >>> matches("encoder.layer.0.query", ["query"]), matches("encoder.layer.0.query", r"query")
    (True, False)
    """
    if isinstance(targets, str):
        return re.fullmatch(targets, name) is not None
    return any(name == t or name.endswith("." + t) for t in targets)


def linear_layer_names(model):
    """Names of every nn.Linear / Conv1D in `model` (what `target_modules` can pick from).

    >>> linear_layer_names(nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)))
    ['0', '2']
    """
    return [n for n, m in model.named_modules() if isinstance(m, LINEAR_TYPES) and n]


def layer_stack(model):
    """(path, number of blocks) of the model's stack of repeated blocks: its longest nn.ModuleList
    (a Llama's `model.layers`, BERT's `encoder.layer`, GPT-2's `transformer.h`).

    >>> layer_stack(nn.Sequential(nn.ModuleList([nn.Linear(2, 2)] * 3), nn.Linear(2, 1)))
    ('0', 3)
    """
    stacks = [(name, len(m)) for name, m in model.named_modules() if isinstance(m, nn.ModuleList) and name]
    if not stacks:
        raise ConfigError("target_modules 'top-K' needs a model built as a stack of blocks (an nn.ModuleList); "
                          "this one has none: give layer names or a regex")
    return max(stacks, key=lambda s: s[1])


def top_layers(model, target_modules):
    r"""`target_modules` with "top-K" written out as the regex it stands for: every Linear layer in
    the last K blocks of the model's layer stack ("top-N/D": that fraction of the blocks, rounded),
    each named in full, so that peft, which wraps every module a regex matches, finds the same layers.
    Backward then stops at the lowest adapted block, so a step costs less than with "all-linear"
    (the chat task's default is "top-2/3", see `ChatTask.defaults`). Other values are returned as
    they are.

    >>> stack = nn.Sequential(nn.ModuleList([nn.Sequential(nn.Linear(2, 2)) for _ in range(4)]))
    >>> top_layers(stack, "top-2"), find_target_modules(stack, "top-3/4"), top_layers(stack, ["0.1.0"])
    ('0\\.(2|3)\\.(0)', ['0.1.0', '0.2.0', '0.3.0'], ['0.1.0'])
    """
    if target_modules == "mlp":
        return mlp_layers(model)
    top = TOP_LAYERS.fullmatch(target_modules) if isinstance(target_modules, str) else None
    if top is None:
        return target_modules
    path, count = layer_stack(model)
    k = int(top.group(1))
    if top.group(2):                                   # "top-N/D": a fraction of the blocks, at most 1
        n, d = k, int(top.group(2))
        k = round(count * n / d) if 0 < n <= d else 0
    if not 1 <= k <= count:
        raise ConfigError(f"target_modules {target_modules!r}: this model has {count} blocks ({path}); "
                          f"use top-1 to top-{count}, or a fraction such as top-2/3")
    indices = [str(i) for i in range(count - k, count)]
    blocks = [f"{path}.{i}." for i in indices]
    inner = sorted({name[len(b):] for name in linear_layer_names(model) for b in blocks if name.startswith(b)})
    return (re.escape(path) + r"\.(" + "|".join(indices) + r")\.(" + "|".join(map(re.escape, inner)) + ")")


def mlp_layers(model):
    r"""target_modules "mlp" written out as a regex: every Linear of each block of the layer stack
    outside its attention (a path part with "attn" or "attention" in it): BERT's intermediate.dense
    and output.dense, a Llama's gate/up/down_proj, GPT-2's mlp.c_fc and mlp.c_proj.

    >>> block = lambda: nn.ModuleDict({"attention": nn.Linear(2, 2), "up": nn.Linear(2, 4), "down": nn.Linear(4, 2)})
    >>> find_target_modules(nn.Sequential(nn.ModuleList([block(), block()])), "mlp")
    ['0.0.up', '0.0.down', '0.1.up', '0.1.down']
    """
    path, count = layer_stack(model)
    inner = sorted({name.split(".", 1)[1] for name in (n[len(path) + 1:] for n in linear_layer_names(model)
                                                        if n.startswith(path + "."))
                    if "." in name and not re.search(r"attn|attention", name)})
    if not inner:
        raise ConfigError(f"target_modules 'mlp': the blocks of {path} have no Linear layer outside attention")
    return re.escape(path) + r"\.\d+\.(" + "|".join(map(re.escape, inner)) + ")"


def find_target_modules(model, target_modules, modules_to_save=None):
    """The names of the layers that `target_modules` selects, or a ConfigError that lists the choices.

    `target_modules` is a list of names (a name matches a layer whose path ends with it), a regex
    that must match a whole path, "all-linear": every Linear except the task head, or "top-K":
    every Linear in the last K blocks (`top_layers`).
    """
    target_modules = top_layers(model, target_modules)
    names = linear_layer_names(model)
    keep = modules_to_save or []
    if target_modules == "all-linear":
        chosen = [n for n in names if n.split(".")[-1] not in HEAD_NAMES and not matches(n, keep)]
    else:
        if isinstance(target_modules, (list, tuple, set)) and not target_modules:
            raise ConfigError("target_modules is empty: give layer names, a regex or 'all-linear'")
        if isinstance(target_modules, str):
            try:
                re.compile(target_modules)
            except re.error as e:
                raise ConfigError(f"target_modules {target_modules!r} is not a valid regular expression: {e}") from None
        chosen = [n for n in names if matches(n, target_modules)]
    if not chosen:
        short = sorted({n.split(".")[-1] for n in names})
        raise ConfigError(f"target_modules {target_modules!r} matches no Linear layer; "
                          f"this model has: {', '.join(short)}")
    return chosen


def check_rank(model, names, r):
    """Raise ConfigError if rank `r` exceeds a chosen layer's min(d_in, d_out); warn above half of it.

    An update B A of a (d_out, d_in) weight has rank at most min(d_in, d_out), so a larger r only
    adds parameters (and memory) that cannot help. Above half of it, LoRA's factors are about as
    large as the weight they adapt.

    >>> check_rank(nn.Sequential(nn.Linear(8, 4)), ["0"], r=5)
    Traceback (most recent call last):
    lorakit.errors.ConfigError: rank r=5 is larger than layer 0 allows: its weight is 4 x 8, so an update has rank at most 4
    """
    widths = {name: min(model.get_submodule(name).weight.shape) for name in names}
    name = min(widths, key=widths.get)
    if r > widths[name]:
        rows, columns = model.get_submodule(name).weight.shape
        raise ConfigError(f"rank r={r} is larger than layer {name} allows: its weight is "
                          f"{rows} x {columns}, so an update has rank at most {widths[name]}")
    if r > widths[name] / 2:
        warnings.warn(f"rank r={r} is above half of the width of layer {name} ({widths[name]}): "
                      f"LoRA's factors are then about as large as the weight itself",
                      LorakitWarning, stacklevel=3)


def set_submodule(model, name, module):
    """Put `module` at the dotted path `name` of `model`, in place of what was there.

    >>> net = nn.Sequential(nn.Linear(2, 2)); set_submodule(net, "0", nn.Identity()); net
    Sequential(
      (0): Identity()
    )
    """
    parent_name, _, child = name.rpartition(".")
    setattr(model.get_submodule(parent_name) if parent_name else model, child, module)
