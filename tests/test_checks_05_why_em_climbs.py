"""Tests of the checks of notebook 05 (why EM climbs): `ecll`.

Every check passes the reference and correct implementations written
differently, and fails a catalogue of wrong ones, the kind students write,
each with its own specific message.
"""

from __future__ import annotations


import numpy as np
import pytest
import scipy.special
from scipy.special import gammaln, xlogy
from scipy.stats import poisson

import helpers
from helpers import checks

from check_helpers import headlines, assert_caught, assert_message, assert_passes, not_done, run_check  # noqa: F401


# ------------------------------------------------------------------------------------
# 05: ecll
# ------------------------------------------------------------------------------------


def ecll_loops(Y, gamma, xi_sum, psi, A, L, dt):
    """Correct: plain loops, scipy's Poisson log-pmf, zero weights skipped (0 log 0 = 0)."""
    n, T, C = Y.shape
    K = len(psi)
    q = 0.0
    for i in range(n):
        for k in range(K):
            if gamma[i, 0, k] > 0:
                q += gamma[i, 0, k] * np.log(psi[k])
    for i in range(K):
        for j in range(K):
            if xi_sum[i, j] > 0:
                q += xi_sum[i, j] * np.log(A[i, j])
    for k in range(K):
        logp = poisson.logpmf(Y, L[:, k] * dt).sum(axis=2)  # (n, T)
        q += (gamma[:, :, k] * logp).sum()
    return q


def ecll_scaffold_answer(Y, gamma, xi_sum, psi, A, L, dt):
    """Correct: the notebook's expected counts, einsum and xlogy."""
    F = gamma[:, 0].sum(axis=0)
    O = gamma.sum(axis=(0, 1))
    S = np.einsum("ntc,ntk->ck", Y, gamma)
    rate = L * dt
    q = xlogy(F, psi).sum() + xlogy(xi_sum, A).sum()
    q += xlogy(S, rate).sum() - (O * rate.sum(axis=0)).sum()
    q -= gammaln(Y + 1.0).sum()  # sum_k gamma = 1: the weights drop out
    return float(q)


def ecll_float32(Y, gamma, xi_sum, psi, A, L, dt):
    """Correct: every array in float32 (sums agree to about 1e-7)."""
    f = np.float32
    Y32, g32 = Y.astype(f), gamma.astype(f)
    rate = (L * dt).astype(f)
    S = (Y32.reshape(-1, Y.shape[2]).T @ g32.reshape(-1, gamma.shape[2]))
    q = xlogy(g32[:, 0].sum(axis=0), psi.astype(f)).sum() + xlogy(xi_sum.astype(f), A.astype(f)).sum()
    q += xlogy(S, rate).sum() - (g32.sum(axis=(0, 1)) * rate.sum(axis=0)).sum()
    q -= (gammaln(Y32 + f(1)).sum(axis=2) * g32.sum(axis=2)).sum()
    return q


def ecll_masked_log(Y, gamma, xi_sum, psi, A, L, dt):
    """Correct: np.log only where the weight is positive (np.where + errstate), one 0-d array returned."""
    def wlog(w, p):
        with np.errstate(divide="ignore"):
            return np.where(w > 0, w * np.log(np.where(w > 0, p, 1.0)), 0.0).sum()
    rate = L * dt
    logp = Y @ np.log(rate) - rate.sum(axis=0) - gammaln(Y + 1.0).sum(axis=2, keepdims=True)
    return np.array(wlog(gamma[:, 0].sum(axis=0), psi) + wlog(xi_sum, A) + (gamma * logp).sum())


def _ecll(Y, gamma, xi_sum, psi, A, L, dt, *, logfact=True, init=True, transpose=False,
          log_L=False, rate_term=True, mean=False):
    rate = L * dt
    q = xlogy(gamma[:, 0].sum(axis=0), psi).sum() if init else 0.0
    q += xlogy(xi_sum, A.T if transpose else A).sum()
    log_rate = np.log(L) if log_L else np.log(rate)
    logp = Y @ log_rate  # (n, T, K)
    if rate_term:
        logp = logp - rate.sum(axis=0)
    if logfact:
        logp = logp - gammaln(Y + 1.0).sum(axis=2, keepdims=True)
    q += (gamma * logp).sum()
    return q / Y.shape[0] if mean else q


@pytest.mark.parametrize("fn", [helpers.expected_complete_ll, ecll_loops, ecll_scaffold_answer, ecll_float32,
                                ecll_masked_log, _ecll])
def test_ecll_correct_passes(fn, capsys):
    out = assert_passes(checks.check_ecll, fn, capsys)
    assert "passed all 4 checks" in out


# --- the catalogue of wrong answers --------------------------------------------------


def ecll_np_log(Y, gamma, xi_sum, psi, A, L, dt):
    """np.log instead of xlogy: 0 * log 0 = nan where psi or A has zeros."""
    rate = L * dt
    F = gamma[:, 0].sum(axis=0)
    logp = Y @ np.log(rate) - rate.sum(axis=0) - gammaln(Y + 1.0).sum(axis=2, keepdims=True)
    return float((F * np.log(psi)).sum() + (xi_sum * np.log(A)).sum() + (gamma * logp).sum())


def ecll_no_logfact(Y, gamma, xi_sum, psi, A, L, dt):
    return _ecll(Y, gamma, xi_sum, psi, A, L, dt, logfact=False)


def ecll_logfact_K_times(Y, gamma, xi_sum, psi, A, L, dt):
    q = _ecll(Y, gamma, xi_sum, psi, A, L, dt, logfact=False)
    return q - psi.size * gammaln(Y + 1.0).sum()


def ecll_no_init(Y, gamma, xi_sum, psi, A, L, dt):
    return _ecll(Y, gamma, xi_sum, psi, A, L, dt, init=False)


def ecll_init_last_bin(Y, gamma, xi_sum, psi, A, L, dt):
    q = _ecll(Y, gamma, xi_sum, psi, A, L, dt, init=False)
    return q + xlogy(gamma[:, -1].sum(axis=0), psi).sum()


def ecll_init_one_trial(Y, gamma, xi_sum, psi, A, L, dt):
    q = _ecll(Y, gamma, xi_sum, psi, A, L, dt, init=False)
    return q + xlogy(gamma[0, 0], psi).sum()


def ecll_init_all_bins(Y, gamma, xi_sum, psi, A, L, dt):
    q = _ecll(Y, gamma, xi_sum, psi, A, L, dt, init=False)
    return q + xlogy(gamma.sum(axis=(0, 1)), psi).sum()


def ecll_A_transposed(Y, gamma, xi_sum, psi, A, L, dt):
    return _ecll(Y, gamma, xi_sum, psi, A, L, dt, transpose=True)


def ecll_no_transitions(Y, gamma, xi_sum, psi, A, L, dt):
    return _ecll(Y, gamma, xi_sum, psi, A, L, dt) - xlogy(xi_sum, A).sum()


def ecll_log_L(Y, gamma, xi_sum, psi, A, L, dt):
    return _ecll(Y, gamma, xi_sum, psi, A, L, dt, log_L=True)


def ecll_no_rate_term(Y, gamma, xi_sum, psi, A, L, dt):
    return _ecll(Y, gamma, xi_sum, psi, A, L, dt, rate_term=False)


def ecll_rate_term_without_dt(Y, gamma, xi_sum, psi, A, L, dt):
    q = _ecll(Y, gamma, xi_sum, psi, A, L, dt, rate_term=False)
    return q - (gamma.sum(axis=(0, 1)) * L.sum(axis=0)).sum()


def ecll_no_emission(Y, gamma, xi_sum, psi, A, L, dt):
    return xlogy(gamma[:, 0].sum(axis=0), psi).sum() + xlogy(xi_sum, A).sum()


def ecll_mean_over_trials(Y, gamma, xi_sum, psi, A, L, dt):
    return _ecll(Y, gamma, xi_sum, psi, A, L, dt, mean=True)


def ecll_mean_over_bins(Y, gamma, xi_sum, psi, A, L, dt):
    return _ecll(Y, gamma, xi_sum, psi, A, L, dt) / (Y.shape[0] * Y.shape[1])


def ecll_sign_flipped(Y, gamma, xi_sum, psi, A, L, dt):
    return -_ecll(Y, gamma, xi_sum, psi, A, L, dt)


def ecll_per_trial(Y, gamma, xi_sum, psi, A, L, dt):
    return np.full(Y.shape[0], _ecll(Y, gamma, xi_sum, psi, A, L, dt) / Y.shape[0])


def ecll_no_return(Y, gamma, xi_sum, psi, A, L, dt):
    _ecll(Y, gamma, xi_sum, psi, A, L, dt)


def ecll_string(Y, gamma, xi_sum, psi, A, L, dt):
    return f"{_ecll(Y, gamma, xi_sum, psi, A, L, dt):.3f}"


def ecll_always_nan(Y, gamma, xi_sum, psi, A, L, dt):
    return float("nan")


def ecll_off_by_one(Y, gamma, xi_sum, psi, A, L, dt):
    return _ecll(Y, gamma, xi_sum, psi, A, L, dt) + 1.0


def ecll_in_place(Y, gamma, xi_sum, psi, A, L, dt):
    gamma /= gamma.sum(axis=2, keepdims=True)  # "normalise" the caller's posteriors in place
    gamma[0, 0] = gamma[0, 0][::-1]
    return _ecll(Y, gamma, xi_sum, psi, A, L, dt)


def ecll_transitions_normalised(Y, gamma, xi_sum, psi, A, L, dt):
    """The transition term divided by the number of jumps: no named sub-case, the term is named."""
    q = _ecll(Y, gamma, xi_sum, psi, A, L, dt) - xlogy(xi_sum, A).sum()
    return q + xlogy(xi_sum, A).sum() / xi_sum.sum()


def ecll_logfact_one_state(Y, gamma, xi_sum, psi, A, L, dt):
    """log y! weighted by the posterior of state 0 only: right wherever every count is 0 or 1."""
    q = _ecll(Y, gamma, xi_sum, psi, A, L, dt, logfact=False)
    return q - (gammaln(Y + 1.0) * gamma[:, :, :1]).sum()


def ecll_mean_over_neurons(Y, gamma, xi_sum, psi, A, L, dt):
    return _ecll(Y, gamma, xi_sum, psi, A, L, dt) / Y.shape[2]


def ecll_scaffold_untouched(Y, gamma, xi_sum, psi, A, L, dt):
    F = ...
    O = ...
    S = ...
    rate = L * dt
    q_init = ...
    q_trans = ...
    q_rates = ...
    q_logfact = ...
    q = q_init + q_trans + q_rates - q_logfact
    return float(q)


ECLL_MISTAKES = [
    (ecll_np_log, ("nan where psi or a has exact zeros", "xlogy")),
    (ecll_no_logfact, ("-log(y!) term is missing",)),
    (ecll_logfact_K_times, ("counted k times",)),
    (ecll_no_init, ("initial-state term is missing",)),
    (ecll_init_last_bin, ("last bin",)),
    (ecll_init_one_trial, ("only the first trial",)),
    (ecll_init_all_bins, ("occupancy of all bins",)),
    (ecll_A_transposed, ("a is used transposed",)),
    (ecll_no_transitions, ("transition term is missing",)),
    (ecll_log_L, ("log(l) instead of log(l * dt)",)),
    (ecll_no_rate_term, ("-l*dt term of the poisson log-probability is missing",)),
    (ecll_rate_term_without_dt, ("uses l (hz) without dt",)),
    (ecll_no_emission, ("emission (poisson) term is missing",)),
    (ecll_mean_over_trials, ("mean over trials",)),
    (ecll_mean_over_bins, ("mean over bins",)),
    (ecll_sign_flipped, ("sign is flipped",)),
    (ecll_per_trial, ("single number", "shape (3,)")),
    (ecll_no_return, ("returned none",)),
    (ecll_string, ("should be a number, got str",)),
    (ecll_always_nan, ("your ecll is nan", "all parameters in this case are positive")),
    (ecll_off_by_one, ("the reference gives", "does not depend on psi, a or l")),
    (ecll_in_place, ("modified its input `gamma` in place",)),
    (ecll_transitions_normalised, ("the transition term is off: changing only a changes your q by",
                                   "the reference by", "σ_ij ξ_ij log a_ij")),
    (ecll_logfact_one_state, ("the -log y! term is off", "with counts of 0 and 1 only")),
    (ecll_mean_over_neurons, ("every term of your q is 0.25 times the reference's",)),
    (not_done, ("not done yet",)),
    (ecll_scaffold_untouched, ("not done yet: fill in the `...`", "first blank, line")),
]


@pytest.mark.parametrize("fn, phrases", ECLL_MISTAKES, ids=[f.__name__ for f, _ in ECLL_MISTAKES])
def test_ecll_mistakes_get_their_own_message(fn, phrases, capsys):
    assert_message(checks.check_ecll, fn, capsys, *phrases)


def test_ecll_catalogue_is_large_and_messages_are_distinct(capsys):
    assert len(ECLL_MISTAKES) >= 15
    verdicts = headlines(checks.check_ecll, ECLL_MISTAKES, capsys)
    assert len(set(verdicts.values())) == len(verdicts), verdicts


def test_ecll_np_log_is_right_where_there_are_no_zeros(capsys):
    """The np.log version passes the first three cases: the zero case is what catches it."""
    _, out = run_check(checks.check_ecll, ecll_np_log, capsys)
    assert "psi = [0.6, 0.4, 0]" in out


@pytest.mark.parametrize("fn", [f for f, _ in ECLL_MISTAKES if f.__name__.startswith("ecll_init")
                                or f.__name__ in ("ecll_mean_over_trials", "ecll_A_transposed")])
def test_ecll_float32_mistakes_still_get_their_message(fn, capsys):
    """Matching a wrong answer is as tolerant as matching the right one (float32 sums)."""
    def as_float32(Y, gamma, xi_sum, psi, A, L, dt):
        return np.float32(fn(Y, gamma.astype(np.float32), xi_sum, psi, A, L, dt))

    phrases = dict(ECLL_MISTAKES)[fn]
    assert_message(checks.check_ecll, as_float32, capsys, *phrases)


# ------------------------------------------------------------------------------------
# ecll: a student's play-through (wrong and right answers written against the scaffold)
# ------------------------------------------------------------------------------------


def ecll_student_w1_np_log_with_zeros_0_log0_nan(Y, gamma, xi_sum, psi, A, L, dt):
    """Wrong (wrong05.py, W1 np.log with zeros (0*log0 = nan))."""
    rate = L * dt
    starts = gamma[:, 0].sum(axis=0)
    occupancy = gamma.sum(axis=(0, 1))
    spikes = np.einsum("ntc,ntk->ck", Y, gamma)
    q_start = (starts * np.log(psi)).sum()
    q_jumps = (xi_sum * np.log(A)).sum()
    q_spikes = xlogy(spikes, rate).sum() - (occupancy * rate).sum()
    q_logfact = gammaln(Y + 1).sum()
    return float(q_start + q_jumps + q_spikes - q_logfact)


def ecll_student_w1b_np_log_only_for_a(Y, gamma, xi_sum, psi, A, L, dt):
    """Wrong (wrong05.py, W1b np.log only for A)."""
    rate = L * dt
    starts = gamma[:, 0].sum(axis=0)
    occupancy = gamma.sum(axis=(0, 1))
    spikes = np.einsum("ntc,ntk->ck", Y, gamma)
    q_start = xlogy(starts, psi).sum()
    q_jumps = (xi_sum * np.log(A)).sum()
    q_spikes = xlogy(spikes, rate).sum() - (occupancy * rate).sum()
    q_logfact = gammaln(Y + 1).sum()
    return float(q_start + q_jumps + q_spikes - q_logfact)


def ecll_student_w2_forgot_log_y(Y, gamma, xi_sum, psi, A, L, dt):
    """Wrong (wrong05.py, W2 forgot log y!)."""
    rate = L * dt
    starts = gamma[:, 0].sum(axis=0)
    occupancy = gamma.sum(axis=(0, 1))
    spikes = np.einsum("ntc,ntk->ck", Y, gamma)
    q_start = xlogy(starts, psi).sum()
    q_jumps = xlogy(xi_sum, A).sum()
    q_spikes = xlogy(spikes, rate).sum() - (occupancy * rate).sum()
    q_logfact = 0.0
    return float(q_start + q_jumps + q_spikes - q_logfact)


def ecll_student_w3_gammaln_y_log_y_1(Y, gamma, xi_sum, psi, A, L, dt):
    """Wrong (wrong05.py, W3 gammaln(Y) (log (y-1)!))."""
    rate = L * dt
    starts = gamma[:, 0].sum(axis=0)
    occupancy = gamma.sum(axis=(0, 1))
    spikes = np.einsum("ntc,ntk->ck", Y, gamma)
    q_start = xlogy(starts, psi).sum()
    q_jumps = xlogy(xi_sum, A).sum()
    q_spikes = xlogy(spikes, rate).sum() - (occupancy * rate).sum()
    q_logfact = gammaln(Y).sum()
    return float(q_start + q_jumps + q_spikes - q_logfact)


def ecll_student_w4_forgot_dt_uses_l_not_rate(Y, gamma, xi_sum, psi, A, L, dt):
    """Wrong (wrong05.py, W4 forgot dt: uses L not rate)."""
    rate = L * dt
    starts = gamma[:, 0].sum(axis=0)
    occupancy = gamma.sum(axis=(0, 1))
    spikes = np.einsum("ntc,ntk->ck", Y, gamma)
    q_start = xlogy(starts, psi).sum()
    q_jumps = xlogy(xi_sum, A).sum()
    q_spikes = xlogy(spikes, L).sum() - (occupancy * L).sum()
    q_logfact = gammaln(Y + 1).sum()
    return float(q_start + q_jumps + q_spikes - q_logfact)


def ecll_student_w5_log_lambda_in_hz_rate_in_the_linear_term(Y, gamma, xi_sum, psi, A, L, dt):
    """Wrong (wrong05.py, W5 log(lambda) in Hz, rate in the linear term)."""
    rate = L * dt
    starts = gamma[:, 0].sum(axis=0)
    occupancy = gamma.sum(axis=(0, 1))
    spikes = np.einsum("ntc,ntk->ck", Y, gamma)
    q_start = xlogy(starts, psi).sum()
    q_jumps = xlogy(xi_sum, A).sum()
    q_spikes = xlogy(spikes, L).sum() - (occupancy * rate).sum()
    q_logfact = gammaln(Y + 1).sum()
    return float(q_start + q_jumps + q_spikes - q_logfact)


def ecll_student_w6_product_of_sums_in_linear_term(Y, gamma, xi_sum, psi, A, L, dt):
    """Wrong (wrong05.py, W6 product of sums in linear term)."""
    rate = L * dt
    starts = gamma[:, 0].sum(axis=0)
    occupancy = gamma.sum(axis=(0, 1))
    spikes = np.einsum("ntc,ntk->ck", Y, gamma)
    q_start = xlogy(starts, psi).sum()
    q_jumps = xlogy(xi_sum, A).sum()
    q_spikes = xlogy(spikes, rate).sum() - rate.sum() * occupancy.sum()
    q_logfact = gammaln(Y + 1).sum()
    return float(q_start + q_jumps + q_spikes - q_logfact)


def ecll_student_w7_occupancy_none_broadcast(Y, gamma, xi_sum, psi, A, L, dt):
    """Wrong (wrong05.py, W7 occupancy[:, None] broadcast)."""
    rate = L * dt
    starts = gamma[:, 0].sum(axis=0)
    occupancy = gamma.sum(axis=(0, 1))
    spikes = np.einsum("ntc,ntk->ck", Y, gamma)
    q_start = xlogy(starts, psi).sum()
    q_jumps = xlogy(xi_sum, A).sum()
    q_spikes = xlogy(spikes, rate).sum() - (occupancy[:, None] * rate).sum()
    q_logfact = gammaln(Y + 1).sum()
    return float(q_start + q_jumps + q_spikes - q_logfact)


def ecll_student_w8_xlogy_args_swapped(Y, gamma, xi_sum, psi, A, L, dt):
    """Wrong (wrong05.py, W8 xlogy args swapped)."""
    rate = L * dt
    starts = gamma[:, 0].sum(axis=0)
    occupancy = gamma.sum(axis=(0, 1))
    spikes = np.einsum("ntc,ntk->ck", Y, gamma)
    q_start = xlogy(psi, starts).sum()
    q_jumps = xlogy(A, xi_sum).sum()
    q_spikes = xlogy(spikes, rate).sum() - (occupancy * rate).sum()
    q_logfact = gammaln(Y + 1).sum()
    return float(q_start + q_jumps + q_spikes - q_logfact)


def ecll_student_w9_starts_occupancy_swapped(Y, gamma, xi_sum, psi, A, L, dt):
    """Wrong (wrong05.py, W9 starts/occupancy swapped)."""
    rate = L * dt
    starts = gamma.sum(axis=(0, 1))
    occupancy = gamma[:, 0].sum(axis=0)
    spikes = np.einsum("ntc,ntk->ck", Y, gamma)
    q_start = xlogy(starts, psi).sum()
    q_jumps = xlogy(xi_sum, A).sum()
    q_spikes = xlogy(spikes, rate).sum() - (occupancy * rate).sum()
    q_logfact = gammaln(Y + 1).sum()
    return float(q_start + q_jumps + q_spikes - q_logfact)


def ecll_student_w10_occupancy_term_sign(Y, gamma, xi_sum, psi, A, L, dt):
    """Wrong (wrong05.py, W10 + occupancy term (sign))."""
    rate = L * dt
    starts = gamma[:, 0].sum(axis=0)
    occupancy = gamma.sum(axis=(0, 1))
    spikes = np.einsum("ntc,ntk->ck", Y, gamma)
    q_start = xlogy(starts, psi).sum()
    q_jumps = xlogy(xi_sum, A).sum()
    q_spikes = xlogy(spikes, rate).sum() + (occupancy * rate).sum()
    q_logfact = gammaln(Y + 1).sum()
    return float(q_start + q_jumps + q_spikes - q_logfact)


def ecll_student_w11_a_transposed(Y, gamma, xi_sum, psi, A, L, dt):
    """Wrong (wrong05.py, W11 A transposed)."""
    rate = L * dt
    starts = gamma[:, 0].sum(axis=0)
    occupancy = gamma.sum(axis=(0, 1))
    spikes = np.einsum("ntc,ntk->ck", Y, gamma)
    q_start = xlogy(starts, psi).sum()
    q_jumps = xlogy(xi_sum, A.T).sum()
    q_spikes = xlogy(spikes, rate).sum() - (occupancy * rate).sum()
    q_logfact = gammaln(Y + 1).sum()
    return float(q_start + q_jumps + q_spikes - q_logfact)


def ecll_student_w12_logfact_per_neuron_array(Y, gamma, xi_sum, psi, A, L, dt):
    """Wrong (wrong05.py, W12 logfact per neuron (array))."""
    rate = L * dt
    starts = gamma[:, 0].sum(axis=0)
    occupancy = gamma.sum(axis=(0, 1))
    spikes = np.einsum("ntc,ntk->ck", Y, gamma)
    q_start = xlogy(starts, psi).sum()
    q_jumps = xlogy(xi_sum, A).sum()
    q_spikes = xlogy(spikes, rate).sum() - (occupancy * rate).sum()
    q_logfact = gammaln(Y + 1).sum(axis=(0, 1))
    return float(q_start + q_jumps + q_spikes - q_logfact)


def ecll_student_w13_spikes_as_product_of_sums(Y, gamma, xi_sum, psi, A, L, dt):
    """Wrong (wrong05.py, W13 spikes as product of sums)."""
    rate = L * dt
    starts = gamma[:, 0].sum(axis=0)
    occupancy = gamma.sum(axis=(0, 1))
    spikes = np.outer(Y.sum(axis=(0, 1)), gamma.sum(axis=(0, 1))) / (Y.shape[0] * Y.shape[1])
    q_start = xlogy(starts, psi).sum()
    q_jumps = xlogy(xi_sum, A).sum()
    q_spikes = xlogy(spikes, rate).sum() - (occupancy * rate).sum()
    q_logfact = gammaln(Y + 1).sum()
    return float(q_start + q_jumps + q_spikes - q_logfact)


def ecll_student_w14_log_a_1e_300_ok(Y, gamma, xi_sum, psi, A, L, dt):
    """Right (wrong05.py, W14 log(A + 1e-300) (ok?))."""
    rate = L * dt
    starts = gamma[:, 0].sum(axis=0)
    occupancy = gamma.sum(axis=(0, 1))
    spikes = np.einsum("ntc,ntk->ck", Y, gamma)
    q_start = (starts * np.log(psi + 1e-300)).sum()
    q_jumps = (xi_sum * np.log(A + 1e-300)).sum()
    q_spikes = xlogy(spikes, rate).sum() - (occupancy * rate).sum()
    q_logfact = gammaln(Y + 1).sum()
    return float(q_start + q_jumps + q_spikes - q_logfact)


def ecll_student_w15_np_log_factorial_ok(Y, gamma, xi_sum, psi, A, L, dt):
    """Right (wrong05.py, W15 np.log(factorial) (ok?))."""
    rate = L * dt
    starts = gamma[:, 0].sum(axis=0)
    occupancy = gamma.sum(axis=(0, 1))
    spikes = np.einsum("ntc,ntk->ck", Y, gamma)
    q_start = xlogy(starts, psi).sum()
    q_jumps = xlogy(xi_sum, A).sum()
    q_spikes = xlogy(spikes, rate).sum() - (occupancy * rate).sum()
    q_logfact = np.log(scipy.special.factorial(Y)).sum()
    return float(q_start + q_jumps + q_spikes - q_logfact)


def ecll_student_w16_starts_averaged_psi_like(Y, gamma, xi_sum, psi, A, L, dt):
    """Wrong (wrong05.py, W16 starts averaged (psi-like))."""
    rate = L * dt
    starts = gamma[:, 0].mean(axis=0)
    occupancy = gamma.sum(axis=(0, 1))
    spikes = np.einsum("ntc,ntk->ck", Y, gamma)
    q_start = xlogy(starts, psi).sum()
    q_jumps = xlogy(xi_sum, A).sum()
    q_spikes = xlogy(spikes, rate).sum() - (occupancy * rate).sum()
    q_logfact = gammaln(Y + 1).sum()
    return float(q_start + q_jumps + q_spikes - q_logfact)


def ecll_student_w17_nan_to_num_fix(Y, gamma, xi_sum, psi, A, L, dt):
    """Right (wrong05.py, W17 nan_to_num fix)."""
    rate = L * dt
    starts = gamma[:, 0].sum(axis=0)
    occupancy = gamma.sum(axis=(0, 1))
    spikes = np.einsum("ntc,ntk->ck", Y, gamma)
    q_start = np.nan_to_num(starts * np.log(psi)).sum()
    q_jumps = np.nan_to_num(xi_sum * np.log(A)).sum()
    q_spikes = xlogy(spikes, rate).sum() - (occupancy * rate).sum()
    q_logfact = gammaln(Y + 1).sum()
    return float(q_start + q_jumps + q_spikes - q_logfact)


def ecll_student_w18_forgets_the_logfact_minus_adds(Y, gamma, xi_sum, psi, A, L, dt):
    """Wrong (wrong05.py, W18 forgets the logfact minus (adds))."""
    rate = L * dt
    starts = gamma[:, 0].sum(axis=0)
    occupancy = gamma.sum(axis=(0, 1))
    spikes = np.einsum("ntc,ntk->ck", Y, gamma)
    q_start = xlogy(starts, psi).sum()
    q_jumps = xlogy(xi_sum, A).sum()
    q_spikes = xlogy(spikes, rate).sum() - (occupancy * rate).sum()
    q_logfact = gammaln(Y + 1).sum()
    return float(q_start + q_jumps + q_spikes + q_logfact)


def ecll_student_w19_xlogy_spikes_rate_but_rate_per_state_summed(Y, gamma, xi_sum, psi, A, L, dt):
    """Wrong (wrong05.py, W19 xlogy(spikes, rate) but rate per state summed)."""
    rate = L * dt
    starts = gamma[:, 0].sum(axis=0)
    occupancy = gamma.sum(axis=(0, 1))
    spikes = np.einsum("ntc,ntk->ck", Y, gamma)
    q_start = xlogy(starts, psi).sum()
    q_jumps = xlogy(xi_sum, A).sum()
    q_spikes = xlogy(spikes.sum(axis=0), rate.sum(axis=0)).sum() - (occupancy * rate).sum()
    q_logfact = gammaln(Y + 1).sum()
    return float(q_start + q_jumps + q_spikes - q_logfact)


ECLL_STUDENT = [
    (ecll_student_w1_np_log_with_zeros_0_log0_nan, ('your ecll is nan where psi or a has exact zeros',)),
    (ecll_student_w1b_np_log_only_for_a, ('your ecll is nan where psi or a has exact zeros',)),
    (ecll_student_w2_forgot_log_y, ('the -log(y!) term is missing',)),
    (ecll_student_w3_gammaln_y_log_y_1, ('your ecll is -inf', 'log y! is gammaln(y + 1)', 'gammaln(0) is inf')),
    (ecll_student_w4_forgot_dt_uses_l_not_rate,
     ('the emission term forgets dt everywhere',
      'the emission term is off: changing only l changes your q by')),
    (ecll_student_w5_log_lambda_in_hz_rate_in_the_linear_term, ('you used log(l) instead of log(l * dt)',)),
    (ecll_student_w6_product_of_sums_in_linear_term,
     ('the o·l·dt term is a product of two totals',
      'the emission term is off: changing only l')),
    (ecll_student_w7_occupancy_none_broadcast, ('ValueError', 'print the shapes on that line')),
    (ecll_student_w8_xlogy_args_swapped,
     ("xlogy's arguments are swapped",
      'the initial-state term is off: changing only psi',
      'the transition term is off: changing only a')),
    (ecll_student_w9_starts_occupancy_swapped,
     ('`starts` and `occupancy` are swapped',
      'the initial-state term is off',
      'the emission term is off')),
    (ecll_student_w10_occupancy_term_sign,
     ('the sign of the o·l·dt term is flipped',
      'the emission term is off: changing only l')),
    (ecll_student_w11_a_transposed,
     ('a is used transposed in the transition term',
      'the transition term is off: changing only a')),
    (ecll_student_w12_logfact_per_neuron_array, ('TypeError', 'got an array, not a single number')),
    (ecll_student_w13_spikes_as_product_of_sums,
     ('the expected spikes s are a product of sums',
      'the emission term is off: changing only l')),
    (ecll_student_w16_starts_averaged_psi_like,
     ('the initial-state term uses the average',
      'the initial-state term is off: changing only psi')),
    (ecll_student_w18_forgets_the_logfact_minus_adds, ('the log(y!) term is added',)),
    (ecll_student_w19_xlogy_spikes_rate_but_rate_per_state_summed,
     ('the spike term sums over the neurons before taking the log',
      'the emission term is off: changing only l')),
]


@pytest.mark.parametrize("fn, phrases", ECLL_STUDENT, ids=[f.__name__ for f, _ in ECLL_STUDENT])
def test_ecll_student_answers_get_their_own_message(fn, phrases, capsys):
    assert_message(checks.check_ecll, fn, capsys, *phrases)


@pytest.mark.parametrize("fn", [
    ecll_student_w14_log_a_1e_300_ok,
    ecll_student_w15_np_log_factorial_ok,
    ecll_student_w17_nan_to_num_fix,
])
def test_ecll_student_right_answers_pass(fn, capsys):
    assert_passes(checks.check_ecll, fn, capsys)
