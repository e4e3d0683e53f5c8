"""Exercise checks for the tutorial notebooks, and the reference fallbacks.

After each exercise a notebook runs, for example::

    ok = checks.check_m_step(m_step)
    m_step_used = checks.fallback(m_step, ok, helpers.m_step)

A check runs the student's function on a few small, seeded cases, compares
what comes back with the reference implementation in :mod:`helpers` (or, for
the sampling exercises, with the statistics the samples must have), prints a
one-line verdict and a specific hint in plain words, and returns ``True`` or
``False``. A check never raises: whatever the student's function does (raise,
return ``None``, return the wrong type, shape or NaN, print, modify its
inputs, leave scaffold blanks ``...``), the check reports it and returns
``False``.

Every check is deterministic (fixed seeds, no global random state), quick
(well under a second with the reference code), and prints nothing that
changes from run to run, so solution notebooks can be compared by nbval.

Layout: one module per notebook, on a small shared core.

=========================  ============================================================  ======================
check                      the student's function                                        module
=========================  ============================================================  ======================
``check_sample_states``    ``sample_states(psi, A, n_trials, T, rng)``                   ``simulate`` (01)
``check_sample_spikes``    ``sample_spikes(states, L, dt, rng)``                         ``simulate`` (01)
``check_forward``          ``forward(obs, psi, A) -> (alpha, c)``                        ``forward_backward`` (02)
``check_backward``         ``backward(obs, A, c) -> beta``                               ``forward_backward`` (02)
``check_m_step``           ``m_step(Y, gamma, xi_sum, dt) -> (psi, A, L)``               ``m_step`` (03)
``check_run_em``           ``run_em(Y, psi, A, L, dt, n_iter, tol)``                     ``em`` (04)
``check_ecll``             ``ecll(Y, gamma, xi_sum, psi, A, L, dt)``                     ``why_em_climbs`` (05)
``check_viterbi``          ``viterbi(log_obs, psi, A) -> path``                          ``checking_the_model`` (06)
``check_heldout_ll``       ``heldout_ll(Y_train, Y_test, K, dt, seed, n_iter)``          ``checking_the_model`` (06)
``check_fano_per_state``   ``fano_per_state(Y, states, K) -> fano (C, K)``              ``real_data`` (07)
``fallback``               pick the student's function or the reference                  ``_core``
=========================  ============================================================  ======================
"""

from ._core import fallback
from .checking_the_model import check_heldout_ll, check_viterbi, reference_heldout_ll, reference_viterbi
from .em import check_run_em, reference_run_em
from .forward_backward import check_backward, check_forward
from .m_step import check_m_step
from .simulate import check_sample_spikes, check_sample_states
from .why_em_climbs import check_ecll
from .real_data import check_fano_per_state, reference_fano_per_state

__all__ = [
    "reference_run_em",
    "reference_heldout_ll",
    "reference_viterbi",
    "check_sample_states",
    "check_sample_spikes",
    "check_forward",
    "check_backward",
    "check_m_step",
    "check_run_em",
    "check_ecll",
    "check_viterbi",
    "check_heldout_ll",
    "fallback",
    "check_fano_per_state",
    "reference_fano_per_state",
]
