# %% pose_from_homography
def pose_from_homography(H, K):
    # lambda always positive: an H of negative scale puts the panel behind the camera (t_z < 0).
    B = np.linalg.solve(K, H)
    lam = 2.0 / (np.linalg.norm(B[:, 0]) + np.linalg.norm(B[:, 1]))
    r1, r2, t = lam * B[:, 0], lam * B[:, 1], lam * B[:, 2]
    U, _, Vt = np.linalg.svd(np.column_stack([r1, r2, np.cross(r1, r2)]))
    return U @ Vt, t
