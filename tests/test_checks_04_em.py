"""Tests of the checks of notebook 04 (EM): `run_em`.

Every check passes the reference and correct implementations written
differently, and fails a catalogue of wrong ones, the kind students write,
each with its own specific message.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import helpers
from helpers import checks

from check_helpers import headlines, assert_caught, assert_message, assert_passes, not_done, run_check  # noqa: F401
from test_checks_03_m_step import m_step_loops  # noqa: E402

e_step, m_step, log_likelihood = helpers.e_step, helpers.m_step, helpers.log_likelihood
m_step_used = helpers.m_step  # the name notebook 04's scaffold calls


# ------------------------------------------------------------------------------------
# 04: run_em, right answers written in different ways
# ------------------------------------------------------------------------------------


def run_em_reference(Y, psi, A, L, dt, n_iter, tol):
    fit = helpers.fit_em(Y, len(psi), dt, n_iter=n_iter, tol=tol, init=(psi, A, L))
    return fit.psi, fit.A, fit.L, fit.lls


def run_em_for_else(Y, psi, A, L, dt, n_iter, tol):
    """Correct: the solution's way, for ... else."""
    lls = []
    for _ in range(n_iter):
        post = e_step(Y, psi, A, L, dt)
        lls.append(post.ll)
        if len(lls) > 1 and lls[-1] - lls[-2] <= tol * abs(lls[-1]):
            break
        psi, A, L = m_step(Y, post.gamma, post.xi_sum, dt)
    else:
        lls.append(log_likelihood(Y, psi, A, L, dt))
    return psi, A, L, np.array(lls)


def run_em_early_return(Y, psi, A, L, dt, n_iter, tol):
    """Correct: return from inside the loop, strict < in the test."""
    lls = []
    for _ in range(n_iter):
        post = e_step(Y, psi, A, L, dt)
        lls.append(post.ll)
        if len(lls) > 1 and lls[-1] - lls[-2] < tol * abs(lls[-1]):
            return psi, A, L, lls
        psi, A, L = m_step(Y, post.gamma, post.xi_sum, dt)
    lls.append(log_likelihood(Y, psi, A, L, dt))
    return psi, A, L, lls


def run_em_flag(Y, psi, A, L, dt, n_iter, tol):
    """Correct: a flag instead of for ... else; the relative gain written as a ratio."""
    lls = []
    stopped = False
    for m in range(n_iter):
        post = e_step(Y, psi, A, L, dt)
        lls.append(post.ll)
        if m > 0 and (lls[m] - lls[m - 1]) / abs(lls[m]) <= tol:
            stopped = True
            break
        psi, A, L = m_step(Y, post.gamma, post.xi_sum, dt)
    if not stopped:
        lls.append(e_step(Y, psi, A, L, dt).ll)
    return psi, A, L, lls


def run_em_while(Y, psi, A, L, dt, n_iter, tol):
    """Correct: a while loop, the student's own m_step, |ll| of the PREVIOUS step in the rule."""
    post = e_step(Y, psi, A, L, dt)
    lls = [post.ll]
    steps = 0
    while steps < n_iter:
        psi, A, L = m_step_loops(Y, post.gamma, post.xi_sum, dt)
        steps += 1
        post = e_step(Y, psi, A, L, dt)
        lls.append(post.ll)
        if lls[-1] - lls[-2] <= tol * abs(lls[-2]):
            break
    return psi, A, L, np.array(lls)


def run_em_np_append(Y, psi, A, L, dt, n_iter, tol):
    """Correct: lls a numpy array grown with np.append; np.isclose as the stopping test."""
    lls = np.array([])
    done = False
    m = 0
    while m < n_iter and not done:
        post = e_step(Y, psi, A, L, dt)
        lls = np.append(lls, post.ll)
        if lls.size > 1 and np.isclose(lls[-1], lls[-2], rtol=tol, atol=0.0):
            done = True
        else:
            psi, A, L = m_step(Y, post.gamma, post.xi_sum, dt)
            m += 1
    if not done:
        lls = np.append(lls, log_likelihood(Y, psi, A, L, dt))
    return psi, A, L, lls


def run_em_math_isclose(Y, psi, A, L, dt, n_iter, tol):
    """Correct: math.isclose (relative to the larger |ll|), ll of every new parameter set computed anew."""
    lls = [log_likelihood(Y, psi, A, L, dt)]
    for _ in range(n_iter):
        post = e_step(Y, psi, A, L, dt)
        psi, A, L = m_step(Y, post.gamma, post.xi_sum, dt)
        new = log_likelihood(Y, psi, A, L, dt)
        lls.append(new)
        if math.isclose(lls[-1], lls[-2], rel_tol=tol, abs_tol=0.0):
            break
    return psi, A, L, lls


run_em_student = run_em_early_return  # the name tests/test_checks_core.py imports


CORRECT = [run_em_reference, run_em_for_else, run_em_early_return, run_em_flag, run_em_while,
           run_em_np_append, run_em_math_isclose]


@pytest.mark.parametrize("fn", CORRECT, ids=[f.__name__ for f in CORRECT])
def test_run_em_correct_passes(fn, capsys):
    out = assert_passes(checks.check_run_em, fn, capsys)
    assert "passed all 5 checks" in out


# ------------------------------------------------------------------------------------
# 04: run_em, the catalogue of mistakes
# ------------------------------------------------------------------------------------


def em_mean_per_trial(Y, psi, A, L, dt, n_iter, tol):
    psi, A, L, lls = run_em_for_else(Y, psi, A, L, dt, n_iter, tol)
    return psi, A, L, lls / Y.shape[0]


def em_trial_lls(Y, psi, A, L, dt, n_iter, tol):
    lls = []
    for _ in range(n_iter):
        post = e_step(Y, psi, A, L, dt)
        lls.append(post.trial_ll)
        psi, A, L = m_step(Y, post.gamma, post.xi_sum, dt)
    lls.append(log_likelihood(Y, psi, A, L, dt, per_trial=True))
    return psi, A, L, lls


def em_per_bin(Y, psi, A, L, dt, n_iter, tol):
    psi, A, L, lls = run_em_for_else(Y, psi, A, L, dt, n_iter, tol)
    return psi, A, L, lls / (Y.shape[0] * Y.shape[1])


def em_negated(Y, psi, A, L, dt, n_iter, tol):
    psi, A, L, lls = run_em_for_else(Y, psi, A, L, dt, n_iter, tol)
    return psi, A, L, -lls


def em_records_after_m_step(Y, psi, A, L, dt, n_iter, tol):
    """Records only the log-likelihoods of the new parameters: the starting one is missing."""
    lls = []
    for _ in range(n_iter):
        post = e_step(Y, psi, A, L, dt)
        psi, A, L = m_step(Y, post.gamma, post.xi_sum, dt)
        lls.append(log_likelihood(Y, psi, A, L, dt))
        if len(lls) > 1 and lls[-1] - lls[-2] <= tol * abs(lls[-1]):
            break
    return psi, A, L, lls


def em_no_final_ll(Y, psi, A, L, dt, n_iter, tol):
    lls = []
    for _ in range(n_iter):
        post = e_step(Y, psi, A, L, dt)
        lls.append(post.ll)
        if len(lls) > 1 and lls[-1] - lls[-2] <= tol * abs(lls[-1]):
            break
        psi, A, L = m_step(Y, post.gamma, post.xi_sum, dt)
    return psi, A, L, lls


def em_never_updates(Y, psi, A, L, dt, n_iter, tol):
    lls = []
    for _ in range(n_iter):
        post = e_step(Y, psi, A, L, dt)
        lls.append(post.ll)
        if len(lls) > 1 and lls[-1] - lls[-2] <= tol * abs(lls[-1]):
            break
        new_psi, new_A, new_L = m_step(Y, post.gamma, post.xi_sum, dt)  # never assigned back
    else:
        lls.append(log_likelihood(Y, psi, A, L, dt))
    return psi, A, L, lls


def em_e_step_outside_loop(Y, psi, A, L, dt, n_iter, tol):
    post = e_step(Y, psi, A, L, dt)  # once, before the loop
    lls = []
    for _ in range(n_iter):
        lls.append(log_likelihood(Y, psi, A, L, dt))
        if len(lls) > 1 and lls[-1] - lls[-2] <= tol * abs(lls[-1]):
            break
        psi, A, L = m_step(Y, post.gamma, post.xi_sum, dt)
    else:
        lls.append(log_likelihood(Y, psi, A, L, dt))
    return psi, A, L, lls


def em_absolute_tol(Y, psi, A, L, dt, n_iter, tol):
    lls = []
    for _ in range(n_iter):
        post = e_step(Y, psi, A, L, dt)
        lls.append(post.ll)
        if len(lls) > 1 and lls[-1] - lls[-2] <= tol:
            break
        psi, A, L = m_step(Y, post.gamma, post.xi_sum, dt)
    else:
        lls.append(log_likelihood(Y, psi, A, L, dt))
    return psi, A, L, lls


def em_ignores_tol(Y, psi, A, L, dt, n_iter, tol):
    lls = []
    for _ in range(n_iter):
        post = e_step(Y, psi, A, L, dt)
        lls.append(post.ll)
        psi, A, L = m_step(Y, post.gamma, post.xi_sum, dt)
    lls.append(log_likelihood(Y, psi, A, L, dt))
    return psi, A, L, lls


def em_negative_threshold(Y, psi, A, L, dt, n_iter, tol):
    """tol * ll without abs: ll < 0, so the threshold is negative and the test never holds."""
    lls = []
    for _ in range(n_iter):
        post = e_step(Y, psi, A, L, dt)
        lls.append(post.ll)
        if len(lls) > 1 and lls[-1] - lls[-2] <= tol * lls[-1]:
            break
        psi, A, L = m_step(Y, post.gamma, post.xi_sum, dt)
    else:
        lls.append(log_likelihood(Y, psi, A, L, dt))
    return psi, A, L, lls


def em_divides_by_negative_ll(Y, psi, A, L, dt, n_iter, tol):
    """(gain) / ll without abs: the relative gain comes out negative, so EM stops at once."""
    lls = []
    for _ in range(n_iter):
        post = e_step(Y, psi, A, L, dt)
        lls.append(post.ll)
        if len(lls) > 1 and (lls[-1] - lls[-2]) / lls[-1] <= tol:
            break
        psi, A, L = m_step(Y, post.gamma, post.xi_sum, dt)
    else:
        lls.append(log_likelihood(Y, psi, A, L, dt))
    return psi, A, L, lls


def em_gain_reversed(Y, psi, A, L, dt, n_iter, tol):
    """Old minus new: the 'gain' is negative, so EM stops at once."""
    lls = []
    for _ in range(n_iter):
        post = e_step(Y, psi, A, L, dt)
        lls.append(post.ll)
        if len(lls) > 1 and lls[-2] - lls[-1] <= tol * abs(lls[-1]):
            break
        psi, A, L = m_step(Y, post.gamma, post.xi_sum, dt)
    else:
        lls.append(log_likelihood(Y, psi, A, L, dt))
    return psi, A, L, lls


def em_final_appended_twice(Y, psi, A, L, dt, n_iter, tol):
    lls = []
    for _ in range(n_iter):
        post = e_step(Y, psi, A, L, dt)
        lls.append(post.ll)
        if len(lls) > 1 and lls[-1] - lls[-2] <= tol * abs(lls[-1]):
            break
        psi, A, L = m_step(Y, post.gamma, post.xi_sum, dt)
    lls.append(log_likelihood(Y, psi, A, L, dt))  # also after an early stop
    return psi, A, L, lls


def em_returns_start(Y, psi, A, L, dt, n_iter, tol):
    psi0, A0, L0 = psi, A, L
    _, _, _, lls = run_em_for_else(Y, psi, A, L, dt, n_iter, tol)
    return psi0, A0, L0, lls


def em_returns_previous(Y, psi, A, L, dt, n_iter, tol):
    """Keeps the parameters of the previous iteration 'for safety' and returns those."""
    lls = []
    old = (psi, A, L)
    for _ in range(n_iter):
        post = e_step(Y, psi, A, L, dt)
        lls.append(post.ll)
        if len(lls) > 1 and lls[-1] - lls[-2] <= tol * abs(lls[-1]):
            break
        old = (psi, A, L)
        psi, A, L = m_step(Y, post.gamma, post.xi_sum, dt)
    else:
        lls.append(log_likelihood(Y, psi, A, L, dt))
    return (*old, lls)


def em_m_step_before_test(Y, psi, A, L, dt, n_iter, tol):
    """The M-step runs before the stopping test: after a stop the parameters are one step ahead of lls."""
    lls = []
    for _ in range(n_iter):
        post = e_step(Y, psi, A, L, dt)
        lls.append(post.ll)
        psi, A, L = m_step(Y, post.gamma, post.xi_sum, dt)
        if len(lls) > 1 and lls[-1] - lls[-2] <= tol * abs(lls[-1]):
            break
    else:
        lls.append(log_likelihood(Y, psi, A, L, dt))
    return psi, A, L, lls


def em_stop_without_recording(Y, psi, A, L, dt, n_iter, tol):
    """Tests the new ll before appending it, and leaves without appending: the stopping ll is lost."""
    lls = []
    for _ in range(n_iter):
        post = e_step(Y, psi, A, L, dt)
        if lls and post.ll - lls[-1] <= tol * abs(post.ll):
            break
        lls.append(post.ll)
        psi, A, L = m_step(Y, post.gamma, post.xi_sum, dt)
    else:
        lls.append(log_likelihood(Y, psi, A, L, dt))
    return psi, A, L, lls


def em_one_step_too_many(Y, psi, A, L, dt, n_iter, tol):
    lls = []
    for _ in range(n_iter + 1):  # "n_iter iterations after the first"
        post = e_step(Y, psi, A, L, dt)
        lls.append(post.ll)
        if len(lls) > 1 and lls[-1] - lls[-2] <= tol * abs(lls[-1]):
            break
        psi, A, L = m_step(Y, post.gamma, post.xi_sum, dt)
    else:
        lls.append(log_likelihood(Y, psi, A, L, dt))
    return psi, A, L, lls


def em_in_place(Y, psi, A, L, dt, n_iter, tol):
    """Writes the new parameters into the caller's arrays."""
    lls = []
    for _ in range(n_iter):
        post = e_step(Y, psi, A, L, dt)
        lls.append(post.ll)
        if len(lls) > 1 and lls[-1] - lls[-2] <= tol * abs(lls[-1]):
            break
        psi[:], A[:], L[:] = m_step(Y, post.gamma, post.xi_sum, dt)
    else:
        lls.append(log_likelihood(Y, psi, A, L, dt))
    return psi, A, L, lls


def em_three_outputs(Y, psi, A, L, dt, n_iter, tol):
    return run_em_for_else(Y, psi, A, L, dt, n_iter, tol)[:3]


def em_final_ll_only(Y, psi, A, L, dt, n_iter, tol):
    psi, A, L, lls = run_em_for_else(Y, psi, A, L, dt, n_iter, tol)
    return psi, A, L, lls[-1]


def em_scaffold_untouched(Y, psi, A, L, dt, n_iter, tol):
    """The exercise notebook's scaffold, as given."""
    lls = []
    for m in range(n_iter):
        post = e_step(Y, psi, A, L, dt)
        ...
        ...
        ...
    ...
    return psi, A, L, np.array(lls)


def em_scaffold_half_done(Y, psi, A, L, dt, n_iter, tol):
    """Recording and the M-step filled in; the stopping test and the final ll still blank."""
    lls = []
    for m in range(n_iter):
        post = e_step(Y, psi, A, L, dt)
        lls.append(post.ll)
        ...
        psi, A, L = m_step(Y, post.gamma, post.xi_sum, dt)
    ...
    return psi, A, L, np.array(lls)


RUN_EM_MISTAKES = [
    (em_mean_per_trial, ("looks like log-likelihoods per trial",)),
    (em_trial_lls, ("one log-likelihood per trial", "post.trial_ll")),
    (em_per_bin, ("looks like log-likelihoods per bin",)),
    (em_negated, ("lls has the wrong sign",)),
    (em_records_after_m_step, ("lls[0] is the log-likelihood after the first m-step",)),
    (em_no_final_ll, ("the last entry is missing",)),
    (em_never_updates, ("the parameters are never updated",)),
    (em_e_step_outside_loop, ("the e-step is not repeated",)),
    (em_absolute_tol, ("absolute tolerance",)),
    (em_ignores_tol, ("never stopped early", "at most tol * |ℓ(m)|")),
    (em_negative_threshold, ("never stopped early", "use tol * abs(ℓ)")),
    (em_divides_by_negative_ll, ("stopped after its first m-step", "comes out negative")),
    (em_gain_reversed, ("stopped after its first m-step", "comes out negative")),
    (em_final_appended_twice, ("the last log-likelihood is appended twice",)),
    (em_returns_start, ("returns the starting parameters",)),
    (em_returns_previous, ("from before the last m-step",)),
    (em_m_step_before_test, ("one m-step newer than lls[-1]", "before the m-step")),
    (em_stop_without_recording, ("that triggered the stop is missing",)),
    (em_one_step_too_many, ("one m-step too many",)),
    (em_in_place, ("modified its input", "in place")),
    (em_three_outputs, ("should return 4 things",)),
    (em_final_ll_only, ("lls is a single number",)),
    (em_scaffold_untouched, ("not done yet: fill in the `...`", "first blank, line")),
    (em_scaffold_half_done, ("not done yet: fill in the `...`", "2 lines still have one")),
    (not_done, ("not done yet",)),
]


@pytest.mark.parametrize("fn, phrases", RUN_EM_MISTAKES, ids=[f.__name__ for f, _ in RUN_EM_MISTAKES])
def test_run_em_mistakes_get_their_own_message(fn, phrases, capsys):
    assert_message(checks.check_run_em, fn, capsys, *phrases)


def test_run_em_catalogue_is_large_and_messages_are_distinct(capsys):
    assert len(RUN_EM_MISTAKES) >= 15
    verdicts = headlines(checks.check_run_em, RUN_EM_MISTAKES, capsys)
    # the same headline only where the symptom is the same: ignoring tol and a negative
    # threshold; a negative relative gain either way round; the three "not done yet"
    assert len(set(verdicts.values())) >= len(verdicts) - 4, verdicts


def test_run_em_not_done_inside_reports_callee(capsys):
    def run_em_calls_unfinished(Y, psi, A, L, dt, n_iter, tol):
        post = e_step(Y, psi, A, L, dt)
        not_done(Y, post.gamma, post.xi_sum, dt)

    out = assert_caught(checks.check_run_em, run_em_calls_unfinished, capsys, "not done yet")
    assert "`not_done`" in out


def test_reference_run_em_matches_fit_em():
    d = helpers.tutorial_data(n_trials=4, T=60, seed=3)
    start = helpers.initial_params(d["Y"], 3, d["dt"], np.random.default_rng(0))
    psi, A, L, lls = checks.reference_run_em(d["Y"], *start, d["dt"], 10, 1e-6)
    fit = helpers.fit_em(d["Y"], 3, d["dt"], n_iter=10, tol=1e-6, init=start)
    np.testing.assert_array_equal(lls, fit.lls)
    np.testing.assert_array_equal(L, fit.L)


# ------------------------------------------------------------------------------------
# run_em: a student's play-through (wrong and right answers written against the scaffold)
# ------------------------------------------------------------------------------------


def em_student_w1_test_before_appending_break_without_recording(Y, psi, A, L, dt, n_iter, tol):
    """Wrong (wrong04.py, W1 test before appending, break without recording)."""
    lls = []
    for m in range(n_iter):
        post = helpers.e_step(Y, psi, A, L, dt)
        if lls and post.ll - lls[-1] <= tol * abs(post.ll):
            break
        lls.append(post.ll)
        psi, A, L = m_step_used(Y, post.gamma, post.xi_sum, dt)
    else:
        lls.append(helpers.log_likelihood(Y, psi, A, L, dt))
    return psi, A, L, np.array(lls)


def em_student_w2_no_final_log_likelihood_no_else(Y, psi, A, L, dt, n_iter, tol):
    """Wrong (wrong04.py, W2 no final log-likelihood (no else))."""
    lls = []
    for m in range(n_iter):
        post = helpers.e_step(Y, psi, A, L, dt)
        lls.append(post.ll)
        if len(lls) > 1 and lls[-1] - lls[-2] <= tol * abs(lls[-1]):
            break
        psi, A, L = m_step_used(Y, post.gamma, post.xi_sum, dt)
    return psi, A, L, np.array(lls)


def em_student_w3_final_ll_appended_even_after_break(Y, psi, A, L, dt, n_iter, tol):
    """Wrong (wrong04.py, W3 final LL appended even after break)."""
    lls = []
    for m in range(n_iter):
        post = helpers.e_step(Y, psi, A, L, dt)
        lls.append(post.ll)
        if len(lls) > 1 and lls[-1] - lls[-2] <= tol * abs(lls[-1]):
            break
        psi, A, L = m_step_used(Y, post.gamma, post.xi_sum, dt)
    lls.append(helpers.log_likelihood(Y, psi, A, L, dt))
    return psi, A, L, np.array(lls)


def em_student_w4_m_step_before_the_test(Y, psi, A, L, dt, n_iter, tol):
    """Wrong (wrong04.py, W4 M-step before the test)."""
    lls = []
    for m in range(n_iter):
        post = helpers.e_step(Y, psi, A, L, dt)
        lls.append(post.ll)
        psi, A, L = m_step_used(Y, post.gamma, post.xi_sum, dt)
        if len(lls) > 1 and lls[-1] - lls[-2] <= tol * abs(lls[-1]):
            break
    else:
        lls.append(helpers.log_likelihood(Y, psi, A, L, dt))
    return psi, A, L, np.array(lls)


def em_student_w5_absolute_tolerance(Y, psi, A, L, dt, n_iter, tol):
    """Wrong (wrong04.py, W5 absolute tolerance)."""
    lls = []
    for m in range(n_iter):
        post = helpers.e_step(Y, psi, A, L, dt)
        lls.append(post.ll)
        if len(lls) > 1 and lls[-1] - lls[-2] <= tol:
            break
        psi, A, L = m_step_used(Y, post.gamma, post.xi_sum, dt)
    else:
        lls.append(helpers.log_likelihood(Y, psi, A, L, dt))
    return psi, A, L, np.array(lls)


def em_student_w6_relative_to_lls_2_ok(Y, psi, A, L, dt, n_iter, tol):
    """Right (wrong04.py, W6 relative to |lls[-2]| (ok?))."""
    lls = []
    for m in range(n_iter):
        post = helpers.e_step(Y, psi, A, L, dt)
        lls.append(post.ll)
        if len(lls) > 1 and lls[-1] - lls[-2] <= tol * abs(lls[-2]):
            break
        psi, A, L = m_step_used(Y, post.gamma, post.xi_sum, dt)
    else:
        lls.append(helpers.log_likelihood(Y, psi, A, L, dt))
    return psi, A, L, np.array(lls)


def em_student_w7_forgot_abs_tol_lls_1_negative(Y, psi, A, L, dt, n_iter, tol):
    """Wrong (wrong04.py, W7 forgot abs: tol * lls[-1] (negative))."""
    lls = []
    for m in range(n_iter):
        post = helpers.e_step(Y, psi, A, L, dt)
        lls.append(post.ll)
        if len(lls) > 1 and lls[-1] - lls[-2] <= tol * lls[-1]:
            break
        psi, A, L = m_step_used(Y, post.gamma, post.xi_sum, dt)
    else:
        lls.append(helpers.log_likelihood(Y, psi, A, L, dt))
    return psi, A, L, np.array(lls)


def em_student_w8_m_step_result_discarded(Y, psi, A, L, dt, n_iter, tol):
    """Wrong (wrong04.py, W8 M-step result discarded)."""
    lls = []
    for m in range(n_iter):
        post = helpers.e_step(Y, psi, A, L, dt)
        lls.append(post.ll)
        if len(lls) > 1 and lls[-1] - lls[-2] <= tol * abs(lls[-1]):
            break
        m_step_used(Y, post.gamma, post.xi_sum, dt)
    else:
        lls.append(helpers.log_likelihood(Y, psi, A, L, dt))
    return psi, A, L, np.array(lls)


def em_student_w9_new_names_e_step_keeps_old_params(Y, psi, A, L, dt, n_iter, tol):
    """Wrong (wrong04.py, W9 new names, E-step keeps old params)."""
    lls = []
    psi_new, A_new, L_new = psi, A, L
    for m in range(n_iter):
        post = helpers.e_step(Y, psi, A, L, dt)
        lls.append(post.ll)
        if len(lls) > 1 and lls[-1] - lls[-2] <= tol * abs(lls[-1]):
            break
        psi_new, A_new, L_new = m_step_used(Y, post.gamma, post.xi_sum, dt)
    else:
        lls.append(helpers.log_likelihood(Y, psi_new, A_new, L_new, dt))
    return psi_new, A_new, L_new, np.array(lls)


def em_student_w10_range_n_iter_1(Y, psi, A, L, dt, n_iter, tol):
    """Wrong (wrong04.py, W10 range(n_iter + 1))."""
    lls = []
    for m in range(n_iter + 1):
        post = helpers.e_step(Y, psi, A, L, dt)
        lls.append(post.ll)
        if len(lls) > 1 and lls[-1] - lls[-2] <= tol * abs(lls[-1]):
            break
        psi, A, L = m_step_used(Y, post.gamma, post.xi_sum, dt)
    else:
        lls.append(helpers.log_likelihood(Y, psi, A, L, dt))
    return psi, A, L, np.array(lls)


def em_student_w11_per_trial_mean_ll(Y, psi, A, L, dt, n_iter, tol):
    """Wrong (wrong04.py, W11 per-trial mean LL)."""
    lls = []
    for m in range(n_iter):
        post = helpers.e_step(Y, psi, A, L, dt)
        lls.append(post.ll / Y.shape[0])
        if len(lls) > 1 and lls[-1] - lls[-2] <= tol * abs(lls[-1]):
            break
        psi, A, L = m_step_used(Y, post.gamma, post.xi_sum, dt)
    else:
        lls.append(helpers.log_likelihood(Y, psi, A, L, dt) / Y.shape[0])
    return psi, A, L, np.array(lls)


def em_student_w12_in_place_update_of_inputs(Y, psi, A, L, dt, n_iter, tol):
    """Wrong (wrong04.py, W12 in-place update of inputs)."""
    lls = []
    for m in range(n_iter):
        post = helpers.e_step(Y, psi, A, L, dt)
        lls.append(post.ll)
        if len(lls) > 1 and lls[-1] - lls[-2] <= tol * abs(lls[-1]):
            break
        p2, A2, L2 = m_step_used(Y, post.gamma, post.xi_sum, dt)
        psi[:] = p2; A[:] = A2; L[:] = L2
    else:
        lls.append(helpers.log_likelihood(Y, psi, A, L, dt))
    return psi, A, L, np.array(lls)


def em_student_w13_no_len_check_indexerror_on_first_pass(Y, psi, A, L, dt, n_iter, tol):
    """Wrong (wrong04.py, W13 no len check -> IndexError on first pass)."""
    lls = []
    for m in range(n_iter):
        post = helpers.e_step(Y, psi, A, L, dt)
        lls.append(post.ll)
        if lls[-1] - lls[-2] <= tol * abs(lls[-1]):
            break
        psi, A, L = m_step_used(Y, post.gamma, post.xi_sum, dt)
    else:
        lls.append(helpers.log_likelihood(Y, psi, A, L, dt))
    return psi, A, L, np.array(lls)


def em_student_w14_m_1_test_starts_one_pass_late(Y, psi, A, L, dt, n_iter, tol):
    """Wrong (wrong04.py, W14 m > 1 (test starts one pass late))."""
    lls = []
    for m in range(n_iter):
        post = helpers.e_step(Y, psi, A, L, dt)
        lls.append(post.ll)
        if m > 1 and lls[-1] - lls[-2] <= tol * abs(lls[-1]):
            break
        psi, A, L = m_step_used(Y, post.gamma, post.xi_sum, dt)
    else:
        lls.append(helpers.log_likelihood(Y, psi, A, L, dt))
    return psi, A, L, np.array(lls)


def em_student_w15_strict_ok(Y, psi, A, L, dt, n_iter, tol):
    """Right (wrong04.py, W15 strict < (ok?))."""
    lls = []
    for m in range(n_iter):
        post = helpers.e_step(Y, psi, A, L, dt)
        lls.append(post.ll)
        if len(lls) > 1 and lls[-1] - lls[-2] < tol * abs(lls[-1]):
            break
        psi, A, L = m_step_used(Y, post.gamma, post.xi_sum, dt)
    else:
        lls.append(helpers.log_likelihood(Y, psi, A, L, dt))
    return psi, A, L, np.array(lls)


def em_student_w16_abs_gain_ok(Y, psi, A, L, dt, n_iter, tol):
    """Right (wrong04.py, W16 abs(gain) (ok?))."""
    lls = []
    for m in range(n_iter):
        post = helpers.e_step(Y, psi, A, L, dt)
        lls.append(post.ll)
        if len(lls) > 1 and abs(lls[-1] - lls[-2]) <= tol * abs(lls[-1]):
            break
        psi, A, L = m_step_used(Y, post.gamma, post.xi_sum, dt)
    else:
        lls.append(helpers.log_likelihood(Y, psi, A, L, dt))
    return psi, A, L, np.array(lls)


def em_student_w17_stop_when_gain_tol_inverted(Y, psi, A, L, dt, n_iter, tol):
    """Wrong (wrong04.py, W17 stop when gain >= tol (inverted))."""
    lls = []
    for m in range(n_iter):
        post = helpers.e_step(Y, psi, A, L, dt)
        lls.append(post.ll)
        if len(lls) > 1 and lls[-1] - lls[-2] >= tol * abs(lls[-1]):
            break
        psi, A, L = m_step_used(Y, post.gamma, post.xi_sum, dt)
    else:
        lls.append(helpers.log_likelihood(Y, psi, A, L, dt))
    return psi, A, L, np.array(lls)


def em_student_w18_flag_based_but_flag_never_set(Y, psi, A, L, dt, n_iter, tol):
    """Wrong (wrong04.py, W18 flag-based, but flag never set)."""
    lls = []
    stopped = False
    for m in range(n_iter):
        post = helpers.e_step(Y, psi, A, L, dt)
        lls.append(post.ll)
        if len(lls) > 1 and lls[-1] - lls[-2] <= tol * abs(lls[-1]):
            break
        psi, A, L = m_step_used(Y, post.gamma, post.xi_sum, dt)
    if not stopped:
        lls.append(helpers.log_likelihood(Y, psi, A, L, dt))
    return psi, A, L, np.array(lls)


def em_student_w19_else_attached_to_if_inside_loop(Y, psi, A, L, dt, n_iter, tol):
    """Wrong (wrong04.py, W19 else attached to if (inside loop))."""
    lls = []
    for m in range(n_iter):
        post = helpers.e_step(Y, psi, A, L, dt)
        lls.append(post.ll)
        if len(lls) > 1 and lls[-1] - lls[-2] <= tol * abs(lls[-1]):
            break
        else:
            psi, A, L = m_step_used(Y, post.gamma, post.xi_sum, dt)
    return psi, A, L, np.array(lls)


def em_student_w20_returns_lls_as_list(Y, psi, A, L, dt, n_iter, tol):
    """Right (wrong04.py, W20 uses gamma from wrong place: gamma[:, 0]-only? (returns lls list))."""
    lls = []
    for m in range(n_iter):
        post = helpers.e_step(Y, psi, A, L, dt)
        lls.append(post.ll)
        if len(lls) > 1 and lls[-1] - lls[-2] <= tol * abs(lls[-1]):
            break
        psi, A, L = m_step_used(Y, post.gamma, post.xi_sum, dt)
    else:
        lls.append(helpers.log_likelihood(Y, psi, A, L, dt))
    return psi, A, L, lls


def em_student_half_only_appends(Y, psi, A, L, dt, n_iter, tol):
    """Wrong (wrong04.py, HALF only appends)."""
    lls = []
    for m in range(n_iter):
        post = helpers.e_step(Y, psi, A, L, dt)
        lls.append(post.ll)
        ...  # the stopping rule: if it holds, leave the loop now
        ...  # M-step: the parameters of the next pass
    ...  # only if EM did not stop early: record the final parameters' log-likelihood
    return psi, A, L, np.array(lls)


RUN_EM_STUDENT = [
    (em_student_w1_test_before_appending_break_without_recording,
     ('the log-likelihood that triggered the stop is missing',)),
    (em_student_w2_no_final_log_likelihood_no_else, ('lls has 4 entries', 'the last entry is missing')),
    (em_student_w3_final_ll_appended_even_after_break,
     ('after stopping early, the last log-likelihood is appended twice',)),
    (em_student_w4_m_step_before_the_test, ('one m-step newer than lls[-1]',)),
    (em_student_w5_absolute_tolerance, ('absolute tolerance',)),
    (em_student_w7_forgot_abs_tol_lls_1_negative, ('never stopped early', 'use tol * abs(ℓ)')),
    (em_student_w8_m_step_result_discarded, ('the parameters are never updated',)),
    (em_student_w9_new_names_e_step_keeps_old_params, ('the parameters are never updated',)),
    (em_student_w10_range_n_iter_1, ('one m-step too many',)),
    (em_student_w11_per_trial_mean_ll, ('lls looks like log-likelihoods per trial',)),
    (em_student_w12_in_place_update_of_inputs, ('modified its input', 'in place')),
    (em_student_w13_no_len_check_indexerror_on_first_pass,
     ('indexerror: list index out of range',
      'a list is shorter than the code assumes',
      'lls[-2] on the first pass')),
    (em_student_w14_m_1_test_starts_one_pass_late,
     ('em stopped one m-step late',
      'must stop right after its first m-step',
      'm >= 1')),
    (em_student_w17_stop_when_gain_tol_inverted,
     ('your stopping test is inverted',
      'when the gain is large',
      'at most tol * |ℓ(m)|')),
    (em_student_w18_flag_based_but_flag_never_set,
     ('after stopping early, the last log-likelihood is appended twice',)),
    (em_student_w19_else_attached_to_if_inside_loop, ('lls has 4 entries', 'the last entry is missing')),
    (em_student_half_only_appends, ('not done yet: fill in the `...`',)),
]


@pytest.mark.parametrize("fn, phrases", RUN_EM_STUDENT, ids=[f.__name__ for f, _ in RUN_EM_STUDENT])
def test_run_em_student_answers_get_their_own_message(fn, phrases, capsys):
    assert_message(checks.check_run_em, fn, capsys, *phrases)


@pytest.mark.parametrize("fn", [
    em_student_w6_relative_to_lls_2_ok,
    em_student_w15_strict_ok,
    em_student_w16_abs_gain_ok,
    em_student_w20_returns_lls_as_list,
])
def test_run_em_student_right_answers_pass(fn, capsys):
    assert_passes(checks.check_run_em, fn, capsys)
