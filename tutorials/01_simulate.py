# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown] slideshow={"slide_type": "slide"}
# # 01 · Simulating spiking neurons driven by a hidden Markov chain
#
# Before we can learn a model from data we must know exactly how the model makes data:
# in this notebook you write the simulator.

# %%
import numpy as np
import matplotlib.pyplot as plt
import helpers
from helpers import checks, plotting
plotting.use_style()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Objectives
#
# By the end of this notebook you can
#
# - write down the generative model: a hidden Markov chain of $K$ states that sets the
#   Poisson firing rates of $C$ neurons;
# - read a transition matrix $A$ and translate between switching rates in Hz, $A$ and
#   expected dwell times;
# - sample hidden state sequences for many trials at once, looping over time only;
# - draw Poisson spike counts given the states;
# - explain why the states must be *inferred*: neither the eye nor trial averaging finds them.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Recap: model and notation
#
# $K$ hidden states, $C$ neurons, time bins of width $\Delta t$ seconds, $N$ independent trials of $T$ bins.
#
# $$p(x_1 = k) = \psi_k, \qquad p(x_{t+1} = j \mid x_t = i) = A_{ij}, \qquad
# y_{t,c} \mid x_t = k \;\sim\; \mathrm{Poisson}(\lambda_{ck}\,\Delta t)$$
#
# Arrays: `Y` (n_trials, T, C) counts; `psi` (K,); `A` (K, K), `A[i, j]` = P(next = j | now = i), rows sum to 1;
# `L` (C, K) firing rates $\lambda_{ck}$ in Hz; `dt` in seconds; log-likelihoods in nats, summed over trials.
#
# The maths numbers states and bins from 1; Python indexes both from 0; figures say "state 1" ... "state K".

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The hidden Markov chain
#
# At every time bin the network is in one of $K$ hidden states $x_t \in \{1, \dots, K\}$.
# The first state is drawn from $\psi$; after that, the next state depends only on the current one:
#
# $$p(x_1, \dots, x_T) = \psi_{x_1} \prod_{t=2}^{T} A_{x_{t-1} x_t}.$$
#
# **The convention used in the whole series:** $A_{ij} = p(x_{t+1} = j \mid x_t = i)$.
# The row is where the chain *is*, the column is where it *goes*. Every row is a probability
# distribution over the next state, so every row sums to 1.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### From switching rates to $A$
#
# Neuroscientists think of a state change as happening at a *rate* $r_{ij}$ (in Hz, switches per second).
# In a short bin the chance of a switch is about rate × bin width, so
#
# $$A_{ij} \approx r_{ij}\,\Delta t \quad (i \ne j), \qquad A_{ii} = 1 - \sum_{j \ne i} A_{ij}.$$
#
# The approximation holds when $r_{ij}\,\Delta t \ll 1$ (here: a few Hz × 2 ms ≈ 0.005).

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Dwell times
#
# In every bin the chain leaves state $i$ with probability $1 - A_{ii}$, so the number of bins $m$ it
# stays is geometric, with mean $1 / (1 - A_{ii})$ bins:
#
# $$p(\text{stay } m \text{ bins}) = (1 - A_{ii})\, A_{ii}^{\,m - 1}, \qquad
# \mathbb{E}[\text{dwell time}] = \frac{\Delta t}{1 - A_{ii}} \ \text{seconds}.$$
#
# A toy example: two states that switch at 2 Hz and 0.5 Hz, in bins of 2 ms.

# %%
dt_toy = 0.002                         # s
rates_toy = np.array([[0.0, 2.0],      # Hz: r[i, j], from state i to state j
                      [0.5, 0.0]])
A_toy = rates_toy * dt_toy
A_toy[np.diag_indices(2)] = 1.0 - A_toy.sum(axis=1)
for i in range(2):
    print(f"from state {i + 1}: A = [{A_toy[i, 0]:.3f}, {A_toy[i, 1]:.3f}], "
          f"mean dwell {1 / (1 - A_toy[i, i]):.0f} bins = {dt_toy / (1 - A_toy[i, i]):.2f} s")

# %% [markdown]
# State 1 is left at 2 Hz, so a visit lasts $1/2$ s on average; state 2 is left at 0.5 Hz and lasts 2 s.
# For small $\Delta t$, mean dwell time = 1 / (total rate of leaving).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Poisson neurons
#
# Given the state $x_t = k$, neuron $c$ fires $y_{t,c}$ spikes in bin $t$, drawn from a Poisson distribution
# with mean $\lambda_{ck}\,\Delta t$ (rate in Hz × bin width in s), independently of the other neurons and bins:
#
# $$p(y_{t,c} = y \mid x_t = k) = \frac{(\lambda_{ck}\Delta t)^{y}\, e^{-\lambda_{ck}\Delta t}}{y!}.$$
#
# The state is shared by all neurons: it is the only thing that ties them together.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The tutorial's true model
#
# Every notebook of the series uses the same true model: $K = 3$ states, $C = 5$ neurons, $\Delta t$ = 2 ms.

# %%
psi, A, L, dt = helpers.tutorial_model()
C, K = L.shape
print(f"K = {K} states, C = {C} neurons, dt = {dt * 1000:.0f} ms\n")

print("psi (initial state distribution)")
print("       " + "".join(f"  state {k + 1}" for k in range(K)))
print("       " + "".join(f"{p:9.3f}" for p in psi))

print("\nA[i, j] = P(next = j | now = i)")
print("         " + "".join(f"   to {j + 1}" for j in range(K)) + "   row sum")
for i in range(K):
    print(f"from {i + 1}   " + "".join(f"{a:7.4f}" for a in A[i]) + f"   {A[i].sum():7.3f}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# The diagonal is close to 1: the chain stays put most of the time. Translated into rates and dwell times:

# %%
print("switching rates A[i, j] / dt (Hz), and mean dwell time in state i")
print("         " + "".join(f"   to {j + 1}" for j in range(K)) + "      dwell")
for i in range(K):
    cells = "".join("      -" if j == i else f"{A[i, j] / dt:7.2f}" for j in range(K))
    dwell = dt / (1 - A[i, i])
    print(f"from {i + 1}   {cells}   {dwell:5.2f} s = {1 / (1 - A[i, i]):3.0f} bins")

print("\nL: firing rates (Hz)")
print("           " + "".join(f"  state {k + 1}" for k in range(K)))
for c in range(C):
    print(f"neuron {c + 1}   " + "".join(f"{lam:9.1f}" for lam in L[c]))
print(f"\nlargest expected count per bin: {L.max() * dt:.2f} spikes")

# %% [markdown]
# Each state has its own *pattern* of rates across the population: state 1 is "neurons 2 and 3 high",
# state 2 "neurons 1 and 2 high", state 3 "neurons 4 and 5 high". Any one neuron alone is ambiguous
# (neuron 2 fires at 50 and 35 Hz in states 1 and 2); the population is not.
# Even the highest rate gives only 0.1 spikes per bin: most bins are empty.

# %% slideshow={"slide_type": "subslide"}
fig = plotting.plot_params(A, L, dt, psi=psi)
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercise 1: sample the hidden states
#
# **Inverse-CDF sampling.** To draw a state from probabilities $p_1, \dots, p_K$, draw $u \sim \mathrm{Uniform}(0, 1)$
# and return the first $k$ whose cumulative sum exceeds $u$:
#
# $$x = \min\Big\{k : \sum_{m=1}^{k} p_m > u\Big\} = 1 + \#\Big\{k : \sum_{m=1}^{k} p_m \le u\Big\}.$$
#
# The count on the right is one comparison and one sum, so it vectorises: with one uniform per trial
# and per bin, every trial takes its step $t-1 \to t$ at once, using the row of $A$ of its own current state.
# Only the loop over time remains (the chain must know $x_{t-1}$ before drawing $x_t$).

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
    ### BEGIN SOLUTION
    # HINT: turn probabilities into CDFs with np.cumsum(psi) and np.cumsum(A, axis=1); set the last entry of each to exactly 1.0
    # HINT: one uniform per trial per bin: u = rng.random(n_trials), drawn once for bin 0 and once in every step of the time loop
    # HINT: the sampled state is the number of CDF entries <= u: (cdf <= u[:, None]).sum(axis=1) for a (n_trials, K) array cdf
    # HINT: loop over t only; cdf_A[states[:, t - 1]] gives every trial the CDF row of its current state
    cdf_psi = np.cumsum(psi)
    cdf_A = np.cumsum(A, axis=1)
    cdf_psi[-1] = 1.0                  # guard: a row may sum to 1 - 1e-16
    cdf_A[:, -1] = 1.0
    states = np.empty((n_trials, T), dtype=int)
    u = rng.random(n_trials)
    states[:, 0] = (cdf_psi[None, :] <= u[:, None]).sum(axis=1)
    for t in range(1, T):
        u = rng.random(n_trials)
        rows = cdf_A[states[:, t - 1]]                         # (n_trials, K)
        states[:, t] = (rows <= u[:, None]).sum(axis=1)
    ### END SOLUTION
    return states


# %%
ok_sample_states = checks.check_sample_states(sample_states)
sample_states_used = checks.fallback(sample_states, ok_sample_states, helpers.sample_states)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Does the chain do what $A$ says?
#
# Sample 300 trials of 2 s and count transitions: the fraction of steps from $i$ that land in $j$
# estimates $A_{ij}$ (you will meet this count again in the M-step).

# %%
rng = np.random.default_rng(1)
n_trials, T = 300, 1000
states = sample_states_used(psi, A, n_trials, T, rng)

counts = np.zeros((K, K))
np.add.at(counts, (states[:, :-1], states[:, 1:]), 1)
A_count = counts / counts.sum(axis=1, keepdims=True)
print("transition rates in Hz: counted from samples (true)")
for i in range(K):
    print(f"from {i + 1}  " + "  ".join(
        "      -      " if j == i else f"{A_count[i, j] / dt:4.2f} ({A[i, j] / dt:4.2f})" for j in range(K)))
print("\nfirst state: " + ", ".join(
    f"state {k + 1} {np.mean(states[:, 0] == k):.2f} ({psi[k]:.2f})" for k in range(K)))
n_switches = int(counts.sum() - np.trace(counts))
print(f"\n{n_switches} switches in {n_trials} trials ({n_switches / n_trials:.1f} per trial)")

# %% [markdown]
# With $3 \times 10^5$ steps the counted rates are close to the truth, but not equal: switches are rare
# (about 7-8 per trial, as printed), so each rate rests on a few hundred events.
# The dwell times follow the geometric law:

# %%
fig = plotting.plot_dwell_times(states, dt, A=A)
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercise 2: draw the spikes
#
# Given the states, every count is an independent Poisson draw with mean $\lambda_{c,x_t}\Delta t$:
#
# $$y_{n,t,c} \sim \mathrm{Poisson}\big(\lambda_{c,\,x_{n,t}}\,\Delta t\big).$$
#
# **Fancy indexing does the bookkeeping.** `L.T` has shape (K, C): row `k` holds the rates of all neurons in
# state `k`. Indexing it with an integer array of shape (n_trials, T) gives shape (n_trials, T, C), the
# rates of every neuron in every bin. `rng.poisson` accepts an array of means.

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
    # HINT: L.T[states] has shape (n_trials, T, C): the rates (Hz) of every neuron in every bin
    # HINT: multiply by dt to get expected counts per bin, then draw them all with one rng.poisson call
    rates = L.T[states]                # (n_trials, T, C), Hz
    Y = rng.poisson(rates * dt)        # expected count = rate x bin width
    ### END SOLUTION
    return Y


# %%
ok_sample_spikes = checks.check_sample_spikes(sample_spikes)
sample_spikes_used = checks.fallback(sample_spikes, ok_sample_spikes, helpers.sample_spikes)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Do the neurons fire at the right rates?
#
# Spikes per second, counted in the bins where the true state is $k$, should reproduce column $k$ of `L`.

# %%
Y = sample_spikes_used(states, L, dt, rng)
print(f"Y: shape {Y.shape}, {Y.sum()} spikes in {n_trials * T * dt:.0f} s of recording\n")
print("firing rate (Hz) counted per state: sample (true)")
for c in range(C):
    row = "   ".join(f"{Y[:, :, c][states == k].mean() / dt:5.1f} ({L[c, k]:4.1f})" for k in range(K))
    print(f"neuron {c + 1}   {row}")

# %% [markdown]
# `helpers.tutorial_data()` runs exactly these two steps (with the reference implementation and a fixed
# seed) to make the data set of 300 trials × 1000 bins that notebooks 02-05 learn from.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What the data look like
#
# **A frozen state sequence.** First, one state sequence shared by 20 trials: repeat it, then draw spikes
# for every trial. The trials differ only by Poisson noise.

# %%
rng = np.random.default_rng(16)
T_show = 1000                                                     # 2 s
x_frozen = sample_states_used(psi, A, 1, T_show, rng)[0]          # (T,)
states_frozen = np.tile(x_frozen, (20, 1))                        # (20, T): the same sequence in every trial
Y_frozen = sample_spikes_used(states_frozen, L, dt, rng)
fig = plotting.plot_raster(Y_frozen, x_frozen, dt, n_states=K,
                           title="one state sequence, 20 trials")
plt.show()

# %% [markdown]
# With the sequence frozen, the switches line up in columns and each state's signature is plain:
# neuron 1 falls silent in state 1, neuron 3 in state 2, neurons 4-5 light up in state 3.

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Independent trials.** In a real experiment every trial has its own sequence, and we see only the spikes.

# %%
states_ind = sample_states_used(psi, A, 10, T_show, rng)          # (10, T)
Y_ind = sample_spikes_used(states_ind, L, dt, rng)
fig = plotting.plot_raster(Y_ind, None, dt, title="10 independent trials: what we record")
plt.show()

# %% [markdown]
# Where are the switches? Try to mark a few before running the next cell, which shades the true states.

# %% slideshow={"slide_type": "subslide"}
fig = plotting.plot_raster(Y_ind, states_ind, dt, n_states=K,
                           title="the same trials with the hidden states revealed")
plt.show()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Averaging over trials does not help
#
# The usual remedy for noise, the trial average (PSTH), recovers the rates of a frozen sequence. For
# independent trials it only recovers the rate expected under the *average* state distribution
# $p(x_t = k) = (\psi^\top A^{t-1})_k$, which slides from $\psi$ to the chain's stationary distribution:
# every individual switch is averaged away. Neuron 1, 200 trials, 20-ms windows:

# %%
n_avg, win = 200, 10                                   # trials, bins per window (20 ms)
rng = np.random.default_rng(11)
Y_f = sample_spikes_used(np.tile(x_frozen, (n_avg, 1)), L, dt, rng)
Y_i = sample_spikes_used(sample_states_used(psi, A, n_avg, T_show, rng), L, dt, rng)
t_win = (np.arange(T_show // win) + 0.5) * win * dt    # window centres (s)
t_bin = (np.arange(T_show) + 0.5) * dt                 # bin centres (s)

p_x = np.empty((T_show, K))                            # p(x_t = k), averaged over all sequences
p_x[0] = psi
for t in range(1, T_show):
    p_x[t] = p_x[t - 1] @ A

fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharey=True)
for ax, Yn, name in ((axes[0], Y_f, "frozen sequence"), (axes[1], Y_i, "independent trials")):
    psth = Yn[:, :, 0].reshape(n_avg, -1, win).mean(axis=(0, 2)) / dt   # Hz
    ax.plot(t_win, psth, color="0.55", lw=1.5, label="trial average")
    ax.set_title(name)
    ax.set_xlabel("time (s)")
axes[0].plot(t_bin, L[0, x_frozen], color="k", lw=1.5, label="true rate")
axes[1].plot(t_bin, p_x @ L[0], color="k", ls="--", lw=1.5, label=r"expected from $p(x_t)$")
axes[0].set_ylabel("neuron 1 rate (Hz)")
for ax in axes:
    ax.legend(loc="upper right")
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Explore: move the parameters
#
# Drag a slider and the raster is simulated and drawn again (20 independent trials of 2 s). Try a switching rate
# of 0.5 Hz and then 15 Hz: when do the states become impossible to see? What does a firing-rate scale of 0.2 do
# to the evidence in each bin? And with $K = 1$, what is left to infer?

# %% tags=["nbval-ignore-output"]
from helpers import widgets

widgets.explore_simulation()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What the eye can and cannot see
#
# - **Can:** long visits to a state with a strong signature (neuron 1 silent, neurons 4-5 busy) stand out
#   in a single trial.
# - **Cannot:** the exact bin of a switch, short visits, and states that differ only mildly for most neurons.
#   At ≤ 0.1 spikes per bin, a silent stretch of 50 ms may be chance.
# - **Averaging fails:** independent trials switch at different times.
#
# So we need *inference*: weigh the evidence of all neurons in every bin against the dynamics in $A$ to get
# $p(x_t = k \mid Y)$ for each trial. That is the forward-backward algorithm of notebook 02.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - A hidden Markov chain ($\psi$, $A$) picks a state per bin; each state sets the Poisson rates $\lambda_{ck}$
#   (Hz) of all neurons; the count per bin has mean $\lambda_{ck}\Delta t$.
# - The convention: $A_{ij} = p(x_{t+1} = j \mid x_t = i)$, rows sum to 1. Off-diagonals ≈ rate × $\Delta t$;
#   mean dwell time $\Delta t / (1 - A_{ii})$.
# - Sampling vectorises over trials: inverse-CDF with one uniform per trial and bin, a loop over time only;
#   spikes are one fancy index `L.T[states]` and one `rng.poisson` call.
# - Independent trials hide their states, and trial averaging blurs them: we must infer them.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Next
#
# **02 · Forward-backward**: compute $p(x_t = k \mid Y)$ and the log-likelihood $\log p(Y)$ exactly,
# for every trial, without enumerating the $K^T$ possible state paths.
