# %% dlt_homography
import numpy as np


def dlt_homography(src, dst):
    # DLT on the raw pixel coordinates: no normalising similarity transforms.
    src = np.asarray(src, dtype=float)
    dst = np.asarray(dst, dtype=float)
    s = np.column_stack([src, np.ones(len(src))])
    zeros = np.zeros_like(s)
    A = np.vstack([np.hstack([s, zeros, -dst[:, :1] * s]),
                   np.hstack([zeros, s, -dst[:, 1:] * s])])
    _, _, Vt = np.linalg.svd(A)
    H = Vt[-1].reshape(3, 3)
    return H / H[2, 2]
