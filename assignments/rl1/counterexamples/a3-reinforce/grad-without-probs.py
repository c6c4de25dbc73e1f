# %% grad_log_pi
def grad_log_pi(theta, state, action):
    # forgets the - policy_probs term of the softmax gradient
    onehot = np.zeros(np.asarray(theta).shape[1])
    onehot[action] = 1.0
    return np.outer(np.asarray(state, dtype=float), onehot)
