"""The exercise checkers of notebooks 00-03 accept the solutions' answers and reject wrong ones.

Where an answer is code (a function or a `MyLoRALinear` class), the test takes it from the solution
script itself, by name, without running the rest of the script.
"""
import ast
import math
from pathlib import Path

import pytest
import torch
from torch import nn

from lorakit.exercises import nb00, nb01, nb02, nb03

SOLUTIONS = Path(__file__).resolve().parents[1] / "solutions"


def from_solution(filename, name):
    """The function or class `name` defined at the top level of solutions/`filename`."""
    tree = ast.parse((SOLUTIONS / filename).read_text())
    node = next(n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name == name)
    namespace = {"torch": torch, "nn": nn, "math": math}
    exec(compile(ast.Module([node], type_ignores=[]), filename, "exec"), namespace)  # noqa: S102
    return namespace[name]


def rejected(v, *words):
    """A verdict that says no, and whose message names each of `words`."""
    return not v and all(w in str(v) for w in words)


def test_nb00():
    assert nb00.check_1(770)
    assert rejected(nb00.check_1(768), "bias") and rejected(nb00.check_1(771)) and rejected(nb00.check_1(770.0))
    assert nb00.check_2(12 * 384 * 384, 12 * 8 * 768)
    assert rejected(nb00.check_2(6 * 384 * 384, 12 * 8 * 768), "full", "12 layers")
    assert rejected(nb00.check_2(12 * 384 * 384, 12 * 2 * 384 * 384), "LoRA", "not d x d")
    answers = {"T4": "fp16", "A100": "bf16", "H100": "bf16"}
    assert nb00.check_3(answers)
    assert rejected(nb00.check_3({**answers, "T4": "bf16"}), "T4")
    assert rejected(nb00.check_3({**answers, "A100": "fp16"}), "A100")
    assert rejected(nb00.check_3({"T4": "fp16"}), "keys")
    assert nb00.check_4(["classifier.bias", "classifier.weight"])
    assert rejected(nb00.check_4(["classifier.weight"]), "one more")
    assert rejected(nb00.check_4(["classifier.weight", "classifier.bias", "bert.pooler.dense.weight"]), "keeps its shape")


def test_nb00_says_nothing_of_the_answers():
    for v in (nb00.check_1(768), nb00.check_2(1, 2), nb00.check_4([])):
        assert not any(str(x) in str(v) for x in (770, 1769472, "1,769,472", 73728, "73,728", "classifier.bias"))


def test_nb00_questions():
    assert nb00.question_1((3072, 768))
    assert rejected(nb00.question_1((768, 3072)), "(d_out, d_in)")
    assert rejected(nb00.question_1((1536, 384)), "MiniLM")
    assert nb00.question_2("b")
    assert rejected(nb00.question_2("a"), "code path") and rejected(nb00.question_2("c"), "model")
    assert nb00.question_3("bf16")
    assert rejected(nb00.question_3("fp16"), "loss scaling") and rejected(nb00.question_3("BF16"), "answer")
    assert "3072, 768" not in str(nb00.question_1((768, 3072)))


def test_nb01():
    assert nb01.check_1(307.2)
    assert rejected(nb01.check_1(307)) and rejected(nb01.check_1(192), "384 x 1536") and rejected(nb01.check_1("307.2"))
    assert nb01.check_2(math.sqrt(40), 1.0)
    assert rejected(nb01.check_2(40.0, 1.0), "squared")
    assert rejected(nb01.check_2(math.sqrt(0.5), 1.0), "relative")
    assert rejected(nb01.check_2(math.sqrt(40), math.sqrt(40)), "spectral")
    assert "307.2" not in str(nb01.check_1(307)) and "6.32" not in str(nb01.check_2(1.0, 1.0))
    s6 = 10 * 0.85 ** 5
    assert nb01.check_4(s6, s6 + 4.0)
    assert rejected(nb01.check_4(10 * 0.85 ** 6, s6 + 4.0), "s_7")
    assert rejected(nb01.check_4(s6, s6 - 0.5), "Eckart-Young")


def test_nb01_exercise_3_on_the_bundled_model():
    """This checker loads the bundled model (a second or two)."""
    assert nb01.check_3(False, (5, "attn output"))
    assert rejected(nb01.check_3(True, (5, "attn output")), "closer_to_low_rank")
    assert rejected(nb01.check_3(False, (0, "key")), "more structure than random")
    assert rejected(nb01.check_3(False, (9, "key")), "layer index")


def test_nb02():
    grad_x = from_solution("02_lora_gradients.py", "grad_x")
    assert nb02.check_1(grad_x)
    assert rejected(nb02.check_1(lambda X, W0, A, B, s, G: G @ W0), "B = 0")
    assert rejected(nb02.check_1(lambda X, W0, A, B, s, G: G @ (W0 + B @ A)), "autograd")
    assert rejected(nb02.check_1(lambda X, W0, A, B, s, G: G.T), "shape")
    assert nb02.check_2("B", True)
    assert rejected(nb02.check_2("A", True), "vanishes") and rejected(nb02.check_2("B", False), "starts_at")
    delta_w = from_solution("02_lora_gradients.py", "delta_w")
    assert nb02.check_3(delta_w)
    assert rejected(nb02.check_3(lambda lr, s, G, X, A: -delta_w(lr, s, G, X, A)), "sign")
    assert rejected(nb02.check_3(lambda lr, s, G, X, A: -lr * s * G.T @ X @ A.T @ A), "factor s")
    assert rejected(nb02.check_3(lambda lr, s, G, X, A: 1 / 0), "ZeroDivisionError")
    losses = [math.log1p(math.exp(-abs(z))) + max(-z, 0.0) for z in nb02.Z_4]     # -log sigmoid(z), stably
    gradients = [-1 / (1 + math.exp(z)) for z in nb02.Z_4]                          # sigmoid(z) - 1
    assert nb02.check_4(losses, gradients)
    assert rejected(nb02.check_4(losses[:3] + [float("inf")], gradients), "losses", "sigmoid_bce")
    assert rejected(nb02.check_4(losses, [-g for g in gradients]), "gradients", "sign")
    assert rejected(nb02.check_4(losses, [g / 4 for g in gradients]), "gradients", "n = 1")
    assert rejected(nb02.check_4([1.0] * 4, gradients), "losses")          # a loss that stays bounded
    assert rejected(nb02.check_4(1000.0, gradients), "four numbers")


def test_nb03():
    layer_class = from_solution("03_lora_from_scratch.py", "MyLoRALinear")
    assert nb03.check_1(layer_class) and nb03.check_2(layer_class) and nb03.check_4(layer_class)

    class DropoutOnBoth(layer_class):                   # dropout on the base path too: wrong
        def forward(self, x):
            return super().forward(self.lora_dropout(x))

    class AlwaysPlainScaling(layer_class):              # ignores use_rslora
        def __init__(self, base, r, lora_alpha, use_rslora=False):
            super().__init__(base, r, lora_alpha)

    class Unguarded(layer_class):                       # merges twice
        def merge(self):
            with torch.no_grad():
                self.base_layer.weight += self.delta_weight()
            self.merged = True

    assert rejected(nb03.check_1(DropoutOnBoth), "train() mode")
    assert rejected(nb03.check_2(AlwaysPlainScaling), "rsLoRA")
    assert rejected(nb03.check_4(Unguarded), "twice")
    assert rejected(nb03.check_1(nn.Linear), "raised")
    assert nb03.check_3(338_690) and nb03.check_3(337_920)
    assert rejected(nb03.check_3(338_690 - 6144), "pooler")
    assert rejected(nb03.check_3(338_690 - 6 * 15_360), "feed-forward")
    assert rejected(nb03.check_3(12 * 6144))


def says_nothing_of(v, *answers):
    """The verdict `v` does not print any of `answers`."""
    return not any(str(a) in str(v) for a in answers)


def test_nb01_questions():
    assert nb01.question_1(3) and nb01.question_2(math.sqrt(1.25)) and nb01.question_3(15_360)
    assert rejected(nb01.question_1(50), "combination of the columns of B") and says_nothing_of(nb01.question_1(50), 3)
    assert rejected(nb01.question_1(3.0), "whole number")
    assert rejected(nb01.question_2(1.25), "squared") and rejected(nb01.question_2(1.0), "spectral")
    assert rejected(nb01.question_2(1.5), "square root") and says_nothing_of(nb01.question_2(1.5), "1.118")
    assert rejected(nb01.question_3(2 * 4 * 768), "d_out") and rejected(nb01.question_3(768 * 3072), "full update")
    assert says_nothing_of(nb01.question_3(1), "15360", "15,360")


def test_nb02_questions():
    assert nb02.question_1("A") and nb02.question_2(0.5) and nb02.question_3(0.8)
    assert rejected(nb02.question_1("B"), "needs A") and rejected(nb02.question_1("both"), '"A" or "B"')
    assert rejected(nb02.question_2(0.25), "s sqrt(r)") and rejected(nb02.question_2(1.0), "rsLoRA")
    assert rejected(nb02.question_2(1 / 8), "SGD") and says_nothing_of(nb02.question_2(2.0), "0.5")
    assert rejected(nb02.question_3(-0.8), "sign") and rejected(nb02.question_3(0.2), "y = 0")
    assert rejected(nb02.question_3(0.16), "p - y")


def test_nb03_questions():
    assert nb03.question_1((8, 384), (1536, 8)) and nb03.question_1([8, 384], [1536, 8])
    assert rejected(nb03.question_1((384, 8), (8, 1536)), "out_features, in_features")
    assert rejected(nb03.question_1((1536, 8), (8, 384)), "reads the input")
    assert rejected(nb03.question_1((8, 1536), (384, 8)), "input size")
    assert nb03.question_2(2.0, 16 / math.sqrt(8))
    assert rejected(nb03.question_2(2.0, 2.0), "sqrt(r)") and rejected(nb03.question_2(0.5, 16 / math.sqrt(8)), "not r / alpha")
    assert says_nothing_of(nb03.question_2(1.0, 1.0), "5.65", "2.0")
    assert nb03.question_3("c")
    assert rejected(nb03.question_3("a"), "loss falls too") and rejected(nb03.question_3("b"), "lora_A and lora_B layers too")
    assert rejected(nb03.question_3("d"), '"a", "b" or "c"')
