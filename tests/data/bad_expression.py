# %%
import numpy as np

# %%
total = np.sum(
    ### BEGIN SOLUTION
    np.arange(3)
    ### END SOLUTION
)
