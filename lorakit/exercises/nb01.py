"""Checkers for the exercises of lesson 01 (low-rank maths). Each returns a `Verdict`.

Example:
    >>> check_1(192)
    Exercise 1: not yet: that is the break-even rank of a square 384 x 384 layer; this one is 384 x 1536.
"""
import functools
import math

import torch

from . import close, question, verdict


def check_1(rank):
    """The rank r at which LoRA on a 384 x 1536 layer trains as many parameters as a full update.

    >>> check_1(1920)
    Exercise 1: not yet: solve r (d_in + d_out) = d_in d_out for r.
    """
    d_in, d_out = 384, 1536
    exact = d_in * d_out / (d_in + d_out)
    if close(rank, exact):
        return verdict(1, [])
    if close(rank, 384 * 384 / 768):
        return verdict(1, ["that is the break-even rank of a square 384 x 384 layer; this one is 384 x 1536"])
    if close(rank, round(exact), abs_=1):
        return verdict(1, ["r (d_in + d_out) = d_in d_out has no whole-number solution here: give the exact one"])
    return verdict(1, ["solve r (d_in + d_out) = d_in d_out for r"])


def check_2(frobenius, spectral):
    """`low_rank_error`'s two errors for the 100 x 80 flat (all ones) spectrum at k = 40.

    >>> check_2(40.0, 1.0)
    Exercise 2: not yet: frobenius: that is the squared error; the norm is its square root.
    """
    p, k = 80, 40
    problems = []
    if close(frobenius, p - k):
        problems.append("frobenius: that is the squared error; the norm is its square root")
    elif close(frobenius, math.sqrt((p - k) / p)):
        problems.append("frobenius: that is the relative error; the question asks for the error itself")
    elif not close(frobenius, math.sqrt(p - k), rel=1e-6):
        problems.append("frobenius: it is the square root of the sum of the squared singular values left out")
    if not close(spectral, 1.0, rel=1e-6):
        problems.append("spectral: it is the largest singular value left out")
    return verdict(2, problems)


@functools.lru_cache(maxsize=1)
def k90_of_key_and_output():
    """{(layer, kind): (k90 pretrained, k90 random)} for MiniLM's key and attention-output weights."""
    from .. import lowrank
    from ..models import load_task_model
    model = load_task_model("sentiment", labels=["negative", "positive"])
    table = {}
    for i, layer in enumerate(model.base_model.encoder.layer):
        for kind, weight in (("key", layer.attention.self.key.weight),
                             ("attn output", layer.attention.output.dense.weight)):
            s_pre = lowrank.singular_values(weight)
            s_rand = lowrank.singular_values(lowrank.random_like(weight, seed=i))
            table[i, kind] = (lowrank.rank_for_energy(s_pre, 0.9), lowrank.rank_for_energy(s_rand, 0.9))
    return table


def check_3(closer_to_low_rank, as_flat_as_random):
    """Are `key` and attention `output.dense` closer to low-rank than query and value (True/False)?
    And one weight, (layer index, "key" or "attn output"), that needs as many directions for 90 % of
    its energy as a random matrix of its shape and norm (seed = layer index, as in the notebook).

    Loads the bundled model (a second or two).

    >>> check_3(False, (0, "key"))
    Exercise 3: not yet: layer 0's key has more structure than random; look at the table again.
    """
    problems = []
    if closer_to_low_rank is not False:
        problems.append("closer_to_low_rank: count how many directions 90 % of their energy needs, "
                        "against the full rank, as for query and value")
    table = k90_of_key_and_output()
    if not (isinstance(as_flat_as_random, tuple) and as_flat_as_random in table):
        problems.append('as_flat_as_random: give (layer index 0-5, "key" or "attn output")')
    else:
        k_pre, k_rand = table[as_flat_as_random]
        if k_pre < k_rand:
            i, kind = as_flat_as_random
            problems.append(f"layer {i}'s {kind} has more structure than random; look at the table again")
    return verdict(3, problems)


def check_4(s6, smallest_error):
    """s_6 of the 60 x 40 matrix (s_i = 10 * 0.85^(i-1)), and the smallest spectral error
    ||W - W_hat||_2 you found over random rank-5 fits W_hat.

    >>> check_4(10 * 0.85 ** 6, 5.0)
    Exercise 4: not yet: s6: that is s_7; s_1 is the first singular value (index 0 in Python).
    """
    problems = []
    s = [10 * 0.85 ** i for i in range(40)]
    if close(s6, s[6]):
        problems.append("s6: that is s_7; s_1 is the first singular value (index 0 in Python)")
    elif close(s6, s[4]):
        problems.append("s6: that is s_5; s_1 is the first singular value (index 0 in Python)")
    elif not close(s6, s[5], rel=1e-6):
        problems.append("s6: read it off lowrank.singular_values(W)")
    try:
        smallest_error = float(smallest_error)
    except (TypeError, ValueError):
        return verdict(4, problems + ["smallest_error: give a number"])
    if smallest_error < s[5] - 1e-9:
        problems.append("smallest_error: below s_6 would break Eckart-Young; use the spectral norm "
                        "(matrix_norm(..., ord=2)) of W minus a rank-5 matrix")
    return verdict(4, problems)


# "Check your understanding": three short questions, answered in the lesson (sections 1, 3 and 4).

def question_1(rank):
    """The largest rank that W = B A can have, for B of shape (100, 3) and A of shape (3, 50).

    >>> question_1(50)
    Question 1: not yet: min(100, 50) bounds any 100 x 50 matrix, but a product is bounded by less: every column of B A is a combination of the columns of B.
    """
    if not isinstance(rank, int) or isinstance(rank, bool):
        return question(1, ["give the rank as a whole number (an int)"])
    if rank in (50, 100):
        return question(1, ["min(100, 50) bounds any 100 x 50 matrix, but a product is bounded by less: "
                            "every column of B A is a combination of the columns of B"])
    if rank != 3:
        return question(1, ["the rank of a product is at most its inner dimension, the r of B (m x r) and A (r x n)"])
    return question(1, [])


def question_2(error):
    """||W - W_2||_F, the Frobenius error of the best rank-2 approximation of a matrix whose singular
    values are 5, 3, 1 and 0.5.

    >>> question_2(1.0)
    Question 2: not yet: that is the spectral error, s_3; the Frobenius error takes every singular value left out.
    """
    left_out = [1.0, 0.5]
    if close(error, math.sqrt(sum(v * v for v in left_out))):
        return question(2, [])
    if close(error, sum(v * v for v in left_out)):
        return question(2, ["that is the squared error; the norm is its square root"])
    if close(error, 1.0):
        return question(2, ["that is the spectral error, s_3; the Frobenius error takes every singular value left out"])
    if close(error, sum(left_out)):
        return question(2, ["add the squares of the singular values left out, then take the square root"])
    return question(2, ["Eckart-Young: the error is the tail of the spectrum, the values after the k = 2 largest"])


def question_3(count):
    """How many numbers LoRA with r = 4 trains in A and B on a Linear layer 768 -> 3072.

    >>> question_3(2 * 4 * 768)
    Question 3: not yet: B is d_out x r, and d_out is 3072 here, not 768.
    """
    if not isinstance(count, int) or isinstance(count, bool):
        return question(3, ["give the count as a whole number (an int)"])
    r, d_in, d_out = 4, 768, 3072
    if count == r * (d_in + d_out):
        return question(3, [])
    if count in (2 * r * d_in, 2 * r * d_out):
        return question(3, [f"B is d_out x r, and d_out is {d_out} here, not {d_in}"
                            if count == 2 * r * d_in else f"A is r x d_in, and d_in is {d_in} here, not {d_out}"])
    if count == d_in * d_out:
        return question(3, ["that is a full update, d_in x d_out; LoRA trains A (r x d_in) and B (d_out x r)"])
    return question(3, ["add the sizes of A (r x d_in) and B (d_out x r)"])
