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


ZERO_CASE = "Q where psi and A have exact zeros"

#: Relative tolerance: float32 sums are right answers too (they agree to ~1e-7).
_RTOL = 1e-6


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
    # exact zeros, as in the notebook: no trial can start in state 3, and three jumps are forbidden.
    # The posteriors at such a theta_old put exactly 0 weight there, so Q needs 0 * log 0 = 0.
    psi_z = np.array([0.6, 0.4, 0.0])
    A_z = np.array([[0.9, 0.1, 0.0], [0.0, 0.8, 0.2], [0.25, 0.0, 0.75]])
    post_z = e_step(Y, psi_z, A_z, L_o, dt)
    base = "3 trials of 40 bins, C = 4 neurons, dt = 0.01 s"
    return [
        ("Q at the parameters the posteriors came from", Y, post.gamma, post.xi_sum,
         (psi_o, A_o, L_o), dt, f"{base}, K = 3, theta = theta_old"),
        ("Q at the M-step's new parameters", Y, post.gamma, post.xi_sum, new, dt,
         f"{base}, K = 3, theta = theta_new from helpers.m_step"),
        ("a second case with K = 2 states", Y, post2.gamma, post2.xi_sum, theta2, dt,
         f"{base}, K = 2"),
        (ZERO_CASE, Y, post_z.gamma, post_z.xi_sum, (psi_z, A_z, L_o), dt,
         f"{base}, K = 3, psi = [0.6, 0.4, 0] and A with three zeros, theta = theta_old"),
    ]


def _ecll_diagnose(value, Y, gamma, xi_sum, psi, A, L, dt, ref):
    """Name the mistake behind a wrong ``value``: compare it with the usual wrong answers."""
    n, T, C = Y.shape
    K = gamma.shape[2]
    Yf = Y.astype(float)
    rate = L * dt
    first = gamma[:, 0].sum(axis=0)
    spikes = np.einsum("ntc,ntk->ck", Yf, gamma)
    occ = gamma.sum(axis=(0, 1))
    init_term = float(xlogy(first, psi).sum())
    trans_term = float(xlogy(xi_sum, A).sum())
    logfact_bins = log_factorial(Y).sum(axis=2)  # (n, T)
    logfact = float((logfact_bins * gamma.sum(axis=2)).sum())
    rate_term = float((occ * rate.sum(axis=0)).sum())
    emis = float(xlogy(spikes, rate).sum()) - rate_term - logfact
    candidates = [
        (ref + logfact, "the -log(y!) term is missing.",
         "The Poisson log-probability is y log(L dt) - L dt - log(y!): keep the log(y!) part "
         "(scipy.special.gammaln(y + 1)), weighted by gamma like the rest. The M-step may drop it, "
         "but Q + H must be comparable with the log-likelihood."),
        (ref + logfact - K * float(logfact_bins.sum()), "the log(y!) term is counted K times.",
         "log(y!) does not depend on the state: weighted by gamma it enters once per bin "
         "(sum_k gamma[n, t, k] = 1), not once per state."),
        (ref - init_term, "the initial-state term is missing.",
         "Add sum_k F_k log psi_k, with F_k = sum_n gamma[n, 0, k] (the expected number of trials "
         "that start in state k)."),
        (ref - init_term + float(xlogy(gamma[:, -1].sum(axis=0), psi).sum()),
         "the initial-state term uses the LAST bin of every trial.",
         "psi is the distribution of the FIRST bin: F_k = sum_n gamma[n, 0, k]."),
        (ref - init_term + float(xlogy(gamma[0, 0], psi).sum()),
         "the initial-state term counts only the first trial.",
         "Sum the first-bin posteriors over ALL trials: F = gamma[:, 0].sum(axis=0), shape (K,)."),
        (ref - init_term + float(xlogy(occ, psi).sum()),
         "the initial-state term is weighted by the occupancy of ALL bins.",
         "Only the first bin of each trial is drawn from psi: weight log psi_k by "
         "F_k = sum_n gamma[n, 0, k], not by sum_{n,t} gamma[n, t, k]."),
        (ref - trans_term + float(xlogy(xi_sum, A.T).sum()), "A is used transposed in the transition term.",
         "xi_sum[i, j] counts transitions i -> j, which have probability A[i, j]: "
         "sum(xi_sum * log(A)), not log(A.T)."),
        (ref - trans_term, "the transition term is missing.", "Add sum_ij xi_sum[i, j] * log A[i, j]."),
        (ref - np.log(dt) * float(spikes.sum()), "you used log(L) instead of log(L * dt).",
         "The expected count in a bin is L * dt: the Poisson term is y log(L dt) - L dt - log(y!)."),
        (ref + rate_term, "the -L*dt term of the Poisson log-probability is missing.",
         "Each bin contributes sum_c [y log(L dt) - L dt - log(y!)], weighted by gamma."),
        (ref + rate_term - rate_term / dt, "the -L*dt term uses L (Hz) without dt.",
         "The expected count in a bin is L * dt: subtract sum_k O_k sum_c L[c, k] * dt."),
        (ref - emis, "the emission (Poisson) term is missing.",
         "Add sum_{n,t,k} gamma[n,t,k] sum_c log Poisson(y[n,t,c]; L[c,k] dt)."),
        (ref / n, "you returned the mean over trials.", "Return the total, summed over trials."),
        (ref / (n * T), "you returned the mean over bins.", "Return the total, summed over trials and bins."),
        (-ref, "the sign is flipped.", "Return Q itself, a log-likelihood (negative here), not -Q."),
    ]
    for cand, head, hint in candidates:
        if np.isclose(value, cand, rtol=_RTOL, atol=1e-8):
            raise _Failed(head, hint)
    raise _Failed(f"your ECLL is {_f(value, '.8g')}, the reference gives {_f(ref, '.8g')}.",
                  "Q = sum_k F_k log psi_k + sum_ij xi_sum_ij log A_ij + "
                  "sum_ck [S_ck log(L_ck dt) - O_k L_ck dt] - sum_ntc log(y_ntc!), with F, O, S the expected "
                  "starts, bins and spikes per state. Compare each of your terms with this sum.")


def check_ecll(ecll):
    """Check ``ecll(Y, gamma, xi_sum, psi, A, L, dt) -> float``.

    Compares with :func:`helpers.expected_complete_ll` at the parameters the
    posteriors came from, at the M-step's new parameters, on a second case
    with K = 2, and where psi and A have exact zeros (the posteriors then
    give them zero weight, and ``0 * log 0`` must count as 0). Agreement to a
    relative 1e-6 passes (float32 sums are fine). Detects: not a single
    number, NaN, ``np.log`` where ``xlogy`` is needed (NaN only in the case
    with zeros), the ``log(y!)`` term missing or counted K times, the
    initial-state term missing or taken from the last bin, from one trial
    or from all bins, the transition or emission term missing, A
    transposed, ``log L`` instead of ``log(L dt)``, the ``-L dt`` term
    missing or without dt, a mean instead of the total, a flipped sign, and
    inputs modified in place.

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
                if label == ZERO_CASE and np.isnan(value):
                    raise _Failed(
                        "your ECLL is nan where psi or A has exact zeros: 0 * log(0) is nan in numpy.",
                        "Here psi[2] = 0 and three entries of A are 0, and the posteriors give them exactly "
                        "0 weight (F[2] = 0, xi_sum[i, j] = 0). The term 0 * log 0 must count as 0, its "
                        "limit: use scipy.special.xlogy(F, psi) and xlogy(xi_sum, A), which return 0 there.",
                    )
                raise _Failed(f"your ECLL is {value}.",
                              "Look for log(0) or 0 * log(0); all parameters in this case are positive.")
            if not np.isclose(value, ref, rtol=_RTOL, atol=1e-8):
                _ecll_diagnose(value, Y, gamma, xi_sum, psi, A, L, dt, ref)
        ctx.case = ""

    return _run("ecll", ecll, "ecll(Y, gamma, xi_sum, psi, A, L, dt)",
                ("Y", "gamma", "xi_sum", "psi", "A", "L", "dt"), "Q", body,
                "a single number equal to helpers.expected_complete_ll at theta_old, at theta_new, "
                "with K = 2 and with exact zeros in psi and A; inputs left untouched")
