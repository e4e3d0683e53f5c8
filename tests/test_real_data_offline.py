"""Notebook 07 needs no network: its data ship with ``helpers``.

Every way out of this process is closed (``socket.socket.connect`` and
friends raise), then the data are loaded and the solution notebook's code
cells are executed here, in this process, top to bottom. A kernel would run
in another process, out of the reach of the patch; executing in-process is
what makes "nothing reached the network" provable.
"""

from __future__ import annotations

import socket
import urllib.request
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import helpers  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "solutions" / "07_real_data.ipynb"


class NetworkUsed(OSError):
    pass


@pytest.fixture
def no_network(monkeypatch):
    """Make every outgoing connection (and name lookup) fail in this process."""
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args[1:] if args else kwargs)
        raise NetworkUsed(f"network access attempted: {args[1:] if args else kwargs}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket.socket, "sendto", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


def test_the_guard_really_blocks(no_network):
    with pytest.raises(OSError):
        urllib.request.urlopen("http://example.com/", timeout=1)
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", 9), timeout=1)
    assert no_network


def test_data_load_offline(no_network):
    rec = helpers.load_motor_units()
    Y = helpers.bin_spikes(rec.spike_times, 0.0, rec.duration, 0.05)
    assert Y.shape == (1, 650, 5) and Y.sum() == 1073
    assert not no_network


def test_notebook_runs_offline(no_network, monkeypatch, capsys):
    """The solution notebook's code, executed in this process with the network closed."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "code"]
    assert cells, "solutions/07_real_data.ipynb has no code"
    monkeypatch.chdir(ROOT / "solutions")
    namespace = {"__name__": "__main__"}
    with matplotlib.rc_context():  # the notebook calls plotting.use_style(): keep it local to this test
        for i, cell in enumerate(cells, start=1):
            exec(compile(cell.source, f"solutions/07_real_data.ipynb code cell {i}", "exec"), namespace)
            plt.close("all")
    out = capsys.readouterr().out
    assert not no_network, f"the notebook tried to reach the network: {no_network}"
    assert "✅ fano_per_state passed" in out
    assert namespace["Y"].shape == (1, 650, 5)
    assert np.isfinite(namespace["cv"]["test"]).all()
    assert "adjusted Rand index" in out
