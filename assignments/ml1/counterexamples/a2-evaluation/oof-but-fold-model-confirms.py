# %% threshold_workflow
import numpy as np
from sklearn.base import clone
from sklearn.model_selection import StratifiedKFold


def threshold_workflow(model, X_train, y_train, X_test, y_test, min_recall):
    # Out-of-fold scores done by hand, but the confirmation reuses the last fold's model
    # (trained on four fifths of the rows) instead of a model fitted on all training rows.
    X_train, y_train = np.asarray(X_train), np.asarray(y_train)
    oof = np.zeros(len(y_train))
    for tr, va in StratifiedKFold(n_splits=5, shuffle=True, random_state=0).split(X_train, y_train):
        fold_model = clone(model).fit(X_train[tr], y_train[tr])
        oof[va] = fold_model.predict_proba(X_train[va])[:, 1]
    threshold = pick_threshold(oof, y_train, min_recall)
    flagged = fold_model.predict_proba(X_test)[:, 1] >= threshold
    positive = np.asarray(y_test) == 1
    tp = int(np.sum(flagged & positive))
    precision = tp / int(flagged.sum()) if flagged.any() else 0.0
    return {"threshold": float(threshold), "test_recall": float(tp / int(positive.sum())),
            "test_precision": float(precision)}
