"""Q3: spectral clustering of the embedded digits."""

import functools
import importlib.util
import sys
from pathlib import Path

import numpy as np
from otter.test_files import test_case

OK_FORMAT = False
name = "q3_spectral"


def _support(name="_shared"):
    """``support/<name>.py`` beside this file, loaded once per process and shared by every
    question file (otter may run this file as a bare string: then ``./tests/support``)."""
    here = Path(_support.__code__.co_filename).resolve().parent
    path = (
        (here if (here / "support").is_dir() else Path.cwd() / "tests") / "support" / f"{name}.py"
    )
    key = f"clusterlab:{path}"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules[key] = module
    return sys.modules[key]


shared = _support()
check = shared.check

# Calibrated in docs/calibration/mnist_clustering.md.
MIN_ACCURACY = 0.5  # label-mapping accuracy on 1,500 embedded training images
MIN_RINGS_FEW = 0.9  # adjusted Rand index with two rings, 8 neighbours: they are separated
MAX_RINGS_MANY = 0.5  # the same with 120 neighbours: the graph no longer separates them

DEPENDS = {
    "mapping_accuracy": ["spectral_labels"],
    "same_seed_same_labels": ["spectral_labels"],
    "hidden_parameters": ["spectral_labels"],
}
"""What each case cannot be judged without (see docs/writing-graders.md, DEPENDS): a
student function names its default call, memoised in support/_shared.py (the case that
makes it explains its failure once)."""


def _mapping_accuracy(labels, y):
    """Share of rows whose cluster's most frequent digit is their own digit."""
    hits = sum(np.bincount(y[labels == c]).max() for c in np.unique(labels))
    return hits / len(y)


@test_case(name="spectral_labels gives exactly n_clusters distinct labels", points=3)
def label_count(spectral_labels):
    labels = shared.default_labels(spectral_labels)
    count = len(np.unique(labels))
    check(
        count == 10,
        "the labels of 1,500 images do not hold n_clusters distinct ids",
        expected=10,
        actual=count,
        hint="pass n_clusters on to SpectralClustering.",
    )


@test_case(name="spectral_labels groups the digits: label-mapping accuracy", points=6)
def mapping_accuracy(spectral_labels):
    labels = shared.default_labels(spectral_labels)
    shared.require_clusters(labels)
    _, y = shared.subset(0, 1500)
    acc = _mapping_accuracy(labels, y)
    check(
        acc >= MIN_ACCURACY,
        f"label-mapping accuracy {acc:.3f} on 1,500 images is below the required {MIN_ACCURACY}",
        hint='use `affinity="nearest_neighbors"` with n_neighbors neighbours; the default '
        "rbf affinity does not suit this embedding.",
    )


@test_case(name="spectral_labels gives the same labels for the same random_state", points=3)
def same_seed_same_labels(spectral_labels):
    Z, _ = shared.subset(3, 400)
    first = shared.labels_of(spectral_labels(Z.copy(), n_clusters=8, random_state=5), 400)
    shared.require_clusters(first)
    second = shared.labels_of(spectral_labels(Z.copy(), n_clusters=8, random_state=5), 400)
    changed = int(np.sum(first != second))
    check(
        changed == 0,
        f"two calls with random_state=5 gave different labels for {changed} of 400 images",
        hint="pass random_state on to SpectralClustering.",
    )


@functools.cache
def _hidden_rings():
    """Two concentric rings of 100 points: a graph of few neighbours separates them, a graph
    where every point has most others as neighbours does not."""
    from sklearn.datasets import make_circles

    Z, rings = make_circles(200, factor=0.5, noise=0.05, random_state=4)
    Z.flags.writeable = rings.flags.writeable = False
    return Z, rings


@test_case(
    name="spectral_labels honours n_clusters and n_neighbors on other data",
    points=4,
    hidden=True,
)
def hidden_parameters(spectral_labels):
    from sklearn.metrics import adjusted_rand_score

    Z, _ = shared.subset(17, 600)
    labels = shared.labels_of(
        spectral_labels(Z.copy(), n_clusters=6, random_state=1), 600, hidden=True
    )
    check(
        len(np.unique(labels)) == 6,
        "on other images with another n_clusters the number of distinct labels is wrong",
        hint="pass n_clusters on to SpectralClustering.",
    )
    Z, rings = _hidden_rings()
    few = shared.labels_of(
        spectral_labels(Z.copy(), n_clusters=2, n_neighbors=8, random_state=1), 200, hidden=True
    )
    many = shared.labels_of(
        spectral_labels(Z.copy(), n_clusters=2, n_neighbors=120, random_state=1), 200, hidden=True
    )
    check(
        adjusted_rand_score(rings, few) >= MIN_RINGS_FEW,
        "on other data a graph of few nearest neighbours did not give the clusters it should",
        hint='use SpectralClustering with `affinity="nearest_neighbors"`.',
    )
    check(
        adjusted_rand_score(rings, many) <= MAX_RINGS_MANY,
        "on other data your clusters did not change when n_neighbors changed",
        hint="pass n_neighbors on to SpectralClustering.",
    )
