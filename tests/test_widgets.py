"""The explorers, driven inside a real IPython kernel.

Each test sets a control's ``value`` the way a front end would and asserts
that the explorer's figure now shows different data (or the right data), and
that redraws leave no figure behind.
"""

import json
import textwrap

import pytest

jupyter_client = pytest.importorskip("jupyter_client")


@pytest.fixture(scope="module")
def kernel():
    km, kc = jupyter_client.manager.start_new_kernel(kernel_name="python3")
    try:
        run(kc, """
            import json
            import numpy as np
            import matplotlib.pyplot as plt
            import helpers
            from helpers import widgets, plotting
            plotting.use_style()
            def fig_data(fig):
                '''Everything drawn: line data, collection segments, image arrays.'''
                out = []
                for ax in fig.axes:
                    out += [np.asarray(l.get_xydata()).round(9).tolist() for l in ax.lines]
                    for c in ax.collections:
                        segs = getattr(c, 'get_segments', lambda: [])()
                        out.append([np.asarray(s).round(9).tolist() for s in segs])
                    out += [np.asarray(im.get_array()).tolist() for im in ax.images]
                return json.dumps(out)
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

    reply = kc.execute_interactive(textwrap.dedent(code), output_hook=hook, timeout=120)
    content = reply["content"]
    if content["status"] != "ok":
        pytest.fail(f"kernel error: {content.get('ename')}: {content.get('evalue')}\n"
                    + "\n".join(content.get("traceback", [])))
    return "".join(chunks)


def result(kc, code):
    """Run code whose last line prints one JSON value, and decode it."""
    return json.loads(run(kc, code).strip().splitlines()[-1])


def test_simulation_explorer_redraws_for_every_control(kernel):
    out = result(kernel, """
        ex = widgets.explore_simulation(n_trials=5, T=300)
        figs_before = plt.get_fignums()
        fig = ex.fig
        changed = {}
        for name, value in [("seed", 7), ("switch_rate", 12.0), ("rate_scale", 2.5), ("K", 5)]:
            before = fig_data(ex.fig)
            ex.controls[name].value = value
            changed[name] = fig_data(ex.fig) != before
        # K = 5 now: the legend lists five states
        labels = [t.get_text() for t in ex.fig.legends[0].get_texts()] if ex.fig.legends else \
                 [t.get_text() for ax in ex.fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()]
        print(json.dumps({"changed": changed, "same_fig": ex.fig is fig, "n": ex.n_redraws,
                          "leaked": plt.get_fignums() != figs_before, "labels": labels}))
    """)
    assert out["changed"] == {"seed": True, "switch_rate": True, "rate_scale": True, "K": True}
    assert out["same_fig"] and out["n"] == 5
    assert not out["leaked"]
    assert sum("state" in s for s in out["labels"]) == 5


def test_simulation_explorer_rate_scale_scales_spike_count(kernel):
    out = result(kernel, """
        ex = widgets.explore_simulation(n_trials=10, T=500)
        def n_ticks(fig):
            return sum(len(c.get_segments()) for ax in fig.axes for c in ax.collections
                       if hasattr(c, 'get_segments'))
        ex.controls["rate_scale"].value = 0.2
        low = n_ticks(ex.fig)
        ex.controls["rate_scale"].value = 3.0
        high = n_ticks(ex.fig)
        print(json.dumps([low, high]))
    """)
    low, high = out
    assert high > 3 * low > 0


def test_posterior_explorer_follows_trial_and_window(kernel):
    out = result(kernel, """
        d = helpers.tutorial_data(n_trials=6, T=400, seed=3)
        ex = widgets.explore_posteriors(d["Y"], d["psi"], d["A"], d["L"], d["dt"], states=d["states"])
        figs_before = plt.get_fignums()
        before = fig_data(ex.fig)
        ex.controls["trial"].value = 5
        changed_trial = fig_data(ex.fig) != before
        # the slider counts from 1: the curves now show trial index 4's posteriors
        g = ex.gamma[4]
        ys = [l.get_ydata() for ax in ex.fig.axes for l in ax.lines if len(l.get_ydata()) > 10]
        match = any(np.allclose(y, g[:len(y), k]) for y in ys for k in range(g.shape[1]))
        ex.controls["t_window"].value = (0.2, 0.4)
        xlim = list(ex.fig.axes[0].get_xlim())
        print(json.dumps({"changed": changed_trial, "match": bool(match), "xlim": xlim,
                          "leaked": plt.get_fignums() != figs_before}))
    """)
    assert out["changed"] and out["match"]
    assert out["xlim"][0] == pytest.approx(0.2, abs=0.01) and out["xlim"][1] == pytest.approx(0.4, abs=0.01)
    assert not out["leaked"]


def test_em_epoch_explorer_shows_the_chosen_epoch(kernel):
    out = result(kernel, """
        d = helpers.tutorial_data(n_trials=20, T=300, seed=4)
        start = helpers.initial_params(helpers.model.check_counts(d["Y"]), 3, d["dt"], np.random.default_rng(0))
        ex = widgets.explore_em_epochs(d["Y"], *start, d["dt"], n_epochs=4, n_points=6)
        figs_before = plt.get_fignums()
        def curves(fig):
            return sorted([np.asarray(l.get_ydata(), float).round(6).tolist()
                           for ax in fig.axes for l in ax.lines if len(l.get_ydata()) > 3])
        first = curves(ex.fig)
        ex.controls["step"].value = 4  # EM step 4 = scans[3]
        s = ex.scans[3]
        now = curves(ex.fig)
        # relative plot: the log-likelihood curve is ll - ll(b=0) of epoch 3
        target = (s.ll - s.ll[s.b == 0][0]).round(6).tolist()
        print(json.dumps({"changed": now != first, "has_target": target in now,
                          "leaked": plt.get_fignums() != figs_before}))
    """)
    assert out["changed"] and out["has_target"]
    assert not out["leaked"]
