#!/usr/bin/env python
"""Wall time of executing every solution notebook top to bottom, each in a fresh kernel.

Every ``solutions/*.ipynb`` is read with nbformat and executed in memory with
nbclient (working directory ``solutions/``, so relative paths behave as in
Jupyter); nothing is written back. The time per notebook includes starting
and stopping its kernel; for reference the script also times a notebook with
a single ``pass`` cell (``<kernel only>``: the fixed cost per notebook).
The slowest cells of every notebook are listed too.

Targets (informational): every cell under 3 s, and all seven notebooks
together (kernel starts included) under 30 s on this 2-core machine.

With ``--repeats N`` the notebooks run round-robin N times
(kernel-only, nb1, nb2, ..., kernel-only, nb1, ...) and medians are reported.

If ``solutions/`` has no notebooks yet the script says so and exits 0.
A notebook that raises is reported as FAILED and makes the exit code 1
(with or without ``--strict``); ``--strict`` also exits 1 if the target is
missed.

Usage::

    python benchmarks/bench_notebooks.py
    python benchmarks/bench_notebooks.py --repeats 3
    python benchmarks/bench_notebooks.py --dir notebooks   # the exercise notebooks instead
    python benchmarks/bench_notebooks.py 04 05             # only these
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _common import load_note, REPO_ROOT, machine_info, setup_path, verdict

setup_path()

TARGET_S = 30.0  # the whole series, fresh kernels included
CELL_TARGET_S = 3.0  # no cell makes a student wait longer
N_EXPECTED = 7
KERNEL_ONLY = "<kernel only>"


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def execute(path, cwd, kernel_name, timeout, kernel_stderr=False):
    """Execute one notebook in a fresh kernel.

    Returns (wall seconds, kernel cpu seconds, {cell index: (seconds, first line)}, error or None).
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    if path is None:
        nb = nbformat.v4.new_notebook()
        nb.cells.append(nbformat.v4.new_code_cell("pass"))
    else:
        nb = nbformat.read(str(path), as_version=4)
    cell_times = {}
    starts = {}

    def on_cell_start(cell, cell_index, **kw):
        starts[cell_index] = time.perf_counter()

    def on_cell_executed(cell, cell_index, **kw):
        if cell_index in starts:
            cell_times[cell_index] = time.perf_counter() - starts[cell_index]

    client = NotebookClient(
        nb, timeout=timeout, kernel_name=kernel_name, allow_errors=False,
        resources={"metadata": {"path": str(cwd)}},
        on_cell_start=on_cell_start, on_cell_executed=on_cell_executed,
    )
    err = None
    ru0 = _children_cpu()
    t0 = time.perf_counter()
    try:
        # the kernel process's own log lines (not cell output) go to /dev/null unless asked
        client.execute(**({} if kernel_stderr else {"stderr": subprocess.DEVNULL}))
    except CellExecutionError as exc:
        lines = [ln for ln in _ANSI.sub("", str(exc)).strip().splitlines() if ln.strip()]
        err = lines[-1] if lines else type(exc).__name__
    except Exception as exc:  # kernel died, timeout, ...
        err = f"{type(exc).__name__}: {exc}"
    elapsed = time.perf_counter() - t0
    cpu = _children_cpu() - ru0
    first_line = {}
    for i in cell_times:
        src = nb.cells[i].source.strip().splitlines()
        first_line[i] = src[0][:60] if src else ""
    return elapsed, cpu, {i: (cell_times[i], first_line[i]) for i in cell_times}, err


def _children_cpu():
    """User + system CPU seconds of finished child processes (the kernels)."""
    import resource

    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=1, help="rounds (medians if > 1)")
    ap.add_argument("--dir", default="solutions", help="notebook folder relative to the repo (default solutions)")
    ap.add_argument("--kernel", default="python3", help="kernel name (default python3)")
    ap.add_argument("--timeout", type=int, default=600, help="per-cell timeout in s")
    ap.add_argument("--top", type=int, default=3, help="slowest cells to list per notebook")
    ap.add_argument("--kernel-stderr", action="store_true",
                    help="show the kernels' own log output (hidden by default)")
    ap.add_argument("--strict", action="store_true", help="exit 1 if the target is missed")
    ap.add_argument("names", nargs="*", help="only these notebooks (NN or NN_name); default: all")
    args = ap.parse_args(argv)
    if args.repeats < 1:
        ap.error("--repeats must be >= 1")

    folder = (REPO_ROOT / args.dir).resolve()
    print(f"bench_notebooks: execute {args.dir}/*.ipynb, each in a fresh kernel (nbclient, in memory)")
    print(f"  {machine_info()}")
    nbs = sorted(folder.glob("*.ipynb")) if folder.is_dir() else []
    if args.names:
        nbs = [p for p in nbs if any(p.stem == n or p.stem.split("_", 1)[0] == n for n in args.names)]
    if not nbs:
        where = "does not exist" if not folder.is_dir() else "has no .ipynb files"
        print(f"  {folder} {where} yet: nothing to time (the notebooks are still being written).")
        return 0
    try:
        import nbclient  # noqa: F401
        import nbformat  # noqa: F401
    except ImportError as exc:
        print(f"  cannot run: {exc} (pip install nbclient nbformat ipykernel)")
        return 1

    names = [KERNEL_ONLY] + [p.name for p in nbs]
    paths = {KERNEL_ONLY: None, **{p.name: p for p in nbs}}
    times = {n: [] for n in names}
    cpus = {n: [] for n in names}
    cells = {n: {} for n in names}
    errors = {}
    print(f"  {len(nbs)} notebook(s), {args.repeats} round(s), kernel {args.kernel!r}, cwd {folder}")
    for r in range(args.repeats):
        for name in names:
            print(f"  round {r + 1}: {name} ...", file=sys.stderr, flush=True)
            s, cpu, ct, err = execute(paths[name], folder, args.kernel, args.timeout, args.kernel_stderr)
            times[name].append(s)
            cpus[name].append(cpu)
            for i, (t, src) in ct.items():
                cells[name].setdefault(i, ([], src))[0].append(t)
            if err and name not in errors:
                errors[name] = err

    w = max(len(n) for n in names)
    print()
    print(f"  {'notebook':<{w}}  {'median s':>9}  {'min s':>7}  {'max s':>7}  {'kernel cpu s':>12}  status")
    print("  " + "-" * (w + 52))
    total = total_cpu = 0.0
    for name in names:
        ts = times[name]
        c = statistics.median(cpus[name])
        status = f"FAILED: {errors[name]}" if name in errors else "ok"
        print(f"  {name:<{w}}  {statistics.median(ts):>9.2f}  {min(ts):>7.2f}  {max(ts):>7.2f}  "
              f"{c:>12.2f}  {status}")
        if name != KERNEL_ONLY:
            total += statistics.median(ts)
            total_cpu += c
    print("  " + "-" * (w + 52))
    print(f"  {'total (notebooks)':<{w}}  {total:>9.2f}  {'':>7}  {'':>7}  {total_cpu:>12.2f}")
    k = statistics.median(times[KERNEL_ONLY])
    print(f"  of which kernel start/stop ~ {k:.2f} s x {len(nbs)} = {k * len(nbs):.2f} s")
    print("  (kernel cpu s = user+sys CPU of the kernel process: less sensitive to a busy machine "
          "than wall time; can exceed it with multithreaded BLAS)")

    print(f"\n  slowest cells (median s, cell index: first line):")
    for name in names[1:]:
        top = sorted(((statistics.median(ts), i, src) for i, (ts, src) in cells[name].items()),
                     reverse=True)[: args.top]
        print(f"    {name}")
        for t, i, src in top:
            print(f"      {t:7.2f}  [{i:>3}] {src}")

    slowest = max(((statistics.median(ts), name, i) for name in names[1:]
                   for i, (ts, _) in cells[name].items()), default=(0.0, "-", 0))
    cells_ok = slowest[0] < CELL_TARGET_S
    print(f"\n  slowest cell {slowest[0]:.2f} s ({slowest[1]} [{slowest[2]}])   target: every cell under "
          f"{CELL_TARGET_S:.0f} s   {verdict(cells_ok)}")
    ok = total < TARGET_S and not errors and cells_ok
    partial = "" if len(nbs) >= N_EXPECTED else f" (only {len(nbs)} of {N_EXPECTED} notebooks timed)"
    print(f"  total {total:.1f} s   target: all {N_EXPECTED} under {TARGET_S:.0f} s   {verdict(total < TARGET_S)}{partial}")
    print(f"  after the timings{load_note()}")
    if errors:
        return 1
    if args.strict and not ok:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
