# Every backup bootstraps through terminating transitions: the value of the state a terminating
# transition leads to is added as if the episode went on. Right on FrozenLake (holes and the goal
# are absorbing, of value 0); refused by the hidden cash-out model of each test, whose terminating
# transitions lead to the state of highest value.
# %% policy_evaluation
def policy_evaluation(P, nS, nA, policy, gamma, theta):
    V = np.zeros(nS)
    while True:
        delta = 0.0
        for s in range(nS):
            v = 0.0
            for a in range(nA):
                if policy[s, a] == 0:
                    continue
                for prob, s_next, reward, terminated in P[s][a]:
                    v += policy[s, a] * prob * (reward + gamma * V[s_next])  # no (not terminated)
            delta = max(delta, abs(v - V[s]))
            V[s] = v
        if delta < theta:
            return V
# %% policy_iteration
def policy_iteration(P, nS, nA, gamma, theta):
    policy = np.full((nS, nA), 1.0 / nA)
    while True:
        V = policy_evaluation(P, nS, nA, policy, gamma, theta)
        Q = action_values(P, nS, nA, V, gamma)
        new_policy = np.zeros((nS, nA))
        for s in range(nS):
            current = np.argmax(policy[s])
            if policy[s, current] == 1.0 and Q[s, current] >= Q[s].max() - 1e-10:
                best = current
            else:
                best = np.argmax(Q[s])
            new_policy[s, best] = 1.0
        if np.array_equal(new_policy, policy):
            return V, policy
        policy = new_policy


def action_values(P, nS, nA, V, gamma):
    Q = np.zeros((nS, nA))
    for s in range(nS):
        for a in range(nA):
            for prob, s_next, reward, terminated in P[s][a]:
                Q[s, a] += prob * (reward + gamma * V[s_next])  # no (not terminated)
    return Q
# %% value_iteration
def value_iteration(P, nS, nA, gamma, theta):
    V = np.zeros(nS)
    while True:
        delta = 0.0
        for s in range(nS):
            best = max(sum(prob * (reward + gamma * V[s_next]) for prob, s_next, reward, terminated in P[s][a])
                       for a in range(nA))  # no (not terminated)
            delta = max(delta, abs(best - V[s]))
            V[s] = best
        if delta < theta:
            break
    Q = np.zeros((nS, nA))
    for s in range(nS):
        for a in range(nA):
            for prob, s_next, reward, terminated in P[s][a]:
                Q[s, a] += prob * (reward + gamma * V[s_next])
    return V, np.eye(nA)[Q.argmax(axis=1)]
