# %%
import numpy as np


# %%
def f(x):
    ### BEGIN SOLUTION
    y = np.asarray(x)
    ### BEGIN SOLUTION
    return y
    ### END SOLUTION
    ### END SOLUTION
