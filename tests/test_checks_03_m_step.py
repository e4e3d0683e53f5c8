"""Tests of the checks of notebook 03 (M-step): `m_step`.

Every check passes the reference and correct implementations written
differently, and fails a catalogue of wrong ones, the kind students write,
each with its own specific message.
"""

from __future__ import annotations


import numpy as np
import pytest

import helpers
from helpers import checks

from check_helpers import assert_caught, assert_message, assert_passes, not_done, run_check  # noqa: F401


# ------------------------------------------------------------------------------------
# 03: m_step, right answers written in different ways
# ------------------------------------------------------------------------------------


def m_step_loops(Y, gamma, xi_sum, dt):
    """Correct: loops over states and neurons."""
    n, T, C = Y.shape
    K = gamma.shape[2]
    psi = np.zeros(K)
    for i in range(n):
        psi += gamma[i, 0]
    psi /= n
    A = np.zeros((K, K))
    for i in range(K):
        A[i] = xi_sum[i] / xi_sum[i].sum()
    L = np.zeros((C, K))
    for k in range(K):
        w = gamma[:, :, k]
        for c in range(C):
            L[c, k] = (w * Y[:, :, c]).sum() / (w.sum() * dt)
    return psi, A, L


def m_step_matmul(Y, gamma, xi_sum, dt):
    """Correct: the scaffold's names, one matrix product for S (the solution's way)."""
    n_trials, T, C = Y.shape
    K = gamma.shape[2]
    F = gamma[:, 0].sum(axis=0)
    O = gamma.sum(axis=(0, 1))
    S = Y.reshape(-1, C).T @ gamma.reshape(-1, K)
    return F / F.sum(), xi_sum / xi_sum.sum(axis=1, keepdims=True), S / (O * dt)


def m_step_float32(Y, gamma, xi_sum, dt):
    """Correct: everything accumulated in single precision."""
    g = gamma.astype(np.float32)
    x = xi_sum.astype(np.float32)
    F = g[:, 0].sum(axis=0)
    S = np.einsum("ntc,ntk->ck", Y.astype(np.float32), g)
    O = g.sum(axis=(0, 1))
    return F / F.sum(), x / x.sum(axis=1)[:, None], S / (O * np.float32(dt))


def m_step_means(Y, gamma, xi_sum, dt):
    """Correct: averages over bins, rescaled (the number of bins cancels)."""
    n, T, C = Y.shape
    psi = gamma[:, 0].mean(axis=0)
    A = xi_sum / xi_sum.sum(axis=-1)[..., None]
    mean_spikes = np.einsum("ntc,ntk->ck", Y, gamma) / (n * T)
    mean_occupancy = gamma.mean(axis=(0, 1))
    return psi, A, mean_spikes / mean_occupancy / dt


def m_step_tensordot(Y, gamma, xi_sum, dt):
    """Correct: tensordot over two axes, np.divide, a list returned."""
    S = np.tensordot(Y, gamma, axes=([0, 1], [0, 1]))
    O = gamma.sum(axis=1).sum(axis=0)
    F = gamma[:, 0, :].sum(axis=0)
    return [np.divide(F, F.sum()), np.divide(xi_sum.T, xi_sum.sum(axis=1)).T, np.divide(S, O[None, :] * dt)]


def m_step_broadcast(Y, gamma, xi_sum, dt):
    """Correct: broadcasting Y (n, T, C, 1) against gamma (n, T, 1, K)."""
    S = (Y[:, :, :, None] * gamma[:, :, None, :]).sum(axis=(0, 1))
    O = gamma.sum(axis=0).sum(axis=0)
    return gamma[:, 0].sum(0) / Y.shape[0], xi_sum / xi_sum.sum(1, keepdims=True), S / O / dt


CORRECT = [helpers.m_step, m_step_loops, m_step_matmul, m_step_float32, m_step_means, m_step_tensordot,
           m_step_broadcast]


@pytest.mark.parametrize("fn", CORRECT, ids=lambda f: f.__name__)
def test_m_step_correct_passes(fn, capsys):
    out = assert_passes(checks.check_m_step, fn, capsys)
    assert "✅ m_step passed all 6 checks." in out


# ------------------------------------------------------------------------------------
# 03: m_step, the mistakes
# ------------------------------------------------------------------------------------


def _parts(Y, gamma, xi_sum, dt):
    """The right psi, A, L and the expected counts F, O, S."""
    F = gamma[:, 0].sum(axis=0)
    O = gamma.sum(axis=(0, 1))
    S = np.einsum("ntc,ntk->ck", Y, gamma)
    return F / F.sum(), xi_sum / xi_sum.sum(axis=1, keepdims=True), S / (O * dt), F, O, S


def psi_summed(Y, gamma, xi_sum, dt):
    psi, A, L, F, O, S = _parts(Y, gamma, xi_sum, dt)
    return F, A, L


def psi_last_bin(Y, gamma, xi_sum, dt):
    psi, A, L, F, O, S = _parts(Y, gamma, xi_sum, dt)
    return gamma[:, -1].sum(axis=0) / Y.shape[0], A, L


def psi_all_bins(Y, gamma, xi_sum, dt):
    psi, A, L, F, O, S = _parts(Y, gamma, xi_sum, dt)
    return O / O.sum(), A, L


def psi_first_trial(Y, gamma, xi_sum, dt):
    psi, A, L, F, O, S = _parts(Y, gamma, xi_sum, dt)
    return gamma[0, 0], A, L


def A_by_columns(Y, gamma, xi_sum, dt):
    psi, A, L, F, O, S = _parts(Y, gamma, xi_sum, dt)
    return psi, xi_sum / xi_sum.sum(axis=0, keepdims=True), L


def A_transposed(Y, gamma, xi_sum, dt):
    psi, A, L, F, O, S = _parts(Y, gamma, xi_sum, dt)
    return psi, A.T, L


def A_transposed_then_rows(Y, gamma, xi_sum, dt):
    psi, A, L, F, O, S = _parts(Y, gamma, xi_sum, dt)
    return psi, xi_sum.T / xi_sum.T.sum(axis=1, keepdims=True), L


def A_unnormalised(Y, gamma, xi_sum, dt):
    psi, A, L, F, O, S = _parts(Y, gamma, xi_sum, dt)
    return psi, xi_sum.copy(), L


def A_no_keepdims(Y, gamma, xi_sum, dt):
    psi, A, L, F, O, S = _parts(Y, gamma, xi_sum, dt)
    return psi, xi_sum / xi_sum.sum(axis=1), L


def A_by_total(Y, gamma, xi_sum, dt):
    psi, A, L, F, O, S = _parts(Y, gamma, xi_sum, dt)
    return psi, xi_sum / xi_sum.sum(), L


def A_by_occupancy(Y, gamma, xi_sum, dt):
    psi, A, L, F, O, S = _parts(Y, gamma, xi_sum, dt)
    return psi, xi_sum / O[:, None], L


def L_per_bin(Y, gamma, xi_sum, dt):
    psi, A, L, F, O, S = _parts(Y, gamma, xi_sum, dt)
    return psi, A, S / O


def L_dt_twice(Y, gamma, xi_sum, dt):
    psi, A, L, F, O, S = _parts(Y, gamma, xi_sum, dt)
    return psi, A, S / (O * dt) / dt


def L_precedence(Y, gamma, xi_sum, dt):
    psi, A, L, F, O, S = _parts(Y, gamma, xi_sum, dt)
    return psi, A, S / O * dt


def L_by_departures(Y, gamma, xi_sum, dt):
    """The trap of Think! 1: the row sums of xi_sum as the time in each state."""
    psi, A, L, F, O, S = _parts(Y, gamma, xi_sum, dt)
    return psi, A, S / (xi_sum.sum(axis=1) * dt)


def L_occupancy_without_last_bin(Y, gamma, xi_sum, dt):
    """Occupancy over bins 0 .. T-2 (the same numbers as the departures, computed from gamma)."""
    psi, A, L, F, O, S = _parts(Y, gamma, xi_sum, dt)
    return psi, A, S / (gamma[:, :-1].sum(axis=(0, 1)) * dt)


def L_without_last_bin(Y, gamma, xi_sum, dt):
    """Spikes and time both over bins 0 .. T-2, as if L were indexed like xi."""
    psi, A, L, F, O, S = _parts(Y, gamma, xi_sum, dt)
    S2 = np.einsum("ntc,ntk->ck", Y[:, :-1], gamma[:, :-1])
    return psi, A, S2 / (gamma[:, :-1].sum(axis=(0, 1)) * dt)


def L_total_bins(Y, gamma, xi_sum, dt):
    psi, A, L, F, O, S = _parts(Y, gamma, xi_sum, dt)
    n, T, _ = Y.shape
    return psi, A, S / (n * T * dt)


def L_unnormalised(Y, gamma, xi_sum, dt):
    psi, A, L, F, O, S = _parts(Y, gamma, xi_sum, dt)
    return psi, A, S / dt


def L_ignores_gamma(Y, gamma, xi_sum, dt):
    psi, A, L, F, O, S = _parts(Y, gamma, xi_sum, dt)
    K = gamma.shape[2]
    return psi, A, np.tile(Y.mean(axis=(0, 1))[:, None] / dt, (1, K))


def L_transposed(Y, gamma, xi_sum, dt):
    psi, A, L, F, O, S = _parts(Y, gamma, xi_sum, dt)
    return psi, A, np.einsum("ntc,ntk->kc", Y, gamma) / (O[:, None] * dt)


def L_einsum_bin_not_shared(Y, gamma, xi_sum, dt):
    psi, A, L, F, O, S = _parts(Y, gamma, xi_sum, dt)
    return psi, A, np.einsum("ntc,nsk->ck", Y, gamma) / (O * dt)


def L_sum_then_multiply(Y, gamma, xi_sum, dt):
    """Sums Y and gamma separately, then multiplies the sums."""
    psi, A, L, F, O, S = _parts(Y, gamma, xi_sum, dt)
    return psi, A, np.outer(Y.sum(axis=(0, 1)), O) / (O * dt)


def L_reshape_scrambles(Y, gamma, xi_sum, dt):
    psi, A, L, F, O, S = _parts(Y, gamma, xi_sum, dt)
    C, K = Y.shape[2], gamma.shape[2]
    return psi, A, (Y.reshape(C, -1) @ gamma.reshape(-1, K)) / (O * dt)


def L_hard_assignment(Y, gamma, xi_sum, dt):
    """Rates from the most probable state of every bin instead of weighting by gamma."""
    psi, A, L, F, O, S = _parts(Y, gamma, xi_sum, dt)
    K = gamma.shape[2]
    best = gamma.argmax(axis=2)
    return psi, A, np.stack([Y[best == k].mean(axis=0) / dt for k in range(K)], axis=1)


def L_like_probabilities(Y, gamma, xi_sum, dt):
    psi, A, L, F, O, S = _parts(Y, gamma, xi_sum, dt)
    return psi, A, S / S.sum(axis=1, keepdims=True)


def gamma_in_place(Y, gamma, xi_sum, dt):
    gamma /= gamma.sum(axis=2, keepdims=True)  # harmless numerically, but changes the caller's gamma
    return _parts(Y, gamma, xi_sum, dt)[:3]


def wrong_order(Y, gamma, xi_sum, dt):
    psi, A, L, F, O, S = _parts(Y, gamma, xi_sum, dt)
    return A, psi, L


def no_return(Y, gamma, xi_sum, dt):
    psi, A, L, F, O, S = _parts(Y, gamma, xi_sum, dt)  # noqa: F841


def two_outputs(Y, gamma, xi_sum, dt):
    return _parts(Y, gamma, xi_sum, dt)[:2]


def all_nan(Y, gamma, xi_sum, dt):
    return tuple(np.full_like(a, np.nan) for a in _parts(Y, gamma, xi_sum, dt)[:3])


def m_step_raises(Y, gamma, xi_sum, dt):
    K = gamma.shape[2]
    A = xi_sum / xi_sum.sum(axis=1)[:, None]
    L = np.einsum("ntc,ntk->ck", Y, gamma) / gamma.sum(axis=(0, 1))[K]
    return gamma[:, 0].mean(0), A, L / dt


def scaffold_untouched(Y, gamma, xi_sum, dt):
    n_trials, T, C = Y.shape
    K = gamma.shape[2]
    F = ...      # (K,): expected number of trials that start in each state
    O = ...      # (K,): occupancy, expected number of bins spent in each state
    S = ...      # (C, K): expected spikes of neuron c fired in state k
    psi = ...    # (K,)
    A = ...      # (K, K): every row sums to 1
    L = ...      # (C, K): Hz
    return psi, A, L


def scaffold_half_done(Y, gamma, xi_sum, dt):
    """psi and A written, L still a blank."""
    F = gamma[:, 0].sum(axis=0)
    psi = F / F.sum()
    A = xi_sum / xi_sum.sum(axis=1, keepdims=True)
    L = ...      # (C, K): Hz
    return psi, A, L


M_STEP_MISTAKES = [
    (psi_summed, ("psi sums to 4, the number of trials",)),
    (psi_last_bin, ("psi comes from the last bin",)),
    (psi_all_bins, ("psi is the average over all bins",)),
    (psi_first_trial, ("psi uses only the first trial",)),
    (A_by_columns, ("a is normalised by columns",)),
    (A_transposed, ("a is transposed: its columns sum to 1",)),
    (A_transposed_then_rows, ("a is transposed (then normalised by rows)",)),
    (A_unnormalised, ("returned the expected jump counts xi_sum",)),
    (A_no_keepdims, ("divides column j by the total of row j", "keepdims")),
    (A_by_total, ("divided by the total of xi_sum",)),
    (A_by_occupancy, ("the denominator is the occupancy o", "last bin")),
    (L_per_bin, ("spikes per bin, not hz", "forgot to divide by dt")),
    (L_dt_twice, ("l is divided by dt twice",)),
    (L_precedence, ("multiplied by dt instead of divided", "brackets")),
    (L_by_departures, ("by the expected departures", "bins 0 .. t-2", "think! 1")),
    (L_occupancy_without_last_bin, ("by the expected departures", "bins 0 .. t-2")),
    (L_without_last_bin, ("leaves out the last bin of every trial",)),
    (L_total_bins, ("total number of bins",)),
    (L_unnormalised, ("returned the expected spike counts",)),
    (L_ignores_gamma, ("ignores gamma",)),
    (L_transposed, ("l is transposed: shape (3, 5) = (k, c), expected (5, 3) = (c, k)",)),
    (L_einsum_bin_not_shared, ("different bins or trials", "share both letters")),
    (L_sum_then_multiply, ("products of separate sums",)),
    (L_reshape_scrambles, ("a reshape scrambled the order",)),
    (L_hard_assignment, ("most probable state",)),
    (L_like_probabilities, ("normalised like probabilities",)),
    (gamma_in_place, ("modified its input `gamma` in place",)),
    (wrong_order, ("the outputs come in the wrong order", "(a, psi, l)", "return psi, a, l")),
    (no_return, ("returned none",)),
    (two_outputs, ("should return 3 things", "it returned 2")),
    (all_nan, ("psi contains nan",)),
    (m_step_raises, ("indexerror", "in m_step_raises, line")),
    (scaffold_untouched, ("⏳ m_step: not done yet: fill in the `...` blanks (6 lines still have one)",)),
    (scaffold_half_done, ("not done yet: fill in the `...`", "l = ...")),
    (not_done, ("not done yet",)),
]


@pytest.mark.parametrize("fn, phrases", M_STEP_MISTAKES, ids=[f.__name__ for f, _ in M_STEP_MISTAKES])
def test_m_step_mistakes_get_their_own_message(fn, phrases, capsys):
    out = assert_message(checks.check_m_step, fn, capsys, *phrases)
    if fn not in (m_step_raises,):
        assert "largest difference" not in out.lower(), out  # a named mistake, not the generic report


def test_m_step_catalogue_is_large():
    assert len(M_STEP_MISTAKES) >= 15


def test_m_step_messages_are_distinct():
    """Mistakes of different kinds do not share a headline; two variants of one mistake may."""
    import contextlib
    import io

    heads = {}
    for fn, _ in M_STEP_MISTAKES:
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            checks.check_m_step(fn)
        heads.setdefault(buf.getvalue().splitlines()[0], []).append(fn.__name__)
    shared = {h: names for h, names in heads.items() if len(names) > 1}
    allowed = {("L_by_departures", "L_occupancy_without_last_bin"),  # the same numbers, two ways
               ("L_einsum_bin_not_shared", "L_sum_then_multiply")}     # both: products of separate sums
    assert all(tuple(names) in allowed for names in shared.values()), shared


def test_m_step_exception_message_names_line_and_type(capsys):
    out = assert_caught(checks.check_m_step, m_step_raises, capsys, "IndexError: index 3 is out of bounds")
    assert "index VALUE is out of range" in out  # a value error, not a shape error:
    assert "Print the shapes" not in out  # no shapes advice
    assert "in m_step_raises, line" in out
    assert "gamma.sum(axis=(0, 1))[K]" in out
    assert "Traceback" not in out


def test_m_step_first_line_of_two_classic_messages(capsys):
    out = assert_caught(checks.check_m_step, L_per_bin, capsys, "dt")
    assert out.splitlines()[0] == "❌ m_step: L is in spikes per bin, not Hz: you forgot to divide by dt."
    out = assert_caught(checks.check_m_step, L_by_departures, capsys, "departures")
    assert out.splitlines()[0].startswith("❌ m_step: L divides the expected spikes by the expected DEPARTURES")


def test_m_step_unrecognised_mistake_gets_the_generic_report(capsys):
    def L_scaled(Y, gamma, xi_sum, dt):
        psi, A, L, F, O, S = _parts(Y, gamma, xi_sum, dt)
        return psi, A, 1.3 * L

    out = assert_message(checks.check_m_step, L_scaled, capsys, "L does not match the reference",
                         "largest difference")
    assert "(test case: 4 trials of 60 bins" in out


def test_m_step_mistake_found_on_the_second_case(capsys):
    """A mistake that only shows with K = 2 is still named (the 'second data set' step)."""
    def wrong_for_two_states(Y, gamma, xi_sum, dt):
        psi, A, L, F, O, S = _parts(Y, gamma, xi_sum, dt)
        if gamma.shape[2] == 2:
            return psi, A.T, L
        return psi, A, L

    out = assert_message(checks.check_m_step, wrong_for_two_states, capsys, "a is transposed")
    assert "K = 2 states" in out


# ------------------------------------------------------------------------------------
# m_step: a student's play-through (wrong and right answers written against the scaffold)
# ------------------------------------------------------------------------------------


def m_step_student_w1_l_forgets_dt(Y, gamma, xi_sum, dt):
    """Wrong (wrong03.py, W1 L forgets dt)."""
    n_trials, T, C = Y.shape
    K = gamma.shape[2]
    F = gamma[:, 0].sum(axis=0)
    O = gamma.sum(axis=(0, 1))
    S = np.einsum("ntc,ntk->ck", Y, gamma)
    psi = F / F.sum()
    A = xi_sum / xi_sum.sum(axis=1, keepdims=True)
    L = S / O
    return psi, A, L


def m_step_student_w2_a_divided_by_occupancy_o_think_1_trap(Y, gamma, xi_sum, dt):
    """Wrong (wrong03.py, W2 A divided by occupancy O (Think! 1 trap))."""
    n_trials, T, C = Y.shape
    K = gamma.shape[2]
    F = gamma[:, 0].sum(axis=0)
    O = gamma.sum(axis=(0, 1))
    S = np.einsum("ntc,ntk->ck", Y, gamma)
    psi = F / F.sum()
    A = xi_sum / O[:, None]
    L = S / (O * dt)
    return psi, A, L


def m_step_student_w3_l_divided_by_departures_think_1_trap(Y, gamma, xi_sum, dt):
    """Wrong (wrong03.py, W3 L divided by departures (Think! 1 trap))."""
    n_trials, T, C = Y.shape
    K = gamma.shape[2]
    F = gamma[:, 0].sum(axis=0)
    O = gamma.sum(axis=(0, 1))
    S = np.einsum("ntc,ntk->ck", Y, gamma)
    psi = F / F.sum()
    A = xi_sum / xi_sum.sum(axis=1, keepdims=True)
    L = S / (xi_sum.sum(axis=1) * dt)
    return psi, A, L


def m_step_student_w4_a_normalised_by_column_sums(Y, gamma, xi_sum, dt):
    """Wrong (wrong03.py, W4 A normalised by column sums)."""
    n_trials, T, C = Y.shape
    K = gamma.shape[2]
    F = gamma[:, 0].sum(axis=0)
    O = gamma.sum(axis=(0, 1))
    S = np.einsum("ntc,ntk->ck", Y, gamma)
    psi = F / F.sum()
    A = xi_sum / xi_sum.sum(axis=0, keepdims=True)
    L = S / (O * dt)
    return psi, A, L


def m_step_student_w5_a_row_sums_without_keepdims(Y, gamma, xi_sum, dt):
    """Wrong (wrong03.py, W5 A: row sums without keepdims)."""
    n_trials, T, C = Y.shape
    K = gamma.shape[2]
    F = gamma[:, 0].sum(axis=0)
    O = gamma.sum(axis=(0, 1))
    S = np.einsum("ntc,ntk->ck", Y, gamma)
    psi = F / F.sum()
    A = xi_sum / xi_sum.sum(axis=1)
    L = S / (O * dt)
    return psi, A, L


def m_step_student_w6_psi_from_occupancy_all_bins(Y, gamma, xi_sum, dt):
    """Wrong (wrong03.py, W6 psi from occupancy (all bins))."""
    n_trials, T, C = Y.shape
    K = gamma.shape[2]
    F = gamma[:, 0].sum(axis=0)
    O = gamma.sum(axis=(0, 1))
    S = np.einsum("ntc,ntk->ck", Y, gamma)
    psi = O / O.sum()
    A = xi_sum / xi_sum.sum(axis=1, keepdims=True)
    L = S / (O * dt)
    return psi, A, L


def m_step_student_w7_s_transposed_k_c_via_einsum_kc(Y, gamma, xi_sum, dt):
    """Wrong (wrong03.py, W7 S transposed (K, C) via einsum ->kc)."""
    n_trials, T, C = Y.shape
    K = gamma.shape[2]
    F = gamma[:, 0].sum(axis=0)
    O = gamma.sum(axis=(0, 1))
    S = np.einsum("ntc,ntk->kc", Y, gamma)
    psi = F / F.sum()
    A = xi_sum / xi_sum.sum(axis=1, keepdims=True)
    L = S / (O[:, None] * dt)
    return psi, A, L


def m_step_student_w8_s_product_of_sums_outer(Y, gamma, xi_sum, dt):
    """Wrong (wrong03.py, W8 S = product of sums (outer))."""
    n_trials, T, C = Y.shape
    K = gamma.shape[2]
    F = gamma[:, 0].sum(axis=0)
    O = gamma.sum(axis=(0, 1))
    S = np.outer(Y.sum(axis=(0, 1)), gamma.sum(axis=(0, 1))) / (n_trials * T)
    psi = F / F.sum()
    A = xi_sum / xi_sum.sum(axis=1, keepdims=True)
    L = S / (O * dt)
    return psi, A, L


def m_step_student_w9_f_from_last_bin(Y, gamma, xi_sum, dt):
    """Wrong (wrong03.py, W9 F from last bin)."""
    n_trials, T, C = Y.shape
    K = gamma.shape[2]
    F = gamma[:, -1].sum(axis=0)
    O = gamma.sum(axis=(0, 1))
    S = np.einsum("ntc,ntk->ck", Y, gamma)
    psi = F / F.sum()
    A = xi_sum / xi_sum.sum(axis=1, keepdims=True)
    L = S / (O * dt)
    return psi, A, L


def m_step_student_w10_in_place_normalisation_of_xi_sum(Y, gamma, xi_sum, dt):
    """Wrong (wrong03.py, W10 in-place normalisation of xi_sum)."""
    n_trials, T, C = Y.shape
    K = gamma.shape[2]
    xi_sum /= xi_sum.sum(axis=1, keepdims=True)
    F = gamma[:, 0].sum(axis=0)
    O = gamma.sum(axis=(0, 1))
    S = np.einsum("ntc,ntk->ck", Y, gamma)
    psi = F / F.sum()
    A = xi_sum
    L = S / (O * dt)
    return psi, A, L


def m_step_student_w11_wrong_reshape_y_reshape_c_1(Y, gamma, xi_sum, dt):
    """Wrong (wrong03.py, W11 wrong reshape Y.reshape(C, -1))."""
    n_trials, T, C = Y.shape
    K = gamma.shape[2]
    F = gamma[:, 0].sum(axis=0)
    O = gamma.sum(axis=(0, 1))
    S = Y.reshape(C, -1) @ gamma.reshape(-1, K)
    psi = F / F.sum()
    A = xi_sum / xi_sum.sum(axis=1, keepdims=True)
    L = S / (O * dt)
    return psi, A, L


def m_step_student_w12_multiply_by_dt(Y, gamma, xi_sum, dt):
    """Wrong (wrong03.py, W12 multiply by dt)."""
    n_trials, T, C = Y.shape
    K = gamma.shape[2]
    F = gamma[:, 0].sum(axis=0)
    O = gamma.sum(axis=(0, 1))
    S = np.einsum("ntc,ntk->ck", Y, gamma)
    psi = F / F.sum()
    A = xi_sum / xi_sum.sum(axis=1, keepdims=True)
    L = S * dt / O
    return psi, A, L


def m_step_student_w13_s_averaged_over_trials(Y, gamma, xi_sum, dt):
    """Wrong (wrong03.py, W13 S averaged over trials)."""
    n_trials, T, C = Y.shape
    K = gamma.shape[2]
    F = gamma[:, 0].sum(axis=0)
    O = gamma.sum(axis=(0, 1))
    S = np.einsum("ntc,ntk->ck", Y, gamma) / n_trials
    psi = F / F.sum()
    A = xi_sum / xi_sum.sum(axis=1, keepdims=True)
    L = S / (O * dt)
    return psi, A, L


def m_step_student_w14_o_wrong_axes_0_2_t(Y, gamma, xi_sum, dt):
    """Wrong (wrong03.py, W14 O wrong axes (0, 2) -> (T,))."""
    n_trials, T, C = Y.shape
    K = gamma.shape[2]
    F = gamma[:, 0].sum(axis=0)
    O = gamma.sum(axis=(0, 2))
    S = np.einsum("ntc,ntk->ck", Y, gamma)
    psi = F / F.sum()
    A = xi_sum / xi_sum.sum(axis=1, keepdims=True)
    L = S / (O * dt)
    return psi, A, L


def m_step_student_w15_s_uses_gamma_of_next_bin_off_by_one(Y, gamma, xi_sum, dt):
    """Wrong (wrong03.py, W15 S uses gamma of next bin (off by one))."""
    n_trials, T, C = Y.shape
    K = gamma.shape[2]
    F = gamma[:, 0].sum(axis=0)
    O = gamma.sum(axis=(0, 1))
    S = np.einsum("ntc,ntk->ck", Y[:, 1:], gamma[:, :-1])
    psi = F / F.sum()
    A = xi_sum / xi_sum.sum(axis=1, keepdims=True)
    L = S / (O * dt)
    return psi, A, L


def m_step_student_w16_psi_not_normalised_f_alone(Y, gamma, xi_sum, dt):
    """Wrong (wrong03.py, W16 psi not normalised (F alone))."""
    n_trials, T, C = Y.shape
    K = gamma.shape[2]
    F = gamma[:, 0].sum(axis=0)
    O = gamma.sum(axis=(0, 1))
    S = np.einsum("ntc,ntk->ck", Y, gamma)
    psi = F
    A = xi_sum / xi_sum.sum(axis=1, keepdims=True)
    L = S / (O * dt)
    return psi, A, L


def m_step_student_w17_psi_f_t(Y, gamma, xi_sum, dt):
    """Wrong (wrong03.py, W17 psi = F / T)."""
    n_trials, T, C = Y.shape
    K = gamma.shape[2]
    F = gamma[:, 0].sum(axis=0)
    O = gamma.sum(axis=(0, 1))
    S = np.einsum("ntc,ntk->ck", Y, gamma)
    psi = F / T
    A = xi_sum / xi_sum.sum(axis=1, keepdims=True)
    L = S / (O * dt)
    return psi, A, L


def m_step_student_ok_alt_reshape_matmul_psi_mean(Y, gamma, xi_sum, dt):
    """Right (wrong03.py, OK-alt reshape+matmul, psi=mean)."""
    n_trials, T, C = Y.shape
    K = gamma.shape[2]
    F = gamma[:, 0].sum(axis=0)
    O = gamma.sum(axis=(0, 1))
    S = Y.reshape(-1, C).T @ gamma.reshape(-1, K)
    psi = gamma[:, 0].mean(axis=0)
    A = xi_sum / xi_sum.sum(axis=1, keepdims=True)
    L = S / (O * dt)
    return psi, A, L


def m_step_student_half_only_psi_and_a_done(Y, gamma, xi_sum, dt):
    """Wrong (wrong03.py, HALF only psi and A done)."""
    n_trials, T, C = Y.shape
    K = gamma.shape[2]
    F = gamma[:, 0].sum(axis=0)
    O = ...
    S = ...
    psi = F / F.sum()
    A = xi_sum / xi_sum.sum(axis=1, keepdims=True)
    L = ...
    return psi, A, L


def m_step_student_w18_f_from_gamma_1_bin_t_1_read_literally(Y, gamma, xi_sum, dt):
    """Wrong (wrong03b.py, W18 F from gamma[:, 1] (bin t=1 read literally))."""
    n_trials, T, C = Y.shape
    K = gamma.shape[2]
    F = gamma[:, 1].sum(axis=0)
    O = gamma.sum(axis=(0, 1))
    S = np.einsum("ntc,ntk->ck", Y, gamma)
    psi = F / F.sum()
    A = xi_sum / xi_sum.sum(axis=1, keepdims=True)
    L = S / (O * dt)
    return psi, A, L


def m_step_student_w19_a_xi_sum_xi_sum_sum_global_normalisation(Y, gamma, xi_sum, dt):
    """Wrong (wrong03b.py, W19 A = xi_sum / xi_sum.sum() (global normalisation))."""
    n_trials, T, C = Y.shape
    K = gamma.shape[2]
    F = gamma[:, 0].sum(axis=0)
    O = gamma.sum(axis=(0, 1))
    S = np.einsum("ntc,ntk->ck", Y, gamma)
    psi = F / F.sum()
    A = xi_sum / xi_sum.sum()
    L = S / (O * dt)
    return psi, A, L


def m_step_student_w20_l_s_o_none_dt_broadcast_wrong_k_c(Y, gamma, xi_sum, dt):
    """Wrong (wrong03b.py, W20 L = S / O[:, None] / dt (broadcast wrong, K!=C))."""
    n_trials, T, C = Y.shape
    K = gamma.shape[2]
    F = gamma[:, 0].sum(axis=0)
    O = gamma.sum(axis=(0, 1))
    S = np.einsum("ntc,ntk->ck", Y, gamma)
    psi = F / F.sum()
    A = xi_sum / xi_sum.sum(axis=1, keepdims=True)
    L = S / (O[:, None] * dt)
    return psi, A, L


def m_step_student_w21_o_from_xi_row_sums_last_gamma_right(Y, gamma, xi_sum, dt):
    """Right (wrong03b.py, W21 O from xi row sums + last gamma (right))."""
    n_trials, T, C = Y.shape
    K = gamma.shape[2]
    F = gamma[:, 0].sum(axis=0)
    O = xi_sum.sum(axis=1) + gamma[:, -1].sum(axis=0)
    S = np.einsum("ntc,ntk->ck", Y, gamma)
    psi = F / F.sum()
    A = xi_sum / xi_sum.sum(axis=1, keepdims=True)
    L = S / (O * dt)
    return psi, A, L


M_STEP_STUDENT = [
    (m_step_student_w1_l_forgets_dt, ('l is in spikes per bin, not hz',)),
    (m_step_student_w2_a_divided_by_occupancy_o_think_1_trap, ('the denominator is the occupancy o',)),
    (m_step_student_w3_l_divided_by_departures_think_1_trap,
     ('l divides the expected spikes by the expected departures',)),
    (m_step_student_w4_a_normalised_by_column_sums, ('a is normalised by columns',)),
    (m_step_student_w5_a_row_sums_without_keepdims, ('a divides column j by the total of row j', 'keepdims=true')),
    (m_step_student_w6_psi_from_occupancy_all_bins, ('psi is the average over all bins', 'gamma[:, 0]')),
    (m_step_student_w7_s_transposed_k_c_via_einsum_kc, ('l is transposed: shape',)),
    (m_step_student_w8_s_product_of_sums_outer, ('l is the same in every state',)),
    (m_step_student_w9_f_from_last_bin, ('psi comes from the last bin', 'gamma[:, 0]')),
    (m_step_student_w10_in_place_normalisation_of_xi_sum, ('your function modified its input `xi_sum` in place',)),
    (m_step_student_w11_wrong_reshape_y_reshape_c_1, ('a reshape scrambled the order',)),
    (m_step_student_w12_multiply_by_dt, ('l is multiplied by dt instead of divided by it',)),
    (m_step_student_w13_s_averaged_over_trials, ('l is 4 times too small, the number of trials',)),
    (m_step_student_w14_o_wrong_axes_0_2_t, ('ValueError', 'print the shapes on that line')),
    (m_step_student_w15_s_uses_gamma_of_next_bin_off_by_one, ('off by one bin', 'posterior of the same bin')),
    (m_step_student_w16_psi_not_normalised_f_alone, ('psi sums to 4, the number of trials', 'n_k, `starts`')),
    (m_step_student_w17_psi_f_t, ('psi sums to 0.06667, not 1', 'only the first bin of each trial counts')),
    (m_step_student_half_only_psi_and_a_done, ('not done yet: fill in the `...`',)),
    (m_step_student_w18_f_from_gamma_1_bin_t_1_read_literally, ('psi comes from the second bin', 'gamma[:, 0]')),
    (m_step_student_w19_a_xi_sum_xi_sum_sum_global_normalisation, ('a is divided by the total of xi_sum',)),
    (m_step_student_w20_l_s_o_none_dt_broadcast_wrong_k_c, ('ValueError', 'print the shapes on that line')),
]


@pytest.mark.parametrize("fn, phrases", M_STEP_STUDENT, ids=[f.__name__ for f, _ in M_STEP_STUDENT])
def test_m_step_student_answers_get_their_own_message(fn, phrases, capsys):
    assert_message(checks.check_m_step, fn, capsys, *phrases)


@pytest.mark.parametrize("fn", [
    m_step_student_ok_alt_reshape_matmul_psi_mean,
    m_step_student_w21_o_from_xi_row_sums_last_gamma_right,
])
def test_m_step_student_right_answers_pass(fn, capsys):
    assert_passes(checks.check_m_step, fn, capsys)
