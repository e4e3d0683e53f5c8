"""The shape of every tutorial: time estimates, prose, exercises, hints, Think! questions.

Reads the tutorial sources (``tutorials/NN_name.py``) and reports, per
notebook, what the series promises students:

* the estimated time in the first cell (``**Estimated time:** about N
  minutes``) and the running estimates under every section heading
  (``*⏱ about 8 min (15 of 40 min so far)*``);
* the words of prose (markdown outside maths, code and HTML tags; collapsed
  hints and discussions included, since a student reads them too);
* the exercises (code cells with a solution block), the hints after each
  (``<details><summary>Hint N ...``) and the pointer to the worked answer;
* the Think! questions (``### Think! N: ...``) and their collapsed
  discussions.

Usage::

    python tools/notebook_stats.py          # a table, one row per notebook

``tests/test_exercises.py`` asserts the limits on the same numbers.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import build  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent

TOTAL_TIME = re.compile(r"\*\*Estimated time:\*\*\s*about\s+(\d+)\s+min", re.I)
SECTION_TIME = re.compile(r"⏱\s*about\s+(\d+)\s+min\s*\((\d+)\s+of\s+(\d+)\s+min so far\)", re.I)
HEADING = re.compile(r"^##\s+(.+)$", re.M)
THINK = re.compile(r"^###\s+Think!\s*(\d+)?[:.]?\s*(.*)$", re.M)
DETAILS = re.compile(r"<details>\s*<summary>(.*?)</summary>(.*?)</details>", re.S | re.I)
HINT_SUMMARY = re.compile(r"^Hint\s+(\d+)\b", re.I)
UNTIMED = ("summary", "next", "further reading", "the series")

_MATH = re.compile(r"\$\$.*?\$\$|\$[^$\n]+\$", re.S)
_CODE = re.compile(r"```.*?```|`[^`\n]+`", re.S)
_TAGS = re.compile(r"<[^>]+>")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")


def words(markdown):
    """Number of words of prose in a markdown text (maths, code and tags left out)."""
    text = _TAGS.sub(" ", _CODE.sub(" ", _MATH.sub(" ", markdown)))
    return len(_WORD.findall(text))


@dataclass
class ExerciseInfo:
    name: str
    number: int  # from its "## Exercise N" heading (0 if none)
    hints: list = field(default_factory=list)  # hint summaries, in order
    points_to_solution: bool = False
    has_scaffold: bool = False


@dataclass
class NotebookStats:
    stem: str
    total_minutes: int | None = None
    sections: list = field(default_factory=list)  # (heading, minutes or None, so_far, of)
    words: int = 0
    exercises: list = field(default_factory=list)
    thinks: list = field(default_factory=list)  # (title, has discussion)


def stats(source_path):
    """Parse one tutorial source into :class:`NotebookStats`."""
    source_path = Path(source_path)
    nb, _ = build.read_source(source_path)
    out = NotebookStats(stem=source_path.stem)
    cells = nb.cells
    markdown = [c for c in cells if c.cell_type == "markdown"]
    if markdown:
        m = TOTAL_TIME.search(markdown[0].source)
        out.total_minutes = int(m.group(1)) if m else None
    exercise_number = 0
    for i, cell in enumerate(cells):
        if cell.cell_type == "markdown":
            out.words += words(cell.source)
            for h in HEADING.finditer(cell.source):
                title = h.group(1).strip()
                t = SECTION_TIME.search(cell.source[h.end():])
                timing = (int(t.group(1)), int(t.group(2)), int(t.group(3))) if t else (None, None, None)
                out.sections.append((title,) + timing)
                e = re.match(r"Exercise\s+(\d+)", title)
                if e:
                    exercise_number = int(e.group(1))
            for th in THINK.finditer(cell.source):
                rest = cell.source[th.end():]
                nxt = THINK.search(rest)
                block = rest[: nxt.start()] if nxt else rest
                has = any(re.match(r"\s*Discussion", d.group(1), re.I) for d in DETAILS.finditer(block))
                out.thinks.append((th.group(2).strip(), has))
            continue
        if cell.cell_type != "code":
            continue
        lines = cell.source.split("\n")
        blocks = build.find_blocks(lines)
        if not blocks:
            continue
        name = build.enclosing_function(lines, blocks[0].begin, blocks[0].indent) or f"cell {i + 1}"
        info = ExerciseInfo(name=name, number=exercise_number)
        info.has_scaffold = any(build.scaffold_lines(lines, b) for b in blocks)
        nxt = cells[i + 1] if i + 1 < len(cells) else None
        if nxt is not None and nxt.cell_type == "markdown":
            info.hints = [d.group(1).strip() for d in DETAILS.finditer(nxt.source)
                          if HINT_SUMMARY.match(d.group(1).strip())]
            info.points_to_solution = (f"solutions/{source_path.stem}.ipynb" in nxt.source
                                       and re.search(rf"Exercise\s+{exercise_number}\b", nxt.source) is not None)
        out.exercises.append(info)
    return out


def main(argv=None):
    root = Path(argv[0]) if argv else REPO_ROOT
    print(f"{'notebook':<26} {'time':>6} {'words':>6} {'exercises':>10} {'hints':>9} {'Think!':>7}")
    for source in build.find_sources(root):
        s = stats(source)
        hints = "/".join(str(len(e.hints)) for e in s.exercises) or "-"
        t = f"{s.total_minutes} min" if s.total_minutes else "?"
        print(f"{s.stem:<26} {t:>6} {s.words:>6} {len(s.exercises):>10} {hints:>9} {len(s.thinks):>7}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
