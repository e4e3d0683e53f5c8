"""Checks of notebook 06, checking the model: held-out log-likelihood.

Public: ``reference_heldout_ll``, ``check_heldout_ll`` (re-exported by :mod:`helpers.checks`).
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
    _scalar,
    _result_tuple,
)

__all__ = ["reference_heldout_ll", "check_heldout_ll"]


def reference_heldout_ll(Y_train, Y_test, K, dt, seed):
    """Reference for notebook 06's ``heldout_ll`` exercise.

    Returns
    -------
    train_ll_per_s, test_ll_per_s : float
        Log-likelihood per second of recording (nats/s) of the training data
        (after fitting on it) and of the test data.
    """
    Y_train, Y_test = np.asarray(Y_train), np.asarray(Y_test)
    fit = fit_em(Y_train, K, dt, seed=seed)
    train = fit.lls[-1] / (Y_train.shape[0] * Y_train.shape[1] * dt)
    test = log_likelihood(Y_test, fit.psi, fit.A, fit.L, dt) / (Y_test.shape[0] * Y_test.shape[1] * dt)
    return float(train), float(test)


def _heldout_units(v, ref, which, n, T, dt, other_duration, duration_text):
    """Fail if ``v`` is ``ref`` (nats per second) in the wrong units."""
    dur = n * T * dt
    units = [
        (ref * dur, "is a total log-likelihood, not per second."),
        (ref * dt, "is per bin, not per second."),
        (ref * T * dt, "is per trial, not per second."),
        (ref * n, "is per second of ONE trial (divided by T * dt only)."),
        (ref * dur / other_duration, f"is divided by the duration of the {'TEST' if which == 'training' else 'TRAINING'} set."),
    ]
    for cand, tail in units:
        if np.isclose(v, cand, rtol=1e-7):
            raise _Failed(f"the {which} value {tail}",
                          f"Divide the {which} log-likelihood (total, in nats) by the duration of the "
                          f"{which} recording, {duration_text} seconds.")


def _heldout_cases():
    tr = tutorial_data(n_trials=6, T=80, seed=5)
    te = tutorial_data(n_trials=3, T=50, seed=6)
    return tr["Y"], te["Y"], tr["dt"]


def check_heldout_ll(heldout_ll):
    """Check ``heldout_ll(Y_train, Y_test, K, dt, seed) -> (train_ll_per_s, test_ll_per_s)``.

    The reference: ``fit = helpers.fit_em(Y_train, K, dt, seed=seed)``;
    train = ``fit.lls[-1] / (n_train * T * dt)``; test =
    ``helpers.log_likelihood(Y_test, fit.psi, fit.A, fit.L, dt) /
    (n_test * T_test * dt)``. Detects: not two numbers, swapped outputs,
    totals / per bin / per trial instead of per second, dividing by the other
    set's duration, scoring the training set twice, fitting on the test
    set, other fit settings, inputs modified in place.

    Returns
    -------
    bool
        True if every check passed.
    """

    def body(ctx):
        Y_tr, Y_te, dt = _heldout_cases()
        n_tr, T_tr, C = Y_tr.shape
        n_te, T_te, _ = Y_te.shape
        dur_tr = n_tr * T_tr * dt
        dur_te = n_te * T_te * dt
        ctx.shapes = (f"Y_train (n_train, T, C) = {Y_tr.shape}, Y_test (n_test, T_test, C) = {Y_te.shape}")
        for j, (K, seed) in enumerate(((2, 0), (3, 1))):
            ctx.case = (f"Y_train {n_tr} trials of {T_tr} bins, Y_test {n_te} trials of {T_te} bins, "
                        f"C = {C}, K = {K}, dt = {dt} s, seed = {seed}")
            ctx.step("returns two numbers" if j == 0 else f"a second case: K = {K}, seed = {seed}")
            res = ctx.call(Y_tr, Y_te, K, dt, seed)
            if isinstance(res, dict):
                raise _Failed("your function returned a dict; it should return two numbers.",
                              "End it with `return train_ll_per_s, test_ll_per_s`.")
            a, b = _result_tuple(res, 2, "train_ll_per_s, test_ll_per_s")
            one = "Return two numbers: `return train_ll_per_s, test_ll_per_s`."
            a = _scalar(a, "the training log-likelihood", one)
            b = _scalar(b, "the test log-likelihood", one)
            if not (np.isfinite(a) and np.isfinite(b)):
                raise _Failed(f"your values ({_f(a)}, {_f(b)}) are not finite numbers.")
            fit = _fit(Y_tr, K, dt, "train", seed=seed)
            tr = fit.lls[-1] / dur_tr
            te = log_likelihood(Y_te, fit.psi, fit.A, fit.L, dt) / dur_te
            if j == 0:
                ctx.step("training log-likelihood per second")
                ctx.step("test log-likelihood per second")
            ok_a = np.isclose(a, tr, rtol=1e-7)
            ok_b = np.isclose(b, te, rtol=1e-7)
            if ok_a and ok_b:
                continue
            if np.isclose(a, te, rtol=1e-7) and np.isclose(b, tr, rtol=1e-7):
                raise _Failed("the two values are swapped.",
                              "Return (train_ll_per_s, test_ll_per_s), training first.")
            if not ok_a:
                _heldout_units(a, tr, "training", n_tr, T_tr, dt, dur_te, "n_train * T * dt")
                if np.isclose(a, te, rtol=1e-7):
                    raise _Failed("the training value is the test log-likelihood.",
                                  "Return the training value first: fit.lls[-1] / (n_train * T * dt).")
                fit_te = _fit(Y_te, K, dt, "test", seed=seed)
                on_test = (fit_te.lls[-1] / dur_te,
                           log_likelihood(Y_tr, fit_te.psi, fit_te.A, fit_te.L, dt) / dur_tr)
                if any(np.isclose(a, v, rtol=1e-7) for v in on_test):
                    raise _Failed("the model was fitted on the test set.",
                                  "Fit on Y_train only: fit = helpers.fit_em(Y_train, K, dt, seed=seed).")
                raise _Failed(
                    f"the training log-likelihood per second is {_f(a, '.8g')}, expected {_f(tr, '.8g')}.",
                    "Fit with fit = helpers.fit_em(Y_train, K, dt, seed=seed) (other settings at their "
                    "defaults) and divide fit.lls[-1] by n_train * T * dt.",
                )
            _heldout_units(b, te, "test", n_te, T_te, dt, dur_tr, "n_test * T_test * dt")
            if np.isclose(b, tr, rtol=1e-7) or np.isclose(b, fit.lls[-1] / dur_te, rtol=1e-7):
                raise _Failed("the test value scores the TRAINING set again.",
                              "Evaluate helpers.log_likelihood(Y_test, fit.psi, fit.A, fit.L, dt) "
                              "on the test trials.")
            fit_te = _fit(Y_te, K, dt, "test", seed=seed)
            if np.isclose(b, fit_te.lls[-1] / dur_te, rtol=1e-7):
                raise _Failed("the model was fitted on the test set.",
                              "Fit on Y_train only; the test set is only scored.")
            raise _Failed(
                f"the test log-likelihood per second is {_f(b, '.8g')}, expected {_f(te, '.8g')}.",
                "Score the fitted model on the test trials, helpers.log_likelihood(Y_test, fit.psi, "
                "fit.A, fit.L, dt), and divide by n_test * T_test * dt.",
            )
        ctx.case = ""

    return _run("heldout_ll", heldout_ll, "heldout_ll(Y_train, Y_test, K, dt, seed)",
                ("Y_train", "Y_test", "K", "dt", "seed"), "train_ll_per_s, test_ll_per_s", body,
                "two numbers: training and test log-likelihood per second of recording, equal to "
                "helpers.fit_em + helpers.log_likelihood on two cases (K = 2 and 3); inputs left "
                "untouched")
