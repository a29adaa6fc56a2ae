# Noor Hendriks -- assignment handwriting
import numpy as np
from scipy import stats
from sklearn.cluster import KMeans
from sklearn.datasets import load_digits
from sklearn.preprocessing import StandardScaler


def load_digits_data():
    digits = load_digits()
    return digits.data.astype(float), digits.target.astype(int)


def fit_kmeans(X, n_clusters=10, random_state=0):
    # scale first, K-means works better on standardised features (lecture 3)
    X_scaled = StandardScaler().fit_transform(X)
    kmeans = KMeans(n_clusters=n_clusters, n_init=10, random_state=random_state)
    kmeans.fit(X_scaled)
    return kmeans


def centroid_images(model):
    return model.cluster_centers_.reshape(-1, 8, 8)


def map_clusters_to_digits(cluster_labels, y):
    mapping = {}
    for c in np.unique(cluster_labels):
        mapping[c] = stats.mode(y[cluster_labels == c])[0][0]
    return mapping


def predict_digits(model, mapping, X):
    return np.array([mapping[c] for c in model.predict(X)])


def mapping_accuracy(model, mapping, X, y):
    return np.mean(predict_digits(model, mapping, X) == y)


def confusion_counts(y_true, y_pred):
    cm = np.zeros((10, 10), dtype=int)
    for t, p in zip(y_true, y_pred):
        cm[t, p] += 1
    return cm


def most_confused_pair(cm):
    cm = np.array(cm)
    np.fill_diagonal(cm, 0)
    idx = np.argmax(cm)
    return idx // 10, idx % 10


def cluster_sizes(cluster_labels):
    return {int(c): int(n) for c, n in zip(*np.unique(cluster_labels, return_counts=True))}
