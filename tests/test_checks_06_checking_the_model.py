"""Tests of the checks of notebook 06 (checking the model): `viterbi`, `heldout_ll`.

Every check passes the reference and correct implementations written
differently, and fails a catalogue of wrong ones, the kind students write,
each with its own specific message.
"""

from __future__ import annotations


import numpy as np
import pytest
from scipy.special import logsumexp

import helpers
from helpers import checks
from helpers.checks import checking_the_model as ctm

from check_helpers import headlines, assert_caught, assert_message, assert_passes, not_done, run_check  # noqa: F401


# ------------------------------------------------------------------------------------
# 06: viterbi -- the reference itself
# ------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(12))
def test_reference_viterbi_equals_brute_force(brute, make_model, make_counts, seed):
    rng = np.random.default_rng(seed)
    K, T, C, n = 1 + seed % 3, 1 + seed % 5, 2, 3
    psi, A, L, dt = make_model(rng, K, C, sparse=seed % 2 == 1)
    Y = make_counts(rng, n, T, C)
    ref = brute(Y, psi, A, L, dt)
    log_obs = ctm._poisson_log_obs(Y, L, dt)
    path = checks.reference_viterbi(log_obs, psi, A)
    assert path.shape == (n, T) and path.dtype == np.int64
    # the path is a best one (ties, if any, may pick another path of the same score)
    assert np.allclose(ref.path_ll(path), ref.viterbi_ll)


@pytest.mark.parametrize("seed", range(4))
def test_reference_viterbi_equals_helpers_viterbi(seed):
    d = helpers.tutorial_data(n_trials=5, T=400, seed=seed)
    Y, psi, A, L, dt = d["Y"], d["psi"], d["A"], d["L"], d["dt"]
    log_obs = ctm._poisson_log_obs(Y, L, dt)
    assert np.array_equal(checks.reference_viterbi(log_obs, psi, A), helpers.viterbi(Y, psi, A, L, dt))


def test_viterbi_cases_have_a_unique_best_path():
    """Brute-force cases are only fair if the best path wins by a clear margin."""
    for label, log_obs, psi, A, ref, desc in ctm._viterbi_cases()[:2]:
        best, margin = ctm._brute_force_paths(log_obs, psi, A)
        assert np.array_equal(best, ref)
        assert margin.min() > 1e-3, (label, margin)
    long = ctm._viterbi_cases()[3]
    # the long case really underflows: a path's probability is far below the smallest float
    assert ctm._path_log_joint(long[4], long[1], long[2], long[3]).max() < -800


def test_reference_viterbi_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="log_obs"):
        checks.reference_viterbi(np.zeros((3, 2)), np.ones(2) / 2, np.eye(2))
    with pytest.raises(ValueError, match="psi"):
        checks.reference_viterbi(np.zeros((1, 3, 2)), np.ones(3) / 3, np.eye(2))


# ------------------------------------------------------------------------------------
# 06: viterbi -- right answers written differently
# ------------------------------------------------------------------------------------


def vit_loops(log_obs, psi, A):
    """Correct: one trial at a time, Python loops over states."""
    n, T, K = log_obs.shape
    with np.errstate(divide="ignore"):
        lp, lA = np.log(psi), np.log(A)
    path = np.zeros((n, T), dtype=int)
    for i in range(n):
        delta = [lp[k] + log_obs[i, 0, k] for k in range(K)]
        back = [[0] * K for _ in range(T)]
        for t in range(1, T):
            new = []
            for j in range(K):
                cand = [delta[a] + lA[a, j] for a in range(K)]
                b = int(np.argmax(cand))
                back[t][j] = b
                new.append(cand[b] + log_obs[i, t, j])
            delta = new
        path[i, T - 1] = int(np.argmax(delta))
        for t in range(T - 1, 0, -1):
            path[i, t - 1] = back[t][path[i, t]]
    return path


def vit_scaled_probabilities(log_obs, psi, A):
    """Correct: max-product with probabilities, rescaled every bin (no underflow)."""
    n, T, K = log_obs.shape
    obs = np.exp(log_obs - log_obs.max(axis=2, keepdims=True))
    back = np.zeros((T, n, K), dtype=np.int32)  # time-major pointers
    delta = psi * obs[:, 0]
    delta /= delta.max(axis=1, keepdims=True)
    for t in range(1, T):
        scores = delta[:, :, None] * A
        back[t] = scores.argmax(axis=1)
        delta = scores.max(axis=1) * obs[:, t]
        delta /= delta.max(axis=1, keepdims=True)
    path = np.empty((n, T), dtype=np.int32)
    path[:, -1] = delta.argmax(axis=1)
    for t in range(T - 1, 0, -1):
        path[:, t - 1] = back[t, np.arange(n), path[:, t]]
    return path


def vit_next_state_first(log_obs, psi, A):
    """Correct: scores laid out [n, j, i] (next state first), argmax over the last axis."""
    n, T, K = log_obs.shape
    with np.errstate(divide="ignore"):
        lp, lAT = np.log(psi), np.log(A.T)
    delta = lp + log_obs[:, 0]
    back = np.zeros((n, T, K), dtype=np.int64)
    for t in range(1, T):
        scores = delta[:, None, :] + lAT  # scores[n, j, i] = delta[n, i] + log A[i, j]
        back[:, t] = scores.argmax(axis=2)
        delta = np.take_along_axis(scores, back[:, t][:, :, None], axis=2)[:, :, 0] + log_obs[:, t]
    path = np.zeros((n, T), dtype=np.int64)
    path[:, -1] = delta.argmax(axis=1)
    for t in range(T - 1, 0, -1):
        path[:, t - 1] = np.take_along_axis(back[:, t], path[:, t][:, None], axis=1)[:, 0]
    return path


def vit_list_of_lists(log_obs, psi, A):
    """Correct: returns a nested list of Python ints."""
    return checks.reference_viterbi(log_obs, psi, A).tolist()


@pytest.mark.parametrize("fn", [checks.reference_viterbi, vit_loops, vit_scaled_probabilities,
                                vit_next_state_first, vit_list_of_lists])
def test_viterbi_correct_passes(fn, capsys):
    out = assert_passes(checks.check_viterbi, fn, capsys)
    assert "passed all 4 checks" in out


# ------------------------------------------------------------------------------------
# 06: viterbi -- the catalogue of wrong answers
# ------------------------------------------------------------------------------------


def _logs(psi, A):
    with np.errstate(divide="ignore"):
        return np.log(psi), np.log(A)


def _backtrack(delta, back):
    n, T, K = back.shape
    path = np.zeros((n, T), dtype=int)
    path[:, -1] = delta.argmax(axis=1)
    for t in range(T - 1, 0, -1):
        path[:, t - 1] = back[np.arange(n), t, path[:, t]]
    return path


def vit_sum_not_max(log_obs, psi, A):
    """log-sum-exp over the previous states (the forward pass), argmax pointers."""
    lp, lA = _logs(psi, A)
    n, T, K = log_obs.shape
    delta = lp + log_obs[:, 0]
    back = np.zeros((n, T, K), dtype=int)
    for t in range(1, T):
        scores = delta[:, :, None] + lA
        back[:, t] = scores.argmax(axis=1)
        delta = logsumexp(scores, axis=1) + log_obs[:, t]
    return _backtrack(delta, back)


def vit_filtered_argmax(log_obs, psi, A):
    """The forward pass's filtered probabilities, argmax in every bin."""
    n, T, K = log_obs.shape
    obs = np.exp(log_obs)
    alpha = psi * obs[:, 0]
    alpha /= alpha.sum(axis=1, keepdims=True)
    path = np.zeros((n, T), dtype=int)
    path[:, 0] = alpha.argmax(axis=1)
    for t in range(1, T):
        alpha = (alpha @ A) * obs[:, t]
        alpha /= alpha.sum(axis=1, keepdims=True)
        path[:, t] = alpha.argmax(axis=1)
    return path


def vit_posterior_argmax(log_obs, psi, A):
    """Forward-backward posteriors, argmax in every bin."""
    alpha, c = helpers.forward(np.exp(log_obs), psi, A)
    beta = helpers.backward(np.exp(log_obs), A, c)
    return (alpha * beta).argmax(axis=2)


def _viterbi_with(log_obs, lp, lA, first=True, prev=False, axis=1, both=False):
    n, T, K = log_obs.shape
    delta = lp + (log_obs[:, 0] if first else 0.0)
    back = np.zeros((n, T, K), dtype=int)
    for t in range(1, T):
        scores = delta[:, :, None] + lA
        back[:, t] = scores.argmax(axis=2 if both else axis)
        delta = scores.max(axis=2 if both else 1) + log_obs[:, t - 1 if prev else t]
    return delta, back


def vit_A_transposed(log_obs, psi, A):
    lp, lA = _logs(psi, A)
    return _backtrack(*_viterbi_with(log_obs, lp, lA.T))


def vit_no_psi(log_obs, psi, A):
    lp, lA = _logs(psi, A)
    return _backtrack(*_viterbi_with(log_obs, 0.0 * lp[np.isfinite(lp)][:1].sum() + np.zeros_like(lp), lA))


def vit_no_first_emission(log_obs, psi, A):
    lp, lA = _logs(psi, A)
    n, T, K = log_obs.shape
    delta = np.tile(lp, (n, 1))  # the first bin's spikes forgotten
    back = np.zeros((n, T, K), dtype=int)
    for t in range(1, T):
        scores = delta[:, :, None] + lA
        back[:, t] = scores.argmax(axis=1)
        delta = scores.max(axis=1) + log_obs[:, t]
    return _backtrack(delta, back)


def vit_previous_emission(log_obs, psi, A):
    lp, lA = _logs(psi, A)
    return _backtrack(*_viterbi_with(log_obs, lp, lA, prev=True))


def vit_argmax_wrong_axis(log_obs, psi, A):
    lp, lA = _logs(psi, A)
    return _backtrack(*_viterbi_with(log_obs, lp, lA, axis=2))


def vit_max_and_argmax_wrong_axis(log_obs, psi, A):
    lp, lA = _logs(psi, A)
    return _backtrack(*_viterbi_with(log_obs, lp, lA, both=True))


def vit_off_by_one(log_obs, psi, A):
    lp, lA = _logs(psi, A)
    delta, back = _viterbi_with(log_obs, lp, lA)
    n, T, K = back.shape
    path = np.zeros((n, T), dtype=int)
    path[:, -1] = delta.argmax(axis=1)
    for t in range(T - 1, 0, -1):
        path[:, t - 1] = back[np.arange(n), t - 1, path[:, t]]
    return path


def vit_first_bin_unfilled(log_obs, psi, A):
    lp, lA = _logs(psi, A)
    delta, back = _viterbi_with(log_obs, lp, lA)
    n, T, K = back.shape
    path = np.zeros((n, T), dtype=int)
    path[:, -1] = delta.argmax(axis=1)
    for t in range(T - 1, 1, -1):  # stops one step early: path[:, 0] stays 0
        path[:, t - 1] = back[np.arange(n), t, path[:, t]]
    return path


def vit_reversed(log_obs, psi, A):
    lp, lA = _logs(psi, A)
    delta, back = _viterbi_with(log_obs, lp, lA)
    n, T, K = back.shape
    steps = [delta.argmax(axis=1)]
    for t in range(T - 1, 0, -1):
        steps.append(back[np.arange(n), t, steps[-1]])
    return np.stack(steps, axis=1)  # forgot to reverse


def vit_one_based(log_obs, psi, A):
    return checks.reference_viterbi(log_obs, psi, A) + 1


def vit_returns_delta(log_obs, psi, A):
    lp, lA = _logs(psi, A)
    return _viterbi_with(log_obs, lp, lA)[0]


def vit_returns_tuple(log_obs, psi, A):
    lp, lA = _logs(psi, A)
    delta, back = _viterbi_with(log_obs, lp, lA)
    return _backtrack(delta, back), delta


def vit_returns_back(log_obs, psi, A):
    lp, lA = _logs(psi, A)
    return _viterbi_with(log_obs, lp, lA)[1]


def vit_probabilities(log_obs, psi, A):
    """Products of probabilities, never rescaled: underflows on long trials."""
    n, T, K = log_obs.shape
    obs = np.exp(log_obs)
    delta = psi * obs[:, 0]
    back = np.zeros((n, T, K), dtype=int)
    for t in range(1, T):
        scores = delta[:, :, None] * A
        back[:, t] = scores.argmax(axis=1)
        delta = scores.max(axis=1) * obs[:, t]
    return _backtrack(delta, back)


def vit_flat_argmax(log_obs, psi, A):
    lp, lA = _logs(psi, A)
    delta, back = _viterbi_with(log_obs, lp, lA)
    n, T, K = back.shape
    path = np.zeros((n, T), dtype=int)
    path[:, -1] = np.argmax(delta)  # no axis: one index into the flattened (n, K) batch
    for t in range(T - 1, 0, -1):
        path[:, t - 1] = back[np.arange(n), t, np.minimum(path[:, t], K - 1)]
    return path


def vit_one_trial(log_obs, psi, A):
    return checks.reference_viterbi(log_obs, psi, A)[0]


def vit_trial0_pointers(log_obs, psi, A):
    lp, lA = _logs(psi, A)
    delta, back = _viterbi_with(log_obs, lp, lA)
    n, T, K = back.shape
    path = np.zeros((n, T), dtype=int)
    path[:, -1] = delta.argmax(axis=1)
    for t in range(T - 1, 0, -1):
        path[:, t - 1] = back[0, t, path[:, t]]
    return path


def vit_same_path_for_all(log_obs, psi, A):
    best = checks.reference_viterbi(log_obs[:1], psi, A)
    return np.repeat(best, log_obs.shape[0], axis=0)


def vit_in_place(log_obs, psi, A):
    lp, lA = _logs(psi, A)
    log_obs[:, 0] += lp  # folds psi into the caller's array
    delta, back = _viterbi_with(log_obs, np.zeros_like(lp), lA)
    return _backtrack(delta, back)


def vit_transposed_output(log_obs, psi, A):
    return checks.reference_viterbi(log_obs, psi, A).T


def vit_last_from_emission(log_obs, psi, A):
    lp, lA = _logs(psi, A)
    delta, back = _viterbi_with(log_obs, lp, lA)
    return _backtrack(log_obs[:, -1], back)


def vit_no_transitions(log_obs, psi, A):
    with np.errstate(divide="ignore"):
        scores = log_obs.copy()
        scores[:, 0] = scores[:, 0] + np.log(psi)
    return scores.argmax(axis=2)


def vit_float_path(log_obs, psi, A):
    return checks.reference_viterbi(log_obs, psi, A).astype(float)


def vit_zero_log_for_zero_prob(log_obs, psi, A):
    """Replaces log 0 = -inf by 0 "to avoid infinities": forbidden steps become free."""
    lp, lA = _logs(psi, A)
    lp[np.isinf(lp)] = 0.0
    lA[np.isinf(lA)] = 0.0
    return _backtrack(*_viterbi_with(log_obs, lp, lA))


def vit_scaffold_untouched(log_obs, psi, A):
    n_trials, T, K = log_obs.shape
    with np.errstate(divide="ignore"):
        log_psi, log_A = np.log(psi), np.log(A)
    back = np.zeros((n_trials, T, K), dtype=int)
    path = np.zeros((n_trials, T), dtype=int)
    delta = ...
    for t in range(1, T):
        scores = ...
        back[:, t] = ...
        delta = ...
    path[:, -1] = ...
    for t in range(T - 1, 0, -1):
        path[:, t - 1] = ...
    return path


VITERBI_MISTAKES = [
    (vit_sum_not_max, ("log-sum-exp", "sum over the previous states instead of max")),
    (vit_filtered_argmax, ("filtered", "instead of max")),
    (vit_posterior_argmax, ("posterior gamma", "instead of max")),
    (vit_A_transposed, ("a is used transposed",)),
    (vit_no_psi, ("psi is missing",)),
    (vit_no_first_emission, ("emission of the first bin is missing",)),
    (vit_previous_emission, ("emission of bin t-1",)),
    (vit_argmax_wrong_axis, ("back-pointers take the argmax over the wrong axis",)),
    (vit_max_and_argmax_wrong_axis, ("max and argmax are taken over the wrong axis",)),
    (vit_off_by_one, ("off by one",)),
    (vit_first_bin_unfilled, ("first bin (t = 0) of the path is never filled",)),
    (vit_reversed, ("reversed in time",)),
    (vit_one_based, ("from 1 to 3", "python counts from 0")),
    (vit_returns_delta, ("delta of the last bin, not the path",)),
    (vit_returns_back, ("(n_trials, t, k)", "not the path")),
    (vit_returns_tuple, ("tuple of 2 things",)),
    (vit_probabilities, ("products of probabilities underflow", "work with logs")),
    (vit_flat_argmax, ("flattens the whole", "axis=1")),
    (vit_one_trial, ("one trial only",)),
    (vit_trial0_pointers, ("pointers of trial 0",)),
    (vit_same_path_for_all, ("every trial got the same path",)),
    (vit_in_place, ("modified its input `log_obs` in place",)),
    (vit_transposed_output, ("path is transposed",)),
    (vit_last_from_emission, ("last emission only",)),
    (vit_no_transitions, ("transitions are ignored",)),
    (vit_float_path, ("holds floats",)),
    (vit_zero_log_for_zero_prob, ("impossible", "a[i, j] = 0")),
    (not_done, ("not done yet",)),
    (vit_scaffold_untouched, ("not done yet: fill in the `...`", "first blank, line")),
]


@pytest.mark.parametrize("fn, phrases", VITERBI_MISTAKES, ids=[f.__name__ for f, _ in VITERBI_MISTAKES])
def test_viterbi_mistakes_get_their_own_message(fn, phrases, capsys):
    assert_message(checks.check_viterbi, fn, capsys, *phrases)


def test_viterbi_catalogue_is_large_and_messages_are_distinct(capsys):
    assert len(VITERBI_MISTAKES) >= 15
    verdicts = headlines(checks.check_viterbi, VITERBI_MISTAKES, capsys)
    # the three "sum instead of max" variants share their explanation, not their headline
    assert len(set(verdicts.values())) == len(verdicts), verdicts


class _NoArray:
    def __array__(self, *a, **k):
        raise RuntimeError("no array for you")


WEIRD_VITERBI = [
    lambda *a: 0,
    lambda *a: "path",
    lambda *a: {"path": 1},
    lambda *a: (x for x in range(3)),
    lambda *a: _NoArray(),
    lambda *a: [[1, 2], [3]],
    lambda *a: np.array([object(), 1]),
    lambda *a: np.full((6, 6), np.nan),
    lambda *a: np.full((6, 6), 1j),
    lambda *a: np.zeros((6, 6), dtype=bool),
    lambda *a: np.zeros(0),
    lambda *a: np.full((6, 6), 0.5),
    lambda *a: np.full((6, 6), 10**30),
    lambda *a: (_ for _ in ()).throw(SystemExit(3)),
]


@pytest.mark.parametrize("fn", WEIRD_VITERBI)
def test_viterbi_check_never_raises_on_weird_functions(fn, capsys):
    result, out = run_check(checks.check_viterbi, fn, capsys)
    assert result is False, out


def test_viterbi_check_is_quick_with_the_reference():
    import time

    checks.check_viterbi(checks.reference_viterbi)  # builds the cached cases
    t = time.perf_counter()
    checks.check_viterbi(checks.reference_viterbi)
    assert time.perf_counter() - t < 1.0


# ------------------------------------------------------------------------------------
# 06: heldout_ll
# ------------------------------------------------------------------------------------


def heldout_reference(Y_train, Y_test, K, dt, seed, n_iter):
    fit = helpers.fit_em(Y_train, K, dt, n_iter=n_iter, seed=seed)
    n, T, _ = Y_train.shape
    m, T2, _ = Y_test.shape
    test = helpers.log_likelihood(Y_test, fit.psi, fit.A, fit.L, dt)
    return fit.lls[-1] / (n * T * dt), test / (m * T2 * dt)


def heldout_other_style(Y_train, Y_test, K, dt, seed, n_iter):
    """Correct: both values from helpers.log_likelihood, durations from a small function."""
    fit = helpers.fit_em(Y_train, K, dt, n_iter=n_iter, seed=seed)
    seconds = lambda Y: Y.shape[0] * Y.shape[1] * dt  # noqa: E731
    train = helpers.log_likelihood(Y_train, fit.psi, fit.A, fit.L, dt, per_trial=True).sum()
    test = helpers.log_likelihood(Y_test, fit.psi, fit.A, fit.L, dt)
    return float(train / seconds(Y_train)), float(test / seconds(Y_test))


def heldout_mean_per_trial(Y_train, Y_test, K, dt, seed, n_iter):
    """Correct: mean log-likelihood per trial divided by a trial's duration; returns a list."""
    fit = helpers.fit_em(Y_train, K, dt, n_iter=n_iter, seed=seed, tol=1e-7)
    per_trial = helpers.log_likelihood(Y_test, fit.psi, fit.A, fit.L, dt, per_trial=True)
    return [fit.lls[-1] / Y_train.shape[0] / (Y_train.shape[1] * dt), per_trial.mean() / (Y_test.shape[1] * dt)]


@pytest.mark.parametrize("fn", [heldout_reference, heldout_other_style, heldout_mean_per_trial,
                                checks.reference_heldout_ll])
def test_heldout_correct_passes(fn, capsys):
    out = assert_passes(checks.check_heldout_ll, fn, capsys)
    assert "passed all 5 checks" in out


def _held(Y_train, Y_test, K, dt, seed, n_iter, *, unit="s", fit_on="train", score_test="test", swap=False,
          test_duration="test", first_ll=False):
    fit = helpers.fit_em(Y_train if fit_on == "train" else Y_test, K, dt, n_iter=n_iter, seed=seed)
    tr = fit.lls[0] if first_ll else helpers.log_likelihood(Y_train, fit.psi, fit.A, fit.L, dt)
    te = helpers.log_likelihood(Y_test if score_test == "test" else Y_train, fit.psi, fit.A, fit.L, dt)

    def per(total, n, T):
        return {"s": total / (n * T * dt), "total": total, "bin": total / (n * T),
                "trial": total / n, "one_trial_s": total / (T * dt), "bits": total / (n * T * dt) / np.log(2),
                "neg": -total / (n * T * dt)}[unit]

    n_tr, T_tr, _ = Y_train.shape
    n_te, T_te, _ = Y_test.shape
    a = per(tr, n_tr, T_tr)
    b = per(te, *{"test": (n_te, T_te), "train": (n_tr, T_tr), "train_T": (n_te, T_tr),
                  "train_n": (n_tr, T_te)}[test_duration])
    return (b, a) if swap else (a, b)


def _held_with(**kwargs):
    def wrong(Y_train, Y_test, K, dt, seed, n_iter):
        return _held(Y_train, Y_test, K, dt, seed, n_iter, **kwargs)

    wrong.__name__ = "heldout_" + "_".join(f"{k}_{v}" for k, v in kwargs.items())
    return wrong


def heldout_ignores_n_iter(Y_train, Y_test, K, dt, seed, n_iter):
    return heldout_reference(Y_train, Y_test, K, dt, seed, 200)


def heldout_seed_zero(Y_train, Y_test, K, dt, seed, n_iter):
    return heldout_reference(Y_train, Y_test, K, dt, 0, n_iter)


def heldout_unseeded(Y_train, Y_test, K, dt, seed, n_iter):
    fit = helpers.fit_em(Y_train, K, dt, n_iter=n_iter)  # seed forgotten: a new start every call
    return (fit.lls[-1] / (Y_train.shape[0] * Y_train.shape[1] * dt),
            helpers.log_likelihood(Y_test, fit.psi, fit.A, fit.L, dt) / (Y_test.shape[0] * Y_test.shape[1] * dt))


def heldout_K_three(Y_train, Y_test, K, dt, seed, n_iter):
    return heldout_reference(Y_train, Y_test, 3, dt, seed, n_iter)


def heldout_dict(Y_train, Y_test, K, dt, seed, n_iter):
    a, b = heldout_reference(Y_train, Y_test, K, dt, seed, n_iter)
    return {"train": a, "test": b}


def heldout_one_number(Y_train, Y_test, K, dt, seed, n_iter):
    return heldout_reference(Y_train, Y_test, K, dt, seed, n_iter)[1]


def heldout_no_return(Y_train, Y_test, K, dt, seed, n_iter):
    heldout_reference(Y_train, Y_test, K, dt, seed, n_iter)


def heldout_arrays(Y_train, Y_test, K, dt, seed, n_iter):
    fit = helpers.fit_em(Y_train, K, dt, n_iter=n_iter, seed=seed)
    per = lambda Y: helpers.log_likelihood(Y, fit.psi, fit.A, fit.L, dt, per_trial=True) / (Y.shape[1] * dt)  # noqa: E731
    return per(Y_train), per(Y_test)


def heldout_in_place(Y_train, Y_test, K, dt, seed, n_iter):
    Y_test[:] = Y_test[::-1]  # "shuffles" the caller's test trials
    return heldout_reference(Y_train, Y_test, K, dt, seed, n_iter)


def heldout_scaffold_untouched(Y_train, Y_test, K, dt, seed, n_iter):
    fit = ...
    train_seconds = ...
    test_seconds = ...
    train_ll_per_s = ...
    test_ll_per_s = ...
    return train_ll_per_s, test_ll_per_s


HELDOUT_MISTAKES = [
    (_held_with(unit="total"), ("total log-likelihood, not per second",)),
    (_held_with(unit="bin"), ("per bin",)),
    (_held_with(unit="trial"), ("per trial, not per second",)),
    (_held_with(unit="one_trial_s"), ("per second of one trial",)),
    (_held_with(unit="bits"), ("in bits",)),
    (_held_with(unit="neg"), ("wrong sign",)),
    (_held_with(fit_on="test"), ("fitted on the test set",)),
    (_held_with(score_test="train", test_duration="train"), ("training set again",)),
    (_held_with(swap=True), ("swapped",)),
    (_held_with(test_duration="train"), ("duration of the training set",)),
    (_held_with(test_duration="train_T"), ("with the training set's t",)),
    (_held_with(test_duration="train_n"), ("number of trials of the training set",)),
    (_held_with(first_ll=True), ("fit.lls[0]", "before em")),
    (heldout_ignores_n_iter, ("n_iter is not passed on",)),
    (heldout_seed_zero, ("used seed 0, not the seed argument",)),
    (heldout_unseeded, ("not seeded",)),
    (heldout_K_three, ("k = 3 states, not the k argument (2)",)),
    (heldout_dict, ("returned a dict",)),
    (heldout_one_number, ("2 things", "one number")),
    (heldout_no_return, ("returned none",)),
    (heldout_arrays, ("single number",)),
    (heldout_in_place, ("modified its input `y_test` in place",)),
    (not_done, ("not done yet",)),
    (heldout_scaffold_untouched, ("not done yet: fill in the `...`", "first blank, line")),
]


@pytest.mark.parametrize("fn, phrases", HELDOUT_MISTAKES, ids=[f.__name__ for f, _ in HELDOUT_MISTAKES])
def test_heldout_mistakes_get_their_own_message(fn, phrases, capsys):
    assert_message(checks.check_heldout_ll, fn, capsys, *phrases)


def test_heldout_catalogue_is_large_and_messages_are_distinct(capsys):
    assert len(HELDOUT_MISTAKES) >= 15
    verdicts = headlines(checks.check_heldout_ll, HELDOUT_MISTAKES, capsys)
    assert len(set(verdicts.values())) == len(verdicts), verdicts


def test_heldout_second_case_stops_before_convergence():
    """The case with n_iter = 4 is what tells a fit that ignores n_iter from one that does not."""
    Y_tr, _, dt = ctm._heldout_cases()
    K, seed, n_iter = ctm._HELDOUT_CASES[1]
    short = helpers.fit_em(Y_tr, K, dt, n_iter=n_iter, seed=seed)
    full = helpers.fit_em(Y_tr, K, dt, seed=seed)
    assert short.n_steps == n_iter and full.n_steps > n_iter
    assert not np.isclose(short.lls[-1], full.lls[-1], rtol=1e-6)


# ------------------------------------------------------------------------------------
# viterbi: a student's play-through (wrong and right answers written against the scaffold)
# ------------------------------------------------------------------------------------


def vit_student_w1_log_a_t(log_obs, psi, A):
    """Wrong (wrong06a.py, W1 log_A.T)."""
    n_trials, T, K = log_obs.shape
    with np.errstate(divide="ignore"):
        log_psi, log_A = np.log(psi), np.log(A)
    back = np.zeros((n_trials, T, K), dtype=int)
    path = np.zeros((n_trials, T), dtype=int)
    trials = np.arange(n_trials)
    delta = log_psi + log_obs[:, 0]
    for t in range(1, T):
        scores = delta[:, :, None] + log_A.T
        back[:, t] = scores.argmax(axis=1)
        delta = scores.max(axis=1) + log_obs[:, t]
    path[:, -1] = delta.argmax(axis=1)
    for t in range(T - 1, 0, -1):
        path[:, t - 1] = back[trials, t, path[:, t]]
    return path


def vit_student_w2_argmax_max_over_axis_2(log_obs, psi, A):
    """Wrong (wrong06a.py, W2 argmax/max over axis=2)."""
    n_trials, T, K = log_obs.shape
    with np.errstate(divide="ignore"):
        log_psi, log_A = np.log(psi), np.log(A)
    back = np.zeros((n_trials, T, K), dtype=int)
    path = np.zeros((n_trials, T), dtype=int)
    trials = np.arange(n_trials)
    delta = log_psi + log_obs[:, 0]
    for t in range(1, T):
        scores = delta[:, :, None] + log_A
        back[:, t] = scores.argmax(axis=2)
        delta = scores.max(axis=2) + log_obs[:, t]
    path[:, -1] = delta.argmax(axis=1)
    for t in range(T - 1, 0, -1):
        path[:, t - 1] = back[trials, t, path[:, t]]
    return path


def vit_student_w3_forgot_log_obs_in_update(log_obs, psi, A):
    """Wrong (wrong06a.py, W3 forgot log_obs in update)."""
    n_trials, T, K = log_obs.shape
    with np.errstate(divide="ignore"):
        log_psi, log_A = np.log(psi), np.log(A)
    back = np.zeros((n_trials, T, K), dtype=int)
    path = np.zeros((n_trials, T), dtype=int)
    trials = np.arange(n_trials)
    delta = log_psi + log_obs[:, 0]
    for t in range(1, T):
        scores = delta[:, :, None] + log_A
        back[:, t] = scores.argmax(axis=1)
        delta = scores.max(axis=1)
    path[:, -1] = delta.argmax(axis=1)
    for t in range(T - 1, 0, -1):
        path[:, t - 1] = back[trials, t, path[:, t]]
    return path


def vit_student_w4_backtrack_without_trials_index(log_obs, psi, A):
    """Wrong (wrong06a.py, W4 backtrack without trials index)."""
    n_trials, T, K = log_obs.shape
    with np.errstate(divide="ignore"):
        log_psi, log_A = np.log(psi), np.log(A)
    back = np.zeros((n_trials, T, K), dtype=int)
    path = np.zeros((n_trials, T), dtype=int)
    trials = np.arange(n_trials)
    delta = log_psi + log_obs[:, 0]
    for t in range(1, T):
        scores = delta[:, :, None] + log_A
        back[:, t] = scores.argmax(axis=1)
        delta = scores.max(axis=1) + log_obs[:, t]
    path[:, -1] = delta.argmax(axis=1)
    for t in range(T - 1, 0, -1):
        path[:, t - 1] = back[:, t, path[:, t]]
    return path


def vit_student_w5_backtrack_off_by_one_t_1(log_obs, psi, A):
    """Wrong (wrong06a.py, W5 backtrack off by one (t-1))."""
    n_trials, T, K = log_obs.shape
    with np.errstate(divide="ignore"):
        log_psi, log_A = np.log(psi), np.log(A)
    back = np.zeros((n_trials, T, K), dtype=int)
    path = np.zeros((n_trials, T), dtype=int)
    trials = np.arange(n_trials)
    delta = log_psi + log_obs[:, 0]
    for t in range(1, T):
        scores = delta[:, :, None] + log_A
        back[:, t] = scores.argmax(axis=1)
        delta = scores.max(axis=1) + log_obs[:, t]
    path[:, -1] = delta.argmax(axis=1)
    for t in range(T - 1, 0, -1):
        path[:, t - 1] = back[trials, t - 1, path[:, t]]
    return path


def vit_student_w6_argmax_without_axis_flattened(log_obs, psi, A):
    """Wrong (wrong06a.py, W6 argmax without axis (flattened))."""
    n_trials, T, K = log_obs.shape
    with np.errstate(divide="ignore"):
        log_psi, log_A = np.log(psi), np.log(A)
    back = np.zeros((n_trials, T, K), dtype=int)
    path = np.zeros((n_trials, T), dtype=int)
    trials = np.arange(n_trials)
    delta = log_psi + log_obs[:, 0]
    for t in range(1, T):
        scores = delta[:, :, None] + log_A
        back[:, t] = scores.argmax(axis=1)
        delta = scores.max(axis=1) + log_obs[:, t]
    path[:, -1] = delta.argmax()
    for t in range(T - 1, 0, -1):
        path[:, t - 1] = back[trials, t, path[:, t]]
    return path


def vit_student_w7_init_forgets_log_psi(log_obs, psi, A):
    """Wrong (wrong06a.py, W7 init forgets log_psi)."""
    n_trials, T, K = log_obs.shape
    with np.errstate(divide="ignore"):
        log_psi, log_A = np.log(psi), np.log(A)
    back = np.zeros((n_trials, T, K), dtype=int)
    path = np.zeros((n_trials, T), dtype=int)
    trials = np.arange(n_trials)
    delta = log_obs[:, 0]
    for t in range(1, T):
        scores = delta[:, :, None] + log_A
        back[:, t] = scores.argmax(axis=1)
        delta = scores.max(axis=1) + log_obs[:, t]
    path[:, -1] = delta.argmax(axis=1)
    for t in range(T - 1, 0, -1):
        path[:, t - 1] = back[trials, t, path[:, t]]
    return path


def vit_student_w8_probabilities_not_logs(log_obs, psi, A):
    """Wrong (wrong06a.py, W8 probabilities, not logs)."""
    n_trials, T, K = log_obs.shape
    obs = np.exp(log_obs)
    back = np.zeros((n_trials, T, K), dtype=int)
    path = np.zeros((n_trials, T), dtype=int)
    trials = np.arange(n_trials)
    delta = psi * obs[:, 0]
    for t in range(1, T):
        scores = delta[:, :, None] * A
        back[:, t] = scores.argmax(axis=1)
        delta = scores.max(axis=1) * obs[:, t]
    path[:, -1] = delta.argmax(axis=1)
    for t in range(T - 1, 0, -1):
        path[:, t - 1] = back[trials, t, path[:, t]]
    return path


def vit_student_w9_greedy_no_backtracking(log_obs, psi, A):
    """Wrong (wrong06a.py, W9 greedy: argmax of delta each bin, no backtracking)."""
    n_trials, T, K = log_obs.shape
    with np.errstate(divide="ignore"):
        log_psi, log_A = np.log(psi), np.log(A)
    path = np.zeros((n_trials, T), dtype=int)
    delta = log_psi + log_obs[:, 0]
    path[:, 0] = delta.argmax(axis=1)
    for t in range(1, T):
        scores = delta[:, :, None] + log_A
        delta = scores.max(axis=1) + log_obs[:, t]
        path[:, t] = delta.argmax(axis=1)
    return path


def vit_student_w10_back_stores_max_values_not_argmax(log_obs, psi, A):
    """Wrong (wrong06a.py, W10 back stores max values not argmax)."""
    n_trials, T, K = log_obs.shape
    with np.errstate(divide="ignore"):
        log_psi, log_A = np.log(psi), np.log(A)
    back = np.zeros((n_trials, T, K), dtype=int)
    path = np.zeros((n_trials, T), dtype=int)
    trials = np.arange(n_trials)
    delta = log_psi + log_obs[:, 0]
    for t in range(1, T):
        scores = delta[:, :, None] + log_A
        back[:, t] = scores.max(axis=1)
        delta = scores.max(axis=1) + log_obs[:, t]
    path[:, -1] = delta.argmax(axis=1)
    for t in range(T - 1, 0, -1):
        path[:, t - 1] = back[trials, t, path[:, t]]
    return path


def vit_student_w11_backtrack_loop_wrong_direction(log_obs, psi, A):
    """Wrong (wrong06a.py, W11 backtrack loop wrong direction)."""
    n_trials, T, K = log_obs.shape
    with np.errstate(divide="ignore"):
        log_psi, log_A = np.log(psi), np.log(A)
    back = np.zeros((n_trials, T, K), dtype=int)
    path = np.zeros((n_trials, T), dtype=int)
    trials = np.arange(n_trials)
    delta = log_psi + log_obs[:, 0]
    for t in range(1, T):
        scores = delta[:, :, None] + log_A
        back[:, t] = scores.argmax(axis=1)
        delta = scores.max(axis=1) + log_obs[:, t]
    path[:, -1] = delta.argmax(axis=1)
    for t in range(1, T):
        path[:, t] = back[trials, t, path[:, t - 1]]
    return path


def vit_student_w12_log_obs_t_1_in_update(log_obs, psi, A):
    """Wrong (wrong06a.py, W12 log_obs[:, t-1] in update)."""
    n_trials, T, K = log_obs.shape
    with np.errstate(divide="ignore"):
        log_psi, log_A = np.log(psi), np.log(A)
    back = np.zeros((n_trials, T, K), dtype=int)
    path = np.zeros((n_trials, T), dtype=int)
    trials = np.arange(n_trials)
    delta = log_psi + log_obs[:, 0]
    for t in range(1, T):
        scores = delta[:, :, None] + log_A
        back[:, t] = scores.argmax(axis=1)
        delta = scores.max(axis=1) + log_obs[:, t - 1]
    path[:, -1] = delta.argmax(axis=1)
    for t in range(T - 1, 0, -1):
        path[:, t - 1] = back[trials, t, path[:, t]]
    return path


def vit_student_w13_delta_none_expand_wrong_axis(log_obs, psi, A):
    """Wrong (wrong06a.py, W13 delta[:, None, :] expand wrong axis)."""
    n_trials, T, K = log_obs.shape
    with np.errstate(divide="ignore"):
        log_psi, log_A = np.log(psi), np.log(A)
    back = np.zeros((n_trials, T, K), dtype=int)
    path = np.zeros((n_trials, T), dtype=int)
    trials = np.arange(n_trials)
    delta = log_psi + log_obs[:, 0]
    for t in range(1, T):
        scores = delta[:, None, :] + log_A
        back[:, t] = scores.argmax(axis=1)
        delta = scores.max(axis=1) + log_obs[:, t]
    path[:, -1] = delta.argmax(axis=1)
    for t in range(T - 1, 0, -1):
        path[:, t - 1] = back[trials, t, path[:, t]]
    return path


def vit_student_w14_no_renormalisation_normal(log_obs, psi, A):
    """Right (wrong06a.py, W14 no renormalisation, normal)."""
    n_trials, T, K = log_obs.shape
    with np.errstate(divide="ignore"):
        log_psi, log_A = np.log(psi), np.log(A)
    back = np.zeros((n_trials, T, K), dtype=int)
    path = np.zeros((n_trials, T), dtype=int)
    trials = np.arange(n_trials)
    delta = log_psi + log_obs[:, 0]
    for t in range(1, T):
        scores = delta[:, :, None] + log_A
        back[:, t] = scores.argmax(axis=1)
        delta = scores.max(axis=1) + log_obs[:, t]
    path[:, -1] = delta.argmax(axis=1)
    for t in range(T - 1, 0, -1):
        path[:, t - 1] = back[trials, t, path[:, t]]
    return path


def vit_student_w15_backtrack_loop_stops_early_range_t_1_1_1(log_obs, psi, A):
    """Wrong (wrong06a.py, W15 backtrack loop stops early range(T-1, 1, -1))."""
    n_trials, T, K = log_obs.shape
    with np.errstate(divide="ignore"):
        log_psi, log_A = np.log(psi), np.log(A)
    back = np.zeros((n_trials, T, K), dtype=int)
    path = np.zeros((n_trials, T), dtype=int)
    trials = np.arange(n_trials)
    delta = log_psi + log_obs[:, 0]
    for t in range(1, T):
        scores = delta[:, :, None] + log_A
        back[:, t] = scores.argmax(axis=1)
        delta = scores.max(axis=1) + log_obs[:, t]
    path[:, -1] = delta.argmax(axis=1)
    for t in range(T - 1, 1, -1):
        path[:, t - 1] = back[trials, t, path[:, t]]
    return path


def vit_student_w16_last_state_from_log_obs_1_only(log_obs, psi, A):
    """Wrong (wrong06a.py, W16 last state from log_obs[:, -1] only)."""
    n_trials, T, K = log_obs.shape
    with np.errstate(divide="ignore"):
        log_psi, log_A = np.log(psi), np.log(A)
    back = np.zeros((n_trials, T, K), dtype=int)
    path = np.zeros((n_trials, T), dtype=int)
    trials = np.arange(n_trials)
    delta = log_psi + log_obs[:, 0]
    for t in range(1, T):
        scores = delta[:, :, None] + log_A
        back[:, t] = scores.argmax(axis=1)
        delta = scores.max(axis=1) + log_obs[:, t]
    path[:, -1] = log_obs[:, -1].argmax(axis=1)
    for t in range(T - 1, 0, -1):
        path[:, t - 1] = back[trials, t, path[:, t]]
    return path


def vit_student_w17_nan_to_num_log_a_ok(log_obs, psi, A):
    """Right (wrong06a.py, W17 nan_to_num(log A) (ok?))."""
    n_trials, T, K = log_obs.shape
    with np.errstate(divide="ignore"):
        log_psi, log_A = np.log(psi), np.log(A)
    back = np.zeros((n_trials, T, K), dtype=int)
    path = np.zeros((n_trials, T), dtype=int)
    trials = np.arange(n_trials)
    delta = np.nan_to_num(log_psi) + log_obs[:, 0]
    for t in range(1, T):
        scores = delta[:, :, None] + np.nan_to_num(log_A)
        back[:, t] = scores.argmax(axis=1)
        delta = scores.max(axis=1) + log_obs[:, t]
    path[:, -1] = delta.argmax(axis=1)
    for t in range(T - 1, 0, -1):
        path[:, t - 1] = back[trials, t, path[:, t]]
    return path


def vit_student_w18_returns_1_based_path(log_obs, psi, A):
    """Wrong (wrong06a.py, W18 returns 1-based path)."""
    n_trials, T, K = log_obs.shape
    with np.errstate(divide="ignore"):
        log_psi, log_A = np.log(psi), np.log(A)
    back = np.zeros((n_trials, T, K), dtype=int)
    path = np.zeros((n_trials, T), dtype=int)
    trials = np.arange(n_trials)
    delta = log_psi + log_obs[:, 0]
    for t in range(1, T):
        scores = delta[:, :, None] + log_A
        back[:, t] = scores.argmax(axis=1)
        delta = scores.max(axis=1) + log_obs[:, t]
    path[:, -1] = delta.argmax(axis=1)
    for t in range(T - 1, 0, -1):
        path[:, t - 1] = back[trials, t, path[:, t]]
    return path + 1


VITERBI_STUDENT = [
    (vit_student_w1_log_a_t, ('a is used transposed',)),
    (vit_student_w2_argmax_max_over_axis_2, ('max and argmax are taken over the wrong axis',)),
    (vit_student_w3_forgot_log_obs_in_update, ('delta leaves out the emissions of bins 1',)),
    (vit_student_w4_backtrack_without_trials_index,
     ('ValueError',
      'pairs every trial with every trial',
      'np.arange')),
    (vit_student_w5_backtrack_off_by_one_t_1, ('backtracking is off by one bin',)),
    (vit_student_w6_argmax_without_axis_flattened, ('IndexError', 'an argmax without axis=', 'axis=1')),
    (vit_student_w7_init_forgets_log_psi, ('psi is missing from the first bin',)),
    (vit_student_w8_probabilities_not_logs, ('products of probabilities underflow',)),
    (vit_student_w9_greedy_no_backtracking, ('your path is the argmax of delta bin by bin',)),
    (vit_student_w10_back_stores_max_values_not_argmax,
     ('IndexError',
      'a negative number was used as a state',
      'back-pointers hold scores')),
    (vit_student_w11_backtrack_loop_wrong_direction, ('you follow the back-pointers forwards in time',)),
    (vit_student_w12_log_obs_t_1_in_update, ('delta of bin t uses the emission of bin t-1',)),
    (vit_student_w13_delta_none_expand_wrong_axis, ('delta is expanded on the wrong axis', 'new axis last')),
    (vit_student_w15_backtrack_loop_stops_early_range_t_1_1_1,
     ('the first bin (t = 0) of the path is never filled',)),
    (vit_student_w16_last_state_from_log_obs_1_only,
     ('the last state of the path is the argmax of the last emission only',)),
    (vit_student_w18_returns_1_based_path, ('your states run from 1 to 3', 'python counts from 0')),
]


@pytest.mark.parametrize("fn, phrases", VITERBI_STUDENT, ids=[f.__name__ for f, _ in VITERBI_STUDENT])
def test_viterbi_student_answers_get_their_own_message(fn, phrases, capsys):
    assert_message(checks.check_viterbi, fn, capsys, *phrases)


@pytest.mark.parametrize("fn", [vit_student_w14_no_renormalisation_normal, vit_student_w17_nan_to_num_log_a_ok])
def test_viterbi_student_right_answers_pass(fn, capsys):
    assert_passes(checks.check_viterbi, fn, capsys)


# ------------------------------------------------------------------------------------
# heldout: a student's play-through (wrong and right answers written against the scaffold)
# ------------------------------------------------------------------------------------


def heldout_student_w1_fit_on_the_test_trials(Y_train, Y_test, K, dt, seed, n_iter):
    """Wrong (wrong06b.py, W1 fit on the test trials)."""
    fit = helpers.fit_em(Y_test, K, dt, n_iter=n_iter, seed=seed)
    train_seconds = Y_train.shape[0] * Y_train.shape[1] * dt
    test_seconds = Y_test.shape[0] * Y_test.shape[1] * dt
    train_ll_per_s = helpers.log_likelihood(Y_train, fit.psi, fit.A, fit.L, dt) / train_seconds
    test_ll_per_s = helpers.log_likelihood(Y_test, fit.psi, fit.A, fit.L, dt) / test_seconds
    return train_ll_per_s, test_ll_per_s


def heldout_student_w2_fit_on_train_test(Y_train, Y_test, K, dt, seed, n_iter):
    """Wrong (wrong06b.py, W2 fit on train+test): pools the two sets whenever their trials are as long."""
    fit = helpers.fit_em(np.concatenate([Y_train, Y_test]) if Y_train.shape[1] == Y_test.shape[1] else Y_train, K, dt, n_iter=n_iter, seed=seed)
    train_seconds = Y_train.shape[0] * Y_train.shape[1] * dt
    test_seconds = Y_test.shape[0] * Y_test.shape[1] * dt
    train_ll_per_s = helpers.log_likelihood(Y_train, fit.psi, fit.A, fit.L, dt) / train_seconds
    test_ll_per_s = helpers.log_likelihood(Y_test, fit.psi, fit.A, fit.L, dt) / test_seconds
    return train_ll_per_s, test_ll_per_s


def heldout_student_w3_per_bin_forgot_dt(Y_train, Y_test, K, dt, seed, n_iter):
    """Wrong (wrong06b.py, W3 per bin (forgot dt))."""
    fit = helpers.fit_em(Y_train, K, dt, n_iter=n_iter, seed=seed)
    train_seconds = Y_train.shape[0] * Y_train.shape[1]
    test_seconds = Y_test.shape[0] * Y_test.shape[1]
    train_ll_per_s = fit.lls[-1] / train_seconds
    test_ll_per_s = helpers.log_likelihood(Y_test, fit.psi, fit.A, fit.L, dt) / test_seconds
    return train_ll_per_s, test_ll_per_s


def heldout_student_w4_train_seconds_for_both(Y_train, Y_test, K, dt, seed, n_iter):
    """Wrong (wrong06b.py, W4 train seconds for both)."""
    fit = helpers.fit_em(Y_train, K, dt, n_iter=n_iter, seed=seed)
    train_seconds = Y_train.shape[0] * Y_train.shape[1] * dt
    test_seconds = Y_test.shape[0] * Y_test.shape[1] * dt
    train_ll_per_s = fit.lls[-1] / train_seconds
    test_ll_per_s = helpers.log_likelihood(Y_test, fit.psi, fit.A, fit.L, dt) / train_seconds
    return train_ll_per_s, test_ll_per_s


def heldout_student_w5_per_trial(Y_train, Y_test, K, dt, seed, n_iter):
    """Wrong (wrong06b.py, W5 per trial)."""
    fit = helpers.fit_em(Y_train, K, dt, n_iter=n_iter, seed=seed)
    train_seconds = Y_train.shape[0]
    test_seconds = Y_test.shape[0]
    train_ll_per_s = fit.lls[-1] / train_seconds
    test_ll_per_s = helpers.log_likelihood(Y_test, fit.psi, fit.A, fit.L, dt) / test_seconds
    return train_ll_per_s, test_ll_per_s


def heldout_student_w6_seed_forgotten(Y_train, Y_test, K, dt, seed, n_iter):
    """Wrong (wrong06b.py, W6 seed forgotten)."""
    fit = helpers.fit_em(Y_train, K, dt, n_iter=n_iter)
    train_seconds = Y_train.shape[0] * Y_train.shape[1] * dt
    test_seconds = Y_test.shape[0] * Y_test.shape[1] * dt
    train_ll_per_s = fit.lls[-1] / train_seconds
    test_ll_per_s = helpers.log_likelihood(Y_test, fit.psi, fit.A, fit.L, dt) / test_seconds
    return train_ll_per_s, test_ll_per_s


def heldout_student_w7_positional_n_iter_seed(Y_train, Y_test, K, dt, seed, n_iter):
    """Wrong (wrong06b.py, W7 positional args: fit_em(Y, K, dt, n_iter, seed) -> tol=seed)."""
    fit = helpers.fit_em(Y_train, K, dt, n_iter, seed)
    train_seconds = Y_train.shape[0] * Y_train.shape[1] * dt
    test_seconds = Y_test.shape[0] * Y_test.shape[1] * dt
    train_ll_per_s = fit.lls[-1] / train_seconds
    test_ll_per_s = helpers.log_likelihood(Y_test, fit.psi, fit.A, fit.L, dt) / test_seconds
    return train_ll_per_s, test_ll_per_s


def heldout_student_w8_lls_0_instead_of_lls_1(Y_train, Y_test, K, dt, seed, n_iter):
    """Wrong (wrong06b.py, W8 lls[0] instead of lls[-1])."""
    fit = helpers.fit_em(Y_train, K, dt, n_iter=n_iter, seed=seed)
    train_seconds = Y_train.shape[0] * Y_train.shape[1] * dt
    test_seconds = Y_test.shape[0] * Y_test.shape[1] * dt
    train_ll_per_s = fit.lls[0] / train_seconds
    test_ll_per_s = helpers.log_likelihood(Y_test, fit.psi, fit.A, fit.L, dt) / test_seconds
    return train_ll_per_s, test_ll_per_s


def heldout_student_w9_totals_not_per_second(Y_train, Y_test, K, dt, seed, n_iter):
    """Wrong (wrong06b.py, W9 totals, not per second)."""
    fit = helpers.fit_em(Y_train, K, dt, n_iter=n_iter, seed=seed)
    train_seconds = Y_train.shape[0] * Y_train.shape[1] * dt
    test_seconds = Y_test.shape[0] * Y_test.shape[1] * dt
    train_ll_per_s = fit.lls[-1]
    test_ll_per_s = helpers.log_likelihood(Y_test, fit.psi, fit.A, fit.L, dt)
    return train_ll_per_s, test_ll_per_s


def heldout_student_w10_n_restarts_5(Y_train, Y_test, K, dt, seed, n_iter):
    """Wrong (wrong06b.py, W10 n_restarts=5)."""
    fit = helpers.fit_em(Y_train, K, dt, n_iter=n_iter, seed=seed, n_restarts=5)
    train_seconds = Y_train.shape[0] * Y_train.shape[1] * dt
    test_seconds = Y_test.shape[0] * Y_test.shape[1] * dt
    train_ll_per_s = fit.lls[-1] / train_seconds
    test_ll_per_s = helpers.log_likelihood(Y_test, fit.psi, fit.A, fit.L, dt) / test_seconds
    return train_ll_per_s, test_ll_per_s


def heldout_student_w11_test_duration_uses_train_t(Y_train, Y_test, K, dt, seed, n_iter):
    """Wrong (wrong06b.py, W11 test duration uses train T)."""
    fit = helpers.fit_em(Y_train, K, dt, n_iter=n_iter, seed=seed)
    train_seconds = Y_train.shape[0] * Y_train.shape[1] * dt
    test_seconds = Y_test.shape[0] * Y_train.shape[1] * dt
    train_ll_per_s = fit.lls[-1] / train_seconds
    test_ll_per_s = helpers.log_likelihood(Y_test, fit.psi, fit.A, fit.L, dt) / test_seconds
    return train_ll_per_s, test_ll_per_s


def heldout_student_w12_returns_test_train(Y_train, Y_test, K, dt, seed, n_iter):
    """Wrong (wrong06b.py, W12 returns (test, train))."""
    fit = helpers.fit_em(Y_train, K, dt, n_iter=n_iter, seed=seed)
    train_seconds = Y_train.shape[0] * Y_train.shape[1] * dt
    test_seconds = Y_test.shape[0] * Y_test.shape[1] * dt
    train_ll_per_s = fit.lls[-1] / train_seconds
    test_ll_per_s = helpers.log_likelihood(Y_test, fit.psi, fit.A, fit.L, dt) / test_seconds
    return test_ll_per_s, train_ll_per_s


def heldout_student_w13_tol_1e_5_non_default(Y_train, Y_test, K, dt, seed, n_iter):
    """Wrong (wrong06b.py, W13 tol=1e-5 (non-default))."""
    fit = helpers.fit_em(Y_train, K, dt, n_iter=n_iter, seed=seed, tol=1e-5)
    train_seconds = Y_train.shape[0] * Y_train.shape[1] * dt
    test_seconds = Y_test.shape[0] * Y_test.shape[1] * dt
    train_ll_per_s = fit.lls[-1] / train_seconds
    test_ll_per_s = helpers.log_likelihood(Y_test, fit.psi, fit.A, fit.L, dt) / test_seconds
    return train_ll_per_s, test_ll_per_s


def heldout_student_w14_n_iter_ignored_default_200(Y_train, Y_test, K, dt, seed, n_iter):
    """Wrong (wrong06b.py, W14 n_iter ignored (default 200))."""
    fit = helpers.fit_em(Y_train, K, dt, seed=seed)
    train_seconds = Y_train.shape[0] * Y_train.shape[1] * dt
    test_seconds = Y_test.shape[0] * Y_test.shape[1] * dt
    train_ll_per_s = fit.lls[-1] / train_seconds
    test_ll_per_s = helpers.log_likelihood(Y_test, fit.psi, fit.A, fit.L, dt) / test_seconds
    return train_ll_per_s, test_ll_per_s


def heldout_student_w15_train_via_log_likelihood_ok(Y_train, Y_test, K, dt, seed, n_iter):
    """Right (wrong06b.py, W15 train via log_likelihood (ok))."""
    fit = helpers.fit_em(Y_train, K, dt, n_iter=n_iter, seed=seed)
    train_seconds = Y_train.shape[0] * Y_train.shape[1] * dt
    test_seconds = Y_test.shape[0] * Y_test.shape[1] * dt
    train_ll_per_s = helpers.log_likelihood(Y_train, fit.psi, fit.A, fit.L, dt) / train_seconds
    test_ll_per_s = helpers.log_likelihood(Y_test, fit.psi, fit.A, fit.L, dt) / test_seconds
    return train_ll_per_s, test_ll_per_s


def heldout_student_w16_uses_y_size_for_duration_includes_c(Y_train, Y_test, K, dt, seed, n_iter):
    """Wrong (wrong06b.py, W16 uses Y.size for duration (includes C))."""
    fit = helpers.fit_em(Y_train, K, dt, n_iter=n_iter, seed=seed)
    train_seconds = Y_train.size * dt
    test_seconds = Y_test.size * dt
    train_ll_per_s = fit.lls[-1] / train_seconds
    test_ll_per_s = helpers.log_likelihood(Y_test, fit.psi, fit.A, fit.L, dt) / test_seconds
    return train_ll_per_s, test_ll_per_s


def heldout_student_w17_seed_passed_as_rng_object_default_rng_seed(Y_train, Y_test, K, dt, seed, n_iter):
    """Right (wrong06b.py, W17 seed passed as rng object default_rng(seed))."""
    fit = helpers.fit_em(Y_train, K, dt, n_iter=n_iter, seed=np.random.default_rng(seed))
    train_seconds = Y_train.shape[0] * Y_train.shape[1] * dt
    test_seconds = Y_test.shape[0] * Y_test.shape[1] * dt
    train_ll_per_s = fit.lls[-1] / train_seconds
    test_ll_per_s = helpers.log_likelihood(Y_test, fit.psi, fit.A, fit.L, dt) / test_seconds
    return train_ll_per_s, test_ll_per_s


def heldout_student_w18_test_ll_averaged_over_bins_via_e_step_ll_t(Y_train, Y_test, K, dt, seed, n_iter):
    """Right (wrong06b.py, W18 test LL averaged over bins via e_step .ll/T)."""
    fit = helpers.fit_em(Y_train, K, dt, n_iter=n_iter, seed=seed)
    train_seconds = Y_train.shape[0] * Y_train.shape[1] * dt
    test_seconds = Y_test.shape[0] * Y_test.shape[1] * dt
    train_ll_per_s = fit.lls[-1] / train_seconds
    test_ll_per_s = helpers.e_step(Y_test, fit.psi, fit.A, fit.L, dt).ll / test_seconds
    return train_ll_per_s, test_ll_per_s


def heldout_student_w2a_leak_concat_raw(Y_train, Y_test, K, dt, seed, n_iter):
    """Wrong (wrong06c.py, W2a leak: concat raw)."""
    fit = helpers.fit_em(np.concatenate([Y_train, Y_test]), K, dt, n_iter=n_iter, seed=seed)
    train_seconds = Y_train.shape[0] * Y_train.shape[1] * dt
    test_seconds = Y_test.shape[0] * Y_test.shape[1] * dt
    train_ll_per_s = helpers.log_likelihood(Y_train, fit.psi, fit.A, fit.L, dt) / train_seconds
    test_ll_per_s = helpers.log_likelihood(Y_test, fit.psi, fit.A, fit.L, dt) / test_seconds
    return train_ll_per_s, test_ll_per_s


def heldout_student_w2b_leak_concat_trimmed_to_common_t(Y_train, Y_test, K, dt, seed, n_iter):
    """Wrong (wrong06c.py, W2b leak: concat trimmed to common T)."""
    fit = helpers.fit_em(np.concatenate([Y_train[:, :Y_test.shape[1]], Y_test]), K, dt, n_iter=n_iter, seed=seed)
    train_seconds = Y_train.shape[0] * Y_train.shape[1] * dt
    test_seconds = Y_test.shape[0] * Y_test.shape[1] * dt
    train_ll_per_s = helpers.log_likelihood(Y_train, fit.psi, fit.A, fit.L, dt) / train_seconds
    test_ll_per_s = helpers.log_likelihood(Y_test, fit.psi, fit.A, fit.L, dt) / test_seconds
    return train_ll_per_s, test_ll_per_s


def heldout_student_w2c_leak_em_continued_on_test(Y_train, Y_test, K, dt, seed, n_iter):
    """Wrong (wrong06c.py, W2c leak: continue fitting on test from train fit)."""
    fit = (lambda f: helpers.fit_em(Y_test, K, dt, n_iter=n_iter, init=(f.psi, f.A, f.L)))(helpers.fit_em(Y_train, K, dt, n_iter=n_iter, seed=seed))
    train_seconds = Y_train.shape[0] * Y_train.shape[1] * dt
    test_seconds = Y_test.shape[0] * Y_test.shape[1] * dt
    train_ll_per_s = helpers.log_likelihood(Y_train, fit.psi, fit.A, fit.L, dt) / train_seconds
    test_ll_per_s = helpers.log_likelihood(Y_test, fit.psi, fit.A, fit.L, dt) / test_seconds
    return train_ll_per_s, test_ll_per_s


HELDOUT_STUDENT = [
    (heldout_student_w2_fit_on_train_test,
     ('the test trials took part in the fit',
      'as long as the training trials')),
    (heldout_student_w1_fit_on_the_test_trials, ('the model was fitted on the test set',)),
    (heldout_student_w3_per_bin_forgot_dt, ('the training value is per bin, not per second',)),
    (heldout_student_w4_train_seconds_for_both,
     ('the test value is divided by the duration of the training set',)),
    (heldout_student_w5_per_trial, ('the training value is per trial, not per second',)),
    (heldout_student_w6_seed_forgotten, ('the fit is not seeded', 'by keyword (seed=seed)')),
    (heldout_student_w7_positional_n_iter_seed,
     ('passes 5 arguments by position',
      'pass every argument after dt by keyword')),
    (heldout_student_w8_lls_0_instead_of_lls_1, ('fit.lls[0], the log-likelihood before em',)),
    (heldout_student_w9_totals_not_per_second, ('the training value is a total log-likelihood, not per second',)),
    (heldout_student_w10_n_restarts_5,
     ('your fit_em call also sets n_restarts',
      "use fit_em's defaults apart from the seed and n_iter")),
    (heldout_student_w11_test_duration_uses_train_t, ("with the training set's t",)),
    (heldout_student_w12_returns_test_train, ('the two values are swapped',)),
    (heldout_student_w13_tol_1e_5_non_default,
     ('your fit_em call also sets tol',
      "use fit_em's defaults apart from the seed and n_iter")),
    (heldout_student_w14_n_iter_ignored_default_200, ('n_iter is not passed on',)),
    (heldout_student_w16_uses_y_size_for_duration_includes_c, ('the training value is divided by y.size * dt',)),
    (heldout_student_w2a_leak_concat_raw, ('ValueError', 'print the shapes on that line')),
    (heldout_student_w2b_leak_concat_trimmed_to_common_t, ('the test trials took part in the fit',)),
    (heldout_student_w2c_leak_em_continued_on_test, ('the test trials took part in the fit',)),
]


@pytest.mark.parametrize("fn, phrases", HELDOUT_STUDENT, ids=[f.__name__ for f, _ in HELDOUT_STUDENT])
def test_heldout_student_answers_get_their_own_message(fn, phrases, capsys):
    assert_message(checks.check_heldout_ll, fn, capsys, *phrases)


@pytest.mark.parametrize("fn", [
    heldout_student_w15_train_via_log_likelihood_ok,
    heldout_student_w17_seed_passed_as_rng_object_default_rng_seed,
    heldout_student_w18_test_ll_averaged_over_bins_via_e_step_ll_t,
])
def test_heldout_student_right_answers_pass(fn, capsys):
    assert_passes(checks.check_heldout_ll, fn, capsys)
