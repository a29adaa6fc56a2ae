"""Opdracht Oosterhout -- clusteranalyse jeugdzorg.

Sanne de Vries, groep 2B
"""

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score

FEATURES = ["leeftijd", "duur_dagen", "wachttijd", "uren_per_maand", "kosten", "p_hh_li"]
SKEWED = ["duur_dagen", "wachttijd", "uren_per_maand", "kosten"]


def load_data(data_dir=None):
    """Toewijzingen met de kerncijfers van hun wijk (left join, dus niets valt weg)."""
    if data_dir is None:
        data_dir = Path(__file__).resolve().parent
    data_dir = Path(data_dir)
    toewijzingen = pd.read_csv(data_dir / "toewijzingen.csv")
    wijken = pd.read_csv(data_dir / "wijken.csv")
    return toewijzingen.merge(wijken, on="wijk_code", how="left")


def preprocess(df):
    """Mediaan invullen -> log1p op de scheve kolommen -> standaardiseren."""
    X = df[FEATURES].astype(float)
    X = X.fillna(X.median())
    for col in SKEWED:
        X[col] = np.log1p(X[col])
    X = (X - X.mean()) / X.std(ddof=0)
    return X.to_numpy()


def fit_kmeans(X, k, random_state=0):
    return KMeans(n_clusters=k, n_init=10, random_state=random_state).fit(X)


def elbow_inertias(X, k_values, random_state=0):
    return [fit_kmeans(X, k, random_state).inertia_ for k in k_values]


def silhouette_by_k(X, k_values, random_state=0):
    scores = {}
    for k in k_values:
        model = fit_kmeans(X, k, random_state)
        scores[k] = silhouette_score(X, model.labels_)
    return scores


def choose_k(X, k_values=range(2, 9), random_state=0):
    scores = silhouette_by_k(X, k_values, random_state)
    beste = max(scores.values())
    return min(k for k in scores if scores[k] == beste)


def profile_clusters(df, labels):
    labels = np.asarray(labels)
    profiel = df[FEATURES].groupby(labels).mean()
    profiel["size"] = pd.Series(labels).value_counts().sort_index().to_numpy()
    return profiel


if __name__ == "__main__":
    import matplotlib.pyplot as plt

    df = load_data()
    X = preprocess(df)
    ks = list(range(2, 9))
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    ax1.plot([1] + ks, elbow_inertias(X, [1] + ks), marker="o")
    ax1.set_title("elbow")
    sil = silhouette_by_k(X, ks)
    ax2.plot(ks, list(sil.values()), marker="o")
    ax2.set_title("silhouette")
    plt.savefig("keuze_k.png")
    k = choose_k(X)
    model = fit_kmeans(X, k)
    print(profile_clusters(df, model.labels_).round(1))
    print(pd.crosstab(model.labels_, df["zorgsoort"]))
