# policy_iteration improves the policy with a plain argmax: on exact ties evaluated with tiny errors
# it switches between the tied actions for ever. Refused by the visible map (seed 69, it loops until
# the time limit with this in-place evaluation) and by the hidden check of test_policy_iteration
# whose stand-in evaluation errs by 1e-12 in favour of the action not taken.
# %% policy_iteration
def policy_iteration(P, nS, nA, gamma, theta):
    policy = np.full((nS, nA), 1.0 / nA)
    while True:
        V = policy_evaluation(P, nS, nA, policy, gamma, theta)
        Q = action_values(P, nS, nA, V, gamma)
        new_policy = np.eye(nA)[Q.argmax(axis=1)]
        if np.array_equal(new_policy, policy):
            return V, policy
        policy = new_policy


def action_values(P, nS, nA, V, gamma):
    """One-step look-ahead: Q[s, a] from a state-value function V."""
    Q = np.zeros((nS, nA))
    for s in range(nS):
        for a in range(nA):
            for prob, s_next, reward, terminated in P[s][a]:
                Q[s, a] += prob * (reward + gamma * V[s_next] * (not terminated))
    return Q
