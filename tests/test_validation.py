"""Bad input is refused, early and clearly; good input is never modified.

Every public function that takes an argument gets every relevant kind of bad
value. Each case must raise the documented exception type with a message that
names the argument, emit no warning (validation comes before computation) and
leave every input exactly as it was.
"""

import copy
import re
import warnings

import numpy as np
import pytest

import helpers

# --- a valid call of every public function ---------------------------------------------
# n_trials = 2, T = 4, C = 2, K = 2. Fresh arrays on every call.


def _Y():
    return np.array([[[0, 1], [2, 0], [1, 1], [0, 3]], [[1, 0], [0, 0], [4, 1], [2, 2]]], dtype=np.int64)


def _psi():
    return np.array([0.4, 0.6])


def _A():
    return np.array([[0.9, 0.1], [0.3, 0.7]])


def _L():
    return np.array([[5.0, 20.0], [12.0, 3.0]])


def _gamma():
    g = np.empty((2, 4, 2))
    g[..., 0] = np.linspace(0.1, 0.9, 8).reshape(2, 4)
    g[..., 1] = 1.0 - g[..., 0]
    return g


def _xi():
    return np.array([[2.0, 1.0], [0.5, 2.5]])


def _obs():
    return np.random.default_rng(0).uniform(0.1, 1.0, size=(2, 4, 2))


DT = 0.1

FUNCS = {
    "e_step": lambda: (helpers.e_step, dict(Y=_Y(), psi=_psi(), A=_A(), L=_L(), dt=DT)),
    "log_likelihood": lambda: (helpers.log_likelihood, dict(Y=_Y(), psi=_psi(), A=_A(), L=_L(), dt=DT)),
    "viterbi": lambda: (helpers.viterbi, dict(Y=_Y(), psi=_psi(), A=_A(), L=_L(), dt=DT)),
    "scan_ll_ecll": lambda: (helpers.scan_ll_ecll, dict(
        Y=_Y(), psi=_psi(), A=_A(), L=_L(), dt=DT, n_epochs=1, n_points=3, b_range=(-1.0, 2.0))),
    "expected_complete_ll": lambda: (helpers.expected_complete_ll, dict(
        Y=_Y(), gamma=_gamma(), xi_sum=_xi(), psi=_psi(), A=_A(), L=_L(), dt=DT)),
    "m_step": lambda: (helpers.m_step, dict(Y=_Y(), gamma=_gamma(), xi_sum=_xi(), dt=DT,
                                            prev=(_psi(), _A(), _L()))),
    "fit_em": lambda: (helpers.fit_em, dict(Y=_Y(), K=2, dt=DT, n_iter=3, tol=1e-7, n_restarts=1,
                                            seed=0, init=(_psi(), _A(), _L()))),
    "held_out_ll": lambda: (helpers.held_out_ll, dict(Y_train=_Y(), Y_test=_Y()[:1], Ks=[1, 2], dt=DT,
                                                      n_restarts=1, seed=0, n_iter=3)),
    "emission_likelihood": lambda: (helpers.emission_likelihood, dict(Y=_Y(), L=_L(), dt=DT)),
    "log_emission_likelihood": lambda: (helpers.log_emission_likelihood, dict(Y=_Y(), L=_L(), dt=DT)),
    "forward": lambda: (helpers.forward, dict(obs=_obs(), psi=_psi(), A=_A())),
    "backward": lambda: (helpers.backward, dict(obs=_obs(), A=_A(), c=np.full((2, 4), 0.5))),
    "sample_states": lambda: (helpers.sample_states, dict(psi=_psi(), A=_A(), n_trials=3, T=5,
                                                          rng=np.random.default_rng(0))),
    "sample_spikes": lambda: (helpers.sample_spikes, dict(states=np.array([[0, 1, 1], [1, 0, 0]]), L=_L(),
                                                          dt=DT, rng=np.random.default_rng(0))),
    "align_states": lambda: (helpers.align_states, dict(L_true=_L(), L_est=_L()[:, ::-1].copy())),
    "decoding_accuracy": lambda: (helpers.decoding_accuracy, dict(
        states_true=np.array([[0, 1, 1, 0], [1, 1, 0, 0]]), gamma=_gamma())),
    "recovery_error": lambda: (helpers.recovery_error, dict(true=(_psi(), _A(), _L()),
                                                            est=(_psi(), _A(), _L()))),
    "tutorial_data": lambda: (helpers.tutorial_data, dict(n_trials=2, T=5, seed=0)),
    "initial_params": lambda: (helpers.initial_params, dict(Y=_Y(), K=2, dt=DT, rng=np.random.default_rng(0))),
    "tutorial_model": lambda: (helpers.tutorial_model, dict(seed=101, max_transition_rate=3.0, dt=0.002)),
    "bin_spikes": lambda: (helpers.bin_spikes, dict(spike_times=[np.array([0.35, 0.05]), np.array([])],
                                                    t_start=0.0, t_stop=0.4, dt=DT)),
    "load_motor_units": lambda: (helpers.load_motor_units, dict()),
    "adjusted_rand_index": lambda: (helpers.adjusted_rand_index, dict(
        labels_a=np.array([[0, 0, 1, 2]]), labels_b=np.array([[1, 1, 0, 0]]))),  # bad input: tests/test_alignment.py
}


# --- kinds of bad values ---------------------------------------------------------------


def _with(arr, idx, value, dtype=float):
    a = np.array(arr, dtype=dtype)
    a[idx] = value
    return a


BAD_COUNTS = [
    ("negative", lambda: _with(_Y(), (0, 1, 1), -1, dtype=np.int64), ValueError),
    ("fractional", lambda: _with(_Y(), (1, 2, 0), 0.5), ValueError),
    ("nan", lambda: _with(_Y(), (0, 0, 0), np.nan), ValueError),
    ("inf", lambda: _with(_Y(), (0, 0, 0), np.inf), ValueError),
    ("2-D", lambda: _Y()[0], ValueError),
    ("4-D", lambda: _Y()[None], ValueError),
    ("empty", lambda: np.zeros((0, 4, 2), dtype=np.int64), ValueError),
    ("strings", lambda: _Y().astype(str), TypeError),
    ("object", lambda: _Y().astype(object), TypeError),
    ("complex", lambda: _Y().astype(complex), TypeError),
]

BAD_PSI = [
    ("negative", lambda: np.array([1.2, -0.2]), ValueError),
    ("sum off by 1e-5", lambda: np.array([0.4, 0.6 + 1e-5]), ValueError),
    ("sum 0.7", lambda: np.array([0.3, 0.4]), ValueError),
    ("nan", lambda: np.array([np.nan, 0.5]), ValueError),
    ("inf", lambda: np.array([np.inf, 0.5]), ValueError),
    ("2-D", lambda: np.array([[0.4, 0.6]]), ValueError),
    ("empty", lambda: np.array([]), ValueError),
    ("wrong K", lambda: np.array([0.2, 0.3, 0.5]), ValueError),
    ("strings", lambda: np.array(["0.4", "0.6"]), TypeError),
    ("object", lambda: np.array([0.4, 0.6], dtype=object), TypeError),
]

BAD_A = [
    ("not square", lambda: np.array([[0.5, 0.5, 0.0], [0.2, 0.3, 0.5]]), ValueError),
    ("negative", lambda: np.array([[1.2, -0.2], [0.3, 0.7]]), ValueError),
    ("row sums 0.9", lambda: np.array([[0.8, 0.1], [0.3, 0.7]]), ValueError),
    ("row off by 1e-5", lambda: np.array([[0.9, 0.1], [0.3, 0.7 + 1e-5]]), ValueError),
    ("nan", lambda: np.array([[np.nan, 0.1], [0.3, 0.7]]), ValueError),
    ("inf", lambda: np.array([[np.inf, 0.1], [0.3, 0.7]]), ValueError),
    ("1-D", lambda: np.array([0.5, 0.5]), ValueError),
    ("wrong K", lambda: np.full((3, 3), 1 / 3), ValueError),
    ("strings", lambda: _A().astype(str), TypeError),
    ("object", lambda: _A().astype(object), TypeError),
]

BAD_L_SHAPE = [
    ("wrong C", lambda: np.ones((3, 2)), ValueError),
    ("wrong K", lambda: np.ones((2, 3)), ValueError),
]

BAD_L_VALUE = [
    ("negative", lambda: _with(_L(), (1, 0), -1.0), ValueError),
    ("nan", lambda: _with(_L(), (1, 0), np.nan), ValueError),
    ("inf", lambda: _with(_L(), (1, 0), np.inf), ValueError),
    ("1-D", lambda: np.array([5.0, 20.0]), ValueError),
    ("strings", lambda: _L().astype(str), TypeError),
    ("object", lambda: _L().astype(object), TypeError),
]

BAD_DT = [
    ("zero", lambda: 0.0, ValueError),
    ("negative", lambda: -0.1, ValueError),
    ("nan", lambda: float("nan"), ValueError),
    ("inf", lambda: float("inf"), ValueError),
    ("string", lambda: "0.1", TypeError),
    ("None", lambda: None, TypeError),
    ("list", lambda: [0.1], TypeError),
]

BAD_RNG = [
    ("RandomState", lambda: np.random.RandomState(0), TypeError),
    ("int seed", lambda: 0, TypeError),
    ("None", lambda: None, TypeError),
]

BAD_POSITIVE_INT = [
    ("zero", lambda: 0, ValueError),
    ("negative", lambda: -2, ValueError),
    ("fractional", lambda: 2.5, TypeError),
    ("string", lambda: "3", TypeError),
    ("None", lambda: None, TypeError),
]

BAD_GAMMA = [
    ("wrong T", lambda: np.full((2, 5, 2), 0.5), ValueError),
    ("2-D", lambda: np.full((2, 4), 0.5), ValueError),
    ("negative", lambda: _with(_gamma(), (0, 0, 0), -0.1), ValueError),
    ("nan", lambda: _with(_gamma(), (0, 0, 0), np.nan), ValueError),
    ("strings", lambda: _gamma().astype(str), TypeError),
]

BAD_XI = [
    ("wrong shape", lambda: np.ones((3, 3)), ValueError),
    ("negative", lambda: _with(_xi(), (0, 1), -1.0), ValueError),
    ("nan", lambda: _with(_xi(), (0, 1), np.nan), ValueError),
    ("strings", lambda: _xi().astype(str), TypeError),
]

MODEL_FUNCS = ["e_step", "log_likelihood", "viterbi", "scan_ll_ecll", "expected_complete_ll"]

CASES = []  # (function, argument, value factory, exception, name in message, case id)
# "name in message" is the argument's name, found as a whole word; "re:..." gives a regex.


def add(funcs, arg, bads, name=None):
    for f in funcs:
        for cid, make, exc in bads:
            CASES.append((f, arg, make, exc, name or arg, f"{f}-{arg}-{cid}"))


add(MODEL_FUNCS + ["m_step", "fit_em", "emission_likelihood", "log_emission_likelihood"], "Y", BAD_COUNTS)
add(["held_out_ll"], "Y_train", BAD_COUNTS)
add(["held_out_ll"], "Y_test", BAD_COUNTS)
add(MODEL_FUNCS + ["sample_states", "forward"], "psi", BAD_PSI)
add(MODEL_FUNCS + ["sample_states", "forward", "backward"], "A", BAD_A)
add(MODEL_FUNCS + ["emission_likelihood", "log_emission_likelihood"], "L", BAD_L_VALUE + BAD_L_SHAPE[:1])
add(MODEL_FUNCS, "L", BAD_L_SHAPE[1:])
add(["sample_spikes"], "L", BAD_L_VALUE)
add(["align_states"], "L_true", BAD_L_VALUE)
add(["align_states"], "L_est", BAD_L_VALUE + BAD_L_SHAPE)
add(MODEL_FUNCS + ["m_step", "fit_em", "held_out_ll", "emission_likelihood", "log_emission_likelihood", "sample_spikes", "tutorial_model"],
    "dt", BAD_DT)
add(["bin_spikes"], "dt", BAD_DT)  # the other arguments: tests/test_recordings.py
add(["sample_states", "sample_spikes"], "rng", BAD_RNG)
add(["sample_states", "tutorial_data"], "n_trials", BAD_POSITIVE_INT)
add(["sample_states", "tutorial_data"], "T", BAD_POSITIVE_INT)
add(["fit_em"], "K", BAD_POSITIVE_INT)
add(["fit_em"], "n_restarts", BAD_POSITIVE_INT)
add(["scan_ll_ecll"], "n_epochs", BAD_POSITIVE_INT)
add(["m_step", "expected_complete_ll"], "gamma", BAD_GAMMA)
add(["m_step", "expected_complete_ll"], "xi_sum", BAD_XI)
add(["forward", "backward"], "obs", [
    ("negative", lambda: _with(_obs(), (0, 0, 0), -0.5), ValueError),
    ("nan", lambda: _with(_obs(), (0, 0, 0), np.nan), ValueError),
    ("2-D", lambda: _obs()[0], ValueError),
    ("strings", lambda: _obs().astype(str), TypeError),
])
add(["forward"], "obs", [("wrong K", lambda: np.ones((2, 4, 3)), ValueError)])
add(["backward"], "c", [
    ("wrong shape", lambda: np.full((2, 3), 0.5), ValueError),
    ("zero", lambda: _with(np.full((2, 4), 0.5), (1, 1), 0.0), ValueError),
    ("negative", lambda: _with(np.full((2, 4), 0.5), (1, 1), -0.5), ValueError),
    ("nan", lambda: _with(np.full((2, 4), 0.5), (1, 1), np.nan), ValueError),
])
add(["sample_spikes"], "states", [
    ("negative", lambda: np.array([[0, -1, 1]]), ValueError),
    ("too large for L", lambda: np.array([[0, 2, 1]]), ValueError),
    ("fractional", lambda: np.array([[0.0, 0.5, 1.0]]), TypeError),
    ("1-D", lambda: np.array([0, 1, 1]), ValueError),
    ("3-D", lambda: np.zeros((1, 2, 3), dtype=int), ValueError),
    ("empty", lambda: np.zeros((0, 3), dtype=int), ValueError),
    ("strings", lambda: np.array([["0", "1"]]), TypeError),
])
add(["fit_em"], "n_iter", [("negative", lambda: -1, ValueError), ("fractional", lambda: 2.5, TypeError)])
add(["fit_em"], "tol", [
    ("negative", lambda: -1e-3, ValueError),
    ("nan", lambda: float("nan"), ValueError),
    ("inf", lambda: float("inf"), ValueError),
    ("string", lambda: "1e-7", (TypeError, ValueError)),
])
add(["fit_em"], "init", [
    ("wrong K", lambda: (np.full(3, 1 / 3), np.full((3, 3), 1 / 3), np.ones((2, 3))), ValueError),
    ("wrong length", lambda: (_psi(), _A()), (TypeError, ValueError)),
])
add(["fit_em"], "init", [("bad psi", lambda: (np.array([1.2, -0.2]), _A(), _L()), ValueError)], name="psi")
add(["fit_em"], "init", [("bad A", lambda: (_psi(), np.array([[0.8, 0.1], [0.3, 0.7]]), _L()), ValueError)],
    name="A")
add(["fit_em"], "init", [("bad L", lambda: (_psi(), _A(), np.ones((3, 2))), ValueError)], name="L")
add(["fit_em"], "seed", [("string", lambda: "abc", (TypeError, ValueError))])
add(["scan_ll_ecll"], "n_points", [("one", lambda: 1, ValueError), ("fractional", lambda: 2.5, TypeError)])
add(["scan_ll_ecll"], "b_range", [
    ("excludes 0", lambda: (0.5, 2.0), ValueError),
    ("excludes 1", lambda: (-1.0, 0.5), ValueError),
    ("one value", lambda: (-1.0,), ValueError),
    ("None", lambda: None, (TypeError, ValueError)),
])
add(["held_out_ll"], "Y_test", [("other C", lambda: np.zeros((1, 4, 3), dtype=int), ValueError)])
add(["held_out_ll"], "Ks", [("zero", lambda: [1, 0], ValueError), ("fractional", lambda: [1.5], TypeError)])
add(["m_step"], "prev", [
    ("bad psi", lambda: (np.array([1.2, -0.2]), _A(), _L()), ValueError),
    ("bad A", lambda: (_psi(), np.array([[0.8, 0.1], [0.3, 0.7]]), _L()), ValueError),
    ("bad L shape", lambda: (_psi(), _A(), np.ones((3, 2))), ValueError),
    ("negative L", lambda: (_psi(), _A(), -_L()), ValueError),
    ("psi of wrong K", lambda: (np.full(3, 1 / 3), _A(), _L()), ValueError),
    ("wrong length", lambda: (_psi(), _A()), (TypeError, ValueError)),
])
add(["decoding_accuracy"], "gamma", [
    ("wrong shape", lambda: np.full((2, 5, 2), 0.5), ValueError),
    ("strings", lambda: _gamma().astype(str), TypeError),
    ("nan", lambda: _with(_gamma(), (0, 0, 0), np.nan), ValueError),
])
add(["tutorial_model"], "max_transition_rate", [
    ("negative", lambda: -3.0, ValueError),
    ("nan", lambda: float("nan"), ValueError),
])
add(["recovery_error"], "est", [
    ("A not square", lambda: (_psi(), np.array([[1.0, 0.0, 0.0]]), _L()), ValueError),
    ("A negative", lambda: (_psi(), np.array([[1.5, -0.5], [0.5, 0.5]]), _L()), ValueError),
], name=r"re:\b(est|A|A_est)\b")
add(["recovery_error"], "est", [("L negative", lambda: (_psi(), _A(), -_L()), ValueError)],
    name=r"re:\b(est|L|L_est)\b")


def _same(a, b):
    """Deep equality of arguments, NaN-aware for float arrays."""
    if isinstance(a, tuple | list):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, np.ndarray):
        if not isinstance(b, np.ndarray) or a.dtype != b.dtype or a.shape != b.shape:
            return False
        if a.dtype.kind in "fc":
            return np.array_equal(a, b, equal_nan=True)
        return bool(np.all(a == b)) if a.size else True
    if isinstance(a, float) and np.isnan(a):
        return isinstance(b, float) and np.isnan(b)
    if isinstance(a, np.random.RandomState):
        return True
    return a == b


def _name_pattern(name):
    """Regex finding the argument name as a whole word ("re:" prefix: already a regex)."""
    if name.startswith("re:"):
        return name[3:]
    return rf"(?<![A-Za-z_]){re.escape(name)}(?![A-Za-z_])"


@pytest.mark.parametrize(
    "fname,arg,make,exc,name", [c[:5] for c in CASES], ids=[c[5] for c in CASES]
)
def test_bad_input_is_refused_naming_the_argument(fname, arg, make, exc, name):
    """Documented exception, message names the argument, no warning, inputs untouched."""
    func, kwargs = FUNCS[fname]()
    kwargs[arg] = make()
    before = {k: copy.deepcopy(v) for k, v in kwargs.items() if not isinstance(v, np.random.Generator)}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(exc, match=_name_pattern(name)):
            func(**kwargs)
    assert not caught, [str(w.message) for w in caught]
    for k, v in before.items():
        assert _same(kwargs[k], v), f"{fname} modified {k}"


def test_every_public_function_has_a_valid_call():
    """The table's default calls are valid (so every bad case fails for its own reason)."""
    for name, factory in FUNCS.items():
        func, kwargs = factory()
        func(**kwargs)
    assert set(FUNCS) >= {n for n in helpers.__all__ if callable(getattr(helpers, n))
                          and n not in {"EStepResult", "EMResult", "LineScan", "MotorUnitRecording"}}


def test_ragged_counts_name_the_argument():
    """A ragged nested list of counts is refused with a message naming Y."""
    ragged = [[[1, 2]], [[1]]]
    with pytest.raises((TypeError, ValueError), match=r"\bY\b"):
        helpers.e_step(ragged, _psi(), _A(), _L(), DT)


@pytest.mark.parametrize("kwargs", [dict(dt=0.5), dict(max_transition_rate=500.0), dict(dt=0.1)])
def test_tutorial_model_never_returns_an_invalid_transition_matrix(kwargs):
    """Switching rates times dt that exceed 1 per row must be refused, not give a negative diagonal."""
    try:
        psi, A, L, dt = helpers.tutorial_model(**kwargs)
    except ValueError as exc:
        assert re.search(r"\b(dt|max_transition_rate)\b", str(exc))
        return
    assert A.min() >= 0, A
    np.testing.assert_allclose(A.sum(axis=1), 1.0)


# --- tolerances and accepted forms -----------------------------------------------------


def test_probability_sums_within_tolerance_are_accepted():
    """psi and rows of A that are off by 1e-7 pass (tolerance 1e-6) and give the same answer."""
    psi = np.array([0.4, 0.6 + 1e-7])
    A = np.array([[0.9, 0.1 - 1e-7], [0.3, 0.7 + 1e-7]])
    Y = _Y()
    ref = helpers.log_likelihood(Y, _psi(), _A(), _L(), DT)
    assert helpers.log_likelihood(Y, psi, A, _L(), DT) == pytest.approx(ref, abs=1e-5)
    helpers.e_step(Y, psi, A, _L(), DT)
    helpers.viterbi(Y, psi, A, _L(), DT)
    s = helpers.sample_states(psi, A, 5, 5, np.random.default_rng(0))
    assert s.max() <= 1
    helpers.forward(_obs(), psi, A)


@pytest.mark.parametrize("dt", [1, np.float32(0.1), np.float64(0.1), np.array(0.1), np.int64(2)])
def test_numeric_dt_forms_are_accepted(dt):
    """dt as int, numpy scalar or 0-d array works like the float."""
    ll = helpers.log_likelihood(_Y(), _psi(), _A(), _L(), dt)
    assert ll == pytest.approx(helpers.log_likelihood(_Y(), _psi(), _A(), _L(), float(dt)), rel=1e-6)


def test_count_forms_are_accepted_and_equivalent():
    """Counts as nested lists, whole-number floats or unsigned ints give identical results."""
    Y = _Y()
    ref = helpers.e_step(Y, _psi(), _A(), _L(), DT)
    for form in (Y.tolist(), Y.astype(float), Y.astype(np.uint16), Y.astype(np.int32)):
        res = helpers.e_step(form, _psi(), _A(), _L(), DT)
        assert res.ll == ref.ll
        np.testing.assert_array_equal(res.gamma, ref.gamma)


def test_parameters_as_lists_are_accepted():
    """psi, A and L may be plain nested lists."""
    ref = helpers.log_likelihood(_Y(), _psi(), _A(), _L(), DT)
    assert helpers.log_likelihood(_Y(), _psi().tolist(), _A().tolist(), _L().tolist(), DT) == ref


# --- inputs are never modified ---------------------------------------------------------


def _freeze(x):
    """Read-only copies (arrays) so any in-place write raises."""
    if isinstance(x, tuple):
        return tuple(_freeze(v) for v in x)
    if isinstance(x, np.ndarray):
        x = x.copy()
        x.flags.writeable = False
    return x


@pytest.mark.parametrize("fname", sorted(FUNCS))
def test_inputs_are_not_modified(fname):
    """Valid float64 / int64 inputs (read-only, and compared with copies) come back unchanged."""
    func, kwargs = FUNCS[fname]()
    if "Y" in kwargs:
        kwargs["Y"] = kwargs["Y"].astype(np.float64)  # float64 input is not copied on conversion
    kwargs = {k: _freeze(v) for k, v in kwargs.items()}
    before = {k: copy.deepcopy(v) for k, v in kwargs.items() if not isinstance(v, np.random.Generator)}
    func(**kwargs)
    for k, v in before.items():
        assert _same(kwargs[k], v), f"{fname} modified {k}"


def test_e_step_m_step_fit_em_do_not_modify_writable_inputs():
    """Writable float64 inputs, used in the full EM cycle, are unchanged afterwards."""
    Y = _Y().astype(np.float64)
    psi, A, L = _psi(), _A(), _L()
    copies = [a.copy() for a in (Y, psi, A, L)]
    post = helpers.e_step(Y, psi, A, L, DT, return_xi=True)
    gamma, xi_sum = post.gamma, post.xi_sum
    g0, x0 = gamma.copy(), xi_sum.copy()
    new = helpers.m_step(Y, gamma, xi_sum, DT, prev=(psi, A, L))
    helpers.expected_complete_ll(Y, gamma, xi_sum, *new, DT)
    helpers.log_likelihood(Y, psi, A, L, DT)
    fit = helpers.fit_em(Y, 2, DT, n_iter=5, init=(psi, A, L))
    for a, b in zip((Y, psi, A, L), copies):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(gamma, g0)
    np.testing.assert_array_equal(xi_sum, x0)
    # results do not alias the inputs: changing them leaves the caller's arrays alone
    for out in (new[0], new[1], new[2], fit.psi, fit.A, fit.L):
        for inp in (psi, A, L, gamma, xi_sum):
            assert not np.shares_memory(out, inp)
