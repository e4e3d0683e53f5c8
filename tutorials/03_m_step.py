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
# Given the posteriors of the E-step, the best new parameters are ratios of expected counts.

# %%
import numpy as np
import matplotlib.pyplot as plt
import helpers
from helpers import checks, plotting
plotting.use_style()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Objectives
#
# - Write the complete-data log-likelihood $\log p(x, Y \mid \theta)$ of the Poisson HMM.
# - Take its expectation under the posterior (the function $Q$) and see that it needs only a few expected counts.
# - Derive the closed-form updates of $\psi$, $A$ and $\lambda$.
# - Implement `m_step` and watch one E-step + M-step raise the log-likelihood.
# - Know what to do when a state gets no posterior mass.

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
# The maths numbers states and bins from 1 ($k = 1..K$, $t = 1..T$); Python indexes from 0, so `gamma[:, 0]` is $t = 1$;
# figures say "state 1" .. "state K".
#
# From notebook 02, the E-step at the current parameters $\theta^{\text{old}}$ returns the posteriors
#
# $$\gamma_{n,t}(k) = p(x_{n,t} = k \mid Y, \theta^{\text{old}}), \qquad
# \xi_{n,t}(i, j) = p(x_{n,t} = i,\ x_{n,t+1} = j \mid Y, \theta^{\text{old}}).$$

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The complete-data log-likelihood
#
# If we could see the states $x$, fitting would be counting. The log-probability of states and spikes together is a sum
# of three kinds of terms: where each trial starts, each transition, and each bin's spike counts.
#
# $$\log p(x, Y \mid \theta) = \sum_{n=1}^{N} \Big[\, \log \psi_{x_{n,1}}
# + \sum_{t=1}^{T-1} \log A_{x_{n,t}\, x_{n,t+1}}
# + \sum_{t=1}^{T} \sum_{c=1}^{C} \big( y_{n,t,c} \log(\lambda_{c\, x_{n,t}} \Delta t) - \lambda_{c\, x_{n,t}} \Delta t
# - \log y_{n,t,c}! \big) \Big]$$
#
# The last three terms are the log of the Poisson probability $(\lambda\Delta t)^{y} e^{-\lambda\Delta t} / y!$.
# The term $\log y!$ does not depend on any parameter: it is a constant for the M-step.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Its expectation under the posterior: $Q$
#
# We do not see $x$, so we average over it with the posterior of the E-step. Write $\log \psi_{x_1} = \sum_k [x_1 = k] \log \psi_k$;
# the expectation of the indicator $[x_{n,t} = k]$ is $\gamma_{n,t}(k)$, that of $[x_{n,t} = i,\, x_{n,t+1} = j]$ is $\xi_{n,t}(i, j)$:
#
# $$Q(\theta) = \mathbb{E}_{x \sim p(x \mid Y, \theta^{\text{old}})}\big[\log p(x, Y \mid \theta)\big]
# = \sum_{k} F_k \log \psi_k + \sum_{i,j} \Xi_{ij} \log A_{ij}
# + \sum_{c,k} \big( S_{ck} \log(\lambda_{ck} \Delta t) - O_k\, \lambda_{ck} \Delta t \big) - \text{const}$$
#
# with four arrays of **expected counts**:
#
# | symbol | definition | meaning | shape |
# |---|---|---|---|
# | $F_k$ | $\sum_n \gamma_{n,1}(k)$ | trials that start in state $k$ | (K,) |
# | $\Xi_{ij}$ | $\sum_n \sum_{t=1}^{T-1} \xi_{n,t}(i, j)$ | transitions $i \to j$ (`xi_sum`) | (K, K) |
# | $O_k$ | $\sum_n \sum_{t=1}^{T} \gamma_{n,t}(k)$ | bins spent in state $k$ (occupancy) | (K,) |
# | $S_{ck}$ | $\sum_n \sum_{t=1}^{T} \gamma_{n,t}(k)\, y_{n,t,c}$ | spikes of neuron $c$ fired in state $k$ | (C, K) |

# %% [markdown] slideshow={"slide_type": "subslide"}
# These are the **sufficient statistics**: once we have them, $Q$ needs nothing else from the data or the posteriors.
# $N T K$ posterior numbers (and $N (T-1) K^2$ pairwise ones) shrink to $2K + K^2 + CK$ numbers.
# This is why the E-step returns `xi_sum`, the $(K, K)$ sum of $\xi$ over trials and time, and never has to store $\xi$ itself.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Posteriors at a rough guess
#
# We use the tutorial data set (300 trials of 2 s) and a rough guess of the parameters: the true rates, each off by
# up to ±40 %, a 1 % chance per bin of leaving every state, and a uniform $\psi$. Because the guess is near the truth,
# state $k$ of the guess still means true state $k$, so we can compare expected counts with the true (simulated) ones.

# %%
data = helpers.tutorial_data()
Y, dt = data["Y"], data["dt"]
psi_true, A_true, L_true = data["psi"], data["A"], data["L"]
n_trials, T, C = Y.shape
K = psi_true.size

rng = np.random.default_rng(3)
L0 = L_true * rng.uniform(0.6, 1.4, size=L_true.shape)  # Hz
A0 = np.full((K, K), 0.01 / (K - 1))
np.fill_diagonal(A0, 0.99)
psi0 = np.full(K, 1.0 / K)

post = helpers.e_step(Y, psi0, A0, L0, dt)
gamma, xi_sum = post.gamma, post.xi_sum
print(f"Y      {Y.shape}  (n_trials, T, C)")
print(f"gamma  {gamma.shape}  (n_trials, T, K): sums to 1 over states in every bin")
print(f"xi_sum {xi_sum.shape}  (K, K): expected transition counts, summed over trials and time")

# %% [markdown] slideshow={"slide_type": "subslide"}
# Every bin is shared among the states in proportion to $\gamma$: the M-step counts bins and spikes with these weights
# instead of with the unknown true states (the strip on top).

# %%
fig = plotting.plot_posteriors(gamma, dt, states=data["states"], trial=0)
plt.show()

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Expected occupancy.** $O_k \Delta t$ is the expected time spent in state $k$, in seconds (out of $N T \Delta t = 600$ s).

# %%
occupancy = gamma.sum(axis=(0, 1))  # O_k, expected number of bins
true_time = np.bincount(data["states"].ravel(), minlength=K) * dt
print("state   expected time (s)   true time (s)")
for k in range(K):
    print(f"{k + 1:>5}   {occupancy[k] * dt:17.1f}   {true_time[k]:13.1f}")
print(f"total   {occupancy.sum() * dt:17.1f}   {true_time.sum():13.1f}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Expected transitions.** Entry $(i, j)$ of `xi_sum` is the expected number of jumps from state $i$ to state $j$
# (the diagonal counts bins where the chain stays). Next to it, the true counts of the simulated states.

# %%
s = data["states"]
true_counts = np.zeros((K, K))
np.add.at(true_counts, (s[:, :-1].ravel(), s[:, 1:].ravel()), 1)

print("expected (xi_sum)                      true")
print("from\\to " + "".join(f"{j + 1:>9}" for j in range(K)) + "     " + "".join(f"{j + 1:>9}" for j in range(K)))
for i in range(K):
    row_e = "".join(f"{xi_sum[i, j]:9.0f}" for j in range(K))
    row_t = "".join(f"{true_counts[i, j]:9.0f}" for j in range(K))
    print(f"{i + 1:>7} {row_e}     {row_t}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# One identity to keep in mind for the exercise: the row sums of `xi_sum` count **departures** from state $i$.
# That is the occupancy of bins $1..T-1$ only, because the last bin of a trial has no successor:
#
# $$\sum_j \Xi_{ij} = \sum_n \sum_{t=1}^{T-1} \gamma_{n,t}(i) \;\neq\; O_i .$$

# %%
departures = gamma[:, :-1].sum(axis=(0, 1))
print("row sums of xi_sum == occupancy of bins 1..T-1:", np.allclose(xi_sum.sum(axis=1), departures))
print("row sums of xi_sum == occupancy of all bins:   ", np.allclose(xi_sum.sum(axis=1), occupancy))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Maximising $Q$: three separate problems
#
# $Q$ is a sum of a $\psi$ part, an $A$ part and a $\lambda$ part that share no parameter, so each is maximised on its own.
# Each part is concave in its parameters, so setting the derivative to zero gives the maximum.

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Initial distribution.** Maximise $\sum_k F_k \log \psi_k$ subject to $\sum_k \psi_k = 1$. With a Lagrange multiplier $\mu$:
#
# $$\frac{\partial}{\partial \psi_k}\Big[\sum_{k'} F_{k'} \log \psi_{k'} + \mu \big(1 - \sum_{k'} \psi_{k'}\big)\Big]
# = \frac{F_k}{\psi_k} - \mu = 0
# \quad\Rightarrow\quad \psi_k = \frac{F_k}{\mu} = \frac{F_k}{\sum_{k'} F_{k'}} = \frac{1}{N} \sum_n \gamma_{n,1}(k).$$
#
# The expected fraction of trials that start in state $k$ ($\sum_{k'} F_{k'} = N$, because $\gamma$ sums to 1).

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Transition matrix.** Every row of $A$ is a probability distribution, so each row $i$ gets its own multiplier $\mu_i$:
#
# $$\frac{\Xi_{ij}}{A_{ij}} - \mu_i = 0
# \quad\Rightarrow\quad A_{ij} = \frac{\Xi_{ij}}{\sum_{j'} \Xi_{ij'}}
# = \frac{\text{expected transitions } i \to j}{\text{expected departures from } i}.$$
#
# Row-wise normalisation of `xi_sum`: divide row $i$ by its row sum.

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Firing rates.** No constraint is needed (the solution is never negative). Set the derivative to zero:
#
# $$\frac{\partial Q}{\partial \lambda_{ck}} = \frac{S_{ck}}{\lambda_{ck}} - O_k \Delta t = 0
# \quad\Rightarrow\quad \lambda_{ck} = \frac{S_{ck}}{O_k\, \Delta t}
# = \frac{\sum_{n,t} \gamma_{n,t}(k)\, y_{n,t,c}}{\Delta t \sum_{n,t} \gamma_{n,t}(k)}.$$
#
# Expected spikes in state $k$ over expected time in state $k$: spikes per second, i.e. Hz.
# The second derivative $-S_{ck}/\lambda_{ck}^2 < 0$ confirms a maximum.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercise: the M-step
#
# Implement `m_step`: compute $\psi$, $A$ and $\lambda$ from `Y`, `gamma` and `xi_sum` with the three formulas above.
# Use whole-array operations (no loop over trials or time). Assume every state has some posterior mass (we handle the other case below).

# %%
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
    ### BEGIN SOLUTION
    # HINT: psi: gamma[:, 0] (shape (n_trials, K)) is the posterior of the first bin; sum it over trials, then normalise.
    first = gamma[:, 0].sum(axis=0)  # F_k, (K,)
    psi = first / first.sum()
    # HINT: A: divide every row of xi_sum by that row's sum (axis=1, keepdims=True keeps a (K, 1) shape that broadcasts).
    A = xi_sum / xi_sum.sum(axis=1, keepdims=True)
    # HINT: L: occupancy O = gamma summed over trials and time, shape (K,).
    # HINT: expected spikes S[c, k] = sum over n, t of Y[n, t, c] * gamma[n, t, k], shape (C, K):
    # HINT: flatten trials and time (Y.reshape(-1, C), gamma.reshape(-1, K)) and use one matrix product.
    # HINT: S / (O * dt) is in Hz; (C, K) / (K,) broadcasts over neurons.
    C, K = Y.shape[2], gamma.shape[2]
    occupancy = gamma.sum(axis=(0, 1))  # O_k, (K,) expected bins
    spikes = Y.reshape(-1, C).T @ gamma.reshape(-1, K)  # S_ck, (C, K) expected spikes
    L = spikes / (occupancy * dt)
    ### END SOLUTION
    return psi, A, L


# %%
ok_m_step = checks.check_m_step(m_step)
m_step_used = checks.fallback(m_step, ok_m_step, helpers.m_step)

# %% [markdown] slideshow={"slide_type": "subslide"}
# The new parameters next to the truth. One M-step from the rough guess already moves most rates most of the way.

# %%
psi1, A1, L1 = m_step_used(Y, gamma, xi_sum, dt)
print("firing rates (Hz): guess -> after one M-step (true)")
for c in range(C):
    cells = "   ".join(f"{L0[c, k]:5.1f} -> {L1[c, k]:5.1f} ({L_true[c, k]:4.1f})" for k in range(K))
    print(f"neuron {c + 1}:  {cells}")
print("psi after one M-step:", np.array2string(psi1, precision=2), "  true:", np.array2string(psi_true, precision=2))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## One EM step raises the log-likelihood
#
# The M-step maximises $Q$, not the log-likelihood $\ell(\theta) = \log p(Y \mid \theta)$ itself. EM still works because
# any gain in $Q$ is a lower bound on the gain in $\ell$ (notebook 05 shows why):
#
# $$\ell(\theta^{\text{new}}) - \ell(\theta^{\text{old}}) \;\ge\; Q(\theta^{\text{new}}) - Q(\theta^{\text{old}}) \;\ge\; 0 .$$
#
# Both $Q$ values use the same posteriors (from $\theta^{\text{old}}$); `helpers.expected_complete_ll` evaluates $Q$.

# %%
ll_old = post.ll  # the E-step returns the log-likelihood at the parameters it used
ll_new = helpers.log_likelihood(Y, psi1, A1, L1, dt)
Q_old = helpers.expected_complete_ll(Y, gamma, xi_sum, psi0, A0, L0, dt)
Q_new = helpers.expected_complete_ll(Y, gamma, xi_sum, psi1, A1, L1, dt)
seconds = n_trials * T * dt
print(f"log-likelihood: {ll_old:.1f} -> {ll_new:.1f} nats  (gain {ll_new - ll_old:.1f} nats, "
      f"{(ll_new - ll_old) / seconds:.3g} nats per second of data)")
print(f"Q:              {Q_old:.1f} -> {Q_new:.1f} nats  (gain {Q_new - Q_old:.1f} nats)")
print("gain in log-likelihood >= gain in Q:", ll_new - ll_old >= Q_new - Q_old)

# %% [markdown] slideshow={"slide_type": "subslide"}
# The M-step is the **maximum** of $Q$, so nudging any of its results must lower $Q$. A quick check of four nudges:

# %%
nudges = {
    "all rates x 1.05": (psi1, A1, L1 * 1.05),
    "all rates x 0.95": (psi1, A1, L1 * 0.95),
    "A mixed 5 % with uniform": (psi1, 0.95 * A1 + 0.05 / K, L1),
    "psi mixed 20 % with uniform": (0.8 * psi1 + 0.2 / K, A1, L1),
}
for name, theta in nudges.items():
    dQ = helpers.expected_complete_ll(Y, gamma, xi_sum, *theta, dt) - Q_new
    print(f"{name:28s} change in Q: {dQ:8.1f} nats")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A state with no posterior mass
#
# If the posteriors give state $k$ no weight at all, $O_k = 0$ and row $k$ of `xi_sum` is all zeros: the updates of
# $\lambda_{\cdot k}$ and of row $k$ of $A$ become $0/0$, and a single NaN ruins the next E-step.
# Exact zeros happen when a state is unreachable ($\psi_k = 0$ and $A_{ik} = 0$ for all $i \ne k$); they are absorbing,
# because the updates are proportional to expected counts.

# %%
psi_e = np.array([0.5, 0.5, 0.0])  # nobody starts in state 3 ...
A_e = A0.copy()
A_e[:, 2] = 0.0  # ... and nobody jumps into it
A_e /= A_e.sum(axis=1, keepdims=True)
post_e = helpers.e_step(Y, psi_e, A_e, L0, dt)
occ_e = post_e.gamma.sum(axis=(0, 1))
dep_e = post_e.xi_sum.sum(axis=1)
print("expected time per state (s):     ", "  ".join(f"{v * dt:8.1f}" for v in occ_e))
print("expected departures (row sums):  ", "  ".join(f"{v:8.0f}" for v in dep_e))
with np.errstate(invalid="ignore"):  # silence the 0/0 warning: we know it is coming
    A_naive = post_e.xi_sum / post_e.xi_sum.sum(axis=1, keepdims=True)
print("naive A, row 3:", np.array2string(A_naive[2], precision=3))

# %% [markdown] slideshow={"slide_type": "subslide"}
# `helpers.m_step` takes the previous parameters as `prev=(psi, A, L)` and lets a state without mass **keep** its previous
# row of $A$ and column of $\lambda$ (without `prev`: a uniform row and each neuron's mean rate). Nothing becomes NaN, and
# this choice is as good as any for $Q$: a state with zero weight contributes nothing to it. Other remedies: re-initialise the
# empty state, or add small pseudo-counts to $F$, $\Xi$, $O$ and $S$ (a prior, which turns EM into MAP estimation).

# %%
psi_f, A_f, L_f = helpers.m_step(Y, post_e.gamma, post_e.xi_sum, dt, prev=(psi_e, A_e, L0))
print("A, row 3:", np.array2string(A_f[2], precision=3), "  (kept from prev:", np.array2string(A_e[2], precision=3) + ")")
print("rates of state 3 (Hz):", np.array2string(L_f[:, 2], precision=1), "  (kept from prev)")
print("any NaN:", bool(np.isnan(A_f).any() or np.isnan(L_f).any()))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - The complete-data log-likelihood splits into an initial-state, a transition and a Poisson emission part; $\log y!$ is a constant.
# - Its posterior expectation $Q$ depends on the data only through expected counts: $F$ (starts), $\Xi$ = `xi_sum` (transitions),
#   $O$ (occupancy) and $S$ (spikes per state), the sufficient statistics.
# - $\psi_k = F_k / N$; $A_{ij} = \Xi_{ij} / \sum_{j'} \Xi_{ij'}$ (transitions $i \to j$ over departures from $i$);
#   $\lambda_{ck} = S_{ck} / (O_k \Delta t)$ in Hz.
# - One E-step + M-step raises $Q$, and the log-likelihood by at least as much.
# - A state without posterior mass gives $0/0$: keep its previous parameters (or re-initialise it).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Next
#
# **04 · EM**: repeat E-step and M-step until the log-likelihood stops rising; restarts, local optima and label switching.
