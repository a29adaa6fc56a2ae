import numpy as np
import matplotlib.pyplot as plt
from sklearn.cluster import KMeans
from sklearn.datasets import load_digits

X, y = load_digits(return_X_y=True)
model = fit_kmeans(X)
print(model.inertia_)


def load_digits_data():
    return X.astype(float), y


def fit_kmeans(X, n_clusters=10, random_state=0):
    return KMeans(n_clusters=n_clusters, n_init=10, random_state=random_state).fit(X)


def centroid_images(model):
    return model.cluster_centers_.reshape(-1, 8, 8)


# TODO rest of the functions
