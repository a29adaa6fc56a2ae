"""Figures of a handwriting submission: its centroid images and its confusion matrix.

Only the public digits (scikit-learn's, as the assignment ships them) go in; every
number drawn is one the student's functions returned.
"""

import numpy as np
from sklearn.datasets import load_digits

from autograder.render import plots


def centroids_and_confusion(student):
    """The 10 centres of ``fit_kmeans(X)`` as images; the confusion matrix of their mapping."""
    digits = load_digits()
    X, y = digits.data.astype(float), digits.target.astype(int)
    model = student.fit_kmeans(X, n_clusters=10, random_state=0)
    images = np.asarray(student.centroid_images(model), dtype=float)
    out = [
        plots.image_grid(
            images.reshape(len(images), 8, 8),
            title="Your centroid images",
            caption=f"centroid_images(fit_kmeans(X)) on the digits: your {len(images)} centres "
            "as 8x8 images, cluster 0 first, five to a row",
        )
    ]
    labels = np.asarray(model.labels_)
    mapping = student.map_clusters_to_digits(labels, y)
    predicted = np.asarray(student.predict_digits(model, mapping, X), dtype=int)
    cm = np.asarray(student.confusion_counts(y, predicted), dtype=float)
    if cm.shape == (10, 10):
        out.append(
            plots.table(
                ["true \\ predicted", *(str(d) for d in range(10))],
                [[str(t), *(f"{v:.0f}" for v in cm[t])] for t in range(10)],
                heat=cm,
                title="Your confusion matrix",
                caption="confusion_counts(y, predict_digits(...)) on the digits: "
                "rows are true digits, columns predicted",
            )
        )
    return out


FIGURES = (centroids_and_confusion,)
