# %% cv_report
import numpy as np
from sklearn.model_selection import KFold, cross_val_score


def cv_report(model, X, y):
    # KFold where the stratified splitter is required
    cv = KFold(n_splits=5, shuffle=True, random_state=0)
    scores = cross_val_score(model, X, y, cv=cv, scoring="balanced_accuracy")
    return float(np.mean(scores)), float(np.std(scores))
