"""Figures of a kmeans_scratch submission: its elbow curve on the iris data."""

import numpy as np
from sklearn.datasets import load_iris

from autograder.render import plots

K_VALUES = [1, 2, 3, 4, 5, 6]  # the public case's k values: the memo answers


def elbow_curve(student):
    """``elbow(iris, 1..8)`` as a line."""
    values = [float(v) for v in student.elbow(load_iris().data.astype(float), K_VALUES)]
    if len(values) != len(K_VALUES) or not np.all(np.isfinite(values)):
        return []
    return [
        plots.line(
            K_VALUES,
            values,
            xlabel="k",
            ylabel="inertia",
            title="Your elbow curve",
            caption="elbow(iris, k = 1..6): the bend is where more clusters stop paying off",
        )
    ]


FIGURES = (elbow_curve,)
