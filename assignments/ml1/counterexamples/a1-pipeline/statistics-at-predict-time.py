# %% build_pipeline
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler


def _numeric_columns(X):
    return [col for col in X.columns
            if pd.to_numeric(X[col], errors="coerce").notna().sum() == X[col].notna().sum()]


def _text_columns(X):
    numeric = set(_numeric_columns(X))
    return [col for col in X.columns if col not in numeric]


def _as_numbers(X):
    return X.apply(pd.to_numeric, errors="coerce")


def _standardise(X):
    # Leakage at prediction time: the scaler is fitted on whatever rows it is given, so the
    # rows predicted together decide each other's features.
    return StandardScaler().fit_transform(X)


def build_pipeline():
    numbers = make_pipeline(FunctionTransformer(_as_numbers),
                            SimpleImputer(strategy="median", keep_empty_features=True),
                            FunctionTransformer(_standardise))
    text = make_pipeline(SimpleImputer(strategy="constant", fill_value="missing"),
                         OneHotEncoder(handle_unknown="ignore"))
    preprocess = ColumnTransformer([("num", numbers, _numeric_columns),
                                    ("text", text, _text_columns)])
    return Pipeline([("preprocess", preprocess), ("classify", LogisticRegression(max_iter=1000))])
