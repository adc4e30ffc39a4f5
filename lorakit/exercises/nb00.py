"""Checkers for the exercises of lesson 00 (setup). Each returns a `Verdict`; none prints the answer.

Example:
    >>> check_3({"T4": "bf16", "A100": "bf16", "H100": "bf16"})
    Exercise 3: not yet: T4: bf16 needs compute capability 8.0 or newer.
"""
from . import question, verdict

HIDDEN, LABELS, LAYERS = 384, 2, 12          # MiniLM's width, the sentiment labels, query + value layers
BASE = 768                                   # bert-base's width (question 1)
GPUS = {"T4": (7, 5), "A100": (8, 0), "H100": (9, 0)}


def is_count(value):
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def check_1(head_params):
    """The classifier head's parameter count, as an int.

    >>> check_1(2 * 384)
    Exercise 1: not yet: a Linear layer has a bias too.
    """
    if not is_count(head_params):
        return verdict(1, ["give the count as a whole number (an int)"])
    weight = LABELS * HIDDEN
    if head_params == weight:
        return verdict(1, ["a Linear layer has a bias too"])
    if head_params == HIDDEN * HIDDEN + HIDDEN or head_params == HIDDEN + 1:
        return verdict(1, ["the head maps the 384-wide [CLS] vector to one logit per label"])
    return verdict(1, [] if head_params == weight + LABELS else ["count the head's weight matrix (labels x hidden) and its bias"])


def check_2(full, lora):
    """Weights a full update of the 12 query and value layers trains, and what LoRA at rank 8 trains.

    >>> check_2(12 * 384 * 384, 6 * 8 * (384 + 384))
    Exercise 2: not yet: LoRA: count A and B in all 12 layers (query and value in each of 6).
    """
    problems = []
    if not (is_count(full) and is_count(lora)):
        return verdict(2, ["give both counts as whole numbers (ints)"])
    if full != LAYERS * HIDDEN * HIDDEN:
        if full == LAYERS // 2 * HIDDEN * HIDDEN:
            problems.append("full: there are 12 layers, query and value in each of the 6 encoder layers")
        elif full == LAYERS * HIDDEN * (HIDDEN + 1):
            problems.append("full: count the weights only (the biases are not part of W)")
        else:
            problems.append("full: each layer's weight is a 384 x 384 matrix, and there are 12 of them")
    if lora != LAYERS * 8 * (HIDDEN + HIDDEN):
        if lora * 2 == LAYERS * 8 * (HIDDEN + HIDDEN):
            problems.append("LoRA: count A and B in all 12 layers (query and value in each of 6)")
        elif lora == LAYERS * 2 * HIDDEN * HIDDEN:
            problems.append("LoRA: A is r x d_in and B is d_out x r, not d x d")
        else:
            problems.append("LoRA: per layer, A is r x d_in and B is d_out x r")
    return verdict(2, problems)


def check_3(answers):
    """The 16-bit format each GPU uses: a dict {"T4": "fp16" or "bf16", "A100": ..., "H100": ...}.

    Checked against lorakit's own rule, `lorakit.device.select_precision`.

    >>> check_3({"T4": "fp16", "A100": "fp16", "H100": "bf16"})
    Exercise 3: not yet: A100: it supports bf16, which needs no loss scaling.
    """
    from ..device import select_precision
    if not isinstance(answers, dict) or set(answers) != set(GPUS):
        return verdict(3, [f"give a dict with the keys {', '.join(GPUS)}"])
    problems = []
    for gpu, capability in GPUS.items():
        answer, right = answers[gpu], select_precision("cuda", capability=capability)
        if answer not in ("fp16", "bf16"):
            problems.append(f"{gpu}: answer 'fp16' or 'bf16'")
        elif answer != right:
            problems.append(f"{gpu}: " + ("bf16 needs compute capability 8.0 or newer" if right == "fp16"
                                          else "it supports bf16, which needs no loss scaling"))
    return verdict(3, problems)


def check_4(changed):
    """The names of the parameters whose shape changes with three labels (a list of str).

    >>> check_4(["classifier.weight"])
    Exercise 4: not yet: one more head parameter depends on the number of labels.
    """
    if not isinstance(changed, (list, tuple, set)) or not all(isinstance(n, str) for n in changed):
        return verdict(4, ["give a list of parameter names, as named_parameters() spells them"])
    changed, right = set(changed), {"classifier.weight", "classifier.bias"}
    problems = []
    if changed - right:
        problems.append("a listed parameter keeps its shape: only the head depends on the labels")
    if right - changed:
        problems.append("one more head parameter depends on the number of labels" if changed & right
                        else "look at the layer that outputs one number per label")
    return verdict(4, problems)


# Check your understanding: short questions on the lesson itself.

def question_1(shape):
    """Question 1: the shape of the `intermediate.dense` weight of bert-base (768 -> 3072), as a tuple.

    >>> question_1((768, 3072))
    Question 1: not yet: nn.Linear stores its weight as (d_out, d_in): one row per output.
    """
    if not (isinstance(shape, (tuple, list)) and len(shape) == 2):
        return question(1, ["give the shape as a tuple of two ints, (rows, columns)"])
    shape = tuple(shape)
    if shape == (BASE, 4 * BASE):
        return question(1, ["nn.Linear stores its weight as (d_out, d_in): one row per output"])
    if sorted(shape) == [HIDDEN, 4 * HIDDEN]:
        return question(1, ["that is MiniLM's layer; bert-base is 768 wide, with a feed-forward 4 times wider"])
    if shape != (4 * BASE, BASE):
        return question(1, ["the layer maps bert-base's 768-wide vectors into its 3072-wide feed-forward"])
    return question(1, [])


def question_2(choice):
    """Question 2: what LORAKIT_FAST=1 changes: "a" the code path, "b" data sizes and step counts,
    "c" the model.

    >>> question_2("a")
    Question 2: not yet: the code path is the same in both modes: only numbers change, through pick(full, fast).
    """
    why = {"a": "the code path is the same in both modes: only numbers change, through pick(full, fast)",
           "c": "every lesson uses the same bundled model in both modes: fast mode only shrinks numbers"}
    if choice not in ("a", "b", "c"):
        return question(2, ['answer "a", "b" or "c"'])
    return question(2, [why[choice]] if choice in why else [])


def question_3(fmt):
    """Question 3: the 16-bit format with float32's range (8 exponent bits), "fp16" or "bf16".

    >>> question_3("fp16")
    Question 3: not yet: fp16 has 5 exponent bits, a small range: that is why it needs loss scaling.
    """
    if fmt not in ("fp16", "bf16"):
        return question(3, ['answer "fp16" or "bf16"'])
    return question(3, ["fp16 has 5 exponent bits, a small range: that is why it needs loss scaling"]
                    if fmt == "fp16" else [])
