"""Benchmark: grading mnist_clustering, against the solution's own calls in-process.

Prints, all measured in this run:

- *bare*: seconds per submission of the same cases calling the reference solution
  in-process (no sandbox, no codec), once the grader's reference values exist: what the
  student's own code costs for the calls the graders make;
- *sandboxed*: seconds per submission of ClusterLab's grader (sandbox child per
  submission, every call through the codec), once the grader's reference values exist;
- the ratio sandboxed / bare (target: at most 2x);
- the first submission of a fresh grader against the steady state: what the grader's own
  reference values cost once per process (stored or computed once, not per submission);
- a class of N copies of the solution graded by ``grade_batch`` with 2 workers, first
  run included (target: 50 in under 180 s).

Every target line carries the load average (five engineers share two cores).

Usage: python bench/bench_mnist_clustering.py [-n 50] [--repeat 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

sys.path.insert(0, str(REPO / "bench"))

from _common import load, single_threaded, target_line  # noqa: E402

from autograder.batch import grade_batch  # noqa: E402
from autograder.grading import BareGrader, Grader  # noqa: E402

NAME = "mnist_clustering"
SOLUTION = REPO / "solutions" / f"{NAME}.py"


def steady(grader, path: Path, repeat: int) -> tuple[float, list[float]]:
    """Seconds of the first submission (reference values included), then per submission."""
    start = time.perf_counter()
    grader.grade(path)
    first = time.perf_counter() - start
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = grader.grade(path)
        times.append(time.perf_counter() - start)
        assert result.score == result.max_score, [
            c.output for c in result.cases if c.score < c.max_score
        ]
    return first, times


def main() -> None:
    single_threaded()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    # the sandboxed grader first, in a process that has computed no reference value yet
    sandboxed_grader = Grader(NAME)
    try:
        cold, sandboxed = steady(sandboxed_grader, SOLUTION, args.repeat)
    finally:
        sandboxed_grader.close()
    _, bare = steady(BareGrader(NAME), SOLUTION, args.repeat)
    b, s = statistics.median(bare), statistics.median(sandboxed)
    print(f"assignment: {NAME}  [{load()}]")
    print(f"bare (solution in-process): {b:6.2f} s per submission, median of {args.repeat}")
    print(f"sandboxed (clusterlab):      {s:6.2f} s per submission, median of {args.repeat}")
    print(f"first sandboxed submission:  {cold:6.2f} s ({cold - s:+.2f} s of reference values)")
    print(target_line("mnist_clustering grading / bare", f"{s / b:.2f}x", "<= 2x", s / b <= 2))

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
            target_line(
                f"mnist_clustering class of {args.n} on {args.workers} workers",
                f"{total:.1f} s (graded {len(summary.graded)})",
                f"< {180 * args.n / 50:g} s",
                total < 180 * args.n / 50 and len(summary.graded) == args.n,
            )
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
