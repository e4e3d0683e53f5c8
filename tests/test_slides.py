"""The slide decks (tools/slides.py): what goes on the slides, offline, and in a browser.

Unit tests (no browser) build decks from a synthetic notebook with stand-in
assets and check the tag rules, slide breaks, alt text, ``<details>`` blocks
and maths. The offline tests build the real decks of every
``solutions/NN_name.ipynb`` (reveal.js and MathJax from the npm registry, the
first time only: then from the cache) and check that nothing in them would be
fetched from elsewhere.

The browser test opens every deck (and the synthetic one) in Debian's Chromium
at 1280x720 with every request that is not ``file:``/``data:``/``blob:``
aborted and recorded, walks every slide through the Reveal API and asserts, on
each slide:

* nothing overflows: the slide's ``<section>`` is at most 1280x720
  (``scrollWidth``/``scrollHeight``), every rendered element's bounding box
  lies inside the 1280x720 slide area (in slide coordinates, ``.slides``'s box),
  and no element clips its own content (``overflow`` not ``visible`` with
  ``scrollWidth > clientWidth``) -- first with ``<details>`` closed, then again
  with all of them open;
* no raw TeX is left in text outside code (``$$``, ``\\(``, ``\\[``,
  ``\\begin{``, a ``$...$`` pair) and MathJax reported no TeX error;
* every image is loaded (``complete`` and ``naturalWidth > 0``) and has an
  ``alt`` attribute;
* the title slide holds no ``pre``/``code`` element.

Any attempted network request, console error, page error or
Content-Security-Policy violation fails the test. Screenshots of each title
slide and of one figure slide per deck go to ``test-artifacts/slides/``.

Chromium must be at ``/usr/bin/chromium`` (``apt-get install -y chromium``); if
it, or the ``playwright`` package, is missing the test FAILS and says so.
"""

from __future__ import annotations

import base64
import json
import os
import re
import struct
import zlib
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup

from tools import slide_assets, slides

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts" / "slides"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SOLUTION_NAMES = [p.stem for p in slides.find_notebooks(ROOT)]
SYNTHETIC = "99_synthetic"

# Stand-ins for the third-party files: the unit tests need no download.
STUB_ASSETS = {
    "reveal.js": "/* reveal stub */",
    "reveal.css": "/* reveal css stub */",
    "theme.css": "/* theme stub */",
    "notes.js": "/* notes stub */",
    "mathjax.js": "/* mathjax stub */",
    "reveal.LICENSE": "MIT stub",
    "font.LICENSE": "OFL stub",
    "mathjax.LICENSE": "Apache stub",
}


# ---------------------------------------------------------------- a synthetic notebook


def png_bytes(width=480, height=240, rgb=(0, 114, 178)):
    """A valid solid-colour PNG (no matplotlib needed)."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def _png_output(alt=None, width=480, height=240):
    metadata = {"image/png": {"alt": alt}} if alt else {}
    return nbformat.v4.new_output(
        "display_data",
        data={"image/png": base64.b64encode(png_bytes(width, height)).decode(), "text/plain": "<Figure size 480x240>"},
        metadata=metadata,
    )


def _stdout(text):
    return nbformat.v4.new_output("stream", name="stdout", text=text)


def _code(source, outputs=(), tags=(), slide_type=None):
    cell = nbformat.v4.new_code_cell(source)
    cell.outputs = list(outputs)
    if tags:
        cell.metadata["tags"] = list(tags)
    if slide_type:
        cell.metadata["slideshow"] = {"slide_type": slide_type}
    return cell


def _md(source, slide_type=None, tags=()):
    cell = nbformat.v4.new_markdown_cell(source)
    if slide_type:
        cell.metadata["slideshow"] = {"slide_type": slide_type}
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


LONG_CODE = "\n".join(f"value_{i:02d} = compute_something(value_{max(i - 1, 0):02d}, scale={i})  # step {i}" for i in range(60))
LONG_MARKDOWN = "\n\n".join(
    f"Paragraph {i}: the forward variable $\\alpha_t(j)$ sums the paths into state $j$, and the product "
    f"$a_1 * b_2 * c_3$ must survive markdown intact, underscores and asterisks included." for i in range(14)
)
WIDE_TABLE = "| " + " | ".join(f"column {i}" for i in range(24)) + " |\n|" + "---|" * 24 + "\n| " + " | ".join(
    f"{i * 1000.5:.1f}" for i in range(24)
) + " |"
WIDE_MATH = "$$" + " + ".join(f"\\frac{{\\alpha_{{{i}}}(j)}}{{c_{{{i}}}}}" for i in range(40)) + "$$"
LONG_DETAILS = (
    "## A long answer\n\nThink! What happens when the chain never leaves a state?\n\n"
    "<details><summary>Answer (think first)</summary>\n"
    + "\n\n".join(f"Line {i} of the discussion, with $\\gamma_t(k)$ and **bold** text." for i in range(16))
    + "\n</details>"
)


def synthetic_notebook():
    """A notebook that exercises every rule of the deck builder."""
    widget = nbformat.v4.new_output(
        "display_data",
        data={"application/vnd.jupyter.widget-view+json": {"model_id": "1" * 32, "version_major": 2, "version_minor": 0},
              "text/plain": "interactive(children=(IntSlider(value=3),))"},
    )
    error = nbformat.v4.new_output("error", ename="ValueError", evalue="A must have rows that sum to 1",
                                   traceback=["\x1b[0;31mValueError\x1b[0m: long traceback"])
    cells = [
        _md("# 99 · A synthetic deck\n\n**Time:** about 20 minutes. With `inline_code` in the title cell.\n\n"
            "Objectives:\n\n- simulate $x_t$\n- infer $\\gamma_t(k)$", slide_type="slide"),
        _code("# Setup: Colab only\nimport sys", outputs=[_stdout("SETUP-OUTPUT\n")], tags=["colab-setup"]),
        _code("import numpy as np\nfrom helpers import plotting\n\nplotting.use_style()", tags=["slides-code"]),
        _md("## Tags decide what is shown\n\nInline maths $a_1 * b_2 * c_3$ and display maths:\n\n"
            "$$\n\\begin{aligned}\n\\psi_k &= \\frac{F_k}{N} \\\\\nA_{ij} &= \\frac{\\xi_{ij}}{\\sum_j \\xi_{ij}}\n\\end{aligned}\n$$",
            slide_type="slide"),
        _code("print('SKIPPED-SOURCE')", outputs=[_stdout("SKIPPED-OUTPUT\n")], tags=["slides-skip"]),
        _md("MARKDOWN-SKIPPED", tags=["slides-skip"]),
        _code("def lesson(x):\n    return 'CODE-SHOWN'\n\nprint(lesson(1))", outputs=[_stdout("RESULT-SHOWN\n")],
              tags=["slides-code"]),
        _code("print('HIDDEN-SOURCE')", outputs=[_stdout("VISIBLE-OUTPUT\n")]),
        _code("x = 1  # NO-OUTPUT-CELL"),
        _md("## Figures", slide_type="subslide"),
        _code("fig = plot_with_alt()", outputs=[_png_output(alt="ALT-FROM-METADATA: a blue rectangle.")]),
        _code("fig = plot_with_caption()", outputs=[_png_output()]),
        _md("*Figure:* CAPTION-ALT sentence one. And a second sentence."),
        _code("fig = plot_without_alt()", outputs=[_png_output()]),
        _md("Just text after a figure, no caption."),
        _md("## A live explorer\n\nMove the slider.", slide_type="slide"),
        _code("widgets.explore()", outputs=[widget]),
        _md("## Hints\n\nImplement it.\n\n<details><summary>Hint 1</summary>\nUse $\\alpha_{t-1}(i) A_{ij}$ and *emphasis*.\n</details>\n\n"
            "<details>\n<summary>Think! answer</summary>\n\nBecause $p(y_t \\mid x_t)$ is **small**.\n\n</details>",
            slide_type="slide"),
        _md("FRAGMENT-ONE", slide_type="fragment"),
        _md("continues the fragment"),
        _md("Speaker NOTES-TEXT with $x$.", slide_type="notes"),
        _md("SKIP-TYPE cell", slide_type="skip"),
        _code("print('break carrier')", tags=["slides-skip"], slide_type="slide"),
        _md("## CARRIED-BREAK\n\nThis cell has no slide type: the break of the skipped cell moves here."),
        _md(LONG_MARKDOWN, slide_type="slide"),
        _md("## A long code cell", slide_type="slide"),
        _code(LONG_CODE, tags=["slides-code"]),
        _md("## Wide things\n\n" + WIDE_TABLE + "\n\n" + WIDE_MATH, slide_type="slide"),
        _md(LONG_DETAILS, slide_type="slide"),
        _code("check(A)", outputs=[error], tags=["raises-exception"], slide_type="subslide"),
        _code("print(table)", outputs=[_stdout("\n".join(f"row {i:3d}  " + "  ".join(f"{j * i:8.3f}" for j in range(14))
                                                         for i in range(12)) + "\n")]),
    ]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def _soup(text):
    return BeautifulSoup(text, "html.parser")


@pytest.fixture(scope="module")
def synthetic_deck():
    """``(html, deck, warnings)`` of the synthetic notebook with stand-in assets."""
    warnings = []
    deck = slides.make_deck(synthetic_notebook(), name="tests/99_synthetic.ipynb", warn=warnings.append)
    return slides.deck_html(deck, STUB_ASSETS, "tests/99_synthetic.ipynb"), deck, warnings


def _slides_html(text):
    """The markup inside ``<div class="slides">`` (the deck's content only)."""
    return str(_soup(text).select_one("div.slides"))


# ---------------------------------------------------------------- unit tests: what is shown


def test_tags_decide_what_is_shown(synthetic_deck):
    text, _, _ = synthetic_deck
    content = _slides_html(text)
    assert "SETUP-OUTPUT" not in content and "Setup: Colab only" not in content, "the colab-setup cell must never appear"
    assert "plotting.use_style" not in content and "import numpy" not in content, "an import-only cell must never appear"
    assert "SKIPPED-SOURCE" not in content and "SKIPPED-OUTPUT" not in content, "a slides-skip code cell must be absent"
    assert "MARKDOWN-SKIPPED" not in content, "a slides-skip markdown cell must be absent"
    assert "CODE-SHOWN" in content and "RESULT-SHOWN" in content, "a slides-code cell shows its input and outputs"
    assert "VISIBLE-OUTPUT" in content and "HIDDEN-SOURCE" not in content, "an untagged code cell shows only its outputs"
    assert "NO-OUTPUT-CELL" not in content, "a code cell without output is omitted"
    assert "SKIP-TYPE" not in content, "slide_type 'skip' is omitted"
    soup = _soup(content)
    shown = soup.find(string=re.compile("CODE-SHOWN")).find_parent("pre")
    assert "sl-input" in shown["class"]


def test_widget_becomes_one_line(synthetic_deck):
    text, _, _ = synthetic_deck
    content = _slides_html(text)
    assert slides.WIDGET_NOTE in content
    assert "IntSlider" not in content, "the widget's text fallback must not be shown"


def test_errors_are_one_line(synthetic_deck):
    content = _slides_html(synthetic_deck[0])
    assert "ValueError: A must have rows that sum to 1" in content
    assert "long traceback" not in content and "\x1b" not in content


def test_details_survive_closed_with_markdown_inside(synthetic_deck):
    soup = _soup(_slides_html(synthetic_deck[0]))
    blocks = soup.find_all("details")
    assert len(blocks) == 3
    assert all(not d.has_attr("open") for d in blocks), "details must be closed by default"
    first = blocks[0]
    assert first.find("summary").get_text() == "Hint 1"
    assert first.find("em") is not None, "markdown inside <details> is rendered"
    assert "$\\alpha_{t-1}(i) A_{ij}$" in first.get_text(), "maths inside <details> is left intact for MathJax"
    assert blocks[1].find("strong") is not None


def test_maths_is_not_mangled_by_markdown(synthetic_deck):
    content = _slides_html(synthetic_deck[0])
    assert "$a_1 * b_2 * c_3$" in content
    assert "\\begin{aligned}" in content and "\\psi_k &amp;= \\frac{F_k}{N} \\\\" in content
    assert "<em>" not in content.split("Inline maths")[1].split("</p>")[0]


def test_normalise_markdown():
    text = "a \\(x_1\\) b `\\(kept\\)`\n```\n\\[kept too\\]\n```\n<details><summary>S</summary>\nbody\n</details>\nafter"
    out = slides.normalise_markdown(text)
    assert "$x_1$" in out and "`\\(kept\\)`" in out and "\\[kept too\\]" in out
    assert "</summary>\n\nbody\n\n</details>\n\nafter" in out


def test_alt_text(synthetic_deck):
    _, _, warnings = synthetic_deck
    soup = _soup(_slides_html(synthetic_deck[0]))
    alts = [img.get("alt") for img in soup.find_all("img")]
    assert alts == ["ALT-FROM-METADATA: a blue rectangle.", "CAPTION-ALT sentence one.", ""]
    missing = [w for w in warnings if "without alt text" in w]
    assert len(missing) == 1 and "tests/99_synthetic.ipynb cell 14" in missing[0] and "plot_without_alt" in missing[0]


def test_images_are_data_uris(synthetic_deck):
    soup = _soup(synthetic_deck[0])
    assert soup.find_all("img"), "the synthetic deck has figures"
    for img in soup.find_all("img"):
        assert img["src"].startswith("data:image/png;base64,")


def test_slide_structure(synthetic_deck):
    text, deck, _ = synthetic_deck
    title = deck.slides[0]
    assert len(title) == 1 and title[0].title and len(title[0].blocks) == 1, "the title slide is the first markdown cell alone"
    soup = _soup(text)
    stacks = soup.select("div.slides > section")
    title_section = stacks[0].find("section")
    assert "sl-title" in title_section["class"]
    assert not title_section.find(["pre", "code"]), "the title slide holds no code element"
    assert title_section.find(class_="sl-code-inline").get_text() == "inline_code"
    tags = stacks[1].find_all("section", recursive=False)
    assert len(tags) == 2, "a subslide break makes a vertical slide"
    hints = next(s for s in stacks if "Hint 1" in s.get_text())
    fragment = hints.select_one("div.fragment")
    assert fragment is not None and "FRAGMENT-ONE" in fragment.get_text() and "continues the fragment" in fragment.get_text()
    notes = hints.select_one("aside.notes")
    assert notes is not None and "NOTES-TEXT" in notes.get_text()
    carried = next(s for s in stacks if "CARRIED-BREAK" in s.get_text())
    assert "FRAGMENT-ONE" not in carried.get_text(), "a break on an omitted cell moves to the next cell shown"
    assert soup.title.get_text() == "99 · A synthetic deck"


def test_first_markdown_cell_without_objectives_is_the_title():
    nb = nbformat.v4.new_notebook(cells=[
        _code("import numpy"),
        _md("# Only a title\n\nAnd one sentence."),
        _md("## Objectives\n\n- one", slide_type="slide"),
    ])
    deck = slides.make_deck(nb)
    assert [len(s) for s in deck.slides] == [1, 1]
    assert "Only a title" in deck.slides[0][0].blocks[0] and "Objectives" in deck.slides[1][0].blocks[0]


def test_no_markdown_cell_is_an_error():
    nb = nbformat.v4.new_notebook(cells=[_code("print(1)", outputs=[_stdout("1\n")])])
    with pytest.raises(slides.SlidesError, match="no markdown cell"):
        slides.make_deck(nb, name="x.ipynb")


def test_code_on_slides_is_shortened():
    source = (
        'def m_step(Y, gamma):\n    """Closed-form M-step.\n\n    Parameters\n    ----------\n    Y : PARAM-DOC\n    """\n'
        "    n = len(Y)\n    ### BEGIN SOLUTION\n    psi = gamma[:, 0].mean(axis=0)\n    ### END SOLUTION\n    return psi"
    )
    nb = nbformat.v4.new_notebook(cells=[_md("# T"), _code(source, tags=["slides-code"], slide_type="slide")])
    content = _slides_html(slides.deck_html(slides.make_deck(nb), STUB_ASSETS, "t.ipynb"))
    text = _soup(content).find("pre", class_="sl-input").get_text()
    assert "Closed-form M-step." in text and "PARAM-DOC" not in text, "a docstring is cut to its summary line"
    assert "SOLUTION" not in text and "psi = gamma[:, 0].mean(axis=0)" in text


def test_setup_only_detection():
    assert slides.is_setup_only("import numpy as np\nfrom helpers import plotting\nplotting.use_style()\n%matplotlib inline")
    assert not slides.is_setup_only("import numpy as np\nx = np.zeros(3)")
    assert not slides.is_setup_only("run_em(Y, psi, A, L, dt)")


def test_printout_font_fits_aligned_lines():
    table = "\n".join("x" * 120 + f"  {i}" for i in range(3))
    size = slides._mono_size(table)
    assert slides.MONO_MIN_PX <= size < slides.MONO_MAX_PX
    assert size * slides.CHAR_EM * 123 <= slides.TEXT_WIDTH, "aligned lines fit without wrapping"
    prose = "word " * 60
    assert slides._mono_size("short\n" + prose) == slides.MONO_MAX_PX, "long prose wraps instead of shrinking"


def test_remote_resources_are_removed():
    warnings = []
    out = slides.postprocess_html(
        '<p><img src="https://example.org/x.png" alt="remote"> <a href="https://example.org">link</a></p>'
        '<iframe src="https://example.org/e"></iframe><script src="https://example.org/s.js"></script>'
        '<style>@import url("https://example.org/c.css");</style>',
        where="nb cell 1",
        warn=warnings.append,
    )
    assert "example.org/x.png" not in out and "[image: remote]" in out
    assert "<iframe" not in out and "<script" not in out and "@import" not in out
    assert 'href="https://example.org"' in out and 'target="_blank"' in out, "links stay (they load nothing by themselves)"
    assert len(warnings) == 4


def test_select_notebooks_names_errors(tmp_path):
    (tmp_path / "solutions").mkdir()
    for name in ("01_a.ipynb", "02_b.ipynb"):
        (tmp_path / "solutions" / name).write_text("{}")
    assert [p.stem for p in slides.select_notebooks(tmp_path, ["02", "01_a"])] == ["02_b", "01_a"]
    with pytest.raises(slides.SlidesError, match="no single solution notebook matches '03'"):
        slides.select_notebooks(tmp_path, ["03"])


def test_inline_script_guards_the_html_parser():
    assert slides._inline_script("var a = 1;") == "<script>var a = 1;</script>"
    risky = slides._inline_script("var s = '</script>';")
    assert risky.startswith('<script src="data:text/javascript;base64,')
    double = slides._inline_script("var r = /<!--/; var t = '<script>';")
    assert double.startswith('<script src="data:')


# ---------------------------------------------------------------- assets


def test_asset_download_failure_is_clear(tmp_path, monkeypatch):
    monkeypatch.setenv(slide_assets.REGISTRY_ENV, "http://127.0.0.1:9")  # nothing listens there
    with pytest.raises(slide_assets.AssetError) as info:
        slide_assets.fetch_tarball(slide_assets.REVEAL, tmp_path / "cache", log=lambda m: None)
    message = str(info.value)
    assert "cannot download reveal.js 6.0.2" in message and "reveal.js-6.0.2.tgz" in message
    assert not (tmp_path / "cache" / "reveal.js-6.0.2.tgz").exists()


def test_corrupt_cache_is_refused(tmp_path):
    (tmp_path / slide_assets.MATHJAX.tarball_name).write_bytes(b"not the tarball")
    with pytest.raises(slide_assets.AssetError, match="does not match the pinned sha512"):
        slide_assets.fetch_tarball(slide_assets.MATHJAX, tmp_path, log=lambda m: None)


# ---------------------------------------------------------------- the real decks (offline)


@pytest.fixture(scope="module")
def assets():
    """The real reveal.js and MathJax files (downloaded once, then cached)."""
    try:
        return slide_assets.load_assets(ROOT, log=print)
    except slide_assets.AssetError as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="module")
def decks(tmp_path_factory, assets):
    """``name -> path`` of the decks of every solution notebook, plus the synthetic deck."""
    if not SOLUTION_NAMES:
        pytest.fail(f"no solution notebooks under {ROOT / 'solutions'}: build them first (python tools/build.py)")
    out = tmp_path_factory.mktemp("decks")
    lines = []
    paths = slides.build_decks(ROOT, out_dir=out, log=lines.append)
    built = {p.stem: p for p in paths}
    nb_path = out / f"{SYNTHETIC}.ipynb"
    nbformat.write(synthetic_notebook(), nb_path)
    text, _ = slides.build_deck(nb_path, assets, root=out, log=lines.append)
    built[SYNTHETIC] = out / f"{SYNTHETIC}.html"
    built[SYNTHETIC].write_text(text, encoding="utf-8")
    return built


LOADING_ATTRS = ("src", "srcset", "poster", "data", "background", "xlink:href")


def test_decks_load_nothing_from_elsewhere(decks):
    for name, path in decks.items():
        text = path.read_text(encoding="utf-8")
        soup = _soup(text)
        meta = soup.find("meta", attrs={"http-equiv": "Content-Security-Policy"})
        assert meta is not None and "default-src 'none'" in meta["content"], f"{name}: no CSP"
        for tag in soup.find_all(True):
            for attr in LOADING_ATTRS:
                value = tag.get(attr)
                if value and not str(value).startswith(("data:", "#")):
                    pytest.fail(f"{name}: <{tag.name} {attr}={str(value)[:80]!r}> would load a file")
            if tag.name == "link":
                pytest.fail(f"{name}: <link href={tag.get('href')!r}> in the deck")
            style = tag.get("style") or ""
            assert not re.search(r"url\(\s*['\"]?(?!data:|#)", style), f"{name}: style url() in {tag.name}"
        for style in soup.find_all("style"):
            css = style.get_text()
            assert "@import" not in css, f"{name}: @import in a style sheet"
            bad = re.findall(r"url\(\s*['\"]?(?!data:|#)([^)'\"]{0,60})", css)
            assert not bad, f"{name}: style sheet loads {bad[:3]}"
        for script in soup.find_all("script"):
            src = script.get("src")
            assert src is None or src.startswith("data:"), f"{name}: script from {src}"
            code = script.get_text()
            assert not re.search(r"""\bimport\s*\(\s*['"`]https?:|^\s*import\s[^;]*from\s*['"`]https?:""", code, re.M), (
                f"{name}: a script imports a module from the network"
            )
        imgs = soup.find_all("img")
        assert all(img["src"].startswith("data:image/") for img in imgs), f"{name}: an image is not a data: URI"
        assert f"reveal.js {slide_assets.REVEAL.version} (MIT" in text and f"MathJax {slide_assets.MATHJAX.version}" in text


def test_solution_decks_have_their_figures(decks):
    for name in SOLUTION_NAMES:
        nb = nbformat.read(ROOT / "solutions" / f"{name}.ipynb", as_version=4)
        figures = sum(
            1 for c in nb.cells if "slides-skip" not in c.metadata.get("tags", [])
            for o in c.get("outputs", []) if "image/png" in o.get("data", {})
        )
        assert len(_soup(decks[name].read_text(encoding="utf-8")).find_all("img", class_="sl-fig")) == figures, name


def test_emoji_subsets_only_when_used(assets):
    css = slides.emoji_css("<p>\u23f1 about 5 min; \u2705 passed</p>", assets)
    faces = re.findall(r"@font-face\{font-family:'Noto Emoji'.*?unicode-range:([^}]*)\}", css)
    assert faces and all("data:font/woff;base64," in f for f in css.split("@font-face")[1:])
    assert any(slides._in_ranges(0x23F1, r) for r in faces) and any(slides._in_ranges(0x2705, r) for r in faces)
    assert len(faces) < 4, "only the subsets holding the symbols used are embedded"
    assert slides.emoji_css("<p>plain text, maths $x_1$ and a dash \u2013</p>", assets) == ""


def test_deck_is_deterministic(decks, assets):
    name = SOLUTION_NAMES[0]
    again, _ = slides.build_deck(ROOT / "solutions" / f"{name}.ipynb", assets, root=ROOT, log=lambda m: None)
    assert again.encode("utf-8") == decks[name].read_bytes()


# ---------------------------------------------------------------- in a browser

CHECK_SLIDE_JS = r"""
(isTitle) => {
  const slide = Reveal.getCurrentSlide();
  const box = document.querySelector('.reveal .slides').getBoundingClientRect();
  const scale = Reveal.getScale();
  const tol = 1.01;
  const problems = [];
  const name = (el) => el.tagName.toLowerCase() + (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : '');
  if (slide.scrollHeight > 720 + 1 || slide.scrollWidth > 1280 + 1) {
    problems.push(`section is ${slide.scrollWidth}x${slide.scrollHeight}, more than 1280x720`);
  }
  for (const el of slide.querySelectorAll('*')) {
    if (el.closest('aside.notes') || el.closest('mjx-assistive-mml')) continue;
    if (!el.getClientRects().length) continue;
    if (el.checkVisibility && !el.checkVisibility()) continue;  // e.g. inside a closed <details>
    const cs = getComputedStyle(el);
    if (cs.visibility === 'hidden') continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    const left = (r.left - box.left) / scale, top = (r.top - box.top) / scale;
    const right = (r.right - box.left) / scale, bottom = (r.bottom - box.top) / scale;
    if (left < -tol || top < -tol || right > 1280 + tol || bottom > 720 + tol) {
      problems.push(`${name(el)} at [${left.toFixed(0)}, ${top.toFixed(0)}, ${right.toFixed(0)}, ${bottom.toFixed(0)}] leaves the slide`);
    }
    const clipsX = cs.overflowX !== 'visible' && el.scrollWidth > el.clientWidth + 1;
    const clipsY = cs.overflowY !== 'visible' && el.scrollHeight > el.clientHeight + 1;
    if ((clipsX || clipsY) && !el.closest('mjx-container')) problems.push(`${name(el)} clips its content`);
  }
  // raw TeX outside code: MathJax must have typeset it (also inside closed <details>)
  const walker = document.createTreeWalker(slide, NodeFilter.SHOW_TEXT, {
    acceptNode: (n) => n.parentElement.closest('pre, code, script, style, mjx-container, aside.notes, .sl-code-inline')
      ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT });
  let text = '';
  while (walker.nextNode()) text += walker.currentNode.textContent + ' ';
  const raw = text.match(/\$\$|\\\(|\\\[|\\begin\{|\$[^$\s][^$]*\$/);
  if (raw) problems.push(`raw TeX in the text: ...${text.substr(Math.max(raw.index - 40, 0), 100)}...`);
  if (slide.querySelector('[data-mml-node="merror"], mjx-merror')) problems.push('MathJax reported a TeX error');
  for (const img of slide.querySelectorAll('img')) {
    if (!img.complete || img.naturalWidth === 0) problems.push('broken image ' + (img.alt || img.src.slice(0, 40)));
    if (!img.hasAttribute('alt')) problems.push('image without alt attribute');
  }
  if (isTitle && slide.querySelector('pre, code')) problems.push('the title slide holds code');
  return {problems, figures: slide.querySelectorAll('img.sl-fig').length};
}
"""


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for all decks (fails, never skips, when missing)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the 'playwright' package is missing: pip install -r requirements-dev.txt")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install it with 'apt-get install -y chromium' "
                    "(the slides browser test cannot run without it)")
    with sync_playwright() as p:
        try:
            chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        except Exception as exc:  # the message says what went wrong; never skip
            pytest.fail(f"could not start Chromium at {CHROMIUM}: {exc}")
        try:
            yield chromium
        finally:
            chromium.close()


def _local(url):
    return url.startswith(("file:", "data:", "blob:", "about:"))


@pytest.mark.parametrize("name", SOLUTION_NAMES + [SYNTHETIC])
def test_deck_in_browser(name, decks, browser):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{name}-failure.png").unlink(missing_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    network, errors = [], []

    def route(r):
        if _local(r.request.url):
            r.continue_()
        else:
            network.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("request", lambda req: None if _local(req.url) else network.append(req.url))
    page.on("console", lambda msg: errors.append(f"console {msg.type}: {msg.text}") if msg.type in ("error", "warning") else None)
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    page.add_init_script(
        "window.__csp = []; document.addEventListener('securitypolicyviolation',"
        " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    try:
        page.goto(decks[name].as_uri())
        page.wait_for_selector("html[data-slides-ready='1']", state="attached", timeout=60_000)
        page.evaluate("Reveal.configure({transition: 'none', backgroundTransition: 'none'})")
        indices = page.evaluate("Reveal.getSlides().map(s => { const i = Reveal.getIndices(s); return [i.h, i.v || 0]; })")
        assert indices and indices[0] == [0, 0]
        failures, figure_shot = [], False
        for h, v in indices:
            page.evaluate(f"Reveal.slide({h}, {v})")
            page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
            result = page.evaluate(CHECK_SLIDE_JS, h == 0 and v == 0)
            failures += [f"slide {h}/{v}: {p}" for p in result["problems"]]
            if h == 0 and v == 0:
                page.screenshot(path=str(ARTIFACTS / f"{name}-title.png"))
            if result["figures"] and not figure_shot:
                page.screenshot(path=str(ARTIFACTS / f"{name}-figure.png"))
                figure_shot = True
            has_details = page.evaluate(
                "() => { const d = Reveal.getCurrentSlide().querySelectorAll('details');"
                " d.forEach(x => x.open = true); return d.length; }"
            )
            if has_details:  # opened: the slide rescales so that the answers fit too
                page.evaluate("() => new Promise(r => setTimeout(r, 50))")
                opened = page.evaluate(CHECK_SLIDE_JS, False)
                failures += [f"slide {h}/{v} with <details> open: {p}" for p in opened["problems"]]
                if name == SYNTHETIC:
                    page.screenshot(path=str(ARTIFACTS / f"{name}-details-{h}-{v}.png"))
                page.evaluate("() => Reveal.getCurrentSlide().querySelectorAll('details').forEach(x => x.open = false)")
        csp = page.evaluate("window.__csp")
        assert not network, f"{name}: network requests were attempted: {network[:5]}"
        assert not csp, f"{name}: Content-Security-Policy violations: {csp[:5]}"
        assert not errors, f"{name}: {errors[:5]}"
        assert not failures, f"{name}: {len(failures)} problem(s):\n" + "\n".join(failures[:20])
        if name in SOLUTION_NAMES and any(
            "image/png" in o.get("data", {})
            for c in nbformat.read(ROOT / "solutions" / f"{name}.ipynb", as_version=4).cells for o in c.get("outputs", [])
        ):
            assert figure_shot, f"{name}: no slide with a figure was found"
        fit = page.evaluate("window.slidesFit")
        print(f"{name}: {len(indices)} slides ({len({h for h, _ in indices})} horizontal); fitting: {json.dumps(fit)}")
    except BaseException:
        page.screenshot(path=str(ARTIFACTS / f"{name}-failure.png"))
        raise
    finally:
        context.close()
