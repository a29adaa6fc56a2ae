"""Q3: the fit is a converged K-means solution whose clusters match the digits."""

import functools
import importlib.util
import sys
from pathlib import Path

import numpy as np
from otter.test_files import test_case
from sklearn.cluster import KMeans

OK_FORMAT = False
name = "q3_converged"


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

STALE_MAX = 0.005
"""Largest share of rows whose label is not their nearest centre. Calibrated: legitimate
fits 0, stale or scrambled labels >= 0.016; see docs/calibration/handwriting.md, STALE_MAX."""

MOVED_MAX = 0.005
"""Largest share of rows that one more assign/update step moves to another cluster.
Calibrated: legitimate fits 0, unconverged fits >= 0.026; see
docs/calibration/handwriting.md, MOVED_MAX."""

INERTIA_RATIO_MAX = 1.15
"""Largest inertia, relative to the grader's own KMeans(n_init=10) fit on the same data.
Calibrated: every converged fit <= 1.076 (single random-init runs, 20 seeds; <= 1.114 over
200 seeds), bugs it must catch >= 1.66; see docs/calibration/handwriting.md,
INERTIA_RATIO_MAX."""

ACCURACY_MIN = 0.55
"""Lowest label-mapping accuracy. Calibrated: every converged fit >= 0.645 (20 seeds;
>= 0.620 over 200 seeds), scrambled labels <= 0.146; see
docs/calibration/handwriting.md, ACCURACY_MIN."""

_digits = shared.digits


@functools.cache
def _reference_inertia(dataset, k):
    """Inertia of the grader's own KMeans(k, n_init=10, random_state=0) fit on ``dataset()``."""
    X = dataset()[0]
    return float(KMeans(n_clusters=k, n_init=10, random_state=0).fit(X).inertia_)


_default_fit = shared.default_fit


def _centres_and_labels(model, k, n, d, where=""):
    """Centres (k, d) and labels (n,) of ``model``, checked to be usable together.

    ``where`` describes hidden data; its messages then leave out the expected shapes.
    """
    for attr in ("cluster_centers_", "labels_"):
        assert hasattr(model, attr), (
            f"the object fit_kmeans returned has no attribute `{attr}`\n"
            "hint: return the fitted model itself, e.g. `return KMeans(...).fit(X)`."
        )
    centres = np.asarray(model.cluster_centers_)
    labels = np.asarray(model.labels_)
    usable = centres.dtype.kind in "biuf" and labels.dtype.kind in "biuf"
    if where:
        assert usable and centres.shape == (k, d) and labels.shape == (n,), (
            f"{where}, cluster_centers_ or labels_ does not have the right shape\n"
            "hint: use n_clusters and the X you are given; do not fix k, 10 or 64."
        )
    assert usable and centres.shape == (k, d) and labels.shape == (n,), (
        f"cluster_centers_ has shape {centres.shape} and labels_ {labels.shape}; expected "
        f"({k}, {d}) and ({n},)\n"
        "hint: question q2_fit_kmeans checks the shapes first; fix those cases."
    )
    assert np.all(labels == np.round(labels)) and labels.min() >= 0 and labels.max() < k, (
        f"{where or 'on the digits'}, labels_ holds values that are not cluster ids "
        "0..n_clusters-1\nhint: label i must be the row of cluster_centers_ for cluster i."
    )
    return centres.astype(float), labels.astype(int)


def _nearest(X, centres):
    """Index of the nearest centre of each row (squared Euclidean distance)."""
    distances = (
        np.sum(X**2, axis=1)[:, None] - 2 * X @ centres.T + np.sum(centres**2, axis=1)[None, :]
    )
    return np.argmin(distances, axis=1)


def _inertia_of(X, centres, labels):
    """Sum of squared distances of each row of X to its assigned centre."""
    return float(np.sum((X - centres[labels]) ** 2))


def _stale_fraction(X, centres, labels):
    """Share of rows whose label is not their nearest centre."""
    return float(np.mean(_nearest(X, centres) != labels))


def _moved_fraction(X, labels):
    """Share of rows that one more K-means step (centres = member means, then reassign)
    moves to another cluster."""
    ids = np.unique(labels)
    means = np.stack([X[labels == i].mean(axis=0) for i in ids])
    return float(np.mean(ids[_nearest(X, means)] != labels))


def _majority_accuracy(labels, y):
    """Label-mapping accuracy: every cluster named after its most frequent digit."""
    counts = np.zeros((labels.max() + 1, 10), dtype=int)
    np.add.at(counts, (labels, y), 1)
    return float(counts.max(axis=1).sum() / len(y))


@test_case(name="labels_ assign every image to its nearest centre", points=4)
def labels_nearest(fit_kmeans):
    X, _ = _digits()
    centres, labels = _centres_and_labels(_default_fit(fit_kmeans), 10, 1797, 64)
    stale = _stale_fraction(X, centres, labels)
    assert stale <= STALE_MAX, (
        f"{stale:.1%} of the images are not labelled with their nearest centre; "
        f"at most {STALE_MAX:.1%} may be\n"
        "hint: after the last update of the centres, assign every image to its nearest centre."
    )


@test_case(
    name="K-means has converged: one more assign/update step moves almost no image", points=5
)
def converged(fit_kmeans):
    X, _ = _digits()
    _, labels = _centres_and_labels(_default_fit(fit_kmeans), 10, 1797, 64)
    moved = _moved_fraction(X, labels)
    assert moved <= MOVED_MAX, (
        f"one more K-means step moves {moved:.1%} of the images to another cluster; "
        f"at most {MOVED_MAX:.1%} may move\n"
        "hint: keep alternating assign / update until the labels stop changing."
    )


@test_case(name="the clusters are tight: inertia is below the limit for a converged fit", points=5)
def inertia_below_ceiling(fit_kmeans):
    X, _ = _digits()
    centres, labels = _centres_and_labels(_default_fit(fit_kmeans), 10, 1797, 64)
    inertia = _inertia_of(X, centres, labels)
    limit = INERTIA_RATIO_MAX * _reference_inertia(_digits, 10)
    assert inertia <= limit, (
        f"inertia {inertia:,.0f} is above the limit {limit:,.0f} for a converged "
        "10-cluster fit\n"
        "hint: keep the best of several runs (n_init=10) and run each until it converges."
    )


@test_case(name="the clusters match the digits: label-mapping accuracy is high enough", points=5)
def accuracy_above_floor(fit_kmeans):
    _, y = _digits()
    _, labels = _centres_and_labels(_default_fit(fit_kmeans), 10, 1797, 64)
    accuracy = _majority_accuracy(labels, y)
    assert accuracy >= ACCURACY_MIN, (
        f"label-mapping accuracy {accuracy:.3f} is below the required {ACCURACY_MIN:.2f}\n"
        "hint: cluster the raw pixels into 10 clusters; name each cluster after its most "
        "frequent digit."
    )


@functools.cache
def _hidden_shuffled():
    """The digits with their rows in another order."""
    X, y = _digits()
    order = np.random.default_rng(20_240_611).permutation(len(X))
    X, y = X[order], y[order]
    X.flags.writeable = False
    y.flags.writeable = False
    return X, y


@functools.cache
def _hidden_subset():
    """1,000 of the digits, drawn at random."""
    X, y = _digits()
    rows = np.sort(np.random.default_rng(99_102).choice(len(X), size=1000, replace=False))
    X, y = X[rows], y[rows]
    X.flags.writeable = False
    y.flags.writeable = False
    return X, y


@test_case(
    name="fit_kmeans clusters a shuffled copy of the digits just as well", points=4, hidden=True
)
def hidden_shuffled(fit_kmeans):
    X, y = _hidden_shuffled()
    model = fit_kmeans(X.copy(), n_clusters=10, random_state=0)
    where = "on a shuffled copy of the digits"
    centres, labels = _centres_and_labels(model, 10, len(X), 64, where)
    assert _stale_fraction(X, centres, labels) <= STALE_MAX, (
        f"{where}, labels_ do not give each image its nearest centre\n"
        "hint: fit the X you are given, as given: not rescaled, reordered or loaded again."
    )
    assert _majority_accuracy(labels, y) >= ACCURACY_MIN, (
        f"{where}, the label-mapping accuracy is below the required {ACCURACY_MIN:.2f}\n"
        "hint: fit the X you are given, as given."
    )
    assert _moved_fraction(X, labels) <= MOVED_MAX, (
        f"{where}, the fit has not converged: one more K-means step still moves many images\n"
        "hint: keep alternating assign / update until the labels stop changing."
    )
    limit = INERTIA_RATIO_MAX * _reference_inertia(_hidden_shuffled, 10)
    assert _inertia_of(X, centres, labels) <= limit, (
        f"{where}, the inertia is above the limit for a converged fit\n"
        "hint: keep the best of several runs (n_init=10) and run each until it converges."
    )


@test_case(
    name="fit_kmeans converges on a subset of the digits with another n_clusters",
    points=4,
    hidden=True,
)
def hidden_subset(fit_kmeans):
    X, _ = _hidden_subset()
    model = fit_kmeans(X.copy(), n_clusters=12, random_state=5)
    where = "on a subset of the digits with another n_clusters"
    centres, labels = _centres_and_labels(model, 12, len(X), 64, where)
    assert len(np.unique(labels)) == 12, (
        f"{where}, labels_ does not hold n_clusters distinct clusters\n"
        "hint: pass n_clusters on to KMeans."
    )
    assert _stale_fraction(X, centres, labels) <= STALE_MAX, (
        f"{where}, labels_ do not give each image its nearest centre\n"
        "hint: fit the X you are given."
    )
    assert _moved_fraction(X, labels) <= MOVED_MAX, (
        f"{where}, the fit has not converged: one more K-means step still moves many "
        "images\n"
        "hint: keep alternating assign / update until the labels stop changing."
    )
    limit = INERTIA_RATIO_MAX * _reference_inertia(_hidden_subset, 12)
    assert _inertia_of(X, centres, labels) <= limit, (
        f"{where}, the inertia is above the limit for a converged fit\n"
        "hint: keep the best of several runs (n_init=10) and run each until it converges."
    )
