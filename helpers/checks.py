"""Exercise checks for the tutorial notebooks, and the reference fallback.

After each exercise a notebook runs, for example::

    ok = checks.check_m_step(m_step)
    m_step_used = checks.fallback(m_step, ok, helpers.m_step)

A check runs the student's function on a few small, seeded cases, compares
what comes back with the reference implementation in :mod:`helpers` (or, for
the sampling exercises, with the statistics the samples must have), prints a
one-line verdict and a specific hint in plain words, and returns ``True`` or
``False``. A check never raises: whatever the student's function does (raise,
return ``None``, return the wrong type, shape or NaN, print, modify its
inputs), the check reports it and returns ``False``.

Every check is deterministic (fixed seeds, no global random state), quick
(well under a second with the reference code), and prints nothing that
changes from run to run, so solution notebooks can be compared by nbval.

Check functions
---------------
=========================  ============================================================
``check_sample_states``    ``sample_states(psi, A, n_trials, T, rng)``        (01)
``check_sample_spikes``    ``sample_spikes(states, L, dt, rng)``              (01)
``check_forward``          ``forward(obs, psi, A) -> (alpha, c)``             (02)
``check_backward``         ``backward(obs, A, c) -> beta``                    (02)
``check_m_step``           ``m_step(Y, gamma, xi_sum, dt) -> (psi, A, L)``    (03)
``check_run_em``           ``run_em(Y, psi, A, L, dt, n_iter, tol)``          (04)
``check_ecll``             ``ecll(Y, gamma, xi_sum, psi, A, L, dt)``          (05)
``check_heldout_ll``       ``heldout_ll(Y_train, Y_test, K, dt, seed)``       (05)
``fallback``               pick the student's function or the reference
=========================  ============================================================
"""

from __future__ import annotations

import contextlib
import io
import itertools
import os
import random
import sysconfig
import traceback
import warnings

import numpy as np
from scipy.special import gammaln, xlogy

from .diagnostics import expected_complete_ll
from .inference import backward as _ref_backward
from .inference import e_step, emission_likelihood, log_likelihood
from .inference import forward as _ref_forward
from .learning import fit_em
from .learning import m_step as _ref_m_step
from .model import sample_spikes as _ref_sample_spikes
from .model import sample_states as _ref_sample_states
from .tutorial_data import tutorial_data

__all__ = [
    "reference_run_em",
    "reference_heldout_ll",
    "check_sample_states",
    "check_sample_spikes",
    "check_forward",
    "check_backward",
    "check_m_step",
    "check_run_em",
    "check_ecll",
    "check_heldout_ll",
    "fallback",
]

# --------------------------------------------------------------------------------------
# machinery: calling the student's function safely, reporting failures
# --------------------------------------------------------------------------------------


class _Failed(Exception):
    """A check found a problem: ``headline`` (one line) and hint lines."""

    def __init__(self, headline, *hints):
        super().__init__(headline)
        self.headline = headline
        self.hints = [h for h in hints if h]


class _NotDone(Exception):
    """The student's function raised NotImplementedError."""

    def __init__(self, detail=""):
        super().__init__(detail)
        self.detail = detail


def _package_dirs():
    """Folders whose frames are never 'the student's line'."""
    dirs = {os.path.dirname(os.path.abspath(__file__))}
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
_HELPERS_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


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


def _exception_hints(exc, ctx):
    """Extra words for common exceptions."""
    msg = str(exc)
    hints = []
    if "probabilities do not sum to 1" in msg or "probabilities are not non-negative" in msg:
        hints.append(
            "rng.choice(K, p=...) needs a probability vector. The distribution of the "
            "next state when the current state is i is the ROW A[i] "
            "(A[i, j] = P(next = j | now = i)), not the column A[:, i]."
        )
    elif isinstance(exc, (IndexError, ValueError)) and any(
        w in msg for w in ("shape", "broadcast", "index", "dimension", "operand", "size")
    ):
        if ctx.shapes:
            hints.append(f"Print the shapes on that line (x.shape). Here: {ctx.shapes}.")
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
        hints.extend(_exception_hints(exc, self))
        return _Failed(headline, *hints)


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
            extra = f" ({nd.detail})" if nd.detail else ""
            print(f"⏳ {name}: not done yet{extra}.")
            print("   Replace `raise NotImplementedError` with your code, run that cell, "
                  "then run this check again.")
            return False
        except _Failed as f:
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
        if module == __name__:
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


def reference_run_em(Y, psi, A, L, dt, n_iter, tol):
    """Reference for notebook 04's ``run_em`` exercise, built on :func:`helpers.fit_em`.

    Returns
    -------
    psi, A, L, lls
        Fitted parameters and the log-likelihood (total nats) before every
        M-step and after the last.
    """
    fit = fit_em(Y, len(psi), dt, n_iter=n_iter, tol=tol, init=(psi, A, L))
    return fit.psi, fit.A, fit.L, np.array(fit.lls)


def reference_heldout_ll(Y_train, Y_test, K, dt, seed):
    """Reference for notebook 05's ``heldout_ll`` exercise.

    Returns
    -------
    train_ll_per_s, test_ll_per_s : float
        Log-likelihood per second of recording (nats/s) of the training data
        (after fitting on it) and of the test data.
    """
    Y_train, Y_test = np.asarray(Y_train), np.asarray(Y_test)
    fit = fit_em(Y_train, K, dt, seed=seed)
    train = fit.lls[-1] / (Y_train.shape[0] * Y_train.shape[1] * dt)
    test = log_likelihood(Y_test, fit.psi, fit.A, fit.L, dt) / (Y_test.shape[0] * Y_test.shape[1] * dt)
    return float(train), float(test)


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


# --------------------------------------------------------------------------------------
# small utilities for messages and comparisons
# --------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------
# 01 simulate
# --------------------------------------------------------------------------------------


def _states_array(out, n, T, K):
    s = _num_array(out, "the returned states")
    if not np.issubdtype(s.dtype, np.integer):
        integral = s.dtype.kind == "f" and np.all(np.isfinite(s)) and np.array_equal(s, np.round(s))
        raise _Failed(
            f"the states should be integers, your array has dtype {s.dtype}.",
            "States are used as indices (A[state], L[:, state]): create the array with "
            "an integer dtype, e.g. np.zeros((n_trials, T), dtype=int)"
            + (" (your values are whole numbers, only the dtype is wrong)." if integral else "."),
        )
    _expect_shape(s, (n, T), "states", ("n_trials", "T"))
    if s.size and (s.min() < 0 or s.max() > K - 1):
        extra = ""
        if s.min() >= 1 and s.max() <= K:
            extra = " Python counts from 0: the states are 0 .. K-1, not 1 .. K."
        raise _Failed(f"states must lie in 0 .. {K - 1} (K = {K}), yours range from "
                      f"{int(s.min())} to {int(s.max())}.", extra.strip())
    return s


_CYCLE_A = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
_STAT_PSI = np.array([0.6, 0.3, 0.1])
_STAT_A = np.array([[0.1, 0.8, 0.1], [0.1, 0.1, 0.8], [0.8, 0.1, 0.1]])


def _transition_counts(s, K):
    counts = np.zeros((K, K))
    np.add.at(counts, (s[:, :-1].ravel(), s[:, 1:].ravel()), 1.0)
    return counts


def _within(freq, p, n, sigmas=6.0):
    """Are empirical frequencies within ``sigmas`` standard errors of ``p``?"""
    se = np.sqrt(p * (1 - p) / np.maximum(n, 1))
    return bool(np.all(np.abs(freq - p) <= sigmas * se + 1e-9))


def _check_uses_rng(draw, what, how):
    """Same seed, same output; another seed, another output. ``draw(seed)`` calls the student."""
    a, b, c = draw(7), draw(7), draw(8)
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


def check_sample_states(sample_states):
    """Check ``sample_states(psi, A, n_trials, T, rng) -> states (n_trials, T)``.

    Detects: wrong return type, dtype or shape (including transposed),
    states outside 0..K-1 (1-based), a first state not drawn from psi (or
    drawn after one transition), A used transposed (columns instead of rows),
    states that never change or are drawn independently of the previous one,
    every trial sharing one sequence, and randomness not drawn from ``rng``
    (global ``np.random``, unseeded generators, ignoring the seed).

    Returns
    -------
    bool
        True if every check passed.
    """

    def body(ctx):
        K = 3
        # 1. a chain that must cycle 0 -> 1 -> 2 -> 0: exact, no statistics needed
        ctx.step("deterministic chain")
        n, T = 4, 7
        ctx.case = ("psi = [1, 0, 0], A = [[0, 1, 0], [0, 0, 1], [1, 0, 0]] (the chain must "
                    "cycle 0 -> 1 -> 2 -> 0), n_trials = 4, T = 7")
        ctx.shapes = "psi (3,), A (3, 3), states (n_trials, T) = (4, 7)"
        psi = np.array([1.0, 0.0, 0.0])
        s = _states_array(ctx.call(psi, _CYCLE_A, n, T, np.random.default_rng(1)), n, T, K)
        if not np.all(s[:, 0] == 0):
            raise _Failed(
                f"every trial must start in state 0 here (psi = [1, 0, 0]), yours start in "
                f"{sorted(set(s[:, 0].tolist()))}.",
                "Draw the first bin states[:, 0] from psi, e.g. rng.choice(K, size=n_trials, p=psi), "
                "before any transition.",
            )
        prev, nxt = s[:, :-1], s[:, 1:]
        if not np.array_equal(nxt, (prev + 1) % K):
            if np.array_equal(nxt, (prev - 1) % K):
                raise _Failed(
                    "A is used transposed: from state 0 your chain moves to state 2, but A[0, 1] = 1.",
                    "A[i, j] = P(next = j | now = i): the next state of a trial in state i is drawn "
                    "from the ROW A[i] (e.g. rng.choice(K, p=A[i])), not from the column A[:, i].",
                )
            if np.array_equal(nxt, prev):
                raise _Failed(
                    "your states never change, but with this A the chain must move 0 -> 1 -> 2 -> 0.",
                    "In bin t, draw each trial's state from A[states[n, t-1]] and store it in states[n, t].",
                )
            bad = np.argwhere(nxt != (prev + 1) % K)[0]
            raise _Failed(
                f"with this A the chain must go 0 -> 1 -> 2 -> 0, but trial {bad[0]} goes from state "
                f"{prev[bad[0], bad[1]]} to {nxt[bad[0], bad[1]]} (bins {bad[1]} -> {bad[1] + 1}).",
                "The state in bin t is drawn from the row A[states[n, t-1]] of the previous bin's state.",
            )

        # 2. first-bin frequencies
        ctx.step("first-bin frequencies match psi")
        n, T = 600, 10
        ctx.case = (f"psi = {_vec(_STAT_PSI, '.1f')}, A = {_mat(_STAT_A, '.1f')}, "
                    f"n_trials = {n}, T = {T}, rng = np.random.default_rng(2024)")
        ctx.shapes = f"psi (3,), A (3, 3), states (n_trials, T) = ({n}, {T})"
        s = _states_array(ctx.call(_STAT_PSI, _STAT_A, n, T, np.random.default_rng(2024)), n, T, K)
        if np.all(s == s[0]):
            raise _Failed(
                "every trial has exactly the same state sequence.",
                "Each trial is an independent Markov chain: draw separate random numbers for every "
                "trial (e.g. rng.random(n_trials) in each bin), not one sequence copied to all trials.",
            )
        f0 = np.bincount(s[:, 0], minlength=K) / n
        if not _within(f0, _STAT_PSI, n):
            one_step = _STAT_PSI @ _STAT_A
            if _within(f0, one_step, n):
                hint = ("They match psi @ A, one transition too many: states[:, 0] is drawn from psi "
                        "itself, and transitions start from bin 1.")
            elif _within(f0, np.full(K, 1 / K), n):
                hint = "They look uniform: draw states[:, 0] with the probabilities psi (rng.choice(K, p=psi))."
            else:
                hint = "Draw states[:, 0] from psi, e.g. rng.choice(K, size=n_trials, p=psi)."
            raise _Failed(
                f"the first states are not distributed as psi: their frequencies are {_vec(f0)}, "
                f"psi = {_vec(_STAT_PSI)} (with {n} trials they should agree within about "
                f"{_f(6 * np.sqrt(0.25 / n), '.2f')}).",
                hint,
            )

        # 3. transition frequencies
        ctx.step("transition frequencies match A")
        counts = _transition_counts(s, K)
        out = counts.sum(axis=1, keepdims=True)
        freq = counts / np.maximum(out, 1)
        if not _within(freq, _STAT_A, out):
            if _within(freq, _STAT_A.T, out):
                raise _Failed(
                    "A is used transposed: the observed transition frequencies match A.T, not A.",
                    "A[i, j] = P(next = j | now = i): draw the next state from the row A[i] of the "
                    "current state i (rng.choice(K, p=A[i])), not from the column A[:, i].",
                )
            marg = np.bincount(s[:, 1:].ravel(), minlength=K) / s[:, 1:].size
            if _within(freq, np.tile(marg, (K, 1)), out, sigmas=4):
                hint = ("The next state does not seem to depend on the current one: draw it from "
                        "A[states[n, t-1]], the row of the previous bin's state.")
            elif np.all(np.diag(freq) > 0.95):
                hint = "Your states hardly ever change: make sure each bin's draw is stored in states[:, t]."
            else:
                hint = "The state in bin t must be drawn from the row A[states[n, t-1]]."
            raise _Failed(
                "the transition frequencies do not match A: observed "
                f"P(next = j | now = i) = {_mat(freq, '.2f')}, A = {_mat(_STAT_A, '.1f')}.",
                hint,
            )

        # 4. reproducible with the rng, and the rng is used
        ctx.step("uses rng (same seed, same states)")
        ctx.case = "n_trials = 50, T = 12, called twice with np.random.default_rng(7) and once with seed 8"
        _check_uses_rng(
            lambda seed: _states_array(ctx.call(_STAT_PSI, _STAT_A, 50, 12, np.random.default_rng(seed)),
                                       50, 12, K),
            "states", "rng.random, rng.choice, ...")
        ctx.case = ""

    return _run("sample_states", sample_states, "sample_states(psi, A, n_trials, T, rng)",
                ("psi", "A", "n_trials", "T", "rng"), "states", body,
                "integer states of shape (n_trials, T), an exact cyclic chain, first-bin and "
                "transition frequencies on 600 trials (within 6 standard errors), and "
                "reproducibility with rng")


_SPIKE_L = np.array([
    [5.0, 40.0, 20.0],
    [30.0, 2.0, 60.0],
    [12.0, 25.0, 8.0],
    [50.0, 15.0, 0.0],
])
_SPIKE_DT = 0.01


def _counts_array(out, shape):
    Y = _num_array(out, "the returned counts")
    if not np.issubdtype(Y.dtype, np.integer):
        integral = Y.dtype.kind == "f" and np.all(np.isfinite(Y)) and np.array_equal(Y, np.round(Y))
        raise _Failed(
            f"spike counts should be integers, your array has dtype {Y.dtype}.",
            "rng.poisson returns integers; if you fill an array yourself, create it with "
            "dtype=int" + (" (your values are whole numbers, only the dtype is wrong)." if integral else "."),
        )
    n, T, C = shape
    if Y.shape == (n, T, _SPIKE_L.shape[1]):
        raise _Failed(
            f"the counts have shape {Y.shape}: the last axis has K = {_SPIKE_L.shape[1]} "
            f"(states) entries, it should have C = {C} (neurons).",
            "L has shape (C, K): rows are neurons, columns are states. The rates of all neurons "
            "in state k are the column L[:, k], so the rates of every bin are L.T[states] "
            "(shape (n_trials, T, C)), not L[states].",
        )
    if Y.shape == (C, n, T):
        raise _Failed(
            f"the counts have shape {Y.shape} = (C, n_trials, T): the neuron axis should be last.",
            "L[:, states] has shape (C, n_trials, T); use L.T[states] (or np.moveaxis) to get "
            "(n_trials, T, C).",
        )
    _expect_shape(Y, shape, "counts", ("n_trials", "T", "C"))
    if Y.size and Y.min() < 0:
        raise _Failed("spike counts cannot be negative.", "Draw them with rng.poisson(rate * dt).")
    return Y


def check_sample_spikes(sample_spikes):
    """Check ``sample_spikes(states, L, dt, rng) -> Y (n_trials, T, C)``.

    Detects: wrong return type, dtype or shape (rates indexed with L[states]
    giving K instead of C neurons, neuron axis first), negative counts, the
    wrong rate used for a neuron/state (a zero-rate neuron spiking, mean
    rate per state off), rates treated as counts per bin (forgot ``dt``) or
    ``dt`` applied twice, counts that are not Poisson (wrong variance), the
    same counts copied to every trial, and randomness not from ``rng``.

    Returns
    -------
    bool
        True if every check passed.
    """

    def body(ctx):
        C, K = _SPIKE_L.shape
        dt = _SPIKE_DT
        n, T = 40, 150
        states = np.random.default_rng(11).integers(0, K, size=(n, T))
        ctx.case = (f"L = {_mat(_SPIKE_L, '.0f')} Hz (C = {C} neurons, K = {K} states), dt = {dt} s, "
                    f"{n} trials of {T} bins")
        ctx.shapes = f"states (n_trials, T) = ({n}, {T}), L (C, K) = ({C}, {K}), result (n_trials, T, C) = ({n}, {T}, {C})"

        ctx.step("integer counts of shape (n_trials, T, C)")
        Y = _counts_array(ctx.call(states, _SPIKE_L, dt, np.random.default_rng(12)), (n, T, C))

        ctx.step("trials get their own counts")
        n2, T2 = 20, 60
        seq = np.random.default_rng(13).integers(0, K, size=T2)
        same_states = np.tile(seq, (n2, 1))
        case_stats = ctx.case
        ctx.case = f"all {n2} trials share one state sequence of {T2} bins; their counts must still differ"
        Y2 = _counts_array(ctx.call(same_states, _SPIKE_L, dt, np.random.default_rng(14)), (n2, T2, C))
        distinct = np.unique(Y2.reshape(n2, -1), axis=0).shape[0]
        if distinct < n2 and Y2.sum() >= 5 * n2:  # (near-)silent trials may coincide by chance
            raise _Failed(
                "several trials got exactly the same spike counts.",
                "Draw fresh Poisson counts for every trial and bin (one rng.poisson call on the whole "
                "(n_trials, T, C) array of rates does it), not one draw copied to all trials.",
            )

        ctx.case = case_stats

        ctx.step("a neuron with rate 0 never spikes")
        silent = Y[..., 3][states == 2]
        if np.any(silent > 0):
            raise _Failed(
                "neuron 3 has rate L[3, 2] = 0 Hz in state 2, so it can never spike there, but yours did.",
                "The expected count of neuron c in bin t of trial n is L[c, states[n, t]] * dt: "
                "check which index of L is the neuron and which the state.",
            )

        ctx.step("mean rate per neuron and state matches L (Hz)")
        occ = np.array([(states == k).sum() for k in range(K)], dtype=float)
        mean = np.stack([Y[states == k].mean(axis=0) for k in range(K)], axis=1)  # (C, K)
        mu = _SPIKE_L * dt
        se = np.sqrt(mu / occ)
        pos = mu > 0
        if not np.all(np.abs(mean - mu)[pos] <= 6 * se[pos]):
            ratio = float(np.median(mean[pos] / mu[pos]))
            if ratio > 5:
                hint = ("Your counts are about {}x too large. L is in Hz (spikes per second): the "
                        "expected count in one bin is L * dt, so draw rng.poisson(rate * dt)."
                        ).format(_f(ratio, ".3g"))
                head = "far too many spikes: the rates look like counts per bin instead of Hz (forgot dt?)."
            elif ratio < 0.2:
                hint = ("Your counts are about {}x too small: the expected count in one bin is "
                        "L * dt (multiply by dt once).").format(_f(1 / max(ratio, 1e-300), ".3g"))
                head = "far too few spikes: dt applied twice, or divided instead of multiplied?"
            else:
                c, k = np.argwhere(np.abs(mean - mu) > 6 * se)[0]
                head = (f"neuron {c} in state {k} fires at {_f(mean[c, k] / dt, '.3g')} Hz on average "
                        f"in your samples, but L[{c}, {k}] = {_f(_SPIKE_L[c, k], '.3g')} Hz.")
                hint = ("The rate of neuron c in bin t of trial n is L[c, states[n, t]] (Hz); the "
                        "expected count is that times dt.")
            raise _Failed(head, hint)

        ctx.step("counts are Poisson (variance = mean)")
        z = []
        for k in range(K):
            Yk = Y[states == k].astype(float)
            for c in range(C):
                m = mu[c, k]
                if m > 0:
                    v = Yk[:, c].var(ddof=1)
                    z.append((v - m) / np.sqrt((m + 2 * m * m) / occ[k]))
        zpool = float(np.sum(z) / np.sqrt(len(z)))
        if abs(zpool) > 6:
            raise _Failed(
                "the counts have the right mean but not the spread of Poisson counts "
                f"({'too little' if zpool < 0 else 'too much'} variability).",
                "Poisson counts have variance equal to their mean: draw them with "
                "rng.poisson(L[c, state] * dt), not by rounding or with another distribution.",
            )

        ctx.step("uses rng (same seed, same counts)")
        ctx.case = "called twice with np.random.default_rng(5) and once with seed 6"
        small = states[:10, :30]
        _check_uses_rng(
            lambda seed: _counts_array(ctx.call(small, _SPIKE_L, dt, np.random.default_rng(seed)),
                                       (10, 30, C)),
            "counts", "rng.poisson")
        ctx.case = ""

    return _run("sample_spikes", sample_spikes, "sample_spikes(states, L, dt, rng)",
                ("states", "L", "dt", "rng"), "Y", body,
                "integer counts of shape (n_trials, T, C), a silent neuron stays silent, mean rates "
                "in Hz per neuron and state, Poisson variability, independent trials, and "
                "reproducibility with rng")


# --------------------------------------------------------------------------------------
# 02 forward-backward
# --------------------------------------------------------------------------------------

_FB_L = np.array([
    [5.0, 40.0, 20.0],
    [30.0, 2.0, 60.0],
    [12.0, 25.0, 8.0],
    [50.0, 15.0, 30.0],
])
_FB_PSI = np.array([0.5, 0.2, 0.3])
_FB_A = np.array([[0.8, 0.15, 0.05], [0.1, 0.6, 0.3], [0.25, 0.05, 0.7]])
_FB_DT = 0.01


def _fb_case():
    """Counts and emission probabilities of the forward/backward test case (4 trials, 7 bins)."""
    rng = np.random.default_rng(31)
    states = _ref_sample_states(_FB_PSI, _FB_A, 4, 7, rng)
    Y = _ref_sample_spikes(states, _FB_L, _FB_DT, rng)
    return Y, emission_likelihood(Y, _FB_L, _FB_DT)


def _brute_case():
    """A tiny case for brute-force enumeration: K = 2, 2 trials of 5 bins."""
    obs = np.random.default_rng(32).uniform(0.05, 1.0, size=(2, 5, 2))
    return obs, np.array([0.3, 0.7]), np.array([[0.9, 0.1], [0.4, 0.6]])


def _brute_force(obs, psi, A):
    """Filtering, normalisers and posteriors by enumerating every path."""
    n, T, K = obs.shape
    alpha = np.zeros((n, T, K))
    lik = np.zeros((n, T))
    for t in range(T):
        joint = np.zeros((n, K))
        for path in itertools.product(range(K), repeat=t + 1):
            p = psi[path[0]] * obs[:, 0, path[0]]
            for s in range(1, t + 1):
                p = p * A[path[s - 1], path[s]] * obs[:, s, path[s]]
            joint[:, path[-1]] += p
        lik[:, t] = joint.sum(axis=1)
        alpha[:, t] = joint / lik[:, t, None]
    c = lik.copy()
    c[:, 1:] = lik[:, 1:] / lik[:, :-1]
    gamma = np.zeros((n, T, K))
    for path in itertools.product(range(K), repeat=T):
        p = psi[path[0]] * obs[:, 0, path[0]]
        for s in range(1, T):
            p = p * A[path[s - 1], path[s]] * obs[:, s, path[s]]
        for t in range(T):
            gamma[:, t, path[t]] += p
    gamma /= lik[:, -1, None, None]
    return alpha, c, gamma


def _forward_variant(obs, psi, A, transpose=False, psi0=True, obs0=True, lag=False,
                     emit_first=False, normalise=True):
    """The forward pass with one of the usual mistakes switched on."""
    n, T, K = obs.shape
    M = A.T if transpose else A
    alpha = np.zeros((n, T, K))
    c = np.zeros((n, T))
    a = (psi if psi0 else np.ones(K)) * (obs[:, 0] if obs0 else 1.0)
    a = np.broadcast_to(a, (n, K)).astype(float)
    c[:, 0] = a.sum(axis=1)
    alpha[:, 0] = a / c[:, 0, None] if normalise else a
    for t in range(1, T):
        o = obs[:, t - 1] if lag else obs[:, t]
        prev = alpha[:, t - 1]
        a = (prev * o) @ M if emit_first else (prev @ M) * o
        c[:, t] = a.sum(axis=1)
        alpha[:, t] = a / c[:, t, None] if normalise else a
    return alpha, c


def _forward_alpha_hints(alpha, obs, psi, A):
    """Name the mistake when alpha is normalised but wrong."""
    variants = [
        (dict(transpose=True), "A is used transposed.",
         "A[i, j] = P(next = j | now = i), so the prediction for bin t is alpha[:, t-1] @ A "
         "(sum over the previous state i of alpha[i] * A[i, j]), not alpha[:, t-1] @ A.T."),
        (dict(psi0=False), "psi is missing from the first bin.",
         "At t = 0 there is no previous bin: alpha[:, 0] is proportional to psi * obs[:, 0]."),
        (dict(obs0=False), "the first bin ignores the observations.",
         "alpha[:, 0] is proportional to psi * obs[:, 0] (the data of bin 0 count too)."),
        (dict(lag=True), "off by one: bin t uses the observations of bin t-1.",
         "alpha[:, t] is proportional to (alpha[:, t-1] @ A) * obs[:, t]."),
        (dict(emit_first=True), "the order of transition and emission is swapped.",
         "First predict with A, then multiply by the new bin's observations: "
         "(alpha[:, t-1] @ A) * obs[:, t], not (alpha[:, t-1] * obs[:, t]) @ A."),
    ]
    for kwargs, head, hint in variants:
        cand, _ = _forward_variant(obs, psi, A, **kwargs)
        if _close(alpha, cand):
            return head, hint
    return None


def check_forward(forward):
    """Check ``forward(obs, psi, A) -> (alpha, c)``.

    Compares with :func:`helpers.forward` and with brute-force enumeration
    of every path. Detects: not returning two arrays, wrong shapes, NaN,
    alpha not normalised (rows must sum to 1), A used transposed, psi or the
    observations missing at t = 0, observations of the wrong bin, emission
    and transition swapped, ``c`` returned as a log, ``c[0]`` not stored,
    ``c`` as a running product, inputs modified in place.

    Returns
    -------
    bool
        True if every check passed.
    """

    def body(ctx):
        Y, obs = _fb_case()
        n, T, K = obs.shape
        ctx.case = (f"{n} trials of {T} bins, K = {K} states, psi = {_vec(_FB_PSI, '.2f')}, "
                    f"A = {_mat(_FB_A, '.2f')}")
        ctx.shapes = f"obs (n_trials, T, K) = ({n}, {T}, {K}), psi (K,) = ({K},), A ({K}, {K})"
        alpha_ref, c_ref = _ref_forward(obs, _FB_PSI, _FB_A)

        ctx.step("returns alpha (n_trials, T, K) and c (n_trials, T)")
        res = ctx.call(obs, _FB_PSI, _FB_A)
        alpha, c = _result_tuple(res, 2, "alpha, c")
        alpha = _float_array(alpha, "alpha")
        c = _float_array(c, "c")
        _expect_shape(alpha, (n, T, K), "alpha", ("n_trials", "T", "K"))
        _expect_shape(c, (n, T), "c", ("n_trials", "T"))

        ctx.step("every row of alpha sums to 1")
        _expect_finite(alpha, "alpha", "Check for a division by zero when you normalise.")
        sums = alpha.sum(axis=2)
        if not np.allclose(sums, 1.0, atol=1e-8):
            unnorm, _ = _forward_variant(obs, _FB_PSI, _FB_A, normalise=False)
            bad = np.argwhere(~np.isclose(sums, 1.0, atol=1e-8))[0]
            head = (f"alpha is not normalised: alpha[{bad[0]}, {bad[1]}] sums to "
                    f"{_f(sums[bad[0], bad[1]])} over the states, it should sum to 1.")
            hint = ("After each step divide by the sum over states, c[:, t] = a.sum(axis=1), "
                    "so that alpha[n, t] = p(x_t | y_1..t) sums to 1 (this also stops underflow).")
            if _close(alpha, unnorm):
                hint = "Yours are the unscaled forward messages. " + hint
            raise _Failed(head, hint)

        ctx.step("alpha matches helpers.forward")
        if not _close(alpha, alpha_ref):
            found = _forward_alpha_hints(alpha, obs, _FB_PSI, _FB_A)
            if found:
                raise _Failed(*found)
            raise _Failed("alpha does not match the reference.",
                          _difference(alpha, alpha_ref, "alpha"),
                          "alpha[:, 0] ∝ psi * obs[:, 0]; alpha[:, t] ∝ (alpha[:, t-1] @ A) * obs[:, t].")

        ctx.step("c matches helpers.forward")
        _expect_finite(c, "c")
        if not _close(c, c_ref):
            if _close(c, np.log(c_ref)):
                head, hint = "c holds logarithms.", ("Store the normaliser itself, c[:, t] = a.sum(axis=1); "
                                                    "the log-likelihood is then np.log(c).sum().")
            elif _close(c, 1.0 / c_ref):
                head, hint = "c holds the reciprocals of the normalisers.", "c[:, t] is the sum you divide by: c[:, t] = a.sum(axis=1)."
            elif _close(c[:, 1:], c_ref[:, 1:]):
                head = f"c[:, 0] is wrong ({_vec(c[:, 0], '.4g')}, should be {_vec(c_ref[:, 0], '.4g')})."
                hint = "Store the first normaliser too: c[:, 0] = (psi * obs[:, 0]).sum(axis=1)."
            elif _close(c, np.cumprod(c_ref, axis=1)):
                head = "c is a running product (the likelihood so far), not the normaliser of each step."
                hint = "c[:, t] = p(y_t | y_1..t-1) is the sum of the new (unnormalised) alpha at bin t only."
            elif np.allclose(c, 1.0):
                head = "c is all ones."
                hint = "Take the sum after multiplying by obs[:, t] (before dividing): c[:, t] = a.sum(axis=1)."
            else:
                head, hint = "c does not match the reference.", _difference(c, c_ref, "c")
            raise _Failed(head, hint)

        ctx.step("agrees with brute-force enumeration of all K^T paths")
        obs_b, psi_b, A_b = _brute_case()
        ctx.case = "brute force: K = 2 states, 2 trials of 5 bins, random emission probabilities"
        ctx.shapes = "obs (2, 5, 2), psi (2,), A (2, 2)"
        alpha_bf, c_bf, _ = _brute_force(obs_b, psi_b, A_b)
        alpha, c = _result_tuple(ctx.call(obs_b, psi_b, A_b), 2, "alpha, c")
        alpha = _float_array(alpha, "alpha")
        c = _float_array(c, "c")
        _expect_shape(alpha, obs_b.shape, "alpha", ("n_trials", "T", "K"))
        _expect_shape(c, obs_b.shape[:2], "c", ("n_trials", "T"))
        if not _close(alpha, alpha_bf):
            raise _Failed("alpha disagrees with brute-force enumeration of all paths.",
                          _difference(alpha, alpha_bf, "alpha"))
        if not _close(c, c_bf):
            raise _Failed("c disagrees with brute-force enumeration: np.cumprod(c, axis=1) should be "
                          "p(y_1..t).", _difference(c, c_bf, "c"))
        ctx.case = ""

    return _run("forward", forward, "forward(obs, psi, A)", ("obs", "psi", "A"), "alpha, c", body,
                "shapes, rows of alpha sum to 1, alpha and c equal helpers.forward, agreement with "
                "brute-force enumeration of all paths, inputs left untouched")


def _backward_variant(obs, A, c, use_AT=True, scale="next", obs_bin="next", normalise=False):
    n, T, K = obs.shape
    beta = np.ones((n, T, K))
    M = A.T if use_AT else A
    for t in range(T - 2, -1, -1):
        o = obs[:, t + 1] if obs_bin == "next" else (obs[:, t] if obs_bin == "same" else 1.0)
        b = (o * beta[:, t + 1]) @ M
        if scale == "next":
            b = b / c[:, t + 1, None]
        elif scale == "same":
            b = b / c[:, t, None]
        if normalise:
            b = b / b.sum(axis=1, keepdims=True)
        beta[:, t] = b
    return beta


def check_backward(backward):
    """Check ``backward(obs, A, c) -> beta``.

    Compares with :func:`helpers.backward`, checks that ``alpha * beta``
    equals the posteriors of :func:`helpers.e_step` and of brute-force
    enumeration. Detects: wrong type or shape, NaN, last bin not all ones,
    A used instead of A.T (or the other way round), no division by
    ``c[t+1]`` or division by ``c[t]``, observations of the wrong bin or
    missing, beta normalised like alpha, inputs modified in place.

    Returns
    -------
    bool
        True if every check passed.
    """

    def body(ctx):
        Y, obs = _fb_case()
        n, T, K = obs.shape
        alpha_ref, c_ref = _ref_forward(obs, _FB_PSI, _FB_A)
        beta_ref = _ref_backward(obs, _FB_A, c_ref)
        ctx.case = (f"{n} trials of {T} bins, K = {K} states, A = {_mat(_FB_A, '.2f')}, "
                    "c from helpers.forward")
        ctx.shapes = f"obs (n_trials, T, K) = ({n}, {T}, {K}), A ({K}, {K}), c (n_trials, T) = ({n}, {T})"

        ctx.step("returns beta of shape (n_trials, T, K)")
        res = ctx.call(obs, _FB_A, c_ref)
        if isinstance(res, (tuple, list)) and len(res) != n:
            raise _Failed(f"your function should return one array (beta), it returned {len(res)} things.",
                          "End it with `return beta`.")
        beta = _float_array(res, "beta")
        _expect_shape(beta, (n, T, K), "beta", ("n_trials", "T", "K"))
        _expect_finite(beta, "beta")

        ctx.step("beta is 1 in the last bin")
        if not np.allclose(beta[:, -1], 1.0):
            raise _Failed(
                f"beta[:, -1] should be all ones, yours is {_mat(beta[:, -1], '.3g')}.",
                "There are no observations after the last bin: start the recursion with "
                "beta[:, T-1] = 1 and go backwards from t = T-2 to 0.",
            )

        ctx.step("beta matches helpers.backward")
        if not _close(beta, beta_ref):
            variants = [
                (dict(use_AT=False), "A is used the wrong way round.",
                 "beta[:, t, i] = sum_j A[i, j] * obs[:, t+1, j] * beta[:, t+1, j] / c[:, t+1]: "
                 "that is (obs[:, t+1] * beta[:, t+1]) @ A.T, summing over the NEXT state j."),
                (dict(scale="none"), "beta is not divided by c[t+1].",
                 "Scale every step by the forward normaliser of the next bin: "
                 "beta[:, t] = ((obs[:, t+1] * beta[:, t+1]) @ A.T) / c[:, t+1, None]."),
                (dict(scale="same"), "beta is divided by c[t] instead of c[t+1].",
                 "beta[:, t] is divided by the normaliser of the NEXT bin, c[:, t+1]."),
                (dict(obs_bin="same"), "off by one: beta[:, t] uses the observations of bin t.",
                 "beta[:, t] looks ahead: it uses obs[:, t+1] and beta[:, t+1]."),
                (dict(obs_bin="none"), "the observations are missing from the backward step.",
                 "Multiply by obs[:, t+1] before applying A.T."),
                (dict(normalise=True), "beta rows are normalised to sum to 1.",
                 "Unlike alpha, beta does not sum to 1 over the states: divide by c[:, t+1] instead, "
                 "so that alpha * beta is the posterior."),
            ]
            for kwargs, head, hint in variants:
                if _close(beta, _backward_variant(obs, _FB_A, c_ref, **kwargs)):
                    raise _Failed(head, hint)
            raise _Failed("beta does not match the reference.", _difference(beta, beta_ref, "beta"),
                          "beta[:, t] = ((obs[:, t+1] * beta[:, t+1]) @ A.T) / c[:, t+1, None].")

        ctx.step("alpha * beta equals the posteriors gamma of helpers.e_step")
        gamma = e_step(Y, _FB_PSI, _FB_A, _FB_L, _FB_DT).gamma
        if not _close(alpha_ref * beta, gamma):
            raise _Failed("alpha * beta is not the posterior gamma from helpers.e_step.",
                          _difference(alpha_ref * beta, gamma, "gamma"))

        ctx.step("posteriors agree with brute-force enumeration of all K^T paths")
        obs_b, psi_b, A_b = _brute_case()
        ctx.case = "brute force: K = 2 states, 2 trials of 5 bins, random emission probabilities"
        ctx.shapes = "obs (2, 5, 2), A (2, 2), c (2, 5)"
        alpha_b, c_b = _ref_forward(obs_b, psi_b, A_b)
        _, _, gamma_bf = _brute_force(obs_b, psi_b, A_b)
        beta_b = _float_array(ctx.call(obs_b, A_b, c_b), "beta")
        _expect_shape(beta_b, obs_b.shape, "beta", ("n_trials", "T", "K"))
        if not _close(alpha_b * beta_b, gamma_bf):
            raise _Failed("alpha * beta disagrees with the posteriors from brute-force enumeration.",
                          _difference(alpha_b * beta_b, gamma_bf, "gamma"))
        ctx.case = ""

    return _run("backward", backward, "backward(obs, A, c)", ("obs", "A", "c"), "beta", body,
                "shape, beta = 1 in the last bin, equality with helpers.backward, alpha * beta "
                "equals the posteriors of helpers.e_step and of brute-force enumeration, inputs "
                "left untouched")


# --------------------------------------------------------------------------------------
# 03 M-step
# --------------------------------------------------------------------------------------


def _m_step_cases():
    """Two data sets with posteriors from an E-step at perturbed parameters."""
    d = tutorial_data(n_trials=4, T=60, seed=7)
    Y, dt = d["Y"], d["dt"]
    psi3 = np.array([0.2, 0.5, 0.3])
    A3 = np.array([[0.8, 0.15, 0.05], [0.02, 0.9, 0.08], [0.1, 0.3, 0.6]])
    L3 = d["L"] * np.array([[0.8, 1.2, 1.0]]) + 2.0
    post3 = e_step(Y, psi3, A3, L3, dt)
    psi2 = np.array([0.35, 0.65])
    A2 = np.array([[0.9, 0.1], [0.25, 0.75]])
    L2 = np.array([[10.0, 30.0], [40.0, 10.0], [20.0, 25.0], [15.0, 30.0], [5.0, 40.0]])
    post2 = e_step(Y, psi2, A2, L2, dt)
    return [
        (Y, post3.gamma, post3.xi_sum, dt, "4 trials of 60 bins, C = 5 neurons, K = 3 states, dt = 0.002 s"),
        (Y, post2.gamma, post2.xi_sum, dt, "4 trials of 60 bins, C = 5 neurons, K = 2 states, dt = 0.002 s"),
    ]


def _m_step_diagnose(Y, gamma, xi_sum, dt, psi, A, L, ref):
    """Raise _Failed naming what is wrong with (psi, A, L)."""
    psi_ref, A_ref, L_ref = ref
    n, T, C = Y.shape
    K = gamma.shape[2]
    Yf = Y.astype(float)
    # normalisation first: it is the easiest thing to see
    if not np.isclose(psi.sum(), 1.0, atol=1e-8):
        if _close(psi, gamma[:, 0].sum(axis=0)):
            raise _Failed(
                f"psi is not normalised: it sums to {_f(psi.sum())} (the number of trials), not 1.",
                "psi is the AVERAGE over trials of gamma[:, 0]: gamma[:, 0].mean(axis=0) "
                "(or the sum divided by n_trials).",
            )
        raise _Failed(f"psi is not normalised: it sums to {_f(psi.sum())}, it should sum to 1.",
                      "psi_k = mean over trials of gamma[n, 0, k].")
    rows = A.sum(axis=1)
    if not np.allclose(rows, 1.0, atol=1e-8):
        if _close(A, A_ref.T):
            raise _Failed("A is transposed.",
                          "A[i, j] = P(next = j | now = i) = xi_sum[i, j] / xi_sum[i, :].sum(): "
                          "each ROW sums to 1.")
        if np.allclose(A.sum(axis=0), 1.0, atol=1e-8):
            raise _Failed(
                "A is normalised by columns: its columns sum to 1, but every ROW must sum to 1.",
                "Divide each row of xi_sum by its row sum: xi_sum / xi_sum.sum(axis=1, keepdims=True).",
            )
        if _close(A, xi_sum):
            raise _Failed("A is not normalised: you returned the expected counts xi_sum.",
                          "Divide each row by its sum: xi_sum / xi_sum.sum(axis=1, keepdims=True).")
        occ_all = gamma.sum(axis=(0, 1))
        if _close(A, xi_sum / occ_all[:, None]):
            raise _Failed(
                "the rows of A do not sum to 1: the denominator counts the last bin too.",
                "Divide by the expected number of transitions OUT of state i, "
                "xi_sum.sum(axis=1, keepdims=True) (gamma summed over bins 0 .. T-2 only).",
            )
        i = int(np.argmax(np.abs(rows - 1)))
        raise _Failed(f"the rows of A must sum to 1; row {i} sums to {_f(rows[i])}.",
                      "A[i, j] = xi_sum[i, j] / xi_sum[i, :].sum().")
    if not _close(psi, psi_ref):
        if _close(psi, gamma[:, -1].mean(axis=0)):
            hint = ("psi comes from the LAST bin: psi is the distribution of the first state, "
                    "gamma[:, 0].mean(axis=0).")
        elif _close(psi, gamma.mean(axis=(0, 1))):
            hint = ("psi is the average over all bins: use only the first bin, "
                    "gamma[:, 0].mean(axis=0).")
        elif _close(psi, gamma[0, 0]):
            hint = "psi uses only the first trial: average gamma[:, 0] over all trials."
        else:
            hint = "psi_k = mean over trials of gamma[n, 0, k]."
        raise _Failed("psi does not match the reference.", _difference(psi, psi_ref, "psi"), hint)
    if not _close(A, A_ref):
        if _close(A, (xi_sum.T / xi_sum.T.sum(axis=1, keepdims=True))):
            raise _Failed("A is transposed (then re-normalised by rows).",
                          "A[i, j] = xi_sum[i, j] / xi_sum[i, :].sum(): i is the state now, j the next.")
        raise _Failed("A does not match the reference.", _difference(A, A_ref, "A"),
                      "A[i, j] = xi_sum[i, j] / xi_sum[i, :].sum().")
    if not _close(L, L_ref):
        spikes = np.einsum("ntc,ntk->ck", Yf, gamma)
        if _close(L, L_ref * dt):
            raise _Failed("L is in spikes per bin, not Hz: you forgot to divide by dt.",
                          "L[c, k] = sum gamma * y / (dt * sum gamma): expected spikes over expected "
                          "TIME (seconds) spent in state k.")
        if _close(L, L_ref / dt):
            raise _Failed("L is divided by dt twice (or multiplied where it should be divided).",
                          "L[c, k] = sum gamma * y / (dt * sum gamma), in Hz.")
        if _close(L, spikes / (n * T * dt)):
            raise _Failed("L is normalised by the total number of bins instead of the time spent in "
                          "each state.",
                          "Divide the expected spikes of state k by dt * gamma[..., k].sum(), the "
                          "expected time in state k.")
        if _close(L, spikes / dt) or _close(L, spikes):
            raise _Failed("L is not normalised: you returned the expected spike counts.",
                          "Divide by the expected time in each state: dt * gamma.sum(axis=(0, 1)).")
        if _close(L, np.broadcast_to(Yf.mean(axis=(0, 1))[:, None] / dt, L.shape)):
            raise _Failed("L is the same in every state: it ignores gamma.",
                          "Weight every bin by gamma[n, t, k]: L[c, k] = sum_nt gamma[n,t,k] y[n,t,c] "
                          "/ (dt sum_nt gamma[n,t,k]).")
        raise _Failed("L does not match the reference.", _difference(L, L_ref, "L"),
                      "L[c, k] = sum_nt gamma[n,t,k] y[n,t,c] / (dt sum_nt gamma[n,t,k]) (Hz).")


def check_m_step(m_step):
    """Check ``m_step(Y, gamma, xi_sum, dt) -> (psi, A, L)``.

    Compares with :func:`helpers.m_step` on two data sets (C = 5 neurons,
    K = 3 and 2 states) whose posteriors come from an E-step at perturbed
    parameters. Detects: returning None or the wrong number of things, wrong
    shapes (L transposed), NaN, psi not normalised (summed over trials),
    psi from the last bin / all bins / one trial, A normalised by columns,
    not normalised, transposed, or with the wrong denominator, L in counts
    per bin (forgot ``/ dt``), L normalised by the total number of bins,
    not normalised, or ignoring gamma, and inputs modified in place.

    Returns
    -------
    bool
        True if every check passed.
    """

    def body(ctx):
        cases = _m_step_cases()
        for i, (Y, gamma, xi_sum, dt, desc) in enumerate(cases):
            n, T, C = Y.shape
            K = gamma.shape[2]
            ctx.case = desc
            ctx.shapes = (f"Y (n_trials, T, C) = ({n}, {T}, {C}), gamma (n_trials, T, K) = "
                          f"({n}, {T}, {K}), xi_sum (K, K) = ({K}, {K}), L should be (C, K) = ({C}, {K})")
            ref = _ref_m_step(Y, gamma, xi_sum, dt)
            if i == 0:
                ctx.step("returns psi (K,), A (K, K), L (C, K)")
            else:
                ctx.step("a second data set with K = 2 states")
            res = _result_tuple(ctx.call(Y, gamma, xi_sum, dt), 3, "psi, A, L")
            with _order_hint("psi, A, L"):
                psi = _float_array(res[0], "psi")
                A = _float_array(res[1], "A")
                L = _float_array(res[2], "L")
                _expect_shape(psi, (K,), "psi", ("K",))
                _expect_shape(A, (K, K), "A", ("K", "K"))
            if L.shape == (K, C):
                raise _Failed(
                    f"L is transposed: shape {L.shape} = (K, C), expected ({C}, {K}) = (C, K).",
                    "L[c, k] is the rate of neuron c in state k: rows are neurons, columns states "
                    "(e.g. np.einsum('ntc,ntk->ck', Y, gamma) gives the expected spikes in that shape).",
                )
            _expect_shape(L, (C, K), "L", ("C", "K"))
            for arr, what in ((psi, "psi"), (A, "A"), (L, "L")):
                _expect_finite(arr, what)
            if i == 0:
                ctx.step("psi and every row of A sum to 1")
                ctx.step("psi matches helpers.m_step")
                ctx.step("A matches helpers.m_step")
                ctx.step("L matches helpers.m_step (Hz)")
            _m_step_diagnose(Y, gamma, xi_sum, dt, psi, A, L, ref)
        ctx.case = ""

    return _run("m_step", m_step, "m_step(Y, gamma, xi_sum, dt)", ("Y", "gamma", "xi_sum", "dt"),
                "psi, A, L", body,
                "shapes, normalisation of psi and of the rows of A, psi, A and L (Hz) equal "
                "helpers.m_step on two data sets (K = 3 and K = 2), inputs left untouched")


# --------------------------------------------------------------------------------------
# 04 EM loop
# --------------------------------------------------------------------------------------

_EM_N_ITER_SHORT = 4
_EM_N_ITER_LONG = 60
_EM_TOL = 1e-4


def _em_case():
    d = tutorial_data(n_trials=8, T=100, seed=4)
    Y, dt = d["Y"], d["dt"]
    psi = np.array([0.25, 0.35, 0.4])
    A = np.array([[0.9, 0.07, 0.03], [0.04, 0.92, 0.04], [0.06, 0.02, 0.92]])
    L = d["L"] * np.array([[1.2, 0.8, 1.1]]) + 3.0
    return Y, psi, A, L, dt


def _em_stop_length(lls, tol, relative=True):
    """Number of entries EM records with this stopping rule, given a long tol = 0 run."""
    for i in range(1, len(lls)):
        thresh = tol * abs(lls[i]) if relative else tol
        if lls[i] - lls[i - 1] <= thresh:
            return i + 1
    return len(lls)


def _em_unpack(res, n_trials, K, C):
    with _order_hint("psi, A, L, lls"):
        return _em_unpack_inner(res, n_trials, K, C)


def _em_unpack_inner(res, n_trials, K, C):
    psi, A, L, lls = _result_tuple(res, 4, "psi, A, L, lls")
    if np.isscalar(lls) or (isinstance(lls, np.ndarray) and lls.ndim == 0):
        raise _Failed("lls is a single number; it should be the list of all log-likelihoods.",
                      "Append the log-likelihood of every E-step to a list, and return that list.")
    lls = _float_array(lls, "lls")
    if lls.ndim == 2 and n_trials in lls.shape:
        raise _Failed(
            f"lls has shape {lls.shape}: it holds one log-likelihood per trial.",
            "Record the TOTAL log-likelihood summed over trials (post.ll, not post.trial_ll), "
            "one number per E-step.",
        )
    if lls.ndim != 1:
        raise _Failed(f"lls should be a flat list of numbers, yours has shape {lls.shape}.",
                      "Append one number (the total log-likelihood) per E-step.")
    if lls.size == 0:
        raise _Failed("lls is empty.", "Append the log-likelihood of every E-step to the list.")
    _expect_finite(lls, "lls")
    psi = _float_array(psi, "psi")
    A = _float_array(A, "A")
    L = _float_array(L, "L")
    _expect_shape(psi, (K,), "psi", ("K",))
    _expect_shape(A, (K, K), "A", ("K", "K"))
    _expect_shape(L, (C, K), "L", ("C", "K"))
    for arr, what in ((psi, "psi"), (A, "A"), (L, "L")):
        _expect_finite(arr, what)
    return psi, A, L, lls


def check_run_em(run_em):
    """Check ``run_em(Y, psi, A, L, dt, n_iter, tol) -> (psi, A, L, lls)``.

    Compares with ``helpers.fit_em(Y, K, dt, n_iter=n_iter, tol=tol,
    init=(psi, A, L))``: ``lls`` are total log-likelihoods (nats) before
    every M-step and after the last; EM stops early when one step improves
    the log-likelihood by less than ``tol * |ll|``. Detects: returning the
    wrong number of things, per-trial or per-bin log-likelihoods, lls that
    start after the first M-step or miss the last value, parameters never
    updated (constant lls), decreasing lls, never stopping early, an
    absolute instead of relative tolerance, stopping too early, returning
    the starting or stale parameters, inputs modified in place.

    Returns
    -------
    bool
        True if every check passed.
    """

    def body(ctx):
        Y, psi0, A0, L0, dt = _em_case()
        n, T, C = Y.shape
        K = psi0.size
        ctx.shapes = f"Y (n_trials, T, C) = ({n}, {T}, {C}), psi ({K},), A ({K}, {K}), L (C, K) = ({C}, {K})"
        init = (psi0, A0, L0)
        ctx.case = (f"{n} trials of {T} bins, C = {C}, K = {K}, dt = {dt} s, "
                    f"n_iter = {_EM_N_ITER_SHORT}, tol = 0")

        ctx.step("returns psi, A, L and a list of log-likelihoods")
        res = ctx.call(Y, psi0, A0, L0, dt, _EM_N_ITER_SHORT, 0.0)
        psi, A, L, lls = _em_unpack(res, n, K, C)
        ref = _fit(Y, K, dt, "em", n_iter=_EM_N_ITER_SHORT, tol=0.0, init=init)

        ctx.step("lls[0] is the log-likelihood of the starting parameters (total, nats)")
        ll0 = ref.lls[0]
        if not _close(lls[0], ll0, rtol=1e-7):
            if _close(lls[0], ll0 / n, rtol=1e-7):
                raise _Failed("lls looks like log-likelihoods per trial.",
                              "Record the total over all trials (post.ll, in nats), not the mean per trial.")
            if _close(lls[0], ll0 / (n * T), rtol=1e-7) or _close(lls[0], ll0 / (n * T * C), rtol=1e-7):
                raise _Failed("lls looks like log-likelihoods per bin.",
                              "Record the total log-likelihood summed over trials (post.ll).")
            if _close(lls[0], -ll0, rtol=1e-7):
                raise _Failed("lls has the wrong sign.", "Record the log-likelihood itself (negative numbers here).")
            if _close(lls[0], ref.lls[1], rtol=1e-7):
                raise _Failed(
                    "lls[0] is the log-likelihood after the first M-step.",
                    "Record the log-likelihood of the E-step BEFORE each M-step (the first one is "
                    "at the starting parameters), and one more after the last M-step.",
                )
            raise _Failed(f"lls[0] = {_f(lls[0], '.6g')}, but the log-likelihood of the starting "
                          f"parameters is {_f(ll0, '.6g')}.",
                          "Start by running the E-step at the parameters you are given and record its ll.")

        ctx.step(f"n_iter = {_EM_N_ITER_SHORT} M-steps: {_EM_N_ITER_SHORT + 1} log-likelihoods "
                 "that never decrease")
        want = ref.lls
        if lls.size > 1 and np.all(lls == lls[0]):
            raise _Failed(
                "the log-likelihood never changes: the parameters are never updated.",
                "Assign the M-step's result back, psi, A, L = m_step(...), so that the next "
                "E-step uses the new parameters.",
            )
        if lls.size > 2 and not np.all(lls == lls[0]) and (
            np.all(lls[1:] == lls[1]) or np.all(lls[:-1] == lls[0])
        ):
            raise _Failed(
                "the log-likelihood changes only once: the E-step is not repeated.",
                "Run the E-step inside the loop, at the current parameters, so every M-step uses "
                "fresh posteriors (gamma, xi_sum).",
            )
        drops = np.diff(lls) < -1e-7 * np.abs(lls[1:])
        if np.any(drops):
            i = int(np.argmax(drops))
            raise _Failed(
                f"the log-likelihood decreases (from {_f(lls[i], '.6g')} to {_f(lls[i + 1], '.6g')}); "
                "EM never decreases it.",
                "Each iteration: E-step at the current parameters (record its ll), then M-step with "
                "THOSE posteriors; the next E-step uses the new parameters.",
            )
        if lls.size != want.size:
            if lls.size == want.size - 1 and _close(lls, want[1:], rtol=1e-7):
                hint = ("The first entry is missing: record the log-likelihood BEFORE each M-step "
                        "(the first at the starting parameters).")
            elif lls.size == want.size - 1 and _close(lls, want[:-1], rtol=1e-7):
                hint = ("The last entry is missing: after the final M-step run one more E-step "
                        "(or helpers.log_likelihood) and append its log-likelihood.")
            elif lls.size == want.size + 1 and lls[-1] == lls[-2]:
                hint = "The last log-likelihood is appended twice."
            elif lls.size < want.size:
                hint = ("EM stopped early although tol = 0: stop only when the improvement is "
                        "<= tol * |ll|, or after n_iter M-steps.")
            else:
                hint = f"Run at most n_iter M-steps; record {want.size} numbers in all."
            raise _Failed(
                f"lls has {lls.size} entries; with n_iter = {_EM_N_ITER_SHORT} and tol = 0 it should "
                f"have {want.size}: one before each M-step and one after the last.",
                hint,
            )
        if not _close(lls, want, rtol=1e-7):
            raise _Failed("the log-likelihoods do not match helpers.fit_em.",
                          _difference(lls, want, "lls", ".8g"),
                          "Use helpers.e_step / helpers.m_step, or check your own against them.")

        ctx.step("returns the parameters after the last M-step")
        for got, init_val, ref_val, what in ((psi, psi0, ref.psi, "psi"), (A, A0, ref.A, "A"),
                                             (L, L0, ref.L, "L")):
            if not _close(got, ref_val, rtol=1e-6):
                if _close(psi, psi0) and _close(A, A0) and _close(L, L0):
                    raise _Failed("your function returns the starting parameters.",
                                  "Return the parameters after the last M-step (those whose "
                                  "log-likelihood is lls[-1]).")
                ll_got = log_likelihood(Y, psi, A, L, dt) if _valid_params(psi, A, L) else None
                if ll_got is not None and lls.size > 1 and np.isclose(ll_got, want[-2], rtol=1e-9):
                    raise _Failed("your function returns the parameters from before the last M-step.",
                                  "Return the newest parameters, whose log-likelihood is lls[-1].")
                raise _Failed(f"the returned {what} does not match helpers.fit_em.",
                              _difference(got, ref_val, what))

        ctx.step(f"stops early when the improvement is below tol * |ll| (relative, tol = {_EM_TOL:g})")
        ctx.case = (f"{n} trials of {T} bins, C = {C}, K = {K}, n_iter = {_EM_N_ITER_LONG}, "
                    f"tol = {_EM_TOL:g}")
        res = ctx.call(Y, psi0, A0, L0, dt, _EM_N_ITER_LONG, _EM_TOL)
        psi, A, L, lls = _em_unpack(res, n, K, C)
        ref2 = _fit(Y, K, dt, "em", n_iter=_EM_N_ITER_LONG, tol=_EM_TOL, init=init)
        want = ref2.lls
        if lls.size != want.size:
            long_run = _fit(Y, K, dt, "em", n_iter=_EM_N_ITER_LONG, tol=0.0, init=init).lls
            abs_len = _em_stop_length(long_run, _EM_TOL, relative=False)
            rule = (f"The rule: stop as soon as lls[-1] - lls[-2] <= tol * abs(lls[-1]) (here about "
                    f"{_f(_EM_TOL * abs(want[-1]), '.2g')} nats), before doing another M-step.")
            if lls.size == want.size + 1 and lls[-1] == lls[-2]:
                head = ("after stopping early, the last log-likelihood is appended twice.")
                rule = ("Append the final log-likelihood after the loop only when it ran all "
                        "n_iter M-steps (e.g. with for ... else, or a flag); when EM stops early, "
                        "the ll that triggered the stop is already the last entry.")
            elif lls.size == _EM_N_ITER_LONG + 1 and lls.size != abs_len:
                head = (f"EM never stopped early: {lls.size} log-likelihoods, helpers.fit_em "
                        f"stops after {want.size}.")
            elif lls.size == abs_len:
                head = ("the stopping rule uses an absolute tolerance (improvement < tol); "
                        "it should be relative to the log-likelihood.")
            elif lls.size < want.size:
                head = (f"EM stopped too early: {lls.size} log-likelihoods, helpers.fit_em stops "
                        f"after {want.size}.")
            else:
                head = (f"EM stopped too late: {lls.size} log-likelihoods, helpers.fit_em stops "
                        f"after {want.size}.")
            raise _Failed(head, rule)
        if not _close(lls, want, rtol=1e-7):
            raise _Failed("the log-likelihoods do not match helpers.fit_em.",
                          _difference(lls, want, "lls", ".8g"))
        for got, ref_val, what in ((psi, ref2.psi, "psi"), (A, ref2.A, "A"), (L, ref2.L, "L")):
            if not _close(got, ref_val, rtol=1e-6):
                raise _Failed(f"after stopping early, the returned {what} does not match helpers.fit_em.",
                              _difference(got, ref_val, what),
                              "When EM stops, return the parameters whose log-likelihood is lls[-1].")
        ctx.case = ""

    return _run("run_em", run_em, "run_em(Y, psi, A, L, dt, n_iter, tol)",
                ("Y", "psi", "A", "L", "dt", "n_iter", "tol"), "psi, A, L, lls", body,
                "return values, total log-likelihoods before every M-step and after the last, "
                "monotone increase, the final parameters, and the relative stopping rule, all "
                "against helpers.fit_em; inputs left untouched")


def _valid_params(psi, A, L):
    return (np.all(psi >= 0) and np.isclose(psi.sum(), 1) and np.all(A >= 0)
            and np.allclose(A.sum(axis=1), 1) and np.all(L >= 0))


# --------------------------------------------------------------------------------------
# 05 diagnostics
# --------------------------------------------------------------------------------------


def _ecll_cases():
    rng = np.random.default_rng(51)
    psi = np.array([0.5, 0.2, 0.3])
    A = np.array([[0.85, 0.1, 0.05], [0.05, 0.8, 0.15], [0.2, 0.05, 0.75]])
    L = _FB_L.copy()
    dt = 0.01
    states = _ref_sample_states(psi, A, 3, 40, rng)
    Y = _ref_sample_spikes(states, L, dt, rng)
    # theta_old: where the posteriors come from
    psi_o = np.array([0.3, 0.3, 0.4])
    A_o = np.array([[0.7, 0.2, 0.1], [0.1, 0.7, 0.2], [0.3, 0.1, 0.6]])
    L_o = L * 0.8 + 5.0
    post = e_step(Y, psi_o, A_o, L_o, dt)
    new = _ref_m_step(Y, post.gamma, post.xi_sum, dt)
    # a K = 2 case on the same counts
    psi2 = np.array([0.6, 0.4])
    A2 = np.array([[0.9, 0.1], [0.3, 0.7]])
    L2 = np.array([[10.0, 30.0], [40.0, 10.0], [20.0, 25.0], [15.0, 30.0]])
    post2 = e_step(Y, psi2, A2, L2, dt)
    theta2 = (np.array([0.45, 0.55]), np.array([[0.8, 0.2], [0.35, 0.65]]), L2 * 1.1 + 1.0)
    base = "3 trials of 40 bins, C = 4 neurons, dt = 0.01 s"
    return [
        ("Q at the parameters the posteriors came from", Y, post.gamma, post.xi_sum,
         (psi_o, A_o, L_o), dt, f"{base}, K = 3, theta = theta_old"),
        ("Q at the M-step's new parameters", Y, post.gamma, post.xi_sum, new, dt,
         f"{base}, K = 3, theta = theta_new from helpers.m_step"),
        ("a second case with K = 2 states", Y, post2.gamma, post2.xi_sum, theta2, dt,
         f"{base}, K = 2"),
    ]


def _ecll_diagnose(value, Y, gamma, xi_sum, psi, A, L, dt, ref):
    n, T, C = Y.shape
    Yf = Y.astype(float)
    rate = L * dt
    first = gamma[:, 0].sum(axis=0)
    spikes = np.einsum("ntc,ntk->ck", Yf, gamma)
    occ = gamma.sum(axis=(0, 1))
    init_term = float(xlogy(first, psi).sum())
    trans_term = float(xlogy(xi_sum, A).sum())
    logfact = float((gammaln(Yf + 1).sum(axis=2) * gamma.sum(axis=2)).sum())
    rate_term = float((occ * rate.sum(axis=0)).sum())
    emis = float(xlogy(spikes, rate).sum()) - rate_term - logfact
    candidates = [
        (ref + logfact, "the -log(y!) term is missing.",
         "The Poisson log-probability is y log(L dt) - L dt - log(y!): keep the log(y!) part "
         "(scipy.special.gammaln(y + 1)), weighted by gamma like the rest."),
        (ref - init_term, "the initial-state term is missing.",
         "Add sum_k (sum_n gamma[n, 0, k]) * log psi_k."),
        (ref - trans_term + float(xlogy(xi_sum, A.T).sum()), "A is used transposed in the transition term.",
         "xi_sum[i, j] counts transitions i -> j, which have probability A[i, j]: "
         "sum(xi_sum * log(A)), not log(A.T)."),
        (ref - trans_term, "the transition term is missing.", "Add sum_ij xi_sum[i, j] * log A[i, j]."),
        (ref - np.log(dt) * float(spikes.sum()), "you used log(L) instead of log(L * dt).",
         "The expected count in a bin is L * dt: the Poisson term is y log(L dt) - L dt - log(y!)."),
        (ref + rate_term, "the -L*dt term of the Poisson log-probability is missing.",
         "Each bin contributes sum_c [y log(L dt) - L dt - log(y!)], weighted by gamma."),
        (ref - emis, "the emission (Poisson) term is missing.",
         "Add sum_{n,t,k} gamma[n,t,k] sum_c log Poisson(y[n,t,c]; L[c,k] dt)."),
        (ref / n, "you returned the mean over trials.", "Return the total, summed over trials."),
        (ref / (n * T), "you returned the mean over bins.", "Return the total, summed over trials and bins."),
        (-ref, "the sign is flipped.", "Return Q itself, a log-likelihood (negative here), not -Q."),
    ]
    for cand, head, hint in candidates:
        if np.isclose(value, cand, rtol=1e-8, atol=1e-8):
            raise _Failed(head, hint)
    raise _Failed(f"your ECLL is {_f(value, '.8g')}, the reference gives {_f(ref, '.8g')}.",
                  "Q = sum_k gamma1_k log psi_k + sum_ij xi_sum_ij log A_ij + "
                  "sum_ntk gamma_ntk sum_c [y log(L_ck dt) - L_ck dt - log(y!)].")


def check_ecll(ecll):
    """Check ``ecll(Y, gamma, xi_sum, psi, A, L, dt) -> float``.

    Compares with :func:`helpers.expected_complete_ll` at the parameters the
    posteriors came from, at the M-step's new parameters, and on a second
    case with K = 2. Detects: not a single number, NaN, the ``log(y!)``
    term, the initial-state term, the transition or emission term missing,
    A transposed, ``log L`` instead of ``log(L dt)``, the ``-L dt`` term
    missing, a mean instead of the total, a flipped sign, and inputs
    modified in place.

    Returns
    -------
    bool
        True if every check passed.
    """

    def body(ctx):
        for label, Y, gamma, xi_sum, theta, dt, desc in _ecll_cases():
            ctx.step(label)
            ctx.case = desc
            n, T, C = Y.shape
            K = gamma.shape[2]
            ctx.shapes = (f"Y ({n}, {T}, {C}) = (n_trials, T, C), gamma ({n}, {T}, {K}), "
                          f"xi_sum ({K}, {K}), psi ({K},), A ({K}, {K}), L ({C}, {K}) = (C, K)")
            psi, A, L = theta
            ref = expected_complete_ll(Y, gamma, xi_sum, psi, A, L, dt)
            value = _scalar(ctx.call(Y, gamma, xi_sum, psi, A, L, dt), "the returned ECLL")
            if not np.isfinite(value):
                raise _Failed(f"your ECLL is {value}.",
                              "Look for log(0) or 0 * log(0); all parameters here are positive.")
            if not np.isclose(value, ref, rtol=1e-8, atol=1e-8):
                _ecll_diagnose(value, Y, gamma, xi_sum, psi, A, L, dt, ref)
        ctx.case = ""

    return _run("ecll", ecll, "ecll(Y, gamma, xi_sum, psi, A, L, dt)",
                ("Y", "gamma", "xi_sum", "psi", "A", "L", "dt"), "Q", body,
                "a single number equal to helpers.expected_complete_ll at theta_old, at theta_new "
                "and with K = 2; inputs left untouched")


def _heldout_units(v, ref, which, n, T, dt, other_duration, duration_text):
    """Fail if ``v`` is ``ref`` (nats per second) in the wrong units."""
    dur = n * T * dt
    units = [
        (ref * dur, "is a total log-likelihood, not per second."),
        (ref * dt, "is per bin, not per second."),
        (ref * T * dt, "is per trial, not per second."),
        (ref * n, "is per second of ONE trial (divided by T * dt only)."),
        (ref * dur / other_duration, f"is divided by the duration of the {'TEST' if which == 'training' else 'TRAINING'} set."),
    ]
    for cand, tail in units:
        if np.isclose(v, cand, rtol=1e-7):
            raise _Failed(f"the {which} value {tail}",
                          f"Divide the {which} log-likelihood (total, in nats) by the duration of the "
                          f"{which} recording, {duration_text} seconds.")


def _heldout_cases():
    tr = tutorial_data(n_trials=6, T=80, seed=5)
    te = tutorial_data(n_trials=3, T=50, seed=6)
    return tr["Y"], te["Y"], tr["dt"]


def check_heldout_ll(heldout_ll):
    """Check ``heldout_ll(Y_train, Y_test, K, dt, seed) -> (train_ll_per_s, test_ll_per_s)``.

    The reference: ``fit = helpers.fit_em(Y_train, K, dt, seed=seed)``;
    train = ``fit.lls[-1] / (n_train * T * dt)``; test =
    ``helpers.log_likelihood(Y_test, fit.psi, fit.A, fit.L, dt) /
    (n_test * T_test * dt)``. Detects: not two numbers, swapped outputs,
    totals / per bin / per trial instead of per second, dividing by the other
    set's duration, scoring the training set twice, fitting on the test
    set, other fit settings, inputs modified in place.

    Returns
    -------
    bool
        True if every check passed.
    """

    def body(ctx):
        Y_tr, Y_te, dt = _heldout_cases()
        n_tr, T_tr, C = Y_tr.shape
        n_te, T_te, _ = Y_te.shape
        dur_tr = n_tr * T_tr * dt
        dur_te = n_te * T_te * dt
        ctx.shapes = (f"Y_train (n_train, T, C) = {Y_tr.shape}, Y_test (n_test, T_test, C) = {Y_te.shape}")
        for j, (K, seed) in enumerate(((2, 0), (3, 1))):
            ctx.case = (f"Y_train {n_tr} trials of {T_tr} bins, Y_test {n_te} trials of {T_te} bins, "
                        f"C = {C}, K = {K}, dt = {dt} s, seed = {seed}")
            ctx.step("returns two numbers" if j == 0 else f"a second case: K = {K}, seed = {seed}")
            res = ctx.call(Y_tr, Y_te, K, dt, seed)
            if isinstance(res, dict):
                raise _Failed("your function returned a dict; it should return two numbers.",
                              "End it with `return train_ll_per_s, test_ll_per_s`.")
            a, b = _result_tuple(res, 2, "train_ll_per_s, test_ll_per_s")
            one = "Return two numbers: `return train_ll_per_s, test_ll_per_s`."
            a = _scalar(a, "the training log-likelihood", one)
            b = _scalar(b, "the test log-likelihood", one)
            if not (np.isfinite(a) and np.isfinite(b)):
                raise _Failed(f"your values ({_f(a)}, {_f(b)}) are not finite numbers.")
            fit = _fit(Y_tr, K, dt, "train", seed=seed)
            tr = fit.lls[-1] / dur_tr
            te = log_likelihood(Y_te, fit.psi, fit.A, fit.L, dt) / dur_te
            if j == 0:
                ctx.step("training log-likelihood per second")
                ctx.step("test log-likelihood per second")
            ok_a = np.isclose(a, tr, rtol=1e-7)
            ok_b = np.isclose(b, te, rtol=1e-7)
            if ok_a and ok_b:
                continue
            if np.isclose(a, te, rtol=1e-7) and np.isclose(b, tr, rtol=1e-7):
                raise _Failed("the two values are swapped.",
                              "Return (train_ll_per_s, test_ll_per_s), training first.")
            if not ok_a:
                _heldout_units(a, tr, "training", n_tr, T_tr, dt, dur_te, "n_train * T * dt")
                if np.isclose(a, te, rtol=1e-7):
                    raise _Failed("the training value is the test log-likelihood.",
                                  "Return the training value first: fit.lls[-1] / (n_train * T * dt).")
                fit_te = _fit(Y_te, K, dt, "test", seed=seed)
                on_test = (fit_te.lls[-1] / dur_te,
                           log_likelihood(Y_tr, fit_te.psi, fit_te.A, fit_te.L, dt) / dur_tr)
                if any(np.isclose(a, v, rtol=1e-7) for v in on_test):
                    raise _Failed("the model was fitted on the test set.",
                                  "Fit on Y_train only: fit = helpers.fit_em(Y_train, K, dt, seed=seed).")
                raise _Failed(
                    f"the training log-likelihood per second is {_f(a, '.8g')}, expected {_f(tr, '.8g')}.",
                    "Fit with fit = helpers.fit_em(Y_train, K, dt, seed=seed) (other settings at their "
                    "defaults) and divide fit.lls[-1] by n_train * T * dt.",
                )
            _heldout_units(b, te, "test", n_te, T_te, dt, dur_tr, "n_test * T_test * dt")
            if np.isclose(b, tr, rtol=1e-7) or np.isclose(b, fit.lls[-1] / dur_te, rtol=1e-7):
                raise _Failed("the test value scores the TRAINING set again.",
                              "Evaluate helpers.log_likelihood(Y_test, fit.psi, fit.A, fit.L, dt) "
                              "on the test trials.")
            fit_te = _fit(Y_te, K, dt, "test", seed=seed)
            if np.isclose(b, fit_te.lls[-1] / dur_te, rtol=1e-7):
                raise _Failed("the model was fitted on the test set.",
                              "Fit on Y_train only; the test set is only scored.")
            raise _Failed(
                f"the test log-likelihood per second is {_f(b, '.8g')}, expected {_f(te, '.8g')}.",
                "Score the fitted model on the test trials, helpers.log_likelihood(Y_test, fit.psi, "
                "fit.A, fit.L, dt), and divide by n_test * T_test * dt.",
            )
        ctx.case = ""

    return _run("heldout_ll", heldout_ll, "heldout_ll(Y_train, Y_test, K, dt, seed)",
                ("Y_train", "Y_test", "K", "dt", "seed"), "train_ll_per_s, test_ll_per_s", body,
                "two numbers: training and test log-likelihood per second of recording, equal to "
                "helpers.fit_em + helpers.log_likelihood on two cases (K = 2 and 3); inputs left "
                "untouched")
