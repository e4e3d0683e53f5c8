"""Build the exercise and solution notebooks from the tutorial sources.

Usage::

    python tools/build.py                       # every tutorials/NN_name.py
    python tools/build.py 02_forward_backward   # only these (also: 02, tutorials/02_forward_backward.py)
    python tools/build.py --no-execute          # fast: solutions written without outputs
    python tools/build.py --check               # exit 1 if a committed notebook is out of date
    python tools/build.py --root DIR            # work on the tree at DIR (default: this repository)
    python tools/build.py --slides [NAMES]      # offline reveal.js decks of the solutions, in slides/

Typical loop: edit ``tutorials/NN_name.py``; ``python tools/build.py NN_name
--no-execute`` to look at the exercise notebook quickly; ``python
tools/build.py NN_name`` before committing (solutions need their outputs);
CI runs ``python tools/build.py --check`` and ``python -m pytest --nbval
--nbval-current-env solutions/``.

For every source ``tutorials/NN_name.py`` (jupytext "percent" format) the build
writes

* ``solutions/NN_name.ipynb``: the whole source, executed top to bottom in a
  fresh ``python3`` kernel with the working directory ``solutions/`` (300 s per
  cell, ``MPLBACKEND`` unset so figures use the inline backend), outputs kept;
* ``notebooks/NN_name.ipynb``: the exercise version, never executed, with no
  outputs, execution counts or widget state.

Writing a source
----------------

* Cells: ``# %%`` code, ``# %% [markdown]`` markdown; metadata on the cell line
  survives, e.g. ``# %% tags=["nbval-ignore-output"]`` or
  ``# %% [markdown] slideshow={"slide_type": "slide"}``.
* What students write is marked, in code cells only, by the two lines
  ``### BEGIN SOLUTION`` and ``### END SOLUTION`` (any indentation, nothing
  else on the line). The solution notebook keeps the block (markers included)
  minus its scaffold lines; the exercise notebook gets the block's scaffold.
* Scaffold: lines of a block that start (after indentation) with ``#>``. In
  the exercise the block is replaced by these lines with ``#>`` and one space
  removed, so ``    #>     a = ...`` becomes ``        a = ...``: write what is
  not the point (allocations, a loop header, the shapes in comments) and leave
  the key expressions as ``...`` for the student. An untouched scaffold still
  runs into the check, which reports "not done yet". A block without scaffold
  lines becomes ``raise NotImplementedError("Exercise: implement NAME() —
  replace this line with your code")`` (NAME is the enclosing function;
  outside a function the message says "complete this cell"). Put blocks
  inside functions and call them through a check with a fallback: a bare
  top-level block would stop "Run all".
* Hints are not code: they live in markdown cells as collapsed
  ``<details><summary>Hint 1 ...</summary> ... </details>`` blocks. A
  ``# HINT:`` line in a block (the old way, which put hints on screen) is
  refused.
* Refused, with ``file:line``: nested, unterminated (also: a block running
  into the next cell) and stray (END without BEGIN) markers, marker-like lines
  that are not exactly a marker (``## BEGIN SOLUTION``, ``### BEGIN SOLUTION:``),
  markers in markdown cells, and an exercise cell that no longer parses.
* Tags ``solution-only`` (cell left out of the exercise notebook) and
  ``exercise-only`` (left out of the solution notebook); both tags are removed
  from the generated notebooks, every other tag and metadata key is kept.

Output format (deterministic: building twice gives identical bytes)
--------------------------------------------------------------------

* cell ids are derived from the cell's type and source (a counter suffix for
  repeats), so editing one cell changes only that cell's id, and a cell has
  the same id in both notebooks;
* notebook metadata: the source's own (header) metadata minus ``jupytext``,
  plus a fixed ``kernelspec`` (python3) and ``language_info`` (no version);
  no jupytext pairing information is written: conversion goes one way only,
  ``.py`` -> ``.ipynb``, and the ``.ipynb`` files are never edited by hand;
* no execution timestamps; jupytext's layout keys (``lines_to_next_cell``...)
  are dropped; widget model ids in solutions are renumbered in order of
  appearance; consecutive stream outputs are merged (how a cell's prints are
  split into outputs depends on timing);
* files are written as ``nbformat.writes`` does (sorted keys, indent 1) plus a
  final newline, after ``nbformat.validate``; unchanged files are not touched.

``--check`` builds in memory without executing and fails (exit 1, listing the
files) when ``notebooks/NN_name.ipynb`` is not byte-identical to the build, or
when ``solutions/NN_name.ipynb`` differs in anything but outputs, execution
counts and widget state (cell ids, types, sources, metadata, notebook
metadata); it also lists notebooks without a source. Outputs of solutions are
nbval's business (``pytest --nbval --nbval-current-env solutions/``).

Exit status: 0 success, 1 ``--check`` found out-of-date notebooks, 2 a bad
source, a failed execution or bad arguments.
"""

from __future__ import annotations

import argparse
import ast
import copy
import hashlib
import json
import os
import re
import sys
from pathlib import Path
from typing import NamedTuple

import jupytext
import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import launch  # noqa: E402  (tools/launch.py: repository address, Colab cell, badges)

REPO_ROOT = Path(__file__).resolve().parent.parent

SOURCE_DIR = "tutorials"
EXERCISE_DIR = "notebooks"
SOLUTION_DIR = "solutions"
SOURCE_NAME = re.compile(r"^\d+_[A-Za-z0-9_]+\.py$")

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
MARKER = re.compile(r"^(?P<indent>[ \t]*)### (?P<kind>BEGIN|END) SOLUTION[ \t]*$")
MARKER_LIKE = re.compile(r"\b(BEGIN|END)[ _]*SOLUTION\b", re.IGNORECASE)
HINT_PREFIX = "# HINT:"  # refused: hints live in collapsed markdown
SCAFFOLD = re.compile(r"^(?P<indent>[ \t]*)#>(?: |$)(?P<rest>.*)$")
DEF_LINE = re.compile(r"^[ \t]*(?:async[ \t]+)?def[ \t]+(?P<name>\w+)")
# jupytext's percent-format cell lines: "# %%", "# %% [markdown] key=value ..."
CELL_LINE = re.compile(r"^\s*#\s*%%(?:%*)(?:\s(?P<rest>.*))?$")

SOLUTION_ONLY = "solution-only"
EXERCISE_ONLY = "exercise-only"
SKIP_TAG = "skip-execution"  # nbclient does not run cells with this tag
ERROR_TAG = "raises-exception"  # nbclient lets cells with this tag fail

CELL_TIMEOUT = 300  # seconds per cell
KERNEL_NAME = "python3"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
LANGUAGE_INFO = {
    "codemirror_mode": {"name": "ipython", "version": 3},
    "file_extension": ".py",
    "mimetype": "text/x-python",
    "name": "python",
    "nbconvert_exporter": "python",
    "pygments_lexer": "ipython3",
}
# jupytext's own layout hints: meaningless in a notebook, and they churn.
JUPYTEXT_CELL_KEYS = (
    "cell_marker",
    "lines_to_next_cell",
    "lines_to_end_of_cell_marker",
    "region_name",
    "skipline",
    "noskipline",
)
# Written by a kernel or a front end at run time: per-run noise.
RUNTIME_CELL_KEYS = ("execution", "ExecuteTime", "trusted")
WIDGET_STATE_MIME = "application/vnd.jupyter.widget-state+json"


class BuildError(Exception):
    """A source cannot be built; the message names the file (and line)."""


def source_error(path, line, message):
    """A :class:`BuildError` formatted ``path:line: message``."""
    where = _display(path) if line is None else f"{_display(path)}:{line}"
    return BuildError(f"{where}: {message}")


def _display(path):
    """``path`` relative to the working directory if below it (strings as given)."""
    if not isinstance(path, Path):
        return str(path)
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


# ---------------------------------------------------------------- markers


class Block(NamedTuple):
    """One marked solution block: line indices (0-based) of its markers."""

    begin: int
    end: int
    indent: str


def find_blocks(lines, path="<source>", first_line=1):
    """Find the solution blocks in the lines of one code cell.

    Parameters
    ----------
    lines : list of str
        The cell's lines, without line ends.
    path : str or Path
        For error messages.
    first_line : int or None
        1-based line number of ``lines[0]`` in ``path`` (``None``: unknown).

    Returns
    -------
    list of Block

    Raises
    ------
    BuildError
        On nested, unterminated or stray markers and on marker-like lines.
    """

    def where(i):
        return None if first_line is None else first_line + i

    blocks = []
    open_at = None
    indent = ""
    for i, line in enumerate(lines):
        m = MARKER.match(line)
        if m is None:
            if open_at is not None and line.strip().startswith(HINT_PREFIX):
                raise source_error(
                    path,
                    where(i),
                    f"{HINT_PREFIX!r} lines would show hints in the exercise cell: write the hints "
                    "as collapsed <details><summary>Hint N</summary> ... </details> blocks in a "
                    "markdown cell, and the scaffold as '#>' lines",
                )
            if MARKER_LIKE.search(line):
                raise source_error(
                    path,
                    where(i),
                    f"malformed solution marker {line.strip()!r}: write exactly "
                    f"{BEGIN!r} or {END!r} alone on its line",
                )
            continue
        if m["kind"] == "BEGIN":
            if open_at is not None:
                opened = f"line {open_at + 1} of the cell" if first_line is None else f"line {where(open_at)}"
                raise source_error(path, where(i), f"nested {BEGIN!r}: the block opened at {opened} is not closed")
            open_at, indent = i, m["indent"]
        else:
            if open_at is None:
                raise source_error(path, where(i), f"stray {END!r} without a {BEGIN!r} before it")
            blocks.append(Block(open_at, i, indent))
            open_at = None
    if open_at is not None:
        raise source_error(
            path,
            where(open_at),
            f"unterminated {BEGIN!r}: no {END!r} before the end of the cell",
        )
    return blocks


def scan_source(text, path):
    """Check the markers of a whole percent-format source, with line numbers.

    The file is cut at its ``# %%`` lines; code cells are checked with
    :func:`find_blocks`, markdown and raw cells must not mention markers.

    Returns
    -------
    list of int
        1-based line numbers of the ``# %%`` lines.
    """
    from jupytext.stringparser import StringParser

    lines = text.splitlines()
    parser = StringParser("python")
    starts = []
    for i, line in enumerate(lines):
        quoted = parser.is_quoted()
        parser.read_line(line)
        if not quoted and i > 0 and CELL_LINE.match(line):
            starts.append(i)
    bounds = list(zip([0] + starts, starts + [len(lines)]))
    for lo, hi in bounds:
        if lo == hi:
            continue
        header = CELL_LINE.match(lines[lo])
        is_code = True
        if header is not None:
            rest = (header["rest"] or "").strip()
            is_code = not re.match(r"^\[(markdown|md|raw)\]", rest)
            body_lo = lo + 1
        else:
            body_lo = lo  # text before the first cell line (header, or a first cell)
        body = lines[body_lo:hi]
        if is_code:
            find_blocks(body, path, first_line=body_lo + 1)
        else:
            for i, line in enumerate(body):
                if MARKER_LIKE.search(line):
                    raise source_error(
                        path,
                        body_lo + i + 1,
                        "solution markers are only allowed in code cells",
                    )
    return [i + 1 for i in starts] if lines and not CELL_LINE.match(lines[0]) else [1] + [i + 1 for i in starts]


def enclosing_function(lines, i, indent):
    """Name of the function whose body contains line ``i``, or None."""
    level = len(indent.expandtabs())
    for line in reversed(lines[:i]):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        width = len(line[: len(line) - len(line.lstrip())].expandtabs())
        if width < level:
            m = DEF_LINE.match(line)
            if m:
                return m["name"]
            level = width
            if level == 0:
                return None
    return None


def scaffold_lines(lines, block):
    """The scaffold lines of ``block`` (``#>`` removed), or an empty list."""
    out = []
    for line in lines[block.begin + 1 : block.end]:
        m = SCAFFOLD.match(line)
        if m:
            out.append((m["indent"] + m["rest"]).rstrip())
    return out


def stub_lines(lines, block):
    """What replaces ``block`` in the exercise: its scaffold, or a raise."""
    scaffold = scaffold_lines(lines, block)
    if scaffold:
        return scaffold
    name = enclosing_function(lines, block.begin, block.indent)
    task = f"implement {name}()" if name else "complete this cell"
    message = f"Exercise: {task} — replace this line with your code"
    return [f"{block.indent}raise NotImplementedError({json.dumps(message, ensure_ascii=False)})"]


def solution_source(source):
    """A code cell's source as the solution notebook shows it: scaffold lines removed."""
    lines = source.split("\n")
    out, inside = [], False
    for line in lines:
        m = MARKER.match(line)
        if m:
            inside = m["kind"] == "BEGIN"
        elif inside and SCAFFOLD.match(line):
            continue
        out.append(line)
    return "\n".join(out)


def strip_solutions(source, path="<source>", first_line=None):
    """Replace every solution block of one code cell by its stub.

    Returns
    -------
    (str, int)
        The exercise source and the number of blocks replaced.
    """
    lines = source.split("\n")
    blocks = find_blocks(lines, path, first_line=first_line)
    out = []
    pos = 0
    for block in blocks:
        out.extend(lines[pos : block.begin])
        out.extend(stub_lines(lines, block))
        pos = block.end + 1
    out.extend(lines[pos:])
    return "\n".join(out), len(blocks)


def solution_lines(text):
    """Every answer line inside a solution block of a source text (markers and scaffold excluded).

    Used by the tests to prove that no solution code reaches a notebook.
    """
    lines = text.splitlines()
    out = []
    inside = False
    for line in lines:
        m = MARKER.match(line)
        if m:
            inside = m["kind"] == "BEGIN"
            continue
        if inside and not SCAFFOLD.match(line):
            out.append(line)
    return out


# ---------------------------------------------------------------- building


def _tags(cell):
    return list(cell.metadata.get("tags", []))


def _clean_metadata(metadata, drop_tags=()):
    md = copy.deepcopy(dict(metadata))
    for key in JUPYTEXT_CELL_KEYS + RUNTIME_CELL_KEYS:
        md.pop(key, None)
    if "tags" in md:
        tags = [t for t in md["tags"] if t not in drop_tags]
        if tags:
            md["tags"] = tags
        else:
            del md["tags"]
    return md


def _cell_ids(cells):
    """Deterministic ids from each cell's type and source."""
    seen = {}
    ids = []
    for cell in cells:
        digest = hashlib.sha1(f"{cell.cell_type}\0{cell.source}".encode()).hexdigest()[:12]
        n = seen.get(digest, 0) + 1
        seen[digest] = n
        ids.append(digest if n == 1 else f"{digest}-{n}")
    return ids


def _notebook_metadata(source_nb):
    md = {
        k: copy.deepcopy(v)
        for k, v in source_nb.metadata.items()
        if k not in ("jupytext", "kernelspec", "language_info", "widgets")
    }
    md["kernelspec"] = dict(KERNELSPEC)
    md["language_info"] = copy.deepcopy(LANGUAGE_INFO)
    return md


def _new_cell(cell_type, source, metadata, cell_id):
    if cell_type == "code":
        cell = nbformat.v4.new_code_cell(source=source, metadata=metadata)
    elif cell_type == "markdown":
        cell = nbformat.v4.new_markdown_cell(source=source, metadata=metadata)
    else:
        cell = nbformat.v4.new_raw_cell(source=source, metadata=metadata)
    cell["id"] = cell_id
    return cell


def _parses(source):
    """True if the IPython cell source is valid Python after magic transforms."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        code = TransformerManager().transform_cell(source)
    except Exception:  # pragma: no cover - IPython missing or odd input
        code = source
    try:
        ast.parse(code)
    except SyntaxError:
        return False
    return True


def read_source(path):
    """Read and check a percent-format source.

    Returns
    -------
    (notebook, first_lines)
        The jupytext notebook, and for each of its cells the 1-based line
        number in ``path`` of the cell's first source line (None if unknown).
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    headers = scan_source(text, path)
    nb = jupytext.reads(text, fmt="py:percent")
    n = len(nb.cells)
    if n == len(headers):
        first_lines = [h + 1 for h in headers]
    elif n == len(headers) + 1:  # a first cell without a "# %%" line
        first_lines = [None] + [h + 1 for h in headers]
    else:  # pragma: no cover - jupytext cut the file differently
        first_lines = [None] * n
    return nb, first_lines


def make_notebooks(path):
    """Build both notebooks of one source, in memory, unexecuted.

    Returns
    -------
    (solution, exercise) : nbformat.NotebookNode
    """
    path = Path(path)
    src, first_lines = read_source(path)
    ids = _cell_ids(src.cells)
    solution_cells, exercise_cells = [], []
    for index, (cell, cell_id, first) in enumerate(zip(src.cells, ids, first_lines), start=1):
        tags = _tags(cell)
        header = None if first is None else first - 1
        if SOLUTION_ONLY in tags and EXERCISE_ONLY in tags:
            raise source_error(
                path, header, f"cell {index} is tagged both {SOLUTION_ONLY!r} and {EXERCISE_ONLY!r}"
            )
        metadata = _clean_metadata(cell.metadata, drop_tags=(SOLUTION_ONLY, EXERCISE_ONLY))
        where = path if first is not None else f"{_display(path)} (cell {index})"
        if cell.cell_type != "code":
            for line in cell.source.splitlines():
                if MARKER_LIKE.search(line):
                    raise source_error(where, header, "solution markers are only allowed in code cells")
        if EXERCISE_ONLY not in tags:
            if cell.cell_type == "code":
                find_blocks(cell.source.split("\n"), where, first_line=first)
            source = solution_source(cell.source) if cell.cell_type == "code" else cell.source
            solution_cells.append(_new_cell(cell.cell_type, source, metadata, cell_id))
        if SOLUTION_ONLY not in tags:
            source = cell.source
            if cell.cell_type == "code":
                source, n = strip_solutions(cell.source, where, first_line=first)
                if n and _parses(cell.source) and not _parses(source):
                    raise source_error(
                        where, header, f"the exercise version of cell {index} is not valid Python "
                        "(a solution block must hold whole statements)"
                    )
            exercise_cells.append(_new_cell(cell.cell_type, source, copy.deepcopy(metadata), cell_id))
    setup = _setup_cell(path.parent.parent)
    notebooks = []
    for cells in (solution_cells, exercise_cells):
        if setup is not None:  # first code cell, after the title cell
            at = 1 if cells and cells[0].cell_type == "markdown" else 0
            cells = cells[:at] + [copy.deepcopy(setup)] + cells[at:]
        nb = nbformat.v4.new_notebook(cells=cells, metadata=_notebook_metadata(src))
        nb.nbformat, nb.nbformat_minor = 4, 5
        notebooks.append(nb)
    return tuple(notebooks)


def _setup_cell(root):
    """The Colab setup cell for the tree at ``root``, or None if it names no repository."""
    try:
        repo, branch = launch.repository(root)
    except (OSError, KeyError):
        return None
    source = launch.setup_cell_source(repo, branch)
    return _new_cell("code", source, {"tags": [launch.SETUP_TAG]}, f"setup-{_short_hash(source)}")


def _short_hash(text):
    import hashlib

    return hashlib.sha1(text.encode()).hexdigest()[:8]


def readme_with_badges(root, sources):
    """README.md text with the badge table regenerated, or None without README/markers."""
    readme = Path(root) / "README.md"
    try:
        repo, branch = launch.repository(root)
        text = readme.read_text()
        return text, launch.update_readme(text, launch.badge_table(repo, branch, [p.stem for p in sources]))
    except (OSError, KeyError, ValueError):
        return None


def execute(nb, cwd, timeout=CELL_TIMEOUT, name="notebook"):
    """Execute ``nb`` in place in a fresh ``python3`` kernel with cwd ``cwd``.

    ``MPLBACKEND`` is removed from the kernel's environment so matplotlib uses
    the inline backend. Raises BuildError naming ``name`` if a cell fails.
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    saved = os.environ.pop("MPLBACKEND", None)
    try:
        client = NotebookClient(
            nb,
            timeout=timeout,
            kernel_name=KERNEL_NAME,
            resources={"metadata": {"path": str(cwd)}},
            record_timing=False,
            allow_errors=False,
        )
        client.execute()
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as exc:
        detail = ANSI_ESCAPE.sub("", str(exc))
        raise BuildError(f"executing {name} (cwd {_display(cwd)}) failed:\n{detail}") from None
    finally:
        if saved is not None:
            os.environ["MPLBACKEND"] = saved
    return nb


ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_HEX32 = re.compile(r"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])")


def _renumber_widgets(nb):
    """Replace random widget model ids by ones numbered in order of appearance."""
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE_MIME, {}).get("state", {})
    ids = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            view = out.get("data", {}).get("application/vnd.jupyter.widget-view+json")
            if view and view.get("model_id") and view["model_id"] not in ids:
                ids.append(view["model_id"])
    ids += [k for k in state if k not in ids]
    if not ids:
        return nb
    mapping = {old: f"{n:032x}" for n, old in enumerate(ids, start=1)}
    text = json.dumps(nb)
    text = _HEX32.sub(lambda m: mapping.get(m.group(0), m.group(0)), text)
    return nbformat.from_dict(json.loads(text))


def finish_solution(nb):
    """Remove per-run noise from an executed solution notebook."""
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = copy.deepcopy(LANGUAGE_INFO)
    if "widgets" in nb.metadata and not nb.metadata["widgets"].get(WIDGET_STATE_MIME, {}).get("state"):
        del nb.metadata["widgets"]
    for cell in nb.cells:
        for key in RUNTIME_CELL_KEYS:
            cell.metadata.pop(key, None)
        if cell.cell_type == "code":
            cell.outputs = _coalesce_streams(cell.outputs)
    return _renumber_widgets(nb)


def _coalesce_streams(outputs):
    """Merge consecutive stdout (or stderr) outputs: how a print splits depends on timing."""
    merged = []
    for out in outputs:
        prev = merged[-1] if merged else None
        if (out.get("output_type") == "stream" and prev is not None
                and prev.get("output_type") == "stream" and prev.get("name") == out.get("name")):
            prev["text"] = prev["text"] + out["text"]
        else:
            merged.append(out)
    return merged


def to_bytes(nb):
    """The normalised file contents of a notebook (validated)."""
    try:
        nbformat.validate(nb)
    except nbformat.ValidationError as exc:
        raise BuildError(f"generated notebook is not valid: {exc}") from None
    text = nbformat.writes(nb, version=4)
    if not text.endswith("\n"):
        text += "\n"
    return text.encode("utf-8")


def write_if_changed(path, data):
    """Write ``data`` to ``path`` unless identical; returns True if written."""
    path = Path(path)
    if path.exists() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return True


def solution_structure(nb):
    """What ``--check`` compares for solutions: all but outputs and counts."""
    metadata = {k: v for k, v in nb.get("metadata", {}).items() if k != "widgets"}
    cells = [
        {
            "id": cell.get("id"),
            "cell_type": cell.get("cell_type"),
            "source": cell.get("source"),
            "metadata": cell.get("metadata", {}),
            "attachments": cell.get("attachments"),
        }
        for cell in nb.get("cells", [])
    ]
    return {
        "nbformat": nb.get("nbformat"),
        "nbformat_minor": nb.get("nbformat_minor"),
        "metadata": metadata,
        "cells": cells,
    }


def _first_difference(expected, actual):
    """A short human description of where two structures differ."""
    if expected.get("metadata") != actual.get("metadata"):
        return "notebook metadata differs"
    ec, ac = expected.get("cells", []), actual.get("cells", [])
    for i, (e, a) in enumerate(zip(ec, ac), start=1):
        for key in ("cell_type", "source", "metadata", "id", "attachments", "outputs", "execution_count"):
            if e.get(key) != a.get(key):
                return f"cell {i}: {key} differs"
    if len(ec) != len(ac):
        return f"the notebook has {len(ac)} cells, the source builds {len(ec)}"
    return "format differs (not written by this build?)"


# ---------------------------------------------------------------- driver


def find_sources(root):
    """Every tutorial source ``tutorials/NN_name.py`` under ``root``, sorted."""
    folder = Path(root) / SOURCE_DIR
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and SOURCE_NAME.match(p.name))


def match_names(paths, names, what="tutorial"):
    """The paths that ``names`` pick, in the order named, without repeats.

    A name is ``NN_name``, ``NN`` or a path (its folder and a ``.py``,
    ``.ipynb`` or ``.html`` suffix are ignored). Raises ValueError, naming
    the known stems, if a name picks none or several.
    """
    chosen = []
    for name in names:
        stem = Path(str(name)).name
        for suffix in (".ipynb", ".py", ".html"):
            stem = stem[: -len(suffix)] if stem.endswith(suffix) else stem
        hits = [p for p in paths if p.stem == stem] or [p for p in paths if p.stem.split("_", 1)[0] == stem]
        if len(hits) != 1:
            known = ", ".join(p.stem for p in paths) or "none"
            raise ValueError(f"no single {what} matches {name!r} ({what}s: {known})")
        if hits[0] not in chosen:
            chosen.append(hits[0])
    return chosen


def select_sources(root, names):
    """The sources named on the command line (NN_name, NN, or a path); all if none."""
    sources = find_sources(root)
    if not names:
        return sources
    try:
        return match_names(sources, names)
    except ValueError as exc:
        raise BuildError(str(exc)) from None


def check(root, sources, report_orphans=True):
    """Compare committed notebooks with their sources; returns problem lines."""
    root = Path(root)
    problems = []
    for path in sources:
        solution, exercise = make_notebooks(path)
        ex_path = root / EXERCISE_DIR / f"{path.stem}.ipynb"
        so_path = root / SOLUTION_DIR / f"{path.stem}.ipynb"
        if not ex_path.exists():
            problems.append(f"{ex_path.relative_to(root)}: missing")
        else:
            data = ex_path.read_bytes()
            if data != to_bytes(exercise):
                try:
                    actual = json.loads(data)
                    why = _first_difference(json.loads(to_bytes(exercise)), actual)
                except ValueError:
                    why = "not valid JSON"
                problems.append(f"{ex_path.relative_to(root)}: differs from {path.relative_to(root)} ({why})")
        if not so_path.exists():
            problems.append(f"{so_path.relative_to(root)}: missing")
        else:
            try:
                actual = json.loads(so_path.read_bytes())
            except ValueError:
                problems.append(f"{so_path.relative_to(root)}: not valid JSON")
                continue
            expected = solution_structure(json.loads(to_bytes(solution)))
            got = solution_structure(actual)
            if expected != got:
                why = _first_difference(expected, got)
                problems.append(f"{so_path.relative_to(root)}: differs from {path.relative_to(root)} ({why})")
    if report_orphans:
        badges = readme_with_badges(root, find_sources(root))
        if badges is not None and badges[0] != badges[1]:
            problems.append("README.md: the launch badges are out of date")
        stems = {p.stem for p in find_sources(root)}
        for folder in (EXERCISE_DIR, SOLUTION_DIR):
            for nb_path in sorted((root / folder).glob("*.ipynb")):
                if nb_path.stem not in stems:
                    problems.append(f"{nb_path.relative_to(root)}: no source {SOURCE_DIR}/{nb_path.stem}.py")
    return problems


def build(root, sources, execute_solutions=True, log=print):
    """Write both notebooks of every source; returns a list of failures."""
    root = Path(root)
    built = []
    for path in sources:  # check every source before any slow execution
        built.append((path, *make_notebooks(path)))
    badges = readme_with_badges(root, find_sources(root))
    if badges is not None and badges[0] != badges[1]:
        (root / "README.md").write_text(badges[1])
        log("wrote README.md (launch badges)")
    failures = []
    for path, solution, exercise in built:
        ex_path = root / EXERCISE_DIR / f"{path.stem}.ipynb"
        so_path = root / SOLUTION_DIR / f"{path.stem}.ipynb"
        changed = write_if_changed(ex_path, to_bytes(exercise))
        log(f"{'wrote' if changed else 'unchanged'} {ex_path.relative_to(root)}")
        if execute_solutions:
            so_path.parent.mkdir(parents=True, exist_ok=True)
            log(f"executing {path.relative_to(root)} ...")
            try:
                solution = finish_solution(execute(solution, so_path.parent, name=str(path.relative_to(root))))
            except BuildError as exc:
                failures.append(str(exc))
                log(f"FAILED {so_path.relative_to(root)} (not written)")
                continue
            for i, cell in enumerate(solution.cells, start=1):
                for out in cell.get("outputs", []):
                    if out.get("output_type") == "stream" and out.get("name") == "stderr":
                        log(f"  note: {so_path.relative_to(root)} cell {i} writes to stderr (nbval compares it)")
        changed = write_if_changed(so_path, to_bytes(solution))
        log(f"{'wrote' if changed else 'unchanged'} {so_path.relative_to(root)}"
            + ("" if execute_solutions else " (not executed: no outputs)"))
    return failures


def main(argv=None):
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="tools/build.py",
        description="Build notebooks/ (exercises) and solutions/ (executed) from tutorials/NN_name.py.",
    )
    parser.add_argument("names", nargs="*", help="tutorials to build (NN_name, NN or a path); default: all")
    parser.add_argument("--no-execute", action="store_true", help="do not execute the solution notebooks")
    parser.add_argument("--check", action="store_true", help="fail if committed notebooks differ from their sources")
    parser.add_argument("--root", default=str(REPO_ROOT), help="root of the tree (default: this repository)")
    parser.add_argument("--slides", action="store_true",
                        help="write an offline reveal.js deck of every (named) solution to slides/ (tools/slides.py)")
    args = parser.parse_args(argv)
    root = Path(args.root).resolve()
    if args.slides:
        import slides  # tools/slides.py: only the decks need it

        try:
            slides.build_decks(root, args.names or None)
        except (slides.SlidesError, slides.slide_assets.AssetError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        return 0
    try:
        sources = select_sources(root, args.names)
        if not sources:
            print(f"no sources {SOURCE_DIR}/NN_name.py under {root}", file=sys.stderr)
            if args.check:
                problems = check(root, [], report_orphans=True)
                for p in problems:
                    print(p, file=sys.stderr)
                return 1 if problems else 0
            return 0
        if args.check:
            problems = check(root, sources, report_orphans=not args.names)
            if problems:
                print("out of date (rebuild with: python tools/build.py [NAMES]):", file=sys.stderr)
                for p in problems:
                    print(f"  {p}", file=sys.stderr)
                return 1
            print(f"ok: {len(sources)} tutorial(s) in sync with their sources")
            return 0
        failures = build(root, sources, execute_solutions=not args.no_execute)
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if failures:
        for failure in failures:
            print(f"error: {failure}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
