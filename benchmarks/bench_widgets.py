#!/usr/bin/env python
"""Redraw time of every explorer on the tutorial data set (target: median <= 0.15 s per control).

A redraw is everything that happens when a student moves a control: the
explorer computes what the control changes (01: a new simulation), updates
its figure's artists, renders the figure with Agg and encodes the PNG that
the ``ipywidgets.Image`` shows (setting ``Image.value``). Each control is
moved through several values, ``--repeats`` passes; the script prints per
explorer and control the median, min and max over all redraws, the median of
the *first pass* alone (values not shown before: no rendered background
cached yet, the worst case a student meets), and the median split into
update / Agg draw / PNG encoding. It checks that no figure is left behind
(pyplot's figure count is unchanged) and that the number of artists in each
explorer's figure stays the same.

Usage::

    python benchmarks/bench_widgets.py [--repeats N] [--strict] [--profile CONTROL]

``--profile seed`` (or any control name) adds a cProfile of 6 redraws of
that control (top functions by cumulative and by own time).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
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

TARGET = 0.15  # seconds: median redraw per control


def time_control(explorer, name, values):
    times, parts = [], []
    for v in values:
        t0 = time.perf_counter()
        explorer.controls[name].value = v  # redraw: update + draw + PNG encode + Image.value, synchronously
        times.append(time.perf_counter() - t0)
        parts.append(dict(getattr(explorer, "last_timing", {})))
    return times, parts


def n_artists(fig):
    """Every artist in the figure (recursively), to show that redraws add none."""
    seen, stack = 0, [fig]
    while stack:
        a = stack.pop()
        seen += 1
        stack.extend(a.get_children())
    return seen


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=3, help="passes over each control's values")
    ap.add_argument("--strict", action="store_true", help="exit 1 if a target is missed")
    ap.add_argument("--profile", metavar="CONTROL", help="cProfile 6 redraws of this control")
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
    counts = {}  # (explorer, control) -> artists in the figure after each pass over the values
    for label, ex, name, values in cases:
        ts, parts, first = [], [], None
        for _ in range(args.repeats):
            t, p = time_control(ex, name, values)
            first = t if first is None else first
            ts += t
            parts += p
            counts.setdefault(f"{label[:2]} {name}", []).append(n_artists(ex.fig))
        rows.append((label, name, ts, first, parts))

    def part(parts, key):
        xs = [p[key] for p in parts if key in p]
        return f"{median(xs) * 1e3:5.0f}" if xs else "    ?"

    print(f"  {'explorer':<14} {'control':<12} {'redraws':>7}  {'median':>11}  {'min':>11}  {'max':>11}"
          f"  {'1st pass':>11}  {'upd/draw/png ms':>15}  target")
    ok = True
    for label, name, ts, first, parts in rows:
        passed = median(ts) <= TARGET
        ok &= passed
        print(f"  {label:<14} {name:<12} {len(ts):>7}  {fmt_s(median(ts))}  {fmt_s(min(ts))}  "
              f"{fmt_s(max(ts))}  {fmt_s(median(first))}  "
              f"{part(parts, 'update')}/{part(parts, 'draw')}/{part(parts, 'png')}  "
              f"<= {TARGET} s {verdict(passed)}")
    leaked = len(plt.get_fignums()) - len(figures_before)
    print(f"\n  figures left behind after {sum(len(r[2]) for r in rows)} redraws: {leaked}  "
          f"{verdict(leaked == 0)}")
    ok &= leaked == 0
    # every pass ends on the same value, so it must leave the same figure behind
    bounded = all(len(set(c)) == 1 for c in counts.values())
    print("  artists in the figure after each pass (must not grow): "
          + ", ".join(f"{k} {'/'.join(map(str, c))}" for k, c in counts.items()) + f"  {verdict(bounded)}")
    ok &= bounded
    if args.profile:
        for label, ex, name, values in cases:
            if name == args.profile:
                print(f"\n  cProfile: 6 redraws of {label} / {name}")
                pr = cProfile.Profile()
                pr.enable()
                for v in (values * 2)[:6]:
                    ex.controls[name].value = v
                pr.disable()
                st = pstats.Stats(pr, stream=sys.stdout)
                st.sort_stats("cumulative").print_stats(25)
                st.sort_stats("tottime").print_stats(15)
                break
        else:
            print(f"  --profile: no control named {args.profile!r}")
    print(load_note())
    return 0 if (ok or not args.strict) else 1


if __name__ == "__main__":
    sys.exit(main())
