"""End to end in a real browser: JupyterLab + headless Chromium via Playwright.

Starts JupyterLab on 127.0.0.1 (free port, random token, no browser of its
own) in a scratch copy of ``solutions/``, opens a solution notebook, runs all
cells, waits for the explorer to render, moves a slider and asserts the
figure's image changed. Screenshots go to ``test-artifacts/``.

Needs Debian's Chromium at ``/usr/bin/chromium`` (``apt-get install -y
chromium``; Playwright cannot download its own browser here) and the
``playwright`` Python package. If either is missing the test FAILS with a
message saying so: it never passes silently.
"""

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
# notebook -> how many explorers it shows (the test drives the first one)
NOTEBOOK = "01_simulate.ipynb"
EXERCISE_NOTEBOOK = "02_forward_backward.ipynb"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def _lab(tmp_path, src):
    """A JupyterLab server on a scratch copy of one notebook; always shut down."""
    if not src.exists():
        pytest.fail(f"{src} is missing: build the notebooks first (python tools/build.py)")
    work = tmp_path / "lab"
    work.mkdir()
    shutil.copy(src, work / src.name)
    port, token = _free_port(), secrets.token_hex(16)
    cmd = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={work}",
        "--ServerApp.open_browser=False", "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    log = open(tmp_path / "jupyterlab.log", "w")
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp_path / "cfg"), JUPYTER_RUNTIME_DIR=str(tmp_path / "rt"))
    proc = subprocess.Popen(cmd, cwd=work, stdout=log, stderr=subprocess.STDOUT, env=env,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    pytest.fail("JupyterLab did not start:\n" + (tmp_path / "jupyterlab.log").read_text()[-3000:])
                time.sleep(0.5)
        yield base, token, work
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        log.close()


@pytest.fixture
def lab(tmp_path):
    """JupyterLab on a copy of the 01 solution (it has an explorer)."""
    with _lab(tmp_path, ROOT / "solutions" / NOTEBOOK) as server:
        yield server


@pytest.fixture
def lab_exercise(tmp_path):
    """JupyterLab on a copy of the 02 exercise notebook (collapsed hints, Think! discussions)."""
    with _lab(tmp_path, ROOT / "notebooks" / EXERCISE_NOTEBOOK) as server:
        yield server


def _launch_browser(p):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install it with 'apt-get install -y chromium' "
                    "(the browser test cannot run without it)")
    try:
        return p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
    except Exception as exc:  # the message says what went wrong; never skip
        pytest.fail(f"could not start Chromium at {CHROMIUM}: {exc}")


def test_explorer_slider_changes_figure_in_jupyterlab(lab):
    try:
        from playwright.sync_api import TimeoutError as PlaywrightTimeout
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the 'playwright' package is missing: pip install -r requirements-dev.txt")
    base, token, _ = lab
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = _launch_browser(p)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(90_000)
            page.goto(f"{base}/lab/tree/{NOTEBOOK}?token={token}")
            page.wait_for_selector(".jp-Notebook .jp-Cell", state="attached")
            # a fresh JupyterLab may ask which kernel to use: accept the default
            accept = page.locator(".jp-Dialog .jp-mod-accept")
            try:
                accept.wait_for(state="visible", timeout=15_000)
                accept.click()
            except PlaywrightTimeout:
                pass
            # wait until the kernel is ready, then Run > Run All Cells
            page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", state="attached")
            page.click("div.lm-MenuBar-itemLabel:text-is('Run')")
            page.click("li.lm-Menu-item[data-command='runmenu:run-all']")
            handle = page.locator(".jupyter-widgets .noUi-handle, .jupyter-widgets .ui-slider-handle").first
            handle.wait_for(state="attached")
            image = page.locator("img.widget-image").first
            image.wait_for(state="visible")
            page.wait_for_function("() => { const i = document.querySelector('img.widget-image');"
                                   " return i && i.complete && i.naturalWidth > 0; }")
            image.scroll_into_view_if_needed()
            before = image.screenshot(path=str(ARTIFACTS / "browser-figure-before.png"))
            page.screenshot(path=str(ARTIFACTS / "browser-before.png"))
            src_before = image.get_attribute("src")

            # move the first slider: focus its handle and press the right arrow
            handle.focus()
            for _ in range(4):
                page.keyboard.press("ArrowRight")
            page.wait_for_function(
                "(before) => { const i = document.querySelector('img.widget-image');"
                " return i && i.src !== before && i.complete && i.naturalWidth > 0; }",
                arg=src_before, timeout=60_000,
            )
            page.wait_for_timeout(300)
            image.scroll_into_view_if_needed()
            after = image.screenshot(path=str(ARTIFACTS / "browser-figure-after.png"))
            page.screenshot(path=str(ARTIFACTS / "browser-after.png"))
            assert after != before, "moving the slider did not change the figure's pixels"
            errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
            assert errors.count() == 0 or "Error" not in errors.first.inner_text()
        except BaseException:
            page.screenshot(path=str(ARTIFACTS / "browser-failure.png"))
            raise
        finally:
            browser.close()


def test_collapsed_hints_render_in_jupyterlab(lab_exercise):
    """A hint is closed until its summary is clicked; then its markdown and maths are rendered."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the 'playwright' package is missing: pip install -r requirements-dev.txt")
    base, token, _ = lab_exercise
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = _launch_browser(p)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(90_000)
            page.goto(f"{base}/lab/tree/{EXERCISE_NOTEBOOK}?token={token}")
            page.wait_for_selector(".jp-Notebook .jp-Cell", state="attached")
            hint = page.locator(".jp-RenderedMarkdown details", has=page.locator("summary", has_text="Hint 2")).first
            hint.scroll_into_view_if_needed()
            hint.wait_for(state="visible")
            summary = hint.locator("summary")
            body_text = hint.inner_text()
            assert hint.get_attribute("open") is None, "the hint is open before it is asked for"
            assert summary.inner_text().startswith("Hint 2"), summary.inner_text()
            assert "alpha[:, t - 1]" not in page.locator(".jp-RenderedMarkdown").first.inner_text()
            page.screenshot(path=str(ARTIFACTS / "browser-hint-closed.png"))
            summary.click()
            page.wait_for_function("(el) => el.open", arg=hint.element_handle())
            # the markdown inside was rendered: inline code became <code>, no raw backticks
            assert hint.locator("code").count() >= 1, hint.inner_html()[:500]
            opened = hint.inner_text()
            assert "`" not in opened and len(opened) > len(body_text), opened[:300]
            hint.scroll_into_view_if_needed()
            page.screenshot(path=str(ARTIFACTS / "browser-hint-open.png"))
            think = page.locator(".jp-RenderedMarkdown details", has=page.locator("summary", has_text="Discussion")).first
            think.scroll_into_view_if_needed()
            assert think.get_attribute("open") is None
        except BaseException:
            page.screenshot(path=str(ARTIFACTS / "browser-hint-failure.png"))
            raise
        finally:
            browser.close()
