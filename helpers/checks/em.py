"""Checks of notebook 04, the EM loop.

Public: ``reference_run_em``, ``check_run_em`` (re-exported by :mod:`helpers.checks`).
"""

from __future__ import annotations

import numpy as np

from ..inference import log_likelihood
from ..learning import fit_em
from ..tutorial_data import tutorial_data
from ._core import (
    _Failed,
    _run,
    _fit,
    _f,
    _float_array,
    _expect_shape,
    _expect_finite,
    _close,
    _difference,
    _order_hint,
    _result_tuple,
)

__all__ = ["reference_run_em", "check_run_em"]


def reference_run_em(Y, psi, A, L, dt, n_iter, tol):
    """Reference for notebook 04's ``run_em`` exercise, built on :func:`helpers.fit_em`.

    Returns
    -------
    psi, A, L, lls
        Fitted parameters and the log-likelihood (total nats) before every
        M-step and after the last.
    """
    fit = fit_em(Y, len(psi), dt, n_iter=n_iter, tol=tol, init=(psi, A, L))
    return fit.psi, fit.A, fit.L, np.array(fit.lls)



_EM_N_ITER_SHORT = 4
_EM_N_ITER_LONG = 60
_EM_TOL = 1e-4
_EM_TOL_BIG = 0.5  # so large that the very first gain is below tol * |ll|: EM stops after one M-step


def _em_case():
    d = tutorial_data(n_trials=8, T=100, seed=4)
    Y, dt = d["Y"], d["dt"]
    psi = np.array([0.25, 0.35, 0.4])
    A = np.array([[0.9, 0.07, 0.03], [0.04, 0.92, 0.04], [0.06, 0.02, 0.92]])
    L = d["L"] * np.array([[1.2, 0.8, 1.1]]) + 3.0
    return Y, psi, A, L, dt


def _em_stop_length(lls, tol, relative=True):
    """Number of entries EM records with this stopping rule, given a long tol = 0 run."""
    for i in range(1, len(lls)):
        thresh = tol * abs(lls[i]) if relative else tol
        if lls[i] - lls[i - 1] <= thresh:
            return i + 1
    return len(lls)


def _em_unpack(res, n_trials, K, C):
    with _order_hint("psi, A, L, lls"):
        return _em_unpack_inner(res, n_trials, K, C)


def _em_unpack_inner(res, n_trials, K, C):
    psi, A, L, lls = _result_tuple(res, 4, "psi, A, L, lls")
    if np.isscalar(lls) or (isinstance(lls, np.ndarray) and lls.ndim == 0):
        raise _Failed("lls is a single number; it should be the list of all log-likelihoods.",
                      "Append the log-likelihood of every E-step to a list, and return that list.")
    lls = _float_array(lls, "lls")
    if lls.ndim == 2 and n_trials in lls.shape:
        raise _Failed(
            f"lls has shape {lls.shape}: it holds one log-likelihood per trial.",
            "Record the TOTAL log-likelihood summed over trials (post.ll, not post.trial_ll), "
            "one number per E-step.",
        )
    if lls.ndim != 1:
        raise _Failed(f"lls should be a flat list of numbers, yours has shape {lls.shape}.",
                      "Append one number (the total log-likelihood) per E-step.")
    if lls.size == 0:
        raise _Failed("lls is empty.", "Append the log-likelihood of every E-step to the list.")
    _expect_finite(lls, "lls")
    psi = _float_array(psi, "psi")
    A = _float_array(A, "A")
    L = _float_array(L, "L")
    _expect_shape(psi, (K,), "psi", ("K",))
    _expect_shape(A, (K, K), "A", ("K", "K"))
    _expect_shape(L, (C, K), "L", ("C", "K"))
    for arr, what in ((psi, "psi"), (A, "A"), (L, "L")):
        _expect_finite(arr, what)
    return psi, A, L, lls


def _expect_final_params(Y, dt, ref, psi, A, L, when):
    """Fail unless (psi, A, L) are the reference run's final parameters (those of lls[-1])."""
    for got, ref_val, what in ((psi, ref.psi, "psi"), (A, ref.A, "A"), (L, ref.L, "L")):
        if _close(got, ref_val, rtol=1e-6):
            continue
        ahead = _one_more_step(Y, ref, dt)
        if all(_close(g, a, rtol=1e-6) for g, a in zip((psi, A, L), ahead)):
            raise _Failed(
                f"{when}, the returned parameters are one M-step newer than lls[-1] records.",
                "Test the stopping rule right after recording the E-step's log-likelihood and "
                "before the M-step: when it holds, leave the loop with the parameters that "
                "log-likelihood belongs to.",
            )
        raise _Failed(f"after stopping early, the returned {what} does not match helpers.fit_em.",
                      _difference(got, ref_val, what),
                      "When EM stops, return the parameters whose log-likelihood is lls[-1].")


def check_run_em(run_em):
    """Check ``run_em(Y, psi, A, L, dt, n_iter, tol) -> (psi, A, L, lls)``.

    Compares with ``helpers.fit_em(Y, K, dt, n_iter=n_iter, tol=tol,
    init=(psi, A, L))``: ``lls`` are total log-likelihoods (nats) before
    every M-step and after the last; EM stops early when one step improves
    the log-likelihood by at most ``tol * |ll|``. Detects: returning the
    wrong number of things, per-trial or per-bin log-likelihoods, lls that
    start after the first M-step or miss the last value, parameters never
    updated (constant lls), the E-step left outside the loop, decreasing
    lls, one M-step too many, a stopping test that holds at once (a negative
    gain or relative gain), an inverted stopping test (stops when the gain is
    LARGE: at once with tol = 0, never with a huge tol), a test that skips the
    first gain (``m > 1``: with tol = 0.5, where EM must stop right after its
    first M-step, it runs one more), never stopping early (also: a negative
    threshold tol * ll), an absolute instead of relative tolerance, the stopping ll
    left out, the final ll appended twice after an early stop, returning the
    starting or stale parameters or those one M-step past lls[-1], inputs
    modified in place.

    Returns
    -------
    bool
        True if every check passed.
    """

    def body(ctx):
        Y, psi0, A0, L0, dt = _em_case()
        n, T, C = Y.shape
        K = psi0.size
        ctx.shapes = f"Y (n_trials, T, C) = ({n}, {T}, {C}), psi ({K},), A ({K}, {K}), L (C, K) = ({C}, {K})"
        init = (psi0, A0, L0)
        ctx.case = (f"{n} trials of {T} bins, C = {C}, K = {K}, dt = {dt} s, "
                    f"n_iter = {_EM_N_ITER_SHORT}, tol = 0")

        ctx.step("returns psi, A, L and a list of log-likelihoods")
        res = ctx.call(Y, psi0, A0, L0, dt, _EM_N_ITER_SHORT, 0.0)
        psi, A, L, lls = _em_unpack(res, n, K, C)
        ref = _fit(Y, K, dt, "em", n_iter=_EM_N_ITER_SHORT, tol=0.0, init=init)

        ctx.step("lls[0] is the log-likelihood of the starting parameters (total, nats)")
        ll0 = ref.lls[0]
        if not _close(lls[0], ll0, rtol=1e-7):
            if _close(lls[0], ll0 / n, rtol=1e-7):
                raise _Failed("lls looks like log-likelihoods per trial.",
                              "Record the total over all trials (post.ll, in nats), not the mean per trial.")
            if _close(lls[0], ll0 / (n * T), rtol=1e-7) or _close(lls[0], ll0 / (n * T * C), rtol=1e-7):
                raise _Failed("lls looks like log-likelihoods per bin.",
                              "Record the TOTAL log-likelihood in nats, summed over all trials and bins: "
                              "the ll attribute of the E-step's result.")
            if _close(lls[0], -ll0, rtol=1e-7):
                raise _Failed("lls has the wrong sign.", "Record the log-likelihood itself (negative numbers here).")
            if _close(lls[0], ref.lls[1], rtol=1e-7):
                raise _Failed(
                    "lls[0] is the log-likelihood after the first M-step.",
                    "Record the log-likelihood of the E-step BEFORE each M-step (the first one is "
                    "at the starting parameters), and one more after the last M-step.",
                )
            raise _Failed(f"lls[0] = {_f(lls[0], '.6g')}, but the log-likelihood of the starting "
                          f"parameters is {_f(ll0, '.6g')}.",
                          "Start by running the E-step at the parameters you are given and record its ll.")

        ctx.step(f"n_iter = {_EM_N_ITER_SHORT} M-steps: {_EM_N_ITER_SHORT + 1} log-likelihoods "
                 "that never decrease")
        want = ref.lls
        if lls.size > 1 and np.all(lls == lls[0]):
            raise _Failed(
                "the log-likelihood never changes: the parameters are never updated.",
                "Assign the M-step's result back, psi, A, L = m_step(...), so that the next "
                "E-step uses the new parameters.",
            )
        if lls.size > 2 and not np.all(lls == lls[0]) and (
            np.all(lls[1:] == lls[1]) or np.all(lls[:-1] == lls[0])
        ):
            raise _Failed(
                "the log-likelihood changes only once: the E-step is not repeated.",
                "Run the E-step inside the loop, at the current parameters, so every M-step uses "
                "fresh posteriors (gamma, xi_sum).",
            )
        drops = np.diff(lls) < -1e-7 * np.abs(lls[1:])
        if np.any(drops):
            i = int(np.argmax(drops))
            raise _Failed(
                f"the log-likelihood decreases (from {_f(lls[i], '.6g')} to {_f(lls[i + 1], '.6g')}); "
                "EM never decreases it.",
                "Each iteration: E-step at the current parameters (record its ll), then M-step with "
                "THOSE posteriors; the next E-step uses the new parameters.",
            )
        if lls.size != want.size:
            if lls.size == 2 and _close(lls, want[:2], rtol=1e-7):
                _inverted_test(ctx, Y, psi0, A0, L0, dt, lls, n, K, C)
                raise _Failed(
                    f"EM stopped after its first M-step although tol = 0 (n_iter = {_EM_N_ITER_SHORT}): "
                    "your stopping test holds for a step that gained "
                    f"{_f(lls[1] - lls[0], '.3g')} nats.",
                    "The quantity you compare with tol comes out negative. The gain is new minus old, "
                    "ℓ(m) - ℓ(m-1) >= 0, and ℓ itself is negative: scale tol by |ℓ| (abs), "
                    "never by ℓ, and do not divide the gain by ℓ.",
                )
            if lls.size == want.size + 1 and _close(lls[:-1], want, rtol=1e-7) and lls[-1] != lls[-2]:
                raise _Failed(
                    f"one M-step too many: with n_iter = {_EM_N_ITER_SHORT} and tol = 0 your lls has "
                    f"{lls.size} entries, it should have {want.size}.",
                    "n_iter is the number of M-steps: the loop body (E-step, test, M-step) runs at most "
                    "n_iter times, then one more log-likelihood is recorded, n_iter + 1 in all.",
                )
            if lls.size == want.size - 1 and _close(lls, want[1:], rtol=1e-7):
                hint = ("The first entry is missing: record the log-likelihood BEFORE each M-step "
                        "(the first at the starting parameters).")
            elif lls.size == want.size - 1 and _close(lls, want[:-1], rtol=1e-7):
                hint = ("The last entry is missing: after the final M-step run one more E-step "
                        "(or helpers.log_likelihood) and append its log-likelihood.")
            elif lls.size == want.size + 1 and lls[-1] == lls[-2]:
                hint = "The last log-likelihood is appended twice."
            elif lls.size < want.size:
                hint = ("EM stopped early although tol = 0: stop only when the gain of a step is "
                        "at most tol * |ℓ|, or after n_iter M-steps.")
            else:
                hint = f"Run at most n_iter M-steps; record {want.size} numbers in all."
            raise _Failed(
                f"lls has {lls.size} entries; with n_iter = {_EM_N_ITER_SHORT} and tol = 0 it should "
                f"have {want.size}: one before each M-step and one after the last.",
                hint,
            )
        if not _close(lls, want, rtol=1e-7):
            raise _Failed("the log-likelihoods do not match helpers.fit_em.",
                          _difference(lls, want, "lls", ".8g"),
                          "Use helpers.e_step / helpers.m_step, or check your own against them.")

        ctx.step("returns the parameters after the last M-step")
        for got, init_val, ref_val, what in ((psi, psi0, ref.psi, "psi"), (A, A0, ref.A, "A"),
                                             (L, L0, ref.L, "L")):
            if not _close(got, ref_val, rtol=1e-6):
                if _close(psi, psi0) and _close(A, A0) and _close(L, L0):
                    raise _Failed("your function returns the starting parameters.",
                                  "Return the parameters after the last M-step (those whose "
                                  "log-likelihood is lls[-1]).")
                ll_got = log_likelihood(Y, psi, A, L, dt) if _valid_params(psi, A, L) else None
                if ll_got is not None and lls.size > 1 and np.isclose(ll_got, want[-2], rtol=1e-9):
                    raise _Failed("your function returns the parameters from before the last M-step.",
                                  "Return the newest parameters, whose log-likelihood is lls[-1].")
                raise _Failed(f"the returned {what} does not match helpers.fit_em.",
                              _difference(got, ref_val, what))

        ctx.step(f"stops early when the improvement is below tol * |ll| (relative, tol = {_EM_TOL:g})")
        ctx.case = (f"{n} trials of {T} bins, C = {C}, K = {K}, n_iter = {_EM_N_ITER_LONG}, "
                    f"tol = {_EM_TOL:g}")
        res = ctx.call(Y, psi0, A0, L0, dt, _EM_N_ITER_LONG, _EM_TOL)
        psi, A, L, lls = _em_unpack(res, n, K, C)
        ref2 = _fit(Y, K, dt, "em", n_iter=_EM_N_ITER_LONG, tol=_EM_TOL, init=init)
        want = ref2.lls
        if lls.size != want.size:
            long_run = _fit(Y, K, dt, "em", n_iter=_EM_N_ITER_LONG, tol=0.0, init=init).lls
            abs_len = _em_stop_length(long_run, _EM_TOL, relative=False)
            rule = (f"The rule: stop as soon as a step's gain ℓ(m) - ℓ(m-1) is at most tol * |ℓ(m)| "
                    f"(here about {_f(_EM_TOL * abs(want[-1]), '.2g')} nats), before another M-step.")
            if lls.size == want.size + 1 and lls[-1] == lls[-2]:
                head = ("after stopping early, the last log-likelihood is appended twice.")
                rule = ("Append the final log-likelihood after the loop only when it ran all "
                        "n_iter M-steps (e.g. with for ... else, or a flag); when EM stops early, "
                        "the ll that triggered the stop is already the last entry.")
            elif lls.size == want.size - 1 and _close(lls, want[:-1], rtol=1e-7):
                head = (f"EM stopped at the right step, but the log-likelihood that triggered the stop "
                        f"is missing: {lls.size} entries, helpers.fit_em records {want.size}.")
                rule = ("Append every E-step's log-likelihood first, then test it: the returned "
                        "parameters are those of lls[-1], so the last ll must be in the list.")
            elif lls.size == _EM_N_ITER_LONG + 1 and lls.size != abs_len:
                head = (f"EM never stopped early: {lls.size} log-likelihoods, helpers.fit_em "
                        f"stops after {want.size}.")
                rule += (" If your test is there, check its threshold: ℓ is negative, so tol * ℓ is "
                         "negative too and no gain is ever below it; use tol * abs(ℓ).")
            elif lls.size == abs_len:
                head = ("the stopping rule uses an absolute tolerance (improvement < tol); "
                        "it should be relative to the log-likelihood.")
            elif lls.size < want.size:
                head = (f"EM stopped too early: {lls.size} log-likelihoods, helpers.fit_em stops "
                        f"after {want.size}.")
            else:
                head = (f"EM stopped too late: {lls.size} log-likelihoods, helpers.fit_em stops "
                        f"after {want.size}.")
            raise _Failed(head, rule)
        if not _close(lls, want, rtol=1e-7):
            raise _Failed("the log-likelihoods do not match helpers.fit_em.",
                          _difference(lls, want, "lls", ".8g"))
        _expect_final_params(Y, dt, ref2, psi, A, L, "after stopping early")

        # still part of the stopping-rule step: EM must be able to stop right after its first M-step
        ctx.case = (f"{n} trials of {T} bins, C = {C}, K = {K}, n_iter = {_EM_N_ITER_SHORT}, "
                    f"tol = {_EM_TOL_BIG:g} (so large that the first gain is already below tol * |ll|)")
        res = ctx.call(Y, psi0, A0, L0, dt, _EM_N_ITER_SHORT, _EM_TOL_BIG)
        psi, A, L, lls = _em_unpack(res, n, K, C)
        ref3 = _fit(Y, K, dt, "em", n_iter=_EM_N_ITER_SHORT, tol=_EM_TOL_BIG, init=init)
        want = ref3.lls
        if lls.size != want.size:
            gain = want[1] - want[0]
            if lls.size == want.size + 1 and lls[-1] == lls[-2]:
                head = "after stopping early, the last log-likelihood is appended twice."
                hint = ("Append the final log-likelihood after the loop only when it ran all n_iter "
                        "M-steps; when EM stops early, the ll that triggered the stop is already the last entry.")
            elif lls.size == want.size + 1 and _close(lls[:want.size], want, rtol=1e-7):
                head = (f"EM stopped one M-step late: with tol = {_EM_TOL_BIG:g} the very first gain "
                        f"({_f(gain, '.3g')} nats) is already below tol * |ℓ| "
                        f"({_f(_EM_TOL_BIG * abs(want[1]), '.3g')} nats), so EM must stop right after its "
                        "first M-step, but yours ran another one.")
                hint = ("Your stopping test skips the first gain, lls[1] - lls[0]: test it as soon as TWO "
                        "log-likelihoods exist (with a loop counter m starting at 0, that is m >= 1, not "
                        "m > 1; or len(lls) > 1).")
            elif lls.size == _EM_N_ITER_SHORT + 1:
                head = (f"EM never stopped early with tol = {_EM_TOL_BIG:g}, although every gain is far "
                        "below tol * |ℓ|.")
                hint = ("Stop as soon as a step's gain ℓ(m) - ℓ(m-1) is at most tol * |ℓ(m)|, testing the "
                        "first gain too.")
            else:
                head = (f"with tol = {_EM_TOL_BIG:g}, EM must stop right after its first M-step: "
                        f"{want.size} log-likelihoods; yours recorded {lls.size}.")
                hint = ("Test the stopping rule on every gain, the first one (lls[1] - lls[0]) included, "
                        "right after recording the log-likelihood and before the next M-step.")
            raise _Failed(head, hint)
        _expect_final_params(Y, dt, ref3, psi, A, L, "after stopping right after the first M-step")
        ctx.case = ""

    return _run("run_em", run_em, "run_em(Y, psi, A, L, dt, n_iter, tol)",
                ("Y", "psi", "A", "L", "dt", "n_iter", "tol"), "psi, A, L, lls", body,
                "return values, total log-likelihoods before every M-step and after the last, "
                "monotone increase, the final parameters, and the relative stopping rule, all "
                "against helpers.fit_em; inputs left untouched")


def _inverted_test(ctx, Y, psi0, A0, L0, dt, lls0, n, K, C):
    """EM stopped after one step with tol = 0: is the stopping test inverted? Raise _Failed if so.

    An inverted test (stop when the gain is LARGE) stops at once when tol = 0 and never when tol
    is so large that every gain is below tol * |ll|. A test on a negative quantity stops in both.
    """
    try:
        res = ctx.call(Y, psi0, A0, L0, dt, _EM_N_ITER_SHORT, _EM_TOL_BIG)
        lls_big = _em_unpack(res, n, K, C)[3]
    except _Failed:
        return
    if lls_big.size == _EM_N_ITER_SHORT + 1:
        raise _Failed(
            "your stopping test is inverted: it stops EM when the gain is LARGE. With tol = 0 EM stopped "
            f"after its first M-step, which gained {_f(lls0[1] - lls0[0], '.3g')} nats; with "
            f"tol = {_EM_TOL_BIG:g}, where every gain is far below tol * |ℓ|, it never stopped.",
            "EM stops when a step no longer helps: when the gain ℓ(m) - ℓ(m-1) is AT MOST tol * |ℓ(m)| "
            "(<=), not at least (>=).",
        )


def _one_more_step(Y, fit, dt):
    """The parameters one EM step after ``fit``'s (what a loop that tests after the M-step returns)."""
    from ..inference import e_step
    from ..learning import m_step

    post = e_step(Y, fit.psi, fit.A, fit.L, dt)
    return m_step(Y, post.gamma, post.xi_sum, dt, prev=(fit.psi, fit.A, fit.L))


def _valid_params(psi, A, L):
    return (np.all(psi >= 0) and np.isclose(psi.sum(), 1) and np.all(A >= 0)
            and np.allclose(A.sum(axis=1), 1) and np.all(L >= 0))
