# %% [markdown]
# Write your answer:
#
# ### BEGIN SOLUTION
# The answer.
# ### END SOLUTION

# %%
x = 1
