# %% cv_report
import numpy as np
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.preprocessing import StandardScaler


def cv_report(model, X, y):
    # Leakage: the scaler is fitted on all rows, validation folds included, before the split.
    X_scaled = StandardScaler().fit_transform(X)
    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    scores = cross_val_score(model, X_scaled, y, cv=cv, scoring="balanced_accuracy")
    return float(np.mean(scores)), float(np.std(scores))
