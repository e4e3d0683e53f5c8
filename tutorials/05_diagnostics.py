# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown] slideshow={"slide_type": "slide"}
# # 05 · Diagnostics: why EM climbs, and how far to trust what it learned
#
# A proof that EM never goes downhill, seen in numbers and pictures, then three checks of a fitted model:
# parameter recovery, state decoding, and the choice of the number of states.

# %%
import numpy as np
import matplotlib.pyplot as plt
import helpers
from helpers import checks, plotting
plotting.use_style()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Objectives
#
# - Split the log-likelihood into expected complete log-likelihood + entropy + KL divergence, and derive from it
#   that an EM step can never lower the log-likelihood.
# - Implement the expected complete log-likelihood $Q(\theta)$ and check the bound numerically.
# - See the bound and the log-likelihood along every EM step of a real fit.
# - Measure how parameter errors shrink with more data, and how well the fitted model decodes the hidden states.
# - Choose the number of states $K$ by the log-likelihood of held-out trials.

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
# figures say "state 1" .. "state K". We write $\theta = (\psi, A, \lambda)$ and $\ell(\theta) = \log p(Y \mid \theta)$ (nats).
#
# The E-step at $\theta^{\text{old}}$ gives the posteriors (notebook 02)
#
# $$\gamma_{n,t}(k) = p(x_{n,t} = k \mid Y, \theta^{\text{old}}), \qquad
# \xi_{n,t}(i, j) = p(x_{n,t} = i,\ x_{n,t+1} = j \mid Y, \theta^{\text{old}}),$$
#
# and the M-step maximises $Q(\theta) = \mathbb{E}_{x \sim p(x \mid Y, \theta^{\text{old}})}[\log p(x, Y \mid \theta)]$ (notebook 03).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The EM lower bound
#
# Let $x$ be the hidden paths of all trials and $q(x)$ **any** distribution over them. Because $\sum_x q(x) = 1$ and
# $p(Y \mid \theta) = p(x, Y \mid \theta) / p(x \mid Y, \theta)$ for every $x$:
#
# $$\log p(Y \mid \theta) = \sum_x q(x) \log \frac{p(x, Y \mid \theta)}{p(x \mid Y, \theta)}
# = \underbrace{\sum_x q(x) \log p(x, Y \mid \theta)}_{\mathbb{E}_q[\log p(x, Y \mid \theta)]}
# \;\underbrace{-\sum_x q(x) \log q(x)}_{H(q)}
# \;+\; \underbrace{\sum_x q(x) \log \frac{q(x)}{p(x \mid Y, \theta)}}_{\mathrm{KL}(q \,\|\, p(x \mid Y, \theta)) \;\ge\; 0}$$
#
# (add and subtract $\sum_x q(x) \log q(x)$). The KL divergence is never negative and is zero only when $q$ is the posterior, so
#
# $$\log p(Y \mid \theta) \;\ge\; \mathbb{E}_q[\log p(x, Y \mid \theta)] + H(q) \qquad \text{for every } q \text{ and every } \theta .$$

# %% [markdown] slideshow={"slide_type": "subslide"}
# **EM's choice of $q$.** Take $q(x) = p(x \mid Y, \theta^{\text{old}})$, the posterior of the E-step. Then
# $\mathbb{E}_q[\log p(x, Y \mid \theta)] = Q(\theta)$, the entropy $H = H(q)$ is a number that does not depend on $\theta$,
# and the KL term vanishes at $\theta = \theta^{\text{old}}$:
#
# $$\ell(\theta) \;\ge\; Q(\theta) + H \quad \text{for all } \theta,
# \qquad \ell(\theta^{\text{old}}) = Q(\theta^{\text{old}}) + H .$$
#
# The bound lies below the log-likelihood everywhere and touches it at $\theta^{\text{old}}$. The M-step picks
# $\theta^{\text{new}} = \arg\max_\theta Q(\theta)$, and three lines finish the proof:
#
# $$\begin{aligned}
# \ell(\theta^{\text{new}}) &\ge Q(\theta^{\text{new}}) + H && \text{(the bound holds everywhere)}\\
# &\ge Q(\theta^{\text{old}}) + H && \text{(the M-step maximises } Q\text{)}\\
# &= \ell(\theta^{\text{old}}) && \text{(the bound touches at } \theta^{\text{old}}\text{)}
# \end{aligned}$$
#
# So the log-likelihood gains at least as much as $Q$ did: the extra is $\mathrm{KL}(q \,\|\, p(x \mid Y, \theta^{\text{new}}))$.
# Any $\theta$ with $Q(\theta) \ge Q(\theta^{\text{old}})$ would do ("generalised EM"); the exact maximum is a bonus.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The expected complete log-likelihood, term by term
#
# With the expected counts of notebook 03 ($F_k$ starts, $\Xi_{ij}$ = `xi_sum` transitions, $O_k$ occupancy, $S_{ck}$ spikes per state):
#
# $$Q(\theta) = \sum_{k} F_k \log \psi_k \;+\; \sum_{i,j} \Xi_{ij} \log A_{ij}
# \;+\; \sum_{c,k} \Big( S_{ck} \log(\lambda_{ck} \Delta t) - O_k\, \lambda_{ck} \Delta t \Big)
# \;-\; \sum_{n,t,c} \log y_{n,t,c}!$$
#
# The M-step may drop $\log y!$ (no parameter in it), but here we **keep** it: $\ell$ contains it, and we want to
# compare $Q + H$ with $\ell$ on the same scale. (It enters weighted by $\sum_k \gamma_{n,t}(k) = 1$.)
#
# One convention: $0 \log 0 = 0$ (the limit of $u \log u$). A state that no trial starts in may have $\psi_k = 0$ and $F_k = 0$;
# `0 * np.log(0)` is `nan`, but `scipy.special.xlogy(0, 0)` is `0.0`.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercise: the expected complete log-likelihood
#
# Implement `ecll`: compute the expected counts $F$, $O$ and $S$ from `gamma` (`xi_sum` is already $\Xi$), then the four
# terms of $Q(\theta)$ above.
# Whole-array operations only (no loop over trials or time).

# %%
from scipy.special import gammaln, xlogy


def ecll(Y, gamma, xi_sum, psi, A, L, dt):
    """Expected complete-data log-likelihood Q(theta) of a Poisson HMM.

    Parameters
    ----------
    Y : ndarray of int, shape (n_trials, T, C)
        Spike counts per bin.
    gamma : ndarray, shape (n_trials, T, K)
        Posterior state probabilities at theta_old, ``gamma[n, t, k] = p(x[n, t] = k | Y)``.
    xi_sum : ndarray, shape (K, K)
        Expected transition counts at theta_old, ``xi_sum[i, j]`` = expected number of jumps i -> j.
    psi : ndarray, shape (K,)
        Initial state distribution of theta (the point where Q is evaluated).
    A : ndarray, shape (K, K)
        Transition matrix of theta, ``A[i, j] = P(x[t+1] = j | x[t] = i)``.
    L : ndarray, shape (C, K)
        Firing rates of theta in Hz.
    dt : float
        Bin width in seconds.

    Returns
    -------
    float
        Q(theta) in nats, summed over trials, including the -log(y!) term.
    """
    ### BEGIN SOLUTION
    # HINT: F (K,) sums gamma over trials at the first bin; O (K,) sums gamma over trials and bins
    # HINT: S[c, k] = sum over n, t of Y[n, t, c] * gamma[n, t, k]: np.einsum("ntc,ntk->ck", Y, gamma)
    # HINT: xlogy(a, b) = a * log(b) with xlogy(0, 0) = 0; gammaln(y + 1) = log(y!); the expected count per bin is L * dt
    F = gamma[:, 0].sum(axis=0)                       # (K,) expected starts
    O = gamma.sum(axis=(0, 1))                        # (K,) expected bins per state
    S = np.einsum("ntc,ntk->ck", Y, gamma)            # (C, K) expected spikes per state
    rate = L * dt                                     # (C, K) expected count per bin
    q_init = xlogy(F, psi).sum()
    q_trans = xlogy(xi_sum, A).sum()
    q_rates = xlogy(S, rate).sum() - (O * rate.sum(axis=0)).sum()
    q_logfact = (gammaln(Y + 1.0).sum(axis=2) * gamma.sum(axis=2)).sum()
    q = q_init + q_trans + q_rates - q_logfact
    ### END SOLUTION
    return float(q)


# %%
ok_ecll = checks.check_ecll(ecll)
ecll_used = checks.fallback(ecll, ok_ecll, helpers.expected_complete_ll)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Checking the bound on a small example
#
# Ten trials of 0.4 s, posteriors at a data-driven starting guess $\theta^{\text{old}}$. We do not need to sum over all
# $K^{NT}$ paths to get the entropy: the KL term is zero at $\theta^{\text{old}}$, so
#
# $$H = \ell(\theta^{\text{old}}) - Q(\theta^{\text{old}}) .$$

# %%
data = helpers.tutorial_data()
Y, dt = data["Y"], data["dt"]
theta_true = (data["psi"], data["A"], data["L"])
K = data["psi"].size

Y_small = Y[:10, :200]
theta_old = helpers.initial_params(Y_small, K, dt, np.random.default_rng(1))
post = helpers.e_step(Y_small, *theta_old, dt, return_xi=True)
entropy = post.ll - ecll_used(Y_small, post.gamma, post.xi_sum, *theta_old, dt)
print(f"log-likelihood at theta_old = {post.ll:.1f} nats,  entropy H = {entropy:.1f} nats")

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Is that really an entropy?** Given $Y$, the hidden path of a trial is again a Markov chain, with start probabilities
# $\gamma_{n,1}(i)$ and transition probabilities $\xi_{n,t}(i, j) / \gamma_{n,t}(i)$. Its entropy is the sum of the
# entropies of the start and of every step:
#
# $$H = -\sum_n \Big[ \sum_i \gamma_{n,1}(i) \log \gamma_{n,1}(i)
# + \sum_{t=1}^{T-1} \sum_{i,j} \xi_{n,t}(i, j) \log \frac{\xi_{n,t}(i, j)}{\gamma_{n,t}(i)} \Big]$$

# %%
g, xi = post.gamma, post.xi                     # (n, T, K), (n, T-1, K, K)
H_direct = -(xlogy(g[:, 0], g[:, 0]).sum()
             + xlogy(xi, xi).sum() - xlogy(xi, g[:, :-1, :, None]).sum())
print(f"H from the posterior chain: {H_direct:.1f} nats;  log-likelihood - Q at theta_old: {entropy:.1f} nats")

# %% [markdown] slideshow={"slide_type": "subslide"}
# Now evaluate both sides at other parameter sets: the M-step's $\theta^{\text{new}}$, the true parameters, and three
# random starting guesses. The gap $\ell(\theta) - (Q(\theta) + H)$ is the KL divergence: never negative, zero at $\theta^{\text{old}}$.

# %%
theta_new = helpers.m_step(Y_small, post.gamma, post.xi_sum, dt)
candidates = [("theta_old", theta_old), ("theta_new (M-step)", theta_new), ("true parameters", theta_true)]
rng = np.random.default_rng(2)
candidates += [(f"random guess {i + 1}", helpers.initial_params(Y_small, K, dt, rng)) for i in range(3)]

print(f"{'parameters':<20} {'log-lik.':>9} {'Q + H':>9} {'gap = KL':>9}   (nats)")
lls_small = {}
for name, theta in candidates:
    ll = helpers.log_likelihood(Y_small, *theta, dt)
    bound = ecll_used(Y_small, post.gamma, post.xi_sum, *theta, dt) + entropy
    lls_small[name] = ll
    print(f"{name:<20} {ll:9.1f} {bound:9.1f} {round(ll - bound, 2) + 0.0:9.2f}")  # + 0.0 turns -0.00 into 0.00
print(f"\nlog-likelihood of theta_new minus that of the true parameters: "
      f"{lls_small['theta_new (M-step)'] - lls_small['true parameters']:+.1f} nats")

# %% [markdown]
# Every gap is $\ge 0$, and $\theta^{\text{new}}$ has the highest $Q + H$ of all rows: that is what "the M-step maximises $Q$" means.
# The true parameters have a higher log-likelihood than the guesses but a loose bound: the bound is tight only near $\theta^{\text{old}}$.
# On 10 short trials, one M-step already brings $\theta^{\text{new}}$ close to the truth in $\ell$ (the printed difference):
# it is fitted to this very sample.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The picture: $\ell$ and the bound along every EM step
#
# EM step $m$ goes from $\theta^{(m-1)}$ to $\theta^{(m)}$ ($\theta^{(0)}$ is the start). Walk the straight line between them,
# and beyond on both sides:
#
# $$\theta(b) = \theta^{(m-1)} + b\,\big(\theta^{(m)} - \theta^{(m-1)}\big), \qquad
# b = 0: \theta^{(m-1)}, \quad b = 1: \theta^{(m)} .$$
#
# For $0 \le b \le 1$ the mixture is a valid parameter set (rows still sum to 1, rates stay positive); the scan runs $b$ from
# $-1$ to $2$ where all parameters stay positive, and stops earlier if one would reach 0. `helpers.scan_ll_ecll` runs EM for
# 9 steps on the full tutorial data (300 trials of 2 s) and computes $\ell(\theta(b))$ and $Q(\theta(b)) + H$ at each point,
# with $Q$ and $H$ from the E-step at $\theta^{(m-1)}$.
# The start is a data-driven guess far from the truth, so the early steps are large.

# %%
theta_start = helpers.initial_params(Y, K, dt, np.random.default_rng(0))
scans = helpers.scan_ll_ecll(Y, *theta_start, dt, n_epochs=9, n_points=12)
fig = plotting.plot_ll_ecll(scans)
plt.show()

# %% [markdown] slideshow={"slide_type": "subslide"}
# How to read the panel of step $m$ (values relative to $\ell(\theta^{(m-1)})$):
#
# - the bound (orange squares) lies below the log-likelihood (blue circles) everywhere and **touches** it at $b = 0$;
# - the bound **peaks at** $b = 1$: the M-step is the exact maximiser of $Q$ ($Q$ is concave along the line);
# - the log-likelihood at $b = 1$ lies above the bound's peak, which lies above the touching point: $\ell$ went up;
# - the log-likelihood often keeps rising beyond $b = 1$: EM steps are cautious, one reason why EM converges slowly
#   (over-relaxed and accelerated EM variants exploit this).
#
# The gains per step, in nats (the y-axes of the panels differ by orders of magnitude):

# %%
print(f"{'step':>4} {'log-lik. gain':>14} {'Q gain':>10} {'difference = KL':>16}")
for sc in scans:  # sc.epoch counts from 0: scans[m - 1] is EM step m
    i0, i1 = np.flatnonzero(sc.b == 0.0)[0], np.flatnonzero(sc.b == 1.0)[0]
    ll_gain, q_gain = sc.ll[i1] - sc.ll[i0], sc.bound[i1] - sc.bound[i0]
    print(f"{sc.epoch + 1:>4} {ll_gain:14.1f} {q_gain:10.1f} {ll_gain - q_gain:16.1f}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Explore: one EM step at a time
#
# The same scans, one step per view: move the slider to walk through EM. Watch the gap between the curves at
# $b = 1$ (the KL term) shrink as EM converges, and the range of the y-axis fall from tens of thousands of nats to about one.

# %% tags=["nbval-ignore-output"]
from helpers import widgets

widgets.explore_em_epochs(Y, *theta_start, dt, scans=scans)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Parameter recovery: how much data is enough?
#
# Three independent recordings of 300 trials (2 s each) from the same true model: the tutorial data and two more seeds.
# From each we fit the first $N$ = 10, 30, 100 and 300 trials (2 restarts, at most 100 EM steps), align the state labels
# to the truth (`helpers.recovery_error` calls `helpers.align_states`), and measure the mean absolute error of the rates
# (Hz) and of the off-diagonal transition probabilities.

# %%
recordings = [data] + [helpers.tutorial_data(seed=s) for s in (102, 103)]  # the tutorial data itself is seed 101
sizes = [10, 30, 100, 300]
err_L = np.zeros((len(sizes), len(recordings)))  # (sizes, recordings)
err_A = np.zeros((len(sizes), len(recordings)))
fits = {}
for m, n in enumerate(sizes):
    for r, rec in enumerate(recordings):
        fit = helpers.fit_em(rec["Y"][:n], K, dt, n_iter=100, n_restarts=2, seed=r)
        err = helpers.recovery_error(theta_true, (fit.psi, fit.A, fit.L))
        err_L[m, r], err_A[m, r] = err["L"], err["A"]
        fits[n, r] = fit

print(f"{'trials':>6} {'rate error (Hz)':>16} {'A error (prob./bin)':>20} {'= A error / dt (Hz)':>20}"
      "   (mean over the 3 recordings)")
for m, n in enumerate(sizes):
    print(f"{n:>6} {err_L[m].mean():16.2f} {err_A[m].mean():20.5f} {err_A[m].mean() / dt:20.2f}")

# %%
fig = plotting.plot_recovery(sizes, err_L, err_A)
plt.show()

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Why $1/\sqrt{N}$.** The rate estimate is a count over a time: $\hat\lambda_{ck} = S_{ck} / (O_k \Delta t)$. If the states
# were known, $S_{ck}$ would be a Poisson count with mean $\lambda_{ck} O_k \Delta t$, so
#
# $$\mathrm{sd}(\hat\lambda_{ck}) \approx \sqrt{\frac{\lambda_{ck}}{O_k \Delta t}} \;\propto\; \frac{1}{\sqrt{N}},$$
#
# because the time $O_k \Delta t$ spent in state $k$ grows in proportion to $N$. The transition probabilities are ratios of
# counts too, with the same $1/\sqrt{N}$ behaviour. With this formula (and $\sqrt{2/\pi}\,\mathrm{sd}$, the mean absolute
# value of a normal error), counting alone predicts most of the rate error at 300 trials:

# %%
time_in_state = np.bincount(data["states"].ravel(), minlength=K) * dt  # seconds in each true state, 300 trials
predicted = np.sqrt(2 / np.pi) * np.mean(np.sqrt(data["L"] / time_in_state))
print(f"rate error at 300 trials: predicted with known states {predicted:.2f} Hz (occupancy of the tutorial data), "
      f"measured {err_L[-1].mean():.2f} Hz (mean over the 3 recordings)")
ratio_L, ratio_A = err_L[0].mean() / err_L[-1].mean(), err_A[0].mean() / err_A[-1].mean()
print(f"error at {sizes[0]} trials / error at {sizes[-1]} trials: rates {ratio_L:.1f}, transition probabilities {ratio_A:.1f}"
      f"  (sqrt({sizes[-1]} / {sizes[0]}) = {np.sqrt(sizes[-1] / sizes[0]):.1f})")

# %% [markdown]
# The rest comes from not knowing the states: bins near a switch are shared between states in the posterior.
# At 10 trials (20 s of data) both errors are roughly $\sqrt{30} \approx 5.5$ times larger than at 300 (see the printed
# ratios): a model fitted to a short recording is a rough sketch.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Decoding the hidden states
#
# Take the fit on all 300 trials, relabel its states to match the truth, and run the E-step. Decoding a bin means picking
# its most probable state, $\hat x_{n,t} = \arg\max_k \gamma_{n,t}(k)$; this choice maximises the expected number of
# correctly decoded bins. Viterbi (notebook 02) instead finds the single most probable **path**,
# $\arg\max_x p(x \mid Y, \theta)$.

# %%
fit = fits[300, 0]  # all 300 trials of the tutorial data
p = helpers.align_states(data["L"], fit.L)
theta_fit = (fit.psi[p], fit.A[np.ix_(p, p)], fit.L[:, p])  # state k now means true state k

post_fit = helpers.e_step(Y, *theta_fit, dt)
acc_fit = helpers.decoding_accuracy(data["states"], post_fit.gamma)
acc_true = helpers.decoding_accuracy(data["states"], helpers.e_step(Y, *theta_true, dt).gamma)
path = helpers.viterbi(Y, *theta_fit, dt)
acc_viterbi = np.mean(path == data["states"])

print(f"posterior argmax, fitted parameters: {100 * acc_fit:.1f} % of bins correct")
print(f"posterior argmax, true parameters:   {100 * acc_true:.1f} %")
print(f"Viterbi path, fitted parameters:     {100 * acc_viterbi:.1f} %")
n_bins = Y.shape[0] * Y.shape[1]
print(f"spikes per {dt * 1000:.0f}-ms bin, all {Y.shape[2]} neurons together: {Y.sum() / n_bins:.2f} on average; "
      f"{100 * np.mean(Y.sum(axis=2) == 0):.0f} % of bins are empty")

decoded = post_fit.gamma.argmax(axis=2)
switches = {name: np.count_nonzero(np.diff(s, axis=1))
            for name, s in [("true", data["states"]), ("argmax", decoded), ("Viterbi", path)]}
print("state switches:  " + ",  ".join(f"{name} {n}" for name, n in switches.items()))

# %%
fig = plotting.plot_confusion(data["states"], decoded, K=K)
plt.show()

# %% [markdown] slideshow={"slide_type": "subslide"}
# The fitted model decodes as well as the true one: the limit is the data (about a quarter of a spike per 2-ms bin across
# all five neurons, as printed: most bins are empty), not the fit.
# Viterbi scores a little lower per bin, as expected: the bin-wise argmax is the best per-bin decoder under the model, while
# Viterbi optimises the whole path at once. The most probable path skips short visits (each is improbable on its own), so it
# switches less often than the truth. Its strength is a coherent path (never a transition of probability 0).
#
# **A check without ground truth.** With real neurons there are no true states. But the posterior predicts its own
# accuracy: in a bin with $\max_k \gamma_{n,t}(k) = 0.9$ the decoded state is right with probability 0.9, if the model is right.

# %%
predicted_acc = post_fit.gamma.max(axis=2).mean()
print(f"accuracy predicted by the posterior: {100 * predicted_acc:.1f} %, measured: {100 * acc_fit:.1f} %")

# %% [markdown]
# Agreement means the posterior is calibrated, as it should be when the model is right. On a real recording the predicted
# accuracy is the only number available; a wrong model (too few states, spiking more variable than Poisson) tends to be
# over-confident, so read it as an optimistic estimate.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Choosing the number of states
#
# A model with $K + 1$ states contains every $K$-state model (make two states identical), so the best **training**
# log-likelihood can only rise with $K$ (if EM finds it: restarts help). Extra states fit the noise of the training trials. The fair score is the
# log-likelihood of **held-out** trials, which the fit never saw: it estimates how well the model predicts new data.
#
# Training and test sets differ in size, so we divide each total log-likelihood by the duration of its recording:
#
# $$\bar\ell = \frac{\log p(Y_{\text{set}} \mid \hat\theta)}{N_{\text{set}}\, T\, \Delta t} \quad \text{nats per second},$$
#
# where $Y_{\text{set}}$ is the training or the test set, $N_{\text{set}}$ its number of trials and $\hat\theta$ the fit to the
# training set.
#
# Compare such values only between models of the same binned data: the log-likelihood of counts depends on $\Delta t$.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercise: held-out log-likelihood
#
# Implement `heldout_ll`: fit a $K$-state model on the training trials with `helpers.fit_em` (default settings, the given
# `seed`) and return the training and test log-likelihoods in nats per second.

# %%
def heldout_ll(Y_train, Y_test, K, dt, seed):
    """Fit a K-state Poisson HMM on training trials, score it on held-out trials.

    Parameters
    ----------
    Y_train : ndarray of int, shape (n_train, T, C)
        Spike counts of the training trials.
    Y_test : ndarray of int, shape (n_test, T_test, C)
        Spike counts of the held-out trials (T_test may differ from T).
    K : int
        Number of hidden states.
    dt : float
        Bin width in seconds.
    seed : int
        Seeds the starting values of EM.

    Returns
    -------
    train_ll_per_s : float
        Log-likelihood of the training trials under the fitted model, nats per second of training recording.
    test_ll_per_s : float
        Log-likelihood of the test trials under the same model, nats per second of test recording.
    """
    ### BEGIN SOLUTION
    # HINT: fit = helpers.fit_em(...) on the training trials only; fit.lls[-1] is its final log-likelihood (total nats)
    # HINT: helpers.log_likelihood(Y, psi, A, L, dt) scores any trials under fitted parameters (total nats)
    # HINT: N trials of T bins last N * T * dt seconds
    fit = helpers.fit_em(Y_train, K, dt, seed=seed)
    n_train, T_train, _ = Y_train.shape
    n_test, T_test, _ = Y_test.shape
    train_ll_per_s = fit.lls[-1] / (n_train * T_train * dt)
    test_ll = helpers.log_likelihood(Y_test, fit.psi, fit.A, fit.L, dt)
    test_ll_per_s = test_ll / (n_test * T_test * dt)
    ### END SOLUTION
    return train_ll_per_s, test_ll_per_s


# %%
ok_heldout = checks.check_heldout_ll(heldout_ll)
heldout_ll_used = checks.fallback(heldout_ll, ok_heldout, checks.reference_heldout_ll)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Held-out log-likelihood against $K$
#
# A seeded random split of the 300 trials: 50 for training, 100 for testing (the remaining 150 are unused here). To keep this cell fast we use the first 250 bins
# (0.5 s) of every trial: 25 s of training and 50 s of test recording. Then $K = 1, \dots, 5$.

# %%
order = np.random.default_rng(7).permutation(Y.shape[0])
Y_train, Y_test = Y[order[:50], :250], Y[order[50:150], :250]

Ks = np.arange(1, 6)
scores = np.array([heldout_ll_used(Y_train, Y_test, k, dt, seed=0) for k in Ks])  # (5, 2) nats/s
result = {"K": Ks, "train": scores[:, 0], "test": scores[:, 1]}

print(f"{'K':>2} {'train gain':>11} {'test gain':>10}   (nats/s, relative to K = 1)")
for k, tr, te in zip(Ks, result["train"], result["test"]):
    print(f"{k:>2} {tr - result['train'][0]:11.2f} {te - result['test'][0]:10.2f}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# The two sets are different trials, so their absolute levels differ by chance (a set with more spikes tends to have a lower
# log-likelihood per second). Their **shapes** are what matter, so we plot each relative to its own $K = 1$ value:
# the gain from having hidden states over constant firing rates.

# %%
relative = {"K": Ks, "train": result["train"] - result["train"][0], "test": result["test"] - result["test"][0]}
fig = plotting.plot_heldout(relative)
fig.axes[0].set_ylabel("gain over K = 1 (nats/s)")
plt.show()

# %% [markdown]
# From $K = 1$ to $3$ both curves climb steeply: each true state explains structure that is in every trial.
# Beyond $K = 3$ the training gain still creeps up while the test gain turns down: the extra states describe the noise
# of these 50 trials, which new trials do not share. The held-out score peaks at the true $K = 3$.
# With more training trials the dip gets shallower (the extra states learn less noise) and can sink into the noise of the
# test set: then prefer the smallest $K$ whose held-out score is as good as the best.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - $\log p(Y \mid \theta) = \mathbb{E}_q[\log p(x, Y \mid \theta)] + H(q) + \mathrm{KL}(q \,\|\, p(x \mid Y, \theta))$ for any $q$;
#   with $q$ the posterior at $\theta^{\text{old}}$, $Q(\theta) + H$ is a lower bound that touches $\ell$ at $\theta^{\text{old}}$.
# - Raising the bound raises the log-likelihood by at least as much: EM never decreases $\ell$.
# - Keep $-\log y!$ in $Q$ to compare it with $\ell$; use $0 \log 0 = 0$ (`xlogy`).
# - Parameter errors shrink like $1/\sqrt{N}$: Poisson counting noise over a time in each state that grows with the data.
# - The fitted model decodes states as well as the true one; the posterior's own confidence predicts its accuracy.
# - Choose $K$ by held-out log-likelihood per second, $\bar\ell$: training log-likelihood can only rise with $K$ (given good
#   fits), held-out log-likelihood peaks near the truth.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The series, and further reading
#
# The five notebooks built a complete pipeline: simulate a Poisson HMM (01), infer the hidden states with forward-backward (02),
# re-estimate the parameters from expected counts (03), iterate to convergence with restarts (04), and check why and how
# well it works (05). The series overview and how to run it are in the repository's README.
#
# - L. R. Rabiner (1989). A tutorial on hidden Markov models and selected applications in speech recognition.
#   *Proceedings of the IEEE* 77(2), 257-286.
# - C. M. Bishop (2006). *Pattern Recognition and Machine Learning*, chapter 13 (sequential data) and chapter 9.4
#   (EM in general, the same lower bound).
# - A. P. Dempster, N. M. Laird and D. B. Rubin (1977). Maximum likelihood from incomplete data via the EM algorithm.
#   *Journal of the Royal Statistical Society B* 39(1), 1-38.
