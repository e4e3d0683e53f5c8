"""The EM objective Q, why EM climbs (LL vs bound scans), held-out LL, decoding, recovery."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import (
    decoding_accuracy,
    e_step,
    expected_complete_ll,
    held_out_ll,
    log_likelihood,
    m_step,
    recovery_error,
    scan_ll_ecll,
    tutorial_data,
)

TINY = dict(
    seed=st.integers(0, 2**32 - 1),
    K=st.integers(1, 3),
    T=st.integers(1, 5),
    C=st.integers(1, 2),
    n=st.integers(1, 3),
)


@settings(max_examples=40, deadline=None)
@given(**TINY)
def test_ecll_equals_brute_force_and_bounds_ll(brute, ecll_ref, make_model, make_counts, seed, K, T, C, n):
    """Q(theta') = sum_paths p(path | Y, theta_old) log p(path, Y | theta'); LL >= Q + H, = at theta_old."""
    rng = np.random.default_rng(seed)
    psi, A, L, dt = make_model(rng, K, C)
    Y = make_counts(rng, n, T, C)
    ref = brute(Y, psi, A, L, dt)
    post = e_step(Y, psi, A, L, dt)
    # at theta_old
    q_old = expected_complete_ll(Y, post.gamma, post.xi_sum, psi, A, L, dt)
    assert q_old == pytest.approx(ref.Q(psi, A, L), rel=1e-10, abs=1e-10)
    assert ref.ll == pytest.approx(q_old + ref.entropy, rel=1e-10, abs=1e-10)
    # at an unrelated theta'
    psi2, A2, L2, _ = make_model(rng, K, C, dt=dt)
    q_new = expected_complete_ll(Y, post.gamma, post.xi_sum, psi2, A2, L2, dt)
    assert q_new == pytest.approx(ref.Q(psi2, A2, L2), rel=1e-10, abs=1e-10)
    assert q_new == pytest.approx(ecll_ref(Y, post.gamma, post.xi_sum, psi2, A2, L2, dt), rel=1e-10, abs=1e-10)
    ll_new = brute(Y, psi2, A2, L2, dt).ll
    assert ll_new >= q_new + ref.entropy - 1e-9 * abs(ll_new)


@settings(max_examples=40, deadline=None)
@given(**TINY)
def test_m_step_raises_q_and_ll_rises_at_least_as_much(brute, make_model, make_counts, seed, K, T, C, n):
    """Q(new) >= Q(old) and LL(new) - LL(old) >= Q(new) - Q(old) >= 0."""
    rng = np.random.default_rng(seed)
    psi, A, L, dt = make_model(rng, K, C)
    Y = make_counts(rng, n, T, C)
    post = e_step(Y, psi, A, L, dt)
    new = m_step(Y, post.gamma, post.xi_sum, dt, prev=(psi, A, L))
    q_old = expected_complete_ll(Y, post.gamma, post.xi_sum, psi, A, L, dt)
    q_new = expected_complete_ll(Y, post.gamma, post.xi_sum, *new, dt)
    tol = 1e-9 * (abs(q_old) + 1.0)
    assert q_new >= q_old - tol
    ll_old = brute(Y, psi, A, L, dt).ll
    ll_new = brute(Y, *new, dt).ll
    assert ll_new - ll_old >= (q_new - q_old) - tol


def test_ecll_zero_probability_gives_minus_inf():
    """Q is -inf when theta forbids a transition the posteriors weight; 0 log 0 = 0 otherwise."""
    Y = np.array([[[1], [0], [2]]])
    psi = np.array([0.5, 0.5])
    A = np.array([[0.5, 0.5], [0.5, 0.5]])
    L = np.array([[10.0, 20.0]])
    post = e_step(Y, psi, A, L, 0.1)
    A_forbid = np.array([[1.0, 0.0], [0.0, 1.0]])
    assert expected_complete_ll(Y, post.gamma, post.xi_sum, psi, A_forbid, L, 0.1) == -np.inf
    # zero weight on a zero probability is fine
    gamma = np.zeros((1, 3, 2))
    gamma[..., 0] = 1.0
    xi_sum = np.array([[2.0, 0.0], [0.0, 0.0]])
    q = expected_complete_ll(Y, gamma, xi_sum, np.array([1.0, 0.0]), A_forbid, L, 0.1)
    assert np.isfinite(q)


def test_ecll_skips_trials_impossible_under_theta_old(brute):
    """A trial with zero probability at theta_old has no posterior and adds nothing to Q."""
    psi = np.array([0.5, 0.5])
    A = np.array([[0.8, 0.2], [0.3, 0.7]])
    L_old = np.array([[0.0, 0.0], [10.0, 30.0]])  # neuron 0 silent in every state
    dt = 0.1
    Y = np.array([[[0, 1], [0, 3], [0, 0]], [[0, 2], [1, 1], [0, 0]]])  # trial 1 is impossible
    ref = brute(Y, psi, A, L_old, dt)
    assert ref.trial_ll[1] == -np.inf and np.isfinite(ref.trial_ll[0])
    post = e_step(Y, psi, A, L_old, dt)
    L_new = np.array([[2.0, 5.0], [12.0, 25.0]])
    q = expected_complete_ll(Y, post.gamma, post.xi_sum, psi, A, L_new, dt)
    assert q == pytest.approx(ref.Q(psi, A, L_new), rel=1e-12)


# --- scan_ll_ecll -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def scan_setup():
    """A tiny data set, starting parameters and the scan over 4 epochs."""
    rng = np.random.default_rng(21)
    Y = rng.poisson(rng.uniform(0, 3, size=(2, 5, 2)))
    psi = np.array([0.6, 0.4])
    A = np.array([[0.7, 0.3], [0.25, 0.75]])
    L = np.array([[4.0, 25.0], [18.0, 6.0]])
    dt = 0.1
    scans = scan_ll_ecll(Y, psi, A, L, dt, n_epochs=4, n_points=9)
    return Y, (psi, A, L), dt, scans


def test_scan_bound_below_ll_and_touching_at_zero(scan_setup, brute):
    """bound <= ll at every b, equality at b = 0 (theta_old)."""
    Y, _, dt, scans = scan_setup
    assert len(scans) == 4
    for s in scans:
        assert np.all(np.isfinite(s.ll)) and np.all(np.isfinite(s.bound))
        assert np.all(s.bound <= s.ll + 1e-9 * np.abs(s.ll))
        i0 = np.flatnonzero(s.b == 0.0)
        assert i0.size == 1
        assert s.bound[i0[0]] == pytest.approx(s.ll[i0[0]], rel=1e-12)
        assert 1.0 in s.b
        assert s.b.min() < 0 < 1 < s.b.max()  # the default range goes beyond both ends here
        assert np.all(np.diff(s.b) > 0)
        assert s.epoch == scans.index(s)


def test_scan_values_equal_independent_ll_and_bound(scan_setup, brute):
    """ll(b) = log p(Y | theta(b)); bound(b) = Q(theta(b)) + H from brute force."""
    Y, _, dt, scans = scan_setup
    for s in scans:
        ref_old = brute(Y, *s.old, dt)
        for b, ll, bound in zip(s.b, s.ll, s.bound):
            theta = tuple(p0 + b * (p1 - p0) for p0, p1 in zip(s.old, s.new))
            assert ll == pytest.approx(brute(Y, *theta, dt).ll, rel=1e-10)
            assert bound == pytest.approx(ref_old.Q(*theta) + ref_old.entropy, rel=1e-10)


def test_scan_endpoints_and_chaining(scan_setup):
    """ll at b=0/1 = log_likelihood at old/new; new of epoch e = old of epoch e+1; start = input."""
    Y, start, dt, scans = scan_setup
    for a, b in zip(scans[0].old, start):
        np.testing.assert_array_equal(a, b)
    for s in scans:
        assert s.ll[s.b == 0.0][0] == pytest.approx(log_likelihood(Y, *s.old, dt), rel=1e-12)
        assert s.ll[s.b == 1.0][0] == pytest.approx(log_likelihood(Y, *s.new, dt), rel=1e-12)
        post = e_step(Y, *s.old, dt)
        expected_new = m_step(Y, post.gamma, post.xi_sum, dt, prev=s.old)
        for a, b in zip(s.new, expected_new):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
        # the M-step maximises the bound along the line; the LL climbs
        assert s.bound[s.b == 1.0][0] >= s.bound.max() - 1e-9 * abs(s.bound.max())
        assert s.ll[s.b == 1.0][0] >= s.ll[s.b == 0.0][0] - 1e-9 * abs(s.ll[0])
    for e in range(len(scans) - 1):
        for a, b in zip(scans[e].new, scans[e + 1].old):
            np.testing.assert_array_equal(a, b)


def test_scan_bound_at_b1_is_q_at_new_when_a_parameter_collapses():
    """bound(b=1) = Q(theta_new) + H even when the M-step shrinks a rate by > 1e16.

    Here a state's rate falls from 1e-3 to ~1e-35 Hz: theta(1) must be theta_new
    itself, not old + 1 * (new - old), which rounds that rate to exactly 0 and
    turns the bound into -inf at the very point where it is largest.
    """
    Y = np.array([[[10], [0], [0], [0]]])
    psi = np.array([0.5, 0.5])
    A = np.array([[0.5, 0.5], [0.5, 0.5]])
    L = np.array([[10.0, 1e-3]])
    dt = 1.0
    s = scan_ll_ecll(Y, psi, A, L, dt, n_epochs=1, n_points=5)[0]
    assert 0 < s.new[2][0, 1] < 1e-20  # the collapse this test is about
    post = e_step(Y, psi, A, L, dt)
    entropy = post.ll - expected_complete_ll(Y, post.gamma, post.xi_sum, psi, A, L, dt)
    q_new = expected_complete_ll(Y, post.gamma, post.xi_sum, *s.new, dt)
    assert np.isfinite(q_new)
    assert np.all(np.isfinite(s.bound))
    assert s.bound[s.b == 1.0][0] == pytest.approx(q_new + entropy, rel=1e-12)
    assert s.ll[s.b == 1.0][0] == pytest.approx(log_likelihood(Y, *s.new, dt), rel=1e-12)
    assert np.all(s.bound <= s.ll + 1e-9 * np.abs(s.ll))


def test_scan_range_stays_within_valid_parameters():
    """Points of b keep every parameter non-negative (the range is narrowed if needed)."""
    d = tutorial_data(n_trials=3, T=60, seed=8)
    psi = np.array([0.98, 0.01, 0.01])
    A = np.array([[0.9, 0.05, 0.05], [0.05, 0.9, 0.05], [0.05, 0.05, 0.9]])
    L = np.full((5, 3), 20.0) + np.arange(3) * 5.0
    scans = scan_ll_ecll(d["Y"], psi, A, L, d["dt"], n_epochs=3, n_points=15, b_range=(-5.0, 5.0))
    for s in scans:
        for b in s.b:
            for p0, p1 in zip(s.old, s.new):
                assert np.all(p0 + b * (p1 - p0) >= 0)
        assert np.all(s.bound <= s.ll + 1e-9 * np.abs(s.ll))
        assert np.all(np.isfinite(s.ll))


# --- held-out LL, decoding, recovery ---------------------------------------------------


def test_held_out_ll_matches_fits_and_log_likelihood():
    """train/test are LL per second of the fitted model on each set; one fit per K."""
    d = tutorial_data(n_trials=12, T=100, seed=9)
    Y, dt = d["Y"], d["dt"]
    Ytr, Yte = Y[:8], Y[8:, :70]
    out = held_out_ll(Ytr, Yte, [1, 2, 3], dt, n_restarts=1, seed=0, n_iter=30)
    np.testing.assert_array_equal(out["K"], [1, 2, 3])
    assert out["train"].shape == (3,) and out["test"].shape == (3,) and len(out["fits"]) == 3
    for i, (k, fit) in enumerate(zip([1, 2, 3], out["fits"])):
        assert fit.psi.shape == (k,)
        assert out["train"][i] == pytest.approx(
            log_likelihood(Ytr, fit.psi, fit.A, fit.L, dt) / (8 * 100 * dt), rel=1e-10)
        assert out["test"][i] == pytest.approx(
            log_likelihood(Yte, fit.psi, fit.A, fit.L, dt) / (4 * 70 * dt), rel=1e-10)
    # three states fit 3-state training data better than one
    assert out["train"][2] >= out["train"][0]


def test_decoding_accuracy_counts_matching_bins():
    """Fraction of bins whose argmax posterior equals the true state."""
    states = np.array([[0, 1, 1, 2], [2, 2, 0, 1]])
    gamma = np.zeros((2, 4, 3))
    guess = np.array([[0, 1, 0, 2], [2, 1, 0, 1]])
    gamma[np.arange(2)[:, None], np.arange(4)[None, :], guess] = 0.9
    gamma += 0.05
    assert decoding_accuracy(states, gamma) == pytest.approx(6 / 8)
    assert decoding_accuracy(states, np.eye(3)[states]) == 1.0


def test_recovery_error_zero_for_permuted_truth():
    """Estimates that are the truth with relabelled states have zero error."""
    rng = np.random.default_rng(10)
    K = 4
    psi = rng.dirichlet(np.ones(K))
    A = rng.dirichlet(np.ones(K), size=K)
    L = rng.uniform(0, 50, size=(3, K))
    perm = rng.permutation(K)
    est = (psi[perm], A[np.ix_(perm, perm)], L[:, perm])
    out = recovery_error((psi, A, L), est)
    assert out["L"] == pytest.approx(0.0, abs=1e-12)
    assert out["A"] == pytest.approx(0.0, abs=1e-12)
    np.testing.assert_array_equal(perm[out["perm"]], np.arange(K))


def test_recovery_error_values():
    """Mean absolute rate error and mean absolute off-diagonal A error."""
    L = np.array([[10.0, 50.0]])
    A = np.array([[0.9, 0.1], [0.2, 0.8]])
    est_L = np.array([[52.0, 9.0]])  # swapped labels, errors 2 and 1 Hz
    est_A = np.array([[0.7, 0.3], [0.15, 0.85]])  # est labels: aligned [[0.85, 0.15], [0.3, 0.7]]
    out = recovery_error((np.array([0.5, 0.5]), A, L), (np.array([0.5, 0.5]), est_A, est_L))
    np.testing.assert_array_equal(out["perm"], [1, 0])
    assert out["L"] == pytest.approx(1.5)
    assert out["A"] == pytest.approx((abs(0.15 - 0.1) + abs(0.3 - 0.2)) / 2)
