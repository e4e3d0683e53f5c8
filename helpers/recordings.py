"""Real recordings: binning spike times into counts, and a motor-unit data set.

:func:`bin_spikes` turns spike times (seconds) into the counts ``Y`` of shape
``(1, T, C)`` that every other function in :mod:`helpers` takes: the whole
recording is one "trial".

:func:`load_motor_units` loads the one real multi-neuron recording shipped
with this package: five human motor units of the vastus lateralis and the
force of the contraction, extracted from the sample file of openhdemg 0.1.2
(GPL-3.0; see ``helpers/data/README.md``). It needs no network.

:func:`force_epochs` finds rest, ramps and plateau in a force trace, and
:func:`block_cv` chooses the number of states on one long recording by
leaving out contiguous blocks of time.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources

import numpy as np

from .inference import (
    _TINY,
    _forward,
    _log_factorial_sum,
    _log_space_e_step,
    _scaled_emission,
    log_emission,
)
from .learning import _initial_params
from .model import check_counts, check_dt, check_int

__all__ = ["bin_spikes", "load_motor_units", "MotorUnitRecording", "force_epochs", "block_cv"]

#: Rounding allowance, in units of machine epsilon: a spike whose bin position
#: ``(t - t_start) / dt`` is within ``BORDER_ULPS * eps * ((|t| + |t_start|) / dt + i)``
#: of a whole number ``i`` counts as lying on border ``i``. That bound is about
#: 1000 times the rounding error of computing the position, so times meant to
#: be whole multiples of ``dt`` from ``t_start`` land in the bin that starts
#: there, while real spike times are never moved (for 32.5 s in 1 ms bins the
#: allowance is below 1e-8 bins, 10 ps).
BORDER_ULPS = 1024

#: Refuse to allocate more counts than this (T * C); 10**8 int64 counts is 800 MB.
MAX_COUNTS = 10**8


def _check_time(value, name):
    """A finite real number of seconds (not a bool) as float."""
    if isinstance(value, np.ndarray) and value.ndim == 0 and np.issubdtype(value.dtype, np.number):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
        raise TypeError(f"{name} must be a number of seconds, got {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be a finite number of seconds, got {value}")
    return value


def _check_spike_times(spike_times, name="spike_times"):
    """A list of C float64 1-D arrays from a sequence of spike-time arrays."""
    if isinstance(spike_times, np.ndarray):
        if spike_times.dtype != object and spike_times.ndim == 1:
            raise TypeError(
                f"{name} must be a sequence of C 1-D arrays, one per neuron, got one 1-D array "
                f"of numbers; for a single neuron pass [times]"
            )
        if spike_times.ndim not in (1, 2):
            raise TypeError(
                f"{name} must be a sequence of C 1-D arrays, one per neuron, got an array of "
                f"shape {spike_times.shape}"
            )
        trains = list(spike_times)
    elif isinstance(spike_times, Sequence) and not isinstance(spike_times, (str, bytes)):
        trains = list(spike_times)
    else:
        raise TypeError(
            f"{name} must be a sequence (list or tuple) of C 1-D arrays of spike times in "
            f"seconds, one per neuron, got {type(spike_times).__name__}"
        )
    if not trains:
        raise ValueError(f"{name} must hold at least one neuron (C >= 1), got an empty sequence")
    out = []
    for c, train in enumerate(trains):
        where = f"{name}[{c}]"
        if isinstance(train, (numbers.Number, np.generic)):
            raise TypeError(
                f"{where} must be a 1-D array of spike times in seconds, got a single "
                f"{type(train).__name__}; {name} holds one array per neuron: for a single "
                f"neuron pass [times]"
            )
        if isinstance(train, (str, bytes)) or train is None:
            raise TypeError(
                f"{where} must be a 1-D array of spike times in seconds, got {type(train).__name__}"
            )
        try:
            arr = np.asarray(train)
        except (TypeError, ValueError) as exc:  # ragged nesting and the like
            raise TypeError(f"{where} must be a 1-D array of spike times in seconds ({exc})") from None
        if arr.dtype == object or arr.dtype == bool or not np.issubdtype(arr.dtype, np.number):
            raise TypeError(f"{where} must hold real numbers (seconds), got dtype {arr.dtype}")
        if np.issubdtype(arr.dtype, np.complexfloating):
            raise TypeError(f"{where} must be real, got dtype {arr.dtype}")
        if arr.ndim != 1:
            raise ValueError(f"{where} must be 1-D (the spike times of one neuron), got shape {arr.shape}")
        arr = arr.astype(np.float64)  # a copy: the caller's array is never touched
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{where} contains NaN or infinite spike times")
        out.append(arr)
    return out


_EPS = np.finfo(np.float64).eps


def _n_bins(t_start, t_stop, dt):
    """Whole bins of ``dt`` in ``[t_start, t_stop)``: floor, forgiving rounding error."""
    n = (t_stop - t_start) / dt
    r = round(n)
    tol = BORDER_ULPS * _EPS * ((abs(t_start) + abs(t_stop)) / dt + abs(r))
    return int(r) if abs(n - r) <= tol else int(np.floor(n))


def bin_spikes(spike_times, t_start, t_stop, dt):
    """Count spikes in consecutive time bins: spike times -> ``Y``.

    The window ``[t_start, t_stop)`` is cut into ``T`` whole bins of width
    ``dt``; bin ``i`` is ``[t_start + i*dt, t_start + (i+1)*dt)``.

    * ``T = floor((t_stop - t_start) / dt)``, where a ratio that differs
      from a whole number only by floating-point rounding counts as that
      number (so 32.5 s in bins of 0.05 s is 650 bins, and 0.1 to 0.7 s in
      bins of 0.1 s is 6 bins although ``0.6 / 0.1 = 5.999...``). A partial
      last bin is dropped: the bins cover ``[t_start, t_start + T*dt)``, which
      ends at or before ``t_stop``.
    * A spike at time ``t`` goes to bin ``floor((t - t_start) / dt)``; a spike
      on a border goes to the bin that *starts* there. A spike whose
      position ``(t - t_start) / dt`` differs from a whole number ``i`` by
      less than about 1000 times its rounding error,
      ``1024 * eps * ((|t| + |t_start|) / dt + i)``, counts as on border
      ``i``: times that are whole multiples of ``dt`` from ``t_start``
      (typed as decimals or computed as ``t_start + i * dt``) are binned
      exactly, and no real spike time is moved (the allowance is below
      1e-8 bins for a 32.5 s recording in 1 ms bins).
    * Spikes outside ``[t_start, t_start + T*dt)`` are dropped silently
      (a spike exactly at the end of the last bin is outside).

    Parameters
    ----------
    spike_times : sequence of C array_like, each 1-D
        Spike times in seconds, one array per neuron (a list or tuple; a 2-D
        array is read as one row per neuron). They may be unsorted and may be
        empty; repeated times count as several spikes.
    t_start : float
        Start of the first bin, seconds.
    t_stop : float
        End of the window, seconds; ``t_stop > t_start``.
    dt : float
        Bin width in seconds, at most ``t_stop - t_start``.

    Returns
    -------
    Y : ndarray of int64, shape (1, T, C)
        ``Y[0, i, c]`` is the number of spikes of neuron ``c`` in bin ``i``:
        one trial, the whole window.

    Raises
    ------
    TypeError
        If ``spike_times`` is not a sequence of arrays of real numbers (a
        single 1-D array is refused: wrap one neuron as ``[times]``), or a time
        or ``dt`` is not a number.
    ValueError
        If a spike time, ``t_start`` or ``t_stop`` is NaN or infinite, an
        element of ``spike_times`` is not 1-D, ``t_stop <= t_start``, ``dt``
        is not positive and finite, ``dt`` is longer than the window, or the
        counts would be too large to hold (``T * C`` above 10**8).

    Examples
    --------
    >>> bin_spikes([[0.0, 0.05, 0.26], []], t_start=0.0, t_stop=0.3, dt=0.1)[0].T
    array([[2, 0, 1],
           [0, 0, 0]])
    """
    trains = _check_spike_times(spike_times)
    t_start = _check_time(t_start, "t_start")
    t_stop = _check_time(t_stop, "t_stop")
    dt = check_dt(dt)
    if not t_stop > t_start:
        raise ValueError(f"t_stop must be later than t_start, got t_start = {t_start}, t_stop = {t_stop}")
    window = t_stop - t_start
    if not np.isfinite(window):
        raise ValueError(f"t_stop - t_start = {window} s is not a finite number of seconds")
    T = _n_bins(t_start, t_stop, dt)
    if T < 1:
        raise ValueError(
            f"dt = {dt} s is longer than the window t_stop - t_start = {window} s: not one whole bin"
        )
    C = len(trains)
    if T * C > MAX_COUNTS:
        raise ValueError(
            f"dt = {dt} s gives T = {T} bins x C = {C} neurons = {T * C} counts, more than "
            f"{MAX_COUNTS:.0e}: use a wider dt or a shorter window"
        )
    Y = np.zeros((C, T), dtype=np.int64)
    for c, t in enumerate(trains):
        if t.size == 0:
            continue
        with np.errstate(over="ignore"):  # sums beyond 1.8e308 become inf: harmless here
            pos = (t - t_start) / dt  # bin coordinate; finite inputs, so never NaN
            keep = (pos > -1.0) & (pos < T + 1.0)  # near the window only (drops +-inf too)
            pos = pos[keep]
            nearest = np.round(pos)
            tol = BORDER_ULPS * _EPS * ((np.abs(t[keep]) + abs(t_start)) / dt + np.abs(nearest))
        on_border = np.abs(pos - nearest) <= tol
        k = np.where(on_border, nearest, np.floor(pos))
        k = k[(k >= 0) & (k < T)].astype(np.int64)
        Y[c] = np.bincount(k, minlength=T)
    return np.ascontiguousarray(Y.T)[None]


@dataclass(frozen=True)
class MotorUnitRecording:
    """Spike times of motor units and the force of one contraction.

    Attributes
    ----------
    spike_times : list of C ndarray of float64
        Spike times of each motor unit in seconds, sorted, from the first
        sample of the recording (``0 <= t < duration``).
    force_time : ndarray, shape (n_force,)
        Times of the force values in seconds: the centres of the averaging
        blocks, ``(k + 0.5) / force_rate``.
    force : ndarray, shape (n_force,)
        Force in % of the maximal voluntary contraction (MVC), each value the
        mean over ``[k / force_rate, (k + 1) / force_rate)``.
    duration : float
        Length of the recording in seconds.
    sampling_rate : float
        Sampling rate of the original recording in Hz (spike times are whole
        multiples of ``1 / sampling_rate``).
    force_rate : float
        Rate of the stored force values in Hz.
    time_offset : float
        Where time 0 of this object lies on the original file's own time axis,
        seconds.
    source : str
        Where the data come from, their authors and licence.
    """

    spike_times: list
    force_time: np.ndarray
    force: np.ndarray
    duration: float
    sampling_rate: float
    force_rate: float
    time_offset: float
    source: str = field(repr=False)

    @property
    def n_units(self):
        """Number of motor units C."""
        return len(self.spike_times)


_DATA = "data"
_SPIKES = "openhdemg_vl_spikes.csv"
_FORCE = "openhdemg_vl_force.csv"

_SOURCE = (
    "Five motor units of the human vastus lateralis (HD-sEMG, 64 channels, 2048 Hz, decomposed "
    "with OTBioLab+) and the force in % MVC, from the sample file "
    "openhdemg/library/decomposed_test_files/otb_testfile.mat of openhdemg 0.1.2 "
    "(https://github.com/GiacomoValliPhD/openhdemg; maintainer Giacomo Valli), "
    "licensed GPL-3.0. Cite: Valli G, Ritsche P, Casolo A, Negro F, De Vito G. Tutorial: "
    "Analysis of central and peripheral motor unit properties from decomposed High-Density "
    "surface EMG signals with openhdemg. J Electromyogr Kinesiol. 2024;74:102850. "
    "doi:10.1016/j.jelekin.2023.102850. Extract and its licence: helpers/data/."
)

_SAMPLING_RATE = 2048.0
_FORCE_RATE = 32.0
_TIME_OFFSET = 7.0


def load_motor_units():
    """Load the motor-unit recording shipped with :mod:`helpers`.

    One isometric knee-extension contraction, 32.5 s: rest, a ramp up to a
    plateau near 26 % of the maximal voluntary contraction (MVC), the
    plateau, a ramp down and rest again. Five motor units of the vastus
    lateralis were decomposed from a 64-channel high-density surface EMG
    recorded at 2048 Hz (137, 154, 197, 293 and 292 spikes). Source:
    openhdemg 0.1.2's sample file, GPL-3.0 (``helpers/data/README.md``
    says what was extracted and how).

    Returns
    -------
    MotorUnitRecording
        ``.spike_times`` (list of 5 arrays, s), ``.force_time`` (s) and
        ``.force`` (% MVC) at 32 Hz, ``.duration`` (32.5 s),
        ``.sampling_rate`` (2048 Hz), ``.source`` (attribution and licence).

    Examples
    --------
    >>> rec = load_motor_units()
    >>> Y = bin_spikes(rec.spike_times, 0.0, rec.duration, dt=0.05)   # (1, 650, 5)
    """
    folder = resources.files(__package__).joinpath(_DATA)
    spikes = _read_table(folder.joinpath(_SPIKES), "unit,sample", np.int64).reshape(-1, 2)
    force = _read_table(folder.joinpath(_FORCE), "force_pct_mvc", np.float64)
    n_units = int(spikes[:, 0].max()) + 1
    spike_times = [np.sort(spikes[spikes[:, 0] == u, 1]) / _SAMPLING_RATE for u in range(n_units)]
    force_time = (np.arange(force.size) + 0.5) / _FORCE_RATE
    duration = force.size / _FORCE_RATE
    return MotorUnitRecording(
        spike_times=spike_times, force_time=force_time, force=force, duration=duration,
        sampling_rate=_SAMPLING_RATE, force_rate=_FORCE_RATE, time_offset=_TIME_OFFSET,
        source=_SOURCE,
    )


def _read_table(traversable, header, dtype):
    """Rows of a packaged CSV after its ``#`` comments and its ``header`` line.

    Works from a plain folder, a wheel install or a zip (``importlib.resources``).
    """
    lines = [ln for ln in traversable.read_text(encoding="ascii").splitlines()
             if ln and not ln.startswith("#")]
    if not lines or lines[0] != header:
        raise RuntimeError(f"{traversable.name}: expected the header {header!r}; the packaged data are damaged")
    return np.array([v for ln in lines[1:] for v in ln.split(",")], dtype=dtype)


# --- force epochs --------------------------------------------------------------------------


def _float_vector(x, name):
    """A finite 1-D float64 array with at least 2 entries."""
    if x is None or isinstance(x, (str, bytes)):
        raise TypeError(f"{name} must be a 1-D array of numbers, got {type(x).__name__}")
    arr = np.asarray(x)
    if arr.dtype == object or arr.dtype == bool or not np.issubdtype(arr.dtype, np.number) \
            or np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError(f"{name} must be a 1-D array of real numbers, got dtype {arr.dtype}")
    if arr.ndim != 1 or arr.size < 2:
        raise ValueError(f"{name} must be 1-D with at least 2 values, got shape {arr.shape}")
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def force_epochs(force_time, force, low=0.1, high=0.9):
    """Rest, ramp up, plateau, ramp down and rest in the force of one contraction.

    The plateau level ``P`` is the median of the force where it exceeds half
    its maximum. The ramp up runs from the last sample at or below
    ``low * P`` before the force first reaches ``high * P``, to that first
    sample at or above ``high * P``; the plateau lasts until the last sample
    at or above ``high * P``; the ramp down ends at the next sample at or
    below ``low * P``. Before the ramp up and after the ramp down is rest.

    Parameters
    ----------
    force_time : array_like, shape (n,)
        Times of the force samples in seconds, increasing.
    force : array_like, shape (n,)
        Force (any unit, e.g. % MVC), rest near 0.
    low, high : float, default 0.1 and 0.9
        Thresholds as fractions of ``P``, ``0 < low < high <= 1``.

    Returns
    -------
    ndarray, shape (4,)
        Times in seconds (taken from ``force_time``) where the ramp up starts,
        the plateau starts, the plateau ends and the ramp down ends. A time
        ``t`` lies in epoch ``np.searchsorted(bounds, t, side="right")``:
        0 rest, 1 ramp up, 2 plateau, 3 ramp down, 4 rest again.

    Raises
    ------
    TypeError, ValueError
        Bad input (naming the argument), or a force without rest, ramp,
        plateau, ramp and rest in that order.

    Examples
    --------
    >>> rec = load_motor_units()
    >>> force_epochs(rec.force_time, rec.force).round(2)
    array([ 1.11,  5.67, 26.86, 31.39])
    """
    t = _float_vector(force_time, "force_time")
    f = _float_vector(force, "force")
    if f.shape != t.shape:
        raise ValueError(f"force must have the same shape as force_time {t.shape}, got {f.shape}")
    if not np.all(np.diff(t) > 0):
        raise ValueError("force_time must be strictly increasing")
    for name, value in (("low", low), ("high", high)):
        if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
            raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    low, high = float(low), float(high)
    if not (0.0 < low < high <= 1.0):
        raise ValueError(f"low and high must satisfy 0 < low < high <= 1, got low = {low}, high = {high}")
    if not f.max() > 0:
        raise ValueError("force must rise above 0 somewhere: there is no contraction")
    level = float(np.median(f[f > f.max() / 2]))
    above = np.flatnonzero(f >= high * level)
    first_high, last_high = above[0], above[-1]
    rest_before = np.flatnonzero(f[:first_high] <= low * level)
    rest_after = np.flatnonzero(f[last_high:] <= low * level)
    if rest_before.size == 0:
        raise ValueError(
            f"force: no rest (<= {low:g} x plateau level {level:.3g}) before the plateau; "
            "the recording must start at rest"
        )
    if rest_after.size == 0:
        raise ValueError(
            f"force: no rest (<= {low:g} x plateau level {level:.3g}) after the plateau; "
            "the recording must end at rest"
        )
    return t[[rest_before[-1], first_high, last_high, last_high + rest_after[0]]]


# --- choosing K on one long recording: leave one block of time out ----------------------------


def _batched_e_step(Yb, psi, A, L, dt, logfact):
    """Forward-backward for G parameter sets on the same trials, sharing one loop over time.

    Parameters
    ----------
    Yb : ndarray, shape (n, T, C)
        Validated counts.
    psi : (G, K); A : (G, K, K); L : (G, C, K) in Hz
    logfact : (n,) from :func:`helpers.inference._log_factorial_sum`

    Returns
    -------
    trial_ll : ndarray, shape (G, n)
        Log-likelihood of every trial under every parameter set (nats).
    gamma : ndarray, shape (T, G, n, K)
        Posteriors.
    xi_t : ndarray, shape (G, n, K, K)
        Expected transition counts of every trial (summed over time).
    """
    n, T, _ = Yb.shape
    G, K = psi.shape
    obs, shift_sum = _scaled_emission(Yb, list(L), dt)  # (G, T, n, K)
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha, c = _forward(obs, psi[:, None, :], A)  # (T, G, n, K), (T, G, n, 1)
        cc = c[..., 0]
        trial_ll = np.log(cc).sum(axis=0) + shift_sum - logfact[None, :]
        bad = ~(np.all(cc >= _TINY, axis=0) & np.isfinite(trial_ll))  # (G, n)
        ob = obs.transpose(1, 0, 2, 3) / np.where(cc > 0, cc, 1.0)[..., None]  # obs[t] / c[t]
    if bad.any():
        alpha[:, bad] = 0.0
        ob[:, bad] = 0.0
    beta = np.empty_like(alpha)
    beta[T - 1] = 1.0
    AT = np.ascontiguousarray(A.transpose(0, 2, 1))
    tmp = np.empty((G, n, K))
    for t in range(T - 2, -1, -1):
        np.multiply(ob[t + 1], beta[t + 1], out=tmp)
        np.matmul(tmp, AT, out=beta[t])
    ob *= beta
    # sum over time of alpha[t, i] * ob[t+1, j], as one stacked matrix product per (g, n)
    xi_t = A[:, None] * np.matmul(alpha[:-1].transpose(1, 2, 3, 0), ob[1:].transpose(1, 2, 0, 3))
    gamma = alpha * beta
    for g, i in zip(*np.nonzero(bad)):  # impossible, or beyond the scaled range: exactly, in log space
        ll, gam, xi = _log_space_e_step(log_emission(Yb[i:i + 1], L[g], dt, time_major=True), psi[g], A[g])
        trial_ll[g, i] = ll[0] - logfact[i]
        gamma[:, g, i] = gam[:, 0]
        xi_t[g, i] = xi[:, 0].sum(axis=0)
    return trial_ll, gamma, xi_t


def _batched_m_step(Yt, gamma, xi_t, weights, dt, prev):
    """M-step of G fits at once; fit g learns from the trials with ``weights[g] == 1``.

    ``Yt`` is ``(T, n, C)``; ``prev = (psi, A, L)`` stacked ``(G, ...)`` fills
    what the posteriors leave undetermined, as :func:`helpers.m_step` does.
    """
    psi0, A0, L0 = prev
    gw = gamma * weights[None, :, :, None]  # (T, G, n, K)
    first = gw[0].sum(axis=1)  # (G, K)
    total = first.sum(axis=1, keepdims=True)
    psi = np.where(total > 0, first / np.where(total > 0, total, 1.0), psi0)
    xi_sum = (xi_t * weights[:, :, None, None]).sum(axis=1)
    out = xi_sum.sum(axis=2, keepdims=True)
    A = np.where(out > 0, xi_sum / np.where(out > 0, out, 1.0), A0)
    occupancy = gw.sum(axis=(0, 2))  # (G, K)
    T, n, C = Yt.shape
    G, K = occupancy.shape
    # sum over (t, n) of Y[t, n, c] * gw[t, g, n, k]: one matrix product
    spikes = (Yt.reshape(T * n, C).T @ gw.transpose(0, 2, 1, 3).reshape(T * n, G * K)).reshape(C, G, K)
    spikes = spikes.transpose(1, 0, 2)
    seen = occupancy[:, None, :] > 0
    L = np.where(seen, spikes / np.where(seen, occupancy[:, None, :] * dt, 1.0), L0)
    return psi, A, L


def _batched_em(Yb, weights, starts, dt, n_iter, tol):
    """Run G EM fits in lockstep on the trials of ``Yb``.

    Every fit runs exactly as :func:`helpers.fit_em` with one restart from
    its start: the same convergence rule (stop when one step raises the
    training log-likelihood by at most ``tol * |ll|``), and it is frozen once
    converged. Fit ``g`` learns from the trials with ``weights[g] == 1``; the
    other trials are only scored.

    Returns
    -------
    psi (G, K), A (G, K, K), L (G, C, K), trial_ll (G, n) at the returned
    parameters, converged (G,) bool, n_steps (G,) int.
    """
    n, T, C = Yb.shape
    psi = np.stack([s[0] for s in starts]).astype(np.float64)
    A = np.stack([s[1] for s in starts]).astype(np.float64)
    L = np.stack([s[2] for s in starts]).astype(np.float64)
    G = psi.shape[0]
    Yt = np.ascontiguousarray(Yb.transpose(1, 0, 2))
    logfact = _log_factorial_sum(Yb)
    train = weights > 0
    trial_ll = np.empty((G, n))
    last = np.zeros(G)
    n_steps = np.zeros(G, dtype=int)
    converged = np.zeros(G, dtype=bool)
    active = np.arange(G)
    for it in range(n_iter + 1):
        ll_t, gamma, xi_t = _batched_e_step(Yb, psi[active], A[active], L[active], dt, logfact)
        trial_ll[active] = ll_t
        ll = np.where(train[active], ll_t, 0.0).sum(axis=1)
        done = (ll - last[active] <= tol * np.abs(ll)) if it > 0 else np.zeros(active.size, dtype=bool)
        converged[active[done]] = True
        if it == n_iter:
            break
        keep = ~done
        if not keep.any():
            break
        idx = active[keep]
        psi[idx], A[idx], L[idx] = _batched_m_step(
            Yt, gamma[:, keep], xi_t[keep], weights[idx], dt, (psi[idx], A[idx], L[idx]))
        last[idx] = ll[keep]
        n_steps[idx] += 1
        active = idx
    return psi, A, L, trial_ll, converged, n_steps


def block_cv(Y, Ks, dt, n_blocks=5, n_restarts=3, seed=0, n_iter=200, tol=1e-6):
    """Choose the number of states on one long recording: leave one block of time out.

    The recording is cut into ``n_blocks`` contiguous blocks of
    ``T_b = T // n_blocks`` bins (the last ``T mod n_blocks`` bins are not
    used), and the blocks become independent trials. For every ``K`` and
    every fold ``f``, EM fits the model to the other blocks (``n_restarts``
    random starts, the best training log-likelihood kept) and scores block
    ``f``, which the fit never saw. Every ``K`` is also fitted to all blocks.

    The result is what this loop gives (up to rounding), only faster,
    because all folds and restarts of one ``K`` share one loop over time::

        blocks = Y[0, :n_blocks * T_b].reshape(n_blocks, T_b, C)
        for f in range(n_blocks):
            fit = helpers.fit_em(np.delete(blocks, f, axis=0), K, dt, n_iter=n_iter, tol=tol,
                                 n_restarts=n_restarts, seed=np.random.default_rng([seed, K, f]))
            test = helpers.log_likelihood(blocks[[f]], fit.psi, fit.A, fit.L, dt) / (T_b * dt)

    (the fit to all blocks uses ``np.random.default_rng([seed, K, n_blocks])``).

    Parameters
    ----------
    Y : array_like of int, shape (1, T, C)
        Spike counts of ONE recording (e.g. from :func:`bin_spikes`).
    Ks : sequence of int
        Numbers of states to compare, each >= 1.
    dt : float
        Bin width in seconds.
    n_blocks : int, default 5
        Number of blocks (folds), >= 2; every block needs >= 2 bins.
    n_restarts : int, default 3
        Random starts per fit.
    seed : int, default 0
        Seeds the starts (>= 0).
    n_iter, tol
        As in :func:`helpers.fit_em` (tol is relative to the log-likelihood).

    Returns
    -------
    dict
        ``"K"`` (M,) the Ks; ``"test"`` (M, n_blocks) held-out
        log-likelihood of block ``f`` per second of it (nats/s);
        ``"train"`` (M, n_blocks) training log-likelihood per second of the
        training blocks (nats/s); ``"fits"``: for every K the ``(psi, A,
        L)`` fitted to all blocks (a good start for :func:`helpers.fit_em`
        on the unbroken recording); ``"block_bins"``: ``T_b``.
    """
    Y = check_counts(Y)
    if Y.shape[0] != 1:
        raise ValueError(
            f"Y must hold ONE recording, shape (1, T, C), got {Y.shape[0]} trials; with many "
            "trials, leave whole trials out instead (helpers.held_out_ll)"
        )
    dt = check_dt(dt)
    Ks = [check_int(k, "Ks", 1) for k in np.atleast_1d(np.asarray(Ks, dtype=object)).tolist()]
    if not Ks:
        raise ValueError("Ks must name at least one number of states")
    n_blocks = check_int(n_blocks, "n_blocks", 2)
    n_restarts = check_int(n_restarts, "n_restarts", 1)
    seed = check_int(seed, "seed", 0)
    n_iter = check_int(n_iter, "n_iter", 0)
    if isinstance(tol, bool) or not isinstance(tol, (numbers.Real, np.floating, np.integer)):
        raise TypeError(f"tol must be a number, got {type(tol).__name__}")
    if not np.isfinite(tol) or tol < 0:
        raise ValueError(f"tol must be a finite number >= 0, got {tol!r}")
    _, T, C = Y.shape
    T_b = T // n_blocks
    if T_b < 2:
        raise ValueError(f"n_blocks = {n_blocks} leaves blocks of {T_b} bins (T = {T}); each needs >= 2")
    blocks = np.ascontiguousarray(Y[0, :n_blocks * T_b].reshape(n_blocks, T_b, C))
    # fold f learns from every block but f; the last "fold" learns from all blocks
    weights = np.repeat(1.0 - np.vstack([np.eye(n_blocks), np.zeros(n_blocks)]), n_restarts, axis=0)
    test = np.empty((len(Ks), n_blocks))
    train = np.empty((len(Ks), n_blocks))
    fits = []
    for m, K in enumerate(Ks):
        starts = []
        for f in range(n_blocks + 1):
            rng = np.random.default_rng([seed, K, f])
            data = blocks if f == n_blocks else np.delete(blocks, f, axis=0)
            starts.extend(_initial_params(data, K, dt, rng) for _ in range(n_restarts))
        psi, A, L, trial_ll, _, _ = _batched_em(blocks, weights, starts, dt, n_iter, float(tol))
        train_ll = np.where(weights > 0, trial_ll, 0.0).sum(axis=1).reshape(n_blocks + 1, n_restarts)
        best = train_ll.argmax(axis=1) + np.arange(n_blocks + 1) * n_restarts  # first best, as fit_em
        for f in range(n_blocks):
            test[m, f] = trial_ll[best[f], f] / (T_b * dt)
            train[m, f] = train_ll[f].max() / ((n_blocks - 1) * T_b * dt)
        g = best[n_blocks]
        fits.append((psi[g].copy(), A[g].copy(), L[g].copy()))
    return {"K": np.array(Ks), "test": test, "train": train, "fits": fits, "block_bins": T_b}
