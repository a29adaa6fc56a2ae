# Oosterhout assignment - Jesse Jansen
import numpy as np
import pandas as pd
import os
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score

FEATURES = ["leeftijd", "duur_dagen", "wachttijd", "uren_per_maand", "kosten", "p_hh_li"]
SKEWED = ["duur_dagen", "wachttijd", "uren_per_maand", "kosten"]


def load_data(data_dir=None):
    if data_dir == None:
        data_dir = os.path.dirname(__file__)
    t = pd.read_csv(os.path.join(data_dir, "toewijzingen.csv"))
    w = pd.read_csv(os.path.join(data_dir, "wijken.csv"))
    df = pd.merge(t, w, on="wijk_code", how="left")
    return df


def preprocess(df):
    data = df[FEATURES].copy()
    for c in FEATURES:
        data[c] = data[c].fillna(data[c].median())
    for c in SKEWED:
        data[c] = np.log1p(data[c])
    # log makes everything about the same size so no scaling needed
    return data.values.astype(float)


def fit_kmeans(X, k, random_state=0):
    km = KMeans(n_clusters=k, n_init=10, random_state=random_state)
    km.fit(X)
    return km


def elbow_inertias(X, k_values, random_state=0):
    res = []
    for k in k_values:
        res.append(fit_kmeans(X, k, random_state).inertia_)
    return res


def silhouette_by_k(X, k_values, random_state=0):
    res = {}
    for k in k_values:
        km = fit_kmeans(X, k, random_state)
        res[k] = silhouette_score(X, km.labels_)
    return res


def choose_k(X, k_values=range(2, 9), random_state=0):
    res = silhouette_by_k(X, k_values, random_state)
    best_k = None
    for k in res:
        if best_k is None or res[k] > res[best_k]:
            best_k = k
    return best_k


def profile_clusters(df, labels):
    df2 = df[FEATURES].copy()
    df2["cluster"] = labels
    prof = df2.groupby("cluster").mean()
    prof["size"] = df2.groupby("cluster").size()
    return prof


# print(choose_k(preprocess(load_data())))
