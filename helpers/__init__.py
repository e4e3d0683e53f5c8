"""helpers: the small package behind the EM-for-spiking-HMMs tutorials.

Conventions (used everywhere):

* ``Y``   spike counts, shape ``(n_trials, T, C)``, non-negative integers;
* ``psi`` initial state distribution, shape ``(K,)``;
* ``A``   transition matrix, shape ``(K, K)``, ``A[i, j] = P(x[t+1] = j | x[t] = i)``;
* ``L``   firing rates in Hz, shape ``(C, K)``; expected count per bin ``L * dt``;
* ``dt``  bin width in seconds;
* log-likelihoods are totals in nats, summed over trials.
"""

from .diagnostics import (
    LineScan,
    decoding_accuracy,
    expected_complete_ll,
    held_out_ll,
    recovery_error,
    scan_ll_ecll,
)
from .inference import (
    EStepResult,
    backward,
    e_step,
    emission_likelihood,
    forward,
    log_emission_likelihood,
    log_likelihood,
    viterbi,
)
from .learning import EMResult, align_states, fit_em, initial_params, m_step
from .model import sample_spikes, sample_states
from .recordings import MotorUnitRecording, bin_spikes, load_motor_units
from .diagnostics import adjusted_rand_index
from .tutorial_data import tutorial_model, tutorial_data

__version__ = "0.1.0"

__all__ = [
    "sample_states",
    "sample_spikes",
    "e_step",
    "EStepResult",
    "log_likelihood",
    "viterbi",
    "emission_likelihood",
    "log_emission_likelihood",
    "forward",
    "backward",
    "m_step",
    "fit_em",
    "EMResult",
    "initial_params",
    "align_states",
    "expected_complete_ll",
    "scan_ll_ecll",
    "LineScan",
    "held_out_ll",
    "decoding_accuracy",
    "recovery_error",
    "tutorial_model",
    "tutorial_data",
    "bin_spikes",
    "load_motor_units",
    "MotorUnitRecording",
    "adjusted_rand_index",
]
