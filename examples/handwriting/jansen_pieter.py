import numpy as np
from sklearn.cluster import KMeans
from sklearn.datasets import load_digits
from sklearn.metrics import confusion_matrix


def load_digits_data():
    X, y = load_digits(return_X_y=True)
    return X.astype(float), y


def fit_kmeans(X, n_clusters=10, random_state=0):
    return KMeans(n_clusters, n_init=10, random_state=random_state).fit(X)


def centroid_images(model):
    return model.cluster_centers_.reshape((-1, 8, 8))


def map_clusters_to_digits(cluster_labels, y):
    result = {}
    for cluster in np.unique(cluster_labels):
        result[int(cluster)] = int(np.bincount(y[cluster_labels == cluster]).argmax())
    return result


def predict_digits(model, mapping, X):
    return np.array([mapping[int(k)] for k in model.predict(X)])


def mapping_accuracy(model, mapping, X, y):
    # how many images end up in the right cluster
    labels = model.predict(X)
    return (labels == y).sum() / len(y)


def confusion_counts(y_true, y_pred):
    return confusion_matrix(y_true, y_pred)


def most_confused_pair(cm):
    cm = np.array(cm)
    off = cm - np.diag(np.diag(cm))
    row, col = np.unravel_index(np.argmax(off), off.shape)
    return int(row), int(col)


def cluster_sizes(cluster_labels):
    ids, counts = np.unique(cluster_labels, return_counts=True)
    return {int(i): int(c) for i, c in zip(ids, counts)}
