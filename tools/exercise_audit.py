"""Audit the exercise notebooks: is any answer on screen before the student asks?

For every exercise (a code cell of ``tutorials/NN_name.py`` with a solution
block) this finds the lines of code a student can see in
``notebooks/NN_name.ipynb`` *before opening a hint*: every code cell from the
top of the notebook down to the exercise's check, and the inline code and
code blocks of the markdown cells there, outside collapsed ``<details>``
blocks. Each visible line is compared with every answer line of that
exercise (the lines of its solution block), not character by character but
by the *shape* of the code: names are abstracted away (``a = (a @ A) *
o[t]`` and ``alpha_t = (alpha[:, t - 1] @ A) * obs[:, t]`` have nearly the
same shape), attributes, keywords, operators and numbers are kept, and the
contents of brackets can be collapsed. A visible line whose shape is close
to an answer line's is a *leak*.

Usage::

    python tools/exercise_audit.py            # per exercise: answer lines visible before a hint
    python tools/exercise_audit.py --verbose  # and the lines themselves

Exit status 1 if any exercise leaks. ``tests/test_exercises.py`` runs the
same audit.
"""

from __future__ import annotations

import argparse
import difflib
import keyword
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import build  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent

MIN_TOKENS = 5  # answer lines shorter than this (``return psi, A, L``) are not secrets
MIN_COLLAPSED = 10 # below this, a collapsed shape (``N[] = 1.0``) is too generic to compare
THRESHOLD = 0.85  # shape similarity from which a visible line counts as the answer

# a scaffold line whose right-hand side is a blank (``alpha[:, t] = ...``) shows a name, not a computation
BLANK_ONLY = re.compile(r"^(?:[^=]*[^=!<>]=)?\s*\.\.\.\s*:?\s*$")
DETAILS = re.compile(r"<details\b.*?</details>", re.S | re.I)
FENCE = re.compile(r"^(```|~~~).*?\n(.*?)^\1", re.S | re.M)
INLINE = re.compile(r"(`+)(.+?)\1", re.S)
MATH = re.compile(r"\$\$.*?\$\$|\$[^$\n]+\$", re.S)

_OPEN, _CLOSE = "([{", ")]}"


@dataclass
class Exercise:
    """One exercise: its name, its answer lines and where it sits in the notebook."""

    name: str
    cell: int  # index of the exercise cell in the exercise notebook
    answers: list = field(default_factory=list)  # answer lines (stripped)
    leaks: list = field(default_factory=list)  # (cell index, visible line, answer line, score)


_LEX = re.compile(
    r"""(?P<str>"[^"\n]*"|'[^'\n]*')"""
    r"|(?P<num>\d+\.?\d*(?:e[-+]?\d+)?|\.\d+)"
    r"|(?P<name>[A-Za-z_]\w*)"
    r"|(?P<op>\*\*|//|->|<=|>=|==|!=|[-+*/@%]=|\.\.\.|[-+*/@%<>=~^&|.,:;()\[\]{}])"
)


def _lex(text):
    """Tokens of a piece of code or of prose that contains code: (kind, text) pairs."""
    return [(m.lastgroup, m.group(m.lastgroup)) for m in _LEX.finditer(text)]


def shape(line, collapse=False):
    """The shape of a line of code: a list of strings with names abstracted.

    A name becomes ``N`` unless it is a keyword, an attribute (after ``.``) or
    a keyword argument (a name before a single ``=`` inside brackets); strings
    become ``S``. With ``collapse``, everything inside square brackets that
    follow a name or a closing bracket (indexing) is dropped: ``x[:, t - 1]``
    becomes ``N[]``; call arguments stay.
    """
    toks = _lex(line)
    out = []
    depth = 0
    skip_from = None  # depth at which a collapsed index opened
    for i, (kind, text) in enumerate(toks):
        prev_kind, prev = toks[i - 1] if i else ("", "")
        nxt = toks[i + 1][1] if i + 1 < len(toks) else ""
        if kind == "op" and text in _OPEN:
            depth += 1
            if collapse and skip_from is None and text == "[" and i and (
                (prev_kind == "name" and not keyword.iskeyword(prev)) or prev in ")]"
            ):
                out.append(text)
                skip_from = depth
                continue
        elif kind == "op" and text in _CLOSE:
            if skip_from is not None and depth == skip_from:
                skip_from = None
                out.append(text)
                depth -= 1
                continue
            depth = max(depth - 1, 0)
        if skip_from is not None:
            continue
        if kind == "name":
            out.append(text if keyword.iskeyword(text) or prev == "." or (nxt == "=" and depth > 0) else "N")
        elif kind == "str":
            out.append("S")
        else:
            out.append(text)
    return out


def _ratio(a, b):
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def _vocabulary(line):
    """The attributes and methods a line uses (``sum``, ``einsum``, ``T``): what it calls on."""
    toks = _lex(line)
    return {text for i, (kind, text) in enumerate(toks) if kind == "name" and i and toks[i - 1][1] == "."}


def _agreement(visible, answer):
    """1 when two lines use the same attributes and methods, down to 0.5 when they share none."""
    a, b = _vocabulary(visible), _vocabulary(answer)
    if not a and not b:
        return 1.0
    return 0.5 + 0.5 * len(a & b) / len(a | b)


def similarity(visible, answer, prose=False):
    """How close a visible line is to an answer line in shape (0..1).

    With ``prose`` (a comment, a sentence of markdown) the answer may sit
    inside a longer text: windows of the visible tokens about as long as the
    answer are compared too. A line of code is compared whole. The best of
    the plain and the collapsed forms counts.
    """
    best = 0.0
    for collapse in (False, True):
        v, a = shape(visible, collapse), shape(answer, collapse)
        if not v or len(a) < (MIN_COLLAPSED if collapse else MIN_TOKENS):
            continue
        m = len(a)
        if not prose or len(v) <= m + 2:
            best = max(best, _ratio(v, a) * _agreement(visible, answer))
            continue
        for w in range(max(m - 2, 1), m + 3):
            for i in range(0, len(v) - w + 1):
                best = max(best, _ratio(v[i:i + w], a))
    return best


_COMPUTES = {"@", "*", "/", "+", "-", "(", "[", "**", "<", "<=", ">", ">=", "==", "."}


def _is_substantial(line):
    """An answer line worth keeping secret: long enough, computes something, not a loop header."""
    toks = shape(line)
    if len(toks) < MIN_TOKENS or toks[0] in ("for", "while", "return", "import", "from"):
        return False
    return any(t in _COMPUTES for t in toks)


DOCSTRING = re.compile(r'("""|\'\'\').*?\\1', re.S)


def visible_lines(cell):
    """What a student sees in a cell without opening a hint: ``[(text, is_prose)]``.

    Code cells give their lines of code (docstrings left out: they specify,
    in words, what to compute) and their comments (prose); markdown cells the
    inline code and code blocks outside ``<details>`` and outside maths.
    """
    if cell.cell_type == "code":
        out = []
        for line in DOCSTRING.sub("", cell.source).split("\n"):
            code, _, comment = line.partition("#")
            if code.strip():
                out.append((code.strip(), False))
            if comment.strip():
                out.append((comment.strip(), True))
        return out
    if cell.cell_type != "markdown":
        return []
    text = DETAILS.sub("", cell.source)
    text = MATH.sub("", text)
    lines = []
    for m in FENCE.finditer(text):
        lines.extend((line.strip(), True) for line in m.group(2).split("\n") if line.strip())
    text = FENCE.sub("", text)
    for m in INLINE.finditer(text):
        lines.extend((part.strip(), True) for part in m.group(2).split("\n") if part.strip())
    return lines


def exercises_of(source_path):
    """The exercises of a tutorial source, in order, with their answer lines."""
    _, exercise = build.make_notebooks(source_path)
    out = []
    src, _ = build.read_source(source_path)
    # map exercise-notebook cells back to source cells by id
    ids = build._cell_ids(src.cells)
    by_id = dict(zip(ids, src.cells))
    for i, cell in enumerate(exercise.cells):
        original = by_id.get(cell.get("id"))
        if original is None or original.cell_type != "code":
            continue
        lines = original.source.split("\n")
        blocks = build.find_blocks(lines)
        if not blocks:
            continue
        # what the author shows in the scaffold is, by decision, not the answer
        shown = {build.SCAFFOLD.match(line)["rest"].strip() for line in lines if build.SCAFFOLD.match(line)}
        name = build.enclosing_function(lines, blocks[0].begin, blocks[0].indent) or f"cell {i + 1}"
        answers = []
        for block in blocks:
            for line in lines[block.begin + 1 : block.end]:
                stripped = line.strip()
                if build.SCAFFOLD.match(line) or not stripped or stripped.startswith("#"):
                    continue
                stripped = stripped.split("  #")[0].rstrip()
                if _is_substantial(stripped) and stripped not in answers and stripped not in shown:
                    answers.append(stripped)
        out.append(Exercise(name=name, cell=i, answers=answers))
    return out, exercise


def _check_cell_after(nb, index):
    """Index of the first code cell after ``index`` (the exercise's check), or the end."""
    for j in range(index + 1, len(nb.cells)):
        if nb.cells[j].cell_type == "code":
            return j
    return len(nb.cells)


def audit(source_path, notebook=None):
    """Find the leaks of every exercise of one tutorial.

    Parameters
    ----------
    source_path : path of ``tutorials/NN_name.py``
    notebook : nbformat.NotebookNode, optional
        The exercise notebook to audit (default: what the source builds).

    Returns
    -------
    list of Exercise, with ``.leaks`` filled in.
    """
    exercises, built = exercises_of(source_path)
    nb = built if notebook is None else notebook
    for ex in exercises:
        stop = _check_cell_after(nb, ex.cell)
        for j in range(0, stop):
            for line, prose in visible_lines(nb.cells[j]):
                if len(shape(line)) < MIN_TOKENS or BLANK_ONLY.match(line):
                    continue
                for answer in ex.answers:
                    score = similarity(line, answer, prose)
                    if score >= THRESHOLD:
                        ex.leaks.append((j, line, answer, score))
                        break
    return exercises


def main(argv=None):
    parser = argparse.ArgumentParser(prog="tools/exercise_audit.py", description=__doc__.split("\n")[0])
    parser.add_argument("--root", default=str(REPO_ROOT))
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    root = Path(args.root)
    total = 0
    print(f"{'notebook':<28} {'exercise':<16} {'answer lines':>12} {'visible before a hint':>22}")
    for source in build.find_sources(root):
        nb_path = root / build.EXERCISE_DIR / f"{source.stem}.ipynb"
        nb = nbformat.read(nb_path, as_version=4) if nb_path.exists() else None
        for ex in audit(source, nb):
            lines = sorted({leak[1] for leak in ex.leaks})
            total += len(lines)
            print(f"{source.stem:<28} {ex.name:<16} {len(ex.answers):>12} {len(lines):>22}")
            if args.verbose:
                for j, line, answer, score in ex.leaks:
                    print(f"      cell {j + 1}: {line!r}  ~ {answer!r} ({score:.2f})")
    print(f"answer lines visible before a hint, all exercises: {total}")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
