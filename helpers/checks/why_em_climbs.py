"""Checks of notebook 05, why EM climbs: the expected complete log-likelihood.

Public: ``check_ecll`` (re-exported by :mod:`helpers.checks`).
"""

from __future__ import annotations

import numpy as np

from ..diagnostics import expected_complete_ll
from ..inference import e_step
from ..learning import m_step as _ref_m_step
from ..model import sample_spikes as _ref_sample_spikes
from ..model import sample_states as _ref_sample_states
from ..model import log_factorial, xlogy
from ._core import (
    _Failed,
    _run,
    _f,
    _scalar,
)

__all__ = ["check_ecll"]


_ECLL_L = np.array([
    [5.0, 40.0, 20.0],
    [30.0, 2.0, 60.0],
    [12.0, 25.0, 8.0],
    [50.0, 15.0, 30.0],
])


def _ecll_cases():
    rng = np.random.default_rng(51)
    psi = np.array([0.5, 0.2, 0.3])
    A = np.array([[0.85, 0.1, 0.05], [0.05, 0.8, 0.15], [0.2, 0.05, 0.75]])
    L = _ECLL_L.copy()
    dt = 0.01
    states = _ref_sample_states(psi, A, 3, 40, rng)
    Y = _ref_sample_spikes(states, L, dt, rng)
    # theta_old: where the posteriors come from
    psi_o = np.array([0.3, 0.3, 0.4])
    A_o = np.array([[0.7, 0.2, 0.1], [0.1, 0.7, 0.2], [0.3, 0.1, 0.6]])
    L_o = L * 0.8 + 5.0
    post = e_step(Y, psi_o, A_o, L_o, dt)
    new = _ref_m_step(Y, post.gamma, post.xi_sum, dt)
    # a K = 2 case on the same counts
    psi2 = np.array([0.6, 0.4])
    A2 = np.array([[0.9, 0.1], [0.3, 0.7]])
    L2 = np.array([[10.0, 30.0], [40.0, 10.0], [20.0, 25.0], [15.0, 30.0]])
    post2 = e_step(Y, psi2, A2, L2, dt)
    theta2 = (np.array([0.45, 0.55]), np.array([[0.8, 0.2], [0.35, 0.65]]), L2 * 1.1 + 1.0)
    base = "3 trials of 40 bins, C = 4 neurons, dt = 0.01 s"
    return [
        ("Q at the parameters the posteriors came from", Y, post.gamma, post.xi_sum,
         (psi_o, A_o, L_o), dt, f"{base}, K = 3, theta = theta_old"),
        ("Q at the M-step's new parameters", Y, post.gamma, post.xi_sum, new, dt,
         f"{base}, K = 3, theta = theta_new from helpers.m_step"),
        ("a second case with K = 2 states", Y, post2.gamma, post2.xi_sum, theta2, dt,
         f"{base}, K = 2"),
    ]


def _ecll_diagnose(value, Y, gamma, xi_sum, psi, A, L, dt, ref):
    n, T, C = Y.shape
    Yf = Y.astype(float)
    rate = L * dt
    first = gamma[:, 0].sum(axis=0)
    spikes = np.einsum("ntc,ntk->ck", Yf, gamma)
    occ = gamma.sum(axis=(0, 1))
    init_term = float(xlogy(first, psi).sum())
    trans_term = float(xlogy(xi_sum, A).sum())
    logfact = float((log_factorial(Y).sum(axis=2) * gamma.sum(axis=2)).sum())
    rate_term = float((occ * rate.sum(axis=0)).sum())
    emis = float(xlogy(spikes, rate).sum()) - rate_term - logfact
    candidates = [
        (ref + logfact, "the -log(y!) term is missing.",
         "The Poisson log-probability is y log(L dt) - L dt - log(y!): keep the log(y!) part "
         "(scipy.special.gammaln(y + 1)), weighted by gamma like the rest."),
        (ref - init_term, "the initial-state term is missing.",
         "Add sum_k (sum_n gamma[n, 0, k]) * log psi_k."),
        (ref - trans_term + float(xlogy(xi_sum, A.T).sum()), "A is used transposed in the transition term.",
         "xi_sum[i, j] counts transitions i -> j, which have probability A[i, j]: "
         "sum(xi_sum * log(A)), not log(A.T)."),
        (ref - trans_term, "the transition term is missing.", "Add sum_ij xi_sum[i, j] * log A[i, j]."),
        (ref - np.log(dt) * float(spikes.sum()), "you used log(L) instead of log(L * dt).",
         "The expected count in a bin is L * dt: the Poisson term is y log(L dt) - L dt - log(y!)."),
        (ref + rate_term, "the -L*dt term of the Poisson log-probability is missing.",
         "Each bin contributes sum_c [y log(L dt) - L dt - log(y!)], weighted by gamma."),
        (ref - emis, "the emission (Poisson) term is missing.",
         "Add sum_{n,t,k} gamma[n,t,k] sum_c log Poisson(y[n,t,c]; L[c,k] dt)."),
        (ref / n, "you returned the mean over trials.", "Return the total, summed over trials."),
        (ref / (n * T), "you returned the mean over bins.", "Return the total, summed over trials and bins."),
        (-ref, "the sign is flipped.", "Return Q itself, a log-likelihood (negative here), not -Q."),
    ]
    for cand, head, hint in candidates:
        if np.isclose(value, cand, rtol=1e-8, atol=1e-8):
            raise _Failed(head, hint)
    raise _Failed(f"your ECLL is {_f(value, '.8g')}, the reference gives {_f(ref, '.8g')}.",
                  "Q = sum_k gamma1_k log psi_k + sum_ij xi_sum_ij log A_ij + "
                  "sum_ntk gamma_ntk sum_c [y log(L_ck dt) - L_ck dt - log(y!)].")


def check_ecll(ecll):
    """Check ``ecll(Y, gamma, xi_sum, psi, A, L, dt) -> float``.

    Compares with :func:`helpers.expected_complete_ll` at the parameters the
    posteriors came from, at the M-step's new parameters, and on a second
    case with K = 2. Detects: not a single number, NaN, the ``log(y!)``
    term, the initial-state term, the transition or emission term missing,
    A transposed, ``log L`` instead of ``log(L dt)``, the ``-L dt`` term
    missing, a mean instead of the total, a flipped sign, and inputs
    modified in place.

    Returns
    -------
    bool
        True if every check passed.
    """

    def body(ctx):
        for label, Y, gamma, xi_sum, theta, dt, desc in _ecll_cases():
            ctx.step(label)
            ctx.case = desc
            n, T, C = Y.shape
            K = gamma.shape[2]
            ctx.shapes = (f"Y ({n}, {T}, {C}) = (n_trials, T, C), gamma ({n}, {T}, {K}), "
                          f"xi_sum ({K}, {K}), psi ({K},), A ({K}, {K}), L ({C}, {K}) = (C, K)")
            psi, A, L = theta
            ref = expected_complete_ll(Y, gamma, xi_sum, psi, A, L, dt)
            value = _scalar(ctx.call(Y, gamma, xi_sum, psi, A, L, dt), "the returned ECLL")
            if not np.isfinite(value):
                raise _Failed(f"your ECLL is {value}.",
                              "Look for log(0) or 0 * log(0); all parameters here are positive.")
            if not np.isclose(value, ref, rtol=1e-8, atol=1e-8):
                _ecll_diagnose(value, Y, gamma, xi_sum, psi, A, L, dt, ref)
        ctx.case = ""

    return _run("ecll", ecll, "ecll(Y, gamma, xi_sum, psi, A, L, dt)",
                ("Y", "gamma", "xi_sum", "psi", "A", "L", "dt"), "Q", body,
                "a single number equal to helpers.expected_complete_ll at theta_old, at theta_new "
                "and with K = 2; inputs left untouched")
