# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown] slideshow={"slide_type": "slide"}
# # 01 · Simulate: spiking neurons driven by a hidden Markov chain
#
# To learn a model from data, we first need to know exactly how the model makes data. In this notebook you write the simulator.
#
# **Estimated time:** about 42 minutes.
#
# **Objectives.** By the end you can
#
# - write down the generative model: a hidden Markov chain of $K$ states that sets the Poisson firing rates of $C$ neurons;
# - translate between switching rates in Hz, the transition matrix $A$ and dwell times;
# - sample hidden states for many trials at once by inverse-CDF sampling, and draw Poisson spike counts;
# - say what the model assumes, and why its states must be *inferred*.

# %%
import numpy as np
import matplotlib.pyplot as plt
from scipy.linalg import expm

import helpers
from helpers import checks, plotting

plotting.use_style()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Notation
#
# *⏱ about 2 min (2 of 42 min so far)*
#
# $K$ hidden states, $C$ neurons, time bins of width $\Delta t$ seconds, $N$ independent trials of $T$ bins:
#
# $$p(x_1 = k) = \psi_k, \qquad p(x_{t+1} = j \mid x_t = i) = A_{ij}, \qquad
# y_{t,c} \mid x_t = k \;\sim\; \mathrm{Poisson}(\lambda_{ck}\,\Delta t).$$
#
# | array | shape | meaning |
# |---|---|---|
# | `Y` | (n_trials, T, C) | spike counts |
# | `psi` | (K,) | initial state distribution |
# | `A` | (K, K) | `A[i, j]` = P(next = j \| now = i); rows sum to 1 |
# | `L` | (C, K) | firing rates $\lambda_{ck}$ in Hz |
# | `dt` | scalar | bin width in seconds |
#
# The maths counts states and bins from 1, Python from 0; figures say "state 1" ... "state K".

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Section 1: The hidden Markov chain
#
# *⏱ about 8 min (10 of 42 min so far)*
#
# In every bin the network is in one of $K$ hidden states. The first state is drawn from $\psi$; after that, the next
# state depends only on the current one:
#
# $$p(x_1, \dots, x_T) = \psi_{x_1} \prod_{t=2}^{T} A_{x_{t-1} x_t}.$$
#
# **The one convention of the series:** $A_{ij} = p(x_{t+1} = j \mid x_t = i)$. The row is where the chain *is*, the
# column where it *goes*; every row is a distribution over the next state and sums to 1.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### From switching rates to $A$, and dwell times
#
# A state change happens at a *rate* $r_{ij}$ (switches per second). In a short bin the chance of a switch is about
# rate × bin width, and the chain stays with the rest of the probability:
#
# $$A_{ij} \approx r_{ij}\,\Delta t \quad (i \ne j), \qquad A_{ii} = 1 - \sum_{j \ne i} A_{ij}.$$
#
# The chain leaves state $i$ with probability $1 - A_{ii}$ in every bin, so a stay lasts $m$ bins with the geometric
# probability $(1 - A_{ii}) A_{ii}^{\,m-1}$, and on average $\Delta t / (1 - A_{ii})$ seconds.
# A toy example: two states left at 2 Hz and 0.5 Hz, bins of 2 ms.

# %%
dt_toy = 0.002                                  # s
rates_toy = np.array([[0.0, 2.0],               # r[i, j] in Hz, from state i to state j
                      [0.5, 0.0]])
A_toy = rates_toy * dt_toy
A_toy[np.diag_indices(2)] = 1.0 - A_toy.sum(axis=1)
for i in range(2):
    print(f"from state {i + 1}: A = [{A_toy[i, 0]:.3f}, {A_toy[i, 1]:.3f}], "
          f"mean stay {1 / (1 - A_toy[i, i]):.0f} bins = {dt_toy / (1 - A_toy[i, i]):.2f} s")

# %% [markdown]
# ### Think! 1: a finer clock
#
# Halve the bin width to 1 ms and keep the rates. What happens to $A_{11}$, to the mean stay in *bins*, and to the mean
# stay in *seconds*?
#
# <details><summary>Discussion</summary>
#
# $A_{11} = 1 - 2\,\text{Hz} \times 0.001\,\text{s} = 0.998$: the chain is "stickier" per bin. The mean stay doubles to
# 500 bins, which is still 0.5 s. Dwell times in seconds belong to the rates, not to the binning; only their
# description in bins changes.
#
# </details>

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Section 2: Poisson neurons, and the series' true model
#
# *⏱ about 5 min (15 of 42 min so far)*
#
# Given $x_t = k$, neuron $c$ fires $y_{t,c}$ spikes in bin $t$, a Poisson count with mean $\lambda_{ck}\Delta t$ (Hz × s),
# independently of the other neurons and bins:
#
# $$p(y_{t,c} = y \mid x_t = k) = \frac{(\lambda_{ck}\Delta t)^{y}\, e^{-\lambda_{ck}\Delta t}}{y!}.$$
#
# The state is shared by all neurons: it is the only thing that ties them together. Every notebook of the series uses
# the same true model: $K = 3$, $C = 5$, $\Delta t = 2$ ms.

# %%
psi, A, L, dt = helpers.tutorial_model()
C, K = L.shape
print(f"K = {K} states, C = {C} neurons, dt = {dt * 1000:.0f} ms")
print("psi = " + np.array2string(psi, precision=3))
print("\nswitching rates A[i, j] / dt (Hz), and the mean stay in each state")
print("          " + "".join(f"   to {j + 1}" for j in range(K)))
for i in range(K):
    cells = "".join("      -" if j == i else f"{A[i, j] / dt:7.2f}" for j in range(K))
    print(f"from {i + 1}   {cells}    stay {dt / (1 - A[i, i]):.2f} s")
print(f"\nlargest expected count per bin: {L.max() * dt:.2f} spikes")

# %%
fig = plotting.plot_params(A, L, dt, psi=psi)
plotting.show(fig, "Heat maps of the true model: switching rates between the three states, a few Hz each, and the "
                   "firing rate of each of the five neurons in each state, from 1 to 50 Hz.")

# %% [markdown]
# Each state has its own *pattern* across the population: any one neuron is ambiguous (neuron 2 fires at 50 and 35 Hz in
# states 1 and 2), the population is not. Even the highest rate gives only 0.1 spikes per bin: most bins are empty.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercise 1: Sample the hidden states
#
# *⏱ about 10 min (25 of 42 min so far)*
#
# **Inverse-CDF sampling.** To draw a state from probabilities $p_1, \dots, p_K$, draw $u \sim \mathrm{Uniform}(0, 1)$ and
# take the first state whose cumulative probability exceeds $u$. In 0-based Python terms, that is the number of
# cumulative sums that do not exceed $u$:
#
# $$x = \#\Big\{k : \textstyle\sum_{m \le k} p_m \le u\Big\} \quad \in \{0, \dots, K-1\}.$$
#
# With one uniform per trial, every trial takes its step at once, each using the row of $A$ of its *own* current
# state. Only the loop over time remains: bin $t$ needs bin $t-1$.
#
# Complete `sample_states`: fill in every `...`.

# %%
def sample_states(psi, A, n_trials, T, rng):
    """Sample hidden state sequences of a Markov chain, many trials at once.

    Parameters
    ----------
    psi : ndarray, shape (K,)
        Initial state distribution, ``psi[k] = P(x[0] = k)``.
    A : ndarray, shape (K, K)
        Transition matrix, ``A[i, j] = P(x[t+1] = j | x[t] = i)``; rows sum to 1.
    n_trials : int
        Number of independent sequences.
    T : int
        Number of time bins per sequence.
    rng : numpy.random.Generator
        Source of randomness (the only one you may use).

    Returns
    -------
    states : ndarray of int, shape (n_trials, T)
        ``states[n, t]`` is the state (0 .. K-1) of trial ``n`` in bin ``t``.
    """
    states = np.empty((n_trials, T), dtype=int)
    ### BEGIN SOLUTION
    #> cdf_psi = ...           # (K,): cumulative sums of psi
    #> cdf_A = ...             # (K, K): cumulative sums of each ROW of A
    #> u = ...                 # (n_trials,): one uniform number per trial
    #> states[:, 0] = ...      # bin 0: inverse-CDF with psi
    #> for t in range(1, T):
    #>     u = ...             # fresh uniforms for bin t
    #>     cdf_now = ...       # (n_trials, K): each trial's row of cdf_A, picked by its state in bin t-1
    #>     states[:, t] = ...
    cdf_psi = np.cumsum(psi)
    cdf_A = np.cumsum(A, axis=1)
    cdf_psi[-1] = 1.0                  # guard: a row may sum to 1 - 1e-16
    cdf_A[:, -1] = 1.0
    u = rng.random(n_trials)
    states[:, 0] = (cdf_psi[None, :] <= u[:, None]).sum(axis=1)
    for t in range(1, T):
        u = rng.random(n_trials)
        cdf_now = cdf_A[states[:, t - 1]]
        states[:, t] = (cdf_now <= u[:, None]).sum(axis=1)
    ### END SOLUTION
    return states


# %% [markdown]
# <details><summary>Hint 1: the idea</summary>
#
# A trial in state $i$ draws its next state from row $i$ of $A$. Inverse-CDF sampling needs only the cumulative sums
# of that row and one uniform number: count how many cumulative sums are $\le u$.
#
# </details>
#
# <details><summary>Hint 2: shapes and axes</summary>
#
# Cumulative sums of each row run along `axis=1`. Indexing the `(K, K)` array of cumulative rows with the
# `(n_trials,)` integer array of previous states gives `(n_trials, K)`: one row per trial. Compare it with `u[:, None]`
# (shape `(n_trials, 1)`) and sum over the last axis.
#
# </details>
#
# <details><summary>Hint 3: nearly code</summary>
#
# `u = rng.random(n_trials)`, then `(cdf_psi <= u[:, None]).sum(axis=1)` for bin 0. Inside the loop draw a new `u`
# first, then pick the rows with `cdf_A[states[:, t - 1]]`.
#
# </details>
#
# The worked answer is in `solutions/01_simulate.ipynb`, Exercise 1.

# %%
ok_sample_states = checks.check_sample_states(sample_states)
sample_states_used = checks.fallback(sample_states, ok_sample_states, helpers.sample_states)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Does the chain do what $A$ says?
#
# Sample 300 trials of 2 s and count transitions: the fraction of steps from $i$ that land in $j$ estimates $A_{ij}$
# (the M-step of notebook 03 counts in the same way, with expected counts).

# %%
rng = np.random.default_rng(1)
n_trials, T = 300, 1000
states = sample_states_used(psi, A, n_trials, T, rng)

counts = np.zeros((K, K))
np.add.at(counts, (states[:, :-1], states[:, 1:]), 1)
A_count = counts / counts.sum(axis=1, keepdims=True)
print("switching rates in Hz: counted (true)")
for i in range(K):
    print(f"from {i + 1}  " + "  ".join(
        "      -      " if j == i else f"{A_count[i, j] / dt:4.2f} ({A[i, j] / dt:4.2f})" for j in range(K)))
n_switches = int(counts.sum() - np.trace(counts))
print(f"\n{n_switches} switches in {n_trials} trials ({n_switches / n_trials:.1f} per trial)")

# %% [markdown]
# The counted rates are close to the truth but not equal: each rests on a few hundred switches.
#
# **Dwell times.** A histogram of the stays can only count stays that begin and end inside a trial; a stay cut by the
# start or end of a trial has an unknown length. Long stays are cut more often (a stay of $m$ bins fits in only
# $T - 1 - m$ places), so the counted stays are biased towards short ones. The dashed curves are the geometric law
# weighted by that factor: what the histograms should follow. The table compares the means.

# %%
fig = plotting.plot_dwell_times(states, dt, A=A)
plotting.show(fig, "Histograms of how long each state lasts before the chain leaves it, with the expected curves for "
                   "stays that fit inside a 2-second trial; all fall off over a few tenths of a second.")

completed = {k: [] for k in range(K)}
for trial in states:
    edges = np.flatnonzero(np.diff(trial)) + 1       # first bin of every new stay
    for start, end in zip(edges[:-1], edges[1:]):    # stays that start and end inside the trial
        completed[trial[start]].append(end - start)
m = np.arange(1, T - 1)                              # stay lengths that fit in a trial
print("mean stay (bins):  counted   expected for stays that fit   geometric 1 / (1 - A_kk)")
for k in range(K):
    a = A[k, k]
    w = (1 - a) * a ** (m - 1) * (T - 1 - m)          # geometric law x number of places it fits
    print(f"state {k + 1}        {np.mean(completed[k]):7.0f}   {(w * m).sum() / w.sum():27.0f}"
          f"   {1 / (1 - a):24.0f}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercise 2: Draw the spikes
#
# *⏱ about 5 min (30 of 42 min so far)*
#
# Given the states, every count is an independent Poisson draw:
#
# $$y_{n,t,c} \sim \mathrm{Poisson}\big(\lambda_{c,\,x_{n,t}}\,\Delta t\big).$$
#
# Write it for all trials, bins and neurons at once, without a Python loop. Fill in every `...`.

# %%
def sample_spikes(states, L, dt, rng):
    """Draw Poisson spike counts given hidden states.

    Parameters
    ----------
    states : ndarray of int, shape (n_trials, T)
        Hidden states, values in 0 .. K-1.
    L : ndarray, shape (C, K)
        Firing rates in Hz: ``L[c, k]`` is the rate of neuron ``c`` in state ``k``.
    dt : float
        Bin width in seconds.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    Y : ndarray of int, shape (n_trials, T, C)
        Spike counts, ``Y[n, t, c] ~ Poisson(L[c, states[n, t]] * dt)``.
    """
    ### BEGIN SOLUTION
    #> rates = ...       # (n_trials, T, C): the rate (Hz) of every neuron in every bin
    #> Y = ...           # (n_trials, T, C): Poisson counts
    rates = L.T[states]
    Y = rng.poisson(rates * dt)
    ### END SOLUTION
    return Y


# %% [markdown]
# <details><summary>Hint 1: the idea</summary>
#
# Build an array that holds, for every trial, bin and neuron, the expected count of that bin. Then one call of
# `rng.poisson` draws all counts: it accepts an array of means.
#
# </details>
#
# <details><summary>Hint 2: shapes and axes</summary>
#
# Indexing a `(K, C)` array with an integer array of shape `(n_trials, T)` gives `(n_trials, T, C)`: row `k` is the
# population's rates in state `k`. `L` is `(C, K)`; what do you need to do to it first? Rates are in Hz: the mean of a
# bin is rate × bin width.
#
# </details>
#
# <details><summary>Hint 3: nearly code</summary>
#
# `L.T[states]` gives the rates; multiply by `dt` inside `rng.poisson(...)`.
#
# </details>
#
# The worked answer is in `solutions/01_simulate.ipynb`, Exercise 2.

# %%
ok_sample_spikes = checks.check_sample_spikes(sample_spikes)
sample_spikes_used = checks.fallback(sample_spikes, ok_sample_spikes, helpers.sample_spikes)

# %% [markdown] slideshow={"slide_type": "subslide"}
# Spikes per second, counted in the bins where the true state is $k$, should reproduce column $k$ of `L`:

# %%
Y = sample_spikes_used(states, L, dt, rng)
print(f"Y: shape {Y.shape}, {Y.sum()} spikes in {n_trials * T * dt:.0f} s of recording\n")
print("firing rate (Hz) per state: counted (true)")
for c in range(C):
    row = "   ".join(f"{Y[:, :, c][states == k].mean() / dt:5.1f} ({L[c, k]:4.1f})" for k in range(K))
    print(f"neuron {c + 1}   {row}")

# %% [markdown]
# `helpers.tutorial_data()` runs these two steps (with the reference code and a fixed seed) to make the data set of
# 300 trials × 1000 bins that notebooks 02-06 learn from.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Section 3: What the data look like
#
# *⏱ about 8 min (38 of 42 min so far)*
#
# In a real experiment every trial has its own state sequence, and we see only the spikes. Here is one trial, its five
# neurons one row each.

# %%
rng = np.random.default_rng(16)
T_show = 1000                                                     # 2 s
states_ind = sample_states_used(psi, A, 10, T_show, rng)          # (10, T): 10 independent trials
Y_ind = sample_spikes_used(states_ind, L, dt, rng)
fig = plotting.plot_raster(Y_ind[:1], None, dt, title="trial 1: what we record")
plotting.show(fig, "Spike raster of the five neurons in one 2-second trial; the hidden states are not shown.")

# %% [markdown]
# ### Think! 2: find the switches
#
# Before running the next cell, write down the times at which you think trial 1 changes state, and which neurons told
# you. The next cell shades the true states of trial 1 and of nine more trials (trial 1 is the top row of each
# neuron's band).
#
# <details><summary>Discussion</summary>
#
# Long visits with a strong signature stand out: neuron 1 falls silent in state 1, neurons 4 and 5 fire together in
# state 3. The exact bin of a switch, and short visits, cannot be seen: at no more than 0.1 spikes per bin per neuron,
# 50 ms of silence can be chance. Weighing the evidence of all neurons in every bin against $A$ is the job of the
# forward-backward algorithm (notebook 02).
#
# </details>

# %% slideshow={"slide_type": "subslide"}
fig = plotting.plot_raster(Y_ind, states_ind, dt, n_states=K, title="10 trials with the hidden states revealed")
plotting.show(fig, "Spike raster of ten independent trials (trial 1 on top of each neuron's band), each bin shaded by "
                   "its true hidden state; switches happen a few times per trial, at different times in different trials.")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Think! 3: can averaging rescue us?
#
# The usual remedy for noisy spikes is to average many trials (the PSTH). Predict: what does the trial-averaged rate of
# neuron 1 look like over 200 independent trials?
#
# <details><summary>Discussion</summary>
#
# Independent trials switch at different times, so the average mixes all states. It follows the rate expected under the
# average state distribution $p(x_t = k) = (\psi^\top A^{t-1})_k$, which drifts smoothly from $\psi$ towards the chain's
# stationary distribution: every switch is averaged away. Averaging only works when the states are locked to the
# trial, which is exactly what we cannot assume here.
#
# </details>

# %%
n_avg, win = 200, 10                                   # trials, bins per 20-ms window
rng = np.random.default_rng(11)
Y_avg = sample_spikes_used(sample_states_used(psi, A, n_avg, T_show, rng), L, dt, rng)
p_x = np.empty((T_show, K))                            # p(x_t = k), averaged over sequences
p_x[0] = psi
for t in range(1, T_show):
    p_x[t] = p_x[t - 1] @ A
t_win = (np.arange(T_show // win) + 0.5) * win * dt    # window centres (s)
psth = Y_avg[:, :, 0].reshape(n_avg, -1, win).mean(axis=(0, 2)) / dt   # Hz

fig, ax = plt.subplots(figsize=(9, 3.8))
ax.plot(t_win, psth, color="0.5", lw=1.5, label="average of 200 trials")
ax.plot((np.arange(T_show) + 0.5) * dt, p_x @ L[0], color="k", ls="--", lw=1.8, label=r"expected from $p(x_t)$")
ax.set_xlabel("time in trial (s)")
ax.set_ylabel("neuron 1 rate (Hz)")
ax.set_ylim(bottom=0)
ax.legend(loc="lower right")
plotting.show(fig, "Trial-averaged firing rate of neuron 1 over 200 independent trials: a noisy curve that wanders "
                   "around the expected rate, which drifts smoothly from its value under psi towards its long-run "
                   "average, with no sign of any switch.")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Explore: move the parameters
#
# Drag a slider and 20 new trials are simulated and drawn. Try a switching rate of 0.5 Hz, then 15 Hz: when do the
# states become impossible to see? What does a firing-rate scale of 0.2 do? With $K = 1$, what is left to infer?

# %% tags=["nbval-ignore-output"]
from helpers import widgets

widgets.explore_simulation()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Section 4: What the model assumes
#
# *⏱ about 4 min (42 of 42 min so far)*
#
# Every model is a simplification. This one assumes:
#
# - **Geometric dwell times.** The chain forgets how long it has been in a state; real states may have typical durations.
# - **Poisson counts.** At 2 ms a real neuron fires 0 or 1 spikes; Poisson allows more. At 50 Hz,
#   $P(y \ge 2) = 1 - e^{-0.1}(1 + 0.1) \approx 0.5\,\%$ of bins: a small error.
# - **No refractoriness and no history.** Given the state, each bin is independent of the neuron's own last spike.
# - **Variance = mean.** Real counts are often *over*dispersed (more variable than Poisson) or, for regular neurons,
#   underdispersed; extra variability can be mistaken for extra states.
# - **$A \approx r\,\Delta t$.** The exact transition matrix of rates $R$ (off-diagonal $r_{ij}$, rows summing to 0) is
#   $e^{R \Delta t}$; the linear form is its first-order approximation:

# %%
R = (A - np.eye(K)) / dt                         # the tutorial's rates, Hz; rows sum to 0
for width in (0.002, 0.1):
    gap = np.abs((np.eye(K) + R * width) - expm(R * width)).max()
    print(f"dt = {width * 1000:5.0f} ms: largest |(I + R dt) - expm(R dt)| = {gap:.1e}")

# %% [markdown]
# At 2 ms the two differ in the fifth decimal; with 100-ms bins they differ by a tenth, so a model fitted at one bin
# width should not be moved to another by scaling $A$.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - A hidden Markov chain ($\psi$, $A$) picks a state per bin; each state sets the Poisson rates $\lambda_{ck}$ (Hz) of
#   all neurons; the count in a bin has mean $\lambda_{ck}\Delta t$.
# - $A_{ij} = p(x_{t+1} = j \mid x_t = i)$, rows sum to 1; off-diagonals ≈ rate × $\Delta t$; mean stay
#   $\Delta t / (1 - A_{ii})$ seconds. Stays cut by trial edges bias dwell-time histograms short.
# - Inverse-CDF sampling vectorises over trials: a fresh uniform per trial and bin, a loop over time only.
# - Independent trials hide their states, and averaging blurs them: we must infer them.
#
# **Next, 02 · Forward-backward:** compute $p(x_t = k \mid Y)$ and $\log p(Y)$ exactly, without enumerating the $K^T$
# possible state paths.
