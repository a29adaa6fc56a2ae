"""Q2: fit_kmeans returns a fitted K-means model that follows the contract."""

import functools
import importlib.util
import sys
from pathlib import Path

import numpy as np
from otter.test_files import test_case

OK_FORMAT = False
name = "q2_fit_kmeans"


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

INERTIA_RTOL = 1e-3
"""Largest relative gap between ``inertia_`` and the inertia the centres and labels give.
Calibrated: legitimate fits <= 1.5e-6 (float32 fits), wrong inertia or labels >= 0.56;
see docs/calibration/handwriting.md, INERTIA_RTOL."""

SCALE_OFFSET_MAX = 0.7
"""Largest distance between the size-weighted mean of the centres and the mean of X, in
units of the spread of X. Calibrated: legitimate fits <= 6e-7, fits on rescaled data
>= 1.39, fits that never iterated <= 0.44 (left to q3); see
docs/calibration/handwriting.md, SCALE_OFFSET_MAX."""

_digits = shared.digits


_default_fit = shared.default_fit


def _attribute(model, attr):
    """``model.<attr>`` as an array; a readable failure if the model has no such attribute."""
    assert hasattr(model, attr), (
        f"the object fit_kmeans returned has no attribute `{attr}`\n"
        "hint: return the fitted model itself, e.g. `return KMeans(...).fit(X)`."
    )
    value = np.asarray(getattr(model, attr))
    assert value.dtype.kind in "biuf", f"`{attr}` holds {value.dtype} values; expected numbers"
    return value


def _centres_and_labels(model, k, n, d, where=""):
    """Centres (k, d) and labels (n,) of ``model``, checked to be usable together.

    ``where`` describes hidden data; its messages then leave out the expected shapes.
    """
    centres = _attribute(model, "cluster_centers_").astype(float)
    labels = _attribute(model, "labels_")
    if where:
        assert centres.shape == (k, d) and labels.shape == (n,), (
            f"{where}, cluster_centers_ or labels_ does not have the right shape\n"
            "hint: use n_clusters and the X you are given; do not fix k, 10 or 64."
        )
    assert centres.shape == (k, d), (
        f"cluster_centers_ has shape {centres.shape}; expected ({k}, {d})\n"
        "hint: rows are clusters, columns are features. Did you transpose, or fix k?"
    )
    assert labels.shape == (n,), (
        f"labels_ has shape {labels.shape}; expected ({n},)\n"
        "hint: one label per row of X. Did you fit on X.T?"
    )
    assert np.all(labels == np.round(labels)) and labels.min() >= 0 and labels.max() < k, (
        f"{where or 'on the digits'}, labels_ holds values that are not cluster ids "
        "0..n_clusters-1\nhint: label i must be the row of cluster_centers_ for cluster i."
    )
    return centres, labels.astype(int)


def _inertia_of(X, centres, labels):
    """Sum of squared distances of each row of X to its assigned centre."""
    return float(np.sum((X - centres[labels]) ** 2))


def _inertia_gap(X, centres, labels, inertia):
    """Relative gap between a reported inertia and the one the centres and labels give."""
    recomputed = _inertia_of(X, centres, labels)
    return abs(float(inertia) - recomputed) / max(recomputed, 1e-12), recomputed


def _scale_offset(X, centres, labels):
    """Distance between the size-weighted mean of the centres and the mean of X.

    For any fit whose centres are the means of their members this is 0; centres fitted
    on rescaled data land far away. Measured in units of the spread of X (the root mean
    squared distance of the rows to their mean).
    """
    sizes = np.bincount(labels, minlength=len(centres))
    weighted = sizes @ centres / len(X)
    spread = np.sqrt(np.mean(np.sum((X - X.mean(axis=0)) ** 2, axis=1)))
    return float(np.linalg.norm(weighted - X.mean(axis=0)) / spread)


@test_case(name="fit_kmeans returns one centre per cluster", points=3)
def centre_shape(fit_kmeans):
    model = _default_fit(fit_kmeans)
    centres = _attribute(model, "cluster_centers_")
    assert centres.shape == (10, 64), (
        f"cluster_centers_ has shape {centres.shape}; expected (10, 64)\n"
        "hint: rows are clusters, columns are pixels. Did you transpose, or fix k?"
    )


@test_case(name="fit_kmeans gives every image a label, with exactly 10 distinct clusters", points=3)
def label_count(fit_kmeans):
    model = _default_fit(fit_kmeans)
    labels = _attribute(model, "labels_")
    assert labels.shape == (1797,), (
        f"labels_ has shape {labels.shape}; expected (1797,)\n"
        "hint: one label per image. Did you fit on X.T?"
    )
    found = len(np.unique(labels))
    assert found == 10, (
        f"labels_ holds {found} distinct clusters; expected 10\n"
        "hint: pass n_clusters on to KMeans instead of a fixed number."
    )


@test_case(name="inertia_ is the sum of squared distances to the assigned centres", points=4)
def inertia_consistent(fit_kmeans):
    X, _ = _digits()
    model = _default_fit(fit_kmeans)
    centres, labels = _centres_and_labels(model, 10, 1797, 64)
    inertia = _attribute(model, "inertia_")
    assert inertia.shape == (), f"inertia_ has shape {inertia.shape}; expected one number"
    gap, recomputed = _inertia_gap(X, centres, labels, inertia)
    assert gap <= INERTIA_RTOL, (
        f"inertia_ is {float(inertia):,.0f}; the centres and labels give {recomputed:,.0f}\n"
        "hint: inertia is the sum over all images of the squared distance to their own centre, "
        "computed on X as given."
    )


@test_case(name="fit_kmeans fits X as given: the centres are in the scale of the pixels", points=4)
def no_rescaling(fit_kmeans):
    X, _ = _digits()
    centres, labels = _centres_and_labels(_default_fit(fit_kmeans), 10, 1797, 64)
    offset = _scale_offset(X, centres, labels)
    assert offset <= SCALE_OFFSET_MAX, (
        f"the centres average {centres.mean():.2f} per pixel and range from {centres.min():.2f} "
        f"to {centres.max():.2f}; the images average {X.mean():.2f} and range from 0 to 16\n"
        "hint: fit on X exactly as given: do not scale or normalise it inside fit_kmeans."
    )


@test_case(name="model.predict gives the nearest centre of each image", points=3)
def predict_nearest(fit_kmeans):
    X, _ = _digits()
    model = _default_fit(fit_kmeans)
    centres = _attribute(model, "cluster_centers_").astype(float)
    assert centres.ndim == 2 and centres.shape[1] == 64, (
        f"cluster_centers_ has shape {centres.shape}; expected one row of 64 pixels per cluster"
    )
    assert hasattr(model, "predict"), (
        "the object fit_kmeans returned has no method `predict`\n"
        "hint: return the fitted KMeans model."
    )
    predicted = np.asarray(model.predict(X.copy()))
    assert predicted.shape == (1797,), (
        f"model.predict(X) has shape {predicted.shape}; expected (1797,)"
    )
    distances = ((X[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    nearest = np.argmin(distances, axis=1)
    wrong = int(np.sum(predicted != nearest))
    assert wrong == 0, (
        f"model.predict(X) differs from the nearest centre for {wrong} of 1797 images\n"
        "hint: predict must compare each row of X as given with cluster_centers_."
    )


@test_case(name="fit_kmeans gives the same result for the same random_state", points=3)
def same_seed_same_result(fit_kmeans):
    X, _ = _digits()
    first = _default_fit(fit_kmeans)
    second = fit_kmeans(X.copy(), n_clusters=10, random_state=0)
    labels_1, labels_2 = _attribute(first, "labels_"), _attribute(second, "labels_")
    assert labels_1.shape == labels_2.shape, (
        f"two fits with random_state=0 gave labels_ of shapes {labels_1.shape} and {labels_2.shape}"
    )
    differ = int(np.sum(labels_1 != labels_2))
    assert differ == 0, (
        f"two fits with random_state=0 label {differ} of 1797 images differently\n"
        "hint: pass random_state on to KMeans so the same seed gives the same clusters."
    )
    centres_1 = _attribute(first, "cluster_centers_").astype(float)
    centres_2 = _attribute(second, "cluster_centers_").astype(float)
    assert centres_1.shape == centres_2.shape and np.allclose(centres_1, centres_2, atol=1e-6), (
        "two fits with random_state=0 gave different cluster_centers_\n"
        "hint: pass random_state on to KMeans so the same seed gives the same clusters."
    )


@functools.cache
def _hidden_blobs():
    """Four well separated blobs in five dimensions, 80 points each, far from the origin."""
    rng = np.random.default_rng(8_213)
    centres = rng.uniform(-40, 40, size=(4, 5)) + 100
    X = np.repeat(centres, 80, axis=0) + rng.normal(size=(320, 5))
    X = X[rng.permutation(len(X))]
    X.flags.writeable = False
    return X


@test_case(name="fit_kmeans honours n_clusters on other data", points=3, hidden=True)
def hidden_other_k(fit_kmeans):
    X = _hidden_blobs()
    model = fit_kmeans(X.copy(), n_clusters=4, random_state=0)
    where = "on other data with another n_clusters"
    centres, labels = _centres_and_labels(model, 4, len(X), 5, where)
    assert len(np.unique(labels)) == 4, (
        f"{where}, labels_ does not hold n_clusters distinct clusters\n"
        "hint: pass n_clusters on to KMeans instead of a fixed number."
    )
    gap, _ = _inertia_gap(X, centres, labels, _attribute(model, "inertia_"))
    assert gap <= INERTIA_RTOL, (
        f"{where}, inertia_ does not match the centres and labels\n"
        "hint: fit the X you are given; compute everything from it."
    )


@functools.cache
def _hidden_cloud():
    """Overlapping Gaussian clusters in two dimensions: the partition depends on the seed."""
    rng = np.random.default_rng(4_417)
    X = rng.normal(size=(240, 2)) * 3 + np.repeat(rng.normal(size=(6, 2)) * 4, 40, axis=0)
    X.flags.writeable = False
    return X


_hidden_seeds = (3, 11, 29, 47)


@test_case(name="fit_kmeans uses its random_state argument", points=2, hidden=True)
def hidden_uses_seed(fit_kmeans):
    X = _hidden_cloud()
    runs = [
        _attribute(fit_kmeans(X.copy(), n_clusters=5, random_state=s), "labels_")
        for s in _hidden_seeds
    ]
    distinct = {tuple(np.asarray(r).ravel().tolist()) for r in runs}
    assert len(distinct) > 1, (
        f"{len(_hidden_seeds)} different values of random_state gave exactly the same labels_: "
        "fit_kmeans seems to ignore its random_state\n"
        "hint: pass random_state on to KMeans instead of a fixed seed."
    )
