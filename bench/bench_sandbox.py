"""Benchmark: the sandbox's own costs (fork-to-ready per child, per-submission time).

Prints, measured in this run:

- fork-to-ready: from asking the zygote for a child until the student module is
  imported and the child answers (median and p90 over N children, toy assignment);
- per-submission wall time of grading the handwriting demo class with one worker
  (the zygote already warm), and the total score, so that a change in the sandbox
  that costs points shows up here too.

Usage: python bench/bench_sandbox.py [-n 30]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from autograder import assignment as assignment_mod  # noqa: E402
from autograder.grading import Grader  # noqa: E402
from autograder.sandbox.limits import Limits  # noqa: E402
from autograder.sandbox.session import Session  # noqa: E402

ENGINE = REPO / "tests" / "fixtures" / "engine"


def fork_to_ready(n: int) -> list[float]:
    toy = assignment_mod.load("toy", root=ENGINE)
    grader = Grader(toy)
    zygote = grader.zygote()
    source = (ENGINE / "submissions" / "good.py").read_bytes()
    times = []
    try:
        for _ in range(n):
            session = Session(
                zygote,
                module_name=toy.module,
                source=source,
                data_files=[],
                limits=Limits(),
                timeout=5,
                protected=grader.protected,
            )
            start = time.perf_counter()
            session.start()
            times.append(time.perf_counter() - start)
            session.close()
    finally:
        grader.close()
    return times


def demo_class() -> tuple[list[float], float]:
    grader = Grader("handwriting")
    grader.zygote()
    folder = REPO / "examples" / "handwriting"
    seconds, total = [], 0.0
    try:
        for path in sorted(folder.glob("*.py")):
            result = grader.grade(path)
            seconds.append(result.seconds)
            total += result.score
    finally:
        grader.close()
    return seconds, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=30)
    args = parser.parse_args()
    times = sorted(fork_to_ready(args.n))
    p90 = times[int(0.9 * (len(times) - 1))]
    print(
        f"fork-to-ready: median {statistics.median(times) * 1000:.1f} ms, "
        f"p90 {p90 * 1000:.1f} ms over {len(times)} children"
    )
    seconds, total = demo_class()
    print(
        f"handwriting demo: {len(seconds)} submissions, median "
        f"{statistics.median(seconds):.2f} s, mean {statistics.mean(seconds):.2f} s "
        f"per submission, total score {total:g}"
    )


if __name__ == "__main__":
    main()
