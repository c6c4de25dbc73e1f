# policy_iteration runs value iteration; no policy is evaluated or improved: refused by the hidden
# check of test_policy_iteration that stands in for policy_evaluation and records the policies
# evaluated on a small model (it evaluates none).
# %% policy_iteration
def policy_iteration(P, nS, nA, gamma, theta):
    # Value iteration under the name of policy iteration: no policy is ever evaluated or improved.
    V = np.zeros(nS)
    while True:
        delta = 0.0
        for s in range(nS):
            best = max(
                sum(prob * (reward + gamma * V[s_next] * (not terminated))
                    for prob, s_next, reward, terminated in P[s][a])
                for a in range(nA)
            )
            delta = max(delta, abs(best - V[s]))
            V[s] = best
        if delta < theta:
            break
    Q = np.zeros((nS, nA))
    for s in range(nS):
        for a in range(nA):
            for prob, s_next, reward, terminated in P[s][a]:
                Q[s, a] += prob * (reward + gamma * V[s_next] * (not terminated))
    return V, np.eye(nA)[Q.argmax(axis=1)]
