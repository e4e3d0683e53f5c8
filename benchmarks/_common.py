"""Small shared utilities for the benchmark scripts (not a test module).

* :func:`setup_path` puts the repository root first on ``sys.path`` so the
  scripts benchmark the ``helpers`` package of this checkout;
* :func:`interleaved` times several callables round-robin
  (a, b, c, a, b, c, ...) so that slow drifts of the machine (thermal
  throttling, another process) hit every contender alike;
* :func:`print_table` and :func:`verdict` format the results.

Timings use :func:`time.perf_counter`. Nothing here changes thread or BLAS
settings (``OPENBLAS_CORETYPE`` and friends are left as the machine set them).
"""

from __future__ import annotations

import gc
import os
import platform
import statistics
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent


def setup_path():
    """Make ``import helpers`` pick this checkout's package, and allow sibling imports.

    Also line-buffers stdout so results and stderr progress interleave sensibly.
    """
    try:
        sys.stdout.reconfigure(line_buffering=True)
    except (AttributeError, ValueError):
        pass
    for p in (str(BENCH_DIR), str(REPO_ROOT)):
        if p in sys.path:
            sys.path.remove(p)
        sys.path.insert(0, p)


def machine_info():
    """One line describing the interpreter, numpy and the machine."""
    import numpy as np

    blas = ""
    try:  # numpy >= 2: show_config(mode="dicts")
        cfg = np.show_config(mode="dicts")
        blas = cfg["Build Dependencies"]["blas"]["name"]
    except Exception:
        pass
    env = {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS",
                                      "OMP_NUM_THREADS", "MKL_NUM_THREADS") if k in os.environ}
    return (f"python {platform.python_version()}, numpy {np.__version__} ({blas or 'blas ?'}), "
            f"{os.cpu_count()} cpus, {platform.machine()}"
            + (f", env {env}" if env else "") + load_note())


def load_note():
    """Load average, with a warning when other processes compete for the cpus."""
    try:
        one, five, _ = os.getloadavg()
    except (AttributeError, OSError):
        return ""
    note = f"; load avg {one:.1f} (1 min) {five:.1f} (5 min)"
    if one > (os.cpu_count() or 1):  # this benchmark itself adds ~1
        note += " -- WARNING: machine busy, absolute times are inflated (ratios less so)"
    return note


def interleaved(funcs, repeats, warmup=1, counts=None, progress=True):
    """Time callables round-robin.

    Parameters
    ----------
    funcs : dict[str, callable]
        Contenders, called with no arguments, in this order every round.
    repeats : int
        Timed rounds.
    warmup : int
        Untimed rounds first (results discarded).
    counts : dict[str, int], optional
        Timed runs per contender when fewer than ``repeats`` are wanted for
        some (e.g. a very slow baseline); those skip the later rounds.
    progress : bool
        Print a dot per call on stderr.

    Returns
    -------
    dict[str, list[float]]
        Seconds per timed call.
    """
    counts = counts or {}
    times = {name: [] for name in funcs}
    for r in range(warmup + repeats):
        for name, f in funcs.items():
            if r >= warmup and len(times[name]) >= counts.get(name, repeats):
                continue
            gc.collect()
            t0 = time.perf_counter()
            f()
            dt = time.perf_counter() - t0
            if r >= warmup:
                times[name].append(dt)
            if progress:
                print("." if r >= warmup else "w", end="", file=sys.stderr, flush=True)
    if progress:
        print(file=sys.stderr)
    return times


def median(xs):
    return statistics.median(xs)


def fmt_s(s):
    """Seconds with a sensible unit."""
    if s < 1e-3:
        return f"{s * 1e6:8.1f} us"
    if s < 1.0:
        return f"{s * 1e3:8.1f} ms"
    return f"{s:8.2f} s "


def print_table(times, ref=None):
    """Median / min / max per contender, and median ratio to ``ref``."""
    w = max(len(n) for n in times)
    head = f"  {'contender':<{w}}  {'runs':>4}  {'median':>11}  {'min':>11}  {'max':>11}"
    if ref:
        head += f"  {'x ' + ref:>12}"
    print(head)
    print("  " + "-" * (len(head) - 2))
    for name, ts in times.items():
        line = (f"  {name:<{w}}  {len(ts):>4}  {fmt_s(median(ts))}  {fmt_s(min(ts))}  "
                f"{fmt_s(max(ts))}")
        if ref:
            line += f"  {median(ts) / median(times[ref]):>11.2f}x"
        print(line)


def verdict(ok):
    return "PASS" if ok else "FAIL"
