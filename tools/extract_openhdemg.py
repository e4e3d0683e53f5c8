"""Regenerate ``helpers/data/``: the motor-unit recording shipped with openhdemg.

The sample file of openhdemg 0.1.2 (PyPI, GPL-3.0),
``openhdemg/library/decomposed_test_files/otb_testfile.mat``, holds one
32.5 s contraction of the human vastus lateralis recorded with a 64-channel
HD-sEMG grid at 2048 Hz, the firing trains of five motor units decomposed from
it (OTBioLab+), and the force in % of the maximal voluntary contraction (MVC).
This script writes a small, versioned extract of it:

``openhdemg_vl_spikes.csv``
    one line ``unit,sample`` per spike; the spike time in seconds from the
    first sample of the file is ``sample / 2048`` (exact in floating point).
    Like openhdemg's ``emg_from_samplefile``, every firing is moved
    ``EXT_FACTOR = 8`` samples earlier, onto the peak of its decomposition
    source (the binary trains are exported 8 samples late).
``openhdemg_vl_force.csv``
    one value per line: the force (% MVC) averaged over consecutive blocks of
    64 samples, i.e. at 32 Hz; row ``k`` is the mean over
    ``[k / 32, (k + 1) / 32)`` s.
``LICENSE-GPL-3.0.txt``
    the licence file of the openhdemg wheel, verbatim.

The output is deterministic (exactly rounded block sums, Python's correctly
rounded formatting): running the script twice, on any machine, gives the
same bytes.

Usage (from the repository root)::

    python tools/extract_openhdemg.py                  # download, verify, write helpers/data/
    python tools/extract_openhdemg.py --check          # regenerate in memory, compare
    python tools/extract_openhdemg.py --wheel PATH     # use a wheel already on disk (offline)

The wheel is fetched with ``pip download --no-deps`` (its pinned numpy, scipy
and matplotlib are never installed; openhdemg itself is not installed either)
and its sha256 must equal :data:`WHEEL_SHA256`.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import math
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = ROOT / "helpers" / "data"

PACKAGE = "openhdemg"
VERSION = "0.1.2"
WHEEL_NAME = f"{PACKAGE}-{VERSION}-py3-none-any.whl"
#: sha256 of the wheel, as published by PyPI for openhdemg 0.1.2.
WHEEL_SHA256 = "dca7ab05ede5484da748b4c6d1c4f77ec9b4b042c44df7fe55e325eb880bbc89"
MAT_PATH = "openhdemg/library/decomposed_test_files/otb_testfile.mat"
LICENSE_PATH = f"{PACKAGE}-{VERSION}.dist-info/LICENSE"

FS = 2048  #: sampling rate of the recording, Hz
EXT_FACTOR = 8  #: samples the binary firing trains lag their source (openhdemg's ext_factor)
FORCE_BLOCK = 64  #: samples averaged per force value: 2048 / 64 = 32 Hz
FORCE_DECIMALS = 2  #: % MVC; the raw force is quantised in steps of about 0.02 % MVC

SPIKES_FILE = "openhdemg_vl_spikes.csv"
FORCE_FILE = "openhdemg_vl_force.csv"
LICENSE_FILE = "LICENSE-GPL-3.0.txt"
OUTPUTS = (SPIKES_FILE, FORCE_FILE, LICENSE_FILE)

SOURCE_LINE = (
    f"# Source: {PACKAGE} {VERSION} (PyPI, GPL-3.0), file {MAT_PATH}; "
    "see README.md in this folder."
)


def sha256_of(path):
    """Hex sha256 of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def download_wheel(dest):
    """``pip download --no-deps openhdemg==0.1.2`` (the wheel only) into ``dest``."""
    cmd = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
        f"{PACKAGE}=={VERSION}", "-d", str(dest),
    ]
    subprocess.run(cmd, check=True)
    path = Path(dest) / WHEEL_NAME
    if not path.is_file():
        raise FileNotFoundError(f"pip download did not produce {WHEEL_NAME} in {dest}")
    return path


def read_wheel(path, sha256=None):
    """The loaded .mat file and the licence text from an openhdemg wheel.

    Parameters
    ----------
    path : str or Path
        The wheel (a zip file).
    sha256 : str, optional
        Expected sha256 of the wheel; default :data:`WHEEL_SHA256`.

    Returns
    -------
    mat : dict
        ``scipy.io.loadmat`` of the sample file.
    license_bytes : bytes
        The wheel's licence file, verbatim.
    """
    from scipy.io import loadmat

    expected = WHEEL_SHA256 if sha256 is None else sha256
    got = sha256_of(path)
    if got != expected:
        raise ValueError(f"{path}: sha256 is {got}, expected {expected} (openhdemg {VERSION})")
    with zipfile.ZipFile(path) as zf:
        mat_bytes = zf.read(MAT_PATH)
        license_bytes = zf.read(LICENSE_PATH)
    if mat_bytes[:4] == b"\x89HDF" or b"MATLAB 7.3" in mat_bytes[:128]:
        raise ValueError(f"{MAT_PATH} is a v7.3 (HDF5) MAT file; this script reads v5 files")
    return loadmat(io.BytesIO(mat_bytes)), license_bytes


def _cell(x):
    """Unwrap MATLAB's 1x1 cell arrays as ``loadmat`` returns them."""
    while isinstance(x, np.ndarray) and x.dtype == object and x.size == 1:
        x = x.flat[0]
    return x


def _labels(mat):
    """Column labels of ``Data`` (the ``Description`` cell array) as strings."""
    return [str(np.asarray(d).ravel()[0]) for d in np.asarray(mat["Description"]).ravel()]


def columns(labels):
    """Indices of the firing-train columns and of the force column.

    The firing trains are the columns whose label contains
    ``"Decomposition of"`` (case-sensitive: the sources are
    ``"Source for decomposition of"``), the same rule openhdemg uses; the
    force is the column labelled ``"acquired data"``.
    """
    trains = [i for i, s in enumerate(labels) if "Decomposition of" in s]
    force = [i for i, s in enumerate(labels) if "acquired data" in s]
    if not trains:
        raise ValueError("no firing-train column ('Decomposition of ...') in Description")
    if len(force) != 1:
        raise ValueError(f"expected one force column ('acquired data'), found {len(force)}")
    return trains, force[0]


def extract(mat, license_bytes):
    """The contents of the extract's files from a loaded sample file.

    Parameters
    ----------
    mat : dict
        ``scipy.io.loadmat`` output with ``Data`` (a 1x1 cell holding the
        ``(n_samples, n_columns)`` matrix), ``Description`` (the column labels),
        ``Time`` (a 1x1 cell, seconds) and ``SamplingFrequency``.
    license_bytes : bytes
        The licence text to ship next to the data.

    Returns
    -------
    dict
        File name -> bytes, for every name in :data:`OUTPUTS`.
    """
    data = np.asarray(_cell(mat["Data"]))
    time = np.asarray(_cell(mat["Time"]), dtype=np.float64).ravel()
    fs = float(np.asarray(mat["SamplingFrequency"]).ravel()[0])
    labels = _labels(mat)
    if data.ndim != 2 or data.shape[1] != len(labels):
        raise ValueError(f"Data has shape {data.shape} but Description has {len(labels)} labels")
    n = data.shape[0]
    if fs != FS:
        raise ValueError(f"SamplingFrequency is {fs} Hz, expected {FS}")
    if time.size != n or not np.array_equal(time, time[0] + np.arange(n) / FS):
        raise ValueError("Time is not a regular axis at the sampling frequency")
    if n % FORCE_BLOCK:
        raise ValueError(f"{n} samples is not a whole number of force blocks of {FORCE_BLOCK}")
    trains, force_col = columns(labels)

    spikes = [
        SOURCE_LINE,
        f"# Spike times of {len(trains)} motor units. One line per spike: unit (0-based),",
        f"# sample index; time in s = sample / {FS}, from the first sample of the file",
        f"# (whose own Time axis starts at {time[0]:g} s). Firings moved {EXT_FACTOR} samples earlier,",
        "# as openhdemg's emg_from_samplefile does (ext_factor = 8).",
    ]
    for u, col in enumerate(trains):
        spikes.append(f"# unit {u}: Data column {col}, {labels[col]!r}")
    spikes.append("unit,sample")
    for u, col in enumerate(trains):
        train = data[:, col]
        if not np.all((train == 0) | (train == 1)):
            raise ValueError(f"Data column {col} is not a 0/1 firing train")
        for s in np.flatnonzero(train).tolist():
            if s - EXT_FACTOR >= 0:
                spikes.append(f"{u},{s - EXT_FACTOR}")

    rate = FS // FORCE_BLOCK
    force = [
        SOURCE_LINE,
        f"# Force in % MVC (Data column {force_col}, {labels[force_col]!r}), mean over",
        f"# blocks of {FORCE_BLOCK} samples ({rate} Hz): row k is the mean over [k/{rate}, (k+1)/{rate}) s",
        f"# from the first sample of the file; {n // FORCE_BLOCK} rows, {n / FS:g} s.",
        "force_pct_mvc",
    ]
    f = np.asarray(data[:, force_col], dtype=np.float64)  # float32 -> float64 is exact
    if not np.all(np.isfinite(f)):
        raise ValueError(f"Data column {force_col} (force) has NaN or infinite values")
    for k in range(n // FORCE_BLOCK):
        # fsum is exactly rounded and dividing by 64 is exact: no dependence on
        # numpy's summation order, so the bytes are the same everywhere.
        mean = math.fsum(f[k * FORCE_BLOCK:(k + 1) * FORCE_BLOCK].tolist()) / FORCE_BLOCK
        force.append(f"{mean:.{FORCE_DECIMALS}f}")

    return {
        SPIKES_FILE: ("\n".join(spikes) + "\n").encode("ascii"),
        FORCE_FILE: ("\n".join(force) + "\n").encode("ascii"),
        LICENSE_FILE: license_bytes,
    }


def compare(files, out_dir=OUT_DIR):
    """Names of the files in ``out_dir`` that differ from ``files`` (or are missing)."""
    stale = []
    for name, content in files.items():
        path = Path(out_dir) / name
        if not path.is_file() or path.read_bytes() != content:
            stale.append(name)
    return stale


def main(argv=None):
    """Command line: write or ``--check`` the extract."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="regenerate in memory and compare with the files in --out; write nothing")
    parser.add_argument("--wheel", type=Path,
                        help=f"use this {WHEEL_NAME} instead of downloading it (offline)")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="folder of the extract (default: helpers/data)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel if args.wheel is not None else download_wheel(tmp)
        mat, license_bytes = read_wheel(wheel)
        files = extract(mat, license_bytes)

    if args.check:
        stale = compare(files, args.out)
        if stale:
            print(f"extract is stale or missing in {args.out}: {', '.join(stale)}", file=sys.stderr)
            return 1
        print(f"extract in {args.out} matches openhdemg {VERSION}: {', '.join(files)}")
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (args.out / name).write_bytes(content)
        print(f"wrote {args.out / name} ({len(content)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
