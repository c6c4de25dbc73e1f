# %% pnp
def pnp(plane_points, image_points, K):
    # Gauss-Newton that adds the rotation step to R's entries (R + [omega]x R), so R drifts off a rotation.
    plane_points = np.asarray(plane_points, dtype=float)
    R, t = pose_from_homography(dlt_homography(plane_points[:, :2], image_points), K)
    h = 1e-6

    def skew(w):
        return np.array([[0.0, -w[2], w[1]], [w[2], 0.0, -w[0]], [-w[1], w[0], 0.0]])

    def residuals(R, t, p):
        return (project(plane_points, K, R + skew(p[:3]) @ R, t + p[3:]) - image_points).ravel()

    for _ in range(20):
        J = np.column_stack([residuals(R, t, e) - residuals(R, t, -e) for e in h * np.eye(6)]) / (2 * h)
        p = np.linalg.lstsq(J, -residuals(R, t, np.zeros(6)), rcond=None)[0]
        R, t = R + skew(p[:3]) @ R, t + p[3:]
    return R, t
