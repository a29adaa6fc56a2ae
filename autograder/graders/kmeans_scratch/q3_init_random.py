"""Q3: random initial centroids (k different rows of X)."""

import functools

import numpy as np
from otter.test_files import test_case

OK_FORMAT = False
name = "q3_init_random"

# Every call gets a freshly seeded generator: under the sandbox the generator travels to
# the student's process as a copy, so the grader never relies on its state afterwards.
SEEDS = (11, 12, 13, 14, 15)


@functools.cache
def _iris() -> np.ndarray:
    from sklearn.datasets import load_iris

    return load_iris().data


def _row_indices(X: np.ndarray, result, k: int, fn: str) -> list[int]:
    """Index in X of every returned row (the first match), or an assertion message."""
    C = np.asarray(result)
    assert C.shape == (k, X.shape[1]), (
        f"{fn} returned shape {C.shape}; expected ({k}, {X.shape[1]})\n"
        "hint: return k rows of X, each with all the features."
    )
    match = np.all(np.isclose(C[:, None, :], X[None, :, :], rtol=0, atol=1e-12), axis=2)
    missing = np.flatnonzero(~match.any(axis=1))
    assert missing.size == 0, (
        f"centroid {missing[0]} of {fn} is {np.round(C[missing[0]], 4).tolist()}, "
        "which is not a row of X\n"
        "hint: pick rows of X (X[indices]); do not draw new points."
    )
    return [int(np.argmax(row)) for row in match]


@test_case(name="init_random returns k rows of X", points=1)
def rows_of_X(init_random):
    X = _iris()
    _row_indices(X, init_random(X, 3, np.random.default_rng(SEEDS[0])), 3, "init_random")


@test_case(name="init_random gives the same rows for the same generator", points=1)
def reproducible(init_random):
    X = _iris()
    first = np.asarray(init_random(X, 3, np.random.default_rng(SEEDS[0])))
    second = np.asarray(init_random(X, 3, np.random.default_rng(SEEDS[0])))
    assert first.ndim >= 1 and len(np.unique(first, axis=0)) == 3, (
        f"init_random returned {len(np.unique(first, axis=0)) if first.ndim else 0} "
        "different centroids for k = 3, so whether the same generator gives the same rows "
        "cannot be judged\nhint: return k different rows of X."
    )
    assert first.shape == second.shape and np.array_equal(first, second), (
        "two calls with np.random.default_rng(11) gave different centroids\n"
        "hint: draw only from the rng argument, not from np.random or random."
    )


@test_case(name="init_random depends on the generator passed in", points=1)
def depends_on_rng(init_random):
    X = _iris()
    results = {
        np.asarray(init_random(X, 3, np.random.default_rng(seed))).tobytes() for seed in SEEDS
    }
    assert len(results) > 1, (
        f"{len(SEEDS)} different generators all gave the same centroids\n"
        "hint: choose the rows with rng (e.g. rng.choice), and do not reseed inside."
    )


@test_case(name="init_random picks k different rows", points=1, hidden=True)
def distinct_rows(init_random):
    X = _hidden_data()
    for k in (len(X), 5):
        rows = _row_indices(X, init_random(X.copy(), k, np.random.default_rng(k)), k, "init_random")
        repeated = k - len(set(rows))
        assert repeated == 0, (
            f"with k = {'n_samples' if k == len(X) else k}, {repeated} rows were picked twice\n"
            "hint: sample row indices without replacement "
            "(rng.choice(n, size=k, replace=False))."
        )


@functools.cache
def _hidden_data() -> np.ndarray:
    """Continuous random data: no two rows are equal."""
    return np.random.default_rng(90210).normal(size=(30, 3))
