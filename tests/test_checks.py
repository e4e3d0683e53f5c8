"""Tests of helpers.checks: every check passes correct code and catches typical mistakes.

For each exercise there is a catalogue of wrong implementations, the kind
students write. Each must make the check return False AND print a message
containing the right hint. The reference, and a correct re-implementation
written differently (loops), must pass.
"""

from __future__ import annotations

import linecache
import random

import numpy as np
import pytest
from scipy.special import gammaln
from scipy.stats import poisson

import helpers
from helpers import checks

# ------------------------------------------------------------------------------------
# helpers for the tests
# ------------------------------------------------------------------------------------


def run_check(check, fn, capsys):
    """Run a check; return (result, printed text). Also assert the output contract."""
    capsys.readouterr()
    result = check(fn)
    out = capsys.readouterr().out
    assert isinstance(result, bool)
    first = out.splitlines()[0] if out else ""
    if result:
        assert first.startswith("✅"), out
    else:
        assert first.startswith(("❌", "⏳")), out
    return result, out


def assert_caught(check, fn, capsys, *keywords):
    result, out = run_check(check, fn, capsys)
    assert result is False, f"wrong implementation passed:\n{out}"
    low = out.lower()
    assert any(k.lower() in low for k in keywords), f"none of {keywords} in:\n{out}"
    return out


def assert_passes(check, fn, capsys):
    result, out = run_check(check, fn, capsys)
    assert result is True, out
    return out


def not_done(*args):
    raise NotImplementedError("write your code here")


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


@pytest.mark.parametrize("fn", [helpers.sample_states, states_loops, states_vectorised])
def test_sample_states_correct_passes(fn, capsys):
    out = assert_passes(checks.check_sample_states, fn, capsys)
    assert "passed all 4 checks" in out


@pytest.mark.parametrize(
    "fn, keywords",
    [
        (states_transposed, ("transpos",)),
        (states_one_step_too_many, ("psi",)),
        (states_uniform_start, ("from psi",)),
        (states_tiled, ("same state sequence",)),
        (states_global_random, ("global random",)),
        (states_unseeded, ("identically seeded",)),
        (states_fixed_seed, ("ignores rng",)),
        (states_float, ("integer", "dtype")),
        (states_time_major, ("transpos",)),
        (states_one_based, ("counts from 0",)),
        (states_no_return, ("returned none", "forget `return`")),
        (states_frozen, ("never change",)),
        (states_independent, ("chain must go",)),
    ],
)
def test_sample_states_mistakes_caught(fn, keywords, capsys):
    assert_caught(checks.check_sample_states, fn, capsys, *keywords)


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


@pytest.mark.parametrize("fn", [helpers.sample_spikes, spikes_loops])
def test_sample_spikes_correct_passes(fn, capsys):
    out = assert_passes(checks.check_sample_spikes, fn, capsys)
    assert "passed all 6 checks" in out


@pytest.mark.parametrize(
    "fn, keywords",
    [
        (spikes_forgot_dt, ("hz", "dt")),
        (spikes_dt_twice, ("too few", "dt")),
        (spikes_rows_indexed, ("L.T[states]", "neurons")),
        (spikes_neuron_axis_first, ("neuron axis should be last",)),
        (spikes_shared_uniforms, ("same spike counts",)),
        (spikes_float, ("integer", "dtype")),
        (spikes_global, ("global random",)),
        (spikes_bernoulli, ("poisson",)),
        (spikes_state_off_by_one, ("can never spike",)),
        (spikes_no_return, ("none",)),
        (spikes_in_place, ("in place",)),
    ],
)
def test_sample_spikes_mistakes_caught(fn, keywords, capsys):
    assert_caught(checks.check_sample_spikes, fn, capsys, *keywords)


# ------------------------------------------------------------------------------------
# 02: forward
# ------------------------------------------------------------------------------------


def forward_loops(obs, psi, A):
    n, T, K = obs.shape
    alpha = np.zeros((n, T, K))
    c = np.zeros((n, T))
    for i in range(n):
        a = psi * obs[i, 0]
        c[i, 0] = a.sum()
        alpha[i, 0] = a / c[i, 0]
        for t in range(1, T):
            a = np.zeros(K)
            for j in range(K):
                a[j] = sum(alpha[i, t - 1, k] * A[k, j] for k in range(K)) * obs[i, t, j]
            c[i, t] = a.sum()
            alpha[i, t] = a / c[i, t]
    return alpha, c


def _fwd(obs, psi, A, *, transpose=False, psi0=True, lag=False, emit_first=False,
         normalise=True, log_c=False, skip_c0=False):
    n, T, K = obs.shape
    M = A.T if transpose else A
    alpha = np.zeros((n, T, K))
    c = np.zeros((n, T))
    a = (psi if psi0 else 1.0) * obs[:, 0]
    if not skip_c0:
        c[:, 0] = a.sum(axis=1)
    alpha[:, 0] = a / a.sum(axis=1, keepdims=True) if normalise else a
    for t in range(1, T):
        o = obs[:, t - 1] if lag else obs[:, t]
        a = (alpha[:, t - 1] * o) @ M if emit_first else (alpha[:, t - 1] @ M) * o
        c[:, t] = a.sum(axis=1)
        alpha[:, t] = a / c[:, t, None] if normalise else a
    return alpha, (np.log(c) if log_c else c)


def forward_unnormalised(obs, psi, A):
    return _fwd(obs, psi, A, normalise=False)


def forward_transposed(obs, psi, A):
    return _fwd(obs, psi, A, transpose=True)


def forward_no_psi(obs, psi, A):
    return _fwd(obs, psi, A, psi0=False)


def forward_lag(obs, psi, A):
    return _fwd(obs, psi, A, lag=True)


def forward_emit_first(obs, psi, A):
    return _fwd(obs, psi, A, emit_first=True)


def forward_log_c(obs, psi, A):
    return _fwd(obs, psi, A, log_c=True)


def forward_no_c0(obs, psi, A):
    return _fwd(obs, psi, A, skip_c0=True)


def forward_alpha_only(obs, psi, A):
    return _fwd(obs, psi, A)[0]


def forward_none(obs, psi, A):
    _fwd(obs, psi, A)


def forward_in_place(obs, psi, A):
    obs[:, 0] *= psi  # "saves a multiplication", but changes the caller's obs
    alpha, c = _fwd(obs, np.ones_like(psi), A)
    return alpha, c


def forward_index_error(obs, psi, A):
    n, T, K = obs.shape
    alpha = np.zeros((n, T, K))
    for t in range(T + 1):
        alpha[:, t] = obs[:, t]  # runs one bin too far
    return alpha, alpha.sum(axis=2)


@pytest.mark.parametrize("fn", [helpers.forward, forward_loops, _fwd])
def test_forward_correct_passes(fn, capsys):
    out = assert_passes(checks.check_forward, fn, capsys)
    assert "passed all 5 checks" in out


@pytest.mark.parametrize(
    "fn, keywords",
    [
        (forward_unnormalised, ("not normalised", "sum to 1")),
        (forward_transposed, ("transpos",)),
        (forward_no_psi, ("psi is missing",)),
        (forward_lag, ("off by one",)),
        (forward_emit_first, ("swapped",)),
        (forward_log_c, ("logarithm",)),
        (forward_no_c0, ("c[:, 0]",)),
        (forward_alpha_only, ("return alpha, c",)),
        (forward_none, ("none",)),
        (forward_in_place, ("in place",)),
        (forward_index_error, ("line",)),
    ],
)
def test_forward_mistakes_caught(fn, keywords, capsys):
    assert_caught(checks.check_forward, fn, capsys, *keywords)


def test_forward_index_error_reports_the_students_line(capsys):
    out = assert_caught(checks.check_forward, forward_index_error, capsys, "IndexError")
    assert "in forward_index_error, line" in out
    assert "alpha[:, t] = obs[:, t]" in out
    assert "test_checks.py" in out


# ------------------------------------------------------------------------------------
# 02: backward
# ------------------------------------------------------------------------------------


def backward_loops(obs, A, c):
    n, T, K = obs.shape
    beta = np.ones((n, T, K))
    for i in range(n):
        for t in range(T - 2, -1, -1):
            for k in range(K):
                beta[i, t, k] = sum(A[k, j] * obs[i, t + 1, j] * beta[i, t + 1, j]
                                    for j in range(K)) / c[i, t + 1]
    return beta


def _bwd(obs, A, c, *, use_A=False, scale="next", obs_bin="next", normalise=False, last=1.0):
    n, T, K = obs.shape
    beta = np.empty((n, T, K))
    beta[:, -1] = last
    M = A if use_A else A.T
    for t in range(T - 2, -1, -1):
        o = obs[:, t + 1] if obs_bin == "next" else obs[:, t]
        b = (o * beta[:, t + 1]) @ M
        if scale == "next":
            b = b / c[:, t + 1, None]
        elif scale == "same":
            b = b / c[:, t, None]
        if normalise:
            b = b / b.sum(axis=1, keepdims=True)
        beta[:, t] = b
    return beta


@pytest.mark.parametrize("fn", [helpers.backward, backward_loops, _bwd])
def test_backward_correct_passes(fn, capsys):
    out = assert_passes(checks.check_backward, fn, capsys)
    assert "passed all 5 checks" in out


@pytest.mark.parametrize(
    "fn, keywords",
    [
        (lambda obs, A, c: _bwd(obs, A, c, use_A=True), ("wrong way round",)),
        (lambda obs, A, c: _bwd(obs, A, c, scale="none"), ("not divided by c[t+1]",)),
        (lambda obs, A, c: _bwd(obs, A, c, scale="same"), ("c[t] instead of c[t+1]",)),
        (lambda obs, A, c: _bwd(obs, A, c, obs_bin="same"), ("off by one",)),
        (lambda obs, A, c: _bwd(obs, A, c, normalise=True), ("normalised",)),
        (lambda obs, A, c: _bwd(obs, A, c, last=0.0), ("all ones",)),
        (lambda obs, A, c: (_bwd(obs, A, c), c), ("one array",)),
        (lambda obs, A, c: None, ("none",)),
        (lambda obs, A, c: _bwd(obs, A, c)[..., :2], ("shape",)),
        (not_done, ("not done yet",)),
    ],
)
def test_backward_mistakes_caught(fn, keywords, capsys):
    assert_caught(checks.check_backward, fn, capsys, *keywords)


def test_backward_in_place_caught(capsys):
    def backward_in_place(obs, A, c):
        obs /= c[..., None]  # scale the caller's obs in place
        n, T, K = obs.shape
        beta = np.ones((n, T, K))
        for t in range(T - 2, -1, -1):
            beta[:, t] = (obs[:, t + 1] * beta[:, t + 1]) @ A.T
        return beta

    assert_caught(checks.check_backward, backward_in_place, capsys, "in place")


# ------------------------------------------------------------------------------------
# 03: m_step
# ------------------------------------------------------------------------------------


def m_step_loops(Y, gamma, xi_sum, dt):
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


def _m(Y, gamma, xi_sum, dt, *, psi_mode="mean", A_mode="rows", L_mode="hz"):
    n, T, C = Y.shape
    if psi_mode == "mean":
        psi = gamma[:, 0].mean(axis=0)
    elif psi_mode == "sum":
        psi = gamma[:, 0].sum(axis=0)
    else:  # "last"
        psi = gamma[:, -1].mean(axis=0)
    if A_mode == "rows":
        A = xi_sum / xi_sum.sum(axis=1, keepdims=True)
    elif A_mode == "columns":
        A = xi_sum / xi_sum.sum(axis=0, keepdims=True)
    elif A_mode == "transposed":
        A = (xi_sum / xi_sum.sum(axis=1, keepdims=True)).T
    else:  # "transposed_rows": transposed, then normalised by rows
        A = xi_sum.T / xi_sum.T.sum(axis=1, keepdims=True)
    spikes = np.einsum("ntc,ntk->ck", Y, gamma)
    occ = gamma.sum(axis=(0, 1))
    if L_mode == "hz":
        L = spikes / (occ * dt)
    elif L_mode == "per_bin":
        L = spikes / occ
    elif L_mode == "transposed":
        L = (spikes / (occ * dt)).T
    else:  # "total_bins"
        L = spikes / (n * T * dt)
    return psi, A, L


def m_step_in_place(Y, gamma, xi_sum, dt):
    gamma /= gamma.sum(axis=2, keepdims=True)  # harmless numerically, but changes the caller's gamma
    return _m(Y, gamma, xi_sum, dt)


def m_step_none(Y, gamma, xi_sum, dt):
    psi, A, L = _m(Y, gamma, xi_sum, dt)  # noqa: F841


def m_step_raises(Y, gamma, xi_sum, dt):
    K = gamma.shape[2]
    A = xi_sum / xi_sum.sum(axis=1)[:, None]
    L = np.einsum("ntc,ntk->ck", Y, gamma) / gamma.sum(axis=(0, 1))[K]
    return gamma[:, 0].mean(0), A, L / dt


def m_step_hard_assignment(Y, gamma, xi_sum, dt):
    """Rates from the most probable state of every bin instead of weighting by gamma."""
    K = gamma.shape[2]
    best = gamma.argmax(axis=2)
    L = np.stack([Y[best == k].mean(axis=0) / dt for k in range(K)], axis=1)
    return gamma[:, 0].mean(0), xi_sum / xi_sum.sum(1, keepdims=True), L


@pytest.mark.parametrize("fn", [helpers.m_step, m_step_loops, _m])
def test_m_step_correct_passes(fn, capsys):
    out = assert_passes(checks.check_m_step, fn, capsys)
    assert "✅ m_step passed all 6 checks." in out


@pytest.mark.parametrize(
    "fn, keywords",
    [
        (lambda Y, g, x, dt: _m(Y, g, x, dt, A_mode="columns"), ("normalised by columns",)),
        (lambda Y, g, x, dt: _m(Y, g, x, dt, A_mode="transposed"), ("transpos",)),
        (lambda Y, g, x, dt: _m(Y, g, x, dt, A_mode="transposed_rows"), ("transpos",)),
        (lambda Y, g, x, dt: _m(Y, g, x, dt, psi_mode="sum"), ("not normalised", "sum")),
        (lambda Y, g, x, dt: _m(Y, g, x, dt, psi_mode="last"), ("last bin",)),
        (lambda Y, g, x, dt: _m(Y, g, x, dt, L_mode="per_bin"), ("hz", "dt")),
        (lambda Y, g, x, dt: _m(Y, g, x, dt, L_mode="transposed"), ("transpos",)),
        (lambda Y, g, x, dt: _m(Y, g, x, dt, L_mode="total_bins"), ("total number of bins",)),
        (m_step_in_place, ("in place",)),
        (m_step_none, ("returned none", "forget `return`")),
        (m_step_raises, ("line",)),
        (m_step_hard_assignment, ("l does not match",)),
        (lambda Y, g, x, dt: _m(Y, g, x, dt)[:2], ("3 things",)),
        (lambda Y, g, x, dt: tuple(np.full_like(a, np.nan) for a in _m(Y, g, x, dt)), ("nan",)),
        (not_done, ("not done yet",)),
    ],
)
def test_m_step_mistakes_caught(fn, keywords, capsys):
    assert_caught(checks.check_m_step, fn, capsys, *keywords)


def test_m_step_exception_message_names_line_and_type(capsys):
    out = assert_caught(checks.check_m_step, m_step_raises, capsys, "IndexError: index 3 is out of bounds")
    assert "Print the shapes" in out
    assert "in m_step_raises, line" in out
    assert "gamma.sum(axis=(0, 1))[K]" in out
    assert "Traceback" not in out


def test_m_step_messages_are_specific(capsys):
    out = assert_caught(checks.check_m_step,
                        lambda Y, g, x, dt: _m(Y, g, x, dt, L_mode="per_bin"), capsys, "dt")
    assert out.splitlines()[0] == "❌ m_step: L is in spikes per bin, not Hz: you forgot to divide by dt."
    out = assert_caught(checks.check_m_step,
                        lambda Y, g, x, dt: _m(Y, g, x, dt, L_mode="transposed"), capsys, "transpos")
    assert "(5, 3)" in out and "(3, 5)" in out


# ------------------------------------------------------------------------------------
# 04: run_em
# ------------------------------------------------------------------------------------


def run_em_reference(Y, psi, A, L, dt, n_iter, tol):
    fit = helpers.fit_em(Y, len(psi), dt, n_iter=n_iter, tol=tol, init=(psi, A, L))
    return fit.psi, fit.A, fit.L, fit.lls


def run_em_student(Y, psi, A, L, dt, n_iter, tol):
    """Correct, written the way the notebook suggests."""
    lls = []
    for _ in range(n_iter):
        post = helpers.e_step(Y, psi, A, L, dt)
        lls.append(post.ll)
        if len(lls) > 1 and lls[-1] - lls[-2] < tol * abs(lls[-1]):
            return psi, A, L, lls
        psi, A, L = helpers.m_step(Y, post.gamma, post.xi_sum, dt)
    lls.append(helpers.log_likelihood(Y, psi, A, L, dt))
    return psi, A, L, lls


def run_em_while(Y, psi, A, L, dt, n_iter, tol):
    """Correct, a while loop and the student's own m_step."""
    post = helpers.e_step(Y, psi, A, L, dt)
    lls = [post.ll]
    steps = 0
    while steps < n_iter:
        psi, A, L = m_step_loops(Y, post.gamma, post.xi_sum, dt)
        steps += 1
        post = helpers.e_step(Y, psi, A, L, dt)
        lls.append(post.ll)
        if lls[-1] - lls[-2] <= tol * abs(lls[-2]):
            break
    return psi, A, L, np.array(lls)


def _em(Y, psi, A, L, dt, n_iter, tol, *, update=True, after_only=False, stop="relative",
        per_trial=False, return_init=False, skip_last=False, stale=False, fresh_ll=False):
    psi0, A0, L0 = psi, A, L
    lls = []
    post = helpers.e_step(Y, psi, A, L, dt)
    for _ in range(n_iter):
        if not stale:
            post = helpers.e_step(Y, psi, A, L, dt)
        ll = post.ll / Y.shape[0] if per_trial else post.ll
        if fresh_ll:
            ll = helpers.log_likelihood(Y, psi, A, L, dt)
        if not after_only:
            lls.append(ll)
        if len(lls) > 1 and stop != "never":
            thresh = tol * abs(lls[-1]) if stop == "relative" else tol
            if lls[-1] - lls[-2] < thresh:
                break
        new = helpers.m_step(Y, post.gamma, post.xi_sum, dt)
        if update:
            psi, A, L = new
        if after_only:
            lls.append(helpers.log_likelihood(Y, psi, A, L, dt))
    else:
        if not after_only and not skip_last:
            ll = helpers.log_likelihood(Y, psi, A, L, dt)
            lls.append(ll / Y.shape[0] if per_trial else ll)
    if return_init:
        return psi0, A0, L0, lls
    return psi, A, L, lls


def run_em_trial_lls(Y, psi, A, L, dt, n_iter, tol):
    lls = []
    for _ in range(n_iter):
        post = helpers.e_step(Y, psi, A, L, dt)
        lls.append(post.trial_ll)
        psi, A, L = helpers.m_step(Y, post.gamma, post.xi_sum, dt)
    lls.append(helpers.log_likelihood(Y, psi, A, L, dt, per_trial=True))
    return psi, A, L, lls


def run_em_modifies_A(Y, psi, A, L, dt, n_iter, tol):
    res = run_em_student(Y, psi, A, L, dt, n_iter, tol)
    A[:] = res[1]  # "update the caller's A"
    return res


@pytest.mark.parametrize("fn", [run_em_reference, run_em_student, run_em_while, _em])
def test_run_em_correct_passes(fn, capsys):
    out = assert_passes(checks.check_run_em, fn, capsys)
    assert "passed all 5 checks" in out


@pytest.mark.parametrize(
    "kwargs, keywords",
    [
        (dict(update=False), ("never updated",)),
        (dict(after_only=True), ("after the first m-step",)),
        (dict(stop="never"), ("never stopped early",)),
        (dict(stop="absolute"), ("absolute",)),
        (dict(per_trial=True), ("per trial",)),
        (dict(return_init=True), ("starting parameters",)),
        (dict(skip_last=True), ("last entry is missing",)),
        (dict(stale=True), ("e-step is not repeated",)),
        (dict(stale=True, fresh_ll=True), ("e-step is not repeated",)),
    ],
)
def test_run_em_mistakes_caught(kwargs, keywords, capsys):
    def wrong(Y, psi, A, L, dt, n_iter, tol):
        return _em(Y, psi, A, L, dt, n_iter, tol, **kwargs)

    assert_caught(checks.check_run_em, wrong, capsys, *keywords)


@pytest.mark.parametrize(
    "fn, keywords",
    [
        (run_em_trial_lls, ("per trial", "trial_ll")),
        (run_em_modifies_A, ("in place",)),
        (lambda Y, psi, A, L, dt, n_iter, tol: run_em_student(Y, psi, A, L, dt, n_iter, tol)[:3],
         ("4 things",)),
        (lambda Y, psi, A, L, dt, n_iter, tol: (psi, A, L, -1.0), ("single number",)),
        (lambda Y, psi, A, L, dt, n_iter, tol: run_em_student(Y, psi, A, L, dt, n_iter, tol)[::-1],
         ("shape", "array of numbers")),
        (lambda Y, psi, A, L, dt, n_iter, tol: (*run_em_student(Y, psi, A, L, dt, n_iter, tol)[:3],
                                                [-x for x in run_em_student(Y, psi, A, L, dt, n_iter, tol)[3]]),
         ("sign",)),
        (lambda Y, psi, A, L, dt, n_iter, tol: (*run_em_student(Y, psi, A, L, dt, n_iter, tol)[:3],
                                                run_em_student(Y, psi, A, L, dt, n_iter, tol)[3][::-1]),
         ("decreases", "lls[0]")),
        (not_done, ("not done yet",)),
    ],
)
def test_run_em_more_mistakes_caught(fn, keywords, capsys):
    assert_caught(checks.check_run_em, fn, capsys, *keywords)


def test_run_em_final_ll_appended_twice_caught(capsys):
    def run_em_double_append(Y, psi, A, L, dt, n_iter, tol):
        lls = []
        for _ in range(n_iter):
            post = helpers.e_step(Y, psi, A, L, dt)
            lls.append(post.ll)
            if len(lls) > 1 and lls[-1] - lls[-2] < tol * abs(lls[-1]):
                break
            psi, A, L = helpers.m_step(Y, post.gamma, post.xi_sum, dt)
        lls.append(helpers.log_likelihood(Y, psi, A, L, dt))  # also after an early stop
        return psi, A, L, lls

    assert_caught(checks.check_run_em, run_em_double_append, capsys, "appended twice")


def test_run_em_not_done_inside_reports_callee(capsys):
    def run_em_calls_unfinished(Y, psi, A, L, dt, n_iter, tol):
        post = helpers.e_step(Y, psi, A, L, dt)
        not_done(Y, post.gamma, post.xi_sum, dt)

    out = assert_caught(checks.check_run_em, run_em_calls_unfinished, capsys, "not done yet")
    assert "`not_done`" in out


# ------------------------------------------------------------------------------------
# 05: ecll
# ------------------------------------------------------------------------------------


def ecll_loops(Y, gamma, xi_sum, psi, A, L, dt):
    n, T, C = Y.shape
    K = len(psi)
    q = 0.0
    for i in range(n):
        for k in range(K):
            q += gamma[i, 0, k] * np.log(psi[k])
    for i in range(K):
        for j in range(K):
            q += xi_sum[i, j] * np.log(A[i, j])
    for k in range(K):
        logp = poisson.logpmf(Y, L[:, k] * dt).sum(axis=2)  # (n, T)
        q += (gamma[:, :, k] * logp).sum()
    return q


def _ecll(Y, gamma, xi_sum, psi, A, L, dt, *, logfact=True, init=True, transpose=False,
          log_L=False, rate_term=True, mean=False):
    rate = L * dt
    q = (gamma[:, 0] @ np.log(psi)).sum() if init else 0.0
    q += (xi_sum * np.log(A.T if transpose else A)).sum()
    log_rate = np.log(L) if log_L else np.log(rate)
    logp = Y @ log_rate  # (n, T, K)
    if rate_term:
        logp = logp - rate.sum(axis=0)
    if logfact:
        logp = logp - gammaln(Y + 1.0).sum(axis=2, keepdims=True)
    q += (gamma * logp).sum()
    return q / Y.shape[0] if mean else q


@pytest.mark.parametrize("fn", [helpers.expected_complete_ll, ecll_loops, _ecll])
def test_ecll_correct_passes(fn, capsys):
    out = assert_passes(checks.check_ecll, fn, capsys)
    assert "passed all 3 checks" in out


@pytest.mark.parametrize(
    "kwargs, keywords",
    [
        (dict(logfact=False), ("log(y!)",)),
        (dict(init=False), ("initial-state term",)),
        (dict(transpose=True), ("transpos",)),
        (dict(log_L=True), ("log(l * dt)",)),
        (dict(rate_term=False), ("-l*dt term",)),
        (dict(mean=True), ("mean over trials",)),
    ],
)
def test_ecll_mistakes_caught(kwargs, keywords, capsys):
    def wrong(Y, gamma, xi_sum, psi, A, L, dt):
        return _ecll(Y, gamma, xi_sum, psi, A, L, dt, **kwargs)

    assert_caught(checks.check_ecll, wrong, capsys, *keywords)


@pytest.mark.parametrize(
    "fn, keywords",
    [
        (lambda Y, g, x, psi, A, L, dt: np.full(Y.shape[0], _ecll(Y, g, x, psi, A, L, dt) / Y.shape[0]),
         ("single number",)),
        (lambda Y, g, x, psi, A, L, dt: None, ("none",)),
        (lambda Y, g, x, psi, A, L, dt: "42", ("should be a number",)),
        (lambda Y, g, x, psi, A, L, dt: float("nan"), ("nan",)),
        (lambda Y, g, x, psi, A, L, dt: -_ecll(Y, g, x, psi, A, L, dt), ("sign",)),
        (lambda Y, g, x, psi, A, L, dt: _ecll(Y, g, x, psi, A, L, dt) + 1.0, ("reference gives",)),
        (not_done, ("not done yet",)),
    ],
)
def test_ecll_more_mistakes_caught(fn, keywords, capsys):
    assert_caught(checks.check_ecll, fn, capsys, *keywords)


# ------------------------------------------------------------------------------------
# 05: heldout_ll
# ------------------------------------------------------------------------------------


def heldout_reference(Y_train, Y_test, K, dt, seed):
    fit = helpers.fit_em(Y_train, K, dt, seed=seed)
    n, T, _ = Y_train.shape
    m, T2, _ = Y_test.shape
    test = helpers.log_likelihood(Y_test, fit.psi, fit.A, fit.L, dt)
    return fit.lls[-1] / (n * T * dt), test / (m * T2 * dt)


def heldout_other_style(Y_train, Y_test, K, dt, seed):
    fit = helpers.fit_em(Y_train, K, dt, seed=seed)
    seconds = lambda Y: Y.shape[0] * Y.shape[1] * dt  # noqa: E731
    train = helpers.log_likelihood(Y_train, fit.psi, fit.A, fit.L, dt, per_trial=True).sum()
    test = helpers.log_likelihood(Y_test, fit.psi, fit.A, fit.L, dt)
    return float(train / seconds(Y_train)), float(test / seconds(Y_test))


def _held(Y_train, Y_test, K, dt, seed, *, unit="s", fit_on="train", score_test="test", swap=False,
          test_duration="test"):
    fit = helpers.fit_em(Y_train if fit_on == "train" else Y_test, K, dt, seed=seed)
    tr = helpers.log_likelihood(Y_train, fit.psi, fit.A, fit.L, dt)
    te = helpers.log_likelihood(Y_test if score_test == "test" else Y_train, fit.psi, fit.A, fit.L, dt)

    def per(total, Y):
        n, T, _ = Y.shape
        return {"s": total / (n * T * dt), "total": total, "bin": total / (n * T),
                "trial": total / n}[unit]

    a = per(tr, Y_train)
    b = per(te, Y_test if test_duration == "test" else Y_train)
    return (b, a) if swap else (a, b)


@pytest.mark.parametrize("fn", [heldout_reference, heldout_other_style, _held])
def test_heldout_correct_passes(fn, capsys):
    out = assert_passes(checks.check_heldout_ll, fn, capsys)
    assert "passed all 4 checks" in out


@pytest.mark.parametrize(
    "kwargs, keywords",
    [
        (dict(unit="total"), ("total log-likelihood, not per second",)),
        (dict(unit="bin"), ("per bin",)),
        (dict(unit="trial"), ("per trial",)),
        (dict(fit_on="test"), ("fitted on the test set",)),
        (dict(score_test="train", test_duration="train"), ("training set again",)),
        (dict(swap=True), ("swapped",)),
        (dict(test_duration="train"), ("duration of the training set",)),
    ],
)
def test_heldout_mistakes_caught(kwargs, keywords, capsys):
    def wrong(Y_train, Y_test, K, dt, seed):
        return _held(Y_train, Y_test, K, dt, seed, **kwargs)

    assert_caught(checks.check_heldout_ll, wrong, capsys, *keywords)


@pytest.mark.parametrize(
    "fn, keywords",
    [
        (lambda Ytr, Yte, K, dt, seed: heldout_reference(Ytr, Yte, 2, dt, seed), ("expected",)),
        (lambda Ytr, Yte, K, dt, seed: heldout_reference(Ytr, Yte, K, dt, 0), ("expected",)),
        (lambda Ytr, Yte, K, dt, seed: {"train": 1.0, "test": 2.0}, ("dict",)),
        (lambda Ytr, Yte, K, dt, seed: heldout_reference(Ytr, Yte, K, dt, seed)[0], ("2 things",)),
        (lambda Ytr, Yte, K, dt, seed: None, ("none",)),
        (lambda Ytr, Yte, K, dt, seed: (np.ones(3), np.ones(3)), ("single number",)),
        (not_done, ("not done yet",)),
    ],
)
def test_heldout_more_mistakes_caught(fn, keywords, capsys):
    assert_caught(checks.check_heldout_ll, fn, capsys, *keywords)


# ------------------------------------------------------------------------------------
# robustness common to every check
# ------------------------------------------------------------------------------------

ALL_CHECKS = [
    checks.check_sample_states,
    checks.check_sample_spikes,
    checks.check_forward,
    checks.check_backward,
    checks.check_m_step,
    checks.check_run_em,
    checks.check_ecll,
    checks.check_heldout_ll,
]


class Weird:
    def __array__(self, *a, **k):
        raise RuntimeError("no array for you")

    def __len__(self):
        raise RuntimeError("no len either")


class MyBaseError(BaseException):
    pass


def _exit(*args):
    raise SystemExit(3)


def _base_error(*args):
    raise MyBaseError("odd")


def _warn_and_nan(*args):
    return np.log(np.zeros(3)) / 0.0 * np.zeros(3)


WEIRD_FUNCTIONS = [
    lambda *a: None,
    lambda *a: 0,
    lambda *a: "text",
    lambda *a: {"a": 1},
    lambda *a: (x for x in range(3)),
    lambda *a: Weird(),
    lambda *a: (Weird(), Weird(), Weird(), Weird()),
    lambda *a: [[1, 2], [3]],
    lambda *a: np.array([object(), 1]),
    lambda *a: np.full((2, 2), np.nan),
    lambda *a: 1j,
    lambda *a: (np.nan, np.nan),
    lambda *a: (None, None, None, None),
    lambda *a: (None, None, None),
    lambda *a: (None, None),
    _exit,
    _base_error,
    _warn_and_nan,
    not_done,
    lambda: 1,  # wrong signature
    None,
    42,
]


@pytest.mark.parametrize("check", ALL_CHECKS, ids=lambda c: c.__name__)
def test_checks_never_raise_and_never_pass_nonsense(check, capsys):
    for fn in WEIRD_FUNCTIONS:
        result, out = run_check(check, fn, capsys)
        assert result is False, out
        assert "Traceback" not in out


@pytest.mark.parametrize("check", ALL_CHECKS, ids=lambda c: c.__name__)
def test_not_implemented_is_reported_kindly(check, capsys):
    result, out = run_check(check, not_done, capsys)
    assert result is False
    assert out.startswith("⏳")
    assert "not done yet" in out
    assert "NotImplementedError" in out  # the instruction names what to replace
    assert "Traceback" not in out and "line" not in out


@pytest.mark.parametrize("check", ALL_CHECKS, ids=lambda c: c.__name__)
def test_wrong_signature_is_explained(check, capsys):
    result, out = run_check(check, lambda x: x, capsys)
    assert result is False
    assert "TypeError" in out and "must be defined as" in out


def test_nan_report_mentions_the_students_warning(capsys):
    def m_step_zero_division(Y, gamma, xi_sum, dt):
        psi, A, L = helpers.m_step(Y, gamma, xi_sum, dt)
        return psi, xi_sum / (xi_sum.sum(axis=1, keepdims=True) * 0), L

    out = assert_caught(checks.check_m_step, m_step_zero_division, capsys, "infinite")
    assert "RuntimeWarning: divide by zero" in out


def test_keyboard_interrupt_propagates():
    def interrupted(*args):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        checks.check_m_step(interrupted)


def test_checks_do_not_touch_global_random_state(capsys):
    np.random.seed(1234)
    random.seed(99)
    np_before = np.random.get_state()
    py_before = random.getstate()
    checks.check_sample_states(helpers.sample_states)
    checks.check_sample_spikes(spikes_global)  # uses np.random, the check must restore it
    checks.check_sample_states(states_global_random)
    checks.check_m_step(helpers.m_step)
    np_after = np.random.get_state()
    assert np_before[0] == np_after[0] and np.array_equal(np_before[1], np_after[1])
    assert np_before[2:] == np_after[2:]
    assert random.getstate() == py_before
    capsys.readouterr()


@pytest.mark.parametrize("check, fn", [
    (checks.check_sample_states, states_loops),
    (checks.check_sample_spikes, spikes_forgot_dt),
    (checks.check_run_em, run_em_student),
])
def test_check_output_is_reproducible(check, fn, capsys):
    _, first = run_check(check, fn, capsys)
    np.random.seed(5)  # the global state must not matter
    _, second = run_check(check, fn, capsys)
    assert first == second


def test_student_prints_are_captured_and_shown_briefly(capsys):
    def chatty(Y, gamma, xi_sum, dt):
        for i in range(20):
            print("debug", i)
        return helpers.m_step(Y, gamma, xi_sum, dt)

    out = assert_passes(checks.check_m_step, chatty, capsys)
    assert out.count("debug 0") == 1
    assert "debug 19" not in out
    assert "more lines" in out


def test_fallback_prints_only_when_not_passed(capsys):
    def m_step(Y, gamma, xi_sum, dt):
        return helpers.m_step(Y, gamma, xi_sum, dt)

    assert checks.fallback(m_step, True, helpers.m_step) is m_step
    assert capsys.readouterr().out == ""
    assert checks.fallback(m_step, np.bool_(True), helpers.m_step) is m_step
    assert capsys.readouterr().out == ""

    for passed in (False, None, "yes", 1):
        assert checks.fallback(m_step, passed, helpers.m_step) is helpers.m_step
        out = capsys.readouterr().out
        assert out == ("ℹ️ Using the reference helpers.m_step in the cells below "
                       "(your m_step is not finished or did not pass its check).\n")
    assert checks.fallback(None, False, helpers.forward) is helpers.forward
    assert out.count("\n") == 1
    assert "helpers.forward" in capsys.readouterr().out


def test_fallback_from_a_real_check(capsys):
    ok = checks.check_m_step(not_done)
    used = checks.fallback(not_done, ok, helpers.m_step)
    assert used is helpers.m_step
    ok = checks.check_m_step(m_step_loops)
    assert checks.fallback(m_step_loops, ok, helpers.m_step) is m_step_loops
    capsys.readouterr()


# ------------------------------------------------------------------------------------
# student code living in a notebook cell (an ipykernel-like file name)
# ------------------------------------------------------------------------------------

CELL_SOURCE = '''\
import numpy as np

def m_step(Y, gamma, xi_sum, dt):
    psi = gamma[:, 0].mean(axis=0)
    A = xi_sum / xi_sum.sum(axis=1, keepdims=True)
    L = np.einsum("ntc,ntk->ck", Y, gamma) / gamma.sum(axis=(0, 1, 2))[1] / dt
    return psi, A, L
'''


def _define_in_cell(source, filename="/tmp/ipykernel_1/123.py"):
    lines = source.splitlines(keepends=True)
    linecache.cache[filename] = (len(source), None, lines, filename)  # what IPython does
    namespace = {}
    exec(compile(source, filename, "exec"), namespace)
    return namespace


def test_exception_in_notebook_cell_reports_cell_line(capsys):
    ns = _define_in_cell(CELL_SOURCE)
    out = assert_caught(checks.check_m_step, ns["m_step"], capsys, "IndexError")
    assert "in m_step, line 6: L = np.einsum(" in out
    assert "123.py" not in out and "ipykernel" not in out  # just "line N" for a cell


def test_notebook_cell_without_source_still_gives_line(capsys):
    source = "def forward(obs, psi, A):\n    return obs[99], None\n"
    filename = "/tmp/ipykernel_1/456.py"
    namespace = {}
    exec(compile(source, filename, "exec"), namespace)  # not in linecache
    out = assert_caught(checks.check_forward, namespace["forward"], capsys, "IndexError")
    assert "in forward, line 2" in out


def test_error_inside_helpers_points_to_students_call(capsys):
    source = (
        "import helpers\n"
        "def run_em(Y, psi, A, L, dt, n_iter, tol):\n"
        "    post = helpers.e_step(Y, psi, A.T, L, dt)\n"
        "    return psi, A, L, [post.ll]\n"
    )
    ns = _define_in_cell(source, "/tmp/ipykernel_1/789.py")
    out = assert_caught(checks.check_run_em, ns["run_em"], capsys, "ValueError")
    assert "line 3: post = helpers.e_step(Y, psi, A.T, L, dt)" in out
    assert "inside helpers' `e_step`" in out


def test_notebook_cells_via_ipykernel_exec_compile_pass(capsys):
    source = CELL_SOURCE.replace("gamma.sum(axis=(0, 1, 2))[1]", "gamma.sum(axis=(0, 1))")
    ns = _define_in_cell(source, "/tmp/ipykernel_1/124.py")
    assert_passes(checks.check_m_step, ns["m_step"], capsys)


# ------------------------------------------------------------------------------------
# speed
# ------------------------------------------------------------------------------------


@pytest.mark.parametrize("check, fn", [
    (checks.check_sample_states, helpers.sample_states),
    (checks.check_sample_spikes, helpers.sample_spikes),
    (checks.check_forward, helpers.forward),
    (checks.check_backward, helpers.backward),
    (checks.check_m_step, helpers.m_step),
    (checks.check_run_em, run_em_student),
    (checks.check_ecll, helpers.expected_complete_ll),
    (checks.check_heldout_ll, heldout_reference),
])
def test_every_check_passes_the_reference(check, fn, capsys):
    assert check(fn) is True
    assert "✅" in capsys.readouterr().out


# ------------------------------------------------------------------------------------
# a real Jupyter kernel: the student's line is reported from the cell
# ------------------------------------------------------------------------------------


def test_in_a_real_kernel_checks_report_cell_lines_and_fall_back():
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    cells = [
        "import numpy as np\nimport helpers\nfrom helpers import checks",
        "def m_step(Y, gamma, xi_sum, dt):\n"
        "    psi = gamma[:, 0].mean(axis=0)\n"
        "    A = xi_sum / xi_sum.sum(axis=1, keepdims=True)\n"
        "    L = np.einsum('ntc,ntk->ck', Y, gamma) / gamma.sum(axis=(0, 1))[7]\n"
        "    return psi, A, L",
        "ok = checks.check_m_step(m_step)\nm_step_used = checks.fallback(m_step, ok, helpers.m_step)\n"
        "print(m_step_used is helpers.m_step)",
        "def forward(obs, psi, A):\n    raise NotImplementedError('your code here')",
        "ok = checks.check_forward(forward)",
        "ok = checks.check_forward(helpers.forward)",
    ]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3").execute()

    def text(i):
        return "".join(o.get("text", "") for o in nb.cells[i].outputs if o.get("output_type") == "stream")

    out = text(2)
    assert out.startswith("❌ m_step: your code raised IndexError")
    assert "in m_step, line 4: L = np.einsum('ntc,ntk->ck', Y, gamma) / gamma.sum(axis=(0, 1))[7]" in out
    assert "ℹ️ Using the reference helpers.m_step in the cells below" in out
    assert out.rstrip().endswith("True")
    assert text(4).startswith("⏳ forward: not done yet")
    assert text(5).startswith("✅ forward passed all 5 checks.")
