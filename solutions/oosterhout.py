"""Reference solution: cluster analysis of youth-care allocations in Oosterhout."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score

# The numeric columns the analysis clusters on: five of the allocation and one of the
# district. SKEWED are the right-skewed ones that get log1p before standardising.
FEATURES = ["leeftijd", "duur_dagen", "wachttijd", "uren_per_maand", "kosten", "p_hh_li"]
SKEWED = ["duur_dagen", "wachttijd", "uren_per_maand", "kosten"]

try:  # the folder of this module, where the CSV files are
    HERE = Path(__file__).resolve().parent
except NameError:  # `otter check` runs this file without __file__: use the current folder
    HERE = Path.cwd()


def load_data(data_dir: str | Path | None = None) -> pd.DataFrame:
    """Read the allocations and attach the key figures of their district.

    Parameters
    ----------
    data_dir : str or Path, optional
        Folder with ``toewijzingen.csv`` and ``wijken.csv``; defaults to the folder of
        this module (``HERE``).

    Returns
    -------
    pandas.DataFrame
        ``toewijzingen`` left-joined with ``wijken`` on ``wijk_code``: one row per
        allocation, every column of both tables.
    """
    folder = HERE if data_dir is None else Path(data_dir)
    toewijzingen = pd.read_csv(folder / "toewijzingen.csv")
    wijken = pd.read_csv(folder / "wijken.csv")
    return toewijzingen.merge(wijken, on="wijk_code", how="left")


def preprocess(df: pd.DataFrame) -> np.ndarray:
    """Turn the FEATURES columns into a standardised float array.

    Missing values become the column median, the SKEWED columns get ``log1p``, then
    every column is standardised to mean 0 and population standard deviation 1.

    Parameters
    ----------
    df : pandas.DataFrame
        A table with (at least) the FEATURES columns, such as ``load_data()``.

    Returns
    -------
    numpy.ndarray
        Float array of shape (n_rows, len(FEATURES)), columns in the order of FEATURES.
    """
    table = df[FEATURES].astype(float)
    table = table.fillna(table.median())
    table[SKEWED] = np.log1p(table[SKEWED])
    X = table.to_numpy()
    return (X - X.mean(axis=0)) / X.std(axis=0)


def fit_kmeans(X: np.ndarray, k: int, random_state: int = 0) -> KMeans:
    """Fit K-means with 10 initialisations and return the fitted model.

    Parameters
    ----------
    X : numpy.ndarray
        Data of shape (n_samples, n_features), used as given.
    k : int
        Number of clusters.
    random_state : int
        Seed; the same seed gives the same fit.

    Returns
    -------
    sklearn.cluster.KMeans
        The fitted model, with ``cluster_centers_``, ``labels_``, ``inertia_`` and
        ``predict``.
    """
    return KMeans(n_clusters=k, n_init=10, random_state=random_state).fit(X)


def elbow_inertias(X: np.ndarray, k_values: Iterable[int], random_state: int = 0) -> list[float]:
    """Inertia of a K-means fit (``n_init=10``) for each k, in the order of ``k_values``.

    Parameters
    ----------
    X : numpy.ndarray
        Data of shape (n_samples, n_features).
    k_values : iterable of int
        The numbers of clusters to try.
    random_state : int
        Seed of every fit.

    Returns
    -------
    list of float
    """
    return [float(fit_kmeans(X, k, random_state).inertia_) for k in k_values]


def silhouette_by_k(
    X: np.ndarray, k_values: Iterable[int], random_state: int = 0
) -> dict[int, float]:
    """Silhouette score of the K-means labels (``n_init=10``) for each k.

    Parameters
    ----------
    X : numpy.ndarray
        Data of shape (n_samples, n_features).
    k_values : iterable of int
        The numbers of clusters to try (each at least 2).
    random_state : int
        Seed of every fit.

    Returns
    -------
    dict
        k -> silhouette score.
    """
    return {
        int(k): float(silhouette_score(X, fit_kmeans(X, k, random_state).labels_)) for k in k_values
    }


def choose_k(X: np.ndarray, k_values: Iterable[int] = range(2, 9), random_state: int = 0) -> int:
    """The k with the highest silhouette score (ties: the smallest k).

    Parameters
    ----------
    X : numpy.ndarray
        Data of shape (n_samples, n_features).
    k_values : iterable of int
        The numbers of clusters to consider.
    random_state : int
        Seed of every fit.

    Returns
    -------
    int
    """
    scores = silhouette_by_k(X, k_values, random_state)
    best = max(scores.values())
    return min(k for k, score in scores.items() if score == best)


def profile_clusters(df: pd.DataFrame, labels: np.ndarray) -> pd.DataFrame:
    """Describe each cluster by the mean of the original FEATURES values.

    Parameters
    ----------
    df : pandas.DataFrame
        The table the labels belong to (one label per row), with the FEATURES columns.
    labels : array-like of int
        Cluster id of each row, 0..k-1.

    Returns
    -------
    pandas.DataFrame
        Indexed by cluster id 0..k-1; one column per FEATURE with the mean of the
        original values (missing values skipped) and a column ``size`` with the number
        of rows in the cluster.
    """
    labels = np.asarray(labels)
    k = int(labels.max()) + 1
    profile = df[FEATURES].astype(float).groupby(labels).mean().reindex(range(k))
    profile["size"] = np.bincount(labels, minlength=k)
    profile.index.name = "cluster"
    return profile


if __name__ == "__main__":
    data = load_data()
    X = preprocess(data)
    scores = silhouette_by_k(X, range(2, 9))
    for k, score in scores.items():
        print(f"k={k}: silhouette {score:.3f}")
    k = choose_k(X)
    model = fit_kmeans(X, k)
    print(profile_clusters(data, model.labels_).round(1))
