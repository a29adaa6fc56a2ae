"""Calibrate the thresholds of the handwriting graders.

Runs every legitimate way to fit K-means on the digits and every known bug over many
seeds, measures each fit with the graders' own functions (imported from the grader
files, so the numbers are exactly what the graders compute), and prints the tables
kept in docs/calibration/handwriting.md.

Usage::

    OMP_NUM_THREADS=1 python calibration/handwriting.py            # all variants, 20 seeds
    OMP_NUM_THREADS=1 python calibration/handwriting.py --tail 200  # single runs, 200 seeds
    OMP_NUM_THREADS=1 python calibration/handwriting.py --seed-checks 200  # seed checks only
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType, SimpleNamespace

import numpy as np
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.metrics import adjusted_rand_score
from sklearn.preprocessing import StandardScaler, normalize

GRADERS = Path(__file__).resolve().parents[1] / "autograder" / "graders" / "handwriting"


def _load(stem: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(stem, GRADERS / f"{stem}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


q2 = _load("q2_fit_kmeans")
q3 = _load("q3_converged")
shared = q3.shared  # support/_shared.py: the data and the measures every question uses

Fit = Callable[[np.ndarray, int, int], SimpleNamespace]

# ---------------------------------------------------------------- fits ---------------


def _model(centres, labels, inertia) -> SimpleNamespace:
    return SimpleNamespace(cluster_centers_=centres, labels_=labels, inertia_=inertia)


def _km(X, k, seed, **params) -> SimpleNamespace:
    km = KMeans(n_clusters=k, random_state=seed, **params).fit(X)
    return _model(km.cluster_centers_, km.labels_, km.inertia_)


def sk(**params) -> Fit:
    """scikit-learn's KMeans with ``params``."""
    return lambda X, k, seed: _km(X, k, seed, **params)


def _nearest(X, C):
    d = np.sum(X**2, axis=1)[:, None] - 2 * X @ C.T + np.sum(C**2, axis=1)[None, :]
    return np.argmin(d, axis=1)


def _means(X, labels, old):
    """Member means; an empty cluster keeps its old centre."""
    onehot = np.eye(len(old))[labels]
    sizes = onehot.sum(axis=0)
    C = old.copy()
    C[sizes > 0] = (onehot.T @ X)[sizes > 0] / sizes[sizes > 0, None]
    return C


def _init(X, k, rng, how):
    if how == "random":
        return X[rng.choice(len(X), size=k, replace=False)].copy()
    chosen = [rng.integers(len(X))]
    d2 = np.sum((X - X[chosen[0]]) ** 2, axis=1)
    for _ in range(k - 1):
        chosen.append(rng.choice(len(X), p=d2 / d2.sum()))
        d2 = np.minimum(d2, np.sum((X - X[chosen[-1]]) ** 2, axis=1))
    return X[chosen].copy()


def lloyd(init: str = "k-means++", n_init: int = 10, max_iter: int = 300, stale=False) -> Fit:
    """A student's NumPy K-means: Lloyd until the labels stop changing, best of n_init.

    ``max_iter=0`` returns the initial centres with their labels (no iterations);
    ``stale=True`` then updates the centres once and keeps the old labels.
    """

    def fit(X, k, seed):
        rng, best = np.random.default_rng(seed), None
        for _ in range(n_init):
            C = _init(X, k, rng, init)
            labels = _nearest(X, C)
            C = _means(X, labels, C) if stale else C
            for _ in range(max_iter):
                C = _means(X, labels, C)
                new = _nearest(X, C)
                if np.array_equal(new, labels):
                    break
                labels = new
            inertia = float(np.sum((X - C[labels]) ** 2))
            if best is None or inertia < best.inertia_:
                best = _model(C, labels, inertia)
        return best

    return fit


def rescaled(transform: Callable, back: bool = False) -> Fit:
    """KMeans(n_init=10) on transform(X); ``back=True`` returns member means in X's scale
    (the partition still comes from the rescaled data)."""

    def fit(X, k, seed):
        m = _km(transform(X), k, seed, n_init=10)
        if back:
            m.cluster_centers_ = np.stack([X[m.labels_ == j].mean(axis=0) for j in range(k)])
            m.inertia_ = float(np.sum((X - m.cluster_centers_[m.labels_]) ** 2))
        return m

    return fit


def broken(kind: str) -> Fit:
    """A correct KMeans(n_init=10) fit with one thing broken afterwards."""

    def fit(X, k, seed):
        m, rng = _km(X, k, seed, n_init=10), np.random.default_rng(seed)
        dist = np.sqrt(np.sum((X - m.cluster_centers_[m.labels_]) ** 2, axis=1))
        if kind == "shuffled":
            m.labels_ = rng.permutation(m.labels_)
        elif kind == "random":
            m.labels_ = rng.integers(0, k, size=len(X))
        elif kind == "unsquared":
            m.inertia_ = float(dist.sum())
        elif kind == "mean":
            m.inertia_ = float(np.mean(dist**2))
        return m

    return fit


def minibatch(X, k, seed):
    km = MiniBatchKMeans(n_clusters=k, n_init=3, random_state=seed).fit(X)
    return _model(km.cluster_centers_, km.labels_, km.inertia_)


def _standardise(X):
    return StandardScaler().fit_transform(X)


# name -> (group, fit, what). Groups: "legit" must pass every check; "other" is legitimate
# code the contract excludes (not a converged K-means fit); "bug" is a known mistake.
VARIANTS: dict[str, tuple[str, Fit, str]] = {
    "sk_pp_n10": ("legit", sk(n_init=10), "KMeans(n_init=10), the reference"),
    "sk_pp_n10_elkan": ("legit", sk(n_init=10, algorithm="elkan"), "the same, elkan"),
    "sk_pp_auto": ("legit", sk(), "KMeans() defaults: one greedy k-means++ run"),
    "sk_random_n10": ("legit", sk(init="random", n_init=10), "random init, best of 10"),
    "sk_random_n1": ("legit", sk(init="random", n_init=1), "random init, one run"),
    "sk_float32": (
        "legit",
        lambda X, k, s: _km(X.astype(np.float32), k, s, n_init=10),
        "KMeans(n_init=10) on float32 X",
    ),
    "np_lloyd_pp_n10": ("legit", lloyd(), "NumPy Lloyd, k-means++, best of 10"),
    "np_lloyd_pp_n1": ("legit", lloyd(n_init=1), "NumPy Lloyd, one k-means++ run"),
    "np_lloyd_rand_n10": ("legit", lloyd("random"), "NumPy Lloyd, random rows, best of 10"),
    "np_lloyd_rand_n1": ("legit", lloyd("random", 1), "NumPy Lloyd, one random run"),
    "minibatch": ("other", minibatch, "MiniBatchKMeans(n_init=3)"),
    "k8": ("bug", lambda X, k, s: _km(X, 8, s, n_init=10), "n_clusters fixed to 8"),
    "seed42": ("bug", lambda X, k, s: _km(X, k, 42, n_init=10), "random_state fixed to 42"),
    "seed_not_passed": (
        "bug",
        lambda X, k, s: _km(X, k, None, n_init=10),
        "random_state not passed on (numpy's global state)",
    ),
    "sk_maxiter1_random": ("bug", sk(init="random", n_init=1, max_iter=1), "max_iter=1, random"),
    "sk_maxiter1_pp_n10": ("bug", sk(n_init=10, max_iter=1), "max_iter=1, best of 10 inits"),
    "np_no_iter": ("bug", lloyd("random", 1, 0), "random rows as centres, no iteration"),
    "np_stale": ("bug", lloyd("random", 1, 0, stale=True), "centres updated, labels not"),
    "standardised": ("bug", rescaled(_standardise), "StandardScaler inside"),
    "standardised_back": ("bug", rescaled(_standardise, True), "the same, centres mapped back"),
    "divided_16": ("bug", rescaled(lambda X: X / 16), "X / 16 inside"),
    "rows_normalised": ("bug", rescaled(normalize), "rows scaled to unit length inside"),
    "shuffled_labels": ("bug", broken("shuffled"), "labels_ permuted"),
    "random_labels": ("bug", broken("random"), "labels_ random"),
    "inertia_unsquared": ("bug", broken("unsquared"), "inertia_ = sum of distances"),
    "inertia_mean": ("bug", broken("mean"), "inertia_ = mean squared distance"),
    "ignores_x": (
        "bug",
        lambda X, k, s: _km(shared.digits()[0], k, s, n_init=10),
        "always fits the digits, whatever X is",
    ),
    "transposed": ("bug", lambda X, k, s: _km(X.T, k, s, n_init=10), "fits X.T"),
}
TAIL_VARIANTS = ["sk_pp_auto", "sk_random_n1", "np_lloyd_pp_n1", "np_lloyd_rand_n1"]

# ---------------------------------------------------------------- metrics ------------


def _run(fit: Fit, X, k, seed) -> SimpleNamespace | None:
    """The fit, or None if it raised (a transposed fit of 2-D data with k=5 cannot run)."""
    try:
        return fit(X.copy(), k, seed)
    except ValueError:
        return None


def _usable(m, k, n, d) -> bool:
    if m is None:
        return False
    C, L = np.asarray(m.cluster_centers_), np.asarray(m.labels_)
    return C.shape == (k, d) and L.shape == (n,) and len(np.unique(L)) == k


def _quality(out: dict, prefix: str, dataset, k: int, fit: Fit, seed: int) -> None:
    """Stale, moved, inertia ratio and label-mapping accuracy of one fit on ``dataset``."""
    X, y = dataset()
    m = _run(fit, X, k, seed)
    if not _usable(m, k, len(X), 64):
        return
    C, L = np.asarray(m.cluster_centers_, float), np.asarray(m.labels_, int)
    out[f"{prefix}stale"] = shared.stale_fraction(X, C, L)
    out[f"{prefix}moved"] = shared.moved_fraction(X, L)
    out[f"{prefix}ratio"] = shared.inertia_of(X, C, L) / shared.reference_fit(dataset, k)[1]
    out[f"{prefix}accuracy"] = shared.majority_accuracy(L, y)
    if prefix == "":
        out["inertia_gap"] = q2._inertia_gap(X, C, L, m.inertia_)[0]
        out["scale_offset"] = q2._scale_offset(X, C, L)
        out["acc_no_mapping"] = float(np.mean(L == y))
        out["acc_mapping_of_seed0"] = float(np.mean(SEED0_MAPPING[L] == y))


def measure(fit: Fit, seed: int, tail: bool = False) -> dict[str, float]:
    """Every metric the graders compute for the fits of one variant with ``seed``."""
    out: dict[str, float] = {}
    _quality(out, "", shared.digits, 10, fit, seed)
    _quality(out, "sub_", shared._hidden_subset, 12, fit, seed)
    if tail:
        return {key: v for key, v in out.items() if key.endswith(("ratio", "accuracy"))}
    out["shape_ok"] = float("stale" in out)
    Xo = q2._hidden_blobs()
    m = _run(fit, Xo, 4, seed)
    out["blobs_shape_ok"] = float(_usable(m, 4, len(Xo), 5))
    if out["blobs_shape_ok"]:
        C, L = np.asarray(m.cluster_centers_, float), np.asarray(m.labels_, int)
        out["blobs_gap"] = q2._inertia_gap(Xo, C, L, m.inertia_)[0]
        out["blobs_ari"] = adjusted_rand_score(BLOB_TRUTH, L)
    out.update(measure_seeds(fit, seed))
    return out


def measure_seeds(fit: Fit, seed: int) -> dict[str, float]:
    """q2's seed checks on their digits (``shared.seed_rows()``): seed s twice (same seed,
    same result) and seeds s and s + 11 (uses its random_state)."""
    Xs, out = shared.seed_rows(), {}
    runs = [_run(fit, Xs, 10, s) for s in (seed, seed, seed + 11)]
    if all(r is not None for r in runs):
        labels = [tuple(np.asarray(r.labels_).tolist()) for r in runs]
        out["seed_repeat_differs"] = float(labels[0] != labels[1])
        out["seed_sets_all_equal"] = float(labels[0] == labels[2])
    return out


def _blob_truth() -> np.ndarray:
    """The planted blob of each row of q2._hidden_blobs (replays its generator)."""
    rng = np.random.default_rng(8_213)
    rng.uniform(size=(4, 5))
    rng.normal(size=(320, 5))
    return np.repeat(np.arange(4), 80)[rng.permutation(320)]


def _seed0_mapping() -> np.ndarray:
    """The mapping a student reads off the centre images of the seed-0 reference fit."""
    X, y = shared.digits()
    counts = np.zeros((10, 10), int)
    np.add.at(counts, (KMeans(10, n_init=10, random_state=0).fit(X).labels_, y), 1)
    return counts.argmax(axis=1)


BLOB_TRUTH, SEED0_MAPPING = _blob_truth(), _seed0_mapping()

# ---------------------------------------------------------------- report -------------

METRICS = {
    "shape_ok": "share of fits with (10, 64) centres and 10 distinct labels",
    "inertia_gap": "relative gap, inertia_ vs the centres and labels (q2 INERTIA_RTOL)",
    "blobs_gap": "the same on the hidden blobs, k=4",
    "scale_offset": "weighted centre mean vs mean of X, in spreads (q2 SCALE_OFFSET_MAX)",
    "stale": "share of rows not labelled with their nearest centre (q3 STALE_MAX)",
    "sub_stale": "the same on the hidden subset (1,000 digits in random order), k=12",
    "moved": "share of rows one more K-means step moves (q3 MOVED_MAX)",
    "sub_moved": "the same on the hidden subset, k=12",
    "ratio": "inertia / reference inertia on the digits (q3 INERTIA_RATIO_MAX)",
    "sub_ratio": "the same on the hidden subset, k=12",
    "accuracy": "label-mapping accuracy on the digits (q3 ACCURACY_MIN)",
    "sub_accuracy": "the same on the hidden subset, k=12",
    "acc_no_mapping": "accuracy if cluster ids are compared with digits (no mapping)",
    "acc_mapping_of_seed0": "accuracy with the mapping read off the seed-0 fit (hard-coded)",
    "blobs_shape_ok": "hidden blobs, k=4: share of fits with the right shapes",
    "blobs_ari": "hidden blobs, k=4: adjusted Rand index with the planted blobs (not graded)",
    "seed_repeat_differs": f"seed checks, {len(shared.seed_rows())} digits: seed s twice gives "
    "different labels",
    "seed_sets_all_equal": f"seed checks, {len(shared.seed_rows())} digits: seeds s and s+11 give "
    "identical labels",
}
SEED_METRICS = ["seed_repeat_differs", "seed_sets_all_equal"]

_STALE = "np_stale standardised divided_16 rows_normalised shuffled_labels random_labels"
_MOVED = (
    "sk_maxiter1_random sk_maxiter1_pp_n10 np_no_iter np_stale standardised "
    "standardised_back shuffled_labels random_labels"
)
_RATIO = "np_no_iter standardised divided_16 rows_normalised shuffled_labels random_labels"
_SCRAMBLED = "shuffled_labels random_labels"
# constant -> (grader module, "max" (ceiling) or "min" (floor), {metric: bugs it must catch}).
# ignores_x behaves like a correct fit on the digits themselves: on the hidden subset its
# labels_ have the wrong shape, which fails before any threshold (it counts on no metric).
THRESHOLDS = {
    "INERTIA_RTOL": (q2, "max", {
        "inertia_gap": f"{_SCRAMBLED} standardised divided_16 rows_normalised inertia_unsquared "
                       "inertia_mean",
        "blobs_gap": "standardised inertia_unsquared inertia_mean"}),
    "SCALE_OFFSET_MAX": (q2, "max", {"scale_offset": "standardised divided_16 rows_normalised"}),
    "STALE_MAX": (q3, "max", {"stale": _STALE, "sub_stale": _STALE}),
    "MOVED_MAX": (q3, "max", {"moved": _MOVED, "sub_moved": _MOVED}),
    "INERTIA_RATIO_MAX": (q3, "max", {"ratio": _RATIO, "sub_ratio": _RATIO}),
    "ACCURACY_MIN": (q3, "min", {"accuracy": _SCRAMBLED, "sub_accuracy": _SCRAMBLED}),
}  # fmt: skip


def _fmt(v: float) -> str:
    if v == 0 or not np.isfinite(v):
        return str(v) if v else "0"
    return f"{v:.4f}" if 1e-3 <= abs(v) < 1e4 else f"{v:.1e}"


def _values(results, name, metric) -> list[float]:
    return [r[metric] for r in results.get(name, []) if metric in r]


def table(results: dict, metrics: list[str]) -> None:
    for metric in metrics:
        print(f"\n#### `{metric}`: {METRICS[metric]}\n")
        print("| variant | group | min | median | max |\n| --- | --- | --- | --- | --- |")
        for name, runs in results.items():
            v = _values(results, name, metric)
            cells = [_fmt(f(v)) for f in (np.min, np.median, np.max)] if v else ["-"] * 3
            if v and len(v) < len(runs):
                cells[2] += f" ({len(v)}/{len(runs)} fits)"
            print(f"| {name} | {VARIANTS[name][0]} | {' | '.join(cells)} |")


def summary(results: dict) -> None:
    """Each threshold between the worst legitimate fit and the best bug it must catch."""
    print("\n| constant | value | worst legitimate fit | best bug it must catch | separates |")
    print("| --- | --- | --- | --- | --- |")
    for constant, (module, kind, targets) in THRESHOLDS.items():
        value = getattr(module, constant)
        legit = [
            (v, f"{n}, `{m}`")
            for m in targets
            for n in results
            if VARIANTS[n][0] == "legit"
            for v in _values(results, n, m)
        ]
        bugs = [
            (v, f"{n}, `{m}`")
            for m, names in targets.items()
            for n in names.split()
            for v in _values(results, n, m)
        ]
        if kind == "max":
            (lv, lwho), (bv, bwho) = max(legit), min(bugs)
            ok = lv <= value < bv
        else:
            (lv, lwho), (bv, bwho) = min(legit), max(bugs)
            ok = bv < value <= lv
        verdict = "yes" if ok else "NO"
        print(f"| {constant} | {value:g} | {_fmt(lv)} ({lwho}) | {_fmt(bv)} ({bwho}) | {verdict} |")


def store() -> int:
    """Write ``support/digits.npz`` (the graders read it instead of importing scikit-learn)."""
    import importlib.util

    path = Path(__file__).resolve().parent.parent / "autograder/graders/handwriting/support"
    spec = importlib.util.spec_from_file_location("hw_shared_store", path / "_shared.py")
    shared = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(shared)
    np.savez_compressed(shared.STORED, **shared.compute_stored())
    print(f"wrote {shared.STORED} ({shared.STORED.stat().st_size:,} bytes)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20, help="seeds per variant (default 20)")
    parser.add_argument("--only", nargs="*", help="variant names to run (default: all)")
    tail_help = "instead: N seeds of the single-run variants, ratio and accuracy only"
    parser.add_argument("--tail", type=int, default=0, metavar="N", help=tail_help)
    seed_help = "instead: N seeds of every variant, the seed checks only"
    parser.add_argument("--seed-checks", type=int, default=0, metavar="N", help=seed_help)
    store_help = "instead: write the graders' stored digits and k=10 fit (support/digits.npz)"
    parser.add_argument("--store", action="store_true", help=store_help)
    args = parser.parse_args(argv)
    if args.store:
        return store()
    names = args.only or (TAIL_VARIANTS if args.tail else list(VARIANTS))
    seeds = args.tail or args.seed_checks or args.seeds
    results = {}
    for name in names:
        start = time.perf_counter()
        fit = VARIANTS[name][1]
        if args.seed_checks:
            results[name] = [measure_seeds(fit, s) for s in range(seeds)]
        else:
            results[name] = [measure(fit, s, bool(args.tail)) for s in range(seeds)]
        print(f"# {name}: {time.perf_counter() - start:.1f} s", file=sys.stderr)
    print(f"Seeds per variant: {seeds}. Cells: min / median / max over the seeds.")
    if args.tail:
        table(results, [m for m in METRICS if m.endswith(("ratio", "accuracy"))])
        return 0
    if args.seed_checks:
        table(results, SEED_METRICS)
        return 0
    print("\n| variant | group | what |\n| --- | --- | --- |")
    for name in results:
        print(f"| {name} | {VARIANTS[name][0]} | {VARIANTS[name][2]} |")
    if set(results) == set(VARIANTS):
        print("\n### Thresholds")
        summary(results)
    print("\n### Per metric")
    table(results, list(METRICS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
