"""Benchmark: grading mnist_clustering, against the solution's own calls in-process.

Prints, all measured in this run:

- *bare*: seconds per submission of the same cases calling the reference solution
  in-process (no sandbox, no codec), once the grader's reference values exist: what the
  student's own code costs for the calls the graders make;
- *sandboxed*: seconds per submission of ClusterLab's grader (sandbox child per
  submission, every call through the codec), once the grader's reference values exist;
- the ratio sandboxed / bare (target: at most 2x);
- a class of N copies of the solution graded by ``grade_batch`` with 2 workers, first
  run included (target: 50 in under 180 s).

Usage: python bench/bench_mnist_clustering.py [-n 50] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from autograder.batch import grade_batch  # noqa: E402
from autograder.grading import BareGrader, Grader  # noqa: E402

NAME = "mnist_clustering"
SOLUTION = REPO / "solutions" / f"{NAME}.py"


def steady(grader, path: Path, repeat: int) -> list[float]:
    """Seconds per submission after a first, warming submission (reference values)."""
    grader.grade(path)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = grader.grade(path)
        times.append(time.perf_counter() - start)
        assert result.score == result.max_score, [
            c.output for c in result.cases if c.score < c.max_score
        ]
    return times


def main() -> None:
    os.environ.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    bare = steady(BareGrader(NAME), SOLUTION, args.repeat)
    sandboxed_grader = Grader(NAME)
    try:
        sandboxed = steady(sandboxed_grader, SOLUTION, args.repeat)
    finally:
        sandboxed_grader.close()
    b, s = statistics.median(bare), statistics.median(sandboxed)
    print(f"assignment: {NAME}")
    print(f"bare (solution in-process): {b:6.2f} s per submission, median of {args.repeat}")
    print(f"sandboxed (clusterlab):      {s:6.2f} s per submission, median of {args.repeat}")
    print(f"grading cost against bare:   {s / b:6.2f}x  (target <= 2x)")

    tmp = Path(tempfile.mkdtemp(prefix="bench-mnist-"))
    try:
        subs = tmp / "subs"
        subs.mkdir()
        source = SOLUTION.read_text()
        for i in range(args.n):
            (subs / f"student{i:03d}.py").write_text(source + f"\n# submission {i}\n")
        start = time.perf_counter()
        summary = grade_batch(NAME, subs, tmp / "out", workers=args.workers)
        total = time.perf_counter() - start
        print(
            f"class of {args.n} on {args.workers} workers:   {total:6.1f} s "
            f"(graded {len(summary.graded)}; target < 180 s for 50)"
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
