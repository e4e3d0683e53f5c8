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
# Alternate the E-step (notebook 02) and the M-step (notebook 03) until the log-likelihood stops rising.

# %%
import numpy as np
import matplotlib.pyplot as plt
import helpers
from helpers import checks, plotting
plotting.use_style()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Objectives
#
# - Write the EM loop with a relative stopping rule.
# - See the log-likelihood rise at every step, and choose a convergence tolerance.
# - Use random restarts, and recognise a symmetric saddle point that traps EM.
# - Undo label switching and compare the learned parameters with the truth.

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
# The maths numbers states from 1 to $K$; Python indexes from 0; figures say "state 1" .. "state K".
#
# We have both halves of EM: `helpers.e_step(Y, psi, A, L, dt)` returns `.ll` $= \ell(\theta) = \log p(Y \mid \theta)$,
# `.gamma` and `.xi_sum`; the M-step of notebook 03 turns `gamma` and `xi_sum` into new `psi, A, L`.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The algorithm
#
# Start from $\theta^{(0)}$ and repeat, for $m = 0, 1, 2, \dots$:
#
# $$\text{E-step:}\quad \gamma,\ \Xi,\ \ell^{(m)} = \ell(\theta^{(m)}) \quad\text{from forward-backward at } \theta^{(m)}$$
#
# $$\text{stop if } m \ge 1 \text{ and } \ell^{(m)} - \ell^{(m-1)} \le \text{tol} \cdot |\ell^{(m)}|$$
#
# $$\text{M-step:}\quad \theta^{(m+1)} = \arg\max_\theta Q(\theta \mid \theta^{(m)})$$
#
# The E-step yields $\ell^{(m)}$ for free (the sum of the log normalisers of the forward pass), so the test sits between
# the E-step and the M-step and costs nothing. No step lowers the log-likelihood: $\ell^{(m+1)} \ge \ell^{(m)}$.

# %% [markdown] slideshow={"slide_type": "subslide"}
# In pseudo-code, with `n_iter` the most M-steps we allow:
#
# ```
# lls = []
# repeat at most n_iter times:
#     E-step at (psi, A, L)  ->  gamma, xi_sum, ll;   append ll to lls
#     if lls has two values and lls[-1] - lls[-2] <= tol * |lls[-1]|:  stop
#     M-step  ->  new (psi, A, L)
# if all n_iter M-steps were used:  append the log-likelihood of the final (psi, A, L)
# ```
#
# So `lls[m]` is the log-likelihood after $m$ M-steps, and the returned parameters are always those of `lls[-1]`.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The data
#
# The tutorial data set: 300 trials of 1000 bins of 2 ms (600 s in all), $C = 5$ neurons, $K = 3$ states.

# %%
data = helpers.tutorial_data()
Y, dt = data["Y"], data["dt"]
psi_true, A_true, L_true = data["psi"], data["A"], data["L"]
n_trials, T, C = Y.shape
K = psi_true.size
seconds = n_trials * T * dt
print(f"Y: {n_trials} trials x {T} bins x {C} neurons, dt = {dt * 1000:.0f} ms, {seconds:.0f} s of data, K = {K}")

# The M-step used inside the loop. This is the reference; to use yours, paste your m_step
# from notebook 03 into a cell above and write `m_step_used = m_step` instead.
m_step_used = helpers.m_step

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercise: the EM loop
#
# Implement `run_em` following the pseudo-code: call `helpers.e_step` and `m_step_used`, record the log-likelihoods,
# and stop with the relative rule above (or after `n_iter` M-steps).

# %%
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
        Stop when one EM step raises the log-likelihood by less than
        ``tol * |log-likelihood|`` (relative change, unitless).

    Returns
    -------
    psi : ndarray, shape (K,)
    A : ndarray, shape (K, K)
    L : ndarray, shape (C, K)
        Fitted parameters (L in Hz): those whose log-likelihood is ``lls[-1]``.
    lls : ndarray, shape (n_steps + 1,)
        Total log-likelihood (nats) before every M-step and after the last;
        ``lls[m]`` is the value after ``m`` M-steps.
    """
    lls = []
    ### BEGIN SOLUTION
    # HINT: loop at most n_iter times; post = helpers.e_step(Y, psi, A, L, dt) has .ll, .gamma and .xi_sum.
    # HINT: append post.ll; from the second value on, break BEFORE the M-step if lls[-1] - lls[-2] <= tol * abs(lls[-1]).
    # HINT: otherwise update the parameters: psi, A, L = m_step_used(Y, post.gamma, post.xi_sum, dt).
    # HINT: if no break happened (Python's for ... else), append helpers.log_likelihood(Y, psi, A, L, dt).
    for _ in range(n_iter):
        post = helpers.e_step(Y, psi, A, L, dt)
        lls.append(post.ll)
        if len(lls) > 1 and lls[-1] - lls[-2] <= tol * abs(lls[-1]):
            break  # converged: (psi, A, L) are the parameters of lls[-1]
        psi, A, L = m_step_used(Y, post.gamma, post.xi_sum, dt)
    else:  # n_iter M-steps done: one more log-likelihood, of the final parameters
        lls.append(helpers.log_likelihood(Y, psi, A, L, dt))
    ### END SOLUTION
    return psi, A, L, np.array(lls)


# %%
ok_run_em = checks.check_run_em(run_em)
run_em_used = checks.fallback(run_em, ok_run_em, checks.reference_run_em)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## EM from a data-driven start
#
# `helpers.initial_params` picks, for each state, the mean rates of a random 100 ms stretch of data, mixed half and half
# with a randomly jittered overall mean; $A$ starts with a 1 % chance per bin of leaving each state, $\psi$ uniform. We run with a very small
# tolerance so that the record `lls` also tells us what larger tolerances would have done.

# %%
rng = np.random.default_rng(3)
psi0, A0, L0 = helpers.initial_params(Y, K, dt, rng)
psi_em, A_em, L_em, lls = run_em_used(Y, psi0, A0, L0, dt, n_iter=200, tol=1e-9)
n_steps = len(lls) - 1
print(f"{n_steps} M-steps; log-likelihood {lls[0]:.1f} -> {lls[-1]:.1f} nats "
      f"({lls[0] / seconds:.3g} -> {lls[-1] / seconds:.3g} nats per second)")
print("every step raised the log-likelihood:", bool(np.all(np.diff(lls) > 0)))

# %%
fig = plotting.plot_lls(lls, dt=dt, n_bins=n_trials * T, title="EM from a data-driven start")
plt.show()

# %% [markdown]
# The log-likelihood never decreases, as EM guarantees. The climb is not steady: after a fast first step it slows down
# for a few steps, speeds up again, then settles. What do the parameters look like in the slow stretch? Rerun EM from the
# same start up to its end (the first step whose gain is smaller than the next one's), and match the states to the true
# ones (`helpers.align_states`, explained under "Label switching" below).

# %%
gain_nats = np.diff(lls)                          # gain_nats[m - 1] is the gain of EM step m, nats
slow = 1 + int(np.argmax(np.diff(gain_nats) > 0))  # first step m with gain(m) < gain(m + 1)
_, _, L_slow, _ = run_em_used(Y, psi0, A0, L0, dt, n_iter=slow, tol=0.0)  # exactly `slow` M-steps
L_slow = L_slow[:, helpers.align_states(L_true, L_slow)]
print("gains of the first steps (nats): " + ", ".join(f"{g:.0f}" for g in gain_nats[:slow + 2]))
print(f"the slow stretch ends at step {slow}")
print(f"firing rates (Hz) after {slow} EM steps: learned (true)")
print("          " + "".join(f"{'state ' + str(k + 1):>16}" for k in range(K)))
for c in range(C):
    print(f"neuron {c + 1}  " + "".join(f"{L_slow[c, k]:9.1f} ({L_true[c, k]:4.1f})" for k in range(K)))

# %% [markdown]
# Compare each learned column with the true one: some learned states are still blends of two true states (their rates
# lie between the true rates of two different states), and they pull apart only gradually. Slow stretches like this
# happen near saddle points of $\ell$.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## When to stop: the tolerance
#
# The relative gain of step $m$ is $(\ell^{(m)} - \ell^{(m-1)}) / |\ell^{(m)}|$. With $|\ell| \approx 2.8 \times 10^5$ nats here,
# `tol = 1e-6` means "stop when a step gains less than about 0.28 nats", i.e. under $0.5 \times 10^{-3}$ nats per second of data.
# Relative tolerances do not depend on how much data there is or on the units of the log-likelihood.

# %%
gains = np.diff(lls) / np.abs(lls[1:])  # gains[m - 1] is the relative gain of M-step m
tols = [1e-2, 1e-4, 1e-6, 1e-8]

fig, ax = plt.subplots(figsize=(9, 4))
ax.semilogy(np.arange(1, n_steps + 1), gains, "-o")
for tol in tols:
    ax.hlines(tol, 0, n_steps + 0.5, color="0.45", ls="--", lw=1.2)
    ax.text(n_steps + 1, tol, f"tol = $10^{{{np.log10(tol):.0f}}}$", va="center", fontsize="small")
ax.set_xlim(0, n_steps + 5)
ax.set_xlabel("EM step $m$")
ax.set_ylabel("relative gain of step $m$")
ax.set_title(r"$(\ell^{(m)} - \ell^{(m-1)}) \,/\, |\ell^{(m)}|$: EM stops at the first value below tol")
plt.show()

# %% [markdown] slideshow={"slide_type": "subslide"}
# From the same record: where each tolerance would have stopped, and how far below the end of our run that is.
# No refitting is needed, because the run with the smallest tolerance passes through all the others.

# %%
print("     tol   M-steps   below the final log-likelihood (nats)")
for tol in tols:
    # the run used tol = 1e-9, so its last gain is below every tol listed: argmax finds a real hit
    assert np.any(gains <= tol), f"the run never reached tol = {tol:g}"
    stop = 1 + int(np.argmax(gains <= tol))  # first m with gain <= tol
    print(f"{tol:8.0e}   {stop:7d}   {lls[-1] - lls[stop]:12.1f}")

# %% [markdown]
# `tol = 1e-2` stops as the slow stretch begins, thousands of nats short: a loose tolerance can mistake a plateau for
# convergence. `1e-4` still leaves a few nats, `1e-6` and below less than one, and beyond `1e-4` each factor of 100 costs
# only about four more steps (EM converges linearly: the gain shrinks by a roughly constant factor per step).
# `helpers.fit_em` uses `tol = 1e-7`.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Random restarts
#
# EM only climbs: it ends at a stationary point of $\ell$ near where it started, not necessarily the global maximum.
# The usual defence is to run it from several random starts and keep the best. `helpers.fit_em` does this with
# `n_restarts` starts from `helpers.initial_params`.

# %%
fit = helpers.fit_em(Y, K, dt, n_restarts=5, seed=0)
best_ll = fit.restart_lls.max()
print("restart   final log-likelihood, below the best (nats)")
for r, ll in enumerate(fit.restart_lls):
    mark = "   <- best" if r == fit.best_restart else ""
    print(f"{r + 1:>7}   {best_ll - ll:12.1f}{mark}")
print(f"best: {best_ll:.1f} nats ({best_ll / seconds:.3g} nats per second)")

# %% [markdown]
# On this data set every restart ends at the same log-likelihood (the tiny differences are where each run happened
# to stop). That is common when there is plenty of data and the states are well separated. To see what restarts protect
# against, we start EM somewhere bad on purpose.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A trap: two identical states
#
# Start with states 2 and 3 identical: same rates, and (as `initial_params` gives) a uniform $\psi$ and a symmetric $A$.
# Then the E-step gives them identical posteriors, $\gamma_{n,t}(2) = \gamma_{n,t}(3)$, so the M-step gives them identical
# parameters again. EM never breaks the tie. We also run a copy in which state 3's rates are nudged by 1 %.

# %%
psi_s, A_s, L_s = helpers.initial_params(Y, K, dt, np.random.default_rng(0))
L_s[:, 2] = L_s[:, 1]  # states 2 and 3 identical
L_nudged = L_s.copy()
L_nudged[:, 2] *= 1.01  # the same start, state 3 nudged by 1 %

_, _, L_tied, lls_tied = run_em_used(Y, psi_s, A_s, L_s, dt, n_iter=200, tol=1e-6)
_, _, _, lls_nudged = run_em_used(Y, psi_s, A_s, L_nudged, dt, n_iter=200, tol=1e-6)
print(f"identical start: {len(lls_tied) - 1} M-steps, ends {best_ll - lls_tied[-1]:.1f} nats below the best restart")
print(f"nudged start:    {len(lls_nudged) - 1} M-steps, ends {best_ll - lls_nudged[-1]:.1f} nats below the best restart")
print("rates learned from the identical start (Hz), neurons x states:")
print(np.array2string(L_tied, precision=1))

# %%
fig, ax = plt.subplots(figsize=(9, 4.5))
ax.plot(lls_tied / seconds, "-o", ms=4, label="states 2 and 3 start identical")
ax.plot(lls_nudged / seconds, "-o", ms=4, label="state 3 nudged by 1 %")
ax.axhline(best_ll / seconds, color="0.4", ls="--", lw=1.2, label="best restart")
ax.set_xlabel("EM step (0 = initial parameters)")
ax.set_ylabel("log-likelihood (nats per second)")
ax.legend(loc="lower right", fontsize="small")
plt.show()

# %% [markdown] slideshow={"slide_type": "subslide"}
# From the identical start EM converges to a **two**-state model with one state written twice: a stationary
# point of $\ell$, but a **saddle**, not a maximum. Pulling the copies apart raises $\ell$; EM just never tries,
# because its update cannot break a symmetry the start already has. A 1 % nudge is enough to escape. Random starts
# never tie exactly, and several restarts guard against true local maxima, which other data sets do have.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Label switching
#
# Relabelling the states (permuting $\psi$, the rows and columns of $A$ and the columns of $\lambda$ together) leaves
# $\ell$ unchanged: there are $K! = 6$ equally good maxima, and EM's "state 1" is whichever state the start happened to favour.
# To compare with the truth we look
# for the permutation that makes the learned rate vectors closest to the true ones, in total squared distance. That is
# an assignment problem, which the Hungarian algorithm solves exactly in $O(K^3)$ steps instead of trying all $K!$
# orders (`helpers.align_states`, via `scipy.optimize.linear_sum_assignment`).

# %%
p = helpers.align_states(L_true, fit.L)
for k in range(K):
    print(f"true state {k + 1} = learned state {p[k] + 1}")
psi_hat = fit.psi[p]
A_hat = fit.A[np.ix_(p, p)]  # rows AND columns: A_hat[i, j] = A[p[i], p[j]]
L_hat = fit.L[:, p]

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Learned versus true
#
# Left: every firing rate. Right: every transition **rate** $A_{ij} / \Delta t$ in Hz for $i \ne j$, the rate of jumping
# from state $i$ to state $j$ (for small $\Delta t$, $A_{ij} \approx$ rate $\times\, \Delta t$). Points on the dashed line are learned exactly.

# %%
fig = plotting.plot_learned_vs_true(L_true, L_hat, A_true, A_hat, dt)
plt.show()

# %% [markdown] slideshow={"slide_type": "subslide"}
# The same numbers as tables.

# %%
print("firing rates (Hz): learned (true)")
print("          " + "".join(f"{'state ' + str(k + 1):>16}" for k in range(K)))
for c in range(C):
    print(f"neuron {c + 1}  " + "".join(f"{L_hat[c, k]:9.1f} ({L_true[c, k]:4.1f})" for k in range(K)))
print()
print("transition rates (Hz): learned (true)")
for i in range(K):
    for j in range(K):
        if i != j:
            print(f"  {i + 1} -> {j + 1}   {A_hat[i, j] / dt:5.2f} ({A_true[i, j] / dt:4.2f})")
print()
print("psi: learned", np.array2string(psi_hat, precision=2), " true", np.array2string(psi_true, precision=2))

# %% [markdown] slideshow={"slide_type": "subslide"}
# Firing rates are learned to within about 1 Hz: every state holds thousands of spikes. Transition rates are rougher,
# because only a few hundred jumps of each kind happen in 600 s, and $\psi$ rests on just 300 first bins.
# The fit even beats the true parameters on this data:

# %%
ll_true = helpers.log_likelihood(Y, psi_true, A_true, L_true, dt)
print(f"log-likelihood of the fit minus that of the true parameters: {fit.lls[-1] - ll_true:.1f} nats")

# %% [markdown]
# This is not a bug: maximum likelihood also fits the noise of this particular sample. By Wilks' theorem the excess is
# on average about half the number of free parameters, here $(2 + 6 + 15)/2 = 11.5$ nats ($\psi$, $A$, $\lambda$).
# With more trials the estimates close in on the truth; notebook 05 measures how fast.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - EM alternates E-step and M-step; `lls[m]` is the log-likelihood after $m$ M-steps, and it never decreases.
# - Stop when one step gains less than `tol` $\times |\ell|$; a loose tolerance can stop on a plateau, a tight one costs only a few more steps.
# - EM finds a stationary point near its start: use several random restarts and keep the best.
# - Identical states stay identical under EM (a symmetric saddle point); random starts break the tie.
# - States come out in arbitrary order: align them (`helpers.align_states`) and permute `psi[p]`, `A[np.ix_(p, p)]`, `L[:, p]` before comparing.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Next
#
# **05 · Diagnostics**: why EM climbs (log-likelihood versus its lower bound), how estimates improve with more data,
# decoding accuracy, and choosing $K$ by held-out log-likelihood.
