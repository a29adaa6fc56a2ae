"""
Assignment: youth care Oosterhout
Author: Yusuf El Amrani
"""
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.impute import SimpleImputer
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import StandardScaler

FEATURES = ["leeftijd", "duur_dagen", "wachttijd", "uren_per_maand", "kosten", "p_hh_li"]
SKEWED = ["duur_dagen", "wachttijd", "uren_per_maand", "kosten"]


def load_data(data_dir=None):
    data_dir = Path(data_dir) if data_dir else Path(__file__).resolve().parent
    toewijzingen = pd.read_csv(data_dir / "toewijzingen.csv")
    wijken = pd.read_csv(data_dir / "wijken.csv").set_index("wijk_code")
    return toewijzingen.join(wijken, on="wijk_code")


def preprocess(df):
    X = SimpleImputer(strategy="median").fit_transform(df[FEATURES])
    idx = [FEATURES.index(c) for c in SKEWED]
    X[:, idx] = np.log1p(X[:, idx])
    return StandardScaler().fit_transform(X)


def fit_kmeans(X, k, random_state=0):
    return KMeans(n_clusters=k, n_init=10, random_state=random_state).fit(X)


def elbow_inertias(X, k_values, random_state=0):
    return [fit_kmeans(X, k, random_state).inertia_ for k in k_values]


def silhouette_by_k(X, k_values, random_state=0):
    out = {}
    for k in k_values:
        labels = fit_kmeans(X, k, random_state).labels_
        # full silhouette is slow, 500 rows is enough
        out[k] = silhouette_score(X, labels, sample_size=500, random_state=random_state)
    return out


def choose_k(X, k_values=range(2, 9), random_state=0):
    s = silhouette_by_k(X, k_values, random_state)
    return max(s, key=s.get)


def profile_clusters(df, labels):
    X = preprocess(df)  # same scale for every column, easier to compare
    profile = pd.DataFrame(X, columns=FEATURES).groupby(np.asarray(labels)).mean()
    profile["size"] = np.bincount(labels)
    return profile
