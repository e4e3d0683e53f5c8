"""Tests of the checks of notebook 02 (forward-backward): `forward`, `backward`.

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
    assert "test_checks_02_forward_backward.py" in out


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
