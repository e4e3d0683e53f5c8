"""The shared core of the exercise checks: run the student's function safely, compare, report.

Every check module (one per notebook) builds on four things defined here:

* :func:`_run` runs a check body, prints a one-line verdict (✅ passed, ❌ with
  a specific hint, ⏳ not done yet) and returns True or False; it never
  raises, whatever the student's code does;
* :class:`_Ctx` calls the student's function on copies of its inputs and
  turns exceptions, ``None``, modified inputs and use of the global random
  state into failures that name the student's own line;
* :class:`_Failed` (what is wrong, and hints) and :class:`_NotDone`;
* small helpers to coerce results (:func:`_num_array`, :func:`_scalar`,
  :func:`_result_tuple`), compare them (:func:`_close`, :func:`_difference`)
  and format numbers in messages.

An exercise scaffold leaves the key expressions as ``...``. A function that
still contains such a blank (:func:`_blanks`) and does not pass is reported
as "not done yet", with the line of the first blank, rather than with the
error the blank caused.
"""

from __future__ import annotations

import ast
import contextlib
import inspect
import io
import os
import random
import re
import sysconfig
import textwrap
import traceback
import warnings

import numpy as np

from ..learning import fit_em

_HELPERS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

class _Failed(Exception):
    """A check found a problem: ``headline`` (one line) and hint lines."""

    def __init__(self, headline, *hints):
        super().__init__(headline)
        self.headline = headline
        self.hints = [h for h in hints if h]
        self.exc = None  # the student's exception, when the failure is one


class _NotDone(Exception):
    """The student's function raised NotImplementedError."""

    def __init__(self, detail=""):
        super().__init__(detail)
        self.detail = detail


def _package_dirs():
    """Folders whose frames are never 'the student's line'."""
    dirs = {_HELPERS}
    for mod in ("numpy", "scipy"):
        try:
            m = __import__(mod)
            dirs.add(os.path.dirname(os.path.abspath(m.__file__)))
        except Exception:  # pragma: no cover - numpy and scipy are installed
            pass
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        try:
            p = sysconfig.get_paths().get(key)
        except Exception:  # pragma: no cover
            p = None
        if p:
            dirs.add(os.path.abspath(p))
    return tuple(sorted(d.rstrip(os.sep) + os.sep for d in dirs))


_SKIP_DIRS = _package_dirs()
_HELPERS_DIR = _HELPERS + os.sep


def _is_library_frame(filename):
    if filename.startswith("<frozen") or filename.startswith("<__array_function__"):
        return True
    if "site-packages" in filename or "dist-packages" in filename:
        return True
    path = os.path.abspath(filename) if not filename.startswith("<") else filename
    return path.startswith(_SKIP_DIRS)


def _is_notebook_cell(filename):
    base = os.path.basename(os.path.dirname(filename))
    return base.startswith("ipykernel_") or filename.startswith("<ipython-input")


def _where(frame):
    """``in f, line N: source`` for a traceback frame of the student's code."""
    fname = frame.filename
    place = "" if _is_notebook_cell(fname) else f" of {os.path.basename(fname)}"
    src = (frame.line or "").strip()
    text = f"in {frame.name}, line {frame.lineno}{place}"
    return f"{text}: {src}" if src else text


def _short(text, limit=300):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


_OUT_OF_BOUNDS = re.compile(r"index (-?\d+) is out of bounds for axis (\d+) with size (\d+)")
_SHAPE_WORDS = ("broadcast", "shape", "dimension", "operand", "too many indices", "boolean index",
                "cannot reshape", "mismatch", "axis")


def _out_of_bounds(exc):
    """``(index, axis, size)`` of numpy's "index N is out of bounds" IndexError, else None."""
    m = _OUT_OF_BOUNDS.search(str(exc)) if isinstance(exc, IndexError) else None
    return tuple(int(g) for g in m.groups()) if m else None


_BROADCAST = re.compile(r"broadcast together with shapes \(([\d, ]*)\) \(([\d, ]*)\)")


def _row_by_vector(msg):
    """Words for "shapes (n, K) (n,)": a per-row number broadcast against the last axis."""
    m = _BROADCAST.search(msg)
    if not m:
        return ""
    shapes = [tuple(int(x) for x in g.replace(" ", "").split(",") if x) for g in m.groups()]
    if len(shapes[0]) == 1 and len(shapes[1]) == 1 and shapes[0] != shapes[1]:
        return (f"A {shapes[0]} and a {shapes[1]} array cannot be combined entry by entry. To pair every "
                "entry of one with every entry of the other, give one of them a new axis ([:, None]): the "
                "result is then a 2-D table.")
    for a, b in (shapes, shapes[::-1]):
        if len(a) == 2 and len(b) == 1 and b[0] == a[0] and a[0] != a[1]:
            return (f"numpy lines up the LAST axes: your ({b[0]},) array meets the {a[1]} columns of the "
                    f"{a} one, not its {a[0]} rows. To combine each row with its own number, give the "
                    "vector a trailing axis: [:, None], or keepdims=True when you make it with a sum.")
    return ""


def _exception_hints(exc, ctx):
    """Extra words for common exceptions.

    Shape advice ("print the shapes") only for shape and broadcasting errors;
    an index VALUE out of range (a state equal to K, a list entry that does
    not exist yet) gets its own words: there the shapes are fine.
    """
    msg = str(exc)
    hints = []
    oob = _out_of_bounds(exc)
    if "probabilities do not sum to 1" in msg or "probabilities are not non-negative" in msg:
        hints.append(
            "rng.choice(K, p=...) needs a probability vector. The distribution of the "
            "next state when the current state is i is the ROW A[i] "
            "(A[i, j] = P(next = j | now = i)), not the column A[:, i]."
        )
    elif oob is not None:
        index, axis, size = oob
        if index < 0:
            why = ("a negative number used as an index: are numbers that are not indices (scores, "
                   "log-probabilities, maxima) stored where indices belong?")
        elif index == size:
            why = (f"one past the end: e.g. a state equal to K (states are 0 .. K-1), or a bin t + 1 "
                   f"read at the last bin (bins are 0 .. T-1)")
        else:
            why = ("far past the end: e.g. an argmax without axis= (it returns an index into the "
                   "flattened array), or a count used as an index")
        hints.append(
            f"An index VALUE is out of range (the shapes may be fine): this line uses index {index} on "
            f"an axis of length {size}, whose indices are 0 .. {size - 1}. Where does that index come "
            f"from? {why[0].upper() + why[1:]}."
        )
    elif isinstance(exc, IndexError) and "list index out of range" in msg:
        hints.append(
            "A list is shorter than the code assumes: it reads an entry that does not exist (yet), "
            "e.g. lls[-2] on the first pass, before two values have been appended. Check len(...) "
            "before reading it."
        )
    elif isinstance(exc, IndexError) and ("valid indices" in msg or "used as indices must be" in msg):
        hints.append(
            "Indices must be integers: a float (e.g. a state stored in a float array, or the result of "
            "a division) cannot index an array. Create index arrays with dtype=int."
        )
    elif isinstance(exc, (IndexError, ValueError)) and any(w in msg for w in _SHAPE_WORDS):
        row_by_vector = _row_by_vector(msg)
        if row_by_vector:
            hints.append(row_by_vector)
        if ctx.shapes:
            hints.append(f"Print the shapes on that line (x.shape). Here: {ctx.shapes}.")
    elif isinstance(exc, TypeError) and "converted to Python scalars" in msg:
        hints.append(
            "float(...) or int(...) got an array, not a single number: a sum with axis=... keeps the "
            "other axes. Sum over every axis (.sum() without axis) where you need one number."
        )
    elif isinstance(exc, NameError):
        hints.append(
            "A name is not defined: inside the function, use its arguments "
            f"({ctx.signature}) and names you define or import yourself."
        )
    elif isinstance(exc, (ZeroDivisionError, FloatingPointError)):
        hints.append("Something was divided by zero: check the denominators.")
    return hints


def _copy(x):
    if isinstance(x, np.ndarray):
        return x.copy()
    return x


def _modified(orig, passed):
    """Did the student's function change an array it was given?"""
    if not isinstance(orig, np.ndarray):
        return False
    if not isinstance(passed, np.ndarray) or passed.shape != orig.shape:
        return True
    if orig.dtype.kind == "f" and passed.dtype.kind == "f":
        return not np.array_equal(orig, passed, equal_nan=True)
    return not np.array_equal(orig, passed)


def _same_np_state(a, b):
    return a[0] == b[0] and np.array_equal(a[1], b[1]) and tuple(a[2:]) == tuple(b[2:])


class _Ctx:
    """State of one check: the student's function and what happened while calling it."""

    def __init__(self, name, fn, signature, arg_names):
        self.name = name
        self.fn = fn
        self.signature = signature
        self.arg_names = arg_names
        self.printed = []
        self.warned = []
        self.n_steps = 0
        self.step_label = ""
        self.case = ""
        self.shapes = ""
        self.explain = None  # optional: exc -> list of hint lines, for a check's own traps

    def step(self, label):
        self.n_steps += 1
        self.step_label = label

    def call(self, *args):
        """Call the student's function on copies of ``args``; return its result.

        Raises _NotDone / _Failed when it raises, returns None, modifies its
        inputs or touches the global random state.
        """
        passed = [_copy(a) for a in args]
        np_state = np.random.get_state()
        py_state = random.getstate()
        buf = io.StringIO()
        caught = []
        error = None
        try:
            with warnings.catch_warnings(record=True) as rec:
                caught = rec
                warnings.simplefilter("always")
                with contextlib.redirect_stdout(buf), np.errstate(divide="warn", over="warn", invalid="warn", under="ignore"):
                    result = self.fn(*passed)
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # noqa: BLE001 - student code may raise anything
            error = exc
        finally:
            text = buf.getvalue()
            if text:
                self.printed.append(text)
            for w in caught:
                msg = f"{getattr(w.category, '__name__', 'Warning')}: {_short(w.message, 120)}"
                if msg not in self.warned:
                    self.warned.append(msg)
            used_global = not _same_np_state(np_state, np.random.get_state())
            used_global_py = random.getstate() != py_state
            np.random.set_state(np_state)
            random.setstate(py_state)
        if error is not None:
            raise self._exception_failure(error)
        if used_global or used_global_py:
            which = "np.random" if used_global else "Python's random module"
            raise _Failed(
                f"your function uses the global random state ({which}) instead of the rng argument.",
                "Draw every random number from rng (rng.random, rng.choice, rng.integers, "
                "rng.poisson, ...): then the same seed always gives the same sample, and "
                "nothing else in the notebook changes it.",
            )
        if result is None:
            raise _Failed(
                "your function returned None — did you forget `return`?",
                f"It should end with a return statement, e.g. `return {self.returns}`."
                if getattr(self, "returns", "") else "",
            )
        changed = [n for n, a, p in zip(self.arg_names, args, passed) if _modified(a, p)]
        if changed:
            names = ", ".join(f"`{n}`" for n in changed)
            raise _Failed(
                f"your function modified its input {names} in place.",
                "The caller's arrays must stay as they were (later cells use them). Work on "
                "new arrays instead: e.g. write `x = x / s` rather than `x /= s`, or start "
                "from `x = x.copy()`.",
            )
        return result

    def _exception_failure(self, exc):
        frames = traceback.extract_tb(exc.__traceback__)
        student = None
        for i in range(len(frames) - 1, -1, -1):
            if not _is_library_frame(frames[i].filename):
                student = frames[i]
                break
        if isinstance(exc, NotImplementedError):
            fn_name = getattr(self.fn, "__name__", self.name)
            if student is not None and student.name not in (fn_name, self.name):
                return _NotDone(f"it calls `{student.name}`, which is not done yet")
            return _NotDone()
        headline = f"your code raised {type(exc).__name__}: {_short(exc) or '(no message)'}"
        hints = []
        if student is not None:
            idx = frames.index(student)
            hints.append(_where(student))
            if idx + 1 < len(frames) and frames[idx + 1].filename.startswith(_HELPERS_DIR):
                hints.append(
                    f"The error was raised inside helpers' `{frames[idx + 1].name}`, which "
                    "checks its arguments: look at what you pass to it on that line."
                )
        elif isinstance(exc, TypeError) and frames and frames[-1].filename.startswith(_HELPERS_DIR):
            hints.append(
                f"Python could not call your function: it must be defined as `{self.signature}`."
            )
        own = []
        if self.explain is not None:
            try:
                own = [h for h in (self.explain(exc) or []) if h]
            except Exception:  # noqa: BLE001 - a hint must never break the report
                own = []
        hints.extend(own or _exception_hints(exc, self))
        failed = _Failed(headline, *hints)
        failed.exc = exc
        return failed


def _print_student_output(ctx):
    if not ctx.printed:
        return
    lines = ctx.printed[0].rstrip("\n").splitlines()
    calls = len(ctx.printed)
    print(f"📝 Your function printed output during the check ({calls} call{'s' if calls > 1 else ''}); "
          "the first call printed:")
    for line in lines[:8]:
        print("   | " + line[:200])
    if len(lines) > 8:
        print(f"   | ... ({len(lines) - 8} more lines)")


def _blanks(fn):
    """The blanks ``...`` a scaffold left in ``fn``: ``[(line, source line)]``.

    ``...`` used inside brackets, ``x[..., 0]``, is numpy's Ellipsis index,
    not a blank. Line numbers count from the first line of the cell (or file)
    that defines ``fn``, as a notebook shows them. An empty list when the
    source cannot be read.
    """
    try:
        lines, first = inspect.getsourcelines(fn)
        tree = ast.parse(textwrap.dedent("".join(lines)))
    except Exception:  # noqa: BLE001 - builtins, lambdas in odd places, no source
        return []
    in_index = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript):
            in_index.update(id(sub) for sub in ast.walk(node.slice))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and node.value is Ellipsis and id(node) not in in_index:
            found.append(node.lineno)
    first = max(first, 1)
    return [(first + n - 1, lines[n - 1].strip()) for n in sorted(set(found))]


def _print_blanks(name, blanks):
    line, text = blanks[0]
    more = f" ({len(blanks)} lines still have one)" if len(blanks) > 1 else ""
    print(f"⏳ {name}: not done yet: fill in the `...` blanks{more}.")
    print(f"   First blank, line {line}: {text}")
    print("   Replace each `...` with your code, run that cell, then run this check again. "
          "The hints below the exercise help.")


def _run(name, fn, signature, arg_names, returns, body, summary):
    """Run ``body(ctx)``; print the verdict; return True or False, never raise."""
    try:
        if not callable(fn):
            print(f"❌ {name}: expected a function, got {type(fn).__name__}.")
            print(f"   Pass the function itself, e.g. `checks.check_{name}({name})`, after "
                  f"running the cell that defines it.")
            return False
        ctx = _Ctx(name, fn, signature, arg_names)
        ctx.returns = returns
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                body(ctx)
        except _NotDone as nd:
            blanks = _blanks(fn)
            if blanks:
                _print_blanks(name, blanks)
                return False
            extra = f" ({nd.detail})" if nd.detail else ""
            print(f"⏳ {name}: not done yet{extra}.")
            print("   Replace `raise NotImplementedError` with your code, run that cell, "
                  "then run this check again.")
            return False
        except _Failed as f:
            blanks = _blanks(fn)
            if blanks:
                _print_blanks(name, blanks)
                return False
            print(f"❌ {name}: {f.headline}")
            for h in f.hints:
                print(f"   {h}")
            if ctx.warned and any(w in f.headline for w in ("NaN", "nan", "infinite", "not finite")):
                print(f"   Your code also warned: {ctx.warned[0]}")
            if ctx.case:
                print(f"   (test case: {ctx.case})")
            _print_student_output(ctx)
            return False
        print(f"✅ {name} passed all {ctx.n_steps} checks.")
        print(f"   Checked: {summary}.")
        _print_student_output(ctx)
        return True
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # noqa: BLE001 - a check must never crash a notebook
        try:
            blanks = _blanks(fn)
            if blanks:
                _print_blanks(name, blanks)
                return False
            print(f"❌ {name}: the check could not finish ({type(exc).__name__}: {_short(exc)}).")
            print("   Your function returned something the check could not handle; "
                  f"make sure it is `{signature}` and returns {returns}.")
        except BaseException:  # pragma: no cover
            pass
        return False


def fallback(fn, passed, reference):
    """Choose which implementation the rest of a notebook uses.

    Parameters
    ----------
    fn : callable
        The student's function.
    passed : bool
        What its check returned.
    reference : callable
        The reference implementation from :mod:`helpers`.

    Returns
    -------
    callable
        ``fn`` if ``passed`` is True, otherwise ``reference`` (with a one-line note).
    """
    try:
        ok = isinstance(passed, (bool, np.bool_)) and bool(passed)
        if ok and callable(fn):
            return fn
        ref_name = getattr(reference, "__name__", "reference")
        module = getattr(reference, "__module__", "") or ""
        if module.startswith("helpers.checks"):
            ref_label = f"checks.{ref_name}"
        elif module.split(".")[0] == "helpers":
            ref_label = f"helpers.{ref_name}"
        else:
            ref_label = ref_name
        fn_name = getattr(fn, "__name__", None) or ref_name
        if fn_name == "<lambda>":
            fn_name = ref_name
        print(f"ℹ️ Using the reference {ref_label} in the cells below "
              f"(your {fn_name} is not finished or did not pass its check).")
    except KeyboardInterrupt:
        raise
    except BaseException:  # noqa: BLE001
        pass
    return reference


_CACHE = {}


def _cached(key, make):
    """Reference results do not depend on the student's code: compute them once."""
    if key not in _CACHE:
        _CACHE[key] = make()
    return _CACHE[key]


def _fit(Y, K, dt, data_key, **kwargs):
    """``fit_em`` on one of the checks' fixed data sets (``data_key`` names it), cached."""
    simple = tuple(sorted((k, v) for k, v in kwargs.items() if isinstance(v, (int, float, str))))
    return _cached(("fit_em", data_key, K, simple), lambda: fit_em(Y, K, dt, **kwargs))

def _f(x, fmt=".4g"):
    try:
        return format(float(x), fmt)
    except Exception:
        return str(x)


def _vec(v, fmt=".3f"):
    v = np.asarray(v, dtype=float).ravel()
    return "[" + ", ".join(_f(x, fmt) for x in v) + "]"


def _mat(m, fmt=".3f"):
    m = np.asarray(m, dtype=float)
    return "[" + ", ".join(_vec(r, fmt) for r in m) + "]"


def _idx(what, index):
    return f"{what}[{', '.join(str(int(i)) for i in index)}]"


def _num_array(x, what):
    """``x`` as a numeric numpy array, or a _Failed explaining why not."""
    if x is None:
        raise _Failed(f"{what} is None.", "Every output must be an array of numbers.")
    if isinstance(x, (str, bytes, dict, set)):
        raise _Failed(f"{what} should be an array of numbers, got {type(x).__name__}.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            arr = np.asarray(x)
    except Exception:
        raise _Failed(f"{what} should be an array of numbers, got {type(x).__name__} "
                      "(it cannot be turned into a numpy array).") from None
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise _Failed(f"{what} should be an array of numbers, got {type(x).__name__} "
                      f"with dtype {arr.dtype}.")
    if np.iscomplexobj(arr):
        raise _Failed(f"{what} holds complex numbers; it should be real.")
    return arr


def _float_array(x, what):
    return _num_array(x, what).astype(np.float64)


def _scalar(x, what, hint="Return the total (sum over trials and bins), e.g. `return float(total)`."):
    """A single finite-or-not float from a number, 0-d or size-1 array."""
    if x is None or isinstance(x, (str, bytes, dict, set)):
        raise _Failed(f"{what} should be a number, got {type(x).__name__}.", hint)
    arr = _num_array(x, what)
    if arr.size != 1:
        raise _Failed(f"{what} should be a single number, got an array of shape {arr.shape}.", hint)
    return float(arr.reshape(-1)[0])


def _expect_shape(arr, expected, what, labels):
    """Fail with a helpful message unless ``arr.shape == expected``."""
    if arr.shape == tuple(expected):
        return
    names = "(" + ", ".join(labels) + ")"
    head = f"{what} has shape {arr.shape}, expected {tuple(expected)} = {names}."
    hint = ""
    if arr.ndim == len(expected) and sorted(arr.shape) == sorted(expected) and len(set(expected)) == len(expected):
        order = [labels[list(expected).index(s)] for s in arr.shape]
        if len(expected) == 2:
            hint = (f"It is transposed: yours is ({', '.join(order)}), rows and columns swapped "
                    f"(use {what}.T, or fix the indexing).")
            head = f"{what} is transposed: shape {arr.shape}, expected {tuple(expected)} = {names}."
        else:
            hint = (f"The axes are in the wrong order: yours is ({', '.join(order)}). "
                    "Check the indexing, or reorder with np.moveaxis / .transpose.")
    elif arr.ndim == len(expected) + 1 and tuple(s for s in arr.shape if s != 1) == tuple(
        s for s in expected if s != 1
    ):
        hint = "It has an extra axis of length 1 (keepdims=True, or an extra [None]?)."
    elif arr.ndim != len(expected):
        hint = f"It should have {len(expected)} axes {names}, yours has {arr.ndim}."
    raise _Failed(head, hint)


def _expect_finite(arr, what, why=""):
    if not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))[0]
        val = arr[tuple(bad)]
        raise _Failed(
            f"{what} contains {'NaN' if np.isnan(val) else 'infinite'} values "
            f"(first at {_idx(what, bad) if arr.ndim else what}).",
            why or "Look for a division by zero (0 / 0 gives NaN) or a log of 0.",
        )


def _close(got, want, rtol=1e-6, atol=1e-12):
    got = np.asarray(got, dtype=float)
    want = np.asarray(want, dtype=float)
    if got.shape != want.shape:
        return False
    scale = float(np.max(np.abs(want))) if want.size else 0.0
    return bool(np.allclose(got, want, rtol=rtol, atol=atol + 1e-9 * scale))


def _difference(got, want, what, fmt=".4g"):
    """``max abs difference ...; e.g. X[i, j] is a but should be b``."""
    got = np.asarray(got, dtype=float)
    want = np.asarray(want, dtype=float)
    diff = np.abs(got - want)
    diff = np.where(np.isnan(diff), np.inf, diff)
    i = np.unravel_index(int(np.argmax(diff)), diff.shape) if diff.ndim else ()
    where = _idx(what, i) if diff.ndim else what
    return (f"Largest difference {_f(diff[i] if diff.ndim else diff, '.3g')}: "
            f"e.g. {where} is {_f(got[i] if got.ndim else got, fmt)} "
            f"but should be {_f(want[i] if want.ndim else want, fmt)}.")


@contextlib.contextmanager
def _order_hint(order):
    """Add 'return them in this order' to shape and type failures of multi-output functions."""
    try:
        yield
    except _Failed as f:
        if not f.hints or "return" not in f.hints[-1]:
            f.hints.append(f"(The outputs must come in this order: `return {order}`.)")
        raise


def _result_tuple(result, n, what):
    """Unpack a result that must be a sequence of ``n`` things."""
    if isinstance(result, np.ndarray) or not isinstance(result, (tuple, list)):
        if isinstance(result, np.ndarray) and result.ndim > 0:
            kind = f"one array of shape {result.shape}"
        elif isinstance(result, (int, float, np.number, np.ndarray)) and not isinstance(result, bool):
            kind = "one number"
        else:
            kind = f"a {type(result).__name__}"
        raise _Failed(f"your function should return {n} things ({what}), it returned {kind}.",
                      f"End it with `return {what}`.")
    if len(result) != n:
        raise _Failed(f"your function should return {n} things ({what}), it returned {len(result)}.",
                      f"End it with `return {what}`.")
    return list(result)


def _check_uses_rng(draw, what, how):
    """Same seed, same output; another seed, another output. ``draw(seed)`` calls the student."""
    _rng_verdict(draw(7), draw(7), draw(8), what, how)


def _rng_verdict(a, b, c, what, how):
    """Fail unless ``a == b`` (two calls, same seed) and ``a != c`` (another seed)."""
    if not np.array_equal(a, b):
        raise _Failed(
            f"two calls with identically seeded rngs gave different {what}.",
            f"Draw every random number from the rng argument ({how}), not from a new "
            "np.random.default_rng() or np.random.*.",
        )
    if np.array_equal(a, c):
        raise _Failed(
            f"rngs with different seeds gave exactly the same {what}: your function ignores rng.",
            f"Use the rng you are given ({how}) instead of creating your own.",
        )
