"""Calibrate the thresholds of the oosterhout graders.

Every legitimate variant and every known bug of tests/fixtures/oosterhout/variants.toml
(the reference solution with one replacement each) runs on 20 freshly generated data sets
(generator seeds 1..20: 2,000 allocations with 4 planted segments, and 800 with 3 and 5),
is measured with the graders' own helpers and constants (the grader files are loaded, so
the numbers are what the graders compute), and the tables of
docs/calibration/oosterhout.md are printed. A last table checks the data set itself: the
silhouette peaks at the planted k for k = 3, 4, 5, for several KMeans seeds.

Usage::

    OMP_NUM_THREADS=1 python calibration/oosterhout.py                  # all tables
    OMP_NUM_THREADS=1 python calibration/oosterhout.py --tables elbow --seeds 5
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
import tomllib
import warnings
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score

REPO = Path(__file__).resolve().parents[1]
GRADERS = REPO / "autograder" / "graders" / "oosterhout"
sys.path.insert(0, str(REPO / "datasets" / "oosterhout"))
import generate  # noqa: E402  (the data set's own generator)

warnings.filterwarnings("ignore", message="algorithm='elkan' doesn't make sense")
TABLES = ["join", "preprocess", "elbow", "silhouette", "choose_k", "fit", "profile", "planted"]


def _grader(stem: str) -> dict:
    path = GRADERS / f"{stem}.py"
    env = {"__file__": str(path), "__name__": stem}
    exec(compile(path.read_text(), str(path), "exec"), env)
    return env


q1, q2, q3 = _grader("q1_load_data"), _grader("q2_preprocess"), _grader("q3_number_of_clusters")
q4, q5 = _grader("q4_fit_kmeans"), _grader("q5_profile")

# ------------------------------------------------ memoised KMeans and silhouette_score
# Variants share most fits (same data, same parameters): computing each once keeps the
# run short without changing a number (the fits are deterministic).

_FITS: dict = {}
_SILS: dict = {}


def _digest(a: np.ndarray) -> str:
    a = np.ascontiguousarray(a)
    return hashlib.sha1(a.tobytes() + str((a.shape, a.dtype)).encode()).hexdigest()


class MemoKMeans:
    """Stands in for sklearn's KMeans in the variants; same results, computed once."""

    def __init__(self, **params):
        self.params = params

    def fit(self, X, y=None):
        key = (_digest(np.asarray(X, dtype=float)), tuple(sorted(self.params.items())))
        if key not in _FITS:
            _FITS[key] = KMeans(**self.params).fit(X)
        return _FITS[key]

    def fit_predict(self, X, y=None):
        return self.fit(X).labels_


def memo_silhouette(X, labels, **kw):
    key = (
        _digest(np.asarray(X, dtype=float)),
        _digest(np.asarray(labels)),
        str(sorted(kw.items())),
    )
    if key not in _SILS:
        _SILS[key] = silhouette_score(X, labels, **kw)
    return _SILS[key]


def KMeansLike(*args, **params):  # noqa: N802 (mirrors the class name it replaces)
    if args:
        params["n_clusters"] = args[0]
    return MemoKMeans(**params)


# ------------------------------------------------------------------ variants and data


def load_variants() -> list[tuple[str, str, dict]]:
    """(kind, id, entry) for the reference and every variant of the fixture table."""
    table = tomllib.loads((REPO / "tests/fixtures/oosterhout/variants.toml").read_text())
    out = [("reference", "solution", {"calibrate": TABLES})]
    for kind in ("legit", "bug", "uncaught"):
        out += [(kind, v["id"], v) for v in table.get(kind, [])]
    return out


def build(entry: dict, folder: Path) -> ModuleType:
    source = (REPO / "solutions" / "oosterhout.py").read_text()
    if "old" in entry:
        assert source.count(entry["old"]) == 1, entry["id"]
        source = source.replace(entry["old"], entry["new"])
    module = ModuleType("oosterhout_variant")
    module.__file__ = str(folder / "oosterhout.py")
    exec(
        compile(source.replace('if __name__ == "__main__":', "if False:"), "variant", "exec"),
        module.__dict__,
    )
    module.KMeans = KMeansLike
    module.silhouette_score = memo_silhouette
    return module


def reference_X(df: pd.DataFrame) -> np.ndarray:
    return q2["_hidden_reference"](df)


class Seeds:
    """Generated data per seed, written once to a folder so that load_data can read it."""

    def __init__(self, n: int, root: Path):
        self.n, self.root, self._cache = n, root, {}

    def data(self, seed: int, k: int = 4) -> pd.DataFrame:
        key = (seed, k)
        if key not in self._cache:
            size = 2000 if k == 4 else 800
            t, w = generate.generate(seed=seed, size=size, k=k)
            folder = self.root / f"s{seed}k{k}"
            generate.write(t, w, folder)
            t, w = pd.read_csv(folder / "toewijzingen.csv"), pd.read_csv(folder / "wijken.csv")
            self._cache[key] = (folder, t.merge(w, on="wijk_code", how="left"))
        return self._cache[key]


# --------------------------------------------------------------------------- metrics


def m_join(mod, seeds, seed):
    folder, ref = seeds.data(seed)
    df = mod.load_data(folder)
    names = q1["WIJK_NAMES"]
    codes = df["wijk_code"].astype(object).to_numpy()
    known = np.array([c in names for c in codes])
    wrong = int(
        (
            known
            & (
                df["wijk_naam"].astype(object).to_numpy()
                != np.array([names.get(c, "") for c in codes], dtype=object)
            )
        ).sum()
    )
    gaps = all(df[c].isna().any() for c in q1["_hidden_WITH_GAPS"])
    return {"row gap": abs(len(df) - len(ref)), "wrong district": wrong, "gaps kept": int(gaps)}


def m_preprocess(mod, seeds, seed):
    _, df = seeds.data(seed)
    X = np.asarray(mod.preprocess(df[q2["FEATURES"]].copy()), dtype=float)
    if X.shape != (len(df), 6):
        return {"shape ok": 0}
    gaps = q2["_imputation_gaps"](df, X)
    corrs = q2["_transform_corrs"](df, X)
    right = [corrs[c][0] if c in q2["SKEWED"] else corrs[c][1] for c in q2["FEATURES"]]
    _, other = seeds.data(seed, 5)
    Xo = np.asarray(mod.preprocess(other.copy()), dtype=float)
    hidden = (
        float(np.nanmax(np.abs(Xo - reference_X(other)))) if Xo.shape == (len(other), 6) else np.inf
    )
    return {
        "shape ok": 1,
        "|mean|": float(np.abs(X.mean(axis=0)).max()),
        "|std-1|": float(np.abs(X.std(axis=0) - 1).max()),
        "median gap": max(max(g[0], g[1]) for g in gaps.values()),
        "1 - corr": 1 - float(min(right)),
        "hidden diff": hidden,
    }


def m_elbow(mod, seeds, seed):
    _, df = seeds.data(seed)
    X = reference_X(df)
    got = np.asarray(mod.elbow_inertias(X, q3["ELBOW_KS"]), dtype=float)
    ref = np.array(
        [KMeansLike(k, n_init=10, random_state=0).fit(X).inertia_ for k in q3["ELBOW_KS"]]
    )
    return {
        "rel gap": float(np.max(np.abs(got - ref) / ref)),
        "max step ratio": float(np.max(got[1:] / got[:-1])),
    }


def m_silhouette(mod, seeds, seed):
    _, df = seeds.data(seed)
    X = reference_X(df)
    got = mod.silhouette_by_k(X, q3["SILHOUETTE_KS"])
    if sorted(got) != q3["SILHOUETTE_KS"]:
        return {"abs gap": np.inf}
    ref = {
        k: memo_silhouette(X, KMeansLike(k, n_init=10, random_state=0).fit(X).labels_)
        for k in q3["SILHOUETTE_KS"]
    }
    return {"abs gap": max(abs(got[k] - ref[k]) for k in ref)}


def m_choose_k(mod, seeds, seed):
    out = {}
    for k in (3, 4, 5):
        _, df = seeds.data(seed, k)
        out[f"k={k} found"] = int(mod.choose_k(reference_X(df)) == k)
    X = reference_X(seeds.data(seed, 5)[1])
    ks = list(q3["_hidden_SUBSET_KS"])
    sils = [memo_silhouette(X, KMeansLike(j, n_init=10, random_state=0).fit(X).labels_) for j in ks]
    out["subset ok"] = int(mod.choose_k(X, ks) == ks[int(np.argmax(sils))])
    return out


def m_fit(mod, seeds, seed):
    out = {}
    for k, planted, rs in ((4, 4, 0), (5, 5, 2)):
        _, df = seeds.data(seed, planted)
        X = reference_X(df)
        model = mod.fit_kmeans(X, k, random_state=rs)
        C, labels = np.asarray(model.cluster_centers_), np.asarray(model.labels_)
        if C.shape != (k, X.shape[1]):
            return {"shape ok": 0}
        ref = KMeansLike(k, n_init=10, random_state=rs).fit(X).inertia_
        inertia = float(model.inertia_)
        recomputed = float(np.sum((X - C[labels]) ** 2))
        out[f"k={k} rel gap"] = abs(inertia - ref) / ref
        out[f"k={k} self gap"] = abs(inertia - recomputed) / recomputed
        out[f"k={k} moved"] = float(np.mean(labels != q4["_nearest"](X, C)))
        out[f"k={k} centre gap"] = q4["_centre_gap"](X, C, labels)
    return {"shape ok": 1, **out}


def m_profile(mod, seeds, seed):
    _, df = seeds.data(seed)
    labels = np.digitize(df["leeftijd"].to_numpy(dtype=float), q5["AGE_BANDS"])
    profile = mod.profile_clusters(df[q5["FEATURES"]].copy(), labels)
    k = len(q5["AGE_BANDS"]) + 1
    if list(profile.index) != list(range(k)) or "size" not in profile.columns:
        return {"index+size ok": 0, "mean rel err": np.inf}
    want = q5["_expected_means"](df, labels, k)
    got = profile[q5["FEATURES"]].to_numpy(dtype=float)
    err = float(np.nanmax(np.abs(got - want.to_numpy()) / np.abs(want.to_numpy())))
    return {"index+size ok": 1, "mean rel err": err}


METRICS = {
    "join": m_join,
    "preprocess": m_preprocess,
    "elbow": m_elbow,
    "silhouette": m_silhouette,
    "choose_k": m_choose_k,
    "fit": m_fit,
    "profile": m_profile,
}

THRESHOLDS = {
    "preprocess": {
        "|mean|": q2["MEAN_TOL"],
        "|std-1|": q2["STD_TOL"],
        "median gap": q2["MEDIAN_GAP_TOL"],
        "1 - corr": 1 - q2["LOG_CORR_MIN"],
        "hidden diff": q2["PREPROCESS_TOL"],
    },
    "elbow": {"rel gap": q3["ELBOW_RTOL"], "max step ratio": 1 + q3["ELBOW_RISE_TOL"]},
    "silhouette": {"abs gap": q3["SILHOUETTE_ATOL"]},
    "fit": {
        "k=4 rel gap": q4["FIT_RTOL"],
        "k=5 rel gap": q4["FIT_RTOL"],
        "k=4 self gap": q4["INERTIA_GAP_TOL"],
        "k=5 self gap": q4["INERTIA_GAP_TOL"],
        "k=4 moved": q4["MOVED_MAX"],
        "k=5 moved": q4["MOVED_MAX"],
        "k=4 centre gap": q4["CENTRE_GAP_TOL"],
        "k=5 centre gap": q4["CENTRE_GAP_TOL"],
    },
    "profile": {"mean rel err": q5["MEAN_RTOL"]},
}
HIGHER_IS_BETTER: set[str] = set()


def run_table(table, variants, seeds, n_seeds):
    rows = []
    for kind, vid, entry in variants:
        if table not in entry.get("calibrate", []):
            continue
        per_seed = []
        for seed in range(1, n_seeds + 1):
            with tempfile.TemporaryDirectory() as tmp:
                per_seed.append(METRICS[table](build(entry, Path(tmp)), seeds, seed))
        rows.append((kind, vid, per_seed))
    return rows


def print_table(table, rows):
    metrics = sorted({m for _, _, ps in rows for s in ps for m in s}, key=str)
    limits = THRESHOLDS.get(table, {})
    print(f"\n### {table}\n")
    head = ["kind", "variant"] + [
        f"{m} [{'≥' if m in HIGHER_IS_BETTER else '≤'} {limits[m]:.3g}]" if m in limits else m
        for m in metrics
    ]
    print("| " + " | ".join(head) + " |")
    print("|" + " --- |" * len(head))
    for kind, vid, per_seed in rows:
        cells = [kind, vid]
        for m in metrics:
            vals = np.array([s.get(m, np.nan) for s in per_seed], dtype=float)
            if np.isnan(vals).all():
                cells.append("–")
                continue
            lo, hi = np.nanmin(vals), np.nanmax(vals)
            cell = f"{lo:.3g}" if lo == hi else f"{lo:.3g} – {hi:.3g}"
            if m in limits:
                ok = vals >= limits[m] if m in HIGHER_IS_BETTER else vals <= limits[m]
                cell += f" ({int(np.sum(~ok))}/{len(vals)} out)"
            cells.append(cell)
        print("| " + " | ".join(cells) + " |")


def planted_table(seeds, n_seeds, rs_values=range(3)):
    """Silhouette margin of the planted k over the best other k = 2..8, per KMeans seed."""
    print("\n### planted\n")
    print("| data | KMeans seeds | planted k found | margin min | margin median |")
    print("| --- | --- | --- | --- | --- |")
    sets = {
        f"generated k={k}, seeds 1..{n_seeds}": [seeds.data(s, k)[1] for s in range(1, n_seeds + 1)]
        for k in (3, 4, 5)
    }
    sets["shipped (k=4)"] = [
        pd.read_csv(REPO / "datasets/oosterhout/toewijzingen.csv").merge(
            pd.read_csv(REPO / "datasets/oosterhout/wijken.csv"), on="wijk_code", how="left"
        )
    ]
    for k in (3, 5):
        sets[f"grader variant k={k}"] = [pd.read_csv(GRADERS / "support" / f"variant_k{k}.csv")]
    for label, frames in sets.items():
        k = 4 if "k=4" in label else (3 if "k=3" in label else 5)
        rs_list = range(20) if len(frames) == 1 else rs_values
        margins = []
        for df in frames:
            X = reference_X(df)
            for rs in rs_list:
                s = np.array(
                    [
                        memo_silhouette(X, KMeansLike(j, n_init=10, random_state=rs).fit(X).labels_)
                        for j in range(2, 9)
                    ]
                )
                margins.append(s[k - 2] - np.delete(s, k - 2).max())
        m = np.array(margins)
        print(
            f"| {label} | {rs_list.start}..{rs_list.stop - 1} | {int((m > 0).sum())}/{len(m)} "
            f"| {m.min():.3f} | {np.median(m):.3f} |"
        )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--tables", default=",".join(TABLES))
    args = parser.parse_args(argv)
    variants = load_variants()
    with tempfile.TemporaryDirectory() as tmp:
        seeds = Seeds(args.seeds, Path(tmp))
        for table in args.tables.split(","):
            start = time.perf_counter()
            if table == "planted":
                planted_table(seeds, args.seeds)
            else:
                print_table(table, run_table(table, variants, seeds, args.seeds))
            print(f"\n({table}: {time.perf_counter() - start:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
