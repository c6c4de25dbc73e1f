# NOT HELD YET: tune returns SVC().fit(X, y) with no hyperparameter search.
# Today it earns test_tune_accuracy 5 points (autograder validate, 2026-12-06), so it is not
# in the course config; list it there, capped at 0, once the tests refuse it (issue 18).
# %% tune
from sklearn.svm import SVC


def tune(X_train, y_train):
    # no search at all: the default SVC already clears the accuracy bar
    return SVC().fit(X_train, y_train)
