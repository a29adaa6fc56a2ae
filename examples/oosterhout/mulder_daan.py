"""Cluster analysis of youth-care allocations in Oosterhout.

Daan Mulder -- not finished, ran out of time :(
"""

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score  # noqa: F401 (you will need it)

FEATURES = ["leeftijd", "duur_dagen", "wachttijd", "uren_per_maand", "kosten", "p_hh_li"]
SKEWED = ["duur_dagen", "wachttijd", "uren_per_maand", "kosten"]


def load_data(data_dir=None):
    folder = Path(__file__).resolve().parent if data_dir is None else Path(data_dir)
    t = pd.read_csv(folder / "toewijzingen.csv")
    w = pd.read_csv(folder / "wijken.csv")
    return t.merge(w, on="wijk_code", how="left")


def preprocess(df):
    X = df[FEATURES].fillna(0)  # TODO median?
    X[SKEWED] = np.log1p(X[SKEWED])
    return ((X - X.mean()) / X.std()).to_numpy()


def fit_kmeans(X, k, random_state=0):
    return KMeans(n_clusters=k, n_init=10, random_state=random_state).fit(X)


def elbow_inertias(X, k_values, random_state=0):
    raise NotImplementedError


def silhouette_by_k(X, k_values, random_state=0):
    raise NotImplementedError


def choose_k(X, k_values=range(2, 9), random_state=0):
    raise NotImplementedError


def profile_clusters(df, labels):
    raise NotImplementedError
