# %% kabsch
import numpy as np
from scipy.spatial import cKDTree


def kabsch(A, B):
    # A general least-squares 3x3 matrix (B' ~ A' M^T), not constrained to be a rotation.
    A = np.asarray(A, dtype=float)
    B = np.asarray(B, dtype=float)
    a0, b0 = A.mean(axis=0), B.mean(axis=0)
    M = np.linalg.lstsq(A - a0, B - b0, rcond=None)[0].T
    return M, b0 - M @ a0
