"""Q4: fit_kmeans returns a fitted K-means model with k clusters."""

import functools
import importlib.util
import sys
from pathlib import Path

import numpy as np
from otter.test_files import test_case
from sklearn.cluster import KMeans

OK_FORMAT = False
name = "q4_fit_kmeans"

# A check that cannot be judged without the default call of these student functions
# (memoised: shared.KIT.memo) is not run once that call failed: one explanation, not many.
DEPENDS = {
    "centre_shape": ["fit_kmeans"],
    "label_count": ["fit_kmeans"],
    "inertia_default": ["fit_kmeans"],
    "other_k": ["fit_kmeans"],
    "deterministic": ["fit_kmeans"],
    "converged": ["fit_kmeans"],
}


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

FEATURES, SKEWED = shared.FEATURES, shared.SKEWED
K = shared.K

FIT_RTOL = 0.01
"""Largest relative gap between the student's inertia_ and the grader's KMeans(n_init=10)
fit for the same k: a guard against poor local optima. Calibrated: legitimate variants
<= 4e-6 (any random_state); a single random start lands 0.03-0.53 above the best fit on
6-8 of 20 data sets; see docs/calibration/oosterhout.md, table "fit"."""

INERTIA_GAP_TOL = 1e-3
"""Largest relative gap between inertia_ and the inertia recomputed from the centres and
labels. Calibrated: legitimate fits <= 2.4e-15, an inertia reported per row is off by
1 - 1/n; see docs/calibration/oosterhout.md, table "fit"."""

MOVED_MAX = 0.01
"""Largest share of rows whose label is not their nearest centre. Calibrated: legitimate
fits 0; see docs/calibration/oosterhout.md, table "fit"."""

CENTRE_GAP_TOL = 0.004
"""Largest distance between a centre and the mean of its members, in units of the spread
of X (a converged K-means fit is a fixed point: each centre is its members' mean; the
default tol of KMeans allows at most about 0.004). Calibrated: legitimate fits <= 0.0016,
a fit stopped after one iteration >= 0.0092; see docs/calibration/oosterhout.md, table
"fit"."""


def _default_fit(fit_kmeans):
    """The shipped X and the student's default fit of it (once per submission)."""
    return shared.shipped_X().copy(), shared.default_fit(fit_kmeans)


def _attribute(model, attr):
    """``model.<attr>`` as an array; a readable failure if the model has no such attribute."""
    assert hasattr(model, attr), (
        f"the object fit_kmeans returned has no attribute `{attr}`\n"
        "hint: return the fitted model itself, e.g. `return KMeans(...).fit(X)`."
    )
    value = shared.as_matrix(getattr(model, attr))
    assert value is not None, f"`{attr}` does not hold numbers"
    return value


def _centres_and_labels(model, k, n, d):
    """Centres (k, d) and labels (n,) of ``model``, checked to be usable together."""
    centres = _attribute(model, "cluster_centers_")
    assert centres.shape == (k, d), (
        f"cluster_centers_ has shape {centres.shape}; expected ({k}, {d})\n"
        "hint: rows are clusters, columns are features. Did you pass k on to KMeans?"
    )
    labels = _attribute(model, "labels_")
    assert labels.shape == (n,), (
        f"labels_ has shape {labels.shape}; expected ({n},)\n"
        "hint: one label per row of X. Did you fit on X.T?"
    )
    assert np.all(labels == np.round(labels)) and labels.min() >= 0 and labels.max() < k, (
        f"labels_ holds values from {labels.min():g} to {labels.max():g}; expected cluster ids "
        f"0..{k - 1}"
    )
    return centres, labels.astype(int)


def _nearest(X, centres):
    d2 = ((X[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    return d2.argmin(axis=1)


def _centre_gap(X, centres, labels):
    """Largest distance between a centre and the mean of its members, over the spread of X."""
    spread = np.sqrt(np.mean(np.sum((X - X.mean(axis=0)) ** 2, axis=1)))
    gaps = [
        np.linalg.norm(centres[c] - X[labels == c].mean(axis=0))
        for c in range(len(centres))
        if np.any(labels == c)
    ]
    return float(max(gaps, default=0.0) / spread)


@functools.lru_cache(maxsize=32)
def _reference_inertia(X_bytes, shape, k, random_state):
    X = np.frombuffer(X_bytes, dtype=float).reshape(shape)
    return float(KMeans(n_clusters=k, n_init=10, random_state=random_state).fit(X).inertia_)


def _check_inertia(X, model, k, random_state):
    """Public check: inertia_ belongs to the centres and labels and is near the grader's."""
    centres, labels = _centres_and_labels(model, k, *X.shape)
    inertia = float(_attribute(model, "inertia_"))
    recomputed = float(np.sum((X - centres[labels]) ** 2))
    assert abs(inertia - recomputed) <= INERTIA_GAP_TOL * recomputed, (
        f"inertia_ is {inertia:,.1f}, but the centres and labels give {recomputed:,.1f}\n"
        "hint: inertia_ is the sum (not the mean) of the squared distances of the rows to "
        "their centres; returning the fitted KMeans model itself gets this right."
    )
    expected = _reference_inertia(_key(X), X.shape, k, random_state)
    assert abs(inertia - expected) <= FIT_RTOL * expected, (
        f"inertia_ is {inertia:,.1f}; KMeans(n_clusters={k}, n_init=10) reaches "
        f"{expected:,.1f}\nhint: fit KMeans(n_clusters=k, n_init=10, random_state=random_state) "
        "on X as given, without rescaling it."
    )


def _key(X):
    return np.ascontiguousarray(X, dtype=float).tobytes()


@test_case(name="fit_kmeans returns one centre per cluster", points=1)
def centre_shape(fit_kmeans):
    X, model = _default_fit(fit_kmeans)
    centres = _attribute(model, "cluster_centers_")
    assert centres.shape == (K, X.shape[1]), (
        f"cluster_centers_ has shape {centres.shape}; expected ({K}, {X.shape[1]})\n"
        "hint: one row per cluster, one column per feature. Did you pass k on to KMeans?"
    )


@test_case(name="fit_kmeans gives every allocation a label, with exactly k clusters", points=1)
def label_count(fit_kmeans):
    X, model = _default_fit(fit_kmeans)
    labels = _attribute(model, "labels_")
    assert labels.shape == (len(X),), (
        f"labels_ has shape {labels.shape}; expected ({len(X)},)\nhint: one label per row of X."
    )
    found = len(np.unique(labels))
    assert found == K, (
        f"labels_ holds {found} distinct clusters for k={K}; expected {K}\n"
        "hint: pass k on to KMeans(n_clusters=k) instead of a fixed number."
    )


@test_case(name="fit_kmeans reaches the inertia of K-means with n_init=10", points=2)
def inertia_default(fit_kmeans):
    X, model = _default_fit(fit_kmeans)
    _check_inertia(X, model, K, 0)


@test_case(name="fit_kmeans works for another k on other data", points=2, hidden=True)
def other_k(fit_kmeans):
    X, model = _hidden_other_fit(fit_kmeans)
    k = 5
    shape_ok = hasattr(model, "cluster_centers_") and np.shape(model.cluster_centers_) == (
        k,
        X.shape[1],
    )
    assert shape_ok, (
        "on other data, cluster_centers_ does not have one row per cluster (for the k asked "
        "for) and one column per feature\nhint: pass k on to KMeans(n_clusters=k)."
    )
    inertia = float(_attribute(model, "inertia_"))
    expected = _reference_inertia(_key(X), X.shape, k, 2)
    assert abs(inertia - expected) <= FIT_RTOL * expected, (
        "on other data, inertia_ is not that of a K-means fit with n_init=10\n"
        "hint: fit KMeans(n_clusters=k, n_init=10, random_state=random_state) on X as given."
    )


@test_case(name="the same random_state gives the same fit", points=1, hidden=True)
def deterministic(fit_kmeans):
    X = _hidden_X(3)
    first = _attribute(fit_kmeans(X.copy(), 3, random_state=7), "labels_")
    second = _attribute(fit_kmeans(X.copy(), 3, random_state=7), "labels_")
    assert len(np.unique(first)) > 1, (
        "on other data with 3 planted segments the fit put every row in one cluster, so "
        "whether it is repeatable cannot be judged\nhint: return the fitted KMeans model."
    )
    assert first.shape == second.shape and np.array_equal(first, second), (
        "two calls with the same random_state gave different labels\n"
        "hint: pass random_state on to KMeans."
    )


@test_case(
    name="fit_kmeans returns a converged fit whose predict uses its centres", points=1, hidden=True
)
def converged(fit_kmeans):
    X, model = _hidden_other_fit(fit_kmeans)
    centres = _attribute(model, "cluster_centers_")
    labels = _attribute(model, "labels_")
    usable = (
        centres.ndim == 2
        and centres.shape[1] == X.shape[1]
        and labels.shape == (len(X),)
        and np.all(labels == np.round(labels))
        and labels.min() >= 0
        and labels.max() < len(centres)
    )
    assert usable, (
        "on other data, cluster_centers_ and labels_ do not fit together (one centre per "
        "cluster id in labels_, one label per row)\nhint: return the fitted KMeans model."
    )
    labels = labels.astype(int)
    assert len(np.unique(centres, axis=0)) == len(centres) and len(np.unique(labels)) > 1, (
        "on other data the fit has centres that coincide or puts every row in one cluster, "
        "so whether it converged cannot be judged\n"
        "hint: return the fitted KMeans model; its centres are distinct."
    )
    moved = float(np.mean(labels != _nearest(X, centres)))
    gap = _centre_gap(X, centres, labels)
    assert moved <= MOVED_MAX and gap <= CENTRE_GAP_TOL, (
        "on other data the fit has not converged: "
        + (
            "some rows are not labelled with their nearest centre"
            if moved > MOVED_MAX
            else "the centres are not the means of their members"
        )
        + "\nhint: let K-means run until it converges (keep the default max_iter and tol)."
    )
    predicted = shared.as_matrix(model.predict(X.copy()))
    assert predicted is not None and np.array_equal(predicted, _nearest(X, centres)), (
        "predict(X) does not give each row its nearest centre\n"
        "hint: return the fitted KMeans model itself."
    )


def _hidden_other_fit(fit_kmeans):
    """The student's 5-cluster fit of the 5-segment variant, once per submission."""
    X = _hidden_X(5)
    return X, shared.KIT.memo.call("hidden_other_fit", fit_kmeans, X.copy(), 5, random_state=2)


@functools.cache
def _hidden_X(k):
    """The grader's preprocessing of a variant of the data with k planted segments."""
    X = shared.preprocessed(shared._hidden_variant(k))
    X.flags.writeable = False
    return X
