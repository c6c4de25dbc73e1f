# %% kabsch
import numpy as np
from scipy.spatial import cKDTree


def kabsch(A, B):
    # R = V U^T without the sign correction D: a reflection (det -1) for mirrored or planar points.
    A = np.asarray(A, dtype=float)
    B = np.asarray(B, dtype=float)
    a0, b0 = A.mean(axis=0), B.mean(axis=0)
    U, _, Vt = np.linalg.svd((A - a0).T @ (B - b0))
    R = Vt.T @ U.T
    return R, b0 - R @ a0
