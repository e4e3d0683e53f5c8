"""Integrity of the committed notebooks: ``notebooks/`` and ``solutions/``.

For every source ``tutorials/NN_name.py``:

* both notebooks exist and are valid nbformat;
* ``python tools/build.py --check`` passes (they are what the source builds);
* the exercise notebook has no outputs, execution counts or widget state, and
  contains no line of solution code;
* the exercise notebook runs top to bottom in a fresh kernel (cwd
  ``notebooks/``) without an error: unsolved exercises fall back;
* the solution notebook was executed top to bottom and holds its outputs.

Solution *outputs* are compared by nbval, separately:
``pytest --nbval --nbval-current-env solutions/``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
BUILD_PY = ROOT / "tools" / "build.py"


from tools import build  # noqa: E402  (tests/conftest.py puts the repository first on sys.path)

SOURCES = build.find_sources(ROOT)
if not SOURCES:
    pytest.skip(
        "no tutorial sources tutorials/NN_name.py yet: no notebooks to check",
        allow_module_level=True,
    )
STEMS = [p.stem for p in SOURCES]
MIN_LINE = 12  # solution lines this short or shorter may legitimately recur


def _read(folder, stem):
    path = ROOT / folder / f"{stem}.ipynb"
    if not path.is_file():
        pytest.fail(f"{folder}/{stem}.ipynb is missing: run python tools/build.py {stem}", pytrace=False)
    return nbformat.read(path, as_version=4)


def exercise(stem):
    return _read(build.EXERCISE_DIR, stem)


def solution(stem):
    return _read(build.SOLUTION_DIR, stem)


@pytest.mark.parametrize("folder", [build.EXERCISE_DIR, build.SOLUTION_DIR])
@pytest.mark.parametrize("stem", STEMS)
def test_notebook_exists_and_is_valid(stem, folder):
    nb = _read(folder, stem)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert nb.metadata["language_info"]["name"] == "python"


def test_build_check_passes():
    result = subprocess.run(
        [sys.executable, str(BUILD_PY), "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    assert result.returncode == 0, f"tools/build.py --check failed:\n{result.stdout}{result.stderr}"


@pytest.mark.parametrize("stem", STEMS)
def test_exercise_has_no_outputs(stem):
    nb = exercise(stem)
    assert "widgets" not in nb.metadata, "exercise notebook carries widget state"
    dirty = [
        i
        for i, cell in enumerate(nb.cells, start=1)
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)
    ]
    assert not dirty, f"cells with outputs or execution counts: {dirty}"


def _outside_blocks(text):
    """The lines of a source outside its solution blocks (markers excluded)."""
    out, inside = [], False
    for line in text.splitlines():
        m = build.MARKER.match(line)
        if m:
            inside = m["kind"] == "BEGIN"
        elif not inside:
            out.append(line)
    return out


@pytest.mark.parametrize("stem", STEMS)
def test_exercise_has_no_solution_code(stem):
    """No line of a solution block (stripped, > 12 characters, not a comment)
    appears verbatim in the exercise notebook (``tests/test_exercises.py``
    also catches answers repeated with other names)."""
    text = (ROOT / build.SOURCE_DIR / f"{stem}.py").read_text(encoding="utf-8")
    # A line the source also writes, whole, outside every block (a generic loop
    # header such as `for t in range(1, T):`) is scaffolding, not the answer.
    shown = {line.strip() for line in _outside_blocks(text)}
    # the scaffold ('#>' lines) is shown on purpose: what is not the point
    shown |= {m["rest"].strip() for m in map(build.SCAFFOLD.match, text.splitlines()) if m}
    secret = []
    for line in build.solution_lines(text):
        line = line.strip()
        if len(line) > MIN_LINE and not line.startswith("#") and line not in secret and line not in shown:
            secret.append(line)
    nb = exercise(stem)
    leaks = [
        f"cell {i}: {line}"
        for i, cell in enumerate(nb.cells, start=1)
        for line in secret
        if line in cell.source and not cell.source.lstrip().startswith("<details")
    ]
    assert not leaks, (
        f"solution code in notebooks/{stem}.ipynb (lines of a solution block of "
        f"tutorials/{stem}.py longer than {MIN_LINE} characters; rephrase the copy "
        "outside the block, or move the line out of the block if it is not part "
        "of the answer):\n" + "\n".join(leaks)
    )
    for cell in nb.cells:
        assert build.BEGIN not in cell.source and build.END not in cell.source


@pytest.mark.parametrize("stem", STEMS)
def test_exercise_runs_top_to_bottom_and_falls_back(stem):
    """'Run all' on the untouched exercise notebook: no error; every check says
    "not done yet" (the scaffold's blanks), never ✅ or ❌, and every fallback
    says that the reference is used."""
    nb = exercise(stem)
    error = None
    try:
        build.execute(nb, ROOT / build.EXERCISE_DIR, name=f"{build.EXERCISE_DIR}/{stem}.ipynb")
    except build.BuildError as exc:
        error = str(exc)
    if error is not None:
        pytest.fail(f"'Run all' on the untouched exercise notebook stops:\n{error}", pytrace=False)
    checks_run = fallbacks = 0
    for i, cell in enumerate(nb.cells, start=1):
        if cell.cell_type != "code" or "checks.check_" not in cell.source:
            continue
        text = "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream")
        for line in text.splitlines():
            if line.startswith(("✅", "❌", "⏳")):
                checks_run += 1
                assert line.startswith("⏳") and "not done yet" in line, (
                    f"cell {i}: an untouched exercise should be 'not done yet', got: {line}")
        if "checks.fallback(" in cell.source:
            assert "Using the reference" in text, f"cell {i}: no fallback note in:\n{text}"
            fallbacks += 1
    assert checks_run >= 1 and fallbacks >= 1, f"{stem}: no check ran in the exercise notebook"


@pytest.mark.parametrize("stem", STEMS)
def test_solution_was_executed_with_outputs(stem):
    nb = solution(stem)
    counts = []
    for i, cell in enumerate(nb.cells, start=1):
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        if build.SKIP_TAG in cell.metadata.get("tags", []):
            continue
        assert cell.execution_count is not None, (
            f"solutions/{stem}.ipynb cell {i} was not executed: run python tools/build.py {stem}"
        )
        counts.append(cell.execution_count)
    assert counts == list(range(1, len(counts) + 1)), (
        f"solutions/{stem}.ipynb was not executed top to bottom in one fresh kernel: counts {counts}"
    )
    assert any(cell.get("outputs") for cell in nb.cells if cell.cell_type == "code"), (
        f"solutions/{stem}.ipynb has no outputs at all"
    )
    for i, cell in enumerate(nb.cells, start=1):
        if build.ERROR_TAG in cell.metadata.get("tags", []):
            continue
        for out in cell.get("outputs", []):
            assert out.output_type != "error", f"solutions/{stem}.ipynb cell {i} stored an error"
