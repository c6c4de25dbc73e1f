# %% build_pipeline
from palmerpenguins import load_penguins
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler


def build_pipeline():
    # Leakage: the preprocessing is fitted once on the whole table, before any split, and
    # only its (already fitted) transform goes into the pipeline.
    numeric = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
    categorical = ["island", "sex"]
    preprocess = ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
            ("cat", make_pipeline(SimpleImputer(strategy="most_frequent"),
                                  OneHotEncoder(handle_unknown="ignore")), categorical),
        ],
    )
    preprocess.fit(load_penguins().drop(columns="species"))
    return Pipeline([("preprocess", FunctionTransformer(preprocess.transform)),
                     ("classify", LogisticRegression(max_iter=1000))])
