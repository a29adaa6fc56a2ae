"""Handwriting recognition with K-means.

Fill in every function below; README.md tells the story and the rules. Check your
work with ``clusterlab check handwriting``, ``pytest`` in this folder, or
``otter check handwriting.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def load_digits_data() -> tuple[np.ndarray, np.ndarray]:
    """Load scikit-learn's handwritten digits.

    Returns
    -------
    X : ndarray of shape (1797, 64), float
        One row per image: its 8 x 8 pixels row by row, raw values 0..16, in the
        order scikit-learn gives them.
    y : ndarray of shape (1797,), int
        The digit (0..9) each image shows.
    """
    raise NotImplementedError


def fit_kmeans(X: np.ndarray, n_clusters: int = 10, random_state: int = 0) -> Any:
    """Fit K-means on ``X`` exactly as given and return the fitted model.

    Do not rescale or normalise ``X`` inside this function. The result must be a
    converged K-means solution: keep the best of several runs (``n_init=10``), each
    run until the labels stop changing. The same ``random_state`` must give the same
    result, and a different one may give another.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The data to cluster.
    n_clusters : int, default=10
        Number of clusters.
    random_state : int, default=0
        Seed for the initialisation.

    Returns
    -------
    model
        The fitted model, with ``cluster_centers_`` of shape (n_clusters, n_features),
        ``labels_`` of shape (n_samples,) holding ids 0..n_clusters-1, ``inertia_``
        (the sum of squared distances of the rows to their centre), and a method
        ``predict(X)`` giving the nearest centre of each row. A fitted
        ``sklearn.cluster.KMeans`` is such a model.
    """
    raise NotImplementedError


def centroid_images(model: Any) -> np.ndarray:
    """The cluster centres of ``model`` as images.

    Returns
    -------
    ndarray of shape (n_clusters, 8, 8)
        Image ``i`` is centre ``i``; its 64 values are the pixels row by row.
    """
    raise NotImplementedError


def map_clusters_to_digits(cluster_labels: np.ndarray, y: np.ndarray) -> dict[int, int]:
    """Name each cluster after the digit that occurs most often among its members.

    Parameters
    ----------
    cluster_labels : ndarray of shape (n,)
        Cluster id of each image (any non-negative ints, not necessarily 0..9).
    y : ndarray of shape (n,)
        True digit (0..9) of each image.

    Returns
    -------
    dict
        Cluster id -> digit, with every cluster id present in ``cluster_labels`` as
        a key. When two digits occur equally often in a cluster, take the smallest.
    """
    raise NotImplementedError


def predict_digits(model: Any, mapping: dict[int, int], X: np.ndarray) -> np.ndarray:
    """Predict a digit for each row of ``X``.

    Returns
    -------
    ndarray of shape (n,), int
        For each row, ``mapping[c]`` where ``c`` is the row's nearest centre in ``model``.
    """
    raise NotImplementedError


def mapping_accuracy(model: Any, mapping: dict[int, int], X: np.ndarray, y: np.ndarray) -> float:
    """Share of rows of ``X`` whose predicted digit (``predict_digits``) equals ``y``.

    Returns
    -------
    float
        A number between 0 and 1.
    """
    raise NotImplementedError


def confusion_counts(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Count how often each true digit was predicted as each digit.

    Returns
    -------
    ndarray of shape (10, 10), int
        Entry ``[t, p]`` is the number of rows with true digit ``t`` and predicted
        digit ``p``; every digit 0..9 has a row and a column, even if it never occurs.
    """
    raise NotImplementedError


def most_confused_pair(cm: np.ndarray) -> tuple[int, int]:
    """The most frequent mistake in a confusion matrix.

    Parameters
    ----------
    cm : ndarray of shape (10, 10)
        Counts as returned by ``confusion_counts``.

    Returns
    -------
    tuple of int
        ``(true, predicted)`` of the largest off-diagonal count. When several counts
        tie, the first in row-major order (row by row, left to right).
    """
    raise NotImplementedError


def cluster_sizes(cluster_labels: np.ndarray) -> dict[int, int]:
    """Count the members of each cluster.

    Returns
    -------
    dict
        Cluster id -> number of members, for every cluster id present in
        ``cluster_labels``.
    """
    raise NotImplementedError
