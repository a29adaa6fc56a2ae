"""Q5: the inertia (within-cluster sum of squares)."""

import functools
import numbers

import numpy as np
from otter.test_files import test_case

OK_FORMAT = False
name = "q5_inertia"

# Agreement with the grader's sum: summation order changes the last few digits only.
RTOL = 1e-9


@functools.cache
def _iris() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_iris

    data = load_iris()
    return data.data, data.target


def _reference(X, centroids, labels) -> float:
    return float(((X - centroids[labels]) ** 2).sum())


def _number(result) -> float:
    assert isinstance(result, numbers.Real) or (np.ndim(result) == 0 and np.isreal(result)), (
        f"inertia returned {type(result).__name__} {np.shape(result)}; expected one number\n"
        "hint: add up the squared distances of all samples into a single float."
    )
    return float(result)


@test_case(name="inertia on iris with the species means", points=1)
def on_iris(inertia):
    X, y = _iris()
    means = np.array([X[y == j].mean(axis=0) for j in range(3)])
    got = _number(inertia(X, means, y))
    expected = _reference(X, means, y)
    assert np.isclose(got, expected, rtol=RTOL, atol=0), (
        f"inertia {got:.4f}; expected {expected:.4f}\n"
        "hint: the sum over all samples of the SQUARED distance to their own centroid "
        "(no square root, no mean)."
    )


@test_case(name="inertia uses the given labels, not the nearest centroid", points=1, hidden=True)
def uses_given_labels(inertia):
    X, centroids, labels = _hidden_problems()[0]
    got = _number(inertia(X.copy(), centroids.copy(), labels.copy()))
    assert np.isclose(got, _reference(X, centroids, labels), rtol=RTOL, atol=0), (
        "with labels that do not point at the nearest centroid, the inertia is wrong\n"
        "hint: measure each sample against centroids[labels[i]], whatever that centroid is."
    )


@test_case(name="inertia matches on other data", points=1, hidden=True)
def on_other_data(inertia):
    for X, centroids, labels in _hidden_problems()[1:]:
        got = _number(inertia(X.copy(), centroids.copy(), labels.copy()))
        assert np.isclose(got, _reference(X, centroids, labels), rtol=RTOL, atol=0), (
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
