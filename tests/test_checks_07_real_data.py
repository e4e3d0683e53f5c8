"""Tests of the check of notebook 07 (real data): ``fano_per_state``.

The check passes the reference and correct implementations written
differently, and fails a catalogue of wrong ones, the kind students write,
each with its own specific message.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import helpers
from helpers import checks

from check_helpers import headlines, assert_message, assert_passes, run_check


# ------------------------------------------------------------------ right answers, written differently


def fano_loops(Y, states, K):
    """Correct: explicit loops over neurons and states, sums written out."""
    Y = np.asarray(Y, dtype=float)
    C = Y.shape[2]
    F = np.full((C, K), np.nan)
    for k in range(K):
        sel = Y[states == k]
        n = len(sel)
        if n < 2:
            continue
        for c in range(C):
            m = sel[:, c].sum() / n
            if m > 0:
                F[c, k] = ((sel[:, c] - m) ** 2).sum() / (n - 1) / m
    return F


def fano_flattened(Y, states, K):
    """Correct: flatten trials and bins the same way, np.divide with where=."""
    C = Y.shape[2]
    y = Y.reshape(-1, C)
    s = states.reshape(-1)
    F = np.full((C, K), np.nan)
    for k in range(K):
        x = y[s == k]
        if x.shape[0] >= 2:
            mean = x.mean(axis=0)
            np.divide(x.var(axis=0, ddof=1), mean, out=F[:, k], where=mean > 0)
    return F


def fano_one_hot(Y, states, K):
    """Correct: sufficient statistics from one-hot state indicators, no loop over states."""
    C = Y.shape[2]
    y = Y.reshape(-1, C).astype(float)
    onehot = (states.reshape(-1)[:, None] == np.arange(K)).astype(float)   # (N, K)
    n = onehot.sum(axis=0)                                                 # (K,)
    s1 = y.T @ onehot                                                      # (C, K)
    s2 = (y ** 2).T @ onehot
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = s1 / n
        var = (s2 - n * mean ** 2) / (n - 1)
        F = var / mean
    F[:, n < 2] = np.nan
    F[~(mean > 0)] = np.nan
    return F


def fano_errstate(Y, states, K):
    """Correct: divide everything with warnings silenced, then put NaN where undefined."""
    C = Y.shape[2]
    F = np.full((C, K), np.nan)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for k in range(K):
            x = Y[states == k]
            if len(x) > 1:
                F[:, k] = np.where(x.mean(axis=0) > 0, x.var(axis=0, ddof=1) / x.mean(axis=0), np.nan)
    return F


@pytest.mark.parametrize("fn", [checks.reference_fano_per_state, fano_loops, fano_flattened, fano_one_hot,
                                fano_errstate])
def test_correct_answers_pass(fn, capsys):
    out = assert_passes(checks.check_fano_per_state, fn, capsys)
    assert "passed all 5 checks" in out


def test_the_notebooks_solution_passes(capsys):
    """The exact answer of tutorials/07_real_data.py's solution block."""
    namespace = {"np": np}
    text = (helpers.__path__[0] + "/../tutorials/07_real_data.py")
    source = open(text, encoding="utf-8").read()
    start = source.index("def fano_per_state(")
    ret = source.index("\n    return ", start) + 1  # the function's return line (F or fano)
    end = source.index("\n", ret) + 1
    code = "\n".join(line for line in source[start:end].split("\n") if not line.strip().startswith("#>"))
    exec(compile(code, "07_real_data.py", "exec"), namespace)
    assert_passes(checks.check_fano_per_state, namespace["fano_per_state"], capsys)


# ------------------------------------------------------------------ the catalogue of mistakes


def _silent_state_guard(F, mean, k):
    return F


def fano_ddof0(Y, states, K):
    F = np.full((Y.shape[2], K), np.nan)
    for k in range(K):
        x = Y[states == k]
        if len(x) > 1:
            m = x.mean(axis=0)
            F[m > 0, k] = x.var(axis=0)[m > 0] / m[m > 0]          # np.var divides by n_k
    return F


def fano_std(Y, states, K):
    F = np.full((Y.shape[2], K), np.nan)
    for k in range(K):
        x = Y[states == k]
        if len(x) > 1:
            m = x.mean(axis=0)
            F[m > 0, k] = x.std(axis=0, ddof=1)[m > 0] / m[m > 0]
    return F


def fano_inverted(Y, states, K):
    F = np.full((Y.shape[2], K), np.nan)
    for k in range(K):
        x = Y[states == k]
        if len(x) > 1:
            v = x.var(axis=0, ddof=1)
            F[v > 0, k] = x.mean(axis=0)[v > 0] / v[v > 0]
    return F


def fano_cv2(Y, states, K):
    F = np.full((Y.shape[2], K), np.nan)
    for k in range(K):
        x = Y[states == k]
        if len(x) > 1:
            m = x.mean(axis=0)
            F[m > 0, k] = x.var(axis=0, ddof=1)[m > 0] / m[m > 0] ** 2
    return F


def fano_difference(Y, states, K):
    F = np.full((Y.shape[2], K), np.nan)
    for k in range(K):
        x = Y[states == k]
        if len(x) > 1:
            F[:, k] = x.var(axis=0, ddof=1) - x.mean(axis=0)
    return F


def fano_transposed(Y, states, K):
    return checks.reference_fano_per_state(Y, states, K).T


def fano_ignores_states(Y, states, K):
    x = Y.reshape(-1, Y.shape[2])
    F = x.var(axis=0, ddof=1) / x.mean(axis=0)
    return np.repeat(F[:, None], K, axis=1)


def fano_overall_mean(Y, states, K):
    overall = Y.mean(axis=(0, 1))
    F = np.full((Y.shape[2], K), np.nan)
    for k in range(K):
        x = Y[states == k]
        if len(x) > 1:
            F[:, k] = x.var(axis=0, ddof=1) / overall
    return F


def fano_first_trial(Y, states, K):
    F = np.full((Y.shape[2], K), np.nan)
    for k in range(K):
        x = Y[0][states[0] == k]
        if len(x) > 1:
            m = x.mean(axis=0)
            F[m > 0, k] = x.var(axis=0, ddof=1)[m > 0] / m[m > 0]
    return F


def fano_trial_average(Y, states, K):
    per_trial = [checks.reference_fano_per_state(Y[i:i + 1], states[i:i + 1], K) for i in range(len(Y))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.nanmean(per_trial, axis=0)


def fano_one_based(Y, states, K):
    F = np.full((Y.shape[2], K), np.nan)
    for k in range(1, K + 1):
        x = Y[states == k]
        if len(x) > 1:
            m = x.mean(axis=0)
            F[m > 0, k - 1] = x.var(axis=0, ddof=1)[m > 0] / m[m > 0]
    return F


def fano_misaligned(Y, states, K):
    y = Y.reshape(-1, Y.shape[2])
    s = states.T.reshape(-1)                                     # time-major states, trial-major counts
    F = np.full((Y.shape[2], K), np.nan)
    for k in range(K):
        x = y[s == k]
        if len(x) > 1:
            m = x.mean(axis=0)
            F[m > 0, k] = x.var(axis=0, ddof=1)[m > 0] / m[m > 0]
    return F


def fano_integer_mean(Y, states, K):
    F = np.full((Y.shape[2], K), np.nan)
    for k in range(K):
        x = Y[states == k]
        if len(x) > 1:
            m = x.sum(axis=0) // len(x)
            F[m > 0, k] = x.var(axis=0, ddof=1)[m > 0] / m[m > 0]
    return F


def fano_unguarded(Y, states, K):
    """Right values where defined, but 0 / 0 and empty states make numpy warn."""
    F = np.full((Y.shape[2], K), np.nan)
    for k in range(K):
        x = Y[states == k]
        F[:, k] = x.var(axis=0, ddof=1) / x.mean(axis=0)
    return F


def fano_inf_for_silent(Y, states, K):
    F = checks.reference_fano_per_state(Y, states, K)
    for k in range(K):
        x = Y[states == k]
        if len(x) > 1:
            F[x.mean(axis=0) == 0, k] = np.inf
    return F


def fano_zero_for_silent(Y, states, K):
    F = np.full((Y.shape[2], K), np.nan)
    for k in range(K):
        x = Y[states == k]
        if len(x) > 1:
            m = x.mean(axis=0)
            F[:, k] = np.divide(x.var(axis=0, ddof=1), m, out=np.zeros(len(m)), where=m > 0)
    return F


def fano_one_for_silent(Y, states, K):
    F = np.full((Y.shape[2], K), np.nan)
    for k in range(K):
        x = Y[states == k]
        if len(x) > 1:
            m = x.mean(axis=0)
            F[:, k] = np.divide(x.var(axis=0, ddof=1), m, out=np.ones(len(m)), where=m > 0)
    return F


def fano_guard_on_variance(Y, states, K):
    F = np.full((Y.shape[2], K), np.nan)
    for k in range(K):
        x = Y[states == k]
        if len(x) > 1:
            v = x.var(axis=0, ddof=1)
            F[v > 0, k] = v[v > 0] / x.mean(axis=0)[v > 0]
    return F


def fano_single_bin_zero(Y, states, K):
    """ddof=1 only where there are enough bins; one bin gets variance 0."""
    F = np.full((Y.shape[2], K), np.nan)
    for k in range(K):
        x = Y[states == k]
        if len(x) == 0:
            continue
        m = x.mean(axis=0)
        v = x.var(axis=0, ddof=1) if len(x) > 1 else np.zeros(len(m))
        F[m > 0, k] = v[m > 0] / m[m > 0]
    return F


def fano_occurring_states_only(Y, states, K):
    present = np.unique(states)
    F = np.full((Y.shape[2], len(present)), np.nan)
    for j, k in enumerate(present):
        x = Y[states == k]
        if len(x) > 1:
            m = x.mean(axis=0)
            F[m > 0, j] = x.var(axis=0, ddof=1)[m > 0] / m[m > 0]
    return F


def fano_in_place(Y, states, K):
    states -= 0
    states[states >= K] = 0        # "clean up" the caller's states
    Y[Y < 0] = 0
    Y[0, 0, 0] = Y[0, 0, 0] + 1 - 1
    states[0, 0] = K - 1
    return checks.reference_fano_per_state(Y, states, K)


def fano_no_return(Y, states, K):
    F = checks.reference_fano_per_state(Y, states, K)  # noqa: F841


def fano_scaffold_untouched(Y, states, K):
    C = Y.shape[2]
    F = np.full((C, K), np.nan)
    for k in range(K):
        counts = ...
        if len(counts) < 2:
            continue
        mean = ...
        var = ...
        fires = ...
        F[fires, k] = ...
    return F


MISTAKES = [
    (fano_ddof0, ("divided by n_k", "ddof=1")),
    (fano_std, ("divided the standard deviation by the mean",)),
    (fano_inverted, ("upside down",)),
    (fano_cv2, ("squared coefficient of variation",)),
    (fano_difference, ("variance - mean",)),
    (fano_transposed, ("fano is transposed",)),
    (fano_ignores_states, ("ignoring the states",)),
    (fano_overall_mean, ("mean of all bins",)),
    (fano_first_trial, ("only the first trial",)),
    (fano_trial_average, ("one fano factor per trial",)),
    (fano_one_based, ("state k + 1", "count from 0")),
    (fano_misaligned, ("paired in different orders",)),
    (fano_integer_mean, ("integer division",)),
    (fano_unguarded, ("values are right, but your function warned",)),
    (fano_inf_for_silent, ("fano[1, 2] is infinite",)),
    (fano_zero_for_silent, ("fano[1, 2] is 0", "perfectly regular")),
    (fano_one_for_silent, ("fano[1, 2] is 1", "poisson-like")),
    (fano_guard_on_variance, ("fano[2, 0] is nan", "guard on the mean")),
    (fano_single_bin_zero, ("state 3 has a single bin",)),
    (fano_occurring_states_only, ("a column is missing", "np.unique")),
    (fano_in_place, ("modified its input",)),
    (fano_no_return, ("returned none",)),
    (fano_scaffold_untouched, ("not done yet: fill in the `...`", "first blank, line")),
]


@pytest.mark.parametrize("fn, phrases", MISTAKES, ids=[f.__name__ for f, _ in MISTAKES])
def test_mistakes_get_their_own_message(fn, phrases, capsys):
    assert_message(checks.check_fano_per_state, fn, capsys, *phrases)


def test_catalogue_is_large_and_messages_are_distinct(capsys):
    assert len(MISTAKES) >= 15
    verdicts = headlines(checks.check_fano_per_state, MISTAKES, capsys)
    assert len(set(verdicts.values())) == len(verdicts), verdicts


def test_a_check_never_raises(capsys):
    for bad in (None, 3, "fano", lambda Y, states, K: 1 / 0, lambda Y, states, K: "F",
                lambda Y, states, K: [[1, 2], [3]], lambda *a: np.ones((2, 2)), lambda: None):
        result, _ = run_check(checks.check_fano_per_state, bad, capsys)
        assert result is False


def test_fallback_picks_the_reference_when_the_check_fails(capsys):
    chosen = checks.fallback(fano_scaffold_untouched, False, checks.reference_fano_per_state)
    assert chosen is checks.reference_fano_per_state
    assert "Using the reference checks.reference_fano_per_state" in capsys.readouterr().out


def test_reference_on_the_recording_has_the_notebooks_undefined_entries():
    """At 50 ms the K = 3 silent state leaves every unit NaN there, and nothing warns."""
    rec = helpers.load_motor_units()
    Y = helpers.bin_spikes(rec.spike_times, 0.0, rec.duration, 0.05)
    states = np.zeros((1, 650), dtype=int)
    states[0, 100:600] = 2
    states[0, 80:100] = 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F = checks.reference_fano_per_state(Y, states, 4)
    assert F.shape == (5, 4)
    assert np.isnan(F[:, 3]).all()                 # state 3 never occurs
    assert np.all((F[:, 2] > 0.3) & (F[:, 2] < 0.9))  # the plateau: far below Poisson


# ------------------------------------------------------------------------------------
# fano_per_state: a student's play-through (wrong and right answers written against the scaffold)
# ------------------------------------------------------------------------------------


def fano_student_w1_np_var_default_ddof_0(Y, states, K):
    """Wrong (wrong07.py, W1 np.var default ddof=0)."""
    C = Y.shape[2]
    F = np.full((C, K), np.nan)
    for k in range(K):
        counts = Y[states == k]
        if len(counts) < 2:
            continue
        mean = counts.mean(axis=0)
        var = counts.var(axis=0)
        fires = mean > 0
        F[fires, k] = var[fires] / mean[fires]
    return F


def fano_student_w2_no_mask_var_mean_everywhere(Y, states, K):
    """Wrong (wrong07.py, W2 no mask: var/mean everywhere)."""
    C = Y.shape[2]
    F = np.full((C, K), np.nan)
    for k in range(K):
        counts = Y[states == k]
        if len(counts) < 2:
            continue
        mean = counts.mean(axis=0)
        var = counts.var(axis=0, ddof=1)
        fires = mean > 0
        F[:, k] = var / mean
    return F


def fano_student_w3_first_trial_only(Y, states, K):
    """Wrong (wrong07.py, W3 first trial only)."""
    C = Y.shape[2]
    F = np.full((C, K), np.nan)
    for k in range(K):
        counts = Y[0][states[0] == k]
        if len(counts) < 2:
            continue
        mean = counts.mean(axis=0)
        var = counts.var(axis=0, ddof=1)
        fires = mean > 0
        F[fires, k] = var[fires] / mean[fires]
    return F


def fano_student_w4_std_mean(Y, states, K):
    """Wrong (wrong07.py, W4 std / mean)."""
    C = Y.shape[2]
    F = np.full((C, K), np.nan)
    for k in range(K):
        counts = Y[states == k]
        if len(counts) < 2:
            continue
        mean = counts.mean(axis=0)
        var = counts.std(axis=0, ddof=1)
        fires = mean > 0
        F[fires, k] = var[fires] / mean[fires]
    return F


def fano_student_w5_mean_var_inverted(Y, states, K):
    """Wrong (wrong07.py, W5 mean / var inverted)."""
    C = Y.shape[2]
    F = np.full((C, K), np.nan)
    for k in range(K):
        counts = Y[states == k]
        if len(counts) < 2:
            continue
        mean = counts.mean(axis=0)
        var = counts.var(axis=0, ddof=1)
        fires = mean > 0
        F[fires, k] = mean[fires] / var[fires]
    return F


def fano_student_w6_mean_over_axis_1(Y, states, K):
    """Wrong (wrong07.py, W6 mean over axis=1)."""
    C = Y.shape[2]
    F = np.full((C, K), np.nan)
    for k in range(K):
        counts = Y[states == k]
        if len(counts) < 2:
            continue
        mean = counts.mean(axis=1)
        var = counts.var(axis=1, ddof=1)
        fires = mean > 0
        F[fires, k] = var[fires] / mean[fires]
    return F


def fano_student_w7_fires_var_0(Y, states, K):
    """Wrong (wrong07.py, W7 fires = var > 0)."""
    C = Y.shape[2]
    F = np.full((C, K), np.nan)
    for k in range(K):
        counts = Y[states == k]
        if len(counts) < 2:
            continue
        mean = counts.mean(axis=0)
        var = counts.var(axis=0, ddof=1)
        fires = var > 0
        F[fires, k] = var[fires] / mean[fires]
    return F


def fano_student_w8_no_n_k_2_guard(Y, states, K):
    """Wrong (wrong07.py, W8 no n_k < 2 guard)."""
    C = Y.shape[2]
    F = np.full((C, K), np.nan)
    for k in range(K):
        counts = Y[states == k]
        mean = counts.mean(axis=0)
        var = counts.var(axis=0, ddof=1)
        fires = mean > 0
        F[fires, k] = var[fires] / mean[fires]
    return F


def fano_student_w9_np_where_with_safe_denominator(Y, states, K):
    """Right (wrong07.py, W9 np.where (divides by zero in the other branch))."""
    C = Y.shape[2]
    F = np.full((C, K), np.nan)
    for k in range(K):
        counts = Y[states == k]
        if len(counts) < 2:
            continue
        mean = counts.mean(axis=0)
        var = counts.var(axis=0, ddof=1)
        fires = mean > 0
        F[:, k] = np.where(mean > 0, var / np.where(mean > 0, mean, 1), np.nan)
    return F


def fano_student_w9b_np_where_plain_warns(Y, states, K):
    """Wrong (wrong07.py, W9b np.where plain (warns))."""
    C = Y.shape[2]
    F = np.full((C, K), np.nan)
    for k in range(K):
        counts = Y[states == k]
        if len(counts) < 2:
            continue
        mean = counts.mean(axis=0)
        var = counts.var(axis=0, ddof=1)
        fires = mean > 0
        F[:, k] = np.where(mean > 0, var / mean, np.nan)
    return F


def fano_student_w10_pooled_over_neurons_no_axis(Y, states, K):
    """Wrong (wrong07.py, W10 pooled over neurons (no axis))."""
    C = Y.shape[2]
    F = np.full((C, K), np.nan)
    for k in range(K):
        counts = Y[states == k]
        if len(counts) < 2:
            continue
        mean = np.full(C, counts.mean())
        var = np.full(C, counts.var(ddof=1))
        fires = mean > 0
        F[fires, k] = var[fires] / mean[fires]
    return F


def fano_student_w11_per_trial_fano_averaged(Y, states, K):
    """Wrong (wrong07.py, W11 per-trial Fano averaged)."""
    C = Y.shape[2]
    F = np.full((C, K), np.nan)
    for k in range(K):
        vals = []
        for n in range(Y.shape[0]):
            counts = Y[n][states[n] == k]
            if len(counts) < 2:
                continue
            m = counts.mean(axis=0); v = counts.var(axis=0, ddof=1)
            with np.errstate(all="ignore"):
                vals.append(np.where(m > 0, v / m, np.nan))
        if vals:
            F[:, k] = np.nanmean(vals, axis=0)
    return F


def fano_student_w12_np_divide_with_where_out_ok(Y, states, K):
    """Right (wrong07.py, W12 np.divide with where/out (ok))."""
    C = Y.shape[2]
    F = np.full((C, K), np.nan)
    for k in range(K):
        counts = Y[states == k]
        if len(counts) < 2:
            continue
        mean = counts.mean(axis=0)
        var = counts.var(axis=0, ddof=1)
        fires = mean > 0
        F[:, k] = np.divide(var, mean, out=np.full(C, np.nan), where=mean > 0)
    return F


def fano_student_w13_states_k_1_1_based(Y, states, K):
    """Wrong (wrong07.py, W13 states == k+1 (1-based))."""
    C = Y.shape[2]
    F = np.full((C, K), np.nan)
    for k in range(K):
        counts = Y[states == k + 1]
        if len(counts) < 2:
            continue
        mean = counts.mean(axis=0)
        var = counts.var(axis=0, ddof=1)
        fires = mean > 0
        F[fires, k] = var[fires] / mean[fires]
    return F


def fano_student_w14_errstate_suppressed_divide_ok(Y, states, K):
    """Right (wrong07.py, W14 errstate-suppressed divide (ok?))."""
    C = Y.shape[2]
    F = np.full((C, K), np.nan)
    for k in range(K):
        counts = Y[states == k]
        if len(counts) < 2:
            continue
        mean = counts.mean(axis=0)
        var = counts.var(axis=0, ddof=1)
        fires = mean > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            F[:, k] = var / mean
    return F


FANO_STUDENT = [
    (fano_student_w1_np_var_default_ddof_0, ('divided by n_k', 'ddof=1')),
    (fano_student_w2_no_mask_var_mean_everywhere,
     ('the values are right, but your function warned',
      'invalid value encountered in divide')),
    (fano_student_w3_first_trial_only, ('only the first trial is used',)),
    (fano_student_w4_std_mean, ('you divided the standard deviation by the mean',)),
    (fano_student_w5_mean_var_inverted, ('your ratio is upside down',)),
    (fano_student_w6_mean_over_axis_1,
     ('IndexError',
      'a boolean mask has the wrong length',
      'axis=0 of the (n_k, c) counts')),
    (fano_student_w7_fires_var_0, ('fano[2, 0] is nan', 'guard on the mean')),
    (fano_student_w8_no_n_k_2_guard, ('the values are right, but your function warned', 'degrees of freedom')),
    (fano_student_w9b_np_where_plain_warns,
     ('the values are right, but your function warned',
      'invalid value encountered in divide')),
    (fano_student_w10_pooled_over_neurons_no_axis, ('every neuron got the same value in a state',)),
    (fano_student_w11_per_trial_fano_averaged, ('you averaged one fano factor per trial',)),
    (fano_student_w13_states_k_1_1_based, ('state k + 1', 'count from 0')),
]


@pytest.mark.parametrize("fn, phrases", FANO_STUDENT, ids=[f.__name__ for f, _ in FANO_STUDENT])
def test_fano_per_state_student_answers_get_their_own_message(fn, phrases, capsys):
    assert_message(checks.check_fano_per_state, fn, capsys, *phrases)


@pytest.mark.parametrize("fn", [
    fano_student_w9_np_where_with_safe_denominator,
    fano_student_w12_np_divide_with_where_out_ok,
    fano_student_w14_errstate_suppressed_divide_ok,
])
def test_fano_per_state_student_right_answers_pass(fn, capsys):
    assert_passes(checks.check_fano_per_state, fn, capsys)
