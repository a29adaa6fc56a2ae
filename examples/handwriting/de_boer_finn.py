"""Handwriting recognition, Finn de Boer. My own Lloyd loop."""
import numpy as np
from sklearn.datasets import load_digits


def load_digits_data():
    digits = load_digits()
    return digits.data.astype(float), digits.target.astype(int)


class Clusters:
    """What fit_kmeans returns."""

    def __init__(self, centres, labels, X):
        self.cluster_centers_ = centres
        self.labels_ = labels
        self.inertia_ = float(((X - centres[labels]) ** 2).sum())

    def predict(self, X):
        return ((X[:, None] - self.cluster_centers_[None]) ** 2).sum(-1).argmin(1)


def fit_kmeans(X, n_clusters=10, random_state=0):
    rng = np.random.default_rng(random_state)
    centres = X[rng.choice(len(X), n_clusters, replace=False)]
    changed = True
    while changed:
        labels = ((X[:, None] - centres[None]) ** 2).sum(-1).argmin(1)
        new_centres = np.array([X[labels == k].mean(0) for k in range(n_clusters)])
        changed = not np.allclose(new_centres, centres)
    return Clusters(new_centres, labels, X)


def centroid_images(model):
    return model.cluster_centers_.reshape(-1, 8, 8)


def map_clusters_to_digits(cluster_labels, y):
    return {int(k): int(np.bincount(y[cluster_labels == k], minlength=10).argmax())
            for k in np.unique(cluster_labels)}


def predict_digits(model, mapping, X):
    return np.array([mapping[int(k)] for k in model.predict(X)])


def mapping_accuracy(model, mapping, X, y):
    return float(np.mean(predict_digits(model, mapping, X) == y))


def confusion_counts(y_true, y_pred):
    cm = np.zeros((10, 10), dtype=int)
    np.add.at(cm, (y_true, y_pred), 1)
    return cm


def most_confused_pair(cm):
    off = np.array(cm, dtype=float)
    np.fill_diagonal(off, -np.inf)
    i, j = np.unravel_index(off.argmax(), off.shape)
    return int(i), int(j)


def cluster_sizes(cluster_labels):
    ids, n = np.unique(cluster_labels, return_counts=True)
    return {int(a): int(b) for a, b in zip(ids, n)}
