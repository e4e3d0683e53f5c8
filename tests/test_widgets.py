"""The explorers, driven inside a real IPython kernel.

Each test sets a control's ``value`` the way a front end would and asserts
that the explorer's figure now shows the right data: the artists' data are
compared with what the model functions (``helpers.sample_states``,
``helpers.sample_spikes``, ``helpers.e_step``, ``helpers.scan_ll_ecll``)
give for the same values. Other tests check that the PNG sent to the
browser is exactly what a full, from-scratch draw of the figure gives (the
explorers blit a cached background), that redraws accumulate nothing, and
that bad arguments raise errors naming them. No test asserts a timing
(``benchmarks/bench_widgets.py`` measures those).
"""

import json
import textwrap

import numpy as np
import pytest

jupyter_client = pytest.importorskip("jupyter_client")

#: Controls the explorers may use: they exist in ipywidgets 7.7 (Colab) and 8.
CONTROLS_IN_7_AND_8 = {"IntSlider", "FloatSlider", "FloatRangeSlider", "Dropdown", "Checkbox",
                       "IntRangeSlider", "ToggleButtons", "Play"}


@pytest.fixture(scope="module")
def kernel():
    km, kc = jupyter_client.manager.start_new_kernel(kernel_name="python3")
    try:
        run(kc, """
            import io, json
            import numpy as np
            import matplotlib
            import matplotlib.pyplot as plt
            from matplotlib.colors import to_rgb
            from PIL import Image
            import helpers
            from helpers import widgets, plotting
            plotting.use_style()

            def n_artists(fig):
                n, stack = 0, [fig]
                while stack:
                    a = stack.pop()
                    n += 1
                    stack.extend(a.get_children())
                return n

            def spikes_of(ex):
                '''(x, y) of every spike tick: the bottom end of each NaN-separated segment.'''
                (line,) = [l for l in ex.fig.axes[0].lines if l.get_label() == "_spikes"]
                x, y = np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)
                assert np.all(np.isnan(x[2::3])) and np.array_equal(x[0::3], x[1::3])
                return x[0::3], y[0::3]

            def shade_rgb(K, alpha):
                rgb = alpha * np.array([to_rgb(c) for c in plotting.state_colors(K)]) + (1 - alpha)
                return np.round(255 * rgb).astype(int)

            def shown_pixels(ex):
                return np.asarray(Image.open(io.BytesIO(ex.image.value)).convert("RGB")).astype(int)

            def full_redraw_pixels(ex):
                '''The figure drawn from scratch (savefig draws every artist, animated ones too).'''
                buf = io.BytesIO()
                with matplotlib.rc_context({"savefig.bbox": "standard"}):
                    ex.fig.savefig(buf, format="png", dpi=ex.fig.dpi)
                return np.asarray(Image.open(buf).convert("RGB")).astype(int)

            def out(**kw):
                print(json.dumps(kw))
        """)
        yield kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def run(kc, code):
    """Execute code in the kernel; return its stdout; fail on any error."""
    chunks = []

    def hook(msg):
        if msg["msg_type"] == "stream" and msg["content"]["name"] == "stdout":
            chunks.append(msg["content"]["text"])

    reply = kc.execute_interactive(textwrap.dedent(code), output_hook=hook, timeout=180)
    content = reply["content"]
    if content["status"] != "ok":
        pytest.fail(f"kernel error: {content.get('ename')}: {content.get('evalue')}\n"
                    + "\n".join(content.get("traceback", [])))
    return "".join(chunks)


def result(kc, code):
    """Run code whose last line prints one JSON value, and decode it."""
    return json.loads(run(kc, code).strip().splitlines()[-1])


# --------------------------------------------------------------------------------------
# 01: simulation
# --------------------------------------------------------------------------------------


def test_simulation_raster_shows_the_simulated_spikes_and_states(kernel):
    """Every control: the ticks sit at the spikes and the shading at the states of the model."""
    out = result(kernel, """
        n_trials, T, dt = 6, 400, 0.002
        ex = widgets.explore_simulation(n_trials=n_trials, T=T, dt=dt, seed=0)
        L_true = helpers.tutorial_model()[2]

        def expected(switch_rate, rate_scale, K, seed):
            # the explorer's model, written out again: leave a state at switch_rate (Hz), evenly
            # to the others; uniform psi; the tutorial's rates (K <= 3) times rate_scale
            rng = np.random.default_rng(seed)
            A = np.full((K, K), switch_rate * dt / max(K - 1, 1))
            np.fill_diagonal(A, 1 - switch_rate * dt if K > 1 else 1.0)
            states = helpers.sample_states(np.full(K, 1 / K), A, n_trials, T, rng)
            Y = helpers.sample_spikes(states, L_true[:, :K] * rate_scale, dt, rng)
            return states, Y

        band = n_trials + round(0.35 * n_trials)
        checks = []
        for name, value in [("seed", 7), ("switch_rate", 12.0), ("rate_scale", 2.5), ("K", 2), ("seed", 8)]:
            before = spikes_of(ex)
            ex.controls[name].value = value
            v = ex.values()
            states, Y = expected(v["switch_rate"], v["rate_scale"], v["K"], v["seed"])
            rows, bins, neurons = np.nonzero(Y)
            x, y = spikes_of(ex)
            img = np.asarray(ex.fig.axes[0].images[0].get_array())[..., :3].astype(int)
            lut = shade_rgb(v["K"], 0.3)
            title = ex.fig.axes[0].get_title()
            checks.append({
                "control": name,
                "changed": not (len(x) == len(before[0]) and np.array_equal(x, before[0])),
                "x_at_bin_centres": bool(np.allclose(np.sort(x), np.sort((bins + 0.5) * dt))),
                "ticks_match": sorted(zip(np.round(x / dt - 0.5).astype(int).tolist(), (y - 0.12).round().astype(int).tolist()))
                               == sorted(zip(bins.tolist(), (neurons * band + rows).tolist())),
                "shading_is_states": bool(all(np.array_equal(img[c * band + i], lut[states[i]])
                                              for c in range(5) for i in range(n_trials))),
                "gap_rows_white": bool(np.all(img[n_trials:band] == 255)),
                "exposed_data": bool(np.array_equal(ex.Y, Y) and np.array_equal(ex.states, states)),
                "title": title,
            })
        out(checks=checks, ylabel=ex.fig.axes[0].get_ylabel(), xlabel=ex.fig.axes[0].get_xlabel(),
            yticks=[t.get_text() for t in ex.fig.axes[0].get_yticklabels()])
    """)
    for c in out["checks"]:
        assert c["changed"], c["control"]
        assert c["x_at_bin_centres"] and c["ticks_match"], c["control"]
        assert c["shading_is_states"] and c["gap_rows_white"], c["control"]
        assert c["exposed_data"], c["control"]
    last = out["checks"][-1]["title"]
    assert "K = 2" in last and "12.0 Hz" in last and "2.5" in last and "seed 8" in last
    assert out["xlabel"] == "time (s)" and "trial" in out["ylabel"]
    assert out["yticks"] == [f"neuron {c}" for c in range(1, 6)]


def test_simulation_K_sets_state_colours_and_legend(kernel):
    out = result(kernel, """
        ex = widgets.explore_simulation(n_trials=8, T=500, seed=3)
        ex.controls["switch_rate"].value = 15.0  # every state gets visited
        res = {}
        for K in [1, 2, 3, 4, 5, 6, 3]:
            ex.controls["K"].value = K
            ax = ex.fig.axes[0]
            img = np.asarray(ax.images[0].get_array())[..., :3].reshape(-1, 3).astype(int)
            colours = {tuple(c) for c in np.unique(img, axis=0).tolist()} - {(255, 255, 255)}
            leg = ax.get_legend()
            res[K] = {
                "n_colours": len(colours),
                "okabe_ito": colours == {tuple(c) for c in shade_rgb(K, 0.3).tolist()},
                "states_seen": int(np.unique(ex.states[:8]).size),
                "legend": [t.get_text() for t in leg.get_texts()],
                "legend_colours": [matplotlib.colors.to_hex(p.get_facecolor(), keep_alpha=False)
                                   for p in leg.get_patches()],
                "expected_colours": [matplotlib.colors.to_hex(c) for c in plotting.state_colors(K)],
                "n_legends": sum(isinstance(a, matplotlib.legend.Legend) for a in ax.get_children()),
            }
        out(res=res)
    """)
    for K, r in out["res"].items():
        K = int(K)
        assert r["states_seen"] == K and r["n_colours"] == K and r["okabe_ito"], (K, r)
        assert r["legend"] == [f"state {k}" for k in range(1, K + 1)]
        assert r["legend_colours"] == r["expected_colours"]
        assert r["n_legends"] == 1


def test_simulation_rate_and_switching_controls_change_what_they_should(kernel):
    out = result(kernel, """
        ex = widgets.explore_simulation(n_trials=10, T=500)
        def n_switches():
            return int((np.diff(ex.states[:10], axis=1) != 0).sum())
        ex.controls["rate_scale"].value = 0.2
        low = len(spikes_of(ex)[0])
        ex.controls["rate_scale"].value = 3.0
        high = len(spikes_of(ex)[0])
        n_Y = int((ex.Y[:10] > 0).sum())
        ex.controls["switch_rate"].value = 0.5
        slow = n_switches()
        ex.controls["switch_rate"].value = 15.0
        fast = n_switches()
        out(low=low, high=high, n_Y=n_Y, slow=slow, fast=fast)
    """)
    assert out["high"] > 3 * out["low"] > 0
    assert out["high"] == out["n_Y"]  # one tick per bin with spikes
    assert out["fast"] > 5 * max(out["slow"], 1)


# --------------------------------------------------------------------------------------
# 02: posteriors
# --------------------------------------------------------------------------------------


def test_posterior_explorer_shows_the_chosen_trial_and_window(kernel):
    out = result(kernel, """
        d = helpers.tutorial_data(n_trials=6, T=400, seed=3)
        dt = d["dt"]
        ex = widgets.explore_posteriors(d["Y"], d["psi"], d["A"], d["L"], dt, states=d["states"])
        gamma = helpers.e_step(d["Y"], d["psi"], d["A"], d["L"], dt).gamma
        lut = shade_rgb(3, 1.0)
        res = []
        for trial, window in [(5, (0.0, 0.5)), (5, (0.2, 0.4)), (2, (0.2, 0.4)), (6, (0.3, 0.3)), (1, (0.0, 0.8))]:
            ex.controls["trial"].value = trial
            ex.controls["t_window"].value = window
            ax = ex.fig.axes[0]
            i0 = int(np.floor(window[0] / dt + 1e-9))
            i1 = max(i0 + 1, int(np.ceil(window[1] / dt - 1e-9)))
            t = (np.arange(i0, i1) + 0.5) * dt
            lines = [l for l in ax.lines if not l.get_label().startswith("_")]
            strip = np.asarray(ax.images[0].get_array())[0, :, :3].astype(int)
            res.append({
                "n_lines": len(lines),
                "curves": bool(all(np.allclose(l.get_xdata(), t) and np.allclose(l.get_ydata(), gamma[trial - 1, i0:i1, k])
                                   for k, l in enumerate(lines))),
                "colours": [matplotlib.colors.to_hex(l.get_color()) for l in lines],
                "strip": bool(np.array_equal(strip, lut[d["states"][trial - 1, i0:i1]])),
                "strip_extent": list(ax.images[0].get_extent()[:2]),
                "xlim": list(ax.get_xlim()),
                "bins": [i0, i1],
                "title": ax.get_title(),
                "labels": [ax.get_xlabel(), ax.get_ylabel()],
                "legend": [t.get_text() for t in ax.get_legend().get_texts()],
            })
        out(res=res, gamma_same=bool(np.allclose(ex.gamma, gamma)),
            expected=[matplotlib.colors.to_hex(c) for c in plotting.state_colors(3)])
    """)
    assert out["gamma_same"]
    for r, (trial, window) in zip(out["res"], [(5, (0, .5)), (5, (.2, .4)), (2, (.2, .4)), (6, (.3, .3)), (1, (0, .8))]):
        assert r["n_lines"] == 3 and r["curves"] and r["strip"], (trial, window, r)
        assert r["colours"] == out["expected"]
        i0, i1 = r["bins"]
        assert r["xlim"] == pytest.approx([i0 * 0.002, i1 * 0.002])
        assert r["strip_extent"] == pytest.approx(r["xlim"])
        assert r["title"] == f"trial {trial} of 6"
        assert r["labels"] == ["time (s)", "posterior probability"]
        assert r["legend"] == ["state 1", "state 2", "state 3"]
    assert out["res"][1]["xlim"] == pytest.approx([0.2, 0.4])
    assert out["res"][3]["bins"][1] - out["res"][3]["bins"][0] == 1  # a zero-width window shows one bin


def test_posterior_explorer_stacks_many_states(kernel):
    out = result(kernel, """
        rng = np.random.default_rng(1)
        K, C, dt = 5, 4, 0.002
        A = np.full((K, K), 0.004 / (K - 1)); np.fill_diagonal(A, 0.996)
        L = rng.uniform(2, 60, (C, K)); psi = np.full(K, 1 / K)
        s = helpers.sample_states(psi, A, 3, 300, rng); Y = helpers.sample_spikes(s, L, dt, rng)
        ex = widgets.explore_posteriors(Y, psi, A, L, dt, window=0.3)
        ex.controls["trial"].value = 2
        g = helpers.e_step(Y, psi, A, L, dt).gamma[1, :150]
        polys = [c for c in ex.fig.axes[0].collections if isinstance(c, matplotlib.collections.PolyCollection)]
        ok = []
        for k, pc in enumerate(polys):
            v = pc.get_paths()[0].vertices
            lower, upper = v[:150, 1], v[150:300, 1][::-1]
            ok.append(bool(np.allclose(upper - lower, g[:, k]) and np.allclose(upper, g[:, :k + 1].sum(1))))
        out(n=len(polys), ok=ok, strip=len(ex.fig.axes[0].images), lines=len(ex.fig.axes[0].lines),
            legend=[t.get_text() for t in ex.fig.axes[0].get_legend().get_texts()])
    """)
    assert out["n"] == 5 and all(out["ok"])
    assert out["strip"] == 0 and out["lines"] == 0  # no states given: no strip
    assert out["legend"] == [f"state {k}" for k in range(1, 6)]


# --------------------------------------------------------------------------------------
# 05: EM steps
# --------------------------------------------------------------------------------------


def test_em_epoch_explorer_shows_the_chosen_step(kernel):
    out = result(kernel, """
        d = helpers.tutorial_data(n_trials=20, T=300, seed=4)
        start = helpers.initial_params(helpers.model.check_counts(d["Y"]), 3, d["dt"], np.random.default_rng(0))
        ex = widgets.explore_em_epochs(d["Y"], *start, d["dt"], n_epochs=4, n_points=6)
        scans = helpers.scan_ll_ecll(d["Y"], *start, d["dt"], n_epochs=4, n_points=6)
        res = []
        for step in [4, 2, 1, 3, 4]:
            ex.controls["step"].value = step
            s = scans[step - 1]
            order = np.argsort(s.b)
            ref = s.ll[s.b == 0][0]
            ax = ex.fig.axes[0]
            by_label = {l.get_label(): l for l in ax.lines}
            ll, bd = by_label["log-likelihood"], by_label["ECLL + entropy (lower bound)"]
            lo, hi = ax.get_ylim()
            res.append({
                "ll": bool(np.allclose(ll.get_xdata(), s.b[order]) and np.allclose(ll.get_ydata(), (s.ll - ref)[order])),
                "bound": bool(np.allclose(bd.get_ydata(), (s.bound - ref)[order])),
                "old_at_zero": [float(v) for v in by_label[r"_$\\theta^{(m-1)}$"].get_xydata()[0]],
                "in_view": bool(lo <= min(np.min(s.ll - ref), np.min(s.bound - ref))
                                and hi >= max(np.max(s.ll - ref), np.max(s.bound - ref))),
                "xticks": [t.get_text() for t in ax.get_xticklabels()],
                "title": ax.get_title(),
            })
        legend = [t.get_text() for t in ex.fig.legends[0].get_texts()]
        out(res=res, legend=legend, n_scans=len(ex.scans), same_scans=bool(np.allclose(ex.scans[2].ll, scans[2].ll)))
    """)
    assert out["n_scans"] == 4 and out["same_scans"]
    for r, step in zip(out["res"], [4, 2, 1, 3, 4]):
        assert r["ll"] and r["bound"] and r["in_view"], (step, r)
        assert r["old_at_zero"] == pytest.approx([0.0, 0.0], abs=1e-9)
        assert r["xticks"] == [rf"$\theta^{{({step - 1})}}$", rf"$\theta^{{({step})}}$"]
        assert r["title"] == f"EM step {step}"
    assert out["legend"] == ["log-likelihood", "ECLL + entropy (lower bound)"]


# --------------------------------------------------------------------------------------
# all explorers: what the browser gets, and nothing accumulates
# --------------------------------------------------------------------------------------


def test_shown_png_is_exactly_a_full_redraw(kernel):
    """The explorers blit a cached background; the PNG must equal a from-scratch draw."""
    out = result(kernel, """
        d = helpers.tutorial_data(n_trials=8, T=400, seed=5)
        start = helpers.initial_params(helpers.model.check_counts(d["Y"]), 3, d["dt"], np.random.default_rng(0))
        sim = widgets.explore_simulation(n_trials=8, T=400)
        post = widgets.explore_posteriors(d["Y"], d["psi"], d["A"], d["L"], d["dt"], states=d["states"])
        em = widgets.explore_em_epochs(d["Y"], *start, d["dt"], n_epochs=3, n_points=4)
        res = []
        for ex, name, values in [(sim, "seed", [4, 5, 4]), (sim, "K", [6, 3, 6]), (sim, "rate_scale", [2.0]),
                                 (post, "trial", [3, 7, 3]), (post, "t_window", [(0.1, 0.6), (0.0, 0.5), (0.1, 0.6)]),
                                 (em, "step", [2, 3, 2])]:
            for v in values:
                ex.controls[name].value = v
                a, b = shown_pixels(ex), full_redraw_pixels(ex)
                w, h = ex.fig.get_size_inches() * ex.fig.dpi
                res.append({"what": f"{name}={v}", "cached": bool(ex.last_timing["cached"]),
                            "shape": list(a.shape), "size": [round(h), round(w), 3],
                            "max_diff": int(np.abs(a - b).max()) if a.shape == b.shape else 999})
        out(res=res)
    """)
    assert any(r["cached"] for r in out["res"]) and not all(r["cached"] for r in out["res"])
    for r in out["res"]:
        assert r["shape"] == r["size"], r
        assert r["max_diff"] <= 2, r


def test_redraws_accumulate_nothing(kernel):
    out = result(kernel, """
        d = helpers.tutorial_data(n_trials=4, T=300, seed=6)
        figs_before = plt.get_fignums()
        sim = widgets.explore_simulation(n_trials=4, T=300)
        post = widgets.explore_posteriors(d["Y"], d["psi"], d["A"], d["L"], d["dt"], states=d["states"])
        res = {}
        for label, ex, moves in [
            ("sim", sim, [("seed", s) for s in range(1, 8)] + [("K", k) for k in (6, 1, 4, 2, 5)]
                         + [("rate_scale", 0.5), ("switch_rate", 9.0)]),
            ("post", post, [("trial", t) for t in (2, 3, 4, 1)] + [("t_window", (0.05 * i, 0.05 * i + 0.2)) for i in range(10)]),
        ]:
            initial = ex.values()
            fig, n0, r0 = ex.fig, n_artists(ex.fig), ex.n_redraws
            counts = []
            for _ in range(3):
                for name, v in moves:
                    ex.controls[name].value = v
                for name, v in initial.items():
                    ex.controls[name].value = v
                counts.append(n_artists(ex.fig))
            res[label] = {"counts": [n0] + counts, "same_fig": ex.fig is fig, "n_axes": len(ex.fig.axes),
                          "redraws": ex.n_redraws - r0, "moves": 3 * len(moves),
                          "cache": len(ex._backgrounds), "cache_max": ex._cache_size,
                          "controls": sorted({type(w).__name__ for w in ex.controls.values()}),
                          "ui": [type(c).__name__ for c in ex.ui.children]}
        out(res=res, leaked=plt.get_fignums() != figs_before)
    """)
    assert not out["leaked"]
    for label, r in out["res"].items():
        assert len(set(r["counts"])) == 1, (label, r["counts"])  # back at the initial values: same artists
        assert r["same_fig"] and r["n_axes"] == 1
        assert r["redraws"] >= r["moves"]  # every move redrew (plus the moves back)
        assert 1 <= r["cache"] <= r["cache_max"]
        assert set(r["controls"]) <= CONTROLS_IN_7_AND_8, r["controls"]
        assert r["ui"] == ["VBox", "Image"]


# --------------------------------------------------------------------------------------
# bad input (in this process: the errors come before any widget is made)
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small():
    import helpers

    return helpers.tutorial_data(n_trials=2, T=50, seed=6)


@pytest.mark.parametrize("kwargs, exc, name", [
    ({"n_trials": 0}, ValueError, "n_trials"),
    ({"n_trials": 2.5}, TypeError, "n_trials"),
    ({"T": "10"}, TypeError, "T"),
    ({"T": 0}, ValueError, "T"),
    ({"dt": -0.001}, ValueError, "dt"),
    ({"dt": "2 ms"}, TypeError, "dt"),
    ({"seed": -1}, ValueError, "seed"),
    ({"seed": 1.5}, TypeError, "seed"),
])
def test_simulation_explorer_rejects_bad_arguments(kwargs, exc, name):
    from helpers import widgets

    with pytest.raises(exc, match=name):
        widgets.explore_simulation(**kwargs)


def test_posterior_explorer_rejects_bad_arguments(small):
    from helpers import widgets

    d = small
    args = (d["Y"], d["psi"], d["A"], d["L"], d["dt"])
    for bad in (-1, 0, float("nan"), float("inf"), "a", None, True):
        with pytest.raises(ValueError, match="window"):
            widgets.explore_posteriors(*args, window=bad)
    with pytest.raises(ValueError, match="states"):
        widgets.explore_posteriors(*args, states=d["states"][:, :10])
    with pytest.raises(ValueError, match="states"):
        widgets.explore_posteriors(*args, states=d["states"] + 3)
    with pytest.raises(ValueError, match="states"):
        widgets.explore_posteriors(*args, states=d["states"] + 0.5)
    with pytest.raises(TypeError, match="states"):
        widgets.explore_posteriors(*args, states="1 2 3")
    with pytest.raises(ValueError, match="Y"):
        widgets.explore_posteriors(-d["Y"] - 1, *args[1:])
    with pytest.raises(ValueError, match="L"):
        widgets.explore_posteriors(d["Y"], d["psi"], d["A"], d["L"].T, d["dt"])


def test_em_epoch_explorer_rejects_bad_scans(small):
    import helpers
    from helpers import widgets

    d = small
    scans = helpers.scan_ll_ecll(d["Y"], d["psi"], d["A"], d["L"], d["dt"], n_epochs=1, n_points=3)
    with pytest.raises(ValueError, match="scans"):
        widgets.explore_em_epochs(None, None, None, None, None, scans=[])
    with pytest.raises(TypeError, match="scans"):
        widgets.explore_em_epochs(None, None, None, None, None, scans=5)
    with pytest.raises(TypeError, match=r"scans\[1\]"):
        widgets.explore_em_epochs(None, None, None, None, None, scans=[scans[0], object()])
    bad = helpers.LineScan(epoch=0, b=scans[0].b + 0.5, ll=scans[0].ll, bound=scans[0].bound,
                           old=scans[0].old, new=scans[0].new)
    with pytest.raises(ValueError, match=r"scans\[0\]\.b"):
        widgets.explore_em_epochs(None, None, None, None, None, scans=[bad])
    short = helpers.LineScan(epoch=0, b=scans[0].b, ll=scans[0].ll[:-1], bound=scans[0].bound,
                             old=scans[0].old, new=scans[0].new)
    with pytest.raises(ValueError, match=r"scans\[0\]"):
        widgets.explore_em_epochs(None, None, None, None, None, scans=[short])


def test_explorer_accepts_a_plain_draw_function_and_rejects_other_things():
    ipw = pytest.importorskip("ipywidgets")
    from helpers import widgets

    calls = []

    def draw(fig, x):
        calls.append(x)
        fig.add_subplot().plot([0, 1], [0, x])

    ex = widgets.Explorer({"x": ipw.IntSlider(value=1, min=0, max=5)}, draw)
    ex.controls["x"].value = 4
    ex.controls["x"].value = 2
    assert calls == [1, 4, 2] and ex.n_redraws == 3
    assert len(ex.fig.axes) == 1  # cleared before every draw
    assert np.allclose(ex.fig.axes[0].lines[0].get_ydata(), [0, 2])
    assert ex.image.value[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(TypeError, match="draw"):
        widgets.Explorer({"x": ipw.IntSlider()}, 42)
