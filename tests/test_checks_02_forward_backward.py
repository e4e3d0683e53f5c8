"""Tests of the checks of notebook 02 (forward-backward): `forward`, `backward`.

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
# 02: forward
# ------------------------------------------------------------------------------------


def forward_loops(obs, psi, A):
    n, T, K = obs.shape
    alpha = np.zeros((n, T, K))
    c = np.zeros((n, T))
    for i in range(n):
        a = psi * obs[i, 0]
        c[i, 0] = a.sum()
        alpha[i, 0] = a / c[i, 0]
        for t in range(1, T):
            a = np.zeros(K)
            for j in range(K):
                a[j] = sum(alpha[i, t - 1, k] * A[k, j] for k in range(K)) * obs[i, t, j]
            c[i, t] = a.sum()
            alpha[i, t] = a / c[i, t]
    return alpha, c


def _fwd(obs, psi, A, *, transpose=False, psi0=True, lag=False, emit_first=False,
         normalise=True, log_c=False, skip_c0=False):
    n, T, K = obs.shape
    M = A.T if transpose else A
    alpha = np.zeros((n, T, K))
    c = np.zeros((n, T))
    a = (psi if psi0 else 1.0) * obs[:, 0]
    if not skip_c0:
        c[:, 0] = a.sum(axis=1)
    alpha[:, 0] = a / a.sum(axis=1, keepdims=True) if normalise else a
    for t in range(1, T):
        o = obs[:, t - 1] if lag else obs[:, t]
        a = (alpha[:, t - 1] * o) @ M if emit_first else (alpha[:, t - 1] @ M) * o
        c[:, t] = a.sum(axis=1)
        alpha[:, t] = a / c[:, t, None] if normalise else a
    return alpha, (np.log(c) if log_c else c)


def forward_unnormalised(obs, psi, A):
    return _fwd(obs, psi, A, normalise=False)


def forward_transposed(obs, psi, A):
    return _fwd(obs, psi, A, transpose=True)


def forward_no_psi(obs, psi, A):
    return _fwd(obs, psi, A, psi0=False)


def forward_lag(obs, psi, A):
    return _fwd(obs, psi, A, lag=True)


def forward_emit_first(obs, psi, A):
    return _fwd(obs, psi, A, emit_first=True)


def forward_log_c(obs, psi, A):
    return _fwd(obs, psi, A, log_c=True)


def forward_no_c0(obs, psi, A):
    return _fwd(obs, psi, A, skip_c0=True)


def forward_alpha_only(obs, psi, A):
    return _fwd(obs, psi, A)[0]


def forward_none(obs, psi, A):
    _fwd(obs, psi, A)


def forward_in_place(obs, psi, A):
    obs[:, 0] *= psi  # "saves a multiplication", but changes the caller's obs
    alpha, c = _fwd(obs, np.ones_like(psi), A)
    return alpha, c


def forward_index_error(obs, psi, A):
    n, T, K = obs.shape
    alpha = np.zeros((n, T, K))
    for t in range(T + 1):
        alpha[:, t] = obs[:, t]  # runs one bin too far
    return alpha, alpha.sum(axis=2)


def forward_einsum(obs, psi, A):
    """Correct: the prediction written with einsum, normalisation with keepdims."""
    n, T, K = obs.shape
    alpha = np.empty((n, T, K))
    c = np.empty((n, T))
    a = psi[None, :] * obs[:, 0]
    for t in range(T):
        if t:
            a = np.einsum("ni,ij->nj", alpha[:, t - 1], A) * obs[:, t]
        c[:, t] = a.sum(axis=1)
        alpha[:, t] = a / a.sum(axis=1, keepdims=True)
    return alpha, c


def forward_float32(obs, psi, A):
    """Correct up to float32 rounding of the normalisers."""
    alpha, c = helpers.forward(obs, psi, A)
    return alpha.astype(np.float32).astype(float), c.astype(np.float32).astype(float)


def forward_no_A(obs, psi, A):
    n, T, K = obs.shape
    alpha, c = np.empty((n, T, K)), np.empty((n, T))
    a = psi * obs[:, 0]
    for t in range(T):
        if t:
            a = alpha[:, t - 1] * obs[:, t]  # forgot the transition
        c[:, t] = a.sum(axis=1)
        alpha[:, t] = a / c[:, t, None]
    return alpha, c


def forward_memoryless(obs, psi, A):
    n, T, K = obs.shape
    a = obs.copy()
    a[:, 0] *= psi
    c = a.sum(axis=2)
    return a / c[..., None], c


def forward_over_trials(obs, psi, A):
    n, T, K = obs.shape
    alpha, c = np.empty((n, T, K)), np.empty((n, T))
    a = psi * obs[:, 0]
    for t in range(T):
        if t:
            a = (alpha[:, t - 1] @ A) * obs[:, t]
        c[:, t] = a.sum(axis=1)
        alpha[:, t] = a / a.sum(axis=0, keepdims=True)  # over trials, not states
    return alpha, c


def forward_reciprocal_c(obs, psi, A):
    alpha, c = helpers.forward(obs, psi, A)
    return alpha, 1.0 / c


def forward_running_product(obs, psi, A):
    alpha, c = helpers.forward(obs, psi, A)
    return alpha, np.cumprod(c, axis=1)


def forward_c_after_normalising(obs, psi, A):
    alpha, _ = helpers.forward(obs, psi, A)
    return alpha, alpha.sum(axis=2)  # the sum of what was already divided


def forward_no_obs0(obs, psi, A):
    alpha, c = _fwd(obs, psi, A)
    a0 = np.broadcast_to(psi, obs[:, 0].shape)
    alpha[:, 0] = a0 / a0.sum(axis=1, keepdims=True)
    for t in range(1, obs.shape[1]):
        a = (alpha[:, t - 1] @ A) * obs[:, t]
        alpha[:, t] = a / a.sum(axis=1, keepdims=True)
    return alpha, c


def forward_scaffold_untouched(obs, psi, A):
    n_trials, T, K = obs.shape
    alpha = np.empty((n_trials, T, K))
    c = np.empty((n_trials, T))
    a = ...
    c[:, 0] = ...
    alpha[:, 0] = ...
    for t in range(1, T):
        a = ...
        c[:, t] = ...
        alpha[:, t] = ...
    return alpha, c


@pytest.mark.parametrize("fn", [helpers.forward, forward_loops, _fwd, forward_einsum, forward_float32])
def test_forward_correct_passes(fn, capsys):
    out = assert_passes(checks.check_forward, fn, capsys)
    assert "passed all 5 checks" in out


FORWARD_MISTAKES = [
    (forward_unnormalised, ("alpha is not normalised", "unscaled forward messages")),
    (forward_transposed, ("a is used transposed",)),
    (forward_no_psi, ("psi is missing from the first bin",)),
    (forward_no_obs0, ("the first bin ignores the observations",)),
    (forward_lag, ("bin t uses the observations of bin t-1",)),
    (forward_emit_first, ("order of transition and emission is swapped",)),
    (forward_no_A, ("a is missing: the prediction step",)),
    (forward_memoryless, ("alpha ignores the past",)),
    (forward_over_trials, ("normalised over the trials (axis 0)",)),
    (forward_log_c, ("c holds logarithms",)),
    (forward_reciprocal_c, ("reciprocals of the normalisers",)),
    (forward_running_product, ("running product",)),
    (forward_c_after_normalising, ("c is all ones",)),
    (forward_no_c0, ("c[:, 0] is wrong",)),
    (forward_alpha_only, ("return alpha, c",)),
    (forward_none, ("returned none",)),
    (forward_in_place, ("modified its input `obs` in place",)),
    (forward_index_error, ("indexerror", "alpha[:, t] = obs[:, t]")),
    (forward_scaffold_untouched, ("not done yet: fill in the `...`",)),
]


@pytest.mark.parametrize("fn, phrases", FORWARD_MISTAKES, ids=[f.__name__ for f, _ in FORWARD_MISTAKES])
def test_forward_mistakes_get_their_own_message(fn, phrases, capsys):
    assert_message(checks.check_forward, fn, capsys, *phrases)


def test_forward_catalogue_is_large():
    assert len(FORWARD_MISTAKES) >= 15


def test_forward_index_error_reports_the_students_line(capsys):
    out = assert_caught(checks.check_forward, forward_index_error, capsys, "IndexError")
    assert "in forward_index_error, line" in out
    assert "alpha[:, t] = obs[:, t]" in out
    assert "test_checks_02_forward_backward.py" in out


# ------------------------------------------------------------------------------------
# 02: backward
# ------------------------------------------------------------------------------------


def backward_loops(obs, A, c):
    n, T, K = obs.shape
    beta = np.ones((n, T, K))
    for i in range(n):
        for t in range(T - 2, -1, -1):
            for k in range(K):
                beta[i, t, k] = sum(A[k, j] * obs[i, t + 1, j] * beta[i, t + 1, j]
                                    for j in range(K)) / c[i, t + 1]
    return beta


def _bwd(obs, A, c, *, use_A=False, scale="next", obs_bin="next", normalise=False, last=1.0):
    n, T, K = obs.shape
    beta = np.empty((n, T, K))
    beta[:, -1] = last
    M = A if use_A else A.T
    for t in range(T - 2, -1, -1):
        o = obs[:, t + 1] if obs_bin == "next" else obs[:, t]
        b = (o * beta[:, t + 1]) @ M
        if scale == "next":
            b = b / c[:, t + 1, None]
        elif scale == "same":
            b = b / c[:, t, None]
        if normalise:
            b = b / b.sum(axis=1, keepdims=True)
        beta[:, t] = b
    return beta


def backward_from_ones_two_passes(obs, A, c):
    """Correct: unscaled in logs, then rescaled (another route to the same numbers)."""
    n, T, K = obs.shape
    log_b = np.zeros((n, T, K))
    for t in range(T - 2, -1, -1):
        m = log_b[:, t + 1].max(axis=1, keepdims=True)
        log_b[:, t] = np.log((obs[:, t + 1] * np.exp(log_b[:, t + 1] - m)) @ A.T) + m
    log_c_after = np.concatenate([np.cumsum(np.log(c[:, :0:-1]), axis=1)[:, ::-1], np.zeros((n, 1))], axis=1)
    return np.exp(log_b - log_c_after[..., None])


def backward_list_then_stack(obs, A, c):
    """Correct: a list built backwards, reversed before stacking."""
    n, T, K = obs.shape
    b = np.ones((n, K))
    out = [b]
    for t in range(T - 2, -1, -1):
        b = (obs[:, t + 1] * b) @ A.T / c[:, t + 1, None]
        out.append(b)
    return np.stack(out[::-1], axis=1)


def backward_skips_bin0(obs, A, c):
    n, T, K = obs.shape
    beta = np.empty((n, T, K))
    beta[:] = np.nan
    beta[:, T - 1] = 1.0
    for t in range(T - 2, 0, -1):  # stops at 1
        beta[:, t] = ((obs[:, t + 1] * beta[:, t + 1]) @ A.T) / c[:, t + 1, None]
    return beta


def backward_reversed(obs, A, c):
    return backward_list_then_stack(obs, A, c)[:, ::-1]


def backward_no_obs(obs, A, c):
    n, T, K = obs.shape
    beta = np.ones((n, T, K))
    for t in range(T - 2, -1, -1):
        beta[:, t] = (beta[:, t + 1] @ A.T) / c[:, t + 1, None]
    return beta


def backward_scaffold_untouched(obs, A, c):
    n_trials, T, K = obs.shape
    beta = np.empty((n_trials, T, K))
    beta[:, T - 1] = ...
    for t in ...:
        beta[:, t] = ...
    return beta


def backward_in_place(obs, A, c):
    obs /= c[..., None]  # scale the caller's obs in place
    n, T, K = obs.shape
    beta = np.ones((n, T, K))
    for t in range(T - 2, -1, -1):
        beta[:, t] = (obs[:, t + 1] * beta[:, t + 1]) @ A.T
    return beta


@pytest.mark.parametrize("fn", [helpers.backward, backward_loops, _bwd, backward_from_ones_two_passes,
                                backward_list_then_stack])
def test_backward_correct_passes(fn, capsys):
    out = assert_passes(checks.check_backward, fn, capsys)
    assert "passed all 5 checks" in out


BACKWARD_MISTAKES = [
    (lambda obs, A, c: _bwd(obs, A, c, use_A=True), ("a is used the wrong way round",)),
    (lambda obs, A, c: _bwd(obs, A, c, scale="none"), ("not divided by c[t+1]",)),
    (lambda obs, A, c: _bwd(obs, A, c, scale="same"), ("c[t] instead of c[t+1]",)),
    (lambda obs, A, c: _bwd(obs, A, c, obs_bin="same"), ("beta[:, t] uses the observations of bin t",)),
    (backward_no_obs, ("observations are missing from the backward step",)),
    (lambda obs, A, c: _bwd(obs, A, c, normalise=True), ("beta rows are normalised to sum to 1",)),
    (lambda obs, A, c: _bwd(obs, A, c, last=0.0), ("beta[:, -1] should be all ones",)),
    (backward_skips_bin0, ("never fills bin 0", "range stops before its second argument")),
    (backward_reversed, ("reverse time order",)),
    (lambda obs, A, c: (_bwd(obs, A, c), c), ("should return one array (beta), it returned 2",)),
    (lambda obs, A, c: None, ("returned none",)),
    (lambda obs, A, c: _bwd(obs, A, c)[..., :2], ("beta has shape",)),
    (lambda obs, A, c: _bwd(obs, A, c).transpose(1, 0, 2), ("axes are in the wrong order",)),
    (backward_in_place, ("modified its input `obs` in place",)),
    (not_done, ("not done yet",)),
    (backward_scaffold_untouched, ("not done yet: fill in the `...`",)),
]


@pytest.mark.parametrize("fn, phrases", BACKWARD_MISTAKES, ids=[str(i) for i in range(len(BACKWARD_MISTAKES))])
def test_backward_mistakes_get_their_own_message(fn, phrases, capsys):
    assert_message(checks.check_backward, fn, capsys, *phrases)


def test_backward_catalogue_is_large():
    assert len(BACKWARD_MISTAKES) >= 15


# ------------------------------------------------------------------------------------
# forward: a student's play-through (wrong answers written against the scaffold)
# ------------------------------------------------------------------------------------


def forward_student_w1_a_transposed_alpha_a_t(obs, psi, A):
    """Wrong (wrong02a.py, W1 A transposed: alpha @ A.T)."""
    n_trials, T, K = obs.shape
    alpha = np.empty((n_trials, T, K))
    c = np.empty((n_trials, T))
    a = psi * obs[:, 0]
    c[:, 0] = a.sum(axis=1)
    alpha[:, 0] = a / c[:, 0, None]
    for t in range(1, T):
        a = (alpha[:, t - 1] @ A.T) * obs[:, t]
        c[:, t] = a.sum(axis=1)
        alpha[:, t] = a / c[:, t, None]
    return alpha, c


def forward_student_w2_a_on_the_left_a_alpha_t_t(obs, psi, A):
    """Wrong (wrong02a.py, W2 A on the left: (A @ alpha.T).T)."""
    n_trials, T, K = obs.shape
    alpha = np.empty((n_trials, T, K))
    c = np.empty((n_trials, T))
    a = psi * obs[:, 0]
    c[:, 0] = a.sum(axis=1)
    alpha[:, 0] = a / c[:, 0, None]
    for t in range(1, T):
        a = (A @ alpha[:, t - 1].T).T * obs[:, t]
        c[:, t] = a.sum(axis=1)
        alpha[:, t] = a / c[:, t, None]
    return alpha, c


def forward_student_w3_never_normalise_alpha(obs, psi, A):
    """Wrong (wrong02a.py, W3 never normalise alpha)."""
    n_trials, T, K = obs.shape
    alpha = np.empty((n_trials, T, K))
    c = np.empty((n_trials, T))
    a = psi * obs[:, 0]
    c[:, 0] = a.sum(axis=1)
    alpha[:, 0] = a
    for t in range(1, T):
        a = (alpha[:, t - 1] @ A) * obs[:, t]
        c[:, t] = a.sum(axis=1)
        alpha[:, t] = a
    return alpha, c


def forward_student_w4_obs_t_1_off_by_one(obs, psi, A):
    """Wrong (wrong02a.py, W4 obs[:, t-1] off by one)."""
    n_trials, T, K = obs.shape
    alpha = np.empty((n_trials, T, K))
    c = np.empty((n_trials, T))
    a = psi * obs[:, 0]
    c[:, 0] = a.sum(axis=1)
    alpha[:, 0] = a / c[:, 0, None]
    for t in range(1, T):
        a = (alpha[:, t - 1] @ A) * obs[:, t - 1]
        c[:, t] = a.sum(axis=1)
        alpha[:, t] = a / c[:, t, None]
    return alpha, c


def forward_student_w5_bin_0_forgets_obs_a_psi(obs, psi, A):
    """Wrong (wrong02a.py, W5 bin 0 forgets obs (a = psi))."""
    n_trials, T, K = obs.shape
    alpha = np.empty((n_trials, T, K))
    c = np.empty((n_trials, T))
    a = np.tile(psi, (n_trials, 1))
    c[:, 0] = a.sum(axis=1)
    alpha[:, 0] = a / c[:, 0, None]
    for t in range(1, T):
        a = (alpha[:, t - 1] @ A) * obs[:, t]
        c[:, t] = a.sum(axis=1)
        alpha[:, t] = a / c[:, t, None]
    return alpha, c


def forward_student_w6_recursion_on_unnormalised_a_c_p_y_1_t(obs, psi, A):
    """Wrong (wrong02a.py, W6 recursion on unnormalised a (c = p(y_1..t)))."""
    n_trials, T, K = obs.shape
    alpha = np.empty((n_trials, T, K))
    c = np.empty((n_trials, T))
    a = psi * obs[:, 0]
    c[:, 0] = a.sum(axis=1)
    alpha[:, 0] = a / c[:, 0, None]
    for t in range(1, T):
        a = (a @ A) * obs[:, t]
        c[:, t] = a.sum(axis=1)
        alpha[:, t] = a / c[:, t, None]
    return alpha, c


def forward_student_w7_normalise_over_trials_axis_0(obs, psi, A):
    """Wrong (wrong02a.py, W7 normalise over trials (axis=0))."""
    n_trials, T, K = obs.shape
    alpha = np.empty((n_trials, T, K))
    c = np.empty((n_trials, T))
    a = psi * obs[:, 0]
    c[:, 0] = a.sum(axis=1)
    alpha[:, 0] = a / c[:, 0, None]
    for t in range(1, T):
        a = (alpha[:, t - 1] @ A) * obs[:, t]
        c[:, t] = a.sum(axis=1)
        alpha[:, t] = a / a.sum(axis=0)
    return alpha, c


def forward_student_w8_elementwise_sum_over_wrong_axis_no_transition(obs, psi, A):
    """Wrong (wrong02a.py, W8 elementwise sum over wrong axis (no transition))."""
    n_trials, T, K = obs.shape
    alpha = np.empty((n_trials, T, K))
    c = np.empty((n_trials, T))
    a = psi * obs[:, 0]
    c[:, 0] = a.sum(axis=1)
    alpha[:, 0] = a / c[:, 0, None]
    for t in range(1, T):
        a = (alpha[:, t - 1][:, :, None] * A).sum(axis=2) * obs[:, t]
        c[:, t] = a.sum(axis=1)
        alpha[:, t] = a / c[:, t, None]
    return alpha, c


def forward_student_w9_loop_stops_early_range_1_t_1(obs, psi, A):
    """Wrong (wrong02a.py, W9 loop stops early range(1, T-1))."""
    n_trials, T, K = obs.shape
    alpha = np.empty((n_trials, T, K))
    c = np.empty((n_trials, T))
    a = psi * obs[:, 0]
    c[:, 0] = a.sum(axis=1)
    alpha[:, 0] = a / c[:, 0, None]
    for t in range(1, T - 1):
        a = (alpha[:, t - 1] @ A) * obs[:, t]
        c[:, t] = a.sum(axis=1)
        alpha[:, t] = a / c[:, t, None]
    return alpha, c


def forward_student_w10_returns_log_c(obs, psi, A):
    """Wrong (wrong02a.py, W10 returns log c)."""
    n_trials, T, K = obs.shape
    alpha = np.empty((n_trials, T, K))
    c = np.empty((n_trials, T))
    a = psi * obs[:, 0]
    c[:, 0] = a.sum(axis=1)
    alpha[:, 0] = a / c[:, 0, None]
    for t in range(1, T):
        a = (alpha[:, t - 1] @ A) * obs[:, t]
        c[:, t] = a.sum(axis=1)
        alpha[:, t] = a / c[:, t, None]
    return alpha, np.log(c)


def forward_student_w11_in_place_on_obs(obs, psi, A):
    """Wrong (wrong02a.py, W11 in-place on obs)."""
    n_trials, T, K = obs.shape
    alpha = np.empty((n_trials, T, K))
    c = np.empty((n_trials, T))
    obs[:, 0] *= psi
    c[:, 0] = obs[:, 0].sum(axis=1)
    alpha[:, 0] = obs[:, 0] / c[:, 0, None]
    for t in range(1, T):
        obs[:, t] *= alpha[:, t - 1] @ A
        c[:, t] = obs[:, t].sum(axis=1)
        alpha[:, t] = obs[:, t] / c[:, t, None]
    return alpha, c


def forward_student_w12_divides_by_c_t_without_none(obs, psi, A):
    """Wrong (wrong02a.py, W12 divides by c[:, t] without None)."""
    n_trials, T, K = obs.shape
    alpha = np.empty((n_trials, T, K))
    c = np.empty((n_trials, T))
    a = psi * obs[:, 0]
    c[:, 0] = a.sum(axis=1)
    alpha[:, 0] = a / c[:, 0]
    for t in range(1, T):
        a = (alpha[:, t - 1] @ A) * obs[:, t]
        c[:, t] = a.sum(axis=1)
        alpha[:, t] = a / c[:, t]
    return alpha, c


def forward_student_w13_divides_by_c_t_without_none_a_t_c_t_in_bin_0(obs, psi, A):
    """Wrong (wrong02a.py, W13 divides by c[:, t] without None, (a.T/c).T in bin 0 only)."""
    n_trials, T, K = obs.shape
    alpha = np.empty((n_trials, T, K))
    c = np.empty((n_trials, T))
    a = psi * obs[:, 0]
    c[:, 0] = a.sum(axis=1)
    alpha[:, 0] = a / c[:, 0, None]
    for t in range(1, T):
        a = (alpha[:, t - 1] @ A) * obs[:, t]
        c[:, t] = a.sum(axis=1)
        alpha[:, t] = a / c[:, t]
    return alpha, c


def forward_student_w14_returns_c_alpha_swapped(obs, psi, A):
    """Wrong (wrong02a.py, W14 returns (c, alpha) swapped)."""
    n_trials, T, K = obs.shape
    alpha = np.empty((n_trials, T, K))
    c = np.empty((n_trials, T))
    a = psi * obs[:, 0]
    c[:, 0] = a.sum(axis=1)
    alpha[:, 0] = a / c[:, 0, None]
    for t in range(1, T):
        a = (alpha[:, t - 1] @ A) * obs[:, t]
        c[:, t] = a.sum(axis=1)
        alpha[:, t] = a / c[:, t, None]
    return c, alpha


def forward_student_w15_c_max_instead_of_sum(obs, psi, A):
    """Wrong (wrong02a.py, W15 c = max instead of sum)."""
    n_trials, T, K = obs.shape
    alpha = np.empty((n_trials, T, K))
    c = np.empty((n_trials, T))
    a = psi * obs[:, 0]
    c[:, 0] = a.max(axis=1)
    alpha[:, 0] = a / c[:, 0, None]
    for t in range(1, T):
        a = (alpha[:, t - 1] @ A) * obs[:, t]
        c[:, t] = a.max(axis=1)
        alpha[:, t] = a / c[:, t, None]
    return alpha, c


def forward_student_w16_obs_multiplied_before_transition(obs, psi, A):
    """Wrong (wrong02a.py, W16 obs multiplied before transition)."""
    n_trials, T, K = obs.shape
    alpha = np.empty((n_trials, T, K))
    c = np.empty((n_trials, T))
    a = psi * obs[:, 0]
    c[:, 0] = a.sum(axis=1)
    alpha[:, 0] = a / c[:, 0, None]
    for t in range(1, T):
        a = (alpha[:, t - 1] * obs[:, t]) @ A
        c[:, t] = a.sum(axis=1)
        alpha[:, t] = a / c[:, t, None]
    return alpha, c


def forward_student_w17_bin_0_uses_psi_a(obs, psi, A):
    """Wrong (wrong02a.py, W17 bin 0 uses psi @ A)."""
    n_trials, T, K = obs.shape
    alpha = np.empty((n_trials, T, K))
    c = np.empty((n_trials, T))
    a = (psi @ A) * obs[:, 0]
    c[:, 0] = a.sum(axis=1)
    alpha[:, 0] = a / c[:, 0, None]
    for t in range(1, T):
        a = (alpha[:, t - 1] @ A) * obs[:, t]
        c[:, t] = a.sum(axis=1)
        alpha[:, t] = a / c[:, t, None]
    return alpha, c


def forward_student_w18_c_summed_over_trials(obs, psi, A):
    """Wrong (wrong02a.py, W18 log c sum returned as c per trial?? c normalised by psi)."""
    n_trials, T, K = obs.shape
    alpha = np.empty((n_trials, T, K))
    c = np.empty((n_trials, T))
    a = psi * obs[:, 0]
    c[:, 0] = a.sum(axis=1)
    alpha[:, 0] = a / c[:, 0, None]
    for t in range(1, T):
        a = (alpha[:, t - 1] @ A) * obs[:, t]
        c[:, t] = a.sum()
        alpha[:, t] = a / a.sum(axis=1, keepdims=True)
    return alpha, c


FORWARD_STUDENT = [
    (forward_student_w1_a_transposed_alpha_a_t, ('a is used transposed',)),
    (forward_student_w2_a_on_the_left_a_alpha_t_t, ('a is used transposed',)),
    (forward_student_w3_never_normalise_alpha, ('alpha is not normalised', 'unscaled forward messages')),
    (forward_student_w4_obs_t_1_off_by_one, ('off by one: bin t uses the observations of bin t-1',)),
    (forward_student_w5_bin_0_forgets_obs_a_psi, ('the first bin ignores the observations',)),
    (forward_student_w6_recursion_on_unnormalised_a_c_p_y_1_t, ('c is a running product',)),
    (forward_student_w7_normalise_over_trials_axis_0, ('alpha is normalised over the trials',)),
    (forward_student_w8_elementwise_sum_over_wrong_axis_no_transition,
     ('a is missing: the prediction step is left out',)),
    (forward_student_w9_loop_stops_early_range_1_t_1,
     ('last bin (t = 6) of alpha is never filled',
      'range stops before its second argument')),
    (forward_student_w10_returns_log_c, ('c holds logarithms',)),
    (forward_student_w11_in_place_on_obs, ('your function modified its input `obs` in place',)),
    (forward_student_w12_divides_by_c_t_without_none, ('ValueError', 'numpy lines up the last axes', '[:, none]')),
    (forward_student_w13_divides_by_c_t_without_none_a_t_c_t_in_bin_0,
     ('ValueError',
      'numpy lines up the last axes',
      '[:, none]')),
    (forward_student_w14_returns_c_alpha_swapped, ('the two outputs are swapped',)),
    (forward_student_w15_c_max_instead_of_sum, ('alpha is divided by its largest entry',)),
    (forward_student_w16_obs_multiplied_before_transition, ('the order of transition and emission is swapped',)),
    (forward_student_w17_bin_0_uses_psi_a, ('the first bin is moved through a before it starts',)),
    (forward_student_w18_c_summed_over_trials, ('c is summed over the trials too',)),
]


@pytest.mark.parametrize("fn, phrases", FORWARD_STUDENT, ids=[f.__name__ for f, _ in FORWARD_STUDENT])
def test_forward_student_answers_get_their_own_message(fn, phrases, capsys):
    assert_message(checks.check_forward, fn, capsys, *phrases)


# ------------------------------------------------------------------------------------
# backward: a student's play-through (wrong and right answers written against the scaffold)
# ------------------------------------------------------------------------------------


def backward_student_w1_a_instead_of_a_t(obs, A, c):
    """Wrong (wrong02b.py, W1 @ A instead of @ A.T)."""
    n_trials, T, K = obs.shape
    beta = np.empty((n_trials, T, K))
    beta[:, T - 1] = 1.0
    for t in range(T - 2, -1, -1):
        beta[:, t] = ((obs[:, t + 1] * beta[:, t + 1]) @ A) / c[:, t + 1, None]
    return beta


def backward_student_w2_range_t_2_0_1_bin_0_never_filled(obs, A, c):
    """Wrong (wrong02b.py, W2 range(T-2, 0, -1): bin 0 never filled)."""
    n_trials, T, K = obs.shape
    beta = np.empty((n_trials, T, K))
    beta[:, T - 1] = 1.0
    for t in range(T - 2, 0, -1):
        beta[:, t] = ((obs[:, t + 1] * beta[:, t + 1]) @ A.T) / c[:, t + 1, None]
    return beta


def backward_student_w3_range_t_1_1_1_starts_at_last_bin(obs, A, c):
    """Wrong (wrong02b.py, W3 range(T-1, -1, -1): starts at last bin)."""
    n_trials, T, K = obs.shape
    beta = np.empty((n_trials, T, K))
    beta[:, T - 1] = 1.0
    for t in range(T - 1, -1, -1):
        beta[:, t] = ((obs[:, t + 1] * beta[:, t + 1]) @ A.T) / c[:, t + 1, None]
    return beta


def backward_student_w4_divides_by_c_t_not_t_1(obs, A, c):
    """Wrong (wrong02b.py, W4 divides by c[:, t] (not t+1))."""
    n_trials, T, K = obs.shape
    beta = np.empty((n_trials, T, K))
    beta[:, T - 1] = 1.0
    for t in range(T - 2, -1, -1):
        beta[:, t] = ((obs[:, t + 1] * beta[:, t + 1]) @ A.T) / c[:, t, None]
    return beta


def backward_student_w5_forgets_obs(obs, A, c):
    """Wrong (wrong02b.py, W5 forgets obs)."""
    n_trials, T, K = obs.shape
    beta = np.empty((n_trials, T, K))
    beta[:, T - 1] = 1.0
    for t in range(T - 2, -1, -1):
        beta[:, t] = (beta[:, t + 1] @ A.T) / c[:, t + 1, None]
    return beta


def backward_student_w6_obs_t_instead_of_obs_t_1(obs, A, c):
    """Wrong (wrong02b.py, W6 obs[:, t] instead of obs[:, t+1])."""
    n_trials, T, K = obs.shape
    beta = np.empty((n_trials, T, K))
    beta[:, T - 1] = 1.0
    for t in range(T - 2, -1, -1):
        beta[:, t] = ((obs[:, t] * beta[:, t + 1]) @ A.T) / c[:, t + 1, None]
    return beta


def backward_student_w7_no_scaling_by_c(obs, A, c):
    """Wrong (wrong02b.py, W7 no scaling by c)."""
    n_trials, T, K = obs.shape
    beta = np.empty((n_trials, T, K))
    beta[:, T - 1] = 1.0
    for t in range(T - 2, -1, -1):
        beta[:, t] = (obs[:, t + 1] * beta[:, t + 1]) @ A.T
    return beta


def backward_student_w8_beta_t_1_k(obs, A, c):
    """Wrong (wrong02b.py, W8 beta_T = 1/K)."""
    n_trials, T, K = obs.shape
    beta = np.empty((n_trials, T, K))
    beta[:, T - 1] = 1.0 / K
    for t in range(T - 2, -1, -1):
        beta[:, t] = ((obs[:, t + 1] * beta[:, t + 1]) @ A.T) / c[:, t + 1, None]
    return beta


def backward_student_w9_beta_t_0_nothing_observed(obs, A, c):
    """Wrong (wrong02b.py, W9 beta_T = 0 ('nothing observed'))."""
    n_trials, T, K = obs.shape
    beta = np.empty((n_trials, T, K))
    beta[:, T - 1] = 0.0
    for t in range(T - 2, -1, -1):
        beta[:, t] = ((obs[:, t + 1] * beta[:, t + 1]) @ A.T) / c[:, t + 1, None]
    return beta


def backward_student_w10_normalise_beta_by_its_own_sum(obs, A, c):
    """Wrong (wrong02b.py, W10 normalise beta by its own sum)."""
    n_trials, T, K = obs.shape
    beta = np.empty((n_trials, T, K))
    beta[:, T - 1] = 1.0
    for t in range(T - 2, -1, -1):
        beta[:, t] = (lambda b: b / b.sum(axis=1, keepdims=True))((obs[:, t + 1] * beta[:, t + 1]) @ A.T)
    return beta


def backward_student_w11_loop_forwards_range_t_1(obs, A, c):
    """Wrong (wrong02b.py, W11 loop forwards range(T-1))."""
    n_trials, T, K = obs.shape
    beta = np.empty((n_trials, T, K))
    beta[:, T - 1] = 1.0
    for t in range(T - 1):
        beta[:, t] = ((obs[:, t + 1] * beta[:, t + 1]) @ A.T) / c[:, t + 1, None]
    return beta


def backward_student_w12_multiplies_by_c_instead_of_dividing(obs, A, c):
    """Wrong (wrong02b.py, W12 multiplies by c instead of dividing)."""
    n_trials, T, K = obs.shape
    beta = np.empty((n_trials, T, K))
    beta[:, T - 1] = 1.0
    for t in range(T - 2, -1, -1):
        beta[:, t] = ((obs[:, t + 1] * beta[:, t + 1]) @ A.T) * c[:, t + 1, None]
    return beta


def backward_student_w13_reversed_range_t_1_right(obs, A, c):
    """Right (wrong02b.py, W13 reversed(range(T-1)) (right))."""
    n_trials, T, K = obs.shape
    beta = np.empty((n_trials, T, K))
    beta[:, T - 1] = 1.0
    for t in reversed(range(T - 1)):
        beta[:, t] = ((obs[:, t + 1] * beta[:, t + 1]) @ A.T) / c[:, t + 1, None]
    return beta


def backward_student_w14_a_t_transposed_back_right(obs, A, c):
    """Right (wrong02b.py, W14 A @ (...).T transposed back (right))."""
    n_trials, T, K = obs.shape
    beta = np.empty((n_trials, T, K))
    beta[:, T - 1] = 1.0
    for t in range(T - 2, -1, -1):
        beta[:, t] = (A @ (obs[:, t + 1] * beta[:, t + 1]).T).T / c[:, t + 1, None]
    return beta


def backward_student_w15_c_without_none(obs, A, c):
    """Wrong (wrong02b.py, W15 c without None)."""
    n_trials, T, K = obs.shape
    beta = np.empty((n_trials, T, K))
    beta[:, T - 1] = 1.0
    for t in range(T - 2, -1, -1):
        beta[:, t] = ((obs[:, t + 1] * beta[:, t + 1]) @ A.T) / c[:, t + 1]
    return beta


def backward_student_w16_obs_outside_the_matmul_obs_t_1_beta_a_t(obs, A, c):
    """Wrong (wrong02b.py, W16 obs outside the matmul: obs[:,t+1]*(beta@A.T))."""
    n_trials, T, K = obs.shape
    beta = np.empty((n_trials, T, K))
    beta[:, T - 1] = 1.0
    for t in range(T - 2, -1, -1):
        beta[:, t] = obs[:, t + 1] * (beta[:, t + 1] @ A.T) / c[:, t + 1, None]
    return beta


def backward_student_w17_half_scaffold_loop_range_left(obs, A, c):
    """Wrong (wrong02b.py, W17 half scaffold: loop range left ...)."""
    n_trials, T, K = obs.shape
    beta = np.empty((n_trials, T, K))
    beta[:, T - 1] = 1.0
    for t in ...:
        beta[:, t] = ((obs[:, t + 1] * beta[:, t + 1]) @ A.T) / c[:, t + 1, None]
    return beta


BACKWARD_STUDENT = [
    (backward_student_w1_a_instead_of_a_t, ('a is used the wrong way round',)),
    (backward_student_w2_range_t_2_0_1_bin_0_never_filled,
     ('never fills bin 0',
      'range stops before its second argument')),
    (backward_student_w3_range_t_1_1_1_starts_at_last_bin,
     ('IndexError',
      'your loop reads bin t + 1 = 7, which does not exist')),
    (backward_student_w4_divides_by_c_t_not_t_1, ('beta is divided by c[t] instead of c[t+1]',)),
    (backward_student_w5_forgets_obs, ('the observations are missing from the backward step',)),
    (backward_student_w6_obs_t_instead_of_obs_t_1, ('off by one: beta[:, t] uses the observations of bin t',)),
    (backward_student_w7_no_scaling_by_c, ('beta is not divided by c[t+1]',)),
    (backward_student_w8_beta_t_1_k, ('beta[:, -1] should be all ones',)),
    (backward_student_w9_beta_t_0_nothing_observed, ('beta[:, -1] should be all ones',)),
    (backward_student_w10_normalise_beta_by_its_own_sum, ('beta rows are normalised to sum to 1',)),
    (backward_student_w11_loop_forwards_range_t_1,
     ('only the last two bins of beta are right',
      'loop run forwards')),
    (backward_student_w12_multiplies_by_c_instead_of_dividing,
     ('beta is multiplied by c[t+1] instead of divided by it',)),
    (backward_student_w15_c_without_none, ('ValueError', 'numpy lines up the last axes')),
    (backward_student_w16_obs_outside_the_matmul_obs_t_1_beta_a_t,
     ('the evidence is applied after the sum over the next state',)),
    (backward_student_w17_half_scaffold_loop_range_left, ('not done yet: fill in the `...`',)),
]


@pytest.mark.parametrize("fn, phrases", BACKWARD_STUDENT, ids=[f.__name__ for f, _ in BACKWARD_STUDENT])
def test_backward_student_answers_get_their_own_message(fn, phrases, capsys):
    assert_message(checks.check_backward, fn, capsys, *phrases)


@pytest.mark.parametrize("fn", [
    backward_student_w13_reversed_range_t_1_right,
    backward_student_w14_a_t_transposed_back_right,
])
def test_backward_student_right_answers_pass(fn, capsys):
    assert_passes(checks.check_backward, fn, capsys)
