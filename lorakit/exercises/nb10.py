"""Checkers for the exercises of lesson 10 (what LoRA learns).

Exercises 1 and 2 have answers known in advance (the random level of phi, the rounding drift of
float32 and float64). Exercises 3 and 4 depend on the learner's own training run, so their checkers
recompute the answer from what the learner passes in (the trained model, the amplification numbers):
a few SVDs of 384 x 384 matrices, never a training run.

Example:
    >>> from lorakit.exercises import nb10
    >>> nb10.check_2(drift32=3e-7, drift64=0.0)
    Exercise 2: correct.
"""
import torch

from . import close, question, verdict

D = 384                          # the hidden size of all-MiniLM-L6-v2 (the width of A in exercise 1)


def check_1(phis, d=D):
    """Exercise 1: phi(A1, A2, i, j) for random A1 (8 x d) and A2 (32 x d), as a dict {(i, j): phi}.

    Each value must be near the random level; at least one pair must have i != j (where max and
    min differ).

    >>> check_1({(1, 1): 0.003, (1, 32): 0.003})
    Exercise 1: not yet: phi at (1, 32) is far from what random subspaces give: a random j-dimensional subspace holds about j/d of a unit vector's squared length.
    """
    if not isinstance(phis, dict) or not phis:
        return verdict(1, ["give phi as a dict {(i, j): value}"])
    problems = []
    for (i, j), phi in sorted(phis.items()):
        if not (1 <= i <= 8 and 1 <= j <= 32):
            problems.append(f"({i}, {j}): i runs over 1..8 (A1 has 8 rows) and j over 1..32")
        elif not close(phi, max(i, j) / d, abs_=0.06 if i * j > 1 else 0.02):
            problems.append(f"phi at ({i}, {j}) is far from what random subspaces give: a random "
                            f"j-dimensional subspace holds about j/d of a unit vector's squared length")
    if all(i == j for i, j in phis):
        problems.append("include a pair with i != j: that is where max(i, j) and min(i, j) differ")
    return verdict(1, problems)


def check_2(drift32, drift64):
    """Exercise 2: how far W0 moved (largest absolute change) after ten merge/unmerge cycles.

    >>> check_2(drift32=0.0, drift64=0.0)
    Exercise 2: not yet: in float32 each merge and unmerge rounds, so W0 should move a little (not 0); compare with a copy taken before the first merge.
    """
    problems = []
    if not close(drift32, 0.0, abs_=1e-5):
        problems.append("the float32 drift is far too large for rounding: unmerge must subtract "
                        "exactly the dW that merge added")
    elif drift32 <= 0:
        problems.append("in float32 each merge and unmerge rounds, so W0 should move a little (not 0); "
                        "compare with a copy taken before the first merge")
    if not close(drift64, 0.0, abs_=1e-13):
        problems.append("the float64 drift should be around float64 rounding, far below float32's")
    elif drift32 and close(drift32, drift64, rel=0.5):
        problems.append("the two drifts should differ by orders of magnitude (the precisions do)")
    return verdict(2, problems)


def directions_for_90(delta):
    """How many top singular directions of `delta` hold 90% of ||delta||_F^2.

    >>> directions_for_90(torch.diag(torch.tensor([3.0, 0.5, 0.1])))   # 9 / 9.26 of the energy
    1
    """
    s = torch.linalg.svdvals(delta.detach().double())
    energy = (s ** 2).cumsum(0) / (s ** 2).sum()
    return int((energy < 0.9).sum()) + 1


def check_3(k90, model):
    """Exercise 3: {layer name: k90} for every LoRA layer of `model` (names as `lora_layers` gives them).

    The checker recomputes each k90 from the model's own updates, so the answer fits your run.

    >>> from torch import nn
    >>> from lorakit.lora import LoRALinear
    >>> model = nn.Sequential(LoRALinear(nn.Linear(8, 8), r=4, lora_alpha=4))
    >>> _ = nn.init.normal_(model[0].lora_B.weight)
    >>> check_3({"0": 0}, model)
    Exercise 3: not yet: k90 is off for 1 of 1 layers (e.g. 0): count the top singular values whose squares add up to at least 90% of the sum of all squares.
    """
    from ..lora import lora_layers
    layers = lora_layers(model)
    if not isinstance(k90, dict):
        return verdict(3, ["give k90 as a dict {layer name: number of directions}"])
    missing = [name for name in layers if name not in k90]
    if missing:
        return verdict(3, [f"{len(missing)} LoRA layers have no k90 (e.g. {missing[0]}): "
                           f"loop over lora_layers(model).items()"])
    wrong = [name for name, layer in layers.items()
             if k90[name] not in (directions_for_90(layer.get_delta_weight()),
                                  directions_for_90(layer.get_delta_weight().float().double()))]
    if wrong:
        return verdict(3, [f"k90 is off for {len(wrong)} of {len(layers)} layers (e.g. {wrong[0]}): count the "
                           f"top singular values whose squares add up to at least 90% of the sum of all squares"])
    return verdict(3, [])


def check_4(short, long, norm_grows, factor_grows):
    """Exercise 4: the amplification dicts of the rank-4 adapter trained for E and 2E epochs, and
    whether ||dW||_F and the amplification factor grow with the longer training (True or False).

    >>> short = {"rank": 4, "delta_norm": 1.0, "w_on_delta": 0.5, "factor": 2.0}
    >>> long = {"rank": 4, "delta_norm": 2.0, "w_on_delta": 0.5, "factor": 4.0}
    >>> check_4(short, long, True, False)
    Exercise 4: not yet: your numbers say the factor grows.
    """
    problems = []
    for name, a in (("short", short), ("long", long)):
        if not isinstance(a, dict) or not {"rank", "delta_norm", "w_on_delta", "factor"} <= set(a):
            return verdict(4, [f"pass {name} as the dict that amplification(W0, dW) returns"])
        if a["rank"] != 4:
            problems.append(f"{name} is an adapter of rank {a['rank']}: the exercise trains rank 4")
        if not close(a["factor"], a["delta_norm"] / a["w_on_delta"], rel=1e-3):
            problems.append(f"{name}'s factor is not ||dW||_F / ||U^T W0 V^T||_F")
    if problems:
        return verdict(4, problems)
    if long["delta_norm"] <= short["delta_norm"]:
        problems.append("with twice the epochs B moves further from zero, so ||dW||_F should grow: "
                        "are short and long swapped?")
    for said, grew, what in ((norm_grows, long["delta_norm"] > short["delta_norm"], "||dW||_F"),
                             (factor_grows, long["factor"] > short["factor"], "the factor")):
        if not isinstance(said, bool):
            problems.append(f"say True or False for {what}")
        elif said != grew:
            problems.append(f"your numbers say {what} {'grows' if grew else 'does not grow'}")
    return verdict(4, problems)


# Check your understanding: short questions on the lesson itself.

def question_1(phi):
    """Question 1: about what phi(4, 4) do two random 4-dimensional subspaces of a 384-dimensional
    space give (a number)?

    >>> question_1(0.0)
    Question 1: not yet: random subspaces are not orthogonal: each direction keeps part of its length on the other subspace.
    """
    if isinstance(phi, bool) or not isinstance(phi, (int, float)):
        return question(1, ["give phi as a number"])
    if close(phi, 0.0, abs_=1e-3):
        return question(1, ["random subspaces are not orthogonal: each direction keeps part of its length "
                            "on the other subspace"])
    if not close(phi, 4 / D, rel=0.3):
        return question(1, ["section 2 gives the random level in terms of i, j and d"])
    return question(1, [])


def question_2(count):
    """Question 2: at most how many non-zero singular values does dW = (alpha/r) B A have, with r = 8
    in a 384 x 384 layer (an int)?

    >>> question_2(384)
    Question 2: not yet: dW is a product through r dimensions: B A x passes through the r numbers A x.
    """
    if not (isinstance(count, int) and not isinstance(count, bool)):
        return question(2, ["give the count as a whole number (an int)"])
    if count != 8:
        return question(2, ["dW is a product through r dimensions: B A x passes through the r numbers A x"])
    return question(2, [])


def question_3(products):
    """Question 3: after `merge_lora`, how many extra matrix products does an adapted layer do per
    forward pass, next to the base model's layer (an int)?

    >>> question_3(2)
    Question 3: not yet: that is the unmerged layer, which computes B (A x) beside W0 x.
    """
    if not (isinstance(products, int) and not isinstance(products, bool)):
        return question(3, ["give the count as a whole number (an int)"])
    if products == 2:
        return question(3, ["that is the unmerged layer, which computes B (A x) beside W0 x"])
    if products != 0:
        return question(3, ["after merging, the layer holds one weight W = W0 + dW, the shape of W0"])
    return question(3, [])


def question_4(rotation):
    """Question 4: is the LoRA update a rotation of W0, W = Q W0 with Q orthogonal (True or False)?

    >>> question_4(True)
    Question 4: not yet: a rotation keeps W^T W and all its singular values are 1; section 7 measured both for W0 + dW.
    """
    if not isinstance(rotation, bool):
        return question(4, ["answer True or False"])
    return question(4, ["a rotation keeps W^T W and all its singular values are 1; section 7 measured both "
                        "for W0 + dW"] if rotation else [])
