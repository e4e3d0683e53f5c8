"""Interactive explorers: move a control, the figure redraws.

Each explorer owns one matplotlib :class:`~matplotlib.figure.Figure` that is
*not* registered with pyplot and shows it as PNG bytes in an
``ipywidgets.Image``: nothing accumulates, however often a student drags a
slider, and nothing depends on which matplotlib backend the kernel has
selected. Only controls that exist in both ipywidgets 7.7 (what Colab has
shipped) and 8 are used.

In a notebook, the last expression of a cell displays the explorer::

    from helpers import widgets
    widgets.explore_simulation()

Tests and scripts can drive an explorer without a front end: set
``explorer.controls["seed"].value = 3`` and read ``explorer.fig``.

How a redraw stays fast (well under 150 ms on a 2-core machine)
---------------------------------------------------------------
The figure is built **once**: axes, labels, ticks, legend and every data
artist. A redraw only sets new data on the artists (``set_data``, no new
artists), so the number of artists never grows. The layout is computed once
(constrained layout, for the widest content the controls can produce) and
then frozen. What a control does not change is not drawn again: the static
part of the figure (frame, tick labels, axis labels: most of the text, which
is the slow part of an Agg draw) is rendered once and kept as a pixel
buffer; a redraw restores that buffer and draws only the changing artists on
top (blitting). In 01 and 02 the static part never changes (01 redraws the
legend, 02 the time axis, with the data); in 05 every step has its own axes
ranges, so each step's rendering is kept and revisiting a step only encodes
the PNG. The PNG sent to the browser is pixel for pixel what a full draw of
the figure gives (``tests/test_widgets.py`` checks it). The PNG is encoded from the RGB
pixels with Pillow at zlib level 1, 2-3x faster than the default level and,
for these figures, about as small.
"""

from __future__ import annotations

import io
import math
import numbers
import time
from collections import OrderedDict

import ipywidgets as ipw
import numpy as np
from IPython.display import display
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import ScalarFormatter
from PIL import Image

from . import plotting
from .diagnostics import scan_ll_ecll
from .inference import e_step
from .model import check_dt, check_int, check_params, sample_spikes, sample_states
from .tutorial_data import tutorial_model

__all__ = ["Explorer", "explore_simulation", "explore_posteriors", "explore_em_epochs"]

_LAYOUT = {"width": "420px"}
_STYLE = {"description_width": "150px"}

#: zlib level of the PNG sent to the browser: 1 encodes 2-3x faster than the
#: default 6, and for these figures (flat colours, or thousands of spike
#: ticks) the file is about as small (30-250 kB at either level).
PNG_COMPRESS_LEVEL = 1


def _png_bytes(canvas, compress_level=PNG_COMPRESS_LEVEL):
    """PNG bytes of what the Agg canvas holds now (RGB, alpha dropped: the figure is opaque)."""
    w, h = canvas.get_width_height(physical=True)
    img = Image.frombuffer("RGBA", (w, h), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    buffer = io.BytesIO()
    img.convert("RGB").save(buffer, format="png", compress_level=compress_level)
    return buffer.getvalue()


def _plain_formatter():
    """Numeric tick labels without mathtext (the style turns it on; parsing it costs ms per label)."""
    return ScalarFormatter(useOffset=False, useMathText=False)


class Explorer:
    """Controls plus one figure that is updated in place.

    Parameters
    ----------
    controls : dict of str -> ipywidgets widget
        The controls, by name.
    draw : view object or callable
        Either a plain function ``draw(fig, **values)`` that draws the whole
        figure after it was cleared (simple, slow: constrained layout and
        every text on every redraw), or a *view*, what the explorers of this
        module use, an object with

        * ``build(fig)``: make every artist once; set ``dynamic``, the
          artists that change with the controls (the view marks them
          ``animated`` so that a normal draw leaves them out);
        * ``update(**values)``: set the artists' data for the control values
          and return a hashable *static key* that identifies everything
          else (two calls returning the same key must leave the non-dynamic
          artists identical: their rendering is reused);
        * optionally ``figsize``, ``layout_values(values)`` (the control
          values with the widest content, to lay the figure out once) and
          ``exposed`` (names of view attributes readable on the explorer).
    figsize : (float, float)
        Figure size in inches (ignored when the view has a ``figsize``).
    dpi : float
        Pixels per inch of the PNG. At 100, 12-pt text is 17 px high: readable
        on a projector.
    cache_size : int
        How many rendered static backgrounds to keep (each is
        width x height x 4 bytes, about 2 MB).

    Attributes
    ----------
    controls : dict of str -> ipywidgets widget
        The controls, by name; setting ``.value`` redraws.
    fig : matplotlib.figure.Figure
        The figure (the same object, with the same artists, after every redraw).
    image : ipywidgets.Image
        The figure rendered as PNG.
    ui : ipywidgets.VBox
        Controls above the image; what a notebook displays.
    n_redraws : int
        How many times the figure has been drawn.
    last_timing : dict of str -> float
        Seconds spent in the last redraw: ``"update"`` (computing and setting
        artist data), ``"draw"`` (Agg rendering), ``"png"`` (encoding) and
        ``"total"``; ``"cached"`` is True when the static background came
        from the cache.
    """

    def __init__(self, controls, draw, figsize=(9.5, 4.5), dpi=100, cache_size=8):
        self.controls = dict(controls)
        self._view = draw if all(hasattr(draw, a) for a in ("build", "update")) else None
        if self._view is None and not callable(draw):
            raise TypeError(f"draw must be a view or a function draw(fig, **values), "
                            f"got {type(draw).__name__}")
        self._draw = None if self._view is not None else draw
        self._dpi = dpi
        self._cache_size = check_int(cache_size, "cache_size", 1)
        self._backgrounds = OrderedDict()  # static key -> BufferRegion, least recently used first
        figsize = getattr(self._view, "figsize", figsize)
        self.fig = Figure(figsize=figsize, dpi=dpi, layout="constrained")
        FigureCanvasAgg(self.fig)  # an Agg canvas of its own: never registered with pyplot
        self.image = ipw.Image(format="png", layout={"max_width": "100%", "height": "auto"})
        self.n_redraws = 0
        self.last_timing = {}
        if self._view is not None:
            self._view.build(self.fig)
            self._freeze_layout()
        for widget in self.controls.values():
            widget.observe(self._on_change, names="value")
        self.ui = ipw.VBox([ipw.VBox(list(self.controls.values())), self.image])
        self.redraw()

    def values(self):
        """Current control values, by name."""
        return {name: w.value for name, w in self.controls.items()}

    def _freeze_layout(self):
        """Lay the figure out once, for the widest content, then keep that layout.

        Blitting needs every axes to stay where it is; and constrained layout
        costs as much as the draw itself.
        """
        widest = getattr(self._view, "layout_values", lambda v: v)(self.values())
        self._view.update(**widest)
        self.fig.draw_without_rendering()
        self.fig.set_layout_engine("none")

    def _on_change(self, _change):
        self.redraw()

    def redraw(self):
        """Update the figure for the current control values, render it and show it."""
        t0 = time.perf_counter()
        canvas = self.fig.canvas
        cached = False
        if self._view is None:
            self.fig.clear()
            self._draw(self.fig, **self.values())
            t1 = time.perf_counter()
            canvas.draw()
        else:
            # a cached background is valid for the same static content at the same pixel size
            key = (self._view.update(**self.values()), canvas.get_width_height(physical=True))
            t1 = time.perf_counter()
            background = self._backgrounds.get(key)
            if background is None:
                canvas.draw()  # everything but the dynamic (animated) artists
                self._backgrounds[key] = canvas.copy_from_bbox(self.fig.bbox)
                while len(self._backgrounds) > self._cache_size:
                    self._backgrounds.popitem(last=False)
            else:
                cached = True
                self._backgrounds.move_to_end(key)
                canvas.restore_region(background)
            renderer = canvas.get_renderer()
            for artist in getattr(self._view, "dynamic", ()):
                if artist.get_visible():
                    artist.draw(renderer)
        t2 = time.perf_counter()
        self.image.value = _png_bytes(canvas)
        t3 = time.perf_counter()
        self.n_redraws += 1
        self.last_timing = {"update": t1 - t0, "draw": t2 - t1, "png": t3 - t2, "total": t3 - t0,
                            "cached": cached}

    def __getattr__(self, name):
        # the data a view shows now (e.g. the simulation's ``states`` and ``Y``)
        view = self.__dict__.get("_view")
        if view is not None and name in getattr(view, "exposed", ()):
            return getattr(view, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def _ipython_display_(self):
        display(self.ui)

    def _repr_mimebundle_(self, **kwargs):  # pragma: no cover - front-end path
        return self.ui._repr_mimebundle_(**kwargs)


def _slider(cls, description, **kw):
    return cls(description=description, continuous_update=False, layout=_LAYOUT, style=_STYLE, **kw)


def _shade_lut(K, alpha, n_extra=1):
    """uint8 RGBA (opaque) of each state's colour blended with white at ``alpha``; extra rows white.

    Blending here gives the pixels an ``alpha`` shading would give on the
    white axes, without Agg compositing a transparent image (and RGBA uint8
    is what Agg resamples without a conversion).
    """
    rgb = np.array([to_rgb(c) for c in plotting.state_colors(K)])
    rgb = alpha * rgb + (1.0 - alpha)
    rgba = np.column_stack([np.vstack([rgb, np.ones((n_extra, 3))]), np.ones(K + n_extra)])
    return np.round(255 * rgba).astype(np.uint8)


def _tick_path(x, y0, y1):
    """x, y of vertical ticks as ONE polyline, each tick (x, y0) -> (x, y1) followed by a NaN break.

    One ``Line2D`` draws tens of thousands of ticks in a few ms; a
    ``LineCollection`` builds a Python ``Path`` per tick on every update
    (~3 us each: 40 ms for 13,000 spikes).
    """
    n = x.size
    xs = np.empty(3 * n)
    ys = np.empty(3 * n)
    xs[0::3] = x
    xs[1::3] = x
    xs[2::3] = np.nan
    ys[0::3] = y0
    ys[1::3] = y1
    ys[2::3] = np.nan
    return xs, ys


# --------------------------------------------------------------------------------------
# 01: simulation
# --------------------------------------------------------------------------------------


def _model_rates(K, scale, seed):
    """Firing rates (Hz) for K states: the tutorial's for K <= 3, else random."""
    _, _, L_true, _ = tutorial_model()
    if K <= L_true.shape[1]:
        L = L_true[:, :K]
    else:
        rng = np.random.default_rng(1000 + seed)
        L = np.hstack([L_true, rng.uniform(1.0, 50.0, size=(L_true.shape[0], K - L_true.shape[1]))])
    return L * scale


def simulation_params(switch_rate, rate_scale, K, seed, dt):
    """The model the simulation explorer samples from.

    Returns
    -------
    psi : ndarray (K,)
        Uniform.
    A : ndarray (K, K)
        Leave each state with probability ``switch_rate * dt`` per bin, to
        every other state alike.
    L : ndarray (C, K)
        Firing rates in Hz times ``rate_scale``.
    """
    leave = switch_rate * dt
    A = np.full((K, K), leave / max(K - 1, 1))
    np.fill_diagonal(A, 1.0 - leave if K > 1 else 1.0)
    psi = np.full(K, 1.0 / K)
    return psi, A, _model_rates(K, rate_scale, seed)


def simulate(switch_rate, rate_scale, K, seed, n_trials, T, dt):
    """The states ``(n_trials, T)`` and counts ``(n_trials, T, C)`` the simulation explorer shows."""
    rng = np.random.default_rng(seed)
    psi, A, L = simulation_params(switch_rate, rate_scale, K, seed, dt)
    states = sample_states(psi, A, n_trials, T, rng)
    Y = sample_spikes(states, L, dt, rng)
    return states, Y


class _SimulationView:
    """Raster of C neurons x the first ``max_trials`` trials, hidden states shaded behind.

    The same picture as :func:`helpers.plotting.plot_raster` (one band per
    neuron, one row per trial inside a band, neuron 1 at the top), built once:
    the shading is one opaque RGBA image, the spikes one NaN-separated polyline.
    """

    figsize = (9.5, 5.0)
    k_max = 6
    exposed = ("states", "Y")

    def __init__(self, n_trials, T, dt, max_trials=20):
        self.n_trials, self.T, self.dt = n_trials, T, dt
        self.C = tutorial_model()[2].shape[0]
        self.n_show = min(n_trials, max_trials)
        gap = max(1, round(0.35 * self.n_show)) if self.C > 1 else 0
        self.band = self.n_show + gap
        self.total = self.C * self.band - gap
        # image row -> shown trial (or n_show for a gap row between bands)
        self.row_trial = np.full(self.total, self.n_show)
        for c in range(self.C):
            self.row_trial[c * self.band:c * self.band + self.n_show] = np.arange(self.n_show)
        self.luts = {K: _shade_lut(K, plotting._SHADE_ALPHA) for K in range(1, self.k_max + 1)}
        self.K = None
        self.states = self.Y = None

    def build(self, fig):
        ax = self.ax = fig.add_subplot()
        t_end = self.T * self.dt
        self.shade = ax.imshow(np.full((self.total, self.T, 4), 255, np.uint8), aspect="auto",
                               interpolation="nearest", origin="upper",
                               extent=(0.0, t_end, self.total, 0.0), zorder=0, animated=True)
        lw = 1.2 if self.n_show * self.C <= 60 else 0.9
        (self.spikes,) = ax.plot([], [], color=plotting._SPIKE_COLOR, lw=lw, solid_capstyle="butt",
                                 zorder=2, label="_spikes", animated=True)
        ax.set_xlim(0.0, t_end)
        ax.set_ylim(self.total, 0.0)
        ax.set_yticks(np.arange(self.C) * self.band + self.n_show / 2.0,
                      [f"neuron {c + 1}" for c in range(self.C)])
        ax.xaxis.set_major_formatter(_plain_formatter())
        ax.tick_params(axis="y", length=0)
        ax.grid(False)
        ax.spines["left"].set_visible(False)
        ax.set_xlabel("time (s)")
        if self.n_show > 1:
            ax.set_ylabel(f"one row per trial (trials 1-{self.n_show})", fontsize="small")
        # drawn on every redraw, over the static background; the bottom spine
        # goes over the shading, as in a full draw
        for artist in (self.shade, self.spikes, ax.spines["bottom"], ax.title):
            artist.set_animated(True)

    @property
    def dynamic(self):
        """Artists drawn on every redraw: shading, spikes, bottom spine, title, legend (K entries)."""
        ax = self.ax
        return [self.shade, self.spikes, ax.spines["bottom"], ax.title] + ([ax.legend_] if ax.legend_ else [])

    def layout_values(self, values):
        return dict(values, K=self.k_max)  # the tallest legend

    def update(self, switch_rate, rate_scale, K, seed):
        K = int(K)
        self.states, self.Y = simulate(switch_rate, rate_scale, K, seed, self.n_trials, self.T, self.dt)
        shown_states = np.vstack([self.states[:self.n_show], np.full((1, self.T), K)])
        self.shade.set_data(self.luts[K][shown_states[self.row_trial]])
        rows, bins, neurons = np.nonzero(self.Y[:self.n_show])
        y = neurons * self.band + rows
        self.spikes.set_data(*_tick_path((bins + 0.5) * self.dt, y + 0.12, y + 0.88))
        self.ax.set_title(f"K = {K}, switching {switch_rate:.1f} Hz, rates \u00d7 {rate_scale:.1f}, "
                          f"seed {seed}")
        if K != self.K:  # a new legend (replaces the old one), drawn with the dynamic artists
            handles = plotting._state_handles(K, alpha=plotting._SHADE_ALPHA + 0.2)
            legend = plotting._legend_outside(self.ax, handles, title="true state")
            legend.set_animated(True)
            self.K = K
        return 0  # frame, ticks and labels never change: one static background


def explore_simulation(n_trials=20, T=1000, dt=0.002, seed=0):
    """Explorer for notebook 01: simulate and draw a raster with state shading.

    Controls: switching rate (Hz; the total rate of leaving a state, split
    evenly over the other states), firing-rate scale (multiplies every rate),
    number of states K, and the random seed.

    Parameters
    ----------
    n_trials : int
        Trials drawn (each with its own state sequence); the first 20 are shown.
    T : int
        Bins per trial.
    dt : float
        Bin width in seconds.
    seed : int
        Initial value of the seed control.

    Returns
    -------
    Explorer
        With attributes ``states`` ``(n_trials, T)`` and ``Y``
        ``(n_trials, T, C)``: what the figure shows now (see :func:`simulate`).
    """
    n_trials = check_int(n_trials, "n_trials", 1)
    T = check_int(T, "T", 1)
    dt = check_dt(dt)
    seed = check_int(seed, "seed", 0)
    controls = {
        "switch_rate": _slider(ipw.FloatSlider, "switching rate (Hz)", value=min(3.0, 0.5 / dt), min=0.0,
                               max=min(20.0, 0.5 / dt), step=0.5),
        "rate_scale": _slider(ipw.FloatSlider, "firing-rate scale", value=1.0, min=0.1, max=3.0, step=0.1),
        "K": _slider(ipw.IntSlider, "states K", value=3, min=1, max=_SimulationView.k_max),
        "seed": _slider(ipw.IntSlider, "seed", value=seed, min=0, max=max(50, seed)),
    }
    view = _SimulationView(n_trials, T, dt)
    explorer = Explorer(controls, view, cache_size=1)
    explorer.view = view
    return explorer


# --------------------------------------------------------------------------------------
# 02: posteriors
# --------------------------------------------------------------------------------------


def _window_bins(t_window, dt, T):
    """Bins ``i0:i1`` shown for a time window (at least one bin)."""
    t0, t1 = (float(v) for v in t_window)
    if t1 - t0 < dt:  # a zero-width window: show one bin rather than nothing
        t1 = min(T * dt, t0 + dt)
    i0 = min(T - 1, max(0, int(math.floor(t0 / dt + 1e-9))))
    i1 = min(T, max(i0 + 1, int(math.ceil(t1 / dt - 1e-9))))
    return i0, i1


class _PosteriorView:
    """Posterior probabilities of one trial in a time window (lines for K <= 4, stacked above)."""

    figsize = (9.5, 4.0)

    def __init__(self, gamma, dt, states):
        self.gamma, self.dt, self.states = gamma, dt, states
        self.n_trials, self.T, self.K = gamma.shape
        self.kind = "lines" if self.K <= 4 else "stacked"
        self.colors = plotting.state_colors(self.K)
        self.strip_lut = _shade_lut(self.K, 1.0, n_extra=0)

    def build(self, fig):
        ax = self.ax = fig.add_subplot()
        K = self.K
        if self.kind == "lines":
            self.curves = [ax.plot([], [], color=self.colors[k], lw=1.8, label=f"state {k + 1}",
                                   animated=True)[0] for k in range(K)]
        else:
            self.curves = [PolyCollection([np.zeros((0, 2))], facecolors=[self.colors[k]], alpha=0.85,
                                          linewidths=0, animated=True, label=f"state {k + 1}")
                           for k in range(K)]
            for pc in self.curves:
                ax.add_collection(pc, autolim=False)
        yticks, labels = [0.0, 0.25, 0.5, 0.75, 1.0], ["0", "0.25", "0.5", "0.75", "1"]
        top = 1.0
        self.strip = None
        if self.states is not None:
            self.strip = ax.imshow(np.zeros((1, 1, 4), np.uint8), aspect="auto", interpolation="nearest",
                                   extent=(0.0, self.dt, 1.05, 1.13), origin="upper", zorder=2, animated=True)
            top = 1.13
            yticks.append(1.09)
            labels.append("true")
        ax.set_ylim(-0.02, top)
        ax.set_yticks(yticks, labels)
        ax.spines["left"].set_bounds(0.0, 1.0)
        ax.xaxis.set_major_formatter(_plain_formatter())
        ax.set_xlabel("time (s)")
        ax.set_ylabel("posterior probability")
        handles = plotting._state_handles(K, kind="line" if self.kind == "lines" else "patch")
        plotting._legend_outside(ax, handles)
        # the x axis (ticks, their labels, the vertical grid lines) follows the
        # window, so it is drawn with the data on every redraw, beneath them
        self.dynamic = sorted([ax.xaxis] + self.curves + ([self.strip] if self.strip is not None else [])
                              + [ax.spines["left"], ax.spines["bottom"]], key=lambda a: a.get_zorder())
        self.dynamic.append(ax.title)
        for artist in self.dynamic:
            artist.set_animated(True)

    def update(self, trial, t_window):
        i0, i1 = _window_bins(t_window, self.dt, self.T)
        n = trial - 1  # the slider counts trials from 1, like every label in the series
        t = (np.arange(i0, i1) + 0.5) * self.dt
        g = self.gamma[n, i0:i1]
        if self.kind == "lines":
            for k, line in enumerate(self.curves):
                line.set_data(t, g[:, k])
        else:
            upper = np.cumsum(g, axis=1)
            lower = upper - g
            for k, pc in enumerate(self.curves):
                pc.set_verts([np.concatenate([np.column_stack([t, lower[:, k]]),
                                              np.column_stack([t[::-1], upper[::-1, k]])])])
        if self.strip is not None:
            s = self.states if self.states.ndim == 1 else self.states[n]
            self.strip.set_data(self.strip_lut[s[None, i0:i1]])
            self.strip.set_extent((i0 * self.dt, i1 * self.dt, 1.05, 1.13))
        self.ax.set_xlim(i0 * self.dt, i1 * self.dt)
        self.ax.set_title(f"trial {trial} of {self.n_trials}")
        return 0  # y axis, labels and legend never change: one static background


def _check_window(window):
    if isinstance(window, bool) or not isinstance(window, (numbers.Real, np.integer, np.floating)) \
            or not np.isfinite(window) or window <= 0:
        raise ValueError(f"window must be a positive number of seconds, got {window!r}")
    return float(window)


def _check_states(states, n_trials, T, K):
    """True states as int64 ``(n_trials, T)`` or ``(T,)`` with values 0..K-1."""
    if states is None:
        return None
    if isinstance(states, (str, bytes)):
        raise TypeError(f"states must be an integer array, got {type(states).__name__}")
    s = np.asarray(states)
    if s.dtype == object or not (np.issubdtype(s.dtype, np.integer) or np.issubdtype(s.dtype, np.floating)
                                 or s.dtype == bool):
        raise TypeError(f"states must be an integer array, got dtype {s.dtype}")
    if s.shape not in ((n_trials, T), (T,)):
        raise ValueError(f"states must have shape (n_trials, T) = ({n_trials}, {T}) or (T,) = ({T},) "
                         f"to match Y, got {s.shape}")
    if np.issubdtype(s.dtype, np.floating) and s.size and not np.all(np.isfinite(s) & (s == np.floor(s))):
        raise ValueError("states must hold whole numbers (state indices 0..K-1)")
    s = s.astype(np.int64)
    if s.size and (s.min() < 0 or s.max() >= K):
        raise ValueError(f"states must hold states 0..{K - 1} (K = {K}), got values {s.min()}..{s.max()}")
    return s


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
    states : array_like of int, shape (n_trials, T) or (T,), optional
        True states (0..K-1), drawn as a strip above the posteriors; a
        ``(T,)`` sequence is shown for every trial.
    window : float
        Initial window length in seconds.

    Returns
    -------
    Explorer
        With attribute ``gamma`` ``(n_trials, T, K)``, the posteriors.
    """
    Yv, psi, A, L, dt = check_params(Y, psi, A, L, dt)
    n_trials, T, _ = Yv.shape
    window = _check_window(window)
    states = _check_states(states, n_trials, T, psi.size)
    gamma = e_step(Yv, psi, A, L, dt).gamma
    duration = T * dt
    controls = {
        "trial": _slider(ipw.IntSlider, "trial", value=1, min=1, max=n_trials),
        "t_window": _slider(ipw.FloatRangeSlider, "time window (s)",
                            value=(0.0, min(window, duration)), min=0.0, max=duration,
                            step=dt * max(1, T // 200), readout_format=".2f"),
    }
    view = _PosteriorView(gamma, dt, states)
    explorer = Explorer(controls, view, cache_size=1)
    explorer.gamma = gamma
    explorer.view = view
    return explorer


# --------------------------------------------------------------------------------------
# 05: LL and the EM bound along one EM step
# --------------------------------------------------------------------------------------


def _scan_curves(scans):
    """Validated, sorted ``(epoch, b, ll - ll(0), bound - ll(0))`` of every scan."""
    out = []
    for i, sc in enumerate(scans):
        try:
            epoch, b, ll, bound = sc.epoch, sc.b, sc.ll, sc.bound
        except AttributeError:
            raise TypeError(f"scans[{i}] must be a LineScan (attributes epoch, b, ll, bound), "
                            f"got {type(sc).__name__}") from None
        b = plotting._float_1d(b, f"scans[{i}].b")
        ll = plotting._float_1d(ll, f"scans[{i}].ll", allow_nonfinite=True)
        bound = plotting._float_1d(bound, f"scans[{i}].bound", allow_nonfinite=True)
        if ll.shape != b.shape or bound.shape != b.shape:
            raise ValueError(f"scans[{i}]: b, ll and bound must have the same length, got "
                             f"{b.size}, {ll.size}, {bound.size}")
        zero = np.flatnonzero(np.isclose(b, 0.0, atol=1e-12))
        one = np.flatnonzero(np.isclose(b, 1.0, atol=1e-12))
        if zero.size == 0 or one.size == 0:
            raise ValueError(f"scans[{i}].b must contain 0 (theta_old) and 1 (theta_new)")
        if not np.isfinite(ll[zero[0]]):
            raise ValueError(f"scans[{i}].ll at b = 0 must be finite, got {ll[zero[0]]}")
        ref = ll[zero[0]]
        order = np.argsort(b)
        out.append((int(epoch), b[order], np.where(np.isfinite(ll), ll - ref, np.nan)[order],
                    np.where(np.isfinite(bound), bound - ref, np.nan)[order]))
    return out


def _padded(lo, hi, margin=0.05):
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return -1.0, 1.0
    if hi - lo <= 0:
        pad = max(abs(hi), 1.0) * margin
        return lo - pad, hi + pad
    pad = (hi - lo) * margin
    return lo - pad, hi + pad


class _EMStepView:
    """One EM step: LL and ECLL + entropy along theta_old -> theta_new, relative to LL(theta_old)."""

    figsize = (7.0, 4.8)

    def __init__(self, scans):
        self.curves = _scan_curves(scans)
        self.n = len(self.curves)
        self.limits = []
        for _, b, ll, bd in self.curves:
            y = np.concatenate([ll, bd])
            y = y[np.isfinite(y)]
            self.limits.append((_padded(b.min(), b.max()), _padded(y.min(), y.max()) if y.size else (-1, 1)))

    def build(self, fig):
        ax = self.ax = fig.add_subplot()
        c_ll, c_bd = plotting.STATE_COLORS[0], plotting.STATE_COLORS[1]
        ax.axvline(0.0, color=plotting._GREY, ls="--", lw=1.0, zorder=1)
        ax.axvline(1.0, color=plotting._GREY, ls="--", lw=1.0, zorder=1)
        (self.ll,) = ax.plot([], [], "-o", color=c_ll, ms=3.5, lw=2.0, zorder=3, label="log-likelihood")
        (self.bound,) = ax.plot([], [], "-s", color=c_bd, ms=3.0, lw=1.6, zorder=2,
                                label="ECLL + entropy (lower bound)")
        # the two points that tell the story: touching at b = 0, the M-step at b = 1
        (self.at_old,) = ax.plot([], [], "o", ms=8, mfc="white", mec="black", mew=1.5, zorder=4,
                                 label=r"_$\theta^{(m-1)}$")
        (self.ll_new,) = ax.plot([], [], "o", ms=8, mfc=c_ll, mec="black", mew=1.5, zorder=4,
                                 label=r"_LL at $\theta^{(m)}$")
        (self.bound_new,) = ax.plot([], [], "s", ms=7, mfc=c_bd, mec="black", mew=1.5, zorder=4,
                                    label=r"_bound at $\theta^{(m)}$")
        ax.set_xticks([0.0, 1.0], ["", ""])
        ax.tick_params(axis="x", labelsize="large")
        ax.yaxis.set_major_formatter(_plain_formatter())
        ax.set_ylabel("log-likelihood (nats)\n" + r"relative to $\theta^{(m-1)}$")
        ax.set_xlabel(r"position $b$ on step $m$: $\theta^{(m-1)} \to \theta^{(m)}$", fontsize="small")
        handles = [
            Line2D([], [], color=c_ll, marker="o", ms=5, lw=2.0, label="log-likelihood"),
            Line2D([], [], color=c_bd, marker="s", ms=5, lw=1.6, label="ECLL + entropy (lower bound)"),
        ]
        fig.legend(handles=handles, loc="outside upper center", ncol=2)
        # every curve changes with the step, and so do both axes: the whole
        # figure is the static part of one step (rendered once per step)
        self.dynamic = []

    def layout_values(self, values):
        """The step whose y tick labels are the widest (the left margin must fit them all)."""
        ax, best, width = self.ax, values["step"], -1
        for m in range(1, self.n + 1):
            ax.set_ylim(*self.limits[m - 1][1])
            lo, hi = ax.get_ylim()
            locs = [v for v in ax.yaxis.get_majorticklocs() if lo <= v <= hi]
            labels = ax.yaxis.get_major_formatter().format_ticks(locs)
            w = max((len(s) for s in labels), default=0)
            if w > width:
                best, width = m, w
        return dict(values, step=best)

    def update(self, step):
        epoch, b, ll, bd = self.curves[step - 1]
        ax = self.ax
        self.ll.set_data(b, ll)
        self.bound.set_data(b, bd)
        zero = np.flatnonzero(np.isclose(b, 0.0, atol=1e-12))[:1]
        one = np.flatnonzero(np.isclose(b, 1.0, atol=1e-12))[:1]
        self.at_old.set_data(b[zero], ll[zero])
        self.ll_new.set_data(b[one], ll[one])
        self.bound_new.set_data(b[one], bd[one])
        (x0, x1), (y0, y1) = self.limits[step - 1]
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_xticks([0.0, 1.0], [rf"$\theta^{{({epoch})}}$", rf"$\theta^{{({epoch + 1})}}$"])
        # plain text, as in plot_ll_ecll (a mathtext title would cost a parse for every new step)
        ax.set_title(f"EM step {epoch + 1}", fontsize="medium")
        return step


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
        With attribute ``scans``.
    """
    if scans is None:
        scans = scan_ll_ecll(Y, psi, A, L, dt, n_epochs=n_epochs, n_points=n_points)
    if isinstance(scans, (str, bytes)) or not hasattr(scans, "__iter__"):
        raise TypeError(f"scans must be a list of LineScan, got {type(scans).__name__}")
    scans = list(scans)
    if len(scans) < 1:
        raise ValueError("scans must hold at least one LineScan")
    view = _EMStepView(scans)
    controls = {
        "step": _slider(ipw.IntSlider, "EM step", value=1, min=1, max=len(scans)),
    }
    # one rendered background per step: moving back and forth is instant after the first visit
    explorer = Explorer(controls, view, cache_size=min(len(scans), 32))
    explorer.scans = scans
    explorer.view = view
    return explorer
