"""Handwriting recognition with K-means (Sanne de Vries).

Clusters the 1,797 scikit-learn digits into ten groups and names every group
after the digit that occurs most in it.
"""

import numpy as np
from sklearn.cluster import KMeans
from sklearn.datasets import load_digits


def load_digits_data():
    """Return the pixels (1797 x 64, floats 0..16) and the digits."""
    digits = load_digits()
    X = digits.data.astype(float)
    y = digits.target.astype(int)
    return X, y


def fit_kmeans(X, n_clusters=10, random_state=0):
    """K-means on the raw pixels, best of 10 runs."""
    model = KMeans(n_clusters=n_clusters, n_init=10, random_state=random_state)
    model.fit(X)
    return model


def centroid_images(model):
    """Every centre back as an 8x8 picture."""
    centres = model.cluster_centers_
    return centres.reshape(len(centres), 8, 8)


def map_clusters_to_digits(cluster_labels, y):
    """Cluster id -> most common digit in that cluster (smallest digit on a tie)."""
    mapping = {}
    for cluster in np.unique(cluster_labels):
        digits_in_cluster = y[cluster_labels == cluster]
        counts = np.bincount(digits_in_cluster, minlength=10)
        # argmax returns the first maximum, so a tie goes to the smallest digit
        mapping[int(cluster)] = int(np.argmax(counts))
    return mapping


def predict_digits(model, mapping, X):
    clusters = model.predict(X)
    return np.array([mapping[int(c)] for c in clusters])


def mapping_accuracy(model, mapping, X, y):
    predicted = predict_digits(model, mapping, X)
    return float(np.mean(predicted == y))


def confusion_counts(y_true, y_pred):
    cm = np.zeros((10, 10), dtype=int)
    for true, pred in zip(y_true, y_pred):
        cm[true, pred] += 1
    return cm


def most_confused_pair(cm):
    best, pair = -1, None
    for i in range(10):
        for j in range(10):
            if i != j and cm[i][j] > best:  # strictly greater: first one wins on a tie
                best, pair = cm[i][j], (i, j)
    return pair


def cluster_sizes(cluster_labels):
    sizes = {}
    for label in cluster_labels:
        sizes[int(label)] = sizes.get(int(label), 0) + 1
    return sizes


if __name__ == "__main__":
    import matplotlib.pyplot as plt

    X, y = load_digits_data()
    model = fit_kmeans(X)
    fig, axes = plt.subplots(2, 5, figsize=(8, 4))
    for ax, image, cluster in zip(axes.ravel(), centroid_images(model), range(10)):
        ax.imshow(image, cmap=plt.cm.binary)
        ax.set_title(f"cluster {cluster}")
        ax.axis("off")
    mapping = map_clusters_to_digits(model.labels_, y)
    print("accuracy:", mapping_accuracy(model, mapping, X, y))
    print("most confused:", most_confused_pair(confusion_counts(y, predict_digits(model, mapping, X))))
    plt.show()
