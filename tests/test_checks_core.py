"""Tests of what every exercise check shares: never raising, reporting the student's line,
leaving global state alone, falling back, and working in a real kernel.
"""

from __future__ import annotations

import linecache
import random

import numpy as np
import pytest
from scipy.special import gammaln
from scipy.stats import poisson

import helpers
from helpers import checks


from check_helpers import assert_caught, assert_passes, not_done, run_check  # noqa: F401
from test_checks_01_simulate import spikes_forgot_dt, spikes_global, states_global_random, states_loops  # noqa: E402
from test_checks_03_m_step import m_step_loops  # noqa: E402
from test_checks_04_em import run_em_student  # noqa: E402
from test_checks_06_checking_the_model import heldout_reference  # noqa: E402


# ------------------------------------------------------------------------------------
# robustness common to every check
# ------------------------------------------------------------------------------------

ALL_CHECKS = [
    checks.check_sample_states,
    checks.check_sample_spikes,
    checks.check_forward,
    checks.check_backward,
    checks.check_m_step,
    checks.check_run_em,
    checks.check_ecll,
    checks.check_viterbi,
    checks.check_heldout_ll,
    checks.check_fano_per_state,
]


class Weird:
    def __array__(self, *a, **k):
        raise RuntimeError("no array for you")

    def __len__(self):
        raise RuntimeError("no len either")


class MyBaseError(BaseException):
    pass


def _exit(*args):
    raise SystemExit(3)


def _base_error(*args):
    raise MyBaseError("odd")


def _warn_and_nan(*args):
    return np.log(np.zeros(3)) / 0.0 * np.zeros(3)


WEIRD_FUNCTIONS = [
    lambda *a: None,
    lambda *a: 0,
    lambda *a: "text",
    lambda *a: {"a": 1},
    lambda *a: (x for x in range(3)),
    lambda *a: Weird(),
    lambda *a: (Weird(), Weird(), Weird(), Weird()),
    lambda *a: [[1, 2], [3]],
    lambda *a: np.array([object(), 1]),
    lambda *a: np.full((2, 2), np.nan),
    lambda *a: 1j,
    lambda *a: (np.nan, np.nan),
    lambda *a: (None, None, None, None),
    lambda *a: (None, None, None),
    lambda *a: (None, None),
    _exit,
    _base_error,
    _warn_and_nan,
    not_done,
    lambda: 1,  # wrong signature
    None,
    42,
]


@pytest.mark.parametrize("check", ALL_CHECKS, ids=lambda c: c.__name__)
def test_checks_never_raise_and_never_pass_nonsense(check, capsys):
    for fn in WEIRD_FUNCTIONS:
        result, out = run_check(check, fn, capsys)
        assert result is False, out
        assert "Traceback" not in out


@pytest.mark.parametrize("check", ALL_CHECKS, ids=lambda c: c.__name__)
def test_not_implemented_is_reported_kindly(check, capsys):
    result, out = run_check(check, not_done, capsys)
    assert result is False
    assert out.startswith("⏳")
    assert "not done yet" in out
    assert "NotImplementedError" in out  # the instruction names what to replace
    assert "Traceback" not in out and "line" not in out


@pytest.mark.parametrize("check", ALL_CHECKS, ids=lambda c: c.__name__)
def test_wrong_signature_is_explained(check, capsys):
    result, out = run_check(check, lambda x: x, capsys)
    assert result is False
    assert "TypeError" in out and "must be defined as" in out


def test_nan_report_mentions_the_students_warning(capsys):
    def m_step_zero_division(Y, gamma, xi_sum, dt):
        psi, A, L = helpers.m_step(Y, gamma, xi_sum, dt)
        return psi, xi_sum / (xi_sum.sum(axis=1, keepdims=True) * 0), L

    out = assert_caught(checks.check_m_step, m_step_zero_division, capsys, "infinite")
    assert "RuntimeWarning: divide by zero" in out


def test_keyboard_interrupt_propagates():
    def interrupted(*args):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        checks.check_m_step(interrupted)


def test_checks_do_not_touch_global_random_state(capsys):
    np.random.seed(1234)
    random.seed(99)
    np_before = np.random.get_state()
    py_before = random.getstate()
    checks.check_sample_states(helpers.sample_states)
    checks.check_sample_spikes(spikes_global)  # uses np.random, the check must restore it
    checks.check_sample_states(states_global_random)
    checks.check_m_step(helpers.m_step)
    np_after = np.random.get_state()
    assert np_before[0] == np_after[0] and np.array_equal(np_before[1], np_after[1])
    assert np_before[2:] == np_after[2:]
    assert random.getstate() == py_before
    capsys.readouterr()


@pytest.mark.parametrize("check, fn", [
    (checks.check_sample_states, states_loops),
    (checks.check_sample_spikes, spikes_forgot_dt),
    (checks.check_run_em, run_em_student),
])
def test_check_output_is_reproducible(check, fn, capsys):
    _, first = run_check(check, fn, capsys)
    np.random.seed(5)  # the global state must not matter
    _, second = run_check(check, fn, capsys)
    assert first == second


def test_student_prints_are_captured_and_shown_briefly(capsys):
    def chatty(Y, gamma, xi_sum, dt):
        for i in range(20):
            print("debug", i)
        return helpers.m_step(Y, gamma, xi_sum, dt)

    out = assert_passes(checks.check_m_step, chatty, capsys)
    assert out.count("debug 0") == 1
    assert "debug 19" not in out
    assert "more lines" in out


def test_fallback_prints_only_when_not_passed(capsys):
    def m_step(Y, gamma, xi_sum, dt):
        return helpers.m_step(Y, gamma, xi_sum, dt)

    assert checks.fallback(m_step, True, helpers.m_step) is m_step
    assert capsys.readouterr().out == ""
    assert checks.fallback(m_step, np.bool_(True), helpers.m_step) is m_step
    assert capsys.readouterr().out == ""

    for passed in (False, None, "yes", 1):
        assert checks.fallback(m_step, passed, helpers.m_step) is helpers.m_step
        out = capsys.readouterr().out
        assert out == ("ℹ️ Using the reference helpers.m_step in the cells below "
                       "(your m_step is not finished or did not pass its check).\n")
    assert checks.fallback(None, False, helpers.forward) is helpers.forward
    assert out.count("\n") == 1
    assert "helpers.forward" in capsys.readouterr().out


def test_fallback_from_a_real_check(capsys):
    ok = checks.check_m_step(not_done)
    used = checks.fallback(not_done, ok, helpers.m_step)
    assert used is helpers.m_step
    ok = checks.check_m_step(m_step_loops)
    assert checks.fallback(m_step_loops, ok, helpers.m_step) is m_step_loops
    capsys.readouterr()


# ------------------------------------------------------------------------------------
# student code living in a notebook cell (an ipykernel-like file name)
# ------------------------------------------------------------------------------------

CELL_SOURCE = '''\
import numpy as np

def m_step(Y, gamma, xi_sum, dt):
    psi = gamma[:, 0].mean(axis=0)
    A = xi_sum / xi_sum.sum(axis=1, keepdims=True)
    L = np.einsum("ntc,ntk->ck", Y, gamma) / gamma.sum(axis=(0, 1, 2))[1] / dt
    return psi, A, L
'''


def _define_in_cell(source, filename="/tmp/ipykernel_1/123.py"):
    lines = source.splitlines(keepends=True)
    linecache.cache[filename] = (len(source), None, lines, filename)  # what IPython does
    namespace = {}
    exec(compile(source, filename, "exec"), namespace)
    return namespace


def test_exception_in_notebook_cell_reports_cell_line(capsys):
    ns = _define_in_cell(CELL_SOURCE)
    out = assert_caught(checks.check_m_step, ns["m_step"], capsys, "IndexError")
    assert "in m_step, line 6: L = np.einsum(" in out
    assert "123.py" not in out and "ipykernel" not in out  # just "line N" for a cell


def test_notebook_cell_without_source_still_gives_line(capsys):
    source = "def forward(obs, psi, A):\n    return obs[99], None\n"
    filename = "/tmp/ipykernel_1/456.py"
    namespace = {}
    exec(compile(source, filename, "exec"), namespace)  # not in linecache
    out = assert_caught(checks.check_forward, namespace["forward"], capsys, "IndexError")
    assert "in forward, line 2" in out


def test_error_inside_helpers_points_to_students_call(capsys):
    source = (
        "import helpers\n"
        "def run_em(Y, psi, A, L, dt, n_iter, tol):\n"
        "    post = helpers.e_step(Y, psi, A.T, L, dt)\n"
        "    return psi, A, L, [post.ll]\n"
    )
    ns = _define_in_cell(source, "/tmp/ipykernel_1/789.py")
    out = assert_caught(checks.check_run_em, ns["run_em"], capsys, "ValueError")
    assert "line 3: post = helpers.e_step(Y, psi, A.T, L, dt)" in out
    assert "inside helpers' `e_step`" in out


def test_notebook_cells_via_ipykernel_exec_compile_pass(capsys):
    source = CELL_SOURCE.replace("gamma.sum(axis=(0, 1, 2))[1]", "gamma.sum(axis=(0, 1))")
    ns = _define_in_cell(source, "/tmp/ipykernel_1/124.py")
    assert_passes(checks.check_m_step, ns["m_step"], capsys)


# ------------------------------------------------------------------------------------
# speed
# ------------------------------------------------------------------------------------


@pytest.mark.parametrize("check, fn", [
    (checks.check_sample_states, helpers.sample_states),
    (checks.check_sample_spikes, helpers.sample_spikes),
    (checks.check_forward, helpers.forward),
    (checks.check_backward, helpers.backward),
    (checks.check_m_step, helpers.m_step),
    (checks.check_run_em, run_em_student),
    (checks.check_ecll, helpers.expected_complete_ll),
    (checks.check_viterbi, checks.reference_viterbi),
    (checks.check_heldout_ll, heldout_reference),
    (checks.check_fano_per_state, checks.reference_fano_per_state),
])
def test_every_check_passes_the_reference(check, fn, capsys):
    assert check(fn) is True
    assert "✅" in capsys.readouterr().out


# ------------------------------------------------------------------------------------
# a real Jupyter kernel: the student's line is reported from the cell
# ------------------------------------------------------------------------------------


def test_in_a_real_kernel_checks_report_cell_lines_and_fall_back():
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    cells = [
        "import numpy as np\nimport helpers\nfrom helpers import checks",
        "def m_step(Y, gamma, xi_sum, dt):\n"
        "    psi = gamma[:, 0].mean(axis=0)\n"
        "    A = xi_sum / xi_sum.sum(axis=1, keepdims=True)\n"
        "    L = np.einsum('ntc,ntk->ck', Y, gamma) / gamma.sum(axis=(0, 1))[7]\n"
        "    return psi, A, L",
        "ok = checks.check_m_step(m_step)\nm_step_used = checks.fallback(m_step, ok, helpers.m_step)\n"
        "print(m_step_used is helpers.m_step)",
        "def forward(obs, psi, A):\n    raise NotImplementedError('your code here')",
        "ok = checks.check_forward(forward)",
        "ok = checks.check_forward(helpers.forward)",
    ]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3").execute()

    def text(i):
        return "".join(o.get("text", "") for o in nb.cells[i].outputs if o.get("output_type") == "stream")

    out = text(2)
    assert out.startswith("❌ m_step: your code raised IndexError")
    assert "in m_step, line 4: L = np.einsum('ntc,ntk->ck', Y, gamma) / gamma.sum(axis=(0, 1))[7]" in out
    assert "ℹ️ Using the reference helpers.m_step in the cells below" in out
    assert out.rstrip().endswith("True")
    assert text(4).startswith("⏳ forward: not done yet")
    assert text(5).startswith("✅ forward passed all 5 checks.")


# ------------------------------------------------------------------------------------
# no message hands out the answer: every line a check prints for a wrong answer of its
# catalogue stays below the exercise audit's similarity threshold to every answer line
# ------------------------------------------------------------------------------------

import ast  # noqa: E402
import collections  # noqa: E402
import functools  # noqa: E402
import re  # noqa: E402
from pathlib import Path  # noqa: E402

import test_checks_01_simulate as _t01  # noqa: E402
import test_checks_02_forward_backward as _t02  # noqa: E402
import test_checks_03_m_step as _t03  # noqa: E402
import test_checks_04_em as _t04  # noqa: E402
import test_checks_05_why_em_climbs as _t05  # noqa: E402
import test_checks_06_checking_the_model as _t06  # noqa: E402
import test_checks_07_real_data as _t07  # noqa: E402
from tools import build, exercise_audit  # noqa: E402

_ROOT = Path(__file__).resolve().parents[1]

#: check -> (tutorial source, exercise, its catalogue of wrong answers)
_ANSWER_AUDIT = {
    "sample_states": ("01_simulate", "sample_states", _t01.SAMPLE_STATES_MISTAKES + _t01.SAMPLE_STATES_STUDENT),
    "sample_spikes": ("01_simulate", "sample_spikes", _t01.SAMPLE_SPIKES_MISTAKES + _t01.SAMPLE_SPIKES_STUDENT),
    "forward": ("02_forward_backward", "forward", _t02.FORWARD_MISTAKES + _t02.FORWARD_STUDENT),
    "backward": ("02_forward_backward", "backward", _t02.BACKWARD_MISTAKES + _t02.BACKWARD_STUDENT),
    "m_step": ("03_m_step", "m_step", _t03.M_STEP_MISTAKES + _t03.M_STEP_STUDENT),
    "run_em": ("04_em", "run_em", _t04.RUN_EM_MISTAKES + _t04.RUN_EM_STUDENT),
    "ecll": ("05_why_em_climbs", "ecll", _t05.ECLL_MISTAKES + _t05.ECLL_STUDENT),
    "viterbi": ("06_checking_the_model", "viterbi", _t06.VITERBI_MISTAKES + _t06.VITERBI_STUDENT),
    "heldout_ll": ("06_checking_the_model", "heldout_ll", _t06.HELDOUT_MISTAKES + _t06.HELDOUT_STUDENT),
    "fano_per_state": ("07_real_data", "fano_per_state", _t07.MISTAKES + _t07.FANO_STUDENT),
}

#: lines that echo the student's own code or output back: not the check's words
_ECHO = re.compile(r"^\s*(in \w+, line \d+|First blank, line \d+|\|)")


@functools.lru_cache(maxsize=None)
def _answers(stem):
    """{exercise name: its answer lines} of one tutorial source."""
    exercises, _ = exercise_audit.exercises_of(_ROOT / build.SOURCE_DIR / f"{stem}.py")
    return {ex.name: tuple(ex.answers) for ex in exercises}


def _similarity_bound(line, answer):
    """An upper bound of ``exercise_audit.similarity(line, answer, prose=True)``, cheap to compute.

    difflib's ratio is 2 M / (len(x) + len(answer)), and M, the matched tokens, is at most the
    size of the multiset intersection of the shapes (and at most len(answer)); a window of the
    line is at least len(answer) - 2 tokens long. Most lines are far below the threshold: only
    those that might reach it pay for the full comparison.
    """
    best = 0.0
    for collapse in (False, True):
        v, a = exercise_audit.shape(line, collapse), exercise_audit.shape(answer, collapse)
        if not v or len(a) < (exercise_audit.MIN_COLLAPSED if collapse else exercise_audit.MIN_TOKENS):
            continue
        m = len(a)
        common = sum((collections.Counter(v) & collections.Counter(a)).values())
        if len(v) <= m + 2:
            best = max(best, 2 * common / (len(v) + m))
        else:
            best = max(best, 2 * min(common, m) / (max(m - 2, 1) + m))
    return best


@functools.lru_cache(maxsize=None)
def _line_leaks(line, answers):
    """The answer lines (and scores) one printed line is too close to."""
    scores = ((answer, exercise_audit.similarity(line, answer, prose=True)) for answer in answers
              if _similarity_bound(line, answer) >= exercise_audit.THRESHOLD)
    return tuple((answer, round(score, 2)) for answer, score in scores if score >= exercise_audit.THRESHOLD)


def _leaks(text, answers):
    """(line, answer, score) of every printed line too close to an answer line."""
    found = []
    for line in dict.fromkeys(line.strip() for line in text.splitlines()):
        if line and not _ECHO.match(line):
            found.extend((line, answer, score) for answer, score in _line_leaks(line, tuple(answers)))
    return found


@pytest.mark.parametrize("name", sorted(_ANSWER_AUDIT))
def test_no_message_prints_an_answer_line(name, capsys):
    stem, exercise, catalogue = _ANSWER_AUDIT[name]
    answers = _answers(stem)[exercise]
    assert answers, f"no answer lines found for {exercise} in {stem}"
    check = getattr(checks, f"check_{name}")
    leaks = {}
    for fn, _ in catalogue:
        _, out = run_check(check, fn, capsys)
        found = _leaks(out, answers)
        if found:
            leaks[getattr(fn, "__name__", repr(fn))] = found
    assert not leaks, leaks


#: check module -> the tutorials whose answers its messages must not print
_MODULE_SOURCES = {
    "simulate": ("01_simulate",), "forward_backward": ("02_forward_backward",), "m_step": ("03_m_step",),
    "em": ("04_em",), "why_em_climbs": ("05_why_em_climbs",), "checking_the_model": ("06_checking_the_model",),
    "real_data": ("07_real_data",),
    "_core": ("01_simulate", "02_forward_backward", "03_m_step", "04_em", "05_why_em_climbs",
              "06_checking_the_model", "07_real_data"),
}


def _message_strings(source):
    """Every string literal of a module outside docstrings; an f-string's fields read as 3."""
    tree = ast.parse(source)
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                skip.add(id(first.value))
        if isinstance(node, ast.JoinedStr):
            skip.update(id(v) for v in ast.walk(node) if v is not node)
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.lineno, node.value
        elif isinstance(node, ast.JoinedStr):
            yield node.lineno, "".join(v.value if isinstance(v, ast.Constant) else "3" for v in node.values)


@pytest.mark.parametrize("module", sorted(_MODULE_SOURCES))
def test_no_message_string_of_a_check_module_is_an_answer_line(module):
    """Also the messages no catalogue entry triggers: every string literal of the module."""
    answers = [a for stem in _MODULE_SOURCES[module] for lines in _answers(stem).values() for a in lines]
    source = (_ROOT / "helpers" / "checks" / f"{module}.py").read_text(encoding="utf-8")
    leaks = [(lineno, found) for lineno, text in _message_strings(source) if (found := _leaks(text, answers))]
    assert not leaks, leaks


# ------------------------------------------------------------------------------------
# exception hints: shape advice only for shape errors
# ------------------------------------------------------------------------------------


def _m_step_raising(error):
    def m_step(Y, gamma, xi_sum, dt):
        psi, A, L = helpers.m_step(Y, gamma, xi_sum, dt)
        if error == "list":
            starts = list(gamma[:, 0].sum(axis=0))
            return psi, A, L * starts[7]
        if error == "float index":
            return psi, A[gamma.shape[2] / 1.0], L
        if error == "out of bounds":
            return psi, A[:, gamma.shape[2]], L
        return psi, A, L / gamma.sum(axis=(0, 1))[:, None]  # (C, K) / (K, 1): a broadcasting error
    return m_step


@pytest.mark.parametrize("error, says, not_said", [
    ("list", "a list is shorter than the code assumes", "Print the shapes"),
    ("float index", "Indices must be integers", "Print the shapes"),
    ("out of bounds", "an index VALUE is out of range", "Print the shapes"),
    ("broadcast", "Print the shapes on that line", "index VALUE"),
])
def test_shape_advice_only_for_shape_errors(error, says, not_said, capsys):
    out = assert_caught(checks.check_m_step, _m_step_raising(error), capsys, "your code raised")
    assert says.lower() in out.lower() and not_said not in out, out
