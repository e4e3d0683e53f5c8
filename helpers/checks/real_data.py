"""Checks of notebook 07 (bonus), real data: the Fano factor of the counts in every state.

Public: ``reference_fano_per_state``, ``check_fano_per_state`` (re-exported by
:mod:`helpers.checks`).

The check compares the student's ``(C, K)`` array with the reference and,
when they differ, recomputes it with each mistake students make (the
variance divided by ``n_k``, the standard deviation, the ratio upside down,
the states ignored, one trial only, states counted from 1, ...): the first
one that reproduces the student's numbers names the mistake. Then it tries
the cases the notebook's data contain: a neuron silent in a state (no Fano
factor: NaN), a neuron firing the same count in every bin (Fano factor 0), a
state with one bin or none (NaN), and it asks for no warnings on the way.
"""

from __future__ import annotations

import numpy as np

from ._core import (
    _Failed,
    _close,
    _difference,
    _expect_shape,
    _f,
    _float_array,
    _run,
)

__all__ = ["reference_fano_per_state", "check_fano_per_state"]


def reference_fano_per_state(Y, states, K):
    """Fano factor (variance / mean) of every neuron's counts in every state.

    Parameters
    ----------
    Y : array_like of int, shape (n_trials, T, C)
        Spike counts.
    states : array_like of int, shape (n_trials, T)
        A state (0 .. K-1) for every bin, e.g. from :func:`helpers.viterbi`.
    K : int
        Number of states.

    Returns
    -------
    F : ndarray, shape (C, K)
        ``F[c, k]`` = unbiased sample variance / mean of neuron ``c``'s counts
        over the bins of state ``k`` (all trials pooled). NaN where it is not
        defined: state ``k`` has fewer than 2 bins, or the neuron never fires
        in it.
    """
    Y = np.asarray(Y, dtype=float)
    states = np.asarray(states)
    C = Y.shape[2]
    F = np.full((C, K), np.nan)
    for k in range(K):
        counts = Y[states == k]  # (n_k, C)
        if counts.shape[0] < 2:
            continue
        mean = counts.mean(axis=0)
        var = counts.var(axis=0, ddof=1)
        fires = mean > 0
        F[fires, k] = var[fires] / mean[fires]
    return F


# ------------------------------------------------------------------ the test cases


def _case_basic():
    """3 trials x 40 bins, C = 4, K = 3: every Fano factor defined, trials that differ."""
    rng = np.random.default_rng(7)
    n, T, C, K = 3, 40, 4, 3
    states = rng.integers(0, K, size=(n, T))
    rates = np.array([[0.5, 1.5, 3.0], [2.0, 0.8, 1.2], [1.0, 2.5, 0.6], [4.0, 2.0, 1.0]])  # (C, K) per bin
    trial_gain = np.array([0.6, 1.0, 1.7])[:, None, None]  # trials differ: pooling is not averaging
    Y = rng.poisson(rates.T[states] * trial_gain)
    return Y, states, K


def _case_silent():
    """Neuron 1 never fires in state 2 (its mean there is 0)."""
    Y, states, K = _case_basic()
    Y = Y.copy()
    Y[..., 1][states == 2] = 0
    return Y, states, K


def _case_regular():
    """Neuron 2 fires exactly one spike in every bin of state 0 (variance 0, mean 1)."""
    Y, states, K = _case_basic()
    Y = Y.copy()
    Y[..., 2][states == 0] = 1
    return Y, states, K


def _case_rare_states():
    """K = 5: state 3 has a single bin, state 4 never occurs."""
    Y, states, _ = _case_basic()
    states = states.copy()
    states[1, 17] = 3
    return Y, states, 5


_CASE_TEXT = "Y of 3 trials x 40 bins x C = 4 neurons, K = {K} states"


# ------------------------------------------------------------------ the mistakes, recomputed


def _per_state(Y, states, K, stat):
    """``stat(counts of state k) -> (C,)`` for every state with >= 2 bins; NaN elsewhere."""
    Y = np.asarray(Y, dtype=float)
    F = np.full((Y.shape[2], K), np.nan)
    with np.errstate(all="ignore"):
        for k in range(K):
            counts = Y[states == k]
            if counts.shape[0] >= 2:
                F[:, k] = stat(counts, Y.reshape(-1, Y.shape[2]))
    return F


def _candidates(Y, states, K):
    """(name, array) of the results of the usual mistakes."""
    Yf = np.asarray(Y, dtype=float)
    n, T, C = Yf.shape
    out = [
        ("ddof0", _per_state(Y, states, K, lambda x, a: x.var(axis=0) / x.mean(axis=0))),
        ("std", _per_state(Y, states, K, lambda x, a: x.std(axis=0, ddof=1) / x.mean(axis=0))),
        ("std0", _per_state(Y, states, K, lambda x, a: x.std(axis=0) / x.mean(axis=0))),
        ("inverted", _per_state(Y, states, K, lambda x, a: x.mean(axis=0) / x.var(axis=0, ddof=1))),
        ("inverted0", _per_state(Y, states, K, lambda x, a: x.mean(axis=0) / x.var(axis=0))),
        ("cv2", _per_state(Y, states, K, lambda x, a: x.var(axis=0, ddof=1) / x.mean(axis=0) ** 2)),
        ("difference", _per_state(Y, states, K, lambda x, a: x.var(axis=0, ddof=1) - x.mean(axis=0))),
        ("overall_mean", _per_state(Y, states, K, lambda x, a: x.var(axis=0, ddof=1) / a.mean(axis=0))),
        ("overall_var", _per_state(Y, states, K, lambda x, a: a.var(axis=0, ddof=1) / x.mean(axis=0))),
        ("int_mean", _per_state(Y, states, K, lambda x, a: x.var(axis=0, ddof=1)
                                / (x.sum(axis=0) // x.shape[0]))),
    ]
    out.append(("all_neurons", _per_state(Y, states, K, lambda x, a: np.full(x.shape[1], x.var(ddof=1)
                                                                             / x.mean()))))
    flat = Yf.reshape(-1, C)
    with np.errstate(all="ignore"):
        pooled = flat.var(axis=0, ddof=1) / flat.mean(axis=0)
        pooled0 = flat.var(axis=0) / flat.mean(axis=0)
    out.append(("pooled", np.repeat(pooled[:, None], K, axis=1)))
    out.append(("pooled0", np.repeat(pooled0[:, None], K, axis=1)))
    out.append(("first_trial", reference_fano_per_state(Yf[:1], states[:1], K)))
    with np.errstate(all="ignore"):
        per_trial = np.stack([reference_fano_per_state(Yf[i:i + 1], states[i:i + 1], K) for i in range(n)])
        out.append(("trial_average", np.nanmean(per_trial, axis=0) if n > 1 else per_trial[0]))
    shifted = np.full((C, K), np.nan)
    shifted[:, :-1] = reference_fano_per_state(Yf, states, K + 1)[:, 1:K]
    out.append(("one_based", shifted))
    if n > 1 and T > 1:
        misaligned = states.T.reshape(n, T)  # states flattened time-major, counts trial-major
        out.append(("misaligned", reference_fano_per_state(Yf, misaligned, K)))
    return out


_MESSAGES = {
    "ddof0": ("the variance is divided by n_k, the number of bins of the state; use the unbiased "
              "variance, which divides by n_k - 1.",
              "np.var(..., axis=0) divides by n_k; pass ddof=1 (numpy's 'delta degrees of freedom'). "
              "For Poisson counts it is the unbiased variance whose average equals the mean, so the "
              "Fano factor is 1 on average whatever n_k is."),
    "std": ("you divided the standard deviation by the mean; the Fano factor is the VARIANCE divided "
            "by the mean.",
            "Use the variance (var, with ddof=1) instead of the standard deviation (std): for Poisson counts "
            "variance = mean, so their ratio is 1 at every rate."),
    "std0": ("you divided the standard deviation by the mean; the Fano factor is the VARIANCE divided "
             "by the mean (with ddof=1).",
             "Use the variance (var, with ddof=1) instead of the standard deviation (std)."),
    "inverted": ("your ratio is upside down: mean / variance. The Fano factor is variance / mean.",
                 "Below 1 means less variable than Poisson (regular firing), above 1 more variable."),
    "inverted0": ("your ratio is upside down: mean / variance. The Fano factor is variance / mean "
                  "(with the unbiased variance, ddof=1).",
                  "Below 1 means less variable than Poisson (regular firing), above 1 more variable."),
    "cv2": ("you divided the variance by the SQUARED mean: that is the squared coefficient of "
            "variation, not the Fano factor.",
            "Divide the variance by the mean itself: for Poisson counts the ratio is then 1 at every rate."),
    "difference": ("you returned variance - mean; the Fano factor is the ratio variance / mean.",
                   "Divide instead of subtracting (Poisson: the ratio is 1)."),
    "overall_mean": ("the variance of each state is divided by the mean of ALL bins, not by the mean "
                     "of the same state's bins.",
                     "Compute the mean from the same counts as the variance: the bins decoded as state k."),
    "overall_var": ("the variance comes from ALL bins, not from the bins of state k.",
                    "Compute the variance from the same counts as the mean: the bins decoded as state k."),
    "int_mean": ("the mean was computed with integer division (//), which rounds it down.",
                 "Use a true division / (or the .mean method): the mean of counts is rarely a whole number."),
    "pooled": ("every state got the same Fano factor: the Fano factor of ALL bins, ignoring the states.",
               "Select the bins of state k first: the boolean mask of the bins in state k, applied to Y, "
               "gives an (n_k, C) array."),
    "pooled0": ("every state got the same Fano factor: the Fano factor of ALL bins, ignoring the states.",
                "Select the bins of state k first: the boolean mask of the bins in state k, applied to Y, "
                "gives an (n_k, C) array."),
    "all_neurons": ("every neuron got the same value in a state: the mean and the variance are taken over "
                    "all neurons together.",
                    "Take them per neuron: over the bins only, axis=0 of the (n_k, C) counts, giving C "
                    "numbers."),
    "first_trial": ("only the first trial is used.",
                    "Pool the bins of all trials: the (n_trials, T) boolean mask of state k, applied to Y "
                    "itself, picks them from every trial at once (Y[0] keeps trial 0 only)."),
    "trial_average": ("you averaged one Fano factor per trial; pool the bins of all trials instead.",
                      "The (n_trials, T) mask of state k, applied to Y, collects the state's bins from every "
                      "trial into one (n_k, C) array: take its variance and mean."),
    "one_based": ("column k holds the values of state k + 1: states count from 0 in Python.",
                  "Loop with `for k in range(K)` and select `states == k`; the first state is 0."),
    "misaligned": ("the states and the counts are paired in different orders, so every bin gets "
                   "another bin's state.",
                   "Index Y with the (n_trials, T) boolean mask itself; if you flatten, flatten Y (to "
                   "(n_trials * T, C)) and states (to (n_trials * T,)) the same way."),
}


def _same(got, want):
    """Equal up to round-off, with NaN in the same places."""
    if got.shape != want.shape:
        return False
    nan_g, nan_w = np.isnan(got), np.isnan(want)
    if not np.array_equal(nan_g, nan_w):
        return False
    return _close(got[~nan_g], want[~nan_w], rtol=1e-7)


def _diagnose(F, Y, states, K):
    """Raise the _Failed of the first mistake that reproduces ``F`` (inf and NaN alike: the guards vary)."""
    F = np.where(np.isfinite(F), F, np.nan)
    for name, cand in _candidates(Y, states, K):
        if _same(F, np.where(np.isfinite(cand), cand, np.nan)):
            head, hint = _MESSAGES[name]
            raise _Failed(head, hint)


# ------------------------------------------------------------------ the check


def _fano_explain(ctx):
    """``ctx.explain`` of fano_per_state: a boolean mask of neurons that is not (C,)."""
    def explain(exc):
        if isinstance(exc, IndexError) and "boolean index did not match" in str(exc):
            return ["A boolean mask has the wrong length for the axis it selects from. The mean and the "
                    "variance of a state are per NEURON, shape (C,): take them over the bins, axis=0 of the "
                    "(n_k, C) counts.",
                    f"Print the shapes on that line (x.shape). Here: {ctx.shapes}."]
        return []
    return explain


def _result(out, C, K):
    F = _float_array(out, "the returned array")
    if F.shape == (C, K - 2) or F.shape == (C, K - 1):
        raise _Failed(
            f"the result has shape {F.shape}, expected (C, K) = ({C}, {K}): a column is missing.",
            "Every state gets a column, also a state with fewer than 2 bins or none at all (its column "
            "stays NaN). Loop over range(K), not over the states that occur (np.unique(states)).",
        )
    _expect_shape(F, (C, K), "fano", ("C", "K"))
    return F


def check_fano_per_state(fano_per_state):
    """Check ``fano_per_state(Y, states, K) -> F (C, K)``.

    ``F[c, k]`` = unbiased variance / mean of neuron ``c``'s counts over the
    bins of state ``k``, all trials pooled; NaN where undefined (fewer than 2
    bins, or a mean of 0). Detects: shape (K, C) or a missing column, the
    variance divided by n_k (ddof=0), the standard deviation, the ratio upside
    down, the squared coefficient of variation, variance minus mean, the mean
    or variance of all bins, or of all neurons together, an integer mean,
    states ignored, only the first
    trial, per-trial Fano factors averaged, states counted from 1, states and
    counts paired in different orders, inf / 0 / 1 instead of NaN for a
    silent neuron, NaN instead of 0 for a perfectly regular one, a value for
    a state with a single bin, warnings, inputs modified in place.

    Returns
    -------
    bool
        True if every check passed.
    """

    def call(ctx, case):
        Y, states, K = case
        ctx.case = _CASE_TEXT.format(K=K)
        ctx.shapes = (f"Y (n_trials, T, C) = {Y.shape}, states (n_trials, T) = {states.shape}, "
                      f"result (C, K) = ({Y.shape[2]}, {K})")
        before = len(ctx.warned)
        F = _result(ctx.call(Y, states, K), Y.shape[2], K)
        return F, ctx.warned[before:]

    def no_warnings(warned, why):
        if warned:
            raise _Failed(
                f"the values are right, but your function warned: {warned[0]}.",
                f"{why} Compute the ratio only where it is defined, where the mean is positive (np.divide "
                "has out= and where= arguments for this, or select those neurons with a boolean mask), and "
                "skip a state with fewer than 2 bins before taking its variance.",
            )

    def body(ctx):
        ctx.explain = _fano_explain(ctx)
        # 1-2. shape and values where everything is defined
        ctx.step("returns fano of shape (C, K)")
        case = _case_basic()
        F, warned = call(ctx, case)
        ctx.step("fano matches variance / mean per state (unbiased variance)")
        ref = reference_fano_per_state(*case)
        if not _same(F, ref):
            _diagnose(F, *case)
            if np.isnan(F).any():
                i = np.argwhere(np.isnan(F))[0]
                raise _Failed(f"fano[{i[0]}, {i[1]}] is NaN, but every neuron fires in every state of this "
                              "case and every state has many bins.",
                              "Only a mean of 0 or fewer than 2 bins leave fano undefined.")
            raise _Failed("fano does not match variance / mean per state.", _difference(F, ref, "fano"),
                          "fano[c, k] = (unbiased variance of neuron c's counts in the bins of state k) / "
                          "(their mean).")
        no_warnings(warned, "Nothing here is undefined.")

        # 3. a neuron silent in a state
        ctx.step("a neuron that never fires in a state gets NaN")
        case = _case_silent()
        F, warned = call(ctx, case)
        ref = reference_fano_per_state(*case)
        v = F[1, 2]
        if not np.isnan(v):
            if np.isinf(v):
                head = "fano[1, 2] is infinite: neuron 1 never fires in state 2, so its mean there is 0."
            else:
                meaning = {0.0: " (0 would mean perfectly regular firing)",
                           1.0: " (1 would mean Poisson-like firing)"}.get(float(v), "")
                head = (f"fano[1, 2] is {_f(v)}{meaning}, but neuron 1 never fires in state 2: its mean and "
                        "variance there are 0, and 0 / 0 is not a number.")
            raise _Failed(head, "Leave fano[c, k] = NaN where the mean is 0: there is no Fano factor to "
                                "report. np.nan* functions and plots then skip it.")
        if not _same(F, ref):
            raise _Failed("with a silent neuron, the OTHER entries of fano went wrong.",
                          _difference(np.nan_to_num(F, nan=-1.0), np.nan_to_num(ref, nan=-1.0), "fano"))
        no_warnings(warned, "A mean of 0 is expected in real data (a unit silent at rest).")

        # 4. a perfectly regular neuron
        ctx.step("a neuron firing the same count in every bin gets 0")
        case = _case_regular()
        F, warned = call(ctx, case)
        ref = reference_fano_per_state(*case)
        if np.isnan(F[2, 0]):
            raise _Failed(
                "fano[2, 0] is NaN, but neuron 2 fires exactly 1 spike in every bin of state 0: its variance is "
                "0 and its mean 1, so its Fano factor is 0 (perfectly regular).",
                "Leave out only a mean of 0 (guard on the mean), not a variance of 0.")
        if not _same(F, ref):
            _diagnose(F, *case)
            raise _Failed("fano does not match variance / mean per state when a neuron fires regularly.",
                          _difference(np.nan_to_num(F, nan=-1.0), np.nan_to_num(ref, nan=-1.0), "fano"))
        no_warnings(warned, "")

        # 5. states with one bin or none
        ctx.step("a state with fewer than 2 bins gets NaN")
        case = _case_rare_states()
        F, warned = call(ctx, case)
        ref = reference_fano_per_state(*case)
        if not np.all(np.isnan(F[:, 3])):
            raise _Failed(
                f"state 3 has a single bin, but its column of fano is {np.array2string(F[:, 3], precision=3)}: "
                "one bin has no spread, so no Fano factor.",
                "A variance needs at least 2 bins (the unbiased one divides by n_k - 1 = 0). Leave the "
                "column NaN when the state has fewer than 2 bins.")
        if not np.all(np.isnan(F[:, 4])):
            raise _Failed("state 4 never occurs, but its column of fano is not NaN.",
                          "With no bins there is no mean and no variance: leave the column NaN.")
        if not _same(F, ref):
            raise _Failed("with a rare state, the OTHER entries of fano went wrong.",
                          _difference(np.nan_to_num(F, nan=-1.0), np.nan_to_num(ref, nan=-1.0), "fano"))
        no_warnings(warned, "States with fewer than 2 bins happen (a state may be left unused).")
        ctx.case = ""

    return _run("fano_per_state", fano_per_state, "fano_per_state(Y, states, K)",
                ("Y", "states", "K"), "fano", body,
                "shape (C, K), variance / mean per state with the unbiased variance on 3 pooled trials, NaN "
                "for a silent neuron, 0 for a perfectly regular one, NaN for states with fewer than 2 bins, "
                "and no warnings")
