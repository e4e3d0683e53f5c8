#!/usr/bin/env python
"""E-step speed: helpers.e_step vs a naive log-space E-step and vs hmmlearn.

Data: the tutorial's reference data set, ``helpers.tutorial_data()``
(300 trials x 1000 bins x C = 5 neurons, K = 3 states, dt = 2 ms), scored at
the true parameters.

Contenders, timed interleaved (baseline, ours, hmmlearn, baseline, ...),
first round discarded as warm-up, medians reported:

* ``baseline``  -- :func:`baseline_e_step` below, the reference text's approach:
  emissions with ``scipy.stats.poisson.logpmf``, forward and backward loops
  over time in log space (a logsumexp over ``(n_trials, K, K)`` per bin),
  posteriors by exponentiating, the full 4-D ``xi``;
* ``ours``      -- ``helpers.e_step(Y, psi, A, L, dt)`` (ll, gamma, xi_sum);
* ``hmmlearn``  -- ``hmmlearn.hmm.PoissonHMM.score_samples`` with fixed
  parameters (ll and posteriors; compiled forward-backward, one sequence
  at a time).

Before timing, the baseline's ll, gamma and ``xi.sum((0, 1))`` and
hmmlearn's ll and posteriors are checked against ``helpers.e_step``.

Targets (informational): ours >= 8x faster than the baseline and >= 4x faster
than hmmlearn. The exit code is 0 unless ``--strict`` is given and a target
is missed (or a correctness check fails, which always exits 1).

Usage::

    python benchmarks/bench_estep.py              # 9 timed rounds, full data
    python benchmarks/bench_estep.py --repeats 15
    python benchmarks/bench_estep.py --quick      # 60 trials, 3 rounds
    python benchmarks/bench_estep.py --profile    # + cProfile of helpers.e_step
"""

from __future__ import annotations

import argparse
import sys

from _common import load_note, interleaved, machine_info, median, print_table, setup_path, verdict

setup_path()

import numpy as np  # noqa: E402
from scipy.stats import poisson  # noqa: E402

import helpers  # noqa: E402

TARGET_BASELINE = 8.0
TARGET_HMMLEARN = 4.0


def baseline_e_step(Y, psi, A, L, dt):
    """The straightforward log-space E-step (the reference text's approach).

    Assumes every log-probability is finite (all rates and transition
    probabilities > 0, as in the benchmarks).

    Parameters
    ----------
    Y : ndarray, shape (n_trials, T, C)
    psi : (K,), A : (K, K) with ``A[i, j] = P(j | i)``, L : (C, K) in Hz, dt : float

    Returns
    -------
    ll : float
        Total log-likelihood (nats).
    gamma : ndarray, shape (n_trials, T, K)
    xi : ndarray, shape (n_trials, T-1, K, K)
    """
    n, T, C = Y.shape
    K = psi.size
    log_psi = np.log(psi)
    log_A = np.log(A)
    log_obs = poisson(L * dt).logpmf(Y[..., None]).sum(-2)  # (n, T, K)

    log_a = np.empty((n, T, K))
    log_a[:, 0] = log_psi + log_obs[:, 0]
    for t in range(1, T):
        m = log_a[:, t - 1][:, :, None] + log_A  # (n, from, to)
        mx = m.max(axis=1, keepdims=True)
        log_a[:, t] = np.log(np.exp(m - mx).sum(axis=1)) + mx[:, 0] + log_obs[:, t]

    log_b = np.empty((n, T, K))
    log_b[:, T - 1] = 0.0
    for t in range(T - 2, -1, -1):
        m = log_A + (log_obs[:, t + 1] + log_b[:, t + 1])[:, None, :]  # (n, from, to)
        mx = m.max(axis=2, keepdims=True)
        log_b[:, t] = np.log(np.exp(m - mx).sum(axis=2)) + mx[:, :, 0]

    mx = log_a[:, -1].max(axis=-1, keepdims=True)
    ll = np.log(np.exp(log_a[:, -1] - mx).sum(axis=-1)) + mx[:, 0]  # (n,)
    gamma = np.exp(log_a + log_b - ll[:, None, None])
    xi = np.exp(log_a[:, :-1, :, None] + log_A
                + (log_obs + log_b)[:, 1:, None, :] - ll[:, None, None, None])
    return float(ll.sum()), gamma, xi


def hmmlearn_model(psi, A, L, dt):
    """A PoissonHMM holding fixed parameters (nothing is fitted)."""
    from hmmlearn.hmm import PoissonHMM

    model = PoissonHMM(n_components=psi.size, init_params="", params="")
    model.startprob_ = psi
    model.transmat_ = A
    model.lambdas_ = (L * dt).T
    return model


def check_agreement(Y, psi, A, L, dt, model):
    """Assert baseline and hmmlearn agree with helpers.e_step; print the gaps."""
    n, T, C = Y.shape
    K = psi.size
    ours = helpers.e_step(Y, psi, A, L, dt)
    ll_b, gamma_b, xi_b = baseline_e_step(Y, psi, A, L, dt)
    ll_h, post_h = model.score_samples(Y.reshape(-1, C), lengths=[T] * n)
    gaps = {
        "baseline |ll - ours|": abs(ll_b - ours.ll),
        "baseline max|gamma - ours|": float(np.abs(gamma_b - ours.gamma).max()),
        "baseline max|xi.sum((0,1)) - xi_sum|": float(np.abs(xi_b.sum((0, 1)) - ours.xi_sum).max()),
        "hmmlearn |ll - ours|": abs(ll_h - ours.ll),
        "hmmlearn max|posteriors - gamma|": float(np.abs(post_h - ours.gamma.reshape(-1, K)).max()),
    }
    print(f"correctness (ours: ll = {ours.ll:.6f} nats)")
    for k, v in gaps.items():
        print(f"  {k:<40} {v:.2e}")
    tol_ll = 1e-8 * abs(ours.ll) + 1e-6
    assert np.isclose(ll_b, ours.ll, rtol=1e-10, atol=tol_ll), (ll_b, ours.ll)
    assert np.allclose(gamma_b, ours.gamma, rtol=1e-7, atol=1e-9)
    assert np.allclose(xi_b.sum((0, 1)), ours.xi_sum, rtol=1e-7, atol=1e-6)
    assert np.isclose(ll_h, ours.ll, rtol=1e-10, atol=tol_ll), (ll_h, ours.ll)
    assert np.allclose(post_h, ours.gamma.reshape(-1, K), rtol=1e-7, atol=1e-9)
    print("  all checks passed")


def profile_e_step(Y, psi, A, L, dt, n_calls=5, top=15):
    """cProfile of helpers.e_step: where its time goes (by own time)."""
    import cProfile
    import pstats

    helpers.e_step(Y, psi, A, L, dt)
    pr = cProfile.Profile()
    pr.enable()
    for _ in range(n_calls):
        helpers.e_step(Y, psi, A, L, dt)
    pr.disable()
    print(f"\ncProfile of helpers.e_step ({n_calls} calls), top {top} by own time:")
    st = pstats.Stats(pr)
    st.sort_stats("tottime").print_stats(top)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=None,
                    help="timed interleaved rounds (default 9, --quick 3)")
    ap.add_argument("--quick", action="store_true", help="60 trials and 3 rounds (smoke test)")
    ap.add_argument("--strict", action="store_true", help="exit 1 if a target is missed")
    ap.add_argument("--profile", action="store_true", help="also cProfile helpers.e_step")
    args = ap.parse_args(argv)
    repeats = args.repeats or (3 if args.quick else 9)
    if repeats < 1:
        ap.error("--repeats must be >= 1")

    d = helpers.tutorial_data()
    Y, psi, A, L, dt = d["Y"], d["psi"], d["A"], d["L"], d["dt"]
    if args.quick:
        Y = Y[:60]
    n, T, C = Y.shape
    K = psi.size
    print("bench_estep: helpers.e_step vs naive log-space E-step vs hmmlearn PoissonHMM")
    print(f"  {machine_info()}")
    print(f"  data: tutorial_data(), Y {Y.shape} (n_trials, T, C), K = {K}, dt = {dt}")
    model = hmmlearn_model(psi, A, L, dt)
    check_agreement(Y, psi, A, L, dt, model)

    X = Y.reshape(-1, C)
    lengths = [T] * n
    funcs = {
        "baseline": lambda: baseline_e_step(Y, psi, A, L, dt),
        "ours": lambda: helpers.e_step(Y, psi, A, L, dt),
        "hmmlearn": lambda: model.score_samples(X, lengths=lengths),
    }
    print(f"\ntiming: {repeats} interleaved rounds after 1 warm-up round")
    times = interleaved(funcs, repeats, warmup=1)
    print_table(times, ref="ours")
    r_base = median(times["baseline"]) / median(times["ours"])
    r_hmm = median(times["hmmlearn"]) / median(times["ours"])
    ok_base = r_base >= TARGET_BASELINE
    ok_hmm = r_hmm >= TARGET_HMMLEARN
    print(f"\n  baseline / ours = {r_base:6.1f}x   target >= {TARGET_BASELINE:.0f}x   {verdict(ok_base)}")
    print(f"  hmmlearn / ours = {r_hmm:6.1f}x   target >= {TARGET_HMMLEARN:.0f}x   {verdict(ok_hmm)}")
    per_bin = median(times["ours"]) / (n * T) * 1e9
    print(f"  ours: {per_bin:.1f} ns per (trial, bin), {median(times['ours']) / T * 1e6:.1f} us per time step")

    print(f"  after the timings{load_note()}")
    if args.profile:
        profile_e_step(Y, psi, A, L, dt)

    if args.strict and not (ok_base and ok_hmm):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
