# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown] slideshow={"slide_type": "slide"}
# # 03 · The M-step: parameters from expected counts
#
# Given the posteriors of the E-step, the best new parameters are ratios of expected counts. In this notebook you
# derive them and write the M-step.
#
# **Estimated time:** about 40 minutes.
#
# **Objectives.** By the end you can
#
# - write the complete-data log-likelihood of the Poisson HMM and its posterior expectation $Q$;
# - name the four expected counts $Q$ needs, and derive the closed-form updates of $\psi$, $A$ and $\lambda$;
# - implement `m_step` with whole-array operations, and tell departures from occupancy;
# - see that one E-step + M-step never lowers the log-likelihood, and explain why EM never moves a parameter that is 0.

# %%
import numpy as np

import helpers
from helpers import checks, plotting

plotting.use_style()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Section 1: If we could see the states
#
# *⏱ about 8 min (8 of 40 min so far)*
#
# The model of notebook 01: $p(x_1 = k) = \psi_k$, $p(x_{t+1} = j \mid x_t = i) = A_{ij}$ (rows of `A` sum to 1),
# $y_{t,c} \mid x_t = k \sim \mathrm{Poisson}(\lambda_{ck}\Delta t)$ with `L` $= \lambda$ of shape (C, K) in Hz.
# $N$ trials of $T$ bins; the maths counts from 1, Python from 0 (`gamma[:, 0]` is $t = 1$).
#
# If the states $x$ were known, fitting would be counting. The log-probability of states and spikes together has
# three kinds of terms: where each trial starts, each transition, and each bin's counts:
#
# $$\log p(x, Y \mid \theta) = \sum_{n=1}^{N} \Big[\, \log \psi_{x_{n,1}}
# + \sum_{t=1}^{T-1} \log A_{x_{n,t}\, x_{n,t+1}}
# + \sum_{t=1}^{T} \sum_{c=1}^{C} \big( y_{n,t,c} \log(\lambda_{c\, x_{n,t}} \Delta t) - \lambda_{c\, x_{n,t}} \Delta t
# - \log y_{n,t,c}! \big) \Big].$$
#
# The term $\log y!$ depends on no parameter: a constant.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Its expectation under the posterior: $Q$
#
# We do not see $x$, so we average over it with the posteriors of the E-step (notebook 02) at the current
# parameters $\theta^{\text{old}}$: $\gamma_{n,t}(k) = p(x_{n,t} = k \mid Y)$ and
# $\xi_{n,t}(i, j) = p(x_{n,t} = i,\, x_{n,t+1} = j \mid Y)$. The indicator $[x_{n,t} = k]$ averages to
# $\gamma_{n,t}(k)$, so
#
# $$Q(\theta) = \mathbb{E}\big[\log p(x, Y \mid \theta)\big]
# = \sum_{k} N_k \log \psi_k + \sum_{i,j} \Xi_{ij} \log A_{ij}
# + \sum_{c,k} \big( S_{ck} \log(\lambda_{ck} \Delta t) - O_k\, \lambda_{ck} \Delta t \big) + \text{const},$$
#
# with four arrays of **expected counts**:
#
# | symbol | definition | meaning | shape |
# |---|---|---|---|
# | $N_k$ | $\sum_n \gamma_{n,1}(k)$ | trials that start in state $k$ | (K,) |
# | $\Xi_{ij}$ | $\sum_n \sum_{t=1}^{T-1} \xi_{n,t}(i, j)$ | jumps $i \to j$ (`xi_sum`) | (K, K) |
# | $O_k$ | $\sum_n \sum_{t=1}^{T} \gamma_{n,t}(k)$ | bins spent in state $k$ (occupancy) | (K,) |
# | $S_{ck}$ | $\sum_n \sum_{t=1}^{T} \gamma_{n,t}(k)\, y_{n,t,c}$ | spikes of neuron $c$ in state $k$ | (C, K) |
#
# These are **sufficient statistics**: $Q$ needs nothing else. That is why the E-step returns `xi_sum`, the
# $(K, K)$ sum of $\xi$, and never stores the $N (T-1) K^2$ numbers of $\xi$ itself.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Section 2: Maximising $Q$
#
# *⏱ about 7 min (15 of 40 min so far)*
#
# The $\psi$, $A$ and $\lambda$ parts of $Q$ share no parameter, and each is concave: set each derivative to zero.
#
# **Initial distribution.** Maximise $\sum_k N_k \log \psi_k$ subject to $\sum_k \psi_k = 1$ (Lagrange
# multiplier $\mu$):
#
# $$\frac{N_k}{\psi_k} - \mu = 0 \quad\Rightarrow\quad \psi_k = \frac{N_k}{\sum_{k'} N_{k'}} = \frac{N_k}{N}.$$
#
# **Transitions.** Each row of $A$ sums to 1, so each row $i$ gets its own multiplier $\mu_i$:
#
# $$\frac{\Xi_{ij}}{A_{ij}} - \mu_i = 0 \quad\Rightarrow\quad
# A_{ij} = \frac{\Xi_{ij}}{\sum_{j'} \Xi_{ij'}} = \frac{\text{expected jumps } i \to j}{\text{expected departures from } i}.$$
#
# **Firing rates.** No constraint:
#
# $$\frac{\partial Q}{\partial \lambda_{ck}} = \frac{S_{ck}}{\lambda_{ck}} - O_k \Delta t = 0
# \quad\Rightarrow\quad \lambda_{ck} = \frac{S_{ck}}{O_k\, \Delta t}
# = \frac{\text{expected spikes in state } k}{\text{expected seconds in state } k} \ \text{(Hz)}.$$

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Think! 1: departures or occupancy?
#
# Both $A$ and $\lambda$ divide by "how much state $i$ was visited": $A$ by $\sum_j \Xi_{ij}$, $\lambda$ by $O_i$.
# Are these the same number? If not, which bins make the difference, and what would happen to $\lambda$ if you
# divided by $\sum_j \Xi_{ij}$?
#
# <details><summary>Discussion</summary>
#
# They differ by the last bin of every trial, which has no successor:
#
# $$\sum_j \Xi_{ij} = \sum_n \sum_{t=1}^{T-1} \gamma_{n,t}(i) = O_i - \sum_n \gamma_{n,T}(i).$$
#
# The row sums count **departures**; $O_i$ counts every bin. The spikes $S$ include the last bin, so dividing them
# by departures inflates every rate by about $1/T$: 0.1 % with $T = 1000$, invisible by eye, but a wrong
# formula (the check's trials have 60 bins: 1-2 %).
#
# </details>

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Section 3: Posteriors at a rough guess
#
# *⏱ about 3 min (18 of 40 min so far)*
#
# The tutorial data set (300 trials of 2 s) and a rough guess: the true rates, each off by up to ±40 %, a 1 % chance
# per bin of leaving every state, and a uniform $\psi$. One E-step gives the posteriors the M-step will use.

# %%
data = helpers.tutorial_data()
Y, dt = data["Y"], data["dt"]
psi_true, A_true, L_true, states_true = data["psi"], data["A"], data["L"], data["states"]
n_trials, T, C = Y.shape
K = psi_true.size

rng = np.random.default_rng(3)
L0 = L_true * rng.uniform(0.6, 1.4, size=L_true.shape)   # Hz
A0 = np.full((K, K), 0.01 / (K - 1))
np.fill_diagonal(A0, 0.99)
psi0 = np.full(K, 1.0 / K)

post = helpers.e_step(Y, psi0, A0, L0, dt)
gamma, xi_sum = post.gamma, post.xi_sum
print(f"Y      {Y.shape}  (n_trials, T, C)")
print(f"gamma  {gamma.shape}  (n_trials, T, K): sums to 1 over states in every bin")
print(f"xi_sum {xi_sum.shape}  (K, K): expected jumps, summed over trials and time")

# %%
fig = plotting.plot_posteriors(gamma, dt, states=states_true, trial=0)
plotting.show(fig, "Posterior probability of each of the three states over the 2 s of trial 1 at the rough guess, "
                   "under a strip of the true states: most bins are given almost entirely to one state.")

# %% [markdown]
# The M-step counts bins and spikes with these weights instead of with the unknown true states. The guess is not the
# truth: here and there (around 1.8 s in this trial) the posteriors still credit a bin to the wrong state.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercise 1: The M-step
#
# *⏱ about 12 min (30 of 40 min so far)*
#
# Write `m_step`: from `Y`, `gamma` and `xi_sum`, compute the expected counts and then
#
# $$\psi_k = \frac{N_k}{\sum_{k'} N_{k'}}, \qquad A_{ij} = \frac{\Xi_{ij}}{\sum_{j'} \Xi_{ij'}}, \qquad
# \lambda_{ck} = \frac{S_{ck}}{O_k\,\Delta t}.$$
#
# Use whole-array operations (no loop over trials or bins), and assume every state has some posterior mass
# (Section 6 handles the other case). Fill in every `...`.

# %% tags=["slides-code"]
def m_step(Y, gamma, xi_sum, dt):
    """Closed-form M-step of a Poisson HMM from the posteriors of the E-step.

    Parameters
    ----------
    Y : ndarray of int, shape (n_trials, T, C)
        Spike counts per bin.
    gamma : ndarray, shape (n_trials, T, K)
        Posterior state probabilities, ``gamma[n, t, k] = p(x[n, t] = k | Y)``.
    xi_sum : ndarray, shape (K, K)
        Expected transition counts, ``xi_sum[i, j]`` = expected number of
        jumps i -> j, summed over trials and time.
    dt : float
        Bin width in seconds.

    Returns
    -------
    psi : ndarray, shape (K,)
        Initial state distribution (sums to 1).
    A : ndarray, shape (K, K)
        Transition matrix, ``A[i, j] = P(x[t+1] = j | x[t] = i)`` (rows sum to 1).
    L : ndarray, shape (C, K)
        Firing rates in Hz.
    """
    n_trials, T, C = Y.shape
    K = gamma.shape[2]
    ### BEGIN SOLUTION
    #> starts = ... # (K,): N_k, expected number of trials that start in each state
    #> O = ...      # (K,): occupancy, expected number of bins spent in each state
    #> S = ...      # (C, K): expected spikes of neuron c fired in state k
    #> psi = ...    # (K,)
    #> A = ...      # (K, K): every row sums to 1
    #> L = ...      # (C, K): Hz
    starts = gamma[:, 0].sum(axis=0)
    O = gamma.sum(axis=(0, 1))
    S = Y.reshape(-1, C).T @ gamma.reshape(-1, K)
    psi = starts / starts.sum()
    A = xi_sum / xi_sum.sum(axis=1, keepdims=True)
    L = S / (O * dt)
    ### END SOLUTION
    return psi, A, L


# %% [markdown]
# <details><summary>Hint 1: the idea</summary>
#
# Each expected count is a sum of posterior weights over trials and bins: $N_k$ looks at the first bin only, $O$ at
# every bin, and $S$ weights each bin's count by the posterior *of the same bin*. Then three normalisations: $\psi$
# by the total of $N_k$ (which is $N$), each row of $A$ by its own total (a sum over the *next* state), $\lambda$ by the time in
# each state, in seconds.
#
# </details>
#
# <details><summary>Hint 2: shapes and axes</summary>
#
# `gamma` is (n_trials, T, K): the first bin is index 0 of axis 1, and $O$ sums axes 0 and 1. $S_{ck}$ contracts
# two shared axes (trial and bin) between `Y` (n_trials, T, C) and `gamma` (n_trials, T, K): either
# `np.einsum` with both letters shared, or merge trials and bins into one axis of length n_trials·T and take one
# matrix product (C, n_trials·T) @ (n_trials·T, K). The row totals of `xi_sum` must stay a column, shape (K, 1),
# to divide each row; a (K,) array divides a (C, K) array column by column.
#
# </details>
#
# <details><summary>Hint 3: nearly code</summary>
#
# `gamma[:, 0].sum(axis=0)`, `gamma.sum(axis=(0, 1))` and `np.einsum("ntc,ntk->ck", Y, gamma)` give $N_k$, $O$,
# $S$. Then `xi_sum.sum(axis=1, keepdims=True)` is the denominator of `A`, and `O * dt` that of `L`.
#
# </details>
#
# The worked answer is in `solutions/03_m_step.ipynb`, Exercise 1.

# %%
ok_m_step = checks.check_m_step(m_step)
m_step_used = checks.fallback(m_step, ok_m_step, helpers.m_step)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Section 4: What one M-step does
#
# *⏱ about 4 min (34 of 40 min so far)*
#
# The guess is close enough that state $k$ of the posteriors still means true state $k$, so expected counts can be
# set against the true (simulated) ones: time in each state, and jumps between states.

# %%
occupancy = gamma.sum(axis=(0, 1))                              # O_k, bins
true_jumps = np.zeros((K, K))
np.add.at(true_jumps, (states_true[:, :-1], states_true[:, 1:]), 1)
print("state   time (s): expected (true)   jumps to other states: expected (true)")
for i in range(K):
    jumps = "   ".join(f"to {j + 1}: {xi_sum[i, j]:3.0f} ({true_jumps[i, j]:3.0f})" for j in range(K) if j != i)
    print(f"{i + 1:>5}   {occupancy[i] * dt:8.1f} ({np.sum(states_true == i) * dt:5.1f})       {jumps}")

# %% [markdown]
# The times are close. The jumps are overcounted in total: the guess expects a switch in 1 % of bins, more than the truth
# (0.7-0.9 %), and the posteriors follow it. In each of 20 rough guesses drawn like this one (seeds 0-19) every
# state's time was within 26 s of the truth and the total of the jumps 10-31 % too high; five more EM steps brought
# that excess under 1 % in all 20.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Think! 2: which rate is hardest?
#
# Before running the next cell: which of the 15 firing rates will one M-step estimate worst, relative to its size,
# and why?
#
# <details><summary>Discussion</summary>
#
# A low rate in a state with little time: $\lambda_{11} = 1$ Hz and $\lambda_{32} = 3.5$ Hz rest on
# $S_{ck} \approx \lambda_{ck} O_k \Delta t$ = 230 and 420 spikes, against at least 1,200 for every other rate. Two
# things hurt them: Poisson noise, about $1/\sqrt{S_{ck}}$ (7 % and 5 %) even with the true states, and bins of other
# states that the posteriors wrongly credit to state $k$: they bring spikes at 18-46 Hz into estimates of 1 and
# 3.5 Hz. Over 20 rough guesses like this one (seeds 0-19) the worst rate after one M-step was $\lambda_{11}$
# 8 times and $\lambda_{32}$ 7 times.
#
# </details>

# %%
psi1, A1, L1 = m_step_used(Y, gamma, xi_sum, dt)
print("firing rates (Hz): guess -> after one M-step (true)")
for c in range(C):
    cells = "   ".join(f"{L0[c, k]:5.1f} -> {L1[c, k]:5.1f} ({L_true[c, k]:4.1f})" for k in range(K))
    print(f"neuron {c + 1}:  {cells}")
left = np.abs(L1 - L_true) / np.abs(L0 - L_true)       # share of each rate's error left after the step
rel = np.abs(L1 / L_true - 1)                          # relative error after the step
c, k = np.unravel_index(np.argmax(rel), rel.shape)
print(f"\n{np.sum(left <= 0.5)} of 15 rates lost at least half of their error; the median rate kept {np.median(left):.0%}.")
print(f"largest relative error after the step: neuron {c + 1} in state {k + 1} ({rel[c, k]:.0%})")
print("psi after one M-step:", np.array2string(psi1, precision=2), "  true:", np.array2string(psi_true, precision=2))

# %% [markdown]
# That is one guess. Over 20 rough guesses drawn the same way (seeds 0-19), one M-step removed at least half of the
# error of 9 to 14 of the 15 rates (median 12), and the median rate kept 14-39 % of its initial error. $A$ moves
# much less (2-47 % of its summed absolute error removed): that takes the many steps of notebook 04.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Section 5: One EM step raises the log-likelihood
#
# *⏱ about 3 min (37 of 40 min so far)*
#
# The M-step maximises $Q$, not the log-likelihood $\ell(\theta) = \log p(Y \mid \theta)$. EM still climbs, because
# any gain in $Q$ (both $Q$s with the posteriors at $\theta^{\text{old}}$) is a lower bound on the gain in $\ell$
# (notebook 05 proves it):
#
# $$\ell(\theta^{\text{new}}) - \ell(\theta^{\text{old}}) \;\ge\; Q(\theta^{\text{new}}) - Q(\theta^{\text{old}}) \;\ge\; 0 .$$

# %%
ll_new = helpers.log_likelihood(Y, psi1, A1, L1, dt)
Q_old = helpers.expected_complete_ll(Y, gamma, xi_sum, psi0, A0, L0, dt)
Q_new = helpers.expected_complete_ll(Y, gamma, xi_sum, psi1, A1, L1, dt)
nudges = {"all rates x 1.05": (psi1, A1, 1.05 * L1), "A mixed 5 % with uniform": (psi1, 0.95 * A1 + 0.05 / K, L1)}
dQ = {name: helpers.expected_complete_ll(Y, gamma, xi_sum, *theta, dt) - Q_new for name, theta in nudges.items()}
print(f"log-likelihood: {post.ll:.1f} -> {ll_new:.1f} nats  (gain {ll_new - post.ll:.1f})")
print(f"Q:              {Q_old:.1f} -> {Q_new:.1f} nats  (gain {Q_new - Q_old:.1f})")
for name, change in dQ.items():
    print(f"nudge the M-step's result, {name}: change in Q {change:.1f} nats")

# %% [markdown]
# The nudges lower $Q$, as they must: the M-step's result is $Q$'s maximum.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Section 6: Zeros stay zeros
#
# *⏱ about 3 min (40 of 40 min so far)*
#
# ### Think! 3: a start with zeros
#
# Neuron 1 fires at 1 Hz in state 1, nearly silent. A start sets $\lambda_{11} = 0$ exactly, and also $\psi_3 = 0$
# and $A_{13} = 0$. Where will EM have taken these three parameters after 100 steps?
#
# <details><summary>Discussion</summary>
#
# Nowhere: they stay exactly 0, for ever. Each update is proportional to an expected count that the zero itself
# makes 0. If $\psi_k = 0$, then $\gamma_{n,1}(k) = 0$, so $N_k = 0$. If $A_{ij} = 0$, no jump $i \to j$ has any
# probability, so $\Xi_{ij} = 0$. If $\lambda_{ck} = 0$, a bin where neuron $c$ fired cannot be in state $k$:
# $\gamma_{n,t}(k) = 0$ wherever $y_{n,t,c} > 0$, so $S_{ck} = 0$.
#
# </details>
#
# One E-step and M-step from that start (by induction, what holds for one step holds for all):

# %%
psi_z = np.array([0.5, 0.5, 0.0])                    # psi_3 = 0
A_z = A0.copy()
A_z[0] = [0.99, 0.01, 0.0]                            # A_13 = 0
L_z = L0.copy()
L_z[0, 0] = 0.0                                       # lambda_11 = 0
post_z = helpers.e_step(Y, psi_z, A_z, L_z, dt)
psi_z1, A_z1, L_z1 = m_step_used(Y, post_z.gamma, post_z.xi_sum, dt)
print(f"after one EM step: psi_3 = {psi_z1[2]:.3g}, A_13 = {A_z1[0, 2]:.3g}, lambda_11 = {L_z1[0, 0]:.3g} Hz")
print(f"(their neighbours moved: psi_2 {psi_z[1]:.2f} -> {psi_z1[1]:.2f}, A_12 {A_z[0, 1]:.3f} -> {A_z1[0, 1]:.3f}, "
      f"lambda_12 {L_z[0, 1]:.1f} -> {L_z1[0, 1]:.1f} Hz)")

# %% [markdown]
# The neighbours moved; the zeros did not, and never will: a parameter that is exactly 0 stays 0 under EM, because
# its update is proportional to an expected count that the zero makes 0. EM cannot discover what a start rules
# out, which is why starting values avoid zeros: the starts of notebook 04 (`helpers.initial_params`) give every
# $\psi_k$, $A_{ij}$ and $\lambda_{ck}$ a positive value.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### A state with no posterior mass
#
# If nothing can reach state $k$ ($\psi_k = 0$ and $A_{ik} = 0$ for every $i \ne k$), it gets no weight at all:
# $O_k = 0$, row $k$ of $\Xi$ is 0, and its updates are $0/0$, a NaN that ruins the next E-step. `helpers.m_step`
# takes the previous parameters as `prev=(psi, A, L)` and lets such a state keep its row of $A$ and column of
# $\lambda$ (it contributes nothing to $Q$, so any value is as good).

# %%
psi_e = np.array([0.5, 0.5, 0.0])           # nobody starts in state 3 ...
A_e = A0.copy()
A_e[:2, 2] = 0.0                            # ... or jumps into it
A_e /= A_e.sum(axis=1, keepdims=True)
post_e = helpers.e_step(Y, psi_e, A_e, L0, dt)
psi_f, A_f, L_f = helpers.m_step(Y, post_e.gamma, post_e.xi_sum, dt, prev=(psi_e, A_e, L0))
print(f"state 3: expected bins {post_e.gamma[..., 2].sum():.1f}, expected departures {post_e.xi_sum[2].sum():.1f}")
print("row 3 of A kept:", np.array_equal(A_f[2], A_e[2]), "  rates of state 3 kept:", np.array_equal(L_f[:, 2], L0[:, 2]),
      "  any NaN:", bool(np.isnan(A_f).any() or np.isnan(L_f).any()))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - $Q$, the posterior expectation of the complete-data log-likelihood, needs only four expected counts: starts $N_k$,
#   jumps $\Xi$ = `xi_sum`, occupancy $O$ and spikes per state $S$.
# - $\psi_k = N_k / N$; $A_{ij} = \Xi_{ij} / \sum_{j'} \Xi_{ij'}$ (jumps over **departures**, which leave out the last
#   bin); $\lambda_{ck} = S_{ck} / (O_k \Delta t)$ in Hz (spikes over **occupancy** in seconds).
# - Rates with few expected spikes are estimated worst.
# - One E-step + M-step raises $Q$, and the log-likelihood by at least as much.
# - Zeros stay zeros: start away from them. A state with no mass gives $0/0$: keep its previous parameters.
#
# **Next, 04 · EM:** repeat E-step and M-step until the log-likelihood stops rising; restarts, local optima and
# label switching.
