"""Sampling hidden states and spikes, and the tutorial's model and data.

Statistical checks use large samples and tolerances of 5 standard errors, so
a correct sampler fails with probability well below 1e-5 per entry (and the
seeds are fixed, so the outcome is deterministic).
"""

import numpy as np

from helpers import sample_spikes, sample_states, tutorial_data, tutorial_model

Z = 5.0  # tolerance in standard errors


def transition_counts(states, K):
    """N[i, j] = number of i -> j transitions over all trials."""
    N = np.zeros((K, K))
    np.add.at(N, (states[:, :-1].ravel(), states[:, 1:].ravel()), 1)
    return N


def test_sample_states_shape_dtype_and_range(rng):
    """(n_trials, T) integer states in 0..K-1."""
    psi = np.array([0.2, 0.3, 0.5])
    A = np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.3, 0.3, 0.4]])
    s = sample_states(psi, A, 7, 11, rng)
    assert s.shape == (7, 11)
    assert np.issubdtype(s.dtype, np.integer)
    assert s.min() >= 0 and s.max() <= 2


def test_sample_states_reproduce_psi_and_A():
    """Initial-state and transition frequencies match psi and A within 5 standard errors."""
    rng = np.random.default_rng(1)
    psi = np.array([0.1, 0.25, 0.05, 0.6])
    A = np.array([
        [0.7, 0.1, 0.15, 0.05],
        [0.05, 0.9, 0.0, 0.05],
        [0.3, 0.3, 0.3, 0.1],
        [0.02, 0.08, 0.1, 0.8],
    ])
    n, T = 20_000, 30
    s = sample_states(psi, A, n, T, rng)
    K = 4
    # initial states
    freq = np.bincount(s[:, 0], minlength=K) / n
    se = np.sqrt(psi * (1 - psi) / n)
    assert np.all(np.abs(freq - psi) <= Z * se + 1e-12), (freq, psi)
    # transitions
    N = transition_counts(s, K)
    out = N.sum(axis=1, keepdims=True)
    assert np.all(out > 1000)
    A_hat = N / out
    se = np.sqrt(A * (1 - A) / out)
    assert np.all(np.abs(A_hat - A) <= Z * se + 1e-12), (A_hat, A)
    assert N[1, 2] == 0  # a zero-probability transition never happens


def test_sample_states_is_first_order_markov():
    """The next state depends on the current one only (not on the one before)."""
    rng = np.random.default_rng(2)
    psi = np.array([0.5, 0.5])
    A = np.array([[0.8, 0.2], [0.3, 0.7]])
    s = sample_states(psi, A, 4000, 50, rng)
    prev2, prev1, nxt = s[:, :-2].ravel(), s[:, 1:-1].ravel(), s[:, 2:].ravel()
    for i in range(2):
        for h in range(2):
            sel = (prev1 == i) & (prev2 == h)
            p_hat = np.mean(nxt[sel] == 1)
            se = np.sqrt(A[i, 1] * (1 - A[i, 1]) / sel.sum())
            assert abs(p_hat - A[i, 1]) <= Z * se


def test_sample_states_marginal_follows_chain():
    """P(x[t] = k) = (psi A^t)[k] at every t (checked at a few t)."""
    rng = np.random.default_rng(3)
    psi = np.array([1.0, 0.0, 0.0])
    A = np.array([[0.5, 0.5, 0.0], [0.0, 0.5, 0.5], [0.5, 0.0, 0.5]])
    n = 30_000
    s = sample_states(psi, A, n, 6, rng)
    p = psi.copy()
    for t in range(6):
        freq = np.bincount(s[:, t], minlength=3) / n
        se = np.sqrt(p * (1 - p) / n)
        assert np.all(np.abs(freq - p) <= Z * se + 1e-12), (t, freq, p)
        p = p @ A


def test_sample_states_degenerate_distributions(rng):
    """One-hot psi and an absorbing state are followed exactly."""
    psi = np.array([0.0, 1.0, 0.0])
    A = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    s = sample_states(psi, A, 50, 5, rng)
    np.testing.assert_array_equal(s, np.tile([1, 0, 2, 2, 2], (50, 1)))


def test_sample_states_rows_summing_just_below_one_stay_in_range(rng):
    """Rows that sum to 1 - 5e-7 (inside the tolerance) never produce state K."""
    psi = np.array([0.5, 0.5 - 5e-7])
    A = np.array([[1e-9, 1.0 - 1e-9 - 5e-7], [0.0, 1.0 - 5e-7]])
    s = sample_states(psi, A, 20_000, 20, rng)
    assert s.min() >= 0 and s.max() <= 1


def test_sample_states_single_state_and_single_bin(rng):
    """K = 1 gives all zeros; T = 1 gives only initial states."""
    s = sample_states([1.0], [[1.0]], 3, 9, rng)
    np.testing.assert_array_equal(s, np.zeros((3, 9), dtype=int))
    s1 = sample_states([0.0, 1.0], [[0.5, 0.5], [0.5, 0.5]], 10, 1, rng)
    assert s1.shape == (10, 1)
    np.testing.assert_array_equal(s1, 1)


def test_sample_spikes_shape_dtype(rng):
    """(n_trials, T, C) non-negative integer counts."""
    states = np.zeros((2, 5), dtype=int)
    states[1] = 1
    Y = sample_spikes(states, np.array([[10.0, 20.0], [0.0, 5.0], [1.0, 1.0]]), 0.1, rng)
    assert Y.shape == (2, 5, 3)
    assert np.issubdtype(Y.dtype, np.integer)
    assert Y.min() >= 0
    assert np.all(Y[0, :, 1] == 0)  # a zero rate never spikes


def test_sample_spikes_reproduce_rates():
    """Mean count / dt in each state matches L within 5 standard errors."""
    rng = np.random.default_rng(4)
    L = np.array([[2.0, 30.0, 80.0], [55.0, 0.0, 10.0]])
    dt = 0.02
    states = rng.integers(0, 3, size=(200, 500))
    Y = sample_spikes(states, L, dt, rng)
    for k in range(3):
        counts = Y[states == k]  # (n_k, C)
        n_k = counts.shape[0]
        rate_hat = counts.mean(axis=0) / dt
        se = np.sqrt(L[:, k] * dt / n_k) / dt
        assert np.all(np.abs(rate_hat - L[:, k]) <= Z * se + 1e-12), (k, rate_hat, L[:, k])
        # Poisson: variance equals mean
        var_hat = counts.var(axis=0)
        mean = L[:, k] * dt
        se_var = np.sqrt((mean + 2 * mean**2) / n_k)  # sd of sample variance of a Poisson
        assert np.all(np.abs(var_hat - mean) <= Z * se_var + 1e-12)


def test_sample_spikes_large_counts(rng):
    """Thousands of Hz and dt = 0.1: ~500 counts per bin, correct mean."""
    states = np.zeros((1, 20_000), dtype=int)
    Y = sample_spikes(states, np.array([[5000.0]]), 0.1, rng)
    assert abs(Y.mean() - 500.0) <= Z * np.sqrt(500.0 / Y.size)


def test_sampling_end_to_end_reproduces_model():
    """sample_states + sample_spikes on a long run recover psi, A and L."""
    psi, A, L, dt = tutorial_model()
    rng = np.random.default_rng(5)
    s = sample_states(psi, A, 3000, 400, rng)
    Y = sample_spikes(s, L, dt, rng)
    K = 3
    N = transition_counts(s, K)
    out = N.sum(axis=1, keepdims=True)
    se = np.sqrt(A * (1 - A) / out)
    assert np.all(np.abs(N / out - A) <= Z * se + 1e-12)
    freq = np.bincount(s[:, 0], minlength=K) / s.shape[0]
    assert np.all(np.abs(freq - psi) <= Z * np.sqrt(psi * (1 - psi) / s.shape[0]))
    for k in range(K):
        counts = Y[s == k]
        se = np.sqrt(L[:, k] * dt / counts.shape[0]) / dt
        assert np.all(np.abs(counts.mean(axis=0) / dt - L[:, k]) <= Z * se)


def test_same_seed_same_data_different_seed_different_data():
    """Sampling is a pure function of the generator's state."""
    psi, A, L, dt = tutorial_model()

    def draw(seed):
        r = np.random.default_rng(seed)
        s = sample_states(psi, A, 20, 100, r)
        return s, sample_spikes(s, L, dt, r)

    s1, y1 = draw(123)
    s2, y2 = draw(123)
    s3, y3 = draw(124)
    np.testing.assert_array_equal(s1, s2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(y1, y3)
    assert not np.array_equal(s1, s3)


def test_sampling_does_not_touch_global_random_state(rng):
    """Nothing uses numpy's global RNG."""
    np.random.seed(0)
    before = np.random.get_state()[1].copy()
    s = sample_states([0.5, 0.5], [[0.5, 0.5], [0.5, 0.5]], 5, 5, rng)
    sample_spikes(s, [[10.0, 20.0]], 0.1, rng)
    np.testing.assert_array_equal(np.random.get_state()[1], before)


def test_sample_spikes_accepts_whole_float_states(rng):
    """States given as whole-number floats are accepted like ints."""
    Y1 = sample_spikes(np.array([[0.0, 1.0]]), [[10.0, 20.0]], 0.1, np.random.default_rng(0))
    Y2 = sample_spikes(np.array([[0, 1]]), [[10.0, 20.0]], 0.1, np.random.default_rng(0))
    np.testing.assert_array_equal(Y1, Y2)


def test_tutorial_model_is_valid():
    """psi proportional to (1, 2, 3), rows of A sum to 1, 5 neurons x 3 states."""
    psi, A, L, dt = tutorial_model()
    assert psi.shape == (3,) and A.shape == (3, 3) and L.shape == (5, 3)
    np.testing.assert_allclose(psi, np.array([1, 2, 3]) / 6)
    np.testing.assert_allclose(A.sum(axis=1), 1.0)
    assert A.min() >= 0 and L.min() >= 0 and dt > 0
    off = A[~np.eye(3, dtype=bool)]
    assert np.all(off <= 3.0 * dt + 1e-15)  # switching rates at most 3 Hz


def test_tutorial_data_is_reproducible_and_consistent():
    """tutorial_data returns consistent shapes, is deterministic and matches tutorial_model."""
    d1 = tutorial_data(n_trials=4, T=50, seed=3)
    d2 = tutorial_data(n_trials=4, T=50, seed=3)
    d3 = tutorial_data(n_trials=4, T=50, seed=4)
    assert d1["Y"].shape == (4, 50, 5) and d1["states"].shape == (4, 50)
    np.testing.assert_array_equal(d1["Y"], d2["Y"])
    np.testing.assert_array_equal(d1["states"], d2["states"])
    assert not np.array_equal(d1["Y"], d3["Y"])
    psi, A, L, dt = tutorial_model()
    np.testing.assert_array_equal(d1["A"], A)
    np.testing.assert_array_equal(d1["L"], L)
    assert d1["dt"] == dt
