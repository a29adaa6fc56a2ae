"""K-means from scratch on the iris data: reference solution.

Lloyd's algorithm written out step by step (assign, update, repeat), two ways to
place the first centroids (random rows and k-means++), the inertia, best-of-``n_init``
restarts and the elbow curve. Only numpy is used; ``sklearn.cluster`` is not.
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
    X = np.asarray(X, dtype=float)
    centroids = np.asarray(centroids, dtype=float)
    # (n, 1, d) - (1, k, d) -> (n, k, d); squared distances keep the same order.
    d2 = ((X[:, None, :] - centroids[None, :, :]) ** 2).sum(axis=2)
    return np.argmin(d2, axis=1).astype(int)  # argmin returns the first minimum


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
    X = np.asarray(X, dtype=float)
    labels = np.asarray(labels)
    centroids = np.array(old_centroids, dtype=float, copy=True)
    for j in range(k):
        members = X[labels == j]
        if len(members) > 0:
            centroids[j] = members.mean(axis=0)
    return centroids


def init_random(X: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Pick ``k`` different rows of ``X`` at random as the first centroids.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The samples.
    k : int
        Number of centroids, at most ``n_samples``.
    rng : numpy.random.Generator
        The only source of randomness.

    Returns
    -------
    centroids : ndarray of shape (k, n_features)
        Copies of ``k`` rows of ``X`` with different row indices.
    """
    X = np.asarray(X, dtype=float)
    rows = rng.choice(len(X), size=k, replace=False)
    return X[rows].copy()


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
        The only source of randomness.

    Returns
    -------
    centroids : ndarray of shape (k, n_features)
        Copies of the chosen rows, in the order they were chosen.
    """
    X = np.asarray(X, dtype=float)
    n = len(X)
    chosen = [int(rng.integers(n))]
    d2 = ((X - X[chosen[0]]) ** 2).sum(axis=1)
    for _ in range(1, k):
        total = d2.sum()
        if total > 0:
            idx = int(rng.choice(n, p=d2 / total))
        else:  # every row sits on a chosen centroid: any row will do
            idx = int(rng.integers(n))
        chosen.append(idx)
        d2 = np.minimum(d2, ((X - X[idx]) ** 2).sum(axis=1))
    return X[chosen].copy()


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
    X = np.asarray(X, dtype=float)
    centroids = np.asarray(centroids, dtype=float)
    diff = X - centroids[np.asarray(labels)]
    return float((diff**2).sum())


def _lloyd(
    X: np.ndarray, centroids: np.ndarray, max_iter: int, tol: float
) -> tuple[np.ndarray, np.ndarray, float, int]:
    """One K-means run from the given centroids."""
    k = len(centroids)
    n_iter = 0
    while n_iter < max_iter:
        n_iter += 1
        labels = assign_clusters(X, centroids)
        new_centroids = update_centroids(X, labels, k, centroids)
        shift = np.sqrt(((new_centroids - centroids) ** 2).sum(axis=1)).max()
        centroids = new_centroids
        if shift <= tol:
            break
    labels = assign_clusters(X, centroids)  # labels that match the returned centroids
    return centroids, labels, inertia(X, centroids, labels), n_iter


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
        Seed of the one ``numpy.random.default_rng`` all runs draw from.

    Returns
    -------
    centroids : ndarray of shape (k, n_features)
    labels : ndarray of int, shape (n_samples,)
    inertia : float
    n_iter : int
        Number of iterations of the returned run.
    """
    X = np.asarray(X, dtype=float)
    if init == "k-means++":
        initialise = init_kmeans_plus_plus
    elif init == "random":
        initialise = init_random
    else:
        raise ValueError(f"init must be 'k-means++' or 'random', not {init!r}")
    rng = np.random.default_rng(random_state)
    best = None
    for _ in range(n_init):
        result = _lloyd(X, initialise(X, k, rng), max_iter, tol)
        if best is None or result[2] < best[2]:
            best = result
    return best


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
    return [kmeans(X, k, random_state=random_state)[2] for k in k_values]


QUIZ = {
    "inertia": "c",
    "kmeans_plus_plus": "a",
    "elbow": "d",
    "scaling": "b",
    "shapes": "c",
}


if __name__ == "__main__":
    from sklearn.datasets import load_iris

    X_iris = load_iris().data
    centroids, labels, best_inertia, n_iter = kmeans(X_iris, 3)
    print(f"k=3: inertia {best_inertia:.2f} after {n_iter} iterations")
    for k, value in zip(range(1, 9), elbow(X_iris, range(1, 9)), strict=True):
        print(f"k={k}: {value:8.2f}")
