"""Shared fixtures for the tests of ``helpers``.

The centrepiece is :func:`brute_force`, an enumerator over all ``K**T`` hidden
state paths. It shares no code with ``helpers``: emission log-probabilities
come from ``scipy.stats.poisson.logpmf``, and every quantity (log-likelihood,
posteriors, pairwise posteriors, Viterbi path, posterior entropy, expected
complete log-likelihood) is a plain weighted sum over explicit paths. It is
only feasible for tiny models (``K**T`` up to a few thousand paths).

Fixtures are session-scoped (they only hand out functions), so they can be
used together with hypothesis' ``@given``.
"""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import os

import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import poisson

import sys
from pathlib import Path

from hypothesis import settings as _hypothesis_settings

# The repository first on sys.path: tests import `helpers` and `tools` from this checkout.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# In CI every run must try the same examples (a failure must reproduce);
# locally hypothesis explores new ones each run.
_hypothesis_settings.register_profile("ci", derandomize=True, deadline=None)
if os.environ.get("CI"):
    _hypothesis_settings.load_profile("ci")


def _log(x):
    """Elementwise log with log(0) = -inf and no warning."""
    x = np.asarray(x, dtype=float)
    out = np.full(x.shape, -np.inf)
    np.log(x, out=out, where=x > 0)
    return out


def all_paths(K, T):
    """Every state path of length ``T`` over ``K`` states, shape ``(K**T, T)``."""
    return np.array(list(itertools.product(range(K), repeat=T)), dtype=np.int64).reshape(-1, T)


def path_log_joint(y, psi, A, L, dt, paths):
    """``log p(x, y)`` of one trial for every path.

    Parameters
    ----------
    y : ndarray (T, C) counts of one trial
    psi, A, L, dt : model (``L`` in Hz, shape (C, K))
    paths : ndarray (P, T)

    Returns
    -------
    ndarray (P,)
    """
    y = np.asarray(y)
    T, C = y.shape
    K = len(psi)
    # log_em[t, k] = sum_c log Poisson(y[t, c]; L[c, k] dt), straight from scipy
    log_em = np.zeros((T, K))
    for t in range(T):
        for k in range(K):
            log_em[t, k] = sum(poisson.logpmf(int(y[t, c]), L[c][k] * dt) for c in range(C))
    lp = _log(psi)[paths[:, 0]]
    if T > 1:
        lp = lp + _log(A)[paths[:, :-1], paths[:, 1:]].sum(axis=1)
    lp = lp + log_em[np.arange(T)[None, :], paths].sum(axis=1)
    return lp


def brute_force(Y, psi, A, L, dt):
    """Exact inference by enumerating all ``K**T`` paths of every trial.

    Returns
    -------
    SimpleNamespace with
        ``ll`` (total), ``trial_ll`` (n,), ``gamma`` (n, T, K),
        ``xi`` (n, T-1, K, K), ``xi_sum`` (K, K), ``viterbi`` (n, T) (one
        most probable path; counts can tie), ``viterbi_ll`` (n,) its log joint,
        ``viterbi_runner_up`` (n,) the next best path's log joint,
        ``path_ll(paths)`` log joint of given paths (n, T) -> (n,),
        ``entropy`` (total posterior entropy of the paths, nats),
        ``Q(psi, A, L)``: expected complete log-likelihood
        ``sum_n sum_x p(x | y_n, theta) log p(x, y_n | theta')`` at ``theta'``
        with posteriors fixed at the ``theta`` given here.
    Trials with probability 0 get ``trial_ll = -inf`` and zero posteriors.
    """
    Y = np.asarray(Y)
    psi = np.asarray(psi, dtype=float)
    A = np.asarray(A, dtype=float)
    L = np.asarray(L, dtype=float)
    n, T, C = Y.shape
    K = psi.size
    paths = all_paths(K, T)
    trial_ll = np.empty(n)
    gamma = np.zeros((n, T, K))
    xi = np.zeros((n, max(T - 1, 0), K, K))
    vit = np.zeros((n, T), dtype=np.int64)
    vit_ll = np.full(n, -np.inf)
    runner_up = np.full(n, -np.inf)
    all_lj = []
    entropy = 0.0
    weights = []
    for i in range(n):
        lj = path_log_joint(Y[i], psi, A, L, dt, paths)
        all_lj.append(lj)
        best = int(np.argmax(lj))
        vit[i] = paths[best]
        vit_ll[i] = lj[best]
        if lj.size > 1:
            runner_up[i] = np.max(np.delete(lj, best))
        if not np.isfinite(lj).any():
            trial_ll[i] = -np.inf
            weights.append(None)
            continue
        ll = logsumexp(lj)
        trial_ll[i] = ll
        w = np.zeros_like(lj)
        ok = np.isfinite(lj)
        w[ok] = np.exp(lj[ok] - ll)
        weights.append(w)
        pos = w > 0
        entropy -= float(np.sum(w[pos] * np.log(w[pos])))
        for t in range(T):
            for k in range(K):
                gamma[i, t, k] = w[paths[:, t] == k].sum()
        for t in range(T - 1):
            for a in range(K):
                for b in range(K):
                    xi[i, t, a, b] = w[(paths[:, t] == a) & (paths[:, t + 1] == b)].sum()

    def Q(psi2, A2, L2):
        total = 0.0
        for i in range(n):
            w = weights[i]
            if w is None:
                continue
            lj2 = path_log_joint(Y[i], psi2, A2, L2, dt, paths)
            pos = w > 0
            if np.any(np.isneginf(lj2[pos])):
                return -np.inf
            total += float(np.sum(w[pos] * lj2[pos]))
        return total

    def path_ll(path):
        """log p(x, y_n) of the given path of every trial, shape (n,)."""
        path = np.asarray(path)
        index = np.ravel_multi_index(tuple(path.T), (K,) * T)  # paths are in lexicographic order
        return np.array([all_lj[i][index[i]] for i in range(n)])

    return SimpleNamespace(
        ll=float(trial_ll.sum()),
        viterbi_ll=vit_ll,
        viterbi_runner_up=runner_up,
        path_ll=path_ll,
        trial_ll=trial_ll,
        gamma=gamma,
        xi=xi,
        xi_sum=xi.sum(axis=(0, 1)),
        viterbi=vit,
        entropy=entropy,
        Q=Q,
    )


def ecll_reference(Y, gamma, xi_sum, psi, A, L, dt):
    """Expected complete log-likelihood Q from posteriors, written out term by term.

    ``Q = sum_k g0[k] log psi[k] + sum_ij xi_sum[i, j] log A[i, j]
    + sum_{n,t,k} gamma[n,t,k] sum_c log Poisson(Y[n,t,c]; L[c,k] dt)``
    with ``0 * log 0 = 0`` (scipy.stats for the Poisson term).
    """
    Y = np.asarray(Y)
    gamma = np.asarray(gamma, dtype=float)
    xi_sum = np.asarray(xi_sum, dtype=float)
    rate = np.asarray(L, dtype=float) * dt  # (C, K)
    log_em = poisson.logpmf(Y[:, :, :, None], rate[None, None, :, :]).sum(axis=2)  # (n, T, K)

    def wsum(w, logp):
        pos = w > 0
        if np.any(np.isneginf(logp[pos])):
            return -np.inf
        return float(np.sum(w[pos] * logp[pos]))

    return (
        wsum(gamma[:, 0].sum(axis=0), _log(psi))
        + wsum(xi_sum, _log(A))
        + wsum(gamma, log_em)
    )


def random_model(rng, K, C, dt=None, rate_range=(0.05, 6.0), sparse=False):
    """A random valid parameter set (not made with helpers).

    Parameters
    ----------
    rng : numpy.random.Generator
    K, C : int
    dt : float, optional
        Bin width; drawn log-uniformly in [1 ms, 200 ms] if not given.
    rate_range : (float, float)
        Range of the *expected counts per bin* ``L * dt``.
    sparse : bool
        Zero some transition probabilities (every row keeps at least one).

    Returns
    -------
    psi (K,), A (K, K), L (C, K) in Hz, dt
    """
    if dt is None:
        dt = float(np.exp(rng.uniform(np.log(1e-3), np.log(0.2))))
    psi = rng.dirichlet(np.ones(K))
    A = rng.dirichlet(np.ones(K), size=K)
    if sparse and K > 1:
        mask = rng.random((K, K)) < 0.4
        mask[np.arange(K), rng.integers(K, size=K)] = False  # keep >= 1 entry per row
        A[mask] = 0.0
        A /= A.sum(axis=1, keepdims=True)
    lo, hi = rate_range
    L = rng.uniform(lo, hi, size=(C, K)) / dt
    return psi, A, L, dt


def random_counts(rng, n, T, C, mean=2.0):
    """Poisson counts with random means per trial, bin and neuron (int64)."""
    return rng.poisson(rng.uniform(0.0, 2.0 * mean, size=(n, T, C))).astype(np.int64)


@pytest.fixture(scope="session")
def brute():
    """The brute-force path enumerator :func:`brute_force`."""
    return brute_force


@pytest.fixture(scope="session")
def ecll_ref():
    """The independent expected complete log-likelihood :func:`ecll_reference`."""
    return ecll_reference


@pytest.fixture(scope="session")
def make_model():
    """Factory :func:`random_model` for random valid parameters."""
    return random_model


@pytest.fixture(scope="session")
def make_counts():
    """Factory :func:`random_counts` for random spike counts."""
    return random_counts


@pytest.fixture
def rng():
    """A freshly seeded generator for every test."""
    return np.random.default_rng(20240601)

