# %%
import numpy as np

# %%
values = np.arange(5)
### BEGIN SOLUTION
# HINT: np.cumsum does it in one call
running_total = np.cumsum(values)
### END SOLUTION
