"""Checks of notebook 03, the M-step.

Public: ``check_m_step`` (re-exported by :mod:`helpers.checks`).

The check compares the student's ``(psi, A, L)`` with :func:`helpers.m_step`
and, when they differ, recomputes the update with each mistake students make
(a wrong axis, a wrong denominator, a wrong bin, a forgotten ``dt``, ...):
the first one that reproduces the student's numbers names the mistake. Only
an unrecognised result gets the generic "largest difference" message.
"""

from __future__ import annotations

from itertools import permutations

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

_NAMES = ("psi", "A", "L")


def _m_step_cases():
    """Two data sets with posteriors from an E-step at perturbed parameters."""
    d = tutorial_data(n_trials=4, T=60, seed=4)  # seed 4: the last bins hold spikes
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


def _near(got, want):
    """Equal up to float32 round-off: an answer accumulated in single precision still passes."""
    return _close(got, want, rtol=1e-5)


def _wrong_order(res, K, C):
    """``(psi, A, L)`` returned in another order? Raise _Failed naming the order."""
    shapes = []
    for x in res:
        try:
            arr = np.asarray(x)
        except Exception:  # noqa: BLE001 - anything odd is left to the type checks
            return
        if arr.dtype == object:
            return
        shapes.append(arr.shape)
    want = [(K,), (K, K), (C, K)]
    if shapes == want:
        return
    for perm in permutations(range(3)):
        if perm != (0, 1, 2) and [want[p] for p in perm] == shapes:
            got = ", ".join(_NAMES[p] for p in perm)
            raise _Failed(
                f"the outputs come in the wrong order: their shapes {tuple(shapes)} are those of "
                f"({got}).",
                "End the function with `return psi, A, L`: psi (K,), A (K, K), L (C, K).",
            )


_L_RULE = ("The rate λ_ck is S_ck divided by O_k·dt: the expected spikes over the expected TIME in the "
           "state, in seconds (bins times dt); see Hint 2 below the exercise.")


def _diagnose_psi(gamma, xi_sum, psi, psi_ref):
    n = gamma.shape[0]
    starts = gamma[:, 0].sum(axis=0)
    if not np.isclose(psi.sum(), 1.0, atol=1e-8):
        if _near(psi, starts):
            raise _Failed(
                f"psi sums to {_f(psi.sum())}, the number of trials: these are the expected numbers of "
                "trials that start in each state (N_k, `starts`), not yet a distribution.",
                "ψ_k is N_k divided by the total of N over the states, which is the number of trials (or "
                "average over trials instead of summing).",
            )
        T = gamma.shape[1]
        if _near(psi, starts / T) or _near(psi, starts / (n * T)):
            raise _Failed(f"psi sums to {_f(psi.sum())}, not 1: N_k (`starts`) is divided by the number of "
                          "bins, but only the first bin of each trial counts.",
                          "Divide N_k by its total over the states, which is the number of TRIALS.")
        raise _Failed(f"psi is not normalised: it sums to {_f(psi.sum())}, it should sum to 1.",
                      "ψ_k is N_k divided by the total of N over the states, with N_k (`starts`) the expected "
                      "number of trials that start in state k.")
    if _near(psi, psi_ref):
        return
    if _near(psi, gamma[:, -1].mean(axis=0)):
        raise _Failed("psi comes from the LAST bin of every trial: it should come from the first.",
                      "ψ_k is the expected fraction of trials that START in state k: use the posteriors of "
                      "the first bin, gamma[:, 0] (index 0 on the time axis).")
    if gamma.shape[1] > 1 and _near(psi, gamma[:, 1].mean(axis=0)):
        raise _Failed("psi comes from the SECOND bin of every trial, gamma[:, 1]: Python counts from 0.",
                      "The first bin (t = 1 in the maths) is index 0 on the time axis: gamma[:, 0].")
    if _near(psi, gamma.mean(axis=(0, 1))) or _near(psi, xi_sum.sum(axis=1) / xi_sum.sum()):
        raise _Failed("psi is the average over ALL bins (how much time each state gets), not over "
                      "the first bin.",
                      "Only the first bin of each trial says where the chain starts: N_k (`starts`) sums "
                      "gamma over the trials in the first bin only, gamma[:, 0].")
    if n > 1 and _near(psi, gamma[0, 0]):
        raise _Failed("psi uses only the first trial.",
                      "N_k (`starts`) sums the first-bin posteriors over ALL trials.")
    raise _Failed("psi does not match the reference.", _difference(psi, psi_ref, "psi"),
                  "ψ_k is N_k divided by the total of N, with N_k (`starts`) the sum over trials of gamma "
                  "in the first bin, gamma[:, 0].")


def _diagnose_A_rows(gamma, xi_sum, A, A_ref):
    rows = A.sum(axis=1)
    if np.allclose(rows, 1.0, atol=1e-8):
        return
    dep = xi_sum.sum(axis=1)
    if _near(A, A_ref.T):
        raise _Failed("A is transposed: its columns sum to 1, its rows do not.",
                      "A[i, j] is P(next = j | now = i): row i holds the jumps FROM state i, "
                      "divided by the departures from i. Leave it in that orientation.")
    if np.allclose(A.sum(axis=0), 1.0, atol=1e-8):
        raise _Failed("A is normalised by columns: its columns sum to 1, but every ROW must sum to 1.",
                      "Row i is a distribution over the NEXT state j: divide row i of xi_sum by the "
                      "sum of that row (a sum over j, the last axis).")
    if _near(A, xi_sum / dep[None, :]):
        raise _Failed("A divides column j by the total of ROW j: a (K,) array of row totals is "
                      "broadcast along the rows, so it lines up with the columns.",
                      "Keep the row totals as a column of shape (K, 1) (keepdims=True, or [:, None]), "
                      "so that row i is divided by its own total.")
    if _near(A, xi_sum):
        raise _Failed("A is not normalised: you returned the expected jump counts xi_sum themselves.",
                      "Divide each row of xi_sum by its own total, the expected departures from "
                      "that state.")
    if np.isclose(A.sum(), 1.0) and _near(A, xi_sum / xi_sum.sum()):
        raise _Failed("A is divided by the total of xi_sum: the whole matrix sums to 1, but each "
                      "ROW must.",
                      "Divide each row by its own total (the departures from that state).")
    if _near(A, xi_sum / gamma.sum(axis=(0, 1))[:, None]):
        raise _Failed("the rows of A do not sum to 1: the denominator is the occupancy O, which "
                      "counts the last bin of every trial too.",
                      "Divide by the expected departures from state i, the row sums of xi_sum: the "
                      "last bin has no successor (Think! 1).")
    if _near(A, xi_sum / xi_sum.sum(axis=0)[:, None]):
        raise _Failed("the rows of A are divided by the expected ARRIVALS in each state (the "
                      "column sums of xi_sum).",
                      "Divide row i by the departures FROM state i: the sum of row i.")
    i = int(np.argmax(np.abs(rows - 1)))
    raise _Failed(f"the rows of A must sum to 1; row {i} sums to {_f(rows[i])}.",
                  "A_ij is Ξ_ij divided by the total of row i of xi_sum (a sum over the next state j).")


def _diagnose_A(xi_sum, A, A_ref):
    if _near(A, A_ref):
        return
    if _near(A, xi_sum.T / xi_sum.T.sum(axis=1, keepdims=True)):
        raise _Failed("A is transposed (then normalised by rows): A[i, j] must be the jump from "
                      "i to j, not from j to i.",
                      "xi_sum[i, j] already counts jumps i -> j: normalise its rows as they are.")
    raise _Failed("A does not match the reference.", _difference(A, A_ref, "A"),
                  "A_ij is Ξ_ij divided by the total of row i of xi_sum (a sum over the next state j).")


def _diagnose_L(Y, gamma, xi_sum, dt, L, L_ref):
    n, T, C = Y.shape
    K = gamma.shape[2]
    if _near(L, L_ref):
        return
    Yf = Y.astype(float)
    S = np.einsum("ntc,ntk->ck", Yf, gamma)
    O = gamma.sum(axis=(0, 1))
    dep = xi_sum.sum(axis=1)  # = occupancy of bins 0 .. T-2
    arr = xi_sum.sum(axis=0)  # = occupancy of bins 1 .. T-1
    if _near(L, L_ref * dt):
        raise _Failed("L is in spikes per bin, not Hz: you forgot to divide by dt.", _L_RULE)
    if _near(L, L_ref / dt):
        raise _Failed("L is divided by dt twice.",
                      "One dt turns bins into seconds. " + _L_RULE)
    if _near(L, L_ref * dt * dt):
        raise _Failed("L is multiplied by dt instead of divided by it (S / O * dt means (S / O) * dt: "
                      "brackets?).",
                      "The whole product O_k·dt is the denominator. " + _L_RULE)
    if n > 1 and _near(L, L_ref / n):
        raise _Failed(f"L is {n} times too small, the number of trials: the expected spikes S are "
                      "averaged over the trials, but the time O is summed over them.",
                      "Sum S over the trials too (like O): spikes and time must cover the same bins.")
    if _near(L, S / (dep * dt)):
        raise _Failed("L divides the expected spikes by the expected DEPARTURES (the row sums of "
                      "xi_sum, i.e. the occupancy of bins 0 .. T-2), not by the occupancy O.",
                      "Departures leave out the last bin of every trial, but the spikes S count it: "
                      "the time in state k is gamma summed over ALL bins (Think! 1).")
    if _near(L, S / (arr * dt)):
        raise _Failed("L divides by the expected ARRIVALS (the column sums of xi_sum, bins 1 .. T-1), "
                      "not by the occupancy O.",
                      "The time in state k is gamma summed over ALL bins, the first one included.")
    if T > 1:
        S_short = np.einsum("ntc,ntk->ck", Yf[:, :-1], gamma[:, :-1])
        if _near(L, S_short / (dep * dt)):
            raise _Failed("L leaves out the last bin of every trial (in the spikes and in the time).",
                          "Every bin, the last one included, has spikes and a posterior: sum S and O "
                          "over all T bins.")
        shifted = (np.einsum("ntc,ntk->ck", Yf[:, 1:], gamma[:, :-1]),
                   np.einsum("ntc,ntk->ck", Yf[:, :-1], gamma[:, 1:]))
        if any(_near(L, P / (O * dt)) for P in shifted):
            raise _Failed("the expected spikes S pair the counts of bin t with the posteriors of bin t ± 1: "
                          "off by one bin.",
                          "Weigh each bin's counts by the posterior of the SAME bin: S_ck sums γ_ntk y_ntc "
                          "over trials n and bins t, with one t for both.")
    if _near(L, S / (n * T * dt)):
        raise _Failed("L is normalised by the total number of bins instead of the time spent in "
                      "each state.",
                      "Divide the expected spikes of state k by O_k dt, the expected time in state k.")
    if _near(L, S / dt) or _near(L, S):
        raise _Failed("L is not normalised: you returned the expected spike counts S.",
                      "Divide by the expected time in each state, O_k dt (seconds).")
    if _near(L, np.broadcast_to(Yf.mean(axis=(0, 1))[:, None] / dt, L.shape)):
        raise _Failed("L is the same in every state: it ignores gamma.",
                      "Weight every bin's count by the posterior of the state: S_ck sums "
                      "gamma[n, t, k] y[n, t, c] over trials and bins.")
    products = (
        np.einsum("ntc,nsk->ck", Yf, gamma),  # the bin index not shared
        np.einsum("ntc,mtk->ck", Yf, gamma),  # the trial index not shared
        np.einsum("ntc,msk->ck", Yf, gamma),  # neither
    )
    if any(_near(L, P / (O * dt)) for P in products):
        raise _Failed("the expected spikes S pair counts and posteriors of DIFFERENT bins or trials: "
                      "they are products of separate sums.",
                      "Multiply each count by the posterior of the same trial n and the same bin t, "
                      "then sum: in np.einsum, Y and gamma share both letters (n and t).")
    scrambled = (
        Yf.reshape(C, -1) @ gamma.reshape(-1, K),
        Yf.reshape(-1, C).T @ gamma.reshape(K, -1).T,
        Yf.reshape(C, -1) @ gamma.reshape(K, -1).T,
    )
    if any(_near(L, P / (O * dt)) for P in scrambled):
        raise _Failed("the expected spikes S pair each count with the posterior of another bin: a "
                      "reshape scrambled the order.",
                      "reshape keeps the memory order: Y.reshape(C, -1) does NOT put one neuron per "
                      "row. Merge trials and bins into one axis with reshape(-1, C), then transpose.")
    best = gamma.argmax(axis=2)
    hard = np.zeros((C, K))
    for k in range(K):
        sel = best == k
        if sel.any():
            hard[:, k] = Yf[sel].mean(axis=0) / dt
    if _near(L, hard):
        raise _Failed("L counts every bin only for its most probable state (a hard assignment).",
                      "The M-step weights every bin by its posterior gamma[n, t, k] in every state: "
                      "soft counts, S_ck and O_k.")
    if np.allclose(L.sum(axis=0), 1.0) or np.allclose(L.sum(axis=1), 1.0):
        raise _Failed("L is normalised like probabilities (its rows or columns sum to 1); firing "
                      "rates in Hz are not.",
                      "Every rate on its own, in spikes per second. " + _L_RULE)
    raise _Failed("L does not match the reference.", _difference(L, L_ref, "L"),
                  "S_ck sums γ_ntk y_ntc over trials and bins, O_k sums γ_ntk over trials and bins. "
                  + _L_RULE)


def check_m_step(m_step):
    """Check ``m_step(Y, gamma, xi_sum, dt) -> (psi, A, L)``.

    Compares with :func:`helpers.m_step` on two data sets (C = 5 neurons,
    K = 3 and 2 states) whose posteriors come from an E-step at perturbed
    parameters; agreement to float32 round-off passes. Names: None, the wrong
    number of outputs or their wrong order, wrong shapes (L transposed), NaN;
    psi summed over trials (N_k, ``starts``, not normalised) or divided by the
    number of bins, from the last bin, the second bin (``gamma[:, 1]``), all
    bins or one trial; A transposed, normalised by columns, by the total, by
    a (K,) row total broadcast along rows (no keepdims), by the occupancy or
    the arrivals, or not at all; L in counts per bin (no ``/ dt``), with dt
    twice or multiplied, divided by the departures (the occupancy of bins
    0 .. T-2) or the arrivals, without the last bin, by the total number of
    bins, not normalised, ignoring gamma, spikes averaged over trials, with
    counts and posteriors of different bins (wrong einsum letters, one bin
    apart, a scrambling reshape), from hard
    assignments, or normalised like probabilities; and inputs modified in
    place.

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
            psi_ref, A_ref, L_ref = _ref_m_step(Y, gamma, xi_sum, dt)
            if i == 0:
                ctx.step("returns psi (K,), A (K, K), L (C, K)")
            else:
                ctx.step("a second data set with K = 2 states")
            res = _result_tuple(ctx.call(Y, gamma, xi_sum, dt), 3, "psi, A, L")
            _wrong_order(res, K, C)
            with _order_hint("psi, A, L"):
                psi = _float_array(res[0], "psi")
                A = _float_array(res[1], "A")
                L = _float_array(res[2], "L")
                _expect_shape(psi, (K,), "psi", ("K",))
                _expect_shape(A, (K, K), "A", ("K", "K"))
            if L.shape == (K, C):
                raise _Failed(
                    f"L is transposed: shape {L.shape} = (K, C), expected ({C}, {K}) = (C, K).",
                    "L[c, k] is the rate of neuron c in state k: rows are neurons, columns states. "
                    "Check the order of the letters (or of the matrix product) that gives S.",
                )
            _expect_shape(L, (C, K), "L", ("C", "K"))
            for arr, what in ((psi, "psi"), (A, "A"), (L, "L")):
                _expect_finite(arr, what)
            if i == 0:
                ctx.step("psi and every row of A sum to 1")
                ctx.step("psi matches helpers.m_step")
                ctx.step("A matches helpers.m_step")
                ctx.step("L matches helpers.m_step (Hz)")
            _diagnose_psi(gamma, xi_sum, psi, psi_ref)
            _diagnose_A_rows(gamma, xi_sum, A, A_ref)
            _diagnose_A(xi_sum, A, A_ref)
            _diagnose_L(Y, gamma, xi_sum, dt, L, L_ref)
        ctx.case = ""

    return _run("m_step", m_step, "m_step(Y, gamma, xi_sum, dt)", ("Y", "gamma", "xi_sum", "dt"),
                "psi, A, L", body,
                "shapes, normalisation of psi and of the rows of A, psi, A and L (Hz) equal "
                "helpers.m_step on two data sets (K = 3 and K = 2), inputs left untouched")
