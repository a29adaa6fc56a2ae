"""Q5: the inertia (within-cluster sum of squares)."""

import functools
import importlib.util
import numbers
import sys
from pathlib import Path

import numpy as np
from otter.test_files import test_case

OK_FORMAT = False
name = "q5_inertia"


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
    "uses_given_labels": ["inertia"],
    "on_other_data": ["inertia"],
}
"""What each case cannot be judged without: the default call (docs/writing-graders.md)."""

# Agreement with the grader's sum: summation order changes the last few digits only.
RTOL = 1e-9


def _number(result) -> float:
    assert isinstance(result, numbers.Real) or (np.ndim(result) == 0 and np.isreal(result)), (
        f"inertia returned {type(result).__name__} {np.shape(result)}; expected one number\n"
        "hint: add up the squared distances of all samples into a single float."
    )
    return float(result)


@test_case(name="inertia on iris with the species means", points=1)
def on_iris(inertia):
    X, y = shared.iris()
    means = shared.member_means(X, y, 3, np.zeros((3, X.shape[1])))
    got = _number(shared.KIT.memo.call("default", inertia, X.copy(), means, y.copy()))
    expected = shared.inertia_of(X, means, y)
    assert np.isclose(got, expected, rtol=RTOL, atol=0), (
        f"inertia {got:.4f}; expected {expected:.4f}\n"
        "hint: the sum over all samples of the SQUARED distance to their own centroid "
        "(no square root, no mean)."
    )


@test_case(name="inertia uses the given labels, not the nearest centroid", points=1, hidden=True)
def uses_given_labels(inertia):
    X, centroids, labels = _hidden_problems()[0]
    got = _number(inertia(X.copy(), centroids.copy(), labels.copy()))
    assert np.isclose(got, shared.inertia_of(X, centroids, labels), rtol=RTOL, atol=0), (
        "with labels that do not point at the nearest centroid, the inertia is wrong\n"
        "hint: measure each sample against centroids[labels[i]], whatever that centroid is."
    )


@test_case(name="inertia matches on other data", points=1, hidden=True)
def on_other_data(inertia):
    for X, centroids, labels in _hidden_problems()[1:]:
        got = _number(inertia(X.copy(), centroids.copy(), labels.copy()))
        assert np.isclose(got, shared.inertia_of(X, centroids, labels), rtol=RTOL, atol=0), (
            "on other data the inertia is wrong\nhint: do not assume the shapes of iris."
        )


@functools.cache
def _hidden_problems() -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], ...]:
    rng = np.random.default_rng(8080)
    problems = []
    for n, d, k in [(60, 2, 4), (100, 5, 7), (25, 1, 3)]:
        X = rng.normal(size=(n, d)) * 3
        centroids = rng.normal(size=(k, d))
        labels = rng.integers(k, size=n)  # random, so mostly not the nearest centroid
        problems.append((X, centroids, labels))
    return tuple(problems)
