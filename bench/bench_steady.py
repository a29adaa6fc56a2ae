"""Benchmark: steady-state seconds per submission of each assignment's graders.

Grades the reference solution of each assignment once to warm up (the graders' own
reference values are computed once per process), then ``--repeat`` more times in the
same process, one submission at a time, and prints the median wall time per submission
and its target (issue 9: oosterhout and color_compression at most 1 s).

mnist_clustering is measured by bench_mnist_clustering.py.

Usage: python bench/bench_steady.py [--repeat 5] [name ...]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, load, single_threaded, target_line  # noqa: E402

sys.path.insert(0, str(REPO))

from autograder.grading import grade_submission  # noqa: E402

TARGETS = {"oosterhout": 1.0, "color_compression": 1.0}
"""Seconds per submission the issue asks for; the others have none of their own."""

DEFAULT = ("handwriting", "oosterhout", "kmeans_scratch", "color_compression")


def steady_seconds(name: str, repeat: int) -> tuple[float, float]:
    """(first submission, median of the next ``repeat``) wall seconds of grading the solution."""
    solution = REPO / "solutions" / f"{name}.py"
    start = time.perf_counter()
    result = grade_submission(name, solution)
    first = time.perf_counter() - start
    if result.score != result.max_score:
        raise SystemExit(f"{name}: the solution scored {result.score}/{result.max_score}")
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        grade_submission(name, solution)
        times.append(time.perf_counter() - start)
    return first, statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("names", nargs="*", default=list(DEFAULT))
    args = parser.parse_args()
    single_threaded()
    print(f"{'assignment':<20} {'first s':>8} {'steady s':>9}")
    for name in args.names:
        first, steady = steady_seconds(name, args.repeat)
        print(f"{name:<20} {first:8.2f} {steady:9.2f}  [{load()}]")
        target = TARGETS.get(name)
        if target is not None:
            print(
                target_line(
                    f"{name} steady seconds per submission",
                    f"{steady:.2f} s",
                    f"<= {target:g} s",
                    steady <= target,
                )
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
