# %% estimate_projection_matrix
def estimate_projection_matrix(X, x):
    # Normalised DLT on the first 6 correspondences only (the minimum), ignoring the rest.
    X = np.asarray(X, dtype=float)[:6]
    x = np.asarray(x, dtype=float)[:6]

    def normalising_transform(pts):
        centre = pts.mean(axis=0)
        scale = np.sqrt(pts.shape[1]) / np.linalg.norm(pts - centre, axis=1).mean()
        T = np.diag(np.append(np.full(pts.shape[1], scale), 1.0))
        T[:-1, -1] = -scale * centre
        return T

    U, T = normalising_transform(X), normalising_transform(x)
    Xn = np.column_stack([X, np.ones(len(X))]) @ U.T
    xn = (np.column_stack([x, np.ones(len(x))]) @ T.T)[:, :2]
    zeros = np.zeros_like(Xn)
    A = np.vstack([np.hstack([Xn, zeros, -xn[:, :1] * Xn]),
                   np.hstack([zeros, Xn, -xn[:, 1:] * Xn])])
    _, _, Vt = np.linalg.svd(A)
    P = np.linalg.inv(T) @ Vt[-1].reshape(3, 4) @ U
    return P / np.linalg.norm(P)
