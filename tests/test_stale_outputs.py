"""A stored figure that is not what the current code draws fails the test suite.

nbval re-executes every solution notebook; the repository's ``conftest.py``
makes it compare PNG outputs as well (by size and hash). Proved here on a
tiny notebook: its own outputs pass, and the same notebook carrying a
figure drawn by other code fails, naming the PNGs.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]

DRAW = """import matplotlib.pyplot as plt
fig, ax = plt.subplots(figsize=(2, 2))
ax.plot([0, 1], {ys})
ax.set_xlabel("time (s)")
plt.show()"""


def _executed(ys):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(DRAW.format(ys=ys))])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    NotebookClient(nb, kernel_name="python3").execute()
    return nb


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    """A folder with the repository's conftest.py and an executed one-figure notebook."""
    root = tmp_path_factory.mktemp("stale")
    shutil.copy(ROOT / "conftest.py", root / "conftest.py")
    (root / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider\n")
    fresh = _executed("[0, 1]")
    other = _executed("[1, 0]")
    stale = nbformat.from_dict(fresh)
    stale.cells[0].outputs = other.cells[0].outputs  # the picture of other code
    nbformat.write(fresh, root / "fresh.ipynb")
    nbformat.write(stale, root / "stale.ipynb")
    return root


def _nbval(root, name):
    return subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval", "--nbval-current-env", "-q", name],
        cwd=root, capture_output=True, text=True, timeout=300,
    )


def test_current_figure_passes(tree):
    result = _nbval(tree, "fresh.ipynb")
    assert result.returncode == 0, result.stdout + result.stderr


def test_stale_figure_fails_and_names_the_png(tree):
    result = _nbval(tree, "stale.ipynb")
    assert result.returncode != 0, "a stale figure passed nbval"
    assert "image/png" in result.stdout and "sha256:" in result.stdout, result.stdout[-3000:]


def test_requirements_pin_what_draws_the_figures():
    """Byte-identical PNGs need the same versions: the test environment pins them."""
    pins = (ROOT / "requirements-dev.txt").read_text()
    for package in ("numpy", "scipy", "matplotlib", "pillow", "ipykernel", "matplotlib-inline"):
        assert f"{package}==" in pins.lower(), f"requirements-dev.txt does not pin {package}"
