"""`lorakit doctor RUN_DIR`: what went wrong in a run, in plain words, with the evidence (lesson 18).

Each check reads a `doctor_read.Folder` (a lorakit run or a plain peft adapter folder) and returns
the `Finding`s it makes: the problem, the evidence seen in the folder, and what to try.

    learning rate too high   the loss rose, spiked or was not finite; the update outgrew the weights
    learning rate too low    the update's norm is near zero (and the loss flat)
    overfitting              the validation loss far above the training loss
    config vs weights        r, lora_alpha, target_modules of adapter_config.json against the weights
    another base             the adapter's base (name, weights' hash) against --base or the run's record
    targets missed           a target_modules name that matched no layer, or layers in few of the blocks
    merged and attached      a `lorakit merge` folder holding an adapter too, or given as the adapter's --base
    unmasked prompt          a language model run whose loss scores most tokens, the prompt too
    padding side             prompts padded on the right for generation
    fp16 overflow            steps with infinite gradients (skipped) or a non-finite loss in fp16

Example:
    findings = diagnose("runs/sentiment")
    print(report("runs/sentiment", findings))
"""
import math
from dataclasses import dataclass
from pathlib import Path

from .diagnostics import block_of
from .doctor_read import CONFIG_FILE, RUN_FILE, TOKENIZER_FILE, WEIGHTS_FILE, read_folder, read_json
from .targets import matches

TOO_SMALL = 1e-4      # ||s B A|| / ||W0|| below this at the end of a run: nothing was learned
TOO_BIG = 1.0         # the update larger than the weight it changes
RISE = 2.0            # a step's loss above this times the first step's: the loss ran away
OVERFIT = 2.0         # validation loss above this times the training loss (and 0.2 nats above it)
PROMPT_SCORED = 0.5   # a language model run scoring more than this share of its tokens


@dataclass
class Finding:
    problem: str      # in plain words, e.g. "learning rate too high"
    evidence: str     # what in the folder shows it
    advice: str       # what to try

    def __str__(self):
        return f"{self.problem}\n   evidence: {self.evidence}\n   try: {self.advice}"


def finite(values):
    return [v for v in values or [] if isinstance(v, (int, float)) and math.isfinite(v)]


def lr_text(folder):
    lr = folder.options.get("lr")
    return f"--lr {lr:g}" if isinstance(lr, (int, float)) else "the learning rate"


def relative_updates(folder):
    """{layer: ||s B A|| / ||W0||} as recorded by the run, else {layer: ||s B A||} from the weights
    (absolute: a plain peft folder does not hold W0)."""
    recorded = folder.diagnostics.get("update_norms") or {}
    if recorded:
        return {k: v["update"] / v["base"] for k, v in recorded.items()
                if finite([v.get("update"), v.get("base")]) and len(finite([v["update"], v["base"]])) == 2
                and v["base"] > 0}
    config, tensors = folder.adapter, folder.tensors
    r, alpha = config.get("r"), config.get("lora_alpha")
    if not (isinstance(r, int) and r > 0 and isinstance(alpha, (int, float))):
        return {}
    scaling = alpha / (math.sqrt(r) if config.get("use_rslora") else r)
    norms = {}
    for key, a in tensors.items():
        b = tensors.get(key.replace(".lora_A.", ".lora_B."))
        if ".lora_A." in key and b is not None and b.shape[-1] == a.shape[0]:
            norms[key.split(".lora_A.")[0]] = float((b.float() @ a.float()).norm()) * scaling
    return norms


def check_lr_high(folder):
    losses, precision = folder.steps.get("loss") or [], folder.info.get("precision")
    seen, updates = finite(losses), relative_updates(folder)
    evidence = []
    if len(seen) < len(losses) and precision != "fp16":
        evidence.append(f"{len(losses) - len(seen)} of {len(losses)} steps had a NaN or infinite loss")
    if seen and max(seen) > RISE * seen[0]:
        peak = max(range(len(losses)), key=lambda i: losses[i] if losses[i] is not None else -math.inf)
        evidence.append(f"the loss went from {seen[0]:.3g} at step 1 to {max(seen):.3g} at step {peak + 1}")
    if folder.diagnostics.get("update_norms") and updates and max(updates.values()) > TOO_BIG:
        layer = max(updates, key=updates.get)
        evidence.append(f"the LoRA update of {layer} is {updates[layer]:.3g} times the weight it changes")
    if not evidence:
        return []
    return [Finding("learning rate too high", "; ".join(evidence),
                    f"a learning rate 10 to 100 times lower than {lr_text(folder)} (lorakit's default "
                    f"for LoRA is 1e-3)")]


def check_lr_low(folder):
    updates = relative_updates(folder)
    if not updates or max(updates.values()) >= TOO_SMALL:
        return []
    relative = bool(folder.diagnostics.get("update_norms"))
    what = "of the weight it changes" if relative else "(absolute)"
    evidence = f"the largest LoRA update is {max(updates.values()):.2g} {what}, near zero"
    seen = finite(folder.steps.get("loss"))
    if len(seen) > 1:
        evidence += f"; the loss went from {seen[0]:.4g} to {seen[-1]:.4g} in {len(seen)} steps"
    return [Finding("learning rate too low", evidence,
                    f"a learning rate 100 to 1000 times higher than {lr_text(folder)} (lorakit's default "
                    f"for LoRA is 1e-3), or more steps")]


def check_overfitting(folder):
    sample = folder.diagnostics.get("sample_loss") or {}
    train, valid = sample.get("train"), sample.get("validation")
    if not finite([train, valid]) or len(finite([train, valid])) < 2:
        return []
    if not (valid > OVERFIT * train and valid - train > 0.2):
        return []
    history = folder.metrics.get("history") or []
    epochs = f" after {len(history)} epochs" if history else ""
    return [Finding("overfitting: the model learned its training examples, not the task",
                    f"the final model's loss is {train:.3g} on training examples but {valid:.3g} on "
                    f"validation examples{epochs}",
                    "more training data, fewer epochs (early stopping: --patience 1), a smaller rank "
                    "(--rank), or LoRA dropout (--dropout 0.1)")]


def expected_rank(config, module):
    """The rank adapter_config.json gives `module`: its rank_pattern entry, else r."""
    for pattern, rank in (config.get("rank_pattern") or {}).items():
        if module == pattern or module.endswith("." + pattern):
            return rank
    return config.get("r")


def check_config_vs_weights(folder):
    config, shapes, found = folder.adapter, folder.lora_shapes(), []
    wrong = {m: s for m, s in shapes.items() if any(n != expected_rank(config, m) for n in s)}
    if config and wrong:
        module, (a_rows, b_cols) = next(iter(wrong.items()))
        found.append(Finding("adapter_config.json contradicts the weights: the rank",
                             f"{CONFIG_FILE} says r={config.get('r')} but {module}'s lora_A has {a_rows} rows "
                             f"and lora_B {b_cols} columns ({len(wrong)} of {len(shapes)} layers disagree)",
                             f"set r to {a_rows} in {CONFIG_FILE} (the weights are what was trained)"))
    targets = config.get("target_modules")
    outside = sorted(m for m in shapes if targets and not matches(m, targets))
    if outside:
        found.append(Finding("adapter_config.json contradicts the weights: the target modules",
                             f"target_modules={targets!r} does not match {outside[0]} "
                             f"({len(outside)} of {len(shapes)} layers with weights)",
                             "list the layers that hold weights in target_modules, or retrain"))
    for key in ("r", "lora_alpha"):
        trained = folder.options.get(key)
        if config and trained is not None and config.get(key) != trained:
            found.append(Finding(f"adapter_config.json contradicts the run: {key}",
                                 f"{CONFIG_FILE} says {key}={config.get(key)} but the run trained with "
                                 f"{key}={trained} ({RUN_FILE})",
                                 f"set {key} back to {trained}: it sets the scaling lora_alpha / r"))
    return found


def target_hits(asked, matched, blocks):
    """([asked names that matched no layer], [what a name without a block number matched, when that
    is layers in fewer than half of the model's `blocks`]).

    >>> target_hits(["query", "q_proj", "pooler.dense"], ["l.0.query", "l.1.query", "pooler.dense"], 2)
    (['q_proj'], ['pooler.dense matched 1 layer, in 0 of the 2 blocks'])
    """
    missed, few = [], []
    for name in asked:
        hits = [m for m in matched if matches(m, [name])]
        in_blocks = {block_of(m) for m in hits} - {None}
        if not hits:
            missed.append(name)
        elif block_of(name) is None and len(in_blocks) < blocks / 2:   # a name without a block number
            few.append(f"{name} matched {len(hits)} layer{'s' * (len(hits) > 1)}, in {len(in_blocks)} of "
                       f"the {blocks} blocks")
    return missed, few


def check_targets(folder):
    """The target_modules names asked for against the layers LoRA wrapped: the run's record, else (a
    plain peft folder) adapter_config.json against the layers that hold weights."""
    record = folder.diagnostics.get("target_modules") or {}
    asked, matched = record.get("asked"), record.get("matched")
    if not isinstance(matched, list):
        asked, matched = folder.adapter.get("target_modules"), sorted(folder.lora_shapes())
    if not (isinstance(asked, list) and all(isinstance(a, str) for a in asked) and matched):
        return []
    missed, few = target_hits(asked, matched, record.get("blocks") or 0)
    if not (missed or few):
        return []
    evidence = [f"{', '.join(missed)} matched no layer"] if missed else []
    if record.get("linear"):
        called = f"this model's Linear layers are called {', '.join(record['linear'])}"
    else:
        named = sorted({m.split(".")[-1] for m in matched})
        called = f"the adapter's weights are on layers named {', '.join(named)}"
    return [Finding(f"target modules that matched {'no layer' if missed else 'only a few blocks'}",
                    f"target_modules asked for {', '.join(asked)}: " + "; ".join(evidence + few) +
                    f"; LoRA went on {len(matched)} layers, and {called}",
                    "name the layers in every block by what this model calls them (or all-linear): a misspelt "
                    "name, or another architecture's (q_proj on a BERT), is skipped without an error as long "
                    "as another name matches")]


def merged_source(path):
    """The run that `lorakit merge` merged into the folder `path` (its lorakit.json's merged_from), else None."""
    path = Path(path)
    return read_json(path / RUN_FILE).get("merged_from") if path.is_dir() else None


def check_merged(folder):
    """A folder that `lorakit merge` wrote (the update already in its weights) holding an adapter too."""
    source = folder.info.get("merged_from")
    attached = [name for name in (CONFIG_FILE, WEIGHTS_FILE) if (folder.path / name).is_file()]
    if not (source and attached):
        return []
    return [Finding("a merged model with the adapter still attached",
                    f"{RUN_FILE} says lorakit merge wrote this folder from {source}, so its weights already "
                    f"hold the update, yet {' and '.join(attached)} lie beside them",
                    f"load the merged folder alone, or the base plus the adapter ({source}), never both: the "
                    "adapter on the merged weights adds the update twice; delete the adapter files here")]


def base_hash(folder, base):
    """The weights' hash (`diagnostics.weights_hash`) of the model `base` loaded as the run's task loads it."""
    from .diagnostics import weights_hash
    from .models import head_module_names, load_task_model
    model = load_task_model(folder.info["task"], folder.info.get("labels"), base)
    return weights_hash(model, head_module_names(model))


def check_base(folder, base=None):
    """The adapter's recorded base (name and weights' hash) against `base` (--base) and each other."""
    recorded = folder.diagnostics.get("base_model") or {}
    names = {f"{RUN_FILE} base_model": folder.info.get("base_model"),
             f"{CONFIG_FILE} base_model_name_or_path": folder.adapter.get("base_model_name_or_path")}
    names = {k: v for k, v in names.items() if v}
    if len(set(names.values())) > 1:
        (k1, v1), (k2, v2) = names.items()
        return [Finding("an adapter for another base model", f"{k1} is {v1} but {k2} is {v2}",
                        "load it onto the base it was trained on; a copied or edited adapter_config.json "
                        "names the wrong one")]
    if base is None:
        return []
    trained = next(iter(names.values()), None)
    source = merged_source(base)                      # merged_from as `lorakit merge` was given it
    if source and Path(source).resolve() == folder.path.resolve():
        return [Finding("a merged model with the adapter still attached",
                        f"--base {base} is lorakit merge's output of this run ({RUN_FILE}'s merged_from): "
                        "its weights already hold this adapter's update",
                        f"load {base} alone, or this adapter on {trained}, never both: the adapter on the "
                        "merged weights adds the update twice")]
    if recorded.get("weights_sha256") and folder.info.get("task"):
        mine = base_hash(folder, base)
        if mine == recorded["weights_sha256"]:
            return []
        evidence = (f"--base {base} has weights hashing to {mine}, the run's base ({trained}) to "
                    f"{recorded['weights_sha256']}")
    elif trained and str(trained) != str(base):
        evidence = f"--base is {base} but the adapter names {trained}"
    else:
        return []
    return [Finding("an adapter for another base model", evidence,
                    f"load the adapter onto {trained}: on other weights the update B A changes the wrong "
                    "directions (it may load without an error when the shapes agree)")]


def check_prompt_mask(folder):
    scored = folder.diagnostics.get("scored_tokens") or {}
    if not scored.get("copies_input") or scored.get("share", 0) <= PROMPT_SCORED:
        return []
    return [Finding("the prompt is in the loss (unmasked)",
                    f"{100 * scored['share']:.0f}% of the training tokens are scored ({scored['scored']} of "
                    f"{scored['total']}); when only replies are scored, it is usually well under half",
                    "score the assistant's reply only: put the question in a user turn and the answer "
                    "in the assistant's turn (labels -100 on the prompt, lesson 12); if your replies are "
                    "long by design, this is a false alarm")]


def check_padding(folder):
    recorded = folder.diagnostics.get("generation_padding")
    causal = folder.adapter.get("task_type") == "CAUSAL_LM"
    saved = folder.tokenizer.get("padding_side", "right") if folder.tokenizer else None  # transformers' default
    side = recorded or (saved if causal and not folder.info else None)
    if side != "right":
        return []
    where = "the run padded prompts" if recorded else f"the tokenizer saved with the adapter ({TOKENIZER_FILE}) pads"
    return [Finding("padding on the wrong side for generation",
                    f"{where} on the right: in a batch, the shorter prompts end in padding, and the reply "
                    "is generated after it",
                    "tokenizer.padding_side = 'left' before generating (right padding is for training)")]


def check_fp16(folder):
    if folder.info.get("precision") != "fp16":
        return []
    losses, norms = folder.steps.get("loss") or [], folder.steps.get("grad_norm") or []
    bad_norms, bad_losses = norms.count(None), losses.count(None)
    if not (bad_norms or bad_losses):
        return []
    return [Finding("fp16 overflow",
                    f"in fp16, {bad_norms} of {len(norms)} steps had an infinite gradient (the step was "
                    f"skipped) and {bad_losses} a non-finite loss",
                    "--precision bf16 (on a GPU from compute capability 8.0) or fp32; or a lower learning rate")]


CHECKS = (check_lr_high, check_lr_low, check_overfitting, check_config_vs_weights, check_targets,
          check_merged, check_prompt_mask, check_padding, check_fp16)


def diagnose(path, base=None):
    """The findings for the run or adapter folder `path` ([] when healthy); `base`: the model it is
    meant to be loaded onto. Raises AdapterError when the folder cannot be read."""
    folder = read_folder(path)
    return [f for check in CHECKS for f in check(folder)] + check_base(folder, base)


def report(path, findings):
    """The findings as the command prints them."""
    if not findings:
        return f"{path}: no findings; the run looks healthy"
    lines = [f"{path}: {len(findings)} finding{'s' * (len(findings) > 1)}"]
    return "\n".join(lines + [f"{i}. {f}" for i, f in enumerate(findings, 1)])


def add_parser(sub):
    """`lorakit doctor RUN_DIR [--base MODEL]` on the command line's sub-parsers."""
    p = sub.add_parser("doctor", help="look for what went wrong in a run or a peft adapter folder")
    p.add_argument("run_dir", metavar="RUN_DIR", help="a lorakit run or a folder with adapter_config.json")
    p.add_argument("--base", help="the base model it is to be loaded onto: checked against the adapter's")


def cmd_doctor(args):
    """Print the findings; exit status 0 when there are none, 1 when there are."""
    findings = diagnose(args.run_dir, args.base)
    print(report(args.run_dir, findings))
    return 1 if findings else 0
