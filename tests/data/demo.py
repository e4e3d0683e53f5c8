# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown] slideshow={"slide_type": "slide"}
# # Build fixture: mean firing rates
#
# A tiny source for the tests of `tools/build.py`. It imports only numpy.

# %%
import os
from pathlib import Path

import numpy as np

print(f"working directory: {Path.cwd().name}; MPLBACKEND: {os.environ.get('MPLBACKEND')}")

# %%
rng = np.random.default_rng(0)
dt = 0.01
Y = rng.poisson(0.5, size=(4, 50, 3))
print(f"Y has shape {Y.shape}")


# %% [markdown]
# ## Exercise 1: the mean rate of every neuron
#
# $\hat\lambda_c = \frac{1}{N T \Delta t} \sum_{n,t} y_{n,t,c}$

# %%
def mean_rate(Y, dt):
    """Mean firing rate in Hz of every neuron, shape (C,)."""
    ### BEGIN SOLUTION
    #> counts_per_bin = ...  # (C,): mean count per bin of every neuron
    #> return ...
    counts_per_bin = Y.mean(axis=(0, 1))
    return counts_per_bin / dt
    ### END SOLUTION


def count_and_rate(Y, dt):
    """Total spike count and peak rate over neurons (two blocks)."""
    ### BEGIN SOLUTION
    total_spikes = int(Y.sum())
    ### END SOLUTION
    if total_spikes >= 0:
        ### BEGIN SOLUTION
        peak_rate_hz = float(np.max(mean_rate(Y, dt)))
        ### END SOLUTION
    return total_spikes, peak_rate_hz


# %% [markdown]
# <details><summary>Hint 1</summary>
#
# Average over trials and time bins, then divide by the bin width.
#
# </details>

# %% tags=["solution-only"]
# Instructor's aside: this cell never reaches students.
instructor_secret_value = 42
print(f"instructor_secret_value = {instructor_secret_value}")

# %% tags=["exercise-only"]
print("Exercise-only note: replace the NotImplementedError lines above.")

# %% tags=["nbval-ignore-output", "check"]
try:
    rates = mean_rate(Y, dt)
    if rates is ...:  # the untouched scaffold returns Ellipsis
        raise NotImplementedError
    print("mean_rate: your implementation is used")
except NotImplementedError:
    rates = np.sum(Y, axis=(0, 1)) / (Y.shape[0] * Y.shape[1] * dt)
    print("mean_rate: not implemented yet, using the reference")
print(", ".join(f"{r:.1f} Hz" for r in rates))

# %% [markdown]
# ## Summary
#
# Rates are counts per bin divided by the bin width.
