"""Tests of the checks of notebook 01 (simulate): `sample_states`, `sample_spikes`.

Every check passes the reference and correct implementations written
differently, and fails a catalogue of wrong ones, the kind students write,
each with its own specific message.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from scipy.stats import poisson

import helpers
from helpers import checks

from check_helpers import headlines, assert_caught, assert_message, assert_passes, not_done, run_check  # noqa: F401


# ------------------------------------------------------------------------------------
# 01: sample_states
# ------------------------------------------------------------------------------------


def states_loops(psi, A, n_trials, T, rng):
    """Correct, written with loops and rng.choice."""
    K = len(psi)
    s = np.zeros((n_trials, T), dtype=int)
    for n in range(n_trials):
        s[n, 0] = rng.choice(K, p=psi)
        for t in range(1, T):
            s[n, t] = rng.choice(K, p=A[s[n, t - 1]])
    return s


def states_vectorised(psi, A, n_trials, T, rng):
    """Correct, inverse-CDF over all trials at once, time-major draws."""
    cdf_psi = np.cumsum(psi)
    cdf_A = np.cumsum(A, axis=1)
    s = np.empty((n_trials, T), dtype=np.int64)
    s[:, 0] = np.minimum((rng.random(n_trials)[:, None] >= cdf_psi).sum(axis=1), len(psi) - 1)
    for t in range(1, T):
        u = rng.random(n_trials)[:, None]
        s[:, t] = np.minimum((u >= cdf_A[s[:, t - 1]]).sum(axis=1), len(psi) - 1)
    return s


def states_transposed(psi, A, n_trials, T, rng):
    K = len(psi)
    s = np.zeros((n_trials, T), dtype=int)
    for n in range(n_trials):
        s[n, 0] = rng.choice(K, p=psi)
        for t in range(1, T):
            s[n, t] = rng.choice(K, p=A[:, s[n, t - 1]])  # column instead of row
    return s


def states_one_step_too_many(psi, A, n_trials, T, rng):
    K = len(psi)
    s = np.zeros((n_trials, T), dtype=int)
    for n in range(n_trials):
        x = rng.choice(K, p=psi)
        for t in range(T):
            x = rng.choice(K, p=A[x])  # transition before recording the first state
            s[n, t] = x
    return s


def states_uniform_start(psi, A, n_trials, T, rng):
    K = len(psi)
    s = np.zeros((n_trials, T), dtype=int)
    s[:, 0] = rng.integers(0, K, size=n_trials)
    for t in range(1, T):
        for n in range(n_trials):
            s[n, t] = rng.choice(K, p=A[s[n, t - 1]])
    return s


def states_tiled(psi, A, n_trials, T, rng):
    one = states_loops(psi, A, 1, T, rng)
    return np.tile(one, (n_trials, 1))


def states_global_random(psi, A, n_trials, T, rng):
    K = len(psi)
    s = np.zeros((n_trials, T), dtype=int)
    for n in range(n_trials):
        s[n, 0] = np.random.choice(K, p=psi)
        for t in range(1, T):
            s[n, t] = np.random.choice(K, p=A[s[n, t - 1]])
    return s


def states_unseeded(psi, A, n_trials, T, rng):
    return states_vectorised(psi, A, n_trials, T, np.random.default_rng())


def states_fixed_seed(psi, A, n_trials, T, rng):
    return states_vectorised(psi, A, n_trials, T, np.random.default_rng(0))


def states_float(psi, A, n_trials, T, rng):
    return states_vectorised(psi, A, n_trials, T, rng).astype(float)


def states_time_major(psi, A, n_trials, T, rng):
    return states_vectorised(psi, A, n_trials, T, rng).T


def states_one_based(psi, A, n_trials, T, rng):
    return states_vectorised(psi, A, n_trials, T, rng) + 1


def states_no_return(psi, A, n_trials, T, rng):
    states_vectorised(psi, A, n_trials, T, rng)


def states_frozen(psi, A, n_trials, T, rng):
    s = np.zeros((n_trials, T), dtype=int)
    s[:, 0] = rng.choice(len(psi), size=n_trials, p=psi)
    s[:, 1:] = s[:, :1]  # forgot the transitions
    return s


def states_independent(psi, A, n_trials, T, rng):
    stationary = np.full(len(psi), 1 / len(psi))
    s = rng.choice(len(psi), size=(n_trials, T), p=stationary)
    s[:, 0] = rng.choice(len(psi), size=n_trials, p=psi)
    return s


def states_all_uniforms_up_front(psi, A, n_trials, T, rng):
    """Correct: every uniform drawn at once, before the loop (another draw order)."""
    u = rng.random((n_trials, T))
    cdf_psi, cdf_A = np.cumsum(psi), np.cumsum(A, axis=1)
    s = np.empty((n_trials, T), dtype=int)
    s[:, 0] = (cdf_psi <= u[:, :1]).sum(axis=1)
    for t in range(1, T):
        s[:, t] = (cdf_A[s[:, t - 1]] <= u[:, t, None]).sum(axis=1)
    return np.minimum(s, len(psi) - 1)


def states_searchsorted_float32(psi, A, n_trials, T, rng):
    """Correct: float32 cumulative sums and np.searchsorted per state."""
    K = len(psi)
    cdf_psi = np.cumsum(psi, dtype=np.float32)
    cdf_A = np.cumsum(A, axis=1, dtype=np.float32)
    s = np.empty((n_trials, T), dtype=np.int32)
    s[:, 0] = np.minimum(np.searchsorted(cdf_psi, rng.random(n_trials), side="right"), K - 1)
    for t in range(1, T):
        u = rng.random(n_trials)
        for k in range(K):
            rows = s[:, t - 1] == k
            s[rows, t] = np.minimum(np.searchsorted(cdf_A[k], u[rows], side="right"), K - 1)
    return s


def states_uniform_at_end_of_loop(psi, A, n_trials, T, rng):
    """The draw for the next bin sits at the END of the loop body: bin 1 reuses bin 0's uniform."""
    cdf_psi, cdf_A = np.cumsum(psi), np.cumsum(A, axis=1)
    s = np.empty((n_trials, T), dtype=int)
    u = rng.random(n_trials)
    s[:, 0] = (cdf_psi <= u[:, None]).sum(axis=1)
    for t in range(1, T):
        s[:, t] = (cdf_A[s[:, t - 1]] <= u[:, None]).sum(axis=1)
        u = rng.random(n_trials)
    return s


def states_bin1_from_psi(psi, A, n_trials, T, rng):
    """Bins 0 AND 1 drawn from psi; transitions start at bin 2."""
    cdf_psi, cdf_A = np.cumsum(psi), np.cumsum(A, axis=1)
    s = np.empty((n_trials, T), dtype=int)
    for t in range(2):
        s[:, t] = (cdf_psi <= rng.random(n_trials)[:, None]).sum(axis=1)
    for t in range(2, T):
        s[:, t] = (cdf_A[s[:, t - 1]] <= rng.random(n_trials)[:, None]).sum(axis=1)
    return s


def states_last_bin_missing(psi, A, n_trials, T, rng):
    """The loop stops one bin early: the last bin keeps np.zeros' 0."""
    s = states_vectorised(psi, A, n_trials, T, rng)
    s[:, -1] = 0
    return s


def states_count_above(psi, A, n_trials, T, rng):
    """Counts the cumulative sums ABOVE u: the states come out in reverse order."""
    cdf_psi, cdf_A = np.cumsum(psi), np.cumsum(A, axis=1)
    s = np.empty((n_trials, T), dtype=int)
    s[:, 0] = np.minimum((cdf_psi > rng.random(n_trials)[:, None]).sum(axis=1), len(psi) - 1)
    for t in range(1, T):
        s[:, t] = np.minimum((cdf_A[s[:, t - 1]] > rng.random(n_trials)[:, None]).sum(axis=1), len(psi) - 1)
    return s


def states_cumsum_axis0(psi, A, n_trials, T, rng):
    """Cumulative sums down the columns of A instead of along its rows."""
    cdf_psi, cdf_A = np.cumsum(psi), np.cumsum(A, axis=0)
    s = np.empty((n_trials, T), dtype=int)
    s[:, 0] = (cdf_psi <= rng.random(n_trials)[:, None]).sum(axis=1)
    for t in range(1, T):
        s[:, t] = np.minimum((cdf_A[s[:, t - 1]] <= rng.random(n_trials)[:, None]).sum(axis=1), len(psi) - 1)
    return s


def states_one_uniform_per_bin(psi, A, n_trials, T, rng):
    """One scalar uniform per bin, shared by all trials."""
    cdf_psi, cdf_A = np.cumsum(psi), np.cumsum(A, axis=1)
    s = np.empty((n_trials, T), dtype=int)
    s[:, 0] = (cdf_psi <= rng.random()).sum()
    for t in range(1, T):
        s[:, t] = (cdf_A[s[:, t - 1]] <= rng.random()).sum(axis=1)
    return s


def states_cumsum_in_place(psi, A, n_trials, T, rng):
    """Cumulative sums written over A "to save memory": the caller's A is changed."""
    cdf_A = np.cumsum(A, axis=1, out=A)
    cdf_psi = np.cumsum(psi)
    s = np.empty((n_trials, T), dtype=int)
    s[:, 0] = (cdf_psi <= rng.random(n_trials)[:, None]).sum(axis=1)
    for t in range(1, T):
        s[:, t] = (cdf_A[s[:, t - 1]] <= rng.random(n_trials)[:, None]).sum(axis=1)
    return np.minimum(s, len(psi) - 1)


def states_scaffold_untouched(psi, A, n_trials, T, rng):
    states = np.empty((n_trials, T), dtype=int)
    cdf_psi = ...
    cdf_A = ...
    u = ...
    states[:, 0] = ...
    for t in range(1, T):
        u = ...
        states[:, t] = ...
    return states


@pytest.mark.parametrize("fn", [helpers.sample_states, states_loops, states_vectorised,
                                states_all_uniforms_up_front, states_searchsorted_float32])
def test_sample_states_correct_passes(fn, capsys):
    out = assert_passes(checks.check_sample_states, fn, capsys)
    assert "passed all 5 checks" in out


SAMPLE_STATES_MISTAKES = [
    (states_transposed, ("A is used transposed",)),
    (states_one_step_too_many, ("psi @ a, one transition too many",)),
    (states_uniform_start, ("look uniform",)),
    (states_tiled, ("exactly the same state sequence",)),
    (states_global_random, ("global random state (np.random)",)),
    (states_unseeded, ("identically seeded rngs gave different states",)),
    (states_fixed_seed, ("ignores rng",)),
    (states_float, ("should be integers", "only the dtype is wrong")),
    (states_time_major, ("states is transposed",)),
    (states_one_based, ("python counts from 0",)),
    (states_no_return, ("returned none",)),
    (states_frozen, ("never change",)),
    (states_independent, ("trial 0 goes from state",)),
    (states_uniform_at_end_of_loop, ("transition into bin 1 is wrong", "reuses the uniform number")),
    (states_bin1_from_psi, ("bin 1 is drawn from psi again",)),
    (states_last_bin_missing, ("the last bin (t = 7) is not filled",)),
    (states_count_above, ("psi backwards",)),
    (states_cumsum_axis0, ("run down its columns", "axis=1")),
    (states_one_uniform_per_bin, ("exactly the same state sequence",)),
    (states_cumsum_in_place, ("modified its input `a` in place",)),
    (states_scaffold_untouched, ("not done yet: fill in the `...`", "first blank, line")),
]


@pytest.mark.parametrize("fn, phrases", SAMPLE_STATES_MISTAKES, ids=[f.__name__ for f, _ in SAMPLE_STATES_MISTAKES])
def test_sample_states_mistakes_get_their_own_message(fn, phrases, capsys):
    assert_message(checks.check_sample_states, fn, capsys, *phrases)


def test_sample_states_catalogue_is_large_and_messages_are_distinct(capsys):
    assert len(SAMPLE_STATES_MISTAKES) >= 15
    verdicts = headlines(checks.check_sample_states, SAMPLE_STATES_MISTAKES, capsys)
    # the same headline for two different mistakes only where the mistake is the same
    assert len(set(verdicts.values())) >= len(verdicts) - 3, verdicts


# ------------------------------------------------------------------------------------
# 01: sample_spikes
# ------------------------------------------------------------------------------------


def spikes_loops(states, L, dt, rng):
    n, T = states.shape
    C = L.shape[0]
    Y = np.zeros((n, T, C), dtype=int)
    for i in range(n):
        for t in range(T):
            for c in range(C):
                Y[i, t, c] = rng.poisson(L[c, states[i, t]] * dt)
    return Y


def spikes_forgot_dt(states, L, dt, rng):
    return rng.poisson(L.T[states])


def spikes_dt_twice(states, L, dt, rng):
    return rng.poisson(L.T[states] * dt * dt)


def spikes_rows_indexed(states, L, dt, rng):
    return rng.poisson(L[states] * dt)  # (n, T, K): neurons and states confused


def spikes_neuron_axis_first(states, L, dt, rng):
    return rng.poisson(L[:, states] * dt)  # (C, n, T)


def spikes_shared_uniforms(states, L, dt, rng):
    """Marginally Poisson, but every trial reuses the same random numbers."""
    u = rng.random((states.shape[1], L.shape[0]))
    return poisson.ppf(u[None], L.T[states] * dt).astype(np.int64)


def spikes_float(states, L, dt, rng):
    return rng.poisson(L.T[states] * dt).astype(float)


def spikes_global(states, L, dt, rng):
    return np.random.poisson(L.T[states] * dt)


def spikes_bernoulli(states, L, dt, rng):
    return rng.binomial(1, np.minimum(L.T[states] * dt, 1.0))


def spikes_state_off_by_one(states, L, dt, rng):
    return rng.poisson(L.T[states - 1] * dt)


def spikes_no_return(states, L, dt, rng):
    Y = rng.poisson(L.T[states] * dt)  # noqa: F841


def spikes_in_place(states, L, dt, rng):
    states += 0
    states[0, 0] = 0
    return rng.poisson(L.T[states] * dt)


def spikes_per_neuron(states, L, dt, rng):
    """Correct: one Poisson draw per neuron, over all trials and bins."""
    Y = np.empty(states.shape + (L.shape[0],), dtype=np.int64)
    for c in range(L.shape[0]):
        Y[:, :, c] = rng.poisson(L[c, states] * dt)
    return Y


def spikes_rounded_means(states, L, dt, rng):
    return np.round(L.T[states] * dt).astype(int)  # the expected count, not a draw


def spikes_rounded_gaussian(states, L, dt, rng):
    mean = L.T[states] * dt
    return np.maximum(np.round(rng.normal(mean, np.sqrt(mean))), 0).astype(int)


def spikes_fixed_seed(states, L, dt, rng):
    return np.random.default_rng(0).poisson(L.T[states] * dt)


def spikes_unseeded(states, L, dt, rng):
    return np.random.default_rng().poisson(L.T[states] * dt)


def spikes_expected_counts(states, L, dt, rng):
    return L.T[states] * dt  # the means, as floats


def spikes_dt_after_sampling(states, L, dt, rng):
    return rng.poisson(L.T[states]) * dt


def spikes_divided_by_dt(states, L, dt, rng):
    return rng.poisson(L.T[states] / dt)


def spikes_scaffold_untouched(states, L, dt, rng):
    rates = ...
    Y = ...
    return Y


@pytest.mark.parametrize("fn", [helpers.sample_spikes, spikes_loops, spikes_per_neuron])
def test_sample_spikes_correct_passes(fn, capsys):
    out = assert_passes(checks.check_sample_spikes, fn, capsys)
    assert "passed all 7 checks" in out


SAMPLE_SPIKES_MISTAKES = [
    (spikes_forgot_dt, ("counts per bin instead of hz",)),
    (spikes_dt_twice, ("far too few spikes",)),
    (spikes_divided_by_dt, ("far too many spikes",)),
    (spikes_rows_indexed, ("the last axis has k = 3 (states)",)),
    (spikes_neuron_axis_first, ("the neuron axis should be last",)),
    (spikes_shared_uniforms, ("several trials got exactly the same spike counts",)),
    (spikes_float, ("should be integers", "only the dtype is wrong")),
    (spikes_expected_counts, ("should be integers",)),
    (spikes_dt_after_sampling, ("should be integers",)),
    (spikes_global, ("global random state (np.random)",)),
    (spikes_bernoulli, ("counts above 1 never occur",)),
    (spikes_state_off_by_one, ("can never spike",)),
    (spikes_no_return, ("returned none",)),
    (spikes_in_place, ("modified its input `states` in place",)),
    (spikes_rounded_means, ("your counts are not random",)),
    (spikes_rounded_gaussian, ("not poisson",)),
    (spikes_fixed_seed, ("ignores rng",)),
    (spikes_unseeded, ("identically seeded rngs gave different counts",)),
    (spikes_scaffold_untouched, ("not done yet: fill in the `...`",)),
]


@pytest.mark.parametrize("fn, phrases", SAMPLE_SPIKES_MISTAKES, ids=[f.__name__ for f, _ in SAMPLE_SPIKES_MISTAKES])
def test_sample_spikes_mistakes_get_their_own_message(fn, phrases, capsys):
    assert_message(checks.check_sample_spikes, fn, capsys, *phrases)


def test_sample_spikes_catalogue_is_large():
    assert len(SAMPLE_SPIKES_MISTAKES) >= 15


# ------------------------------------------------------------------------------------
# sample_states: a student's play-through (wrong and right answers written against the scaffold)
# ------------------------------------------------------------------------------------


def states_student_w1_counts_cdf_above_u(psi, A, n_trials, T, rng):
    """Wrong (wrong01a.py, W1 count cdf > u instead of <= u)."""
    states = np.empty((n_trials, T), dtype=int)
    cdf_psi = np.cumsum(psi); cdf_A = np.cumsum(A, axis=1)
    u = rng.random(n_trials)
    states[:, 0] = (cdf_psi > u[:, None]).sum(axis=1)
    for t in range(1, T):
        u = rng.random(n_trials)
        states[:, t] = (cdf_A[states[:, t-1]] > u[:, None]).sum(axis=1)
    return states


def states_student_w2_cumsum_along_axis_0_columns(psi, A, n_trials, T, rng):
    """Wrong (wrong01a.py, W2 cumsum along axis=0 (columns))."""
    states = np.empty((n_trials, T), dtype=int)
    cdf_psi = np.cumsum(psi); cdf_A = np.cumsum(A, axis=0)
    u = rng.random(n_trials)
    states[:, 0] = (cdf_psi <= u[:, None]).sum(axis=1)
    for t in range(1, T):
        u = rng.random(n_trials)
        states[:, t] = (cdf_A[states[:, t-1]] <= u[:, None]).sum(axis=1)
    return states


def states_student_w3_same_u_reused_in_every_bin_no_fresh_draw(psi, A, n_trials, T, rng):
    """Wrong (wrong01a.py, W3 same u reused in every bin (no fresh draw))."""
    states = np.empty((n_trials, T), dtype=int)
    cdf_psi = np.cumsum(psi); cdf_A = np.cumsum(A, axis=1)
    u = rng.random(n_trials)
    states[:, 0] = (cdf_psi <= u[:, None]).sum(axis=1)
    for t in range(1, T):
        states[:, t] = (cdf_A[states[:, t-1]] <= u[:, None]).sum(axis=1)
    return states


def states_student_w4_np_random_instead_of_rng(psi, A, n_trials, T, rng):
    """Wrong (wrong01a.py, W4 np.random instead of rng)."""
    states = np.empty((n_trials, T), dtype=int)
    cdf_psi = np.cumsum(psi); cdf_A = np.cumsum(A, axis=1)
    u = np.random.rand(n_trials)
    states[:, 0] = (cdf_psi <= u[:, None]).sum(axis=1)
    for t in range(1, T):
        u = np.random.rand(n_trials)
        states[:, t] = (cdf_A[states[:, t-1]] <= u[:, None]).sum(axis=1)
    return states


def states_student_w5_column_picked_cdf_a_prev_t_transposed_a(psi, A, n_trials, T, rng):
    """Wrong (wrong01a.py, W5 column picked: cdf_A[:, prev].T (transposed A))."""
    states = np.empty((n_trials, T), dtype=int)
    cdf_psi = np.cumsum(psi); cdf_A = np.cumsum(A, axis=1)
    u = rng.random(n_trials)
    states[:, 0] = (cdf_psi <= u[:, None]).sum(axis=1)
    for t in range(1, T):
        u = rng.random(n_trials)
        states[:, t] = (cdf_A[:, states[:, t-1]].T <= u[:, None]).sum(axis=1)
    return states


def states_student_w6_row_from_bin_t_clipped(psi, A, n_trials, T, rng):
    """Wrong (wrong01a.py, W6 off-by-one: row picked by states[:, t] (np.empty garbage); np.zeros for the
    np.empty of the play-through, whose leftover memory varies).
    """
    states = np.zeros((n_trials, T), dtype=int)
    cdf_psi = np.cumsum(psi); cdf_A = np.cumsum(A, axis=1)
    u = rng.random(n_trials)
    states[:, 0] = (cdf_psi <= u[:, None]).sum(axis=1)
    for t in range(1, T):
        u = rng.random(n_trials)
        states[:, t] = (cdf_A[np.clip(states[:, t], 0, len(psi)-1)] <= u[:, None]).sum(axis=1)
    return states


def states_student_w6b_row_from_bin_t(psi, A, n_trials, T, rng):
    """Wrong (wrong01a.py, W6b off-by-one: row picked by states[:, t] no clip; np.zeros for the np.empty of
    the play-through, whose leftover memory varies).
    """
    states = np.zeros((n_trials, T), dtype=int)
    cdf_psi = np.cumsum(psi); cdf_A = np.cumsum(A, axis=1)
    u = rng.random(n_trials)
    states[:, 0] = (cdf_psi <= u[:, None]).sum(axis=1)
    for t in range(1, T):
        u = rng.random(n_trials)
        states[:, t] = (cdf_A[states[:, t]] <= u[:, None]).sum(axis=1)
    return states


def states_student_w7_loop_stops_early_range_1_t_1(psi, A, n_trials, T, rng):
    """Wrong (wrong01a.py, W7 loop stops early: range(1, T-1))."""
    states = np.zeros((n_trials, T), dtype=int)
    cdf_psi = np.cumsum(psi); cdf_A = np.cumsum(A, axis=1)
    u = rng.random(n_trials)
    states[:, 0] = (cdf_psi <= u[:, None]).sum(axis=1)
    for t in range(1, T - 1):
        u = rng.random(n_trials)
        states[:, t] = (cdf_A[states[:, t-1]] <= u[:, None]).sum(axis=1)
    return states


def states_student_w7b_loop_stops_early_with_np_empty_scaffold(psi, A, n_trials, T, rng):
    """Wrong (wrong01a.py, W7b loop stops early with np.empty scaffold; np.zeros for the np.empty of the
    play-through, whose leftover memory varies).
    """
    states = np.zeros((n_trials, T), dtype=int)
    cdf_psi = np.cumsum(psi); cdf_A = np.cumsum(A, axis=1)
    u = rng.random(n_trials)
    states[:, 0] = (cdf_psi <= u[:, None]).sum(axis=1)
    for t in range(1, T - 1):
        u = rng.random(n_trials)
        states[:, t] = (cdf_A[states[:, t-1]] <= u[:, None]).sum(axis=1)
    return states


def states_student_w8_one_scalar_u_shared_by_all_trials(psi, A, n_trials, T, rng):
    """Wrong (wrong01a.py, W8 one scalar u shared by all trials)."""
    states = np.empty((n_trials, T), dtype=int)
    cdf_psi = np.cumsum(psi); cdf_A = np.cumsum(A, axis=1)
    u = rng.random()
    states[:, 0] = (cdf_psi <= u).sum()
    for t in range(1, T):
        u = rng.random()
        states[:, t] = (cdf_A[states[:, t-1]] <= u).sum(axis=1)
    return states


def states_student_w9_psi_used_in_every_bin_ignore_a(psi, A, n_trials, T, rng):
    """Wrong (wrong01a.py, W9 psi used in every bin (ignore A))."""
    states = np.empty((n_trials, T), dtype=int)
    cdf_psi = np.cumsum(psi); cdf_A = np.cumsum(A, axis=1)
    u = rng.random(n_trials)
    states[:, 0] = (cdf_psi <= u[:, None]).sum(axis=1)
    for t in range(1, T):
        u = rng.random(n_trials)
        states[:, t] = (cdf_psi <= u[:, None]).sum(axis=1)
    return states


def states_student_w10_forgot_u_none_broadcast_error(psi, A, n_trials, T, rng):
    """Wrong (wrong01a.py, W10 forgot u[:, None] (broadcast error))."""
    states = np.empty((n_trials, T), dtype=int)
    cdf_psi = np.cumsum(psi); cdf_A = np.cumsum(A, axis=1)
    u = rng.random(n_trials)
    states[:, 0] = (cdf_psi <= u).sum()
    for t in range(1, T):
        u = rng.random(n_trials)
        states[:, t] = (cdf_A[states[:, t-1]] <= u).sum(axis=1)
    return states


def states_student_w11_sum_over_wrong_axis_axis_0(psi, A, n_trials, T, rng):
    """Wrong (wrong01a.py, W11 sum over wrong axis (axis=0))."""
    states = np.empty((n_trials, T), dtype=int)
    cdf_psi = np.cumsum(psi); cdf_A = np.cumsum(A, axis=1)
    u = rng.random(n_trials)
    states[:, 0] = (cdf_psi <= u[:, None]).sum(axis=1)
    for t in range(1, T):
        u = rng.random(n_trials)
        cdf_now = cdf_A[states[:, t-1]]
        states[:, t] = np.minimum((cdf_now <= u[:, None]).sum(axis=0)[:n_trials].mean().astype(int), len(psi)-1)
    return states


def states_student_w12_1_based_states_argmax_1(psi, A, n_trials, T, rng):
    """Wrong (wrong01a.py, W12 1-based states (argmax+1))."""
    states = np.empty((n_trials, T), dtype=int)
    cdf_psi = np.cumsum(psi); cdf_A = np.cumsum(A, axis=1)
    u = rng.random(n_trials)
    states[:, 0] = np.argmax(cdf_psi > u[:, None], axis=1)
    for t in range(1, T):
        u = rng.random(n_trials)
        states[:, t] = np.argmax(cdf_A[states[:, t-1]] > u[:, None], axis=1)
    return states + 1


def states_student_w13_new_default_rng_0_inside_function(psi, A, n_trials, T, rng):
    """Wrong (wrong01a.py, W13 new default_rng(0) inside function)."""
    states = np.empty((n_trials, T), dtype=int)
    rng = np.random.default_rng(0)
    cdf_psi = np.cumsum(psi); cdf_A = np.cumsum(A, axis=1)
    u = rng.random(n_trials)
    states[:, 0] = (cdf_psi <= u[:, None]).sum(axis=1)
    for t in range(1, T):
        u = rng.random(n_trials)
        states[:, t] = (cdf_A[states[:, t-1]] <= u[:, None]).sum(axis=1)
    return states


def states_student_w14_first_bin_drawn_from_a_0_instead_of_psi(psi, A, n_trials, T, rng):
    """Wrong (wrong01a.py, W14 first bin drawn from A[0] instead of psi)."""
    states = np.empty((n_trials, T), dtype=int)
    cdf_psi = np.cumsum(psi); cdf_A = np.cumsum(A, axis=1)
    u = rng.random(n_trials)
    states[:, 0] = (cdf_A[0] <= u[:, None]).sum(axis=1)
    for t in range(1, T):
        u = rng.random(n_trials)
        states[:, t] = (cdf_A[states[:, t-1]] <= u[:, None]).sum(axis=1)
    return states


def states_student_ok_alt_rng_choice_per_trial_slow_but_right(psi, A, n_trials, T, rng):
    """Right (wrong01a.py, OK-alt rng.choice per trial (slow but right))."""
    states = np.empty((n_trials, T), dtype=int)
    K = len(psi)
    for n in range(n_trials):
        states[n, 0] = rng.choice(K, p=psi)
        for t in range(1, T):
            states[n, t] = rng.choice(K, p=A[states[n, t-1]])
    return states


def states_student_ok_alt_strict_comparison(psi, A, n_trials, T, rng):
    """Right (wrong01a.py, OK-alt strict < comparison)."""
    states = np.empty((n_trials, T), dtype=int)
    cdf_psi = np.cumsum(psi); cdf_A = np.cumsum(A, axis=1)
    u = rng.random(n_trials)
    states[:, 0] = (cdf_psi < u[:, None]).sum(axis=1)
    for t in range(1, T):
        u = rng.random(n_trials)
        states[:, t] = (cdf_A[states[:, t-1]] < u[:, None]).sum(axis=1)
    return states


def states_student_half_scaffold_loop_body_still(psi, A, n_trials, T, rng):
    """Wrong (wrong01a.py, HALF scaffold: loop body still ...)."""
    states = np.empty((n_trials, T), dtype=int)
    cdf_psi = np.cumsum(psi); cdf_A = np.cumsum(A, axis=1)
    u = rng.random(n_trials)
    states[:, 0] = (cdf_psi <= u[:, None]).sum(axis=1)
    for t in range(1, T):
        u = ...
        cdf_now = ...
        states[:, t] = ...
    return states


SAMPLE_STATES_STUDENT = [
    (states_student_w1_counts_cdf_above_u,
     ('IndexError',
      'a state came out as k = 3',
      'count the cumulative sums that are <= u')),
    (states_student_w2_cumsum_along_axis_0_columns, ('the cumulative sums of a run down its columns',)),
    (states_student_w3_same_u_reused_in_every_bin_no_fresh_draw,
     ('within each trial, a state is always followed by the same next state',)),
    (states_student_w4_np_random_instead_of_rng, ('your function uses the global random state',)),
    (states_student_w5_column_picked_cdf_a_prev_t_transposed_a,
     ('the cumulative sums of a run down its columns',)),
    (states_student_w6_row_from_bin_t_clipped,
     ('from bin 1 on, every trial is in state 1, where row 0 of a leads',)),
    (states_student_w6b_row_from_bin_t, ('from bin 1 on, every trial is in state 1, where row 0 of a leads',)),
    (states_student_w7_loop_stops_early_range_1_t_1, ('the last bin (t = 7) is not filled in correctly',)),
    (states_student_w7b_loop_stops_early_with_np_empty_scaffold,
     ('the last bin (t = 7) is not filled in correctly',)),
    (states_student_w8_one_scalar_u_shared_by_all_trials, ('every trial has exactly the same state sequence',)),
    (states_student_w9_psi_used_in_every_bin_ignore_a, ('your states never change',)),
    (states_student_w10_forgot_u_none_broadcast_error,
     ('ValueError',
      'could not be broadcast',
      'give one of them a new axis ([:, none])',
      'print the shapes on that line')),
    (states_student_w11_sum_over_wrong_axis_axis_0,
     ('the transition frequencies do not match a',
      'does not seem to depend on the current one')),
    (states_student_w12_1_based_states_argmax_1, ('states must lie in 0 .. 2', 'python counts from 0')),
    (states_student_w13_new_default_rng_0_inside_function,
     ('rngs with different seeds gave exactly the same states',)),
    (states_student_w14_first_bin_drawn_from_a_0_instead_of_psi,
     ('the first states are not distributed as psi',
      'they match the row a[0]')),
    (states_student_half_scaffold_loop_body_still, ('not done yet: fill in the `...`',)),
]


@pytest.mark.parametrize("fn, phrases", SAMPLE_STATES_STUDENT, ids=[f.__name__ for f, _ in SAMPLE_STATES_STUDENT])
def test_sample_states_student_answers_get_their_own_message(fn, phrases, capsys):
    assert_message(checks.check_sample_states, fn, capsys, *phrases)


@pytest.mark.parametrize("fn", [
    states_student_ok_alt_rng_choice_per_trial_slow_but_right,
    states_student_ok_alt_strict_comparison,
])
def test_sample_states_student_right_answers_pass(fn, capsys):
    assert_passes(checks.check_sample_states, fn, capsys)


# ------------------------------------------------------------------------------------
# sample_spikes: a student's play-through (wrong and right answers written against the scaffold)
# ------------------------------------------------------------------------------------


def spikes_student_w1_forgot_dt(states, L, dt, rng):
    """Wrong (wrong01b.py, W1 forgot dt)."""
    rates = L.T[states]
    return rng.poisson(rates)


def spikes_student_w2_l_states_without_transpose(states, L, dt, rng):
    """Wrong (wrong01b.py, W2 L[states] without transpose)."""
    rates = L[states]
    return rng.poisson(rates * dt)


def spikes_student_w3_np_random_poisson(states, L, dt, rng):
    """Wrong (wrong01b.py, W3 np.random.poisson)."""
    rates = L.T[states]
    return np.random.poisson(rates * dt)


def spikes_student_w4_ignore_states_mean_rate_per_neuron(states, L, dt, rng):
    """Wrong (wrong01b.py, W4 ignore states: mean rate per neuron)."""
    rates = np.broadcast_to(L.mean(axis=1), states.shape + (L.shape[0],))
    return rng.poisson(rates * dt)


def spikes_student_w5_dt_applied_twice(states, L, dt, rng):
    """Wrong (wrong01b.py, W5 dt applied twice)."""
    rates = L.T[states] * dt
    return rng.poisson(rates * dt)


def spikes_student_w6_divide_by_dt(states, L, dt, rng):
    """Wrong (wrong01b.py, W6 divide by dt)."""
    rates = L.T[states]
    return rng.poisson(rates / dt)


def spikes_student_w7_expected_counts_rounded_no_randomness(states, L, dt, rng):
    """Wrong (wrong01b.py, W7 expected counts rounded, no randomness)."""
    rates = L.T[states]
    return np.round(rates * dt).astype(int)


def spikes_student_w8_bernoulli_0_1_spikes_only(states, L, dt, rng):
    """Wrong (wrong01b.py, W8 Bernoulli (0/1 spikes only))."""
    rates = L.T[states]
    return (rng.random(rates.shape) < rates * dt).astype(int)


def spikes_student_w9_one_trial_drawn_and_copied_to_all(states, L, dt, rng):
    """Wrong (wrong01b.py, W9 one trial drawn and copied to all)."""
    rates = L.T[states]
    y0 = rng.poisson(rates[0] * dt)
    return np.broadcast_to(y0, rates.shape).copy()


def spikes_student_w10_states_t_indexing_t_n_c(states, L, dt, rng):
    """Wrong (wrong01b.py, W10 states.T indexing (T, n, C))."""
    rates = L.T[states.T]
    return rng.poisson(rates * dt)


def spikes_student_w11_float_output_poisson_as_float(states, L, dt, rng):
    """Wrong (wrong01b.py, W11 float output (poisson as float))."""
    rates = L.T[states]
    return rng.poisson(rates * dt).astype(float)


def spikes_student_w12_new_rng_inside(states, L, dt, rng):
    """Wrong (wrong01b.py, W12 new rng inside)."""
    rng = np.random.default_rng(42)
    rates = L.T[states]
    return rng.poisson(rates * dt)


def spikes_student_w13_gaussian_approx(states, L, dt, rng):
    """Wrong (wrong01b.py, W13 gaussian approx)."""
    rates = L.T[states] * dt
    return np.maximum(0, np.round(rng.normal(rates, np.sqrt(rates)))).astype(int)


def spikes_student_w14_transposed_output_n_c_t(states, L, dt, rng):
    """Wrong (wrong01b.py, W14 transposed output (n, C, T))."""
    rates = L.T[states]
    return rng.poisson(rates * dt).transpose(0, 2, 1)


def spikes_student_w15_take_along_axis_confusion_l_states_c_n_t(states, L, dt, rng):
    """Wrong (wrong01b.py, W15 take_along_axis confusion: L[:, states] -> (C, n, T))."""
    rates = L[:, states]
    return rng.poisson(rates * dt)


def spikes_student_w16_l_states_moved_axis_correctly_right(states, L, dt, rng):
    """Right (wrong01b.py, W16 L[:, states] moved axis correctly (right))."""
    rates = np.moveaxis(L[:, states], 0, -1)
    return rng.poisson(rates * dt)


def spikes_student_w17_exponential_isi_seen_as_poisson_with_rate_in(states, L, dt, rng):
    """Wrong (wrong01b.py, W17 exponential ISI seen as poisson with rate in ms)."""
    rates = L.T[states]
    return rng.poisson(rates * dt * 1000)


SAMPLE_SPIKES_STUDENT = [
    (spikes_student_w1_forgot_dt, ('far too many spikes', 'forgot dt?')),
    (spikes_student_w2_l_states_without_transpose, ('the last axis has k = 3 (states)',)),
    (spikes_student_w3_np_random_poisson, ('your function uses the global random state',)),
    (spikes_student_w4_ignore_states_mean_rate_per_neuron, ('can never spike there',)),
    (spikes_student_w5_dt_applied_twice, ('far too few spikes', 'dt applied twice?')),
    (spikes_student_w6_divide_by_dt, ('far too many spikes', 'divided by dt instead of multiplying?')),
    (spikes_student_w7_expected_counts_rounded_no_randomness, ('your counts are not random',)),
    (spikes_student_w8_bernoulli_0_1_spikes_only, ('counts above 1 never occur in your samples',)),
    (spikes_student_w9_one_trial_drawn_and_copied_to_all, ('several trials got exactly the same spike counts',)),
    (spikes_student_w10_states_t_indexing_t_n_c, ('axes are in the wrong order', '(t, n_trials, c)')),
    (spikes_student_w11_float_output_poisson_as_float, ('should be integers', 'only the dtype is wrong')),
    (spikes_student_w12_new_rng_inside, ('rngs with different seeds gave exactly the same counts',)),
    (spikes_student_w13_gaussian_approx, ('the counts are not poisson',)),
    (spikes_student_w14_transposed_output_n_c_t, ('axes are in the wrong order', '(n_trials, c, t)')),
    (spikes_student_w15_take_along_axis_confusion_l_states_c_n_t, ('the neuron axis should be last',)),
    (spikes_student_w17_exponential_isi_seen_as_poisson_with_rate_in,
     ('far too many spikes',
      '1,000 times the expected count')),
]


@pytest.mark.parametrize("fn, phrases", SAMPLE_SPIKES_STUDENT, ids=[f.__name__ for f, _ in SAMPLE_SPIKES_STUDENT])
def test_sample_spikes_student_answers_get_their_own_message(fn, phrases, capsys):
    assert_message(checks.check_sample_spikes, fn, capsys, *phrases)


@pytest.mark.parametrize("fn", [spikes_student_w16_l_states_moved_axis_correctly_right])
def test_sample_spikes_student_right_answers_pass(fn, capsys):
    assert_passes(checks.check_sample_spikes, fn, capsys)
