# %% project
def project(X, K, R, t):
    # Forgets the perspective divide by z.
    uvw = (np.asarray(X, dtype=float) @ np.asarray(R, dtype=float).T + t) @ np.asarray(K, dtype=float).T
    return uvw[:, :2]
