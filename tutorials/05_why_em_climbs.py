# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown] slideshow={"slide_type": "slide"}
# # 05 · Why EM climbs
#
# In notebook 04 the log-likelihood never went down, step after step. Here you see why: the E-step and the M-step
# climb one and the same objective, a lower bound that the E-step makes touch the log-likelihood.
#
# **Estimated time:** about 40 minutes.
#
# **Objectives.** By the end you can
#
# - write the EM objective $F(q, \theta)$ two ways: expected complete-data log-likelihood plus entropy, and
#   log-likelihood minus a KL divergence;
# - explain the E-step and the M-step as coordinate ascent on $F$, and derive that EM never lowers the log-likelihood;
# - implement the expected complete-data log-likelihood $Q(\theta)$, including $0 \log 0 = 0$;
# - check the bound in numbers, and read the log-likelihood and the bound along real EM steps.

# %%
import numpy as np
from scipy.special import gammaln, xlogy

import helpers
from helpers import checks, plotting

plotting.use_style()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Recap: notation
#
# *⏱ about 3 min (3 of 40 min so far)*
#
# $K$ states, $C$ neurons, bins of $\Delta t$ seconds, $N$ trials of $T$ bins; $\theta = (\psi, A, \lambda)$ with
# $A_{ij} = p(x_{t+1} = j \mid x_t = i)$ and rates $\lambda_{ck}$ in Hz. We write $x$ for the hidden paths of all
# trials and $\ell(\theta) = \log p(Y \mid \theta)$ for the log-likelihood (nats, summed over trials).
#
# The E-step at $\theta^{\text{old}}$ gives the posteriors $\gamma_{n,t}(k) = p(x_{n,t} = k \mid Y)$ and
# $\xi_{n,t}(i, j) = p(x_{n,t} = i, x_{n,t+1} = j \mid Y)$ (notebook 02); the M-step turns their sums into new
# parameters (notebook 03). The maths counts bins from 1, Python from 0.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Section 1: One objective, two steps
#
# *⏱ about 10 min (13 of 40 min so far)*
#
# Take **any** distribution $q(x)$ over the hidden paths and define
#
# $$F(q, \theta) = \mathbb{E}_{q}\big[\log p(Y, x \mid \theta)\big] + H(q), \qquad H(q) = -\sum_x q(x) \log q(x).$$
#
# Because $p(Y, x \mid \theta) = p(Y \mid \theta)\, p(x \mid Y, \theta)$ and $\sum_x q(x) = 1$,
#
# $$F(q, \theta) = \sum_x q(x) \log \frac{p(Y \mid \theta)\, p(x \mid Y, \theta)}{q(x)}
# = \ell(\theta) - \mathrm{KL}\big(q \,\|\, p(x \mid Y, \theta)\big).$$
#
# A KL divergence is never negative and is 0 only when the two distributions are equal. So $F \le \ell$ for every
# $q$ and every $\theta$: $F$ is a **lower bound** on the log-likelihood.
#
# **EM is coordinate ascent on $F$**, one argument at a time:
#
# - **E-step** (maximise over $q$, $\theta^{(m)}$ fixed): by the second form, the best $q$ makes the KL zero,
#   $q^{(m)} = p(x \mid Y, \theta^{(m)})$, and then $F = \ell(\theta^{(m)})$.
# - **M-step** (maximise over $\theta$, $q^{(m)}$ fixed): by the first form, $H(q^{(m)})$ does not depend on
#   $\theta$, so the M-step maximises $Q(\theta) = \mathbb{E}_{q^{(m)}}[\log p(Y, x \mid \theta)]$: exactly the
#   closed-form updates of notebook 03.

# %% [markdown]
# ### Think! 1: why EM never goes downhill
#
# Using only the two bullet points above, show that $\ell(\theta^{(m+1)}) \ge \ell(\theta^{(m)})$.
#
# <details><summary>Discussion</summary>
#
# Three steps:
# $\ell(\theta^{(m+1)}) \ge F(q^{(m)}, \theta^{(m+1)})$ (the bound holds everywhere)
# $\ge F(q^{(m)}, \theta^{(m)})$ (the M-step maximises over $\theta$)
# $= \ell(\theta^{(m)})$ (the E-step made the KL zero).
# The log-likelihood gains what $Q$ gained plus $\mathrm{KL}(q^{(m)} \| p(x \mid Y, \theta^{(m+1)})) \ge 0$. Any
# $\theta$ that does not lower $Q$ would do ("generalised EM"); the exact maximum is a bonus.
#
# </details>

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The picture
#
# Sixty trials of 0.6 s from the series' true model, and EM from a data-driven starting guess $\theta^{(0)}$.
# `helpers.scan_ll_ecll` runs 6 EM steps and records $\ell$ and $F$ along each of them (Section 3 uses all of it); the
# figure shows the first four, one half-step at a time.

# %%
data = helpers.tutorial_data(n_trials=60, T=300)          # 60 trials x 300 bins (0.6 s)
Y, dt = data["Y"], data["dt"]
theta_true = (data["psi"], data["A"], data["L"])
K = theta_true[0].size
theta_0 = helpers.initial_params(Y, K, dt, np.random.default_rng(0))
scans = helpers.scan_ll_ecll(Y, *theta_0, dt, n_epochs=6, n_points=7)

fig = plotting.plot_coordinate_ascent(scans, n_steps=4)
plotting.show(fig, "The log-likelihood and the bound F over the first four EM steps, in alternating E- and M-steps: "
                   "F rises at every half-step, meets the log-likelihood after each E-step and lies below it after "
                   "each M-step, by the KL gap.")

# %% [markdown]
# Each M-step moves $\theta$: $F$ rises, and $\ell$ rises by more, which opens the KL gap. Each E-step moves $q$ and
# closes the gap. Neither step can make $F$ fall, and after every E-step $F$ *is* $\ell$.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercise 1: the expected complete-data log-likelihood
#
# *⏱ about 12 min (25 of 40 min so far)*
#
# With $q$ the posterior at $\theta^{\text{old}}$, $Q(\theta) = \mathbb{E}_q[\log p(Y, x \mid \theta)]$ needs only
# expected counts: $N_k = \sum_n \gamma_{n,1}(k)$ (trials starting in $k$), $\Xi_{ij} = \sum_{n,t} \xi_{n,t}(i,j)$
# (`xi_sum`, jumps $i \to j$), $O_k = \sum_{n,t} \gamma_{n,t}(k)$ (bins in $k$) and
# $S_{ck} = \sum_{n,t} \gamma_{n,t}(k)\, y_{n,t,c}$ (spikes of neuron $c$ in $k$):
#
# $$Q(\theta) = \sum_k N_k \log \psi_k + \sum_{i,j} \Xi_{ij} \log A_{ij}
# + \sum_{c,k} \big( S_{ck} \log(\lambda_{ck} \Delta t) - O_k\, \lambda_{ck} \Delta t \big)
# - \sum_{n,t,c} \log y_{n,t,c}!$$
#
# The M-step may drop $\log y!$; we keep it, so that $Q + H$ and $\ell$ are on the same scale.
#
# **Zeros.** $\psi_k = 0$ (no trial starts in $k$) and $A_{ij} = 0$ (a forbidden jump) are allowed. The posterior
# then gives them weight exactly 0, and the term must be $0 \log 0 = 0$, its limit. In numpy `0 * np.log(0.0)` is
# `nan`; `xlogy(0.0, 0.0)` from `scipy.special` is `0.0`. Also from there: `gammaln(y + 1)` $= \log y!$.
#
# Complete `ecll`: fill in every `...` with whole-array operations (no loop over trials or time).

# %% tags=["slides-code"]
def ecll(Y, gamma, xi_sum, psi, A, L, dt):
    """Expected complete-data log-likelihood Q(theta) of a Poisson HMM.

    Parameters
    ----------
    Y : ndarray of int, shape (n_trials, T, C)
        Spike counts per bin.
    gamma : ndarray, shape (n_trials, T, K)
        Posteriors at theta_old, ``gamma[n, t, k] = p(x[n, t] = k | Y)``.
    xi_sum : ndarray, shape (K, K)
        Expected transition counts at theta_old: ``xi_sum[i, j]`` = expected number of jumps i -> j.
    psi : ndarray, shape (K,)
        Initial state distribution of theta, the point where Q is evaluated (zeros allowed).
    A : ndarray, shape (K, K)
        Transition matrix of theta, ``A[i, j] = P(x[t+1] = j | x[t] = i)`` (zeros allowed).
    L : ndarray, shape (C, K)
        Firing rates of theta in Hz.
    dt : float
        Bin width in seconds.

    Returns
    -------
    float
        Q(theta) in nats, summed over trials, including the -log(y!) term.
    """
    rate = L * dt                       # (C, K): expected count per bin
    ### BEGIN SOLUTION
    #> starts = ...                        # (K,): N_k, expected number of trials that start in state k
    #> occupancy = ...                     # (K,): O_k, expected number of bins in state k
    #> spikes = ...                        # (C, K): S_ck, expected spikes of neuron c while in state k
    #> q_start = ...                       # sum_k N_k log psi_k, with 0 log 0 = 0
    #> q_jumps = ...                       # sum_ij Xi_ij log A_ij, with 0 log 0 = 0
    #> q_spikes = ...                      # sum_ck [S_ck log(rate_ck) - O_k rate_ck]
    #> q_logfact = ...                     # sum over n, t, c of log(y!)
    starts = gamma[:, 0].sum(axis=0)
    occupancy = gamma.sum(axis=(0, 1))
    spikes = np.einsum("ntc,ntk->ck", Y, gamma)
    q_start = xlogy(starts, psi).sum()
    q_jumps = xlogy(xi_sum, A).sum()
    q_spikes = xlogy(spikes, rate).sum() - (occupancy * rate.sum(axis=0)).sum()
    q_logfact = gammaln(Y + 1.0).sum()  # each bin's posterior weights sum to 1
    ### END SOLUTION
    return float(q_start + q_jumps + q_spikes - q_logfact)


# %% [markdown]
# <details><summary>Hint 1: the idea</summary>
#
# Every term is an expected count times a log-probability. The counts are sums of the posteriors over the axes that do
# not name a state: over trials for the starts (first bin only), over trials and bins for the occupancy. For $S$,
# weight each count $y_{n,t,c}$ by $\gamma_{n,t}(k)$ and sum over trials and bins.
#
# </details>
#
# <details><summary>Hint 2: shapes and axes</summary>
#
# `gamma[:, 0]` is `(n_trials, K)`. $S$ contracts `Y` `(n, T, C)` with `gamma` `(n, T, K)` over the two shared axes:
# `np.einsum` with subscripts for `(n, t, c)` and `(n, t, k)` giving `(c, k)`, or reshape both to `(n * T, ...)` and
# use a matrix product. Wherever a weight may be 0, take `xlogy(weight, probability)` and sum. Since
# $\sum_k \gamma_{n,t}(k) = 1$, the $\log y!$ term is the plain sum of `gammaln(Y + 1)`.
#
# </details>
#
# <details><summary>Hint 3: nearly code</summary>
#
# `starts = gamma[:, 0].sum(axis=0)`, `spikes = np.einsum("ntc,ntk->ck", Y, gamma)`,
# `q_start = xlogy(starts, psi).sum()`, the same with `xi_sum` and `A`; for the spikes
# `xlogy(spikes, rate).sum()` minus `(occupancy * rate.sum(axis=0)).sum()`.
#
# </details>
#
# The worked answer is in `solutions/05_why_em_climbs.ipynb`, Exercise 1.

# %%
ok_ecll = checks.check_ecll(ecll)
ecll_used = checks.fallback(ecll, ok_ecll, helpers.expected_complete_ll)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Section 2: The bound in numbers
#
# *⏱ about 7 min (32 of 40 min so far)*
#
# Take $\theta^{\text{old}} = \theta^{(0)}$ and its posteriors. We need the entropy $H$ of $q$, a sum over all $K^{NT}$
# paths, but we do not have to enumerate them: at $\theta^{\text{old}}$ the KL is 0, so $H = \ell(\theta^{\text{old}}) -
# Q(\theta^{\text{old}})$. Independently, given $Y$ the path of a trial is again a Markov chain (start probabilities
# $\gamma_{n,1}$, jump probabilities $\xi_{n,t}(i,j) / \gamma_{n,t}(i)$), whose entropy is that of the start plus
# that of every jump:
#
# $$H = -\sum_n \Big[\sum_i \gamma_{n,1}(i) \log \gamma_{n,1}(i)
# + \sum_{t=1}^{T-1} \sum_{i,j} \xi_{n,t}(i,j) \log \frac{\xi_{n,t}(i,j)}{\gamma_{n,t}(i)}\Big].$$

# %%
post = helpers.e_step(Y, *theta_0, dt, return_xi=True)
H = post.ll - ecll_used(Y, post.gamma, post.xi_sum, *theta_0, dt)
g, xi = post.gamma, post.xi                                # (n, T, K), (n, T-1, K, K)
H_chain = -(xlogy(g[:, 0], g[:, 0]).sum() + xlogy(xi, xi).sum() - xlogy(xi, g[:, :-1, :, None]).sum())
print(f"log-likelihood at theta_old: {post.ll:.1f} nats")
print(f"H = log-likelihood - Q at theta_old: {H:.2f} nats;  H from the posterior chain: {H_chain:.2f} nats")

# %% [markdown]
# ### Think! 2: where does the bound touch?
#
# The next cell evaluates $\ell(\theta)$ and $Q(\theta) + H$ (same $q$, same $H$) at $\theta^{\text{old}}$, at the M-step's
# $\theta^{\text{new}}$, at the true parameters and at three random guesses. Predict: where is the gap zero? Which row
# has the largest $Q + H$? Must $\theta^{\text{new}}$ beat $\theta^{\text{old}}$ in $\ell$, and the truth?
#
# <details><summary>Discussion</summary>
#
# The gap $\ell - (Q + H)$ is $\mathrm{KL}(q \| p(x \mid Y, \theta))$: zero only at $\theta^{\text{old}}$, whose
# posterior $q$ is. $\theta^{\text{new}}$ maximises $Q$, so it has the largest $Q + H$ of all rows, and
# $\ell(\theta^{\text{new}}) \ge Q(\theta^{\text{new}}) + H \ge Q(\theta^{\text{old}}) + H = \ell(\theta^{\text{old}})$.
# Nothing forces it past the truth: the bound is tight only at $\theta^{\text{old}}$, and one step goes only part of
# the way.
#
# </details>

# %%
theta_new = helpers.m_step(Y, post.gamma, post.xi_sum, dt)
rng = np.random.default_rng(2)
candidates = [("theta_old", theta_0), ("theta_new (M-step)", theta_new), ("true parameters", theta_true)]
candidates += [(f"random guess {i + 1}", helpers.initial_params(Y, K, dt, rng)) for i in range(3)]

print(f"{'parameters':<20} {'log-lik.':>9} {'Q + H':>9} {'gap = KL':>9}   (nats)")
for name, theta in candidates:
    ll = helpers.log_likelihood(Y, *theta, dt)
    bound = ecll_used(Y, post.gamma, post.xi_sum, *theta, dt) + H
    print(f"{name:<20} {ll:9.1f} {bound:9.1f} {round(ll - bound, 2) + 0.0:9.2f}")  # + 0.0: no "-0.00"

# %% [markdown]
# **How far does one step go?** That depends on the start. The same first step from 20 starting guesses
# (seeds 0-19), measured as the share of the way from $\ell(\theta^{\text{old}})$ to $\ell(\theta_{\text{true}})$:

# %%
ll_true = helpers.log_likelihood(Y, *theta_true, dt)
share, beyond = [], []
for seed in range(20):
    start = helpers.initial_params(Y, K, dt, np.random.default_rng(seed))
    p = helpers.e_step(Y, *start, dt)
    ll_new = helpers.log_likelihood(Y, *helpers.m_step(Y, p.gamma, p.xi_sum, dt), dt)
    share.append((ll_new - p.ll) / (ll_true - p.ll))
    beyond.append(ll_new - ll_true)
print(f"share of the way to the truth's log-likelihood: median {np.median(share):.0%}, "
      f"range {min(share):.0%} to {max(share):.0%}")
print(f"log-lik.(theta_new) - log-lik.(truth): median {np.median(beyond):.0f} nats, "
      f"range {min(beyond):.0f} to {max(beyond):.0f}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Section 3: The log-likelihood and the bound along every EM step
#
# *⏱ about 8 min (40 of 40 min so far)*
#
# Step $m$ goes from $\theta^{(m-1)}$ to $\theta^{(m)}$. Walk the straight line through them,
# $\theta(b) = \theta^{(m-1)} + b\,(\theta^{(m)} - \theta^{(m-1)})$: $b = 0$ is the start, $b = 1$ the M-step's answer,
# and $b$ runs from $-1$ to $2$ (less where a parameter would reach 0). At every point the scans of Section 1 hold
# $\ell(\theta(b))$ and $Q(\theta(b)) + H$, with $Q$ and $H$ from the E-step at $\theta^{(m-1)}$. Three of the six steps:

# %%
fig = plotting.plot_ll_ecll([scans[m - 1] for m in (1, 3, 6)], ncols=3)
plotting.show(fig, "Three panels, EM steps 1, 3 and 6: along the line from the old to the new parameters the bound "
                   "lies below the log-likelihood, touches it at the old parameters and peaks at the new ones; the "
                   "y-range shrinks from over a thousand nats in step 1 to about two in step 6.")

# %% [markdown] slideshow={"slide_type": "subslide"}
# In every panel (values relative to $\ell(\theta^{(m-1)})$): the bound touches $\ell$ at $b = 0$, peaks at $b = 1$
# (the M-step is the exact maximiser of $Q$, which is concave along the line), and $\ell$ at $b = 1$ lies above that
# peak. The gains per step, and how much higher $\ell$ gets beyond $b = 1$ on the same line:

# %%
print(f"{'step':>4} {'log-lik. gain':>14} {'Q gain':>8} {'KL gap':>8} {'more beyond b = 1':>18}   (nats)")
for sc in scans:  # sc.epoch counts from 0: scans[m - 1] is EM step m
    i0, i1 = np.flatnonzero(sc.b == 0.0)[0], np.flatnonzero(sc.b == 1.0)[0]
    ll_gain, q_gain = sc.ll[i1] - sc.ll[i0], sc.bound[i1] - sc.bound[i0]
    more = sc.ll[sc.b > 1.0].max(initial=sc.ll[i1]) - sc.ll[i1]
    print(f"{sc.epoch + 1:>4} {ll_gain:14.1f} {q_gain:8.1f} {ll_gain - q_gain:8.1f} {more:18.1f}")

# %% [markdown]
# ### Think! 3: cautious steps
#
# Where the last column is positive, a longer step along the same line would have gained more. Why does EM not take
# it, and what would a longer step risk?
#
# <details><summary>Discussion</summary>
#
# The M-step maximises the bound, not $\ell$: it goes exactly where $Q$ peaks, and $Q$ is built from the *old*
# posteriors. Beyond $b = 1$ there is no guarantee; a longer step can lower $\ell$ or leave the valid parameters
# (rates below 0). This caution is why EM slows down near the optimum; over-relaxed and accelerated variants of EM
# extrapolate with safeguards.
#
# </details>
#
# ### Explore: one EM step at a time
#
# The same scans, one step per view. Move the slider: the KL gap at $b = 1$ shrinks as EM converges, and so does the
# range of the y-axis.

# %% tags=["nbval-ignore-output"]
from helpers import widgets

widgets.explore_em_epochs(Y, *theta_0, dt, scans=scans)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - For any $q$: $F(q, \theta) = \mathbb{E}_q[\log p(Y, x \mid \theta)] + H(q) = \ell(\theta) - \mathrm{KL}(q \,\|\, p(x \mid Y, \theta)) \le \ell(\theta)$.
# - EM is coordinate ascent on $F$: the E-step sets $q$ to the posterior (KL = 0, $F = \ell$), the M-step maximises
#   $Q$ over $\theta$. Hence $\ell$ never decreases, and it gains at least what $Q$ gained.
# - $Q$ needs only expected counts; keep $\log y!$ to compare with $\ell$, and use $0 \log 0 = 0$ (`xlogy`).
# - The bound touches $\ell$ only at $\theta^{\text{old}}$; how far one step goes depends on where EM starts.
#
# **Next, 06 · Checking the model:** how much data recovers the parameters, decoding the hidden states (Viterbi),
# and choosing the number of states.
