"""Shared by the tests of the exercise checks (``tests/test_checks_*.py``).

A check prints a verdict whose first line starts with ✅ (passed), ❌ (a
mistake, with a hint) or ⏳ (not done yet), and returns a bool.
"""

from __future__ import annotations


def run_check(check, fn, capsys):
    """Run a check; return (result, printed text). Also assert the output contract."""
    capsys.readouterr()
    result = check(fn)
    out = capsys.readouterr().out
    assert isinstance(result, bool)
    first = out.splitlines()[0] if out else ""
    if result:
        assert first.startswith("✅"), out
    else:
        assert first.startswith(("❌", "⏳")), out
    return result, out


def assert_caught(check, fn, capsys, *keywords):
    result, out = run_check(check, fn, capsys)
    assert result is False, f"wrong implementation passed:\n{out}"
    low = out.lower()
    assert any(k.lower() in low for k in keywords), f"none of {keywords} in:\n{out}"
    return out


def assert_passes(check, fn, capsys):
    result, out = run_check(check, fn, capsys)
    assert result is True, out
    return out


def not_done(*args):
    raise NotImplementedError("write your code here")


def assert_message(check, fn, capsys, *phrases):
    """The check fails ``fn`` and its output contains EVERY phrase (case-insensitive)."""
    result, out = run_check(check, fn, capsys)
    assert result is False, f"wrong implementation passed:\n{out}"
    low = out.lower()
    missing = [p for p in phrases if p.lower() not in low]
    assert not missing, f"{missing} not in:\n{out}"
    return out


def headlines(check, catalogue, capsys):
    """The first line each wrong answer of ``catalogue`` gets, by function name."""
    out = {}
    for fn, _ in catalogue:
        _, text = run_check(check, fn, capsys)
        out[fn.__name__] = text.splitlines()[0]
    return out
