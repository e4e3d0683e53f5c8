# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown] slideshow={"slide_type": "slide"}
# # 07 · Bonus: fit the model to real spike trains, and bring your own
#
# Everything so far was fitted to data the model itself made. Here the same EM meets a real recording, and we ask what
# it finds and where the model is wrong.
#
# **Estimated time:** about 40 minutes.
#
# **Objectives.** By the end you can
#
# - turn spike times into counts `Y`, and choose a bin width knowing what it does to the Poisson assumption;
# - choose $K$ on one long recording by leaving out contiguous blocks of time, and say what that can and cannot decide;
# - decode the states and put a number on how well they match the experiment;
# - check the model against its own data, and name the misfit and its fix;
# - run the whole pipeline on your own spike trains.

# %%
import numpy as np

import helpers
from helpers import checks, plotting, recordings

plotting.use_style()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Section 1: From spike times to counts
#
# *⏱ about 6 min (6 of 40 min so far)*
#
# The recording: one contraction of a thigh muscle, the vastus lateralis. A 64-electrode grid on the skin recorded it
# at 2048 Hz, and a decomposition algorithm separated the firings of single **motor units**: a motor neuron of the
# spinal cord and the muscle fibres it drives, so every firing is a spike of that neuron. The force rises to a
# plateau near 26 % of the maximal voluntary contraction (MVC) and falls back to rest.
#
# **Data and licence.** The spike trains and the force are an extract of the sample file of
# [openhdemg](https://github.com/GiacomoValliPhD/openhdemg) 0.1.2, licensed **GPL-3.0** (unlike the rest of this
# repository); the extract, its licence and how it was made are in `helpers/data/`. Please cite: Valli G, Ritsche P,
# Casolo A, Negro F, De Vito G (2024). Tutorial: Analysis of central and peripheral motor unit properties from
# decomposed High-Density surface EMG signals with openhdemg. *J Electromyogr Kinesiol* 74:102850. Units 1-4 come
# from one decomposition in the file; unit 5 from a second decomposition of the same recording. It is a different
# unit, not a copy: no more than 8 % of its firings fall within 5 ms of another unit's. Time 0 here is the file's
# first sample (7.0 s on the file's own clock).

# %%
rec = helpers.load_motor_units()                   # shipped with helpers: no network needed
epochs = recordings.force_epochs(rec.force_time, rec.force)   # s: ramp up, plateau start, plateau end, ramp down end
print(f"{rec.n_units} units, {rec.duration:.1f} s; spikes per unit: "
      + ", ".join(str(t.size) for t in rec.spike_times))
print("rest until {:.1f} s, ramp up until {:.1f} s, plateau until {:.1f} s, ramp down until {:.1f} s, then rest"
      .format(*epochs))
isi = [np.diff(t[(t > epochs[1]) & (t < epochs[2])]) for t in rec.spike_times]   # intervals on the plateau
print("on the plateau: rate (Hz) " + ", ".join(f"{1 / d.mean():.1f}" for d in isi)
      + "; CV of the intervals " + ", ".join(f"{d.std() / d.mean():.2f}" for d in isi))

fig = plotting.plot_recording(rec.spike_times, rec.force_time, rec.force, epochs=epochs)
plotting.show(fig, "The force rises from rest to a plateau near 26 % MVC, holds for 21 s and falls back; the five "
                   "units start firing at different times on the ramp up and fire steadily on the plateau.")

# %% [markdown]
# The epochs come from the force alone: thresholds at 10 % and 90 % of the plateau level. The units are recruited one
# after another on the ramp. On the plateau four of them fire almost like clocks: the coefficient of variation (CV)
# of their inter-spike intervals is near 0.1, where a clock gives 0 and a Poisson process 1. Unit 1 is irregular.
#
# `helpers.bin_spikes(spike_times, t_start, t_stop, dt)` counts the spikes of every unit in bins of `dt` seconds and
# returns `Y` of shape `(1, T, C)`: the whole recording is **one** long trial. We also label every bin with its epoch
# of the force: 0 rest, 1 ramp up, 2 plateau, 3 ramp down (the rest at the end is rest again).

# %%
dt = 0.05                                                        # s: why 50 ms, below
Y = helpers.bin_spikes(rec.spike_times, 0.0, rec.duration, dt)  # (1, T, C)
T = Y.shape[1]
t_mid = (np.arange(T) + 0.5) * dt                               # bin centres (s)
epoch = np.searchsorted(epochs, t_mid, side="right") % 4        # (T,): 4 (final rest) becomes 0
print(f"Y: shape {Y.shape}, {Y.sum()} spikes; bins per epoch {np.bincount(epoch).tolist()}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercise 1: The Fano factor per state
#
# *⏱ about 8 min (14 of 40 min so far)*
#
# The model says: given the state, counts are Poisson, so their variance equals their mean. The **Fano factor**
# measures how far that holds. For neuron $c$ over the $n_k$ bins in state $k$ (all trials pooled):
#
# $$\mathrm{Fano}_{ck} = \frac{s^2_{ck}}{m_{ck}}, \qquad m_{ck} = \frac{1}{n_k}\sum_{x_{n,t} = k} y_{n,t,c}, \qquad
# s^2_{ck} = \frac{1}{n_k - 1}\sum_{x_{n,t} = k} \big(y_{n,t,c} - m_{ck}\big)^2 .$$
#
# Poisson counts give $\mathrm{Fano} \approx 1$ at any rate; $\mathrm{Fano} < 1$ means more regular, $\mathrm{Fano} > 1$ more variable. $\mathrm{Fano}_{ck}$ is
# undefined (leave it NaN) when $n_k < 2$ or when neuron $c$ never fires in state $k$ ($m_{ck} = 0$): a unit silent
# at rest has no Fano factor there. Fill in every `...`, without dividing by zero.

# %% tags=["slides-code"]
def fano_per_state(Y, states, K):
    """Fano factor (variance / mean) of every neuron's counts in every state.

    Parameters
    ----------
    Y : ndarray of int, shape (n_trials, T, C)
        Spike counts.
    states : ndarray of int, shape (n_trials, T)
        A state (0 .. K-1) for every bin: decoded states, or the epochs of an experiment.
    K : int
        Number of states.

    Returns
    -------
    fano : ndarray, shape (C, K)
        Unbiased variance / mean of neuron c's counts over the bins of state k, all trials pooled;
        NaN where undefined (fewer than 2 bins in state k, or a mean of 0).
    """
    C = Y.shape[2]
    fano = np.full((C, K), np.nan)        # NaN until a value is defined
    for k in range(K):
        ### BEGIN SOLUTION
        #> counts = ...                      # (n_k, C): the counts of every bin in state k, all trials
        #> if len(counts) < 2:               # a variance needs 2 bins: the column stays NaN
        #>     continue
        #> mean = ...                        # (C,)
        #> var = ...                         # (C,): the unbiased variance, dividing by n_k - 1
        #> fires = ...                       # (C,) bool: the neurons with a positive mean
        #> fano[fires, k] = ...
        counts = Y[states == k]
        if counts.shape[0] < 2:
            continue
        mean = counts.mean(axis=0)
        var = counts.var(axis=0, ddof=1)
        fires = mean > 0
        fano[fires, k] = var[fires] / mean[fires]
        ### END SOLUTION
    return fano


# %% [markdown]
# <details><summary>Hint 1: the idea</summary>
#
# A boolean mask of shape `(n_trials, T)` picks bins from every trial at once. Take the mean and the variance of the
# picked counts along the bin axis, then divide only where the mean is positive.
#
# </details>
#
# <details><summary>Hint 2: shapes and numpy</summary>
#
# `Y[mask]` with a `(n_trials, T)` mask has shape `(n_k, C)`. `np.var` divides by $n_k$ unless you pass `ddof=1`.
# Indexing `fano[fires, k]` with a `(C,)` boolean array writes only those rows.
#
# </details>
#
# <details><summary>Hint 3: nearly code</summary>
#
# `counts = Y[states == k]`; `mean = counts.mean(axis=0)`; `var = counts.var(axis=0, ddof=1)`; `fires = mean > 0`;
# then the ratio of `var[fires]` and `mean[fires]`.
#
# </details>
#
# The worked answer is in `solutions/07_real_data.ipynb`, Exercise 1.

# %%
ok_fano = checks.check_fano_per_state(fano_per_state)
fano_used = checks.fallback(fano_per_state, ok_fano, checks.reference_fano_per_state)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Think! 1: a clock in wide and narrow bins
#
# A perfectly regular unit fires every 100 ms. Predict its Fano factor in bins of 100 ms, and in bins of 10 ms. And
# for a Poisson unit at the same 10 Hz?
#
# <details><summary>Discussion</summary>
#
# In 100-ms bins every bin holds exactly one spike: variance 0, $\mathrm{Fano} = 0$. In 10-ms bins a bin holds one spike with
# probability 0.1, otherwise none: $\mathrm{Fano} = 1 - 0.1 = 0.9$, nearly Poisson. The regularity has moved into the *order* of
# the bins (a spike every tenth bin), which the counts of single bins cannot show. A Poisson unit gives $\mathrm{Fano} = 1$ at
# every width.
#
# </details>
#
# Now the real units on the plateau (epoch 2), at five bin widths:

# %%
print("  dt   bins   spikes/bin   bins with >= 2 spikes   Fano factor on the plateau (units 1-5)")
for width in (0.01, 0.02, 0.05, 0.1, 0.2):
    Yw = helpers.bin_spikes(rec.spike_times, 0.0, rec.duration, width)            # (1, Tw, C)
    epoch_w = np.searchsorted(epochs, (np.arange(Yw.shape[1]) + 0.5) * width, side="right") % 4
    F_plateau = fano_used(Yw, epoch_w[None], 4)[:, 2]          # the epochs as "states"; 2 = plateau
    on = epoch_w == 2
    print(f"{width * 1000:4.0f} ms {Yw.shape[1]:5d}   {Yw[0, on].mean():10.2f}   {100 * np.mean(Yw[0, on] >= 2):19.2f} %"
          f"   " + "  ".join(f"{v:.2f}" for v in F_plateau))

# %% [markdown]
# No bin width makes these counts Poisson. Wide bins show the regularity as a Fano factor far below 1 (and many
# bins with several spikes); narrow bins hide it in the dependence between neighbouring bins, which the model also
# assumes away, and make $T$ long (the forward pass loops over every bin). We take **50 ms**: almost no bin holds two
# spikes, $T = 650$, and the states of interest last seconds.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Section 2: Choosing K on one recording
#
# *⏱ about 9 min (23 of 40 min so far)*
#
# Earlier in the series we held out whole trials. Here there is one. Holding out random *bins* would cheat: a
# held-out bin sits between training bins that share its state, and neighbouring bins are strongly dependent, so it
# is predicted almost for free. Instead we cut the recording into 5 contiguous blocks of 6.5 s, fit on 4 of them (as 4 independent
# trials, 3 random starts each) and score the fifth, for every block in turn. The score is the held-out
# log-likelihood per second, $\log p(\text{block}) / (T_b\,\Delta t)$, compared block by block between values of $K$.
# `recordings.block_cv` runs the folds and restarts of one $K$ together, sharing one loop over time.

# %%
Ks = [1, 2, 3, 4]
cv = recordings.block_cv(Y, Ks, dt, n_blocks=5, n_restarts=3, seed=0)
T_b = cv["block_bins"]
print("held-out log-likelihood (nats/s) of each block")
print("       " + "".join(f"  {b * T_b * dt:4.1f}-{(b + 1) * T_b * dt:4.1f} s" for b in range(5)) + "    mean")
for k, row in zip(Ks, cv["test"]):
    print(f"K = {k}  " + "".join(f"{v:14.2f}" for v in row) + f"  {row.mean():6.2f}")
gain = np.diff(cv["test"], axis=0)                       # (3, 5): adding one state, block by block
print("\nadding a state: mean change ± standard error over the 5 blocks, and blocks that improve")
for k, d in zip(Ks, gain):
    print(f"K = {k} -> {k + 1}: {d.mean():+5.2f} ± {d.std(ddof=1) / np.sqrt(d.size):.2f} nats/s, {np.sum(d > 0)} of 5")

# %%
fig = plotting.plot_block_cv(cv)
plotting.show(fig, "Held-out log-likelihood of each of the five blocks against K: every block gains from K = 1 to 2; "
                   "beyond that the changes are small and of both signs, and their means are slightly negative.")

# %% [markdown]
# ### Think! 2: the blocks that do not care
#
# Blocks 2, 3 and 4 score almost the same for $K = 2, 3, 4$. Why? What does that leave the choice of $K$ resting on?
#
# <details><summary>Discussion</summary>
#
# They lie inside the plateau, where one busy state explains every bin, so extra states change nothing there. Only
# blocks 1 and 5 hold rest and ramps, and when one of them is held out the fit learns rest and ramps from the other
# alone. The comparison of $K \ge 2$ rests on two blocks of one contraction: more contractions (trials) would help,
# more restarts would not.
#
# </details>
#
# **What CV decides here:** a second state helps in every block (+3.5 nats/s), so $K \ge 2$. Among 2, 3 and 4 it cannot
# decide: a third state lowers the mean score by roughly one standard error and helps only one block. We decode with
# $K = 3$ anyway, as a choice, not a finding: it is the smallest $K$ that can give rest, ramps and plateau a state
# each. Set `K = 2` below to see CV's own pick.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Section 3: Decoding, compared with the force
#
# *⏱ about 7 min (30 of 40 min so far)*
#
# `block_cv` also fitted every $K$ to all 5 blocks, with restarts; a few EM steps on the unbroken recording from there
# give the fits (states sorted from quietest to busiest), cheaper than new restarts. Then Viterbi gives the most probable state path and the E-step the
# posteriors.

# %%
fits = {}
for k, start in zip(Ks, cv["fits"]):
    fit = helpers.fit_em(Y, k, dt, init=start, tol=1e-6)          # EM on the whole recording
    order = np.argsort(fit.L.sum(axis=0))                          # quietest state first
    fits[k] = (fit.psi[order], fit.A[np.ix_(order, order)], fit.L[:, order])

K = 3
psi, A, L = fits[K]
states = helpers.viterbi(Y, psi, A, L, dt)                         # (1, T)
gamma = helpers.e_step(Y, psi, A, L, dt).gamma                     # (1, T, K)
print(f"K = {K}: rates (Hz)   " + "   ".join(f"state {k + 1}" for k in range(K)))
for c in range(L.shape[0]):
    print(f"  unit {c + 1}          " + "   ".join(f"{L[c, k]:7.1f}" for k in range(K)))
print("mean stay (s)      " + "   ".join(f"{dt / (1 - A[k, k]):7.1f}" for k in range(K)))
switch = np.flatnonzero(np.diff(states[0])) + 1                    # first bin of every new stay
print("Viterbi path: " + ", ".join(f"state {states[0, i - 1] + 1} until {i * dt:.2f} s" for i in switch)
      + f", then state {states[0, -1] + 1}")

fig = plotting.plot_recording(rec.spike_times, rec.force_time, rec.force, epochs=epochs, states=states, dt=dt,
                              gamma=gamma)
plotting.show(fig, "The force, the posterior probabilities and the raster shaded by the decoded state: the quiet "
                   "state covers the rest periods, the middle state the ramps, the busy state the plateau.")

# %% [markdown]
# The states found rest, ramps and plateau without seeing the force. To put a number on it: the **adjusted Rand
# index** between decoded states and force epochs counts, over all pairs of bins, how often the two labellings agree
# on "same group" or "different groups", rescaled so that 1 is the same partition (whatever the names) and 0 is
# chance (`helpers.adjusted_rand_index`).

# %%
print("adjusted Rand index, Viterbi states vs the four force epochs")
for k in (2, 3):
    decoded = helpers.viterbi(Y, *fits[k], dt)[0]
    print(f"K = {k}: {helpers.adjusted_rand_index(decoded, epoch):.2f}")

# %% [markdown]
# It measures agreement with the experimenter's labels, not the quality of the model: more states can cut the
# recording more like the four epochs. Where do states and epochs disagree? The quiet state lasts until the first
# unit fires, a second into the ramp up, and the busy state starts before the force reaches the plateau and ends
# after the force leaves it. The states follow the *spikes*, not the force.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Section 4: Checking the model against its own data
#
# *⏱ about 8 min (38 of 40 min so far)*
#
# Your `fano_per_state`, now with the decoded states:

# %%
F_data = fano_used(Y, states, K)                                   # (C, K)
print("Fano factor per decoded state (NaN: the unit is silent there)")
for c in range(F_data.shape[0]):
    print(f"  unit {c + 1}   " + "   ".join(f"{v:5.2f}" for v in F_data[c]))

# %% [markdown]
# Far below 1 on the plateau. More than chance? A **posterior predictive check** asks what the fitted model itself
# produces: simulate 200 recordings of the same length (`helpers.sample_states`, `helpers.sample_spikes`), decode
# each with the same model, and compute the same statistics. We add one more: the
# lag-1 autocorrelation of each unit's counts, which a clock-like unit makes negative (a bin with a spike is often
# followed by an empty one).

# %%
def lag1(Y):
    """(n_trials, C) lag-1 autocorrelation of each trial's counts; NaN for a unit that never varies."""
    x = Y - Y.mean(axis=1, keepdims=True)
    var = (x ** 2).mean(axis=1)
    cov = (x[:, 1:] * x[:, :-1]).mean(axis=1)
    return np.divide(cov, var, out=np.full(var.shape, np.nan), where=var > 0)


rng = np.random.default_rng(7)
n_sim = 200
x_sim = helpers.sample_states(psi, A, n_sim, T, rng)                  # (n_sim, T)
Y_sim = helpers.sample_spikes(x_sim, L, dt, rng)                       # (n_sim, T, C)
s_sim = helpers.viterbi(Y_sim, psi, A, L, dt)                          # decoded like the data
F_sim = np.stack([fano_used(Y_sim[i:i + 1], s_sim[i:i + 1], K) for i in range(n_sim)])   # (n_sim, C, K)
r_data, r_sim = lag1(Y)[0], lag1(Y_sim)

print("        Fano factor, busiest state   lag-1 autocorrelation   bins with >= 2 spikes")
print("unit    data   model (95 %)          data   model (95 %)      data      model")
for c in range(Y.shape[2]):
    f_lo, f_hi = np.nanpercentile(F_sim[:, c, K - 1], [2.5, 97.5])
    r_lo, r_hi = np.nanpercentile(r_sim[:, c], [2.5, 97.5])
    print(f"{c + 1:4d}  {F_data[c, K - 1]:6.2f}   {f_lo:4.2f} to {f_hi:4.2f}       {r_data[c]:+6.2f}   {r_lo:+.2f} to {r_hi:+.2f}"
          f"   {100 * np.mean(Y[0, :, c] >= 2):5.2f} %   {100 * np.mean(Y_sim[:, :, c] >= 2):5.2f} %")

fig = plotting.plot_posterior_predictive(F_data, r_data, F_sim, r_sim)
plotting.show(fig, "In the busiest state the Fano factors of all five units lie far below the range of the fitted "
                   "model's simulations, which sit near 1 (in the short ramp state two units fall inside it); the "
                   "real lag-1 autocorrelations are negative, the simulated ones near zero or positive.")

# %% [markdown]
# In the busiest state and in the autocorrelation, every unit fails the check. The model captures the slow changes
# of rate, not how spikes follow one another: a motor neuron fires almost periodically, so its counts are far less
# variable than Poisson and a spike predicts an empty next bin.
#
# **What it means for the states.** Each state's rates are averages of the counts it is given, which stay meaningful
# when the variance is wrong, so the states remain a fair summary of *how fast* the units fire. But the model
# misjudges how much each bin tells it: evidence is weighed as if the counts were noisier than they are, so
# likelihoods, posteriors and the comparison of $K$ all rest on a wrong noise model. And a smooth ramp of rates has to be cut into steps: the ramp
# state is such a step, and more states would add more steps, not better explanations.
#
# ### Think! 3: can more states fix it?
#
# Would a model with $K = 6$ or $K = 10$ Poisson states reproduce Fano factors below 1?
#
# <details><summary>Discussion</summary>
#
# No. A mixture of Poisson counts is at least as variable as Poisson: the variance is the mean plus the variance of
# the rate across states, so $\mathrm{Fano} \ge 1$ whatever $K$ is. More states can follow the ramps more finely, never make
# counts more regular. The fix is in the emissions: let a neuron's count depend on its own recent spikes (a
# refractory or renewal model, or a GLM-HMM with spike-history filters), or use an underdispersed count model such as
# a binomial with few trials per bin, or Bernoulli counts in fine bins with history.
#
# </details>

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Section 5: Use it on your own data
#
# *⏱ about 2 min (40 of 40 min so far)*
#
# Three lines take any list of spike-time arrays (seconds, one array per neuron) to a fitted model and a decoded
# state sequence. Here they run on the motor units; replace the first line with your own.

# %%
spike_times, duration, width = rec.spike_times, rec.duration, 0.05       # yours: a list of C arrays of times (s)

Y_own = helpers.bin_spikes(spike_times, 0.0, duration, width)                    # (1, T, C) counts
fit_own = helpers.fit_em(Y_own, 3, width, n_restarts=5, seed=0)                  # psi, A, L (Hz)
states_own = helpers.viterbi(Y_own, fit_own.psi, fit_own.A, fit_own.L, width)    # (1, T) decoded states
print(f"{Y_own.shape[2]} neurons, {Y_own.shape[1]} bins; time in each state: "
      + ", ".join(f"{n * width:.2f} s" for n in np.bincount(states_own[0], minlength=3)))
print("log-likelihood of each restart (nats): " + ", ".join(f"{v:.1f}" for v in fit_own.restart_lls))

# %% [markdown]
# The restarts end at different log-likelihoods: EM's local optima (notebook 04), on real data too. Before you
# believe the states: pick `dt` so that most bins hold 0 or 1 spike; use several restarts (10 or more); choose $K$
# with `recordings.block_cv` (or by leaving out whole trials); and run `fano_per_state` and a posterior predictive
# check before you interpret a state. Your own Viterbi of notebook 06 does the third line too: it takes
# log-emissions, `viterbi(helpers.log_emission_likelihood(Y_own, fit_own.L, width), fit_own.psi, fit_own.A)`.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - `helpers.bin_spikes` turns spike times into `Y`; the bin width decides how regular firing shows up: as Fano
#   factors below 1 in wide bins, as dependent neighbouring bins in narrow ones.
# - On one recording, choose $K$ by leaving out contiguous blocks of time, compared block by block. Here it says
#   $K \ge 2$ and cannot separate 2, 3 and 4.
# - With $K = 3$ the decoded states match rest, ramps and plateau (adjusted Rand index 0.68); they follow the spikes,
#   not the force.
# - The posterior predictive check fails: the units are far more regular than Poisson. The states summarise rates
#   fairly; the fix is emissions with spike history, not more states.
