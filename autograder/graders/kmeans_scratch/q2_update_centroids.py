"""Q2: move every centroid to the mean of its samples."""

import functools
import importlib.util
import sys
from pathlib import Path

import numpy as np
from otter.test_files import test_case

OK_FORMAT = False
name = "q2_update_centroids"


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

DEPENDS = {
    "means_on_iris": ["update_centroids"],
    "keeps_empty_cluster": ["update_centroids"],
    "means_on_other_data": ["update_centroids"],
    "empty_on_other_data": ["update_centroids"],
}
"""What each case cannot be judged without: the default call (docs/writing-graders.md)."""

# Agreement with the grader's means: the same sums in another order differ by rounding only.
ATOL = 1e-9

# Public empty-cluster example: nobody has label 1, so centroid 1 must stay where it was.
EMPTY_X = np.array([[0.0, 0.0], [2.0, 0.0], [10.0, 10.0], [12.0, 10.0]])
EMPTY_LABELS = np.array([0, 0, 2, 2])
EMPTY_OLD = np.array([[1.0, 1.0], [5.0, -5.0], [9.0, 9.0]])
EMPTY_EXPECTED = [[1.0, 0.0], [5.0, -5.0], [11.0, 10.0]]


def _centroids(result, k: int, d: int) -> np.ndarray:
    """The student's centroids as a float array of shape (k, d), or an assertion message."""
    centroids = np.asarray(result)
    assert centroids.shape == (k, d), (
        f"update_centroids returned shape {centroids.shape}; expected ({k}, {d})\n"
        "hint: one row per cluster (k rows, also for empty clusters), one column per "
        "feature: average the members over axis 0."
    )
    assert np.issubdtype(centroids.dtype, np.number), (
        f"update_centroids returned dtype {centroids.dtype}; expected numbers"
    )
    return centroids.astype(float)


def _default_centroids(update_centroids):
    """The student's ``update_centroids(iris, species, 3, iris[[0, 50, 100]])``, once per
    submission."""
    X, y = shared.iris()
    old = X[shared.START_ROWS]
    return shared.KIT.memo.call("default", update_centroids, X.copy(), y.copy(), 3, old)


@test_case(name="update_centroids returns one centroid per cluster", points=1)
def returns_k_rows(update_centroids):
    X, _ = shared.iris()
    _centroids(_default_centroids(update_centroids), 3, X.shape[1])


@test_case(name="update_centroids moves each centroid to the mean of its samples on iris", points=1)
def means_on_iris(update_centroids):
    X, y = shared.iris()
    got = _centroids(_default_centroids(update_centroids), 3, X.shape[1])
    expected = shared.member_means(X, y, 3, X[shared.START_ROWS])
    err = np.abs(got - expected).max()
    assert err <= ATOL, (
        f"centroids differ from the species means by up to {err:.3g}\n"
        f"got row 0 {np.round(got[0], 4).tolist()}, expected {np.round(expected[0], 4).tolist()}\n"
        "hint: centroid j is X[labels == j].mean(axis=0)."
    )


@test_case(name="update_centroids keeps the old centroid of an empty cluster", points=1)
def keeps_empty_cluster(update_centroids):
    got = _centroids(
        update_centroids(EMPTY_X.copy(), EMPTY_LABELS.copy(), 3, EMPTY_OLD.copy()), 3, 2
    )
    assert np.all(np.isfinite(got)), (
        f"centroids {got.tolist()} contain nan or inf; expected {EMPTY_EXPECTED}\n"
        "hint: the mean of no samples is nan; keep the old centroid when a cluster is empty."
    )
    assert np.allclose(got, EMPTY_EXPECTED, rtol=0, atol=ATOL), (
        f"centroids {got.tolist()}; expected {EMPTY_EXPECTED} (no sample has label 1)\n"
        "hint: a cluster without samples keeps its centroid from old_centroids."
    )


@test_case(name="update_centroids matches the member means on other data", points=2, hidden=True)
def means_on_other_data(update_centroids):
    for X, labels, k, old in _hidden_random_problems():
        got = _centroids(update_centroids(X.copy(), labels.copy(), k, old.copy()), k, X.shape[1])
        bad = int((np.abs(got - shared.member_means(X, labels, k, old)).max(axis=1) > ATOL).sum())
        assert bad == 0, (
            "on other data some centroids are not the mean of their samples\n"
            "hint: use k and the labels you are given, not the shapes of iris."
        )


@test_case(name="update_centroids keeps empty clusters on other data", points=1, hidden=True)
def empty_on_other_data(update_centroids):
    for X, labels, k, old in _hidden_empty_problems():
        got = _centroids(update_centroids(X.copy(), labels.copy(), k, old.copy()), k, X.shape[1])
        empty = [j for j in range(k) if not np.any(labels == j)]
        assert np.all(np.isfinite(got[empty])), (
            "on other data with empty clusters, an empty cluster got nan or inf\n"
            "hint: keep the old centroid when a cluster has no samples."
        )
        bad = int((np.abs(got - shared.member_means(X, labels, k, old)).max(axis=1) > ATOL).sum())
        assert bad == 0, (
            "on other data with empty clusters (some of them the last ones), "
            "some centroids are wrong\n"
            "hint: loop over range(k), not over the labels that occur."
        )


@functools.cache
def _hidden_random_problems() -> tuple[tuple[np.ndarray, np.ndarray, int, np.ndarray], ...]:
    rng = np.random.default_rng(31337)
    problems = []
    for n, d, k in [(100, 3, 6), (40, 1, 2), (90, 7, 5)]:
        X = rng.normal(size=(n, d)) * 4 + 1
        labels = np.concatenate([np.arange(k), rng.integers(k, size=n - k)])  # none empty
        rng.shuffle(labels)
        problems.append((X, labels, k, rng.normal(size=(k, d))))
    return tuple(problems)


@functools.cache
def _hidden_empty_problems() -> tuple[tuple[np.ndarray, np.ndarray, int, np.ndarray], ...]:
    rng = np.random.default_rng(4242)
    problems = []
    # clusters 1 and 4 empty (one in the middle, the last one), then the last two empty
    for n, d, used, k in [(50, 2, [0, 2, 3], 5), (30, 3, [0, 1, 2], 5)]:
        X = rng.uniform(-5, 5, size=(n, d))
        labels = rng.choice(used, size=n)
        labels[: len(used)] = used  # every used cluster has a member
        problems.append((X, labels, k, rng.normal(size=(k, d)) * 10))
    return tuple(problems)
