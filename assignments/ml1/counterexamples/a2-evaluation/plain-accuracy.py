# %% cv_report
import numpy as np
from sklearn.model_selection import StratifiedKFold, cross_val_score


def cv_report(model, X, y):
    # plain accuracy instead of balanced accuracy
    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    scores = cross_val_score(model, X, y, cv=cv, scoring="accuracy")
    return float(np.mean(scores)), float(np.std(scores))
