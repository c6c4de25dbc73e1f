# %% ransac_homography
def ransac_homography(src, dst, threshold, n_iters, seed):
    # Refits once on the best model's inliers but returns that model's mask: the mask is never
    # recomputed with the refit H.
    src = np.asarray(src, dtype=float)
    dst = np.asarray(dst, dtype=float)
    n = len(src)
    rng = np.random.default_rng(seed)

    def inliers(H):
        with np.errstate(all="ignore"):
            err = np.linalg.norm(apply_homography(H, src) - dst, axis=1)
            return err < threshold          # nan compares as False: an outlier

    best_mask, best_H = np.zeros(n, dtype=bool), None
    for _ in range(n_iters):
        idx = rng.choice(n, size=4, replace=False)
        with np.errstate(all="ignore"):
            try:
                H = dlt_homography(src[idx], dst[idx])
            except np.linalg.LinAlgError:
                continue
        if not np.all(np.isfinite(H)):
            continue
        mask = inliers(H)
        if mask.sum() > best_mask.sum():
            best_mask, best_H = mask, H
    if best_H is None or best_mask.sum() < 4:
        raise ValueError("RANSAC found no model with at least 4 inliers")
    return dlt_homography(src[best_mask], dst[best_mask]), best_mask
