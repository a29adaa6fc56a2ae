# Lotte Visser -- Oosterhout cluster analysis
# I used a scikit-learn pipeline so the preprocessing is in one place.

import os

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.metrics import silhouette_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

FEATURES = ["leeftijd", "duur_dagen", "wachttijd", "uren_per_maand", "kosten", "p_hh_li"]
SKEWED = ["duur_dagen", "wachttijd", "uren_per_maand", "kosten"]


def load_data(data_dir=None):
    data_dir = data_dir or os.path.dirname(os.path.abspath(__file__))
    alloc = pd.read_csv(os.path.join(data_dir, "toewijzingen.csv"))
    wijken = pd.read_csv(os.path.join(data_dir, "wijken.csv"))
    merged = alloc.merge(wijken, how="left", on="wijk_code", validate="many_to_one")
    assert len(merged) == len(alloc)
    return merged


def preprocess(df):
    log_or_not = ColumnTransformer(
        [(c, FunctionTransformer(np.log1p) if c in SKEWED else "passthrough", [i])
         for i, c in enumerate(FEATURES)]
    )
    pipe = Pipeline([
        ("impute", SimpleImputer(strategy="median")),
        ("log", log_or_not),
        ("scale", StandardScaler()),
    ])
    return pipe.fit_transform(df[FEATURES])


def fit_kmeans(X, k, random_state=0):
    return KMeans(n_clusters=k, n_init=10, random_state=random_state).fit(X)


def elbow_inertias(X, k_values, random_state=0):
    return [float(fit_kmeans(X, k, random_state).inertia_) for k in k_values]


def silhouette_by_k(X, k_values, random_state=0):
    return {
        int(k): float(silhouette_score(X, fit_kmeans(X, k, random_state).labels_))
        for k in k_values
    }


def choose_k(X, k_values=range(2, 9), random_state=0):
    scores = silhouette_by_k(X, k_values, random_state)
    ks = sorted(scores)
    return ks[int(np.argmax([scores[k] for k in ks]))]


def profile_clusters(df, labels):
    labels = np.asarray(labels)
    rows = {}
    for c in range(labels.max() + 1):
        part = df.loc[labels == c, FEATURES]
        rows[c] = {**part.mean().to_dict(), "size": len(part)}
    return pd.DataFrame.from_dict(rows, orient="index")
