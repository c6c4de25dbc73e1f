# NOT HELD YET: the Q-learning target bootstraps through terminal states.
# It earns test_q_learning 3 points: on FrozenLake, Taxi and CliffWalking no action is ever
# taken from a state an episode terminates in, so Q there stays 0 and the missing mask changes
# nothing, not even in the hidden update replay. Refusing it needs an environment whose terminal
# observation is also a state the agent acts from. List it, capped at 0, once a test has one.
# %% q_learning
def q_learning(env, n_episodes, alpha, gamma, epsilon, seed):
    rng = np.random.default_rng(seed)
    env.action_space.seed(seed)
    Q = np.zeros((env.observation_space.n, env.action_space.n))
    for episode in range(n_episodes):
        state, _ = env.reset(seed=seed if episode == 0 else None)
        done = False
        while not done:
            action = epsilon_greedy(Q, state, epsilon, rng)
            next_state, reward, terminated, truncated, _ = env.step(action)
            # no terminal mask: bootstraps through terminal states
            target = reward + gamma * Q[next_state].max()
            Q[state, action] += alpha * (target - Q[state, action])
            state, done = next_state, terminated or truncated
    return Q
def epsilon_greedy(Q, state, epsilon, rng):
    """Random action with probability epsilon, else a greedy one; ties broken at random."""
    if rng.random() < epsilon:
        return int(rng.integers(Q.shape[1]))
    q = Q[state]
    best = np.flatnonzero(q == q.max())
    return int(best[0]) if len(best) == 1 else int(best[rng.integers(len(best))])
