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


class _Terms:
    """The reference's four terms of Q on one case, and the usual wrong versions of each.

    Q = init(psi) + trans(A) + emis(L) - logfact, with
    init = sum_k N_k log psi_k, trans = sum_ij Xi_ij log A_ij,
    emis = sum_ck [S_ck log(L_ck dt) - O_k L_ck dt], logfact = sum_ntc log(y_ntc!).
    """

    def __init__(self, Y, gamma, xi_sum, dt):
        n, T, C = Y.shape
        self.n, self.T, self.K = n, T, gamma.shape[2]
        self.Y, self.gamma, self.xi_sum, self.dt = Y, gamma, xi_sum, dt
        Yf = Y.astype(float)
        self.starts = gamma[:, 0].sum(axis=0)
        self.occ = gamma.sum(axis=(0, 1))
        self.spikes = np.einsum("ntc,ntk->ck", Yf, gamma)
        self.logfact_bins = log_factorial(Y).sum(axis=2)  # (n, T)
        self.logfact = float(self.logfact_bins.sum())
        self.spikes_outer = np.outer(Yf.sum(axis=(0, 1)), self.occ) / (n * T)

    def init(self, psi, weights=None):
        return float(xlogy(self.starts if weights is None else weights, psi).sum())

    def trans(self, A):
        return float(xlogy(self.xi_sum, A).sum())

    def emis(self, L, spikes=None, rate_factor=None, lin=None):
        """The emission term; ``rate_factor`` replaces dt in the log, ``lin`` gives the linear term."""
        dt = self.dt
        S = self.spikes if spikes is None else spikes
        q = float(xlogy(S, L * (dt if rate_factor is None else rate_factor)).sum())
        return q - (float((self.occ * (L * dt).sum(axis=0)).sum()) if lin is None else lin(L))

    def total(self, psi, A, L):
        return self.init(psi) + self.trans(A) + self.emis(L) - self.logfact

    # --- the usual wrong versions, as functions of the parameter that is probed ------------

    def init_variants(self):
        g = self.gamma
        return [
            (lambda p: 0.0, "the initial-state term is missing.",
             "Add Σ_k N_k log ψ_k, with N_k (`starts`) the expected number of trials that start in state "
             "k: the first bin's posteriors summed over the trials."),
            (lambda p: self.init(p, g[:, -1].sum(axis=0)), "the initial-state term uses the LAST bin of every trial.",
             "ψ is the distribution of the FIRST bin: N_k (`starts`) sums gamma[:, 0] over the trials."),
            (lambda p: self.init(p, g[0, 0]), "the initial-state term counts only the first trial.",
             "Sum the first-bin posteriors over ALL trials: N_k (`starts`) has shape (K,), one number per state."),
            (lambda p: self.init(p, self.occ), "the initial-state term is weighted by the occupancy of ALL bins.",
             "Only the first bin of each trial is drawn from ψ: weight log ψ_k by N_k (`starts`), the "
             "first bin's posteriors summed over trials, not by the occupancy O_k of all bins."),
            (lambda p: self.init(p, self.starts / self.n),
             "the initial-state term uses the AVERAGE of the first-bin posteriors over the trials, not their sum.",
             "N_k (`starts`) is the expected NUMBER of trials that start in state k, a sum over trials: "
             "averaging gives ψ's M-step estimate, not the weight of log ψ_k in Q."),
            (lambda p: float(xlogy(p, self.starts).sum()),
             "xlogy's arguments are swapped in the initial-state term.",
             "xlogy(x, y) is x·log(y): the weight N_k (`starts`) goes first, the probability ψ_k second."),
        ]

    def trans_variants(self):
        return [
            (lambda A: 0.0, "the transition term is missing.",
             "Add Σ_ij Ξ_ij log A_ij, with Ξ = xi_sum the expected numbers of jumps i -> j."),
            (lambda A: float(xlogy(self.xi_sum, A.T).sum()), "A is used transposed in the transition term.",
             "xi_sum[i, j] counts jumps i -> j, which have probability A[i, j]: weight log A[i, j] by "
             "xi_sum[i, j], index for index, not by xi_sum[j, i]."),
            (lambda A: float(xlogy(A, self.xi_sum).sum()),
             "xlogy's arguments are swapped in the transition term.",
             "xlogy(x, y) is x·log(y): the weight xi_sum goes first, the probability A second."),
        ]

    def emis_variants(self):
        dt = self.dt
        occ, starts = self.occ, self.starts
        lin_hz = lambda L: float((occ * L.sum(axis=0)).sum())  # noqa: E731
        return [
            (lambda L: 0.0, "the emission (Poisson) term is missing.",
             "Add Σ_k Σ_c [S_ck log(L_ck dt) - O_k L_ck dt]: the Poisson log-probability of every count, "
             "weighted by gamma."),
            (lambda L: self.emis(L, lin=lambda L: 0.0),
             "the -L*dt term of the Poisson log-probability is missing.",
             "Each bin contributes Σ_c [y log(L dt) - L dt - log(y!)], weighted by gamma: subtract "
             "Σ_k O_k Σ_c L_ck dt."),
            (lambda L: self.emis(L, rate_factor=1.0, lin=lin_hz),
             "the emission term forgets dt everywhere: it uses the rates L (Hz) as counts per bin.",
             "The expected count of a bin is L * dt, both inside the log and in the term subtracted: "
             "S_ck log(L_ck dt) - O_k L_ck dt."),
            (lambda L: self.emis(L, lin=lin_hz), "the -L*dt term uses L (Hz) without dt.",
             "The expected count in a bin is L * dt: subtract Σ_k O_k Σ_c L_ck dt."),
            (lambda L: self.emis(L, lin=lambda L: -float((occ * (L * dt).sum(axis=0)).sum())),
             "the sign of the O·L·dt term is flipped: it is added.",
             "The Poisson log-probability y log(L dt) - L dt - log(y!) SUBTRACTS the expected count: "
             "minus Σ_k O_k Σ_c L_ck dt."),
            (lambda L: self.emis(L, spikes=self.spikes_outer),
             "the expected spikes S are a product of sums: every state gets the same share of every "
             "neuron's spikes.",
             "S_ck weighs each count by the posterior of the SAME trial and bin, then sums: Σ_n Σ_t "
             "γ_nt(k) y_ntc, not (total spikes) × (total occupancy) / (number of bins)."),
            (lambda L: float(xlogy(self.spikes.sum(axis=0), (L * dt).sum(axis=0)).sum())
             - float((occ * (L * dt).sum(axis=0)).sum()),
             "the spike term sums over the neurons BEFORE taking the log.",
             "Σ_c Σ_k S_ck log(L_ck dt) has one log per neuron AND state: take xlogy of the (C, K) "
             "arrays, then sum everything."),
            (lambda L: self.emis(L, lin=lambda L: float((L * dt).sum()) * float(occ.sum())),
             "the O·L·dt term is a product of two totals: every state's occupancy multiplies the rates of "
             "ALL states.",
             "Each state's occupancy O_k multiplies the rates of THAT state: Σ_k O_k Σ_c L_ck dt, a sum "
             "over k of products (a (K,) array times the (K,) column sums of L dt)."),
            (lambda L: self.emis(L, lin=lambda L: float((starts * (L * dt).sum(axis=0)).sum())),
             "the O·L·dt term is weighted by N_k (`starts`), the first bin only, not by the occupancy O_k.",
             "Every bin has an expected count, not only the first: the weight is O_k, gamma summed over "
             "trials AND bins."),
        ]


def _perturbed(psi, A, L):
    """Parameters near (psi, A, L) with the same zeros: the probes of the diagnosis."""
    K = psi.size
    w = 1.0 + 0.35 * np.sin(np.arange(1, K + 1) * 1.7)
    psi2 = psi * w / (psi * w).sum()
    W = 1.0 + 0.3 * np.cos(np.arange(K * K).reshape(K, K) * 1.3)
    A2 = A * W / (A * W).sum(axis=1, keepdims=True)
    L2 = L * (1.0 + 0.25 * np.sin(np.arange(L.size).reshape(L.shape) * 0.9 + 0.4))
    return psi2, A2, L2


def _ecll_diagnose(ctx, value, Y, gamma, xi_sum, psi, A, L, dt, ref):
    """Name the mistake behind a wrong ``value``.

    First the wrong totals that are the reference rescaled (mean, sign). Then probes: the student's
    function is called again with only psi changed, only A changed, only L changed; the difference
    of two calls isolates one term, and is compared with the reference's difference (and with the
    usual wrong versions of that term). If every term moves as it should, the error is a constant:
    a call where every count is 0 or 1 (so log y! = 0) tells whether it is the -log y! term.
    """
    n, T, C = Y.shape
    K = gamma.shape[2]
    terms = _Terms(Y, gamma, xi_sum, dt)
    scale = max(abs(value), abs(ref), 1.0)

    def same(a, b):
        return abs(a - b) <= _RTOL * scale + 1e-8

    for cand, head, hint in (
        (ref / n, "you returned the mean over trials.", "Return the total, summed over trials."),
        (ref / (n * T), "you returned the mean over bins.", "Return the total, summed over trials and bins."),
        (-ref, "the sign is flipped.", "Return Q itself, a log-likelihood (negative here), not -Q."),
    ):
        if np.isclose(value, cand, rtol=_RTOL, atol=1e-8):
            raise _Failed(head, hint)

    def q(Y_=Y, psi_=psi, A_=A, L_=L):
        try:
            v = _scalar(ctx.call(Y_, gamma, xi_sum, psi_, A_, L_, dt), "the returned ECLL")
        except _Failed:
            return None
        return v if np.isfinite(v) else None

    psi2, A2, L2 = _perturbed(psi, A, L)
    probes = [
        ("initial-state", "psi", q(psi_=psi2), terms.init(psi2) - terms.init(psi),
         terms.init_variants(), psi, psi2, terms.init(psi)),
        ("transition", "A", q(A_=A2), terms.trans(A2) - terms.trans(A), terms.trans_variants(), A, A2,
         terms.trans(A)),
        ("emission", "L", q(L_=L2), terms.emis(L2) - terms.emis(L), terms.emis_variants(), L, L2,
         terms.emis(L)),
    ]
    off = []  # (term, what, yours, reference, named sub-case (head, hint) or None)
    for term, what, moved, want, variants, old, new, current in probes:
        if moved is None:
            continue
        yours = moved - value
        if same(yours, want):
            continue
        # a variant that moves Q like the student's AND explains the whole value comes first
        # (dt forgotten everywhere and only in the linear term move Q alike when L changes)
        moving = [(f, head, hint) for f, head, hint in variants if same(yours, f(new) - f(old))]
        whole = [v for v in moving if same(value, ref - current + v[0](old))]
        named = (whole or moving or [None])[0]
        off.append((term, what, yours, want, named[1:] if named else None))
    ratios = [o[2] / o[3] for o in off if o[3] != 0]
    if len(off) == 3 and len(ratios) == 3 and np.allclose(ratios, ratios[0], rtol=1e-4):
        raise _Failed(f"every term of your Q is {_f(ratios[0], '.4g')} times the reference's: changing "
                      "psi, A or L alone moves your Q by that factor too.",
                      "Q is a total over trials and bins, in nats: no mean, no rescaling, no sign change.")
    if off:
        by_term = {o[0]: o for o in off}
        init_o, emis_o = by_term.get("initial-state"), by_term.get("emission")
        if (init_o and emis_o and init_o[4] and emis_o[4] and "occupancy of ALL bins" in init_o[4][0]
                and "weighted by N_k" in emis_o[4][0]):
            raise _Failed("`starts` and `occupancy` are swapped: the initial-state term is weighted by the "
                          "occupancy O_k of all bins, the O·L·dt term by N_k (`starts`), the first bin only.",
                          _evidence(init_o) + " " + _evidence(emis_o),
                          "N_k sums the posteriors of the FIRST bin over the trials; O_k sums them over the "
                          "trials AND the bins. log ψ_k is weighted by N_k, the expected count L·dt by O_k.")
        swapped = [o for o in off if o[4] and "arguments are swapped" in o[4][0]]
        if len(swapped) == 2 and len(off) == 2:
            raise _Failed("xlogy's arguments are swapped in the initial-state and transition terms.",
                          _evidence(swapped[0]) + " " + _evidence(swapped[1]),
                          "xlogy(x, y) is x·log(y): the weights (N_k, `starts`, and xi_sum) go first, the "
                          "probabilities (psi and A) second.")
        first = off[0]
        more = [o[0] for o in off[1:]]
        also = (f"The {' and '.join(more)} term{'s are' if len(more) > 1 else ' is'} off too: fix this "
                "one first, then run the check again.") if more else ""
        if first[4] is not None:
            raise _Failed(first[4][0], _evidence(first), first[4][1], also)
        raise _Failed(_evidence(first)[0].lower() + _evidence(first)[1:], _TERM_RULES[first[0]], also)

    # every term moves as it should: the error does not depend on psi, A or L
    diff = value - ref
    if same(diff, terms.logfact):
        raise _Failed("the -log(y!) term is missing.",
                      "The Poisson log-probability is y log(L dt) - L dt - log(y!): keep the log(y!) part "
                      "(the log of y factorial, summed over trials, bins and neurons). The M-step may drop "
                      "it, but Q + H must be comparable with the log-likelihood.")
    if same(diff, 2 * terms.logfact):
        raise _Failed("the log(y!) term is ADDED: its sign is flipped.",
                      "The Poisson log-probability is y log(L dt) - L dt - log(y!): subtract the sum of "
                      "log(y!) over trials, bins and neurons.")
    if same(diff, terms.logfact - K * terms.logfact):
        raise _Failed("the log(y!) term is counted K times.",
                      "log(y!) does not depend on the state: weighted by gamma it enters once per bin "
                      "(sum_k gamma[n, t, k] = 1), not once per state.")
    if same(diff, -np.log(dt) * float(terms.spikes.sum())):
        raise _Failed("you used log(L) instead of log(L * dt).",
                      "The expected count in a bin is L * dt: the Poisson term is y log(L dt) - L dt - log(y!).")
    Y01 = np.minimum(Y, 1)
    moved = q(Y_=Y01)
    if moved is not None:
        want01 = expected_complete_ll(Y01, gamma, xi_sum, psi, A, L, dt)  # log y! = 0 for 0 and 1
        if same(moved, want01):
            raise _Failed(
                f"the -log y! term is off: with counts of 0 and 1 only (where log y! = 0) your Q matches "
                f"the reference, with the real counts it is off by {_f(diff, '.6g')}.",
                "log y! is gammaln(y + 1) (scipy.special), summed over every trial, bin and neuron: each "
                "bin's posteriors sum to 1, so it needs no weights.")
    raise _Failed(f"your ECLL is {_f(value, '.8g')}, the reference gives {_f(ref, '.8g')}: a part that does "
                  "not depend on psi, A or L is off (changing any of them moves your Q as it should).",
                  "The only such part of Q is -Σ log(y!) over trials, bins and neurons; the expected counts "
                  "N, Ξ, O, S multiply logs of parameters. Compare your constant parts with it.")


def _evidence(o):
    """'The transition term is off: changing only A changes your Q by X, the reference by Y.'"""
    term, what, yours, want = o[:4]
    return (f"The {term} term is off: changing only {what} changes your Q by {_f(yours, '.6g')}, "
            f"the reference by {_f(want, '.6g')}.")


_TERM_RULES = {
    "initial-state": ("The initial-state term is Σ_k N_k log ψ_k, with N_k (`starts`) the first bin's "
                      "posteriors summed over the trials (0 log 0 = 0); see Hint 2 below the exercise."),
    "transition": ("The transition term is Σ_ij Ξ_ij log A_ij, with Ξ = xi_sum the expected jumps i -> j "
                   "(0 log 0 = 0); see Hint 2 below the exercise."),
    "emission": ("The emission term is Σ_k Σ_c [S_ck log(L_ck dt) - O_k L_ck dt], with S_ck the expected "
                 "spikes of neuron c in state k and O_k the occupancy; see Hint 2 below the exercise."),
}


def _log_y_minus_one_factorial(ctx, Y, gamma, xi_sum, psi, A, L, dt):
    """-inf from gammaln(Y) (log (y-1)!, infinite at y = 0)? Probe with counts >= 1."""
    if not np.any(Y == 0):
        return False
    Y1 = Y + 1
    try:
        v = _scalar(ctx.call(Y1, gamma, xi_sum, psi, A, L, dt), "the returned ECLL")
    except _Failed:
        return False
    if not np.isfinite(v):
        return False
    want = expected_complete_ll(Y1, gamma, xi_sum, psi, A, L, dt) + float(np.log(Y1).sum())
    return bool(np.isclose(v, want, rtol=_RTOL, atol=1e-8))


def check_ecll(ecll):
    """Check ``ecll(Y, gamma, xi_sum, psi, A, L, dt) -> float``.

    Compares with :func:`helpers.expected_complete_ll` at the parameters the
    posteriors came from, at the M-step's new parameters, on a second case
    with K = 2, and where psi and A have exact zeros (the posteriors then
    give them zero weight, and ``0 * log 0`` must count as 0). Agreement to a
    relative 1e-6 passes (float32 sums are fine). A wrong value is traced
    to its term by calling the function again with only psi, only A, only L
    changed (the difference of two calls isolates one term) and with every
    count 0 or 1 (log y! = 0), each compared with the reference's change.
    Detects: not a single number, NaN, ``np.log`` where ``xlogy`` is needed
    (NaN only in the case with zeros), ``gammaln(y)`` for log y! (-inf), the
    ``log(y!)`` term missing, added or counted K times, the initial-state
    term missing or taken from the last bin, from one trial, from all bins
    or averaged over trials, xlogy's arguments swapped, starts and
    occupancy swapped, the transition or emission term missing, A
    transposed, dt forgotten everywhere, ``log L`` instead of ``log(L dt)``,
    the ``-L dt`` term missing, without dt, with the wrong sign or as a
    product of totals, the expected spikes as a product of sums or summed
    over neurons inside the log, a mean or a rescaled total, a flipped sign,
    and inputs modified in place; any other wrong term is named with the
    two changes it gave.

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
                        "0 weight (N_2 = 0 in `starts`, xi_sum[i, j] = 0). The term 0 * log 0 must count as "
                        "0, its limit: scipy.special.xlogy(weight, probability) returns 0 there.",
                    )
                if value == -np.inf and _log_y_minus_one_factorial(ctx, Y, gamma, xi_sum, psi, A, L, dt):
                    raise _Failed(
                        "your ECLL is -inf: the log y! term is log((y-1)!), infinite for every bin without "
                        "a spike.",
                        "log y! is gammaln(y + 1): gammaln(y) is log((y-1)!), and gammaln(0) is inf. With "
                        "counts of 1 or more your Q is off by exactly Σ log y.",
                    )
                raise _Failed(f"your ECLL is {value}.",
                              "Look for log(0) or 0 * log(0); all parameters in this case are positive.")
            if not np.isclose(value, ref, rtol=_RTOL, atol=1e-8):
                _ecll_diagnose(ctx, value, Y, gamma, xi_sum, psi, A, L, dt, ref)
        ctx.case = ""

    return _run("ecll", ecll, "ecll(Y, gamma, xi_sum, psi, A, L, dt)",
                ("Y", "gamma", "xi_sum", "psi", "A", "L", "dt"), "Q", body,
                "a single number equal to helpers.expected_complete_ll at theta_old, at theta_new, "
                "with K = 2 and with exact zeros in psi and A; inputs left untouched")
