#!/usr/bin/env python
"""Run every benchmark in order, each in its own process, and summarise.

Order: bench_estep, bench_memory, bench_scan, bench_widgets, bench_notebooks. Output of each
script is passed through unchanged; at the end a summary lists the PASS/FAIL
lines, exit code and wall time of each.

Usage::

    python benchmarks/run_all.py            # full runs (~6-7 min, bench_scan dominates)
    python benchmarks/run_all.py --quick    # smoke test (~1-2 min; notebooks run once)
    python benchmarks/run_all.py --only estep,memory
    python benchmarks/run_all.py --strict   # pass --strict on (exit 1 on a missed target)
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

from _common import BENCH_DIR

SCRIPTS = ["estep", "memory", "scan", "widgets", "notebooks"]
HAS_QUICK = {"estep", "memory", "scan"}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="pass --quick where supported")
    ap.add_argument("--strict", action="store_true", help="pass --strict to every script")
    ap.add_argument("--only", default=",".join(SCRIPTS),
                    help=f"comma-separated subset of {','.join(SCRIPTS)}")
    args = ap.parse_args(argv)
    chosen = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = [s for s in chosen if s not in SCRIPTS]
    if unknown:
        ap.error(f"unknown benchmark(s) {unknown}; choose from {SCRIPTS}")

    summary = []
    for name in [s for s in SCRIPTS if s in chosen]:
        cmd = [sys.executable, str(BENCH_DIR / f"bench_{name}.py")]
        if args.quick and name in HAS_QUICK:
            cmd.append("--quick")
        if args.strict:
            cmd.append("--strict")
        print(f"\n{'=' * 100}\n$ {' '.join(cmd[1:])}\n{'=' * 100}", flush=True)
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, bufsize=1)
        verdicts = []
        for line in p.stdout:
            print(line, end="", flush=True)
            if "PASS" in line or "FAIL" in line:
                verdicts.append(line.strip())
        rc = p.wait()
        summary.append((name, rc, time.perf_counter() - t0, verdicts))

    print(f"\n{'=' * 100}\nsummary")
    worst = 0
    for name, rc, secs, verdicts in summary:
        print(f"  bench_{name:<10} exit {rc}  {secs:7.1f} s")
        for v in verdicts:
            print(f"      {v}")
        worst = max(worst, rc)
    return 1 if worst else 0


if __name__ == "__main__":
    sys.exit(main())
