"""Forward-backward, log-likelihood and Viterbi against independent references.

References: the brute-force enumerator of all K**T paths (conftest, built on
scipy.stats.poisson) for tiny models, and hmmlearn's PoissonHMM for larger ones.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hmmlearn.hmm import PoissonHMM  # a dev requirement: the independent reference
from scipy.stats import poisson

from helpers import (
    backward,
    e_step,
    emission_likelihood,
    forward,
    log_likelihood,
    viterbi,
)

TINY = dict(
    seed=st.integers(0, 2**32 - 1),
    K=st.integers(1, 3),
    T=st.integers(1, 6),
    C=st.integers(1, 2),
    n=st.integers(1, 3),
    sparse=st.booleans(),
)


def assert_viterbi_optimal(path, ref):
    """path has the maximal log joint of every trial; it is the unique argmax when that is clear."""
    np.testing.assert_allclose(ref.path_ll(path), ref.viterbi_ll, rtol=1e-12, atol=1e-12)
    clear = ref.viterbi_runner_up < ref.viterbi_ll - 1e-8 * (1 + np.abs(ref.viterbi_ll))
    np.testing.assert_array_equal(path[clear], ref.viterbi[clear])


def hmmlearn_model(psi, A, L, dt):
    """hmmlearn's PoissonHMM with our parameters (lambdas_ are counts per bin)."""
    K = len(psi)
    m = PoissonHMM(n_components=K, init_params="", params="stl")
    m.startprob_ = np.asarray(psi, dtype=float)
    m.transmat_ = np.asarray(A, dtype=float)
    m.lambdas_ = (np.asarray(L, dtype=float) * dt).T
    return m


def hmmlearn_reference(Y, psi, A, L, dt):
    """(total log-likelihood, gamma (n, T, K), xi_sum (K, K)) from hmmlearn."""
    n, T, C = Y.shape
    m = hmmlearn_model(psi, A, L, dt)
    ll, post = m.score_samples(Y.reshape(-1, C), [T] * n)
    # Expected transition counts through hmmlearn's own E-step machinery.
    stats = m._initialize_sufficient_statistics()
    for i in range(n):
        lattice, _, posteriors, fwd, bwd = m._fit_log(Y[i])
        m._accumulate_sufficient_statistics(stats, Y[i], lattice, posteriors, fwd, bwd)
    return ll, post.reshape(n, T, len(psi)), stats["trans"]


# --- brute force: tiny models ----------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(**TINY)
def test_e_step_equals_brute_force_enumeration(brute, make_model, make_counts, seed, K, T, C, n, sparse):
    """ll, trial_ll, gamma, xi_sum and xi equal the sum over all K**T paths."""
    rng = np.random.default_rng(seed)
    psi, A, L, dt = make_model(rng, K, C, sparse=sparse)
    Y = make_counts(rng, n, T, C)
    ref = brute(Y, psi, A, L, dt)
    res = e_step(Y, psi, A, L, dt, return_xi=True)

    assert res.gamma.shape == (n, T, K)
    assert res.xi_sum.shape == (K, K)
    assert res.trial_ll.shape == (n,)
    assert res.xi.shape == (n, T - 1, K, K)
    np.testing.assert_allclose(res.ll, ref.ll, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(res.trial_ll, ref.trial_ll, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(res.gamma, ref.gamma, rtol=0, atol=1e-10)
    np.testing.assert_allclose(res.xi_sum, ref.xi_sum, rtol=0, atol=1e-10)
    np.testing.assert_allclose(res.xi, ref.xi, rtol=0, atol=1e-10)
    np.testing.assert_allclose(res.gamma.sum(axis=2), 1.0, atol=1e-12)
    assert res.ll == pytest.approx(res.trial_ll.sum(), rel=1e-13)


@settings(max_examples=40, deadline=None)
@given(**TINY)
def test_log_likelihood_equals_brute_force(brute, make_model, make_counts, seed, K, T, C, n, sparse):
    """log_likelihood (total and per trial) equals log sum over all paths."""
    rng = np.random.default_rng(seed)
    psi, A, L, dt = make_model(rng, K, C, sparse=sparse)
    Y = make_counts(rng, n, T, C)
    ref = brute(Y, psi, A, L, dt)
    np.testing.assert_allclose(log_likelihood(Y, psi, A, L, dt), ref.ll, rtol=1e-10)
    per = log_likelihood(Y, psi, A, L, dt, per_trial=True)
    assert per.shape == (n,)
    np.testing.assert_allclose(per, ref.trial_ll, rtol=1e-10)


@settings(max_examples=40, deadline=None)
@given(**TINY)
def test_viterbi_equals_brute_force_argmax_path(brute, make_model, make_counts, seed, K, T, C, n, sparse):
    """viterbi returns a highest-probability path of every trial (the argmax when unique)."""
    rng = np.random.default_rng(seed)
    psi, A, L, dt = make_model(rng, K, C, sparse=sparse)
    Y = make_counts(rng, n, T, C)
    ref = brute(Y, psi, A, L, dt)
    path = viterbi(Y, psi, A, L, dt)
    assert path.shape == (n, T)
    assert np.issubdtype(path.dtype, np.integer)
    assert_viterbi_optimal(path, ref)


@pytest.mark.parametrize(
    "K,T,C,n",
    [(1, 1, 1, 1), (1, 5, 2, 3), (3, 1, 2, 1), (3, 1, 1, 4), (2, 6, 1, 1), (3, 6, 2, 2), (2, 2, 2, 5)],
)
def test_e_step_edge_shapes_equal_brute_force(brute, make_model, make_counts, K, T, C, n):
    """T = 1 and K = 1, one and several trials, all match enumeration."""
    rng = np.random.default_rng(1000 * K + 100 * T + 10 * C + n)
    psi, A, L, dt = make_model(rng, K, C)
    Y = make_counts(rng, n, T, C)
    ref = brute(Y, psi, A, L, dt)
    res = e_step(Y, psi, A, L, dt, return_xi=True)
    np.testing.assert_allclose(res.ll, ref.ll, rtol=1e-10)
    np.testing.assert_allclose(res.gamma, ref.gamma, atol=1e-10)
    np.testing.assert_allclose(res.xi_sum, ref.xi_sum, atol=1e-10)
    assert_viterbi_optimal(viterbi(Y, psi, A, L, dt), ref)


def test_single_bin_has_no_transitions():
    """T = 1: xi_sum is all zeros, xi is empty, gamma is the Bayes posterior of one bin."""
    psi = np.array([0.2, 0.5, 0.3])
    A = np.array([[0.8, 0.1, 0.1], [0.3, 0.4, 0.3], [0.0, 0.5, 0.5]])
    L = np.array([[2.0, 10.0, 30.0]])
    dt = 0.1
    Y = np.array([[[1]], [[4]]])
    res = e_step(Y, psi, A, L, dt, return_xi=True)
    np.testing.assert_array_equal(res.xi_sum, np.zeros((3, 3)))
    assert res.xi.shape == (2, 0, 3, 3)
    for i, y in enumerate([1, 4]):
        joint = psi * poisson.pmf(y, L[0] * dt)
        np.testing.assert_allclose(res.gamma[i, 0], joint / joint.sum(), atol=1e-14)
        assert res.trial_ll[i] == pytest.approx(np.log(joint.sum()), rel=1e-12)


def test_single_state_likelihood_is_independent_poisson():
    """K = 1: gamma is 1, xi_sum counts every transition, ll is a sum of Poisson logpmfs."""
    rng = np.random.default_rng(3)
    Y = rng.poisson(3.0, size=(4, 7, 3))
    L = np.array([[20.0], [35.0], [5.0]])
    dt = 0.1
    res = e_step(Y, [1.0], [[1.0]], L, dt)
    np.testing.assert_allclose(res.gamma, 1.0)
    np.testing.assert_allclose(res.xi_sum, [[4 * 6]])
    expected = poisson.logpmf(Y, (L[:, 0] * dt)[None, None, :]).sum()
    assert res.ll == pytest.approx(expected, rel=1e-12)


# --- teaching versions -----------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(**TINY)
def test_teaching_forward_backward_give_posteriors_and_ll(brute, make_model, make_counts, seed, K, T, C, n, sparse):
    """forward/backward: alpha * beta == gamma, sum log c == ll, alpha rows sum to 1."""
    rng = np.random.default_rng(seed)
    psi, A, L, dt = make_model(rng, K, C, sparse=sparse)
    Y = make_counts(rng, n, T, C)
    ref = brute(Y, psi, A, L, dt)
    obs = emission_likelihood(Y, L, dt)
    alpha, c = forward(obs, psi, A)
    assert alpha.shape == (n, T, K) and c.shape == (n, T)
    np.testing.assert_allclose(alpha.sum(axis=2), 1.0, atol=1e-12)
    np.testing.assert_allclose(np.log(c).sum(axis=1), ref.trial_ll, rtol=1e-10)
    beta = backward(obs, A, c)
    assert beta.shape == (n, T, K)
    np.testing.assert_allclose(alpha * beta, ref.gamma, atol=1e-10)
    np.testing.assert_allclose(alpha * beta, e_step(Y, psi, A, L, dt).gamma, atol=1e-12)


def test_forward_alpha_is_filtering_distribution(brute, make_model, make_counts):
    """alpha[t] = p(x[t] | y[0..t]): the posterior of the truncated data's last bin."""
    rng = np.random.default_rng(11)
    psi, A, L, dt = make_model(rng, 3, 2)
    Y = make_counts(rng, 2, 5, 2)
    alpha, _ = forward(emission_likelihood(Y, L, dt), psi, A)
    for t in range(5):
        ref = brute(Y[:, : t + 1], psi, A, L, dt)
        np.testing.assert_allclose(alpha[:, t], ref.gamma[:, t], atol=1e-12)


def test_emission_likelihood_equals_scipy_product():
    """emission_likelihood[n, t, k] = prod_c Poisson(Y[n, t, c]; L[c, k] dt)."""
    rng = np.random.default_rng(5)
    Y = rng.poisson(2.0, size=(2, 4, 3))
    L = rng.uniform(0.0, 40.0, size=(3, 2))
    L[1, 0] = 0.0  # a zero rate: probability 1 of no spike, 0 of any spike
    dt = 0.1
    obs = emission_likelihood(Y, L, dt)
    expected = np.ones((2, 4, 2))
    for n in range(2):
        for t in range(4):
            for k in range(2):
                for c in range(3):
                    expected[n, t, k] *= poisson.pmf(Y[n, t, c], L[c, k] * dt)
    np.testing.assert_allclose(obs, expected, rtol=1e-12, atol=1e-300)


# --- hmmlearn: larger random models ----------------------------------------------------


@pytest.mark.parametrize("seed", range(8))
def test_e_step_equals_hmmlearn_on_random_models(seed, make_model):
    """ll, gamma and xi_sum equal hmmlearn's PoissonHMM on larger models with many trials."""
    rng = np.random.default_rng(seed)
    K = int(rng.integers(2, 6))
    C = int(rng.integers(1, 7))
    n = int(rng.integers(5, 30))
    T = int(rng.integers(2, 150))
    psi, A, L, dt = make_model(rng, K, C, rate_range=(0.05, 4.0), sparse=bool(seed % 2))
    # data from the model itself (sampled independently of helpers)
    Y = np.empty((n, T, C), dtype=np.int64)
    for i in range(n):
        x = rng.choice(K, p=psi)
        for t in range(T):
            Y[i, t] = rng.poisson(L[:, x] * dt)
            x = rng.choice(K, p=A[x])
    ll_ref, gamma_ref, xi_ref = hmmlearn_reference(Y, psi, A, L, dt)
    res = e_step(Y, psi, A, L, dt)
    np.testing.assert_allclose(res.ll, ll_ref, rtol=1e-10)
    np.testing.assert_allclose(res.gamma, gamma_ref, atol=1e-8)
    np.testing.assert_allclose(res.xi_sum, xi_ref, rtol=1e-8, atol=1e-8)
    assert log_likelihood(Y, psi, A, L, dt) == pytest.approx(ll_ref, rel=1e-10)


def test_long_recording_no_underflow():
    """T = 100,000 bins: ll finite, = sum of trial_ll, = log_likelihood, = hmmlearn; gamma sums to 1."""
    rng = np.random.default_rng(42)
    K, C, T = 3, 2, 100_000
    psi = np.array([0.5, 0.3, 0.2])
    A = np.array([[0.98, 0.01, 0.01], [0.02, 0.97, 0.01], [0.005, 0.005, 0.99]])
    L = np.array([[5.0, 40.0, 15.0], [30.0, 2.0, 60.0]])
    dt = 0.01
    Y = rng.poisson(rng.uniform(0.0, 0.8, size=(1, T, C)))
    res = e_step(Y, psi, A, L, dt)
    assert np.isfinite(res.ll)
    assert res.ll < -1000.0  # a genuine long-recording total, far below exp underflow
    assert res.ll == pytest.approx(res.trial_ll.sum(), rel=1e-14)
    assert np.all(np.isfinite(res.gamma)) and np.all(np.isfinite(res.xi_sum))
    np.testing.assert_allclose(res.gamma.sum(axis=2), 1.0, atol=1e-10)
    assert res.xi_sum.sum() == pytest.approx(T - 1, rel=1e-9)
    assert log_likelihood(Y, psi, A, L, dt) == pytest.approx(res.ll, rel=1e-12)
    m = hmmlearn_model(psi, A, L, dt)
    ll_ref, post = m.score_samples(Y.reshape(-1, C), [T])
    assert res.ll == pytest.approx(ll_ref, rel=1e-10)
    np.testing.assert_allclose(res.gamma[0], post, atol=1e-7)


# --- large counts, zero rates ----------------------------------------------------------


def test_large_counts_tiny_model_equals_brute_force(brute):
    """Rates of thousands of Hz with dt = 0.1 (~500 counts per bin) match enumeration."""
    rng = np.random.default_rng(8)
    psi = np.array([0.4, 0.6])
    A = np.array([[0.7, 0.3], [0.4, 0.6]])
    L = np.array([[5000.0, 4700.0]])
    dt = 0.1
    Y = rng.poisson(np.array([500, 470, 470, 500, 500])[None, :, None] * np.ones((2, 1, 1)))
    ref = brute(Y, psi, A, L, dt)
    res = e_step(Y, psi, A, L, dt, return_xi=True)
    assert np.isfinite(res.ll)
    np.testing.assert_allclose(res.ll, ref.ll, rtol=1e-10)
    np.testing.assert_allclose(res.gamma, ref.gamma, atol=1e-9)
    np.testing.assert_allclose(res.xi, ref.xi, atol=1e-9)
    assert_viterbi_optimal(viterbi(Y, psi, A, L, dt), ref)


def test_large_counts_long_single_channel_equals_hmmlearn():
    """One long recording of one neuron with ~500 counts per bin matches hmmlearn."""
    rng = np.random.default_rng(9)
    T = 20_000
    psi = np.array([0.5, 0.5])
    A = np.array([[0.99, 0.01], [0.02, 0.98]])
    L = np.array([[5000.0, 4500.0]])
    dt = 0.1
    x = np.zeros(T, dtype=int)
    for t in range(1, T):
        x[t] = rng.choice(2, p=A[x[t - 1]])
    Y = rng.poisson(L[0, x] * dt)[None, :, None]
    res = e_step(Y, psi, A, L, dt)
    ll_ref, post = hmmlearn_model(psi, A, L, dt).score_samples(Y.reshape(-1, 1), [T])
    assert np.isfinite(res.ll)
    assert res.ll == pytest.approx(ll_ref, rel=1e-10)
    np.testing.assert_allclose(res.gamma[0], post, atol=1e-7)
    np.testing.assert_allclose(res.gamma.sum(axis=2), 1.0, atol=1e-10)


def test_large_counts_with_zero_initial_probability_equals_brute_force(brute):
    """A state with psi = 0 next to one whose emission is > 745 nats more likely.

    The data are possible (every path starts in state 0, which then moves to
    state 1), so the log-likelihood is finite; the scaling must not underflow
    the only reachable state to 0 and report -inf.
    """
    psi = np.array([1.0, 0.0])
    A = np.array([[0.5, 0.5], [0.5, 0.5]])
    L = np.array([[10000.0, 1.0]])  # 1000 vs 0.1 expected counts per bin
    dt = 0.1
    Y = np.zeros((1, 2, 1), dtype=np.int64)  # no spikes: state 0 costs -1000 nats
    ref = brute(Y, psi, A, L, dt)
    assert np.isfinite(ref.ll)
    res = e_step(Y, psi, A, L, dt)
    assert res.ll == pytest.approx(ref.ll, rel=1e-10)
    np.testing.assert_allclose(res.gamma, ref.gamma, atol=1e-10)
    assert log_likelihood(Y, psi, A, L, dt) == pytest.approx(ref.ll, rel=1e-10)


def test_large_counts_with_forbidden_transition_equals_brute_force(brute):
    """Left-to-right chain (A has zeros) with extreme counts: finite ll, exact posteriors."""
    psi = np.array([0.5, 0.5])
    A = np.array([[0.0, 1.0], [0.0, 1.0]])  # always go to (and stay in) state 1
    L = np.array([[1.0, 9000.0]])  # 0.1 vs 900 expected counts per bin
    dt = 0.1
    Y = np.array([[[900], [0]]])  # bin 1 is ~900 nats less likely in the only reachable state
    ref = brute(Y, psi, A, L, dt)
    assert np.isfinite(ref.ll)
    res = e_step(Y, psi, A, L, dt)
    assert res.ll == pytest.approx(ref.ll, rel=1e-10)
    np.testing.assert_allclose(res.gamma, ref.gamma, atol=1e-10)


def test_impossible_spike_gives_minus_inf_without_nan():
    """A spike where every state's rate is 0: ll = -inf, no exception, no NaN."""
    psi = np.array([0.5, 0.5])
    A = np.array([[0.9, 0.1], [0.1, 0.9]])
    L = np.array([[0.0, 0.0], [10.0, 20.0]])  # neuron 0 never fires
    dt = 0.1
    Y = np.zeros((3, 5, 2), dtype=np.int64)
    Y[:, :, 1] = 1
    Y[1, 2, 0] = 1  # trial 1 is impossible
    assert log_likelihood(Y, psi, A, L, dt) == -np.inf
    per = log_likelihood(Y, psi, A, L, dt, per_trial=True)
    assert per[1] == -np.inf and np.all(np.isfinite(per[[0, 2]]))
    res = e_step(Y, psi, A, L, dt, return_xi=True)
    assert res.ll == -np.inf
    assert res.trial_ll[1] == -np.inf and np.all(np.isfinite(res.trial_ll[[0, 2]]))
    assert np.all(np.isfinite(res.gamma)) and np.all(np.isfinite(res.xi_sum)) and np.all(np.isfinite(res.xi))
    np.testing.assert_allclose(res.gamma[[0, 2]].sum(axis=2), 1.0)
    # the possible trials are unaffected by the impossible one
    ok = e_step(Y[[0, 2]], psi, A, L, dt)
    np.testing.assert_allclose(res.trial_ll[[0, 2]], ok.trial_ll, rtol=1e-13)
    np.testing.assert_allclose(res.xi_sum, ok.xi_sum, atol=1e-12)
    path = viterbi(Y, psi, A, L, dt)
    assert path.shape == (3, 5) and path.min() >= 0 and path.max() <= 1


def test_all_states_impossible_in_every_trial_single_state():
    """K = 1 with a zero rate and a spike: -inf, gamma finite."""
    Y = np.array([[[0], [2]]])
    res = e_step(Y, [1.0], [[1.0]], [[0.0]], 0.01)
    assert res.ll == -np.inf
    assert np.all(np.isfinite(res.gamma))


@pytest.mark.parametrize("seed", range(6))
def test_zero_rates_equal_brute_force(brute, make_model, make_counts, seed):
    """Some rates exactly 0 (states that forbid spikes): results still match enumeration."""
    rng = np.random.default_rng(seed)
    psi, A, L, dt = make_model(rng, 3, 2, rate_range=(0.1, 3.0))
    L[rng.random(L.shape) < 0.4] = 0.0
    L[:, 0] = np.maximum(L[:, 0], 1.0)  # state 0 can explain any data: finite ll
    Y = make_counts(rng, 2, 5, 2, mean=1.0)
    ref = brute(Y, psi, A, L, dt)
    res = e_step(Y, psi, A, L, dt, return_xi=True)
    assert np.isfinite(res.ll)
    np.testing.assert_allclose(res.ll, ref.ll, rtol=1e-10)
    np.testing.assert_allclose(res.gamma, ref.gamma, atol=1e-10)
    np.testing.assert_allclose(res.xi, ref.xi, atol=1e-10)
    assert_viterbi_optimal(viterbi(Y, psi, A, L, dt), ref)


def test_zero_counts_with_zero_rates_are_finite(brute):
    """All-zero data with some (even all) zero rates: finite ll matching enumeration."""
    Y = np.zeros((2, 4, 2), dtype=np.int64)
    psi = np.array([0.3, 0.7])
    A = np.array([[0.6, 0.4], [0.1, 0.9]])
    for L in (np.array([[0.0, 5.0], [3.0, 0.0]]), np.zeros((2, 2))):
        ref = brute(Y, psi, A, L, 0.1)
        res = e_step(Y, psi, A, L, 0.1)
        assert np.isfinite(res.ll)
        assert res.ll == pytest.approx(ref.ll, abs=1e-12)
        np.testing.assert_allclose(res.gamma, ref.gamma, atol=1e-12)
    res = e_step(Y, psi, A, np.zeros((2, 2)), 0.1)
    assert res.ll == 0.0  # zero rates and no spikes: probability 1


@pytest.mark.parametrize("dt", [1e-4, 0.5, 3.0])
def test_extreme_bin_widths_equal_brute_force(brute, dt):
    """Very short and very long bins: no loss of accuracy."""
    rng = np.random.default_rng(int(dt * 1e4))
    psi = rng.dirichlet(np.ones(2))
    A = rng.dirichlet(np.ones(2), size=2)
    L = rng.uniform(0.2, 5.0, size=(2, 2)) / dt
    Y = rng.poisson(2.0, size=(2, 5, 2))
    ref = brute(Y, psi, A, L, dt)
    res = e_step(Y, psi, A, L, dt)
    np.testing.assert_allclose(res.ll, ref.ll, rtol=1e-10)
    np.testing.assert_allclose(res.gamma, ref.gamma, atol=1e-10)
