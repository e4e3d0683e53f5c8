"""Tests of the checks of notebook 04 (EM): `run_em`.

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
from test_checks_03_m_step import m_step_loops  # noqa: E402


# ------------------------------------------------------------------------------------
# 04: run_em
# ------------------------------------------------------------------------------------


def run_em_reference(Y, psi, A, L, dt, n_iter, tol):
    fit = helpers.fit_em(Y, len(psi), dt, n_iter=n_iter, tol=tol, init=(psi, A, L))
    return fit.psi, fit.A, fit.L, fit.lls


def run_em_student(Y, psi, A, L, dt, n_iter, tol):
    """Correct, written the way the notebook suggests."""
    lls = []
    for _ in range(n_iter):
        post = helpers.e_step(Y, psi, A, L, dt)
        lls.append(post.ll)
        if len(lls) > 1 and lls[-1] - lls[-2] < tol * abs(lls[-1]):
            return psi, A, L, lls
        psi, A, L = helpers.m_step(Y, post.gamma, post.xi_sum, dt)
    lls.append(helpers.log_likelihood(Y, psi, A, L, dt))
    return psi, A, L, lls


def run_em_while(Y, psi, A, L, dt, n_iter, tol):
    """Correct, a while loop and the student's own m_step."""
    post = helpers.e_step(Y, psi, A, L, dt)
    lls = [post.ll]
    steps = 0
    while steps < n_iter:
        psi, A, L = m_step_loops(Y, post.gamma, post.xi_sum, dt)
        steps += 1
        post = helpers.e_step(Y, psi, A, L, dt)
        lls.append(post.ll)
        if lls[-1] - lls[-2] <= tol * abs(lls[-2]):
            break
    return psi, A, L, np.array(lls)


def _em(Y, psi, A, L, dt, n_iter, tol, *, update=True, after_only=False, stop="relative",
        per_trial=False, return_init=False, skip_last=False, stale=False, fresh_ll=False):
    psi0, A0, L0 = psi, A, L
    lls = []
    post = helpers.e_step(Y, psi, A, L, dt)
    for _ in range(n_iter):
        if not stale:
            post = helpers.e_step(Y, psi, A, L, dt)
        ll = post.ll / Y.shape[0] if per_trial else post.ll
        if fresh_ll:
            ll = helpers.log_likelihood(Y, psi, A, L, dt)
        if not after_only:
            lls.append(ll)
        if len(lls) > 1 and stop != "never":
            thresh = tol * abs(lls[-1]) if stop == "relative" else tol
            if lls[-1] - lls[-2] < thresh:
                break
        new = helpers.m_step(Y, post.gamma, post.xi_sum, dt)
        if update:
            psi, A, L = new
        if after_only:
            lls.append(helpers.log_likelihood(Y, psi, A, L, dt))
    else:
        if not after_only and not skip_last:
            ll = helpers.log_likelihood(Y, psi, A, L, dt)
            lls.append(ll / Y.shape[0] if per_trial else ll)
    if return_init:
        return psi0, A0, L0, lls
    return psi, A, L, lls


def run_em_trial_lls(Y, psi, A, L, dt, n_iter, tol):
    lls = []
    for _ in range(n_iter):
        post = helpers.e_step(Y, psi, A, L, dt)
        lls.append(post.trial_ll)
        psi, A, L = helpers.m_step(Y, post.gamma, post.xi_sum, dt)
    lls.append(helpers.log_likelihood(Y, psi, A, L, dt, per_trial=True))
    return psi, A, L, lls


def run_em_modifies_A(Y, psi, A, L, dt, n_iter, tol):
    res = run_em_student(Y, psi, A, L, dt, n_iter, tol)
    A[:] = res[1]  # "update the caller's A"
    return res


@pytest.mark.parametrize("fn", [run_em_reference, run_em_student, run_em_while, _em])
def test_run_em_correct_passes(fn, capsys):
    out = assert_passes(checks.check_run_em, fn, capsys)
    assert "passed all 5 checks" in out


@pytest.mark.parametrize(
    "kwargs, keywords",
    [
        (dict(update=False), ("never updated",)),
        (dict(after_only=True), ("after the first m-step",)),
        (dict(stop="never"), ("never stopped early",)),
        (dict(stop="absolute"), ("absolute",)),
        (dict(per_trial=True), ("per trial",)),
        (dict(return_init=True), ("starting parameters",)),
        (dict(skip_last=True), ("last entry is missing",)),
        (dict(stale=True), ("e-step is not repeated",)),
        (dict(stale=True, fresh_ll=True), ("e-step is not repeated",)),
    ],
)
def test_run_em_mistakes_caught(kwargs, keywords, capsys):
    def wrong(Y, psi, A, L, dt, n_iter, tol):
        return _em(Y, psi, A, L, dt, n_iter, tol, **kwargs)

    assert_caught(checks.check_run_em, wrong, capsys, *keywords)


@pytest.mark.parametrize(
    "fn, keywords",
    [
        (run_em_trial_lls, ("per trial", "trial_ll")),
        (run_em_modifies_A, ("in place",)),
        (lambda Y, psi, A, L, dt, n_iter, tol: run_em_student(Y, psi, A, L, dt, n_iter, tol)[:3],
         ("4 things",)),
        (lambda Y, psi, A, L, dt, n_iter, tol: (psi, A, L, -1.0), ("single number",)),
        (lambda Y, psi, A, L, dt, n_iter, tol: run_em_student(Y, psi, A, L, dt, n_iter, tol)[::-1],
         ("shape", "array of numbers")),
        (lambda Y, psi, A, L, dt, n_iter, tol: (*run_em_student(Y, psi, A, L, dt, n_iter, tol)[:3],
                                                [-x for x in run_em_student(Y, psi, A, L, dt, n_iter, tol)[3]]),
         ("sign",)),
        (lambda Y, psi, A, L, dt, n_iter, tol: (*run_em_student(Y, psi, A, L, dt, n_iter, tol)[:3],
                                                run_em_student(Y, psi, A, L, dt, n_iter, tol)[3][::-1]),
         ("decreases", "lls[0]")),
        (not_done, ("not done yet",)),
    ],
)
def test_run_em_more_mistakes_caught(fn, keywords, capsys):
    assert_caught(checks.check_run_em, fn, capsys, *keywords)


def test_run_em_final_ll_appended_twice_caught(capsys):
    def run_em_double_append(Y, psi, A, L, dt, n_iter, tol):
        lls = []
        for _ in range(n_iter):
            post = helpers.e_step(Y, psi, A, L, dt)
            lls.append(post.ll)
            if len(lls) > 1 and lls[-1] - lls[-2] < tol * abs(lls[-1]):
                break
            psi, A, L = helpers.m_step(Y, post.gamma, post.xi_sum, dt)
        lls.append(helpers.log_likelihood(Y, psi, A, L, dt))  # also after an early stop
        return psi, A, L, lls

    assert_caught(checks.check_run_em, run_em_double_append, capsys, "appended twice")


def test_run_em_not_done_inside_reports_callee(capsys):
    def run_em_calls_unfinished(Y, psi, A, L, dt, n_iter, tol):
        post = helpers.e_step(Y, psi, A, L, dt)
        not_done(Y, post.gamma, post.xi_sum, dt)

    out = assert_caught(checks.check_run_em, run_em_calls_unfinished, capsys, "not done yet")
    assert "`not_done`" in out
