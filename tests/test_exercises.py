"""Exercises that make students think: the promises of DESIGN.md's "Exercise design", tested.

For every tutorial source and its generated notebooks:

* no answer is on screen before the student opens a hint: no line of code a
  student can see above an exercise's check (code cells, comments, inline
  code and code blocks of markdown outside collapsed ``<details>``) has the
  shape of an answer line (``tools/exercise_audit.py``; a demo cell that
  repeats the answer with other names is caught too);
* every exercise has a scaffold with ``...`` blanks, 2-3 graduated hints in
  collapsed ``<details>`` blocks right below it, and names where the worked
  answer is in ``solutions/``;
* every notebook has at least two "Think!" questions, each with a collapsed
  discussion;
* every ``<details>`` block is written so that it renders (collapsed, with
  its markdown and maths inside rendered) in JupyterLab, Colab, GitHub and
  the slides: checked with the two markdown engines involved, mistune
  (nbconvert, slides) and markdown-it (CommonMark, as GitHub and JupyterLab's
  renderers follow); the browser test looks at one in JupyterLab;
* every notebook states its estimated time (at most 45 minutes), every
  section its running estimate, and the prose stays under about 1,800 words;
* every figure in ``solutions/`` carries alt text and a caption.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from tools import build, exercise_audit, notebook_stats

ROOT = Path(__file__).resolve().parents[1]
SOURCES = build.find_sources(ROOT)
STEMS = [p.stem for p in SOURCES]
MAX_MINUTES = 45
MAX_WORDS = 1850  # "about 1,800"

DETAILS_BLOCK = re.compile(r"<details>(.*?)</details>", re.S)


def source(stem):
    return ROOT / build.SOURCE_DIR / f"{stem}.py"


def exercise_nb(stem):
    return nbformat.read(ROOT / build.EXERCISE_DIR / f"{stem}.ipynb", as_version=4)


def solution_nb(stem):
    return nbformat.read(ROOT / build.SOLUTION_DIR / f"{stem}.ipynb", as_version=4)


# ------------------------------------------------------------------ no answer in sight


@pytest.mark.parametrize("stem", STEMS)
def test_no_answer_visible_before_a_hint(stem):
    exercises = exercise_audit.audit(source(stem), exercise_nb(stem))
    assert exercises or stem.endswith("_real_data") or not stem, f"{stem} has no exercise"
    leaks = [
        f"{ex.name}: cell {j + 1} shows {line!r}, the shape of the answer line {answer!r} ({score:.2f})"
        for ex in exercises for j, line, answer, score in ex.leaks
    ]
    assert not leaks, ("answer code a student can see before opening a hint (move the demo after the "
                       "exercise's check, put it in a hint, or leave the expression as `...`):\n"
                       + "\n".join(leaks))


def _inject(nb, index, cell):
    nb = nbformat.from_dict(nb)
    nb.cells.insert(index, cell)
    return nb


def _first_exercise(stem):
    exercises, nb = exercise_audit.exercises_of(source(stem))
    return exercises[0], nb


@pytest.mark.parametrize(
    "cell",
    [
        # the answer of sample_states with other names, in a demo cell above the exercise
        nbformat.v4.new_code_cell("cum = np.cumsum(P, axis=1)\nrow_cdfs = cum[s[:, k - 1]]\nprint(row_cdfs)"),
        # in a comment
        nbformat.v4.new_code_cell("x = 1  # tip: each trial's row is cdf_A[states[:, t - 1]]"),
        # in inline code of markdown
        nbformat.v4.new_markdown_cell("Each trial picks its row with `cdf_rows = cdfs[prev[:, t - 1]]`."),
        # in a code block of markdown
        nbformat.v4.new_markdown_cell("For example:\n\n```python\nfirst = (cum_psi <= u[:, None]).sum(axis=1)\n```"),
    ],
    ids=["demo-cell", "comment", "inline-code", "code-block"],
)
def test_audit_catches_an_answer_repeated_with_other_names(cell):
    ex, nb = _first_exercise("01_simulate")
    leaky = _inject(nb, ex.cell, cell)
    found = exercise_audit.audit(source("01_simulate"), leaky)[0]
    assert found.leaks, f"the audit missed {cell.source!r}"


def test_audit_ignores_answers_inside_a_collapsed_hint_and_after_the_check():
    ex, nb = _first_exercise("01_simulate")
    hint = nbformat.v4.new_markdown_cell(
        "<details><summary>Hint 9</summary>\n\n`rows = cdf_A[states[:, t - 1]]`\n\n</details>")
    later = nbformat.v4.new_code_cell("rows = cdf_A[states[:, t - 1]]")
    nb = _inject(nb, ex.cell, hint)
    nb = _inject(nb, len(nb.cells), later)
    found = exercise_audit.audit(source("01_simulate"), nb)[0]
    assert not found.leaks, found.leaks


def test_shape_abstracts_names_and_keeps_operations():
    assert exercise_audit.shape("a = (a @ A) * o[t]") == exercise_audit.shape("z = (w @ M) * q[s]")
    assert exercise_audit.shape("x = y.sum(axis=1)") != exercise_audit.shape("x = y.mean(axis=1)")
    assert exercise_audit.similarity("a = (a @ A) * o[t]", "a = (alpha[:, t - 1] @ A) * obs[:, t]") >= \
        exercise_audit.THRESHOLD
    assert exercise_audit.similarity("fig = plotting.plot_params(A, L, dt, psi=psi)",
                                     "Y = rng.poisson(rates * dt)") < exercise_audit.THRESHOLD


# ------------------------------------------------------------------ scaffold, hints, pointer


@pytest.mark.parametrize("stem", STEMS)
def test_every_exercise_has_a_scaffold_graduated_hints_and_a_pointer(stem):
    info = notebook_stats.stats(source(stem))
    assert info.exercises, f"{stem}: no exercise"
    for ex in info.exercises:
        assert ex.has_scaffold, f"{stem}: {ex.name} has no '#>' scaffold (what is not the point, and `...` blanks)"
        assert 2 <= len(ex.hints) <= 3, f"{stem}: {ex.name} has {len(ex.hints)} hints, want 2-3: {ex.hints}"
        numbers = [int(re.match(r"Hint\s+(\d+)", h).group(1)) for h in ex.hints]
        assert numbers == list(range(1, len(numbers) + 1)), f"{stem}: {ex.name} hints out of order: {ex.hints}"
        assert ex.number >= 1, f"{stem}: {ex.name} is not under an '## Exercise N' heading"
        assert ex.points_to_solution, (
            f"{stem}: the hints of {ex.name} must say where the worked answer is: "
            f"`solutions/{stem}.ipynb`, Exercise {ex.number}")
    exercise = exercise_nb(stem)
    blanks = sum(cell.source.count("...") for cell in exercise.cells if cell.cell_type == "code")
    assert blanks >= len(info.exercises), f"{stem}: the exercise notebook has no `...` blanks"


@pytest.mark.parametrize("stem", STEMS)
def test_at_least_two_think_questions_with_a_discussion(stem):
    thinks = notebook_stats.stats(source(stem)).thinks
    assert len(thinks) >= 2, f"{stem}: {len(thinks)} Think! questions, want at least 2"
    missing = [title for title, has in thinks if not has]
    assert not missing, f"{stem}: Think! questions without a collapsed <details><summary>Discussion: {missing}"


# ------------------------------------------------------------------ <details> markup


def _details_cells(stem):
    nb = exercise_nb(stem)
    return [c.source for c in nb.cells if c.cell_type == "markdown" and "<details" in c.source]


@pytest.mark.parametrize("stem", STEMS)
def test_details_blocks_are_portable(stem):
    """One portable form: ``<details><summary>...</summary>`` on one line, a blank line, markdown, a
    blank line, ``</details>`` alone. Markdown inside an HTML block is only parsed after a blank line
    (CommonMark), and a missing blank line shows raw asterisks and dollars on GitHub."""
    for text in _details_cells(stem):
        assert text.count("<details>") == text.count("</details>"), text
        lines = text.split("\n")
        for i, line in enumerate(lines):
            if "<details" in line:
                assert re.fullmatch(r"<details><summary>[^<>]+</summary>", line.strip()), (
                    f"{stem}: write '<details><summary>title</summary>' alone on its line:\n{line}")
                assert i + 1 < len(lines) and lines[i + 1].strip() == "", f"{stem}: blank line after:\n{line}"
            if "</details>" in line:
                assert line.strip() == "</details>", f"{stem}: '</details>' alone on its line:\n{line}"
                assert i > 0 and lines[i - 1].strip() == "", f"{stem}: blank line before </details>"
        inner = DETAILS_BLOCK.findall(text)
        assert all("<details" not in block for block in inner), f"{stem}: nested <details>"


@pytest.mark.parametrize("stem", STEMS)
def test_details_render_collapsed_with_markdown_inside(stem):
    from markdown_it import MarkdownIt
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    commonmark = MarkdownIt("commonmark").enable("table")
    for text in _details_cells(stem):
        for html in (markdown2html_mistune(text), commonmark.render(text)):
            assert "<details>" in html and "<summary>" in html
            assert "<details open" not in html  # collapsed until asked
            for block in DETAILS_BLOCK.findall(html):
                # markdown inside was parsed: backticks became <code>, no raw ** or leftover `
                body = re.sub(r"<summary>.*?</summary>", "", block, flags=re.S)
                if "`" in DETAILS_BLOCK.search(text).group(1):
                    assert "<code>" in html
                assert "**" not in re.sub(r"\$[^$]*\$", "", body), body


# ------------------------------------------------------------------ time and words


@pytest.mark.parametrize("stem", STEMS)
def test_estimated_time_and_running_estimates(stem):
    info = notebook_stats.stats(source(stem))
    assert info.total_minutes is not None, f"{stem}: first cell lacks '**Estimated time:** about N minutes'"
    assert info.total_minutes <= MAX_MINUTES, f"{stem}: {info.total_minutes} min > {MAX_MINUTES}"
    timed = [s for s in info.sections if not s[0].lower().startswith(notebook_stats.UNTIMED)]
    assert timed, f"{stem}: no sections"
    untimed = [s[0] for s in timed if s[1] is None]
    assert not untimed, f"{stem}: sections without '*⏱ about N min (M of T min so far)*': {untimed}"
    so_far = [s[2] for s in timed]
    assert so_far == sorted(so_far), f"{stem}: running totals go backwards: {so_far}"
    running = 0
    for title, minutes, total, of in timed:
        running += minutes
        assert total == running, f"{stem}: '{title}' says {total} min so far, the sections add up to {running}"
        assert of == info.total_minutes, f"{stem}: '{title}' says 'of {of}', the notebook says {info.total_minutes}"
    assert running == info.total_minutes, f"{stem}: sections add up to {running} min, the notebook says {info.total_minutes}"


@pytest.mark.parametrize("stem", STEMS)
def test_prose_stays_short(stem):
    n = notebook_stats.stats(source(stem)).words
    assert n <= MAX_WORDS, f"{stem}: {n} words of prose, keep it under about 1,800"


# ------------------------------------------------------------------ figures


@pytest.mark.parametrize("stem", STEMS)
def test_every_figure_has_alt_text_and_a_caption(stem):
    nb = solution_nb(stem)
    for i, cell in enumerate(nb.cells, start=1):
        outs = cell.get("outputs", [])
        for j, out in enumerate(outs):
            if "image/png" not in out.get("data", {}):
                continue
            if "nbval-ignore-output" in cell.metadata.get("tags", []):
                continue
            alt = out.get("metadata", {}).get("image/png", {}).get("alt", "")
            assert len(alt.split()) >= 6, f"{stem} cell {i}: figure without alt text (use plotting.show(fig, alt))"
            caption = outs[j + 1].get("data", {}).get("text/markdown", "") if j + 1 < len(outs) else ""
            assert caption.startswith("*Figure:"), f"{stem} cell {i}: figure without its caption"
