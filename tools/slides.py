"""Presentation decks from the executed solution notebooks: one offline HTML file each.

Usage::

    python tools/slides.py                   # every solutions/NN_name.ipynb -> slides/NN_name.html
    python tools/slides.py 04_em 05          # only these (NN_name, NN or a path)
    python tools/slides.py --out DIR         # write the decks into DIR instead of slides/

From Python: :func:`build_decks` (``python tools/build.py --slides`` calls it).

Every deck is ONE self-contained HTML file: reveal.js, its theme (fonts
included), MathJax (TeX input, SVG output) and every figure are inside it, and
a Content-Security-Policy forbids the browser to fetch anything else, so it
works with no network. The third-party files are downloaded once from the npm
registry and cached (see :mod:`slide_assets`).

What goes on the slides (driven by cell tags and metadata, not by content)
--------------------------------------------------------------------------

* Markdown cells are shown. ``<details><summary>...</summary> ...
  </details>`` blocks (hints, "Think!" answers) stay collapsible and closed;
  markdown and LaTeX inside them are rendered (a blank line after
  ``</summary>`` and before ``</details>`` is added when missing, so the inside
  is read as markdown).
* Code cells, by tag:

  - ``slides-code``: the code (input) is shown, then its outputs; multi-line
    docstrings are cut to their summary line and the build's ``### BEGIN/END
    SOLUTION`` marker lines are dropped (the slide shows the lesson);
  - ``slides-skip``: the cell is left out entirely (markdown cells too);
  - no tag: only the outputs are shown (figures, printouts); a cell without
    displayable output is left out.

  The Colab setup cell (tag ``colab-setup``) never appears, nor does a cell
  that only imports or sets things up (``import ...``,
  ``plotting.use_style()``, ``%matplotlib inline``) and prints nothing, even
  when tagged ``slides-code``.
* Outputs: figures (PNG/JPEG/GIF/SVG) as ``data:`` images, scaled to the
  slide; text and printouts as wrapped monospace text, smaller when lines are
  long; HTML, Markdown and LaTeX outputs rendered; errors as one line
  (``ValueError: ...``). Left out: ``stderr`` (warnings) and widget views,
  which cannot run without a kernel: each widget is replaced by the line "Live
  explorer: open the notebook to use it." (the markdown around an explorer
  invites the audience to move sliders; the line says where that works).
* Alt text of a figure: ``output.metadata[<image mime>]["alt"]`` (written by
  ``IPython.display.display(fig, metadata={"image/png": {"alt": "..."}})``),
  else the cell's ``metadata["alt"]``, else the first sentence of the next
  markdown cell when it starts with "Figure:" (``*Figure:*``, ``**Fig. 2.**``
  ...); otherwise the alt is empty and the build prints a warning naming the
  notebook and the cell.

Slide breaks
------------

* ``metadata.slideshow.slide_type`` as nbconvert reads it: ``slide`` starts a
  new (horizontal) slide, ``subslide`` a new vertical sub-slide, ``fragment``
  a fragment that runs until the next fragment or break, ``notes`` becomes
  speaker notes (press ``S``), ``skip`` is left out, ``-`` continues. A break
  on a cell that is left out moves to the next cell shown.
  ``slideshow.data`` entries become ``data-*`` attributes of the slide.
* The title slide is the notebook's first markdown cell alone (title, time,
  objectives, whatever it holds), vertically centred; it never holds code
  (inline code in it is set in monospace type without a ``<code>`` element).
* When the deck is opened, before reveal.js starts, a small script measures
  every (sub-)slide at 1280x720 with the real fonts and typeset maths and
  makes it fit, in this order: wide display maths and tables are scaled to
  the text width; tall code with short lines is set in two columns; figures
  shrink (to 75% of their height at most); a slide still too tall is split
  at cell boundaries into vertical sub-slides (a markdown cell taller than a
  slide is first cut between its paragraphs; headings and lead-ins ending in
  ":" move with what follows; continuation slides repeat the heading with
  "(continued)"); a single block still too tall is scaled down (CSS zoom).
  Opening a ``<details>`` block rescales its slide so that the answer fits
  too.

Offline
-------

Nothing is fetched when a deck is shown: scripts, style sheets and fonts are
inlined, figures are ``data:`` URIs, and the deck's Content-Security-Policy
(``default-src 'none'``) makes the browser refuse any other load. Emoji and
symbols the notebooks print (✅, ⏱ ...) come from an embedded subset of Noto
Emoji when the computer has no emoji font of its own. Links in the text stay
links (they open in a new tab, when there is a network).

Exit status of the command line: 0 success, 2 bad arguments, a notebook that
cannot be read, or the assets cannot be fetched.
"""

from __future__ import annotations

import argparse
import ast
import base64
import html
import mimetypes
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

if __package__:  # imported as tools.slides (the tests): one module object per file
    from . import build, launch, slide_assets
else:  # run as a script, or imported by tools/build.py with tools/ on sys.path
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import build  # noqa: E402  (tools/build.py: picking notebooks by name)
    import launch  # noqa: E402  (tools/launch.py: the Colab setup cell's tag)
    import slide_assets  # noqa: E402  (tools/slide_assets.py: the pinned third-party files)

REPO_ROOT = Path(__file__).resolve().parent.parent
SOLUTION_DIR = "solutions"
DECK_DIR = "slides"
NOTEBOOK_NAME = re.compile(r"^\d+_[A-Za-z0-9_]+\.ipynb$")

TAG_CODE = "slides-code"
TAG_SKIP = "slides-skip"
SETUP_TAG = launch.SETUP_TAG  # "colab-setup": the build's Colab install cell

SLIDE_WIDTH, SLIDE_HEIGHT = 1280, 720  # px; DECK_CSS and DECK_JS below use the same numbers
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
WIDGET_NOTE = "Live explorer: open the notebook to use it."
IMAGE_MIMES = ("image/svg+xml", "image/png", "image/jpeg", "image/gif")
# Preference among an output's representations (a widget view wins: it is what the notebook shows).
MIME_ORDER = (WIDGET_MIME, *IMAGE_MIMES, "text/html", "text/markdown", "text/latex", "text/plain")
SLIDE_TYPES = ("slide", "subslide", "fragment", "skip", "notes", "-")
# Calls that only configure (a cell of these plus imports, printing nothing, is never shown).
SETUP_CALLS = frozenset(
    {"use_style", "use", "filterwarnings", "simplefilter", "set_printoptions", "seterr",
     "enable_custom_widget_manager", "set_matplotlib_formats", "set_theme"}
)

# Monospace text: width of the text column and the size range of printouts and code.
TEXT_WIDTH = SLIDE_WIDTH - 2 * 48 - 2 * 14  # slide padding and <pre> padding (px)
CHAR_EM = 0.61  # advance of a monospace character, in em (DejaVu Sans Mono: 0.602)
MONO_MAX_PX, MONO_MIN_PX = 20, 13
PROSE_WRAP = 100  # characters: a longer line without aligned columns may wrap

ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
FIGURE_CAPTION = re.compile(r"^\s*(?:[*_]{1,2})?\s*(?:figure|fig\.)\s*\d*\s*[:.]", re.IGNORECASE)


class SlidesError(Exception):
    """A deck cannot be built; the message names the notebook."""


# ---------------------------------------------------------------- the deck's model


@dataclass
class Subslide:
    """One vertical slide: content blocks (HTML strings), speaker notes, attributes."""

    blocks: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    attrs: dict = field(default_factory=dict)
    title: bool = False


@dataclass
class Deck:
    """A whole deck: its title and the horizontal slides, each a list of Subslides."""

    title: str
    slides: list = field(default_factory=list)
    warnings: list = field(default_factory=list)

    def counts(self):
        """``(horizontal, total)`` slides before the fitting done in the browser."""
        return len(self.slides), sum(len(s) for s in self.slides)


# ---------------------------------------------------------------- cells


def cell_tags(cell):
    """The cell's tags (a list, possibly empty)."""
    tags = cell.get("metadata", {}).get("tags", [])
    return list(tags) if isinstance(tags, (list, tuple)) else []


def slide_type(cell):
    """The cell's ``slideshow.slide_type`` (``"-"`` if absent or unknown)."""
    slideshow = cell.get("metadata", {}).get("slideshow", {})
    kind = slideshow.get("slide_type", "-") if isinstance(slideshow, dict) else "-"
    return kind if kind in SLIDE_TYPES else "-"


def source_text(cell):
    """The cell's source as one string."""
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def is_setup_only(source):
    """True if a code cell only imports and configures (never worth a slide).

    Imports, IPython magics and bare calls to configuration functions
    (:data:`SETUP_CALLS`, e.g. ``plotting.use_style()``) count as setup; any
    other statement does not. An empty cell is setup too.
    """
    lines = [ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return False
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # a docstring or a bare string
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            func = node.value.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name in SETUP_CALLS:
                continue
        return False
    return True


def _first_line(source, width=60):
    line = next((" ".join(ln.split()) for ln in source.splitlines() if ln.strip()), "")
    return line if len(line) <= width else line[: width - 1] + "…"


# ---------------------------------------------------------------- markdown

_FENCE = re.compile(r"^(?P<indent>[ \t]{0,3})(?P<fence>`{3,}|~{3,})")


def _split_code(text):
    """Cut markdown into ``(is_code, piece)`` pieces whose concatenation is ``text``.

    Fenced code blocks and inline code spans are code; maths and prose are not.
    """
    pieces, buf, code, fence = [], [], [], None
    for line in text.splitlines(keepends=True):
        if fence is None:
            m = _FENCE.match(line)
            if m:
                pieces.extend(_split_inline("".join(buf)))
                buf, code, fence = [], [line], m["fence"]
            else:
                buf.append(line)
        else:
            code.append(line)
            closing = line.strip()
            if closing and set(closing) == {fence[0]} and len(closing) >= len(fence):
                pieces.append((True, "".join(code)))
                code, fence = [], None
    if fence is not None:
        pieces.append((True, "".join(code)))
    pieces.extend(_split_inline("".join(buf)))
    return [(is_code, piece) for is_code, piece in pieces if piece]


def _split_inline(text):
    """Cut text into prose and inline code spans (backtick runs of equal length)."""
    out, pos = [], 0
    for m in re.finditer(r"(`+)(?:.|\n)*?(?<!`)\1(?!`)", text):
        out.append((False, text[pos : m.start()]))
        out.append((True, m.group(0)))
        pos = m.end()
    out.append((False, text[pos:]))
    return out


def normalise_markdown(text):
    """Prepare notebook markdown for the renderer (outside code only).

    * ``\\(...\\)`` and ``\\[...\\]`` become ``$...$`` and ``$$...$$``
      (JupyterLab accepts both; the markdown renderer would eat the backslashes);
    * a blank line is put after ``</summary>`` and around ``</details>`` so the
      inside of a ``<details>`` block is read as markdown.
    """
    out = []
    for is_code, piece in _split_code(text):
        if not is_code:
            piece = re.sub(r"\\\((.+?)\\\)", lambda m: "$" + m.group(1) + "$", piece, flags=re.S)
            piece = re.sub(r"\\\[(.+?)\\\]", lambda m: "$$" + m.group(1) + "$$", piece, flags=re.S)
            piece = re.sub(r"(</summary>)[ \t]*\n?", r"\1\n\n", piece, flags=re.I)
            piece = re.sub(r"\n?[ \t]*(</details>)[ \t]*\n?", r"\n\n\1\n\n", piece, flags=re.I)
        out.append(piece)
    return "".join(out)


def markdown_html(text):
    """Markdown to HTML with nbconvert's mistune renderer (maths left intact for MathJax)."""
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    return markdown2html_mistune(normalise_markdown(text))


def _data_uri(mime, data):
    if isinstance(data, str):
        payload = data.replace("\n", "")
    else:
        payload = base64.b64encode(data).decode("ascii")
    return f"data:{mime};base64,{payload}"


def _is_remote(url):
    return bool(re.match(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", url or "", re.I)) and not url.strip().lower().startswith("file:")


def postprocess_html(fragment, *, where, warn, attachments=None, base_dir=None, title=False):
    """Make rendered HTML self-contained and safe for an offline deck.

    * ``attachment:NAME`` images and images of local files (relative to
      ``base_dir``) become ``data:`` URIs; remote images are replaced by their
      alt text (with a warning), as are ``<iframe>``, ``<video>``, ``<audio>``,
      ``<embed>`` and ``<object>`` that would load something;
    * ``<script>``, ``<link>``, ``<base>`` and ``<meta>`` are removed (a deck runs no
      notebook script);
    * links to other sites open in a new tab;
    * with ``title=True``, ``<code>``/``<pre>`` become ``<span>``/``<div>`` in
      monospace type (the title slide holds no code).

    Returns
    -------
    str
    """
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(fragment, "html.parser")
    for tag in soup.find_all(["script", "link", "base", "meta"]):
        warn(f"{where}: <{tag.name}> removed (a deck loads nothing and runs no notebook script)")
        tag.decompose()
    for img in soup.find_all("img"):
        src = (img.get("src") or "").strip()
        if img.has_attr("srcset"):
            del img["srcset"]
        if src.startswith("data:"):
            continue
        if src.startswith("attachment:"):
            name = src[len("attachment:") :]
            bundle = (attachments or {}).get(name) or {}
            mime = next((m for m in bundle if m.startswith("image/")), None)
            if mime:
                img["src"] = _data_uri(mime, bundle[mime])
                continue
            warn(f"{where}: attachment {name!r} not found")
        elif not _is_remote(src) and base_dir is not None and src:
            path = (Path(base_dir) / src.split("?")[0].split("#")[0]).resolve()
            mime = mimetypes.guess_type(path.name)[0]
            if path.is_file() and mime and mime.startswith("image/"):
                img["src"] = _data_uri(mime, path.read_bytes())
                continue
            warn(f"{where}: image {src!r} not found next to the notebook")
        else:
            warn(f"{where}: remote image {src!r} cannot be shown offline (replaced by its alt text)")
        span = soup.new_tag("span", attrs={"class": "sl-missing"})
        span.string = f"[image: {img.get('alt') or src}]"
        img.replace_with(span)
    for tag in soup.find_all(["iframe", "video", "audio", "embed", "object", "source", "track"]):
        ref = tag.get("src") or tag.get("data") or ""
        if tag.name in ("source", "track") and not _is_remote(ref):
            continue
        warn(f"{where}: <{tag.name}> removed (it would load {ref or 'something'} at presentation time)")
        span = soup.new_tag("span", attrs={"class": "sl-missing"})
        span.string = f"[{tag.name}: {ref}]" if ref else f"[{tag.name}]"
        tag.replace_with(span)
    for tag in soup.find_all(True):
        if tag.has_attr("poster"):
            del tag["poster"]
        style = tag.get("style")
        if style and re.search(r"url\(|@import", style, re.I):
            del tag["style"]
    for style in soup.find_all("style"):
        text = style.string or ""
        if re.search(r"@import|url\(\s*['\"]?(?!data:|#)", text, re.I):
            warn(f"{where}: a <style> that loads files was removed")
            style.decompose()
    for a in soup.find_all("a", class_="anchor-link"):
        a.decompose()  # the renderer's "¶" permalinks of headings
    for a in soup.find_all("a", href=True):
        if _is_remote(a["href"]):
            a["target"] = "_blank"
            a["rel"] = "noopener"
    for pre in soup.find_all("pre"):  # fenced code in markdown: sized like the printouts
        pre["class"] = (pre.get("class") or []) + ["sl-mdpre"]
        pre["style"] = f"font-size:{_mono_size(pre.get_text().rstrip(chr(10)))}px"
    if title:
        for code in soup.find_all("code"):
            code.name = "span"
            code["class"] = (code.get("class") or []) + ["sl-code-inline"]
        for pre in soup.find_all("pre"):
            pre.name = "div"
            pre["class"] = (pre.get("class") or []) + ["sl-pre"]
    return str(soup)


def plain_text(fragment):
    """The text of an HTML fragment, whitespace collapsed."""
    from bs4 import BeautifulSoup

    return " ".join(BeautifulSoup(fragment, "html.parser").get_text(" ").split())


def caption_alt(markdown):
    """Alt text from a caption cell: its first sentence if it starts with "Figure:".

    Returns
    -------
    str or None
    """
    if not FIGURE_CAPTION.match(markdown):
        return None
    text = plain_text(markdown_html(markdown))
    text = re.sub(r"^(?:figure|fig\.)\s*\d*\s*[:.]\s*", "", text, flags=re.I)
    m = re.match(r"(.+?[.!?])(?:\s|$)", text)
    sentence = (m.group(1) if m else text).strip()
    return sentence or None


# ---------------------------------------------------------------- outputs


def _mono_size(text):
    """Font size (px) for monospace text: its aligned lines fit the slide's text column.

    Lines that align columns with runs of spaces (tables, code) should not
    wrap, so the size is chosen for the longest of them (between
    ``MONO_MIN_PX`` and ``MONO_MAX_PX``); long lines of prose (no inner run of
    spaces, more than :data:`PROSE_WRAP` characters) are left to wrap.
    """
    widths = [
        len(line.expandtabs(4))
        for line in text.split("\n")
        if len(line) <= PROSE_WRAP or re.search(r"\S {2,}\S", line)
    ]
    longest = max(widths, default=0)
    if longest == 0:
        return MONO_MAX_PX
    return int(max(MONO_MIN_PX, min(MONO_MAX_PX, TEXT_WIDTH / (CHAR_EM * longest))))


def clean_stream(text):
    """Terminal text as the notebook shows it: ANSI codes removed, ``\\r`` applied."""
    text = ANSI_ESCAPE.sub("", text)
    lines = []
    for line in text.split("\n"):
        if "\r" in line:
            line = line.rstrip("\r").split("\r")[-1]
        lines.append(line)
    return "\n".join(lines)


def pre_block(text, css_class):
    """A ``<pre>`` of plain text, its font sized to its longest line."""
    text = text.rstrip("\n")
    return f'<pre class="{css_class}" style="font-size:{_mono_size(text)}px">{html.escape(text)}</pre>'


SOLUTION_MARKER = re.compile(r"^[ \t]*### (?:BEGIN|END) SOLUTION[ \t]*$")


def shorten_code(source):
    """Code as a slide shows it: docstrings cut to their summary line, solution markers dropped.

    A multi-line docstring of a function or class is cut to its first line,
    still between triple quotes (the parameters are in the notebook; the
    slide shows the lesson); the
    build's ``### BEGIN SOLUTION`` / ``### END SOLUTION`` lines are removed.
    Source that does not parse (IPython magics) keeps its docstrings.
    """
    lines = source.split("\n")
    try:
        tree = ast.parse(source)
    except SyntaxError:
        tree = None
    cuts = []
    for node in ast.walk(tree) if tree is not None else ():
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) or not node.body:
            continue
        first = node.body[0]
        if not (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str)):
            continue
        if first.end_lineno == first.lineno:
            continue
        summary = next((ln.strip() for ln in first.value.value.strip().splitlines() if ln.strip()), "")
        indent = re.match(r"[ \t]*", lines[first.lineno - 1]).group(0)
        cuts.append((first.lineno - 1, first.end_lineno, f'{indent}"""{summary}"""'))
    for start, end, line in sorted(cuts, reverse=True):
        lines[start:end] = [line]
    return "\n".join(ln for ln in lines if not SOLUTION_MARKER.match(ln))


def highlight_python(source):
    """Python source as highlighted HTML (Pygments, CSS classes)."""
    from pygments import highlight
    from pygments.formatters import HtmlFormatter

    try:
        from IPython.lib.lexers import IPython3Lexer as Lexer
    except ImportError:  # pragma: no cover - IPython is always there with nbconvert
        from pygments.lexers import PythonLexer as Lexer
    body = highlight(source, Lexer(), HtmlFormatter(nowrap=True))
    return (
        f'<pre class="sl-input" style="font-size:{_mono_size(source)}px"><code>'
        f"{body.rstrip()}</code></pre>"
    )


def _output_data(output, mime):
    data = output.get("data", {}).get(mime)
    if isinstance(data, list):
        data = "".join(data)
    return data


def image_alt(output, mime, cell):
    """Alt text of an image output from its metadata (or the cell's), or None."""
    meta = output.get("metadata", {}) or {}
    alt = (meta.get(mime) or {}).get("alt") if isinstance(meta.get(mime), dict) else None
    alt = alt or meta.get("alt") or cell.get("metadata", {}).get("alt")
    return str(alt).strip() if alt else None


def render_output(output, cell, ctx):
    """HTML of one output, ``WIDGET_NOTE`` marker for a widget view, or None if left out.

    Parameters
    ----------
    output : dict
        A notebook output.
    cell : dict
        The code cell it belongs to.
    ctx : dict
        ``where`` (notebook and cell, for messages), ``warn`` (callable),
        ``caption`` (alt text from a following caption cell, or None).
    """
    kind = output.get("output_type")
    if kind == "stream":
        if output.get("name") == "stderr":
            return None
        text = clean_stream("".join(output.get("text", "")) if isinstance(output.get("text"), list) else output.get("text", ""))
        return pre_block(text, "sl-out") if text.strip() else None
    if kind == "error":
        line = f"{output.get('ename', 'Error')}: {ANSI_ESCAPE.sub('', output.get('evalue', ''))}"
        return pre_block(line, "sl-out sl-error")
    if kind not in ("display_data", "execute_result"):
        return None
    data = output.get("data", {})
    mime = next((m for m in MIME_ORDER if m in data), None)
    if mime is None:
        return None
    if mime == WIDGET_MIME:
        return WIDGET_NOTE
    value = _output_data(output, mime)
    if mime in IMAGE_MIMES:
        alt = image_alt(output, mime, cell) or ctx.get("caption")
        if not alt:
            ctx["warn"](f"{ctx['where']}: figure without alt text")
        if mime == "image/svg+xml":
            src = _data_uri(mime, value.encode("utf-8"))
        else:
            src = f"data:{mime};base64,{value.replace(chr(10), '')}"
        return f'<img class="sl-fig" src="{src}" alt="{html.escape(alt or "", quote=True)}">'
    if mime == "text/html":
        body = postprocess_html(value, where=ctx["where"], warn=ctx["warn"])
        return f'<div class="sl-html">{body}</div>'
    if mime == "text/markdown":
        body = postprocess_html(markdown_html(value), where=ctx["where"], warn=ctx["warn"])
        return f'<div class="sl-mdout">{body}</div>'
    if mime == "text/latex":
        return f'<div class="sl-latex">{html.escape(value)}</div>'
    return pre_block(clean_stream(value), "sl-out") if value.strip() else None


def render_code_cell(cell, ctx):
    """HTML of a code cell on a slide, or None if the cell is left out."""
    tags = cell_tags(cell)
    if SETUP_TAG in tags or TAG_SKIP in tags:
        return None
    source = source_text(cell)
    parts = []
    for output in cell.get("outputs", []):
        part = render_output(output, cell, ctx)
        if part is None:
            continue
        if part == WIDGET_NOTE:
            if parts and WIDGET_NOTE in parts[-1]:
                continue
            part = f'<p class="sl-note">{html.escape(WIDGET_NOTE)}</p>'
        parts.append(part)
    if not parts and is_setup_only(source):
        return None
    if TAG_CODE in tags and source.strip():
        parts.insert(0, highlight_python(shorten_code(source)))
    if not parts:
        return None
    kind = "sl-code" if TAG_CODE in tags else "sl-outputs"
    return f'<div class="sl-cell {kind}" data-cell="{ctx["index"]}">{"".join(parts)}</div>'


def render_markdown_cell(cell, ctx, title=False):
    """HTML of a markdown cell, or None if it is empty."""
    text = source_text(cell)
    if not text.strip():
        return None
    body = postprocess_html(
        markdown_html(text),
        where=ctx["where"],
        warn=ctx["warn"],
        attachments=cell.get("attachments"),
        base_dir=ctx.get("base_dir"),
        title=title,
    )
    return f'<div class="sl-cell sl-md" data-cell="{ctx["index"]}">{body}</div>'


# ---------------------------------------------------------------- structure


def _slide_data_attrs(cell):
    slideshow = cell.get("metadata", {}).get("slideshow", {})
    data = slideshow.get("data", {}) if isinstance(slideshow, dict) else {}
    attrs = {}
    if isinstance(data, dict):
        for key, value in data.items():
            name = "data-" + re.sub(r"[^a-z0-9-]", "-", str(key).replace("_", "-").lower())
            attrs[name] = str(value)
    return attrs


def make_deck(nb, name="notebook", base_dir=None, warn=None):
    """Decide what goes on which slide.

    Parameters
    ----------
    nb : dict or nbformat.NotebookNode
        An executed notebook.
    name : str
        How messages name the notebook (e.g. ``solutions/01_simulate.ipynb``).
    base_dir : path-like, optional
        Folder of the notebook (for images referenced by relative path).
    warn : callable, optional
        Receives warnings (default: collected in ``Deck.warnings`` only).

    Returns
    -------
    Deck

    Raises
    ------
    SlidesError
        If the notebook has no markdown cell to make a title slide from.
    """
    warnings = []

    def _warn(message):
        warnings.append(message)
        if warn is not None:
            warn(message)

    cells = list(nb.get("cells", []))

    def shown(cell):
        return TAG_SKIP not in cell_tags(cell) and slide_type(cell) not in ("skip", "notes")

    title_at = next(
        (i for i, c in enumerate(cells) if c.get("cell_type") == "markdown" and source_text(c).strip() and shown(c)),
        None,
    )
    if title_at is None:
        raise SlidesError(f"{name}: no markdown cell to make the title slide from")
    title_cell = cells[title_at]
    title_ctx = {"where": f"{name} cell {title_at + 1}", "warn": _warn, "index": title_at + 1, "base_dir": base_dir}
    title_html = render_markdown_cell(title_cell, title_ctx, title=True)
    title_text = _deck_title(source_text(title_cell)) or name
    deck = Deck(title=title_text, warnings=warnings)
    title_slide = Subslide(blocks=[title_html], attrs=_slide_data_attrs(title_cell), title=True)
    deck.slides.append([title_slide])

    current = None  # the Subslide being filled (None: the next cell starts a slide)
    fragment = None  # the open fragment: a list of block HTML strings, or None
    pending = "slide"  # a break still to make ("slide", "subslide" or None)
    for i, cell in enumerate(cells):
        if i == title_at:
            continue
        kind = slide_type(cell)
        ctype = cell.get("cell_type")
        where = f"{name} cell {i + 1}"
        if ctype == "code":
            where += f" ({_first_line(source_text(cell))})"
        caption = None
        if ctype == "code" and i + 1 < len(cells) and cells[i + 1].get("cell_type") == "markdown":
            caption = caption_alt(source_text(cells[i + 1]))
        ctx = {"where": where, "warn": _warn, "index": i + 1, "base_dir": base_dir, "caption": caption}
        if TAG_SKIP in cell_tags(cell) or kind == "skip":
            body = None
        elif ctype == "markdown":
            body = render_markdown_cell(cell, ctx)
        elif ctype == "code":
            body = render_code_cell(cell, ctx)
        else:
            body = None  # raw cells
        if body is None:
            if kind in ("slide", "subslide"):  # the break moves to the next cell shown
                pending = _stronger(pending, kind)
            continue
        if kind == "notes":
            (current or deck.slides[-1][-1]).notes.append(body)
            continue
        brk = _stronger(pending, kind if kind in ("slide", "subslide") else None)
        pending = None
        if brk == "slide" or current is None:
            current = Subslide(attrs=_slide_data_attrs(cell))
            deck.slides.append([current])
            fragment = None
        elif brk == "subslide":
            current = Subslide(attrs=_slide_data_attrs(cell))
            deck.slides[-1].append(current)
            fragment = None
        if kind == "fragment":
            fragment = [body]
            current.blocks.append(fragment)
        elif fragment is not None:
            fragment.append(body)
        else:
            current.blocks.append(body)
    return deck


def _stronger(a, b):
    order = {None: 0, "subslide": 1, "slide": 2}
    return a if order.get(a, 0) >= order.get(b, 0) else b


def _deck_title(markdown):
    """The text of the first heading (or first line) of the title cell."""
    for line in markdown.splitlines():
        m = re.match(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$", line)
        if m:
            return plain_text(markdown_html(m.group(1)))
    first = next((ln for ln in markdown.splitlines() if ln.strip()), "")
    return plain_text(markdown_html(first))


# ---------------------------------------------------------------- HTML


DECK_CSS = """
:root {
  --r-main-font-size: 26px;
  --r-heading-text-transform: none;
  --r-heading1-size: 1.75em;
  --r-heading2-size: 1.4em;
  --r-heading3-size: 1.15em;
  --r-heading4-size: 1em;
  --r-block-margin: 12px;
  --r-heading-margin: 0 0 14px 0;
  --r-code-font: "DejaVu Sans Mono", "Liberation Mono", Menlo, Consolas, ui-monospace, monospace,
    "Apple Color Emoji", "Segoe UI Emoji", "Noto Color Emoji", "Noto Emoji";
  --r-main-font: "Source Sans Pro", Helvetica, Arial, sans-serif,
    "Apple Color Emoji", "Segoe UI Emoji", "Noto Color Emoji", "Noto Emoji";
  --r-heading-font: var(--r-main-font);
}
.reveal .slides { text-align: left; }
.reveal .slides section.sl-slide { box-sizing: border-box; padding: 26px 48px 30px; height: auto; }
.reveal .slides section.sl-title { text-align: center; }
.reveal .slides section.sl-title ul, .reveal .slides section.sl-title ol { text-align: left; display: inline-block; }
.reveal p { margin: 10px 0; }
.reveal ul, .reveal ol { display: block; margin: 8px 0 8px 1.2em; }
.reveal li { margin: 4px 0; }
.reveal blockquote { width: auto; margin: 10px 0; padding: 6px 14px; font-style: normal; box-shadow: none; border-left: 4px solid #ccc; background: #f7f7f7; }
.reveal table { margin: 10px 0; font-size: 0.8em; }
.reveal code, .reveal .sl-code-inline { font-family: var(--r-code-font); font-size: 0.85em; background: #f0f0f0; padding: 0 0.2em; border-radius: 3px; }
.reveal .sl-pre { font-family: var(--r-code-font); white-space: pre-wrap; text-align: left; }
.reveal pre.sl-input, .reveal pre.sl-out, .reveal pre.sl-mdpre {
  width: auto; margin: 10px 0; padding: 8px 12px; box-shadow: none; border-radius: 4px;
  line-height: 1.3; white-space: pre-wrap; overflow-wrap: anywhere; word-break: normal;
  font-family: var(--r-code-font); text-align: left;
}
.reveal pre.sl-input { background: #f6f8fa; border-left: 4px solid #2a76dd; }
.reveal pre.sl-mdpre { background: #f6f8fa; border-left: 4px solid #999; }
.reveal pre.sl-out { background: #fff; border-left: 4px solid #bbb; color: #222; }
.reveal pre.sl-error { border-left-color: #d55e00; color: #a33; }
.reveal pre.sl-2col { column-count: 2; column-gap: 32px; column-rule: 1px solid #d8dee6; }
.reveal pre code { display: inline; max-height: none; overflow: visible; padding: 0; background: none; font-size: inherit; white-space: inherit; word-wrap: inherit; }
.reveal img.sl-fig { display: block; margin: 8px auto; max-width: 100%; max-height: 580px; width: auto; height: auto; }
.reveal .sl-html, .reveal .sl-latex, .reveal .sl-mdout { margin: 8px 0; }
.reveal details { margin: 10px 0; padding: 4px 14px; border: 1px solid #cfd8e3; border-radius: 6px; background: #f7f9fc; font-size: 0.85em; }
.reveal details > summary { cursor: pointer; font-weight: 600; color: #1f64c1; }
.reveal details[open] > summary { margin-bottom: 6px; }
.reveal .sl-note { font-style: italic; color: #555; border-left: 4px solid #e69f00; padding-left: 12px; }
.reveal .sl-missing { color: #a33; font-style: italic; }
.reveal .sl-cont { font-size: 1em; color: #666; font-weight: 600; }
.reveal mjx-container[display="true"] { margin: 0.5em 0 !important; }
.reveal .slide-number { font-size: 14px; }
/* measuring, before reveal.js starts: every slide laid out at 1280x720, invisible */
.reveal.sl-measure .slides {
  position: absolute !important; inset: auto !important; left: 0 !important; top: 0 !important;
  width: 1280px !important; height: 720px !important; margin: 0 !important;
  transform: none !important; zoom: 1 !important;
}
.reveal.sl-measure .slides section {
  display: block !important; visibility: hidden !important; transform: none !important; transition: none !important;
}
"""

MATHJAX_CONFIG = r"""
window.MathJax = {
  tex: {
    inlineMath: [["$", "$"], ["\\(", "\\)"]],
    displayMath: [["$$", "$$"], ["\\[", "\\]"]],
    processEscapes: true,
    processEnvironments: true
  },
  svg: { fontCache: "local" },
  options: { enableMenu: false },
  startup: { typeset: false }
};
"""

# Runs after MathJax and reveal.js are loaded: typeset, fit every slide into
# 1280x720, then start reveal.js. Sets <html data-slides-ready="1"> when done
# and window.slidesFit = {split, squeezed, zoomed} (what the fitting did).
DECK_JS = r"""
(function () {
  "use strict";
  var W = 1280, H = 720;
  var FIG_KEEP = 0.75;  // figures may shrink to 75% of their height before a slide is split
  var FIG_LAST = 0.4;   // ... and to 40% when one block alone is too tall
  var ZOOM_MIN = 0.3;
  var root = document.querySelector(".reveal");
  var slidesEl = root.querySelector(".slides");
  var report = { split: 0, squeezed: 0, zoomed: [] };

  function arr(x) { return Array.prototype.slice.call(x); }
  function leaves() {
    return arr(slidesEl.querySelectorAll("section")).filter(function (s) { return !s.querySelector("section"); });
  }
  // The blocks of a slide that can move to another slide (not its notes, not a "(continued)" heading).
  function units(sec) {
    return arr(sec.children).filter(function (c) { return c.tagName !== "ASIDE" && !c.classList.contains("sl-cont"); });
  }
  function headingOnly(u) {
    return u.classList.contains("sl-md") && u.children.length === 1 && /^H[1-6]$/.test(u.firstElementChild.tagName);
  }
  function tooTall(sec) { return sec.scrollHeight > H; }
  function tooWide(sec) { return sec.scrollWidth > W; }
  function padding(sec) {
    var cs = getComputedStyle(sec);
    return { top: parseFloat(cs.paddingTop), bottom: parseFloat(cs.paddingBottom) };
  }
  function setZoom(el, z) { el.style.zoom = z >= 0.999 ? "" : String(Math.floor(z * 1000) / 1000); }

  // Wide display maths, tables and HTML outputs are scaled down to the text column.
  function fitWidth(sec) {
    arr(sec.querySelectorAll('mjx-container[display="true"], table, .sl-html, .sl-latex')).forEach(function (el) {
      var avail = el.parentElement.clientWidth;
      var need = Math.max(el.scrollWidth, el.offsetWidth);
      if (need > avail + 1) setZoom(el, avail / need);
    });
    if (tooWide(sec)) {
      units(sec).forEach(function (u) {
        if (u.scrollWidth > u.clientWidth + 1) setZoom(u, u.clientWidth / u.scrollWidth);
      });
    }
  }

  // Shrink the figures of a slide so that it fits, each to at least keep * its height.
  function squeeze(sec, keep) {
    var figs = arr(sec.querySelectorAll("img.sl-fig"));
    if (!figs.length) return false;
    figs.forEach(function (img) {
      if (!img.dataset.h0) img.dataset.h0 = String(img.getBoundingClientRect().height);
    });
    for (var iter = 0; iter < 6 && tooTall(sec); iter++) {
      var excess = sec.scrollHeight - H + 1;
      var hs = figs.map(function (img) { return img.getBoundingClientRect().height; });
      var total = hs.reduce(function (a, b) { return a + b; }, 0);
      if (total <= 0) return false;
      var moved = false;
      figs.forEach(function (img, i) {
        var floor = parseFloat(img.dataset.h0) * keep;
        var target = Math.max(floor, hs[i] - excess * hs[i] / total);
        if (target < hs[i] - 0.5) { img.style.maxHeight = target.toFixed(1) + "px"; moved = true; }
      });
      if (!moved) break;
    }
    if (tooTall(sec)) return false;
    report.squeezed += 1;
    return true;
  }
  function unsqueeze(sec) {
    arr(sec.querySelectorAll("img.sl-fig")).forEach(function (img) { img.style.maxHeight = ""; });
  }

  // A markdown cell taller than a slide becomes one unit per top-level block.
  function explode(sec, budget) {
    units(sec).forEach(function (u) {
      if (!u.classList.contains("sl-md") || u.children.length < 2 || u.offsetHeight <= budget) return;
      var loose = arr(u.childNodes).some(function (n) { return n.nodeType === 3 && n.textContent.trim(); });
      if (loose) return;
      arr(u.children).forEach(function (child) {
        var part = document.createElement("div");
        part.className = u.className + " sl-part";
        part.setAttribute("data-cell", u.getAttribute("data-cell") || "");
        part.appendChild(child);
        sec.insertBefore(part, u);
      });
      u.remove();
    });
  }

  function leadsIn(u) {
    if (!u.classList.contains("sl-md")) return false;
    var last = u.lastElementChild;
    if (last && /^H[1-6]$/.test(last.tagName)) return true;
    return /:\s*$/.test(u.textContent);
  }

  function continuationHeading(sec) {
    var own = arr(sec.children).filter(function (c) { return c.classList.contains("sl-cont"); })[0];
    if (own) return own.cloneNode(true);
    var first = units(sec)[0];
    var h = first && first.querySelector("h1, h2, h3");
    if (!h || first.firstElementChild !== h) return null;
    var c = document.createElement(h.tagName === "H1" ? "h2" : h.tagName);
    c.className = "sl-cont";
    arr(h.childNodes).forEach(function (n) { c.appendChild(n.cloneNode(true)); });
    if (!/\(continued\)\s*$/.test(c.textContent)) c.appendChild(document.createTextNode(" (continued)"));
    return c;
  }

  // Split a slide at its units into consecutive sub-slides; returns the new slides or null.
  function split(sec) {
    var pad = padding(sec);
    var budget = H - pad.top - pad.bottom;
    explode(sec, budget);
    var us = units(sec);
    if (us.length < 2) return null;
    var head = continuationHeading(sec);
    var headH = 0;
    if (head) {
      var probe = head.cloneNode(true);
      sec.appendChild(probe);
      headH = probe.offsetHeight + parseFloat(getComputedStyle(probe).marginBottom);
      probe.remove();
    }
    var bottom = sec.scrollHeight - pad.bottom;
    var spans = us.map(function (u, i) {
      return (i + 1 < us.length ? us[i + 1].offsetTop : bottom) - (i === 0 ? pad.top : u.offsetTop);
    });
    // the least room a unit needs: its figures may shrink to FIG_KEEP (fit() squeezes each part)
    var needs = us.map(function (u, i) {
      var figs = arr(u.querySelectorAll("img.sl-fig"));
      var figH = figs.reduce(function (a, img) { return a + img.getBoundingClientRect().height; }, 0);
      return spans[i] - (1 - FIG_KEEP) * figH;
    });
    var chunks = [[]], used = 0;
    us.forEach(function (u, i) {
      var room = budget - (chunks.length > 1 ? headH : 0);
      var cur = chunks[chunks.length - 1];
      if (cur.length && used + needs[i] > room) { chunks.push([]); used = 0; cur = chunks[chunks.length - 1]; }
      cur.push(u);
      used += needs[i];
    });
    for (var k = 0; k + 1 < chunks.length; k++) {
      var c = chunks[k];
      if (c.length > 1 && leadsIn(c[c.length - 1])) chunks[k + 1].unshift(c.pop());
    }
    // a chunk of nothing but headings and lead-ins goes with what follows
    chunks = chunks.filter(function (c, k) {
      if (k + 1 < chunks.length && c.every(leadsIn)) {
        Array.prototype.unshift.apply(chunks[k + 1], c);
        return false;
      }
      return true;
    });
    if (chunks.length < 2) return null;
    var made = [], after = sec;
    for (k = 1; k < chunks.length; k++) {
      var s = document.createElement("section");
      arr(sec.attributes).forEach(function (a) { if (a.name !== "id") s.setAttribute(a.name, a.value); });
      s.classList.remove("sl-title", "center");
      s.classList.add("sl-continued");
      if (head) s.appendChild(head.cloneNode(true));
      chunks[k].forEach(function (u) { s.appendChild(u); });
      after.parentNode.insertBefore(s, after.nextSibling);
      after = s;
      made.push(s);
    }
    report.split += 1;
    return [sec].concat(made);
  }

  // Scale a slide's blocks down until it fits (binary search on CSS zoom).
  function zoomToFit(sec, hi) {
    var us = units(sec).filter(function (u) { return !headingOnly(u); });
    if (!us.length) us = units(sec);
    function apply(z) { us.forEach(function (u) { setZoom(u, z); }); }
    apply(hi);
    if (!tooTall(sec) && !tooWide(sec)) return hi;
    var lo = ZOOM_MIN;
    for (var i = 0; i < 12; i++) {
      var mid = (lo + hi) / 2;
      apply(mid);
      if (tooTall(sec) || tooWide(sec)) hi = mid; else lo = mid;
    }
    apply(lo);
    return lo;
  }

  // Tall code with short lines flows into two columns (before anything is split or scaled).
  function twoColumns(sec) {
    arr(sec.querySelectorAll("pre.sl-input")).forEach(function (pre) {
      if (pre.classList.contains("sl-2col") || pre.offsetHeight < H / 2) return;
      var cs = getComputedStyle(pre);
      var inner = pre.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
      var longest = Math.max.apply(null, pre.textContent.split("\n").map(function (l) { return l.length; }));
      if (longest * parseFloat(cs.fontSize) * 0.61 <= (inner - 32) / 2) pre.classList.add("sl-2col");
    });
  }

  function fit(sec, queue) {
    fitWidth(sec);
    if (!tooTall(sec) && !tooWide(sec)) return;
    twoColumns(sec);
    if (!tooTall(sec) && !tooWide(sec)) return;
    if (squeeze(sec, FIG_KEEP) && !tooWide(sec)) return;
    unsqueeze(sec);
    var parts = split(sec);
    if (parts) { parts.forEach(function (s) { queue.push(s); }); return; }
    squeeze(sec, FIG_LAST);
    if (!tooTall(sec) && !tooWide(sec)) return;
    var z = zoomToFit(sec, 1);
    sec.setAttribute("data-sl-zoom", String(Math.floor(z * 1000) / 1000));
    report.zoomed.push({ cell: (units(sec)[0] || sec).getAttribute("data-cell"), zoom: z });
    if (tooTall(sec) || tooWide(sec)) console.warn("slides: a slide still does not fit at zoom " + z);
  }

  function fitAll() {
    var queue = leaves();
    while (queue.length) fit(queue.shift(), queue);
  }

  // Opening or closing a <details> block rescales its slide so that it fits.
  function refit(sec) {
    var base = parseFloat(sec.getAttribute("data-sl-zoom") || "1");
    zoomToFit(sec, base);
    if (window.Reveal && Reveal.isReady()) Reveal.layout();
  }
  document.addEventListener("toggle", function (e) {
    var t = e.target;
    if (!t || t.tagName !== "DETAILS") return;
    var sec = t.closest("section");
    if (sec) refit(sec);
  }, true);

  function fontsReady() {  // every embedded face (theme fonts, emoji subsets), before measuring
    if (!document.fonts) return Promise.resolve();
    var loads = [];
    document.fonts.forEach(function (face) { loads.push(face.load().catch(function () {})); });
    return Promise.all(loads).then(function () { return document.fonts.ready; });
  }
  function mathReady() {
    var mj = window.MathJax;
    if (!mj || !mj.startup || !mj.startup.promise) return Promise.resolve();
    return mj.startup.promise.then(function () { return mj.typesetPromise(); });
  }
  function imagesReady() {
    return Promise.all(arr(document.images).map(function (img) {
      return img.decode ? img.decode().catch(function () {}) : null;
    }));
  }

  fontsReady()
    .then(mathReady)
    .then(imagesReady)
    .catch(function (err) { console.error("slides: preparing the deck failed:", err); })
    .then(function () {
      try { fitAll(); } catch (err) { console.error("slides: fitting failed:", err); }
      root.classList.remove("sl-measure");
      window.slidesFit = report;
      var plugins = typeof RevealNotes !== "undefined" ? [RevealNotes] : [];
      return Reveal.initialize({
        width: W, height: H, margin: 0.02, minScale: 0.2, maxScale: 3,
        center: false, hash: true, slideNumber: "c/t", controls: false, progress: true,
        transition: "slide", transitionSpeed: "fast", backgroundTransition: "none",
        pdfMaxPagesPerSlide: 1, plugins: plugins
      });
    })
    .then(function () { document.documentElement.setAttribute("data-slides-ready", "1"); });
})();
"""

CSP = (
    "default-src 'none'; script-src 'unsafe-inline' data:; style-src 'unsafe-inline'; "
    "img-src data: blob:; font-src data:; media-src data: blob:; "
    "frame-src 'self' file: data: blob:; connect-src 'none'; object-src 'none'; "
    "base-uri 'none'; form-action 'none'"
)


# Characters worth an emoji font: arrows and symbols from U+2190 on, and the emoji planes.
_SYMBOL = re.compile("[\u2190-\u2bff\u3030\u303d\u3297\u3299\U0001f000-\U0001faff]")
_FONT_FACE = re.compile(
    r"@font-face\s*{[^}]*?url\(\./files/(?P<file>[^)]+?\.woff)\)\s*format\('woff'\)[^}]*?"
    r"unicode-range:\s*(?P<ranges>[^;}]+)",
    re.S,
)


def _in_ranges(code, ranges):
    for part in ranges.split(","):
        lo, _, hi = part.strip().upper().removeprefix("U+").partition("-")
        if int(lo, 16) <= code <= int(hi or lo, 16):
            return True
    return False


def emoji_css(text, assets):
    """``@font-face`` rules (``data:`` fonts) for the emoji and symbols used in ``text``.

    Only the Noto Emoji subsets whose Unicode range holds a character of
    ``text`` (from U+2190 on) are embedded; an empty string if there is none.
    """
    used = {ord(ch) for ch in set(_SYMBOL.findall(text))}
    fonts = assets.get(slide_assets.EMOJI_FONTS) or {}
    if not used or not fonts:
        return ""
    rules = []
    for m in _FONT_FACE.finditer(assets.get("emoji.css", "")):
        ranges = " ".join(m["ranges"].split())
        if m["file"] in fonts and any(_in_ranges(code, ranges) for code in used):
            rules.append(
                "@font-face{font-family:'Noto Emoji';font-style:normal;font-weight:400;"
                f"src:url({_data_uri('font/woff', fonts[m['file']])}) format('woff');unicode-range:{ranges}}}"
            )
    return "\n".join(rules)


def _inline_script(js):
    """A ``<script>`` element holding ``js``, safe for the HTML parser.

    The text is inlined as is unless it contains ``</script`` or could put the
    parser into the "double escaped" state (``<script`` after an unclosed
    ``<!--``); such a script is embedded as a ``data:`` URI instead.
    """
    lower = js.lower()
    unsafe = "</script" in lower
    pos = 0
    while not unsafe:
        start = lower.find("<!--", pos)
        if start < 0:
            break
        end = lower.find("-->", start + 4)
        if re.search(r"<script[\s/>]", lower[start : end if end >= 0 else len(lower)]):
            unsafe = True
        pos = end + 3 if end >= 0 else len(lower)
    if unsafe:
        return f'<script src="{_data_uri("text/javascript", js.encode("utf-8"))}"></script>'
    return f"<script>{js}</script>"


def _inline_style(css):
    if "</style" in css.lower():
        raise SlidesError("a style sheet contains '</style': cannot inline it")
    return f"<style>{css}</style>"


def _comment(text):
    return "<!--\n" + text.replace("-->", "-- >").replace("<!--", "<! --").rstrip() + "\n-->"


def _section_attrs(sub, classes):
    attrs = dict(sub.attrs)
    attrs["class"] = " ".join(classes)
    return "".join(f' {k}="{html.escape(v, quote=True)}"' for k, v in sorted(attrs.items()))


def deck_html(deck, assets, source_name):
    """The complete HTML document of a deck.

    Parameters
    ----------
    deck : Deck
    assets : dict
        Texts from :func:`slide_assets.load_assets` (keys ``reveal.js``,
        ``reveal.css``, ``theme.css``, ``notes.js``, ``mathjax.js`` and the
        ``*.LICENSE`` texts).
    source_name : str
        The notebook, as named in the deck's header comment
        (e.g. ``solutions/01_simulate.ipynb``).

    Returns
    -------
    str
    """
    from pygments.formatters import HtmlFormatter

    pygments_css = HtmlFormatter(style="default").get_style_defs(".reveal pre.sl-input")
    body = []
    for stack in deck.slides:
        body.append("<section>")
        for sub in stack:
            classes = ["sl-slide"] + (["sl-title", "center"] if sub.title else [])
            body.append(f"<section{_section_attrs(sub, classes)}>")
            for block in sub.blocks:
                if isinstance(block, list):
                    body.append('<div class="fragment">' + "".join(block) + "</div>")
                else:
                    body.append(block)
            if sub.notes:
                # maths in notes stays TeX: the speaker view has no MathJax style sheet
                body.append('<aside class="notes tex2jax_ignore">' + "".join(sub.notes) + "</aside>")
            body.append("</section>")
        body.append("</section>")
    credits = "\n".join(f"  - {c}" for c in slide_assets.CREDITS)
    header = _comment(
        f"Slides of {source_name}, made by tools/slides.py. Self-contained: works offline.\n"
        f"Keys: arrows or space to move, Esc for the overview, S for the speaker view, F for full screen.\n"
        f"Third-party code and fonts inside this file (licences at the end of the file):\n{credits}"
    )
    licences = _comment(
        "Licences of the third-party code and fonts in this file\n\n"
        f"=== reveal.js {slide_assets.REVEAL.version} ===\n{assets.get('reveal.LICENSE', '')}\n\n"
        f"=== Source Sans Pro (reveal.js theme fonts) ===\n{assets.get('font.LICENSE', '')}\n\n"
        f"=== MathJax {slide_assets.MATHJAX.version} ===\n{assets.get('mathjax.LICENSE', '')}\n\n"
        f"=== Noto Emoji ({slide_assets.EMOJI.name} {slide_assets.EMOJI.version}) ===\n"
        f"{assets.get('emoji.LICENSE', '')}"
    )
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(deck.title)}</title>",
        header,
        _inline_style(assets["reveal.css"]),
        _inline_style(assets["theme.css"]),
        _inline_style(DECK_CSS + pygments_css + "\n" + emoji_css("".join(body), assets) + "\n"),
        "</head>",
        "<body>",
        '<div class="reveal sl-measure"><div class="slides">',
        "\n".join(body),
        "</div></div>",
        _inline_script(MATHJAX_CONFIG),
        _inline_script(assets["mathjax.js"]),
        _inline_script(assets["reveal.js"]),
        _inline_script(assets["notes.js"]),
        _inline_script(DECK_JS),
        "</body>",
        licences,
        "</html>",
        "",
    ]
    return "\n".join(parts)


# ---------------------------------------------------------------- driver


def find_notebooks(root):
    """Every solution notebook ``solutions/NN_name.ipynb`` under ``root``, sorted."""
    folder = Path(root) / SOLUTION_DIR
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and NOTEBOOK_NAME.match(p.name))


def select_notebooks(root, names):
    """The notebooks named (``NN_name``, ``NN``, or a path); all if ``names`` is empty."""
    notebooks = find_notebooks(root)
    if not names:
        return notebooks
    try:
        return build.match_names(notebooks, names, what="solution notebook")
    except ValueError as exc:
        raise SlidesError(str(exc)) from None


def _relative(path, root):
    try:
        return Path(path).resolve().relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return Path(path).name


def build_deck(nb_path, assets, root=None, log=print):
    """HTML of the deck of one notebook (warnings go to ``log``).

    Returns
    -------
    (str, Deck)
    """
    import nbformat

    nb_path = Path(nb_path)
    root = Path(root) if root is not None else nb_path.parent.parent
    name = _relative(nb_path, root)
    try:
        nb = nbformat.read(nb_path, as_version=4)
    except Exception as exc:  # unreadable JSON, wrong format, missing file
        raise SlidesError(f"{name}: cannot read the notebook: {exc}") from None
    has_outputs = any(c.get("outputs") for c in nb.cells if c.get("cell_type") == "code")
    if not has_outputs:
        log(f"warning: {name} has no outputs (not executed?): build it first with python tools/build.py {nb_path.stem}")
    deck = make_deck(nb, name=name, base_dir=nb_path.parent, warn=lambda m: log(f"warning: {m}"))
    return deck_html(deck, assets, name), deck


def _write_if_changed(path, data):
    path = Path(path)
    if path.exists() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return True


def build_decks(root, names=None, out_dir=None, log=print):
    """Write one self-contained HTML deck per solution notebook.

    Parameters
    ----------
    root : path-like
        Repository root (holds ``solutions/``).
    names : list of str, optional
        Notebooks to convert (``NN_name``, ``NN`` or a path); default: every
        ``solutions/NN_name.ipynb``.
    out_dir : path-like, optional
        Where the decks go (default ``ROOT/slides``); created if missing.
    log : callable
        Receives one line per deck, downloads and warnings.

    Returns
    -------
    list of pathlib.Path
        The deck files, ``OUT/NN_name.html``, in notebook order.

    Raises
    ------
    SlidesError
        A name matches no notebook, a notebook cannot be read or has no
        markdown cell for its title.
    slide_assets.AssetError
        reveal.js or MathJax can be neither downloaded nor found in the cache.
    """
    root = Path(root)
    out = Path(out_dir) if out_dir is not None else root / DECK_DIR
    notebooks = select_notebooks(root, names or [])
    if not notebooks:
        log(f"no solution notebooks {SOLUTION_DIR}/NN_name.ipynb under {root}")
        return []
    assets = slide_assets.load_assets(root, log=log)
    written = []
    missing_alt = 0
    for nb_path in notebooks:
        text, deck = build_deck(nb_path, assets, root=root, log=log)
        missing_alt += sum("without alt text" in w for w in deck.warnings)
        target = out / f"{nb_path.stem}.html"
        data = text.encode("utf-8")
        changed = _write_if_changed(target, data)
        horizontal, total = deck.counts()
        log(
            f"{'wrote' if changed else 'unchanged'} {_relative(target, root) if _is_below(target, root) else target} "
            f"({horizontal} slides + {total - horizontal} sub-slides before fitting, {len(data) / 1e6:.1f} MB)"
        )
        written.append(target)
    if missing_alt:
        log(
            f"hint: {missing_alt} figure(s) without alt text; display a figure with "
            "IPython.display.display(fig, metadata={'image/png': {'alt': 'one sentence'}})"
        )
    return written


def _is_below(path, root):
    try:
        Path(path).resolve().relative_to(Path(root).resolve())
        return True
    except ValueError:
        return False


def main(argv=None):
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="tools/slides.py",
        description="Offline reveal.js decks (one HTML file each) from the executed solutions/NN_name.ipynb.",
    )
    parser.add_argument("names", nargs="*", help="notebooks to convert (NN_name, NN or a path); default: all")
    parser.add_argument("--out", default=None, help=f"folder for the decks (default: {DECK_DIR}/ in the repository)")
    parser.add_argument("--root", default=str(REPO_ROOT), help="root of the tree (default: this repository)")
    args = parser.parse_args(argv)
    try:
        build_decks(Path(args.root).resolve(), args.names, out_dir=args.out)
    except (SlidesError, slide_assets.AssetError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
