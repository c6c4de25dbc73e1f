# %% project
import numpy as np


def project(X, K, R, t, dist=None):
    # Forgets the perspective divide: treats camera coordinates (X_c, Y_c) as normalised ones.
    X = np.asarray(X, dtype=float).reshape(-1, 3)
    K = np.asarray(K, dtype=float)
    R = np.asarray(R, dtype=float)
    t = np.asarray(t, dtype=float).reshape(3)
    X_cam = X @ R.T + t
    xy = X_cam[:, :2]
    if dist is not None:
        k1, k2 = (float(k) for k in dist)
        r2 = np.sum(xy**2, axis=1, keepdims=True)
        xy = xy * (1.0 + k1 * r2 + k2 * r2**2)
    uvw = np.column_stack([xy, np.ones(len(xy))]) @ K.T
    return uvw[:, :2] / uvw[:, 2:3]
