"""Grade a whole class: find the submissions, grade what is missing, write the outputs.

The steps, in order (see :func:`grade_batch`): discover submissions, skip those
already graded with the same file and graders, grade the rest on a pool of
sandbox workers (each with its own zygote), record each result in the SQLite
gradebook as it arrives, then rebuild every output file from the gradebook.
"""

from __future__ import annotations

import hashlib
import stat
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

from autograder.assignment import Assignment
from autograder.feedback import render_markdown, render_report
from autograder.gradebook import Gradebook, atomic_write, gradebook_csv
from autograder.grading import Grader, SubmissionUnreadable, read_source
from autograder.intake import (  # noqa: F401  (discover, student_id: the old home)
    Intake,
    NoSubmissions,
    Submission,
    discover,
    find_submissions,
    student_id,
)
from autograder.results import ERROR, UNREADABLE, SubmissionResult

MAX_ATTEMPTS = 2
"""A submission whose worker dies this many times is recorded as a grader error."""


@dataclass
class BatchSummary:
    """What a batch did."""

    graded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    intake: list[str] = field(default_factory=list)
    """Every replacement, collision and file not graded, one line each."""
    out: Path | None = None


def graders_fingerprint(grader: Grader) -> str:
    """Hash of the grader files: results graded by other graders are out of date."""
    h = hashlib.sha256()
    for q in grader.questions:
        h.update(q.path.read_bytes())
    return h.hexdigest()[:16]


def _file_hash(path: Path) -> str:
    """Hash of the file as the grader reads it (never opens a FIFO or device, never blocks)."""
    try:
        if not stat.S_ISREG(path.lstat().st_mode):
            return "not-a-file"
    except OSError:
        return "missing"
    try:
        return hashlib.sha256(read_source(path)).hexdigest()
    except SubmissionUnreadable as exc:
        return "unreadable:" + hashlib.sha256(str(exc).encode()).hexdigest()[:16]


# --- workers ------------------------------------------------------------------
_worker: Grader | None = None


def _init_worker(name: str | Assignment, timeout: float | None, memory_mb: int | None) -> None:
    global _worker
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)  # one core per worker: the workers share the machine's cores
    _worker = Grader(name, timeout=timeout, memory_mb=memory_mb)


def _grade_in_worker(sub: Submission, protect: list[str]) -> dict:
    return _grade_with(_worker, sub, protect).to_dict()


def _grade_with(grader: Grader, sub: Submission, protect: list[str]) -> SubmissionResult:
    if not sub.path.exists() and not sub.path.is_symlink():
        result = SubmissionResult(
            student=sub.student,
            assignment=grader.assignment.name,
            status=UNREADABLE,
            source=str(sub.path),
            message=f"no {sub.path.name} was found in your submission",
        )
        result.cases = grader._not_run(f"no {sub.path.name} was submitted")
    else:
        result = grader.grade(sub.path, student=sub.student, protect=protect)
    result.sha256 = result.sha256 or _file_hash(sub.path)  # links and missing files too
    return result


def _grader_error(grader: Grader, sub: Submission, why: str) -> SubmissionResult:
    result = SubmissionResult(
        student=sub.student,
        assignment=grader.assignment.name,
        status=ERROR,
        source=str(sub.path),
        message=why,
    )
    result.cases = grader._not_run("grading stopped: " + why)
    result.integrity = [why]
    return result


def grade_batch(
    name: str | Assignment,
    submissions_dir: Path,
    out: Path,
    *,
    workers: int = 1,
    timeout: float | None = None,
    memory_mb: int | None = None,
    regrade: bool = False,
    scheduler: str | None = None,
    progress: Callable[[SubmissionResult], None] | None = None,
) -> BatchSummary:
    """Grade every submission in ``submissions_dir`` that is not graded yet; write ``out``.

    ``submissions_dir`` is a folder or an LMS zip (see :mod:`autograder.intake`);
    :class:`~autograder.intake.NoSubmissions` when it holds none.

    With ``scheduler`` (``tcp://host:8786``) the grading runs on that Dask cluster
    instead of ``workers`` local processes.
    """
    grader = Grader(name, timeout=timeout, memory_mb=memory_mb)
    fingerprint = graders_fingerprint(grader)
    summary = BatchSummary(out=out)
    intake = find_submissions(submissions_dir, grader.assignment.module)  # NoSubmissions
    summary.intake = intake.report_lines()
    subs = intake.submissions
    book = Gradebook(out / "grades.sqlite")
    try:
        book.record_identities(grader.assignment.name, subs)
        done = {} if regrade else book.up_to_date(grader.assignment.name, fingerprint)
        todo = []
        for sub in subs:
            if done.get(sub.student) == _file_hash(sub.path):
                summary.skipped.append(sub.student)
            else:
                todo.append(sub)
        protect = [str(submissions_dir), str(out), *([str(intake.workdir)] * bool(intake.workdir))]

        def record(result: SubmissionResult) -> None:
            book.record(result, fingerprint)
            summary.graded.append(result.student)
            summary.warnings.extend(w for w in result.warnings if w not in summary.warnings)
            if progress:
                progress(result)

        if scheduler:
            from autograder.distributed import grade_on_dask

            grade_on_dask(
                scheduler,
                grader,
                name,
                todo,
                record,
                lambda sub, why: record(_grader_error(grader, sub, why)),
                timeout=timeout,
                memory_mb=memory_mb,
            )
        elif workers <= 1:
            try:
                for sub in todo:
                    record(_grade_with(grader, sub, protect))
            finally:
                grader.close()
        else:
            _run_pool(name, todo, protect, workers, timeout, memory_mb, grader, record, summary)
        summary.problems += write_outputs(book, grader, out, intake=summary.intake)
    finally:
        book.close()
        intake.cleanup()
    return summary


def _run_pool(name, todo, protect, workers, timeout, memory_mb, grader, record, summary):
    attempts: dict[str, int] = {}
    pending = list(todo)
    while pending:
        ctx = get_context("spawn")
        with ProcessPoolExecutor(
            workers, mp_context=ctx, initializer=_init_worker, initargs=(name, timeout, memory_mb)
        ) as pool:
            futures = {pool.submit(_grade_in_worker, sub, protect): sub for sub in pending}
            pending = []
            broken = False
            while futures:
                finished, _ = wait(futures, return_when=FIRST_COMPLETED)
                for fut in finished:
                    sub = futures.pop(fut)
                    try:
                        record(SubmissionResult.from_dict(fut.result()))
                    except BrokenProcessPool:
                        broken = True
                        attempts[sub.student] = attempts.get(sub.student, 0) + 1
                        if attempts[sub.student] >= MAX_ATTEMPTS:
                            record(
                                _grader_error(
                                    grader,
                                    sub,
                                    "a grading worker died twice while grading this submission",
                                )
                            )
                        else:
                            pending.append(sub)
                    except Exception as exc:  # a bug in a grader: report it, carry on
                        record(_grader_error(grader, sub, f"{type(exc).__name__}: {exc}"))
            if broken:
                summary.problems.append("a grading worker died; its submissions were retried")


def write_outputs(
    book: Gradebook, grader: Grader, out: Path, *, intake: list[str] = ()
) -> list[str]:
    """Rebuild every output file of the assignment from the gradebook, atomically.

    A file that cannot be written is reported (returned) and the others are still written.
    """
    import json

    name = grader.assignment.name
    results = book.results(name)
    questions = [q.name for q in grader.questions]
    problems: list[str] = []

    def write(path: Path, make: Callable[[], str]) -> None:
        try:
            atomic_write(path, make())
        except (OSError, ValueError) as exc:
            problems.append(f"{path.name} could not be written: {exc}")

    write(out / "gradebook.csv", lambda: gradebook_csv(results, questions))
    for r in results:
        write(
            out / "results" / f"{r.student}.json",
            lambda r=r: json.dumps(r.to_gradescope(), indent=2, ensure_ascii=False) + "\n",
        )
        write(out / "feedback" / f"{r.student}.md", lambda r=r: render_markdown(r))
    write(
        out / "report.md",
        lambda: render_report(
            results, assignment=name, title=grader.assignment.title, intake=list(intake)
        ),
    )
    return problems
