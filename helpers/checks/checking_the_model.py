"""Checks of notebook 06, checking the model: Viterbi decoding and held-out log-likelihood.

Public: ``reference_viterbi``, ``check_viterbi``, ``reference_heldout_ll``,
``check_heldout_ll`` (re-exported by :mod:`helpers.checks`).
"""

from __future__ import annotations

import itertools

import numpy as np

from ..inference import log_likelihood, viterbi as _helpers_viterbi
from ..learning import fit_em
from ..model import log_factorial
from ..tutorial_data import tutorial_data
from ._core import (
    _Failed,
    _out_of_bounds,
    _cached,
    _run,
    _fit,
    _f,
    _num_array,
    _scalar,
    _result_tuple,
)

__all__ = ["reference_viterbi", "check_viterbi", "reference_heldout_ll", "check_heldout_ll"]


# ------------------------------------------------------------------------------------
# Viterbi
# ------------------------------------------------------------------------------------


def _logs(psi, A):
    with np.errstate(divide="ignore"):
        return np.log(psi), np.log(A)


def reference_viterbi(log_obs, psi, A):
    """Reference for notebook 06's ``viterbi`` exercise: the most probable path, in log space.

    .. math::

        \\delta_1(j) = \\log\\psi_j + \\log o_1(j), \\qquad
        \\delta_t(j) = \\log o_t(j) + \\max_i \\big[\\delta_{t-1}(i) + \\log A_{ij}\\big]

    with back-pointers ``argmax_i``; the path ends in ``argmax_j delta_T(j)`` and
    is read backwards through the pointers.

    Parameters
    ----------
    log_obs : array_like, shape (n_trials, T, K)
        Log emission probabilities ``log p(y[n, t] | x[n, t] = k)`` in nats (a
        constant per bin, such as ``-log y!``, may be left out: it does not
        change the path).
    psi : array_like, shape (K,)
        Initial state distribution (zeros allowed).
    A : array_like, shape (K, K)
        Transition matrix, ``A[i, j] = P(x[t+1] = j | x[t] = i)`` (zeros allowed).

    Returns
    -------
    path : ndarray of int64, shape (n_trials, T)
        ``argmax_x p(x | y)`` of every trial; ties go to the lower state.
    """
    log_obs = np.asarray(log_obs, dtype=float)
    psi = np.asarray(psi, dtype=float)
    A = np.asarray(A, dtype=float)
    if log_obs.ndim != 3:
        raise ValueError(f"log_obs must have shape (n_trials, T, K), got {log_obs.shape}")
    n, T, K = log_obs.shape
    if psi.shape != (K,) or A.shape != (K, K):
        raise ValueError(f"psi must have shape ({K},) and A ({K}, {K}) to match log_obs's K = {K}, "
                         f"got {psi.shape} and {A.shape}")
    log_psi, log_A = _logs(psi, A)
    back = np.zeros((n, T, K), dtype=np.intp)
    delta = log_psi + log_obs[:, 0]
    for t in range(1, T):
        scores = delta[:, :, None] + log_A  # (n, from i, to j)
        back[:, t] = scores.argmax(axis=1)
        delta = scores.max(axis=1) + log_obs[:, t]
    path = np.zeros((n, T), dtype=np.int64)
    path[:, -1] = delta.argmax(axis=1)
    rows = np.arange(n)
    for t in range(T - 1, 0, -1):
        path[:, t - 1] = back[rows, t, path[:, t]]
    return path


def _brute_force_paths(log_obs, psi, A):
    """Best path of every trial by enumerating all K**T paths; also its margin over the runner-up."""
    n, T, K = log_obs.shape
    paths = np.array(list(itertools.product(range(K), repeat=T)), dtype=np.int64)  # (K**T, T)
    log_psi, log_A = _logs(psi, A)
    best = np.zeros((n, T), dtype=np.int64)
    margin = np.zeros(n)
    for i in range(n):
        lj = log_psi[paths[:, 0]] + log_obs[i][np.arange(T), paths].sum(axis=1)
        if T > 1:
            lj = lj + log_A[paths[:, :-1], paths[:, 1:]].sum(axis=1)
        order = np.argsort(-lj, kind="stable")
        best[i] = paths[order[0]]
        margin[i] = lj[order[0]] - lj[order[1]]
    return best, margin


def _path_log_joint(path, log_obs, psi, A):
    """``log p(x, y)`` (up to the per-bin constants of log_obs) of one path per trial, shape (n,)."""
    n, T, K = log_obs.shape
    log_psi, log_A = _logs(psi, A)
    rows = np.arange(n)[:, None]
    lj = log_psi[path[:, 0]] + log_obs[rows, np.arange(T)[None, :], path].sum(axis=1)
    if T > 1:
        lj = lj + log_A[path[:, :-1], path[:, 1:]].sum(axis=1)
    return lj


def _poisson_log_obs(Y, L, dt):
    """``sum_c log Poisson(Y[n, t, c]; L[c, k] dt)``, shape (n, T, K), with the log(y!) term."""
    rate = L * dt
    return Y @ np.log(rate) - rate.sum(axis=0) - log_factorial(Y).sum(axis=2, keepdims=True)


def _viterbi_cases():
    """Four cases: two small enough for brute force, one larger and one long (underflow)."""
    def model(seed, K, C, n, T, dt, rate_hi, psi=None, A=None):
        rng = np.random.default_rng(seed)
        if psi is None:
            psi = rng.dirichlet(np.ones(K))
        if A is None:
            A = rng.dirichlet(np.ones(K), size=K)
        L = rng.uniform(0.2, rate_hi, size=(C, K)) / dt
        Y = rng.poisson(rng.uniform(0.0, rate_hi, size=(n, T, C)))
        return Y, psi, A, L, dt

    out = []
    # 1: brute force, K = 3 (seed chosen so that every named mistake gives its own, wrong, path)
    rng = np.random.default_rng(2)
    psi = rng.dirichlet(np.full(3, 2.0))
    A = rng.dirichlet(np.full(3, 2.0), size=3)
    L = rng.uniform(0.2, 2.0, size=(3, 3)) / 0.1
    Y = rng.poisson(rng.uniform(0.0, 2.0, size=(6, 6, 3)))
    lo = _poisson_log_obs(Y, L, 0.1)
    out.append(("the most probable path, checked against all 3**6 paths", lo, psi, A,
                _brute_force_paths(lo, psi, A)[0],
                "6 trials of T = 6 bins, K = 3 states (every one of the 729 paths compared)"))
    # 2: brute force, K = 3 with exact zeros in psi and A
    psi3 = np.array([0.5, 0.5, 0.0])
    A3 = np.array([[0.6, 0.4, 0.0], [0.1, 0.5, 0.4], [0.3, 0.0, 0.7]])
    Y, _, _, L, dt = model(62, 3, 3, 4, 6, 0.1, 3.0, psi=psi3, A=A3)
    lo = _poisson_log_obs(Y, L, dt)
    out.append(("zeros in psi and A (log 0 = -inf), against all 3**6 paths", lo, psi3, A3,
                _brute_force_paths(lo, psi3, A3)[0],
                "4 trials of T = 6 bins, K = 3, psi = [0.5, 0.5, 0], A with three zeros (all 729 paths compared)"))
    # 3: larger, against helpers.viterbi
    psi4 = np.array([0.2, 0.5, 0.3])
    A4 = np.array([[0.95, 0.04, 0.01], [0.02, 0.9, 0.08], [0.05, 0.05, 0.9]])
    Y, _, _, L, dt = model(63, 3, 4, 20, 300, 0.01, 1.0, psi=psi4, A=A4)
    out.append(("20 trials of 300 bins, against helpers.viterbi", _poisson_log_obs(Y, L, dt), psi4, A4,
                _helpers_viterbi(Y, psi4, A4, L, dt),
                "20 trials of T = 300 bins, K = 3, C = 4 neurons"))
    # 4: long, where products of probabilities underflow
    Y, _, _, L, dt = model(64, 3, 4, 2, 2000, 0.01, 2.0, psi=psi4, A=A4)
    out.append((LONG_CASE, _poisson_log_obs(Y, L, dt), psi4, A4, _helpers_viterbi(Y, psi4, A4, L, dt),
                "2 trials of T = 2000 bins, K = 3, C = 4 neurons (p(x, y) of a path is about 1e-7000)"))
    return out


LONG_CASE = "a long recording (T = 2000): no underflow"


# --- the usual wrong versions, to name the mistake ------------------------------------


def _variant(log_obs, psi, A, *, log_A_used=None, log_psi_used=None, first_emission=True,
             wrong_axis_argmax=False, wrong_axis_both=False, prev_emission=False, reduce="max",
             last_from_emission=False, pointers="own", backtrack="right", expand_next=False,
             emission=True, greedy=False):
    """A Viterbi with one deliberate mistake (the default arguments give the right answer)."""
    n, T, K = log_obs.shape
    log_psi, log_A = _logs(psi, A)
    if log_A_used is not None:
        log_A = log_A_used
    if log_psi_used is not None:
        log_psi = log_psi_used
    back = np.zeros((n, T, K), dtype=np.intp)
    delta = log_psi + (log_obs[:, 0] if first_emission else np.zeros((n, K)))
    greedy_path = np.zeros((n, T), dtype=np.int64)
    greedy_path[:, 0] = delta.argmax(axis=1)
    with np.errstate(all="ignore"):
        for t in range(1, T):
            scores = (delta[:, None, :] if expand_next else delta[:, :, None]) + log_A
            if wrong_axis_both:
                back[:, t] = scores.argmax(axis=2)
                best = scores.max(axis=2)
            else:
                back[:, t] = scores.argmax(axis=2 if wrong_axis_argmax else 1)
                if reduce == "max":
                    best = scores.max(axis=1)
                else:  # log-sum-exp: the forward pass in log space
                    m = scores.max(axis=1, keepdims=True)
                    m = np.where(np.isfinite(m), m, 0.0)
                    best = np.log(np.exp(scores - m).sum(axis=1)) + m[:, 0]
            delta = best + (log_obs[:, t - 1 if prev_emission else t] if emission else 0.0)
            greedy_path[:, t] = delta.argmax(axis=1)
    if greedy:
        return greedy_path
    path = np.zeros((n, T), dtype=np.int64)
    path[:, -1] = (log_obs[:, -1] if last_from_emission else delta).argmax(axis=1)
    rows = np.arange(n) if pointers == "own" else np.zeros(n, dtype=np.intp)
    if backtrack == "forward":  # follows the pointers forwards in time from a path of zeros
        path = np.zeros((n, T), dtype=np.int64)
        for t in range(1, T):
            path[:, t] = back[rows, t, path[:, t - 1]]
        return path
    for t in range(T - 1, 0, -1):
        if backtrack == "stops_early" and t == 1:
            break
        src = t - 1 if backtrack == "off_by_one" else t
        path[:, t - 1] = back[rows, src, path[:, t]]
    return path


def _probability_space(log_obs, psi, A):
    """Viterbi with products of probabilities and no rescaling: underflows on long trials."""
    n, T, K = log_obs.shape
    obs = np.exp(log_obs)
    back = np.zeros((n, T, K), dtype=np.intp)
    with np.errstate(all="ignore"):
        delta = psi * obs[:, 0]
        for t in range(1, T):
            scores = delta[:, :, None] * A
            back[:, t] = scores.argmax(axis=1)
            delta = scores.max(axis=1) * obs[:, t]
    path = np.zeros((n, T), dtype=np.int64)
    path[:, -1] = delta.argmax(axis=1)
    for t in range(T - 1, 0, -1):
        path[:, t - 1] = back[np.arange(n), t, path[:, t]]
    return path


def _posterior_argmax(log_obs, psi, A, smoothed):
    """Bin-wise argmax of the filtered (forward) or smoothed posteriors."""
    n, T, K = log_obs.shape
    with np.errstate(all="ignore"):
        shift = log_obs.max(axis=2, keepdims=True)
        obs = np.exp(log_obs - np.where(np.isfinite(shift), shift, 0.0))
        alpha = np.zeros((n, T, K))
        a = psi * obs[:, 0]
        alpha[:, 0] = a / a.sum(axis=1, keepdims=True)
        for t in range(1, T):
            a = (alpha[:, t - 1] @ A) * obs[:, t]
            alpha[:, t] = a / a.sum(axis=1, keepdims=True)
        if not smoothed:
            return alpha.argmax(axis=2)
        beta = np.ones((n, T, K))
        for t in range(T - 2, -1, -1):
            b = (obs[:, t + 1] * beta[:, t + 1]) @ A.T
            beta[:, t] = b / b.sum(axis=1, keepdims=True)
        return (alpha * beta).argmax(axis=2)


_SUM_NOT_MAX = ("sum over the previous states instead of max",
                "That is the forward pass (notebook 02): it finds the most probable state of each bin, not the "
                "most probable PATH. Viterbi keeps only the best predecessor: "
                "delta_t(j) = log o_t(j) + max_i [delta_{t-1}(i) + log A_ij], a max where the forward pass sums.")


def _variant_messages(log_obs, psi, A):
    """(path, headline, hint) of every named mistake on one case."""
    log_psi, log_A = _logs(psi, A)
    K = psi.size
    v = lambda **kw: _variant(log_obs, psi, A, **kw)  # noqa: E731
    return [
        (v(reduce="logsumexp"),
         "your delta adds up (log-sum-exp) the previous states: a " + _SUM_NOT_MAX[0] + ".",
         _SUM_NOT_MAX[1]),
        (_posterior_argmax(log_obs, psi, A, smoothed=False),
         "your path is the bin-by-bin argmax of the FILTERED probabilities: a " + _SUM_NOT_MAX[0] + ".",
         _SUM_NOT_MAX[1]),
        (_posterior_argmax(log_obs, psi, A, smoothed=True),
         "your path is the bin-by-bin argmax of the posterior gamma: a " + _SUM_NOT_MAX[0] + ".",
         _SUM_NOT_MAX[1]),
        (v(log_A_used=log_A.T), "A is used transposed.",
         "A[i, j] is the probability of going FROM i TO j: to reach state j from state i add log A[i, j] "
         "(delta[:, i] + log_A[i, j]), not log A[j, i]."),
        (v(log_psi_used=np.zeros(K)), "psi is missing from the first bin.",
         "delta_1(j) = log psi_j + log o_1(j): the path must also be likely to START where it starts."),
        (v(first_emission=False), "the emission of the first bin is missing.",
         "delta_1(j) = log psi_j + log o_1(j): bin 0's spikes count too, like every other bin's."),
        (v(prev_emission=True), "delta of bin t uses the emission of bin t-1.",
         "delta_t(j) = log o_t(j) + max_i [...]: add this bin's log_obs[:, t], not log_obs[:, t - 1]."),
        (v(expand_next=True), "delta is expanded on the wrong axis: your scores add δ of the NEXT state j "
         "to log A_ij.",
         "scores[n, i, j] must be δ_{t-1}(i) + log A_ij: the previous state i is axis 1, so delta gets its new "
         "axis LAST, shape (n_trials, K, 1). With the new axis in the middle, (n_trials, 1, K), delta lines "
         "up with j, and the max over i no longer looks at delta."),
        (v(emission=False), "delta leaves out the emissions of bins 1 .. T-1.",
         "δ_t(j) = log o_t(j) + max_i [δ_{t-1}(i) + log A_ij]: after the max over i, add bin t's log emission "
         "for every state j."),
        (v(greedy=True), "your path is the argmax of delta bin by bin: there is no backtracking.",
         "δ_t(j) is the score of the best path ENDING in j at bin t, but the best path overall may reach "
         "another state of bin t. Store the argmax over i as back-pointers, then read the path backwards "
         "from the best state of the last bin."),
        (v(backtrack="forward"), "you follow the back-pointers forwards in time.",
         "back[:, t, j] says which state PRECEDES state j at bin t: start from the best state of the last bin "
         "and fill bin t - 1 from bin t, going down to bin 0."),
        (v(wrong_axis_argmax=True), "the back-pointers take the argmax over the wrong axis.",
         "scores[n, i, j] = delta[n, i] + log A[i, j] (from i to j): the best PREVIOUS state is the argmax "
         "over i, axis=1, giving one pointer per next state j."),
        (v(wrong_axis_both=True), "max and argmax are taken over the wrong axis (the next state, not the previous).",
         "scores[n, i, j] = delta[n, i] + log A[i, j]: for every next state j, maximise over the previous "
         "state i, i.e. axis=1 of the (n_trials, K, K) array."),
        (v(last_from_emission=True), "the last state of the path is the argmax of the last emission only.",
         "The path ends in the state with the best δ_T(j), the argmax over the states of delta after the loop. "
         "delta carries the whole history; log_obs[:, -1] is one bin."),
        (v(backtrack="off_by_one"), "backtracking is off by one bin.",
         "back[:, t, j] is the best state of bin t - 1 before state j in bin t: fill bin t - 1 with the "
         "pointers stored at bin t, not at bin t - 1."),
        (v(pointers="trial0"), "every trial is backtracked with the pointers of trial 0.",
         "Index the back-pointers per trial: an array of trial numbers on the trial axis, next to the "
         "states of bin t, pairs each trial with its own state; back[0, t, ...] uses trial 0's for all."),
    ] + [
        (cand, "the transitions are ignored: your path is the best state of every bin on its own.",
         "Add log A[i, j] to delta[:, i] before maximising over i: the path must be likely as a whole "
         "(log psi + sum log A + sum log o), not bin by bin.")
        for cand in (v(log_A_used=np.zeros((K, K)), log_psi_used=np.zeros(K)), v(log_A_used=np.zeros((K, K))))
    ]


def _diagnose_path(path, ref, log_obs, psi, A, call=None):
    n, T, K = log_obs.shape
    lj = _path_log_joint(path, log_obs, psi, A)
    lj_ref = _path_log_joint(ref, log_obs, psi, A)
    underflows = lj_ref.min() < -700.0  # exp() of that is below the smallest normal float
    if n == T and np.array_equal(path.T, ref):
        raise _Failed(f"path is transposed: (T, n_trials) instead of (n_trials, T) (both are {n} here).",
                      "Index it path[trial, t]; build it with np.zeros((n_trials, T), dtype=int).")
    if np.array_equal(path[:, ::-1], ref):
        raise _Failed("your path is reversed in time.",
                      "Backtracking runs from the last bin to the first: write path[:, t - 1] inside "
                      "`for t in range(T - 1, 0, -1)`, instead of appending and forgetting to reverse.")
    if underflows and np.array_equal(path, _probability_space(log_obs, psi, A)):
        raise _Failed(f"products of probabilities underflow on this case (T = {T}).",
                      f"Your path is right on short trials, but p(x, y) of the best path here is about "
                      f"1e{lj_ref.max() / np.log(10):.0f}, far below the smallest float (1e-308): every delta "
                      "becomes 0 and argmax picks state 0. Work with logs: add log-probabilities instead of "
                      "multiplying probabilities.")
    if (np.array_equal(path[:, 1:], ref[:, 1:]) and not path[:, 0].any()) or (
            T > 2 and np.array_equal(path, _variant(log_obs, psi, A, backtrack="stops_early"))):
        raise _Failed("the first bin (t = 0) of the path is never filled.",
                      "The backtracking loop must run down to t = 1 included: the pointers stored at bin 1 "
                      "fill bin 0. range stops BEFORE its second argument.")
    for cand, head, hint in _variant_messages(log_obs, psi, A):
        if np.array_equal(path, cand):
            if "expanded on the wrong axis" in head and n > 1 and np.all(path == path[:1]):
                # on this case it also looks like "one path for every trial": a second case decides
                if not _confirm_expand_next(call, log_obs, psi, A):
                    continue
            raise _Failed(head, hint)
    if np.array_equal(path[:, 1:], ref[:, 1:]):
        raise _Failed("only the first bin (t = 0) of the path is wrong.",
                      "δ of the first bin is log ψ_j + log o(j), and bin 0 of the path comes from the pointers "
                      "stored at bin 1 (the last pass of the backtracking loop, t = 1).")
    if np.array_equal(path[:, :-1], ref[:, :-1]):
        raise _Failed("only the last bin of the path is wrong.",
                      "The path ends in argmax_j δ_T(j): the argmax over the STATES (one per trial) of delta "
                      "after the forward loop.")
    if n > 1 and np.all(path == path[:1]) and not np.all(ref == ref[:1]):
        raise _Failed("every trial got the same path.",
                      "Each trial has its own delta and back-pointers: keep the trial axis everywhere, "
                      "delta (n_trials, K), back (n_trials, T, K), and maximise over the state axis only.")
    bad = int(np.flatnonzero(np.any(path != ref, axis=1))[0])
    if not np.isfinite(lj[bad]):
        raise _Failed(f"your path of trial {bad} is impossible: it starts in a state with psi = 0 or uses "
                      "a transition with A[i, j] = 0.",
                      "With log 0 = -inf such a path scores -inf and max never picks it, unless log psi or "
                      "log A were replaced by something finite, or a wrong index picks the entry.")
    if underflows:
        raise _Failed(f"your path is not the most probable one on this long case (T = {T}).",
                      f"Long paths have tiny probabilities (here about 1e{lj_ref.max() / np.log(10):.0f}): if you "
                      "multiply probabilities they underflow to 0. Add log-probabilities instead.",
                      f"Trial {bad}: log p(x, y) of your path {_f(lj[bad], '.6g')}, of the best path "
                      f"{_f(lj_ref[bad], '.6g')}.")
    raise _Failed(f"your path of trial {bad} is not the most probable one: log p(x, y) = {_f(lj[bad], '.6g')}, "
                  f"the best path has {_f(lj_ref[bad], '.6g')}.",
                  "δ_1(j) = log ψ_j + log o_1(j); δ_t(j) = log o_t(j) + max_i [δ_{t-1}(i) + log A_ij], "
                  "back_t(j) = the argmax i; end in argmax_j δ_T(j) and follow the pointers back. See Hint 2 "
                  "below the exercise.",
                  f"First difference: bin {int(np.flatnonzero(path[bad] != ref[bad])[0])}.")


def _confirm_expand_next(call, log_obs, psi, A):
    """Does the student's path also match delta[:, None, :] where every trial ends elsewhere?"""
    if call is None:
        return False
    n, T, K = log_obs.shape
    probe = log_obs.copy()
    probe[np.arange(n), -1, np.arange(n) % K] += 50.0  # trial n must end in state n % K
    try:
        got = call(probe)
    except _Failed:
        return False
    return bool(np.array_equal(got, _variant(probe, psi, A, expand_next=True)))


def _viterbi_explain(n, T, K):
    """``ctx.explain`` of viterbi: the index errors its traps cause."""
    def explain(exc):
        oob = _out_of_bounds(exc)
        if oob is not None and oob[2] == K and oob[2] != T:
            index = oob[0]
            if index < 0:
                return ["A negative number was used as a state: do your back-pointers hold scores (the max, "
                        "a log-probability) instead of states (the argmax over the previous state i)?"]
            if index >= K:
                return [f"A state {index} >= K = {K} was used as an index: an argmax without axis= returns an "
                        "index into the flattened (n_trials, K) array, not one state per trial. Give argmax "
                        "the axis of the states (axis=1)."]
        msg = str(exc)
        if isinstance(exc, ValueError) and f"from shape ({n},{n}) into shape ({n},)" in msg:
            return [f"Indexing back with ':' on the trial axis and the (n_trials,) states pairs EVERY trial with "
                    f"every trial's state: an ({n}, {n}) array. Put an array of trial numbers (np.arange) on the "
                    "trial axis, so that each trial meets its own state."]
        return []
    return explain


def _as_path(res, n, T, K):
    """The student's result as an integer (n, T) array, or a _Failed naming what it is instead."""
    if isinstance(res, tuple):
        raise _Failed(f"your function returned a tuple of {len(res)} things; return only the path.",
                      "End it with `return path`, the (n_trials, T) array of states.")
    arr = _num_array(res, "path")
    if arr.shape == (n, T):
        pass
    elif arr.shape == (n, K) and arr.dtype.kind == "f":
        raise _Failed(f"you returned an (n_trials, K) = {arr.shape} array of scores: delta of the last bin, "
                      "not the path.",
                      "delta only says how good the best path into each state is. Backtrack: start from "
                      "the best state of the last bin and follow the back-pointers to bin 0.")
    elif arr.shape == (n, T, K):
        raise _Failed(f"you returned an (n_trials, T, K) = {arr.shape} array (delta, or the back-pointers, of "
                      "every bin), not the path.",
                      "The path holds ONE state per trial and bin: shape (n_trials, T). Backtrack through "
                      "the pointers from the best last state.")
    elif arr.shape == (T, n):
        raise _Failed(f"path is transposed: shape {arr.shape} = (T, n_trials), expected (n_trials, T) = {(n, T)}.",
                      "Index it path[trial, t]; build it with np.zeros((n_trials, T), dtype=int).")
    elif arr.shape == (T,):
        raise _Failed(f"you returned one path of shape {arr.shape}: one trial only.",
                      f"Return the paths of ALL {n} trials at once, shape (n_trials, T): keep the trial axis "
                      "in delta, back and path.")
    else:
        raise _Failed(f"path has shape {arr.shape}, expected (n_trials, T) = {(n, T)}.",
                      "One state per trial and bin.")
    if arr.dtype.kind == "b":
        raise _Failed("path holds booleans; it should hold state indices 0 .. K-1.")
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or not np.array_equal(arr, np.round(arr)):
            raise _Failed("path holds non-integer numbers; it should hold state indices 0 .. K-1.",
                          "Did you return delta or probabilities? The path comes from argmax and back-pointers.")
        raise _Failed(f"path holds floats (dtype {arr.dtype}); states are integers.",
                      "Allocate it with np.zeros((n_trials, T), dtype=int), or return path.astype(int).")
    return arr.astype(np.int64)


def check_viterbi(viterbi):
    """Check ``viterbi(log_obs, psi, A) -> path`` (notebook 06).

    Four cases: the best path among all K**T paths (brute force) for K = 3,
    T = 6, without and with exact zeros in psi and A; 20 trials of
    300 bins and 2 trials of 2000 bins (where products of probabilities
    underflow), against :func:`helpers.viterbi`. Names: a tuple, delta or
    back-pointers instead of the path, a transposed or one-trial path,
    floats, 1-based states, states out of range (argmax over the flattened
    batch), a reversed path, sum instead of max (filtered or posterior
    argmax, log-sum-exp), A transposed, psi or the first emission missing,
    the previous bin's emission, the emissions left out after bin 0, delta
    expanded on the wrong axis, argmax (or max and argmax) over the wrong
    axis, the last state from the last emission only, a greedy path (no
    backtracking), backtracking forwards or off by one, trial 0's pointers
    for every trial, back-pointers holding scores or a flattened argmax (an
    IndexError), the trial axis not indexed while backtracking (a
    ValueError), transitions ignored, the first or last bin alone wrong, one
    path for all trials, an impossible path, underflow of probabilities, and
    inputs modified in place.

    Returns
    -------
    bool
        True if every check passed.
    """

    def body(ctx):
        for label, log_obs, psi, A, ref, desc in _cached(("viterbi cases",), _viterbi_cases):
            ctx.step(label)
            ctx.explain = _viterbi_explain(*log_obs.shape)
            ctx.case = desc
            n, T, K = log_obs.shape
            ctx.shapes = f"log_obs ({n}, {T}, {K}) = (n_trials, T, K), psi ({K},), A ({K}, {K})"
            path = _as_path(ctx.call(log_obs, psi, A), n, T, K)
            if path.min() < 0 or path.max() >= K:
                if path.min() >= 1 and np.array_equal(path - 1, ref):
                    raise _Failed(f"your states run from 1 to {K}: Python counts from 0.",
                                  f"States are 0 .. K-1 = 0 .. {K - 1}, the indices of delta's columns: "
                                  "do not add 1.")
                raise _Failed(f"path holds states from {path.min()} to {path.max()}, outside 0 .. K-1 = 0 .. {K - 1}.",
                              "np.argmax(delta) without axis= flattens the whole (n_trials, K) batch and returns "
                              "one index into it: give argmax the axis of the states (axis=1), one state per "
                              "trial.")
            if not np.array_equal(path, ref):
                _diagnose_path(path, ref, log_obs, psi, A,
                               call=lambda lo: _as_path(ctx.call(lo, psi, A), *lo.shape))
        ctx.case = ""

    return _run("viterbi", viterbi, "viterbi(log_obs, psi, A)", ("log_obs", "psi", "A"), "path", body,
                "the most probable path of every trial, equal to brute force over all 729 paths (K = 3, "
                "T = 6, without and with zeros in psi and A) and to helpers.viterbi on 20 x 300 and 2 x 2000 bins; "
                "integer states 0 .. K-1; inputs left untouched")


# ------------------------------------------------------------------------------------
# held-out log-likelihood
# ------------------------------------------------------------------------------------


def reference_heldout_ll(Y_train, Y_test, K, dt, seed, n_iter):
    """Reference for notebook 06's ``heldout_ll`` exercise.

    ``fit = helpers.fit_em(Y_train, K, dt, n_iter=n_iter, seed=seed)``; the training value is
    ``fit.lls[-1]`` and the test value ``helpers.log_likelihood(Y_test, ...)``,
    each divided by the duration of its recording.

    Returns
    -------
    train_ll_per_s, test_ll_per_s : float
        Log-likelihood per second of recording (nats/s) of the training data
        (after fitting on it) and of the test data.
    """
    Y_train, Y_test = np.asarray(Y_train), np.asarray(Y_test)
    fit = fit_em(Y_train, K, dt, n_iter=n_iter, seed=seed)
    train = fit.lls[-1] / (Y_train.shape[0] * Y_train.shape[1] * dt)
    test = log_likelihood(Y_test, fit.psi, fit.A, fit.L, dt) / (Y_test.shape[0] * Y_test.shape[1] * dt)
    return float(train), float(test)


def _heldout_units(v, ref, which, n, T, dt, other_duration, duration_text, wrong_durations=(), C=1):
    """Fail if ``v`` is ``ref`` (nats per second) in the wrong units."""
    dur = n * T * dt
    units = [
        (ref * dur, "is a total log-likelihood, not per second."),
        (ref * dt, "is per bin, not per second."),
        (ref * T * dt, "is per trial, not per second."),
        (ref * n, "is per second of ONE trial (divided by T * dt only)."),
        (-ref, "has the wrong sign: a log-likelihood per second of spike counts is negative here."),
        (ref / np.log(2.0), "is in bits, not nats (divided by log 2)."),
        (ref * dur / other_duration,
         f"is divided by the duration of the {'TEST' if which == 'training' else 'TRAINING'} set."),
        (ref / C, "is divided by Y.size * dt: Y.size counts the neurons too (n_trials * T * C), but the "
                  "recording lasts n_trials * T * dt seconds."),
    ]
    units += [(ref * dur / d, text) for d, text in wrong_durations]
    for cand, tail in units:
        if np.isclose(v, cand, rtol=1e-7):
            raise _Failed(f"the {which} value {tail}",
                          f"Divide the {which} log-likelihood (total, in nats) by the duration of the "
                          f"{which} recording, {duration_text} seconds.")


def _heldout_cases():
    tr = tutorial_data(n_trials=6, T=80, seed=5)
    te = tutorial_data(n_trials=3, T=50, seed=6)
    return tr["Y"], te["Y"], tr["dt"]


#: (K, seed, n_iter) of the two cases: the second fit stops after 4 EM steps, before converging.
_HELDOUT_CASES = ((2, 3, 50), (3, 1, 4))


def _heldout_same_length_test():
    """Test trials as long as the training trials: code that pools the two sets only when it can."""
    return tutorial_data(n_trials=3, T=80, seed=6)["Y"]


def check_heldout_ll(heldout_ll):
    """Check ``heldout_ll(Y_train, Y_test, K, dt, seed, n_iter) -> (train_ll_per_s, test_ll_per_s)``.

    The reference: ``fit = helpers.fit_em(Y_train, K, dt, n_iter=n_iter, seed=seed)``;
    train = ``fit.lls[-1] / (n_train * T * dt)``; test =
    ``helpers.log_likelihood(Y_test, fit.psi, fit.A, fit.L, dt) /
    (n_test * T_test * dt)``. Two cases (K = 2, seed 3, 50 steps; K = 3,
    seed 1, 4 steps), the second also with test trials as long as the
    training ones. Detects: not two numbers, swapped outputs, totals /
    per bin / per trial / per second of one trial instead of per second,
    bits, a flipped sign, dividing by the other set's duration or by a test
    duration made with the training set's T or n, scoring the training set
    twice, Y.size (neurons included) as the duration, fitting on the test
    set or on data that include it (pooled sets, EM continued on the test
    trials), the log-likelihood before EM (``fit.lls[0]``), ``n_iter``,
    ``seed`` or ``K`` not passed on, fit_em's arguments after ``dt`` passed
    by position, other settings than its defaults (``n_restarts``, ``tol``,
    ``init``: read from the function's source), an unseeded fit, inputs
    modified in place.

    Returns
    -------
    bool
        True if every check passed.
    """

    def body(ctx):
        Y_tr, Y_te0, dt = _heldout_cases()
        n_tr, T_tr, C = Y_tr.shape
        dur_tr = n_tr * T_tr * dt
        # the third case is part of the second step: test trials as long as the training ones
        cases = [(K, seed, n_iter, Y_te0) for K, seed, n_iter in _HELDOUT_CASES]
        cases.append(_HELDOUT_CASES[1] + (_cached(("heldout same-length test",), _heldout_same_length_test),))
        for j, (K, seed, n_iter, Y_te) in enumerate(cases):
            n_te, T_te, _ = Y_te.shape
            dur_te = n_te * T_te * dt
            ctx.shapes = (f"Y_train (n_train, T, C) = {Y_tr.shape}, Y_test (n_test, T_test, C) = {Y_te.shape}")
            ctx.case = (f"Y_train {n_tr} trials of {T_tr} bins, Y_test {n_te} trials of {T_te} bins"
                        + (" (as long as the training trials)" if T_te == T_tr else "")
                        + f", C = {C}, K = {K}, dt = {dt} s, seed = {seed}, n_iter = {n_iter}")
            if j < 2:
                ctx.step("returns two numbers" if j == 0 else f"a second case: K = {K}, seed = {seed}, n_iter = {n_iter}")
            res = ctx.call(Y_tr, Y_te, K, dt, seed, n_iter)
            if isinstance(res, dict):
                raise _Failed("your function returned a dict; it should return two numbers.",
                              "End it with `return train_ll_per_s, test_ll_per_s`.")
            a, b = _result_tuple(res, 2, "train_ll_per_s, test_ll_per_s")
            one = "Return two numbers: `return train_ll_per_s, test_ll_per_s`."
            a = _scalar(a, "the training log-likelihood", one)
            b = _scalar(b, "the test log-likelihood", one)
            if not (np.isfinite(a) and np.isfinite(b)):
                raise _Failed(f"your values ({_f(a)}, {_f(b)}) are not finite numbers.")
            fit = _fit(Y_tr, K, dt, "train", seed=seed, n_iter=n_iter)
            tr = fit.lls[-1] / dur_tr
            te = log_likelihood(Y_te, fit.psi, fit.A, fit.L, dt) / dur_te
            if j == 0:
                ctx.step("training log-likelihood per second")
                ctx.step("test log-likelihood per second")
            ok_a = np.isclose(a, tr, rtol=1e-7)
            ok_b = np.isclose(b, te, rtol=1e-7)
            if j == 0:
                ctx.step("the same result when called again")
                again = _result_tuple(ctx.call(Y_tr, Y_te, K, dt, seed, n_iter), 2,
                                      "train_ll_per_s, test_ll_per_s")
                if not (np.isclose(_scalar(again[0], "the training log-likelihood", one), a, rtol=1e-12)
                        and np.isclose(_scalar(again[1], "the test log-likelihood", one), b, rtol=1e-12)):
                    _fit_call_settings(heldout_ll)
                    raise _Failed("two calls with the same seed gave different values: the fit is not seeded.",
                                  "Pass the seed argument on to helpers.fit_em, by keyword (seed=seed): "
                                  "without it, EM starts from new random values on every call.")
            if ok_a and ok_b:
                continue
            if np.isclose(a, te, rtol=1e-7) and np.isclose(b, tr, rtol=1e-7):
                raise _Failed("the two values are swapped.",
                              "Return (train_ll_per_s, test_ll_per_s), training first.")
            if not ok_a:
                _diagnose_fit(a, Y_tr, Y_te, K, dt, seed, n_iter, dur_tr, dur_te, which="training",
                              fn=heldout_ll)
                _heldout_units(a, tr, "training", n_tr, T_tr, dt, dur_te, "n_train * T * dt", C=C)
                if np.isclose(a, te, rtol=1e-7):
                    raise _Failed("the training value is the test log-likelihood.",
                                  "Return the training value first, then the test value.")
                if np.isclose(a, fit.lls[0] / dur_tr, rtol=1e-7):
                    raise _Failed("the training value is fit.lls[0], the log-likelihood BEFORE EM.",
                                  "fit.lls holds the log-likelihood before every M-step and after the last: "
                                  "the fitted model's is the LAST entry.")
                raise _Failed(
                    f"the training log-likelihood per second is {_f(a, '.8g')}, expected {_f(tr, '.8g')}.",
                    "Fit on Y_train with helpers.fit_em, passing n_iter and seed by keyword (every other setting "
                    "at its default), and divide the final log-likelihood, the last entry of fit.lls, by the "
                    "training duration, n_train * T * dt seconds. See Hint 2 below the exercise.",
                )
            _diagnose_fit(b, Y_tr, Y_te, K, dt, seed, n_iter, dur_tr, dur_te, which="test", fn=heldout_ll)
            _heldout_units(b, te, "test", n_te, T_te, dt, dur_tr, "n_test * T_test * dt", C=C,
                           wrong_durations=[
                               (n_te * T_tr * dt, "is divided by n_test * T * dt, with the TRAINING set's T "
                                                  f"({T_tr} bins; the test trials have {T_te})."),
                               (n_tr * T_te * dt, "is divided by n_train * T_test * dt: the number of trials "
                                                  f"of the TRAINING set ({n_tr}; the test set has {n_te})."),
                           ])
            if np.isclose(b, tr, rtol=1e-7) or np.isclose(b, fit.lls[-1] / dur_te, rtol=1e-7):
                raise _Failed("the test value scores the TRAINING set again.",
                              "Score the TEST trials with helpers.log_likelihood at the fitted parameters "
                              "(fit.psi, fit.A, fit.L).")
            raise _Failed(
                f"the test log-likelihood per second is {_f(b, '.8g')}, expected {_f(te, '.8g')}.",
                "Score the test trials with helpers.log_likelihood at the fitted parameters (fit.psi, fit.A, "
                "fit.L), and divide by the test duration, n_test * T_test * dt seconds.",
            )
        ctx.case = ""

    return _run("heldout_ll", heldout_ll, "heldout_ll(Y_train, Y_test, K, dt, seed, n_iter)",
                ("Y_train", "Y_test", "K", "dt", "seed", "n_iter"), "train_ll_per_s, test_ll_per_s", body,
                "two numbers: training and test log-likelihood per second of recording, equal to "
                "helpers.fit_em + helpers.log_likelihood on two cases (K = 2 and 3, 50 and 4 EM steps), "
                "the same when called again; inputs left untouched")


def _fit_em_calls(fn):
    """The calls to fit_em in ``fn``'s source: ``[(positional args, keyword names)]`` ([] if unreadable)."""
    import ast
    import inspect
    import textwrap

    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except Exception:  # noqa: BLE001 - no source (a builtin, a lambda in odd places)
        return []
    calls = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
            if name == "fit_em":
                calls.append((len(node.args), [k.arg for k in node.keywords]))
    return calls


def _fit_call_settings(fn):
    """Fail if the student's fit_em call passes n_iter / seed by position, or changes other settings."""
    for n_pos, keywords in _fit_em_calls(fn):
        if n_pos > 3:
            raise _Failed(
                f"your fit_em call passes {n_pos} arguments by position: after (Y, K, dt) come n_iter, tol, "
                "n_restarts, seed, ... in THAT order, so the 4th and 5th land in n_iter and tol, not seed.",
                "Pass every argument after dt by keyword: n_iter=..., seed=... (then their order does not "
                "matter).",
            )
        other = [k for k in keywords if k not in ("n_iter", "seed") and k is not None]
        if other:
            raise _Failed(
                f"your fit_em call also sets {', '.join(other)}: the check expects fit_em's defaults apart "
                "from the seed and n_iter.",
                "Use fit_em's defaults apart from the seed and n_iter: leave "
                f"{' and '.join(other)} out of the call.",
            )


def _diagnose_fit(v, Y_tr, Y_te, K, dt, seed, n_iter, dur_tr, dur_te, which, fn=None):
    """Fail if ``v`` comes from a fit with other settings than asked (test set, K, seed, n_iter)."""
    def scores(fit):
        return (fit.lls[-1] / dur_tr, log_likelihood(Y_te, fit.psi, fit.A, fit.L, dt) / dur_te)

    def matches(fit):
        got = scores(fit)
        return np.isclose(v, got[0 if which == "training" else 1], rtol=1e-7)

    fit_te = _fit(Y_te, K, dt, f"test {Y_te.shape}", seed=seed, n_iter=n_iter)
    on_test = (fit_te.lls[-1] / dur_te, log_likelihood(Y_tr, fit_te.psi, fit_te.A, fit_te.L, dt) / dur_tr)
    if any(np.isclose(v, x, rtol=1e-7) for x in on_test):
        raise _Failed("the model was fitted on the test set.",
                      "Fit on Y_train only, and only SCORE the test set: the held-out value must come from "
                      "trials the fit never saw.")
    if which == "training":
        T_common = min(Y_tr.shape[1], Y_te.shape[1])
        both = np.concatenate([Y_tr[:, :T_common], Y_te[:, :T_common]])
        fit_both = _fit(both, K, dt, f"train+test {Y_te.shape}", seed=seed, n_iter=n_iter)
        fit_tr = _fit(Y_tr, K, dt, "train", seed=seed, n_iter=n_iter)
        fit_on = _cached(("heldout train then test", Y_te.shape, K, seed, n_iter),
                         lambda: fit_em(Y_te, K, dt, n_iter=n_iter, init=(fit_tr.psi, fit_tr.A, fit_tr.L)))
        leaks = (log_likelihood(Y_tr, f.psi, f.A, f.L, dt) / dur_tr for f in (fit_both, fit_on))
        if any(np.isclose(v, x, rtol=1e-7) for x in leaks):
            raise _Failed("the test trials took part in the fit (the two sets pooled, or EM continued on the "
                          "test set).",
                          "Fit on Y_train only, and only SCORE the test set: a held-out log-likelihood is "
                          "honest only for trials the fit never saw.")
    if fn is not None:
        _fit_call_settings(fn)
    if matches(_fit(Y_tr, K, dt, "train", seed=seed)):
        raise _Failed(f"n_iter is not passed on: your fit runs up to 200 EM steps, not n_iter = {n_iter}.",
                      "Pass the n_iter argument on to helpers.fit_em, by keyword (n_iter=n_iter).")
    for s in (0, 1, 2, 3):
        if s != seed and matches(_fit(Y_tr, K, dt, "train", seed=s, n_iter=n_iter)):
            raise _Failed(f"the fit used seed {s}, not the seed argument ({seed}).",
                          "Pass the seed argument on to helpers.fit_em, by keyword (seed=seed).")
    for k in (1, 2, 3, 4):
        if k != K and matches(_fit(Y_tr, k, dt, "train", seed=seed, n_iter=n_iter)):
            raise _Failed(f"the model has K = {k} states, not the K argument ({K}).",
                          "Fit with the K you are given, the function's argument.")
