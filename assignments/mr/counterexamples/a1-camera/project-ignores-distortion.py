# %% project
import numpy as np


def project(X, K, R, t, dist=None):
    # Accepts dist but never applies the radial distortion.
    X = np.asarray(X, dtype=float).reshape(-1, 3)
    K = np.asarray(K, dtype=float)
    R = np.asarray(R, dtype=float)
    t = np.asarray(t, dtype=float).reshape(3)
    X_cam = X @ R.T + t
    xy = X_cam[:, :2] / X_cam[:, 2:3]
    uvw = np.column_stack([xy, np.ones(len(xy))]) @ K.T
    return uvw[:, :2] / uvw[:, 2:3]
