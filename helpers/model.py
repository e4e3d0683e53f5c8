"""The generative model: parameter checks, sampling hidden states and spikes.

Conventions used everywhere in this package
-------------------------------------------
``Y``    spike counts, shape ``(n_trials, T, C)``, non-negative integers.
``psi``  initial state distribution, shape ``(K,)``.
``A``    transition matrix, shape ``(K, K)``, ``A[i, j] = P(x[t+1] = j | x[t] = i)``;
         each row sums to 1.
``L``    firing rates in Hz, shape ``(C, K)``; the expected count of neuron ``c``
         in one bin of state ``k`` is ``L[c, k] * dt``.
``dt``   bin width in seconds.

The ``check_*`` functions validate input at the public boundary: they raise a
``TypeError`` or ``ValueError`` that names the argument before any computation.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

__all__ = [
    "check_counts",
    "check_psi",
    "check_A",
    "check_L",
    "check_dt",
    "check_params",
    "sample_states",
    "sample_spikes",
]

#: Tolerance on probabilities that must sum to 1.
SUM_TOL = 1e-6


def log_factorial(n):
    """``log(n!)`` of non-negative integer counts, elementwise (float64, same shape).

    Exact to double precision (``math.lgamma`` of each distinct count, looked
    up in a table), without importing scipy: this keeps ``import helpers``
    fast, which every notebook pays once.
    """
    n = np.asarray(n)
    if n.size == 0:
        return np.zeros(n.shape)
    if n.dtype.kind != "i":
        n = n.astype(np.int64)  # validated counts: whole numbers, possibly stored as floats
    top = int(n.max())
    if top <= 100_000:
        table = np.array([math.lgamma(k + 1.0) for k in range(top + 1)])
        return table[n]
    values, inverse = np.unique(n, return_inverse=True)
    return np.array([math.lgamma(float(v) + 1.0) for v in values])[inverse].reshape(n.shape)


def xlogy(x, y):
    """``x * log(y)`` elementwise, with ``0 * log(y) = 0`` even where ``y = 0`` (float64).

    The convention ``0 log 0 = 0`` of every expected log-likelihood; same
    values as ``scipy.special.xlogy``, without importing scipy.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    zero = (x == 0) & ~np.isnan(y)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = x * np.log(np.where(zero, 1.0, y))
    return np.where(zero, 0.0, out) if out.ndim else (0.0 if zero else float(out))


def _as_float_array(x, name, ndim):
    """Convert ``x`` to a float64 array of ``ndim`` dimensions or raise."""
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__}")
    try:
        arr = np.asarray(x)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(f"{name} must be an array of numbers ({exc})") from None
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or arr.dtype == bool
    ):
        raise TypeError(f"{name} must be an array of numbers, got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError(f"{name} must be real, got dtype {arr.dtype}")
    if arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {arr.shape}")
    arr = arr.astype(np.float64, copy=False)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def check_counts(Y, name="Y"):
    """Validate spike counts and return them as a float64 array.

    Parameters
    ----------
    Y : array_like, shape (n_trials, T, C)
        Spike counts per bin: finite, non-negative whole numbers.
    name : str
        Argument name used in error messages.

    Returns
    -------
    Y : ndarray of float64, shape (n_trials, T, C)

    Raises
    ------
    TypeError
        If ``Y`` is not numeric.
    ValueError
        If ``Y`` is not 3-D, is empty along an axis, or holds negative,
        fractional, NaN or infinite values.
    """
    arr = Y
    if not isinstance(Y, (str, bytes)) and Y is not None:
        try:
            arr = np.asarray(Y)
        except (TypeError, ValueError) as exc:  # ragged nested lists and the like
            raise TypeError(f"{name} must be an array of numbers ({exc})") from None
    if isinstance(arr, np.ndarray) and arr.ndim != 3 and arr.dtype != object:
        raise ValueError(
            f"{name} must be 3-D with shape (n_trials, T, C), got shape {arr.shape}"
        )
    integer_input = isinstance(arr, np.ndarray) and (
        np.issubdtype(arr.dtype, np.integer) or arr.dtype == bool
    )
    Yf = _as_float_array(arr, name, 3)
    if min(Yf.shape) < 1:
        raise ValueError(
            f"{name} must have n_trials >= 1, T >= 1 and C >= 1, got shape {Yf.shape}"
        )
    if Yf.min() < 0:
        raise ValueError(f"{name} holds negative counts; spike counts are >= 0")
    if not integer_input and not np.array_equal(Yf, np.floor(Yf)):
        raise ValueError(f"{name} holds fractional values; spike counts are whole numbers")
    return Yf


def check_psi(psi, name="psi"):
    """Validate an initial state distribution.

    Parameters
    ----------
    psi : array_like, shape (K,)
        Non-negative probabilities summing to 1 (within 1e-6).
    name : str
        Argument name used in error messages.

    Returns
    -------
    psi : ndarray of float64, shape (K,)
    """
    p = _as_float_array(psi, name, 1)
    if p.size < 1:
        raise ValueError(f"{name} must hold at least one state (K >= 1)")
    if p.min() < 0:
        raise ValueError(f"{name} has negative probabilities")
    if abs(p.sum() - 1.0) > SUM_TOL:
        raise ValueError(f"{name} must sum to 1, it sums to {p.sum():.6g}")
    return p


def check_A(A, K=None, name="A", against="psi"):
    """Validate a transition matrix ``A[i, j] = P(x[t+1] = j | x[t] = i)``.

    Parameters
    ----------
    A : array_like, shape (K, K)
        Non-negative; every row sums to 1 (within 1e-6).
    K : int, optional
        Expected number of states.
    name : str
        Argument name used in error messages.
    against : str
        What ``K`` comes from, named in the error message.

    Returns
    -------
    A : ndarray of float64, shape (K, K)
    """
    a = _as_float_array(A, name, 2)
    if a.shape[0] != a.shape[1] or a.shape[0] < 1:
        raise ValueError(f"{name} must be square (K, K), got shape {a.shape}")
    if K is not None and a.shape[0] != K:
        raise ValueError(f"{name} must have shape (K, K) = ({K}, {K}) to match {against}, got {a.shape}")
    if a.min() < 0:
        raise ValueError(f"{name} has negative probabilities")
    rows = a.sum(axis=1)
    bad = np.flatnonzero(np.abs(rows - 1.0) > SUM_TOL)
    if bad.size:
        raise ValueError(
            f"every row of {name} must sum to 1 (A[i, j] = P(next = j | now = i)); "
            f"row {bad[0]} sums to {rows[bad[0]]:.6g}"
        )
    return a


def check_L(L, C=None, K=None, name="L"):
    """Validate firing rates in Hz.

    Parameters
    ----------
    L : array_like, shape (C, K)
        Non-negative, finite rates in Hz (spikes per second).
    C, K : int, optional
        Expected numbers of neurons and states.
    name : str
        Argument name used in error messages.

    Returns
    -------
    L : ndarray of float64, shape (C, K)
    """
    lam = _as_float_array(L, name, 2)
    if min(lam.shape) < 1:
        raise ValueError(f"{name} must have shape (C, K) with C, K >= 1, got {lam.shape}")
    exp_c = lam.shape[0] if C is None else C
    exp_k = lam.shape[1] if K is None else K
    if lam.shape != (exp_c, exp_k):
        hint = " (it looks transposed: L is (neurons, states))" if lam.shape == (exp_k, exp_c) else ""
        raise ValueError(f"{name} must have shape (C, K) = ({exp_c}, {exp_k}), got {lam.shape}{hint}")
    if lam.min() < 0:
        raise ValueError(f"{name} has negative firing rates")
    return lam


def check_dt(dt, name="dt"):
    """Validate a bin width.

    Parameters
    ----------
    dt : float
        Bin width in seconds: a positive, finite real number (a 0-d array is accepted).
    name : str
        Argument name used in error messages.

    Returns
    -------
    float
    """
    if isinstance(dt, bool) or not isinstance(dt, (numbers.Real, np.floating, np.integer)):
        if isinstance(dt, np.ndarray) and dt.ndim == 0 and np.issubdtype(dt.dtype, np.number):
            dt = dt.item()
        else:
            raise TypeError(f"{name} must be a positive number of seconds, got {type(dt).__name__}")
    dt = float(dt)
    if not np.isfinite(dt) or dt <= 0:
        raise ValueError(f"{name} must be a positive, finite number of seconds, got {dt}")
    return dt


def check_int(value, name, minimum):
    """Validate an integer argument ``>= minimum`` and return it as int."""
    if isinstance(value, np.ndarray) and value.ndim == 0 and np.issubdtype(value.dtype, np.integer):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    value = int(value)
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def check_seed(seed, name="seed"):
    """A ``numpy.random.Generator`` from ``None``, an int >= 0 or a Generator."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return np.random.default_rng()
    return np.random.default_rng(check_int(seed, name, 0))


def check_rng(rng, name="rng"):
    """Require a ``numpy.random.Generator``."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"{name} must be a numpy.random.Generator (use np.random.default_rng(seed)), "
            f"got {type(rng).__name__}"
        )
    return rng


def check_params(Y, psi, A, L, dt):
    """Validate a full data set and parameter set against each other.

    Parameters
    ----------
    Y : array_like, shape (n_trials, T, C)
        Spike counts.
    psi : array_like, shape (K,)
    A : array_like, shape (K, K)
    L : array_like, shape (C, K)
        Firing rates in Hz; ``L * dt`` (expected counts per bin) must be finite.
    dt : float
        Bin width in seconds.

    Returns
    -------
    Y, psi, A, L, dt
        As float64 arrays and a float, shapes ``(n_trials, T, C)``, ``(K,)``,
        ``(K, K)``, ``(C, K)``.
    """
    Y = check_counts(Y)
    psi = check_psi(psi)
    K = psi.size
    A = check_A(A, K)
    L = check_L(L, Y.shape[2], K)
    dt = check_dt(dt)
    _check_expected_counts(L, dt)
    return Y, psi, A, L, dt


def _check_expected_counts(L, dt, limit=1e15):
    """Expected counts per bin ``L * dt`` must be representable (and samplable)."""
    top = float(L.max()) * dt
    if not np.isfinite(top) or top > limit:
        raise ValueError(
            f"L * dt (expected spikes per bin) reaches {top:.3g}: L is in Hz and dt in seconds; "
            f"keep it below {limit:.0e}"
        )


def _cumulative(p):
    """Cumulative sums along the last axis, divided by the total so they end at 1.

    Dividing (rather than forcing the last entry to 1) keeps a state of
    probability 0 impossible even when the row sums to 1 - 1e-7.
    """
    cdf = np.cumsum(p, axis=-1)
    return cdf / cdf[..., -1:]


def sample_states(psi, A, n_trials, T, rng):
    """Sample hidden state sequences of a Markov chain for many trials at once.

    Parameters
    ----------
    psi : array_like, shape (K,)
        Initial state distribution.
    A : array_like, shape (K, K)
        Transition matrix, ``A[i, j] = P(x[t+1] = j | x[t] = i)``.
    n_trials : int
        Number of independent sequences, >= 1.
    T : int
        Number of time bins per sequence, >= 1.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    states : ndarray of int64, shape (n_trials, T)
        ``states[n, t]`` is the state (0 .. K-1) of trial ``n`` in bin ``t``.
    """
    psi = check_psi(psi)
    A = check_A(A, psi.size)
    n_trials = check_int(n_trials, "n_trials", 1)
    T = check_int(T, "T", 1)
    rng = check_rng(rng)
    u = rng.random((T, n_trials))  # time-major: each step reads one contiguous row
    states = np.empty((T, n_trials), dtype=np.int64)
    states[0] = np.searchsorted(_cumulative(psi), u[0], side="right")
    cdf = _cumulative(A)
    # Inverse-CDF sampling of every trial at once: count how many cumulative
    # probabilities of the current state's row lie at or below the uniform draw.
    K = psi.size
    if K == 1:
        states[:] = 0
    else:
        for t in range(1, T):
            rows = cdf[states[t - 1]]  # (n_trials, K)
            states[t] = (rows <= u[t, :, None]).sum(axis=1)
    return np.ascontiguousarray(states.T)


def sample_spikes(states, L, dt, rng):
    """Draw Poisson spike counts given hidden states.

    Parameters
    ----------
    states : array_like of int, shape (n_trials, T)
        Hidden states, values in ``0 .. K-1``.
    L : array_like, shape (C, K)
        Firing rates in Hz.
    dt : float
        Bin width in seconds.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    Y : ndarray of int64, shape (n_trials, T, C)
        ``Y[n, t, c] ~ Poisson(L[c, states[n, t]] * dt)``.
    """
    L = check_L(L)
    dt = check_dt(dt)
    _check_expected_counts(L, dt)
    rng = check_rng(rng)
    s = np.asarray(states)
    if s.dtype == object or not (np.issubdtype(s.dtype, np.integer)):
        if s.dtype.kind == "f" and s.size and np.all(np.isfinite(s)) and np.array_equal(s, np.floor(s)):
            s = s.astype(np.int64)
        else:
            raise TypeError(f"states must be an integer array, got dtype {s.dtype}")
    if s.ndim != 2 or min(s.shape) < 1:
        raise ValueError(f"states must be 2-D with shape (n_trials, T), got shape {s.shape}")
    K = L.shape[1]
    if s.min() < 0 or s.max() >= K:
        raise ValueError(f"states must lie in 0..{K - 1} (K = L.shape[1]), got {s.min()}..{s.max()}")
    rates = (L.T * dt)[s]  # (n_trials, T, C) expected counts per bin
    return rng.poisson(rates).astype(np.int64)
