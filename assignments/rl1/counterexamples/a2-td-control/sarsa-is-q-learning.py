# sarsa takes the max in its target, not the next action taken: refused by the hidden update
# check of test_sarsa (and by test_cliff_walking).
# %% sarsa
def sarsa(env, n_episodes, alpha, gamma, epsilon, seed):
    # Q-learning submitted as SARSA: the target takes the max, not the next action taken.
    return q_learning(env, n_episodes, alpha, gamma, epsilon, seed)
