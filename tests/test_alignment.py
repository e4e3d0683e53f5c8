"""The adjusted Rand index, ``helpers.adjusted_rand_index``: against hand-computed cases and scikit-learn.

scikit-learn is not a dependency of ``helpers``; it is installed in the test
environment (hmmlearn needs it) and used here only as an independent
implementation to compare with.
"""

from __future__ import annotations

import warnings
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import helpers

sklearn_metrics = pytest.importorskip("sklearn.metrics")


def ari_by_hand(a, b):
    """The textbook formula with exact fractions, straight from the pair counts."""
    a, b = list(a), list(b)
    n = len(a)
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    same_a = [a[i] == a[j] for i, j in pairs]
    same_b = [b[i] == b[j] for i, j in pairs]
    index = sum(x and y for x, y in zip(same_a, same_b))
    sa, sb, total = sum(same_a), sum(same_b), len(pairs)
    if total == 0:
        return 1.0
    expected = Fraction(sa * sb, total)
    top = Fraction(sa + sb, 2)
    if top == expected:
        return 1.0
    return float((index - expected) / (top - expected))


# ------------------------------------------------------------------ small cases, computed by hand


@pytest.mark.parametrize("a, b, want", [
    ([0, 0, 1, 1], [5, 5, 2, 2], 1.0),                      # the same partition, other names
    ([0, 0, 1, 1], [0, 1, 0, 1], -0.5),                     # every pair disagrees: index 0, E = 2/3, max 2
    ([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 2, 2], 8 / 33),       # index 2, sums 6 and 3, 15 pairs: E = 1.2
    ([0, 0, 1, 1, 2, 2], [0, 0, 1, 2, 2, 2], 4 / 9),        # index 2, sums 3 and 4: E = 0.8, max 3.5
    ([0, 0, 0, 0], [0, 0, 1, 1], 0.0),                      # one group against two: exactly chance
    ([3, 3, 3], [1, 1, 1], 1.0),                            # both one group
    ([0, 1, 2], [2, 0, 1], 1.0),                            # both all singletons
    ([7], [4], 1.0),                                        # a single bin
])
def test_hand_computed_cases(a, b, want):
    got = helpers.adjusted_rand_index(a, b)
    assert isinstance(got, float)
    assert got == pytest.approx(want, abs=1e-15)
    assert ari_by_hand(a, b) == pytest.approx(want, abs=1e-15)


def test_symmetric_and_blind_to_label_names():
    rng = np.random.default_rng(3)
    a = rng.integers(0, 4, size=200)
    b = rng.integers(0, 3, size=200)
    base = helpers.adjusted_rand_index(a, b)
    assert helpers.adjusted_rand_index(b, a) == base
    renamed = np.array([17, -2, 5, 100])[a]
    assert helpers.adjusted_rand_index(renamed, b) == pytest.approx(base, abs=1e-15)


def test_shape_does_not_matter_only_the_pairing():
    """(n_trials, T) states and the same labels flattened give the same index."""
    rng = np.random.default_rng(4)
    a = rng.integers(0, 3, size=(4, 25))
    b = rng.integers(0, 3, size=(4, 25))
    assert helpers.adjusted_rand_index(a, b) == helpers.adjusted_rand_index(a.ravel(), b.ravel())


def test_whole_floats_and_bools_are_labels():
    a = np.array([0, 0, 1, 1, 1])
    b = np.array([1.0, 1.0, 0.0, 0.0, 1.0])
    assert helpers.adjusted_rand_index(a, b) == helpers.adjusted_rand_index(a, b.astype(int))
    assert helpers.adjusted_rand_index(a.astype(bool), b) == helpers.adjusted_rand_index(a, b)


def test_large_inputs_stay_exact():
    """A million bins: the pair counts (~5e11) and their products are handled exactly."""
    rng = np.random.default_rng(5)
    a = rng.integers(0, 5, size=1_000_000)
    b = np.where(rng.random(a.size) < 0.7, a, rng.integers(0, 5, size=a.size))
    got = helpers.adjusted_rand_index(a, b)
    want = sklearn_metrics.adjusted_rand_score(a, b)
    assert got == pytest.approx(want, rel=1e-12)
    assert 0.3 < got < 0.7


# ------------------------------------------------------------------ against scikit-learn


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_matches_scikit_learn(data):
    n = data.draw(st.integers(1, 60))
    ka = data.draw(st.integers(1, 6))
    kb = data.draw(st.integers(1, 6))
    a = data.draw(st.lists(st.integers(0, ka - 1), min_size=n, max_size=n))
    b = data.draw(st.lists(st.integers(0, kb - 1), min_size=n, max_size=n))
    want = sklearn_metrics.adjusted_rand_score(a, b)
    got = helpers.adjusted_rand_index(a, b)
    assert got == pytest.approx(want, abs=1e-12)
    if n <= 20:
        assert got == pytest.approx(ari_by_hand(a, b), abs=1e-12)


def test_matches_scikit_learn_on_the_notebook_kind_of_input():
    """Decoded states against force epochs of the motor-unit recording (650 bins)."""
    rec = helpers.load_motor_units()
    Y = helpers.bin_spikes(rec.spike_times, 0.0, rec.duration, 0.05)
    fit = helpers.fit_em(Y, 2, 0.05, seed=0)
    states = helpers.viterbi(Y, fit.psi, fit.A, fit.L, 0.05)[0]
    epochs = helpers.recordings.force_epochs(rec.force_time, rec.force)
    labels = np.searchsorted(epochs, (np.arange(650) + 0.5) * 0.05, side="right") % 4
    assert helpers.adjusted_rand_index(states, labels) == pytest.approx(
        sklearn_metrics.adjusted_rand_score(labels, states), abs=1e-12)


# ------------------------------------------------------------------ bad input


BAD = [
    # (labels_a, labels_b, exception, argument named in the message, case id)
    (None, [0, 1], TypeError, "labels_a", "None"),
    ("0101", [0, 1, 0, 1], TypeError, "labels_a", "string"),
    (["a", "b"], [0, 1], TypeError, "labels_a", "strings"),
    ([0.5, 1.0], [0, 1], ValueError, "labels_a", "fractional"),
    ([np.nan, 1.0], [0, 1], ValueError, "labels_a", "nan"),
    ([np.inf, 1.0], [0, 1], ValueError, "labels_a", "inf"),
    ([1 + 1j, 0], [0, 1], TypeError, "labels_a", "complex"),
    (np.array([0, 1], dtype=object), [0, 1], TypeError, "labels_a", "object"),
    ([], [], ValueError, "labels_a", "empty"),
    ([0, 1], None, TypeError, "labels_b", "None"),
    ([0, 1], [0.2, 1.0], ValueError, "labels_b", "fractional"),
    ([0, 1, 2], [0, 1], ValueError, "labels_b", "shorter"),
    ([[0, 1], [1, 0]], [0, 1, 1, 0], ValueError, "labels_b", "other shape"),
]


@pytest.mark.parametrize("a, b, exc, name", [c[:4] for c in BAD], ids=[c[4] for c in BAD])
def test_bad_input_is_refused_naming_the_argument(a, b, exc, name):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(exc, match=rf"(?<![A-Za-z_]){name}(?![A-Za-z_])"):
            helpers.adjusted_rand_index(a, b)
    assert not caught, [str(w.message) for w in caught]


def test_inputs_are_not_modified():
    a = np.array([3, 3, 1, 1, 2])
    b = np.array([0.0, 0.0, 1.0, 1.0, 1.0])
    a0, b0 = a.copy(), b.copy()
    a.flags.writeable = False
    b.flags.writeable = False
    helpers.adjusted_rand_index(a, b)
    np.testing.assert_array_equal(a, a0)
    np.testing.assert_array_equal(b, b0)
