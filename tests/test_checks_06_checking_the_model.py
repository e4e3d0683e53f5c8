"""Tests of the checks of notebook 06 (checking the model): `heldout_ll`.

Every check passes the reference and correct implementations written
differently, and fails a catalogue of wrong ones, the kind students write,
each with its own specific message.
"""

from __future__ import annotations


import numpy as np
import pytest

import helpers
from helpers import checks

from check_helpers import assert_caught, assert_message, assert_passes, not_done, run_check  # noqa: F401


# ------------------------------------------------------------------------------------
# 05: heldout_ll
# ------------------------------------------------------------------------------------


def heldout_reference(Y_train, Y_test, K, dt, seed):
    fit = helpers.fit_em(Y_train, K, dt, seed=seed)
    n, T, _ = Y_train.shape
    m, T2, _ = Y_test.shape
    test = helpers.log_likelihood(Y_test, fit.psi, fit.A, fit.L, dt)
    return fit.lls[-1] / (n * T * dt), test / (m * T2 * dt)


def heldout_other_style(Y_train, Y_test, K, dt, seed):
    fit = helpers.fit_em(Y_train, K, dt, seed=seed)
    seconds = lambda Y: Y.shape[0] * Y.shape[1] * dt  # noqa: E731
    train = helpers.log_likelihood(Y_train, fit.psi, fit.A, fit.L, dt, per_trial=True).sum()
    test = helpers.log_likelihood(Y_test, fit.psi, fit.A, fit.L, dt)
    return float(train / seconds(Y_train)), float(test / seconds(Y_test))


def _held(Y_train, Y_test, K, dt, seed, *, unit="s", fit_on="train", score_test="test", swap=False,
          test_duration="test"):
    fit = helpers.fit_em(Y_train if fit_on == "train" else Y_test, K, dt, seed=seed)
    tr = helpers.log_likelihood(Y_train, fit.psi, fit.A, fit.L, dt)
    te = helpers.log_likelihood(Y_test if score_test == "test" else Y_train, fit.psi, fit.A, fit.L, dt)

    def per(total, Y):
        n, T, _ = Y.shape
        return {"s": total / (n * T * dt), "total": total, "bin": total / (n * T),
                "trial": total / n}[unit]

    a = per(tr, Y_train)
    b = per(te, Y_test if test_duration == "test" else Y_train)
    return (b, a) if swap else (a, b)


@pytest.mark.parametrize("fn", [heldout_reference, heldout_other_style, _held])
def test_heldout_correct_passes(fn, capsys):
    out = assert_passes(checks.check_heldout_ll, fn, capsys)
    assert "passed all 4 checks" in out


@pytest.mark.parametrize(
    "kwargs, keywords",
    [
        (dict(unit="total"), ("total log-likelihood, not per second",)),
        (dict(unit="bin"), ("per bin",)),
        (dict(unit="trial"), ("per trial",)),
        (dict(fit_on="test"), ("fitted on the test set",)),
        (dict(score_test="train", test_duration="train"), ("training set again",)),
        (dict(swap=True), ("swapped",)),
        (dict(test_duration="train"), ("duration of the training set",)),
    ],
)
def test_heldout_mistakes_caught(kwargs, keywords, capsys):
    def wrong(Y_train, Y_test, K, dt, seed):
        return _held(Y_train, Y_test, K, dt, seed, **kwargs)

    assert_caught(checks.check_heldout_ll, wrong, capsys, *keywords)


@pytest.mark.parametrize(
    "fn, keywords",
    [
        (lambda Ytr, Yte, K, dt, seed: heldout_reference(Ytr, Yte, 2, dt, seed), ("expected",)),
        (lambda Ytr, Yte, K, dt, seed: heldout_reference(Ytr, Yte, K, dt, 0), ("expected",)),
        (lambda Ytr, Yte, K, dt, seed: {"train": 1.0, "test": 2.0}, ("dict",)),
        (lambda Ytr, Yte, K, dt, seed: heldout_reference(Ytr, Yte, K, dt, seed)[0], ("2 things",)),
        (lambda Ytr, Yte, K, dt, seed: None, ("none",)),
        (lambda Ytr, Yte, K, dt, seed: (np.ones(3), np.ones(3)), ("single number",)),
        (not_done, ("not done yet",)),
    ],
)
def test_heldout_more_mistakes_caught(fn, keywords, capsys):
    assert_caught(checks.check_heldout_ll, fn, capsys, *keywords)
