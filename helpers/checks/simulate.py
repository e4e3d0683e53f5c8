"""Checks of notebook 01, simulate: sampling hidden states and spikes.

Public: ``check_sample_states``, ``check_sample_spikes`` (re-exported by :mod:`helpers.checks`).
"""

from __future__ import annotations

import numpy as np


from ._core import (
    _Failed,
    _out_of_bounds,
    _run,
    _f,
    _vec,
    _mat,
    _num_array,
    _expect_shape,
    _check_uses_rng,
    _rng_verdict,
)

__all__ = ["check_sample_states", "check_sample_spikes"]


def _states_array(out, n, T, K):
    s = _num_array(out, "the returned states")
    if not np.issubdtype(s.dtype, np.integer):
        integral = s.dtype.kind == "f" and np.all(np.isfinite(s)) and np.array_equal(s, np.round(s))
        raise _Failed(
            f"the states should be integers, your array has dtype {s.dtype}.",
            "States are used as indices (A[state], L[:, state]): create the array with "
            "an integer dtype, e.g. np.zeros((n_trials, T), dtype=int)"
            + (" (your values are whole numbers, only the dtype is wrong)." if integral else "."),
        )
    _expect_shape(s, (n, T), "states", ("n_trials", "T"))
    if s.size and (s.min() < 0 or s.max() > K - 1):
        extra = ""
        if s.min() >= 1 and s.max() <= K:
            extra = " Python counts from 0: the states are 0 .. K-1, not 1 .. K."
        raise _Failed(f"states must lie in 0 .. {K - 1} (K = {K}), yours range from "
                      f"{int(s.min())} to {int(s.max())}.", extra.strip())
    return s


_CYCLE_A = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
_STAT_PSI = np.array([0.6, 0.3, 0.1])
_STAT_A = np.array([[0.1, 0.8, 0.1], [0.1, 0.1, 0.8], [0.8, 0.1, 0.1]])


def _transition_counts(s, K):
    counts = np.zeros((K, K))
    np.add.at(counts, (s[:, :-1].ravel(), s[:, 1:].ravel()), 1.0)
    return counts


def _within(freq, p, n, sigmas=6.0):
    """Are empirical frequencies within ``sigmas`` standard errors of ``p``?"""
    se = np.sqrt(p * (1 - p) / np.maximum(n, 1))
    return bool(np.all(np.abs(freq - p) <= sigmas * se + 1e-9))


_FIRST_PSI = np.array([0.5, 0.5])
_FIRST_A = np.array([[0.1, 0.9], [0.9, 0.1]])


def _reuses_one_uniform(s, min_revisits=200):
    """Does every trial always follow a state by the same next state (one uniform per trial)?

    The map state -> next state is then fixed within a trial but differs between trials (each
    has its own uniform number); a chain that ignores the randomness altogether has one map for
    all trials and is not counted.
    """
    revisits = 0
    maps = set()
    for row in s:
        seen = {}
        for a, b in zip(row[:-1], row[1:]):
            if a in seen:
                if seen[a] != b:
                    return False
                revisits += 1
            seen[a] = b
        maps.add(tuple(sorted(seen.items())))
    firsts = {}
    for m in maps:
        for a, b in m:
            firsts.setdefault(a, set()).add(b)
    return revisits >= min_revisits and any(len(v) > 1 for v in firsts.values())


def _state_equal_to_K(K):
    """``ctx.explain`` of sample_states: an IndexError with index K means a state came out as K."""
    def explain(exc):
        oob = _out_of_bounds(exc)
        if oob is None or oob[0] != K or oob[2] != K:
            return []
        return [
            f"A state came out as K = {K}, but states are 0 .. K-1, and the next step used it as a row "
            "of A. Counting the cumulative sums ABOVE u gives 1 .. K: count the cumulative sums that "
            "are <= u (0 .. K-1)."
        ]
    return explain


def _per_transition(s, t, K):
    """Observed P(state in bin t = j | state in bin t-1 = i) and the counts it rests on."""
    counts = np.zeros((K, K))
    np.add.at(counts, (s[:, t - 1], s[:, t]), 1.0)
    out = counts.sum(axis=1, keepdims=True)
    return counts / np.maximum(out, 1), out


def check_sample_states(sample_states):
    """Check ``sample_states(psi, A, n_trials, T, rng) -> states (n_trials, T)``.

    Detects: wrong return type, dtype or shape (including transposed),
    states outside 0..K-1 (1-based), a first state not drawn from psi (or
    drawn after one transition, or uniformly), A used transposed (columns
    instead of rows), states that never change or are drawn independently
    of the previous one, every trial sharing one sequence, a wrong
    transition into any one bin (each transition is tested on its own:
    bin 1 drawn from psi, or bin 1 reusing the uniform number that chose bin
    0), the last bin never filled, a state equal to K (the cumulative sums
    counted above u: an IndexError), one uniform number reused for every bin
    of a trial, the first bin drawn from a row of A, every bin drawn from row
    0 (the row chosen by an unfilled bin t instead of t-1), and randomness not
    drawn from ``rng`` (global ``np.random``, unseeded generators, ignoring
    the seed).

    Returns
    -------
    bool
        True if every check passed.
    """

    def body(ctx):
        K = 3
        ctx.explain = _state_equal_to_K(K)
        # 1. a chain that must cycle 0 -> 1 -> 2 -> 0: exact, no statistics needed
        ctx.step("deterministic chain")
        n, T = 4, 8
        ctx.case = ("psi = [1, 0, 0], A = [[0, 1, 0], [0, 0, 1], [1, 0, 0]] (the chain must "
                    f"cycle 0 -> 1 -> 2 -> 0), n_trials = {n}, T = {T}")
        ctx.shapes = f"psi (3,), A (3, 3), states (n_trials, T) = ({n}, {T})"
        psi = np.array([1.0, 0.0, 0.0])
        s = _states_array(ctx.call(psi, _CYCLE_A, n, T, np.random.default_rng(1)), n, T, K)
        first_ok = bool(np.all(s[:, 0] == 0))  # if not, step 2 says why, with statistics
        _states_first = s[:, 0].copy()
        prev, nxt = s[:, :-1], s[:, 1:]
        right = nxt == (prev + 1) % K
        by_columns = np.minimum((np.cumsum(_CYCLE_A, axis=0)[prev] <= 0.5).sum(axis=-1), K - 1)
        if first_ok and not np.all(right) and np.array_equal(nxt, by_columns):
            raise _Failed(
                "the cumulative sums of A run down its columns: from state 0 your chain jumps to "
                "state 2, but A[0, 1] = 1.",
                "The next state of a trial in state i is drawn from the ROW A[i]: take the cumulative "
                "sums along each row (axis=1), not down the columns (axis=0).",
            )
        if first_ok and not np.all(right):
            if np.all(right[:, 1:]) and np.all(s[:, 1] == 0):
                raise _Failed(
                    "bin 1 is drawn from psi again: every trial must go 0 -> 1 here (A[0, 1] = 1), "
                    "yours stay in state 0.",
                    "Only bin 0 comes from psi. Every later bin t, bin 1 included, is drawn from the "
                    "row of A of the state in bin t-1.",
                )
            if np.all(right[:, :-1]) and not np.all(right[:, -1]):
                raise _Failed(
                    f"the last bin (t = {T - 1}) is not filled in correctly: all earlier transitions are right.",
                    "The time loop must run up to and including t = T-1: range(1, T).",
                )
            if np.array_equal(nxt, (prev - 1) % K):
                raise _Failed(
                    "A is used transposed: from state 0 your chain moves to state 2, but A[0, 1] = 1.",
                    "A[i, j] = P(next = j | now = i): a trial in state i draws its next state from the "
                    "ROW A[i] (its cumulative sums along axis 1), not from the column A[:, i].",
                )
            if np.all(nxt == 1) and not np.all(prev == 0):
                raise _Failed(
                    "from bin 1 on, every trial is in state 1, where row 0 of A leads: every bin is drawn "
                    "from row 0, whatever the previous state was.",
                    "Choose the row by the trial's state in the PREVIOUS bin, t-1. An entry that is not filled "
                    "yet (bin t itself, still 0 in np.zeros) always picks row 0.",
                )
            if np.array_equal(nxt, prev):
                raise _Failed(
                    "your states never change, but with this A the chain must move 0 -> 1 -> 2 -> 0.",
                    "In bin t, draw each trial's state from the row of A of its state in bin t-1, and "
                    "store it in states[:, t].",
                )
            bad = np.argwhere(~right)[0]
            raise _Failed(
                f"with this A the chain must go 0 -> 1 -> 2 -> 0, but trial {bad[0]} goes from state "
                f"{prev[bad[0], bad[1]]} to {nxt[bad[0], bad[1]]} (bins {bad[1]} -> {bad[1] + 1}).",
                "The state in bin t is drawn from row i of A, where i is the trial's state in the "
                "PREVIOUS bin, t-1.",
            )

        # 2. first-bin frequencies (also the diagnosis when step 1 started wrong)
        ctx.step("first-bin frequencies match psi")
        n, T = 600, 10
        ctx.case = (f"psi = {_vec(_STAT_PSI, '.1f')}, A = {_mat(_STAT_A, '.1f')}, "
                    f"n_trials = {n}, T = {T}, rng = np.random.default_rng(2024)")
        ctx.shapes = f"psi (3,), A (3, 3), states (n_trials, T) = ({n}, {T})"
        s = _states_array(ctx.call(_STAT_PSI, _STAT_A, n, T, np.random.default_rng(2024)), n, T, K)
        if np.all(s == s[0]):
            raise _Failed(
                "every trial has exactly the same state sequence.",
                "Each trial is an independent Markov chain: draw one uniform number per trial in every "
                "bin (an array of n_trials of them), not one number shared by all trials.",
            )
        f0 = np.bincount(s[:, 0], minlength=K) / n
        above = np.zeros(K)  # counting the cumulative sums above u: state min(K - k, K - 1)
        for k in range(K):
            above[min(K - k, K - 1)] += _STAT_PSI[k]
        if not _within(f0, _STAT_PSI, n):
            one_step = _STAT_PSI @ _STAT_A
            if _within(f0, one_step, n):
                hint = ("They match psi @ A, one transition too many: bin 0 is drawn from psi itself, "
                        "and the transitions start with bin 1.")
            elif _within(f0, np.full(K, 1 / K), n):
                hint = ("They look uniform: bin 0 must use the probabilities psi (the state is the "
                        "number of cumulative sums of psi that are <= u).")
            elif _within(f0, above, n) or _within(f0, _STAT_PSI[::-1], n):
                hint = ("They look like psi backwards: you count the cumulative sums ABOVE u. The "
                        "state is the number of cumulative sums that are <= u.")
            elif any(_within(f0, _STAT_A[k], n) for k in range(K)):
                k = next(k for k in range(K) if _within(f0, _STAT_A[k], n))
                hint = (f"They match the row A[{k}]: bin 0 is drawn from psi itself, not from a row of A "
                        "(there is no previous state yet).")
            else:
                hint = "Draw bin 0 from psi: the state is the number of cumulative sums of psi that are <= u."
            raise _Failed(
                f"the first states are not distributed as psi: their frequencies are {_vec(f0)}, "
                f"psi = {_vec(_STAT_PSI)} (with {n} trials they should agree within about "
                f"{_f(6 * np.sqrt(0.25 / n), '.2f')}).",
                hint,
            )
        if not first_ok:
            raise _Failed(
                f"every trial must start in state 0 when psi = [1, 0, 0], yours start in "
                f"{sorted(set(np.asarray(_states_first).tolist()))}.",
                "Draw bin 0 from psi, before any transition: with the cumulative sums of psi, the "
                "state is the number of entries that are <= a uniform number u.",
            )

        # 3. transition frequencies, pooled over bins
        ctx.step("transition frequencies match A")
        counts = _transition_counts(s, K)
        out = counts.sum(axis=1, keepdims=True)
        freq = counts / np.maximum(out, 1)
        if not _within(freq, _STAT_A, out):
            if _within(freq, _STAT_A.T, out):
                raise _Failed(
                    "A is used transposed: the observed transition frequencies match A.T, not A.",
                    "A[i, j] = P(next = j | now = i): a trial in state i draws its next state from the "
                    "row A[i] (cumulative sums along axis 1), not from the column A[:, i].",
                )
            marg = np.bincount(s[:, 1:].ravel(), minlength=K) / s[:, 1:].size
            if _reuses_one_uniform(s):
                raise _Failed(
                    "within each trial, a state is always followed by the same next state: every trial "
                    "reuses ONE uniform number for all its bins.",
                    "Draw a fresh uniform number per trial in every bin, inside the time loop, before "
                    "you compare it with the cumulative sums of the row.",
                )
            if _within(freq, np.tile(marg, (K, 1)), out, sigmas=4):
                hint = ("The next state does not seem to depend on the current one: draw it from the "
                        "row of A of each trial's previous state (bin t-1).")
            elif np.all(np.diag(freq) > 0.95):
                hint = "Your states hardly ever change: make sure each bin's draw is stored in states[:, t]."
            else:
                hint = ("The state in bin t must be drawn from the row of A of the trial's state in bin "
                        "t-1: its cumulative sums along each ROW (axis=1), compared with a fresh uniform "
                        "number.")
            raise _Failed(
                "the transition frequencies do not match A: observed "
                f"P(next = j | now = i) = {_mat(freq, '.2f')}, A = {_mat(_STAT_A, '.1f')}.",
                hint,
            )

        # 4. every transition on its own, the first included
        ctx.step("each transition on its own, the first included")
        n, T = 4000, 5
        ctx.case = (f"psi = {_vec(_FIRST_PSI, '.1f')}, A = {_mat(_FIRST_A, '.1f')} (a trial switches "
                    f"state with probability 0.9 in every bin), n_trials = {n}, T = {T}")
        ctx.shapes = f"psi (2,), A (2, 2), states (n_trials, T) = ({n}, {T})"
        ctx.explain = _state_equal_to_K(2)
        s = _states_array(ctx.call(_FIRST_PSI, _FIRST_A, n, T, np.random.default_rng(77)), n, T, 2)
        for t in range(1, T):
            freq, out = _per_transition(s, t, 2)
            if _within(freq, _FIRST_A, out):
                continue
            later_ok = all(_within(f, _FIRST_A, o) for f, o in
                           (_per_transition(s, u, 2) for u in range(t + 1, T)))
            switched = float(np.mean(s[:, t] != s[:, t - 1]))
            head = (f"the transition into bin {t} is wrong: a trial should switch state in 90 % of "
                    f"trials there, yours switch in {100 * switched:.0f} %"
                    + (", while the later transitions are right." if later_ok else "."))
            f_t = np.bincount(s[:, t], minlength=2) / n
            if t == 1 and later_ok and _within(f_t, _FIRST_PSI, n) and abs(switched - 0.5) < 0.05:
                hint = ("Bin 1 is drawn from psi, independently of bin 0. Only bin 0 comes from psi; "
                        "bin 1 is drawn from the row of A of each trial's state in bin 0.")
            elif t == 1 and later_ok:
                hint = ("Bin 1 reuses the uniform number that chose bin 0, so bin 1 depends on how bin 0 "
                        "was drawn. Draw a fresh uniform for every bin BEFORE you use it (at the top of "
                        "the loop body, not at its end).")
            else:
                hint = ("Draw a fresh uniform number per trial for every bin, and compare it with the "
                        "cumulative sums of the row of A of each trial's previous state.")
            raise _Failed(head, hint)

        # 5. reproducible with the rng, and the rng is used
        ctx.step("uses rng (same seed, same states)")
        ctx.explain = _state_equal_to_K(K)
        ctx.case = "n_trials = 50, T = 12, called twice with np.random.default_rng(7) and once with seed 8"
        _check_uses_rng(
            lambda seed: _states_array(ctx.call(_STAT_PSI, _STAT_A, 50, 12, np.random.default_rng(seed)),
                                       50, 12, K),
            "states", "rng.random")
        ctx.case = ""

    return _run("sample_states", sample_states, "sample_states(psi, A, n_trials, T, rng)",
                ("psi", "A", "n_trials", "T", "rng"), "states", body,
                "integer states of shape (n_trials, T), an exact cyclic chain, first-bin and "
                "transition frequencies on 600 trials, every transition on its own (the first "
                "included) on 4000 trials, all within 6 standard errors, and reproducibility "
                "with rng")


_SPIKE_L = np.array([
    [5.0, 40.0, 20.0],
    [30.0, 2.0, 60.0],
    [12.0, 25.0, 8.0],
    [50.0, 15.0, 0.0],
])
_SPIKE_DT = 0.01


def _counts_array(out, shape):
    Y = _num_array(out, "the returned counts")
    if not np.issubdtype(Y.dtype, np.integer):
        integral = Y.dtype.kind == "f" and np.all(np.isfinite(Y)) and np.array_equal(Y, np.round(Y))
        raise _Failed(
            f"spike counts should be integers, your array has dtype {Y.dtype}.",
            "rng.poisson returns integers; if you fill an array yourself, create it with "
            "dtype=int" + (" (your values are whole numbers, only the dtype is wrong)." if integral else "."),
        )
    n, T, C = shape
    if Y.shape == (n, T, _SPIKE_L.shape[1]):
        raise _Failed(
            f"the counts have shape {Y.shape}: the last axis has K = {_SPIKE_L.shape[1]} "
            f"(states) entries, it should have C = {C} (neurons).",
            "L has shape (C, K): rows are neurons, columns are states. The rates of all neurons "
            "in state k are the column L[:, k]: indexing L itself with the states picks ROWS "
            "(neurons). Index the states into the transposed L, shape (K, C), to get (n_trials, T, C).",
        )
    if Y.shape == (C, n, T):
        raise _Failed(
            f"the counts have shape {Y.shape} = (C, n_trials, T): the neuron axis should be last.",
            "L[:, states] has shape (C, n_trials, T): move the neuron axis last (np.moveaxis), or "
            "index the states into the transposed L, to get (n_trials, T, C).",
        )
    _expect_shape(Y, shape, "counts", ("n_trials", "T", "C"))
    if Y.size and Y.min() < 0:
        raise _Failed("spike counts cannot be negative.",
                      "Draw them with rng.poisson, whose mean is the expected count of the bin, L * dt.")
    return Y


def _times(r):
    """A ratio for a message: 84, 1000, 2.5."""
    return f"{r:,.0f}" if r >= 10 else _f(r, ".2g")


def _poisson_zero_z(Y, states, mu):
    """Pooled z-score of the fraction of empty bins against Poisson's exp(-mean)."""
    z = []
    for k in range(mu.shape[1]):
        Yk = Y[states == k]
        for c in range(mu.shape[0]):
            m = mu[c, k]
            if m > 0 and len(Yk):
                p0 = np.exp(-m)
                z.append((np.mean(Yk[:, c] == 0) - p0) / np.sqrt(p0 * (1 - p0) / len(Yk)))
    return float(np.sum(z) / np.sqrt(len(z))) if z else 0.0


def check_sample_spikes(sample_spikes):
    """Check ``sample_spikes(states, L, dt, rng) -> Y (n_trials, T, C)``.

    Detects: wrong return type, dtype or shape (rates indexed with L[states]
    giving K instead of C neurons, neuron axis first), negative counts,
    counts that are not random at all (e.g. rounded expected counts), the
    same counts copied to every trial, the wrong rate used for a
    neuron/state (a zero-rate neuron spiking, mean rate per state off),
    rates treated as counts per bin (forgot ``dt``), ``dt`` applied twice or
    divided by (1/dt² too many spikes), rates in other units,
    counts that are never above 1 (Bernoulli, not Poisson), counts whose
    spread is not Poisson's (variance = mean; e.g. rounded Gaussians), and
    randomness not from ``rng``.

    Returns
    -------
    bool
        True if every check passed.
    """

    def body(ctx):
        C, K = _SPIKE_L.shape
        dt = _SPIKE_DT
        n, T = 40, 150
        states = np.random.default_rng(11).integers(0, K, size=(n, T))
        case_stats = (f"L = {_mat(_SPIKE_L, '.0f')} Hz (C = {C} neurons, K = {K} states), dt = {dt} s, "
                      f"{n} trials of {T} bins")
        ctx.case = case_stats
        ctx.shapes = f"states (n_trials, T) = ({n}, {T}), L (C, K) = ({C}, {K}), result (n_trials, T, C) = ({n}, {T}, {C})"
        mu = _SPIKE_L * dt

        ctx.step("integer counts of shape (n_trials, T, C)")
        Y = _counts_array(ctx.call(states, _SPIKE_L, dt, np.random.default_rng(12)), (n, T, C))

        ctx.step("counts are random, drawn from rng")
        ctx.case = "called twice with np.random.default_rng(5) and once with seed 6"
        small = states[:10, :30]
        draws = [_counts_array(ctx.call(small, _SPIKE_L, dt, np.random.default_rng(seed)), (10, 30, C))
                 for seed in (5, 5, 6)]
        if np.array_equal(draws[0], draws[2]) and np.array_equal(draws[0], draws[1]):
            groups = [draws[0][..., c][small == k] for c in range(C) for k in range(K)]
            if all(g.size == 0 or np.all(g == g[0]) for g in groups):
                raise _Failed(
                    "your counts are not random: every bin with the same neuron and state gets the same "
                    "count, whatever the seed.",
                    "Spike counts are random draws. Rounding the expected count L * dt is not sampling: "
                    "draw Poisson counts with that mean from rng.",
                )
        _rng_verdict(*draws, "counts", "rng.poisson")
        ctx.case = case_stats

        ctx.step("trials get their own counts")
        n2, T2 = 20, 60
        seq = np.random.default_rng(13).integers(0, K, size=T2)
        same_states = np.tile(seq, (n2, 1))
        ctx.case = f"all {n2} trials share one state sequence of {T2} bins; their counts must still differ"
        Y2 = _counts_array(ctx.call(same_states, _SPIKE_L, dt, np.random.default_rng(14)), (n2, T2, C))
        distinct = np.unique(Y2.reshape(n2, -1), axis=0).shape[0]
        if distinct < n2 and Y2.sum() >= 5 * n2:  # (near-)silent trials may coincide by chance
            raise _Failed(
                "several trials got exactly the same spike counts.",
                "Draw fresh Poisson counts for every trial and bin (one rng.poisson call on the whole "
                "(n_trials, T, C) array of means does it), not one draw copied to all trials.",
            )
        ctx.case = case_stats

        ctx.step("a neuron with rate 0 never spikes")
        silent = Y[..., 3][states == 2]
        if np.any(silent > 0):
            raise _Failed(
                "neuron 3 has rate L[3, 2] = 0 Hz in state 2, so it can never spike there, but yours did.",
                "The expected count of neuron c in bin t of trial n is L[c, states[n, t]] * dt: "
                "check which index of L is the neuron and which the state.",
            )

        ctx.step("counts above 1 occur (Poisson, not Bernoulli)")
        p_two = 1.0 - np.exp(-mu) * (1.0 + mu)  # P(count >= 2)
        occ = np.array([(states == k).sum() for k in range(K)], dtype=float)
        expected_two = float((p_two * occ).sum())
        if Y.max() <= 1 and expected_two > 30:
            raise _Failed(
                f"counts above 1 never occur in your samples; Poisson counts with these rates would give "
                f"about {expected_two:.0f} bins with 2 or more spikes.",
                "A bin can hold several spikes: draw Poisson counts (mean L * dt), not 0/1 (Bernoulli) draws.",
            )

        ctx.step("mean rate per neuron and state matches L (Hz)")
        mean = np.stack([Y[states == k].mean(axis=0) for k in range(K)], axis=1)  # (C, K)
        se = np.sqrt(mu / occ)
        pos = mu > 0
        zero_z = _poisson_zero_z(Y, states, mu)
        if not np.all(np.abs(mean - mu)[pos] <= 6 * se[pos]):
            ratio = float(np.median(mean[pos] / mu[pos]))
            near = lambda r, x: abs(np.log(max(r, 1e-300) / x)) < np.log(1.5)  # noqa: E731
            if ratio > 5:
                hint = ("Your counts are about {}x too large. L is in Hz (spikes per second): the "
                        "expected count in one bin is L * dt.").format(_times(ratio))
                if near(ratio, 1 / dt ** 2):
                    head = ("far too many spikes: about 1/dt² times too many. Divided by dt instead of "
                            "multiplying?")
                elif near(ratio, 1 / dt):
                    head = "far too many spikes: the rates look like counts per bin instead of Hz (forgot dt?)."
                else:
                    head = (f"far too many spikes: about {_times(ratio)} times the expected count L * dt "
                            "(L in other units than Hz?).")
            elif ratio < 0.2:
                hint = ("Your counts are about {}x too small: the expected count in one bin is "
                        "L * dt (multiply by dt once).").format(_times(1 / max(ratio, 1e-300)))
                if near(ratio, dt):
                    head = "far too few spikes: about dt times too few. dt applied twice?"
                else:
                    head = f"far too few spikes: about {_times(1 / max(ratio, 1e-300))} times too few."
            elif abs(zero_z) > 6:
                head = ("the counts are not Poisson: their mean is off and so is the fraction of empty "
                        "bins (Poisson gives exp(-L * dt)).")
                hint = ("Draw Poisson counts with mean L * dt (rng.poisson), not rounded or clipped draws "
                        "of another distribution.")
            else:
                c, k = np.argwhere(np.abs(mean - mu) > 6 * se)[0]
                head = (f"neuron {c} in state {k} fires at {_f(mean[c, k] / dt, '.3g')} Hz on average "
                        f"in your samples, but L[{c}, {k}] = {_f(_SPIKE_L[c, k], '.3g')} Hz.")
                hint = ("The rate of neuron c in bin t of trial n is L[c, states[n, t]] (Hz); the "
                        "expected count is that times dt.")
            raise _Failed(head, hint)

        ctx.step("counts are Poisson (variance = mean)")
        z = []
        ratios = []
        for k in range(K):
            Yk = Y[states == k].astype(float)
            for c in range(C):
                m = mu[c, k]
                if m > 0:
                    v = Yk[:, c].var(ddof=1)
                    ratios.append(v / m)
                    z.append((v - m) / np.sqrt((m + 2 * m * m) / occ[k]))
        zpool = float(np.sum(z) / np.sqrt(len(z)))
        if abs(zpool) > 6 or abs(zero_z) > 6:
            raise _Failed(
                "the counts have the right mean but not the spread of Poisson counts: their variance "
                f"should equal their mean, yours is about {_f(np.median(ratios), '.2f')} times the mean.",
                "Draw Poisson counts, rng.poisson(mean) with mean L * dt: not rounded Gaussians or any "
                "other distribution with the same mean.",
            )
        ctx.case = ""

    return _run("sample_spikes", sample_spikes, "sample_spikes(states, L, dt, rng)",
                ("states", "L", "dt", "rng"), "Y", body,
                "integer counts of shape (n_trials, T, C), randomness from rng, independent trials, "
                "a silent neuron stays silent, counts above 1, mean rates in Hz per neuron and "
                "state, and Poisson variability (variance = mean)")
