# %% pose_from_homography
def pose_from_homography(H, K):
    # [r1 r2 r1 x r2] as it comes: exact for an exact H, but not a rotation once H carries noise.
    B = np.linalg.solve(K, H)
    lam = np.sign(B[2, 2]) * 2.0 / (np.linalg.norm(B[:, 0]) + np.linalg.norm(B[:, 1]))
    r1, r2, t = lam * B[:, 0], lam * B[:, 1], lam * B[:, 2]
    return np.column_stack([r1, r2, np.cross(r1, r2)]), t
