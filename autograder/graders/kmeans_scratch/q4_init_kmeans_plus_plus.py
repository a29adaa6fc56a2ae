"""Q4: k-means++ seeding (D² sampling)."""

import functools
import importlib.util
import itertools
import sys
from pathlib import Path

import numpy as np
from otter.test_files import test_case

OK_FORMAT = False
name = "q4_init_kmeans_plus_plus"


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
    "reproducible": ["init_kmeans_plus_plus"],
    "d2_sampling": ["init_kmeans_plus_plus"],
    "rows_on_other_data": ["init_kmeans_plus_plus"],
}
"""What each case cannot be judged without: the default call (docs/writing-graders.md)."""

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


def _row_indices(X: np.ndarray, result, k: int) -> list[int]:
    """Index in X of every row init_kmeans_plus_plus returned, or an assertion message."""
    return shared.row_indices(X, result, k, "init_kmeans_plus_plus")


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
    X, _ = shared.iris()
    _row_indices(X, shared.default_rows(init_kmeans_plus_plus, "init_kmeans_plus_plus"), 3)


@test_case(name="init_kmeans_plus_plus gives the same rows for the same generator", points=1)
def reproducible(init_kmeans_plus_plus):
    shared.check_same_rows(init_kmeans_plus_plus, "init_kmeans_plus_plus")


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
    X = np.unique(shared.iris()[0], axis=0)
    rng = np.random.default_rng(1789)
    return X[rng.permutation(len(X))[:80]] * np.array([1.0, 2.0, 0.5, 3.0])
