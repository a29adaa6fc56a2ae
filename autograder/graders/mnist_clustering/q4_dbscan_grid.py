"""Q4: a DBSCAN grid search whose fits run as Dask tasks."""

import functools
import importlib.util
import itertools
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from otter.test_files import test_case

OK_FORMAT = False
name = "q4_dbscan_grid"


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
check = shared.check

COLUMNS = shared.COLUMNS
EPS, MIN_SAMPLES = shared.EPS, shared.MIN_SAMPLES

DEPENDS = {
    "grid_order": ["dbscan_grid", "grid_shape"],
    "grid_values": ["dbscan_grid", "grid_shape"],
    "grid_runs_on_dask": ["dbscan_grid"],
    "hidden_grids": ["dbscan_grid", "grid_shape"],
}
"""What each case cannot be judged without (see docs/writing-graders.md, DEPENDS): a
student function names its default call, memoised in support/_shared.py (the case that
makes it explains its failure once)."""


class _DaskCount:
    """Dask computations and tasks run in this process during a ``with`` block (otter, pytest).

    In ClusterLab's sandbox the call runs in another process, which counts the same
    things and sends them with the reply (the proxy's ``last_call``).
    """

    def __enter__(self):
        from dask.callbacks import Callback

        self.counts = {"computes": 0, "tasks": 0, "threaded_tasks": 0}

        def start(dsk):
            self.counts["computes"] += 1

        def posttask(key, result, dsk, state, worker_id):
            self.counts["tasks"] += 1
            self.counts["threaded_tasks"] += worker_id is not None

        self._callback = Callback(start=start, posttask=posttask)
        self._callback.__enter__()
        return self

    def __exit__(self, *exc):
        self._callback.__exit__(*exc)


def _run(dbscan_grid, Z, eps_values, min_samples_values):
    """The student's grid and the Dask work counted during the call."""
    with _DaskCount() as local:
        grid = dbscan_grid(Z.copy(), list(eps_values), list(min_samples_values))
    remote = getattr(dbscan_grid, "last_call", None)
    remote = remote.get("dask", {}) if isinstance(remote, dict) else {}
    counts = {k: v + int(remote.get(k, 0)) for k, v in local.counts.items()}
    return grid, counts


def _default(dbscan_grid):
    """The student's grid on 1,000 embedded images and its Dask counts, once per submission."""
    return shared.KIT.memo.derived(
        "default", dbscan_grid, lambda: _run(dbscan_grid, shared.grid_data(), EPS, MIN_SAMPLES)
    )


def _frame(grid, n_rows, hidden=False):
    """The student's grid as a DataFrame with the four columns and one row per pair."""
    check(
        isinstance(grid, pd.DataFrame),
        f"dbscan_grid returned {type(grid).__name__}; expected a pandas DataFrame",
        hint='`pd.DataFrame(rows, columns=["eps", "min_samples", "n_clusters", '
        '"noise_fraction"])`.',
    )
    missing = [c for c in COLUMNS if c not in grid.columns]
    check(
        not missing,
        f"the grid has no column {', '.join(map(repr, missing))}; expected the columns {COLUMNS}",
    )
    hint = "loop over `itertools.product(eps_values, min_samples_values)`."
    if hidden:
        check(
            len(grid) == n_rows,
            "the grid does not have one row per pair of parameters",
            hint=hint,
        )
    check(
        len(grid) == n_rows,
        "the grid does not have one row per pair of parameters",
        expected=f"{n_rows} rows",
        actual=f"{len(grid)} rows",
        hint=hint,
    )
    return grid


def _values_wrong(grid, expected):
    """Pairs whose cluster count or noise share differs from DBSCAN's (rows matched by pair)."""
    wrong = []
    for row in grid[COLUMNS].itertuples(index=False):
        key = (float(row.eps), int(row.min_samples))
        ref = expected.get(key)
        if ref is None:
            continue
        if int(row.n_clusters) != ref[0] or abs(float(row.noise_fraction) - ref[1]) > 1e-9:
            wrong.append((key, (int(row.n_clusters), float(row.noise_fraction)), ref))
    return wrong


@test_case(name="dbscan_grid returns one row per pair with the four columns", points=3)
def grid_shape(dbscan_grid):
    grid, _ = _default(dbscan_grid)
    _frame(grid, len(EPS) * len(MIN_SAMPLES))


@test_case(
    name="dbscan_grid lists the pairs in the order of itertools.product(eps, min_samples)",
    points=3,
)
def grid_order(dbscan_grid):
    grid = _frame(_default(dbscan_grid)[0], len(EPS) * len(MIN_SAMPLES))
    got = [(float(e), int(m)) for e, m in zip(grid["eps"], grid["min_samples"], strict=True)]
    expected = list(itertools.product(EPS, MIN_SAMPLES))
    check(
        got == expected,
        "the rows do not hold the pairs in the order of the grid",
        expected=expected,
        actual=got,
        hint="the first parameter (eps) changes slowest: "
        "`for eps, min_samples in itertools.product(eps_values, min_samples_values)`.",
    )


@test_case(name="dbscan_grid counts DBSCAN's clusters and noise", points=4)
def grid_values(dbscan_grid):
    grid = _frame(_default(dbscan_grid)[0], len(EPS) * len(MIN_SAMPLES))
    wrong = _values_wrong(grid, shared.dbscan_reference(shared.grid_data, EPS, MIN_SAMPLES))
    if wrong:
        (eps, ms), (n, noise), (n_ref, noise_ref) = wrong[0]
        noise_hint = (
            "do not count the noise label -1 as a cluster."
            if n == n_ref + 1
            else "n_clusters counts the distinct labels other than -1; noise_fraction is the "
            "share of rows labelled -1."
        )
        raise shared.Failed(
            f"{len(wrong)} of {len(grid)} rows differ from DBSCAN; first for eps={eps:g}, "
            f"min_samples={ms}",
            expected=f"{n_ref} clusters and noise {noise_ref:.3f}",
            actual=f"{n} clusters and noise {noise:.3f}",
            hint=noise_hint,
        )


@test_case(name="dbscan_grid runs one Dask task per pair in one compute call", points=4)
def grid_runs_on_dask(dbscan_grid):
    _, counts = _default(dbscan_grid)
    pairs = len(EPS) * len(MIN_SAMPLES)
    hint = (
        "make one `dask.delayed` task per pair and compute them all with one "
        '`dask.compute(...)` (or one `dask.bag` with `.compute(scheduler="threads")`).'
    )
    check(
        counts["tasks"] > 0,
        f"dbscan_grid ran no Dask task for a grid of {pairs} pairs; expected one task per pair",
        hint=hint,
    )
    check(
        counts["computes"] == 1,
        f"dbscan_grid called compute {counts['computes']} times; expected one call for the "
        "whole grid",
        hint=hint,
    )
    check(
        counts["tasks"] >= pairs,
        f"dbscan_grid ran {counts['tasks']} Dask tasks for a grid of {pairs} pairs; expected "
        "at least one task per pair",
        hint=hint,
    )
    check(
        counts["threaded_tasks"] == counts["tasks"],
        f"{counts['tasks'] - counts['threaded_tasks']} of {counts['tasks']} Dask tasks ran on the "
        "synchronous scheduler; expected the threaded scheduler",
        hint='use `scheduler="threads"` (or the default of `dask.delayed`), not "sync".',
    )


@functools.cache
def _hidden_blobs():
    """Five Gaussian blobs in 5 dimensions plus scattered points."""
    rng = np.random.default_rng(404)
    centres = rng.uniform(-10, 10, size=(5, 5))
    blobs = np.vstack([c + rng.normal(scale=0.4, size=(60, 5)) for c in centres])
    Z = np.vstack([blobs, rng.uniform(-12, 12, size=(40, 5))])
    Z = Z[rng.permutation(len(Z))]
    Z.flags.writeable = False
    return Z


@functools.cache
def _hidden_digits():
    return shared.subset(23, 500)[0]


_hidden_grids = [
    (_hidden_digits, (6.0, 5.0), (5, 3, 8)),
    (_hidden_blobs, (1.2, 0.6, 3.0), (10, 4)),
]


@test_case(name="dbscan_grid gives DBSCAN's counts on other data and grids", points=6, hidden=True)
def hidden_grids(dbscan_grid):
    for data, eps_values, min_samples_values in _hidden_grids:
        grid, _ = _run(dbscan_grid, data(), eps_values, min_samples_values)
        grid = _frame(grid, len(eps_values) * len(min_samples_values), hidden=True)
        expected = shared.dbscan_reference(data, eps_values, min_samples_values)
        pairs = {(float(e), int(m)) for e, m in zip(grid["eps"], grid["min_samples"], strict=True)}
        check(
            pairs == set(expected),
            "on other data and another grid the rows do not hold the pairs of the grid",
            hint="take the pairs from eps_values and min_samples_values, not fixed lists.",
        )
        check(
            not _values_wrong(grid, expected),
            "on other data and another grid some rows differ from DBSCAN's clusters and noise",
            hint="fit DBSCAN on the Z you are given for every pair.",
        )
