"""Reference solution: K-means on handwritten digits.

Clusters scikit-learn's 1,797 digit images (8 x 8 pixels, values 0..16) into ten
groups, names each group after the digit that occurs most often in it, and
measures how often that name is right.
"""

from __future__ import annotations

import numpy as np
from sklearn.cluster import KMeans
from sklearn.datasets import load_digits


def load_digits_data() -> tuple[np.ndarray, np.ndarray]:
    """Load scikit-learn's digits.

    Returns
    -------
    X : ndarray of shape (1797, 64), float
        One row per image: the 8 x 8 pixels row by row, values 0..16.
    y : ndarray of shape (1797,), int
        The digit each image shows.
    """
    digits = load_digits()
    return digits.data.astype(float), digits.target.astype(int)


def fit_kmeans(X: np.ndarray, n_clusters: int = 10, random_state: int = 0) -> KMeans:
    """Fit K-means on ``X`` exactly as given and return the fitted model.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The data; it is not rescaled.
    n_clusters : int, default=10
        Number of clusters.
    random_state : int, default=0
        Seed of the initialisation; the same seed gives the same result.

    Returns
    -------
    KMeans
        The best of ten k-means++ runs, each run to convergence.
    """
    return KMeans(n_clusters=n_clusters, n_init=10, random_state=random_state).fit(X)


def centroid_images(model: KMeans) -> np.ndarray:
    """The cluster centres as images, shape (n_clusters, 8, 8).

    Each centre holds 64 pixels row by row, so a plain reshape restores the image.
    """
    return np.asarray(model.cluster_centers_).reshape(-1, 8, 8)


def map_clusters_to_digits(cluster_labels: np.ndarray, y: np.ndarray) -> dict[int, int]:
    """Map each cluster id to the digit that occurs most often among its members.

    Parameters
    ----------
    cluster_labels : ndarray of shape (n,)
        Cluster id of each image.
    y : ndarray of shape (n,)
        True digit (0..9) of each image.

    Returns
    -------
    dict
        Cluster id -> digit, for every id present in ``cluster_labels``. Ties go
        to the smallest digit.
    """
    cluster_labels = np.asarray(cluster_labels)
    y = np.asarray(y)
    mapping = {}
    for cluster in np.unique(cluster_labels):
        counts = np.bincount(y[cluster_labels == cluster], minlength=10)
        mapping[int(cluster)] = int(np.argmax(counts))  # first maximum = smallest digit
    return mapping


def predict_digits(model: KMeans, mapping: dict[int, int], X: np.ndarray) -> np.ndarray:
    """Predict a digit for each row of ``X``: the mapped digit of its nearest centre."""
    clusters = model.predict(X)
    return np.array([mapping[int(c)] for c in clusters], dtype=int)


def mapping_accuracy(model: KMeans, mapping: dict[int, int], X: np.ndarray, y: np.ndarray) -> float:
    """Share of rows of ``X`` whose predicted digit equals ``y``."""
    return float(np.mean(predict_digits(model, mapping, X) == np.asarray(y)))


def confusion_counts(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Count matrix (10, 10): row = true digit, column = predicted digit."""
    counts = np.zeros((10, 10), dtype=int)
    np.add.at(counts, (np.asarray(y_true, dtype=int), np.asarray(y_pred, dtype=int)), 1)
    return counts


def most_confused_pair(cm: np.ndarray) -> tuple[int, int]:
    """``(true, predicted)`` of the largest off-diagonal count.

    Ties go to the first pair in row-major order.
    """
    off_diagonal = np.array(cm, dtype=float)
    np.fill_diagonal(off_diagonal, -np.inf)
    true, predicted = np.unravel_index(np.argmax(off_diagonal), off_diagonal.shape)
    return int(true), int(predicted)


def cluster_sizes(cluster_labels: np.ndarray) -> dict[int, int]:
    """Number of members of each cluster id present in ``cluster_labels``."""
    ids, counts = np.unique(np.asarray(cluster_labels), return_counts=True)
    return {int(i): int(n) for i, n in zip(ids, counts, strict=True)}
