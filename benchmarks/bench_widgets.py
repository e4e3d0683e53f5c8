#!/usr/bin/env python
"""Redraw time of every explorer on the tutorial data set (target: < 0.3 s each).

A redraw is what happens when a student moves a control: the explorer clears
its figure, draws it for the new value and encodes the PNG that the
``ipywidgets.Image`` shows. Each control is moved through several values;
the script prints the median, min and max per explorer and control, and
checks that no figure is left behind (pyplot's figure count is unchanged).

Usage::

    python benchmarks/bench_widgets.py [--repeats N] [--strict]
"""

from __future__ import annotations

import argparse
import sys
import time

from _common import fmt_s, load_note, machine_info, median, setup_path, verdict

setup_path()

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import helpers  # noqa: E402
from helpers import plotting, widgets  # noqa: E402

TARGET = 0.3  # seconds per redraw


def time_control(explorer, name, values):
    times = []
    for v in values:
        t0 = time.perf_counter()
        explorer.controls[name].value = v  # redraw: draw + PNG encode, synchronously
        times.append(time.perf_counter() - t0)
    return times


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=3, help="passes over each control's values")
    ap.add_argument("--strict", action="store_true", help="exit 1 if a target is missed")
    args = ap.parse_args(argv)
    print(machine_info())
    print(load_note())
    plotting.use_style()
    d = helpers.tutorial_data()
    Y, dt = d["Y"], d["dt"]
    start = helpers.initial_params(Y.astype(float), 3, dt, np.random.default_rng(0))

    figures_before = plt.get_fignums()
    t0 = time.perf_counter()
    sim = widgets.explore_simulation()
    post = widgets.explore_posteriors(Y, d["psi"], d["A"], d["L"], dt, states=d["states"])
    em = widgets.explore_em_epochs(Y, *start, dt)
    print(f"building the three explorers (incl. one E-step and the 9-epoch scan): "
          f"{time.perf_counter() - t0:.2f} s\n")

    cases = [
        ("01 simulation", sim, "seed", [1, 2, 3, 4, 5, 6]),
        ("01 simulation", sim, "switch_rate", [1.0, 5.0, 10.0, 15.0, 3.0]),
        ("01 simulation", sim, "rate_scale", [0.5, 1.5, 2.5, 1.0]),
        ("01 simulation", sim, "K", [4, 5, 6, 2, 3]),
        ("02 posteriors", post, "trial", [2, 50, 100, 200, 300, 1]),
        ("02 posteriors", post, "t_window", [(0.0, 2.0), (0.5, 1.0), (1.2, 1.9), (0.0, 0.5)]),
        ("05 EM steps", em, "step", [2, 3, 4, 5, 6, 7, 8, 9, 1]),
    ]
    rows = []
    for label, ex, name, values in cases:
        ts = []
        for _ in range(args.repeats):
            ts += time_control(ex, name, values)
        rows.append((label, name, ts))

    print(f"  {'explorer':<14} {'control':<12} {'redraws':>7}  {'median':>11}  {'min':>11}  {'max':>11}  target")
    ok = True
    for label, name, ts in rows:
        passed = median(ts) < TARGET
        ok &= passed
        print(f"  {label:<14} {name:<12} {len(ts):>7}  {fmt_s(median(ts))}  {fmt_s(min(ts))}  "
              f"{fmt_s(max(ts))}  < {TARGET} s {verdict(passed)}")
    leaked = len(plt.get_fignums()) - len(figures_before)
    print(f"\n  figures left behind after {sum(len(ts) for *_, ts in rows)} redraws: {leaked}  "
          f"{verdict(leaked == 0)}")
    ok &= leaked == 0
    print(load_note())
    return 0 if (ok or not args.strict) else 1


if __name__ == "__main__":
    sys.exit(main())
