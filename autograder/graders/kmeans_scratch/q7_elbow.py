"""Q7: the elbow curve."""

import functools
import importlib.util
import numbers
import sys
from pathlib import Path

import numpy as np
from otter.test_files import test_case

OK_FORMAT = False
name = "q7_elbow"


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

IRIS_K_VALUES = [1, 2, 3, 4, 5, 6]
# Lowest inertia on iris for k = 1 .. 6 (KMeans with n_init=100; calibration/kmeans_scratch.py
# recomputes them and stops if they differ).
IRIS_BEST_INERTIA = [681.3706, 152.3480, 78.8514, 57.2285, 46.4462, 39.0400]
# For k <= IRIS_CLOSE_K a correct best-of-10 k-means++ fit stays within ELBOW_RTOL of the
# best: at most 0.27 % above it (k = 4, 100 random_states). A fit with n_init ignored is
# 81 % above at k = 3 for random_state=0 (but can be lucky for other seeds: the hidden
# n_init check of q6 is the reliable one). For k = 5 and 6 a correct fit ends up to 7.3 %
# above the best for 3 % and 24 % of the random_states, so those values are checked for
# order and for the lower bound only (docs/calibration/kmeans_scratch.md).
IRIS_CLOSE_K = 4
ELBOW_RTOL = 0.01
# A value may sit below the rounded best by rounding only; far below means a wrong inertia.
BELOW_BEST_RTOL = 1e-5

DEPENDS = {
    "non_increasing": ["elbow"],
    "matches_best": ["elbow"],
    "follows_k_values": ["elbow"],
}
"""What each case cannot be judged without: the default call (docs/writing-graders.md)."""


def _values(result, k_values) -> list[float]:
    assert isinstance(result, list | tuple | np.ndarray) and len(result) == len(k_values), (
        f"elbow returned {type(result).__name__} of length "
        f"{len(result) if hasattr(result, '__len__') else '?'}; "
        f"expected a list of {len(k_values)} inertias, one per k\n"
        "hint: [kmeans(X, k, random_state=random_state)[2] for k in k_values]"
    )
    assert all(isinstance(v, numbers.Real) for v in result), (
        "elbow returned a list whose items are not all numbers\n"
        "hint: keep only the inertia (item 2) of each kmeans result."
    )
    return [float(v) for v in result]


def _iris_elbow(elbow) -> list[float]:
    """The student's ``elbow(iris, [1, ..., 6])``, once per submission."""
    X, _ = shared.iris()
    return _values(
        shared.KIT.memo.call("default", elbow, X.copy(), list(IRIS_K_VALUES)), IRIS_K_VALUES
    )


@test_case(name="elbow returns one inertia per k", points=1)
def one_per_k(elbow):
    _iris_elbow(elbow)


@test_case(name="elbow on iris does not increase with k", points=1)
def non_increasing(elbow):
    values = _iris_elbow(elbow)
    rises = [k for k, a, b in zip(IRIS_K_VALUES[1:], values, values[1:], strict=False) if b > a]
    assert not rises, (
        f"inertias {np.round(values, 2).tolist()} for k = {IRIS_K_VALUES}: "
        f"the inertia goes up at k = {rises[0]}\n"
        "hint: more clusters can always fit at least as well; use the best of n_init runs."
    )
    assert values[-1] < values[0], (
        f"inertias {np.round(values, 2).tolist()} for k = {IRIS_K_VALUES}: the inertia at "
        f"k = {IRIS_K_VALUES[-1]} is not below the one at k = {IRIS_K_VALUES[0]}\n"
        "hint: more clusters fit the samples more closely; use kmeans' inertia for each k."
    )


@test_case(name="elbow on iris matches the best known inertias", points=1)
def matches_best(elbow):
    values = _iris_elbow(elbow)
    for k, value, best in zip(IRIS_K_VALUES, values, IRIS_BEST_INERTIA, strict=True):
        assert k > IRIS_CLOSE_K or value <= best * (1 + ELBOW_RTOL), (
            f"for k = {k} the inertia is {value:.2f}; the best known is {best:.2f} "
            f"and the limit is {best * (1 + ELBOW_RTOL):.2f}\n"
            "hint: each value should be the inertia of a converged best-of-n_init kmeans fit."
        )
        assert value >= best * (1 - BELOW_BEST_RTOL), (
            f"for k = {k} the inertia is {value:.2f}, below the lowest possible {best:.2f}\n"
            "hint: the inertia is the SUM of squared distances, not a mean or a square root."
        )


@test_case(name="elbow gives kmeans' inertia for each k, in the order given", points=1, hidden=True)
def follows_k_values(elbow, kmeans):
    X, k_values, random_state = _hidden_problem()
    values = _values(elbow(X.copy(), list(k_values), random_state=random_state), k_values)
    assert len(set(values)) == len(values), (
        "on other data elbow gave the same inertia for different k\n"
        "hint: one value per k: the inertia of kmeans(X, k, random_state=random_state)."
    )
    for k, value in zip(k_values, values, strict=True):
        expected = kmeans(X.copy(), k, random_state=random_state)[2]
        assert np.isclose(value, expected, rtol=1e-9, atol=0), (
            "on other data with k_values in a shuffled order, a value is not what "
            "kmeans(X, k, random_state=random_state) returns for its k\n"
            "hint: one value per k, in the order of k_values, with the given random_state."
        )


@functools.cache
def _hidden_problem() -> tuple[np.ndarray, tuple[int, ...], int]:
    """Points without cluster structure: the best of 10 runs changes from seed to seed, so
    values computed with another random_state (or n_init) match with probability about
    2e-5 (docs/calibration/kmeans_scratch.md)."""
    X = np.random.default_rng(2718).uniform(0, 10, size=(80, 2))
    return X, (10, 3, 8, 12), 5
