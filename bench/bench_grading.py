"""Benchmark: a class of N submissions through ClusterLab's sandboxed batch, against the
student's own work, the same graders without a sandbox, and `otter run`.

Grades N solution-like submissions (the reference solution in several legitimate
variants, each file distinct) with 2 workers and prints, all measured in this run:

- wall seconds of `clusterlab grade --workers 2` for the N (issue 9: 1,000 handwriting
  submissions in at most 150 s) and per submission;
- the floor (handwriting): the student's functions called once each in-process (load, 3
  fits, every helper), on 2 worker processes as well; grading costs at most 2x it. The
  floor is issue 9's yardstick and stays as the issue defined it (the default fit, a
  1,000-digit subset with 12 clusters, a shuffled copy of all digits), although the
  graders no longer fit a shuffled copy of all digits (their subset's rows come in
  random order; docs/calibration/handwriting.md);
- bare: the same cases calling the same student functions in-process with no sandbox,
  on a sample of the same submissions, on a warm pool (issue 2's target, within 1.5x).
  Three ratios are printed: the batch's grading (start-up included, the class outputs
  not: bare writes none) per submission against bare's, which is the verdict; the whole
  batch (with its class outputs); steady grading (first to last result);
- `otter run` with `clusterlab export`'s zip, one at a time, on a sample: how many
  times slower than ClusterLab per submission (issue 9: at least 30x), where ClusterLab's
  time per submission is the batch's wall time divided by its submissions, as in the
  1,000-in-150-s target and in issue 2's "faster than otter run"; the ratio per core
  (ClusterLab's wall times its 2 workers) is printed too.

Usage: python bench/bench_grading.py [-n 1000] [--sample 200] [--otter-sample 5]
(``-n 100`` for a quick run: the 1,000-submission verdict is then a projection).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    REPO,
    load,
    make_submissions,
    otter_run,
    single_threaded,
    target_line,
)

sys.path.insert(0, str(REPO))

from autograder import assignment as assignment_mod  # noqa: E402
from autograder.batch import grade_batch  # noqa: E402
from autograder.export import otter_zip  # noqa: E402
from autograder.grading import BareGrader  # noqa: E402

_bare = None


def _bare_init(name):
    global _bare
    _bare = BareGrader(name)


def _bare_grade(path):
    r = _bare.grade(path)
    return r.score, r.max_score


def _ready(_=None):
    """Warm a pool worker (imports done) before its timing starts."""
    import numpy  # noqa: F401
    import sklearn.cluster  # noqa: F401
    import sklearn.datasets  # noqa: F401

    return True


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


def _pool_seconds(workers, paths, work, init=None, initargs=()):
    """Wall seconds of ``work`` over ``paths`` on a warm pool of ``workers`` processes."""
    with ProcessPoolExecutor(
        workers, mp_context=get_context("spawn"), initializer=init, initargs=initargs
    ) as pool:
        list(pool.map(_ready, range(workers * 2)))
        if init is not None:  # the graders' reference values: once per worker, like ours
            list(pool.map(work, paths[: workers * 2]))
        start = time.perf_counter()
        out = list(pool.map(work, paths))
        return time.perf_counter() - start, out


def main() -> None:
    single_threaded()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="handwriting")
    parser.add_argument("-n", type=int, default=1000, help="submissions (issue 9: 1,000)")
    parser.add_argument(
        "--sample", type=int, default=200, help="submissions for the floor and bare baselines"
    )
    parser.add_argument("--otter-sample", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    a = assignment_mod.load(args.assignment)
    tmp = Path(tempfile.mkdtemp(prefix="clusterlab-bench-"))
    try:
        subs_dir = tmp / "submissions"
        subs_dir.mkdir()
        paths = make_submissions(a.name, args.n, subs_dir)
        sample = paths[: min(args.sample, args.n)]
        print(f"assignment: {a.name}; submissions: {args.n}; workers: {args.workers}; {load()}")

        start = time.perf_counter()
        last = [start]
        first: list[float] = []

        def progress(_result):
            last[0] = time.perf_counter()
            first[:] = first or [last[0]]

        # like with like: bare draws no figures (bench_reports.py measures what they cost)
        summary = grade_batch(
            a.name, subs_dir, tmp / "out", workers=args.workers, figures=False, progress=progress
        )
        ours = time.perf_counter() - start
        graded_at = last[0] - start
        from autograder.gradebook import Gradebook

        book = Gradebook(tmp / "out" / "grades.sqlite")
        results = book.results(a.name)
        book.close()
        all_full = len(results) == args.n and all(r.score == r.max_score for r in results)
        per_sub = ours / args.n
        print(
            f"clusterlab grade: {ours:8.1f} s total, {per_sub * 1000:7.1f} ms per submission "
            f"(graded {len(summary.graded)}, all 100%: {all_full})  [{load()}]"
        )
        if first:
            print(
                f"  first result after {first[0] - start:.1f} s (workers and their sandboxes "
                "starting, the reference solution graded as the first job)"
            )
        print(
            f"  of which grading {graded_at:.1f} s, then the class outputs (gradebook, reports, "
            f"feedback, similarity) {ours - graded_at:.1f} s"
        )

        bare, bare_scores = _pool_seconds(args.workers, sample, _bare_grade, _bare_init, (a.name,))
        bare_per_sub = bare / len(sample)
        print(
            f"bare (no sandbox): {bare_per_sub * 1000:7.1f} ms per submission over "
            f"{len(sample)} (all 100%: {all(s == m for s, m in bare_scores)})  [{load()}]"
        )

        floor_per_sub = None
        if a.name == "handwriting":
            floor, _ = _pool_seconds(args.workers, sample, _floor)
            floor_per_sub = floor / len(sample)
            print(
                f"floor (each student function once, in-process): {floor_per_sub * 1000:7.1f} ms"
                f" per submission over {len(sample)}  [{load()}]"
            )

        zip_path = otter_zip(a, tmp / "autograder.zip")
        otter_times = [
            otter_run(zip_path, path, tmp / f"otter-{path.stem}")
            for path in paths[: args.otter_sample]
        ]

        graded_per_sub = graded_at / args.n
        print(
            target_line(
                "sandboxed grading / bare (start-up included, class outputs not)",
                f"{graded_per_sub / bare_per_sub:.2f}x",
                "<= 1.5x (issue 2)",
                graded_per_sub / bare_per_sub <= 1.5,
            )
        )
        print(
            f"  the whole batch with its class outputs / bare: {per_sub / bare_per_sub:.2f}x; "
            + (
                f"steady grading (first to last result) / bare: "
                f"{(graded_at - (first[0] - start)) / max(args.n - 1, 1) / bare_per_sub:.2f}x"
                if first
                else ""
            )
        )
        if floor_per_sub is not None:
            ratio = per_sub / floor_per_sub
            print(target_line("grading / floor", f"{ratio:.2f}x", "<= 2x", ratio <= 2))
            if first and args.n > 1:  # like the floor: processes already started, no outputs
                steady = (graded_at - (first[0] - start)) / (args.n - 1)
                print(
                    f"  steady grading, first to last result: {steady * 1000:.1f} ms per "
                    f"submission, {steady / floor_per_sub:.2f}x the floor (information: the "
                    "verdict above includes the start-up and the class outputs)"
                )
            projected = per_sub * 1000
            measured = "measured" if args.n >= 1000 else f"projected from {args.n}"
            print(
                target_line(
                    f"1,000 submissions, {args.workers} workers",
                    f"{projected:.0f} s ({measured})",
                    "<= 150 s",
                    projected <= 150,
                )
            )
        if otter_times:
            otter_per_sub = statistics.median(otter_times)
            per_core = per_sub * args.workers
            print(
                f"otter run: {otter_per_sub:.2f} s per submission (median of "
                f"{len(otter_times)}, one at a time; min {min(otter_times):.2f} s); "
                f"{otter_per_sub / per_sub:.1f}x ClusterLab's batch wall per submission"
            )
            ratio = otter_per_sub / per_sub
            print(
                f"  per core (ClusterLab's wall per submission times its {args.workers} "
                f"workers): {otter_per_sub / per_core:.1f}x"
            )
            if floor_per_sub is not None:  # what a grader costing exactly the floor would get
                print(
                    f"  ceiling of that ratio for any grader that calls each student function "
                    f"once: {otter_per_sub / floor_per_sub:.1f}x per batch submission, "
                    f"{otter_per_sub / (floor_per_sub * args.workers):.1f}x per core"
                )
            print(
                target_line(
                    "otter run / ClusterLab per submission (batch wall / submissions)",
                    f"{ratio:.1f}x",
                    ">= 30x",
                    ratio >= 30,
                )
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
