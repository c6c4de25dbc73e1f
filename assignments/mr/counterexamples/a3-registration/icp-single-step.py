# %% icp
def icp(source, target, max_iters, tol):
    # One Kabsch step on nearest neighbours, no iteration.
    source = np.asarray(source, dtype=float)
    target = np.asarray(target, dtype=float)
    _, idx = cKDTree(target).query(source)
    return kabsch(source, target[idx])
