# The SARSA target bootstraps through terminal states: refused by the hidden check of test_sarsa on
# a small environment of the test's own whose episodes terminate in the state they start from.
# %% sarsa
def sarsa(env, n_episodes, alpha, gamma, epsilon, seed):
    rng = np.random.default_rng(seed)
    env.action_space.seed(seed)
    Q = np.zeros((env.observation_space.n, env.action_space.n))
    for episode in range(n_episodes):
        state, _ = env.reset(seed=seed if episode == 0 else None)
        action = epsilon_greedy(Q, state, epsilon, rng)
        done = False
        while not done:
            next_state, reward, terminated, truncated, _ = env.step(action)
            next_action = epsilon_greedy(Q, next_state, epsilon, rng)
            # no terminal mask: bootstraps through terminal states
            target = reward + gamma * Q[next_state, next_action]
            Q[state, action] += alpha * (target - Q[state, action])
            state, action, done = next_state, next_action, terminated or truncated
    return Q
