"""Q3: the fit is a converged K-means solution whose clusters match the digits."""

import importlib.util
import sys
from pathlib import Path

import numpy as np
from otter.test_files import test_case

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
"""Largest inertia, relative to the grader's own KMeans(n_init=10) fit with as many
clusters on the same data. Calibrated: every converged fit <= 1.076 (single random-init
runs, 20 seeds; <= 1.114 over 200 seeds), bugs it must catch >= 1.66; see
docs/calibration/handwriting.md, INERTIA_RATIO_MAX."""

ACCURACY_MIN = 0.55
"""Lowest label-mapping accuracy. Calibrated: every converged fit >= 0.645 (20 seeds;
>= 0.620 over 200 seeds), scrambled labels <= 0.146; see
docs/calibration/handwriting.md, ACCURACY_MIN."""

DEPENDS = {
    "labels_nearest": ["fit_kmeans", "q2_fit_kmeans.model_usable"],
    "converged": ["fit_kmeans", "q2_fit_kmeans.model_usable"],
    "inertia_below_ceiling": ["fit_kmeans", "q2_fit_kmeans.model_usable"],
    "accuracy_above_floor": ["fit_kmeans", "q2_fit_kmeans.model_usable"],
    "hidden_subset": ["fit_kmeans", "q2_fit_kmeans.model_usable"],
    "hidden_shuffled": ["fit_kmeans", "q2_fit_kmeans.model_usable", "fit_kmeans:subset"],
}
"""Each property is judged on the fit the student made, with however many clusters it has:
an 8-cluster fit is checked for convergence as an 8-cluster fit (q2 checks n_clusters)."""


def _clustering(fit_kmeans):
    """The digits, the student's default fit's centres and labels, checked to be a
    clustering into more than one cluster."""
    X, y = shared.digits()
    centres, labels = shared.fitted(shared.default_fit(fit_kmeans), 1797, 64)
    shared.require_clusters(centres, labels)
    return X, y, centres, labels


def _k_clusters(k):
    return f"a converged {k}-cluster fit"


@test_case(name="labels_ assign every image to its nearest centre", points=4)
def labels_nearest(fit_kmeans):
    X, _, centres, labels = _clustering(fit_kmeans)
    stale = shared.stale_fraction(X, centres, labels)
    shared.check(
        stale <= STALE_MAX,
        f"{stale:.1%} of the images are not labelled with their nearest centre; "
        f"at most {STALE_MAX:.1%} may be",
        hint="after the last update of the centres, assign every image to its nearest centre.",
    )


@test_case(
    name="K-means has converged: one more assign/update step moves almost no image", points=5
)
def converged(fit_kmeans):
    X, _, _, labels = _clustering(fit_kmeans)
    moved = shared.moved_fraction(X, labels)
    shared.check(
        moved <= MOVED_MAX,
        f"one more K-means step moves {moved:.1%} of the images to another cluster; "
        f"at most {MOVED_MAX:.1%} may move",
        hint="keep alternating assign / update until the labels stop changing.",
    )


@test_case(name="the clusters are tight: inertia is below the limit for a converged fit", points=5)
def inertia_below_ceiling(fit_kmeans):
    X, _, centres, labels = _clustering(fit_kmeans)
    inertia = shared.inertia_of(X, centres, labels)
    limit = INERTIA_RATIO_MAX * shared.reference_fit(shared.digits, len(centres))[1]
    shared.check(
        inertia <= limit,
        f"inertia {inertia:,.0f} is above the limit {limit:,.0f} for {_k_clusters(len(centres))}",
        hint="keep the best of several runs (n_init=10) and run each until it converges.",
    )


@test_case(name="the clusters match the digits: label-mapping accuracy is high enough", points=5)
def accuracy_above_floor(fit_kmeans):
    _, y, _, labels = _clustering(fit_kmeans)
    accuracy = shared.majority_accuracy(labels, y)
    shared.check(
        accuracy >= ACCURACY_MIN,
        f"label-mapping accuracy {accuracy:.3f} is below the required {ACCURACY_MIN:.2f}",
        hint="cluster the raw pixels; name each cluster after its most frequent digit.",
    )


def _hidden_fit(fit_kmeans, where):
    """The hidden subset (1,000 digits in random order), the student's 12-cluster fit of it
    (made once per submission, shared by both hidden cases) as centres and labels, checked
    to be a clustering into more than one cluster."""
    X, y = shared._hidden_subset()
    centres, labels = shared.fitted(shared._hidden_subset_fit(fit_kmeans), len(X), 64, where)
    shared.require_clusters(centres, labels, f"{where}, your fit")
    return X, y, centres, labels


@test_case(
    name="fit_kmeans converges on a subset of the digits with another n_clusters",
    points=4,
    hidden=True,
)
def hidden_subset(fit_kmeans):
    # the subset's one fit: judged here for n_clusters and convergence, by hidden_shuffled
    # for the order of its rows, and the "other model" of q4 and q5
    where = "on a subset of the digits with another n_clusters"
    X, _, centres, labels = _hidden_fit(fit_kmeans, where)
    shared.check(
        len(centres) == 12 and len(np.unique(labels)) == 12,
        f"{where}, labels_ does not hold n_clusters distinct clusters",
        hint="pass n_clusters on to KMeans.",
    )
    shared.check(
        shared.moved_fraction(X, labels) <= MOVED_MAX,
        f"{where}, the fit has not converged: one more K-means step still moves many images",
        hint="keep alternating assign / update until the labels stop changing.",
    )
    limit = INERTIA_RATIO_MAX * shared.reference_fit(shared._hidden_subset, len(centres))[1]
    shared.check(
        shared.inertia_of(X, centres, labels) <= limit,
        f"{where}, the inertia is above the limit for a converged fit",
        hint="keep the best of several runs (n_init=10) and run each until it converges.",
    )


@test_case(
    name="fit_kmeans clusters the digits in another order just as well", points=4, hidden=True
)
def hidden_shuffled(fit_kmeans):
    # hidden_subset's fit: its rows are in another order; labels_ must follow them, and
    # match the digits as well
    where = "on a shuffled subset of the digits"
    X, y, centres, labels = _hidden_fit(fit_kmeans, where)
    shared.check(
        shared.stale_fraction(X, centres, labels) <= STALE_MAX,
        f"{where}, labels_ do not give each image its nearest centre",
        hint="fit the X you are given, as given: not rescaled, reordered or loaded again.",
    )
    shared.check(
        shared.majority_accuracy(labels, y) >= ACCURACY_MIN,
        f"{where}, the label-mapping accuracy is below the required {ACCURACY_MIN:.2f}",
        hint="fit the X you are given, as given.",
    )
