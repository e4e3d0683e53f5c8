"""One-click launch and slides: Colab setup cell, badges, Binder, reveal.js.

* The Colab setup cell installs ``helpers`` only where ``google.colab`` is
  imported, enables Colab's widget manager only with ipywidgets 8, and does
  nothing anywhere else (tested by simulating the module).
* The repository address is written once (pyproject.toml); the badges and
  the Colab install line are derived from it.
* The README's first command works on a machine with only Python: run
  verbatim (but ``jupyter lab --version`` for the last step) in a fresh copy
  of the checkout, it creates ``.venv``, installs ``helpers`` editable and
  writes nothing else into the checkout; that environment (what Binder
  builds from ``requirements.txt``) executes every solution notebook.

Slides: ``tests/test_slides.py``.
"""

import json
import os
import subprocess
import sys
import types
from pathlib import Path

import nbformat
import pytest

from tools import launch

ROOT = Path(__file__).resolve().parents[1]

NAMES = sorted(p.stem for p in (ROOT / "tutorials").glob("[0-9][0-9]_*.py"))
REPO, BRANCH = launch.repository(ROOT)


def test_the_core_series_comes_first():
    # the six core notebooks, in order; bonus notebooks (07_real_data, ...) may follow
    assert NAMES[:6] == ["01_simulate", "02_forward_backward", "03_m_step", "04_em", "05_why_em_climbs",
                         "06_checking_the_model"]


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


def _readme_command(marker):
    """The command between ``<!-- marker -->`` and ``<!-- /marker -->`` in the README."""
    text = (ROOT / "README.md").read_text()
    block = text.split(f"<!-- {marker} -->", 1)[1].split(f"<!-- /{marker} -->", 1)[0]
    lines = [line.strip() for line in block.splitlines()
             if line.strip() and not line.strip().startswith("```")]
    assert len(lines) == 1, f"README {marker}: expected one command line, got {lines}"
    return lines[0]


def _fresh_copy(dest):
    """What a fresh clone holds: the tracked files and the new ones git would show."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True, text=True, check=True).stdout.split("\0")
    for rel in filter(None, listed):
        src = ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            (dest / rel).write_bytes(src.read_bytes())
    return {rel for rel in listed if rel and (ROOT / rel).is_file()}


def test_readme_setup_command_works_on_a_bare_machine_and_runs_every_solution(tmp_path):
    """README command 1, verbatim, in a fresh copy: venv, editable helpers, clean checkout, all solutions run."""
    command = _readme_command("setup-command")
    assert command.endswith("jupyter lab notebooks/"), command
    assert "venv" in command and "requirements.txt" in command, command
    checkout = tmp_path / "checkout"
    before = _fresh_copy(checkout)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTHON", "JUPYTER", "VIRTUAL_ENV", "PIP_"))}
    env.update(PIP_DISABLE_PIP_VERSION_CHECK="1", JUPYTER_PLATFORM_DIRS="1",
               JUPYTER_DATA_DIR=str(tmp_path / "jdata"), JUPYTER_CONFIG_DIR=str(tmp_path / "jcfg"),
               PATH=os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if ".venv" not in p))
    runnable = command[: -len("jupyter lab notebooks/")] + "jupyter lab --version"
    setup = subprocess.run(["bash", "-c", runnable], cwd=checkout, env=env, capture_output=True, text=True)
    assert setup.returncode == 0, setup.stdout[-3000:] + setup.stderr[-3000:]
    py = checkout / ".venv" / "bin" / "python"
    probe = subprocess.run(
        [str(py), "-c", "import json, sys, helpers, importlib.metadata as md, jupyter_client; "
         "from jupyter_client.kernelspec import KernelSpecManager as M; "
         "d = md.distribution('em-spiking-hmm-helpers'); "
         "print(json.dumps([sys.prefix, helpers.__file__, str(d.locate_file('')), "
         "M().get_kernel_spec('python3').argv[0]]))"],
        cwd=tmp_path, env=env, capture_output=True, text=True)
    assert probe.returncode == 0, probe.stderr
    prefix, helpers_file, dist_dir, kernel_python = json.loads(probe.stdout)
    assert Path(prefix).resolve() == (checkout / ".venv").resolve()
    # editable: the package is the checkout's own helpers/, registered in the venv
    assert Path(helpers_file).resolve() == (checkout / "helpers" / "__init__.py").resolve()
    assert Path(dist_dir).resolve().is_relative_to((checkout / ".venv").resolve())
    # nothing but .venv/ was written into the checkout (no build/, no *.egg-info;
    # Python's own __pycache__ of the import above does not count)
    after = {str(p.relative_to(checkout)) for p in checkout.rglob("*")
             if p.is_file() and not {".venv", "__pycache__"} & set(p.relative_to(checkout).parts)}
    assert after == before, f"the install wrote into the checkout: {sorted(after - before)[:10]}"
    env["PATH"] = f"{py.parent}{os.pathsep}{env['PATH']}"
    for name in NAMES:
        out = tmp_path / "out"
        run = subprocess.run(
            [str(py), "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
             f"--output-dir={out}", "--ExecutePreprocessor.timeout=300", f"{name}.ipynb"],
            cwd=checkout / "solutions", env=env, capture_output=True, text=True)
        assert run.returncode == 0, f"{name}: {run.stderr[-3000:]}"
        executed = nbformat.read(out / f"{name}.ipynb", as_version=4)
        errors = [o for c in executed.cells if c.cell_type == "code" for o in c.get("outputs", [])
                  if o.get("output_type") == "error"]
        assert not errors, f"{name}: {errors[0].get('ename')}: {errors[0].get('evalue')}"
