"""K-means from scratch on the iris data.

Fill in every function below (replace ``raise NotImplementedError``) and answer the quiz
at the bottom. Use numpy; you may load the data with ``sklearn.datasets.load_iris``, but
do not use ``sklearn.cluster`` anywhere in this file: the point is to write K-means
yourself. Check your work with ``pytest`` in this folder (see README.md).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np


def assign_clusters(X: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """Index of the nearest centroid for every sample.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The samples.
    centroids : ndarray of shape (k, n_features)
        The current centroids.

    Returns
    -------
    labels : ndarray of int, shape (n_samples,)
        ``labels[i]`` is the index of the centroid closest to ``X[i]`` in Euclidean
        distance; a tie goes to the lowest index.
    """
    raise NotImplementedError


def update_centroids(
    X: np.ndarray, labels: np.ndarray, k: int, old_centroids: np.ndarray
) -> np.ndarray:
    """Move every centroid to the mean of the samples assigned to it.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The samples.
    labels : ndarray of int, shape (n_samples,)
        Cluster index of every sample, in ``0 .. k-1``.
    k : int
        Number of clusters.
    old_centroids : ndarray of shape (k, n_features)
        The centroids before the update.

    Returns
    -------
    centroids : ndarray of shape (k, n_features)
        Row ``j`` is the mean of the samples with label ``j``; a cluster without
        samples keeps its old centroid.
    """
    raise NotImplementedError


def init_random(X: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Pick ``k`` different rows of ``X`` at random as the first centroids.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The samples.
    k : int
        Number of centroids, at most ``n_samples``.
    rng : numpy.random.Generator
        The only source of randomness (same generator state, same rows).

    Returns
    -------
    centroids : ndarray of shape (k, n_features)
        Copies of ``k`` rows of ``X`` with different row indices.
    """
    raise NotImplementedError


def init_kmeans_plus_plus(X: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Pick ``k`` rows of ``X`` by k-means++ seeding.

    The first centroid is a row chosen uniformly at random; every next one is a row
    chosen with probability proportional to its squared distance to the nearest
    centroid chosen so far (D² sampling).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The samples.
    k : int
        Number of centroids.
    rng : numpy.random.Generator
        The only source of randomness (same generator state, same rows).

    Returns
    -------
    centroids : ndarray of shape (k, n_features)
        Copies of the chosen rows, in the order they were chosen.
    """
    raise NotImplementedError


def inertia(X: np.ndarray, centroids: np.ndarray, labels: np.ndarray) -> float:
    """Sum of squared distances of the samples to their assigned centroids.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The samples.
    centroids : ndarray of shape (k, n_features)
        The centroids.
    labels : ndarray of int, shape (n_samples,)
        The centroid each sample is assigned to (not necessarily the nearest one).

    Returns
    -------
    float
        ``sum_i ||X[i] - centroids[labels[i]]||²``.
    """
    raise NotImplementedError


def kmeans(
    X: np.ndarray,
    k: int,
    init: str = "k-means++",
    n_init: int = 10,
    max_iter: int = 300,
    tol: float = 1e-4,
    random_state: int | None = 0,
) -> tuple[np.ndarray, np.ndarray, float, int]:
    """K-means clustering: the best of ``n_init`` runs of Lloyd's algorithm.

    All runs draw from one ``numpy.random.default_rng(random_state)``. Each run places
    its first centroids with ``init`` ("k-means++" or "random"), then alternates
    :func:`assign_clusters` and :func:`update_centroids`; it stops when no centroid
    moves more than ``tol`` (Euclidean distance) in one update, or after ``max_iter``
    iterations.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The samples.
    k : int
        Number of clusters.
    init : {"k-means++", "random"}
        How each run places its first centroids.
    n_init : int
        Number of runs; the run with the lowest inertia is returned.
    max_iter : int
        Maximum number of assign/update iterations of one run.
    tol : float
        A run stops when no centroid moves more than ``tol`` in one update.
    random_state : int or None
        Seed of the one generator all runs draw from.

    Returns
    -------
    centroids : ndarray of shape (k, n_features)
        The centroids of the best run.
    labels : ndarray of int, shape (n_samples,)
        The nearest centroid of every sample.
    inertia : float
        ``inertia(X, centroids, labels)``.
    n_iter : int
        Number of iterations of the best run.
    """
    raise NotImplementedError


def elbow(X: np.ndarray, k_values: Iterable[int], random_state: int | None = 0) -> list[float]:
    """Inertia of the best K-means fit for every k, for an elbow plot.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The samples.
    k_values : iterable of int
        The numbers of clusters to try, in order.
    random_state : int or None
        Passed to :func:`kmeans`.

    Returns
    -------
    list of float
        ``kmeans(X, k, random_state=random_state)[2]`` for every k, in order.
    """
    raise NotImplementedError


# The quiz in README.md: replace each ... by the letter of your answer, e.g. "b".
QUIZ = {
    "inertia": ...,
    "kmeans_plus_plus": ...,
    "elbow": ...,
    "scaling": ...,
    "shapes": ...,
}
