# %% icp
def icp(source, target, max_iters, tol):
    # Always runs all max_iters iterations: tol is never used.
    source = np.asarray(source, dtype=float)
    target = np.asarray(target, dtype=float)
    tree = cKDTree(target)
    R, t = np.eye(3), np.zeros(3)
    for _ in range(max_iters):
        _, idx = tree.query(source @ R.T + t)
        R, t = kabsch(source, target[idx])
    return R, t
