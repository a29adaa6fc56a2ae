"""Benchmark: the endless-loop demo submission under `otter run` with the exported zip.

examples/handwriting/de_boer_finn.py has a `fit_kmeans` that never returns. With
`clusterlab export`'s zip, `otter run` must stop each stuck function after the
assignment's timeout, not call it again, and still give the partial score (issue 9,
item 5): within 2x the timeout per stuck function. Prints otter's wall seconds and
score, and ClusterLab's own grade of the same file for comparison.

Usage: python bench/bench_otter_timeout.py [--file examples/handwriting/de_boer_finn.py]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, load, otter_run, target_line  # noqa: E402

sys.path.insert(0, str(REPO))

from autograder import assignment as assignment_mod  # noqa: E402
from autograder.export import otter_zip  # noqa: E402
from autograder.grading import Grader  # noqa: E402

STUCK = ("fit_kmeans",)
"""The functions of the demo file that never return."""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", default=str(REPO / "examples/handwriting/de_boer_finn.py"))
    args = parser.parse_args()
    a = assignment_mod.load("handwriting")
    tmp = Path(tempfile.mkdtemp(prefix="clusterlab-bench-otter-"))
    try:
        folder = tmp / "sub"
        folder.mkdir()
        sub = folder / f"{a.module}.py"
        shutil.copyfile(args.file, sub)
        zip_path = otter_zip(a, tmp / "autograder.zip")
        took = otter_run(zip_path, sub, tmp / "otter")
        results = json.loads((tmp / "otter" / "results.json").read_text())
        otter_score = sum(t.get("score", 0) or 0 for t in results["tests"])
        otter_max = sum(t.get("max_score", 0) or 0 for t in results["tests"])
        print(
            f"otter run on {Path(args.file).name}: {took:.1f} s, "
            f"{otter_score:g}/{otter_max:g} points  [{load()}]"
        )
        grader = Grader(a)
        try:
            start = time.perf_counter()
            ours = grader.grade(sub)
            ours_took = time.perf_counter() - start
        finally:
            grader.close()
        print(
            f"clusterlab grade of the same file: {ours_took:.1f} s, "
            f"{ours.score:g}/{ours.max_score:g} points  [{load()}]"
        )
        limit = 2 * a.timeout * len(STUCK)
        print(
            target_line(
                "otter run, endless loop",
                f"{took:.1f} s, partial score {otter_score:g}",
                f"<= {limit:g} s (2 x {a.timeout:g} s x {len(STUCK)} stuck) and a score > 0",
                took <= limit and otter_score > 0,
            )
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
