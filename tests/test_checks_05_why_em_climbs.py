"""Tests of the checks of notebook 05 (why EM climbs): `ecll`.

Every check passes the reference and correct implementations written
differently, and fails a catalogue of wrong ones, the kind students write,
each with its own specific message.
"""

from __future__ import annotations


import numpy as np
import pytest
from scipy.special import gammaln
from scipy.stats import poisson

import helpers
from helpers import checks

from check_helpers import assert_caught, assert_message, assert_passes, not_done, run_check  # noqa: F401


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
