"""Q3: random initial centroids (k different rows of X)."""

import functools
import importlib.util
import sys
from pathlib import Path

import numpy as np
from otter.test_files import test_case

OK_FORMAT = False
name = "q3_init_random"


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

# Every call gets a freshly seeded generator: under the sandbox the generator travels to
# the student's process as a copy, so the grader never relies on its state afterwards.
SEEDS = (shared.INIT_SEED["init_random"], 12, 13, 14, 15)

DEPENDS = {
    "reproducible": ["init_random"],
    "depends_on_rng": ["init_random"],
    "distinct_rows": ["init_random"],
}
"""What each case cannot be judged without: the default call (docs/writing-graders.md)."""


@test_case(name="init_random returns k rows of X", points=1)
def rows_of_X(init_random):
    X, _ = shared.iris()
    shared.row_indices(X, shared.default_rows(init_random, "init_random"), 3, "init_random")


@test_case(name="init_random gives the same rows for the same generator", points=1)
def reproducible(init_random):
    shared.check_same_rows(init_random, "init_random")


@test_case(name="init_random depends on the generator passed in", points=1)
def depends_on_rng(init_random):
    X, _ = shared.iris()
    results = {np.asarray(shared.default_rows(init_random, "init_random")).tobytes()} | {
        np.asarray(init_random(X.copy(), 3, np.random.default_rng(seed))).tobytes()
        for seed in SEEDS[1:]
    }
    assert len(results) > 1, (
        f"{len(SEEDS)} different generators all gave the same centroids\n"
        "hint: choose the rows with rng (e.g. rng.choice), and do not reseed inside."
    )


@test_case(name="init_random picks k different rows", points=1, hidden=True)
def distinct_rows(init_random):
    X = _hidden_data()
    for k in (len(X), 5):
        rows = shared.row_indices(
            X, init_random(X.copy(), k, np.random.default_rng(k)), k, "init_random"
        )
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
