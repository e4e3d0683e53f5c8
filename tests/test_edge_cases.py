"""Edge cases found in review: each once gave a traceback, a NaN or a wrong number."""

import itertools

import numpy as np
import pytest
from scipy.special import gammaln, logsumexp
from scipy.stats import poisson

import helpers
from helpers.diagnostics import _ecll, _stats


def _brute_ll(Y, psi, A, L, dt):
    """log p(Y) by enumerating every path of every trial (tiny models only)."""
    n, T, C = Y.shape
    K = len(psi)
    total = 0.0
    with np.errstate(divide="ignore"):
        lpsi, lA = np.log(psi), np.log(A)
    for y in Y:
        terms = []
        for path in itertools.product(range(K), repeat=T):
            lp = lpsi[path[0]] + sum(lA[path[t], path[t + 1]] for t in range(T - 1))
            lp += sum(poisson.logpmf(y[t], L[:, path[t]] * dt).sum() for t in range(T))
            terms.append(lp)
        total += logsumexp(terms)
    return total


@pytest.mark.parametrize("y", [175, 176, 177, 300])
def test_unreachable_state_dominating_by_700_nats_keeps_full_precision(y):
    """c[t] subnormal (not 0) used to lose digits; it now goes to the exact path."""
    Y = np.array([[[y], [y], [y]]])
    psi, A = np.array([1.0, 0.0]), np.array([[1.0, 0.0], [0.5, 0.5]])  # state 2 unreachable
    L = np.array([[1.0, y / 0.1]])  # state 2 fits the counts perfectly
    want = _brute_ll(Y, psi, A, L, 0.1)
    assert helpers.log_likelihood(Y, psi, A, L, 0.1) == pytest.approx(want, rel=1e-12)
    assert helpers.e_step(Y, psi, A, L, 0.1).ll == pytest.approx(want, rel=1e-12)


def test_zero_probability_state_is_never_sampled_when_rows_sum_to_almost_1():
    p = np.array([0.5, 0.5 - 9e-7, 0.0])  # sums to 1 within the 1e-6 tolerance
    states = helpers.sample_states(p, np.tile(p, (3, 1)), 20000, 50, np.random.default_rng(0))
    assert not (states == 2).any()


def test_ecll_matches_its_formula_for_unnormalised_weights():
    d = helpers.tutorial_data(n_trials=3, T=40, seed=5)
    Y, psi, A, L, dt = d["Y"], d["psi"], d["A"], d["L"], d["dt"]
    g = np.random.default_rng(1).random((3, 40, 3))
    xi = np.random.default_rng(2).random((3, 3))
    log_p = poisson.logpmf(Y[..., None], (L * dt)[None, None]).sum(axis=2)  # (n, T, K)
    want = (g[:, 0] @ np.log(psi)).sum() + (xi * np.log(A)).sum() + (g * log_p).sum()
    assert helpers.expected_complete_ll(Y, g, xi, psi, A, L, dt) == pytest.approx(want, rel=1e-12)


def test_initial_params_validates_and_gives_positive_rates():
    Y = helpers.tutorial_data(n_trials=4, T=100, seed=1)["Y"]
    psi, A, L = helpers.initial_params(Y.tolist(), 3, 0.002, np.random.default_rng(0))
    assert psi.shape == (3,) and A.shape == (3, 3) and L.shape == (5, 3) and (L > 0).all()
    np.testing.assert_allclose(A.sum(axis=1), 1.0)
    with pytest.raises(ValueError, match=r"\bK\b"):
        helpers.initial_params(Y, 0, 0.002, np.random.default_rng(0))
    with pytest.raises(TypeError, match=r"\brng\b"):
        helpers.initial_params(Y, 3, 0.002, 0)
    with pytest.raises(ValueError, match=r"\bdt\b"):
        helpers.initial_params(Y, 3, -0.002, np.random.default_rng(0))


def test_em_refuses_to_start_where_the_data_are_impossible():
    d = helpers.tutorial_data(n_trials=3, T=50, seed=2)
    Y, psi, A, L, dt = d["Y"], d["psi"], d["A"], d["L"], d["dt"]
    with pytest.raises(ValueError, match=r"\binit\b.*impossible"):
        helpers.fit_em(Y, 3, dt, n_iter=5, init=(psi, A, np.zeros_like(L)))
    with pytest.raises(ValueError, match=r"\bL\b.*impossible"):
        helpers.scan_ll_ecll(Y, psi, A, np.zeros_like(L), dt, n_epochs=1)


def test_recovery_error_refuses_a_different_number_of_states():
    psi, A, L, _ = helpers.tutorial_model()
    with pytest.raises(ValueError, match="states"):
        helpers.recovery_error((psi, A, L), (psi[:2] / psi[:2].sum(), np.eye(2), L[:, :2]))


def test_teaching_forward_names_an_impossible_bin():
    d = helpers.tutorial_data(n_trials=2, T=20, seed=3)
    obs = helpers.emission_likelihood(d["Y"], d["L"], d["dt"])
    obs[1, 10] = 0.0
    with pytest.raises(ValueError, match=r"obs: trial 1, bin 10"):
        helpers.forward(obs, d["psi"], d["A"])


@pytest.mark.parametrize("seed, exc", [("a", TypeError), (-1, ValueError), (1.5, TypeError)])
def test_tutorial_seeds_are_validated(seed, exc):
    with pytest.raises(exc, match="seed"):
        helpers.tutorial_data(n_trials=2, T=3, seed=seed)
    with pytest.raises(exc, match="seed"):
        helpers.tutorial_model(seed=seed)


def test_scan_refuses_an_infinite_range():
    d = helpers.tutorial_data(n_trials=2, T=20, seed=4)
    with pytest.raises(ValueError, match="b_range"):
        helpers.scan_ll_ecll(d["Y"], d["psi"], d["A"], d["L"], d["dt"], n_epochs=1,
                             b_range=(-np.inf, np.inf))


def test_expected_counts_beyond_float_range_are_refused():
    psi, A, L, dt = helpers.tutorial_model()
    states = np.zeros((1, 3), dtype=int)
    with pytest.raises(ValueError, match=r"L \* dt"):
        helpers.sample_spikes(states, L * 1e20, dt, np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"L \* dt"):
        helpers.log_likelihood(np.zeros((1, 3, 5), int), psi, A, L, 1e307)


def test_transposed_rates_are_called_transposed():
    psi, A, L, dt = helpers.tutorial_model()
    with pytest.raises(ValueError, match="transposed"):
        helpers.e_step(np.zeros((1, 4, 5), int), psi, A, L.T, dt)


def test_explorer_arguments_are_validated():
    from helpers import widgets

    d = helpers.tutorial_data(n_trials=2, T=50, seed=6)
    args = (d["Y"], d["psi"], d["A"], d["L"], d["dt"])
    for bad in (-1, 0, float("nan"), "a"):
        with pytest.raises(ValueError, match="window"):
            widgets.explore_posteriors(*args, window=bad)
    ex = widgets.explore_simulation(n_trials=2, T=20, seed=100)  # a seed above the slider's usual range
    assert ex.controls["seed"].value == 100
    scans = helpers.scan_ll_ecll(*args, n_epochs=2, n_points=3)
    assert widgets.explore_em_epochs(None, None, None, None, None, scans=iter(scans)).controls["step"].max == 2
