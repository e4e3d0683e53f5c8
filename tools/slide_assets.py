"""Third-party files the slide decks inline: fetched from npm once, verified, cached.

A deck (see :mod:`slides`) must work with no network at presentation time, so
it carries its JavaScript, CSS and fonts inside the HTML file. They come from
three npm packages, pinned here to exact versions and checked against the
``sha512`` integrity that the npm registry publishes for each tarball:

=========  =======  ==========  ===============================================
package    version  licence     what the decks use
=========  =======  ==========  ===============================================
reveal.js  6.0.2    MIT         ``dist/reveal.js``, ``dist/reveal.css``,
                                ``dist/theme/white.css`` (embeds the Source Sans
                                Pro web fonts as ``data:`` URIs; fonts under the
                                SIL Open Font License 1.1),
                                ``dist/plugin/notes.js`` (speaker view)
mathjax    3.2.2    Apache-2.0  ``es5/tex-svg-full.js``: TeX input, SVG output
                                (glyphs are SVG paths: no font files), every
                                TeX extension included (nothing is autoloaded)
@fontsource/  5.3.2 OFL-1.1     monochrome Noto Emoji, split by Unicode range
noto-emoji                      into WOFF subsets; a deck embeds only the
                                subsets holding the symbols it uses (the
                                notebooks print ✅, ⏱ ...: without an emoji font,
                                e.g. on a bare Linux, they would be boxes)
=========  =======  ==========  ===============================================

Tarballs are downloaded from the npm registry (``https://registry.npmjs.org``,
or the registry named by the environment variable ``npm_config_registry``,
which npm itself also reads) and kept in a cache folder: ``$EM_SLIDES_CACHE``
if set, else ``.cache/slides/`` under the repository root (git-ignored). A
cached tarball is re-verified every time it is used; a mismatch is an error,
never silently replaced. Without network and without a cache the build stops
with a message that says what to download and where to put it.

Why npm and not a Python package: no installed package ships these files in a
usable form. nbconvert's ``reveal`` template loads reveal.js 4.0.2, MathJax
2.7.7, require.js and jQuery from CDNs; ``jupyter-server-mathjax`` (PyPI)
ships MathJax 2.7.9 as ~600 files loaded on demand; JupyterLab bundles MathJax
3 inside webpack chunks; ``sphinx-revealjs`` (PyPI) vendors reveal.js 5.2.1,
whose themes pull their fonts in with ``@import``.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import tarfile
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_REGISTRY = "https://registry.npmjs.org"
CACHE_ENV = "EM_SLIDES_CACHE"
REGISTRY_ENV = "npm_config_registry"
DOWNLOAD_TIMEOUT = 60  # seconds per request


class AssetError(RuntimeError):
    """A third-party asset cannot be obtained or fails its integrity check."""


@dataclass(frozen=True)
class NpmPackage:
    """One pinned npm tarball and the files taken from it.

    Attributes
    ----------
    name, version : str
        npm package name and exact version.
    integrity : str
        Subresource-integrity string of the tarball (``sha512-<base64>``), as
        the registry publishes it in ``dist.integrity``.
    licence : str
        SPDX identifier of the package's licence.
    homepage : str
        Project page, for the credits in every deck.
    files : dict
        ``key -> path inside the tarball`` of every file the decks use.
    """

    name: str
    version: str
    integrity: str
    licence: str
    homepage: str
    files: dict = field(default_factory=dict)

    @property
    def tarball_name(self):
        """File name of the tarball, as npm names it (``name-version.tgz``)."""
        return f"{self.name.split('/')[-1]}-{self.version}.tgz"

    def tarball_url(self, registry=None):
        """Download address of the tarball on ``registry`` (default: npm's)."""
        base = (registry or DEFAULT_REGISTRY).rstrip("/")
        return f"{base}/{self.name}/-/{self.tarball_name}"


REVEAL = NpmPackage(
    name="reveal.js",
    version="6.0.2",
    integrity="sha512-JYIg5D9aoxoaLeb84O+OvAwsKWdIavVgEDScxtYEXFCT6t6TQrhNtSgogcjdCpdLsWglhJn3zyE3fUOwiH5KEg==",
    licence="MIT",
    homepage="revealjs.com",
    files={
        "reveal.js": "package/dist/reveal.js",
        "reveal.css": "package/dist/reveal.css",
        "theme.css": "package/dist/theme/white.css",
        "notes.js": "package/dist/plugin/notes.js",
        "reveal.LICENSE": "package/LICENSE",
        "font.LICENSE": "package/css/theme/fonts/source-sans-pro/LICENSE",
    },
)

MATHJAX = NpmPackage(
    name="mathjax",
    version="3.2.2",
    integrity="sha512-Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/FEsPsjKPZGJvtRZM1vO+geW0OhGw==",
    licence="Apache-2.0",
    homepage="www.mathjax.org",
    files={
        "mathjax.js": "package/es5/tex-svg-full.js",
        "mathjax.LICENSE": "package/LICENSE",
    },
)

EMOJI = NpmPackage(
    name="@fontsource/noto-emoji",
    version="5.3.2",
    integrity="sha512-N9CSzXJB04AVWYvFbuBgL2Dq964Zo91th/uOu/QLSuWBYuL9FWXGcEo6ZNwc/IJ7vmpm8KHaIKD7jF8pYm4taw==",
    licence="OFL-1.1",
    homepage="fontsource.org/fonts/noto-emoji",
    files={
        "emoji.css": "package/400.css",
        "emoji.LICENSE": "package/LICENSE",
    },
)
# Binary files taken from a package as a group: key -> (package, folder, file-name pattern).
EMOJI_FONTS = "emoji.woff"
EMOJI_FONT_PATTERN = re.compile(r"^noto-emoji-\d+-400-normal\.woff$")

PACKAGES = (REVEAL, MATHJAX, EMOJI)

# What every deck says about the code and fonts it carries (also in its HTML comment).
CREDITS = (
    f"reveal.js {REVEAL.version} ({REVEAL.licence}, {REVEAL.homepage}) with its 'white' theme",
    "Source Sans Pro fonts, embedded in that theme (SIL Open Font License 1.1, Adobe)",
    f"MathJax {MATHJAX.version} tex-svg-full ({MATHJAX.licence}, {MATHJAX.homepage})",
    f"Noto Emoji (monochrome; only the subsets this deck uses), from {EMOJI.name} {EMOJI.version} "
    "(SIL Open Font License 1.1, Google)",
)


def default_cache_dir(root):
    """The cache folder: ``$EM_SLIDES_CACHE`` if set, else ``ROOT/.cache/slides``."""
    env = os.environ.get(CACHE_ENV)
    return Path(env) if env else Path(root) / ".cache" / "slides"


def integrity_of(data):
    """``sha512-<base64>`` of ``data``, the format of npm's ``dist.integrity``."""
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode("ascii")


def _download(url):
    request = urllib.request.Request(url, headers={"User-Agent": "em-spiking-hmm-slides"})
    with urllib.request.urlopen(request, timeout=DOWNLOAD_TIMEOUT) as response:
        return response.read()


def fetch_tarball(pkg, cache_dir, log=print):
    """The verified tarball of ``pkg``: from the cache, else from the registry.

    Parameters
    ----------
    pkg : NpmPackage
    cache_dir : Path
        Folder holding downloaded tarballs (created if missing).
    log : callable
        Receives one line per download.

    Returns
    -------
    bytes
        The tarball, whose sha512 equals ``pkg.integrity``.

    Raises
    ------
    AssetError
        If the registry cannot be reached, or a cached or downloaded tarball
        does not match the pinned integrity.
    """
    cache_dir = Path(cache_dir)
    path = cache_dir / pkg.tarball_name
    if path.exists():
        data = path.read_bytes()
        if integrity_of(data) != pkg.integrity:
            raise AssetError(
                f"the cached {path} does not match the pinned sha512 of {pkg.name} "
                f"{pkg.version}: delete it and build again (it will be downloaded anew)"
            )
        return data
    registry = os.environ.get(REGISTRY_ENV) or DEFAULT_REGISTRY
    url = pkg.tarball_url(registry)
    log(f"downloading {pkg.name} {pkg.version} from {url} (once; cached in {path})")
    try:
        data = _download(url)
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise AssetError(
            f"cannot download {pkg.name} {pkg.version} from {url}: {reason}.\n"
            f"The slides inline reveal.js and MathJax, fetched once from the npm registry "
            f"and then cached. Connect to the network (or set {REGISTRY_ENV} to a reachable "
            f"npm mirror), or put the file {pkg.tarball_name} (e.g. from 'npm pack "
            f"{pkg.name}@{pkg.version}') into {cache_dir}{os.sep}"
        ) from None
    got = integrity_of(data)
    if got != pkg.integrity:
        raise AssetError(
            f"{url} does not match the pinned integrity of {pkg.name} {pkg.version} "
            f"(expected {pkg.integrity}, got {got}); nothing was cached"
        )
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return data


def extract(pkg, data):
    """The files of ``pkg`` listed in ``pkg.files``, decoded as UTF-8 text.

    For :data:`EMOJI` also its WOFF font files, under the key
    :data:`EMOJI_FONTS` as ``{file name: bytes}``.

    Returns
    -------
    dict
        ``key -> text`` (and ``EMOJI_FONTS -> dict`` for the emoji package).
    """
    out = {}
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for key, member in pkg.files.items():
            try:
                handle = tar.extractfile(member)
            except KeyError:
                handle = None
            if handle is None:
                raise AssetError(f"{pkg.name} {pkg.version}: {member} is not in the tarball")
            out[key] = handle.read().decode("utf-8")
        if pkg.name == EMOJI.name:
            fonts = {}
            for member in tar.getmembers():
                name = member.name.rsplit("/", 1)[-1]
                if member.isfile() and member.name.startswith("package/files/") and EMOJI_FONT_PATTERN.match(name):
                    fonts[name] = tar.extractfile(member).read()
            if not fonts:
                raise AssetError(f"{pkg.name} {pkg.version}: no font files in the tarball")
            out[EMOJI_FONTS] = fonts
    return out


def load_assets(root, cache_dir=None, log=print):
    """Every file the decks inline, as text, keyed as in the packages' ``files``.

    Parameters
    ----------
    root : path-like
        Repository root (locates the default cache).
    cache_dir : path-like, optional
        Overrides :func:`default_cache_dir`.
    log : callable
        Receives progress lines (downloads only).

    Returns
    -------
    dict
        ``key -> text`` for the keys of :data:`REVEAL`, :data:`MATHJAX` and
        :data:`EMOJI`, and ``EMOJI_FONTS -> {file name: bytes}``.

    Raises
    ------
    AssetError
        See :func:`fetch_tarball`.
    """
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir(root)
    assets = {}
    for pkg in PACKAGES:
        assets.update(extract(pkg, fetch_tarball(pkg, cache, log=log)))
    return assets
