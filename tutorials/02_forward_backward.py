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
# Given the parameters, how probable is each hidden state in every bin of every trial, and how probable are
# the data? Two recursions answer both exactly, in time linear in the length of the recording.

# %%
import itertools

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
# - explain why $p(Y)$ cannot be computed by summing over state paths, and how the forward recursion does it
#   in $O(T K^2)$;
# - show why the recursion must be scaled (or run in logs), and read $\log p(Y) = \sum_t \log c_t$;
# - implement the scaled forward and backward passes for many trials at once;
# - assemble the posteriors $\gamma_t(k)$ and $\xi_t(i, j)$ and verify them against brute-force enumeration;
# - decode the hidden states of the tutorial data and judge how well that works.

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
# The maths numbers states $1, \dots, K$ and bins $1, \dots, T$; Python indexes both from 0;
# figures say "state 1" ... "state K".

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Emission probabilities
#
# Everything the E-step needs from the spikes is one number per bin and state: the probability of that bin's
# counts if the network were in state $k$. The neurons are independent given the state, so
#
# $$o_t(k) = p(y_t \mid x_t = k) = \prod_{c=1}^{C} \frac{(\lambda_{ck}\Delta t)^{y_{t,c}}\, e^{-\lambda_{ck}\Delta t}}{y_{t,c}!}.$$
#
# We use the tutorial data set (300 trials of 2 s) and, in this notebook, the **true** parameters.

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

# %% [markdown]
# An empty bin is likely in every state (0.77-0.80): it carries little evidence. One spike of neuron 5 (bin 1)
# makes state 3 more than five times as likely as state 1. Evidence builds up over many bins, tied together by
# the dynamics $A$: that is what the recursions below do.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The likelihood sums over every path
#
# The probability of one trial's data sums the joint probability over every possible state path:
#
# $$p(y_{1:T}) = \sum_{x_1=1}^{K} \cdots \sum_{x_T=1}^{K} \psi_{x_1}\, o_1(x_1) \prod_{t=2}^{T} A_{x_{t-1} x_t}\, o_t(x_t).$$
#
# That is $K^T$ terms. Trials are independent, so $\log p(Y) = \sum_n \log p(y^{(n)}_{1:T})$.

# %%
print(f"paths per trial: K^T = {K}^{T} = 10^{T * np.log10(K):.0f}")
print(f"at a billion paths per second: 10^{T * np.log10(K) - 9 - np.log10(3.15e7):.0f} years per trial")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The forward recursion
#
# Let $\alpha_t(j) = p(y_1, \dots, y_t,\, x_t = j)$. Pushing the sums inside the product gives a recursion that
# reuses the previous bin's result:
#
# $$\alpha_1(j) = \psi_j\, o_1(j), \qquad
# \alpha_t(j) = o_t(j) \sum_{i=1}^{K} \alpha_{t-1}(i)\, A_{ij}, \qquad
# p(y_{1:T}) = \sum_{j=1}^{K} \alpha_T(j).$$
#
# The sum runs over the *row* index $i$ (where the chain was), so for row vectors it is a vector-matrix
# product: `alpha_prev @ A`. Cost: $T K^2$ operations instead of $K^T$.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The naive recursion underflows
#
# Run exactly these equations on trial 1 and watch $p(y_1, \dots, y_t) = \sum_j \alpha_t(j)$ as $t$ grows.

# %%
o = obs[0]                                  # trial 1, (T, K)
a = psi * o[0]                              # alpha_1
p_naive = np.empty(T)                       # p(y_1..y_t) for t = 1..T
p_naive[0] = a.sum()
for t in range(1, T):
    a = (a @ A) * o[t]
    p_naive[t] = a.sum()

t_zero = np.flatnonzero(p_naive == 0.0)[0]
print(f"p(y_1..y_t) after  100 bins: {p_naive[99]:.2e}")
print(f"p(y_1..y_t) after  500 bins: {p_naive[499]:.2e}")
print(f"exactly 0.0 from bin {t_zero + 1} on ({(t_zero + 1) * dt:.2f} s into a {T * dt:.0f}-s trial)")
print(f"p(y_1..y_T) = {p_naive[-1]:.1f}")

# %% [markdown]
# Every bin multiplies the running product by a number below 1 (about 0.4 here, as a geometric mean), so it shrinks
# geometrically until it falls below the smallest float64, about $5 \times 10^{-324}$, and becomes exactly 0.
# More neurons or finer bins make it happen sooner (in seconds of recording), longer trials make it certain.
# Yet its logarithm is an ordinary number:

# %%
_, c_ref = helpers.forward(obs[:1], psi, A)          # the scaled pass you will write next
log_p_t = np.cumsum(np.log(c_ref[0]))                # log p(y_1..y_t), nats
print(f"log p(y_1..y_T) of trial 1 = {log_p_t[-1]:.1f} nats")

T_values = np.arange(20, T + 1, 20)
fig = plotting.plot_underflow(T_values, p_naive[T_values - 1], log_p_t[T_values - 1])
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The scaled forward recursion
#
# Normalise $\alpha$ in every bin and keep the normaliser. With $\hat\alpha_t(j) = p(x_t = j \mid y_{1:t})$,
#
# $$c_1 = \sum_{j} \psi_j\, o_1(j), \qquad \hat\alpha_1(j) = \frac{\psi_j\, o_1(j)}{c_1},$$
#
# $$c_t = \sum_{j} o_t(j) \sum_{i} \hat\alpha_{t-1}(i)\, A_{ij}, \qquad
# \hat\alpha_t(j) = \frac{o_t(j) \sum_{i} \hat\alpha_{t-1}(i)\, A_{ij}}{c_t}.$$
#
# Then $c_t = p(y_t \mid y_{1:t-1})$, and the chain rule $p(y_{1:T}) = \prod_t p(y_t \mid y_{1:t-1})$ gives
#
# $$\log p(y_{1:T}) = \sum_{t=1}^{T} \log c_t, \qquad \alpha_t(j) = \hat\alpha_t(j) \prod_{s \le t} c_s.$$

# %% [markdown] slideshow={"slide_type": "subslide"}
# **The log-space alternative.** One can instead carry $\log\alpha_t$ and replace the sum by a log-sum-exp,
# $\log\alpha_t(j) = \log o_t(j) + \operatorname{logsumexp}_i\big[\log\alpha_{t-1}(i) + \log A_{ij}\big]$.
# It is just as exact, but costs an `exp` and a `log` per entry and step; scaling needs one sum and one division.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercise 1: the scaled forward pass
#
# Implement the equations above for all trials at once: `alpha[:, t]` has shape (n_trials, K), one row per
# trial, so one line per bin updates every trial. Loop over time only.

# %%
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
    # HINT: bin 0 has no previous bin: start from psi * obs[:, 0], shape (n_trials, K)
    # HINT: bin t: first predict with A (sum over the PREVIOUS state i: on which side of A does alpha go?), then weigh by obs[:, t]
    # HINT: c[:, t] is the sum over states of the unnormalised vector; divide by it (c[:, t, None] broadcasts over K) before storing alpha[:, t]
    a = psi * obs[:, 0]                         # (n_trials, K)
    c[:, 0] = a.sum(axis=1)
    alpha[:, 0] = a / c[:, 0, None]
    for t in range(1, T):
        a = (alpha[:, t - 1] @ A) * obs[:, t]   # predict with A, then weigh by the new bin's evidence
        c[:, t] = a.sum(axis=1)
        alpha[:, t] = a / c[:, t, None]
    ### END SOLUTION
    return alpha, c


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
# ## The backward recursion
#
# The forward pass uses the past only. To use the future as well, let $\beta_t(i) = p(y_{t+1}, \dots, y_T \mid x_t = i)$:
#
# $$\beta_T(i) = 1, \qquad \beta_t(i) = \sum_{j=1}^{K} A_{ij}\, o_{t+1}(j)\, \beta_{t+1}(j).$$
#
# Now the sum runs over the *column* index $j$ (where the chain goes), so for row vectors it is
# `(obs_next * beta_next) @ A.T`. Scaled with the forward pass's normalisers it stays in a safe range
# (its average under $\hat\alpha_t$ is exactly 1):
#
# $$\hat\beta_T(i) = 1, \qquad \hat\beta_t(i) = \frac{1}{c_{t+1}} \sum_{j} A_{ij}\, o_{t+1}(j)\, \hat\beta_{t+1}(j),
# \qquad \beta_t(i) = \hat\beta_t(i) \prod_{s > t} c_s.$$

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercise 2: the scaled backward pass
#
# Implement the scaled backward equations above: set $\hat\beta_T = 1$, loop $t = T-1, \dots, 1$, and reuse the `c`
# returned by your forward pass.

# %%
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
        Scaled backward messages ``p(y[t+1..T-1] | x[t] = k) / p(y[t+1..T-1] | y[0..t])``;
        ``alpha * beta`` is the posterior ``p(x[t] = k | Y)``.
    """
    n_trials, T, K = obs.shape
    beta = np.empty((n_trials, T, K))
    ### BEGIN SOLUTION
    # HINT: nothing is observed after the last bin: beta[:, T - 1] = 1; then go backwards with range(T - 2, -1, -1)
    # HINT: for a (n_trials, K) array v, the sum over the NEXT state j of A[i, j] * v[:, j] is v @ A.T
    # HINT: v combines the evidence of bin t + 1 with beta of bin t + 1; divide the result by the normaliser of bin t + 1
    beta[:, T - 1] = 1.0
    for t in range(T - 2, -1, -1):
        v = obs[:, t + 1] * beta[:, t + 1]      # evidence of bin t+1 and everything after it
        beta[:, t] = (v @ A.T) / c[:, t + 1, None]
    ### END SOLUTION
    return beta


# %%
ok_backward = checks.check_backward(backward)
backward_used = checks.fallback(backward, ok_backward, helpers.backward)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Posteriors
#
# Past and future meet in bin $t$. Dividing by $p(y_{1:T})$, the scale factors cancel:
#
# $$\gamma_t(k) = p(x_t = k \mid y_{1:T}) = \frac{\alpha_t(k)\, \beta_t(k)}{p(y_{1:T})} = \hat\alpha_t(k)\, \hat\beta_t(k).$$
#
# The pairwise posterior of a transition $i \to j$ between bins $t$ and $t+1$ (needed by the M-step for $A$):
#
# $$\xi_t(i, j) = p(x_t = i,\, x_{t+1} = j \mid y_{1:T}) = \frac{\alpha_t(i)\, A_{ij}\, o_{t+1}(j)\, \beta_{t+1}(j)}{p(y_{1:T})}
# = \frac{\hat\alpha_t(i)\, A_{ij}\, o_{t+1}(j)\, \hat\beta_{t+1}(j)}{c_{t+1}}.$$

# %% [markdown] slideshow={"slide_type": "subslide"}
# A small example to try it on: $K = 3$ states, $C = 2$ neurons, 4 trials of $T = 5$ bins of 50 ms.

# %%
psi_s = np.array([0.5, 0.3, 0.2])
A_s = np.array([[0.80, 0.15, 0.05],
                [0.10, 0.70, 0.20],
                [0.20, 0.20, 0.60]])
L_s = np.array([[5.0, 30.0, 60.0],                     # Hz, (C, K)
                [40.0, 10.0, 20.0]])
dt_s = 0.05                                            # s
rng = np.random.default_rng(2)
Y_s = helpers.sample_spikes(helpers.sample_states(psi_s, A_s, 4, 5, rng), L_s, dt_s, rng)
obs_s = helpers.emission_likelihood(Y_s, L_s, dt_s)   # (4, 5, 3)

alpha_s, c_s = forward_used(obs_s, psi_s, A_s)
beta_s = backward_used(obs_s, A_s, c_s)
gamma_s = alpha_s * beta_s                                                   # (n, T, K)
xi_s = (alpha_s[:, :-1, :, None] * A_s                                       # alpha_t(i) A_ij
        * (obs_s[:, 1:] * beta_s[:, 1:] / c_s[:, 1:, None])[:, :, None, :])  # o_{t+1}(j) beta_{t+1}(j) / c_{t+1}

print(f"gamma: shape {gamma_s.shape}, xi: shape {xi_s.shape}")
print(f"every gamma_t sums to 1 over k:             {np.allclose(gamma_s.sum(axis=2), 1)}")
print(f"sum over j of xi_t(i, j) equals gamma_t(i):   {np.allclose(xi_s.sum(axis=3), gamma_s[:, :-1])}")
print(f"sum over i of xi_t(i, j) equals gamma_t+1(j): {np.allclose(xi_s.sum(axis=2), gamma_s[:, 1:])}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Brute force: check against every path
#
# For $T = 5$ there are only $3^5 = 243$ paths, so the defining sums can be computed term by term. The posteriors
# are sums over the paths that pass through a state (or a transition), divided by the sum over all paths.

# %%
def brute_force(obs, psi, A):
    """log p(y_1:T), gamma and xi of every trial by enumerating all K**T state paths."""
    n_trials, T, K = obs.shape
    log_p = np.empty(n_trials)
    gamma = np.zeros((n_trials, T, K))
    xi = np.zeros((n_trials, T - 1, K, K))
    bins = np.arange(T)
    for n in range(n_trials):
        total = 0.0
        for path in itertools.product(range(K), repeat=T):
            x = np.array(path)
            p = psi[x[0]] * obs[n, 0, x[0]]               # joint probability p(x, y) of this path
            for t in range(1, T):
                p *= A[x[t - 1], x[t]] * obs[n, t, x[t]]
            total += p
            gamma[n, bins, x] += p                        # the path visits state x[t] in bin t
            xi[n, bins[:-1], x[:-1], x[1:]] += p          # and makes the transition x[t] -> x[t+1]
        log_p[n] = np.log(total)
        gamma[n] /= total
        xi[n] /= total
    return log_p, gamma, xi


log_p_bf, gamma_bf, xi_bf = brute_force(obs_s, psi_s, A_s)
print(f"{K ** 5} paths per trial; log p(y_1:T) per trial (nats): " + ", ".join(f"{v:.2f}" for v in log_p_bf))
print(f"log p(y_1:T) agrees to 1e-10: {np.max(np.abs(log_p_bf - np.log(c_s).sum(axis=1))) < 1e-10}")
print(f"gamma        agrees to 1e-10: {np.max(np.abs(gamma_bf - gamma_s)) < 1e-10}")
print(f"xi           agrees to 1e-10: {np.max(np.abs(xi_bf - xi_s)) < 1e-10}")

# %% [markdown]
# Same numbers, at a cost of $T K^2$ instead of $T K^T$ operations.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The E-step on the tutorial data
#
# `helpers.e_step` runs the same two passes (faster: it stores time as the first axis, so each step reads one
# contiguous block) and returns an object with `.ll` ($\log p(Y)$, nats), `.gamma` and `.xi_sum` ($\sum_{n,t} \xi$).
# Your `alpha * beta` gives the same posteriors:

# %%
post = helpers.e_step(Y, psi, A, L, dt)
beta = backward_used(obs, A, c)
print(f"gamma {post.gamma.shape}; same as alpha * beta: {np.allclose(post.gamma, alpha * beta, atol=1e-8)}")

trial = 8                                             # 0-based: the figure says "trial 9"
fig = plotting.plot_posteriors(post.gamma, dt, states=states_true, trial=trial, filtered=alpha)
plt.show()

# %% [markdown]
# The smoothed posterior (solid) switches where the true state (strip on top) switches and is confident in
# between. The filtered one (dashed, forward pass only) is noisier and lags behind at switches: it only knows
# the past. Very short visits hold only a few spikes, so the posterior can miss them almost entirely:

# %%
s_tr = states_true[trial]
edges = np.flatnonzero(np.diff(s_tr)) + 1              # first bin of every visit after the first
for start, end in zip(np.r_[0, edges], np.r_[edges, T]):
    if (end - start) * dt < 0.05:                      # visits shorter than 50 ms
        k = s_tr[start]
        print(f"trial {trial + 1}: state {k + 1} from {start * dt:.3f} to {end * dt:.3f} s "
              f"({(end - start) * dt * 1000:.0f} ms), largest gamma of state {k + 1} during the visit: "
              f"{post.gamma[trial, start:end, k].max():.2f}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Explore: any trial, any time window
#
# The posteriors of all 300 trials are computed once; the sliders pick which trial (counted from 1, as in the
# figure titles: the figure above is trial 9) and which stretch of time you see. Look for switches the
# posterior catches late, and for visits too short to be seen.

# %% tags=["nbval-ignore-output"]
from helpers import widgets

widgets.explore_posteriors(Y, psi, A, L, dt, states=states_true)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### How well can the states be decoded?
#
# Three decoders, scored against the true states over all $3 \times 10^5$ bins: the most probable state given
# the past (argmax of $\hat\alpha_t$), given all the data (argmax of $\gamma_t$), and the single most probable
# *path* (Viterbi).

# %%
path_viterbi = helpers.viterbi(Y, psi, A, L, dt)
majority = np.bincount(states_true.ravel(), minlength=K).max() / states_true.size
print(f"always the most common state:   {100 * majority:5.1f} % of bins")
print(f"filtering, argmax alpha_t:      {100 * helpers.decoding_accuracy(states_true, alpha):5.1f} %")
print(f"smoothing, argmax gamma_t:      {100 * helpers.decoding_accuracy(states_true, post.gamma):5.1f} %")
print(f"Viterbi path:                   {100 * np.mean(path_viterbi == states_true):5.1f} %")

# %% [markdown]
# Using the future helps a lot. The argmax of $\gamma_t$ maximises the expected number of correct bins, so on
# average it beats Viterbi on this score (here it does); Viterbi instead returns one coherent path, the most
# probable sequence as a whole.
# Most remaining errors lie within a few tens of milliseconds of a switch, or in short visits: a handful of
# spikes cannot pin down the exact bin of a switch.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The data log-likelihood
#
# $\log p(Y)$ is a total over trials, in nats. Per trial and per second of recording it is easier to read, and a
# baseline gives it meaning: a one-state model, i.e. constant Poisson rates equal to each neuron's mean rate.

# %%
duration = n_trials * T * dt                                   # s of recording
L_const = Y.mean(axis=(0, 1))[:, None] / dt                    # (C, 1) Hz
ll_const = helpers.log_likelihood(Y, np.ones(1), np.ones((1, 1)), L_const, dt)
print(f"log p(Y) = {post.ll / n_trials:.1f} nats per trial = {post.ll / duration:.1f} nats per second")
print(f"constant rates:  {ll_const / duration:.1f} nats per second")
print(f"the hidden states explain {(post.ll - ll_const) / duration:.1f} nats per second more")

# %% [markdown]
# EM will use this number to judge parameters: learning means finding $\psi, A, L$ that make $\log p(Y)$ large,
# without knowing the true ones we used here.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - $p(Y)$ sums over $K^T$ paths; the forward recursion $\alpha_t(j) = o_t(j)\sum_i \alpha_{t-1}(i) A_{ij}$ computes
#   it in $T K^2$ operations.
# - The raw product underflows to exactly 0 within one trial; normalising each bin gives
#   $\hat\alpha_t = p(x_t \mid y_{1:t})$ and $\log p(Y) = \sum_t \log c_t$.
# - The backward recursion $\beta_t(i) = \sum_j A_{ij}\, o_{t+1}(j)\, \beta_{t+1}(j)$, scaled by $c_{t+1}$, brings in the
#   future; $\gamma_t = \hat\alpha_t \hat\beta_t$ and $\xi_t(i,j) = \hat\alpha_t(i) A_{ij} o_{t+1}(j) \hat\beta_{t+1}(j) / c_{t+1}$.
# - Forward-backward equals brute-force enumeration; with the true parameters it decodes about 94 % of bins.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Next
#
# **03 · M-step**: turn $\gamma$ and $\xi$ into new parameters $\psi$, $A$ and $L$ in closed form.
