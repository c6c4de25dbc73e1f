# %% build_pipeline
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler


def build_pipeline():
    # Chooses columns by dtype only: numbers stored as text ("63.5") go to the one-hot encoder
    # as if each value were a name, so the measurement they hold is lost.
    numbers = make_pipeline(SimpleImputer(strategy="median", keep_empty_features=True),
                            StandardScaler())
    text = make_pipeline(SimpleImputer(strategy="constant", fill_value="missing"),
                         OneHotEncoder(handle_unknown="ignore"))
    preprocess = ColumnTransformer([
        ("num", numbers, make_column_selector(dtype_include="number")),
        ("text", text, make_column_selector(dtype_exclude="number")),
    ])
    return Pipeline([("preprocess", preprocess), ("classify", LogisticRegression(max_iter=1000))])
