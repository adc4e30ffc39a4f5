"""What LoRA learns: the analyses of the LoRA paper (Hu et al., 2021, section 7) at small scale.

- `subspace_similarity`: how much the top-i directions of one adapter's A overlap the top-j of
  another's (eq. 4): phi(A1, A2, i, j) = ||U1[:, :i]^T U2[:, :j]||_F^2 / min(i, j), in [0, 1],
  where U holds the right singular vectors of A (r x d_in). Two independent random subspaces
  give about max(i, j) / d_in.
- `delta_weight_spectrum`: singular values of dW = (lora_alpha / r) B A; at most r are non-zero.
- `amplification`: how strongly dW amplifies directions that W0 already has (section 7.3):
  ||dW||_F / ||U^T W0 V^T||_F with U, V the top-r singular vectors of dW, against the same
  projection onto random directions.

Timing a forward pass or a training step (merged against unmerged, LoRA against full fine-tuning)
is in `lorakit.measure`.
"""
import torch


def right_singular_vectors(A):
    """The right singular vectors of A (r, d_in) as the columns of a (d_in, r) matrix."""
    _, _, Vh = torch.linalg.svd(A.detach().double(), full_matrices=False)
    return Vh.T  # (d_in, r)


def subspace_similarity(A1, A2, i, j):
    """phi(A1, A2, i, j) of the LoRA paper, eq. 4: 1 = same subspace, 0 = orthogonal.

    >>> A = torch.randn(8, 64)
    >>> round(subspace_similarity(A, A, 4, 8), 6)
    1.0
    """
    U1, U2 = right_singular_vectors(A1), right_singular_vectors(A2)
    if not (1 <= i <= U1.shape[1] and 1 <= j <= U2.shape[1]):
        raise ValueError(f"i must be in 1..{U1.shape[1]} and j in 1..{U2.shape[1]}, got {i}, {j}")
    overlap = U1[:, :i].T @ U2[:, :j]  # (i, j)
    return float(overlap.pow(2).sum() / min(i, j))


def similarity_grid(A1, A2):
    """phi(A1, A2, i, j) for every i <= rank(A1), j <= rank(A2), as an (r1, r2) tensor (a heat map)."""
    U1, U2 = right_singular_vectors(A1), right_singular_vectors(A2)
    cumulative = (U1.T @ U2).pow(2).cumsum(0).cumsum(1)  # (r1, r2): sum over the top i x top j block
    i = torch.arange(1, U1.shape[1] + 1, dtype=cumulative.dtype, device=cumulative.device)[:, None]
    j = torch.arange(1, U2.shape[1] + 1, dtype=cumulative.dtype, device=cumulative.device)[None, :]
    return cumulative / torch.minimum(i, j)


def delta_weight_spectrum(layer):
    """Singular values of a LoRALinear's update dW = scaling * B A, largest first (length r).

    >>> from torch import nn
    >>> from lorakit.lora import LoRALinear
    >>> layer = LoRALinear(nn.Linear(16, 16), r=4, lora_alpha=4)
    >>> delta_weight_spectrum(layer).abs().max().item()  # B = 0 at init: no update yet
    0.0
    """
    delta = (layer.lora_B.weight @ layer.lora_A.weight).detach().double() * layer.scaling  # (d_out, d_in)
    return torch.linalg.svdvals(delta)[: layer.r]


def amplification(W0, delta, r=None, seed=0):
    """How dW relates to W0 (LoRA paper, section 7.3).

    Returns a dict: `delta_norm` = ||dW||_F; `w_on_delta` = ||U^T W0 V^T||_F, W0 projected on the
    top-r singular directions of dW; `w_on_random` = the same on random orthonormal directions;
    `factor` = delta_norm / w_on_delta. A large factor with w_on_delta above w_on_random means dW
    amplifies directions that W0 has but does not emphasise.

    >>> W0 = torch.randn(16, 12); delta = W0[:, :1] @ W0[:1, :]   # rank 1, along W0's own direction
    >>> a = amplification(W0, delta)
    >>> a["rank"], a["w_on_delta"] > a["w_on_random"]
    (1, True)
    """
    W0, delta = W0.detach().double(), delta.detach().double()  # (d_out, d_in) each
    r, on_delta, on_random = projection_norms(W0, delta, r, seed)
    return {"rank": r, "delta_norm": float(delta.norm()), "w_on_delta": float(on_delta),
            "w_on_random": float(on_random), "w_norm": float(W0.norm()),
            "factor": float(delta.norm() / on_delta)}


def projection_norms(W0, delta, r=None, seed=0):
    """(r, ||U^T W0 V^T||_F, the same on random orthonormal directions) as tensors on W0's device.

    U, V are the top-r singular vectors of `delta` (r defaults to its numerical rank); the random
    directions are drawn on the CPU with `seed`, so they are the same on every device.
    """
    U, S, Vh = torch.linalg.svd(delta, full_matrices=False)
    if r is None:  # the numerical rank of dW
        r = max(1, int((S > S[0] * 1e-6).sum()))
    on_delta = (U[:, :r].T @ W0 @ Vh[:r].T).norm()  # (r, r) block
    g = torch.Generator().manual_seed(seed)
    Q1, _ = torch.linalg.qr(torch.randn(W0.shape[0], r, generator=g, dtype=W0.dtype).to(W0.device))
    Q2, _ = torch.linalg.qr(torch.randn(W0.shape[1], r, generator=g, dtype=W0.dtype).to(W0.device))
    return r, on_delta, (Q1.T @ W0 @ Q2).norm()
