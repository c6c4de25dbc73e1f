# %% estimate_projection_matrix
def estimate_projection_matrix(X, x):
    # DLT on the raw coordinates: no normalising similarity transforms.
    X = np.asarray(X, dtype=float)
    x = np.asarray(x, dtype=float)
    Xh = np.column_stack([X, np.ones(len(X))])
    zeros = np.zeros_like(Xh)
    A = np.vstack([np.hstack([Xh, zeros, -x[:, :1] * Xh]),
                   np.hstack([zeros, Xh, -x[:, 1:] * Xh])])
    _, _, Vt = np.linalg.svd(A)
    P = Vt[-1].reshape(3, 4)
    return P / np.linalg.norm(P)
