"""What the kmeans_scratch question files share: the kit, iris, the grader's own K-means
steps, and the student's default calls.

Loaded once per process by every question file (``_support()`` in each), so each default
call of a student function is made once per submission whichever files run, and the
grader's own values once per process. Published with the public copy (``_hidden*`` names
stripped) and exported with the otter zip.

A question file's ``DEPENDS`` entry naming a student function (``"init_random"``) is its
call memoised under ``"default"`` (here, or in the question file that alone needs it);
see docs/writing-graders.md.
"""

import functools
import importlib.util
import sys
from pathlib import Path

import numpy as np
from sklearn.datasets import load_iris


def _load(path: Path):
    key = f"clusterlab:{path}"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules[key] = module
    return sys.modules[key]


def _kit_path() -> Path:
    """graderkit.py: beside this file (bundle, zip), else in the graders folder (repo)."""
    here = Path(__file__).resolve().parent
    for path in (here / "graderkit.py", here.parent.parent / "graderkit.py"):
        if path.is_file():
            return path
    raise FileNotFoundError("graderkit.py is missing next to support/_shared.py")


kit = _load(_kit_path())
Failed, check, not_judged = kit.Failed, kit.check, kit.not_judged

FUNCTIONS = (
    "assign_clusters",
    "update_centroids",
    "init_random",
    "init_kmeans_plus_plus",
    "inertia",
    "kmeans",
    "elbow",
)
KIT = kit.Kit(module="kmeans_scratch", timeout=20, functions=FUNCTIONS)
"""timeout equals assignment.toml's (tests/test_graderkit.py keeps them equal)."""

START_ROWS = [0, 50, 100]
"""Rows of iris used as the three starting centroids of the default calls (one per species)."""
INIT_SEED = {"init_random": 11, "init_kmeans_plus_plus": 5}
"""Seed of the generator of each init function's default call."""
ROW_HINT = {
    "init_random": "pick rows of X (X[indices]); do not draw new points.",
    "init_kmeans_plus_plus": "k-means++ picks rows of X (X[index]); it does not draw new points.",
}
"""The hint of each init function when a returned centroid is not a row of X."""


@functools.cache
def iris():
    """The grader's own copy of iris: samples (150, 4) and species (150,), read-only."""
    data = load_iris()
    X, y = data.data.astype(float), data.target.astype(int)
    X.flags.writeable = False
    y.flags.writeable = False
    return X, y


# ------------------------------------------------------- the grader's own K-means steps


def nearest(X, centroids):
    """Index of the nearest centroid of each row (squared distances; ties: lowest index)."""
    d2 = ((np.asarray(X)[:, None, :] - np.asarray(centroids)[None, :, :]) ** 2).sum(axis=2)
    return np.argmin(d2, axis=1)


def member_means(X, labels, k, old):
    """The update step: each centroid the mean of its members; an empty cluster keeps ``old``."""
    out = np.array(old, dtype=float, copy=True)
    for j in range(k):
        if np.any(labels == j):
            out[j] = X[labels == j].mean(axis=0)
    return out


def inertia_of(X, centroids, labels):
    """Sum over the rows of the squared distance to their own centroid."""
    return float(((X - centroids[labels]) ** 2).sum())


# ------------------------------------------------------------------ the init functions


def row_indices(X, result, k, function):
    """Index in X of every row ``function`` returned (the first match), or a failure.

    (Plain asserts: in a hidden case the engine keeps their words and elides their values.)
    """
    C = np.asarray(result)
    assert C.shape == (k, X.shape[1]), (
        f"{function} returned shape {C.shape}; expected ({k}, {X.shape[1]})\n"
        "hint: return k rows of X, each with all the features."
    )
    match = np.all(np.isclose(C[:, None, :], X[None, :, :], rtol=0, atol=1e-12), axis=2)
    missing = np.flatnonzero(~match.any(axis=1))
    assert missing.size == 0, (
        f"centroid {missing[0]} of {function} is {np.round(C[missing[0]], 4).tolist()}, "
        f"which is not a row of X\nhint: {ROW_HINT[function]}"
    )
    return [int(np.argmax(row)) for row in match]


def default_rows(init, function):
    """The student's ``init(iris, 3, np.random.default_rng(seed))``, once per submission
    (``function`` is its name: init_random or init_kmeans_plus_plus)."""
    X, _ = iris()
    seed = INIT_SEED[function]
    return KIT.memo.call("default", init, X.copy(), 3, np.random.default_rng(seed))


def check_same_rows(init, function):
    """Fail unless a second call with a generator of the same seed gives the same rows.

    Judged only on k different rows (copies of one row would pass trivially).
    """
    X, _ = iris()
    seed = INIT_SEED[function]
    first = np.asarray(default_rows(init, function))
    found = len(np.unique(first, axis=0)) if first.ndim else 0
    check(
        found == 3,
        f"{function} returned {found} different centroids for k = 3, so whether the "
        "same generator gives the same rows cannot be judged",
        hint="return k different rows of X.",
    )
    second = np.asarray(init(X.copy(), 3, np.random.default_rng(seed)))
    check(
        first.shape == second.shape and np.array_equal(first, second),
        f"two calls with np.random.default_rng({seed}) gave different centroids",
        hint="draw only from the rng argument, not from np.random or random.",
    )
