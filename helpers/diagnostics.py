"""Diagnostics: the EM objective, why EM climbs, recovery, decoding, choosing K."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .inference import _e_step, _log_factorial_sum, _log_likelihood_many, _log_likelihood_trials
from .learning import _check_posteriors, _m_step, _sum_bins, align_states, fit_em
from .model import (
    _as_float_array,
    check_A,
    check_counts,
    check_dt,
    check_int,
    check_L,
    check_params,
    check_psi,
    log_factorial,
    xlogy,
)

__all__ = [
    "expected_complete_ll",
    "scan_ll_ecll",
    "LineScan",
    "held_out_ll",
    "decoding_accuracy",
    "recovery_error",
    "adjusted_rand_index",
]


@dataclass
class _Stats:
    """Sufficient statistics of the posteriors: all Q needs, independent of theta."""

    first: np.ndarray  # (K,) sum_n gamma[n, 0]
    xi_sum: np.ndarray  # (K, K)
    spikes: np.ndarray  # (C, K) sum_{n,t} gamma * y
    occupancy: np.ndarray  # (K,) sum_{n,t} gamma
    logfact: float  # sum_{n,t,k} gamma * log(y!), the state-independent part


def _log_factorial_bins(Y):
    """``sum_c log(Y[n, t, c]!)`` for every bin, flattened to (n_trials * T,).

    Only counts of 2 or more contribute, so sparse spiking touches few entries.
    """
    n, T, C = Y.shape
    flat = Y.reshape(-1)
    idx = np.flatnonzero(flat > 1)
    return np.bincount(idx // C, weights=log_factorial(flat[idx]), minlength=n * T)


def _stats(Y, gamma, xi_sum, logfact_bins=None):
    """Sufficient statistics; ``logfact_bins`` from :func:`_log_factorial_bins`."""
    if logfact_bins is None:
        logfact_bins = _log_factorial_bins(Y)
    K = gamma.shape[-1]
    flat = gamma.reshape(-1, K)
    return _Stats(
        first=gamma[:, 0].sum(axis=0),
        xi_sum=xi_sum,
        spikes=Y.reshape(-1, Y.shape[2]).T @ flat,
        occupancy=_sum_bins(gamma),
        logfact=float(logfact_bins @ flat.sum(axis=1)),
    )


def _ecll(stats, psi, A, L, dt):
    """Q(theta) from sufficient statistics; 0 * log 0 = 0, w * log 0 = -inf."""
    rate = L * dt
    q = xlogy(stats.first, psi).sum()
    q += xlogy(stats.xi_sum, A).sum()
    q += xlogy(stats.spikes, rate).sum() - (stats.occupancy * rate.sum(axis=0)).sum()
    q -= stats.logfact
    return float(q)


def expected_complete_ll(Y, gamma, xi_sum, psi, A, L, dt):
    """Expected complete-data log-likelihood Q, the objective of the M-step.

    .. math::

        Q(\\theta) = \\sum_n \\sum_k \\gamma_{n,1}(k) \\log \\psi_k
            + \\sum_{i,j} \\Big(\\sum_{n,t} \\xi_{n,t}(i,j)\\Big) \\log A_{ij}
            + \\sum_{n,t,k} \\gamma_{n,t}(k) \\sum_c \\log
              \\mathrm{Poisson}(y_{n,t,c};\\ \\lambda_{ck}\\, dt)

    Parameters
    ----------
    Y : array_like of int, shape (n_trials, T, C)
        Spike counts.
    gamma : array_like, shape (n_trials, T, K)
        Posteriors from an E-step (at some ``theta_old``).
    xi_sum : array_like, shape (K, K)
        Expected transition counts from the same E-step.
    psi, A, L, dt
        Parameters ``theta`` at which Q is evaluated (``L`` in Hz, ``dt`` in s).

    Returns
    -------
    float
        Q in nats (total over trials); ``-inf`` if ``theta`` gives probability
        0 to something the posteriors give weight to.
    """
    Y, psi, A, L, dt = check_params(Y, psi, A, L, dt)
    gamma, xi_sum = _check_posteriors(Y, gamma, xi_sum)
    if gamma.shape[2] != psi.size:
        raise ValueError(f"gamma has K = {gamma.shape[2]} states but psi has {psi.size}")
    return _ecll(_stats(Y, np.ascontiguousarray(gamma), xi_sum), psi, A, L, dt)


@dataclass
class LineScan:
    """LL and the EM lower bound along ``theta(b) = theta_old + b (theta_new - theta_old)``.

    Attributes
    ----------
    epoch : int
        0-based index of the EM step: the figures call it "EM step epoch + 1",
        going from ``theta^(epoch)`` to ``theta^(epoch + 1)``.
    b : ndarray, shape (P,)
        Positions on the line; ``b = 0`` is ``theta_old``, ``b = 1`` is ``theta_new``.
    ll : ndarray, shape (P,)
        Data log-likelihood (nats) at every ``b``.
    bound : ndarray, shape (P,)
        ``Q(theta(b)) + H``, the ECLL plus the entropy of the posteriors at
        ``theta_old``: a lower bound on ``ll`` that touches it at ``b = 0``.
    old, new : tuple (psi, A, L)
        The two parameter sets.
    """

    epoch: int
    b: np.ndarray
    ll: np.ndarray
    bound: np.ndarray
    old: tuple
    new: tuple


def _line_limits(old, new, b_range, margin=0.99):
    """Largest interval of b within ``b_range`` keeping all parameters > 0."""
    lo, hi = b_range
    for p0, p1 in zip(old, new):
        d = p1 - p0
        up, down = d > 0, d < 0
        if up.any():  # p0 + b d > 0 needs b > -p0 / d
            lo = max(lo, margin * float(np.max(-p0[up] / d[up])))
        if down.any():  # needs b < p0 / |d|
            hi = min(hi, margin * float(np.min(p0[down] / -d[down])))
    return min(lo, 0.0), max(hi, 1.0)


def scan_ll_ecll(Y, psi, A, L, dt, n_epochs=9, n_points=12, b_range=(-1.0, 2.0)):
    """Run EM from ``(psi, A, L)`` and scan LL and the EM bound along every step.

    For every epoch, the E-step at ``theta_old`` gives the posteriors; the
    M-step gives ``theta_new``. Along the line between them the data
    log-likelihood needs one forward pass per point, while the ECLL needs only
    the posteriors' sufficient statistics (computed once per epoch), so each
    extra point costs one forward pass and no backward pass.

    Parameters
    ----------
    Y : array_like of int, shape (n_trials, T, C)
    psi, A, L, dt
        Starting parameters (``L`` in Hz, ``dt`` in s).
    n_epochs : int, default 9
    n_points : int, default 12
        Evenly spaced points in the valid part of ``b_range``; ``b = 0`` and
        ``b = 1`` are always added.
    b_range : (float, float), default (-1, 2)
        Widest range of ``b``; it is narrowed so every parameter stays > 0.

    Returns
    -------
    list of LineScan
        One per epoch.
    """
    Y, psi, A, L, dt = check_params(Y, psi, A, L, dt)
    n_epochs = check_int(n_epochs, "n_epochs", 1)
    n_points = check_int(n_points, "n_points", 2)
    try:
        b_range = tuple(float(v) for v in b_range)
    except (TypeError, ValueError):
        raise TypeError(f"b_range must be a pair of numbers (lo, hi), got {b_range!r}") from None
    if len(b_range) != 2 or not np.all(np.isfinite(b_range)) or not b_range[0] <= 0.0 < 1.0 <= b_range[1]:
        raise ValueError(f"b_range must be finite (lo, hi) with lo <= 0 and hi >= 1, got {b_range}")
    logfact = _log_factorial_sum(Y)
    logfact_bins = _log_factorial_bins(Y)
    old = (psi, A, L)
    scans = []
    for epoch in range(n_epochs):
        post = _e_step(Y, *old, dt, logfact=logfact)
        if epoch == 0 and not np.isfinite(post.ll):
            raise ValueError(
                "L: the data are impossible under the starting parameters (a neuron spikes where "
                "every state the chain can be in has rate 0); EM cannot start there"
            )
        stats = _stats(Y, post.gamma, post.xi_sum, logfact_bins)
        new = _m_step(Y, post.gamma, post.xi_sum, dt, prev=old)
        lo, hi = _line_limits(old, new, b_range)
        bs = np.union1d(np.linspace(lo, hi, n_points), [0.0, 1.0])
        # (1 - b) old + b new is exactly `new` at b = 1 (old + b (new - old) can round a tiny rate to 0)
        thetas = [tuple((1.0 - b) * p0 + b * p1 for p0, p1 in zip(old, new)) for b in bs]
        qs = np.array([_ecll(stats, *theta, dt) for theta in thetas])
        at_old = bs == 0.0
        lls = np.empty(bs.size)
        lls[at_old] = post.ll
        lls[~at_old] = _log_likelihood_many(
            Y, [th for th, o in zip(thetas, at_old) if not o], dt, logfact
        )
        entropy = post.ll - qs[bs == 0.0][0]
        scans.append(LineScan(epoch=epoch, b=bs, ll=lls, bound=qs + entropy, old=old, new=new))
        old = new
    return scans


def held_out_ll(Y_train, Y_test, Ks, dt, n_restarts=3, seed=0, n_iter=200, tol=1e-7):
    """Choose the number of states by held-out log-likelihood.

    For every ``K`` in ``Ks``, fit EM on the training trials and evaluate the
    log-likelihood of the test trials under the fitted parameters.

    Parameters
    ----------
    Y_train : array_like of int, shape (n_train, T, C)
    Y_test : array_like of int, shape (n_test, T', C)
    Ks : sequence of int
        Candidate numbers of states.
    dt : float
        Bin width in seconds.
    n_restarts, seed, n_iter, tol
        Passed to :func:`helpers.fit_em`.

    Returns
    -------
    dict
        ``"K"`` (array of Ks), ``"train"`` and ``"test"``: log-likelihood per
        second of recording (nats/s), each ``(len(Ks),)``; ``"fits"``: the
        :class:`helpers.EMResult` of every K.
    """
    Y_train = check_counts(Y_train, "Y_train")
    Y_test = check_counts(Y_test, "Y_test")
    dt = check_dt(dt)
    if Y_test.shape[2] != Y_train.shape[2]:
        raise ValueError(
            f"Y_test has C = {Y_test.shape[2]} neurons but Y_train has {Y_train.shape[2]}"
        )
    Ks = [check_int(k, "Ks", 1) for k in np.atleast_1d(Ks).tolist()]
    if not Ks:
        raise ValueError("Ks must name at least one number of states")
    train_s = Y_train.shape[0] * Y_train.shape[1] * dt
    test_s = Y_test.shape[0] * Y_test.shape[1] * dt
    train, test, fits = [], [], []
    for k in Ks:
        fit = fit_em(Y_train, k, dt, n_iter=n_iter, tol=tol, n_restarts=n_restarts, seed=seed)
        fits.append(fit)
        train.append(fit.lls[-1] / train_s)
        test.append(_log_likelihood_trials(Y_test, fit.psi, fit.A, fit.L, dt).sum() / test_s)
    return {"K": np.array(Ks), "train": np.array(train), "test": np.array(test), "fits": fits}


def decoding_accuracy(states_true, gamma):
    """Fraction of bins where the most probable state is the true one.

    Parameters
    ----------
    states_true : array_like of int, shape (n_trials, T)
    gamma : array_like, shape (n_trials, T, K)
        Posteriors whose state labels already match the truth (align them
        first with :func:`helpers.align_states`).

    Returns
    -------
    float
        Accuracy between 0 and 1.
    """
    g = _as_float_array(gamma, "gamma", 3)
    s = np.asarray(states_true)
    if s.dtype == object or not np.issubdtype(s.dtype, np.integer):
        raise TypeError(f"states_true must be an integer array, got dtype {s.dtype}")
    if s.shape != g.shape[:2]:
        raise ValueError(
            f"states_true has shape {s.shape} but gamma has (n_trials, T) = {g.shape[:2]}: "
            "they must describe the same trials and bins"
        )
    if g.min() < 0:
        raise ValueError("gamma has negative probabilities")
    if s.size and (s.min() < 0 or s.max() >= g.shape[2]):
        raise ValueError(f"states_true must lie in 0..{g.shape[2] - 1} (K = gamma.shape[2])")
    return float(np.mean(g.argmax(axis=2) == s))


def recovery_error(true, est):
    """How far estimated parameters are from the truth, after aligning states.

    Parameters
    ----------
    true, est : tuple (psi, A, L)
        True and estimated parameters with the same K and C (``psi`` is
        validated but not scored: with few trials it is poorly determined).

    Returns
    -------
    dict
        ``"L"``: mean absolute rate error (Hz); ``"A"``: mean absolute error
        of the off-diagonal transition probabilities; ``"perm"``: the
        permutation applied to ``est``.
    """
    for name, params in (("true", true), ("est", est)):
        if not isinstance(params, (tuple, list)) or len(params) != 3:
            raise TypeError(f"{name} must be a tuple (psi, A, L)")
    psi_t = check_psi(true[0], "true psi")
    A_t = check_A(true[1], psi_t.size, "true A", against="true psi")
    L_t = check_L(true[2], K=psi_t.size, name="true L")
    psi_e = check_psi(est[0], "est psi")
    if psi_e.size != psi_t.size:
        raise ValueError(f"est has {psi_e.size} states but true has {psi_t.size}: compare fits with the same K")
    A_e = check_A(est[1], psi_t.size, "est A", against="true psi")
    L_e = check_L(est[2], *L_t.shape, name="est L")
    p = align_states(L_t, L_e)
    A_al = A_e[np.ix_(p, p)]
    K = len(p)
    off = ~np.eye(K, dtype=bool)
    err_A = float(np.abs(A_al - A_t)[off].mean()) if K > 1 else 0.0
    return {
        "L": float(np.abs(L_e[:, p] - L_t).mean()),
        "A": err_A,
        "perm": p,
    }


def _label_array(x, name):
    """Integer labels as a flat int64 array (ints, bools or whole floats)."""
    if x is None or isinstance(x, (str, bytes)):
        raise TypeError(f"{name} must be an array of integer labels, got {type(x).__name__}")
    arr = np.asarray(x)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} must be an array of integer labels, got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError(f"{name} must hold integer labels, got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.floating):
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} contains NaN or infinite values")
        if not np.array_equal(arr, np.round(arr)):
            raise ValueError(f"{name} must hold whole numbers (labels), got fractional values")
    return arr.astype(np.int64).ravel(), arr.shape


def adjusted_rand_index(labels_a, labels_b):
    """Agreement of two partitions of the same bins, corrected for chance (Hubert & Arabie 1985).

    Count the pairs of bins: the Rand index is the fraction of pairs on
    which the two labellings agree (together in both, or apart in both). The
    adjusted index rescales it so that 1 means the same partition (whatever
    the label names) and 0 what random labellings with the same group sizes
    give on average; it can be negative. With the contingency table
    ``n_ij`` (bins with label ``i`` in ``a`` and ``j`` in ``b``), its row
    sums ``a_i``, column sums ``b_j`` and ``N`` bins:

    .. math::

        \\mathrm{ARI} = \\frac{\\sum_{ij} \\binom{n_{ij}}{2} - E}
                             {\\tfrac12 \\big[\\sum_i \\binom{a_i}{2} + \\sum_j \\binom{b_j}{2}\\big] - E},
        \\qquad E = \\frac{\\sum_i \\binom{a_i}{2} \\sum_j \\binom{b_j}{2}}{\\binom{N}{2}}.

    Computed exactly with integers; when the denominator is 0 the two
    partitions are identical (both one group, or both all singletons, or
    ``N = 1``) and the result is 1.

    Parameters
    ----------
    labels_a, labels_b : array_like of int, same shape
        Labels of the same bins, e.g. decoded states ``(n_trials, T)`` and
        experimental epochs; any integers (they are only compared for
        equality), any shape (flattened), at least one bin.

    Returns
    -------
    float
        Between -1 and 1 (in practice above -0.5).

    Examples
    --------
    >>> adjusted_rand_index([0, 0, 1, 1], [5, 5, 2, 2])
    1.0
    >>> adjusted_rand_index([0, 0, 1, 1], [0, 1, 0, 1])
    -0.5
    """
    a, shape_a = _label_array(labels_a, "labels_a")
    b, shape_b = _label_array(labels_b, "labels_b")
    if shape_a != shape_b:
        raise ValueError(
            f"labels_b must have the same shape as labels_a {shape_a} (labels of the same bins), got {shape_b}"
        )
    if a.size == 0:
        raise ValueError("labels_a is empty: there is nothing to compare")
    _, ia = np.unique(a, return_inverse=True)
    _, ib = np.unique(b, return_inverse=True)
    nb = int(ib.max()) + 1
    table = np.bincount(ia.ravel() * nb + ib.ravel())

    def pairs(counts):  # sum of C(n, 2), exactly, as a Python int
        counts = counts.astype(np.int64)
        return int((counts * (counts - 1) // 2).sum())

    index = pairs(table)
    sum_a = pairs(np.bincount(ia.ravel()))
    sum_b = pairs(np.bincount(ib.ravel()))
    n = int(a.size)
    total = n * (n - 1) // 2
    numerator = 2 * (index * total - sum_a * sum_b)
    denominator = total * (sum_a + sum_b) - 2 * sum_a * sum_b
    if denominator == 0:
        return 1.0
    return numerator / denominator
