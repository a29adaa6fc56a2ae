import numpy as np
from sklearn.datasets import load_iris

iris = load_iris()
X_iris = iris.data


def assign_clusters(X, centroids):
    distances = np.linalg.norm(X[:, None] - centroids[None, :], axis=2)
    return np.argmin(distances, axis=1)


def update_centroids(X, labels, k, old_centroids):
    # mean of every cluster
    return np.array([X[labels == i].mean(axis=0) for i in range(k)])


def init_random(X, k, rng):
    return X[rng.choice(len(X), size=k, replace=False)]


def init_kmeans_plus_plus(X, k, rng):
    first = rng.integers(len(X))
    centroids = [X[first]]
    for i in range(k - 1):
        d = np.min(np.linalg.norm(X[:, None] - np.array(centroids)[None, :], axis=2), axis=1)
        d2 = d**2
        nxt = rng.choice(len(X), p=d2 / np.sum(d2))
        centroids.append(X[nxt])
    return np.array(centroids)


def inertia(X, centroids, labels):
    return np.sum((X - centroids[labels]) ** 2)


def kmeans(X, k, init="k-means++", n_init=10, max_iter=300, tol=1e-4, random_state=0):
    best = None
    for i in range(n_init):
        rng = np.random.default_rng(random_state)
        if init == "k-means++":
            centroids = init_kmeans_plus_plus(X, k, rng)
        else:
            centroids = init_random(X, k, rng)
        for it in range(max_iter):
            labels = assign_clusters(X, centroids)
            new_centroids = update_centroids(X, labels, k, centroids)
            if np.all(np.abs(new_centroids - centroids) < tol):
                break
            centroids = new_centroids
        labels = assign_clusters(X, centroids)
        score = inertia(X, centroids, labels)
        if best is None or score < best[2]:
            best = (centroids, labels, score, it + 1)
    return best


def elbow(X, k_values, random_state=0):
    return [kmeans(X, k, random_state=random_state)[2] for k in k_values]


# TODO check these again
QUIZ = {
    "inertia": "c",
    "kmeans_plus_plus": "b",
    "elbow": "a",
    "scaling": "b",
    "shapes": "c",
}

print(kmeans(X_iris, 3)[2])
