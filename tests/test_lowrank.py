"""Invariants of lorakit.lowrank: Eckart-Young, parameter counts, spectra (notebook 01)."""
import math

import pytest
import torch
from torch import nn

from lorakit import LoRALinear, count_parameters
from lorakit.lowrank import (as_matrix, effective_rank, energy_captured, full_param_count,
                             lora_param_count, low_rank_error, matrix_with_spectrum, random_like,
                             rank_for_energy, rank_k_approx, singular_values, truncated_svd)

SHAPES = [(5, 3), (8, 8), (3, 7), (20, 12), (64, 48)]


def random_matrix(m, n, seed=0):
    return torch.randn(m, n, dtype=torch.float64, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("m,n", SHAPES)
def test_eckart_young_errors_equal_the_tail_singular_values(m, n):
    W = random_matrix(m, n)
    s = singular_values(W)
    for k in range(min(m, n) + 1):
        e = low_rank_error(W, k)
        tail = s[k:]
        assert e["frobenius"] == pytest.approx(math.sqrt((tail ** 2).sum().item()), abs=1e-10)
        assert e["frobenius"] == pytest.approx(e["frobenius_predicted"], abs=1e-10)
        assert e["spectral"] == pytest.approx(e["spectral_predicted"], abs=1e-10)
        assert e["spectral_predicted"] == pytest.approx(s[k].item() if k < len(s) else 0.0, abs=1e-12)
        assert e["relative_frobenius"] == pytest.approx(
            e["frobenius"] / torch.linalg.matrix_norm(W).item(), abs=1e-12)


@pytest.mark.parametrize("m,n", SHAPES)
@pytest.mark.parametrize("k", [1, 2, 3])
def test_truncated_svd_shapes_rank_and_factorisation(m, n, k):
    W = random_matrix(m, n, seed=1)
    U, s, Vh = truncated_svd(W, k)
    assert U.shape == (m, k) and s.shape == (k,) and Vh.shape == (k, n)
    torch.testing.assert_close(U.T @ U, torch.eye(k, dtype=torch.float64))      # orthonormal columns
    torch.testing.assert_close(Vh @ Vh.T, torch.eye(k, dtype=torch.float64))    # orthonormal rows
    Wk = rank_k_approx(W, k)
    assert Wk.shape == (m, n)
    assert torch.linalg.matrix_rank(Wk).item() == k
    torch.testing.assert_close(Wk, (U * s) @ Vh)        # B = U diag(s) (m, k), A = Vh (k, n)


@pytest.mark.parametrize("m,n", SHAPES)
def test_full_rank_truncation_is_exact(m, n):
    W = random_matrix(m, n, seed=2)
    torch.testing.assert_close(rank_k_approx(W, min(m, n)), W)
    assert low_rank_error(W, min(m, n))["frobenius"] == pytest.approx(0.0, abs=1e-10)
    assert low_rank_error(W, 0)["frobenius"] == pytest.approx(torch.linalg.matrix_norm(W).item())


@pytest.mark.parametrize("m,n,k", [(12, 9, 2), (30, 20, 5), (16, 16, 1)])
def test_no_rank_k_matrix_beats_the_truncated_svd(m, n, k):
    """Eckart-Young: W projected onto any other k-dim row space is at least as far from W."""
    W = random_matrix(m, n, seed=3)
    best = low_rank_error(W, k)["frobenius"]
    for seed in range(20):
        A = random_matrix(k, n, seed=100 + seed)                 # (k, n), a random row space
        W_hat = W @ torch.linalg.pinv(A) @ A                     # best B for this A: (m, n), rank k
        assert torch.linalg.matrix_norm(W - W_hat).item() >= best - 1e-10


@pytest.mark.parametrize("spectrum,m,n", [([3.0, 2.0, 1.0], 5, 4), ([5.0, 0.5], 7, 2),
                                          ([1.0] * 6, 6, 9)])
def test_matrix_with_spectrum_has_exactly_that_spectrum(spectrum, m, n):
    W = matrix_with_spectrum(spectrum, m, n, seed=4)
    assert W.shape == (m, n) and W.dtype == torch.float64
    expected = torch.zeros(min(m, n), dtype=torch.float64)
    expected[:len(spectrum)] = torch.tensor(spectrum, dtype=torch.float64)
    torch.testing.assert_close(singular_values(W), expected)
    assert torch.equal(W, matrix_with_spectrum(spectrum, m, n, seed=4))         # deterministic


def test_matrix_with_spectrum_rejects_too_many_values():
    with pytest.raises(ValueError):
        matrix_with_spectrum([1.0, 1.0, 1.0], 5, 2)


@pytest.mark.parametrize("d_in,d_out,r", [(384, 384, 8), (384, 1536, 4), (7, 3, 1), (16, 32, 16)])
def test_lora_param_count_matches_a_real_lora_layer(d_in, d_out, r):
    assert lora_param_count(d_in, d_out, r) == r * (d_in + d_out)
    assert full_param_count(d_in, d_out) == d_in * d_out
    assert full_param_count(d_in, d_out, bias=True) == d_in * d_out + d_out
    layer = LoRALinear(nn.Linear(d_in, d_out), r=r, lora_alpha=2 * r)
    trainable, total = count_parameters(layer)
    assert trainable == lora_param_count(d_in, d_out, r)
    assert total == trainable + full_param_count(d_in, d_out, bias=True)


def test_lora_is_cheaper_below_the_break_even_rank():
    d_in, d_out = 384, 1536
    break_even = d_in * d_out / (d_in + d_out)                   # 307.2
    for r in (1, 8, 64, 307):
        assert lora_param_count(d_in, d_out, r) < full_param_count(d_in, d_out)
    assert lora_param_count(d_in, d_out, 308) > full_param_count(d_in, d_out)
    assert 307 < break_even < 308


@pytest.mark.parametrize("m,n", SHAPES)
def test_energy_captured_is_one_minus_relative_error_squared(m, n):
    W = random_matrix(m, n, seed=5)
    s = singular_values(W)
    for k in range(min(m, n) + 1):
        rel = low_rank_error(W, k)["relative_frobenius"]
        assert energy_captured(W, k) == pytest.approx(1 - rel ** 2, abs=1e-10)
        assert energy_captured(s, k) == pytest.approx(energy_captured(W, k), abs=1e-12)
    assert energy_captured(W, 0) == 0.0 and energy_captured(W, min(m, n)) == pytest.approx(1.0)


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9, 0.99, 1.0])
def test_rank_for_energy_is_the_smallest_sufficient_rank(fraction):
    W = random_matrix(30, 20, seed=6)
    k = rank_for_energy(W, fraction)
    assert 1 <= k <= 20
    assert energy_captured(W, k) >= fraction - 1e-9
    if k > 1:
        assert energy_captured(W, k - 1) < fraction


def test_rank_for_energy_rejects_bad_fractions():
    for bad in (0, -0.5, 1.5):
        with pytest.raises(ValueError):
            rank_for_energy(torch.ones(3), bad)


def test_effective_rank_bounds_and_known_values():
    assert effective_rank(torch.ones(7)) == pytest.approx(7.0)
    assert effective_rank(torch.tensor([2.0, 0.0, 0.0])) == pytest.approx(1.0)
    W = random_matrix(20, 10, seed=7)
    assert 1.0 <= effective_rank(W) <= 10.0
    low = matrix_with_spectrum([10.0, 1.0, 0.1], 20, 10)
    assert effective_rank(low) < effective_rank(W)


def test_random_like_keeps_shape_and_norm_and_is_seeded():
    W = torch.randn(12, 5) * 3
    R = random_like(W, seed=1)
    assert R.shape == W.shape and R.dtype == torch.float64
    assert torch.linalg.matrix_norm(R).item() == pytest.approx(torch.linalg.matrix_norm(W.double()).item())
    assert torch.equal(R, random_like(W, seed=1)) and not torch.equal(R, random_like(W, seed=2))


def test_inputs_accepted_and_rejected():
    layer = nn.Linear(4, 3)
    assert as_matrix(layer).shape == (3, 4)                      # (d_out, d_in)
    torch.testing.assert_close(singular_values(layer), singular_values(layer.weight.detach()))
    with pytest.raises(ValueError):
        as_matrix(torch.ones(2, 2, 2))
    for bad_k in (-1, 4, 1.5, True):
        with pytest.raises(ValueError):
            truncated_svd(torch.ones(3, 5), bad_k)
        with pytest.raises(ValueError):
            low_rank_error(torch.ones(3, 5), bad_k)


def test_svd_helpers_restore_the_thread_setting():
    before = torch.get_num_threads()
    singular_values(torch.randn(5, 4)), low_rank_error(torch.randn(5, 4), 2)
    assert torch.get_num_threads() == before


def test_functions_do_not_modify_their_input():
    W = torch.randn(6, 4)
    before = W.clone()
    low_rank_error(W, 2), rank_k_approx(W, 1), singular_values(W), random_like(W)
    assert torch.equal(W, before)
