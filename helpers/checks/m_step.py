"""Checks of notebook 03, the M-step.

Public: ``check_m_step`` (re-exported by :mod:`helpers.checks`).
"""

from __future__ import annotations

import numpy as np

from ..inference import e_step
from ..learning import m_step as _ref_m_step
from ..tutorial_data import tutorial_data
from ._core import (
    _Failed,
    _run,
    _f,
    _float_array,
    _expect_shape,
    _expect_finite,
    _close,
    _difference,
    _order_hint,
    _result_tuple,
)

__all__ = ["check_m_step"]


def _m_step_cases():
    """Two data sets with posteriors from an E-step at perturbed parameters."""
    d = tutorial_data(n_trials=4, T=60, seed=7)
    Y, dt = d["Y"], d["dt"]
    psi3 = np.array([0.2, 0.5, 0.3])
    A3 = np.array([[0.8, 0.15, 0.05], [0.02, 0.9, 0.08], [0.1, 0.3, 0.6]])
    L3 = d["L"] * np.array([[0.8, 1.2, 1.0]]) + 2.0
    post3 = e_step(Y, psi3, A3, L3, dt)
    psi2 = np.array([0.35, 0.65])
    A2 = np.array([[0.9, 0.1], [0.25, 0.75]])
    L2 = np.array([[10.0, 30.0], [40.0, 10.0], [20.0, 25.0], [15.0, 30.0], [5.0, 40.0]])
    post2 = e_step(Y, psi2, A2, L2, dt)
    return [
        (Y, post3.gamma, post3.xi_sum, dt, "4 trials of 60 bins, C = 5 neurons, K = 3 states, dt = 0.002 s"),
        (Y, post2.gamma, post2.xi_sum, dt, "4 trials of 60 bins, C = 5 neurons, K = 2 states, dt = 0.002 s"),
    ]


def _m_step_diagnose(Y, gamma, xi_sum, dt, psi, A, L, ref):
    """Raise _Failed naming what is wrong with (psi, A, L)."""
    psi_ref, A_ref, L_ref = ref
    n, T, C = Y.shape
    K = gamma.shape[2]
    Yf = Y.astype(float)
    # normalisation first: it is the easiest thing to see
    if not np.isclose(psi.sum(), 1.0, atol=1e-8):
        if _close(psi, gamma[:, 0].sum(axis=0)):
            raise _Failed(
                f"psi is not normalised: it sums to {_f(psi.sum())} (the number of trials), not 1.",
                "psi is the AVERAGE over trials of gamma[:, 0]: gamma[:, 0].mean(axis=0) "
                "(or the sum divided by n_trials).",
            )
        raise _Failed(f"psi is not normalised: it sums to {_f(psi.sum())}, it should sum to 1.",
                      "psi_k = mean over trials of gamma[n, 0, k].")
    rows = A.sum(axis=1)
    if not np.allclose(rows, 1.0, atol=1e-8):
        if _close(A, A_ref.T):
            raise _Failed("A is transposed.",
                          "A[i, j] = P(next = j | now = i) = xi_sum[i, j] / xi_sum[i, :].sum(): "
                          "each ROW sums to 1.")
        if np.allclose(A.sum(axis=0), 1.0, atol=1e-8):
            raise _Failed(
                "A is normalised by columns: its columns sum to 1, but every ROW must sum to 1.",
                "Divide each row of xi_sum by its row sum: xi_sum / xi_sum.sum(axis=1, keepdims=True).",
            )
        if _close(A, xi_sum):
            raise _Failed("A is not normalised: you returned the expected counts xi_sum.",
                          "Divide each row by its sum: xi_sum / xi_sum.sum(axis=1, keepdims=True).")
        occ_all = gamma.sum(axis=(0, 1))
        if _close(A, xi_sum / occ_all[:, None]):
            raise _Failed(
                "the rows of A do not sum to 1: the denominator counts the last bin too.",
                "Divide by the expected number of transitions OUT of state i, "
                "xi_sum.sum(axis=1, keepdims=True) (gamma summed over bins 0 .. T-2 only).",
            )
        i = int(np.argmax(np.abs(rows - 1)))
        raise _Failed(f"the rows of A must sum to 1; row {i} sums to {_f(rows[i])}.",
                      "A[i, j] = xi_sum[i, j] / xi_sum[i, :].sum().")
    if not _close(psi, psi_ref):
        if _close(psi, gamma[:, -1].mean(axis=0)):
            hint = ("psi comes from the LAST bin: psi is the distribution of the first state, "
                    "gamma[:, 0].mean(axis=0).")
        elif _close(psi, gamma.mean(axis=(0, 1))):
            hint = ("psi is the average over all bins: use only the first bin, "
                    "gamma[:, 0].mean(axis=0).")
        elif _close(psi, gamma[0, 0]):
            hint = "psi uses only the first trial: average gamma[:, 0] over all trials."
        else:
            hint = "psi_k = mean over trials of gamma[n, 0, k]."
        raise _Failed("psi does not match the reference.", _difference(psi, psi_ref, "psi"), hint)
    if not _close(A, A_ref):
        if _close(A, (xi_sum.T / xi_sum.T.sum(axis=1, keepdims=True))):
            raise _Failed("A is transposed (then re-normalised by rows).",
                          "A[i, j] = xi_sum[i, j] / xi_sum[i, :].sum(): i is the state now, j the next.")
        raise _Failed("A does not match the reference.", _difference(A, A_ref, "A"),
                      "A[i, j] = xi_sum[i, j] / xi_sum[i, :].sum().")
    if not _close(L, L_ref):
        spikes = np.einsum("ntc,ntk->ck", Yf, gamma)
        if _close(L, L_ref * dt):
            raise _Failed("L is in spikes per bin, not Hz: you forgot to divide by dt.",
                          "L[c, k] = sum gamma * y / (dt * sum gamma): expected spikes over expected "
                          "TIME (seconds) spent in state k.")
        if _close(L, L_ref / dt):
            raise _Failed("L is divided by dt twice (or multiplied where it should be divided).",
                          "L[c, k] = sum gamma * y / (dt * sum gamma), in Hz.")
        if _close(L, spikes / (n * T * dt)):
            raise _Failed("L is normalised by the total number of bins instead of the time spent in "
                          "each state.",
                          "Divide the expected spikes of state k by dt * gamma[..., k].sum(), the "
                          "expected time in state k.")
        if _close(L, spikes / dt) or _close(L, spikes):
            raise _Failed("L is not normalised: you returned the expected spike counts.",
                          "Divide by the expected time in each state: dt * gamma.sum(axis=(0, 1)).")
        if _close(L, np.broadcast_to(Yf.mean(axis=(0, 1))[:, None] / dt, L.shape)):
            raise _Failed("L is the same in every state: it ignores gamma.",
                          "Weight every bin by gamma[n, t, k]: L[c, k] = sum_nt gamma[n,t,k] y[n,t,c] "
                          "/ (dt sum_nt gamma[n,t,k]).")
        raise _Failed("L does not match the reference.", _difference(L, L_ref, "L"),
                      "L[c, k] = sum_nt gamma[n,t,k] y[n,t,c] / (dt sum_nt gamma[n,t,k]) (Hz).")


def check_m_step(m_step):
    """Check ``m_step(Y, gamma, xi_sum, dt) -> (psi, A, L)``.

    Compares with :func:`helpers.m_step` on two data sets (C = 5 neurons,
    K = 3 and 2 states) whose posteriors come from an E-step at perturbed
    parameters. Detects: returning None or the wrong number of things, wrong
    shapes (L transposed), NaN, psi not normalised (summed over trials),
    psi from the last bin / all bins / one trial, A normalised by columns,
    not normalised, transposed, or with the wrong denominator, L in counts
    per bin (forgot ``/ dt``), L normalised by the total number of bins,
    not normalised, or ignoring gamma, and inputs modified in place.

    Returns
    -------
    bool
        True if every check passed.
    """

    def body(ctx):
        cases = _m_step_cases()
        for i, (Y, gamma, xi_sum, dt, desc) in enumerate(cases):
            n, T, C = Y.shape
            K = gamma.shape[2]
            ctx.case = desc
            ctx.shapes = (f"Y (n_trials, T, C) = ({n}, {T}, {C}), gamma (n_trials, T, K) = "
                          f"({n}, {T}, {K}), xi_sum (K, K) = ({K}, {K}), L should be (C, K) = ({C}, {K})")
            ref = _ref_m_step(Y, gamma, xi_sum, dt)
            if i == 0:
                ctx.step("returns psi (K,), A (K, K), L (C, K)")
            else:
                ctx.step("a second data set with K = 2 states")
            res = _result_tuple(ctx.call(Y, gamma, xi_sum, dt), 3, "psi, A, L")
            with _order_hint("psi, A, L"):
                psi = _float_array(res[0], "psi")
                A = _float_array(res[1], "A")
                L = _float_array(res[2], "L")
                _expect_shape(psi, (K,), "psi", ("K",))
                _expect_shape(A, (K, K), "A", ("K", "K"))
            if L.shape == (K, C):
                raise _Failed(
                    f"L is transposed: shape {L.shape} = (K, C), expected ({C}, {K}) = (C, K).",
                    "L[c, k] is the rate of neuron c in state k: rows are neurons, columns states "
                    "(e.g. np.einsum('ntc,ntk->ck', Y, gamma) gives the expected spikes in that shape).",
                )
            _expect_shape(L, (C, K), "L", ("C", "K"))
            for arr, what in ((psi, "psi"), (A, "A"), (L, "L")):
                _expect_finite(arr, what)
            if i == 0:
                ctx.step("psi and every row of A sum to 1")
                ctx.step("psi matches helpers.m_step")
                ctx.step("A matches helpers.m_step")
                ctx.step("L matches helpers.m_step (Hz)")
            _m_step_diagnose(Y, gamma, xi_sum, dt, psi, A, L, ref)
        ctx.case = ""

    return _run("m_step", m_step, "m_step(Y, gamma, xi_sum, dt)", ("Y", "gamma", "xi_sum", "dt"),
                "psi, A, L", body,
                "shapes, normalisation of psi and of the rows of A, psi, A and L (Hz) equal "
                "helpers.m_step on two data sets (K = 3 and K = 2), inputs left untouched")
