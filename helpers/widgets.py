"""Interactive explorers: move a control, the figure redraws.

Each explorer owns one matplotlib :class:`~matplotlib.figure.Figure` that is
*not* registered with pyplot, clears and redraws it in place on every change,
and shows it as PNG bytes in an ``ipywidgets.Image``: nothing accumulates,
however often a student drags a slider, and nothing depends on which
matplotlib backend the kernel has selected. Only controls that exist in both ipywidgets 7.7 (what
Colab has shipped) and 8 are used.

In a notebook, the last expression of a cell displays the explorer::

    from helpers import widgets
    widgets.explore_simulation()

Tests and scripts can drive an explorer without a front end: set
``explorer.controls["seed"].value = 3`` and read ``explorer.fig``.
"""

from __future__ import annotations

import io

import ipywidgets as ipw
import numpy as np
from IPython.display import display
from matplotlib.figure import Figure

from . import plotting
from .diagnostics import scan_ll_ecll
from .inference import e_step
from .model import check_dt, check_int, check_params, sample_spikes, sample_states
from .tutorial_data import tutorial_model

__all__ = ["Explorer", "explore_simulation", "explore_posteriors", "explore_em_epochs"]

_LAYOUT = {"width": "420px"}
_STYLE = {"description_width": "150px"}


class Explorer:
    """Controls plus one figure that is redrawn in place.

    Attributes
    ----------
    controls : dict of str -> ipywidgets widget
        The controls, by name; setting ``.value`` redraws.
    fig : matplotlib.figure.Figure
        The figure (the same object after every redraw).
    image : ipywidgets.Image
        The figure rendered as PNG.
    ui : ipywidgets.VBox
        Controls above the image; what a notebook displays.
    n_redraws : int
        How many times the figure has been drawn.
    """

    def __init__(self, controls, draw, figsize=(9.5, 4.5), dpi=100):
        self.controls = dict(controls)
        self._draw = draw
        self._dpi = dpi
        self.fig = Figure(figsize=figsize, layout="constrained")
        self.image = ipw.Image(format="png", layout={"max_width": "100%", "height": "auto"})
        self.n_redraws = 0
        for widget in self.controls.values():
            widget.observe(self._on_change, names="value")
        self.ui = ipw.VBox([ipw.VBox(list(self.controls.values())), self.image])
        self.redraw()

    def values(self):
        """Current control values, by name."""
        return {name: w.value for name, w in self.controls.items()}

    def _on_change(self, _change):
        self.redraw()

    def redraw(self):
        """Clear the figure, draw it for the current values and show it."""
        self.fig.clear()
        self._draw(self.fig, **self.values())
        buffer = io.BytesIO()
        self.fig.savefig(buffer, format="png", dpi=self._dpi)
        self.image.value = buffer.getvalue()
        self.n_redraws += 1

    def _ipython_display_(self):
        display(self.ui)

    def _repr_mimebundle_(self, **kwargs):  # pragma: no cover - front-end path
        return self.ui._repr_mimebundle_(**kwargs)


def _slider(cls, description, **kw):
    return cls(description=description, continuous_update=False, layout=_LAYOUT, style=_STYLE, **kw)


def _model_rates(K, scale, seed):
    """Firing rates (Hz) for K states: the tutorial's for K <= 3, else random."""
    _, _, L_true, _ = tutorial_model()
    if K <= L_true.shape[1]:
        L = L_true[:, :K]
    else:
        rng = np.random.default_rng(1000 + seed)
        L = np.hstack([L_true, rng.uniform(1.0, 50.0, size=(L_true.shape[0], K - L_true.shape[1]))])
    return L * scale


def explore_simulation(n_trials=20, T=1000, dt=0.002, seed=0):
    """Explorer for notebook 01: simulate and draw a raster with state shading.

    Controls: switching rate (Hz; the total rate of leaving a state, split
    evenly over the other states), firing-rate scale (multiplies every rate),
    number of states K, and the random seed.

    Parameters
    ----------
    n_trials : int
        Trials drawn (each with its own state sequence).
    T : int
        Bins per trial.
    dt : float
        Bin width in seconds.
    seed : int
        Initial value of the seed control.

    Returns
    -------
    Explorer
    """
    n_trials = check_int(n_trials, "n_trials", 1)
    T = check_int(T, "T", 1)
    dt = check_dt(dt)
    seed = check_int(seed, "seed", 0)
    controls = {
        "switch_rate": _slider(ipw.FloatSlider, "switching rate (Hz)", value=3.0, min=0.0,
                               max=min(20.0, 0.5 / dt), step=0.5),
        "rate_scale": _slider(ipw.FloatSlider, "firing-rate scale", value=1.0, min=0.1, max=3.0, step=0.1),
        "K": _slider(ipw.IntSlider, "states K", value=3, min=1, max=6),
        "seed": _slider(ipw.IntSlider, "seed", value=seed, min=0, max=max(50, seed)),
    }

    def draw(fig, switch_rate, rate_scale, K, seed):
        rng = np.random.default_rng(seed)
        leave = switch_rate * dt
        A = np.full((K, K), leave / max(K - 1, 1))
        np.fill_diagonal(A, 1.0 - leave if K > 1 else 1.0)
        psi = np.full(K, 1.0 / K)
        L = _model_rates(K, rate_scale, seed)
        states = sample_states(psi, A, n_trials, T, rng)
        Y = sample_spikes(states, L, dt, rng)
        plotting.plot_raster(Y, states, dt, ax=fig.add_subplot(), n_states=K,
                             title=f"K = {K}, switching {switch_rate:.1f} Hz, rates x {rate_scale:.1f}")

    return Explorer(controls, draw, figsize=(9.5, 5.0))


def explore_posteriors(Y, psi, A, L, dt, states=None, window=0.5):
    """Explorer for notebook 02: posterior state probabilities of any trial.

    The E-step runs once, when the explorer is made; moving a control only
    redraws. Controls: the trial (counted from 1, as in the figure titles)
    and the time window (s).

    Parameters
    ----------
    Y : array_like of int, shape (n_trials, T, C)
    psi, A, L, dt
        Model parameters (``L`` in Hz, ``dt`` in s).
    states : array_like of int, shape (n_trials, T), optional
        True states, drawn as a strip above the posteriors.
    window : float
        Initial window length in seconds.

    Returns
    -------
    Explorer
    """
    Yv, psi, A, L, dt = check_params(Y, psi, A, L, dt)
    n_trials, T, _ = Yv.shape
    if isinstance(window, bool) or not isinstance(window, (int, float, np.integer, np.floating)) \
            or not np.isfinite(window) or window <= 0:
        raise ValueError(f"window must be a positive number of seconds, got {window!r}")
    gamma = e_step(Yv, psi, A, L, dt).gamma
    duration = T * dt
    controls = {
        "trial": _slider(ipw.IntSlider, "trial", value=1, min=1, max=n_trials),
        "t_window": _slider(ipw.FloatRangeSlider, "time window (s)",
                            value=(0.0, min(float(window), duration)), min=0.0, max=duration,
                            step=dt * max(1, T // 200), readout_format=".2f"),
    }

    def draw(fig, trial, t_window):
        t0, t1 = t_window
        if t1 - t0 < dt:  # a zero-width window: show one bin rather than nothing
            t1 = min(duration, t0 + dt)
        # the slider counts trials from 1, like every label in the series
        plotting.plot_posteriors(gamma, dt, states=states, trial=trial - 1, t_window=(t0, t1),
                                 ax=fig.add_subplot())

    explorer = Explorer(controls, draw, figsize=(9.5, 4.0))
    explorer.gamma = gamma
    return explorer


def explore_em_epochs(Y, psi, A, L, dt, n_epochs=9, n_points=12, scans=None):
    """Explorer for notebook 05: LL and the EM bound along one EM step.

    The scans (:func:`helpers.scan_ll_ecll`) are computed once; the "EM step"
    control (counted from 1) picks which step is drawn, with ``theta_old``
    (b = 0) and ``theta_new`` (b = 1) marked.

    Parameters
    ----------
    Y : array_like of int, shape (n_trials, T, C)
    psi, A, L, dt
        Starting parameters of EM.
    n_epochs, n_points : int
        Passed to :func:`helpers.scan_ll_ecll`.
    scans : list of LineScan, optional
        Reuse scans computed earlier instead (then Y and the parameters are
        not used).

    Returns
    -------
    Explorer
    """
    if scans is None:
        scans = scan_ll_ecll(Y, psi, A, L, dt, n_epochs=n_epochs, n_points=n_points)
    scans = list(scans)
    if len(scans) < 1:
        raise ValueError("scans must hold at least one LineScan")
    controls = {
        "step": _slider(ipw.IntSlider, "EM step", value=1, min=1, max=len(scans)),
    }

    def draw(fig, step):
        # step m goes from theta^(m-1) to theta^(m): scans[m - 1]
        plotting.plot_ll_ecll([scans[step - 1]], axes=[fig.add_subplot()])

    explorer = Explorer(controls, draw, figsize=(7.0, 4.5))
    explorer.scans = scans
    return explorer
