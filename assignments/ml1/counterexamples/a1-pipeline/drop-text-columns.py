# %% build_pipeline
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler


def _numeric_columns(X):
    return [col for col in X.columns
            if pd.to_numeric(X[col], errors="coerce").notna().sum() == X[col].notna().sum()]


def _as_numbers(X):
    return X.apply(pd.to_numeric, errors="coerce")


def build_pipeline():
    # Works on any table, numbers stored as text included, but drops every text column instead
    # of encoding it: unseen categories never break it, because it never looks at categories.
    numbers = make_pipeline(FunctionTransformer(_as_numbers, feature_names_out="one-to-one"),
                            SimpleImputer(strategy="median", keep_empty_features=True),
                            StandardScaler())
    return Pipeline([("preprocess", ColumnTransformer([("num", numbers, _numeric_columns)])),
                     ("classify", LogisticRegression(max_iter=1000))])
