"""Benchmark: the same N submissions graded on a Dask LocalCluster with 1 and with 2 workers.

Each worker is a process with one thread, running ClusterLab's own sandbox
(autograder/distributed.py); the batch is `grade_batch(..., scheduler=...)`, as
`clusterlab grade --scheduler tcp://...` runs it. Prints wall seconds and seconds per
submission for each cluster, and the scaling ratio (1-worker wall / 2-worker wall; 2.0
would be perfect on 2 free cores). Figures are left out, as in bench_grading.py.

Usage: python bench/bench_dask.py [--assignment handwriting] [-n 1000]
(``-n 100`` for a quick run).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, load, make_submissions, single_threaded  # noqa: E402

sys.path.insert(0, str(REPO))

from autograder.batch import grade_batch  # noqa: E402
from autograder.gradebook import Gradebook  # noqa: E402


def on_cluster(name: str, subs: Path, out: Path, workers: int) -> tuple[float, int, bool]:
    """(wall seconds, graded, all 100%) of grading ``subs`` on a fresh ``workers`` cluster."""
    import distributed

    with distributed.LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        host="127.0.0.1",
    ) as cluster:
        start = time.perf_counter()
        summary = grade_batch(name, subs, out, scheduler=cluster.scheduler_address, figures=False)
        took = time.perf_counter() - start
    book = Gradebook(out / "grades.sqlite")
    results = book.results(name)
    book.close()
    return took, len(summary.graded), all(r.score == r.max_score for r in results)


def main() -> int:
    single_threaded()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="handwriting")
    parser.add_argument("-n", type=int, default=1000, help="submissions (issue 9: 1,000)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="clusterlab-bench-dask-"))
    try:
        subs = tmp / "submissions"
        subs.mkdir()
        make_submissions(args.assignment, args.n, subs)
        print(f"assignment: {args.assignment}; submissions: {args.n}; Dask LocalCluster")
        walls = {}
        for workers in (1, 2):
            took, graded, full = on_cluster(args.assignment, subs, tmp / f"out{workers}", workers)
            walls[workers] = took
            print(
                f"{workers} worker{'s' * (workers > 1)}: {took:8.1f} s total, "
                f"{took / args.n * 1000:7.1f} ms per submission "
                f"(graded {graded}, all 100%: {full})  [{load()}]"
            )
        print(
            f"scaling 1 -> 2 workers: {walls[1] / walls[2]:.2f}x faster "
            f"(2.00x would be perfect on 2 free cores)  [{load()}]"
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
