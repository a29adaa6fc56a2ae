"""K-means from scratch -- Sanne de Vries"""

from __future__ import annotations

import numpy as np


def _sq_dists(X, centroids):
    # (n, k) matrix of squared euclidean distances
    diff = X[:, np.newaxis, :] - centroids[np.newaxis, :, :]
    return np.einsum("nkd,nkd->nk", diff, diff)


def assign_clusters(X, centroids):
    X = np.asarray(X, dtype=float)
    centroids = np.asarray(centroids, dtype=float)
    return np.argmin(_sq_dists(X, centroids), axis=1)


def update_centroids(X, labels, k, old_centroids):
    X = np.asarray(X, dtype=float)
    labels = np.asarray(labels)
    new = np.array(old_centroids, dtype=float)  # copy, so empty clusters keep their spot
    for j in range(k):
        mask = labels == j
        if mask.any():
            new[j] = X[mask].mean(axis=0)
    return new


def init_random(X, k, rng):
    X = np.asarray(X, dtype=float)
    idx = rng.choice(X.shape[0], size=k, replace=False)
    return X[idx].copy()


def init_kmeans_plus_plus(X, k, rng):
    X = np.asarray(X, dtype=float)
    n = X.shape[0]
    centers = [X[rng.integers(n)]]
    closest = _sq_dists(X, np.array(centers))[:, 0]
    while len(centers) < k:
        probs = closest / closest.sum()
        new_center = X[rng.choice(n, p=probs)]
        centers.append(new_center)
        closest = np.minimum(closest, ((X - new_center) ** 2).sum(axis=1))
    return np.array(centers)


def inertia(X, centroids, labels):
    X = np.asarray(X, dtype=float)
    centroids = np.asarray(centroids, dtype=float)
    return float(((X - centroids[labels]) ** 2).sum())


def _single_run(X, start, max_iter, tol):
    centroids = start
    k = len(start)
    for it in range(1, max_iter + 1):
        labels = assign_clusters(X, centroids)
        new = update_centroids(X, labels, k, centroids)
        moved = np.linalg.norm(new - centroids, axis=1).max()
        centroids = new
        if moved <= tol:
            break
    labels = assign_clusters(X, centroids)
    return centroids, labels, inertia(X, centroids, labels), it


def kmeans(X, k, init="k-means++", n_init=10, max_iter=300, tol=1e-4, random_state=0):
    X = np.asarray(X, dtype=float)
    rng = np.random.default_rng(random_state)
    if init == "k-means++":
        make_start = init_kmeans_plus_plus
    elif init == "random":
        make_start = init_random
    else:
        raise ValueError(f"unknown init {init!r}")

    best = None
    for _ in range(n_init):
        run = _single_run(X, make_start(X, k, rng), max_iter, tol)
        if best is None or run[2] < best[2]:
            best = run
    return best


def elbow(X, k_values, random_state=0):
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

    X = load_iris().data
    c, labels, inert, n_iter = kmeans(X, 3)
    print("inertia:", round(inert, 3), "iterations:", n_iter)
    print("elbow:", np.round(elbow(X, range(1, 9)), 2))
