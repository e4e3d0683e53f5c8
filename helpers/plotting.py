"""Every figure of the tutorial series.

All functions

* return the :class:`matplotlib.figure.Figure` they drew on (so a notebook
  cell can end with ``plt.show()`` and a test can inspect the figure);
* accept an existing ``ax`` (or ``axes``) where that makes sense, and then
  draw into its figure instead of making a new one;
* work for any number of states ``K`` and neurons ``C``;
* never call ``plt.show()``, never change ``rcParams`` and never touch the
  global ``np.random`` state;
* validate their input and raise a ``ValueError`` (wrong shape or value) or
  ``TypeError`` (wrong type) that names the argument.

Conventions: ``Y`` ``(n_trials, T, C)`` spike counts, ``states``
``(n_trials, T)`` integers ``0 .. K-1``, ``gamma`` ``(n_trials, T, K)``,
``A[i, j] = P(x[t+1] = j | x[t] = i)``, ``L`` ``(C, K)`` in Hz, ``dt`` in
seconds. Arguments index from 0 like numpy; **labels count from 1** ("state 1",
"neuron 1", "trial 1", "restart 1", "EM step 1"), because they are read by
people.

Colours: hidden states get the Okabe-Ito colour-blind-safe palette
(:data:`STATE_COLORS`) for ``K <= 8`` and ``K`` evenly spaced colours of the
perceptually uniform ``viridis`` map for ``K > 8`` (:func:`state_colors`).
The look (font sizes, spines, grid) comes from the style sheet
``helpers/tutorial.mplstyle``: call :func:`use_style` once per notebook.
"""

from __future__ import annotations

import math
import numbers
from contextlib import contextmanager
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.colors import BoundaryNorm, ListedColormap, to_rgb
from matplotlib.figure import SubFigure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from .model import _as_float_array, check_dt, check_int

__all__ = [
    "STATE_COLORS",
    "STYLE",
    "use_style",
    "style_context",
    "state_colors",
    "plot_raster",
    "plot_posteriors",
    "plot_lls",
    "plot_ll_ecll",
    "plot_coordinate_ascent",
    "plot_learned_vs_true",
    "plot_relative_gains",
    "plot_em_progress",
    "plot_symmetry_break",
    "plot_recovery",
    "plot_heldout",
    "plot_heldout_cv",
    "plot_calibration",
    "plot_confusion",
    "plot_underflow",
    "plot_params",
    "plot_dwell_times",
    "plot_recording",
    "plot_block_cv",
    "plot_posterior_predictive",
]

#: Name of the tutorial style sheet, for ``plt.style.use`` (matplotlib >= 3.7).
STYLE = "helpers.tutorial"
_STYLE_FILE = Path(__file__).with_name("tutorial.mplstyle")

#: Okabe & Ito (2008) colour-blind-safe palette, in the order given to hidden
#: states: blue, vermillion, bluish green, orange, sky blue, reddish purple,
#: yellow, black (the two weakest on white come last).
STATE_COLORS = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#E69F00",
    "#56B4E9",
    "#CC79A7",
    "#F0E442",
    "#000000",
)

#: Colour map sampled for more than 8 states, and the part of it used (the
#: last 5 % of viridis is too pale on white).
_MANY_STATES_CMAP = "viridis"
_MANY_STATES_RANGE = (0.0, 0.95)

#: Alpha of state shading behind spikes and in legends that describe it.
_SHADE_ALPHA = 0.3
_GREY = "0.45"
_SPIKE_COLOR = "#1a1a1a"
_WIDTH = 9.5  # inches: fits a notebook column and a 16:9 slide


# --------------------------------------------------------------------------------------
# style and colours
# --------------------------------------------------------------------------------------


def use_style():
    """Apply the tutorial style sheet (``plt.style.use("helpers.tutorial")``).

    Sets projector-friendly font sizes (13-14 pt), the Okabe-Ito colour
    cycle, a light grid, no top/right spines, ``figure.dpi`` 100 and
    ``savefig.dpi`` 150. Nothing in it needs a network or a special font.
    This is the one function here that changes global ``rcParams``, on
    purpose: call it once at the top of a notebook.
    """
    try:
        plt.style.use(STYLE)
    except (OSError, ValueError):  # matplotlib < 3.7 cannot load package styles by name
        plt.style.use(str(_STYLE_FILE))


def show(fig, alt):
    """Show a figure in the notebook with its one-sentence description, then close it.

    The description becomes the image's alternative text (the ``alt`` of the
    PNG output, which screen readers and the slide decks use) and is printed
    under the figure as a caption, so that nothing is lost when colours wash
    out on a projector. Closing the figure stops pyplot from showing it a
    second time at the end of the cell.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    alt : str
        One sentence: what the figure shows (not how it looks).
    """
    from IPython.display import Markdown, display

    if not isinstance(fig, mpl.figure.Figure):
        raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    if not isinstance(alt, str) or not alt.strip():
        raise ValueError("alt must be a non-empty sentence describing what the figure shows")
    alt = " ".join(alt.split())
    display(fig, metadata={"image/png": {"alt": alt}})
    display(Markdown(f"*Figure: {alt}*"))
    plt.close(fig)


@contextmanager
def style_context():
    """Apply the tutorial style only inside a ``with`` block (rcParams restored after)."""
    with mpl.rc_context():
        use_style()
        yield


def state_colors(K):
    """One colour per hidden state, colour-blind safe and distinct for any ``K``.

    Parameters
    ----------
    K : int
        Number of states, >= 1.

    Returns
    -------
    list of length K
        Matplotlib colours. For ``K <= 8`` the first ``K`` Okabe-Ito colours
        of :data:`STATE_COLORS` (hex strings); for ``K > 8`` ``K`` evenly
        spaced samples of the perceptually uniform ``viridis`` colour map
        (RGB tuples of floats in 0..1, interpolated, so they stay distinct
        however large ``K`` is).
    """
    K = check_int(K, "K", 1)
    if K <= len(STATE_COLORS):
        return list(STATE_COLORS[:K])
    lut = mpl.colormaps[_MANY_STATES_CMAP](np.linspace(0.0, 1.0, 256))[:, :3]
    pos = np.linspace(*_MANY_STATES_RANGE, K) * (len(lut) - 1)
    grid = np.arange(len(lut))
    rgb = np.column_stack([np.interp(pos, grid, lut[:, ch]) for ch in range(3)])
    return [tuple(float(v) for v in row) for row in rgb]


def _state_cmap(K):
    """Discrete colour map and norm mapping integer state k to state_colors(K)[k]."""
    cmap = ListedColormap([to_rgb(c) for c in state_colors(K)], name=f"states{K}")
    cmap = cmap.with_extremes(bad=(0.0, 0.0, 0.0, 0.0))
    norm = BoundaryNorm(np.arange(K + 1) - 0.5, K)
    return cmap, norm


def _state_colorbar(fig, ax, K, label="state"):
    """A discrete colour bar with ticks 1..K (used instead of a legend for K > 8)."""
    cmap, norm = _state_cmap(K)
    sm = mpl.cm.ScalarMappable(norm=norm, cmap=cmap)
    cb = fig.colorbar(sm, ax=ax, label=label, fraction=0.05, pad=0.02)
    ticks = np.arange(K) if K <= 12 else np.unique(np.linspace(0, K - 1, 8).round().astype(int))
    cb.set_ticks(ticks, labels=[str(k + 1) for k in ticks])
    cb.ax.grid(False)
    cb.outline.set_visible(False)
    return cb


# --------------------------------------------------------------------------------------
# small validation and layout helpers
# --------------------------------------------------------------------------------------


def _root_figure(fig):
    while isinstance(fig, SubFigure):
        fig = fig.figure
    return fig


def _figure_of(ax):
    return _root_figure(ax.figure)


def _new_axes(ax, figsize, name="ax"):
    """Return ``(fig, ax)``: ``ax``'s figure, or a new constrained-layout figure."""
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize, layout="constrained")
        return fig, ax
    if not isinstance(ax, mpl.axes.Axes):
        raise TypeError(f"{name} must be a matplotlib Axes or None, got {type(ax).__name__}")
    return _figure_of(ax), ax


def _new_axes_row(axes, n, figsize, name="axes", **kw):
    """Return ``(fig, [ax]*n)``: the given axes or a new 1 x n figure."""
    if axes is None:
        fig, axs = plt.subplots(1, n, figsize=figsize, layout="constrained", squeeze=False, **kw)
        return fig, list(axs[0])
    axs = [axes] if isinstance(axes, mpl.axes.Axes) else list(np.ravel(np.asarray(axes, dtype=object)))
    if len(axs) != n or not all(isinstance(a, mpl.axes.Axes) for a in axs):
        raise ValueError(f"{name} must be a sequence of {n} matplotlib Axes, got {len(axs)} item(s)")
    return _figure_of(axs[0]), axs


def _int_array(x, name):
    """Integer-valued array (ints, bools or whole floats) as int64."""
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} must be an integer array, got {type(x).__name__}")
    arr = np.asarray(x)
    if arr.dtype == object:
        raise TypeError(f"{name} must be an integer array, got dtype object")
    if np.issubdtype(arr.dtype, np.integer) or arr.dtype == bool:
        return arr.astype(np.int64)
    if np.issubdtype(arr.dtype, np.floating):
        if arr.size and not (np.all(np.isfinite(arr)) and np.array_equal(arr, np.floor(arr))):
            raise ValueError(f"{name} must hold whole numbers (state indices 0..K-1)")
        return arr.astype(np.int64)
    raise TypeError(f"{name} must be an integer array, got dtype {arr.dtype}")


def _check_state_values(s, K, name):
    if s.size and (s.min() < 0 or s.max() >= K):
        raise ValueError(
            f"{name} must hold states 0..{K - 1} (K = {K}), got values {s.min()}..{s.max()}"
        )


def _float_1d(x, name, allow_nonfinite=False):
    """1-D float array (non-empty); optionally keep -inf/nan."""
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} must be a 1-D array of numbers, got {type(x).__name__}")
    arr = np.asarray(x)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} must be an array of numbers, got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty")
    arr = arr.astype(np.float64)
    if not allow_nonfinite and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def _indices(sel, n, name, default_max=None):
    """Validated 0-based indices from None, an int, a slice/range or a sequence."""
    if sel is None:
        stop = n if default_max is None else min(n, default_max)
        return np.arange(stop)
    if isinstance(sel, slice):
        idx = np.arange(n)[sel]
    elif isinstance(sel, (numbers.Integral, np.integer)) and not isinstance(sel, bool):
        idx = np.array([int(sel)])
    else:
        idx = _int_array(sel, name)
        if idx.ndim != 1:
            raise ValueError(f"{name} must be a 1-D sequence of indices, got shape {idx.shape}")
    if idx.size == 0:
        raise ValueError(f"{name} selects nothing")
    if idx.min() < 0 or idx.max() >= n:
        raise ValueError(f"{name} must be indices in 0..{n - 1}, got {idx.min()}..{idx.max()}")
    return idx


def _legend_outside(ax, handles=None, title=None, ncol=None, **kw):
    """Legend to the right of the axes, top aligned, in as many columns as needed."""
    if handles is None:
        handles, _ = ax.get_legend_handles_labels()
    n = len(handles)
    if ncol is None:
        ncol = max(1, math.ceil(n / 12))
    return ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0),
                     borderaxespad=0.0, title=title, ncol=ncol, **kw)


def _state_handles(K, alpha=1.0, kind="patch"):
    colors = state_colors(K)
    if kind == "patch":
        return [Patch(facecolor=colors[k], alpha=alpha, edgecolor="none", label=f"state {k + 1}")
                for k in range(K)]
    return [Line2D([], [], color=colors[k], lw=2.5, label=f"state {k + 1}") for k in range(K)]


# --------------------------------------------------------------------------------------
# 01 simulate: rasters, parameters, dwell times
# --------------------------------------------------------------------------------------


def plot_raster(Y, states=None, dt=None, trials=None, neurons=None, ax=None, title=None,
                n_states=None, max_trials=20, figsize=None):
    """Spike raster with the hidden state shaded behind it.

    One horizontal band per neuron (neuron 1 at the top); inside a band, one
    row per trial (the first selected trial at the top of the band). Every
    bin with at least one spike gets a short vertical tick at the bin's
    centre (a bin with 2+ spikes looks the same as one with 1 at this scale).
    Each neuron's ticks are one ``LineCollection`` (labelled
    ``"_spikes of neuron c"``, one segment per bin with spikes) and the
    shading is a single ``imshow``, so tens of thousands of bins draw in
    milliseconds.

    Parameters
    ----------
    Y : array_like, shape (n_trials, T, C)
        Spike counts per bin.
    states : array_like of int, shape (n_trials, T) or (T,), optional
        Hidden states (0..K-1). ``(n_trials, T)``: each trial row is shaded by
        its own states. ``(T,)``: one frozen sequence shared by every trial,
        shaded over the full height. ``None``: no shading, no legend.
    dt : float
        Bin width in seconds (required).
    trials : None, int, slice or sequence of int, optional
        Which trials to show (0-based indices). Default: the first
        ``max_trials`` trials.
    neurons : None, int, slice or sequence of int, optional
        Which neurons to show (0-based indices). Default: all.
    ax : matplotlib Axes, optional
        Draw here instead of in a new figure.
    title : str, optional
    n_states : int, optional
        Number of states K (for the colours and the legend). Default
        ``states.max() + 1``.
    max_trials : int, default 20
        Cap on the number of trials shown when ``trials`` is None.
    figsize : (float, float), optional
        Size of a new figure; default grows with the number of neurons.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if dt is None:
        raise TypeError("dt (bin width in seconds) is required")
    Y = _as_float_array(Y, "Y", 3)
    if min(Y.shape) < 1:
        raise ValueError(f"Y must have shape (n_trials, T, C) with all sizes >= 1, got {Y.shape}")
    if Y.min() < 0:
        raise ValueError("Y holds negative counts")
    dt = check_dt(dt)
    n, T, C = Y.shape
    max_trials = check_int(max_trials, "max_trials", 1)
    tr = _indices(trials, n, "trials", default_max=max_trials)
    nr = _indices(neurons, C, "neurons")

    s = None
    if states is not None:
        s = _int_array(states, "states")
        if s.shape not in ((T,), (n, T)):
            raise ValueError(
                f"states must have shape (n_trials, T) = ({n}, {T}) or (T,) = ({T},) to match Y, "
                f"got {s.shape}"
            )
        K = int(s.max()) + 1 if n_states is None else check_int(n_states, "n_states", 1)
        _check_state_values(s, K, "states")

    n_tr, n_nr = tr.size, nr.size
    gap = max(1, round(0.35 * n_tr)) if n_nr > 1 else 0
    band = n_tr + gap
    total = n_nr * band - gap
    if figsize is None:
        figsize = (_WIDTH, float(np.clip(1.4 + 0.75 * n_nr, 3.0, 10.0)))
    fig, ax = _new_axes(ax, figsize)
    t_end = T * dt

    # background: hidden states, one image for the whole axes
    if s is not None:
        cmap, norm = _state_cmap(K)
        if s.ndim == 1:  # one frozen sequence: a single row stretched over all bands
            img = s[None, :]
        else:  # per-trial states: the selected trials' rows in every band, gaps masked
            img = np.ma.masked_all((total, T), dtype=np.int32)
            sub = s[tr]
            for b in range(n_nr):
                img[b * band:b * band + n_tr] = sub
        extent = (0.0, t_end, total, 0.0)
        ax.imshow(img, cmap=cmap, norm=norm, alpha=_SHADE_ALPHA, aspect="auto",
                  interpolation="nearest", origin="upper", extent=extent, zorder=0)
    else:  # no states: a faint band behind each neuron keeps the bands apart
        for b in range(n_nr):
            ax.axhspan(b * band, b * band + n_tr, color="0.95", lw=0, zorder=0)

    # spikes: one LineCollection per neuron, built straight from an (n, 2, 2) array of
    # segments (no Python loop over spikes; ~4x faster than ax.vlines, which goes
    # through masked arrays)
    sel = Y[tr][:, :, nr]
    lw = 1.2 if n_tr * n_nr <= 60 else 0.9
    for b in range(n_nr):
        rows, bins = np.nonzero(sel[:, :, b])
        y = b * band + rows
        ax.add_collection(
            LineCollection(_tick_segments((bins + 0.5) * dt, y + 0.12, y + 0.88),
                           colors=_SPIKE_COLOR, linewidths=lw, capstyle="butt", zorder=2,
                           label=f"_spikes of neuron {nr[b] + 1}"),
            autolim=False,
        )
    ax.set_xlim(0.0, t_end)
    ax.set_ylim(total, 0.0)
    ax.set_yticks(np.arange(n_nr) * band + n_tr / 2.0, [f"neuron {c + 1}" for c in nr])
    ax.tick_params(axis="y", length=0)
    ax.grid(False)
    ax.spines["left"].set_visible(False)
    ax.set_xlabel("time (s)")
    if n_tr > 1:
        first, last = tr[0] + 1, tr[-1] + 1
        rows_txt = (f"trials {first}-{last}" if np.array_equal(tr, np.arange(tr[0], tr[-1] + 1))
                    else f"{n_tr} trials")
        ax.set_ylabel(f"one row per trial ({rows_txt})", fontsize="small")
    if title is not None:
        ax.set_title(title)
    if s is not None:
        leg_title = "true state" if s.ndim == 2 else "state (all trials)"
        _legend_outside(ax, _state_handles(K, alpha=_SHADE_ALPHA + 0.2), title=leg_title)
    return fig


def _tick_segments(x, y0, y1):
    """Segments ``[[x, y0], [x, y1]]`` of vertical ticks, shape (n, 2, 2)."""
    seg = np.empty((x.size, 2, 2))
    seg[:, :, 0] = x[:, None]
    seg[:, 0, 1] = y0
    seg[:, 1, 1] = y1
    return seg


def plot_params(A, L, dt, psi=None, axes=None, title=None, annotate=None, figsize=None):
    """Picture of a model's parameters: firing rates, transition rates, psi.

    Left: the firing rates ``L`` (neurons x states) in Hz. Middle: the
    off-diagonal transition rates ``A[i, j] / dt`` in Hz, rows = *from* state
    ``i``, columns = *to* state ``j``; a diagonal cell shows the mean time the
    chain stays in that state, ``dt / (1 - A[i, i])``. Right (only with
    ``psi``): the initial state distribution.

    Parameters
    ----------
    A : array_like, shape (K, K)
        ``A[i, j] = P(x[t+1] = j | x[t] = i)``.
    L : array_like, shape (C, K)
        Firing rates in Hz.
    dt : float
        Bin width in seconds.
    psi : array_like, shape (K,), optional
    axes : sequence of 2 (or 3 with psi) Axes, optional
    title : str, optional
        Figure title (only for a new figure).
    annotate : bool, optional
        Write the numbers into the cells; default when ``C <= 12`` and ``K <= 8``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    A = _as_float_array(A, "A", 2)
    L = _as_float_array(L, "L", 2)
    dt = check_dt(dt)
    C, K = L.shape
    if A.shape != (K, K):
        raise ValueError(f"A must have shape (K, K) = ({K}, {K}) to match L's K = {K}, got {A.shape}")
    if psi is not None:
        psi = _float_1d(psi, "psi")
        if psi.shape != (K,):
            raise ValueError(f"psi must have shape (K,) = ({K},), got {psi.shape}")
    if annotate is None:
        annotate = C <= 12 and K <= 8
    n_pan = 2 if psi is None else 3
    if figsize is None:
        figsize = (_WIDTH + (0.5 if psi is not None else 0), max(3.8, min(6.5, 1.6 + 0.3 * max(C, K))))
    ratios = [1.0, 1.15] + ([0.7] if psi is not None else [])
    if axes is None:
        fig, axs = _new_axes_row(None, n_pan, figsize, gridspec_kw={"width_ratios": ratios})
        fig.get_layout_engine().set(wspace=0.12)
    else:
        fig, axs = _new_axes_row(axes, n_pan, figsize)
    ax_l, ax_a = axs[0], axs[1]

    im = ax_l.imshow(L, cmap="viridis", aspect="auto", vmin=0.0, interpolation="nearest")
    cb = fig.colorbar(im, ax=ax_l, label="firing rate (Hz)", fraction=0.08, pad=0.03)
    cb.outline.set_visible(False)
    _heat_ticks(ax_l, L.shape, xlabel="state", ylabel="neuron")
    if annotate:
        _annotate_cells(ax_l, L, "{:.1f}", im)
    ax_l.set_title("firing rates L")

    rates = A / dt
    off = ~np.eye(K, dtype=bool)
    shown = np.ma.masked_array(rates, mask=~off)
    cmap = mpl.colormaps["cividis"].with_extremes(bad="0.93")
    vmax = float(rates[off].max()) if K > 1 and rates[off].max() > 0 else 1.0
    im2 = ax_a.imshow(shown, cmap=cmap, aspect="auto", vmin=0.0, vmax=vmax, interpolation="nearest")
    cb2 = fig.colorbar(im2, ax=ax_a, label="transition rate (Hz)", fraction=0.08, pad=0.03)
    cb2.outline.set_visible(False)
    _heat_ticks(ax_a, (K, K), xlabel="to state j", ylabel="from state i")
    if annotate:
        _annotate_cells(ax_a, np.where(off, rates, np.nan), "{:.2f}", im2)
        with np.errstate(divide="ignore"):
            dwell = np.where(np.diag(A) < 1.0, dt / (1.0 - np.diag(A)), np.inf)
        for k in range(K):
            txt = "stays\nforever" if not np.isfinite(dwell[k]) else f"stays\n{_fmt_seconds(dwell[k])}"
            ax_a.text(k, k, txt, ha="center", va="center", fontsize="x-small", color="0.25")
    ax_a.set_title(r"transitions $A_{ij}/dt$")

    if psi is not None:
        ax_p = axs[2]
        ax_p.bar(np.arange(K), psi, color=state_colors(K), width=0.7)
        ax_p.set_xticks(np.arange(K), [str(k + 1) for k in range(K)] if K <= 12 else None)
        if K > 12:
            ax_p.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax_p.xaxis.set_major_formatter(mpl.ticker.FuncFormatter(lambda v, _: f"{int(v) + 1}"))
        ax_p.set_ylim(0.0, 1.0)
        ax_p.set_xlabel("state")
        ax_p.set_ylabel(r"probability $\psi_k$")
        ax_p.set_title("first state")
    if title is not None and axes is None:
        fig.suptitle(title)
    return fig


def _fmt_seconds(x):
    return f"{x:.2g} s" if x < 10 else f"{x:.0f} s"


def _heat_ticks(ax, shape, xlabel, ylabel):
    rows, cols = shape
    for axis, n, label in ((ax.xaxis, cols, xlabel), (ax.yaxis, rows, ylabel)):
        if n <= 12:
            ticks = np.arange(n)
        else:
            ticks = np.unique(np.linspace(0, n - 1, 8).round().astype(int))
        axis.set_ticks(ticks, [str(i + 1) for i in ticks])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(False)
    ax.tick_params(length=0)
    for sp in ax.spines.values():
        sp.set_visible(False)


def _annotate_cells(ax, values, fmt, im):
    """Write every finite value into its cell, white on dark and black on light."""
    norm, cmap = im.norm, im.get_cmap()
    for (i, j), v in np.ndenumerate(values):
        if not np.isfinite(v):
            continue
        r, g, b, _ = cmap(norm(v))
        light = 0.299 * r + 0.587 * g + 0.114 * b > 0.55
        ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize="small",
                color="black" if light else "white")


def _runs(states):
    """Run lengths and values of every trial; drop runs cut by a trial's edges.

    Returns ``(values, lengths)`` of the uncensored runs (int arrays).
    """
    n, T = states.shape
    z = np.full((n, T + 2), -1, dtype=np.int64)
    z[:, 1:-1] = states
    flat = z.ravel()
    starts = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    vals = flat[starts[:-1]]
    lens = np.diff(starts)
    before = flat[starts[:-1] - 1]
    after = flat[starts[1:]]
    keep = (vals >= 0) & (before >= 0) & (after >= 0)
    return vals[keep], lens[keep]


def _completed_stay_pmf(a_kk, T, max_bins):
    """P(a stay lasts m bins | it lies wholly inside a T-bin trial), m = 1 .. max_bins - 1.

    The geometric law ``(1 - a) a**(m - 1)`` weighted by the ``T - 1 - m``
    positions a stay of ``m`` bins has between the trial's edges (stays
    start at a steady rate), normalised over ``m = 1 .. T - 2``. None if no
    stay fits (``T < 3``) or the state is never left (``a = 1``).
    """
    a = float(np.clip(a_kk, 0.0, 1.0))
    if T < 3 or a >= 1.0:
        return None
    m_all = np.arange(1, T - 1, dtype=float)
    with np.errstate(under="ignore"):
        w = (1.0 - a) * a ** (m_all - 1.0) * (T - 1 - m_all)
    total = w.sum()
    if not total > 0:
        return None
    out = np.zeros(max(int(max_bins) - 1, 0))
    n = min(out.size, w.size)
    out[:n] = w[:n] / total
    return out


def plot_dwell_times(states, dt, A=None, n_states=None, ax=None, max_time=None, figsize=None):
    """How long the chain stays in each state: histograms of dwell times.

    A Markov chain leaves state ``k`` with probability ``1 - A[k, k]`` in
    every bin, so a stay lasts ``m`` bins with probability
    ``(1 - A[k, k]) A[k, k]**(m - 1)`` (geometric, mean ``dt / (1 - A[k, k])``
    seconds). Stays cut off by the start or end of a trial are left out
    (their true length is unknown), and that biases the histogram towards
    short stays: a stay of ``m`` bins fits between the edges of a trial of
    ``T`` bins in only ``T - 1 - m`` positions. With ``A`` the curve drawn is
    the expectation for the stays that are counted, the geometric law
    weighted by ``T - 1 - m`` and normalised over ``m = 1 .. T - 2``.

    Parameters
    ----------
    states : array_like of int, shape (n_trials, T) or (T,)
    dt : float
        Bin width in seconds.
    A : array_like, shape (K, K), optional
        Transition matrix for the expected distribution.
    n_states : int, optional
        K; default from ``A`` or ``states.max() + 1``.
    ax : matplotlib Axes, optional
    max_time : float, optional
        Right end of the time axis in seconds.

    Returns
    -------
    matplotlib.figure.Figure
    """
    s = _int_array(states, "states")
    if s.ndim == 1:
        s = s[None, :]
    if s.ndim != 2 or min(s.shape) < 1:
        raise ValueError(f"states must have shape (n_trials, T) or (T,), got {np.shape(states)}")
    dt = check_dt(dt)
    if A is not None:
        A = _as_float_array(A, "A", 2)
        if A.shape[0] != A.shape[1]:
            raise ValueError(f"A must be square (K, K), got {A.shape}")
    if n_states is not None:
        K = check_int(n_states, "n_states", 1)
    elif A is not None:
        K = A.shape[0]
    else:
        K = int(s.max()) + 1
    if A is not None and A.shape != (K, K):
        raise ValueError(f"A must have shape ({K}, {K}) for K = {K} states, got {A.shape}")
    _check_state_values(s, K, "states")
    vals, lens = _runs(s)
    fig, ax = _new_axes(ax, figsize or (_WIDTH, 4.5))
    colors = state_colors(K)
    if max_time is None:
        top = np.quantile(lens, 0.98) * dt if lens.size else s.shape[1] * dt
        max_time = float(top) if top > 0 else s.shape[1] * dt
    max_bins = max(1, int(round(max_time / dt)))
    width = max(1, int(math.ceil(max_bins / 30)))  # histogram bin in time bins
    edges_bins = np.arange(1, max_bins + width + 1, width)  # durations [e, e+width)
    edges = (edges_bins - 0.5) * dt
    handles = []
    for k in range(K):
        d = lens[vals == k]
        color = colors[k]
        if d.size:
            counts, _ = np.histogram(d, bins=edges_bins - 0.5)
            dens = counts / (d.size * width * dt)
            ax.stairs(dens, edges, color=color, lw=1.8, fill=False)
        label = f"state {k + 1} ({d.size} stays)"
        handles.append(Line2D([], [], color=color, lw=1.8, label=label))
        if A is not None:
            expected = _completed_stay_pmf(A[k, k], s.shape[1], edges_bins[-1])
            if expected is not None:
                mass = np.add.reduceat(expected, np.arange(0, expected.size, width))[: edges.size - 1]
                ax.plot(0.5 * (edges[1:] + edges[:-1]), mass / (width * dt), color=color, ls="--", lw=1.5)
    if A is not None:
        handles.append(Line2D([], [], color=_GREY, ls="--", lw=1.5,
                              label=f"expected from A,\nstays within {s.shape[1]}-bin trials"))
    ax.set_xlim(0.0, edges[-1])
    ax.set_ylim(bottom=0.0)
    ax.set_xlabel("time spent in a state before leaving (s)")
    ax.set_ylabel("probability density (1/s)")
    ax.set_title("dwell times")
    _legend_outside(ax, handles)
    return fig


# --------------------------------------------------------------------------------------
# 02 forward-backward: posteriors, underflow
# --------------------------------------------------------------------------------------


def plot_posteriors(gamma, dt, states=None, trial=0, t_window=None, ax=None, filtered=None,
                    kind="auto", title=None, figsize=None):
    """Posterior state probabilities ``p(x_t = k | Y)`` of one trial over time.

    Parameters
    ----------
    gamma : array_like, shape (n_trials, T, K) or (T, K)
        Posterior probabilities (each bin sums to 1).
    dt : float
        Bin width in seconds.
    states : array_like of int, shape (n_trials, T) or (T,), optional
        True states, drawn as a coloured strip above the curves (labelled
        "true"). A ``(T,)`` sequence is used for every trial.
    trial : int, default 0
        Which trial to show (0-based; the title says "trial 1" for 0).
    t_window : (float, float), optional
        Time window ``(t0, t1)`` in seconds; default the whole trial.
    ax : matplotlib Axes, optional
    filtered : array_like, same shape as gamma, optional
        Filtering probabilities ``p(x_t = k | y_1..y_t)`` from the forward
        pass alone, drawn dashed for comparison with the smoothed ``gamma``.
    kind : {"auto", "lines", "stacked"}
        ``"lines"``: one line per state; ``"stacked"``: stacked areas (clearer
        for many states); ``"auto"``: lines for K <= 4, stacked otherwise.
    title : str, optional
        Default "trial <trial + 1>".

    Returns
    -------
    matplotlib.figure.Figure
    """
    g = _as_float_array(gamma, "gamma", 2 if np.ndim(gamma) == 2 else 3)
    if g.ndim == 2:
        g = g[None]
    if min(g.shape) < 1:
        raise ValueError(f"gamma must have shape (n_trials, T, K) with all sizes >= 1, got {g.shape}")
    n, T, K = g.shape
    dt = check_dt(dt)
    if isinstance(trial, bool) or not isinstance(trial, (numbers.Integral, np.integer)):
        raise TypeError(f"trial must be an integer, got {type(trial).__name__}")
    trial = int(trial)
    if not 0 <= trial < n:
        raise ValueError(f"trial must be in 0..{n - 1} (gamma has {n} trials), got {trial}")
    if kind not in ("auto", "lines", "stacked"):
        raise ValueError(f"kind must be 'auto', 'lines' or 'stacked', got {kind!r}")
    if kind == "auto":
        kind = "lines" if K <= 4 else "stacked"
    f = None
    if filtered is not None:
        f = _as_float_array(filtered, "filtered", 3 if np.ndim(filtered) == 3 else 2)
        if f.ndim == 2:
            f = f[None]
        if f.shape != g.shape:
            raise ValueError(f"filtered must have the same shape as gamma {g.shape}, got {f.shape}")
    s = None
    if states is not None:
        s = _int_array(states, "states")
        if s.shape == (T,):
            s = s
        elif s.shape == (n, T):
            s = s[trial]
        else:
            raise ValueError(
                f"states must have shape (n_trials, T) = ({n}, {T}) or (T,) = ({T},) to match gamma, "
                f"got {s.shape}"
            )
        _check_state_values(s, K, "states")

    i0, i1 = 0, T
    if t_window is not None:
        try:
            t0, t1 = (float(v) for v in t_window)
        except (TypeError, ValueError):
            raise ValueError(f"t_window must be a pair (t0, t1) of times in seconds, got {t_window!r}") from None
        if not (np.isfinite(t0) and np.isfinite(t1) and t0 < t1):
            raise ValueError(f"t_window must satisfy t0 < t1, got {t_window!r}")
        if t1 <= 0 or t0 >= T * dt:
            raise ValueError(f"t_window {t_window!r} lies outside the trial (0 to {T * dt:g} s)")
        i0 = max(0, int(math.floor(t0 / dt + 1e-9)))
        i1 = min(T, max(i0 + 1, int(math.ceil(t1 / dt - 1e-9))))

    fig, ax = _new_axes(ax, figsize or (_WIDTH, 4.2))
    colors = state_colors(K)
    t = (np.arange(i0, i1) + 0.5) * dt
    gt = g[trial, i0:i1]
    if kind == "stacked":
        ax.stackplot(t, gt.T, colors=colors, labels=[f"state {k + 1}" for k in range(K)],
                     alpha=0.85, lw=0)
    else:
        for k in range(K):
            ax.plot(t, gt[:, k], color=colors[k], lw=1.8, label=f"state {k + 1}")
    if f is not None:
        ft = f[trial, i0:i1]
        if kind == "stacked":
            ax.plot(t, np.cumsum(ft, axis=1)[:, :-1], color="white", ls="--", lw=1.0)
        else:
            for k in range(K):
                ax.plot(t, ft[:, k], color=colors[k], ls="--", lw=1.1, alpha=0.9)

    top = 1.0
    yticks = [0.0, 0.25, 0.5, 0.75, 1.0]
    labels = ["0", "0.25", "0.5", "0.75", "1"]
    if s is not None:
        cmap, norm = _state_cmap(K)
        ax.imshow(s[None, i0:i1], cmap=cmap, norm=norm, aspect="auto", interpolation="nearest",
                  extent=(i0 * dt, i1 * dt, 1.05, 1.13), origin="upper", zorder=2)
        top = 1.13
        yticks.append(1.09)
        labels.append("true")
    ax.set_xlim(i0 * dt, i1 * dt)
    ax.set_ylim(-0.02, top)
    ax.set_yticks(yticks, labels)
    ax.spines["left"].set_bounds(0.0, 1.0)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("posterior probability")
    ax.set_title(f"trial {trial + 1}" if title is None else title)

    handles = _state_handles(K, kind="line" if kind == "lines" else "patch")
    if f is not None:
        handles += [
            Line2D([], [], color=_GREY if kind == "lines" else "0.3", lw=1.8,
                   label=r"smoothed $p(x_t \mid y_{1:T})$"),
            Line2D([], [], color=_GREY if kind == "lines" else "0.3", lw=1.1, ls="--",
                   label=r"filtered $p(x_t \mid y_{1:t})$"),
        ]
    _legend_outside(ax, handles)
    return fig


def plot_underflow(T_values, naive_values, log_values, axes=None, figsize=None):
    """Why the forward pass works in logs (or rescales): the naive product underflows.

    Left: the probability of the data computed as a plain product of
    per-bin probabilities, on a log axis, falling through the smallest
    normal float64 (about 2.2e-308, dotted), through the subnormal range
    (shaded: fewer and fewer significant digits, down to about 4.9e-324)
    and then becoming exactly 0. Right: the same quantity as
    a sum of logs (nats), which stays finite; the log of the naive product
    is drawn dashed on top and stops where the product became 0.

    Parameters
    ----------
    T_values : array_like, shape (M,)
        Numbers of time bins (recording lengths), increasing.
    naive_values : array_like, shape (M,)
        The naive product for each length, e.g. ``np.prod(p_bins[:T])`` or an
        unscaled forward pass: probabilities >= 0 (0 where it underflowed).
    log_values : array_like, shape (M,)
        The log-likelihood for each length in nats, e.g.
        ``np.sum(np.log(p_bins[:T]))`` or ``helpers.log_likelihood``.
    axes : sequence of 2 Axes, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> p = np.full(2000, 0.5)                       # 2000 bins of probability 1/2
    >>> Ts = np.arange(50, 2001, 50)
    >>> fig = plot_underflow(Ts, [np.prod(p[:T]) for T in Ts],
    ...                      [np.log(p[:T]).sum() for T in Ts])
    """
    Tv = _float_1d(T_values, "T_values")
    nv = _float_1d(naive_values, "naive_values", allow_nonfinite=True)
    lv = _float_1d(log_values, "log_values", allow_nonfinite=True)
    if nv.shape != Tv.shape:
        raise ValueError(f"naive_values must have shape {Tv.shape} like T_values, got {nv.shape}")
    if lv.shape != Tv.shape:
        raise ValueError(f"log_values must have shape {Tv.shape} like T_values, got {lv.shape}")
    if np.any(np.isnan(nv)) or np.any(nv < 0) or np.any(np.isinf(nv)):
        raise ValueError("naive_values must be probabilities >= 0 (finite, not NaN)")
    if np.any(np.isnan(lv)) or np.any(lv == np.inf):
        raise ValueError("log_values must be log-probabilities (finite or -inf, not NaN)")

    fig, (ax1, ax2) = _new_axes_row(axes, 2, figsize or (_WIDTH + 0.5, 4.2))
    c_naive, c_log = STATE_COLORS[1], STATE_COLORS[0]
    pos = nv > 0
    tiny = np.finfo(np.float64).tiny
    smallest = np.nextafter(0.0, 1.0)
    ax1.set_yscale("log")
    if pos.any():
        ax1.plot(Tv[pos], nv[pos], "-o", color=c_naive, ms=4, label="naive product")
    if (~pos).any():
        ax1.plot(Tv[~pos], np.full((~pos).sum(), smallest), "x", color=c_naive, ms=8, mew=2,
                 clip_on=False, label="exactly 0 (underflow)")
    # below the smallest normal number, subnormal numbers trade precision for
    # range, down to the smallest subnormal; below that, a product is exactly 0
    ax1.axhspan(smallest, tiny, color=_GREY, alpha=0.2, lw=0, label="subnormal numbers")
    ax1.axhline(tiny, color=_GREY, ls=":", lw=1.3)
    ax1.text(0.03, tiny, "smallest normal float64\n" + r"$\approx 2.2 \times 10^{-308}$",
             transform=ax1.get_yaxis_transform(), ha="left", va="bottom", fontsize="small",
             color="0.3")
    lo = smallest if (~pos).any() else min(tiny, nv[pos].min()) / 1e3
    hi = max(1.0, nv[pos].max() if pos.any() else 1.0) * 1e3
    ax1.set_ylim(lo, hi)
    ax1.set_xlabel("length of recording T (bins)")
    ax1.set_ylabel("probability of the data")
    ax1.set_title("naive product of probabilities")
    ax1.legend(loc="upper right")

    finite = np.isfinite(lv)
    ax2.plot(Tv[finite], lv[finite], "-", color=c_log, lw=4.0, alpha=0.8, label="sum of log-probabilities")
    with np.errstate(divide="ignore"):
        log_naive = np.where(pos, np.log(np.where(pos, nv, 1.0)), -np.inf)
    if pos.any():
        ax2.plot(Tv[pos], log_naive[pos], "--", color=c_naive, lw=2.2, label="log of naive product")
    if (~pos).any() and pos.any():
        last = np.flatnonzero(pos)[-1]
        ax2.annotate(r"product hit 0: $\log 0 = -\infty$", xy=(Tv[last], log_naive[last]),
                     xytext=(0.04, 0.08), textcoords="axes fraction", fontsize="small",
                     arrowprops={"arrowstyle": "->", "color": "0.3"}, color="0.3")
    ax2.set_xlabel("length of recording T (bins)")
    ax2.set_ylabel("log-likelihood (nats)")
    ax2.set_title("the same in logs")
    ax2.legend(loc="upper right")
    return fig


# --------------------------------------------------------------------------------------
# 04 EM: learning curves, learned vs true
# --------------------------------------------------------------------------------------


def _as_runs(lls):
    """lls as a list of 1-D float arrays (one per run)."""
    if hasattr(lls, "lls") and not isinstance(lls, np.ndarray):
        lls = lls.lls  # an EMResult
    if isinstance(lls, (str, bytes)) or lls is None:
        raise TypeError(f"lls must be an array or a list of arrays, got {type(lls).__name__}")
    if isinstance(lls, np.ndarray):
        if lls.ndim == 1:
            return [_float_1d(lls, "lls", allow_nonfinite=True)]
        if lls.ndim == 2:
            return [_float_1d(row, f"lls[{i}]", allow_nonfinite=True) for i, row in enumerate(lls)]
        raise ValueError(f"lls must be 1-D (one run) or a list of 1-D arrays, got shape {lls.shape}")
    if isinstance(lls, (list, tuple)):
        if not lls:
            raise ValueError("lls is empty")
        if all(isinstance(v, (numbers.Real, np.number)) for v in lls):
            return [_float_1d(np.asarray(lls, dtype=float), "lls", allow_nonfinite=True)]
        runs = []
        for i, v in enumerate(lls):
            if hasattr(v, "lls") and not isinstance(v, np.ndarray):
                v = v.lls
            runs.append(_float_1d(v, f"lls[{i}]", allow_nonfinite=True))
        return runs
    raise TypeError(f"lls must be an array or a list of arrays, got {type(lls).__name__}")


def plot_lls(lls, dt=None, n_bins=None, ax=None, title=None, figsize=None):
    """Log-likelihood after every EM step (learning curve), for one or several runs.

    Step 0 is the log-likelihood of the initial parameters; step
    ``i`` is after ``i`` M-steps (as in ``EMResult.lls``).

    Parameters
    ----------
    lls : array_like or list of array_like or EMResult
        One run (1-D, nats), or several runs (restarts) as a list of 1-D
        arrays of any lengths (or a 2-D array, one row per run). With several
        runs the best one (highest final value) is drawn in colour and
        labelled "restart r (best)"; the others in grey.
    dt : float, optional
        Bin width in seconds; with ``n_bins``, the right axis shows nats per
        second of recording instead of nats per bin.
    n_bins : int, optional
        Total number of bins in the data (``n_trials * T``). Adds a right
        axis with the log-likelihood per bin (or per second with ``dt``).
    ax : matplotlib Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    runs = _as_runs(lls)
    if dt is not None:
        dt = check_dt(dt)
    if n_bins is not None:
        n_bins = check_int(n_bins, "n_bins", 1)
    elif dt is not None:
        raise ValueError("dt needs n_bins (the total number of bins) to convert to nats per second")
    fig, ax = _new_axes(ax, figsize or (_WIDTH, 4.5))
    finals = np.array([r[np.isfinite(r)][-1] if np.isfinite(r).any() else -np.inf for r in runs])
    best = int(np.argmax(finals))
    many = len(runs) > 1
    order = [i for i in range(len(runs)) if i != best] + [best]
    # restarts that end within 1 nat of the best reached it; the others stopped lower
    lower = finals < finals[best] - 1.0
    labelled = set()
    for i in order:
        r = np.where(np.isfinite(runs[i]), runs[i], np.nan)
        it = np.arange(r.size)
        if i == best:
            label = f"best restart ({i + 1})" if many else "EM"
            ax.plot(it, r, "-o", color=STATE_COLORS[0], lw=2.2, ms=5, zorder=3, label=label)
        elif lower[i]:
            label = "_" if "low" in labelled else "restarts that end lower"
            labelled.add("low")
            ax.plot(it, r, "--s", color=STATE_COLORS[1], lw=1.4, ms=3.5, alpha=0.95, zorder=2, label=label)
        else:
            label = "_" if "same" in labelled else "restarts that reach the best"
            labelled.add("same")
            ax.plot(it, r, "-o", color="0.6", lw=1.2, ms=3, alpha=0.9, zorder=2, label=label)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("EM step (0 = initial parameters)")
    ax.set_ylabel("log-likelihood (nats)")
    vals = np.concatenate([r[np.isfinite(r)] for r in runs]) if any(np.isfinite(r).any() for r in runs) else []
    if len(vals) and np.ptp(vals) >= 10:
        ax.yaxis.set_major_formatter(mpl.ticker.StrMethodFormatter("{x:,.0f}"))
    if n_bins is not None:
        scale = n_bins * (dt if dt is not None else 1.0)
        sec = ax.secondary_yaxis("right", functions=(lambda y: y / scale, lambda y: y * scale))
        sec.set_ylabel("nats per second" if dt is not None else "nats per bin")
    if many:
        handles, labels = ax.get_legend_handles_labels()
        first = [i for i, lab in enumerate(labels) if lab.startswith("best")] + \
                [i for i, lab in enumerate(labels) if not lab.startswith("best")]
        ax.legend([handles[i] for i in first], [labels[i] for i in first], loc="lower right", fontsize="small")
    if title is not None:
        ax.set_title(title)
    return fig


def plot_learned_vs_true(L_true, L_est, A_true, A_est, dt, axes=None, figsize=None):
    """Learned parameters against the true ones: firing rates and transition rates.

    The caller must first put the learned states in the true order: EM finds
    states in arbitrary order (label switching). Use
    ``p = helpers.align_states(L_true, L_est)`` and pass ``L_est[:, p]`` and
    ``A_est[np.ix_(p, p)]``.

    Left: every firing rate ``L[c, k]`` (Hz), true on x and learned on y,
    coloured by state. Right: every off-diagonal transition rate
    ``A[i, j] / dt`` (Hz), the rate of jumping **from state i to state j**
    (``A[i, j] = P(x[t+1] = j | x[t] = i)``). For ``K <= 4`` each pair has
    its own legend entry "i -> j" (colour = from-state, marker shape =
    to-state); for larger K the points are coloured by their from-state.
    Points on the dashed identity line are learned exactly. For ``K > 8``
    a discrete colour bar replaces the state legends.

    Parameters
    ----------
    L_true, L_est : array_like, shape (C, K)
        Firing rates in Hz.
    A_true, A_est : array_like, shape (K, K)
        Transition matrices.
    dt : float
        Bin width in seconds.
    axes : sequence of 2 Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    L_true = _as_float_array(L_true, "L_true", 2)
    L_est = _as_float_array(L_est, "L_est", 2)
    A_true = _as_float_array(A_true, "A_true", 2)
    A_est = _as_float_array(A_est, "A_est", 2)
    dt = check_dt(dt)
    if min(L_true.shape) < 1:
        raise ValueError(f"L_true must have shape (C, K) with C, K >= 1, got {L_true.shape}")
    C, K = L_true.shape
    if L_est.shape != (C, K):
        raise ValueError(f"L_est must have shape (C, K) = {L_true.shape} like L_true, got {L_est.shape}")
    if A_true.shape != (K, K):
        raise ValueError(f"A_true must have shape (K, K) = ({K}, {K}) to match L_true, got {A_true.shape}")
    if A_est.shape != (K, K):
        raise ValueError(f"A_est must have shape (K, K) = ({K}, {K}) to match L_true, got {A_est.shape}")

    fig, (ax1, ax2) = _new_axes_row(axes, 2, figsize or (_WIDTH + 0.5, 4.8))
    colors = state_colors(K)

    # (1) firing rates
    size = 60 if C * K <= 60 else 30
    for k in range(K):
        ax1.scatter(L_true[:, k], L_est[:, k], s=size, color=colors[k], edgecolors="white",
                    linewidths=0.6, zorder=3, label=f"state {k + 1}")
    _identity(ax1, np.concatenate([L_true.ravel(), L_est.ravel()]))
    ax1.set_xlabel("true firing rate (Hz)")
    ax1.set_ylabel("learned firing rate (Hz)")
    ax1.set_title("firing rates")
    if K <= len(STATE_COLORS):
        ax1.legend(loc="upper left", fontsize="small", handletextpad=0.2,
                   ncol=1 if K <= 4 else 2)
    else:
        _state_colorbar(fig, ax1, K)

    # (2) transition rates, off-diagonal
    ax2.set_xlabel("true transition rate (Hz)")
    ax2.set_ylabel("learned transition rate (Hz)")
    ax2.set_title(r"transition rates $A_{ij}/dt$, $i \neq j$")
    if K == 1:
        ax2.text(0.5, 0.5, "K = 1: no transitions", ha="center", va="center",
                 transform=ax2.transAxes, color="0.3")
        _identity(ax2, np.array([0.0, 1.0]))
        return fig
    R_true, R_est = A_true / dt, A_est / dt
    off = ~np.eye(K, dtype=bool)
    if K <= 4:
        markers = ["o", "s", "^", "D"]
        for i in range(K):
            for j in range(K):
                if i == j:
                    continue
                ax2.plot([R_true[i, j]], [R_est[i, j]], ls="none", marker=markers[j], ms=9,
                         color=colors[i], mec="white", mew=0.6, zorder=3,
                         label=f"{i + 1} \u2192 {j + 1}")
        _legend_outside(ax2, title="from \u2192 to", ncol=1 if K <= 3 else 2,
                        fontsize="small", handletextpad=0.2)
    else:
        for i in range(K):
            m = off[i]
            ax2.scatter(R_true[i, m], R_est[i, m], s=size, color=colors[i], edgecolors="white",
                        linewidths=0.6, zorder=3, label=f"from state {i + 1}")
        if K <= len(STATE_COLORS):
            _legend_outside(ax2, fontsize="small", handletextpad=0.2)
        else:
            _state_colorbar(fig, ax2, K, label="from state")
    _identity(ax2, np.concatenate([R_true[off], R_est[off]]))
    return fig


def _stop_steps(lls, tols):
    """For each tol, the first EM step m >= 1 whose relative gain is <= tol (None if never)."""
    gains = np.diff(lls) / np.abs(lls[1:])
    out = []
    for tol in tols:
        hit = np.flatnonzero(gains <= tol)
        out.append(int(hit[0]) + 1 if hit.size else None)
    return out


def _check_tols(tols):
    tols = np.atleast_1d(np.asarray(tols, dtype=float))
    if tols.ndim != 1 or not np.all(np.isfinite(tols)) or np.any(tols <= 0):
        raise ValueError(f"tols must be positive finite numbers, got {tols!r}")
    return tols


def plot_relative_gains(lls, tols=(), ax=None, title=None, figsize=None):
    """Relative gain of every EM step, with the tolerances that would stop it.

    The relative gain of step ``m`` is ``(lls[m] - lls[m-1]) / |lls[m]|``; EM
    with tolerance ``tol`` stops at the first step whose gain is ``<= tol``.
    Each tolerance is drawn as a dashed line, and its stopping step is
    marked. Steps that gained nothing (or lost by rounding) are left out of
    the log axis.

    Parameters
    ----------
    lls : array_like, shape (n_steps + 1,)
        Log-likelihood (nats) before every M-step and after the last.
    tols : sequence of float, optional
        Positive tolerances to draw.
    ax : matplotlib Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    lls = _float_1d(lls, "lls")
    if lls.size < 2:
        raise ValueError("lls needs at least 2 values (one EM step)")
    tols = _check_tols(tols) if len(np.atleast_1d(tols)) else np.array([])
    fig, ax = _new_axes(ax, figsize or (_WIDTH, 4.0))
    steps = np.arange(1, lls.size)
    gains = np.diff(lls) / np.abs(lls[1:])
    pos = gains > 0
    ax.semilogy(steps[pos], gains[pos], "-o", color=STATE_COLORS[0], lw=2, ms=5, zorder=3,
                label="relative gain")
    stops = _stop_steps(lls, tols)
    for tol, stop in zip(tols, stops):
        ax.axhline(tol, color=_GREY, ls="--", lw=1.1, zorder=1)
        ax.annotate(f"tol = {tol:.0e}", (1.0, tol), xycoords=("axes fraction", "data"),
                    xytext=(4, 0), textcoords="offset points", va="center", fontsize="small")
        if stop is not None and gains[stop - 1] > 0:
            ax.plot([stop], [gains[stop - 1]], "o", ms=11, mfc="none", mec=STATE_COLORS[1], mew=1.8,
                    zorder=4, label="where EM stops" if tol == tols[0] else "_")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("EM step $m$")
    ax.set_ylabel("relative gain of step $m$")
    if len(tols):
        ax.legend(loc="lower left", fontsize="small")
    if title is not None:
        ax.set_title(title)
    return fig


def plot_em_progress(lls, tols=(), axes=None, figsize=None):
    """One EM run in two panels: the learning curve, and the relative gain of every step.

    Left: :func:`plot_lls` of the run. Right: :func:`plot_relative_gains`,
    with the tolerances ``tols`` and where each would have stopped.

    Parameters
    ----------
    lls : array_like, shape (n_steps + 1,)
        Log-likelihood (nats) before every M-step and after the last.
    tols : sequence of float, optional
    axes : sequence of 2 Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, (ax1, ax2) = _new_axes_row(axes, 2, figsize or (_WIDTH + 1.5, 4.2))
    plot_lls(lls, ax=ax1, title="the climb")
    plot_relative_gains(lls, tols, ax=ax2, title="how fast it slows down")
    return fig


def plot_symmetry_break(lls, gaps, ll_ref=None, ref_label="reference", tols=(), axes=None,
                        figsize=None):
    """Two identical states pulled apart by rounding: their difference and the log-likelihood.

    Left: the largest difference between the two copies' firing rates (Hz,
    log axis) after every EM step; steps where it is exactly 0 are left out.
    Right: the log-likelihood, relative to ``ll_ref`` if given, with a dotted
    line at the step where each tolerance in ``tols`` would have stopped EM.

    Parameters
    ----------
    lls : array_like, shape (n,)
        Log-likelihood (nats) after 0, 1, ... M-steps.
    gaps : array_like, shape (n,)
        ``max_c |L[c, i] - L[c, j]|`` (Hz) of the two copies after the same steps.
    ll_ref : float, optional
        A log-likelihood to compare with (drawn at 0), e.g. that of the true parameters.
    ref_label : str
        Its legend label.
    tols : sequence of float, optional
        Tolerances whose stopping step to mark (relative rule).
    axes : sequence of 2 Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    lls = _float_1d(lls, "lls")
    gaps = _float_1d(gaps, "gaps")
    if gaps.shape != lls.shape:
        raise ValueError(f"gaps must have the same length as lls ({lls.size}), got {gaps.size}")
    if np.any(gaps < 0):
        raise ValueError("gaps must be >= 0 (absolute differences in Hz)")
    tols = _check_tols(tols) if len(np.atleast_1d(tols)) else np.array([])
    fig, (ax1, ax2) = _new_axes_row(axes, 2, figsize or (_WIDTH, 4.0))
    steps = np.arange(lls.size)
    pos = gaps > 0
    ax1.semilogy(steps[pos], gaps[pos], "-o", color=STATE_COLORS[1], lw=2, ms=4)
    ax1.yaxis.set_major_locator(mpl.ticker.LogLocator(numticks=6))  # many decades: few labels
    ax1.yaxis.set_minor_locator(mpl.ticker.NullLocator())
    ax1.set_xlabel("EM step")
    ax1.set_ylabel("largest rate difference\nbetween the copies (Hz)")
    ax1.set_title("the tie, broken by rounding")
    shift = 0.0 if ll_ref is None else float(ll_ref)
    ax2.plot(steps, lls - shift, "-o", color=STATE_COLORS[0], lw=2, ms=4, zorder=3, label="EM, tol = 0")
    if ll_ref is not None:
        ax2.axhline(0.0, color=_GREY, ls="--", lw=1.2, label=ref_label)
    for tol, stop in zip(tols, _stop_steps(lls, tols)):
        if stop is None:
            continue
        ax2.axvline(stop, color=STATE_COLORS[2], ls=":", lw=1.6, zorder=1)
        ax2.annotate(f"tol = {tol:.0e}", (stop, 0.02), xycoords=("data", "axes fraction"),
                     xytext=(3, 0), textcoords="offset points", rotation=90, va="bottom",
                     fontsize="small", color=STATE_COLORS[2])
    ax2.set_xlabel("EM step")
    ax2.set_ylabel("log-likelihood (nats)" if ll_ref is None else f"log-likelihood minus\n{ref_label} (nats)")
    ax2.yaxis.set_major_formatter(mpl.ticker.StrMethodFormatter("{x:,.0f}"))
    ax2.set_title("where each tolerance stops")
    ax2.legend(loc="center right", fontsize="small")
    for ax in (ax1, ax2):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    return fig


def _identity(ax, values):
    """Dashed y = x line, equal aspect, both axes from 0 to just above the data."""
    vals = values[np.isfinite(values)]
    hi = float(vals.max()) if vals.size else 1.0
    lo = min(0.0, float(vals.min()) if vals.size else 0.0)
    hi = hi * 1.08 if hi > 0 else 1.0
    ax.plot([lo, hi], [lo, hi], ls="--", color=_GREY, lw=1.2, zorder=1, label="_identity")
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_aspect("equal", adjustable="box")


# --------------------------------------------------------------------------------------
# 05 why EM climbs: the log-likelihood and its lower bound
# --------------------------------------------------------------------------------------


def plot_ll_ecll(scans, ncols=3, relative=True, axes=None, figsize=None):
    """Why EM climbs: log-likelihood and EM lower bound along each EM step.

    Each panel is one :class:`helpers.LineScan` (from
    :func:`helpers.scan_ll_ecll`): along the straight line
    ``theta(b) = theta_old + b (theta_new - theta_old)``, the data
    log-likelihood and the bound ``ECLL + entropy``. The bound touches the
    log-likelihood at ``b = 0`` (``theta^(e)``) and is maximised at ``b = 1``
    (``theta^(e+1)``, the M-step), so the log-likelihood at ``theta^(e+1)``
    is at least as high as at ``theta^(e)``.

    Parameters
    ----------
    scans : sequence of LineScan
        Objects with attributes ``epoch``, ``b``, ``ll``, ``bound`` (any number).
    ncols : int, default 3
        Panels per row (fewer if there are fewer scans); unused panels are removed.
    relative : bool, default True
        Plot relative to the log-likelihood at ``theta^(e)`` (each panel's
        ``b = 0`` value), which makes the touching point 0 in every panel.
    axes : sequence of Axes, optional
        At least ``len(scans)`` axes to draw into (the legend then goes on
        the first one instead of the figure).

    Returns
    -------
    matplotlib.figure.Figure
        With exactly one legend (a figure legend above the panels).
    """
    if isinstance(scans, (str, bytes)) or not hasattr(scans, "__len__"):
        scans = [scans]
    scans = list(scans)
    if not scans:
        raise ValueError("scans is empty: pass the list returned by helpers.scan_ll_ecll")
    ncols = check_int(ncols, "ncols", 1)
    data = []
    for i, sc in enumerate(scans):
        try:
            epoch, b, ll, bound = sc.epoch, sc.b, sc.ll, sc.bound
        except AttributeError:
            raise TypeError(
                f"scans[{i}] must be a LineScan (attributes epoch, b, ll, bound), "
                f"got {type(sc).__name__}"
            ) from None
        b = _float_1d(b, f"scans[{i}].b")
        ll = _float_1d(ll, f"scans[{i}].ll", allow_nonfinite=True)
        bound = _float_1d(bound, f"scans[{i}].bound", allow_nonfinite=True)
        if ll.shape != b.shape or bound.shape != b.shape:
            raise ValueError(
                f"scans[{i}]: b, ll and bound must have the same length, got "
                f"{b.size}, {ll.size}, {bound.size}"
            )
        zero = np.flatnonzero(np.isclose(b, 0.0, atol=1e-12))
        one = np.flatnonzero(np.isclose(b, 1.0, atol=1e-12))
        if zero.size == 0 or one.size == 0:
            raise ValueError(f"scans[{i}].b must contain 0 (theta_old) and 1 (theta_new)")
        order = np.argsort(b)
        data.append((int(epoch), b[order], ll[order], bound[order], zero[0], one[0], ll[zero[0]]))

    n = len(data)
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    if axes is None:
        if figsize is None:
            figsize = ((7.0, 0.7 + 3.8 * nrows) if ncols == 1
                       else (min(_WIDTH + 0.5, 0.6 + 3.3 * ncols), 0.7 + 3.0 * nrows))
        fig, grid = plt.subplots(nrows, ncols, figsize=figsize, layout="constrained", squeeze=False)
        flat = list(grid.ravel())
        for ax in flat[n:]:
            ax.remove()
        axs = flat[:n]
        cols = [i % ncols for i in range(n)]
        bottom = [i + ncols >= n for i in range(n)]
    else:
        axs = [axes] if isinstance(axes, mpl.axes.Axes) else list(np.ravel(np.asarray(axes, dtype=object)))
        if len(axs) < n or not all(isinstance(a, mpl.axes.Axes) for a in axs):
            raise ValueError(f"axes must hold at least {n} matplotlib Axes (one per scan), got {len(axs)}")
        axs = axs[:n]
        fig = _figure_of(axs[0])
        cols = [0] * n
        bottom = [True] * n

    c_ll, c_bd = STATE_COLORS[0], STATE_COLORS[1]
    for ax, (epoch, b, ll, bd, i0, i1, ref), col, is_bottom in zip(axs, data, cols, bottom):
        off = ref if relative else 0.0
        y_ll = np.where(np.isfinite(ll), ll - off, np.nan)
        y_bd = np.where(np.isfinite(bd), bd - off, np.nan)
        ax.axvline(0.0, color=_GREY, ls="--", lw=1.0, zorder=1)
        ax.axvline(1.0, color=_GREY, ls="--", lw=1.0, zorder=1)
        ax.plot(b, y_ll, "-o", color=c_ll, ms=3.5, lw=2.0, zorder=3, label="log-likelihood")
        ax.plot(b, y_bd, "-s", color=c_bd, ms=3.0, lw=1.6, zorder=2,
                label="ECLL + entropy (lower bound)")
        # the two points that tell the story: touching at b = 0, the M-step at b = 1
        zero = np.isclose(b, 0.0, atol=1e-12)
        one = np.isclose(b, 1.0, atol=1e-12)
        ax.plot(b[zero][:1], y_ll[zero][:1], "o", ms=8, mfc="white", mec="black", mew=1.5, zorder=4)
        ax.plot(b[one][:1], y_ll[one][:1], "o", ms=8, mfc=c_ll, mec="black", mew=1.5, zorder=4)
        ax.plot(b[one][:1], y_bd[one][:1], "s", ms=7, mfc=c_bd, mec="black", mew=1.5, zorder=4)
        # b on the axis, with theta^(m-1) at b = 0 and theta^(m) at b = 1
        ticks = [v for v in (-1.0, 0.0, 1.0, 2.0) if b.min() - 1e-9 <= v <= b.max() + 1e-9]
        names = {0.0: rf"$\theta^{{({epoch})}}$" + "\n0", 1.0: rf"$\theta^{{({epoch + 1})}}$" + "\n1"}
        ax.set_xticks(ticks, [names.get(v, f"{v:g}") for v in ticks])
        ax.set_title(f"EM step {epoch + 1}", fontsize="medium")
        if col == 0:
            ax.set_ylabel(
                "log-likelihood (nats)\n" + r"relative to $\theta^{(m-1)}$" if relative
                else "log-likelihood (nats)"
            )
        if is_bottom:
            ax.set_xlabel(r"position $b$ on step $m$: $\theta^{(m-1)} \to \theta^{(m)}$",
                          fontsize="small")
        if not relative:
            ax.yaxis.set_major_formatter(mpl.ticker.StrMethodFormatter("{x:,.0f}"))
    handles = [
        Line2D([], [], color=c_ll, marker="o", ms=5, lw=2.0, label="log-likelihood"),
        Line2D([], [], color=c_bd, marker="s", ms=5, lw=1.6, label="ECLL + entropy (lower bound)"),
    ]
    if axes is None:
        fig.legend(handles=handles, loc="outside upper center", ncol=2)
    else:
        axs[0].legend(handles=handles, loc="lower center", fontsize="small")
    return fig


def plot_coordinate_ascent(scans, n_steps=4, ax=None, figsize=None):
    """EM as coordinate ascent: the log-likelihood and F(q, theta) after every half-step.

    From :func:`helpers.scan_ll_ecll`'s scans, only the two ends of every
    line are used: ``b = 0`` (``theta^(m-1)``, where the E-step makes ``F``
    touch the log-likelihood) and ``b = 1`` (``theta^(m)``, the M-step's
    maximum of ``F`` over ``theta``). The x-axis alternates E- and M-steps;
    ``F`` (the lower bound) climbs at every half-step, and the vertical gap
    between the curves after an M-step is ``KL(q || p(x | Y, theta^(m)))``,
    which the next E-step closes.

    Parameters
    ----------
    scans : sequence of LineScan
        Consecutive EM steps, as returned by :func:`helpers.scan_ll_ecll`.
    n_steps : int, default 4
        Number of EM steps to draw (at most ``len(scans)``): the first steps
        are large, later ones would be invisible on the same axis.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
        Values in nats relative to the log-likelihood at ``theta^(0)``.
    """
    if isinstance(scans, (str, bytes)) or not hasattr(scans, "__len__"):
        raise TypeError("scans must be the list of LineScan returned by helpers.scan_ll_ecll")
    scans = list(scans)
    if not scans:
        raise ValueError("scans is empty: pass the list returned by helpers.scan_ll_ecll")
    n_steps = min(check_int(n_steps, "n_steps", 1), len(scans))
    ll, bound = [], []  # ll[m] = LL(theta^(m)); bound[m] = F after M-step m + 1
    for i, sc in enumerate(scans[:n_steps]):
        try:
            b = _float_1d(sc.b, f"scans[{i}].b")
            l_ = _float_1d(sc.ll, f"scans[{i}].ll", allow_nonfinite=True)
            f_ = _float_1d(sc.bound, f"scans[{i}].bound", allow_nonfinite=True)
        except AttributeError:
            raise TypeError(f"scans[{i}] must be a LineScan (attributes b, ll, bound), "
                            f"got {type(sc).__name__}") from None
        if l_.shape != b.shape or f_.shape != b.shape:
            raise ValueError(f"scans[{i}]: b, ll and bound must have the same length")
        zero = np.flatnonzero(np.isclose(b, 0.0, atol=1e-12))
        one = np.flatnonzero(np.isclose(b, 1.0, atol=1e-12))
        if zero.size == 0 or one.size == 0:
            raise ValueError(f"scans[{i}].b must contain 0 (theta_old) and 1 (theta_new)")
        if i == 0:
            ll.append(l_[zero[0]])
        elif not np.isclose(l_[zero[0]], ll[-1], rtol=1e-9, atol=1e-6):
            raise ValueError(f"scans[{i}] does not start where scans[{i - 1}] ended: pass consecutive EM steps")
        bound.append(f_[one[0]])
        ll.append(l_[one[0]])
    ref = ll[0]
    ll = np.array(ll) - ref
    bound = np.array(bound) - ref
    # half-steps: x = 2m after E-step m (F touches LL), x = 2m + 1 after M-step m + 1
    x = np.arange(2 * n_steps + 1)
    f_path = np.empty(x.size)
    f_path[0::2] = ll
    f_path[1::2] = bound
    ll_path = np.empty(x.size)
    ll_path[0] = ll[0]
    ll_path[1::2] = ll[1:]
    ll_path[2::2] = ll[1:]
    fig, ax = _new_axes(ax, figsize or (_WIDTH, 4.8))
    c_ll, c_f = STATE_COLORS[0], STATE_COLORS[1]
    # plain text, no mathtext: parsing it costs more than drawing the figure
    ax.plot(x, ll_path, "-o", color=c_ll, lw=2.0, ms=6, zorder=3, label="log-likelihood \u2113(\u03b8)")
    ax.plot(x, f_path, "--s", color=c_f, lw=1.6, ms=5, zorder=4, label="F(q, \u03b8) = ECLL + entropy")
    span = max(float(np.nanmax(ll_path) - np.nanmin(f_path)), 1e-12)
    for m in range(n_steps):
        xm = 2 * m + 1
        if not ll[m + 1] - bound[m] > 0.04 * span:  # too small for an arrow to read
            continue
        ax.annotate("", xy=(xm, ll[m + 1]), xytext=(xm, bound[m]),
                    arrowprops=dict(arrowstyle="<->", color=_GREY, lw=1.2, shrinkA=4, shrinkB=4), zorder=2)
        if m == 0:
            ax.text(xm + 0.12, 0.5 * (ll[1] + bound[0]), "gap = KL", color="0.3", va="center",
                    fontsize="small")
    labels = ["E 0"] + [(f"M {(i + 1) // 2}" if i % 2 else f"E {i // 2}") for i in range(1, x.size)]
    ax.set_xticks(x, labels)
    ax.set_xlabel("half-steps: E-step m sets q to the posterior at \u03b8(m); M-step m gives \u03b8(m)")
    ax.set_ylabel("nats, relative to \u2113(\u03b8(0))")
    ax.legend(loc="lower right")
    return fig


# --------------------------------------------------------------------------------------
# 06 checking the model: recovery, decoding, choosing K
# --------------------------------------------------------------------------------------


def plot_recovery(n_trials, errors_L, errors_A=None, ax=None, reference=True, logy=True,
                  figsize=None, dt=None):
    """Parameter-recovery error against the amount of training data (log x-axis).

    Parameters
    ----------
    n_trials : array_like, shape (M,)
        Number of training trials of each fit (> 0).
    errors_L : array_like, shape (M,) or (M, R)
        Mean absolute firing-rate error (Hz), e.g. ``recovery_error(...)["L"]``;
        with R repeats per size the repeats are dots and their mean a line.
    errors_A : array_like, shape (M,) or (M, R), optional
        Mean absolute error of the off-diagonal transition probabilities
        (``recovery_error(...)["A"]``); adds a second panel.
    ax : Axes, or sequence of 2 Axes with ``errors_A``, optional
    reference : bool, default True
        Draw a dotted ``1/sqrt(N)`` guide through the first mean (the rate at
        which estimation error typically shrinks).
    logy : bool, default True
        Log y-axis too (a power law is then a straight line).
    dt : float, optional
        Bin width in seconds: the second panel then shows switching rates,
        ``errors_A / dt`` in Hz (the units a table of rates uses).

    Returns
    -------
    matplotlib.figure.Figure
    """
    N = _float_1d(n_trials, "n_trials")
    if dt is not None:
        dt = check_dt(dt)
    if np.any(N <= 0):
        raise ValueError("n_trials must be positive numbers of trials")
    eL = _recovery_errors(errors_L, "errors_L", N.size)
    eA = None if errors_A is None else _recovery_errors(errors_A, "errors_A", N.size)
    n_pan = 1 if eA is None else 2
    if n_pan == 1:
        fig, ax1 = _new_axes(ax, figsize or (_WIDTH * 0.7, 4.5))
        axs = [ax1]
    else:
        fig, axs = _new_axes_row(ax, 2, figsize or (_WIDTH + 0.5, 4.5), name="ax")
    panels = [(eL, "rate error (Hz)", STATE_COLORS[0], "firing rates")]
    if eA is not None and dt is not None:
        panels.append((eA / dt, "switching-rate error (Hz)", STATE_COLORS[1], "switching rates"))
    elif eA is not None:
        panels.append((eA, "transition-probability error", STATE_COLORS[1], "transition probabilities"))
    order = np.argsort(N)
    for a, (e, ylabel, color, title) in zip(axs, panels):
        ok = ~np.isnan(e)
        n_ok = ok.sum(axis=1)
        mean = np.where(ok, e, 0.0).sum(axis=1) / np.maximum(n_ok, 1)
        mean[n_ok == 0] = np.nan
        if e.shape[1] > 1:
            xs = np.repeat(N[:, None], e.shape[1], axis=1)
            a.plot(xs.ravel(), e.ravel(), "o", color=color, alpha=0.3, ms=4, mec="none",
                   label="single fits")
            a.plot(N[order], mean[order], "-o", color=color, ms=6, label="mean")
        else:
            a.plot(N[order], mean[order], "-o", color=color, ms=6, label="error")
        a.set_xscale("log")
        a.set_xticks(N[order], [f"{n:g}" for n in N[order]])  # every size on the axis
        a.xaxis.set_minor_locator(mpl.ticker.NullLocator())
        if logy and np.all(e[np.isfinite(e)] > 0):
            a.set_yscale("log")
            a.yaxis.set_major_formatter(_PlainLogFormatter())
            a.yaxis.set_minor_formatter(_PlainLogFormatter())
        else:
            a.set_ylim(bottom=0.0)
        if reference and np.isfinite(mean[order][0]) and mean[order][0] > 0 and N.size > 1:
            guide = mean[order][0] * np.sqrt(N[order][0] / N[order])
            a.plot(N[order], guide, ":", color=_GREY, lw=1.5, label=r"$\propto 1/\sqrt{N}$")
        a.set_xlabel("amount of data (trials)")
        a.set_ylabel(ylabel)
        a.set_title(title)
        if a.get_legend_handles_labels()[0] and (e.shape[1] > 1 or reference):
            a.legend(loc="upper right", fontsize="small")
    return fig


class _PlainLogFormatter(mpl.ticker.LogFormatterSciNotation):
    """Log-axis labels as plain numbers ("0.002", "40") instead of "2 x 10^-3"."""

    def __call__(self, x, pos=None):
        return f"{x:.3g}" if super().__call__(x, pos) else ""


def _recovery_errors(e, name, M):
    if isinstance(e, (str, bytes)) or e is None:
        raise TypeError(f"{name} must be an array of numbers")
    arr = np.asarray(e, dtype=np.float64) if np.asarray(e).dtype != object else None
    if arr is None:
        raise TypeError(f"{name} must be an array of numbers, got dtype object")
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[0] != M or arr.shape[1] < 1:
        raise ValueError(f"{name} must have shape (M,) or (M, R) with M = {M} (len(n_trials)), "
                         f"got {np.shape(e)}")
    if np.any(arr[~np.isnan(arr)] < 0) or np.any(np.isinf(arr)):
        raise ValueError(f"{name} must hold errors >= 0 (NaN allowed for missing fits)")
    return arr


def plot_heldout(result, ax=None, figsize=None):
    """Choosing K: training and held-out log-likelihood per second against K.

    Parameters
    ----------
    result : dict
        As returned by :func:`helpers.held_out_ll`: ``"K"`` (M,), ``"train"``
        and ``"test"`` (M,) in nats per second of recording.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
        The K with the highest held-out log-likelihood is starred.
    """
    if not isinstance(result, dict) or not all(key in result for key in ("K", "train", "test")):
        raise TypeError("result must be the dict from helpers.held_out_ll with keys 'K', 'train', 'test'")
    Ks = _float_1d(result["K"], "result['K']")
    tr = _float_1d(result["train"], "result['train']", allow_nonfinite=True)
    te = _float_1d(result["test"], "result['test']", allow_nonfinite=True)
    if tr.shape != Ks.shape:
        raise ValueError(f"result['train'] must have shape {Ks.shape} like result['K'], got {tr.shape}")
    if te.shape != Ks.shape:
        raise ValueError(f"result['test'] must have shape {Ks.shape} like result['K'], got {te.shape}")
    if np.any(np.isnan(te)) or np.any(np.isnan(tr)):
        raise ValueError("result['train'] and result['test'] must not be NaN")
    fig, ax = _new_axes(ax, figsize or (_WIDTH * 0.75, 4.5))
    order = np.argsort(Ks)
    ks, tr, te = Ks[order], tr[order], te[order]
    ax.plot(ks, np.where(np.isfinite(tr), tr, np.nan), "--o", color=_GREY, ms=6, lw=1.6,
            label="training trials")
    ax.plot(ks, np.where(np.isfinite(te), te, np.nan), "-s", color=STATE_COLORS[0], ms=6,
            label="held-out trials")
    if np.isfinite(te).any():
        best = int(np.nanargmax(np.where(np.isfinite(te), te, np.nan)))
        ax.axvline(ks[best], color=_GREY, ls="--", lw=1.0, zorder=1)
        ax.plot([ks[best]], [te[best]], "*", ms=20, color=STATE_COLORS[1], mec="black", mew=0.8,
                zorder=4, label=f"best held-out: K = {ks[best]:g}")
    if ks.size <= 15:
        ax.set_xticks(ks, [f"{k:g}" for k in ks])
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("number of hidden states K")
    ax.set_ylabel("log-likelihood (nats/s)")
    ax.set_title("choosing K")
    ax.legend(loc="lower right")
    return fig


def plot_calibration(gamma, states_true, n_bins=10, ax=None, figsize=None):
    """Is the posterior calibrated? Accuracy of the decoded state against its probability.

    Every bin is decoded as ``argmax_k gamma[n, t, k]`` with confidence
    ``max_k gamma[n, t, k]``. The bins are grouped by confidence; each dot is
    a group's mean confidence against the fraction of its bins decoded
    correctly, with an area proportional to the group's share of all bins. A
    calibrated posterior puts the dots on the diagonal.

    Parameters
    ----------
    gamma : array_like, shape (n_trials, T, K)
        Posteriors whose state labels match the truth (see
        :func:`helpers.align_states`).
    states_true : array_like of int, shape (n_trials, T)
    n_bins : int, default 10
        Equal-width confidence groups between 1/K and 1.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    g = _as_float_array(gamma, "gamma", 3)
    s = _int_array(states_true, "states_true")
    if s.shape != g.shape[:2]:
        raise ValueError(f"states_true must have shape (n_trials, T) = {g.shape[:2]} like gamma, got {s.shape}")
    K = g.shape[2]
    _check_state_values(s, K, "states_true")
    n_bins = check_int(n_bins, "n_bins", 1)
    if s.size == 0:
        raise ValueError("gamma and states_true are empty")
    conf = g.max(axis=2).ravel()
    right = (g.argmax(axis=2) == s).ravel()
    edges = np.linspace(1.0 / K, 1.0, n_bins + 1)
    group = np.clip(np.searchsorted(edges, conf, side="right") - 1, 0, n_bins - 1)
    count = np.bincount(group, minlength=n_bins)
    hits = np.bincount(group, weights=right, minlength=n_bins)
    mean_conf = np.bincount(group, weights=conf, minlength=n_bins)
    ok = count > 0
    share = count[ok] / count.sum()
    fig, ax = _new_axes(ax, figsize or (_WIDTH * 0.62, 4.6))
    lo = 1.0 / K
    ax.plot([lo, 1.0], [lo, 1.0], ":", color=_GREY, lw=1.5, label="calibrated")
    ax.plot(mean_conf[ok] / count[ok], hits[ok] / count[ok], "-", color=STATE_COLORS[0], lw=1.5, zorder=2)
    ax.scatter(mean_conf[ok] / count[ok], hits[ok] / count[ok], s=20 + 600 * share, color=STATE_COLORS[0],
               alpha=0.8, zorder=3, label="groups of bins (area: share of bins)")
    ax.set_xlabel("posterior probability of the decoded state")
    ax.set_ylabel("fraction decoded correctly")
    ax.set_xlim(lo - 0.03, 1.03)
    ax.set_ylim(0.0, 1.05)
    ax.legend(loc="upper left")
    return fig


def plot_heldout_cv(Ks, train, test, ax=None, ylabel="log-likelihood (nats/s)", figsize=None):
    """Choosing K by cross-validation: one line per split, and their mean.

    Parameters
    ----------
    Ks : array_like, shape (M,)
        Candidate numbers of states.
    train, test : array_like, shape (F, M)
        Training and held-out scores (e.g. nats per second, or gains over
        K = 1) of every split (fold) f and every K.
    ax : matplotlib Axes, optional
    ylabel : str
        Label of the y-axis (units!).

    Returns
    -------
    matplotlib.figure.Figure
        The K with the best mean held-out score is starred.
    """
    Ks = _float_1d(Ks, "Ks")
    tr = np.asarray(train, dtype=float)
    te = np.asarray(test, dtype=float)
    for name, arr in (("train", tr), ("test", te)):
        if arr.ndim != 2 or arr.shape[1] != Ks.size or arr.shape[0] < 1:
            raise ValueError(f"{name} must have shape (n_splits, len(Ks)) = (F, {Ks.size}), got {arr.shape}")
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} must hold finite numbers")
    if tr.shape != te.shape:
        raise ValueError(f"train and test must have the same shape, got {tr.shape} and {te.shape}")
    fig, ax = _new_axes(ax, figsize or (_WIDTH * 0.75, 4.6))
    order = np.argsort(Ks)
    ks = Ks[order]
    tr, te = tr[:, order], te[:, order]
    for f in range(te.shape[0]):
        ax.plot(ks, tr[f], "--", color=_GREY, lw=0.9, alpha=0.6)
        ax.plot(ks, te[f], "-", color=STATE_COLORS[0], lw=0.9, alpha=0.45)
    ax.plot(ks, tr.mean(axis=0), "--o", color=_GREY, lw=2.0, ms=6, label="training, mean of splits")
    ax.plot(ks, te.mean(axis=0), "-s", color=STATE_COLORS[0], lw=2.2, ms=6, label="held-out, mean of splits")
    ax.plot([], [], "-", color=STATE_COLORS[0], lw=0.9, alpha=0.45, label="held-out, each split")
    ax.plot([], [], "--", color=_GREY, lw=0.9, alpha=0.6, label="training, each split")
    best = int(np.argmax(te.mean(axis=0)))
    ax.plot([ks[best]], [te.mean(axis=0)[best]], "*", ms=20, color=STATE_COLORS[1], mec="black", mew=0.8,
            zorder=4, label=f"best mean held-out: K = {ks[best]:g}")
    ax.set_xticks(ks, [f"{k:g}" for k in ks])
    ax.set_xlabel("number of hidden states K")
    ax.set_ylabel(ylabel)
    ax.legend(loc="lower right", fontsize="small")
    return fig


def plot_confusion(states_true, states_decoded, K=None, ax=None, annotate=None, figsize=None):
    """Confusion matrix of decoded against true states, normalised per true state.

    Entry ``[i, j]`` is the fraction of the bins whose true state is ``i``
    that were decoded as ``j`` (rows sum to 1; a true state that never
    occurs gives a grey row). The decoded labels must already be aligned
    with the true ones (``helpers.align_states``).

    Parameters
    ----------
    states_true, states_decoded : array_like of int, same shape
        e.g. ``data["states"]`` and ``gamma.argmax(axis=2)`` or ``helpers.viterbi(...)``.
    K : int, optional
        Number of states; default ``max(states) + 1``.
    ax : matplotlib Axes, optional
    annotate : bool, optional
        Write the fractions into the cells; default for ``K <= 10``.

    Returns
    -------
    matplotlib.figure.Figure
        The title gives the overall accuracy.
    """
    st = _int_array(states_true, "states_true")
    sd = _int_array(states_decoded, "states_decoded")
    if st.shape != sd.shape:
        raise ValueError(f"states_decoded must have the same shape as states_true {st.shape}, got {sd.shape}")
    if st.size == 0:
        raise ValueError("states_true is empty")
    if K is None:
        K = int(max(st.max(), sd.max())) + 1
    K = check_int(K, "K", 1)
    _check_state_values(st, K, "states_true")
    _check_state_values(sd, K, "states_decoded")
    counts = np.bincount((st * K + sd).ravel(), minlength=K * K).reshape(K, K).astype(float)
    rows = counts.sum(axis=1, keepdims=True)
    frac = np.divide(counts, rows, out=np.full_like(counts, np.nan), where=rows > 0)
    acc = float(np.trace(counts) / counts.sum())
    if annotate is None:
        annotate = K <= 10
    side = float(np.clip(3.2 + 0.35 * K, 4.5, 8.5))
    fig, ax = _new_axes(ax, figsize or (side + 1.6, side))
    cmap = mpl.colormaps["cividis"].with_extremes(bad="0.85")
    im = ax.imshow(np.ma.masked_invalid(frac), cmap=cmap, vmin=0.0, vmax=1.0, interpolation="nearest")
    cb = fig.colorbar(im, ax=ax, label="fraction of the true state's bins", fraction=0.05, pad=0.03)
    cb.outline.set_visible(False)
    _heat_ticks(ax, (K, K), xlabel="decoded state", ylabel="true state")
    if annotate:
        _annotate_cells(ax, frac, "{:.2f}", im)
    ax.set_title(f"decoding accuracy {100 * acc:.1f} %")
    return fig


# --------------------------------------------------------------------------------------
# 07 real data: a recording with its force, choosing K by blocks, checking dispersion
# --------------------------------------------------------------------------------------


def _spike_trains(spike_times):
    """A list of 1-D float arrays from a sequence of spike-time arrays (one per unit)."""
    if spike_times is None or isinstance(spike_times, (str, bytes)) or not hasattr(spike_times, "__len__"):
        raise TypeError(f"spike_times must be a sequence of 1-D arrays of spike times, got "
                        f"{type(spike_times).__name__}")
    trains = []
    for c, t in enumerate(spike_times):
        arr = _float_1d(t, f"spike_times[{c}]") if np.size(t) else np.zeros(0)
        trains.append(arr)
    if not trains:
        raise ValueError("spike_times holds no units")
    return trains


def _one_sequence(x, name, T=None):
    """``(T,)`` or ``(1, T)`` integer states of one recording as ``(T,)``."""
    s = _int_array(x, name)
    if s.ndim == 2 and s.shape[0] == 1:
        s = s[0]
    if s.ndim != 1 or (T is not None and s.shape != (T,)):
        want = f"(T,) or (1, T) with T = {T}" if T is not None else "(T,) or (1, T)"
        raise ValueError(f"{name} must have shape {want}, got {np.shape(x)}")
    return s


def plot_recording(spike_times, force_time, force, epochs=None, states=None, dt=None, gamma=None,
                   n_states=None, figsize=None):
    """One recording: the force on top, optionally the posteriors, the spike raster below.

    Parameters
    ----------
    spike_times : sequence of C 1-D arrays
        Spike times of every unit in seconds (unit 1 drawn at the top).
    force_time, force : array_like, shape (n,)
        The force trace (times in s; force in % MVC).
    epochs : array_like, shape (4,), optional
        Start of the ramp up, start and end of the plateau, end of the ramp
        down (s), as from :func:`helpers.recordings.force_epochs`: drawn as
        dashed lines and named above the force.
    states : array_like of int, shape (T,) or (1, T), optional
        A decoded state per bin (0..K-1); shades the force and the raster.
        Needs ``dt``.
    dt : float, optional
        Bin width of ``states`` and ``gamma`` in seconds.
    gamma : array_like, shape (T, K) or (1, T, K), optional
        Posterior state probabilities, drawn as stacked areas in a middle
        panel. Needs ``dt``.
    n_states : int, optional
        Number of states K for the colours (default: from gamma, or
        ``states.max() + 1``).
    figsize : (float, float), optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    trains = _spike_trains(spike_times)
    ft = _float_1d(force_time, "force_time")
    fv = _float_1d(force, "force")
    if fv.shape != ft.shape:
        raise ValueError(f"force must have the same shape as force_time {ft.shape}, got {fv.shape}")
    ep = None
    if epochs is not None:
        ep = _float_1d(epochs, "epochs")
        if ep.shape != (4,) or not np.all(np.diff(ep) >= 0):
            raise ValueError(f"epochs must be 4 increasing times (s), got {np.round(ep, 3).tolist()}")
    if (states is not None or gamma is not None) and dt is None:
        raise TypeError("dt (bin width in seconds) is required with states or gamma")
    g = s = None
    K = None
    if gamma is not None:
        g = _as_float_array(gamma, "gamma", 3 if np.ndim(gamma) == 3 else 2)
        if g.ndim == 3:
            if g.shape[0] != 1:
                raise ValueError(f"gamma must have shape (T, K) or (1, T, K), got {g.shape}")
            g = g[0]
        if min(g.shape) < 1 or g.min() < 0:
            raise ValueError(f"gamma must be (T, K) probabilities, got shape {g.shape}")
        K = g.shape[1]
    if states is not None:
        s = _one_sequence(states, "states", None if g is None else g.shape[0])
        if K is None:
            K = int(s.max()) + 1 if n_states is None else check_int(n_states, "n_states", 1)
        _check_state_values(s, K, "states")
    if n_states is not None and K is not None and check_int(n_states, "n_states", 1) != K:
        raise ValueError(f"n_states = {n_states} does not match the {K} states of gamma")
    if dt is not None:
        dt = check_dt(dt)
    C = len(trains)
    t_end = float(ft[-1] + (ft[1] - ft[0]) / 2)
    for t in trains:
        if t.size:
            t_end = max(t_end, float(t.max()))
    if s is not None:
        t_end = max(t_end, s.size * dt)

    rows = [1.4] + ([1.0] if g is not None else []) + [0.9 + 0.22 * C]
    if figsize is None:
        figsize = (_WIDTH, 1.2 + 1.3 * len(rows) + 0.25 * C)
    fig, axs = plt.subplots(len(rows), 1, figsize=figsize, layout="constrained", sharex=True,
                            gridspec_kw={"height_ratios": rows})
    ax_f, ax_r = axs[0], axs[-1]

    def shade(ax, y0, y1):
        cmap, norm = _state_cmap(K)
        ax.imshow(s[None, :], cmap=cmap, norm=norm, alpha=_SHADE_ALPHA, aspect="auto",
                  interpolation="nearest", extent=(0.0, s.size * dt, y0, y1), origin="upper", zorder=0)

    top = float(max(fv.max(), 1e-12)) * 1.08
    ax_f.plot(ft, fv, color=_SPIKE_COLOR, lw=1.6, zorder=3)
    if s is not None:
        shade(ax_f, 0.0, top)
    ax_f.set_ylim(0.0, top)
    ax_f.set_ylabel("force (% MVC)")
    if ep is not None:
        for x in ep:
            ax_f.axvline(x, color=_GREY, ls="--", lw=1.0, zorder=2)
        names = ("ramp up", "plateau", "ramp down")
        for a, b, name in zip(ep[:-1], ep[1:], names):
            ax_f.text((a + b) / 2, 1.01, name, transform=ax_f.get_xaxis_transform(), ha="center",
                      va="bottom", fontsize="small", color=_GREY)

    if g is not None:
        ax_g = axs[1]
        t_bins = (np.arange(g.shape[0]) + 0.5) * dt
        ax_g.stackplot(t_bins, g.T, colors=state_colors(K), alpha=0.85, lw=0)
        ax_g.set_ylim(0.0, 1.0)
        ax_g.set_yticks([0.0, 0.5, 1.0], ["0", "0.5", "1"])
        ax_g.set_ylabel("posterior")
        ax_g.grid(False)

    for c, t in enumerate(trains):
        ax_r.add_collection(LineCollection(_tick_segments(t, c + 0.15, c + 0.85), colors=_SPIKE_COLOR,
                                           linewidths=0.9, capstyle="butt", zorder=2,
                                           label=f"_spikes of unit {c + 1}"), autolim=False)
    if s is not None:
        shade(ax_r, C, 0.0)
    ax_r.set_ylim(C, 0.0)
    ax_r.set_yticks(np.arange(C) + 0.5, [f"unit {c + 1}" for c in range(C)])
    ax_r.tick_params(axis="y", length=0)
    ax_r.grid(False)
    ax_r.spines["left"].set_visible(False)
    ax_r.set_xlim(0.0, t_end)
    ax_r.set_xlabel("time (s)")
    if K is not None:
        _legend_outside(ax_f, _state_handles(K, alpha=_SHADE_ALPHA + 0.2 if g is None else 0.85),
                        title="decoded state")
    return fig


def plot_block_cv(result, figsize=None):
    """Choosing K on one recording: held-out log-likelihood of every block, and paired differences.

    Parameters
    ----------
    result : dict
        From :func:`helpers.recordings.block_cv`: ``"K"`` (M,) and
        ``"test"`` (M, n_blocks) in nats per second.

    Returns
    -------
    matplotlib.figure.Figure
        Left: every held-out block's score relative to the first K (one
        line and marker per block) and their mean. Right: the change from each
        K to the next, per block (same markers) and mean +- standard error.
    """
    if not isinstance(result, dict) or "K" not in result or "test" not in result:
        raise TypeError("result must be the dict from helpers.recordings.block_cv, with 'K' and 'test'")
    Ks = _float_1d(result["K"], "result['K']")
    te = _as_float_array(result["test"], "result['test']", 2)
    if te.shape[0] != Ks.size or te.shape[1] < 2:
        raise ValueError(f"result['test'] must have shape (len(K), n_blocks >= 2) = ({Ks.size}, B), got {te.shape}")
    if not np.all(np.isfinite(te)):
        raise ValueError("result['test'] must be finite")
    if Ks.size < 2 or not np.all(np.diff(Ks) > 0):
        raise ValueError("result['K'] must hold at least two increasing numbers of states")
    M, B = te.shape
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=figsize or (_WIDTH, 4.0), layout="constrained",
                                   gridspec_kw={"width_ratios": [1.0, 1.0]})
    markers = "osD^vP*Xhp<>"
    mark = [markers[b % len(markers)] for b in range(B)]
    rel = te - te[:1]
    for b in range(B):
        ax1.plot(Ks, rel[:, b], "-", marker=mark[b], color="0.6", ms=5, lw=1.2, zorder=2,
                 label=f"block {b + 1}")
    ax1.plot(Ks, rel.mean(axis=1), "-", color=STATE_COLORS[0], lw=2.4, zorder=3, label="mean")
    ax1.axhline(0.0, color="k", lw=0.8, zorder=1)
    ax1.set_xticks(Ks, [f"{k:g}" for k in Ks])
    ax1.set_xlabel("number of states K")
    ax1.set_ylabel(f"held-out LL - LL(K = {Ks[0]:g}) (nats/s)")
    ax1.set_title("each held-out block")
    ax1.legend(loc="upper right", ncol=2, fontsize="small", handlelength=2.2)

    d = np.diff(te, axis=0)  # (M - 1, B)
    x = np.arange(M - 1)
    jitter = np.linspace(-0.15, 0.15, B) if B > 1 else np.zeros(1)
    for b in range(B):
        ax2.plot(x + jitter[b], d[:, b], ls="none", marker=mark[b], color="0.6", ms=6, zorder=2)
    mean = d.mean(axis=1)
    se = d.std(axis=1, ddof=1) / np.sqrt(B)
    ax2.errorbar(x, mean, yerr=se, fmt="_", color=STATE_COLORS[0], ms=26, mew=2.4, capsize=0, lw=2.4,
                 zorder=3, label="mean ± standard error")
    ax2.axhline(0.0, color="k", lw=0.8, zorder=1)
    ax2.set_xticks(x, [f"{Ks[i]:g} → {Ks[i + 1]:g}" for i in range(M - 1)])
    ax2.set_xlim(-0.5, M - 1.5)
    ax2.set_xlabel("adding a state: K → K + 1")
    ax2.set_ylabel("change in held-out LL (nats/s)")
    ax2.set_title("paired differences, block by block")
    ax2.legend(loc="upper right", fontsize="small")
    return fig


def _float_nan(x, name, ndim):
    """A float64 array of ``ndim`` dimensions that may hold NaN (undefined values), not inf."""
    if x is None or isinstance(x, (str, bytes)):
        raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__}")
    arr = np.asarray(x)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool) \
            or np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError(f"{name} must be an array of real numbers, got dtype {arr.dtype}")
    if arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {arr.shape}")
    arr = arr.astype(np.float64)
    if np.isinf(arr).any():
        raise ValueError(f"{name} contains infinite values (NaN marks an undefined value)")
    return arr


def _interval(sim):
    """2.5 and 97.5 percentiles over axis 0, ignoring NaN; NaN where no value is finite."""
    lo = np.full(sim.shape[1:], np.nan)
    hi = np.full(sim.shape[1:], np.nan)
    ok = np.isfinite(sim)
    for idx in np.ndindex(*sim.shape[1:]):
        col = sim[(slice(None),) + idx][ok[(slice(None),) + idx]]
        if col.size:
            lo[idx], hi[idx] = np.percentile(col, [2.5, 97.5])
    return lo, hi


def plot_posterior_predictive(fano, lag1, fano_sim=None, lag1_sim=None, figsize=None):
    """Data against simulations of the fitted model: Fano factor per state and lag-1 autocorrelation.

    Parameters
    ----------
    fano : array_like, shape (C, K)
        Fano factor of every unit in every decoded state of the data (NaN
        where undefined: those are not drawn).
    lag1 : array_like, shape (C,)
        Lag-1 autocorrelation of every unit's counts in the data.
    fano_sim : array_like, shape (n_sim, C, K), optional
        The same statistic on recordings simulated from the fitted model.
    lag1_sim : array_like, shape (n_sim, C), optional

    Returns
    -------
    matplotlib.figure.Figure
        Dots: the data (coloured by state on the left); grey bars: the
        middle 95 % of the simulated recordings; dashed: what Poisson counts
        with a fixed rate give (Fano factor 1, autocorrelation 0).
    """
    F = _float_nan(fano, "fano", 2)
    C, K = F.shape
    r = _float_nan(lag1, "lag1", 1)
    if r.shape != (C,):
        raise ValueError(f"lag1 must have shape (C,) = ({C},) like fano's rows, got {r.shape}")
    Fs = rs = None
    if fano_sim is not None:
        Fs = _float_nan(fano_sim, "fano_sim", 3)
        if Fs.shape[1:] != (C, K) or Fs.shape[0] < 1:
            raise ValueError(f"fano_sim must have shape (n_sim, C, K) = (n, {C}, {K}), got {Fs.shape}")
    if lag1_sim is not None:
        rs = _float_nan(lag1_sim, "lag1_sim", 2)
        if rs.shape[1:] != (C,) or rs.shape[0] < 1:
            raise ValueError(f"lag1_sim must have shape (n_sim, C) = (n, {C}), got {rs.shape}")
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=figsize or (_WIDTH, 4.0), layout="constrained",
                                   gridspec_kw={"width_ratios": [1.5, 1.0]})
    colors = state_colors(K)
    width = 0.7
    offs = (np.arange(K) - (K - 1) / 2) * (width / max(K, 1))
    if Fs is not None:
        lo, hi = _interval(Fs)
        for c in range(C):
            for k in range(K):
                if np.isfinite(lo[c, k]) and np.isfinite(F[c, k]):
                    ax1.plot([c + offs[k]] * 2, [lo[c, k], hi[c, k]], color="0.75", lw=7,
                             solid_capstyle="butt", zorder=1)
    for k in range(K):
        ok = np.isfinite(F[:, k])
        if not ok.any():  # e.g. a state where every unit is silent: no Fano factor to show
            continue
        ax1.plot(np.arange(C)[ok] + offs[k], F[ok, k], "o", color=colors[k], ms=8, mec="k", mew=0.6,
                 zorder=3, label=f"state {k + 1}")
    ax1.axhline(1.0, color="k", ls="--", lw=1.0, zorder=2)
    ax1.set_xticks(np.arange(C), [f"unit {c + 1}" for c in range(C)])
    ax1.set_ylabel("Fano factor (variance / mean)")
    ax1.set_ylim(bottom=0.0)
    ax1.set_title("counts within each decoded state")
    handles, _ = ax1.get_legend_handles_labels()
    if Fs is not None or rs is not None:
        handles.append(Line2D([], [], color="0.75", lw=7, label="model: 95 % of simulations"))
    handles.append(Line2D([], [], color="k", ls="--", lw=1.0, label="Poisson"))
    ax1.legend(handles=handles, loc="lower left", fontsize="small", ncol=2)

    if rs is not None:
        lo, hi = _interval(rs)
        for c in range(C):
            if np.isfinite(lo[c]):
                ax2.plot([c, c], [lo[c], hi[c]], color="0.75", lw=7, solid_capstyle="butt", zorder=1)
    ok = np.isfinite(r)
    ax2.plot(np.arange(C)[ok], r[ok], "o", color=_SPIKE_COLOR, ms=8, zorder=3)
    ax2.axhline(0.0, color="k", ls="--", lw=1.0, zorder=2)
    ax2.set_xticks(np.arange(C), [f"{c + 1}" for c in range(C)])
    ax2.set_xlabel("unit")
    ax2.set_ylabel("lag-1 autocorrelation of counts")
    ax2.set_title("neighbouring bins")
    return fig
