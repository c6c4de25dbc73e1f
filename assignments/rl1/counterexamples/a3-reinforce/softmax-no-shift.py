# %% policy_probs
def policy_probs(theta, state):
    # softmax without subtracting the largest logit: overflows for large logits
    exp = np.exp(np.asarray(state, dtype=float) @ np.asarray(theta, dtype=float))
    return exp / exp.sum()
