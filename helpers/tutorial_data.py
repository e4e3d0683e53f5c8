"""The tutorial's reference model and data set, built the same way everywhere."""

from __future__ import annotations

import numpy as np

from .model import check_dt, check_int, check_seed, sample_spikes, sample_states

__all__ = ["tutorial_model", "tutorial_data"]

#: Firing rates in Hz of the 5 neurons (rows) in the 3 states (columns):
#: every state has its own pattern, so the states can be told apart.
TUTORIAL_RATES = np.array([
    [1.0, 40.0, 18.5],
    [50.0, 35.0, 5.0],
    [46.0, 3.5, 25.0],
    [12.5, 21.0, 37.5],
    [7.5, 10.0, 42.5],
])


def tutorial_model(seed=101, max_transition_rate=3.0, dt=0.002):
    """Parameters of the tutorial's true model: C = 5 neurons, K = 3 states.

    Parameters
    ----------
    seed : int
        Seeds the off-diagonal transition rates.
    max_transition_rate : float
        Upper end (Hz) of the uniformly drawn state-switching rates.
    dt : float
        Bin width in seconds (default 2 ms).

    Returns
    -------
    psi : ndarray (3,), A : ndarray (3, 3), L : ndarray (5, 3) in Hz, dt : float
        ``psi`` is proportional to (1, 2, 3); ``A[i, j]`` for ``i != j`` is a
        switching rate in Hz times ``dt``, and each diagonal entry makes its
        row sum to 1.
    """
    dt = check_dt(dt)
    if isinstance(max_transition_rate, bool) or not isinstance(max_transition_rate, (int, float, np.number)):
        raise TypeError(f"max_transition_rate must be a number of Hz, got {type(max_transition_rate).__name__}")
    K = TUTORIAL_RATES.shape[1]
    if not np.isfinite(max_transition_rate) or max_transition_rate < 0 or max_transition_rate * dt * (K - 1) >= 1:
        raise ValueError(
            f"max_transition_rate must be >= 0 Hz and small enough that every row of A keeps a "
            f"positive diagonal (rate * dt * (K - 1) < 1), got {max_transition_rate} Hz at dt = {dt} s"
        )
    rng = check_seed(seed)
    psi = np.arange(1, K + 1, dtype=float)
    psi /= psi.sum()
    rates = rng.uniform(0.0, max_transition_rate, size=(K, K))  # Hz
    A = rates * dt * (1.0 - np.eye(K))
    A[np.diag_indices(K)] = 1.0 - A.sum(axis=1)
    return psi, A, TUTORIAL_RATES.copy(), dt


def tutorial_data(n_trials=300, T=1000, seed=101):
    """Sample the tutorial data set from :func:`tutorial_model`.

    Parameters
    ----------
    n_trials : int
        Number of independent trials (default 300).
    T : int
        Bins per trial (default 1000, i.e. 2 s at dt = 2 ms).
    seed : int
        Seeds the sampling.

    Returns
    -------
    dict
        ``"Y"`` counts ``(n_trials, T, 5)``, ``"states"`` ``(n_trials, T)``,
        and the true ``"psi"``, ``"A"``, ``"L"`` (Hz), ``"dt"`` (s).
    """
    n_trials = check_int(n_trials, "n_trials", 1)
    T = check_int(T, "T", 1)
    rng = check_seed(seed)
    psi, A, L, dt = tutorial_model()
    states = sample_states(psi, A, n_trials, T, rng)
    Y = sample_spikes(states, L, dt, rng)
    return {"Y": Y, "states": states, "psi": psi, "A": A, "L": L, "dt": dt}
