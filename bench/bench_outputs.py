"""Benchmark of a batch's own costs outside the sandbox: recording results, then the outputs.

Issue 9 wants 1,000 handwriting submissions graded in at most 150 s with 2 workers; what
the batch does besides grading has to fit in a few of those seconds. Prints, all measured
in this run:

- the main process's CPU per submission during a real batch (``--batch`` submissions, 2
  workers, the CLI's progress lines): the work that competes with the two workers
  (gradebook insert, result decoding, progress); target a few ms;
- ``Gradebook.record`` alone, per submission (SQLite insert and the result's JSON);
- ``write_outputs`` for N handwriting results (N = 200 and 1,000 by default), broken down
  per output: reading the gradebook, each format of :mod:`autograder.render`, the similarity
  check (its child runs while the formats without similarity are written: the main process
  only starts it and waits for what is left); target: everything after grading in at most
  10 s at 1,000.

The gradebook is built cheaply: a few submissions are graded for real (one per variant of
``_common.make_submissions``), then their results are recorded again for N distinct
students, each with its own distinct submission file, as a batch would have left them.

Usage: python bench/bench_outputs.py [-n 200 1000] [--batch 40]
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, VARIANTS, load, make_submissions, single_threaded, target_line  # noqa: E402

sys.path.insert(0, str(REPO))

from autograder import batch as batch_mod  # noqa: E402
from autograder import render  # noqa: E402
from autograder.assignment import load as load_assignment  # noqa: E402
from autograder.gradebook import Gradebook  # noqa: E402
from autograder.grading import Grader  # noqa: E402
from autograder.intake import Submission  # noqa: E402
from autograder.results import SubmissionResult  # noqa: E402
from autograder.similarity import Comparison  # noqa: E402

NAME = "handwriting"


def _graded_variants(folder: Path) -> list[SubmissionResult]:
    """One result per variant of :data:`_common.VARIANTS`, graded for real (no figures)."""
    paths = make_submissions(NAME, len(VARIANTS), folder)
    grader = Grader(NAME, figures=False)
    try:
        return [grader.grade(p, student=p.stem) for p in paths]
    finally:
        grader.close()


def _build(n: int, tmp: Path, graded: list[SubmissionResult], fingerprint: str):
    """A gradebook of ``n`` students; returns (book, submissions, seconds of record per sub)."""
    subs_dir = tmp / "submissions"
    subs_dir.mkdir(parents=True)
    paths = make_submissions(NAME, n, subs_dir)
    book = Gradebook(tmp / "out" / "grades.sqlite")
    submissions = []
    spent = 0.0
    for i, path in enumerate(paths):
        result = SubmissionResult.from_dict(graded[i % len(graded)].to_dict())
        result.student = path.stem
        result.source = str(path)
        result.sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
        submissions.append(Submission(student=path.stem, path=path))
        start = time.process_time()
        book.record(result, fingerprint)
        spent += time.process_time() - start
    return book, submissions, spent / n


@contextlib.contextmanager
def _timed(parts: dict[str, float]):
    """Time the pieces of the real ``write_outputs``: the similarity check (started, then
    waited for while the formats without it are written) and every writer."""
    compare, writers, result = batch_mod.compare_submissions, render.writers, Comparison.result

    def timed(name, fn):
        def run(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                parts[name] = parts.get(name, 0.0) + time.perf_counter() - start
                parts.setdefault(f"{name} done", time.perf_counter())

        return run

    batch_mod.compare_submissions = timed("similarity: start", compare)
    Comparison.result = timed("similarity: wait", result)
    render.writers = lambda: {k: timed(k, w) for k, w in writers().items()}
    try:
        yield
    finally:
        batch_mod.compare_submissions, render.writers, Comparison.result = compare, writers, result


def outputs(n: int, graded: list[SubmissionResult]) -> float:
    """Print the cost of ``write_outputs`` for ``n`` results, per output; returns the total."""
    a = load_assignment(NAME)
    grader = Grader(a, figures=False)
    fingerprint = batch_mod.graders_fingerprint(grader)
    tmp = Path(tempfile.mkdtemp(prefix="clusterlab-bench-outputs-"))
    try:
        book, submissions, per_record = _build(n, tmp, graded, fingerprint)
        parts: dict[str, float] = {}
        start = time.perf_counter()
        results = book.results(a.name)
        parts["read gradebook"] = time.perf_counter() - start
        with _timed(parts):
            start = time.perf_counter()
            problems = batch_mod.write_outputs(book, grader, tmp / "out", submissions=submissions)
            total = time.perf_counter() - start
        book.close()
        assert not problems, problems
        assert len(results) == n
        size = sum(p.stat().st_size for p in (tmp / "out").rglob("*") if p.is_file())
        print(
            f"N={n}: record {per_record * 1000:.2f} ms CPU per submission; write_outputs "
            f"{total:.2f} s ({total / n * 1000:.1f} ms per submission, {size / 1e6:.1f} MB "
            f"written)  [{load()}]"
        )
        if "similarity: wait done" in parts:
            ran = parts.pop("similarity: wait done") - parts["similarity: start done"]
            print(f"  similarity check: {ran:.2f} s from start to report (the writers meanwhile)")
        for name, seconds in parts.items():
            if not name.endswith(" done"):
                print(f"  {name:<20} {seconds:7.2f} s")
        return total
    finally:
        grader.close()
        shutil.rmtree(tmp, ignore_errors=True)


def main_process_cpu(n: int, workers: int = 2) -> float:
    """CPU seconds of this process per submission while a real batch grades ``n``."""
    from rich.console import Console

    from autograder import cli

    tmp = Path(tempfile.mkdtemp(prefix="clusterlab-bench-batch-"))
    try:
        subs = tmp / "submissions"
        subs.mkdir()
        make_submissions(NAME, n, subs)
        marks: dict[str, float] = {}

        def started(_todo: int) -> None:
            marks["start"] = time.process_time()

        def progress(r: SubmissionResult) -> None:  # the CLI prints a line per result
            cli.console.print(f"  {r.student:<32} {r.score:6g}/{r.max_score:g}", soft_wrap=True)
            marks["end"] = time.process_time()
            marks["graded"] = time.perf_counter()

        quiet = Console(file=io.StringIO(), width=100)
        real, cli.console = cli.console, quiet
        try:
            summary = batch_mod.grade_batch(
                NAME,
                subs,
                tmp / "out",
                workers=workers,
                figures=False,
                progress=progress,
                started=started,
            )
            after = time.perf_counter() - marks["graded"]
        finally:
            cli.console = real
        assert len(summary.graded) == n, summary
        per_sub = (marks["end"] - marks["start"]) / n
        print(
            f"main process during a batch of {n} ({workers} workers): "
            f"{per_sub * 1000:.1f} ms CPU per submission; after the last result, the outputs "
            f"took {after:.2f} s (files lexed while grading)  [{load()}]"
        )
        return per_sub
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    single_threaded()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, nargs="+", default=[200, 1000])
    parser.add_argument("--batch", type=int, default=40, help="submissions of the real batch")
    args = parser.parse_args()
    print(f"assignment: {NAME}; {load()}")
    with tempfile.TemporaryDirectory(prefix="clusterlab-bench-graded-") as folder:
        graded = _graded_variants(Path(folder))
    assert all(r.score == r.max_score for r in graded), [r.score for r in graded]

    if args.batch:
        per_sub = main_process_cpu(args.batch)
        print(
            target_line(
                "main process CPU per graded submission",
                f"{per_sub * 1000:.1f} ms",
                "<= 5 ms",
                per_sub <= 0.005,
            )
        )
    for n in args.n:
        total = outputs(n, graded)
        projected = total * 1000 / n if n < 1000 else total
        if n == max(args.n):
            measured = "measured" if n >= 1000 else f"projected linearly from {n}"
            print(
                target_line(
                    "outputs of 1,000 submissions",
                    f"{projected:.1f} s ({measured})",
                    "<= 10 s",
                    projected <= 10,
                )
            )


if __name__ == "__main__":
    main()
