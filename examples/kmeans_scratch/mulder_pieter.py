import numpy as np

# K-means assignment, Pieter Mulder
# not finished yet, k-means++ still to do


def assign_clusters(X, centroids):
    dist = np.zeros((len(X), len(centroids)))
    for j, c in enumerate(centroids):
        dist[:, j] = np.sum((X - c) ** 2, axis=1)
    return np.argmax(dist, axis=1)


def update_centroids(X, labels, k, old_centroids):
    new = old_centroids.copy()
    for j in range(k):
        if np.sum(labels == j) > 0:
            new[j] = X[labels == j].mean(axis=0)
    return new


def init_random(X, k, rng):
    idx = rng.integers(0, len(X), size=k)
    return X[idx]


def init_kmeans_plus_plus(X, k, rng):
    # TODO
    raise NotImplementedError


def inertia(X, centroids, labels):
    return np.sum((X - centroids[labels]) ** 2)


def kmeans(X, k, init="k-means++", n_init=10, max_iter=300, tol=1e-4, random_state=0):
    rng = np.random.default_rng(random_state)
    centroids = init_random(X, k, rng)
    for i in range(max_iter):
        labels = assign_clusters(X, centroids)
        centroids = update_centroids(X, labels, k, centroids)
        break  # TODO convergence check
    return centroids, labels, inertia(X, centroids, labels), i + 1


QUIZ = {
    "inertia": "c",
    "kmeans_plus_plus": "a",
    "elbow": ...,
    "scaling": ...,
    "shapes": "a",
}
