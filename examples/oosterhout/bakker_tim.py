"""Tim Bakker - opdracht jeugdzorg Oosterhout"""
import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from pathlib import Path

FEATURES = ["leeftijd", "duur_dagen", "wachttijd", "uren_per_maand", "kosten", "p_hh_li"]
SKEWED = ["duur_dagen", "wachttijd", "uren_per_maand", "kosten"]

HERE = Path(__file__).parent


def load_data(data_dir=None):
    folder = HERE if data_dir is None else Path(data_dir)
    toew = pd.read_csv(folder / "toewijzingen.csv")
    wijk = pd.read_csv(folder / "wijken.csv")
    return toew.merge(wijk, on="wijk_code")  # koppelen op wijkcode


def preprocess(df):
    X = df[FEATURES].fillna(df[FEATURES].mean())  # gemiddelde invullen
    X[SKEWED] = np.log1p(X[SKEWED])
    return ((X - X.mean()) / X.std(ddof=0)).to_numpy()


def fit_kmeans(X, k, random_state=0):
    return KMeans(n_clusters=k, n_init=10, random_state=random_state).fit(X)


def elbow_inertias(X, k_values, random_state=0):
    return [fit_kmeans(X, k, random_state).inertia_ for k in k_values]


def silhouette_by_k(X, k_values, random_state=0):
    return {k: silhouette_score(X, fit_kmeans(X, k, random_state).labels_) for k in k_values}


def choose_k(X, k_values=range(2, 9), random_state=0):
    # elbow: de k met de laagste inertia is het beste model
    ks = list(k_values)
    inertias = elbow_inertias(X, ks, random_state)
    return ks[int(np.argmin(inertias))]


def profile_clusters(df, labels):
    p = df[FEATURES].groupby(labels).mean()
    p["size"] = np.bincount(labels)
    return p
