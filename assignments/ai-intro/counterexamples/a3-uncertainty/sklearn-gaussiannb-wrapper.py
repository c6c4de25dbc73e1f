# NOT HELD YET: NaiveBayes wraps scikit-learn's GaussianNB.
# Today it earns test_naive_bayes_sklearn 4 points (autograder validate, 2026-12-06), so it is not
# in the course config; list it there, capped at 0, once the tests refuse it (issue 20).
# %% naive_bayes
import numpy as np
from sklearn.naive_bayes import GaussianNB


class NaiveBayes:
    # Wraps scikit-learn's GaussianNB, the very reference the tests compare with.
    def fit(self, X, y):
        self.model_ = GaussianNB().fit(X, y)
        return self

    def predict(self, X):
        return self.model_.predict(X)
