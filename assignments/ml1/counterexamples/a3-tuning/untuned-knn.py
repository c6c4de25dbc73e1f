# %% tune
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def tune(X_train, y_train):
    # no search: the best of the untuned models, k-nearest neighbours with k=5 on standardised
    # readings, which follows the wrong labels
    return make_pipeline(StandardScaler(), KNeighborsClassifier()).fit(X_train, y_train)
