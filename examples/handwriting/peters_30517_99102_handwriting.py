import numpy as np
from sklearn.cluster import KMeans
from sklearn.datasets import load_digits


def load_digits_data():
    """Load the digits data set."""
    digits = load_digits()
    return digits.data.astype(float), digits.target.astype(int)


def fit_kmeans(X, n_clusters=10, random_state=0):
    """Fit KMeans with 10 initialisations."""
    return KMeans(n_clusters=n_clusters, n_init=10, random_state=random_state).fit(X)


def centroid_images(model):
    """Centres as 8x8 images."""
    return model.cluster_centers_.reshape(-1, 8, 8)


def map_clusters_to_digits(cluster_labels, y):
    """Most frequent digit per cluster."""
    mapping = {}
    for cluster in np.unique(cluster_labels):
        mapping[int(cluster)] = int(np.argmax(np.bincount(y[cluster_labels == cluster])))
    return mapping


def predict_digits(model, mapping, X):
    """Digit for every image."""
    return np.array([mapping[int(c)] for c in model.labels_])


def mapping_accuracy(model, mapping, X, y):
    """Fraction predicted correctly."""
    return float(np.mean(predict_digits(model, mapping, X) == y))


def confusion_counts(y_true, y_pred):
    """10x10 counts."""
    cm = np.zeros((10, 10), dtype=int)
    np.add.at(cm, (y_true, y_pred), 1)
    return cm


def most_confused_pair(cm):
    """Largest off-diagonal entry."""
    off = np.array(cm, dtype=float)
    np.fill_diagonal(off, -1)
    i, j = np.unravel_index(np.argmax(off), off.shape)
    return int(i), int(j)


def cluster_sizes(cluster_labels):
    """Members per cluster."""
    return list(np.bincount(cluster_labels))
