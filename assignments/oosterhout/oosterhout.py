"""Cluster analysis of youth-care allocations in Oosterhout.

Fill in every function below; keep the names, the parameters and what each function
returns (the docstrings say exactly what that is). Read README.md first.

Run ``python -m pytest tests`` in this folder to check your work so far.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score  # noqa: F401 (you will need it)

# Given: do not change. The numeric columns the analysis clusters on (five of the
# allocation, one of the district) and the right-skewed ones among them, which get
# log1p before standardising.
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
    raise NotImplementedError


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
    raise NotImplementedError


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
    raise NotImplementedError


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
    raise NotImplementedError


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
    raise NotImplementedError


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
    raise NotImplementedError


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
    raise NotImplementedError
