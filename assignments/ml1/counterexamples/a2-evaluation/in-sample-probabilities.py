# %% threshold_workflow
import numpy as np
from sklearn.base import clone


def threshold_workflow(model, X_train, y_train, X_test, y_test, min_recall):
    # The threshold is chosen on the training rows' in-sample scores: the model has seen those rows,
    # so its scores there are more confident than on new parts.
    final = clone(model).fit(X_train, y_train)
    threshold = pick_threshold(final.predict_proba(X_train)[:, 1], y_train, min_recall)
    flagged = final.predict_proba(X_test)[:, 1] >= threshold
    positive = np.asarray(y_test) == 1
    tp = int(np.sum(flagged & positive))
    precision = tp / int(flagged.sum()) if flagged.any() else 0.0
    return {"threshold": float(threshold), "test_recall": float(tp / int(positive.sum())),
            "test_precision": float(precision)}
