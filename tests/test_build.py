"""Tests of the notebook build, ``tools/build.py``, on the fixtures in ``tests/data``.

Every test works on a copy of a fixture placed in a temporary tree
(``--root``), never on the repository's own ``tutorials/``. The fixtures
import only numpy, so the few tests that start a kernel stay fast.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
BUILD_PY = ROOT / "tools" / "build.py"


from tools import build  # noqa: E402  (tests/conftest.py puts the repository first on sys.path)

STUB = "raise NotImplementedError("


def make_tree(tmp_path, *fixtures):
    """A tree with ``tutorials/NN_<fixture>.py`` copies; returns its root."""
    root = tmp_path / "tree"
    (root / "tutorials").mkdir(parents=True)
    for i, fixture in enumerate(fixtures, start=1):
        shutil.copy(DATA / f"{fixture}.py", root / "tutorials" / f"{i:02d}_{fixture}.py")
    return root


def code_sources(nb):
    return [c.source for c in nb.cells if c.cell_type == "code"]


def cell_with(nb, text):
    hits = [c for c in nb.cells if text in c.source]
    assert len(hits) == 1, f"expected one cell containing {text!r}, found {len(hits)}"
    return hits[0]


@pytest.fixture(scope="module")
def demo():
    """Solution and exercise notebooks of the demo fixture, unexecuted."""
    return build.make_notebooks(DATA / "demo.py")


@pytest.fixture(scope="module")
def executed_tree(tmp_path_factory):
    """A tree with the demo fixture built once with execution (MPLBACKEND=Agg set)."""
    root = make_tree(tmp_path_factory.mktemp("executed"), "demo")
    saved = os.environ.get("MPLBACKEND")
    os.environ["MPLBACKEND"] = "Agg"
    try:
        assert build.main(["--root", str(root)]) == 0
    finally:
        if saved is None:
            del os.environ["MPLBACKEND"]
        else:
            os.environ["MPLBACKEND"] = saved
    assert os.environ.get("MPLBACKEND") == saved
    return root


# ------------------------------------------------------------ marker replacement


def test_simple_top_level_block_becomes_its_scaffold_at_column_zero():
    nb_solution, nb_exercise = build.make_notebooks(DATA / "top_level.py")
    cell = cell_with(nb_exercise, "values = np.arange(5)")
    assert cell.source.split("\n") == [
        "values = np.arange(5)",
        "running_total = ...  # the running sum of values",
    ]
    solution = cell_with(nb_solution, "values =").source
    assert "running_total = np.cumsum(values)" in solution
    assert "#>" not in solution  # the scaffold is the exercise's business only


def test_scaffold_in_function_keeps_indentation(demo):
    _, exercise = demo
    lines = cell_with(exercise, "def mean_rate").source.split("\n")
    i = lines.index('    """Mean firing rate in Hz of every neuron, shape (C,)."""')
    assert lines[i + 1] == "    counts_per_bin = ...  # (C,): mean count per bin of every neuron"
    assert lines[i + 2] == "    return ..."
    assert "Y.mean(axis=(0, 1))" not in "\n".join(lines)


def test_block_without_scaffold_becomes_a_raise_naming_the_function(demo):
    _, exercise = demo
    source = cell_with(exercise, "def count_and_rate").source
    lines = source.split("\n")
    stubs = [line for line in lines if STUB in line and "count_and_rate()" in line]
    assert [len(s) - len(s.lstrip()) for s in stubs] == [4, 8]
    # code between and after the blocks survives
    assert "    if total_spikes >= 0:" in lines
    assert "    return total_spikes, peak_rate_hz" in lines
    assert source.count(STUB) == 2


def test_scaffold_lines_keep_relative_indentation_everything_else_removed():
    source = "\n".join(
        [
            "def f(x):",
            "    ### BEGIN SOLUTION",
            "    #> for i in range(3):",
            "    #>     x = ...",
            "    #>",
            "    # an ordinary comment that gives the answer away",
            "    for i in range(3):",
            "        x = x + i",
            "    ### END SOLUTION",
            "    return x",
        ]
    )
    out, n = build.strip_solutions(source)
    assert n == 1
    assert out.split("\n") == [
        "def f(x):",
        "    for i in range(3):",
        "        x = ...",
        "",
        "    return x",
    ]
    ast.parse(out)
    shown = build.solution_source(source)
    assert "#>" not in shown and "x = x + i" in shown and build.BEGIN in shown
    assert build.solution_lines(source) == [
        "    # an ordinary comment that gives the answer away", "    for i in range(3):", "        x = x + i"]


def test_hint_lines_in_a_block_are_refused():
    source = "def f(x):\n    ### BEGIN SOLUTION\n    # HINT: the answer is x + 1\n    return x + 1\n    ### END SOLUTION"
    with pytest.raises(build.BuildError, match="<details>"):
        build.strip_solutions(source)


def test_tab_indentation_and_empty_block():
    out, n = build.strip_solutions("def g():\n\t### BEGIN SOLUTION\n\t### END SOLUTION\n\treturn 1")
    assert n == 1
    assert out.split("\n")[1].startswith("\traise NotImplementedError(")
    ast.parse(out)


def test_method_inside_class_is_named():
    source = "class Model:\n    def fit(self):\n        ### BEGIN SOLUTION\n        return 1\n        ### END SOLUTION\n"
    out, _ = build.strip_solutions(source)
    assert "implement fit()" in out


def test_solution_code_absent_from_exercise_and_present_in_solution(demo):
    solution, exercise = demo
    text = (DATA / "demo.py").read_text()
    secret = [line.strip() for line in build.solution_lines(text) if line.strip() and not line.strip().startswith("#")]
    assert "counts_per_bin = Y.mean(axis=(0, 1))" in secret
    assert "total_spikes = int(Y.sum())" in secret
    exercise_text = "\n".join(c.source for c in exercise.cells)
    solution_text = "\n".join(c.source for c in solution.cells)
    for line in secret:
        assert line not in exercise_text
        assert line in solution_text
    assert build.BEGIN not in exercise_text and build.END not in exercise_text
    # the solution notebook is the whole source: markers included
    assert build.BEGIN in solution_text and build.END in solution_text


def test_exercise_code_cells_are_valid_python(demo):
    _, exercise = demo
    for source in code_sources(exercise):
        ast.parse(source)


# ------------------------------------------------------------ refusals


@pytest.mark.parametrize(
    ("fixture", "line", "words"),
    [
        ("bad_nested", 9, "nested '### BEGIN SOLUTION': the block opened at line 7 is not closed"),
        ("bad_unterminated", 7, "unterminated '### BEGIN SOLUTION'"),
        ("bad_stray", 8, "stray '### END SOLUTION' without a '### BEGIN SOLUTION'"),
        ("bad_malformed", 3, "malformed solution marker '## BEGIN SOLUTION'"),
        ("bad_markdown", 4, "only allowed in code cells"),
        ("bad_expression", 4, "not valid Python"),
        ("bad_both_tags", 4, "tagged both 'solution-only' and 'exercise-only'"),
    ],
)
def test_bad_sources_are_refused_with_file_and_line(fixture, line, words):
    with pytest.raises(build.BuildError) as info:
        build.make_notebooks(DATA / f"{fixture}.py")
    message = str(info.value)
    assert f"{fixture}.py:{line}: " in message
    assert words in message


def test_block_may_not_span_cells():
    # bad_unterminated closes its block in the *next* cell: still refused
    text = (DATA / "bad_unterminated.py").read_text()
    assert text.count(build.BEGIN) == text.count(build.END) == 1
    with pytest.raises(build.BuildError, match="unterminated"):
        build.make_notebooks(DATA / "bad_unterminated.py")


@pytest.mark.parametrize(
    ("source", "words"),
    [
        ("### BEGIN SOLUTION\nx = 1\n### BEGIN SOLUTION\n### END SOLUTION", "nested"),
        ("x = 1\n### BEGIN SOLUTION\nx = 2", "unterminated"),
        ("x = 1\n### END SOLUTION", "stray"),
        ("x = 1  ### BEGIN SOLUTION\n### END SOLUTION", "malformed"),
        ("### BEGIN SOLUTION:\n### END SOLUTION", "malformed"),
        ("###BEGIN SOLUTION\n###END SOLUTION", "malformed"),
        ("### begin solution\n### end solution", "malformed"),
    ],
)
def test_cell_level_refusals(source, words):
    with pytest.raises(build.BuildError, match=words):
        build.strip_solutions(source, "cell")


def test_cli_reports_bad_source_with_exit_2(tmp_path, capsys):
    root = make_tree(tmp_path, "bad_nested")
    assert build.main(["--root", str(root), "--no-execute"]) == 2
    err = capsys.readouterr().err
    assert "01_bad_nested.py:9: nested" in err
    assert not (root / "notebooks").exists() or not list((root / "notebooks").iterdir())


# ------------------------------------------------------------ tags and metadata


def test_solution_only_and_exercise_only_cells(demo):
    solution, exercise = demo
    solution_text = "\n".join(c.source for c in solution.cells)
    exercise_text = "\n".join(c.source for c in exercise.cells)
    assert "instructor_secret_value" in solution_text
    assert "instructor_secret_value" not in exercise_text
    assert "Exercise-only note" in exercise_text
    assert "Exercise-only note" not in solution_text
    for nb in demo:
        for cell in nb.cells:
            tags = cell.metadata.get("tags", [])
            assert "solution-only" not in tags and "exercise-only" not in tags
            assert tags or "tags" not in cell.metadata  # no empty tag lists left behind


def test_other_tags_and_slide_metadata_survive(demo):
    for nb in demo:
        assert nb.cells[0].metadata == {"slideshow": {"slide_type": "slide"}}
        assert cell_with(nb, "rates = mean_rate(Y, dt)").metadata["tags"] == ["nbval-ignore-output", "check"]


def test_notebook_metadata_is_fixed_and_unpaired(demo):
    for nb in demo:
        assert nb.metadata["kernelspec"]["name"] == "python3"
        assert nb.metadata["language_info"]["name"] == "python"
        assert "version" not in nb.metadata["language_info"]
        assert "jupytext" not in nb.metadata  # no pairing, no jupytext version churn
        for cell in nb.cells:
            assert not set(cell.metadata) & set(build.JUPYTEXT_CELL_KEYS + build.RUNTIME_CELL_KEYS)
        nbformat.validate(nb)


def test_cell_ids_are_stable_unique_and_shared(tmp_path, demo):
    solution, exercise = demo
    ids = [c.id for c in solution.cells]
    assert len(set(ids)) == len(ids)
    shared = [c.id for c in exercise.cells if "Exercise-only" not in c.source]
    assert set(shared) <= set(ids)
    assert len(set(c.id for c in exercise.cells)) == len(exercise.cells)
    assert cell_with(solution, "def mean_rate").id == cell_with(exercise, "def mean_rate").id
    # editing one cell changes that cell's id only
    edited = tmp_path / "demo.py"
    edited.write_text((DATA / "demo.py").read_text().replace("Rates are counts per bin", "Rates are counts"))
    solution2, _ = build.make_notebooks(edited)
    changed = [a.id for a, b in zip(solution.cells, solution2.cells) if a.id != b.id]
    assert len(changed) == 1
    # repeated identical cells still get distinct ids
    twice = tmp_path / "twice.py"
    twice.write_text("# %%\nx = 1\n\n# %%\nx = 1\n")
    ids2 = [c.id for c in build.make_notebooks(twice)[0].cells]
    assert len(set(ids2)) == 2


# ------------------------------------------------------------ writing, determinism


def test_no_execute_build_is_deterministic(tmp_path):
    root = make_tree(tmp_path, "demo", "top_level")
    assert build.main(["--root", str(root), "--no-execute"]) == 0
    files = sorted(root.glob("*/*.ipynb"))
    assert [p.relative_to(root).as_posix() for p in files] == [
        "notebooks/01_demo.ipynb",
        "notebooks/02_top_level.ipynb",
        "solutions/01_demo.ipynb",
        "solutions/02_top_level.ipynb",
    ]
    first = {p: p.read_bytes() for p in files}
    for p in files:
        p.unlink()
    assert build.main(["--root", str(root), "--no-execute"]) == 0
    assert {p: p.read_bytes() for p in files} == first
    for data in first.values():
        assert data.endswith(b"}\n")
        nbformat.validate(nbformat.reads(data.decode(), as_version=4))


def test_exercise_notebook_has_no_outputs_counts_or_widget_state(executed_tree):
    nb = nbformat.read(executed_tree / "notebooks" / "01_demo.ipynb", as_version=4)
    nbformat.validate(nb)
    assert "widgets" not in nb.metadata
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == []
            assert cell.execution_count is None


def test_solution_is_executed_in_solutions_dir_without_mplbackend(executed_tree):
    nb = nbformat.read(executed_tree / "solutions" / "01_demo.ipynb", as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1))
    first = "".join(o.get("text", "") for o in code[0].outputs)
    assert first.startswith("working directory: solutions; MPLBACKEND: ")
    # the build's MPLBACKEND=Agg does not reach the kernel (ipykernel picks its inline backend)
    assert first.split("MPLBACKEND: ")[1].strip() in ("None", "module://matplotlib_inline.backend_inline")
    check = cell_with(nb, "rates = mean_rate(Y, dt)")
    assert "your implementation is used" in "".join(o.get("text", "") for o in check.outputs)
    assert "version" not in nb.metadata["language_info"]
    for cell in code:
        assert "execution" not in cell.metadata


def test_executed_build_is_deterministic(executed_tree, tmp_path):
    copy = tmp_path / "again"
    shutil.copytree(executed_tree, copy)
    before = {p.relative_to(copy): p.read_bytes() for p in copy.glob("*/*.ipynb")}
    for p in copy.glob("*/*.ipynb"):
        p.unlink()
    assert build.main(["--root", str(copy)]) == 0
    after = {p.relative_to(copy): p.read_bytes() for p in copy.glob("*/*.ipynb")}
    assert after == before


def test_exercise_notebook_runs_top_to_bottom(executed_tree):
    nb = nbformat.read(executed_tree / "notebooks" / "01_demo.ipynb", as_version=4)
    build.execute(nb, executed_tree / "notebooks", name="exercise")
    check = cell_with(nb, "rates = mean_rate(Y, dt)")
    text = "".join(o.get("text", "") for o in check.outputs)
    assert "not implemented yet, using the reference" in text


def test_failed_execution_exits_2_and_keeps_old_solution(tmp_path, capsys):
    root = make_tree(tmp_path, "top_level")
    src = root / "tutorials" / "01_top_level.py"
    assert build.main(["--root", str(root), "--no-execute"]) == 0
    old = (root / "solutions" / "01_top_level.ipynb").read_bytes()
    src.write_text(src.read_text() + '\n# %%\nraise ValueError("boom in the solution")\n')
    assert build.main(["--root", str(root)]) == 2
    err = capsys.readouterr().err
    assert "01_top_level.py" in err and "boom in the solution" in err
    assert (root / "solutions" / "01_top_level.ipynb").read_bytes() == old


def test_widget_model_ids_are_renumbered():
    a, b, c = "a" * 32, "0123456789abcdef" * 2, "f" * 32
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("ui")
    cell.outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={"application/vnd.jupyter.widget-view+json": {"model_id": b, "version_major": 2, "version_minor": 0}},
        )
    ]
    nb.cells = [cell]
    nb.metadata["widgets"] = {
        build.WIDGET_STATE_MIME: {
            "state": {b: {"state": {"children": [f"IPY_MODEL_{a}"]}}, a: {"state": {"layout": f"IPY_MODEL_{c}"}}, c: {}},
            "version_major": 2,
            "version_minor": 0,
        }
    }
    out = build._renumber_widgets(nb)
    one, two, three = (f"{n:032x}" for n in (1, 2, 3))
    assert out.cells[0].outputs[0].data["application/vnd.jupyter.widget-view+json"]["model_id"] == one
    state = out.metadata["widgets"][build.WIDGET_STATE_MIME]["state"]
    assert state[one]["state"]["children"] == [f"IPY_MODEL_{two}"]
    assert state[two]["state"]["layout"] == f"IPY_MODEL_{three}"
    assert set(state) == {one, two, three}


# ------------------------------------------------------------ --check


@pytest.fixture
def fresh_tree(executed_tree, tmp_path):
    root = tmp_path / "fresh"
    shutil.copytree(executed_tree, root)
    return root


def run_check(root, capsys, *names):
    status = build.main(["--root", str(root), "--check", *names])
    captured = capsys.readouterr()
    return status, captured.out + captured.err


def test_check_passes_on_fresh_build(fresh_tree, capsys):
    status, out = run_check(fresh_tree, capsys)
    assert status == 0, out
    assert "in sync" in out


def test_check_passes_on_unexecuted_solution(tmp_path, capsys):
    root = make_tree(tmp_path, "demo")
    assert build.main(["--root", str(root), "--no-execute"]) == 0
    assert run_check(root, capsys)[0] == 0  # outputs are nbval's business


def edit_json(path, change):
    nb = json.loads(path.read_text())
    change(nb)
    path.write_text(json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n")


def test_check_detects_modified_exercise(fresh_tree, capsys):
    path = fresh_tree / "notebooks" / "01_demo.ipynb"
    edit_json(path, lambda nb: nb["cells"][1]["source"].append("\nprint('edited')"))
    status, out = run_check(fresh_tree, capsys)
    assert status == 1
    assert "notebooks/01_demo.ipynb: differs from tutorials/01_demo.py (cell 2: source differs)" in out
    assert "solutions/01_demo.ipynb" not in out


def test_check_compares_exercise_bytes_exactly(fresh_tree, capsys):
    path = fresh_tree / "notebooks" / "01_demo.ipynb"
    path.write_bytes(path.read_bytes().rstrip(b"\n"))  # same JSON, other bytes
    status, out = run_check(fresh_tree, capsys)
    assert status == 1 and "notebooks/01_demo.ipynb" in out


def test_check_detects_exercise_with_outputs(fresh_tree, capsys):
    path = fresh_tree / "notebooks" / "01_demo.ipynb"
    edit_json(path, lambda nb: nb["cells"][1].update(execution_count=1))
    status, out = run_check(fresh_tree, capsys)
    assert status == 1 and "execution_count differs" in out


def test_check_detects_modified_solution_source_and_tags(fresh_tree, capsys):
    path = fresh_tree / "solutions" / "01_demo.ipynb"
    original = path.read_bytes()
    edit_json(path, lambda nb: nb["cells"][1]["source"].append("\nprint('edited')"))
    status, out = run_check(fresh_tree, capsys)
    assert status == 1
    assert "solutions/01_demo.ipynb: differs from tutorials/01_demo.py (cell 2: source differs)" in out
    path.write_bytes(original)
    edit_json(path, lambda nb: nb["cells"][1]["metadata"].update(tags=["nbval-ignore-output"]))
    status, out = run_check(fresh_tree, capsys)
    assert status == 1 and "cell 2: metadata differs" in out


def test_check_ignores_solution_outputs_and_counts(fresh_tree, capsys):
    path = fresh_tree / "solutions" / "01_demo.ipynb"

    def change(nb):
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                cell["outputs"] = []
                cell["execution_count"] = 99

    edit_json(path, change)
    assert run_check(fresh_tree, capsys)[0] == 0


def test_check_detects_source_edit_missing_and_orphan_notebooks(fresh_tree, capsys):
    src = fresh_tree / "tutorials" / "01_demo.py"
    src.write_text(src.read_text().replace("Rates are counts per bin", "Rates are counts"))
    status, out = run_check(fresh_tree, capsys)
    assert status == 1
    assert "notebooks/01_demo.ipynb: differs" in out and "solutions/01_demo.ipynb: differs" in out
    (fresh_tree / "solutions" / "01_demo.ipynb").unlink()
    (fresh_tree / "notebooks" / "99_gone.ipynb").write_text("{}")
    status, out = run_check(fresh_tree, capsys)
    assert status == 1
    assert "solutions/01_demo.ipynb: missing" in out
    assert "notebooks/99_gone.ipynb: no source tutorials/99_gone.py" in out


# ------------------------------------------------------------ command line


def test_names_select_tutorials(tmp_path, capsys):
    root = make_tree(tmp_path, "demo", "top_level")
    assert build.main(["--root", str(root), "--no-execute", "02"]) == 0
    assert sorted(p.name for p in (root / "notebooks").iterdir()) == ["02_top_level.ipynb"]
    assert build.main(["--root", str(root), "--no-execute", "tutorials/01_demo.py", "01_demo"]) == 0
    assert sorted(p.name for p in (root / "notebooks").iterdir()) == ["01_demo.ipynb", "02_top_level.ipynb"]
    capsys.readouterr()
    assert build.main(["--root", str(root), "--no-execute", "03_nothing"]) == 2
    assert "no single tutorial matches '03_nothing'" in capsys.readouterr().err


def test_command_line_end_to_end(tmp_path):
    root = make_tree(tmp_path, "demo")

    def run(*args):
        return subprocess.run(
            [sys.executable, str(BUILD_PY), "--root", str(root), *args],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=600,
        )

    first = run("--check")
    assert first.returncode == 1 and "notebooks/01_demo.ipynb: missing" in first.stderr
    built = run("--no-execute")
    assert built.returncode == 0, built.stderr
    assert "wrote notebooks/01_demo.ipynb" in built.stdout
    assert run("--check").returncode == 0


def test_unchanged_files_are_not_rewritten(tmp_path, capsys):
    root = make_tree(tmp_path, "demo")
    assert build.main(["--root", str(root), "--no-execute"]) == 0
    path = root / "notebooks" / "01_demo.ipynb"
    os.utime(path, (1, 1))
    capsys.readouterr()
    assert build.main(["--root", str(root), "--no-execute"]) == 0
    assert "unchanged notebooks/01_demo.ipynb" in capsys.readouterr().out
    assert path.stat().st_mtime == 1


def test_module_docstring_documents_usage():
    doc = build.__doc__
    for usage in ("python tools/build.py", "--no-execute", "--check", "--root", "#>", "solution-only", "exercise-only"):
        assert usage in doc
