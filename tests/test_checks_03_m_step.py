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
