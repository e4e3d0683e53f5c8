"""Learning: the closed-form M-step, the EM loop with restarts, label alignment."""

from __future__ import annotations

import itertools
import numbers
from dataclasses import dataclass, field

import numpy as np

from .inference import _e_step, _log_factorial_sum, _log_likelihood_trials
from .model import (
    _as_float_array,
    _check_expected_counts,
    check_A,
    check_counts,
    check_dt,
    check_int,
    check_L,
    check_psi,
    check_rng,
    check_seed,
)

__all__ = ["m_step", "fit_em", "EMResult", "align_states", "initial_params"]


def _check_posteriors(Y, gamma, xi_sum):
    """Validate ``gamma`` and ``xi_sum`` against ``Y``; return float arrays."""
    gamma = _as_float_array(gamma, "gamma", 3)
    n, T, _ = Y.shape
    if gamma.shape[:2] != (n, T) or gamma.shape[2] < 1:
        raise ValueError(
            f"gamma must have shape (n_trials, T, K) = ({n}, {T}, K) to match Y, got {gamma.shape}"
        )
    K = gamma.shape[2]
    xi_sum = _as_float_array(xi_sum, "xi_sum", 2)
    if xi_sum.shape != (K, K):
        raise ValueError(f"xi_sum must have shape (K, K) = ({K}, {K}), got {xi_sum.shape}")
    if gamma.min() < 0:
        raise ValueError("gamma has negative probabilities")
    if xi_sum.min() < 0:
        raise ValueError("xi_sum has negative expected counts")
    return gamma, xi_sum


def _sum_bins(gamma):
    """``gamma.sum(axis=(0, 1))`` as one BLAS product (4x faster for a short last axis).

    The order of the bins does not matter for a sum, so a transposed view of
    a contiguous time-major array (what :func:`helpers.e_step` returns) is
    summed in place, without a copy.
    """
    g = gamma if gamma.flags.c_contiguous else gamma.transpose(1, 0, 2)
    flat = g.reshape(-1, gamma.shape[-1])  # copies only if neither order is contiguous
    return np.ones(flat.shape[0]) @ flat


def _check_prev(params, C, K, name="prev"):
    """Validate a parameter tuple ``(psi, A, L)`` for K states and C neurons."""
    if not isinstance(params, (tuple, list)) or len(params) != 3:
        raise TypeError(f"{name} must be a tuple (psi, A, L)")
    psi = check_psi(params[0], f"{name} psi")
    if psi.size != K:
        raise ValueError(f"{name} psi has {psi.size} states, expected K = {K}")
    return psi, check_A(params[1], K, f"{name} A", against=f"{name} psi"), check_L(params[2], C, K, f"{name} L")


def _m_step(Y, gamma, xi_sum, dt, prev=None):
    """M-step on validated input; ``prev = (psi, A, L)`` fills unvisited states."""
    n, T, C = Y.shape
    K = gamma.shape[2]
    # initial distribution: average posterior of the first bin
    first = gamma[:, 0].sum(axis=0)
    total_first = first.sum()
    if total_first > 0:
        psi = first / total_first
    else:
        psi = prev[0].copy() if prev is not None else np.full(K, 1.0 / K)
    # transitions: expected counts i -> j over expected departures from i
    out = xi_sum.sum(axis=1, keepdims=True)
    visited = out[:, 0] > 0
    A = np.divide(xi_sum, out, out=np.zeros_like(xi_sum), where=out > 0)
    if not visited.all():
        A[~visited] = prev[1][~visited] if prev is not None else 1.0 / K
    # rates: expected spikes in state k over expected time spent in k (Hz)
    occupancy = _sum_bins(gamma)  # (K,) expected number of bins per state
    spikes = np.einsum("ntc,ntk->ck", Y, gamma, optimize=True)  # (C, K)
    seen = occupancy > 0
    L = np.divide(spikes, occupancy * dt, out=np.zeros_like(spikes), where=seen[None, :])
    if not seen.all():
        if prev is not None:
            L[:, ~seen] = prev[2][:, ~seen]
        else:
            L[:, ~seen] = (Y.sum(axis=(0, 1)) / (n * T * dt))[:, None]
    return psi, A, L


def m_step(Y, gamma, xi_sum, dt, prev=None):
    """Closed-form M-step: maximise the expected complete log-likelihood.

    .. math::

        \\psi_k = \\frac{1}{N}\\sum_n \\gamma_{n,1}(k), \\quad
        A_{ij} = \\frac{\\sum_{n,t} \\xi_{n,t}(i,j)}{\\sum_{n,t,j'} \\xi_{n,t}(i,j')}, \\quad
        \\lambda_{ck} = \\frac{\\sum_{n,t} \\gamma_{n,t}(k)\\, y_{n,t,c}}
                             {dt \\sum_{n,t} \\gamma_{n,t}(k)}

    Parameters
    ----------
    Y : array_like of int, shape (n_trials, T, C)
        Spike counts.
    gamma : array_like, shape (n_trials, T, K)
        Posterior state probabilities from the E-step.
    xi_sum : array_like, shape (K, K)
        Expected transition counts ``sum_{n,t} p(x[t]=i, x[t+1]=j | Y)``.
    dt : float
        Bin width in seconds.
    prev : tuple (psi, A, L), optional
        Previous parameters, used where the posteriors carry no information:
        a state with no expected departures (its row of ``xi_sum`` is 0: never
        visited, visited only in the last bin, or ``T = 1``) keeps its row of
        ``A``; a state with zero expected occupancy keeps its column of ``L``;
        if the first bins carry no posterior mass at all, ``psi`` is kept.
        Without ``prev`` the fallbacks are a uniform row of ``A``, each
        neuron's overall mean rate, and a uniform ``psi``. Either way nothing
        is NaN.

    Returns
    -------
    psi : ndarray, shape (K,)
        Initial state distribution.
    A : ndarray, shape (K, K)
        Transition matrix, ``A[i, j] = P(x[t+1] = j | x[t] = i)``.
    L : ndarray, shape (C, K)
        Firing rates in Hz.
    """
    Y = check_counts(Y)
    gamma, xi_sum = _check_posteriors(Y, gamma, xi_sum)
    dt = check_dt(dt)
    if prev is not None:
        prev = _check_prev(prev, Y.shape[2], gamma.shape[2])
    return _m_step(Y, gamma, xi_sum, dt, prev)


def initial_params(Y, K, dt, rng):
    """Data-driven starting values for EM.

    Each state's rates start at the mean counts of one randomly chosen
    stretch of ``min(T, 50)`` bins of one trial (so they lie in the data's
    range and differ from state to state), averaged half-and-half with each
    neuron's overall mean rate jittered by a factor 0.5 to 1.5, and floored at
    1 % of that mean (plus 1 mHz) so no rate starts at 0. ``A`` starts with a
    1 % chance of leaving each state per bin (split evenly over the other
    states), and ``psi`` uniform.

    Parameters
    ----------
    Y : array_like of int, shape (n_trials, T, C)
        Spike counts.
    K : int
        Number of states, >= 1.
    dt : float
        Bin width in seconds.
    rng : numpy.random.Generator
        Source of the random choices (a different generator state gives a
        different start: that is what restarts use).

    Returns
    -------
    psi : ndarray, shape (K,)
    A : ndarray, shape (K, K)
        ``A[i, j] = P(x[t+1] = j | x[t] = i)``.
    L : ndarray, shape (C, K)
        Firing rates in Hz.
    """
    return _initial_params(check_counts(Y), check_int(K, "K", 1), check_dt(dt), check_rng(rng))


def _initial_params(Y, K, dt, rng):
    """:func:`initial_params` on validated input."""
    n, T, C = Y.shape
    mean_rate = Y.mean(axis=(0, 1)) / dt  # (C,) Hz
    width = max(1, min(T, 50))
    L = np.empty((C, K))
    for k in range(K):
        trial = rng.integers(n)
        start = rng.integers(T - width + 1)
        L[:, k] = Y[trial, start:start + width].mean(axis=0) / dt
    L = 0.5 * L + 0.5 * mean_rate[:, None] * rng.uniform(0.5, 1.5, size=(C, K))
    L = np.maximum(L, 0.01 * mean_rate[:, None] + 1e-3)
    if K == 1:
        A = np.ones((1, 1))
    else:
        leave = 0.01
        A = np.full((K, K), leave / (K - 1))
        np.fill_diagonal(A, 1.0 - leave)
    psi = np.full(K, 1.0 / K)
    return psi, A, L


@dataclass
class EMResult:
    """Output of :func:`fit_em` (the best restart).

    Attributes
    ----------
    psi : ndarray, shape (K,)
    A : ndarray, shape (K, K)
        ``A[i, j] = P(x[t+1] = j | x[t] = i)``.
    L : ndarray, shape (C, K)
        Firing rates in Hz.
    lls : ndarray, shape (n_steps + 1,)
        Log-likelihood (total nats) before every M-step and after the last.
    converged : bool
        True if the last EM step changed the log-likelihood by at most
        ``tol * |lls[-1]|`` (a decrease within rounding counts too), also when
        that step was the ``n_iter``-th; False if ``n_iter`` ran out while the
        log-likelihood was still rising, or ``n_iter = 0``. It describes the
        kept restart.
    n_steps : int
        Number of M-steps taken.
    restart_lls : ndarray, shape (n_restarts,)
        Final log-likelihood of every restart, in the order they were run.
    best_restart : int
        Index of the restart that was kept.
    init : tuple (psi, A, L)
        Starting values of the kept restart.
    """

    psi: np.ndarray
    A: np.ndarray
    L: np.ndarray
    lls: np.ndarray
    converged: bool
    n_steps: int
    restart_lls: np.ndarray
    best_restart: int
    init: tuple = field(repr=False, default=())


def _run_em(Y, psi, A, L, dt, n_iter, tol, logfact):
    """EM from given starting values on validated input."""
    lls = []
    converged = False
    for _ in range(n_iter):
        post = _e_step(Y, psi, A, L, dt, logfact=logfact)
        lls.append(post.ll)
        if len(lls) > 1 and lls[-1] - lls[-2] <= tol * abs(lls[-1]):
            converged = True
            break
        psi, A, L = _m_step(Y, post.gamma, post.xi_sum, dt, prev=(psi, A, L))
    else:
        lls.append(_e_step(Y, psi, A, L, dt, logfact=logfact).ll)
        converged = len(lls) > 1 and lls[-1] - lls[-2] <= tol * abs(lls[-1])
    return psi, A, L, np.array(lls), converged


def fit_em(Y, K, dt, n_iter=200, tol=1e-7, n_restarts=1, seed=None, init=None):
    """Fit a Poisson HMM by expectation-maximisation.

    Parameters
    ----------
    Y : array_like of int, shape (n_trials, T, C)
        Spike counts.
    K : int
        Number of hidden states, >= 1.
    dt : float
        Bin width in seconds.
    n_iter : int, default 200
        Maximum number of M-steps per restart.
    tol : float, default 1e-7
        Stop as soon as one EM step raises the log-likelihood by at most
        ``tol * |log-likelihood|`` (relative change; ``lls[-1] - lls[-2] <=
        tol * abs(lls[-1])``).
    n_restarts : int, default 1
        Number of random starts; the one with the highest final
        log-likelihood is kept.
    seed : int or numpy.random.Generator, optional
        Seeds the data-driven starting values.
    init : tuple (psi, A, L), optional
        Starting values for the first restart (later restarts are random).

    Returns
    -------
    EMResult
        ``.psi``, ``.A``, ``.L`` (Hz), ``.lls`` (nats, before every M-step and
        after the last), ``.converged``, ``.restart_lls``, ...
    """
    Y = check_counts(Y)
    K = check_int(K, "K", 1)
    dt = check_dt(dt)
    n_iter = check_int(n_iter, "n_iter", 0)
    n_restarts = check_int(n_restarts, "n_restarts", 1)
    if isinstance(tol, bool) or not isinstance(tol, (numbers.Real, np.floating, np.integer)):
        raise TypeError(f"tol must be a number, got {type(tol).__name__}")
    if not np.isfinite(tol) or tol < 0:
        raise ValueError(f"tol must be a finite number >= 0, got {tol!r}")
    logfact = _log_factorial_sum(Y)
    if init is not None:
        psi0, A0, L0 = _check_prev(init, Y.shape[2], K, name="init")
        _check_expected_counts(L0, dt)
        if not np.isfinite(_log_likelihood_trials(Y, psi0, A0, L0, dt, logfact).sum()):
            raise ValueError(
                "init: the data are impossible under these parameters (a neuron spikes where "
                "every state the chain can be in has rate 0); EM cannot start there"
            )
    if isinstance(seed, bool) or not (
        seed is None or isinstance(seed, (numbers.Integral, np.integer, np.random.Generator))
    ):
        raise TypeError(f"seed must be None, an int or a numpy.random.Generator, got {type(seed).__name__}")
    rng = check_seed(seed)
    best = None
    finals = []
    for r in range(n_restarts):
        start = (psi0, A0, L0) if (init is not None and r == 0) else _initial_params(Y, K, dt, rng)
        psi, A, L, lls, conv = _run_em(Y, *start, dt, n_iter, float(tol), logfact)
        finals.append(lls[-1])
        if best is None or lls[-1] > best[3][-1]:
            best = (psi, A, L, lls, conv, r, start)
    psi, A, L, lls, conv, r, start = best
    return EMResult(
        psi=psi, A=A, L=L, lls=lls, converged=bool(conv), n_steps=len(lls) - 1,
        restart_lls=np.array(finals), best_restart=r, init=start,
    )


_ENUMERATE_UP_TO = 7


def align_states(L_true, L_est):
    """Permutation of estimated states that best matches the true ones.

    EM finds the states in an arbitrary order. This solves the assignment
    problem on the squared distance between rate vectors, ``cost[i, j] =
    sum_c (L_true[c, i] - L_est[c, j])**2``, exactly: by trying all ``K!``
    orders for ``K <= 7``, with the Hungarian algorithm
    (``scipy.optimize.linear_sum_assignment``) beyond.

    Parameters
    ----------
    L_true : array_like, shape (C, K)
        Reference firing rates in Hz.
    L_est : array_like, shape (C, K)
        Estimated firing rates in Hz.

    Returns
    -------
    p : ndarray of int, shape (K,)
        ``L_est[:, p]`` lines up with ``L_true``; reorder the rest with
        ``psi[p]`` and ``A[np.ix_(p, p)]``.
    """
    L_true = check_L(L_true, name="L_true")
    L_est = check_L(L_est, *L_true.shape, name="L_est")
    cost = ((L_true[:, :, None] - L_est[:, None, :]) ** 2).sum(axis=0)
    K = cost.shape[0]
    if K <= _ENUMERATE_UP_TO:
        # every order: at most 7! = 5040, faster than importing scipy.optimize (0.3 s)
        orders = np.array(list(itertools.permutations(range(K))), dtype=np.intp).reshape(-1, K)
        return orders[np.argmin(cost[np.arange(K), orders].sum(axis=1))]
    from scipy.optimize import linear_sum_assignment

    rows, cols = linear_sum_assignment(cost)
    return cols[np.argsort(rows)]
