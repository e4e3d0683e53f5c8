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

from check_helpers import assert_caught, assert_message, assert_passes, not_done, run_check  # noqa: F401


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
    verdicts = {}
    for fn, _ in SAMPLE_STATES_MISTAKES:
        _, out = run_check(checks.check_sample_states, fn, capsys)
        verdicts[fn.__name__] = out.splitlines()[0]
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
