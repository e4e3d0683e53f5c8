#!/usr/bin/env python
"""LL-vs-ECLL scan (the diagnostics figure): helpers.scan_ll_ecll vs the reference bookkeeping.

The figure needs, for each of 9 EM epochs, the data log-likelihood (LL) and
the expected complete-data log-likelihood (ECLL) at ~12 points on the line
``theta(b) = theta_old + b (theta_new - theta_old)``.

* ``ours``      -- ``helpers.scan_ll_ecll(Y, psi0, A0, L0, dt, n_epochs=9, n_points=12)``:
  one E-step per epoch, the ECLL from sufficient statistics, one forward
  pass per extra point.
* ``baseline``  -- :func:`baseline_scan` below, the reference text's
  bookkeeping: per epoch a full log-space E-step (``bench_estep.baseline_e_step``,
  with ``scipy.stats.poisson.logpmf`` and the full 4-D ``xi``), the closed-form
  M-step, then for every ``b`` a FULL E-step at ``theta(b)`` for the LL and
  the ECLL recomputed from the data: ``poisson(rate).logpmf`` over all bins
  weighted by ``gamma``, plus ``gamma[:, 0] @ log psi`` and
  ``(xi * log A).sum()``.

The ``b`` grid is the same for both: ``n_points`` evenly spaced values in the
largest interval inside (-1, 2) that keeps every parameter positive (99 % of
the way to the boundary), plus 0 and 1.

Data: ``helpers.tutorial_data()`` (300 x 1000 x 5, dt = 2 ms), K = 3.
Start like the tutorial: ``psi0`` near uniform, ``A0`` with off-diagonal
1.5 Hz * dt, ``L0 = rng.uniform(0, 50, (C, K))`` (seeded).

Checked before the timings are reported: both follow the same EM path
(``theta_old``/``theta_new`` agree every epoch), their LL agree at every
``b`` (in particular b = 0 and b = 1), and the ECLL differences
``Q(b) - Q(0)`` agree.

Target (informational): ours >= 20x faster. The baseline takes ~70 s per
run, so it runs ``--repeats`` times (default 3) and ours ``--our-repeats``
times (default 7), interleaved (baseline, ours, ours, baseline, ...), after a
small warm-up of each.

Usage::

    python benchmarks/bench_scan.py               # ~3-4 min
    python benchmarks/bench_scan.py --repeats 1   # one baseline run
    python benchmarks/bench_scan.py --quick       # 2 epochs, 1 baseline run (smoke test)
"""

from __future__ import annotations

import argparse
import sys

from _common import load_note, interleaved, machine_info, median, print_table, setup_path, verdict

setup_path()

import numpy as np  # noqa: E402
from scipy.stats import poisson  # noqa: E402

import helpers  # noqa: E402
from bench_estep import baseline_e_step  # noqa: E402

TARGET = 20.0


def starting_params(C, K, dt, seed=0):
    """Like the tutorial: near-uniform psi, 1.5 Hz switching, rates U(0, 50) Hz."""
    rng = np.random.default_rng(seed)
    psi0 = 1.0 + 0.1 * rng.uniform(size=K)
    psi0 /= psi0.sum()
    A0 = np.full((K, K), 1.5 * dt)
    np.fill_diagonal(A0, 1.0 - (K - 1) * 1.5 * dt)
    L0 = rng.uniform(0.0, 50.0, size=(C, K))
    return psi0, A0, L0


def baseline_m_step(Y, gamma, xi, dt):
    """Closed-form M-step from the full posteriors."""
    psi = gamma[:, 0].mean(axis=0)
    counts = xi.sum(axis=(0, 1))
    A = counts / counts.sum(axis=1, keepdims=True)
    occupancy = gamma.sum(axis=(0, 1))
    L = np.einsum("ntc,ntk->ck", Y, gamma) / (occupancy * dt)
    return psi, A, L


def baseline_ecll(Y, gamma, xi, psi, A, L, dt):
    """Q(theta) recomputed from the data and the full posteriors."""
    log_obs = poisson(L * dt).logpmf(Y[..., None]).sum(-2)  # (n, T, K)
    return float((gamma * log_obs).sum() + (gamma[:, 0] @ np.log(psi)).sum()
                 + (xi * np.log(A)).sum())


def line_limits(old, new, b_range=(-1.0, 2.0), margin=0.99):
    """Largest b interval inside b_range keeping every parameter > 0."""
    lo, hi = b_range
    for p0, p1 in zip(old, new):
        d = p1 - p0
        if (d > 0).any():
            lo = max(lo, margin * float(np.max(-p0[d > 0] / d[d > 0])))
        if (d < 0).any():
            hi = min(hi, margin * float(np.min(p0[d < 0] / -d[d < 0])))
    return min(lo, 0.0), max(hi, 1.0)


def baseline_scan(Y, psi, A, L, dt, n_epochs=9, n_points=12):
    """The reference bookkeeping: full E-steps everywhere.

    Returns
    -------
    list of dict
        Per epoch: ``b``, ``ll``, ``ecll`` (arrays over b), ``old``, ``new``.
    """
    old = (psi, A, L)
    out = []
    for _ in range(n_epochs):
        ll_old, gamma, xi = baseline_e_step(Y, *old, dt)
        new = baseline_m_step(Y, gamma, xi, dt)
        lo, hi = line_limits(old, new)
        bs = np.union1d(np.linspace(lo, hi, n_points), [0.0, 1.0])
        lls = np.empty(bs.size)
        qs = np.empty(bs.size)
        for i, b in enumerate(bs):
            theta = tuple(p0 + b * (p1 - p0) for p0, p1 in zip(old, new))
            lls[i] = baseline_e_step(Y, *theta, dt)[0]
            qs[i] = baseline_ecll(Y, gamma, xi, *theta, dt)
        out.append({"b": bs, "ll": lls, "ecll": qs, "old": old, "new": new, "ll_old": ll_old})
        old = new
    return out


def ours_scan(Y, psi, A, L, dt, n_epochs=9, n_points=12):
    return helpers.scan_ll_ecll(Y, psi, A, L, dt, n_epochs=n_epochs, n_points=n_points)


def check_agreement(base, ours):
    """Same EM path, same LL at every b (b = 0 and 1 in particular), same Q(b) - Q(0)."""
    print(f"correctness ({len(ours)} epochs)")
    print(f"  {'epoch':>5} {'points':>6} {'max|theta diff|':>16} {'|LL diff| b=0':>14} "
          f"{'|LL diff| b=1':>14} {'max|LL diff|':>13} {'max|dQ diff|':>13}")
    for e, (bs, os_) in enumerate(zip(base, ours)):
        theta_gap = max(float(np.abs(np.asarray(x) - np.asarray(y)).max())
                        for pair in ((bs["old"], os_.old), (bs["new"], os_.new))
                        for x, y in zip(*pair))
        assert bs["b"].shape == os_.b.shape, (bs["b"], os_.b)
        assert np.allclose(bs["b"], os_.b, rtol=1e-9, atol=1e-9), (bs["b"], os_.b)
        i0 = int(np.flatnonzero(os_.b == 0.0)[0])
        i1 = int(np.flatnonzero(os_.b == 1.0)[0])
        d_ll = np.abs(bs["ll"] - os_.ll)
        # ours reports bound = Q + H with H constant in b: compare Q(b) - Q(0)
        dq = np.abs((bs["ecll"] - bs["ecll"][i0]) - (os_.bound - os_.bound[i0]))
        print(f"  {e:>5} {bs['b'].size:>6} {theta_gap:>16.2e} {d_ll[i0]:>14.2e} {d_ll[i1]:>14.2e} "
              f"{d_ll.max():>13.2e} {dq.max():>13.2e}")
        scale = 1e-8 * np.abs(os_.ll).max() + 1e-6
        assert theta_gap < 1e-6, f"epoch {e}: EM paths differ by {theta_gap}"
        assert d_ll[i0] < scale and d_ll[i1] < scale, f"epoch {e}: LL differs at b = 0 or 1"
        assert d_ll.max() < scale, f"epoch {e}: LL differs on the line"
        assert dq.max() < scale, f"epoch {e}: ECLL differences disagree"
    print("  all checks passed")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=None,
                    help="timed baseline runs (default 3, --quick 1)")
    ap.add_argument("--our-repeats", type=int, default=None,
                    help="timed runs of ours (default 7, --quick 3)")
    ap.add_argument("--epochs", type=int, default=None, help="EM epochs (default 9, --quick 2)")
    ap.add_argument("--points", type=int, default=12, help="points per line (default 12)")
    ap.add_argument("--quick", action="store_true", help="2 epochs, 1 baseline run")
    ap.add_argument("--strict", action="store_true", help="exit 1 if the target is missed")
    args = ap.parse_args(argv)
    n_base = args.repeats or (1 if args.quick else 3)
    n_ours = args.our_repeats or (3 if args.quick else 7)
    n_epochs = args.epochs or (2 if args.quick else 9)
    n_points = args.points
    if min(n_base, n_ours, n_epochs) < 1 or n_points < 2:
        ap.error("repeats and epochs must be >= 1, points >= 2")

    d = helpers.tutorial_data()
    Y, dt = d["Y"], d["dt"]
    n, T, C = Y.shape
    K = d["psi"].size
    psi0, A0, L0 = starting_params(C, K, dt)
    print("bench_scan: LL-vs-ECLL line scans over EM epochs, helpers.scan_ll_ecll vs reference bookkeeping")
    print(f"  {machine_info()}")
    print(f"  data: tutorial_data(), Y {Y.shape}, K = {K}; {n_epochs} epochs x {n_points} points (+ b = 0, 1)")

    # warm-up both on a small slice (code paths, caches), untimed
    baseline_scan(Y[:5, :200], psi0, A0, L0, dt, n_epochs=1, n_points=3)
    ours_scan(Y[:5, :200], psi0, A0, L0, dt, n_epochs=1, n_points=3)

    results = {}

    def run_base():
        results["base"] = baseline_scan(Y, psi0, A0, L0, dt, n_epochs, n_points)

    def run_ours():
        results["ours"] = ours_scan(Y, psi0, A0, L0, dt, n_epochs, n_points)

    # schedule: baseline, ours x k, baseline, ours x k, ... (ours' runs spread out)
    schedule, left = [], n_ours
    for i in range(n_base):
        k = left // (n_base - i)  # spread ours' runs evenly after every baseline run
        schedule += ["baseline"] + ["ours"] * k
        left -= k
    print(f"\ntiming: baseline x{n_base}, ours x{n_ours}, order {' '.join(x[0] for x in schedule)} "
          "(b = baseline, o = ours); ours warmed up once at full size")
    run_ours()  # full-size warm-up of ours, discarded (its result is checked below)
    times = {"baseline": [], "ours": []}
    funcs = {"baseline": run_base, "ours": run_ours}
    for name in schedule:
        times[name] += interleaved({name: funcs[name]}, 1, warmup=0, progress=False)[name]
        print(f"  {name:<8} {times[name][-1]:8.2f} s", file=sys.stderr, flush=True)
        if name == "baseline" and "checked" not in results:
            check_agreement(results["base"], results["ours"])
            results["checked"] = True
    print()
    print_table(times, ref="ours")
    ratio = median(times["baseline"]) / median(times["ours"])
    ok = ratio >= TARGET
    n_lines = sum(s.b.size for s in results["ours"])
    print(f"\n  baseline / ours = {ratio:6.1f}x   target >= {TARGET:.0f}x   {verdict(ok)}")
    print(f"  ({n_epochs} epochs, {n_lines} (b, LL, ECLL) points in all; "
          f"ours {median(times['ours']) / n_lines * 1e3:.1f} ms per point, "
          f"baseline {median(times['baseline']) / n_lines * 1e3:.0f} ms per point)")
    print(f"  after the timings{load_note()}")
    if args.strict and not ok:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
