"""K-means on the digits -- Yasmina El Amrani."""
import numpy as np
from sklearn.cluster import KMeans
from sklearn.datasets import load_digits


def load_digits_data():
    data = load_digits()
    return np.array(data.data, dtype=float), np.array(data.target, dtype=int)


def fit_kmeans(X, n_clusters=10, random_state=0):
    km = KMeans(n_clusters=n_clusters, n_init=10, random_state=random_state)
    return km.fit(X)


def centroid_images(model):
    images = []
    for centre in model.cluster_centers_:
        # imshow showed the digits lying on their side, so flip them
        images.append(centre.reshape(8, 8).T)
    return np.array(images)


def map_clusters_to_digits(cluster_labels, y):
    mapping = {}
    for k in np.unique(cluster_labels):
        mapping[int(k)] = int(np.argmax(np.bincount(y[cluster_labels == k], minlength=10)))
    return mapping


def predict_digits(model, mapping, X):
    return np.vectorize(lambda c: mapping[int(c)])(model.predict(X))


def mapping_accuracy(model, mapping, X, y):
    return float((predict_digits(model, mapping, X) == y).mean())


def confusion_counts(y_true, y_pred):
    cm = np.zeros((10, 10), dtype=int)
    np.add.at(cm, (np.asarray(y_true), np.asarray(y_pred)), 1)
    return cm


def most_confused_pair(cm):
    # list all mistakes and take the biggest one
    mistakes = [(cm[i][j], i, j) for i in range(10) for j in range(10) if i != j]
    count, i, j = sorted(mistakes, reverse=True)[0]
    return (int(i), int(j))


def cluster_sizes(cluster_labels):
    ids, counts = np.unique(cluster_labels, return_counts=True)
    return {int(i): int(n) for i, n in zip(ids, counts)}
