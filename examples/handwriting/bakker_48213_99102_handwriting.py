# Handwriting project - Tom Bakker
import numpy as np
from sklearn import datasets
from sklearn.cluster import KMeans


def load_digits_data():
    digits = datasets.load_digits()
    return digits.data.astype(float), digits.target


def fit_kmeans(X, n_clusters=10, random_state=0):
    # 8 clusters looked best in the elbow plot I made
    model = KMeans(n_clusters=8, n_init=10, random_state=random_state)
    model.fit(X)
    return model


def centroid_images(model):
    return model.cluster_centers_.reshape(-1, 8, 8)


def map_clusters_to_digits(cluster_labels, y):
    mapping = {}
    for c in set(cluster_labels):
        counts = np.bincount(y[cluster_labels == c], minlength=10)
        mapping[c] = counts.argmax()
    return mapping


def predict_digits(model, mapping, X):
    return np.array([mapping[c] for c in model.predict(X)])


def mapping_accuracy(model, mapping, X, y):
    return np.mean(predict_digits(model, mapping, X) == y)


def confusion_counts(y_true, y_pred):
    cm = np.zeros((10, 10), dtype=int)
    np.add.at(cm, (y_true, y_pred), 1)
    return cm


def most_confused_pair(cm):
    cm = cm.copy()
    np.fill_diagonal(cm, 0)
    i, j = np.unravel_index(cm.argmax(), cm.shape)
    return (i, j)


def cluster_sizes(cluster_labels):
    ids, counts = np.unique(cluster_labels, return_counts=True)
    return dict(zip(ids, counts))
