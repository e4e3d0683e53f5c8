# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown] slideshow={"slide_type": "slide"}
# # 02 · The E-step: forward-backward
#
# Given the parameters, how probable is each hidden state in every bin of every trial, and how probable are the data?
# Two recursions answer both exactly, in time linear in the length of the recording.
#
# **Estimated time:** about 45 minutes.
#
# **Objectives.** By the end you can
#
# - explain why $p(Y)$ is a sum over $K^T$ paths, and how the forward recursion computes it in $T K^2$ steps;
# - implement the scaled forward and backward passes for many trials at once, and read $\log p(Y) = \sum_t \log c_t$;
# - say why scaling is needed, and why it is not enough when the emissions themselves underflow;
# - assemble the posteriors $\gamma$ and $\xi$, check them against brute-force enumeration, and decode the tutorial data.

# %%
import itertools

import numpy as np
import matplotlib.pyplot as plt

import helpers
from helpers import checks, plotting

plotting.use_style()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Notation
#
# *⏱ about 2 min (2 of 45 min so far)*
#
# $K$ states, $C$ neurons, bins of $\Delta t$ seconds, $N$ trials of $T$ bins, $\theta = (\psi, A, \lambda)$:
#
# $$p(x_1 = k) = \psi_k, \qquad p(x_{t+1} = j \mid x_t = i) = A_{ij}, \qquad
# y_{t,c} \mid x_t = k \;\sim\; \mathrm{Poisson}(\lambda_{ck}\,\Delta t).$$
#
# Arrays: `Y` (n_trials, T, C) counts; `psi` (K,); `A` (K, K), `A[i, j]` = P(next = j | now = i), rows sum to 1;
# `L` (C, K) rates in Hz; `dt` in s; log-likelihoods in nats, summed over trials. The maths counts from 1, Python
# from 0. In this notebook the parameters are the **true** ones; notebooks 03-04 learn them.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Section 1: Emission probabilities
#
# *⏱ about 4 min (6 of 45 min so far)*
#
# All the E-step needs from the spikes is one number per bin and state: the probability of that bin's counts if the
# network were in state $k$. Neurons are independent given the state, so
#
# $$o_t(k) = p(y_t \mid x_t = k) = \prod_{c=1}^{C} \frac{(\lambda_{ck}\Delta t)^{y_{t,c}}\, e^{-\lambda_{ck}\Delta t}}{y_{t,c}!}.$$

# %%
data = helpers.tutorial_data()
Y, states_true = data["Y"], data["states"]
psi, A, L, dt = data["psi"], data["A"], data["L"], data["dt"]
n_trials, T, C = Y.shape
K = len(psi)

obs = helpers.emission_likelihood(Y, L, dt)            # (n_trials, T, K)
print(f"Y {Y.shape} -> obs {obs.shape}\n")
print("trial 1     counts of neurons 1-5     o_t(1)  o_t(2)  o_t(3)")
for t in range(6):
    counts = " ".join(f"{y:d}" for y in Y[0, t])
    print(f"bin {t + 1}        {counts}           " + "  ".join(f"{o:6.4f}" for o in obs[0, t]))
print(f"\nbin 1: o_1(3) / o_1(1) = {obs[0, 0, 2] / obs[0, 0, 0]:.1f}")

# %% [markdown]
# An empty bin is about equally likely in every state: it carries little evidence. The one spike of neuron 5 in bin 1
# gives a **likelihood ratio** $o_1(3) / o_1(1)$ of about 5.5 (printed): by Bayes' rule it multiplies the *odds* of state 3
# against state 1, whatever they were before. Whether state 3 ends up probable depends on the prior and on the other
# bins: evidence builds up over many bins, tied together by $A$. That is what the recursions do.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Section 2: The forward recursion
#
# *⏱ about 6 min (12 of 45 min so far)*
#
# The probability of one trial's data sums the joint probability over every state path: $K^T$ terms.
#
# $$p(y_{1:T}) = \sum_{x_1=1}^{K} \cdots \sum_{x_T=1}^{K} \psi_{x_1}\, o_1(x_1) \prod_{t=2}^{T} A_{x_{t-1} x_t}\, o_t(x_t).$$

# %%
print(f"paths per trial: K^T = {K}^{T} = 10^{T * np.log10(K):.0f}")

# %% [markdown]
# Let $\alpha_t(j) = p(y_1, \dots, y_t,\, x_t = j)$. Pushing the sums inside the product gives a recursion that reuses the
# previous bin's result, summing over the state $i$ the chain came *from*:
#
# $$\alpha_1(j) = \psi_j\, o_1(j), \qquad
# \alpha_t(j) = o_t(j) \sum_{i=1}^{K} \alpha_{t-1}(i)\, A_{ij}, \qquad
# p(y_{1:T}) = \sum_{j=1}^{K} \alpha_T(j).$$
#
# Cost: $T K^2$ operations instead of $K^T$.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Think! 1: how big is $\alpha_t$?
#
# Most bins are empty and $o_t(k) \approx 0.8$; a bin with a spike has $o_t(k)$ of a few percent. What happens to
# $\sum_j \alpha_t(j) = p(y_1, \dots, y_t)$ as $t$ grows to 1000 bins? Can a float64 hold it?
#
# <details><summary>Discussion</summary>
#
# Every bin multiplies the running product by a number below 1, so it shrinks geometrically, by hundreds of orders of
# magnitude over a trial. The smallest positive float64 is about $5 \times 10^{-324}$: the product becomes exactly 0
# partway through the trial, and its logarithm $-\infty$. The fix is below: normalise in every bin and keep the
# normalisers.
#
# </details>

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The scaled recursion
#
# Normalise in every bin and keep the normaliser $c_t$. With $\hat\alpha_t(j) = p(x_t = j \mid y_{1:t})$:
#
# $$c_1 = \sum_{j} \psi_j\, o_1(j), \qquad \hat\alpha_1(j) = \frac{\psi_j\, o_1(j)}{c_1}, \qquad
# c_t = \sum_{j} o_t(j) \sum_{i} \hat\alpha_{t-1}(i)\, A_{ij}, \qquad
# \hat\alpha_t(j) = \frac{o_t(j) \sum_{i} \hat\alpha_{t-1}(i)\, A_{ij}}{c_t}.$$
#
# Then $c_t = p(y_t \mid y_{1:t-1})$, and the chain rule $p(y_{1:T}) = \prod_t p(y_t \mid y_{1:t-1})$ gives
#
# $$\log p(y_{1:T}) = \sum_{t=1}^{T} \log c_t .$$
#
# (Carrying $\log\alpha$ with a log-sum-exp is just as exact, but costs an `exp` and a `log` per entry and step.)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercise 1: The scaled forward pass
#
# *⏱ about 8 min (20 of 45 min so far)*
#
# Implement the scaled recursion for all trials at once: `alpha[:, t]` has shape (n_trials, K), one row per trial,
# so one line per bin updates every trial. Loop over time only. Fill in every `...`.

# %% tags=["slides-code"]
def forward(obs, psi, A):
    """Scaled forward pass of an HMM, all trials at once.

    Parameters
    ----------
    obs : ndarray, shape (n_trials, T, K)
        Emission probabilities, ``obs[n, t, k] = p(y[n, t] | x[t] = k)``.
    psi : ndarray, shape (K,)
        Initial state distribution.
    A : ndarray, shape (K, K)
        Transition matrix, ``A[i, j] = P(x[t+1] = j | x[t] = i)``.

    Returns
    -------
    alpha : ndarray, shape (n_trials, T, K)
        Filtered posteriors ``p(x[t] = k | y[0..t])``; every ``alpha[n, t]`` sums to 1.
    c : ndarray, shape (n_trials, T)
        Normalisers ``c[n, t] = p(y[n, t] | y[n, 0..t-1])``; ``np.log(c).sum()`` is ``log p(Y)`` in nats.
    """
    n_trials, T, K = obs.shape
    alpha = np.empty((n_trials, T, K))
    c = np.empty((n_trials, T))
    ### BEGIN SOLUTION
    #> a = ...                   # (n_trials, K): unnormalised alpha of bin 0
    #> c[:, 0] = ...             # (n_trials,): its sum over states
    #> alpha[:, 0] = ...         # normalised: sums to 1 over states
    #> for t in range(1, T):
    #>     a = ...               # predict with A, then weigh by the evidence of bin t
    #>     c[:, t] = ...
    #>     alpha[:, t] = ...
    a = psi * obs[:, 0]
    c[:, 0] = a.sum(axis=1)
    alpha[:, 0] = a / c[:, 0, None]
    for t in range(1, T):
        a = (alpha[:, t - 1] @ A) * obs[:, t]
        c[:, t] = a.sum(axis=1)
        alpha[:, t] = a / c[:, t, None]
    ### END SOLUTION
    return alpha, c


# %% [markdown]
# <details><summary>Hint 1: the idea</summary>
#
# Every bin does three things: *predict* (move the previous belief one step through the chain), *weigh* (multiply by
# this bin's evidence $o_t$), *normalise* (divide by the sum, which is $c_t$). Bin 0 has no previous belief: its
# prediction is $\psi$.
#
# </details>
#
# <details><summary>Hint 2: shapes and axes</summary>
#
# `alpha[:, t - 1]` is (n_trials, K). The prediction $\sum_i \hat\alpha_{t-1}(i) A_{ij}$ for every trial and every $j$
# is one matrix product with `A`: the summed index $i$ is the *row* index of `A`, so `alpha[:, t - 1]` goes on the
# left. The sum over states is over `axis=1`; to divide a (n_trials, K) array by a (n_trials,) array, give the latter
# a trailing axis: `c[:, t, None]`.
#
# </details>
#
# <details><summary>Hint 3: nearly code</summary>
#
# `a = (alpha[:, t - 1] @ A) * obs[:, t]`, then `c[:, t] = a.sum(axis=1)` and `alpha[:, t] = a / c[:, t, None]`;
# bin 0 starts from `psi * obs[:, 0]`.
#
# </details>
#
# The worked answer is in `solutions/02_forward_backward.ipynb`, Exercise 1.

# %%
ok_forward = checks.check_forward(forward)
forward_used = checks.fallback(forward, ok_forward, helpers.forward)

# %% [markdown] slideshow={"slide_type": "subslide"}
# On the whole data set, $\log p(Y) = \sum_{n,t} \log c_{n,t}$:

# %%
alpha, c = forward_used(obs, psi, A)
ll_forward = np.log(c).sum()
print(f"log p(Y) = {ll_forward:.1f} nats ({n_trials} trials)")
print(f"same as helpers.log_likelihood: {np.isclose(ll_forward, helpers.log_likelihood(Y, psi, A, L, dt), rtol=1e-9)}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Section 3: Why scale? Two kinds of underflow
#
# *⏱ about 7 min (27 of 45 min so far)*
#
# **The product underflows.** Run the *unscaled* recursion on trial 1 and watch $p(y_1, \dots, y_t) = \sum_j \alpha_t(j)$.

# %%
o = obs[0]                                  # trial 1, (T, K)
a = psi * o[0]
p_naive = np.empty(T)                       # p(y_1..y_t), t = 1..T
p_naive[0] = a.sum()
for t in range(1, T):
    a = (a @ A) * o[t]
    p_naive[t] = a.sum()
log_p_t = np.cumsum(np.log(c[0]))           # the same, in logs, from the scaled pass

t_zero = np.flatnonzero(p_naive == 0.0)[0]
print(f"geometric mean of c_t in trial 1: {np.exp(log_p_t[-1] / T):.2f} per bin")
print(f"exactly 0.0 from bin {t_zero + 1} on ({(t_zero + 1) * dt:.2f} s into a {T * dt:.0f}-s trial); "
      f"log p(y_1..y_T) = {log_p_t[-1]:.1f} nats")

T_values = np.arange(20, T + 1, 20)
fig = plotting.plot_underflow(T_values, p_naive[T_values - 1], log_p_t[T_values - 1])
plotting.show(fig, "Left: the unscaled probability of the first T bins falls by hundreds of orders of magnitude and "
                   "hits exactly 0 within the trial; right: its logarithm, summed from the scaled pass, is a steady "
                   "straight line.")

# %% [markdown]
# Below the smallest *normal* float64, $2.2 \times 10^{-308}$, numbers turn *subnormal*: they lose significant digits
# one by one until, below about $4.9 \times 10^{-324}$, they become exactly 0 (shaded band). Scaling keeps
# $\hat\alpha_t$ near 1, so none of this happens.

# %% [markdown] slideshow={"slide_type": "subslide"}
# **The emissions underflow.** Scaling protects $\alpha$, not $o_t(k)$ itself, a product over neurons. With hundreds of
# neurons or wide bins, every $o_t(k)$ can be below $10^{-308}$ before the recursion even starts. 500 neurons in bins
# of 100 ms:

# %%
rng = np.random.default_rng(7)
C_big, dt_big = 500, 0.1
L_big = rng.uniform(2.0, 50.0, size=(C_big, K))                       # Hz
Y_big = helpers.sample_spikes(helpers.sample_states(psi, A, 2, 40, rng), L_big, dt_big, rng)
log_o_big = helpers.log_emission_likelihood(Y_big, L_big, dt_big)     # (2, 40, K), nats: fine
with np.errstate(under="ignore"):
    o_big = np.exp(log_o_big)                                          # the probabilities themselves
print(f"log o_t(k): from {log_o_big.min():.0f} to {log_o_big.max():.0f} nats")
print(f"bins where every o_t(k) is exactly 0: {100 * np.mean((o_big == 0).all(axis=2)):.0f} %")

# %% [markdown]
# The cure, which `helpers.e_step` applies: subtract each bin's largest log-emission $m_t = \max_k \log o_t(k)$, run the
# scaled pass on $\tilde o_t(k) = e^{\log o_t(k) - m_t}$ (its largest entry is 1), and add $m_t$ back:
#
# $$\log c_t = \log \tilde c_t + m_t, \qquad \log p(y_{1:T}) = \sum_t \big(\log \tilde c_t + m_t\big).$$

# %%
m = log_o_big.max(axis=2, keepdims=True)                               # (n_trials, T, 1)
_, c_tilde = forward_used(np.exp(log_o_big - m), psi, A)
ll_shifted = (np.log(c_tilde) + m[..., 0]).sum()
print(f"log p(Y) with the shift: {ll_shifted:.2f} nats; helpers.log_likelihood: "
      f"{helpers.log_likelihood(Y_big, psi, A, L_big, dt_big):.2f} nats")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Section 4: The backward recursion
#
# *⏱ about 3 min (30 of 45 min so far)*
#
# The forward pass uses the past only. To use the future as well, let $\beta_t(i) = p(y_{t+1}, \dots, y_T \mid x_t = i)$:
#
# $$\beta_T(i) = 1, \qquad \beta_t(i) = \sum_{j=1}^{K} A_{ij}\, o_{t+1}(j)\, \beta_{t+1}(j).$$
#
# This time the sum runs over the state $j$ the chain goes *to*. Scaled with the forward normalisers it stays near 1:
#
# $$\hat\beta_T(i) = 1, \qquad \hat\beta_t(i) = \frac{1}{c_{t+1}} \sum_{j} A_{ij}\, o_{t+1}(j)\, \hat\beta_{t+1}(j).$$

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercise 2: The scaled backward pass
#
# *⏱ about 7 min (37 of 45 min so far)*
#
# Implement the scaled backward recursion, reusing the `c` of the forward pass. Fill in every `...`, the loop's range
# included.

# %% tags=["slides-code"]
def backward(obs, A, c):
    """Scaled backward pass of an HMM, all trials at once.

    Parameters
    ----------
    obs : ndarray, shape (n_trials, T, K)
        Emission probabilities, as given to ``forward``.
    A : ndarray, shape (K, K)
        Transition matrix, ``A[i, j] = P(x[t+1] = j | x[t] = i)``.
    c : ndarray, shape (n_trials, T)
        Normalisers returned by ``forward``.

    Returns
    -------
    beta : ndarray, shape (n_trials, T, K)
        Scaled backward messages; ``alpha * beta`` is the posterior ``p(x[t] = k | Y)``.
    """
    n_trials, T, K = obs.shape
    beta = np.empty((n_trials, T, K))
    ### BEGIN SOLUTION
    #> beta[:, T - 1] = ...      # nothing is observed after the last bin
    #> for t in ...:             # every earlier bin, from the end towards the start
    #>     beta[:, t] = ...      # sum over the NEXT state, scaled by the normaliser of bin t + 1
    beta[:, T - 1] = 1.0
    for t in range(T - 2, -1, -1):
        beta[:, t] = ((obs[:, t + 1] * beta[:, t + 1]) @ A.T) / c[:, t + 1, None]
    ### END SOLUTION
    return beta


# %% [markdown]
# <details><summary>Hint 1: the idea</summary>
#
# $\hat\beta_t$ needs $\hat\beta_{t+1}$, so the loop runs backwards, down to the first bin. What $\hat\beta_t(i)$ sums
# is everything that happens *after* bin $t$: the move to $j$, bin $t+1$'s evidence, and $\hat\beta_{t+1}(j)$.
#
# </details>
#
# <details><summary>Hint 2: shapes and axes</summary>
#
# For a (n_trials, K) array `v`, the sum $\sum_j A_{ij} v_j$ for every trial and every $i$ sums over the *column* index of
# `A`: it is a matrix product with the transpose of `A`. Divide by `c[:, t + 1, None]`. `range(start, stop, -1)` stops
# *before* `stop`: to include bin 0 the stop must be -1.
#
# </details>
#
# <details><summary>Hint 3: nearly code</summary>
#
# `for t in range(T - 2, -1, -1):` then `beta[:, t] = ((obs[:, t + 1] * beta[:, t + 1]) @ A.T) / c[:, t + 1, None]`.
#
# </details>
#
# The worked answer is in `solutions/02_forward_backward.ipynb`, Exercise 2.

# %%
ok_backward = checks.check_backward(backward)
backward_used = checks.fallback(backward, ok_backward, helpers.backward)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Section 5: Posteriors, checked by brute force
#
# *⏱ about 4 min (41 of 45 min so far)*
#
# Past and future meet in bin $t$; dividing by $p(y_{1:T})$, the scale factors cancel. For a transition $i \to j$
# between bins $t$ and $t + 1$ (the M-step needs it for $A$):
#
# $$\gamma_t(k) = p(x_t = k \mid y_{1:T}) = \hat\alpha_t(k)\, \hat\beta_t(k), \qquad
# \xi_t(i, j) = p(x_t = i,\, x_{t+1} = j \mid y_{1:T}) = \frac{\hat\alpha_t(i)\, A_{ij}\, o_{t+1}(j)\, \hat\beta_{t+1}(j)}{c_{t+1}}.$$
#
# On a small example (3 states, 2 neurons, 4 trials of 5 bins of 50 ms) there are only $3^5 = 243$ paths per trial,
# so the defining sums can be computed term by term and compared.

# %%
psi_s = np.array([0.5, 0.3, 0.2])
A_s = np.array([[0.80, 0.15, 0.05],
                [0.10, 0.70, 0.20],
                [0.20, 0.20, 0.60]])
L_s = np.array([[5.0, 30.0, 60.0],                     # Hz, (C, K)
                [40.0, 10.0, 20.0]])
dt_s = 0.05
rng = np.random.default_rng(2)
Y_s = helpers.sample_spikes(helpers.sample_states(psi_s, A_s, 4, 5, rng), L_s, dt_s, rng)
obs_s = helpers.emission_likelihood(Y_s, L_s, dt_s)   # (4, 5, 3)

alpha_s, c_s = forward_used(obs_s, psi_s, A_s)
beta_s = backward_used(obs_s, A_s, c_s)
gamma_s = alpha_s * beta_s                                                   # (n, T, K)
xi_s = (alpha_s[:, :-1, :, None] * A_s                                       # alpha_t(i) A_ij
        * (obs_s[:, 1:] * beta_s[:, 1:] / c_s[:, 1:, None])[:, :, None, :])  # o_{t+1}(j) beta_{t+1}(j) / c_{t+1}


def brute_force(obs, psi, A):
    """log p(y_1:T), gamma and xi of every trial, by enumerating all K**T state paths."""
    n, T, K = obs.shape
    log_p, gamma, xi = np.empty(n), np.zeros((n, T, K)), np.zeros((n, T - 1, K, K))
    bins = np.arange(T)
    for i in range(n):
        total = 0.0
        for path in itertools.product(range(K), repeat=T):
            x = np.array(path)
            p = psi[x[0]] * obs[i, 0, x[0]] * np.prod(A[x[:-1], x[1:]] * obs[i, bins[1:], x[1:]])
            total += p
            gamma[i, bins, x] += p                     # the path visits state x[t] in bin t
            xi[i, bins[:-1], x[:-1], x[1:]] += p       # and makes the move x[t] -> x[t+1]
        log_p[i], gamma[i], xi[i] = np.log(total), gamma[i] / total, xi[i] / total
    return log_p, gamma, xi


log_p_bf, gamma_bf, xi_bf = brute_force(obs_s, psi_s, A_s)
print(f"log p(y_1:T) agrees to 1e-10: {np.max(np.abs(log_p_bf - np.log(c_s).sum(axis=1))) < 1e-10}")
print(f"gamma        agrees to 1e-10: {np.max(np.abs(gamma_bf - gamma_s)) < 1e-10}")
print(f"xi           agrees to 1e-10: {np.max(np.abs(xi_bf - xi_s)) < 1e-10}")
print(f"sum over j of xi_t(i, j) = gamma_t(i): {np.allclose(xi_s.sum(axis=3), gamma_s[:, :-1])}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Section 6: The E-step on the tutorial data
#
# *⏱ about 4 min (45 of 45 min so far)*
#
# `helpers.e_step` runs the same passes (faster: time is its first axis, and it applies the shift above) and returns
# `.ll` ($\log p(Y)$, nats), `.gamma` and `.xi_sum` ($\sum_{n,t} \xi$, what the M-step needs).

# %%
post = helpers.e_step(Y, psi, A, L, dt)
beta = backward_used(obs, A, c)
print(f"gamma {post.gamma.shape}; same as alpha * beta: {np.allclose(post.gamma, alpha * beta, atol=1e-8)}")

trial = 8                                             # 0-based: the figure says "trial 9"
fig = plotting.plot_posteriors(post.gamma, dt, states=states_true, trial=trial, filtered=alpha)
plotting.show(fig, "Posterior probability of each state over 2 s of trial 9, smoothed (solid) and filtered (dashed), "
                   "under a strip of the true states: the smoothed posterior switches where the truth does.")

# %% [markdown]
# The filtered posterior (dashed) knows only the past: it is noisier and lags at switches. The smoothed one (solid) uses
# the whole trial. Over all $3 \times 10^5$ bins, the most probable state given the past or given everything:

# %%
majority = np.bincount(states_true.ravel(), minlength=K).max() / states_true.size
print(f"always the most common state:   {100 * majority:5.1f} % of bins")
print(f"filtering, argmax alpha_t:      {100 * helpers.decoding_accuracy(states_true, alpha):5.1f} %")
print(f"smoothing, argmax gamma_t:      {100 * helpers.decoding_accuracy(states_true, post.gamma):5.1f} %")

# %% [markdown]
# ### Think! 2: wider bins
#
# Keep the rates and the recording, but double $\Delta t$ to 4 ms. What happens to the evidence in one bin, to $A$, and
# to how sharply the posterior can place a switch?
#
# <details><summary>Discussion</summary>
#
# Each bin now holds twice the expected spikes, so $o_t$ separates the states more per bin, and $A_{ij} \approx r_{ij}\Delta t$
# doubles off the diagonal. There are half as many bins with the same total evidence: the posterior is about as sure
# *which* states occurred, but it can place a switch only to within 4 ms, and a switch inside a bin mixes two states'
# spikes in that bin. Bins far narrower than the gaps between spikes cost time and buy nothing.
#
# </details>
#
# ### Explore: any trial, any time window
#
# The sliders pick the trial (counted from 1, as in the figure titles) and the stretch of time. Look for switches the
# posterior stays unsure for a while, and for visits too short to be seen.

# %% tags=["nbval-ignore-output"]
from helpers import widgets

widgets.explore_posteriors(Y, psi, A, L, dt, states=states_true)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - $p(Y)$ sums over $K^T$ paths; the forward recursion $\alpha_t(j) = o_t(j)\sum_i \alpha_{t-1}(i) A_{ij}$ computes it in
#   $T K^2$ steps.
# - The raw product underflows within a trial; normalising each bin gives $\hat\alpha_t = p(x_t \mid y_{1:t})$ and
#   $\log p(Y) = \sum_t \log c_t$. Emissions can underflow too: shift each bin's log-emissions by their maximum.
# - The backward recursion $\beta_t(i) = \sum_j A_{ij}\, o_{t+1}(j)\, \beta_{t+1}(j)$, scaled by $c_{t+1}$, brings in the
#   future; $\gamma_t = \hat\alpha_t \hat\beta_t$, and $\xi_t$ follows from the same pieces. Both equal brute force.
# - With the true parameters, smoothing decodes most bins; the errors sit near switches and in short visits.
#
# **Next, 03 · The M-step:** turn $\gamma$ and $\xi$ into new parameters $\psi$, $A$, $\lambda$ in closed form.
