# %% icp
def icp(source, target, max_iters, tol):
    # Re-estimates from the MOVED source each time and keeps only the last increment, never
    # composing the steps into the total transform.
    source = np.asarray(source, dtype=float)
    target = np.asarray(target, dtype=float)
    tree = cKDTree(target)
    moved = source.copy()
    R, t = np.eye(3), np.zeros(3)
    previous = np.inf
    for _ in range(max_iters):
        dist, idx = tree.query(moved)
        R, t = kabsch(moved, target[idx])
        moved = moved @ R.T + t
        rms = np.sqrt(np.mean(dist**2))
        if abs(previous - rms) < tol:
            break
        previous = rms
    return R, t
