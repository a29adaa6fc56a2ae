"""Q1: assign every sample to its nearest centroid."""

import functools
import importlib.util
import sys
from pathlib import Path

import numpy as np
from otter.test_files import test_case

OK_FORMAT = False
name = "q1_assign_clusters"


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
    "nearest_on_iris": ["assign_clusters"],
    "ties_lowest_index": ["assign_clusters"],
    "nearest_on_other_data": ["assign_clusters"],
    "ties_on_other_data": ["assign_clusters"],
}
"""What each case cannot be judged without: the default call (docs/writing-graders.md)."""

# The public tie example: squared distances are small integers, so every tie is exact.
TIE_X = np.array([[1, 0], [0, 1], [1, 1], [2, 1], [1, 2], [3, 0]], dtype=float)
TIE_CENTROIDS = np.array([[0, 0], [2, 0], [0, 2], [2, 0]], dtype=float)
TIE_EXPECTED = [0, 0, 0, 1, 2, 1]


def _labels(result, n: int) -> np.ndarray:
    """The student's labels as an array of shape (n,), or an assertion message."""
    labels = np.asarray(result)
    assert labels.shape == (n,), (
        f"assign_clusters returned shape {labels.shape}; expected ({n},)\n"
        "hint: return one label per row of X, e.g. np.argmin(distances, axis=1)."
    )
    return labels


def _default_labels(assign_clusters):
    """The student's ``assign_clusters(iris, iris[[0, 50, 100]])``, once per submission."""
    X, _ = shared.iris()
    return shared.KIT.memo.call("default", assign_clusters, X.copy(), X[shared.START_ROWS])


@test_case(name="assign_clusters returns one integer label per sample", points=1)
def returns_int_labels(assign_clusters):
    X, _ = shared.iris()
    labels = _labels(_default_labels(assign_clusters), len(X))
    assert np.issubdtype(labels.dtype, np.integer), (
        f"the labels have dtype {labels.dtype}; expected an integer dtype\n"
        "hint: labels are centroid indices; np.argmin already returns integers."
    )


@test_case(name="assign_clusters picks the nearest centroid on iris", points=1)
def nearest_on_iris(assign_clusters):
    X, _ = shared.iris()
    labels = _labels(_default_labels(assign_clusters), len(X))
    expected = shared.nearest(X, X[shared.START_ROWS])
    wrong = np.flatnonzero(labels != expected)
    assert wrong.size == 0, (
        f"{wrong.size} of {len(X)} labels are not the nearest centroid; "
        f"first: sample {wrong[0]} got {labels[wrong[0]]}, expected {expected[wrong[0]]}\n"
        "hint: compare each sample with every centroid and keep the index of the "
        "smallest distance (argmin, not argmax)."
    )


@test_case(name="assign_clusters gives a tie to the lowest centroid index", points=1)
def ties_lowest_index(assign_clusters):
    labels = _labels(assign_clusters(TIE_X.copy(), TIE_CENTROIDS.copy()), len(TIE_X))
    assert labels.tolist() == TIE_EXPECTED, (
        f"labels {labels.tolist()}; expected {TIE_EXPECTED} "
        "(centroids 1 and 3 are the same point)\n"
        "hint: when two centroids are equally close, keep the lower index "
        "(np.argmin does; a loop must use < rather than <=)."
    )


@test_case(name="assign_clusters picks the nearest centroid on other data", points=2, hidden=True)
def nearest_on_other_data(assign_clusters):
    for X, centroids in _hidden_random_problems():
        labels = _labels(assign_clusters(X.copy(), centroids.copy()), len(X))
        wrong = float(np.mean(labels != shared.nearest(X, centroids)))
        assert wrong == 0, (
            f"on other data {wrong:.0%} of the labels are not the nearest centroid\n"
            "hint: do not assume the shapes of iris; use the shapes of X and centroids."
        )


@test_case(
    name="assign_clusters breaks ties by the lowest index on other data", points=1, hidden=True
)
def ties_on_other_data(assign_clusters):
    X, centroids = _hidden_tie_problem()
    labels = _labels(assign_clusters(X.copy(), centroids.copy()), len(X))
    wrong = float(np.mean(labels != shared.nearest(X, centroids)))
    assert wrong == 0, (
        f"on data with many exact ties, {wrong:.0%} of the labels are not the lowest "
        "index among the nearest centroids\n"
        "hint: on a tie keep the first (lowest) index."
    )


@functools.cache
def _hidden_random_problems() -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """Random data of several shapes; the nearest centroid is never a near-tie."""
    rng = np.random.default_rng(20240611)
    problems = []
    for n, d, k in [(200, 5, 7), (60, 1, 4), (40, 3, 1), (120, 2, 12)]:
        X = rng.normal(size=(n, d)) * rng.uniform(0.5, 3.0, size=d)
        centroids = X[rng.choice(n, size=k, replace=False)] + rng.normal(scale=0.1, size=(k, d))
        problems.append((X, centroids))
    return tuple(problems)


@functools.cache
def _hidden_tie_problem() -> tuple[np.ndarray, np.ndarray]:
    """Integer grid points and integer centroids (two of them equal): exact ties."""
    grid = np.arange(-3, 4)
    X = np.array([(a, b) for a in grid for b in grid], dtype=float)
    X = X[np.random.default_rng(7).permutation(len(X))]
    centroids = np.array([[1, 1], [-1, 1], [1, -1], [-1, 1], [-1, -1], [3, 0]], dtype=float)
    return X, centroids
