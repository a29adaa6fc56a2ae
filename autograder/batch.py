"""Grade a whole class: find the submissions, grade what is missing, write the outputs.

The steps, in order (see :func:`grade_batch`): discover submissions, skip those
already graded with the same file and graders, grade the rest on a pool of
sandbox workers (each with its own zygote), record each result in the SQLite
gradebook as it arrives, then rebuild every output file from the gradebook.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import stat
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

from autograder.assignment import Assignment
from autograder.gradebook import Gradebook
from autograder.grading import Grader, SubmissionUnreadable, read_source
from autograder.intake import (  # noqa: F401  (discover, student_id: the old home)
    Intake,
    NoSubmissions,
    Submission,
    discover,
    find_submissions,
    student_id,
)
from autograder.render import Batch, NotGraded, intake_lines, write_all
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
    """Hash of the grader files and what they load (``support/``, the shared kit): results
    graded by other graders are out of date."""
    h = hashlib.sha256()
    for q in grader.questions:
        h.update(q.path.read_bytes())
    for path in grader.assignment.support_files():
        h.update(path.name.encode() + b"\0" + path.read_bytes())
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


def _init_worker(
    name: str | Assignment, timeout: float | None, memory_mb: int | None, figures: bool = True
) -> None:
    global _worker
    from threadpoolctl import threadpool_limits

    from autograder.sandbox.jail import parent_death_signal

    parent_death_signal()  # a worker (and so its zygote and children) dies with the batch
    parent = multiprocessing.parent_process()
    if parent is not None and os.getppid() != parent.pid:
        os._exit(1)  # the batch died before the signal was armed

    threadpool_limits(1)  # one core per worker: the workers share the machine's cores
    _worker = Grader(name, timeout=timeout, memory_mb=memory_mb, figures=figures)


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
    figures: bool = True,
) -> BatchSummary:
    """Grade every submission in ``submissions_dir`` that is not graded yet; write ``out``.

    ``submissions_dir`` is a folder or an LMS zip (see :mod:`autograder.intake`);
    :class:`~autograder.intake.NoSubmissions` when it holds none.

    With ``scheduler`` (``tcp://host:8786``) the grading runs on that Dask cluster
    instead of ``workers`` local processes. ``figures=False`` leaves the figures out
    of the feedback pages (they cost about 0.1-0.2 s per submission).
    """
    grader = Grader(name, timeout=timeout, memory_mb=memory_mb, figures=figures)
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
            _run_pool(
                name, todo, protect, workers, (timeout, memory_mb, figures), grader, record, summary
            )
        summary.problems += write_outputs(
            book, grader, out, intake=summary.intake, submissions=subs
        )
    finally:
        book.close()
        intake.cleanup()
    return summary


def _run_pool(name, todo, protect, workers, settings, grader, record, summary):
    attempts: dict[str, int] = {}
    pending = list(todo)
    while pending:
        ctx = get_context("spawn")
        with ProcessPoolExecutor(
            workers, mp_context=ctx, initializer=_init_worker, initargs=(name, *settings)
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
    book: Gradebook,
    grader: Grader,
    out: Path,
    *,
    intake: Sequence[str] = (),
    not_graded: Sequence[NotGraded] = (),
    submissions: Sequence[Submission] = (),
    similarity: bool = True,
) -> list[str]:
    """Rebuild every output file of the assignment from the gradebook, atomically.

    Every format in :mod:`autograder.render` is written; ``intake`` lines (``not
    graded: <name>: <why>``, replacements, ...) and ``not_graded`` go into the class
    report. With ``similarity`` the submissions are also compared with each other
    (teacher-only outputs): the ``submissions`` of this run as they are now, else the
    files the results were graded from. Returns a sentence per output that could not
    be written.
    """
    a = grader.assignment
    results = book.results(a.name)
    from_intake, notes = intake_lines(list(intake))
    batch = Batch(
        assignment=a.name,
        title=a.title,
        questions=[q.name for q in grader.questions],
        results=results,
        not_graded=[*not_graded, *from_intake],
        intake_notes=notes,
    )
    problems = []
    if similarity:
        try:
            batch.similarity = compare_submissions(a, results, submissions)
        except (OSError, RuntimeError, ValueError) as exc:
            problems.append(f"the similarity check could not run: {exc}")
    return problems + write_all(batch, out)


def compare_submissions(
    a: Assignment, results: list[SubmissionResult], submissions: Sequence[Submission] = ()
):
    """Pairwise similarity of the graded students' files (the stub's code as boilerplate)."""
    from autograder.similarity import compare, read_submission

    paths = {r.student: Path(r.source) for r in results if r.source and r.status != UNREADABLE}
    paths.update({s.student: s.path for s in submissions if s.student in paths})
    sources = {}
    for student, path in paths.items():
        try:
            code = read_submission(path) if path.is_file() and not path.is_symlink() else None
        except OSError:
            code = None
        if code is not None:
            sources[student] = code
    stub = a.bundle_dir / f"{a.module}.py"
    boilerplate = stub.read_text(encoding="utf-8") if stub.is_file() else ""
    return compare(sources, boilerplate=boilerplate)
