# %%
import numpy as np


# %%
def f(x):
    ### BEGIN SOLUTION
    return np.asarray(x)


# %%
print("the block above never ends in its own cell")
### END SOLUTION
