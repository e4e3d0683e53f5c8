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
                     emit_first=False, normalise=True, no_A=False, no_past=False):
    """The forward pass with one of the usual mistakes switched on."""
    n, T, K = obs.shape
    M = A.T if transpose else A
    if no_A:
        M = np.eye(K)
    if no_past:
        M = np.ones((K, K))
    alpha = np.zeros((n, T, K))
    c = np.zeros((n, T))
    a = (psi if psi0 else np.ones(K)) * (obs[:, 0] if obs0 else 1.0)
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


def _forward_alpha_hints(alpha, obs, psi, A):
    """Name the mistake when alpha is normalised but wrong."""
    variants = [
        (dict(transpose=True), "A is used transposed.",
         "A[i, j] = P(next = j | now = i), so the prediction for bin t is alpha[:, t-1] @ A "
         "(sum over the previous state i of alpha[i] * A[i, j]), not alpha[:, t-1] @ A.T."),
        (dict(psi0=False), "psi is missing from the first bin.",
         "At t = 0 there is no previous bin: alpha[:, 0] is proportional to psi * obs[:, 0]."),
        (dict(obs0=False), "the first bin ignores the observations.",
         "alpha[:, 0] is proportional to psi * obs[:, 0] (the data of bin 0 count too)."),
        (dict(lag=True), "off by one: bin t uses the observations of bin t-1.",
         "alpha[:, t] is proportional to (alpha[:, t-1] @ A) * obs[:, t]."),
        (dict(no_A=True), "A is missing: the prediction step is left out.",
         "Before weighing by bin t's evidence, move the previous alpha one step through the chain: "
         "the sum over the previous state i of alpha[i] * A[i, j]."),
        (dict(no_past=True), "alpha ignores the past: every bin uses only its own observations.",
         "alpha[:, t] depends on alpha[:, t-1] through A: predict first, then weigh by obs[:, t]."),
        (dict(emit_first=True), "the order of transition and emission is swapped.",
         "First predict with A, then multiply by the new bin's observations: "
         "(alpha[:, t-1] @ A) * obs[:, t], not (alpha[:, t-1] * obs[:, t]) @ A."),
    ]
    for kwargs, head, hint in variants:
        cand, _ = _forward_variant(obs, psi, A, **kwargs)
        if _close(alpha, cand):
            return head, hint
    return None


def check_forward(forward):
    """Check ``forward(obs, psi, A) -> (alpha, c)``.

    Compares with :func:`helpers.forward` and with brute-force enumeration
    of every path. Detects: not returning two arrays, wrong shapes, NaN,
    alpha not normalised (rows must sum to 1), A used transposed, psi or the
    observations missing at t = 0, observations of the wrong bin, emission
    and transition swapped, ``c`` returned as a log, ``c[0]`` not stored,
    ``c`` as a running product, inputs modified in place.

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
        _expect_shape(alpha, (n, T, K), "alpha", ("n_trials", "T", "K"))
        _expect_shape(c, (n, T), "c", ("n_trials", "T"))

        ctx.step("every row of alpha sums to 1")
        _expect_finite(alpha, "alpha", "Check for a division by zero when you normalise.")
        sums = alpha.sum(axis=2)
        if not np.allclose(sums, 1.0, atol=1e-8):
            if np.allclose(alpha.sum(axis=0), 1.0, atol=1e-8):
                raise _Failed(
                    "alpha is normalised over the trials (axis 0), not over the states.",
                    "In every bin of every trial, alpha[n, t] is a distribution over the K states: divide "
                    "by the sum over the last axis (keepdims=True, or c[:, t, None]).",
                )
            unnorm, _ = _forward_variant(obs, _FB_PSI, _FB_A, normalise=False)
            bad = np.argwhere(~np.isclose(sums, 1.0, atol=1e-8))[0]
            head = (f"alpha is not normalised: alpha[{bad[0]}, {bad[1]}] sums to "
                    f"{_f(sums[bad[0], bad[1]])} over the states, it should sum to 1.")
            hint = ("After each step divide by the sum over states, c[:, t] = a.sum(axis=1), "
                    "so that alpha[n, t] = p(x_t | y_1..t) sums to 1 (this also stops underflow).")
            if _close(alpha, unnorm):
                hint = "Yours are the unscaled forward messages. " + hint
            raise _Failed(head, hint)

        ctx.step("alpha matches helpers.forward")
        if not _close(alpha, alpha_ref):
            found = _forward_alpha_hints(alpha, obs, _FB_PSI, _FB_A)
            if found:
                raise _Failed(*found)
            raise _Failed("alpha does not match the reference.",
                          _difference(alpha, alpha_ref, "alpha"),
                          "alpha[:, 0] ∝ psi * obs[:, 0]; alpha[:, t] ∝ (alpha[:, t-1] @ A) * obs[:, t].")

        ctx.step("c matches helpers.forward")
        _expect_finite(c, "c")
        if not _close(c, c_ref):
            if _close(c, np.log(c_ref)):
                head, hint = "c holds logarithms.", ("Store the normaliser itself, c[:, t] = a.sum(axis=1); "
                                                    "the log-likelihood is then np.log(c).sum().")
            elif _close(c, 1.0 / c_ref):
                head, hint = "c holds the reciprocals of the normalisers.", "c[:, t] is the sum you divide by: c[:, t] = a.sum(axis=1)."
            elif _close(c[:, 1:], c_ref[:, 1:]):
                head = f"c[:, 0] is wrong ({_vec(c[:, 0], '.4g')}, should be {_vec(c_ref[:, 0], '.4g')})."
                hint = "Store the first normaliser too: c[:, 0] = (psi * obs[:, 0]).sum(axis=1)."
            elif _close(c, np.cumprod(c_ref, axis=1)):
                head = "c is a running product (the likelihood so far), not the normaliser of each step."
                hint = "c[:, t] = p(y_t | y_1..t-1) is the sum of the new (unnormalised) alpha at bin t only."
            elif np.allclose(c, 1.0):
                head = "c is all ones."
                hint = "Take the sum after multiplying by obs[:, t] (before dividing): c[:, t] = a.sum(axis=1)."
            else:
                head, hint = "c does not match the reference.", _difference(c, c_ref, "c")
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


def _backward_variant(obs, A, c, use_AT=True, scale="next", obs_bin="next", normalise=False):
    n, T, K = obs.shape
    beta = np.ones((n, T, K))
    M = A.T if use_AT else A
    for t in range(T - 2, -1, -1):
        o = obs[:, t + 1] if obs_bin == "next" else (obs[:, t] if obs_bin == "same" else 1.0)
        b = (o * beta[:, t + 1]) @ M
        if scale == "next":
            b = b / c[:, t + 1, None]
        elif scale == "same":
            b = b / c[:, t, None]
        if normalise:
            b = b / b.sum(axis=1, keepdims=True)
        beta[:, t] = b
    return beta


def check_backward(backward):
    """Check ``backward(obs, A, c) -> beta``.

    Compares with :func:`helpers.backward`, checks that ``alpha * beta``
    equals the posteriors of :func:`helpers.e_step` and of brute-force
    enumeration. Detects: wrong type or shape, NaN, last bin not all ones,
    A used instead of A.T (or the other way round), no division by
    ``c[t+1]`` or division by ``c[t]``, observations of the wrong bin or
    missing, beta normalised like alpha, inputs modified in place.

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
                    "The loop must run from t = T-2 down to t = 0 included: range(T - 2, -1, -1) "
                    "(range stops BEFORE its second argument).",
                )
            if T > 2 and _close(beta[:, ::-1], beta_ref):
                raise _Failed(
                    "beta is in reverse time order: beta[:, 0] holds the last bin.",
                    "Store each step at its own bin, beta[:, t] = ..., or reverse the list you built "
                    "while going backwards.",
                )
        _expect_finite(beta, "beta")

        ctx.step("beta is 1 in the last bin")
        if not np.allclose(beta[:, -1], 1.0):
            raise _Failed(
                f"beta[:, -1] should be all ones, yours is {_mat(beta[:, -1], '.3g')}.",
                "There are no observations after the last bin: start the recursion with "
                "beta[:, T-1] = 1 and go backwards from t = T-2 to 0.",
            )

        ctx.step("beta matches helpers.backward")
        if not _close(beta, beta_ref):
            variants = [
                (dict(use_AT=False), "A is used the wrong way round.",
                 "beta[:, t, i] = sum_j A[i, j] * obs[:, t+1, j] * beta[:, t+1, j] / c[:, t+1]: "
                 "that is (obs[:, t+1] * beta[:, t+1]) @ A.T, summing over the NEXT state j."),
                (dict(scale="none"), "beta is not divided by c[t+1].",
                 "Scale every step by the forward normaliser of the next bin: "
                 "beta[:, t] = ((obs[:, t+1] * beta[:, t+1]) @ A.T) / c[:, t+1, None]."),
                (dict(scale="same"), "beta is divided by c[t] instead of c[t+1].",
                 "beta[:, t] is divided by the normaliser of the NEXT bin, c[:, t+1]."),
                (dict(obs_bin="same"), "off by one: beta[:, t] uses the observations of bin t.",
                 "beta[:, t] looks ahead: it uses obs[:, t+1] and beta[:, t+1]."),
                (dict(obs_bin="none"), "the observations are missing from the backward step.",
                 "Multiply by obs[:, t+1] before applying A.T."),
                (dict(normalise=True), "beta rows are normalised to sum to 1.",
                 "Unlike alpha, beta does not sum to 1 over the states: divide by c[:, t+1] instead, "
                 "so that alpha * beta is the posterior."),
            ]
            for kwargs, head, hint in variants:
                if _close(beta, _backward_variant(obs, _FB_A, c_ref, **kwargs)):
                    raise _Failed(head, hint)
            raise _Failed("beta does not match the reference.", _difference(beta, beta_ref, "beta"),
                          "beta[:, t] = ((obs[:, t+1] * beta[:, t+1]) @ A.T) / c[:, t+1, None].")

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
