# Off-policy acting: half of the actions come from the hand-made controller of the setup cell, the
# rest are sampled from the policy, and the REINFORCE update is applied to these episodes as if
# they were on-policy (no importance weights). theta is exactly what the update gives on the
# episodes played, so the hidden replay checks pass; refused by the return checks of test_train
# (the greedy policy balances about 9 steps on the evaluation seeds, against a bar of 150).
# %% train
def train(env, n_episodes, lr, gamma, seed):
    rng = np.random.default_rng(seed)
    n_actions = env.action_space.n
    theta = np.zeros((env.observation_space.shape[0], n_actions))
    hand_made = np.zeros_like(theta)
    hand_made[2:, 1] = 1.0
    for episode in range(n_episodes):
        state, _ = env.reset(seed=seed if episode == 0 else None)
        states, actions, rewards = [], [], []
        done = False
        while not done:
            if rng.random() < 0.5:
                action = int(np.argmax(np.asarray(state) @ hand_made))
            else:
                action = int(rng.choice(n_actions, p=policy_probs(theta, state)))
            next_state, reward, terminated, truncated, _ = env.step(action)
            states.append(state)
            actions.append(action)
            rewards.append(reward)
            state, done = next_state, terminated or truncated
        returns = np.zeros(len(rewards))
        future = 0.0
        for t in reversed(range(len(rewards))):
            future = rewards[t] + gamma * future
            returns[t] = future
        returns = (returns - returns.mean()) / (returns.std() + 1e-8)
        grad = np.zeros_like(theta)
        for s, a, g in zip(states, actions, returns):
            grad += g * grad_log_pi(theta, s, a)
        theta = theta + lr * grad
    return theta
