# %% build_pipeline
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler


def build_pipeline():
    # Only the numeric columns: island and sex are dropped instead of encoded.
    numeric = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
    preprocess = ColumnTransformer(
        [("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric)],
        remainder="drop",
    )
    return Pipeline([("preprocess", preprocess),
                     ("classify", LogisticRegression(max_iter=1000))])
