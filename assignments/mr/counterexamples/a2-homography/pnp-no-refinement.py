# %% pnp
def pnp(plane_points, image_points, K):
    # The homography's pose, never refined on the reprojection error.
    plane_points = np.asarray(plane_points, dtype=float)
    return pose_from_homography(dlt_homography(plane_points[:, :2], image_points), K)
