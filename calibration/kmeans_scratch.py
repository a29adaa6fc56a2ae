"""Calibrate the thresholds of the kmeans_scratch graders.

Runs every legitimate variant and every known bug of tests/fixtures/kmeans_scratch/
variants.toml (the solution with one exact-substring replacement) over many seeds and prints
one table per threshold, plus the exact computation behind the D² test of
q4_init_kmeans_plus_plus. The tables and the chosen thresholds are in
docs/calibration/kmeans_scratch.md.

Usage (about 3 minutes on one core)::

    OMP_NUM_THREADS=1 python calibration/kmeans_scratch.py [--seeds 20] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
import tomllib
import types
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from kmeans_scratch_d2 import d2_exact_table  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
GRADERS = ROOT / "autograder" / "graders" / "kmeans_scratch"
SOLUTION = ROOT / "solutions" / "kmeans_scratch.py"
VARIANTS = ROOT / "tests" / "fixtures" / "kmeans_scratch" / "variants.toml"

# Bugs whose effect on the calibrated metrics is shown; the others are caught by exact
# checks (shapes, ties, reference values) and need no threshold.
CALIBRATED_BUGS = (
    "no_empty_cluster_handling",
    "one_iteration",
    "farthest_point",
    "distance_not_squared",
    "last_centre_only",
    "uniform_plus_plus",
    "first_row_first",
    "greedy_plus_plus",
    "n_init_ignored",
    "rng_per_run",
    "last_run_kept",
    "max_iter_ignored",
    "elbow_single_run",
)
# Not a fixture: a stopping rule that breaks the contract only mildly (sum of squared
# moves below tol, as scikit-learn does), to see where it lands.
EXTRA = {
    "sklearn_style_tol": (
        "shift = np.sqrt(((new_centroids - centroids) ** 2).sum(axis=1)).max()",
        "shift = ((new_centroids - centroids) ** 2).sum()",
    ),
}


def load_grader(stem: str) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(stem, GRADERS / f"{stem}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def touches_kmeans_plus_plus(patch: tuple[str, str] | None) -> bool:
    """Whether a patch changes init_kmeans_plus_plus (else its D² statistic is the solution's)."""
    source = SOLUTION.read_text()
    start = source.index("def init_kmeans_plus_plus")
    body = source[start : source.index("\ndef ", start + 1)]
    return patch is not None and patch[0] in body


def build(patch: tuple[str, str] | None) -> types.ModuleType:
    """The solution with the replacement applied, as a fresh module."""
    source = SOLUTION.read_text()
    if patch is not None:
        old, new = patch
        assert source.count(old) == 1, f"{old!r} is not exactly once in the solution"
        source = source.replace(old, new)
    module = types.ModuleType("kmeans_scratch")
    exec(compile(source, "kmeans_scratch.py", "exec"), module.__dict__)
    return module


def d2_g(module: types.ModuleType, q4: types.ModuleType, seed: int) -> float:
    """The G statistic the grader computes, with another seed for the generators."""
    X = q4.D2_POINTS
    left_out = np.zeros(len(X))
    for call in range(q4.D2_CALLS):
        C = module.init_kmeans_plus_plus(X.copy(), q4.D2_K, np.random.default_rng([seed, call]))
        rows = {int(np.argmin(((X - c) ** 2).sum(axis=1))) for c in C}
        if len(rows) < q4.D2_K:
            return float("inf")
        left_out[list(set(range(len(X))) - rows)[0]] += 1
    return q4.g_statistic(left_out, q4.d2_left_out_probabilities() * q4.D2_CALLS)


# ------------------------------------------------------------------------ kmeans metrics


def metrics(module, seed: int, q6, q7, q4, with_d2: bool) -> dict[str, float]:
    """One seed's value of every calibrated quantity for one variant."""
    iris = q6._iris()
    out: dict[str, float] = {}
    c, lab, score, _ = module.kmeans(iris, 3, random_state=seed)
    out["iris inertia"] = q6._inertia(iris, np.asarray(c), np.asarray(lab))
    worst_share, worst_gap = 0.0, 0.0
    fits = [
        (iris, c, lab),
        (iris, *module.kmeans(iris, 3, init="random", n_init=1, random_state=seed)[:2]),
    ]
    for X, k, kwargs, _, _ in q6._hidden_problems():
        kwargs = {**kwargs, "random_state": seed}
        fits.append((X, *module.kmeans(X, k, **kwargs)[:2]))
    for X, c, lab in fits:
        share, gap = q6._convergence(X, np.asarray(c, float), np.asarray(lab, int))
        worst_share, worst_gap = max(worst_share, share), max(worst_gap, gap)
    out["not nearest"], out["centroid gap"] = worst_share, worst_gap
    X, best = q6._hidden_groups()
    c, lab, _, _ = module.kmeans(
        X, 6, init="random", n_init=q6._hidden_N_INIT_RUNS, random_state=seed
    )
    out["n_init success"] = float(q6._inertia(X, c, lab) <= best * (1 + 1e-6))
    c, lab, _, _ = module.kmeans(X, 6, init="random", n_init=1, random_state=seed)
    out["single-run success"] = float(q6._inertia(X, c, lab) <= best * (1 + 1e-6))
    X = q6._hidden_slow_data()
    c, _, _, n_iter = module.kmeans(X, 8, init="random", n_init=1, max_iter=2, random_state=seed)
    c = np.asarray(c, float)
    nearest = np.argmin(((X[:, None, :] - c[None, :, :]) ** 2).sum(axis=2), axis=1)
    moved = np.array(
        [X[nearest == j].mean(axis=0) if np.any(nearest == j) else c[j] for j in range(8)]
    )
    out["max_iter move"] = float(np.linalg.norm(moved - c, axis=1).max())
    out["max_iter n_iter"] = float(n_iter)
    values = module.elbow(iris, list(q7.IRIS_K_VALUES), random_state=seed)
    ratios = np.asarray(values) / np.asarray(q7.IRIS_BEST_INERTIA)
    out["elbow ratio k<=4"] = float(ratios[: q7.IRIS_CLOSE_K].max())
    out["elbow ratio k>4"] = float(ratios[q7.IRIS_CLOSE_K :].max())
    out["elbow min ratio"] = float(ratios.min())
    out["elbow rises"] = float(np.any(np.diff(values) > 0))
    if with_d2:
        out["D² G"] = d2_g(module, q4, seed)
    return out


def design_tables(q6, q7, seeds: int) -> None:
    """The solution over many seeds: the numbers behind the n_init, max_iter and elbow checks."""
    from scipy.stats import binom

    solution = build(None)
    iris = q6._iris()
    print(f"\nsingle runs of kmeans(iris, 3, n_init=1) over {seeds} random_states:")
    for init in ("k-means++", "random"):
        values = np.array(
            [solution.kmeans(iris, 3, init=init, n_init=1, random_state=s)[2] for s in range(seeds)]
        )
        shares = {v: float(np.mean(np.isclose(values, v, atol=5e-4))) for v in (78.8514, 78.8557)}
        print(
            f"  {init:10s} 78.851: {shares[78.8514]:.2f}  78.856: {shares[78.8557]:.2f}  "
            f"above 100: {np.mean(values > 100):.2f}  max {values.max():.2f}"
        )
    X, best = q6._hidden_groups()
    runs = q6._hidden_N_INIT_RUNS
    states = len(q6._hidden_N_INIT_STATES)
    need = q6._hidden_N_INIT_MIN_SUCCESSES
    single = np.mean(
        [
            q6._inertia(X, *solution.kmeans(X, 6, init="random", n_init=1, random_state=s)[:2])
            <= best * (1 + 1e-6)
            for s in range(seeds)
        ]
    )
    fail_best_of = (1 - single) ** runs
    print(
        f"\nn_init check: one init='random' run reaches the best grouping in {single:.3f} of "
        f"{seeds} random_states; the best of {runs} misses it with probability "
        f"{fail_best_of:.2e};\n  the check needs {need} of {states} states: a correct kmeans "
        f"fails it with probability {binom.sf(states - need, states, fail_best_of):.1e}, "
        f"a single run passes it with probability {binom.sf(need - 1, states, single):.4f}"
    )
    moves = []
    slow = q6._hidden_slow_data()
    for s in range(seeds):
        c = np.asarray(
            solution.kmeans(slow, 8, init="random", n_init=1, max_iter=2, random_state=s)[0]
        )
        nearest = np.argmin(((slow[:, None, :] - c[None, :, :]) ** 2).sum(axis=2), axis=1)
        moved = np.array(
            [slow[nearest == j].mean(axis=0) if np.any(nearest == j) else c[j] for j in range(8)]
        )
        moves.append(np.linalg.norm(moved - c, axis=1).max())
    converged = [
        solution.kmeans(slow, 8, init="random", n_init=1, random_state=s)[3] for s in range(50)
    ]
    print(
        f"\nmax_iter check: after 2 iterations one more step moves a centroid by "
        f"{min(moves):.3f} .. {max(moves):.3f} ({seeds} random_states); a full run needs "
        f"{min(converged)} .. {max(converged)} iterations (50 random_states)"
    )
    n = seeds // 4
    ratios = np.array(
        [solution.elbow(iris, list(q7.IRIS_K_VALUES), random_state=s) for s in range(n)]
    ) / np.asarray(q7.IRIS_BEST_INERTIA)
    print(f"\nelbow on iris over {n} random_states, per k = {q7.IRIS_K_VALUES}:")
    print("  largest value / best:    " + " ".join(f"{r:.4f}" for r in ratios.max(axis=0)))
    print(
        "  share more than 0.1 % above the best: "
        + " ".join(f"{r:.3f}" for r in (ratios > 1.001).mean(axis=0))
    )
    values = ratios * np.asarray(q7.IRIS_BEST_INERTIA)
    rises = int(np.sum(np.any(np.diff(values, axis=1) > 0, axis=1)))
    print(f"  random_states where the curve goes up: {rises}")

    def collision(outcomes: list) -> float:
        """Probability that two independent draws give the same outcome (sum of p²).

        Estimated from the draws, so it cannot go below 1 / len(outcomes): a value of
        1 / len(outcomes) means every draw was different.
        """
        _, counts = np.unique(np.asarray(outcomes), axis=0, return_counts=True)
        return float(((counts / counts.sum()) ** 2).sum())

    # Checks that catch an unseeded generator compare two results that must be equal;
    # an unseeded kmeans passes them only if two random draws coincide.
    X, k_values, _ = q7._hidden_problem()
    per_k = [
        collision([round(solution.kmeans(X, k, random_state=s)[2], 9) for s in range(n)])
        for k in k_values
    ]
    same = collision(
        [
            np.asarray(solution.kmeans(iris, 8, init="random", n_init=1, random_state=s)[0])
            .round(9)
            .ravel()
            for s in range(n)
        ]
    )
    print(
        f"\nunseeded generator: two fits coincide with probability (sum of p², {n} seeds;"
        f" {1 / n:.3f} = all different)\n"
        f"  kmeans(iris, 8, init='random', n_init=1): {same:.3f}\n"
        f"  hidden elbow data, k = {k_values}: {' '.join(f'{c:.3f}' for c in per_k)}, "
        f"all at once {np.prod(per_k):.1e}"
    )


def check_best_inertias(q7) -> None:
    from sklearn.cluster import KMeans

    iris = q7._iris()
    print("\nbest known inertias on iris (KMeans, n_init=100) vs IRIS_BEST_INERTIA:")
    for k, stored in zip(q7.IRIS_K_VALUES, q7.IRIS_BEST_INERTIA, strict=True):
        best = KMeans(k, n_init=100, random_state=0).fit(iris).inertia_
        print(f"  k = {k}: {best:10.4f}   stored {stored:10.4f}")
        assert abs(best - stored) < 1e-4, "IRIS_BEST_INERTIA is out of date"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--only", nargs="*", default=None, help="variant names to run")
    parser.add_argument("--design-seeds", type=int, default=400, help="seeds of the design tables")
    parser.add_argument(
        "--skip-exact", action="store_true", help="skip the exact D² table and the design tables"
    )
    args = parser.parse_args()
    warnings.simplefilter("ignore", RuntimeWarning)  # means of empty clusters in some bugs

    q4, q6, q7 = (load_grader(s) for s in ("q4_init_kmeans_plus_plus", "q6_kmeans", "q7_elbow"))
    table = tomllib.loads(VARIANTS.read_text())
    variants = [("legit", "solution", None)]
    variants += [("legit", e["id"], (e["old"], e["new"])) for e in table["legit"]]
    variants += [
        ("bug", e["id"], (e["old"], e["new"])) for e in table["bug"] if e["id"] in CALIBRATED_BUGS
    ]
    variants += [("extra", name, patch) for name, patch in EXTRA.items()]
    if args.only:
        variants = [v for v in variants if v[1] in args.only]

    if not args.skip_exact:
        t = time.perf_counter()
        d2_exact_table(q4)
        check_best_inertias(q7)
        design_tables(q6, q7, args.design_seeds)
        print(f"(exact tables: {time.perf_counter() - t:.0f} s)")

    columns = {  # column: (format, summary over seeds: "range" = min..max, "sum", "mean")
        "iris inertia": ("{:.3f}", "range"),
        "not nearest": ("{:.3f}", "range"),
        "centroid gap": ("{:.2g}", "range"),
        "single-run success": ("{:.2f}", "mean"),
        "n_init success": ("{:.2f}", "mean"),
        "max_iter move": ("{:.3f}", "range"),
        "max_iter n_iter": ("{:.0f}", "range"),
        "elbow ratio k<=4": ("{:.4f}", "range"),
        "elbow ratio k>4": ("{:.3f}", "range"),
        "elbow min ratio": ("{:.6f}", "range"),
        "elbow rises": ("{:.0f}", "sum"),
        "D² G": ("{:.1f}", "range"),
    }
    width = 17
    print(f"\n{args.seeds} seeds per variant: min..max over the seeds; success: share of seeds;")
    print("elbow rises: number of seeds where the iris elbow went up; D² G of a variant that")
    print("does not touch init_kmeans_plus_plus is the solution's and is not recomputed")
    header = " ".join(f"{c[:width]:>{width}s}" for c in columns)
    print(f"{'kind':6s} {'variant':26s} {header}")
    for kind, name, patch in variants:
        module = build(patch)
        t = time.perf_counter()
        with_d2 = name == "solution" or touches_kmeans_plus_plus(patch)
        rows = [metrics(module, seed, q6, q7, q4, with_d2) for seed in range(args.seeds)]
        cells = []
        for column, (fmt, summary) in columns.items():
            values = [r[column] for r in rows if column in r]
            if not values:
                cells.append("as solution")
            elif summary == "range":
                cells.append(f"{fmt.format(min(values))}..{fmt.format(max(values))}")
            else:
                cells.append(fmt.format(sum(values) if summary == "sum" else np.mean(values)))
        line = " ".join(f"{cell:>{width}s}" for cell in cells)
        print(f"{kind:6s} {name:26s} {line}   ({time.perf_counter() - t:.0f} s)", flush=True)
    print(
        "\nthresholds: iris inertia <= "
        f"{q6.IRIS_INERTIA_CEILING}; not nearest <= {q6.MAX_NOT_NEAREST}; centroid gap <= "
        f"{q6.MAX_CENTROID_GAP}; n_init: >= {q6._hidden_N_INIT_MIN_SUCCESSES} of "
        f"{len(q6._hidden_N_INIT_STATES)} states; max_iter move >= "
        f"{q6._hidden_MAX_ITER_MIN_MOVE}; elbow ratio (k <= {q7.IRIS_CLOSE_K}) <= "
        f"{1 + q7.ELBOW_RTOL}; elbow min ratio >= {1 - q7.BELOW_BEST_RTOL}; "
        f"D² G <= {q4.D2_G_LIMIT}"
    )


if __name__ == "__main__":
    main()
