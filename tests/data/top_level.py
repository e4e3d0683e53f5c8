# %%
import numpy as np

# %%
values = np.arange(5)
### BEGIN SOLUTION
#> running_total = ...  # the running sum of values
running_total = np.cumsum(values)
### END SOLUTION
