"""Low-rank matrices: the linear algebra behind LoRA (notebook 01_low_rank_math).

A matrix W (m x n) of rank k can be written as a product B A with B (m x k) and A (k x n): it then
takes k (m + n) numbers instead of m n. The singular value decomposition W = U diag(s) V^T tells
how close to low rank a matrix is. The Eckart-Young(-Mirsky) theorem says that keeping the k largest
singular values gives the best rank-k approximation W_k, in both norms, with errors

    ||W - W_k||_F = sqrt(s_{k+1}^2 + ... + s_p^2)     ||W - W_k||_2 = s_{k+1}     (p = min(m, n))

LoRA (Hu et al., 2021) does not claim that pretrained weights are low-rank (they mostly are not; the
notebook measures it). Its hypothesis is that the *update* a fine-tuning needs is: dW = B A with
B (d_out x r), A (r x d_in), so r (d_in + d_out) trainable numbers instead of d_in d_out.

Design: every function takes a tensor (or an `nn.Linear`, whose `.weight` is used), works in float64
on the CPU so that the identities hold to ~1e-12, and returns plain tensors or Python numbers.
SVDs run single-threaded (`_one_thread`): for matrices of this size (up to a few thousand wide) extra
LAPACK threads gain little, while on a machine where another busy process holds a core, their waiting on
each other made one 384 x 384 SVD a hundred times slower (3 s instead of 30 ms) on a shared 2-core
machine.

Example:
    >>> W = matrix_with_spectrum([3.0, 2.0, 1.0], 5, 4, seed=0)   # (5, 4), rank 3
    >>> singular_values(W).round(decimals=6)                        # the 4th is 0 up to ~1e-16
    tensor([3., 2., 1., 0.], dtype=torch.float64)
    >>> err = low_rank_error(W, 1)
    >>> round(err["frobenius"], 6), round(err["frobenius_predicted"], 6)   # sqrt(2^2 + 1^2)
    (2.236068, 2.236068)
"""
import contextlib
import math

import torch
from torch import nn

__all__ = [
    "as_matrix", "singular_values", "truncated_svd", "rank_k_approx", "low_rank_error",
    "lora_param_count", "full_param_count", "energy_captured", "rank_for_energy",
    "effective_rank", "matrix_with_spectrum", "random_like",
]


def as_matrix(weight):
    """A 2-D float64 CPU copy of `weight` (a tensor, an array, or a module with `.weight`).

    >>> as_matrix(nn.Linear(3, 2)).shape          # nn.Linear stores W as (d_out, d_in)
    torch.Size([2, 3])
    """
    if isinstance(weight, nn.Module):
        weight = weight.weight
    W = torch.as_tensor(weight).detach().to(device="cpu", dtype=torch.float64)
    if W.dim() != 2:
        raise ValueError(f"expected a matrix (2-D), got shape {tuple(W.shape)}")
    return W


@contextlib.contextmanager
def _one_thread():
    """Run the enclosed torch code on one CPU thread, then restore the previous setting."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def singular_values(weight):
    """The singular values of a matrix, largest first: a (min(m, n),) float64 tensor.

    >>> singular_values(torch.diag(torch.tensor([1.0, -4.0, 2.0])))   # |diagonal|, sorted
    tensor([4., 2., 1.], dtype=torch.float64)
    """
    W = as_matrix(weight)
    with _one_thread():
        return torch.linalg.svdvals(W)


def truncated_svd(weight, k):
    """The k leading singular triplets of W (m x n): U_k (m, k), s_k (k,), Vh_k (k, n).

    W_k = U_k diag(s_k) Vh_k is the best rank-k approximation (Eckart-Young); see `rank_k_approx`.

    >>> U, s, Vh = truncated_svd(torch.randn(6, 4), 2)
    >>> U.shape, s.shape, Vh.shape
    (torch.Size([6, 2]), torch.Size([2]), torch.Size([2, 4]))
    """
    W = as_matrix(weight)
    _check_k(W, k)
    with _one_thread():
        U, s, Vh = torch.linalg.svd(W, full_matrices=False)  # U (m, p), s (p,), Vh (p, n)
    return U[:, :k], s[:k], Vh[:k, :]


def rank_k_approx(weight, k):
    """The best rank-k approximation W_k = U_k diag(s_k) Vh_k of W, shaped like W (float64).

    It factors as B A with B = U_k diag(s_k) (m, k) and A = Vh_k (k, n), the shapes LoRA uses.

    >>> W = torch.randn(5, 3, dtype=torch.float64)
    >>> torch.linalg.matrix_rank(rank_k_approx(W, 2)).item()
    2
    >>> torch.allclose(rank_k_approx(W, 3), W)                       # k = min(m, n): exact
    True
    """
    U, s, Vh = truncated_svd(weight, k)
    return (U * s) @ Vh  # (m, k) * (k,) -> (m, k); @ (k, n) -> (m, n)


def low_rank_error(weight, k):
    """Errors of the best rank-k approximation, measured and as Eckart-Young predicts them.

    Returns a dict of floats:
        frobenius            ||W - W_k||_F, measured by building W_k
        frobenius_predicted  sqrt(sum of s_i^2 for i > k): the tail singular values
        spectral             ||W - W_k||_2 (largest singular value of W - W_k), measured
        spectral_predicted   s_{k+1} (0 when k = min(m, n))
        relative_frobenius   ||W - W_k||_F / ||W||_F

    >>> W = matrix_with_spectrum([4.0, 3.0, 2.0, 1.0], 6, 4, seed=1)
    >>> e = low_rank_error(W, 2)
    >>> round(e["frobenius"], 6), round(math.sqrt(2**2 + 1**2), 6), round(e["spectral"], 6)
    (2.236068, 2.236068, 2.0)
    """
    W = as_matrix(weight)
    _check_k(W, k)
    U, s, Vh = truncated_svd(W, min(W.shape))  # the full thin SVD, computed once
    residual = W - (U[:, :k] * s[:k]) @ Vh[:k, :]  # W - W_k, (m, n)
    tail = s[k:]
    norm = torch.linalg.matrix_norm(W).item()
    frob = torch.linalg.matrix_norm(residual).item()
    with _one_thread():
        spectral = torch.linalg.matrix_norm(residual, ord=2).item()  # measured: an SVD of the residual
    return {
        "frobenius": frob,
        "frobenius_predicted": torch.sqrt((tail ** 2).sum()).item(),
        "spectral": spectral,
        "spectral_predicted": tail[0].item() if len(tail) else 0.0,
        "relative_frobenius": frob / norm if norm > 0 else 0.0,
    }


def lora_param_count(d_in, d_out, r):
    """Trainable numbers of a rank-r LoRA update: A (r x d_in) plus B (d_out x r) = r (d_in + d_out).

    >>> lora_param_count(384, 384, 8)     # one query projection of the bundled MiniLM, r = 8
    6144
    """
    return r * (d_in + d_out)


def full_param_count(d_in, d_out, bias=False):
    """Numbers in a full d_out x d_in weight update (plus d_out if the bias is trained too).

    >>> full_param_count(384, 384), full_param_count(384, 384, bias=True)
    (147456, 147840)
    """
    return d_in * d_out + (d_out if bias else 0)


def energy_captured(weight_or_s, k):
    """Fraction of the squared Frobenius norm ("energy") kept by the best rank-k approximation.

    Equals sum_{i<=k} s_i^2 / sum_i s_i^2 = 1 - (||W - W_k||_F / ||W||_F)^2. Accepts a matrix
    or its singular values (a 1-D tensor).

    >>> energy_captured(torch.tensor([3.0, 1.0]), 1)                 # 9 / (9 + 1)
    0.9
    """
    s = _spectrum(weight_or_s)
    total = (s ** 2).sum()
    return ((s[:k] ** 2).sum() / total).item() if total > 0 else 1.0


def rank_for_energy(weight_or_s, fraction=0.9):
    """The smallest k whose rank-k approximation keeps at least `fraction` of the energy.

    >>> rank_for_energy(torch.tensor([3.0, 1.0, 1.0]), 0.8), rank_for_energy(torch.tensor([3.0, 1.0, 1.0]), 0.9)
    (1, 2)
    """
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must be in (0, 1], got {fraction!r}")
    s = _spectrum(weight_or_s)
    energy = torch.cumsum(s ** 2, 0) / (s ** 2).sum()  # (p,), non-decreasing, ends at 1
    # A small tolerance so that fraction = 1 or an exact split (0.8 above) is not lost to rounding.
    return int((energy < fraction - 1e-12).sum().item()) + 1


def effective_rank(weight_or_s):
    """The effective rank of Roy & Vetterli (2007): exp(entropy of s_i / sum_j s_j).

    It is p for p equal singular values and 1 for a rank-1 matrix; in between it says how many
    directions matter, without a threshold.

    >>> round(effective_rank(torch.ones(5)), 6), round(effective_rank(torch.tensor([1.0, 0.0, 0.0])), 6)
    (5.0, 1.0)
    """
    s = _spectrum(weight_or_s)
    p = s / s.sum()
    p = p[p > 0]
    return math.exp(-(p * p.log()).sum().item())


def matrix_with_spectrum(singular, m, n, seed=0):
    """A random m x n matrix whose singular values are exactly `singular` (then zeros), float64.

    Built as U diag(s) V^T with random orthonormal U (m, p) and V (n, p), p = len(singular):
    a test matrix whose Eckart-Young errors we know in advance.

    >>> W = matrix_with_spectrum([2.0, 1.0], 4, 3, seed=0)
    >>> W.shape, singular_values(W).round(decimals=6)
    (torch.Size([4, 3]), tensor([2., 1., 0.], dtype=torch.float64))
    """
    s = torch.as_tensor(singular, dtype=torch.float64)
    p = len(s)
    if p > min(m, n):
        raise ValueError(f"{p} singular values do not fit a {m} x {n} matrix")
    gen = torch.Generator().manual_seed(seed)
    U, _ = torch.linalg.qr(torch.randn(m, p, dtype=torch.float64, generator=gen))  # (m, p)
    V, _ = torch.linalg.qr(torch.randn(n, p, dtype=torch.float64, generator=gen))  # (n, p)
    return (U * s) @ V.T  # (m, n)


def random_like(weight, seed=0):
    """A Gaussian matrix with W's shape and Frobenius norm: the "no structure" baseline (float64).

    >>> W = torch.randn(8, 5)
    >>> R = random_like(W)
    >>> R.shape == W.shape, round(torch.linalg.matrix_norm(R).item() / torch.linalg.matrix_norm(W.double()).item(), 6)
    (True, 1.0)
    """
    W = as_matrix(weight)
    gen = torch.Generator().manual_seed(seed)
    R = torch.randn(W.shape, dtype=torch.float64, generator=gen)
    return R * (torch.linalg.matrix_norm(W) / torch.linalg.matrix_norm(R))


def _check_k(W, k):
    p = min(W.shape)
    if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k <= p:
        raise ValueError(f"k must be an integer in [0, {p}] for a {tuple(W.shape)} matrix, got {k!r}")


def _spectrum(weight_or_s):
    """Singular values from a matrix, or a 1-D tensor of them (sorted, largest first)."""
    t = weight_or_s.weight if isinstance(weight_or_s, nn.Module) else weight_or_s
    t = torch.as_tensor(t).detach().to(device="cpu", dtype=torch.float64)
    if t.dim() == 1:
        return torch.sort(t.abs(), descending=True).values
    return singular_values(t)
