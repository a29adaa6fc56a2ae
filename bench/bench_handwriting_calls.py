"""Benchmark: what the handwriting graders ask of one submission, and what they cost.

Grades N distinct copies of the reference solution (``_common.make_submissions``) one at
a time in this process with ``autograder.grading.Grader("handwriting")`` (the sandbox,
no figures), after one warm-up submission (the graders' reference values), and prints per
submission:

- every request into the sandbox child, grouped: calls of ``fit_kmeans`` by the shape of
  X, ``n_clusters`` and ``random_state``; calls of the other functions; attribute reads
  (``cluster_centers_``, ``labels_``, ...) and other round trips; with their count and
  wall milliseconds (the child's work plus the round trip);
- the grader's own CPU milliseconds (this process: the checks' numerics, the protocol),
  and the wall milliseconds of a whole submission;
- the floor (``bench_grading._floor``: the student's functions called once each
  in-process), measured right after each submission is graded (the same load), and
  grading's wall time divided by it.

``--compare DIR`` grades every submission also with the graders in DIR (an older
version), interleaved, so that both see the same load.

``--profile`` adds the grader-side functions that cost the most CPU (cProfile, tottime).

Usage: python bench/bench_handwriting_calls.py [-n 30] [--profile] [--compare DIR]
"""

from __future__ import annotations

import argparse
import collections
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, load, make_submissions, single_threaded  # noqa: E402
from bench_grading import _floor  # noqa: E402

sys.path.insert(0, str(REPO))

from autograder.grading import Grader  # noqa: E402
from autograder.sandbox import protocol  # noqa: E402
from autograder.sandbox.session import Session  # noqa: E402

CALLS: list[tuple[str, float]] = []
"""(what, wall seconds) of every request of the submission being graded."""


def _shape(value) -> str:
    shape = getattr(value, "shape", None)
    return str(tuple(shape)) if shape is not None else type(value).__name__


def _what(req) -> str:
    if isinstance(req, protocol.Call) and req.target == "fit_kmeans":
        x = _shape(req.args[0]) if req.args else "?"
        k, rs = req.kwargs.get("n_clusters", "?"), req.kwargs.get("random_state", "?")
        return f"fit_kmeans X{x} k={k} rs={rs}"
    if isinstance(req, protocol.Call):
        target = req.target if isinstance(req.target, str) else "a method of a returned object"
        return f"call {target}"
    if isinstance(req, protocol.GetAttr):
        return f"read .{req.name}"
    return f"{type(req).__name__.lower()}"


def _instrument() -> None:
    original = Session._request

    def timed(self, req, label, *timeout):
        start = time.perf_counter()
        try:
            return original(self, req, label, *timeout)
        finally:
            CALLS.append((_what(req), time.perf_counter() - start))

    Session._request = timed


def _report(title: str, n: int, per_call: dict, cpus: list, walls: list, floors: list) -> None:
    print(f"\n{title}")
    print(f"{'request':<46} {'per subm.':>9} {'ms each':>8} {'ms/subm.':>9}")
    total_calls = total_ms = 0.0
    for what, times in sorted(per_call.items(), key=lambda kv: -sum(kv[1])):
        count, ms = len(times) / n, 1000 * sum(times) / n
        total_calls, total_ms = total_calls + count, total_ms + ms
        print(f"{what:<46} {count:9.1f} {1000 * statistics.median(times):8.2f} {ms:9.1f}")
    fits = sum(len(t) for w, t in per_call.items() if w.startswith("fit_kmeans")) / n
    print(f"{'all requests':<46} {total_calls:9.1f} {'':>8} {total_ms:9.1f}")
    print(f"fit_kmeans calls per submission: {fits:.1f}")
    print(f"grader CPU ms per submission (median): {1000 * statistics.median(cpus):.1f}")
    wall, floor = statistics.median(walls), statistics.median(floors)
    print(f"wall ms per submission (median): {1000 * wall:.1f}; floor: {1000 * floor:.1f}")
    ratios = [w / f for w, f in zip(walls, floors, strict=True)]
    print(
        f"grading / floor, same submission back to back (median): {statistics.median(ratios):.2f}x"
    )


def main() -> None:
    single_threaded()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=30, help="submissions")
    parser.add_argument("--profile", action="store_true", help="top grader-side functions")
    parser.add_argument(
        "--compare",
        type=Path,
        metavar="DIR",
        help="also grade each submission with the handwriting graders in DIR (e.g. an older "
        "checkout's autograder/graders/handwriting), interleaved with these",
    )
    args = parser.parse_args()
    _instrument()
    graders = {"these graders": Grader("handwriting")}
    if args.compare:
        files = sorted(args.compare.glob("q*.py"))
        zygote = graders["these graders"].zygote()
        graders[f"graders in {args.compare}"] = Grader(
            "handwriting", test_files=files, zygote=zygote
        )
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile(time.process_time)  # CPU, not waits on the child
    stats = {
        name: (collections.defaultdict(list), [], [], []) for name in graders
    }  # per_call, cpus, walls, floors
    with tempfile.TemporaryDirectory(prefix="clusterlab-bench-") as tmp:
        paths = make_submissions("handwriting", args.n + 1, Path(tmp))
        for grader in graders.values():  # warm-up: reference values, zygote, imports
            grader.grade(paths[0])
        _floor(paths[0])
        for path in paths[1:]:
            for name, grader in graders.items():
                per_call, cpus, walls, floors = stats[name]
                CALLS.clear()
                wall, cpu = time.perf_counter(), time.process_time()
                if profiler is not None and name == "these graders":
                    profiler.enable()
                result = grader.grade(path)
                if profiler is not None:
                    profiler.disable()
                walls.append(time.perf_counter() - wall)
                cpus.append(time.process_time() - cpu)
                if result.score != result.max_score:
                    raise SystemExit(f"{path.name}: {result.score}/{result.max_score} ({name})")
                for what, seconds in CALLS:
                    per_call[what].append(seconds)
                start = time.perf_counter()  # the floor right after, under the same load
                _floor(path)
                floors.append(time.perf_counter() - start)
    graders["these graders"].close()
    print(f"handwriting, {args.n} submissions of the reference solution, in-process; {load()}")
    for name, (per_call, cpus, walls, floors) in stats.items():
        _report(name, args.n, per_call, cpus, walls, floors)
    if profiler is not None:
        import pstats

        print("\ngrader-side functions, by own CPU time over all submissions:")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
