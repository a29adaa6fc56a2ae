# Daan Smit - handwriting assignment, K-means written myself with numpy
from collections import Counter

import numpy as np
from sklearn.datasets import load_digits


def load_digits_data():
    d = load_digits()
    return d.data.astype(float), d.target


class KMeansModel:
    def __init__(self, centers, labels, inertia):
        self.cluster_centers_ = centers
        self.labels_ = labels
        self.inertia_ = inertia

    def predict(self, X):
        d = ((X[:, np.newaxis, :] - self.cluster_centers_) ** 2).sum(axis=2)
        return d.argmin(axis=1)


def fit_kmeans(X, n_clusters=10, random_state=0, max_iter=1):
    rng = np.random.default_rng(random_state)
    centers = X[rng.choice(len(X), size=n_clusters, replace=False)]
    for _ in range(max_iter):
        d = ((X[:, np.newaxis, :] - centers) ** 2).sum(axis=2)
        labels = d.argmin(axis=1)
        centers = np.array([X[labels == k].mean(axis=0) for k in range(n_clusters)])
    labels = ((X[:, np.newaxis, :] - centers) ** 2).sum(axis=2).argmin(axis=1)
    inertia = ((X - centers[labels]) ** 2).sum()
    return KMeansModel(centers, labels, inertia)


def centroid_images(model):
    return model.cluster_centers_.reshape(-1, 8, 8)


def map_clusters_to_digits(cluster_labels, y):
    mapping = {}
    for k in np.unique(cluster_labels):
        mapping[int(k)] = int(Counter(y[cluster_labels == k]).most_common(1)[0][0])
    return mapping


def predict_digits(model, mapping, X):
    return np.array([mapping[int(k)] for k in model.predict(X)])


def mapping_accuracy(model, mapping, X, y):
    return float(np.mean(predict_digits(model, mapping, X) == y))


def confusion_counts(y_true, y_pred):
    cm = np.zeros((10, 10), int)
    for a, b in zip(y_true, y_pred):
        cm[a, b] += 1
    return cm


def most_confused_pair(cm):
    m = np.array(cm, dtype=float)
    np.fill_diagonal(m, -1)
    return tuple(int(v) for v in np.unravel_index(m.argmax(), m.shape))


def cluster_sizes(cluster_labels):
    return dict(Counter(int(k) for k in cluster_labels))
