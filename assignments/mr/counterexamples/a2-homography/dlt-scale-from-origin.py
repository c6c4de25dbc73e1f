# %% dlt_homography
import numpy as np


def dlt_homography(src, dst):
    # Normalises with the mean distance from the origin instead of from the centroid: the similarity
    # still centres each set, but its scale depends on where the points are, so H no longer moves with
    # the point sets.
    src = np.asarray(src, dtype=float)
    dst = np.asarray(dst, dtype=float)

    def normalising_transform(pts):
        centre = pts.mean(axis=0)
        scale = np.sqrt(2.0) / np.linalg.norm(pts, axis=1).mean()
        return np.array([[scale, 0.0, -scale * centre[0]],
                         [0.0, scale, -scale * centre[1]],
                         [0.0, 0.0, 1.0]])

    T_src, T_dst = normalising_transform(src), normalising_transform(dst)
    s = np.column_stack([src, np.ones(len(src))]) @ T_src.T
    d = (np.column_stack([dst, np.ones(len(dst))]) @ T_dst.T)[:, :2]
    zeros = np.zeros_like(s)
    A = np.vstack([np.hstack([s, zeros, -d[:, :1] * s]),
                   np.hstack([zeros, s, -d[:, 1:] * s])])
    _, _, Vt = np.linalg.svd(A)
    H = np.linalg.inv(T_dst) @ Vt[-1].reshape(3, 3) @ T_src
    return H / H[2, 2]
