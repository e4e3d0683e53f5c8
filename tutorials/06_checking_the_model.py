# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown] slideshow={"slide_type": "slide"}
# # 06 · Checking the model
#
# EM always returns *some* parameters. How far can we trust them? Three checks: does the fit recover the parameters,
# does it decode the hidden states, and how many states do the data support?
#
# **Estimated time:** about 42 minutes.
#
# **Objectives.** By the end you can
#
# - measure how parameter errors shrink with the amount of data, and say why they shrink like $1/\sqrt{N}$;
# - derive and implement the Viterbi algorithm, the max-product twin of the forward pass;
# - compare decoders against the truth, and check a posterior's calibration;
# - choose the number of states by cross-validated held-out log-likelihood, with its spread.

# %%
import numpy as np

import helpers
from helpers import checks, plotting

plotting.use_style()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Recap: notation
#
# *⏱ about 2 min (2 of 42 min so far)*
#
# $K$ states, $C$ neurons, bins of $\Delta t$ seconds, $N$ trials of $T$ bins; $\theta = (\psi, A, \lambda)$ with
# $A_{ij} = p(x_{t+1} = j \mid x_t = i)$, rates $\lambda_{ck}$ in Hz, and $\hat\theta$ a fitted model. Emission
# probabilities $o_t(k) = p(y_t \mid x_t = k) = \prod_c \mathrm{Poisson}(y_{t,c};\ \lambda_{ck}\Delta t)$; posteriors
# $\gamma_{n,t}(k) = p(x_{n,t} = k \mid Y)$. The maths counts bins from 1, Python from 0.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Section 1: Parameter recovery: how much data is enough?
#
# *⏱ about 8 min (10 of 42 min so far)*
#
# Four independent recordings of the true model (trials of 0.5 s). From each we fit the first $N$ = 10, 30 and 100
# trials and measure the mean absolute error of the rates (Hz) and of the off-diagonal transition probabilities.
# Every fit starts at the true parameters: this measures what the data can tell, not whether EM finds it (that was
# notebook 04), and keeps the state labels of the truth.

# %% [markdown]
# ### Think! 1: twice as good
#
# Before running the next cells: if errors shrink like $1/\sqrt{N}$, how many trials do you need to halve the error
# of the fit to 30 trials? And what does $1/\sqrt{N}$ predict for the ratio of the errors at 10 and at 100 trials?
#
# <details><summary>Discussion</summary>
#
# Halving the error takes four times the data: 120 trials. From 10 to 100 trials, $\sqrt{10} \approx 3.2$. With four
# recordings per size the measured ratios scatter around that: compare the printed numbers and the dots.
#
# </details>

# %%
recordings = [helpers.tutorial_data(n_trials=100, T=250, seed=s) for s in (101, 102, 103, 104)]
psi_true, A_true, L_true, dt = helpers.tutorial_model()
K = psi_true.size
off_diagonal = ~np.eye(K, dtype=bool)
sizes = [10, 30, 100]
err_L = np.zeros((len(sizes), len(recordings)))            # (sizes, recordings), Hz
err_A = np.zeros((len(sizes), len(recordings)))            # probability per bin
fits = {}
for m, n in enumerate(sizes):
    for r, rec in enumerate(recordings):
        fit = helpers.fit_em(rec["Y"][:n], K, dt, n_iter=20, tol=1e-5, init=(psi_true, A_true, L_true))
        err_L[m, r] = np.abs(fit.L - L_true).mean()
        err_A[m, r] = np.abs(fit.A - A_true)[off_diagonal].mean()
        fits[n, r] = fit

print(f"{'trials':>6} {'seconds':>8} {'rate error (Hz)':>22} {'switching-rate error (Hz)':>27}")
for m, n in enumerate(sizes):
    print(f"{n:>6} {n * 250 * dt:8.0f}   {err_L[m].mean():5.2f} ({err_L[m].min():.2f}-{err_L[m].max():.2f})"
          f"   {err_A[m].mean() / dt:13.2f} ({err_A[m].min() / dt:.2f}-{err_A[m].max() / dt:.2f})")
print("mean over the 4 recordings (range); switching-rate error = transition-probability error / dt")

# %%
fig = plotting.plot_recovery(sizes, err_L, err_A, dt=dt)
plotting.show(fig, "Firing-rate and switching-rate errors (Hz) against the number of training trials on log-log axes, "
                   "one dot per recording and their mean, next to a dotted 1/sqrt(N) guide.")

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Why $1/\sqrt{N}$.** A rate estimate is a count over a time, $\hat\lambda_{ck} = S_{ck} / (O_k \Delta t)$. With known
# states $S_{ck}$ would be a Poisson count of mean $\lambda_{ck} O_k \Delta t$, so
# $\mathrm{sd}(\hat\lambda_{ck}) = \sqrt{\lambda_{ck} / (O_k \Delta t)}$, and the time in state $k$, $O_k \Delta t$,
# grows in proportion to $N$. The mean absolute value of a normal error is $\sqrt{2/\pi}$ sd:

# %%
predicted = [np.sqrt(2 / np.pi) * np.mean(np.sqrt(L_true / (np.bincount(rec["states"].ravel(), minlength=K) * dt)))
             for rec in recordings]
print(f"rate error at 100 trials: {np.mean(predicted):.2f} Hz predicted with known states, "
      f"{err_L[-1].mean():.2f} Hz measured (means over the 4 recordings)")
print(f"error at 10 / error at 100 trials: rates {err_L[0].mean() / err_L[-1].mean():.1f}, "
      f"transitions {err_A[0].mean() / err_A[-1].mean():.1f}; sqrt(10) = {np.sqrt(10):.1f}")

# %% [markdown]
# Counting alone predicts most of the error; the rest comes from not knowing the states (bins near a switch are shared
# between states in the posterior).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercise 1: the most probable path (Viterbi)
#
# *⏱ about 12 min (22 of 42 min so far)*
#
# The posterior gives each bin its most probable state, one bin at a time. Viterbi finds the most probable **path**,
# $\hat x = \arg\max_x p(x \mid Y) = \arg\max_x \log p(x, Y)$, where
#
# $$\log p(x, Y) = \log \psi_{x_1} + \log o_1(x_1) + \sum_{t=2}^{T} \big[\log A_{x_{t-1} x_t} + \log o_t(x_t)\big].$$
#
# Let $\delta_t(j)$ be the best score of any path that ends in state $j$ at bin $t$. A best path into $j$ continues a
# best path into its predecessor, so
#
# $$\delta_1(j) = \log \psi_j + \log o_1(j), \qquad
# \delta_t(j) = \log o_t(j) + \max_i \big[\delta_{t-1}(i) + \log A_{ij}\big],$$
#
# and the back-pointer $b_t(j)$ remembers the maximising $i$. The path ends in $\hat x_T = \arg\max_j \delta_T(j)$ and
# is read backwards: $\hat x_{t-1} = b_t(\hat x_t)$.
#
# Compare the forward pass, $\alpha_t(j) = o_t(j) \sum_i \alpha_{t-1}(i) A_{ij}$: Viterbi is the same recursion with
# the sum replaced by a max, written in logs. Products become sums (no underflow), and $\log 0 = -\infty$ marks a start
# or a jump that cannot happen.
#
# Complete `viterbi`: fill in every `...`, all trials at once (the loops over bins stay).

# %% tags=["slides-code"]
def viterbi(log_obs, psi, A):
    """Most probable hidden path of every trial (Viterbi algorithm, in log space).

    Parameters
    ----------
    log_obs : ndarray, shape (n_trials, T, K)
        Log emission probabilities, ``log_obs[n, t, k] = log p(y[n, t] | x[n, t] = k)`` in nats (a
        constant per bin may be left out: it does not change which path wins).
    psi : ndarray, shape (K,)
        Initial state distribution (zeros allowed).
    A : ndarray, shape (K, K)
        Transition matrix, ``A[i, j] = P(x[t+1] = j | x[t] = i)`` (zeros allowed).

    Returns
    -------
    path : ndarray of int, shape (n_trials, T)
        The most probable state sequence of every trial, states 0 .. K-1.
    """
    n_trials, T, K = log_obs.shape
    with np.errstate(divide="ignore"):            # log 0 = -inf: a start or a jump that cannot happen
        log_psi, log_A = np.log(psi), np.log(A)
    back = np.zeros((n_trials, T, K), dtype=int)  # back[n, t, j]: best state in bin t-1 before state j in bin t
    path = np.zeros((n_trials, T), dtype=int)
    trials = np.arange(n_trials)
    ### BEGIN SOLUTION
    #> delta = ...                    # (n_trials, K): delta of bin 0
    #> for t in range(1, T):
    #>     scores = ...               # (n_trials, K, K): scores[n, i, j], the best path into i, then the jump i -> j
    #>     back[:, t] = ...           # (n_trials, K): the best previous state i for every next state j
    #>     delta = ...                # (n_trials, K): the best score, plus bin t's log emission
    #> path[:, -1] = ...              # the best last state of every trial
    #> for t in range(T - 1, 0, -1):
    #>     path[:, t - 1] = ...       # follow every trial's own back-pointer
    delta = log_psi + log_obs[:, 0]
    for t in range(1, T):
        scores = delta[:, :, None] + log_A
        back[:, t] = scores.argmax(axis=1)
        delta = scores.max(axis=1) + log_obs[:, t]
    path[:, -1] = delta.argmax(axis=1)
    for t in range(T - 1, 0, -1):
        path[:, t - 1] = back[trials, t, path[:, t]]
    ### END SOLUTION
    return path


# %% [markdown]
# <details><summary>Hint 1: the idea</summary>
#
# Of all paths into state $j$ at bin $t$, only the best can be part of the best overall path. So at every bin, for
# every $j$, try every predecessor $i$, keep the best score and remember which $i$ gave it. At the end start from the
# best last state and follow what you remembered, backwards.
#
# </details>
#
# <details><summary>Hint 2: shapes and axes</summary>
#
# `delta[:, :, None]` is `(n_trials, K, 1)` and `log_A` is `(K, K)`: their sum has element `[n, i, j]` =
# $\delta(i) + \log A_{ij}$. The previous state $i$ is axis 1, so `max` and `argmax` over `axis=1` give
# `(n_trials, K)`, one entry per next state $j$. Backtracking, index with two arrays, `trials` and the states of bin
# `t`, so that every trial reads its own pointer.
#
# </details>
#
# <details><summary>Hint 3: nearly code</summary>
#
# `delta = log_psi + log_obs[:, 0]`; in the loop `scores = delta[:, :, None] + log_A`, then
# `scores.argmax(axis=1)` and `scores.max(axis=1) + log_obs[:, t]`; after it, `delta.argmax(axis=1)`; backwards,
# `back[trials, t, path[:, t]]`.
#
# </details>
#
# The worked answer is in `solutions/06_checking_the_model.ipynb`, Exercise 1.

# %%
ok_viterbi = checks.check_viterbi(viterbi)
viterbi_used = checks.fallback(viterbi, ok_viterbi, checks.reference_viterbi)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Section 2: Decoding, and a check without the truth
#
# *⏱ about 7 min (29 of 42 min so far)*
#
# Decode new trials: the 300 trials of 2 s of the series' data set, with the model fitted above to 100 trials of the
# first recording. In logs,
# $\log o_t(k) = \sum_c \big[y_{t,c} \log(\lambda_{ck}\Delta t) - \lambda_{ck}\Delta t\big] - \sum_c \log y_{t,c}!$; the
# last sum is the same for every state, so we leave it out.

# %% [markdown]
# ### Think! 2: which decoder wins?
#
# Bin-by-bin posterior argmax or the Viterbi path: which gets more bins right? Which switches state more often?
#
# <details><summary>Discussion</summary>
#
# The bin-wise argmax maximises the expected number of correct bins, so under a correct model it wins on that score.
# Viterbi maximises the probability of the whole path: a short visit costs two unlikely jumps, so it drops many of
# them and switches less often. Both miss visits too short for the spikes to reveal (compare the true count). The
# argmax sequence may even use a jump of probability 0; Viterbi's never does.
#
# </details>

# %%
data = helpers.tutorial_data()                                   # also used in Section 3
fit = fits[100, 0]
Y, states = data["Y"], data["states"]                            # (300, 1000, C), (300, 1000)
rate = fit.L * dt
log_obs = Y @ np.log(rate) - rate.sum(axis=0)                    # (n_trials, T, K), without log y!
post = helpers.e_step(Y, fit.psi, fit.A, fit.L, dt)
decoded = post.gamma.argmax(axis=2)
path = viterbi_used(log_obs, fit.psi, fit.A)
decoded_true = helpers.e_step(Y, psi_true, A_true, L_true, dt).gamma.argmax(axis=2)

for name, s in [("posterior argmax, fitted model", decoded), ("posterior argmax, true model", decoded_true),
                ("Viterbi path, fitted model", path)]:
    print(f"{name:<31} {100 * np.mean(s == states):5.1f} % of bins right, "
          f"{np.count_nonzero(np.diff(s, axis=1)):4d} switches")
print(f"{'the true states':<31} {'':>23} {np.count_nonzero(np.diff(states, axis=1)):4d} switches")

# %% [markdown] slideshow={"slide_type": "subslide"}
# **A check without ground truth.** On real neurons there are no true states. But the posterior predicts its own
# accuracy: if the model is right, a bin decoded with $\max_k \gamma_{n,t}(k) = 0.9$ is right 9 times in 10, so the
# mean of $\max_k \gamma$ should equal the accuracy.

# %%
confidence = post.gamma.max(axis=2)
print(f"accuracy predicted by the posterior: {100 * confidence.mean():.1f} %, "
      f"measured: {100 * np.mean(decoded == states):.1f} %; {100 * np.mean(confidence > 0.9):.0f} % of bins "
      "are decoded with a posterior above 0.9")
fig = plotting.plot_calibration(post.gamma, states)
plotting.show(fig, "Calibration of the posterior: bins grouped by the posterior probability of their decoded state, "
                   "against the fraction of each group decoded correctly; the groups lie on the diagonal, and the "
                   "largest group is the most confident one.")

# %% [markdown]
# Dots on the diagonal mean a calibrated posterior, as expected here: the data come from the model. On a real
# recording the predicted accuracy is the only number available, and a wrong model (too few states, counts more
# variable than Poisson) tends to be over-confident: read it as an optimistic estimate.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercise 2: held-out log-likelihood
#
# *⏱ about 6 min (35 of 42 min so far)*
#
# A model with $K + 1$ states contains every $K$-state model, so the best **training** log-likelihood can only rise
# with $K$: extra states fit the noise of the training trials. The fair score is the log-likelihood of **held-out**
# trials that the fit never saw. Sets differ in size, so divide each total by the duration of its recording:
#
# $$\bar\ell_{\text{set}} = \frac{\log p(Y_{\text{set}} \mid \hat\theta)}{N_{\text{set}}\, T_{\text{set}}\, \Delta t}
# \quad \text{nats per second},$$
#
# with $\hat\theta$ fitted to the training set. (Compare such numbers only for the same $\Delta t$.)
#
# Complete `heldout_ll`: fit $K$ states to the training trials with `helpers.fit_em` (the given `seed`, at most
# `n_iter` EM steps, other settings at their defaults) and return both values.

# %% tags=["slides-code"]
def heldout_ll(Y_train, Y_test, K, dt, seed, n_iter):
    """Fit a K-state Poisson HMM on training trials; score it on held-out trials.

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
    n_iter : int
        Largest number of EM steps.

    Returns
    -------
    train_ll_per_s : float
        Log-likelihood of the training trials under the fitted model, nats per second of training recording.
    test_ll_per_s : float
        Log-likelihood of the test trials under the same model, nats per second of test recording.
    """
    ### BEGIN SOLUTION
    #> fit = ...                 # K states fitted to the TRAINING trials only
    #> train_seconds = ...       # duration of the training recording (s)
    #> test_seconds = ...        # duration of the test recording (s)
    #> train_ll_per_s = ...      # the fit's final training log-likelihood, per second
    #> test_ll_per_s = ...       # the test trials scored under the fitted parameters, per second
    fit = helpers.fit_em(Y_train, K, dt, n_iter=n_iter, seed=seed)
    train_seconds = Y_train.shape[0] * Y_train.shape[1] * dt
    test_seconds = Y_test.shape[0] * Y_test.shape[1] * dt
    train_ll_per_s = fit.lls[-1] / train_seconds
    test_ll_per_s = helpers.log_likelihood(Y_test, fit.psi, fit.A, fit.L, dt) / test_seconds
    ### END SOLUTION
    return train_ll_per_s, test_ll_per_s


# %% [markdown]
# <details><summary>Hint 1: the idea</summary>
#
# The test trials must not influence the fit: fit on the training set, then only *score* the test set under the
# fitted parameters. Each score is a total in nats; divide it by the seconds of its own recording.
#
# </details>
#
# <details><summary>Hint 2: the tools</summary>
#
# `helpers.fit_em` returns a result whose `.lls[-1]` is the final training log-likelihood (total nats) and whose
# `.psi`, `.A`, `.L` are the fitted parameters; `helpers.log_likelihood(Y, psi, A, L, dt)` scores any trials.
# $N$ trials of $T$ bins last $N T \Delta t$ seconds, and the two sets can have different $N$ and $T$.
#
# </details>
#
# <details><summary>Hint 3: nearly code</summary>
#
# `fit = helpers.fit_em(Y_train, K, dt, n_iter=n_iter, seed=seed)`;
# `train_seconds = Y_train.shape[0] * Y_train.shape[1] * dt`, the same for the test set.
#
# </details>
#
# The worked answer is in `solutions/06_checking_the_model.ipynb`, Exercise 2.

# %%
ok_heldout = checks.check_heldout_ll(heldout_ll)
heldout_ll_used = checks.fallback(heldout_ll, ok_heldout, checks.reference_heldout_ll)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Section 3: Choosing $K$ by cross-validation
#
# *⏱ about 7 min (42 of 42 min so far)*
#
# One split into training and test trials is one draw: a different split gives different numbers. **Cross-validation**
# splits the trials into folds and lets each fold be the test set once, fitting on the others. Here: 150 trials of the
# series' data set, their first 0.2 s (to keep the cell quick), 3 folds of 50, $K = 1, \dots, 5$, at most 15 EM steps
# per fit. The two sets of a split differ in their trials, so we compare the gain of every $K$ over $K = 1$ within each
# split.

# %%
Y_cv = data["Y"][:150, :100]
folds = np.array_split(np.random.default_rng(7).permutation(len(Y_cv)), 3)
Ks = np.arange(1, 6)
train_ll = np.zeros((len(folds), Ks.size))                      # (splits, K), nats/s
test_ll = np.zeros((len(folds), Ks.size))
for f, test in enumerate(folds):
    train = np.concatenate([folds[g] for g in range(len(folds)) if g != f])
    for i, k in enumerate(Ks):
        train_ll[f, i], test_ll[f, i] = heldout_ll_used(Y_cv[train], Y_cv[test], k, dt, seed=0, n_iter=15)

train_gain, test_gain = train_ll - train_ll[:, :1], test_ll - test_ll[:, :1]
print(f"{'K':>2} {'training gain':>22} {'held-out gain':>22}   (nats/s over K = 1: mean, range over 3 splits)")
for i, k in enumerate(Ks):
    print(f"{k:>2} {train_gain[:, i].mean():8.2f} ({train_gain[:, i].min():5.2f} to {train_gain[:, i].max():5.2f})"
          f" {test_gain[:, i].mean():8.2f} ({test_gain[:, i].min():5.2f} to {test_gain[:, i].max():5.2f})")
best = test_gain.argmax(axis=1)
print("best K in each split: " + ", ".join(str(Ks[b]) for b in best))

# %%
fig = plotting.plot_heldout_cv(Ks, train_gain, test_gain, ylabel="gain over K = 1 (nats/s)")
plotting.show(fig, "Training and held-out gain over K = 1 against the number of states, one thin line per split "
                   "and the means: both climb steeply up to K = 3; beyond, the training gain creeps up while the "
                   "held-out gain does not.")

# %% [markdown]
# ### Think! 3: more states, better fit?
#
# Beyond $K = 3$ the training gain keeps creeping up. Why is that no evidence for a fourth state, and which $K$ would
# you report?
#
# <details><summary>Discussion</summary>
#
# Training scores reward any extra freedom: the extra state fits the noise of the training trials. Held-out scores
# ask whether the structure recurs in new trials; beyond $K = 3$ they stop rising. Report the smallest $K$ whose
# held-out score is as good as the best, within the spread over splits: $K = 3$ here. With more data, real but
# weak states become detectable, and the held-out peak can move right.
#
# </details>
#
# Without held-out data, the Bayesian information criterion $\mathrm{BIC} = -2\ell(\hat\theta) + p \log n$ penalises the
# $p = (K - 1) + K(K - 1) + CK$ free parameters; for an HMM it is not even clear whether $n$ should count trials or
# bins, one reason to prefer cross-validation.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - Parameter errors shrink like $1/\sqrt{N}$: counting noise over a time in each state that grows with the data.
# - Viterbi: $\delta_t(j) = \log o_t(j) + \max_i[\delta_{t-1}(i) + \log A_{ij}]$, back-pointers, backtracking; the
#   forward pass with max for sum, in logs.
# - Posterior argmax gets the most bins right; Viterbi gives the most probable path, with fewer switches.
#   A calibrated posterior predicts its own accuracy.
# - Choose $K$ by held-out log-likelihood per second, over several splits: the training score only rewards size.
#
# ## The series, and further reading
#
# The six notebooks built and checked a complete pipeline: simulate a Poisson HMM (01), infer the hidden states with
# forward-backward (02), re-estimate the parameters from expected counts (03), iterate with restarts (04), see why
# EM climbs (05), and check the result (06). The repository's README says how to run it all.
#
# - L. R. Rabiner (1989). A tutorial on hidden Markov models and selected applications in speech recognition.
#   *Proceedings of the IEEE* 77(2), 257-286.
# - C. M. Bishop (2006). *Pattern Recognition and Machine Learning*, chapter 9.4 (EM in general, the same lower bound)
#   and chapter 13 (sequential data, Viterbi).
# - A. P. Dempster, N. M. Laird and D. B. Rubin (1977). Maximum likelihood from incomplete data via the EM algorithm.
#   *Journal of the Royal Statistical Society B* 39(1), 1-38.
