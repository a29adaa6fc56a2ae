"""Benchmark: ClusterLab's sandboxed batch against `otter run` and against no sandbox at all.

Grades N solution-like submissions (the reference solution in several legitimate
variants, each file distinct) with 2 workers and prints, all measured in this run:

- per-submission wall time of `clusterlab grade --workers 2`;
- the ratio against `otter run` (otter's non-container grader, the same test files
  exported with `otter generate`) on a sample of the same submissions;
- the ratio against "bare": the same cases calling the same student functions
  in-process with no sandbox, on 2 worker processes as well.

Targets (issue 2): >= 20x faster than otter run; within 1.5x of bare.
Usage: python bench/bench_grading.py [--assignment handwriting] [-n 200] [--otter-sample 5]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from autograder import assignment as assignment_mod  # noqa: E402
from autograder.batch import grade_batch  # noqa: E402
from autograder.export import otter_zip  # noqa: E402
from autograder.grading import BareGrader  # noqa: E402

VARIANTS = [
    ("as written", lambda s: s),
    ("elkan", lambda s: s.replace("KMeans(", 'KMeans(algorithm="elkan", ', 1)),
    ("renamed locals", lambda s: re.sub(r"\bmodel\b", "km", s)),
    ("extra imports", lambda s: s + "\nimport math  # noqa: E402\nimport collections\n"),
]


def make_submissions(name: str, n: int, folder: Path) -> list[Path]:
    source = (REPO / "solutions" / f"{name}.py").read_text()
    paths = []
    for i in range(n):
        label, change = VARIANTS[i % len(VARIANTS)]
        path = folder / f"student{i:03d}.py"
        path.write_text(change(source) + f"\n# submission {i} ({label})\n")
        paths.append(path)
    return paths


_bare = None


def _bare_init(name):
    global _bare
    _bare = BareGrader(name)


def _bare_grade(path):
    r = _bare.grade(path)
    return r.score, r.max_score


def _floor(path):
    """The student's own work, once: each function called once in-process, on the digits.

    Handwriting only (issue 9's floor): load the data, three fits (the default one, one of
    a subset with another k, one of a shuffled copy) and every helper once.
    """
    import importlib.util
    import uuid

    import numpy as np

    spec = importlib.util.spec_from_file_location(f"_floor_{uuid.uuid4().hex}", path)
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    X, y = m.load_digits_data()
    model = m.fit_kmeans(X, n_clusters=10, random_state=0)
    m.fit_kmeans(X[:1000], n_clusters=12, random_state=5)
    m.fit_kmeans(X[np.random.default_rng(0).permutation(len(X))], n_clusters=10, random_state=0)
    m.centroid_images(model)
    mapping = m.map_clusters_to_digits(model.labels_, y)
    predicted = m.predict_digits(model, mapping, X)
    m.mapping_accuracy(model, mapping, X, y)
    m.most_confused_pair(m.confusion_counts(y, predicted))
    m.cluster_sizes(model.labels_)
    return True


def main() -> None:
    # one thread per process everywhere: 2 workers on 2 cores, like the sandbox children
    # (without this the bare baseline oversubscribes the cores and looks slower than it is)
    os.environ.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="handwriting")
    parser.add_argument("-n", type=int, default=200)
    parser.add_argument("--otter-sample", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    a = assignment_mod.load(args.assignment)
    tmp = Path(tempfile.mkdtemp(prefix="clusterlab-bench-"))
    try:
        subs_dir = tmp / "submissions"
        subs_dir.mkdir()
        paths = make_submissions(a.name, args.n, subs_dir)

        t0 = time.perf_counter()
        # like with like: bare draws no figures (bench_reports.py measures what they cost)
        summary = grade_batch(a.name, subs_dir, tmp / "out", workers=args.workers, figures=False)
        ours = time.perf_counter() - t0
        from autograder.gradebook import Gradebook

        book = Gradebook(tmp / "out" / "grades.sqlite")
        scores = [r.score / r.max_score for r in book.results(a.name)]
        book.close()

        t0 = time.perf_counter()
        with ProcessPoolExecutor(
            args.workers,
            mp_context=get_context("spawn"),
            initializer=_bare_init,
            initargs=(a.name,),
        ) as pool:
            bare_scores = list(pool.map(_bare_grade, paths))
        bare = time.perf_counter() - t0

        floor = None
        if a.name == "handwriting":
            t0 = time.perf_counter()
            with ProcessPoolExecutor(args.workers, mp_context=get_context("spawn")) as pool:
                list(pool.map(_floor, paths))
            floor = time.perf_counter() - t0

        zip_path = otter_zip(a, tmp / "autograder.zip")
        otter_times = []
        for path in paths[: args.otter_sample]:
            run_dir = tmp / f"otter-{path.stem}"
            run_dir.mkdir()
            t0 = time.perf_counter()
            proc = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "otter",
                    "run",
                    "-a",
                    str(zip_path),
                    "-o",
                    str(run_dir),
                    "--no-logo",
                    str(path),
                ],
                capture_output=True,
                text=True,
            )
            otter_times.append(time.perf_counter() - t0)
            if proc.returncode != 0:
                print(f"otter run failed on {path.name}:\n{proc.stderr[-2000:]}")

        per_sub = ours / args.n
        bare_per_sub = bare / args.n
        otter_per_sub = statistics.mean(otter_times)
        print(f"assignment: {a.name}; submissions: {args.n}; workers: {args.workers}")
        print(
            f"clusterlab grade: {ours:8.1f} s total, {per_sub * 1000:8.1f} ms per submission"
            f" (graded {len(summary.graded)}, all 100%: {all(s == 1.0 for s in scores)})"
        )
        print(
            f"bare (no sandbox): {bare:7.1f} s total, {bare_per_sub * 1000:8.1f} ms per "
            f"submission (all 100%: {all(s == m for s, m in bare_scores)})"
        )
        print(
            f"otter run:        {otter_per_sub:8.2f} s per submission (mean of "
            f"{len(otter_times)}, one at a time; min {min(otter_times):.2f} s)"
        )
        print(f"speed-up against otter run: {otter_per_sub / per_sub:6.1f}x  (target >= 20x)")
        print(f"sandbox cost against bare:  {per_sub / bare_per_sub:6.2f}x  (target <= 1.5x)")
        if floor is not None:
            print(
                f"floor (each student function once, in-process): {floor / args.n * 1000:8.1f} ms"
                f" per submission; grading costs {per_sub / (floor / args.n):5.2f}x the floor"
                f" (target <= 2x); bare graders {bare_per_sub / (floor / args.n):5.2f}x"
            )
            print(
                f"1,000 submissions with {args.workers} workers: {per_sub * 1000:6.0f} s"
                " projected (target <= 150 s; measure with -n 1000)"
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
