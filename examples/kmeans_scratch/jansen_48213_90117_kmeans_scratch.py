# Assignment: K-means from scratch
# Name: Daan Jansen, student nr 48213
import numpy as np


def assign_clusters(X, centroids):
    labels = np.zeros(len(X), dtype=int)
    for i in range(len(X)):
        best_dist = np.inf
        for j in range(len(centroids)):
            dist = np.sqrt(np.sum((X[i] - centroids[j]) ** 2))
            if dist <= best_dist:
                best_dist = dist
                labels[i] = j
    return labels


def update_centroids(X, labels, k, old_centroids):
    centroids = np.copy(old_centroids).astype(float)
    for j in range(k):
        points = X[labels == j]
        if len(points) == 0:
            continue  # empty cluster: keep old one
        centroids[j] = np.mean(points, axis=0)
    return centroids


def init_random(X, k, rng):
    indices = rng.choice(len(X), k, replace=False)
    return X[indices]


def init_kmeans_plus_plus(X, k, rng):
    n = len(X)
    centroids = [X[rng.integers(0, n)]]
    for _ in range(1, k):
        # distance of every point to its closest centroid
        dists = np.array([min(np.linalg.norm(x - c) for c in centroids) for x in X])
        probabilities = dists / dists.sum()
        centroids.append(X[rng.choice(n, p=probabilities)])
    return np.array(centroids)


def inertia(X, centroids, labels):
    total = 0.0
    for i in range(len(X)):
        total += np.sum((X[i] - centroids[labels[i]]) ** 2)
    return total


def kmeans(X, k, init="k-means++", n_init=10, max_iter=300, tol=1e-4, random_state=0):
    rng = np.random.default_rng(random_state)
    best_result = None
    for run in range(n_init):
        if init == "random":
            centroids = init_random(X, k, rng)
        else:
            centroids = init_kmeans_plus_plus(X, k, rng)
        n_iter = 0
        for n_iter in range(1, max_iter + 1):
            labels = assign_clusters(X, centroids)
            new_centroids = update_centroids(X, labels, k, centroids)
            shift = np.max(np.linalg.norm(new_centroids - centroids, axis=1))
            centroids = new_centroids
            if shift <= tol:
                break
        labels = assign_clusters(X, centroids)
        score = inertia(X, centroids, labels)
        if best_result is None or score < best_result[2]:
            best_result = (centroids, labels, score, n_iter)
    return best_result


def elbow(X, k_values, random_state=0):
    inertias = []
    for k in k_values:
        inertias.append(kmeans(X, k, random_state=random_state)[2])
    return inertias


QUIZ = {
    "inertia": "c",
    "kmeans_plus_plus": "a",
    "elbow": "d",
    "scaling": "a",
    "shapes": "c",
}
