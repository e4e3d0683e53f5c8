"""Inference: forward-backward (E-step), data log-likelihood, Viterbi decoding.

The forward-backward pass works with *scaled* messages: at every bin the
forward vector is divided by its sum ``c[t]``, so the numbers stay near 1 no
matter how long the recording is, and ``log p(Y) = sum_t log c[t]``.

Two choices keep it fast in plain numpy:

* everything that does not depend on the previous bin (the Poisson emission
  probabilities of every bin, trial and state) is computed once, outside the
  time loop, with one matrix product;
* the arrays are stored *time-major*, ``(T, n_trials, K)``, so each step of
  the loop reads and writes one contiguous block and does one small
  ``(n_trials, K) @ (K, K)`` product for all trials at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .model import _as_float_array, check_A, check_counts, check_dt, check_L, check_params, check_psi, log_factorial

__all__ = [
    "EStepResult",
    "e_step",
    "log_likelihood",
    "viterbi",
    "emission_likelihood",
    "forward",
    "backward",
]


@dataclass
class EStepResult:
    """Output of :func:`e_step`.

    Attributes
    ----------
    ll : float
        Total data log-likelihood ``log p(Y)`` in nats, summed over trials;
        ``-inf`` when the data are impossible under the parameters.
    gamma : ndarray, shape (n_trials, T, K)
        Posterior state probabilities ``p(x[t] = k | Y)``. Zero for a trial
        whose data are impossible (its ``trial_ll`` is ``-inf``).
    xi_sum : ndarray, shape (K, K)
        Expected transition counts ``sum_{n,t} p(x[t] = i, x[t+1] = j | Y)``.
    trial_ll : ndarray, shape (n_trials,)
        Log-likelihood of every trial in nats.
    xi : ndarray, shape (n_trials, T-1, K, K) or None
        Pairwise posteriors, only with ``return_xi=True``.
    """

    ll: float
    gamma: np.ndarray
    xi_sum: np.ndarray
    trial_ll: np.ndarray
    xi: np.ndarray | None = field(default=None, repr=False)


def _log_factorial_sum(Y):
    """``sum_{t,c} log(Y[n, t, c]!)`` for every trial, shape (n_trials,).

    Only counts of 2 or more contribute (``log 0! = log 1! = 0``), so for
    sparse spiking this touches few entries.
    """
    flat = Y.reshape(Y.shape[0], -1)
    idx = np.flatnonzero(flat > 1)
    weights = log_factorial(flat.ravel()[idx])
    return np.bincount(idx // flat.shape[1], weights=weights, minlength=Y.shape[0])


def _max_last(x):
    """``x.max(axis=-1)`` for a short last axis, as a chain of ``np.maximum``.

    numpy's reduction over a length-3 last axis is ~15x slower than this.
    """
    K = x.shape[-1]
    if K > 16:
        return x.max(axis=-1)
    out = x[..., 0].copy()
    for k in range(1, K):
        np.maximum(out, x[..., k], out=out)
    return out


def _log_rate(L, dt):
    """``log(L dt)`` with 0 where the rate is 0, and the mask of those zeros."""
    rate = L * dt
    zero = rate <= 0
    log_rate = np.log(np.where(zero, 1.0, rate))
    log_rate[zero] = 0.0
    return rate, log_rate, zero


def log_emission(Y, L, dt, time_major=False):
    """Poisson log-probability of every bin under every state.

    The term ``-sum_c log(y!)`` does not depend on the state and is left out;
    :func:`_log_factorial_sum` supplies it where a likelihood needs it.

    Parameters
    ----------
    Y : ndarray of float, shape (n_trials, T, C)
        Validated spike counts.
    L : ndarray, shape (C, K)
        Firing rates in Hz. Several parameter sets can be stacked side by
        side as ``(C, G*K)``; the result then has ``G*K`` columns.
    dt : float
        Bin width in seconds.
    time_major : bool
        Return shape ``(T, n_trials, K)`` instead.

    Returns
    -------
    log_obs : ndarray, shape (n_trials, T, K)
        ``sum_c [Y log(L dt) - L dt]``, in nats; ``-inf`` where a neuron
        spikes in a state whose rate for it is 0.
    """
    rate, log_rate, zero = _log_rate(L, dt)
    Yv = Y.transpose(1, 0, 2) if time_major else Y
    log_obs = Yv @ log_rate
    log_obs -= rate.sum(axis=0)
    if zero.any():
        # a spike in a state whose rate is exactly 0 has probability 0
        impossible = (Yv > 0).astype(np.float64) @ zero.astype(np.float64) > 0
        log_obs[impossible] = -np.inf
    return log_obs


_TINY = np.finfo(np.float64).tiny

#: Below this many nats in magnitude, exp() of a log-emission can neither
#: overflow nor come near underflow, so no per-bin rescaling is needed.
_SAFE_LOG = 300.0


def _scaled_emission(Y, Ls, dt):
    """Time-major emission probabilities for one or several rate matrices.

    Parameters
    ----------
    Y : ndarray, shape (n_trials, T, C)
    Ls : sequence of G ndarrays, each (C, K)
        Firing rates (Hz) of G parameter sets.
    dt : float

    Returns
    -------
    obs : ndarray, shape (G, T, n_trials, K)
        ``exp(log_obs - shift)``, each set's block contiguous and time-major. Where every entry is moderate (within
        ``_SAFE_LOG`` nats) ``shift`` is 0; otherwise it is the per-bin
        maximum over states, so the largest entry of each bin is 1 (all 0 where
        every state is impossible).
    shift_sum : ndarray, shape (G, n_trials)
        ``sum_t shift`` (nats), to add back to the log-likelihood.
    """
    n, T, _ = Y.shape
    G, K = len(Ls), Ls[0].shape[1]
    Yt = Y.transpose(1, 0, 2)
    obs = np.empty((G, T, n, K))
    for g, L in enumerate(Ls):
        rate, log_rate, zero = _log_rate(L, dt)
        og = obs[g]
        np.matmul(Yt, log_rate, out=og)
        og -= rate.sum(axis=0)
        if zero.any():
            # a spike in a state whose rate is exactly 0 has probability 0
            og[(Yt > 0).astype(np.float64) @ zero.astype(np.float64) > 0] = -np.inf
    if obs.min() > -_SAFE_LOG and obs.max() < _SAFE_LOG:
        np.exp(obs, out=obs)
        return obs, np.zeros((G, n))
    shift = _max_last(obs)  # (G, T, n)
    shift[~np.isfinite(shift)] = 0.0
    obs -= shift[..., None]
    np.exp(obs, out=obs)
    return obs, shift.sum(axis=1)


def _forward(obs, psi, A, keep_alpha=True):
    """Scaled forward pass over all trials (and parameter sets) at once.

    Parameters
    ----------
    obs : ndarray, shape (G, T, n_trials, K)
        Emission probabilities of G parameter sets (G = 1 for one model).
    psi : ndarray, shape (G, 1, K)
    A : ndarray, shape (G, K, K)
    keep_alpha : bool
        Store every scaled forward vector (needed for posteriors).

    Returns
    -------
    alpha : ndarray, shape (T, G, n_trials, K) or None
        ``p(x[t] | Y[:t+1])``: sums to 1 over the last axis.
    c : ndarray, shape (T, G, n_trials, 1)
        Normalisers ``p(Y[t] | Y[:t])`` (times the emission scale).
    """
    G, T, n, K = obs.shape
    c = np.empty((T, G, n, 1))
    alpha = np.empty((T if keep_alpha else 2, G, n, K))
    if G == 1:  # one model: 2-D views, where np.dot costs half of a stacked np.matmul
        _forward_loop(obs[0], psi[0, 0], A[0], alpha[:, 0], c[:, 0], np.dot, keep_alpha)
    else:
        _forward_loop(obs.transpose(1, 0, 2, 3), psi, A, alpha, c, np.matmul, keep_alpha)
    return (alpha if keep_alpha else None), c


def _forward_loop(obs, psi, A, alpha, c, product, keep_alpha):
    """The scaled forward recursion, in place; every array is indexed by time first.

    Per step: one product with the transition matrix (or a stack of them), one
    product with the emissions, one sum (a product with ones: faster than .sum
    over short rows) and one division, all in place.
    """
    T, K = obs.shape[0], obs.shape[-1]
    ones = np.ones((K, 1))
    np.multiply(psi, obs[0], out=alpha[0])
    product(alpha[0], ones, out=c[0])
    alpha[0] /= c[0]
    for t in range(1, T):
        i, j = (t, t - 1) if keep_alpha else (t % 2, (t - 1) % 2)
        a = alpha[i]
        product(alpha[j], A, out=a)
        a *= obs[t]
        ct = c[t]
        product(a, ones, out=ct)
        a /= ct


def _backward(obs_over_c, A):
    """Scaled backward pass; ``obs_over_c[t] = obs[t] / c[t]``.

    Returns
    -------
    beta : ndarray, shape (T, n_trials, K)
        ``p(Y[t+1:] | x[t]) / p(Y[t+1:] | Y[:t+1])``.
    """
    T, n, K = obs_over_c.shape
    beta = np.empty((T, n, K))
    beta[T - 1] = 1.0
    AT = A.T.copy()
    tmp = np.empty((n, K))
    for t in range(T - 2, -1, -1):
        np.multiply(obs_over_c[t + 1], beta[t + 1], out=tmp)
        np.dot(tmp, AT, out=beta[t])
    return beta


def _logsumexp(x, axis):
    """``log(sum(exp(x)))`` along ``axis``; ``-inf`` where every term is ``-inf``."""
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return np.squeeze(out, axis=axis)


def _log_space_e_step(log_obs, psi, A, posteriors=True):
    """Exact forward-backward in log space, for the few trials the scaled pass cannot resolve.

    The scaled pass rescales every bin by its best state's emission. When a
    state that cannot be reached (zero in ``psi`` or ``A``) beats every
    reachable one by more than ~745 nats, the reachable terms round to 0 and
    the trial looks impossible although it is not. Those trials are redone
    here, slowly but exactly.

    Parameters
    ----------
    log_obs : ndarray, shape (T, n, K)
        Log-emissions (without ``log y!``), time-major.
    psi, A : ndarray
    posteriors : bool
        Also return ``gamma`` and the summed ``xi``.

    Returns
    -------
    ll : ndarray (n,)
        Log-likelihood without the ``log y!`` term; ``-inf`` if truly impossible.
    gamma : ndarray (T, n, K) or None
        Zero for impossible trials.
    xi : ndarray (T-1, n, K, K) or None
        Pairwise posteriors; zero for impossible trials.
    """
    T, n, K = log_obs.shape
    with np.errstate(divide="ignore"):
        log_psi, log_A = np.log(psi), np.log(A)
    la = np.empty((T, n, K))
    la[0] = log_psi + log_obs[0]
    for t in range(1, T):
        la[t] = _logsumexp(la[t - 1][:, :, None] + log_A, axis=1) + log_obs[t]
    ll = _logsumexp(la[-1], axis=1)
    if not posteriors:
        return ll, None, None
    lb = np.zeros((T, n, K))
    for t in range(T - 2, -1, -1):
        lb[t] = _logsumexp(log_A + (log_obs[t + 1] + lb[t + 1])[:, None, :], axis=2)
    ok = np.isfinite(ll)
    norm = np.where(ok, ll, 0.0)
    with np.errstate(invalid="ignore"):
        gamma = np.where(ok[None, :, None], np.exp(la + lb - norm[None, :, None]), 0.0)
        w = la[:-1, :, :, None] + log_A + (log_obs[1:] + lb[1:])[:, :, None, :] - norm[None, :, None, None]
        xi = np.where(ok[None, :, None, None], np.exp(w), 0.0)  # (T-1, n, K, K)
    return ll, np.nan_to_num(gamma, nan=0.0), np.nan_to_num(xi, nan=0.0)


def _trial_ll(c, shift_sum, logfact_sum):
    """Per-trial log-likelihood from normalisers; -inf where c hit 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ll = np.log(c).sum(axis=0) + shift_sum - logfact_sum
    # c at or below the smallest normal float has lost digits (or is 0): such a
    # trial is impossible or needs the exact log-space pass
    bad = ~(np.all(c >= _TINY, axis=0) & np.isfinite(ll))
    ll[bad] = -np.inf
    return ll, bad


def _e_step(Y, psi, A, L, dt, return_xi=False, logfact=None):
    """E-step on validated input (see :func:`e_step`)."""
    obs4, shift_sum = _scaled_emission(Y, [L], dt)
    if logfact is None:
        logfact = _log_factorial_sum(Y)
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha4, c4 = _forward(obs4, psi[None, None], A[None])
        obs, alpha, c = obs4[0], alpha4[:, 0], c4[:, 0, :, 0]  # (T, n, K), (T, n)
        trial_ll, bad = _trial_ll(c, shift_sum[0], logfact)
        c_safe = np.where(c > 0, c, 1.0)
        obs /= c_safe[:, :, None]  # obs now holds obs[t] / c[t]
        if bad.any():
            alpha[:, bad] = 0.0
            obs[:, bad] = 0.0
        beta = _backward(obs, A)
    if bad.any():
        beta[:, bad] = 0.0
    K = psi.size
    obs *= beta  # obs[t] / c[t] * beta[t]: the "future" factor of xi
    xi_sum = A * (alpha[:-1].reshape(-1, K).T @ obs[1:].reshape(-1, K))
    xi = None
    if return_xi:
        xi = alpha[:-1, :, :, None] * A * obs[1:, :, None, :]  # (T-1, n, K, K)
        xi = np.ascontiguousarray(xi.transpose(1, 0, 2, 3))
    alpha *= beta  # alpha now holds gamma, time-major
    if bad.any():  # impossible, or merely beyond the scaled pass's range: decide exactly
        rows = np.flatnonzero(bad)
        ll_log, gamma_log, xi_log = _log_space_e_step(
            log_emission(Y[rows], L, dt, time_major=True), psi, A)
        trial_ll[rows] = ll_log - logfact[rows]
        alpha[:, rows] = gamma_log
        xi_sum = xi_sum + xi_log.sum(axis=(0, 1))
        if return_xi:
            xi[rows] = xi_log.transpose(1, 0, 2, 3)
    gamma = alpha.transpose(1, 0, 2)  # a view of the time-major array: no copy
    return EStepResult(
        ll=float(trial_ll.sum()), gamma=gamma, xi_sum=xi_sum, trial_ll=trial_ll, xi=xi
    )


def e_step(Y, psi, A, L, dt, return_xi=False):
    """Forward-backward: posteriors and log-likelihood of a Poisson HMM.

    Parameters
    ----------
    Y : array_like of int, shape (n_trials, T, C)
        Spike counts per bin.
    psi : array_like, shape (K,)
        Initial state distribution.
    A : array_like, shape (K, K)
        Transition matrix, ``A[i, j] = P(x[t+1] = j | x[t] = i)``.
    L : array_like, shape (C, K)
        Firing rates in Hz.
    dt : float
        Bin width in seconds.
    return_xi : bool, default False
        Also return the full pairwise posteriors ``xi`` (memory grows as
        ``n_trials * T * K**2``: for teaching and small data only).

    Returns
    -------
    EStepResult
        ``.ll`` total log-likelihood (nats), ``.gamma`` ``(n_trials, T, K)``,
        ``.xi_sum`` ``(K, K)`` expected transition counts, ``.trial_ll``
        ``(n_trials,)``, and ``.xi`` ``(n_trials, T-1, K, K)`` if asked for.

    Notes
    -----
    A trial whose data are impossible under the parameters (a spike where
    every reachable state has rate 0) gets ``trial_ll = -inf``, zero
    ``gamma`` and no share of ``xi_sum``; nothing is NaN.
    """
    Y, psi, A, L, dt = check_params(Y, psi, A, L, dt)
    return _e_step(Y, psi, A, L, dt, return_xi=return_xi)


def _log_likelihood_trials(Y, psi, A, L, dt, logfact=None):
    """Per-trial log-likelihood (nats) on validated input; forward pass only."""
    return _log_likelihood_many(Y, [(psi, A, L)], dt, logfact, per_trial=True)[0]


def _log_likelihood_many(Y, thetas, dt, logfact=None, per_trial=False, max_elements=2**24):
    """Log-likelihood of ``Y`` under each of several parameter sets.

    The sets share one time loop: each step multiplies a stack of forward
    vectors by a stack of transition matrices in one call.

    Parameters
    ----------
    Y : ndarray, shape (n_trials, T, C)
        Validated counts.
    thetas : list of (psi, A, L)
        Validated parameter sets with the same K.
    per_trial : bool
        Return ``(len(thetas), n_trials)`` instead of totals.
    max_elements : int
        Largest emission array (``G * T * n_trials * K``) built at once; the
        sets are processed in chunks below it.

    Returns
    -------
    ndarray, shape (len(thetas),) or (len(thetas), n_trials)
    """
    if logfact is None:
        logfact = _log_factorial_sum(Y)
    n, T, _ = Y.shape
    K = thetas[0][0].size
    per_chunk = max(1, max_elements // (n * T * K))
    out = []
    for s in range(0, len(thetas), per_chunk):
        group = thetas[s:s + per_chunk]
        obs, shift_sum = _scaled_emission(Y, [th[2] for th in group], dt)
        psi = np.stack([th[0] for th in group])[:, None, :]
        A = np.stack([th[1] for th in group])
        with np.errstate(divide="ignore", invalid="ignore"):
            _, c = _forward(obs, psi, A, keep_alpha=False)
        for g, (psi_g, A_g, L_g) in enumerate(group):
            trial_ll, bad = _trial_ll(c[:, g, :, 0], shift_sum[g], logfact)
            if bad.any():  # impossible, or beyond the scaled pass's range: decide exactly
                rows = np.flatnonzero(bad)
                ll_log, _, _ = _log_space_e_step(
                    log_emission(Y[rows], L_g, dt, time_major=True), psi_g, A_g, posteriors=False)
                trial_ll[rows] = ll_log - logfact[rows]
            out.append(trial_ll)
    out = np.array(out)
    return out if per_trial else out.sum(axis=1)


def log_likelihood(Y, psi, A, L, dt, per_trial=False):
    """Data log-likelihood ``log p(Y)`` of a Poisson HMM (forward pass only).

    Parameters
    ----------
    Y : array_like of int, shape (n_trials, T, C)
        Spike counts.
    psi : array_like, shape (K,)
        Initial state distribution.
    A : array_like, shape (K, K)
        Transition matrix, ``A[i, j] = P(x[t+1] = j | x[t] = i)``.
    L : array_like, shape (C, K)
        Firing rates in Hz.
    dt : float
        Bin width in seconds.
    per_trial : bool, default False
        Return one value per trial instead of the total.

    Returns
    -------
    float or ndarray of shape (n_trials,)
        Log-likelihood in nats; ``-inf`` where the data are impossible.
    """
    Y, psi, A, L, dt = check_params(Y, psi, A, L, dt)
    trial_ll = _log_likelihood_trials(Y, psi, A, L, dt)
    return trial_ll if per_trial else float(trial_ll.sum())


def viterbi(Y, psi, A, L, dt):
    """Most likely hidden state path of every trial (Viterbi algorithm).

    Parameters
    ----------
    Y : array_like of int, shape (n_trials, T, C)
        Spike counts.
    psi, A, L, dt
        Model parameters, as in :func:`e_step`.

    Returns
    -------
    states : ndarray of int64, shape (n_trials, T)
        ``argmax_x p(x | Y)`` for every trial; ties go to the lower state.
        A trial whose data are impossible under the parameters (every path
        has probability 0) gets state 0 in every bin.
    """
    Y, psi, A, L, dt = check_params(Y, psi, A, L, dt)
    n, T, _ = Y.shape
    K = psi.size
    with np.errstate(divide="ignore"):
        log_A = np.log(A)
        log_psi = np.log(psi)
    log_obs = log_emission(Y, L, dt, time_major=True)
    back = np.empty((T, n, K), dtype=np.intp)
    delta = log_psi + log_obs[0]  # (n, K)
    rows = np.arange(n)[:, None]
    cols = np.arange(K)[None, :]
    for t in range(1, T):
        scores = delta[:, :, None] + log_A  # (n, from, to)
        best = scores.argmax(axis=1)  # (n, K)
        back[t] = best
        delta = scores[rows, best, cols] + log_obs[t]
    path = np.empty((T, n), dtype=np.int64)
    path[T - 1] = delta.argmax(axis=1)
    for t in range(T - 1, 0, -1):
        path[t - 1] = back[t, np.arange(n), path[t]]
    return np.ascontiguousarray(path.T)


# --- teaching versions: trial-major arrays, the shapes the notebooks use ------------


def emission_likelihood(Y, L, dt):
    """Poisson probability of every bin's counts under every state.

    .. math:: o_{n,t}(k) = \\prod_c \\mathrm{Poisson}(y_{n,t,c};\\ \\lambda_{ck}\\, dt)

    Parameters
    ----------
    Y : array_like of int, shape (n_trials, T, C)
    L : array_like, shape (C, K)
        Firing rates in Hz.
    dt : float
        Bin width in seconds.

    Returns
    -------
    obs : ndarray, shape (n_trials, T, K)
        Probabilities (unitless). They can underflow to 0 for large counts;
        the fast path (:func:`e_step`) rescales them per bin instead.
    """
    return np.exp(log_emission_likelihood(Y, L, dt))


def log_emission_likelihood(Y, L, dt):
    """Log of the Poisson probability of every bin's counts under every state.

    .. math:: \\log o_{n,t}(k) = \\sum_c \\big[y_{n,t,c} \\log(\\lambda_{ck} dt)
              - \\lambda_{ck} dt - \\log y_{n,t,c}!\\big]

    Unlike :func:`emission_likelihood` this never underflows: with hundreds
    of neurons or wide bins, ``o_t(k)`` itself can be smaller than the
    smallest float64, while its log is an ordinary number.

    Parameters
    ----------
    Y : array_like of int, shape (n_trials, T, C)
    L : array_like, shape (C, K)
        Firing rates in Hz.
    dt : float
        Bin width in seconds.

    Returns
    -------
    log_obs : ndarray, shape (n_trials, T, K)
        In nats; ``-inf`` where a neuron spikes in a state whose rate for it is 0.
    """
    Y = check_counts(Y)
    L = check_L(L, C=Y.shape[2])
    dt = check_dt(dt)
    return log_emission(Y, L, dt) - log_factorial(Y).sum(axis=-1)[..., None]


def _check_obs(obs, name="obs"):
    obs = _as_float_array(obs, name, 3)
    if min(obs.shape) < 1:
        raise ValueError(f"{name} must have shape (n_trials, T, K) with all sizes >= 1, got {obs.shape}")
    if obs.min() < 0:
        raise ValueError(f"{name} holds negative probabilities")
    return obs


def forward(obs, psi, A):
    """Scaled forward recursion (teaching version, trial-major).

    .. math::

        \\hat a_1 \\propto \\psi \\odot o_1, \\qquad
        \\hat a_t \\propto (\\hat a_{t-1} A) \\odot o_t, \\qquad
        c_t = \\sum_k \\big[(\\hat a_{t-1} A) \\odot o_t\\big]_k

    Parameters
    ----------
    obs : array_like, shape (n_trials, T, K)
        Emission probabilities ``p(y[t] | x[t] = k)`` (any per-bin scale).
    psi : array_like, shape (K,)
    A : array_like, shape (K, K)
        ``A[i, j] = P(x[t+1] = j | x[t] = i)``.

    Returns
    -------
    alpha : ndarray, shape (n_trials, T, K)
        ``alpha[n, t, k] = p(x[t] = k | y[0], ..., y[t])`` (0-based bins, as
        the arrays are indexed): every ``alpha[n, t]`` sums to 1.
    c : ndarray, shape (n_trials, T)
        ``c[n, 0] = p(y[0])`` and ``c[n, t] = p(y[t] | y[0], ..., y[t-1])``
        (times the scale of ``obs``); ``log p(Y) = sum_t log c[:, t]``.
    """
    obs = _check_obs(obs)
    psi = check_psi(psi)
    A = check_A(A, psi.size)
    if obs.shape[2] != psi.size:
        raise ValueError(f"obs has K = {obs.shape[2]} states but psi has {psi.size}")
    obs4 = np.ascontiguousarray(obs.transpose(1, 0, 2))[None]
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha, c = _forward(obs4, psi[None, None], A[None])
    c = c[:, 0, :, 0].T
    zero = ~(c > 0)
    if zero.any():
        n, t = np.argwhere(zero)[0]
        raise ValueError(
            f"obs: trial {n}, bin {t} has probability 0 under every state the chain can be in "
            "(the data are impossible under these parameters, or obs underflowed: "
            "helpers.e_step handles both)"
        )
    return alpha[:, 0].transpose(1, 0, 2), c


def backward(obs, A, c):
    """Scaled backward recursion (teaching version, trial-major).

    .. math::

        \\hat b_T = 1, \\qquad
        \\hat b_t = \\frac{A\\, (o_{t+1} \\odot \\hat b_{t+1})}{c_{t+1}}

    Parameters
    ----------
    obs : array_like, shape (n_trials, T, K)
        The emission probabilities given to :func:`forward`.
    A : array_like, shape (K, K)
    c : array_like, shape (n_trials, T)
        Normalisers returned by :func:`forward`.

    Returns
    -------
    beta : ndarray, shape (n_trials, T, K)
        Scaled backward messages; ``alpha * beta`` is the posterior ``gamma``.
    """
    obs = _check_obs(obs)
    A = check_A(A, obs.shape[2], against="obs")
    c = _as_float_array(c, "c", 2)
    if c.shape != obs.shape[:2]:
        raise ValueError(f"c must have shape (n_trials, T) = {obs.shape[:2]}, got {c.shape}")
    if c.min() <= 0:
        raise ValueError("c must be positive (the data are impossible where it is 0)")
    scaled = np.ascontiguousarray((obs / c[..., None]).transpose(1, 0, 2))
    return _backward(scaled, A).transpose(1, 0, 2)
