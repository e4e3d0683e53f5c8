"""Checks of notebook 02, forward-backward: the scaled forward and backward passes.

Public: ``check_forward``, ``check_backward`` (re-exported by :mod:`helpers.checks`).
"""

from __future__ import annotations

import itertools

import numpy as np

from ..inference import backward as _ref_backward
from ..inference import e_step, emission_likelihood
from ..inference import forward as _ref_forward
from ..model import sample_spikes as _ref_sample_spikes
from ..model import sample_states as _ref_sample_states
from ._core import (
    _Failed,
    _out_of_bounds,
    _run,
    _f,
    _vec,
    _mat,
    _float_array,
    _expect_shape,
    _expect_finite,
    _close,
    _difference,
    _result_tuple,
)

__all__ = ["check_forward", "check_backward"]


_FB_L = np.array([
    [5.0, 40.0, 20.0],
    [30.0, 2.0, 60.0],
    [12.0, 25.0, 8.0],
    [50.0, 15.0, 30.0],
])
_FB_PSI = np.array([0.5, 0.2, 0.3])
_FB_A = np.array([[0.8, 0.15, 0.05], [0.1, 0.6, 0.3], [0.25, 0.05, 0.7]])
_FB_DT = 0.01


def _fb_case():
    """Counts and emission probabilities of the forward/backward test case (4 trials, 7 bins)."""
    rng = np.random.default_rng(31)
    states = _ref_sample_states(_FB_PSI, _FB_A, 4, 7, rng)
    Y = _ref_sample_spikes(states, _FB_L, _FB_DT, rng)
    return Y, emission_likelihood(Y, _FB_L, _FB_DT)


def _brute_case():
    """A tiny case for brute-force enumeration: K = 2, 2 trials of 5 bins."""
    obs = np.random.default_rng(32).uniform(0.05, 1.0, size=(2, 5, 2))
    return obs, np.array([0.3, 0.7]), np.array([[0.9, 0.1], [0.4, 0.6]])


def _brute_force(obs, psi, A):
    """Filtering, normalisers and posteriors by enumerating every path."""
    n, T, K = obs.shape
    alpha = np.zeros((n, T, K))
    lik = np.zeros((n, T))
    for t in range(T):
        joint = np.zeros((n, K))
        for path in itertools.product(range(K), repeat=t + 1):
            p = psi[path[0]] * obs[:, 0, path[0]]
            for s in range(1, t + 1):
                p = p * A[path[s - 1], path[s]] * obs[:, s, path[s]]
            joint[:, path[-1]] += p
        lik[:, t] = joint.sum(axis=1)
        alpha[:, t] = joint / lik[:, t, None]
    c = lik.copy()
    c[:, 1:] = lik[:, 1:] / lik[:, :-1]
    gamma = np.zeros((n, T, K))
    for path in itertools.product(range(K), repeat=T):
        p = psi[path[0]] * obs[:, 0, path[0]]
        for s in range(1, T):
            p = p * A[path[s - 1], path[s]] * obs[:, s, path[s]]
        for t in range(T):
            gamma[:, t, path[t]] += p
    gamma /= lik[:, -1, None, None]
    return alpha, c, gamma


def _forward_variant(obs, psi, A, transpose=False, psi0=True, obs0=True, lag=False,
                     emit_first=False, normalise=True, no_A=False, no_past=False, psi_moved=False):
    """The forward pass with one of the usual mistakes switched on."""
    n, T, K = obs.shape
    M = A.T if transpose else A
    if no_A:
        M = np.eye(K)
    if no_past:
        M = np.ones((K, K))
    alpha = np.zeros((n, T, K))
    c = np.zeros((n, T))
    a = (psi @ A if psi_moved else psi if psi0 else np.ones(K)) * (obs[:, 0] if obs0 else 1.0)
    a = np.broadcast_to(a, (n, K)).astype(float)
    c[:, 0] = a.sum(axis=1)
    alpha[:, 0] = a / c[:, 0, None] if normalise else a
    for t in range(1, T):
        o = obs[:, t - 1] if lag else obs[:, t]
        prev = alpha[:, t - 1]
        a = (prev * o) @ M if emit_first else (prev @ M) * o
        c[:, t] = a.sum(axis=1)
        alpha[:, t] = a / c[:, t, None] if normalise else a
    return alpha, c


_FORWARD_EQUATION = ("α_t(j) ∝ o_t(j) Σ_i α_{t-1}(i) A_ij, and in the first bin α(j) ∝ ψ_j o(j); "
                     "see Hint 2 below the exercise.")


def _forward_alpha_hints(alpha, obs, psi, A):
    """Name the mistake when alpha is normalised but wrong."""
    variants = [
        (dict(transpose=True), "A is used transposed.",
         "A[i, j] is P(next = j | now = i), so the prediction for state j sums over the PREVIOUS state "
         "i: Σ_i α_{t-1}(i) A_ij runs over the FIRST index of A. Yours runs over the second (A.T)."),
        (dict(psi0=False), "psi is missing from the first bin.",
         "There is no previous bin at the start: the first bin's α(j) is proportional to ψ_j o(j), the "
         "start distribution times that bin's evidence."),
        (dict(obs0=False), "the first bin ignores the observations.",
         "The first bin's α(j) is proportional to ψ_j times o(j): the data of bin 0 count too."),
        (dict(psi_moved=True), "the first bin is moved through A before it starts.",
         "ψ is already the distribution of the FIRST bin: its α(j) is proportional to ψ_j o(j), with no "
         "transition before it. The transitions start with bin 1."),
        (dict(lag=True), "off by one: bin t uses the observations of bin t-1.",
         "α_t(j) ∝ o_t(j) Σ_i α_{t-1}(i) A_ij uses the evidence of bin t itself, index t on the time "
         "axis of obs."),
        (dict(no_A=True), "A is missing: the prediction step is left out.",
         "Before weighing by bin t's evidence, move the previous alpha one step through the chain: "
         "the sum over the previous state i of alpha[i] * A[i, j]."),
        (dict(no_past=True), "alpha ignores the past: every bin uses only its own observations.",
         "α_t depends on α_{t-1} through A: predict first (Σ_i α_{t-1}(i) A_ij), then weigh by bin t's "
         "evidence."),
        (dict(emit_first=True), "the order of transition and emission is swapped.",
         "α_t(j) ∝ o_t(j) Σ_i α_{t-1}(i) A_ij: first move α_{t-1} through A (the prediction), THEN "
         "multiply by the new bin's evidence. Yours multiplies by the evidence before the transition."),
    ]
    for kwargs, head, hint in variants:
        cand, _ = _forward_variant(obs, psi, A, **kwargs)
        if _close(alpha, cand):
            return head, hint
    return None


def _first_wrong_bin(got, want, axis_t=1):
    """The first time bin where ``got`` and ``want`` differ (bins on ``axis_t``), or None."""
    got = np.moveaxis(np.asarray(got, dtype=float), axis_t, 0)
    want = np.moveaxis(np.asarray(want, dtype=float), axis_t, 0)
    for t in range(got.shape[0]):
        if not _close(got[t], want[t]):
            return t
    return None


def check_forward(forward):
    """Check ``forward(obs, psi, A) -> (alpha, c)``.

    Compares with :func:`helpers.forward` and with brute-force enumeration
    of every path. Detects: not returning two arrays, wrong shapes, NaN,
    alpha not normalised (rows must sum to 1), A used transposed, psi or the
    observations missing at t = 0, observations of the wrong bin, emission
    and transition swapped, the first bin moved through A, the last bin
    never filled, the two outputs swapped, alpha divided by its max,
    ``c`` returned as a log, ``c[0]`` not stored, ``c`` as a running product
    or summed over trials, inputs modified in place. Messages point to the
    recursion in maths (and to the hints), never print the answer's code.

    Returns
    -------
    bool
        True if every check passed.
    """

    def body(ctx):
        Y, obs = _fb_case()
        n, T, K = obs.shape
        ctx.case = (f"{n} trials of {T} bins, K = {K} states, psi = {_vec(_FB_PSI, '.2f')}, "
                    f"A = {_mat(_FB_A, '.2f')}")
        ctx.shapes = f"obs (n_trials, T, K) = ({n}, {T}, {K}), psi (K,) = ({K},), A ({K}, {K})"
        alpha_ref, c_ref = _ref_forward(obs, _FB_PSI, _FB_A)

        ctx.step("returns alpha (n_trials, T, K) and c (n_trials, T)")
        res = ctx.call(obs, _FB_PSI, _FB_A)
        alpha, c = _result_tuple(res, 2, "alpha, c")
        alpha = _float_array(alpha, "alpha")
        c = _float_array(c, "c")
        if alpha.shape == (n, T) and c.shape == (n, T, K):
            raise _Failed("the two outputs are swapped: the first has the shape of c (n_trials, T), the "
                          "second that of alpha (n_trials, T, K).",
                          "End the function with `return alpha, c`, alpha first.")
        _expect_shape(alpha, (n, T, K), "alpha", ("n_trials", "T", "K"))
        _expect_shape(c, (n, T), "c", ("n_trials", "T"))
        with np.errstate(all="ignore"):
            if T > 2 and _close(alpha[:, :-1], alpha_ref[:, :-1]) and not _close(alpha[:, -1], alpha_ref[:, -1]):
                raise _Failed(
                    f"the last bin (t = {T - 1}) of alpha is never filled: every earlier bin is right.",
                    "The loop must run up to and including t = T-1: range stops BEFORE its second "
                    "argument, so the stop is T.",
                )

        ctx.step("every row of alpha sums to 1")
        _expect_finite(alpha, "alpha", "Check for a division by zero when you normalise.")
        sums = alpha.sum(axis=2)
        if not np.allclose(sums, 1.0, atol=1e-8):
            if np.allclose(alpha.sum(axis=0), 1.0, atol=1e-8) or (
                    T > 1 and np.allclose(alpha[:, 1:].sum(axis=0), 1.0, atol=1e-8)):
                raise _Failed(
                    "alpha is normalised over the trials (axis 0), not over the states.",
                    "In every bin of every trial, alpha[n, t] is a distribution over the K states: divide "
                    "by the sum over the last axis (keepdims=True, or c[:, t, None]).",
                )
            unnorm, _ = _forward_variant(obs, _FB_PSI, _FB_A, normalise=False)
            bad = np.argwhere(~np.isclose(sums, 1.0, atol=1e-8))[0]
            head = (f"alpha is not normalised: alpha[{bad[0]}, {bad[1]}] sums to "
                    f"{_f(sums[bad[0], bad[1]])} over the states, it should sum to 1.")
            hint = ("After each step divide by c_t, the sum over the states of the unnormalised α_t, "
                    "so that alpha[n, t] = p(x_t | y_1..t) sums to 1 (this also stops underflow).")
            if _close(alpha, unnorm):
                hint = "Yours are the unscaled forward messages. " + hint
            elif np.allclose(alpha.max(axis=2), 1.0, atol=1e-8):
                head = (f"alpha is divided by its largest entry: its maximum over the states is 1, but "
                        f"alpha[{bad[0]}, {bad[1]}] sums to {_f(sums[bad[0], bad[1]])}.")
                hint = ("Normalise by the SUM over the states (.sum, not .max): alpha[n, t] is a "
                        "distribution, and c_t = p(y_t | y_1..t-1) is that sum.")
            raise _Failed(head, hint)

        ctx.step("alpha matches helpers.forward")
        if not _close(alpha, alpha_ref):
            found = _forward_alpha_hints(alpha, obs, _FB_PSI, _FB_A)
            if found:
                raise _Failed(*found)
            t_bad = _first_wrong_bin(alpha, alpha_ref)
            raise _Failed("alpha does not match the reference"
                          + (f": the first wrong bin is t = {t_bad}." if t_bad is not None else "."),
                          _difference(alpha, alpha_ref, "alpha"), _FORWARD_EQUATION)

        ctx.step("c matches helpers.forward")
        _expect_finite(c, "c")
        if not _close(c, c_ref):
            if _close(c, np.log(c_ref)):
                head, hint = "c holds logarithms.", ("Store the normaliser itself, the sum over the states of "
                                                    "the unnormalised α_t; the log-likelihood is then the "
                                                    "sum of log c.")
            elif _close(c, 1.0 / c_ref):
                head, hint = ("c holds the reciprocals of the normalisers.",
                              "c_t is the number you divide BY: the sum over the states of the unnormalised α_t.")
            elif _close(c[:, 1:], c_ref[:, 1:]):
                head = f"c[:, 0] is wrong ({_vec(c[:, 0], '.4g')}, should be {_vec(c_ref[:, 0], '.4g')})."
                hint = ("Store the first normaliser too: c_1 = Σ_j ψ_j o_1(j), the sum over the states of "
                        "the first bin's unnormalised α.")
            elif _close(c, np.cumprod(c_ref, axis=1)):
                head = "c is a running product (the likelihood so far), not the normaliser of each step."
                hint = "c[:, t] = p(y_t | y_1..t-1) is the sum of the new (unnormalised) alpha at bin t only."
            elif np.allclose(c, 1.0):
                head = "c is all ones."
                hint = ("Take the sum over the states of the unnormalised α_t, after multiplying by bin t's "
                        "evidence and BEFORE dividing (once divided, it sums to 1).")
            elif T > 1 and np.allclose(c[:, 1:], c_ref[:, 1:].sum(axis=0), rtol=1e-6):
                head = "c is summed over the trials too: every trial gets the same normaliser in a bin."
                hint = ("Each trial has its own normaliser: sum the (n_trials, K) array over the states "
                        "only (axis=1), giving n_trials numbers per bin.")
            else:
                t_bad = _first_wrong_bin(c, c_ref)
                head = "c does not match the reference" + (
                    f": the first wrong bin is t = {t_bad}." if t_bad is not None else ".")
                hint = _difference(c, c_ref, "c") + (" c_t = p(y_t | y_1..t-1) is the sum over the states of "
                                                     "the unnormalised α_t.")
            raise _Failed(head, hint)

        ctx.step("agrees with brute-force enumeration of all K^T paths")
        obs_b, psi_b, A_b = _brute_case()
        ctx.case = "brute force: K = 2 states, 2 trials of 5 bins, random emission probabilities"
        ctx.shapes = "obs (2, 5, 2), psi (2,), A (2, 2)"
        alpha_bf, c_bf, _ = _brute_force(obs_b, psi_b, A_b)
        alpha, c = _result_tuple(ctx.call(obs_b, psi_b, A_b), 2, "alpha, c")
        alpha = _float_array(alpha, "alpha")
        c = _float_array(c, "c")
        _expect_shape(alpha, obs_b.shape, "alpha", ("n_trials", "T", "K"))
        _expect_shape(c, obs_b.shape[:2], "c", ("n_trials", "T"))
        if not _close(alpha, alpha_bf):
            raise _Failed("alpha disagrees with brute-force enumeration of all paths.",
                          _difference(alpha, alpha_bf, "alpha"))
        if not _close(c, c_bf):
            raise _Failed("c disagrees with brute-force enumeration: np.cumprod(c, axis=1) should be "
                          "p(y_1..t).", _difference(c, c_bf, "c"))
        ctx.case = ""

    return _run("forward", forward, "forward(obs, psi, A)", ("obs", "psi", "A"), "alpha, c", body,
                "shapes, rows of alpha sum to 1, alpha and c equal helpers.forward, agreement with "
                "brute-force enumeration of all paths, inputs left untouched")


def _backward_variant(obs, A, c, use_AT=True, scale="next", obs_bin="next", normalise=False,
                      obs_outside=False):
    n, T, K = obs.shape
    beta = np.ones((n, T, K))
    M = A.T if use_AT else A
    for t in range(T - 2, -1, -1):
        o = obs[:, t + 1] if obs_bin == "next" else (obs[:, t] if obs_bin == "same" else 1.0)
        b = o * (beta[:, t + 1] @ M) if obs_outside else (o * beta[:, t + 1]) @ M
        if scale == "next":
            b = b / c[:, t + 1, None]
        elif scale == "same":
            b = b / c[:, t, None]
        elif scale == "times":
            b = b * c[:, t + 1, None]
        if normalise:
            b = b / b.sum(axis=1, keepdims=True)
        beta[:, t] = b
    return beta


def _backward_explain(T):
    """``ctx.explain`` of backward: reading bin T means the loop started at the last bin."""
    def explain(exc):
        oob = _out_of_bounds(exc)
        if oob is None or oob[0] != T or oob[2] != T:
            return []
        return [f"Your loop reads bin t + 1 = {T}, which does not exist (bins are 0 .. T-1): it starts at "
                "the last bin. β of the last bin is 1 and needs no step; the recursion starts at t = T-2 "
                "(range stops BEFORE its second argument, so count the start and stop carefully)."]
    return explain


def check_backward(backward):
    """Check ``backward(obs, A, c) -> beta``.

    Compares with :func:`helpers.backward`, checks that ``alpha * beta``
    equals the posteriors of :func:`helpers.e_step` and of brute-force
    enumeration. Detects: wrong type or shape, NaN, last bin not all ones,
    A used instead of A.T (or the other way round), no division by
    ``c[t+1]``, division by ``c[t]`` or multiplication by ``c[t+1]``,
    observations of the wrong bin, missing or outside the sum, beta
    normalised like alpha, a loop that starts at the last bin (IndexError),
    runs forwards or skips bin 0, inputs modified in place.

    Returns
    -------
    bool
        True if every check passed.
    """

    def body(ctx):
        Y, obs = _fb_case()
        n, T, K = obs.shape
        alpha_ref, c_ref = _ref_forward(obs, _FB_PSI, _FB_A)
        beta_ref = _ref_backward(obs, _FB_A, c_ref)
        ctx.case = (f"{n} trials of {T} bins, K = {K} states, A = {_mat(_FB_A, '.2f')}, "
                    "c from helpers.forward")
        ctx.shapes = f"obs (n_trials, T, K) = ({n}, {T}, {K}), A ({K}, {K}), c (n_trials, T) = ({n}, {T})"

        ctx.step("returns beta of shape (n_trials, T, K)")
        ctx.explain = _backward_explain(T)
        res = ctx.call(obs, _FB_A, c_ref)
        if isinstance(res, (tuple, list)) and len(res) != n:
            raise _Failed(f"your function should return one array (beta), it returned {len(res)} things.",
                          "End it with `return beta`.")
        beta = _float_array(res, "beta")
        _expect_shape(beta, (n, T, K), "beta", ("n_trials", "T", "K"))
        with np.errstate(all="ignore"):
            if _close(beta[:, 1:], beta_ref[:, 1:]) and not _close(beta[:, 0], beta_ref[:, 0]):
                raise _Failed(
                    "your backward loop never fills bin 0: every other bin is right, beta[:, 0] is not.",
                    "The loop must run from t = T-2 down to t = 0 included: range stops BEFORE its "
                    "second argument, so counting down to 0 needs a stop of -1.",
                )
            if T > 2 and _close(beta[:, ::-1], beta_ref):
                raise _Failed(
                    "beta is in reverse time order: beta[:, 0] holds the last bin.",
                    "Store each step at its own bin, beta[:, t] = ..., or reverse the list you built "
                    "while going backwards.",
                )
            if T > 3 and _close(beta[:, -2:], beta_ref[:, -2:]) and not _close(beta[:, :-2], beta_ref[:, :-2]):
                raise _Failed(
                    "only the last two bins of beta are right: does your loop run forwards in time?",
                    "β_t needs β_{t+1}, so bin t+1 must be done before bin t: go backwards, from t = T-2 "
                    "down to t = 0 (a range with step -1).",
                )
        _expect_finite(beta, "beta")

        ctx.step("beta is 1 in the last bin")
        if not np.allclose(beta[:, -1], 1.0):
            raise _Failed(
                f"beta[:, -1] should be all ones, yours is {_mat(beta[:, -1], '.3g')}.",
                "There are no observations after the last bin, so β of the last bin is 1 for every "
                "state and every trial (whatever K is); the recursion then goes backwards from "
                "t = T-2 to 0.",
            )

        ctx.step("beta matches helpers.backward")
        if not _close(beta, beta_ref):
            variants = [
                (dict(use_AT=False), "A is used the wrong way round.",
                 "β_t(i) = Σ_j A_ij o_{t+1}(j) β_{t+1}(j) / c_{t+1}: the sum runs over the NEXT state j, "
                 "the SECOND index of A (the forward pass sums over the first). Hint 2 below the "
                 "exercise shows how that becomes a matrix product."),
                (dict(scale="none"), "beta is not divided by c[t+1].",
                 "Scale every step by the forward normaliser of the NEXT bin, c_{t+1} (one number per "
                 "trial: give it a trailing axis so that it divides that trial's row)."),
                (dict(scale="times"), "beta is multiplied by c[t+1] instead of divided by it.",
                 "The scaled β_t is the sum over j divided by c_{t+1}, the same normaliser the forward "
                 "pass divided by."),
                (dict(scale="same"), "beta is divided by c[t] instead of c[t+1].",
                 "beta[:, t] is divided by the normaliser of the NEXT bin, c[:, t+1]."),
                (dict(obs_bin="same"), "off by one: beta[:, t] uses the observations of bin t.",
                 "β_t looks ahead: it uses the evidence of the next bin, o_{t+1}, and β_{t+1}."),
                (dict(obs_bin="none"), "the observations are missing from the backward step.",
                 "Weigh β_{t+1}(j) by the next bin's evidence o_{t+1}(j) before summing over j with A."),
                (dict(obs_outside=True), "the evidence is applied after the sum over the next state.",
                 "In β_t(i) = Σ_j A_ij o_{t+1}(j) β_{t+1}(j) / c_{t+1}, o_{t+1}(j) sits INSIDE the sum, "
                 "next to β_{t+1}(j): multiply the two before the product with A, not after it."),
                (dict(normalise=True), "beta rows are normalised to sum to 1.",
                 "Unlike alpha, beta does not sum to 1 over the states: divide by c[:, t+1] instead, "
                 "so that alpha * beta is the posterior."),
            ]
            for kwargs, head, hint in variants:
                if _close(beta, _backward_variant(obs, _FB_A, c_ref, **kwargs)):
                    raise _Failed(head, hint)
            t_bad = _first_wrong_bin(beta[:, ::-1], beta_ref[:, ::-1])
            where = f": the first wrong bin, going backwards, is t = {T - 1 - t_bad}." if t_bad is not None else "."
            raise _Failed("beta does not match the reference" + where, _difference(beta, beta_ref, "beta"),
                          "β_t(i) = Σ_j A_ij o_{t+1}(j) β_{t+1}(j) / c_{t+1}; see Hint 2 below the exercise.")

        ctx.step("alpha * beta equals the posteriors gamma of helpers.e_step")
        gamma = e_step(Y, _FB_PSI, _FB_A, _FB_L, _FB_DT).gamma
        if not _close(alpha_ref * beta, gamma):
            raise _Failed("alpha * beta is not the posterior gamma from helpers.e_step.",
                          _difference(alpha_ref * beta, gamma, "gamma"))

        ctx.step("posteriors agree with brute-force enumeration of all K^T paths")
        obs_b, psi_b, A_b = _brute_case()
        ctx.case = "brute force: K = 2 states, 2 trials of 5 bins, random emission probabilities"
        ctx.shapes = "obs (2, 5, 2), A (2, 2), c (2, 5)"
        alpha_b, c_b = _ref_forward(obs_b, psi_b, A_b)
        _, _, gamma_bf = _brute_force(obs_b, psi_b, A_b)
        beta_b = _float_array(ctx.call(obs_b, A_b, c_b), "beta")
        _expect_shape(beta_b, obs_b.shape, "beta", ("n_trials", "T", "K"))
        if not _close(alpha_b * beta_b, gamma_bf):
            raise _Failed("alpha * beta disagrees with the posteriors from brute-force enumeration.",
                          _difference(alpha_b * beta_b, gamma_bf, "gamma"))
        ctx.case = ""

    return _run("backward", backward, "backward(obs, A, c)", ("obs", "A", "c"), "beta", body,
                "shape, beta = 1 in the last bin, equality with helpers.backward, alpha * beta "
                "equals the posteriors of helpers.e_step and of brute-force enumeration, inputs "
                "left untouched")
