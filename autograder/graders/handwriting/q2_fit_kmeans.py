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

DEPENDS = {
    "n_clusters": ["fit_kmeans", "model_usable"],
    "inertia_consistent": ["fit_kmeans", "model_usable"],
    "no_rescaling": ["fit_kmeans", "model_usable"],
    "predict_nearest": ["fit_kmeans", "model_usable"],
    "same_seed_same_result": ["fit_kmeans", "model_usable"],
    "hidden_other_k": ["fit_kmeans", "q2_fit_kmeans.model_usable"],
    "hidden_uses_seed": ["fit_kmeans", "q2_fit_kmeans.model_usable"],
}
"""What each case cannot be judged without (see docs/writing-graders.md, DEPENDS)."""


def _inertia_gap(X, centres, labels, inertia):
    """Relative gap between a reported inertia and the one the centres and labels give."""
    recomputed = shared.inertia_of(X, centres, labels)
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


def _default(fit_kmeans):
    """X, the student's default model, its centres and labels (any number of clusters)."""
    X, _ = shared.digits()
    model = shared.default_fit(fit_kmeans)
    centres, labels = shared.fitted(model, 1797, 64)
    return X, model, centres, labels


@test_case(
    name="fit_kmeans returns a fitted model: cluster_centers_, labels_ and inertia_", points=3
)
def model_usable(fit_kmeans):
    _, model, _, _ = _default(fit_kmeans)
    inertia = shared.attribute(model, "inertia_")
    shared.check(
        inertia.shape == (),
        f"inertia_ has shape {inertia.shape}; expected one number",
        hint="inertia_ is the sum of squared distances, a single float.",
    )


@test_case(name="fit_kmeans makes n_clusters clusters: 10 centres, 10 distinct labels", points=3)
def n_clusters(fit_kmeans):
    _, _, centres, labels = _default(fit_kmeans)
    shared.check(
        len(centres) == 10,
        f"cluster_centers_ has {len(centres)} rows; expected one per cluster",
        expected="(10, 64)",
        actual=centres.shape,
        hint="pass n_clusters on to KMeans instead of a fixed number.",
    )
    found = len(np.unique(labels))
    shared.check(
        found == 10,
        f"labels_ holds {found} distinct clusters; expected 10",
        hint="pass n_clusters on to KMeans instead of a fixed number.",
    )


@test_case(name="inertia_ is the sum of squared distances to the assigned centres", points=4)
def inertia_consistent(fit_kmeans):
    X, model, centres, labels = _default(fit_kmeans)
    shared.require_clusters(centres, labels)
    inertia = shared.attribute(model, "inertia_")
    gap, recomputed = _inertia_gap(X, centres, labels, inertia)
    shared.check(
        gap <= INERTIA_RTOL,
        f"inertia_ is {float(inertia):,.0f}; the centres and labels give {recomputed:,.0f}",
        hint="inertia is the sum over all images of the squared distance to their own centre, "
        "computed on X as given.",
    )


@test_case(name="fit_kmeans fits X as given: the centres are in the scale of the pixels", points=4)
def no_rescaling(fit_kmeans):
    X, _, centres, labels = _default(fit_kmeans)
    shared.require_clusters(centres, labels)
    offset = _scale_offset(X, centres, labels)
    shared.check(
        offset <= SCALE_OFFSET_MAX,
        f"the centres average {centres.mean():.2f} per pixel and range from "
        f"{centres.min():.2f} to {centres.max():.2f}; the images average {X.mean():.2f} and "
        "range from 0 to 16",
        hint="fit on X exactly as given: do not scale or normalise it inside fit_kmeans.",
    )


@test_case(name="model.predict gives the nearest centre of each image", points=3)
def predict_nearest(fit_kmeans):
    X, model, centres, labels = _default(fit_kmeans)
    shared.require_clusters(centres, labels)
    shared.check(
        shared.has(model, "predict"),
        "the object fit_kmeans returned has no method `predict`",
        hint="return the fitted KMeans model.",
    )
    predicted = np.asarray(shared.read(model, "predict")(X.copy()))
    shared.check(
        predicted.shape == (1797,),
        "model.predict(X) does not give one cluster per image",
        expected=(1797,),
        actual=predicted.shape,
    )
    shared.check(
        predicted.dtype.kind in "biuf"
        and np.all(predicted == np.round(predicted))
        and np.all((predicted >= 0) & (predicted < len(centres))),
        "model.predict(X) gives values that are not cluster ids 0..n_clusters-1",
        hint="predict returns the index of the nearest row of cluster_centers_.",
    )
    wrong = round(shared.stale_fraction(X, centres, predicted.astype(int)) * 1797)
    shared.check(
        wrong == 0,
        f"model.predict(X) differs from the nearest centre for {wrong} of 1797 images",
        hint="predict must compare each row of X as given with cluster_centers_.",
    )


@test_case(name="fit_kmeans gives the same result for the same random_state", points=2)
def same_seed_same_result(fit_kmeans):
    first = shared.seed_labels(fit_kmeans)
    n = len(shared.seed_rows())
    shared.require_clusters(np.unique(first)[:, None], first, f"your fit of {n} images")
    second = shared.attribute(
        fit_kmeans(shared.seed_rows().copy(), n_clusters=10, random_state=0), "labels_"
    )
    shared.check(
        first.shape == second.shape,
        "two fits with random_state=0 gave labels_ of different shapes",
        expected=first.shape,
        actual=second.shape,
    )
    differ = int(np.sum(first != second))
    shared.check(
        differ == 0,
        f"two fits of {n} images with random_state=0 label {differ} of them differently",
        hint="pass random_state on to KMeans so the same seed gives the same clusters.",
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
    centres, labels = shared.fitted(model, len(X), 5, where)
    shared.check(
        len(centres) == 4 and len(np.unique(labels)) == 4,
        f"{where}, cluster_centers_ or labels_ does not hold n_clusters clusters",
        hint="pass n_clusters on to KMeans instead of a fixed number.",
    )
    gap, _ = _inertia_gap(X, centres, labels, shared.attribute(model, "inertia_"))
    shared.check(
        gap <= INERTIA_RTOL,
        f"{where}, inertia_ does not match the centres and labels",
        hint="fit the X you are given; compute everything from it.",
    )


@test_case(name="fit_kmeans uses its random_state argument", points=2, hidden=True)
def hidden_uses_seed(fit_kmeans):
    # the property needs a hundred rows, not 1,797: the same-seed check's 100 images,
    # whose seed-0 labels are already made once per submission
    first = shared.seed_labels(fit_kmeans)
    other = shared.attribute(
        fit_kmeans(shared.seed_rows().copy(), n_clusters=10, random_state=11), "labels_"
    )
    shared.check(
        first.shape != other.shape or np.any(first != other),
        "two different values of random_state gave exactly the same labels_: fit_kmeans "
        "seems to ignore its random_state",
        hint="pass random_state on to KMeans instead of a fixed seed.",
    )
