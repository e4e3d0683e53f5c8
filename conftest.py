"""pytest configuration for the whole repository: nbval compares figures too.

(The shared fixtures of the unit tests are in ``tests/conftest.py``.)
"""

# ---------------------------------------------------------------------------------
# nbval compares figures too
#
# nbval re-executes every solution notebook and compares its text outputs, but it
# skips images, so a figure whose code changed kept its stale picture in solutions/.
# Here nbval compares image/png as well: each PNG is reduced to its size and a hash
# of its bytes, so a mismatch reads "PNG 1350x675 sha256:3f2a..." instead of a page
# of base64. Matplotlib writes byte-identical PNGs for the same code, data and
# package versions: requirements-dev.txt pins the versions the stored outputs were
# made with (rebuild with `python tools/build.py` after changing any of them).
# ---------------------------------------------------------------------------------

import base64 as _base64
import copy as _copy
import hashlib as _hashlib
import struct as _struct

_IMAGE_MIMES = ("image/png",)


def _png_digest(b64):
    """``PNG WxH sha256:...`` of a base64-encoded PNG (or a note if it is not one)."""
    raw = _base64.b64decode("".join(b64) if isinstance(b64, list) else b64)
    if raw[:8] != b"\x89PNG\r\n\x1a\n" or len(raw) < 24:
        return f"not a PNG ({len(raw)} bytes) sha256:{_hashlib.sha256(raw).hexdigest()[:16]}"
    width, height = _struct.unpack(">II", raw[16:24])
    return f"PNG {width}x{height} sha256:{_hashlib.sha256(raw).hexdigest()[:16]}"


def _digest_images(outputs):
    out = []
    for output in outputs:
        data = output.get("data") if hasattr(output, "get") else None
        if data and any(m in data for m in _IMAGE_MIMES):
            output = _copy.deepcopy(output)
            for mime in _IMAGE_MIMES:
                if mime in output["data"]:
                    output["data"][mime] = _png_digest(output["data"][mime])
        out.append(output)
    return out


def pytest_collection_modifyitems(session, config, items):
    try:
        from nbval.plugin import IPyNbCell
    except ImportError:  # pragma: no cover - nbval is in requirements-dev.txt
        return
    if not getattr(IPyNbCell, "_compares_images", False):
        original = IPyNbCell.compare_outputs

        def compare_outputs(self, test, ref, skip_compare=None):
            return original(self, _digest_images(test), _digest_images(ref), skip_compare)

        IPyNbCell.compare_outputs = compare_outputs
        IPyNbCell._compares_images = True
    for item in items:
        parent = getattr(item, "parent", None)
        skip = getattr(parent, "skip_compare", None)
        if isinstance(item, IPyNbCell) and skip is not None:
            parent.skip_compare = tuple(k for k in skip if k not in _IMAGE_MIMES)
