# %% project
import numpy as np


def project(X, K, R, t, dist=None):
    # Applies the radial distortion to pixel coordinates about the principal point, after K.
    X = np.asarray(X, dtype=float).reshape(-1, 3)
    K = np.asarray(K, dtype=float)
    R = np.asarray(R, dtype=float)
    t = np.asarray(t, dtype=float).reshape(3)
    X_cam = X @ R.T + t
    xy = X_cam[:, :2] / X_cam[:, 2:3]
    uvw = np.column_stack([xy, np.ones(len(xy))]) @ K.T
    uv = uvw[:, :2] / uvw[:, 2:3]
    if dist is not None:
        k1, k2 = (float(k) for k in dist)
        c = K[:2, 2]
        d = (uv - c) / K[0, 0]
        r2 = np.sum(d**2, axis=1, keepdims=True)
        uv = c + (uv - c) * (1.0 + k1 * r2 + k2 * r2**2) ** 2
    return uv
