"""Q4: k-means++ seeding (D² sampling)."""

import functools
import itertools

import numpy as np
from otter.test_files import test_case

OK_FORMAT = False
name = "q4_init_kmeans_plus_plus"

# The D² test (design and false-failure rate: docs/calibration/kmeans_scratch.md).
# Four points on a line at 0, 3, 4 and 7 (rotated into the plane, rows shuffled); k = 3,
# so every call leaves exactly one point out. D² sampling leaves out an end point in
# 7.5 % of calls, uniform sampling in 50 %, D (not squared) sampling in 22 %.
D2_POINTS = np.array([4.0, 0.0, 7.0, 3.0])[:, None] * np.array([[0.6, 0.8]])
D2_K = 3
D2_CALLS = 300
D2_SEED = 2024
# Limit of the G statistic: a correct k-means++ exceeds it with probability 3.6e-5, below
# 1 in 25,000 (exact sum over all 4.6 million outcomes of the 300 calls; calibration/
# kmeans_scratch.py, docs/calibration/kmeans_scratch.md). D sampling passes with 0.003.
D2_G_LIMIT = 24.0


@functools.cache
def _iris() -> np.ndarray:
    from sklearn.datasets import load_iris

    return load_iris().data


def _row_indices(X: np.ndarray, result, k: int) -> list[int]:
    """Index in X of every returned row (the first match), or an assertion message."""
    C = np.asarray(result)
    assert C.shape == (k, X.shape[1]), (
        f"init_kmeans_plus_plus returned shape {C.shape}; expected ({k}, {X.shape[1]})\n"
        "hint: return k rows of X, each with all the features."
    )
    match = np.all(np.isclose(C[:, None, :], X[None, :, :], rtol=0, atol=1e-12), axis=2)
    missing = np.flatnonzero(~match.any(axis=1))
    assert missing.size == 0, (
        f"centroid {missing[0]} is {np.round(C[missing[0]], 4).tolist()}, "
        "which is not a row of X\n"
        "hint: k-means++ picks rows of X (X[index]); it does not draw new points."
    )
    return [int(np.argmax(row)) for row in match]


@functools.cache
def d2_left_out_probabilities() -> np.ndarray:
    """Exact probability, under k-means++, that each of the four points is left out."""
    X = D2_POINTS
    d2 = ((X[:, None, :] - X[None, :, :]) ** 2).sum(axis=2)
    n = len(X)
    left_out = np.zeros(n)
    for order in itertools.permutations(range(n), D2_K):
        p = 1.0 / n
        for step in range(1, D2_K):
            nearest = d2[list(order[:step])].min(axis=0)
            p *= nearest[order[step]] / nearest.sum()
        left_out[list(set(range(n)) - set(order))[0]] += p
    return left_out


def g_statistic(observed: np.ndarray, expected: np.ndarray) -> float:
    """Likelihood-ratio statistic G = 2 Σ O ln(O / E), with 0 ln 0 = 0."""
    observed = np.asarray(observed, dtype=float)
    nonzero = observed > 0
    return float(2 * (observed[nonzero] * np.log(observed[nonzero] / expected[nonzero])).sum())


@test_case(name="init_kmeans_plus_plus returns k rows of X", points=1)
def rows_of_X(init_kmeans_plus_plus):
    X = _iris()
    _row_indices(X, init_kmeans_plus_plus(X, 3, np.random.default_rng(5)), 3)


@test_case(name="init_kmeans_plus_plus gives the same rows for the same generator", points=1)
def reproducible(init_kmeans_plus_plus):
    X = _iris()
    first = np.asarray(init_kmeans_plus_plus(X, 3, np.random.default_rng(5)))
    second = np.asarray(init_kmeans_plus_plus(X, 3, np.random.default_rng(5)))
    assert first.ndim >= 1 and len(np.unique(first, axis=0)) == 3, (
        f"init_kmeans_plus_plus returned {len(np.unique(first, axis=0)) if first.ndim else 0} "
        "different centroids for k = 3, so whether the same generator gives the same rows "
        "cannot be judged\nhint: return k different rows of X."
    )
    assert first.shape == second.shape and np.array_equal(first, second), (
        "two calls with np.random.default_rng(5) gave different centroids\n"
        "hint: draw only from the rng argument, not from np.random or random."
    )


@test_case(name="init_kmeans_plus_plus follows D² sampling", points=3)
def d2_sampling(init_kmeans_plus_plus):
    X = D2_POINTS
    left_out = np.zeros(len(X), dtype=int)
    repeated = 0
    for call in range(D2_CALLS):
        rng = np.random.default_rng([D2_SEED, call])
        rows = set(_row_indices(X, init_kmeans_plus_plus(X.copy(), D2_K, rng), D2_K))
        if len(rows) < D2_K:
            repeated += 1
        else:
            left_out[list(set(range(len(X))) - rows)[0]] += 1
    assert repeated == 0, (
        f"in {repeated} of {D2_CALLS} calls on 4 distinct points with k = 3 a point was "
        "picked twice\n"
        "hint: weight each row by its squared distance to the NEAREST centre chosen so far; "
        "a chosen row then has weight 0."
    )
    expected = d2_left_out_probabilities() * D2_CALLS
    g = g_statistic(left_out, expected)
    assert g <= D2_G_LIMIT, (
        f"points at 0, 3, 4, 7 on a line, k = 3, {D2_CALLS} calls: how often each point was "
        f"left out: {left_out[np.argsort(D2_POINTS[:, 0])].tolist()}; expected about "
        f"{np.round(expected[np.argsort(D2_POINTS[:, 0])], 1).tolist()} under D² sampling "
        f"(G = {g:.1f}, limit {D2_G_LIMIT}; a correct k-means++ goes over it in fewer "
        "than 1 in 25,000 gradings)\n"
        "hint: choose the first centre uniformly, then each next one with probability "
        "d² / d².sum() (rng.choice(n, p=...)), d = distance to the nearest chosen centre."
    )


@test_case(
    name="init_kmeans_plus_plus returns k different rows of X on other data", points=1, hidden=True
)
def rows_on_other_data(init_kmeans_plus_plus):
    X = _hidden_data()
    for k, seed in [(5, 1), (2, 2), (len(X) // 2, 3)]:
        rows = _row_indices(X, init_kmeans_plus_plus(X.copy(), k, np.random.default_rng(seed)), k)
        assert len(set(rows)) == k, (
            "on other data a row was picked twice\n"
            "hint: a chosen row is at distance 0 from its own centre, so its weight is 0."
        )


@functools.cache
def _hidden_data() -> np.ndarray:
    """Shuffled iris rows without duplicates, features rescaled."""
    X = np.unique(_iris(), axis=0)
    rng = np.random.default_rng(1789)
    return X[rng.permutation(len(X))[:80]] * np.array([1.0, 2.0, 0.5, 3.0])
