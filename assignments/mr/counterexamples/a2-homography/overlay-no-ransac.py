# %% overlay_part
def overlay_part(plane_points, image_points, K, vertices, threshold, n_iters, seed):
    # PnP on all matches, the wrong ones included: no RANSAC.
    R, t = pnp(plane_points, image_points, K)
    return project(vertices, K, R, t)
