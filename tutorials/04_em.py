# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown] slideshow={"slide_type": "slide"}
# # 04 · EM: learning the parameters
#
# Alternate the E-step (notebook 02) and the M-step (notebook 03) until the log-likelihood stops rising, then ask what
# you have found.
#
# **Estimated time:** about 43 minutes.
#
# **Objectives.** By the end you can
#
# - write the EM loop: record the log-likelihood, stop with a relative tolerance, return what belongs together;
# - say what a stopping tolerance does, and what it depends on;
# - tell a saddle (two identical states) from a genuine local optimum, and use random restarts against the latter;
# - undo label switching and compare learned parameters with the truth.

# %%
import numpy as np

import helpers
from helpers import checks, plotting

plotting.use_style()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Section 1: The EM loop
#
# *⏱ about 3 min (3 of 43 min so far)*
#
# Write $\theta = (\psi, A, \lambda)$ and $\ell(\theta) = \log p(Y \mid \theta)$, in nats, summed over trials. Starting
# from $\theta^{(0)}$, step $m = 0, 1, 2, \dots$ is
#
# $$\text{E-step at } \theta^{(m)}:\ \gamma,\ \Xi \text{ and } \ell^{(m)} = \ell(\theta^{(m)}), \qquad
# \text{M-step:}\ \theta^{(m+1)} = \arg\max_\theta Q(\theta \mid \theta^{(m)}).$$
#
# The forward pass gives $\ell^{(m)}$ for free. EM stops at the first $m \ge 1$ with
#
# $$\ell^{(m)} - \ell^{(m-1)} \;\le\; \mathrm{tol} \cdot |\ell^{(m)}|,$$
#
# or after `n_iter` M-steps: a step's gain, measured against the size of $\ell$.

# %%
data = helpers.tutorial_data()
Y, dt = data["Y"], data["dt"]
psi_true, A_true, L_true = data["psi"], data["A"], data["L"]
n_trials, T, C = Y.shape
K = psi_true.size
seconds = n_trials * T * dt
print(f"Y: {n_trials} trials x {T} bins x {C} neurons, dt = {dt * 1000:.0f} ms, {seconds:.0f} s of data, K = {K}")

# The M-step the loop uses: the reference. To use yours from notebook 03, paste it in a cell
# above and write `m_step_used = m_step` instead.
m_step_used = helpers.m_step

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercise 1: Write the EM loop
#
# *⏱ about 12 min (15 of 43 min so far)*
#
# Complete `run_em`. It returns the final parameters and `lls`, the record of log-likelihoods:
#
# - `lls[m]` is $\ell^{(m)}$ (total over trials, nats), after $m$ M-steps; `lls[0]` belongs to the start.
# - The stopping rule is tested as soon as a new $\ell^{(m)}$ is known, before any further M-step. When it holds, EM
#   returns the parameters that $\ell^{(m)}$ belongs to.
# - If all `n_iter` M-steps ran, `lls` gets one more entry, for the final parameters ($n_\text{iter} + 1$ in all). If EM
#   stopped early, the $\ell$ that stopped it is already the last entry.
#
# Tools: `helpers.e_step(Y, psi, A, L, dt)` returns `.ll`, `.gamma` and `.xi_sum`; `m_step_used(Y, gamma, xi_sum, dt)`
# returns new `psi, A, L`; `helpers.log_likelihood(Y, psi, A, L, dt)` runs the forward pass only. Fill in every `...`.

# %% tags=["slides-code"]
def run_em(Y, psi, A, L, dt, n_iter, tol):
    """Fit a Poisson HMM by EM from given starting parameters.

    Parameters
    ----------
    Y : ndarray of int, shape (n_trials, T, C)
        Spike counts per bin.
    psi : ndarray, shape (K,)
        Starting initial state distribution.
    A : ndarray, shape (K, K)
        Starting transition matrix, ``A[i, j] = P(x[t+1] = j | x[t] = i)``.
    L : ndarray, shape (C, K)
        Starting firing rates in Hz.
    dt : float
        Bin width in seconds.
    n_iter : int
        Maximum number of M-steps.
    tol : float
        Stop at the first step that raises the log-likelihood by at most
        ``tol * |log-likelihood|`` (relative gain, unitless).

    Returns
    -------
    psi : ndarray, shape (K,)
    A : ndarray, shape (K, K)
    L : ndarray, shape (C, K)
        Fitted parameters (L in Hz): those whose log-likelihood is ``lls[-1]``.
    lls : ndarray, shape (n_steps + 1,)
        Total log-likelihood (nats) after 0, 1, ..., n_steps M-steps.
    """
    lls = []
    ### BEGIN SOLUTION
    #> for m in range(n_iter):
    #>     post = helpers.e_step(Y, psi, A, L, dt)
    #>     ...  # record this E-step's log-likelihood in lls
    #>     ...  # the stopping rule: if it holds, leave the loop now
    #>     ...  # M-step: the parameters of the next pass
    #> ...  # only if EM did not stop early: record the final parameters' log-likelihood
    for m in range(n_iter):
        post = helpers.e_step(Y, psi, A, L, dt)
        lls.append(post.ll)
        if len(lls) > 1 and lls[-1] - lls[-2] <= tol * abs(lls[-1]):
            break  # converged: (psi, A, L) are the parameters of lls[-1]
        psi, A, L = m_step_used(Y, post.gamma, post.xi_sum, dt)
    else:  # all n_iter M-steps ran without a break
        lls.append(helpers.log_likelihood(Y, psi, A, L, dt))
    ### END SOLUTION
    return psi, A, L, np.array(lls)


# %% [markdown]
# <details><summary>Hint 1: the idea</summary>
#
# One pass of the loop is one E-step, one test, one M-step. The E-step has already computed $\ell^{(m)}$: record it, and
# only then ask whether the step from $\ell^{(m-1)}$ was worth it. The M-step must *replace* the parameters, or the
# next E-step sees the old ones.
#
# </details>
#
# <details><summary>Hint 2: the bookkeeping</summary>
#
# The last two entries of `lls` are $\ell^{(m)}$ and $\ell^{(m-1)}$: the rule needs both, so it cannot fire on the first
# pass. $\ell$ is negative: its size is `abs(...)`. To add the final entry only when the loop was not left early, use a
# flag, or Python's `for ... else` (the `else` block runs only if the loop ended without `break`).
#
# </details>
#
# <details><summary>Hint 3: nearly code</summary>
#
# `lls.append(post.ll)`, then `if len(lls) > 1 and lls[-1] - lls[-2] <= tol * abs(lls[-1]): break`, then
# `psi, A, L = m_step_used(Y, post.gamma, post.xi_sum, dt)`. Below the loop, at the indentation of `for`: `else:` and
# `lls.append(helpers.log_likelihood(Y, psi, A, L, dt))`.
#
# </details>
#
# The worked answer is in `solutions/04_em.ipynb`, Exercise 1.

# %%
ok_run_em = checks.check_run_em(run_em)
run_em_used = checks.fallback(run_em, ok_run_em, checks.reference_run_em)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Section 2: EM on the tutorial data
#
# *⏱ about 4 min (19 of 43 min so far)*
#
# `helpers.initial_params` starts each state at the mean rates of a random 100-ms stretch of data, mixed with a
# jittered overall mean; $A$ leaves each state with probability 1 % per bin, and $\psi$ is uniform. We run with a small
# tolerance, `1e-6`, so that the record also tells us what larger tolerances would have done.
#
# ### Think! 1: can EM go downhill?
#
# Before running the next cell: can an EM step ever *lower* $\ell$? What would a decrease in `lls` tell you?
#
# <details><summary>Discussion</summary>
#
# No. The E-step builds a lower bound on $\ell$ that touches it at $\theta^{(m)}$; the M-step maximises that bound, so
# $\ell^{(m+1)} \ge \text{bound}(\theta^{(m+1)}) \ge \text{bound}(\theta^{(m)}) = \ell^{(m)}$. Notebook 05 proves and
# draws this. A real decrease means a bug (a stale E-step, a wrong M-step). Near convergence rounding can make a gain
# very slightly negative; the rule "$\le \mathrm{tol} \cdot |\ell|$" stops there too.
#
# </details>

# %%
psi0, A0, L0 = helpers.initial_params(Y, K, dt, np.random.default_rng(1))
psi_em, A_em, L_em, lls = run_em_used(Y, psi0, A0, L0, dt, n_iter=100, tol=1e-6)
n_steps = len(lls) - 1
print(f"{n_steps} M-steps; log-likelihood {lls[0]:,.1f} -> {lls[-1]:,.1f} nats "
      f"({lls[0] / seconds:.1f} -> {lls[-1] / seconds:.1f} nats per second of data)")
print(f"smallest gain of a step: {np.diff(lls).min():.3g} nats")

# %%
tols = [1e-2, 1e-4, 1e-5, 1e-6]
fig = plotting.plot_em_progress(lls, tols)
plotting.show(fig, "Left: log-likelihood after every EM step on the tutorial data, large jumps in the first steps, "
                   "then almost flat after four, never going down. Right: the relative gain of every step on a log "
                   "axis, falling by a factor of 3 to 10 per step, with four tolerances and where each would stop.")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Section 3: When to stop
#
# *⏱ about 10 min (29 of 43 min so far)*
#
# The right panel answers: where would other tolerances have stopped this run?

# %%
gains = np.diff(lls) / np.abs(lls[1:])             # gains[m - 1]: relative gain of step m
print("     tol   M-steps   threshold (nats)   short of the end of this run (nats)")
for tol in tols:
    stop = 1 + int(np.argmax(gains <= tol))         # the run used 1e-6, so every tol here is reached
    print(f"{tol:8.0e}   {stop:7d}   {tol * abs(lls[stop]):16.3g}   {lls[-1] - lls[stop]:15.1f}")

# %% [markdown]
# In this run `1e-2` stops after two steps, a thousand nats short; below `1e-4` each factor of 10 costs one or two
# more steps and recovers less and less, because EM converges *linearly*: near the end each gain is a fraction of the
# one before (here a third to a tenth).
#
# **What the threshold depends on.** The rule stops when a step gains at most $\mathrm{tol} \cdot |\ell|$ nats. Gains
# are differences of $\ell$: any constant in $\ell$ cancels out of them, but not out of $|\ell|$. Two such constants
# are arbitrary: $-\sum \log y!$, and the bin width, because counting the same spikes in 1-ms bins adds about
# $\log 2$ per spike to $|\ell|$. And $|\ell|$ grows with the amount of data. To see each, we take the first 50 trials
# (fast enough to rebin), split every 2-ms count at random between two 1-ms bins, and compare:

# %%
Y_sub = Y[:50]
sub_seconds = Y_sub.shape[0] * T * dt
half = np.random.default_rng(5).binomial(Y_sub, 0.5)            # each spike lands in either half of its bin
Y_1ms = np.stack([half, Y_sub - half], axis=2).reshape(Y_sub.shape[0], 2 * T, C)
A_1ms_em = np.eye(K) + (A_em - np.eye(K)) / 2                 # half a bin: half the switching probability
A_1ms_true = np.eye(K) + (A_true - np.eye(K)) / 2

ll_sub = helpers.log_likelihood(Y_sub, psi_em, A_em, L_em, dt)
ll_1ms = helpers.log_likelihood(Y_1ms, psi_em, A_1ms_em, L_em, dt / 2)
log_y_factorial = helpers.model.log_factorial(Y_sub).sum()
tol = 1e-6
print(f"threshold at tol = {tol:.0e}              |ℓ| (nats)   tol·|ℓ| (nats)   per second of data")
for label, ll, secs in [("all 300 trials, 2-ms bins  ", lls[-1], seconds),
                        ("first 50 trials, 2-ms bins ", ll_sub, sub_seconds),
                        ("the same spikes, 1-ms bins ", ll_1ms, sub_seconds),
                        ("2-ms bins, without log y!  ", ll_sub + log_y_factorial, sub_seconds)]:
    print(f"{label}  {abs(ll):12,.0f}   {tol * abs(ll):14.4f}   {tol * abs(ll) / secs:14.2e}")

gain_2ms = ll_sub - helpers.log_likelihood(Y_sub, psi_true, A_true, L_true, dt)
gain_1ms = ll_1ms - helpers.log_likelihood(Y_1ms, psi_true, A_1ms_true, L_true, dt / 2)
print(f"\n|ℓ| in 1-ms bins / in 2-ms bins: {ll_1ms / ll_sub:.3f};  log y! is {log_y_factorial / abs(ll_sub):.1%} of |ℓ|")
print(f"ℓ(fit) - ℓ(truth) on the 50 trials: {gain_2ms:.2f} nats in 2-ms bins, {gain_1ms:.2f} nats in 1-ms bins")

# %% [markdown]
# So the relative rule is a threshold *per second of data*: it stays put when trials are added, while in nats it grows
# in proportion. But what makes a difference between two fits meaningful is its size in nats, whatever the amount of
# data (the fit–truth difference above is a few nats). And the threshold moves with choices that change no gain:
# rebinning moves it by 18 % here, dropping $\log y!$ by under 1 % (counts are rarely above 1). `helpers.fit_em` keeps
# the relative rule with `tol = 1e-7`: here that is 0.03 nats, far below anything meaningful.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Think! 2: what does a loose tolerance risk?
#
# Picture a start from which EM creeps along a nearly flat stretch for twenty steps before climbing again. What do
# `tol = 1e-4` and `tol = 1e-7` report? The next section builds such a start.
#
# <details><summary>Discussion</summary>
#
# Both may stop on the flat stretch and report success: the rule only sees that the last step gained little. A tight
# tolerance costs a few steps where EM converges fast, and gets further along a plateau, but no tolerance can tell a
# plateau from a maximum. On the full data, the random start `np.random.default_rng(17)` stalls near a saddle like the
# one of the next section: `tol = 1e-5` stops it 4,158 nats short, `1e-6` gets through.
#
# </details>

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Section 4: A trap: two identical states
#
# *⏱ about 6 min (35 of 43 min so far)*
#
# Give states 2 and 3 the same rates, and $\psi$ and $A$ that do not change when the two swap labels: $\psi_2 = \psi_3$,
# $A_{12} = A_{13}$, $A_{21} = A_{31}$, $A_{22} = A_{33}$, $A_{23} = A_{32}$ (as in `initial_params`). Then every
# E-step gives $\gamma_{n,t}(2) = \gamma_{n,t}(3)$, every M-step gives them the same parameters again, and in exact
# arithmetic the tie never breaks. Equal rates alone are not enough: a *symmetric* $A$ with $A_{12} = 0.002$ and
# $A_{13} = 0.008$ treats the two differently, and one EM step splits them (first 50 trials again, for speed):

# %%
psi_t, A_t, L_t = helpers.initial_params(Y_sub, K, dt, np.random.default_rng(0))
L_t[:, 2] = L_t[:, 1]                                          # states 2 and 3 identical
A_sym = np.array([[0.990, 0.002, 0.008],
                  [0.002, 0.990, 0.008],
                  [0.008, 0.008, 0.984]])                      # symmetric, but A12 != A13
post = helpers.e_step(Y_sub, psi_t, A_sym, L_t, dt)
_, _, L_one = helpers.m_step(Y_sub, post.gamma, post.xi_sum, dt)
print(f"symmetric A, after one EM step: rates of states 2 and 3 differ by up to "
      f"{np.abs(L_one[:, 1] - L_one[:, 2]).max():.2f} Hz")

# %% [markdown]
# With the swap-invariant $A$ of `initial_params`, the tie holds, but only up to rounding: the two copies' sums are added
# in different orders. Run EM with `tol = 0` and follow the largest difference between the copies' rates:

# %%
lls_tie, gaps_tie = [], []
psi_m, A_m, L_m = psi_t, A_t, L_t
for m in range(26):                                            # tol = 0: 26 EM steps, no test
    post = helpers.e_step(Y_sub, psi_m, A_m, L_m, dt)
    lls_tie.append(post.ll)
    gaps_tie.append(np.abs(L_m[:, 1] - L_m[:, 2]).max())
    psi_m, A_m, L_m = helpers.m_step(Y_sub, post.gamma, post.xi_sum, dt)
lls_tie, gaps_tie = np.array(lls_tie), np.array(gaps_tie)
ll_true_sub = helpers.log_likelihood(Y_sub, psi_true, A_true, L_true, dt)

rel_tie = np.diff(lls_tie) / np.abs(lls_tie[1:])
for m in (1, 10, 20, 25):
    print(f"step {m:2d}: copies differ by {gaps_tie[m]:8.1e} Hz, ℓ - ℓ(truth) = {lls_tie[m] - ll_true_sub:9.1f} nats")
for tol in (1e-4, 1e-7):
    stop = 1 + int(np.argmax(rel_tie <= tol))
    print(f"tol = {tol:.0e} would stop at step {stop}, {lls_tie[-1] - lls_tie[stop]:.0f} nats below where EM gets")

# %%
fig = plotting.plot_symmetry_break(lls_tie, gaps_tie, ll_ref=ll_true_sub, ref_label="ℓ(truth)", tols=(1e-4, 1e-7))
plotting.show(fig, "Left: the rate difference between the two tied states grows from about 1e-14 Hz by a roughly "
                   "constant factor per step to tens of Hz; right: the log-likelihood sits on a plateau far below "
                   "that of the true parameters, where both tolerances stop, then climbs above it once the tie breaks.")

# %% [markdown]
# The tied point is a stationary point of $\ell$, a two-state model written with one state twice, but a **saddle**:
# pulling the copies apart raises $\ell$. So EM amplifies the rounding error by a roughly constant factor per step,
# invisible while it is tiny, and escapes after about 20 steps (on all 300 trials, about 90: not run here). Both
# tolerances stop on the plateau and call it converged: there it is the tolerance, not EM, that ends the run.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Section 5: A genuine local optimum, and what "converged" means
#
# *⏱ about 5 min (40 of 43 min so far)*
#
# The saddle needed an exact tie. A genuine local maximum needs nothing special. A model built for it: 4 neurons,
# 3 states; states 1 and 2 differ only in neurons 1 and 2, state 3 is far from both and visited most. We fit 100
# trials of 0.5 s from 5 random starts. `helpers.fit_em(..., n_restarts=5)` would keep only the best; we unroll its
# loop to see where every restart ends.

# %%
L2 = np.array([[40.0, 10.0, 2.0],
               [5.0, 30.0, 2.0],
               [2.0, 2.0, 30.0],
               [2.0, 2.0, 30.0]])                              # Hz: 4 neurons x 3 states
switch_hz = np.array([[0, 1, 3], [1, 0, 3], [1, 1, 0]])       # switching rates i -> j (Hz)
A2 = switch_hz * dt
np.fill_diagonal(A2, 1 - A2.sum(axis=1))
rng = np.random.default_rng(4)
states2 = helpers.sample_states(np.full(3, 1 / 3), A2, 100, 250, rng)
Y2 = helpers.sample_spikes(states2, L2, dt, rng)

start_rng = np.random.default_rng(0)
fits = [helpers.fit_em(Y2, 3, dt, tol=1e-5, init=helpers.initial_params(Y2, 3, dt, start_rng))
        for _ in range(5)]      # = helpers.fit_em(Y2, 3, dt, n_restarts=5, seed=0, tol=1e-5), every restart kept
finals = np.array([f.lls[-1] for f in fits])
print("restart   M-steps   converged   final ℓ below the best (nats)")
for r, f in enumerate(fits):
    print(f"{r + 1:7d}   {f.n_steps:7d}   {str(f.converged):>9}   {finals.max() - f.lls[-1]:10.1f}")

fig = plotting.plot_lls(fits, title="five restarts on the constructed data")
plotting.show(fig, "Log-likelihood per EM step of five restarts on the constructed data: every curve flattens out, "
                   "three at the same level and two about 150 nats lower.")

# %% [markdown]
# Is a lower restart stuck, or just slow? Take the first one, let your `run_em` continue it for 10 steps with
# `tol = 0`, and compare its rates with the truth:

# %%
worse = int(np.argmax(finals.max() - finals > 10))
stuck, best = fits[worse], fits[int(np.argmax(finals))]
_, _, _, lls_more = run_em_used(Y2, stuck.psi, stuck.A, stuck.L, dt, n_iter=10, tol=0.0)
print(f"restart {worse + 1}, 10 more steps with tol = 0: {lls_more[-1] - lls_more[0]:+.2f} nats, "
      f"still {finals.max() - lls_more[-1]:.1f} nats below the best")
print(f"\nfiring rates (Hz), states matched to the truth:  restart {worse + 1}  |  best  |  truth")
L_stuck = stuck.L[:, helpers.align_states(L2, stuck.L)]
L_best = best.L[:, helpers.align_states(L2, best.L)]
for c in range(4):
    print(f"neuron {c + 1}  " + "   |".join("".join(f"{M[c, k]:6.1f}" for k in range(3)) for M in (L_stuck, L_best, L2)))

# %% [markdown]
# The stuck restart merged true states 1 and 2 into one state halfway between them and split state 3 in two. To fix
# that, a copy of state 3 would have to travel to state 1 or 2, explaining nothing well on the way: every small change
# lowers $\ell$. Ten more steps gain under a nat (500, not run here, leave it 149.6 nats below). By the rule it
# *converged*, and it did, to a local maximum: **converged means "the last step gained little", not "near the best"**.
# Nothing inside one run can tell. Restarts can, and here a few suffice.
#
# ### Think! 3: how many restarts?
#
# If each random start gets stuck with probability $p$, how many restarts make "all stuck" rarer than 1 in 1000?
#
# <details><summary>Discussion</summary>
#
# All $R$ restarts get stuck with probability $p^R$, so we need $p^R < 10^{-3}$, i.e. $R > 3 / \log_{10}(1/p)$. How
# big is $p$ here? Over 20 data sets drawn from this model, 6 restarts each (not run here), 36 of 120 restarts got
# stuck, all merging states 1 and 2: $p \approx 0.3$, so $R = 6$ ($0.3^6 \approx 0.0007$). The 2 stuck starts out of
# 5 above fit that estimate: with so few, the count itself is noisy. Compare the final $\ell$ of the restarts: if
# several reach the same best value, trust it more; if each ends somewhere new, add restarts or better starts.
#
# </details>

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Section 6: Label switching, and learned versus true
#
# *⏱ about 3 min (43 of 43 min so far)*
#
# Permuting the states ($\psi$, rows *and* columns of $A$, columns of $\lambda$ together) leaves $\ell$ unchanged: EM's
# "state 1" is whichever state its start favoured. `helpers.align_states` finds the permutation whose rates are
# closest to the true ones in total squared distance (for small K it simply tries all $K!$ orders) for the fit of
# Section 2.

# %%
p = helpers.align_states(L_true, L_em)
psi_hat, A_hat, L_hat = psi_em[p], A_em[np.ix_(p, p)], L_em[:, p]
print("true state:    " + "  ".join(f"{k + 1}" for k in range(K)))
print("learned state: " + "  ".join(f"{p[k] + 1}" for k in range(K)))
ll_true = helpers.log_likelihood(Y, psi_true, A_true, L_true, dt)
print(f"ℓ(fit) - ℓ(truth) = {lls[-1] - ll_true:.1f} nats")

fig = plotting.plot_learned_vs_true(L_true, L_hat, A_true, A_hat, dt)
plotting.show(fig, "Learned against true parameters: the fifteen firing rates lie on the diagonal within about 1 Hz, "
                   "the six transition rates scatter around it by a few tenths of a hertz.")

# %% [markdown]
# Rates are learned to within about 1 Hz: each state holds thousands of spikes. Transition rates are rougher: only a
# few hundred jumps of each kind happen in 600 s. The fit even beats the truth: maximum likelihood also fits this
# sample's noise, on average by half the number of free parameters, $(2 + 6 + 15)/2 = 11.5$ nats.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - EM alternates E-step and M-step; `lls[m]` is $\ell$ after $m$ M-steps and never decreases. Test the stopping rule
#   right after the E-step; add a final $\ell$ only if EM did not stop early.
# - The relative rule stops when a step gains at most $\mathrm{tol} \cdot |\ell|$ nats: a fixed gain per second of
#   data, moved by the bin width and other constants in $\ell$; it grows in nats with the data.
# - Identical states sit on a saddle: rounding breaks the tie, slowly, and a tolerance can stop on the plateau.
# - Genuine local maxima exist; "converged" only means the last step gained little. Use several restarts and compare
#   their final $\ell$.
# - States come out in arbitrary order: align them (`helpers.align_states`) before comparing with the truth.
#
# **Next, 05 · Why EM climbs:** why an EM step can never lower $\ell$, proved and drawn step by step.
