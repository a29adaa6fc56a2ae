"""
Clustering: K-means
Yasmina El Amrani

I wrote the helper functions myself and used them to understand the algorithm,
for the full kmeans I use the scikit-learn version because it is faster and better tested.
"""
import numpy as np
from sklearn.cluster import KMeans


def assign_clusters(X, centroids):
    X = np.asarray(X, dtype=float)
    C = np.asarray(centroids, dtype=float)
    d = ((X[:, None, :] - C[None, :, :]) ** 2).sum(-1)
    return d.argmin(axis=1)


def update_centroids(X, labels, k, old_centroids):
    C = np.array(old_centroids, dtype=float)
    for c in range(k):
        members = X[labels == c]
        if members.shape[0] > 0:
            C[c] = members.mean(axis=0)
    return C


def init_random(X, k, rng):
    return np.asarray(X)[rng.permutation(len(X))[:k]]


def init_kmeans_plus_plus(X, k, rng):
    X = np.asarray(X, dtype=float)
    chosen = [rng.integers(len(X))]
    for _ in range(k - 1):
        d2 = ((X[:, None, :] - X[chosen][None, :, :]) ** 2).sum(-1).min(axis=1)
        chosen.append(rng.choice(len(X), p=d2 / d2.sum()))
    return X[chosen]


def inertia(X, centroids, labels):
    return float(((np.asarray(X) - np.asarray(centroids)[labels]) ** 2).sum())


def kmeans(X, k, init="k-means++", n_init=10, max_iter=300, tol=1e-4, random_state=0):
    model = KMeans(
        n_clusters=k,
        init=init,
        n_init=n_init,
        max_iter=max_iter,
        tol=tol,
        random_state=random_state,
    ).fit(X)
    return model.cluster_centers_, model.labels_, float(model.inertia_), int(model.n_iter_)


def elbow(X, k_values, random_state=0):
    return [kmeans(X, k, random_state=random_state)[2] for k in k_values]


QUIZ = {
    "inertia": "c",
    "kmeans_plus_plus": "a",
    "elbow": "d",
    "scaling": "b",
    "shapes": "c",
}
