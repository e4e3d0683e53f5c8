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
