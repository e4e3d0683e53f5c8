"""One-click launch and slides: Colab setup cell, badges, Binder, reveal.js.

* The Colab setup cell installs ``helpers`` only where ``google.colab`` is
  imported, enables Colab's widget manager only with ipywidgets 8, and does
  nothing anywhere else (tested by simulating the module).
* The repository address is written once (pyproject.toml); the badges and
  the Colab install line are derived from it.
* Binder's recipe works: in a brand-new virtual environment,
  ``pip install -r requirements.txt`` alone is enough to execute every
  solution notebook from its folder.
* Every solution notebook exports to non-empty reveal.js slides.
"""

import json
import os
import subprocess
import sys
import types
import venv
from pathlib import Path

import nbformat
import pytest

from tools import launch

ROOT = Path(__file__).resolve().parents[1]

NAMES = sorted(p.stem for p in (ROOT / "tutorials").glob("[0-9][0-9]_*.py"))
REPO, BRANCH = launch.repository(ROOT)


def test_there_are_five_tutorials():
    assert NAMES == ["01_simulate", "02_forward_backward", "03_m_step", "04_em", "05_diagnostics"]


# --- Colab -------------------------------------------------------------------------


def _run_setup_cell(monkeypatch, on_colab, widgets_version):
    """Execute the setup cell with simulated modules; return what it did."""
    calls = {"pip": [], "widget_manager": 0}

    def fake_run(cmd, **kwargs):
        calls["pip"].append(list(cmd))
        return subprocess.CompletedProcess(cmd, 0)

    monkeypatch.setattr(subprocess, "run", fake_run)
    fake_widgets = types.ModuleType("ipywidgets")
    fake_widgets.__version__ = widgets_version
    monkeypatch.setitem(sys.modules, "ipywidgets", fake_widgets)
    if on_colab:
        google = types.ModuleType("google")
        colab = types.ModuleType("google.colab")
        output = types.ModuleType("google.colab.output")

        def enable():
            calls["widget_manager"] += 1

        output.enable_custom_widget_manager = enable
        colab.output = output
        google.colab = colab
        monkeypatch.setitem(sys.modules, "google", google)
        monkeypatch.setitem(sys.modules, "google.colab", colab)
        monkeypatch.setitem(sys.modules, "google.colab.output", output)
    else:
        monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    exec(compile(launch.setup_cell_source(REPO, BRANCH), "<setup cell>", "exec"), {})
    return calls


def test_setup_cell_installs_helpers_on_colab(monkeypatch):
    calls = _run_setup_cell(monkeypatch, on_colab=True, widgets_version="8.1.5")
    assert len(calls["pip"]) == 1
    cmd = calls["pip"][0]
    assert cmd[:4] == [sys.executable, "-m", "pip", "install"] and "-q" in cmd
    assert f"git+https://github.com/{REPO}@{BRANCH}" in cmd
    assert calls["widget_manager"] == 1


def test_setup_cell_leaves_widget_manager_alone_with_ipywidgets_7(monkeypatch):
    calls = _run_setup_cell(monkeypatch, on_colab=True, widgets_version="7.7.1")
    assert len(calls["pip"]) == 1
    assert calls["widget_manager"] == 0


def test_setup_cell_does_nothing_elsewhere(monkeypatch):
    calls = _run_setup_cell(monkeypatch, on_colab=False, widgets_version="8.1.5")
    assert calls == {"pip": [], "widget_manager": 0}


@pytest.mark.parametrize("folder", ["notebooks", "solutions"])
@pytest.mark.parametrize("name", NAMES)
def test_every_notebook_starts_with_the_setup_cell(folder, name):
    nb = nbformat.read(ROOT / folder / f"{name}.ipynb", as_version=4)
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    assert first_code.source == launch.setup_cell_source(REPO, BRANCH)
    assert first_code.cell_type == "code" and nb.cells.index(first_code) <= 1


# --- badges and the one address ----------------------------------------------------


def test_readme_badges_are_generated_from_the_address():
    readme = (ROOT / "README.md").read_text()
    table = launch.badge_table(REPO, BRANCH, NAMES)
    assert launch.update_readme(readme, table) == readme, "README badges are stale: run python tools/build.py"
    for name in NAMES:
        for folder in ("notebooks", "solutions"):
            path = f"{folder}/{name}.ipynb"
            assert launch.binder_url(REPO, BRANCH, path) in readme
            assert launch.colab_url(REPO, BRANCH, path) in readme
            assert (ROOT / path).exists()


def test_repository_address_is_written_in_one_place():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True)
    generated = {"README.md"} | {f"{d}/{n}.ipynb" for d in ("notebooks", "solutions") for n in NAMES}
    holders = [
        f for f in tracked.stdout.split()
        if f not in generated and (ROOT / f).is_file() and REPO in (ROOT / f).read_text(errors="ignore")
    ]
    assert holders == ["pyproject.toml"]


# --- Binder: requirements.txt alone --------------------------------------------------


def test_requirements_alone_run_every_solution_notebook(tmp_path):
    """What Binder does: a clean environment, `pip install -r requirements.txt`, run."""
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    bindir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    py = bindir / "python"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "JUPYTER", "VIRTUAL_ENV"))}
    env.update(PATH=f"{bindir}{os.pathsep}{env.get('PATH', '')}", PIP_DISABLE_PIP_VERSION_CHECK="1",
               JUPYTER_PLATFORM_DIRS="1", JUPYTER_DATA_DIR=str(tmp_path / "jdata"),
               JUPYTER_CONFIG_DIR=str(tmp_path / "jcfg"))
    install = subprocess.run([str(py), "-m", "pip", "install", "-q", "-r", "requirements.txt"],
                             cwd=ROOT, env=env, capture_output=True, text=True)
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    probe = subprocess.run(
        [str(py), "-c", "import json, sys, helpers, jupyter_client; "
         "from jupyter_client.kernelspec import KernelSpecManager as M; "
         "print(json.dumps([sys.prefix, helpers.__file__, M().get_kernel_spec('python3').argv[0]]))"],
        cwd=tmp_path, env=env, capture_output=True, text=True)
    assert probe.returncode == 0, probe.stderr
    prefix, helpers_file, kernel_python = json.loads(probe.stdout)
    assert Path(prefix).resolve() == env_dir.resolve()
    assert Path(helpers_file).resolve().is_relative_to(env_dir.resolve()), "helpers was not installed into the venv"
    for name in NAMES:
        out = tmp_path / "out"
        run = subprocess.run(
            [str(py), "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
             f"--output-dir={out}", "--ExecutePreprocessor.timeout=300", f"{name}.ipynb"],
            cwd=ROOT / "solutions", env=env, capture_output=True, text=True)
        assert run.returncode == 0, f"{name}: {run.stderr[-3000:]}"
        executed = nbformat.read(out / f"{name}.ipynb", as_version=4)
        errors = [o for c in executed.cells if c.cell_type == "code" for o in c.get("outputs", [])
                  if o.get("output_type") == "error"]
        assert not errors, f"{name}: {errors[0].get('ename')}: {errors[0].get('evalue')}"


# --- slides ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_solution_exports_to_slides(name, tmp_path):
    nb = nbformat.read(ROOT / "solutions" / f"{name}.ipynb", as_version=4)
    breaks = [c for c in nb.cells if c.metadata.get("slideshow", {}).get("slide_type") == "slide"]
    assert len(breaks) >= 3, "slide breaks belong at the section headings of the source"
    run = subprocess.run(
        [sys.executable, "-m", "jupyter", "nbconvert", "--to", "slides", f"--output-dir={tmp_path}",
         str(ROOT / "solutions" / f"{name}.ipynb")], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-3000:]
    html = (tmp_path / f"{name}.slides.html").read_text()
    assert len(html) > 20_000
    assert html.count("<section") >= len(breaks)
    assert "data:image/png;base64" in html, "the slides lost the figures"
