"""Tests of helpers.plotting and the tutorial style sheet.

Every figure function must return its Figure, label its axes with units, work
for any number of states K and neurons C, leak no figures, leave rcParams and
the global numpy random state alone, and reject bad shapes with a ValueError
that names the argument.
"""

import re

import matplotlib

matplotlib.use("Agg")

import matplotlib as mpl  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import LineCollection, PathCollection  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import helpers  # noqa: E402
from helpers import plotting as P  # noqa: E402
from helpers.diagnostics import LineScan  # noqa: E402

# Any warning raised while plotting is a bug in the plotting code.
pytestmark = pytest.mark.filterwarnings("error")

OKABE_ITO = {"#e69f00", "#56b4e9", "#009e73", "#f0e442", "#0072b2", "#d55e00", "#cc79a7", "#000000"}
KS = [1, 2, 3, 9, 12]
CS = [1, 5, 20]
DT = 0.01


@pytest.fixture(autouse=True)
def _close_new_figures():
    before = set(plt.get_fignums())
    yield
    for num in set(plt.get_fignums()) - before:
        plt.close(num)


def _model(K, C, n=4, T=150, seed=0):
    """Small random data set and parameters for K states and C neurons."""
    rng = np.random.default_rng(seed + 100 * K + C)
    states = rng.integers(0, K, size=(n, T))
    Y = rng.poisson(0.3, size=(n, T, C))
    gamma = rng.dirichlet(np.ones(K), size=(n, T))
    L = rng.uniform(1.0, 50.0, size=(C, K))
    A = rng.uniform(0.001, 0.05, size=(K, K))
    np.fill_diagonal(A, 0.0)
    A[np.diag_indices(K)] = 1.0 - A.sum(axis=1)
    psi = rng.dirichlet(np.ones(K))
    return {"states": states, "Y": Y, "gamma": gamma, "L": L, "A": A, "psi": psi, "K": K, "C": C}


def _scans(n, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for e in range(n):
        b = np.union1d(np.linspace(-1.0, 2.0, 9), [0.0, 1.0])
        ll = -1000.0 + 50.0 * b - 10.0 * (b - 1.5) ** 2 + rng.normal(0, 0.1, b.size)
        ll0 = ll[b == 0.0][0]
        bound = ll0 + 30.0 * b - 15.0 * b**2 - 0.5 * rng.random(b.size) * b**2
        out.append(LineScan(epoch=e, b=b, ll=ll, bound=bound, old=(), new=()))
    return out


# every figure function, called on (K, C)-shaped input, with the units its axes must show
BUILDERS = {
    "raster": (lambda m: P.plot_raster(m["Y"], m["states"], DT, n_states=m["K"]), ["(s)"]),
    "raster_frozen": (lambda m: P.plot_raster(m["Y"], m["states"][0], DT, n_states=m["K"]), ["(s)"]),
    "posteriors": (lambda m: P.plot_posteriors(m["gamma"], DT, m["states"], trial=1), ["(s)", "probability"]),
    "learned_vs_true": (
        lambda m: P.plot_learned_vs_true(m["L"], m["L"] * 1.1, m["A"], m["A"], DT),
        ["(Hz)", "(Hz)", "(Hz)", "(Hz)"],
    ),
    "params": (lambda m: P.plot_params(m["A"], m["L"], DT, psi=m["psi"]), ["(Hz)"]),
    "dwell_times": (lambda m: P.plot_dwell_times(m["states"], DT, A=m["A"]), ["(s)", "(1/s)"]),
    "confusion": (lambda m: P.plot_confusion(m["states"], m["gamma"].argmax(-1), m["K"]), ["state"]),
}


def _axis_labels(fig):
    labels = []
    for ax in fig.axes:
        labels += [ax.get_xlabel(), ax.get_ylabel()]
    return [lab for lab in labels if lab]


def _check_figure(fig, before):
    assert isinstance(fig, Figure)
    new = set(plt.get_fignums()) - before
    assert new == {fig.number}, "exactly one new figure, the returned one"
    fig.set_dpi(40)  # cheaper to render; layout and text are the same
    fig.canvas.draw()  # mathtext and layout errors only show up when drawing


# ----------------------------------------------------------------------------------------
# style and colours
# ----------------------------------------------------------------------------------------


def test_style_loads_by_dotted_name():
    with plt.style.context("helpers.tutorial"):
        rc = mpl.rcParams
        assert 13 <= rc["font.size"] <= 14
        assert rc["axes.titlesize"] >= 13
        assert rc["axes.spines.top"] is False and rc["axes.spines.right"] is False
        assert rc["axes.grid"] is True
        assert rc["figure.dpi"] == 100
        assert rc["savefig.dpi"] >= 100
        w, h = rc["figure.figsize"]
        assert 8 <= w <= 10 and 3.5 <= h <= 6
        cycle = [to_hex(c) for c in rc["axes.prop_cycle"].by_key()["color"]]
        assert cycle == [c.lower() for c in P.STATE_COLORS]
        assert set(cycle) == OKABE_ITO


def test_style_needs_no_network_and_no_special_font():
    text = (P._STYLE_FILE).read_text()
    assert "http" not in text and "url" not in text.lower()
    with plt.style.context("helpers.tutorial"):
        fam = mpl.rcParams["font.sans-serif"][0]
        # the first font is one matplotlib ships with
        path = mpl.font_manager.findfont(fam, fallback_to_default=False)
        assert "DejaVu" in path


def test_use_style_applies_style():
    with mpl.rc_context():
        P.use_style()
        assert mpl.rcParams["axes.spines.top"] is False
        assert mpl.rcParams["font.size"] == 13


def test_style_context_is_temporary():
    before = mpl.rcParams["font.size"], mpl.rcParams["axes.spines.top"]
    with P.style_context():
        assert mpl.rcParams["axes.spines.top"] is False
    assert (mpl.rcParams["font.size"], mpl.rcParams["axes.spines.top"]) == before


@pytest.mark.parametrize("K", range(1, 9))
def test_state_colors_are_okabe_ito_up_to_8(K):
    cols = [to_hex(c) for c in P.state_colors(K)]
    assert len(cols) == K
    assert set(cols) <= OKABE_ITO
    assert len(set(cols)) == K
    assert cols == [c.lower() for c in P.STATE_COLORS[:K]]


@pytest.mark.parametrize("K", [9, 12, 20, 50, 300, 2000])
def test_state_colors_distinct_for_many_states(K):
    cols = P.state_colors(K)
    assert len(cols) == K
    assert len({tuple(np.round(mpl.colors.to_rgb(c), 12)) for c in cols}) == K
    # a perceptually uniform map, not the categorical palette
    assert not set(to_hex(c) for c in cols) <= OKABE_ITO


def test_state_colors_bad_K():
    with pytest.raises(ValueError, match="K"):
        P.state_colors(0)
    with pytest.raises(TypeError, match="K"):
        P.state_colors(2.5)


# ----------------------------------------------------------------------------------------
# every function, every K and C: returns its Figure, labels with units, no leaks
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("C", CS)
@pytest.mark.parametrize("K", KS)
@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_figures_for_any_K_and_C(name, K, C):
    build, units = BUILDERS[name]
    m = _model(K, C)
    before = set(plt.get_fignums())
    fig = build(m)
    _check_figure(fig, before)
    labels = _axis_labels(fig)
    assert labels, "axes must be labelled"
    for unit in units:
        assert any(unit in lab for lab in labels), f"no axis label with {unit!r} in {labels}"
    w, h = fig.get_size_inches()
    assert 4 <= w <= 11 and 2.5 <= h <= 11


def test_no_global_state_touched(monkeypatch):
    """No rcParams change, no np.random use, no plt.show()."""
    monkeypatch.setattr(plt, "show", lambda *a, **k: pytest.fail("plt.show() called"))
    rc_before = dict(mpl.rcParams)
    rnd_before = np.random.get_state()
    m = _model(3, 5)
    for build, _ in BUILDERS.values():
        plt.close(build(m))
    plt.close(P.plot_lls([np.arange(5.0), np.arange(4.0)], n_bins=100, dt=DT))
    plt.close(P.plot_ll_ecll(_scans(4)))
    plt.close(P.plot_recovery([1, 10, 100], [3.0, 1.0, 0.3], [0.1, 0.03, 0.01]))
    plt.close(P.plot_heldout({"K": [1, 2, 3], "train": [-3.0, -2.0, -1.0], "test": [-3.0, -1.5, -2.0]}))
    plt.close(P.plot_underflow([1, 2, 3], [1e-200, 1e-300, 0.0], [-460.0, -690.0, -1000.0]))
    assert dict(mpl.rcParams) == rc_before
    rnd_after = np.random.get_state()
    assert rnd_before[0] == rnd_after[0] and np.array_equal(rnd_before[1], rnd_after[1])
    assert rnd_before[2:] == rnd_after[2:]


def test_given_ax_draws_there_and_makes_no_new_figure():
    m = _model(3, 5)
    fig, ax = plt.subplots()
    before = set(plt.get_fignums())
    assert P.plot_raster(m["Y"], m["states"], DT, ax=ax) is fig
    assert P.plot_posteriors(m["gamma"], DT, ax=ax) is fig
    assert P.plot_lls(np.arange(5.0), ax=ax) is fig
    assert P.plot_heldout({"K": [1, 2], "train": [-2.0, -1.0], "test": [-2.0, -1.0]}, ax=ax) is fig
    assert P.plot_confusion(m["states"], m["states"], ax=ax) is fig
    assert P.plot_dwell_times(m["states"], DT, ax=ax) is fig
    assert P.plot_recovery([1, 10], [1.0, 0.5], ax=ax) is fig
    fig2, axs = plt.subplots(1, 2)
    assert P.plot_learned_vs_true(m["L"], m["L"], m["A"], m["A"], DT, axes=axs) is fig2
    assert P.plot_recovery([1, 10], [1.0, 0.5], [0.1, 0.05], ax=axs) is fig2
    assert P.plot_underflow([1, 2], [0.1, 0.0], [-2.3, -800.0], axes=axs) is fig2
    assert P.plot_params(m["A"], m["L"], DT, axes=axs) is fig2
    fig3, axs3 = plt.subplots(1, 3)
    assert P.plot_ll_ecll(_scans(3), axes=axs3) is fig3
    assert set(plt.get_fignums()) == before | {fig2.number, fig3.number}
    fig.canvas.draw()
    fig2.canvas.draw()
    fig3.canvas.draw()


# ----------------------------------------------------------------------------------------
# plot_raster
# ----------------------------------------------------------------------------------------


def _spike_lines(ax):
    return [c for c in ax.collections if isinstance(c, LineCollection)
            and c.get_label().startswith("_spikes")]


def _ticks(coll):
    """The (2, 2) segments [[x, y0], [x, y1]] of one neuron's ticks."""
    return [np.asarray(seg) for seg in coll.get_segments()]


@pytest.mark.parametrize("K,C", [(1, 1), (3, 5), (12, 20)])
def test_raster_one_collection_per_neuron_and_every_spike(K, C):
    m = _model(K, C, n=6, T=200)
    fig = P.plot_raster(m["Y"], m["states"], DT, trials=[0, 2, 5], n_states=K)
    ax = fig.axes[0]
    spikes = _spike_lines(ax)
    assert len(spikes) == C, "one artist per neuron, not one per spike"
    assert [ln.get_label() for ln in spikes] == [f"_spikes of neuron {c + 1}" for c in range(C)]
    assert sum(len(_ticks(ln)) for ln in spikes) == np.count_nonzero(m["Y"][[0, 2, 5]])
    assert len(ax.collections) == C
    assert [t.get_text() for t in ax.get_yticklabels()] == [f"neuron {c + 1}" for c in range(C)]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [f"state {k + 1}" for k in range(K)]
    assert ax.get_xlabel() == "time (s)"
    assert ax.get_xlim() == (0.0, 200 * DT)
    assert len(ax.images) == 1, "the state shading is one image"


def test_raster_spike_positions():
    Y = np.zeros((2, 10, 2), dtype=int)
    Y[1, 3, 0] = 2  # trial 2, bin 4, neuron 1
    Y[0, 7, 1] = 1  # trial 1, bin 8, neuron 2
    fig = P.plot_raster(Y, np.zeros(10, dtype=int), 0.1)
    spikes = _spike_lines(fig.axes[0])
    (seg0,), (seg1,) = _ticks(spikes[0]), _ticks(spikes[1])
    assert np.allclose(seg0[:, 0], 0.35)  # centre of bin 4 at dt = 0.1 s
    assert np.allclose(seg1[:, 0], 0.75)
    assert seg0[:, 1].min() > 1 and seg0[:, 1].max() < 2  # second row of neuron 1's band


def test_raster_frozen_states_shade_full_height():
    m = _model(3, 5)
    fig = P.plot_raster(m["Y"], m["states"][0], DT)
    ax = fig.axes[0]
    (img,) = ax.images
    assert img.get_array().shape == (1, 150)
    bottom, top = ax.get_ylim()
    extent = img.get_extent()
    assert {extent[2], extent[3]} == {bottom, top}


def test_raster_shading_uses_state_colors():
    m = _model(3, 2)
    fig = P.plot_raster(m["Y"], m["states"], DT)
    (img,) = fig.axes[0].images
    cols = [to_hex(img.cmap(img.norm(k))) for k in range(3)]
    assert cols == [c.lower() for c in P.state_colors(3)]


def test_raster_default_trials_capped_and_large_input_is_fast_enough():
    d = helpers.tutorial_data(20, 1000)
    fig = P.plot_raster(d["Y"], d["states"], d["dt"])
    spikes = _spike_lines(fig.axes[0])
    assert len(spikes) == 5
    assert sum(len(_ticks(ln)) for ln in spikes) == np.count_nonzero(d["Y"])
    fig.canvas.draw()


def test_raster_without_states_has_no_legend():
    m = _model(2, 3)
    fig = P.plot_raster(m["Y"], None, DT)
    assert fig.axes[0].get_legend() is None
    assert not fig.axes[0].images


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"Y": np.zeros((5, 3))}, "Y"),
        ({"states": np.zeros((4, 7), dtype=int)}, "states"),
        ({"states": np.zeros((149,), dtype=int)}, "states"),
        ({"states": np.full((4, 150), 5)}, "states"),
        ({"trials": [0, 9]}, "trials"),
        ({"neurons": [3]}, "neurons"),
        ({"dt": -1.0}, "dt"),
    ],
)
def test_raster_bad_input(kwargs, match):
    m = _model(3, 2)
    args = {"Y": m["Y"], "states": m["states"], "dt": DT, "n_states": 3}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        P.plot_raster(**args)


# ----------------------------------------------------------------------------------------
# plot_posteriors
# ----------------------------------------------------------------------------------------


def test_posteriors_lines_window_and_strip():
    m = _model(3, 2)
    fig = P.plot_posteriors(m["gamma"], DT, m["states"], trial=2, t_window=(0.2, 0.8))
    ax = fig.axes[0]
    lines = [ln for ln in ax.get_lines() if ln.get_label().startswith("state")]
    assert len(lines) == 3
    assert np.allclose(lines[1].get_ydata(), m["gamma"][2, 20:80, 1])
    assert np.allclose(ax.get_xlim(), (0.2, 0.8))
    assert ax.get_xlabel() == "time (s)" and ax.get_ylabel() == "posterior probability"
    (img,) = ax.images
    assert np.array_equal(np.asarray(img.get_array()).ravel(), m["states"][2, 20:80])
    assert ax.get_title() == "trial 3"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["state 1", "state 2", "state 3"]


def test_posteriors_stacked_for_many_states_and_filtered():
    m = _model(9, 2)
    fig = P.plot_posteriors(m["gamma"], DT, filtered=m["gamma"])
    ax = fig.axes[0]
    assert len(ax.collections) == 9  # one stacked area per state
    m = _model(2, 2)
    fig = P.plot_posteriors(m["gamma"][0], DT, m["states"][0], filtered=m["gamma"][0], kind="lines")
    texts = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert any("smoothed" in t for t in texts) and any("filtered" in t for t in texts)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"gamma": np.ones((3, 3, 3, 3))}, "gamma"),
        ({"states": np.zeros((4, 10), dtype=int)}, "states"),
        ({"trial": 4}, "trial"),
        ({"t_window": (0.5, 0.2)}, "t_window"),
        ({"t_window": (5.0, 6.0)}, "t_window"),
        ({"filtered": np.ones((4, 150, 2))}, "filtered"),
        ({"kind": "pie"}, "kind"),
    ],
)
def test_posteriors_bad_input(kwargs, match):
    m = _model(3, 2)
    args = {"gamma": m["gamma"], "dt": DT, "states": m["states"]}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        P.plot_posteriors(**args)


# ----------------------------------------------------------------------------------------
# plot_lls
# ----------------------------------------------------------------------------------------


def test_lls_single_run():
    lls = np.array([-100.0, -90.0, -85.0, -84.5])
    fig = P.plot_lls(lls)
    ax = fig.axes[0]
    (line,) = ax.get_lines()
    assert np.array_equal(line.get_xdata(), np.arange(4))
    assert np.array_equal(line.get_ydata(), lls)
    assert "nats" in ax.get_ylabel() and "EM step" in ax.get_xlabel()
    assert line.get_marker() not in (None, "None", "")


def test_lls_restarts_highlight_best_and_tell_lower_ends_apart():
    runs = [np.array([-100.0, -95.0, -94.0]), np.array([-120.0, -90.0, -80.0, -79.0]), np.array([-99.0, -98.0]),
            np.array([-110.0, -85.0, -79.5])]
    fig = P.plot_lls(runs)
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts == ["best restart (2)", "restarts that end lower", "restarts that reach the best"]
    (best,) = [ln for ln in ax.get_lines() if ln.get_label() == "best restart (2)"]
    assert np.array_equal(best.get_ydata(), runs[1])
    assert best.get_linewidth() > max(ln.get_linewidth() for ln in ax.get_lines() if ln is not best)
    lower = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]
    assert sorted(ln.get_ydata()[-1] for ln in lower) == [-98.0, -94.0]  # more than 1 nat below the best
    same = [ln for ln in ax.get_lines() if ln is not best and ln.get_linestyle() == "-"]
    assert [ln.get_ydata()[-1] for ln in same] == [-79.5]


def test_lls_accepts_em_results_and_second_axis():
    d = helpers.tutorial_data(5, 100)
    fits = [helpers.fit_em(d["Y"], 3, d["dt"], n_iter=5, seed=s) for s in range(2)]
    fig = P.plot_lls(fits, n_bins=500)
    ax = fig.axes[0]
    assert len(ax.get_lines()) == 2
    sec = [c for c in ax.child_axes]
    assert sec and sec[0].get_ylabel() == "nats per bin"
    fig = P.plot_lls(fits[0], n_bins=500, dt=d["dt"])
    assert fig.axes[0].child_axes[0].get_ylabel() == "nats per second"
    fig.canvas.draw()


@pytest.mark.parametrize(
    "lls,kwargs,err,match",
    [
        (np.zeros((2, 2, 2)), {}, ValueError, "lls"),
        ([], {}, ValueError, "lls"),
        ([np.zeros(3), np.zeros((2, 2))], {}, ValueError, r"lls\[1\]"),
        (np.zeros(3), {"n_bins": 0}, ValueError, "n_bins"),
        (np.zeros(3), {"dt": 0.01}, ValueError, "n_bins"),
        ("abc", {}, TypeError, "lls"),
    ],
)
def test_lls_bad_input(lls, kwargs, err, match):
    with pytest.raises(err, match=match):
        P.plot_lls(lls, **kwargs)


# ----------------------------------------------------------------------------------------
# plot_ll_ecll
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 4, 7, 9])
def test_ll_ecll_one_legend_and_panels(n):
    before = set(plt.get_fignums())
    fig = P.plot_ll_ecll(_scans(n), ncols=3)
    _check_figure(fig, before)
    assert len(fig.axes) == n, "unused panels are removed"
    assert len(fig.legends) == 1
    assert all(ax.get_legend() is None for ax in fig.axes)
    texts = [t.get_text() for t in fig.legends[0].get_texts()]
    assert texts == ["log-likelihood", "ECLL + entropy (lower bound)"]
    ncols = min(3, n)
    for i, ax in enumerate(fig.axes):
        ylabel = ax.get_ylabel()
        if i % ncols == 0:
            assert "log-likelihood (nats)" in ylabel and "relative" in ylabel
        else:
            assert ylabel == ""
        labels = {tick: t.get_text() for tick, t in zip(ax.get_xticks(), ax.get_xticklabels())}
        # b on the axis, theta^(m-1) at b = 0 and theta^(m) at b = 1
        assert labels[0.0] == rf"$\theta^{{({i})}}$" + "\n0"
        assert labels[1.0] == rf"$\theta^{{({i + 1})}}$" + "\n1"
        assert all(labels[v] == f"{v:g}" for v in labels if v not in (0.0, 1.0))
        assert ax.get_title() == f"EM step {i + 1}"


def test_ll_ecll_relative_and_absolute_values():
    (scan,) = _scans(1)
    fig = P.plot_ll_ecll([scan])
    ax = fig.axes[0]
    ll_line = [ln for ln in ax.get_lines() if ln.get_label() == "log-likelihood"][0]
    ref = scan.ll[scan.b == 0.0][0]
    assert np.allclose(ll_line.get_ydata(), scan.ll - ref)
    fig = P.plot_ll_ecll([scan], relative=False)
    ax = fig.axes[0]
    ll_line = [ln for ln in ax.get_lines() if ln.get_label() == "log-likelihood"][0]
    assert np.allclose(ll_line.get_ydata(), scan.ll)
    assert ax.get_ylabel() == "log-likelihood (nats)"
    vlines = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]
    assert sorted(ln.get_xdata()[0] for ln in vlines) == [0.0, 1.0]


def test_ll_ecll_real_scans():
    d = helpers.tutorial_data(8, 200)
    fit = helpers.fit_em(d["Y"], 3, d["dt"], n_iter=2, seed=0)
    scans = helpers.scan_ll_ecll(d["Y"], *fit.init, d["dt"], n_epochs=4, n_points=6)
    fig = P.plot_ll_ecll(scans)
    assert len(fig.axes) == 4 and len(fig.legends) == 1
    fig.canvas.draw()


def test_ll_ecll_bad_input():
    with pytest.raises(ValueError, match="scans"):
        P.plot_ll_ecll([])
    bad = _scans(2)
    bad[1] = LineScan(epoch=1, b=np.array([0.2, 0.5, 1.0]), ll=np.zeros(3), bound=np.zeros(3), old=(), new=())
    with pytest.raises(ValueError, match=r"scans\[1\]"):
        P.plot_ll_ecll(bad)
    bad[1] = LineScan(epoch=1, b=np.array([0.0, 1.0]), ll=np.zeros(3), bound=np.zeros(2), old=(), new=())
    with pytest.raises(ValueError, match=r"scans\[1\]"):
        P.plot_ll_ecll(bad)
    with pytest.raises(TypeError, match=r"scans\[0\]"):
        P.plot_ll_ecll([object()])
    with pytest.raises(ValueError, match="ncols"):
        P.plot_ll_ecll(_scans(2), ncols=0)


# ----------------------------------------------------------------------------------------
# plot_learned_vs_true
# ----------------------------------------------------------------------------------------


def _labelled_points(ax):
    return {ln.get_label(): (ln.get_xdata()[0], ln.get_ydata()[0])
            for ln in ax.get_lines() if "\u2192" in ln.get_label()}


def test_transition_labels_are_from_to():
    """A[i, j] is the probability to go FROM i TO j: the label "1 -> 2" is A[0, 1]."""
    dt = 0.002
    A_true = np.array([[0.990, 0.002, 0.008],
                       [0.004, 0.990, 0.006],
                       [0.001, 0.009, 0.990]])  # every off-diagonal entry unique
    A_est = A_true.copy()
    A_est[0, 1], A_est[0, 0] = 0.003, 0.989  # the learned 1 -> 2 differs from the true one
    L = np.array([[1.0, 20.0, 40.0], [30.0, 5.0, 10.0]])
    fig = P.plot_learned_vs_true(L, L, A_true, A_est, dt)
    pts = _labelled_points(fig.axes[1])
    assert len(pts) == 6
    x, y = pts["1 \u2192 2"]
    assert x == pytest.approx(A_true[0, 1] / dt)
    assert y == pytest.approx(A_est[0, 1] / dt)
    for label, (x, y) in pts.items():
        i, j = (int(v) - 1 for v in re.findall(r"\d+", label))
        assert x == pytest.approx(A_true[i, j] / dt), label
        assert y == pytest.approx(A_est[i, j] / dt), label
    legend = [t.get_text() for t in fig.axes[1].get_legend().get_texts()]
    assert "1 \u2192 2" in legend and "2 \u2192 1" in legend
    assert fig.axes[1].get_legend().get_title().get_text() == "from \u2192 to"


def test_learned_vs_true_rates_coloured_by_state_and_identity():
    m = _model(3, 5)
    L_est = m["L"] * 0.9
    fig = P.plot_learned_vs_true(m["L"], L_est, m["A"], m["A"], DT)
    ax = fig.axes[0]
    colls = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(colls) == 3
    for k, c in enumerate(colls):
        assert np.allclose(c.get_offsets(), np.column_stack([m["L"][:, k], L_est[:, k]]))
        assert to_hex(c.get_facecolor()[0]) == P.state_colors(3)[k].lower()
        assert c.get_label() == f"state {k + 1}"
    ident = [ln for ln in ax.get_lines() if ln.get_label() == "_identity"]
    assert len(ident) == 1 and np.array_equal(ident[0].get_xdata(), ident[0].get_ydata())
    assert ax.get_aspect() == 1.0
    assert ax.get_xlabel() == "true firing rate (Hz)" and ax.get_ylabel() == "learned firing rate (Hz)"


@pytest.mark.parametrize("K", [5, 9])
def test_learned_vs_true_many_states_colour_by_source(K):
    m = _model(K, 3)
    fig = P.plot_learned_vs_true(m["L"], m["L"], m["A"], m["A"], DT)
    ax = fig.axes[1]
    assert not _labelled_points(ax), "no per-pair legend for K > 4"
    colls = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(colls) == K
    for i, c in enumerate(colls):
        off = np.arange(K) != i
        assert np.allclose(c.get_offsets()[:, 0], m["A"][i, off] / DT)


@pytest.mark.parametrize(
    "which,shape,match",
    [("L_est", (3, 2), "L_est"), ("A_true", (2, 2), "A_true"), ("A_est", (3, 3, 1), "A_est")],
)
def test_learned_vs_true_bad_shapes(which, shape, match):
    m = _model(3, 2)
    args = {"L_true": m["L"], "L_est": m["L"], "A_true": m["A"], "A_est": m["A"], "dt": DT}
    args[which] = np.ones(shape)
    with pytest.raises(ValueError, match=match):
        P.plot_learned_vs_true(**args)


# ----------------------------------------------------------------------------------------
# recovery, held-out, confusion, underflow, params, dwell times
# ----------------------------------------------------------------------------------------


def test_recovery_one_and_two_panels():
    N = [5, 10, 50, 200]
    before = set(plt.get_fignums())
    fig = P.plot_recovery(N, [4.0, 3.0, 1.2, 0.6])
    _check_figure(fig, before)
    (ax,) = fig.axes
    assert ax.get_xscale() == "log"
    assert ax.get_ylabel() == "rate error (Hz)" and "trials" in ax.get_xlabel()
    rng = np.random.default_rng(0)
    fig = P.plot_recovery(N, rng.uniform(0.5, 4, (4, 3)), rng.uniform(0.001, 0.01, (4, 3)))
    ax1, ax2 = fig.axes
    assert ax2.get_ylabel() == "transition-probability error"
    assert ax1.get_xscale() == ax2.get_xscale() == "log"
    fig.canvas.draw()


@pytest.mark.parametrize(
    "args,match",
    [
        (([1, 10], [1.0]), "errors_L"),
        (([1, 10], [1.0, 2.0], [[0.1, 0.2, 0.3]]), "errors_A"),
        (([0, 10], [1.0, 2.0]), "n_trials"),
        (([1, 10], [-1.0, 2.0]), "errors_L"),
    ],
)
def test_recovery_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        P.plot_recovery(*args)


def test_heldout_marks_best_K():
    res = {"K": np.array([1, 2, 3, 4]), "train": np.array([-5.0, -3.0, -2.0, -1.9]),
           "test": np.array([-5.1, -3.2, -2.5, -2.6]), "fits": []}
    before = set(plt.get_fignums())
    fig = P.plot_heldout(res)
    _check_figure(fig, before)
    ax = fig.axes[0]
    assert ax.get_ylabel() == "log-likelihood (nats/s)"
    assert "K" in ax.get_xlabel()
    (star,) = [ln for ln in ax.get_lines() if "best" in ln.get_label()]
    assert star.get_label() == "best held-out: K = 3"
    assert (star.get_xdata()[0], star.get_ydata()[0]) == (3, -2.5)


def test_heldout_bad_input():
    with pytest.raises(ValueError, match=r"result\['test'\]"):
        P.plot_heldout({"K": [1, 2], "train": [1.0, 2.0], "test": [1.0]})
    with pytest.raises(TypeError, match="result"):
        P.plot_heldout({"K": [1, 2]})


def test_confusion_matrix_rows_are_true_states():
    true = np.array([[0, 0, 1, 1, 1, 1]])
    dec = np.array([[0, 1, 1, 1, 1, 0]])
    fig = P.plot_confusion(true, dec, K=3)
    ax = fig.axes[0]
    data = np.ma.filled(ax.images[0].get_array().astype(float), np.nan)
    assert np.allclose(data[:2, :2], [[0.5, 0.5], [0.25, 0.75]])
    assert np.all(np.isnan(data[2])), "state 3 never occurs: its row is empty (grey)"
    assert ax.get_ylabel() == "true state" and ax.get_xlabel() == "decoded state"
    assert ax.get_title() == "decoding accuracy 66.7 %"
    fig.canvas.draw()


def test_confusion_bad_input():
    with pytest.raises(ValueError, match="states_decoded"):
        P.plot_confusion(np.zeros((2, 3), int), np.zeros((3, 2), int))
    with pytest.raises(ValueError, match="states_true"):
        P.plot_confusion(np.array([0, 3]), np.array([0, 1]), K=2)


def test_underflow_figure():
    p = np.full(2000, 0.5)
    Ts = np.arange(100, 2001, 100)
    naive = [np.prod(p[:T]) for T in Ts]
    logs = [np.log(p[:T]).sum() for T in Ts]
    assert naive[-1] == 0.0  # 0.5**2000 underflows
    before = set(plt.get_fignums())
    fig = P.plot_underflow(Ts, naive, logs)
    _check_figure(fig, before)
    ax1, ax2 = fig.axes
    assert ax1.get_yscale() == "log"
    assert "(bins)" in ax1.get_xlabel() and ax2.get_ylabel() == "log-likelihood (nats)"
    (zeros,) = [ln for ln in ax1.get_lines() if "underflow" in ln.get_label()]
    assert len(zeros.get_xdata()) == int(np.sum(np.array(naive) == 0))
    (logline,) = [ln for ln in ax2.get_lines() if ln.get_label() == "sum of log-probabilities"]
    assert np.allclose(logline.get_ydata(), logs)


def test_underflow_bad_input():
    with pytest.raises(ValueError, match="naive_values"):
        P.plot_underflow([1, 2, 3], [0.1, 0.01], [-1.0, -2.0, -3.0])
    with pytest.raises(ValueError, match="log_values"):
        P.plot_underflow([1, 2], [0.1, 0.01], [-1.0])
    with pytest.raises(ValueError, match="naive_values"):
        P.plot_underflow([1, 2], [0.1, -0.01], [-1.0, -2.0])


def test_params_figure_and_bad_input():
    d = helpers.tutorial_data(2, 10)
    fig = P.plot_params(d["A"], d["L"], d["dt"], psi=d["psi"])
    labels = _axis_labels(fig)
    assert "firing rate (Hz)" in labels and "transition rate (Hz)" in labels
    assert "from state i" in labels and "to state j" in labels
    with pytest.raises(ValueError, match="A"):
        P.plot_params(np.eye(2), d["L"], d["dt"])
    with pytest.raises(ValueError, match="psi"):
        P.plot_params(d["A"], d["L"], d["dt"], psi=[0.5, 0.5])


def test_dwell_times_leave_out_cut_stays():
    states = np.array([[0, 0, 1, 1, 1, 0], [1, 1, 1, 1, 1, 1]])
    fig = P.plot_dwell_times(states, 0.1, n_states=2)
    texts = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert texts == ["state 1 (0 stays)", "state 2 (1 stays)"]
    with pytest.raises(ValueError, match="A"):
        P.plot_dwell_times(states, 0.1, A=np.eye(3), n_states=2)
    with pytest.raises(ValueError, match="states"):
        P.plot_dwell_times(np.zeros((2, 2, 2), int), 0.1)


# ----------------------------------------------------------------------------------------
# 07 real data
# ----------------------------------------------------------------------------------------


def _recording(C=3, seed=0):
    rng = np.random.default_rng(seed)
    trains = [np.sort(rng.uniform(0.5, 9.5, size=rng.integers(5, 40))) for _ in range(C)]
    t = (np.arange(320) + 0.5) / 32
    force = np.interp(t, [0, 1, 3, 7, 9, 10], [0.5, 0.5, 20, 20, 0.5, 0.5])
    return trains, t, force


@pytest.mark.parametrize("K", [1, 3, 9])
@pytest.mark.parametrize("C", [1, 5])
def test_recording_panels_shading_and_labels(K, C):
    trains, t, force = _recording(C)
    dt = 0.1
    states = np.arange(100) * K // 100
    gamma = np.random.default_rng(1).dirichlet(np.ones(K), size=100)
    before = set(plt.get_fignums())
    fig = P.plot_recording(trains, t, force, epochs=[1.0, 3.0, 7.0, 9.0], states=states, dt=dt, gamma=gamma)
    _check_figure(fig, before)
    assert len(fig.axes) == 3
    ax_f, ax_g, ax_r = fig.axes
    assert ax_f.get_ylabel() == "force (% MVC)" and ax_r.get_xlabel() == "time (s)"
    assert ax_g.get_ylabel() == "posterior"
    assert [tk.get_text() for tk in ax_r.get_yticklabels()] == [f"unit {c + 1}" for c in range(C)]
    ticks = [col for col in ax_r.collections if isinstance(col, LineCollection)]
    assert [len(col.get_segments()) for col in ticks] == [len(tr) for tr in trains]
    assert len(ax_f.images) == 1 and len(ax_r.images) == 1  # the decoded states, shaded
    texts = {tx.get_text() for tx in ax_f.texts}
    assert texts == {"ramp up", "plateau", "ramp down"}
    legend = [tx.get_text() for tx in ax_f.get_legend().get_texts()]
    assert legend == [f"state {k + 1}" for k in range(K)]


def test_recording_without_states_has_two_panels_and_no_legend():
    trains, t, force = _recording(2)
    trains[1] = np.array([])  # a unit without spikes is drawn as an empty row
    before = set(plt.get_fignums())
    fig = P.plot_recording(trains, t, force)
    _check_figure(fig, before)
    assert len(fig.axes) == 2 and fig.axes[0].get_legend() is None and not fig.axes[0].images


def test_recording_bad_input():
    trains, t, force = _recording(2)
    with pytest.raises(ValueError, match="force"):
        P.plot_recording(trains, t, force[:-1])
    with pytest.raises(ValueError, match="epochs"):
        P.plot_recording(trains, t, force, epochs=[1.0, 3.0, 2.0, 9.0])
    with pytest.raises(TypeError, match="dt"):
        P.plot_recording(trains, t, force, states=np.zeros(10, int))
    with pytest.raises(ValueError, match="states"):
        P.plot_recording(trains, t, force, states=np.zeros((2, 10), int), dt=0.1)
    with pytest.raises(ValueError, match="states"):
        P.plot_recording(trains, t, force, states=np.zeros(10, int), dt=0.1,
                         gamma=np.full((12, 2), 0.5))
    with pytest.raises(ValueError, match="states"):
        P.plot_recording(trains, t, force, states=np.array([0, 3, 1]), dt=0.1, n_states=2)
    with pytest.raises(TypeError, match="spike_times"):
        P.plot_recording(None, t, force)
    with pytest.raises(TypeError, match=r"spike_times\[1\]"):
        P.plot_recording([[0.1], ["a"]], t, force)


def _cv_result(M=4, B=5, seed=0):
    rng = np.random.default_rng(seed)
    return {"K": np.arange(1, M + 1), "test": -60 + np.cumsum(rng.normal(1, 2, size=(M, B)), axis=0)}


@pytest.mark.parametrize("M, B", [(2, 2), (4, 5), (6, 10)])
def test_block_cv_lines_per_block_and_paired_differences(M, B):
    res = _cv_result(M, B)
    before = set(plt.get_fignums())
    fig = P.plot_block_cv(res)
    _check_figure(fig, before)
    ax1, ax2 = fig.axes
    assert "nats/s" in ax1.get_ylabel() and "nats/s" in ax2.get_ylabel()
    assert ax1.get_xlabel() == "number of states K"
    blocks = [ln for ln in ax1.get_lines() if ln.get_label().startswith("block")]
    assert len(blocks) == B
    np.testing.assert_allclose(blocks[0].get_ydata(), res["test"][:, 0] - res["test"][0, 0])
    (mean,) = [ln for ln in ax1.get_lines() if ln.get_label() == "mean"]
    np.testing.assert_allclose(mean.get_ydata(), (res["test"] - res["test"][:1]).mean(axis=1))
    assert [tk.get_text() for tk in ax2.get_xticklabels()] == [f"{k} → {k + 1}" for k in range(1, M)]


def test_block_cv_bad_input():
    with pytest.raises(TypeError, match="result"):
        P.plot_block_cv({"K": [1, 2]})
    with pytest.raises(ValueError, match="test"):
        P.plot_block_cv({"K": [1, 2], "test": np.zeros((3, 5))})
    with pytest.raises(ValueError, match="K"):
        P.plot_block_cv({"K": [2, 1], "test": np.zeros((2, 5))})
    with pytest.raises(ValueError, match="test"):
        P.plot_block_cv({"K": [1, 2], "test": np.array([[0.0, 1.0], [np.nan, 1.0]])})


@pytest.mark.parametrize("K", [1, 3, 9])
def test_posterior_predictive_skips_undefined_values(K):
    C = 5
    rng = np.random.default_rng(2)
    F = rng.uniform(0.3, 1.0, size=(C, K))
    F[:, 0] = np.nan                                 # a state where every unit is silent
    F_sim = rng.uniform(0.8, 1.2, size=(50, C, K))
    F_sim[:, 1, :] = np.nan                          # a unit never defined in the simulations
    r = rng.uniform(-0.5, 0.0, size=C)
    r[2] = np.nan
    r_sim = rng.uniform(-0.05, 0.3, size=(50, C))
    before = set(plt.get_fignums())
    fig = P.plot_posterior_predictive(F, r, F_sim, r_sim)
    _check_figure(fig, before)
    ax1, ax2 = fig.axes
    assert ax1.get_ylabel() == "Fano factor (variance / mean)"
    assert ax2.get_ylabel() == "lag-1 autocorrelation of counts"
    dots = [ln for ln in ax1.get_lines() if ln.get_label().startswith("state")]
    assert [ln.get_label() for ln in dots] == [f"state {k + 1}" for k in range(1, K)]
    assert sum(len(ln.get_xdata()) for ln in dots) == int(np.isfinite(F).sum())
    bars = [ln for ln in ax1.get_lines() if ln.get_linewidth() == 7]
    assert len(bars) == (C - 1) * (K - 1)            # not for the all-NaN state, nor the undefined unit
    (data,) = [ln for ln in ax2.get_lines() if ln.get_marker() == "o"]
    assert len(data.get_xdata()) == C - 1


def test_posterior_predictive_without_simulations_and_bad_input():
    F = np.array([[0.5, np.nan], [0.7, 0.9]])
    before = set(plt.get_fignums())
    fig = P.plot_posterior_predictive(F, [-0.2, -0.3])
    _check_figure(fig, before)
    with pytest.raises(ValueError, match="lag1"):
        P.plot_posterior_predictive(F, [-0.2])
    with pytest.raises(ValueError, match="fano"):
        P.plot_posterior_predictive(np.array([[np.inf, 1.0]]), [0.0])
    with pytest.raises(ValueError, match="fano_sim"):
        P.plot_posterior_predictive(F, [-0.2, -0.3], fano_sim=np.ones((3, 2, 3)))
    with pytest.raises(ValueError, match="lag1_sim"):
        P.plot_posterior_predictive(F, [-0.2, -0.3], lag1_sim=np.ones((3, 3)))
    with pytest.raises(TypeError, match="fano"):
        P.plot_posterior_predictive("F", [0.0])


# ----------------------------------------------------------------------------------------
# 05 why EM climbs: plot_coordinate_ascent; 06 checking the model: plot_calibration, plot_heldout_cv
# ----------------------------------------------------------------------------------------


def _chained_scans(n, seed=0):
    """Scans whose steps join up: each starts where the previous ended (as EM's do)."""
    rng = np.random.default_rng(seed)
    out, start = [], -1000.0
    for e in range(n):
        b = np.union1d(np.linspace(-1.0, 2.0, 7), [0.0, 1.0])
        gain = 100.0 / (e + 1) ** 2
        ll = start + gain * (2 * b - b**2 / 2) / 1.5 + rng.normal(0, 0.01, b.size) * (b != 0)
        ll[b == 0.0] = start
        bound = start + 0.6 * gain * (2 * b - b**2)
        out.append(LineScan(epoch=e, b=b, ll=ll, bound=bound, old=(), new=()))
        start = ll[b == 1.0][0]
    return out


def test_coordinate_ascent_half_steps_and_gaps():
    scans = _chained_scans(5)
    before = set(plt.get_fignums())
    fig = P.plot_coordinate_ascent(scans, n_steps=3)
    _check_figure(fig, before)
    (ax,) = fig.axes
    ll_line, f_line = [ln for ln in ax.get_lines() if ln.get_label() and not ln.get_label().startswith("_")]
    assert "log-likelihood" in ll_line.get_label() and "ECLL + entropy" in f_line.get_label()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["E 0", "M 1", "E 1", "M 2", "E 2", "M 3", "E 3"]
    ref = scans[0].ll[scans[0].b == 0.0][0]
    ll_at = [sc.ll[sc.b == 1.0][0] - ref for sc in scans[:3]]
    f_at = [sc.bound[sc.b == 1.0][0] - ref for sc in scans[:3]]
    f_y = f_line.get_ydata()
    assert np.allclose(f_y[0::2], [0.0] + ll_at)         # after every E-step F is the log-likelihood
    assert np.allclose(f_y[1::2], f_at)                   # after every M-step, the bound's peak
    assert np.allclose(ll_line.get_ydata()[1::2], ll_at)
    assert np.all(np.diff(f_y) >= 0), "F never decreases"
    assert "relative" in ax.get_ylabel()
    fig.canvas.draw()


def test_coordinate_ascent_real_scans_and_bad_input():
    d = helpers.tutorial_data(8, 200)
    fit = helpers.fit_em(d["Y"], 3, d["dt"], n_iter=2, seed=0)
    scans = helpers.scan_ll_ecll(d["Y"], *fit.init, d["dt"], n_epochs=3, n_points=5)
    fig = P.plot_coordinate_ascent(scans, n_steps=10)  # capped at the 3 scans there are
    assert len(fig.axes[0].get_xticks()) == 7
    with pytest.raises(ValueError, match="scans"):
        P.plot_coordinate_ascent([])
    with pytest.raises(ValueError, match="consecutive"):
        P.plot_coordinate_ascent([scans[0], scans[2]])
    with pytest.raises(ValueError, match="n_steps"):
        P.plot_coordinate_ascent(scans, n_steps=0)
    with pytest.raises(TypeError, match=r"scans\[0\]"):
        P.plot_coordinate_ascent([object()])


def test_calibration_points_are_accuracy_per_confidence_group():
    # two confidence levels: 0.95 (right 9 times in 10) and 0.6 (right half of the time)
    gamma = np.zeros((1, 30, 2))
    gamma[0, :20] = [0.95, 0.05]
    gamma[0, 20:] = [0.6, 0.4]
    states = np.zeros((1, 30), dtype=int)
    states[0, 18:20] = 1
    states[0, 25:] = 1
    before = set(plt.get_fignums())
    fig = P.plot_calibration(gamma, states, n_bins=5)
    _check_figure(fig, before)
    (ax,) = fig.axes
    (dots,) = [c for c in ax.collections if isinstance(c, PathCollection)]
    xy = dots.get_offsets()
    assert np.allclose(xy, [[0.6, 0.5], [0.95, 0.9]])
    sizes = dots.get_sizes()
    assert sizes[1] > sizes[0], "the larger group has the larger dot"
    assert ax.get_ylabel() == "fraction decoded correctly"
    with pytest.raises(ValueError, match="states_true"):
        P.plot_calibration(gamma, states[:, :5])
    with pytest.raises(ValueError, match="states_true"):
        P.plot_calibration(gamma, states + 2)
    with pytest.raises(ValueError, match="n_bins"):
        P.plot_calibration(gamma, states, n_bins=0)


def test_heldout_cv_lines_per_split_mean_and_best():
    Ks = [1, 2, 3, 4]
    train = np.array([[0.0, 5.0, 9.0, 9.5], [0.0, 4.0, 8.0, 8.8]])
    test = np.array([[0.0, 4.5, 8.0, 7.8], [0.0, 3.5, 7.0, 6.9]])
    before = set(plt.get_fignums())
    fig = P.plot_heldout_cv(Ks, train, test, ylabel="gain over K = 1 (nats/s)")
    _check_figure(fig, before)
    (ax,) = fig.axes
    assert ax.get_ylabel() == "gain over K = 1 (nats/s)" and "K" in ax.get_xlabel()
    (star,) = [ln for ln in ax.get_lines() if "best" in ln.get_label()]
    assert star.get_label() == "best mean held-out: K = 3"
    assert np.isclose(star.get_ydata()[0], 7.5)
    thin = [ln for ln in ax.get_lines() if ln.get_label().startswith("_") and len(ln.get_xdata()) == 4]
    assert len(thin) == 4, "one training and one held-out line per split"
    with pytest.raises(ValueError, match="test"):
        P.plot_heldout_cv(Ks, train, test[:, :3])
    with pytest.raises(ValueError, match="train"):
        P.plot_heldout_cv(Ks, train[0], test)
    with pytest.raises(ValueError, match="finite"):
        P.plot_heldout_cv(Ks, train, np.where(test > 7.5, np.nan, test))


# ----------------------------------------------------------------------------------------
# 04: relative gains, one EM run in two panels, the tie broken by rounding
# ----------------------------------------------------------------------------------------


def _em_record():
    """A made-up EM record: gains halve every step (linear convergence), one step gains exactly 0."""
    lls = -1000.0 + np.cumsum(np.r_[0.0, 200.0 * 0.5 ** np.arange(12)])
    return np.r_[lls, lls[-1]]


def test_relative_gains_marks_where_each_tol_stops():
    lls = _em_record()
    before = set(plt.get_fignums())
    fig = P.plot_relative_gains(lls, [1e-2, 1e-3])
    _check_figure(fig, before)
    (ax,) = fig.axes
    assert ax.get_yscale() == "log" and "relative gain" in ax.get_ylabel() and "step" in ax.get_xlabel()
    gains = np.diff(lls) / np.abs(lls[1:])
    (curve,) = [ln for ln in ax.get_lines() if ln.get_label() == "relative gain"]
    assert len(curve.get_xdata()) == int((gains > 0).sum()), "the step that gained 0 is left out of the log axis"
    circles = [ln for ln in ax.get_lines() if ln.get_marker() == "o" and len(ln.get_xdata()) == 1]
    want = [1 + int(np.argmax(gains <= tol)) for tol in (1e-2, 1e-3)]
    assert sorted(int(c.get_xdata()[0]) for c in circles) == want
    assert {t.get_text() for t in ax.texts} == {"tol = 1e-02", "tol = 1e-03"}
    with pytest.raises(ValueError, match="at least 2"):
        P.plot_relative_gains(lls[:1])
    with pytest.raises(ValueError, match="tols"):
        P.plot_relative_gains(lls, [0.0])


def test_em_progress_two_panels():
    before = set(plt.get_fignums())
    fig = P.plot_em_progress(_em_record(), [1e-3])
    _check_figure(fig, before)
    left, right = fig.axes
    assert "log-likelihood" in left.get_ylabel() and right.get_yscale() == "log"


def test_symmetry_break_panels_stops_and_reference():
    steps = 25
    gaps = np.r_[0.0, 1e-14 * 4.0 ** np.arange(steps - 1)]
    lls = -500.0 + np.r_[np.linspace(-300, -100, 4), np.full(15, -100.0) + np.linspace(0, 1e-3, 15),
                         np.linspace(-80, 0, steps - 19)]
    before = set(plt.get_fignums())
    fig = P.plot_symmetry_break(lls, gaps, ll_ref=-500.0, ref_label="truth", tols=(1e-4,))
    _check_figure(fig, before)
    left, right = fig.axes
    assert left.get_yscale() == "log" and "(Hz)" in left.get_ylabel()
    assert "truth" in right.get_ylabel()
    (curve,) = [ln for ln in right.get_lines() if ln.get_label() == "EM, tol = 0"]
    assert np.allclose(curve.get_ydata(), lls + 500.0), "drawn relative to ll_ref"
    vlines = [ln for ln in right.get_lines() if ln.get_linestyle() == ":"]
    gains = np.diff(lls) / np.abs(lls[1:])
    assert [ln.get_xdata()[0] for ln in vlines] == [1 + int(np.argmax(gains <= 1e-4))]
    (gap_line,) = left.get_lines()
    assert len(gap_line.get_xdata()) == steps - 1, "the exact 0 of step 0 is left out of the log axis"
    with pytest.raises(ValueError, match="same length"):
        P.plot_symmetry_break(lls, gaps[:-1])
    with pytest.raises(ValueError, match=">= 0"):
        P.plot_symmetry_break(lls, -gaps)


def test_recovery_in_hz_with_dt_and_every_size_on_the_axis():
    fig = P.plot_recovery([10, 30, 100], [[3.0, 3.2], [1.8, 2.0], [1.0, 0.9]], [[0.002, 0.003], [0.001, 0.0012],
                                                                             [0.0006, 0.0005]], dt=0.002)
    ax_L, ax_A = fig.axes[:2]
    assert ax_A.get_ylabel() == "switching-rate error (Hz)"
    means = [ln for ln in ax_A.get_lines() if ln.get_label() == "mean"][0].get_ydata()
    assert np.allclose(means, [1.25, 0.55, 0.275])  # probabilities per bin / dt
    assert [t.get_text() for t in ax_L.get_xticklabels()] == ["10", "30", "100"]
