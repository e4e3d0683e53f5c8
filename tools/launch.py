"""One-click launch: the repository address, the Colab setup cell, the badges.

The address is read from ``[tool.em-tutorial]`` in ``pyproject.toml`` (the
only place it is written). :mod:`tools.build` uses this module to put the
setup cell at the top of every notebook and to write the badge table into
``README.md`` between ``<!-- badges -->`` and ``<!-- /badges -->``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]

SETUP_TAG = "colab-setup"

TITLES = {
    "01_simulate": "Simulate a spiking HMM",
    "02_forward_backward": "Forward-backward: the E-step",
    "03_m_step": "The M-step",
    "04_em": "The EM loop",
    "05_why_em_climbs": "Why EM climbs",
    "06_checking_the_model": "Checking the model",
    "07_real_data": "Bonus: real spike trains",
}


def repository(root=ROOT):
    """``(owner/name, branch)`` from ``pyproject.toml``'s ``[tool.em-tutorial]``."""
    with open(Path(root) / "pyproject.toml", "rb") as f:
        cfg = tomllib.load(f)["tool"]["em-tutorial"]
    repo, branch = cfg["repository"], cfg.get("branch", "main")
    if not re.fullmatch(r"[\w.-]+/[\w.-]+", repo):
        raise ValueError(f"[tool.em-tutorial] repository must be 'owner/name', got {repo!r}")
    return repo, branch


def setup_cell_source(repo, branch):
    """Code of the first cell of every notebook: installs helpers on Colab only."""
    return f'''# Setup. On Colab this installs the tutorial's `helpers` package (quietly) and
# turns on widget support; anywhere else it does nothing.
import sys

if "google.colab" in sys.modules:
    import subprocess

    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q",
         "git+https://github.com/{repo}@{branch}"],
        check=True,
    )
    import ipywidgets

    if int(ipywidgets.__version__.split(".")[0]) >= 8:
        from google.colab import output

        output.enable_custom_widget_manager()'''


def binder_url(repo, branch, path):
    return f"https://mybinder.org/v2/gh/{repo}/{branch}?labpath={path}"


def colab_url(repo, branch, path):
    return f"https://colab.research.google.com/github/{repo}/blob/{branch}/{path}"


def badge_table(repo, branch, names):
    """Markdown table: one row per tutorial, Binder and Colab badges for both versions."""
    binder = "https://mybinder.org/badge_logo.svg"
    colab = "https://colab.research.google.com/assets/colab-badge.svg"
    rows = [
        "| # | tutorial | exercises (students) | solutions (instructors) |",
        "|---|---|---|---|",
    ]
    for name in names:
        num, title = name.split("_", 1)[0], TITLES.get(name, name)
        cells = []
        for folder in ("notebooks", "solutions"):
            path = f"{folder}/{name}.ipynb"
            cells.append(
                f"[![Binder]({binder})]({binder_url(repo, branch, path)}) "
                f"[![Colab]({colab})]({colab_url(repo, branch, path)}) "
                f"[{folder}/{name}.ipynb]({path})"
            )
        rows.append(f"| {num} | {title} | {cells[0]} | {cells[1]} |")
    return "\n".join(rows)


def update_readme(text, table):
    """Replace the text between the badge markers with ``table``."""
    pattern = re.compile(r"(<!-- badges -->\n)(?:.*?\n)??(<!-- /badges -->)", re.S)
    if not pattern.search(text):
        raise ValueError("README.md has no <!-- badges --> ... <!-- /badges --> block")
    return pattern.sub(lambda m: m.group(1) + table + "\n" + m.group(2), text, count=1)
