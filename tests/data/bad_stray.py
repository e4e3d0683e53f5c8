# %%
import numpy as np


# %%
def f(x):
    return np.asarray(x)
    ### END SOLUTION
