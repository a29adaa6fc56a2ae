"""Grade a whole class: find the submissions, grade what is missing, write the outputs.

The steps, in order (see :func:`grade_batch`): discover submissions, skip those
already graded with the same file and graders, grade the rest on a pool of
sandbox workers (each with its own zygote), record each result in the SQLite
gradebook as it arrives, then rebuild every output file from the gradebook.
"""

from __future__ import annotations

import hashlib
import signal
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from autograder.assignment import Assignment
from autograder.assignment import load as load_assignment
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
from autograder.pool import WorkerSettings, run_pool
from autograder.reference import (
    REFERENCE_ID,
    check_reference,
    record_reference,
    reference_to_grade,
    reference_verdict,
)
from autograder.render import Batch, NotGraded, intake_lines, write_all
from autograder.results import ERROR, UNREADABLE, SubmissionResult
from autograder.settings import fingerprint as settings_fingerprint
from autograder.settings import resolve

if TYPE_CHECKING:
    from autograder.similarity import Comparison


@dataclass
class BatchSummary:
    """What a batch did."""

    graded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    intake: list[str] = field(default_factory=list)
    """Every replacement, collision and file not graded, one line each."""
    total: int = 0
    """Submissions found (one per student)."""
    manual: str = ""
    """How many manual points are entered and still to be graded (empty: no manual questions)."""
    interrupted: bool = False
    """Ctrl-C stopped the batch; what was graded is saved and in every output."""
    out: Path | None = None


def graders_fingerprint(grader: Grader) -> str:
    """Hash of the grader folder, data, settings and engine: what a result depends on."""
    a = grader.assignment
    settings = resolve(a, timeout=grader.timeout, memory_mb=grader.memory_mb, budget=grader.budget)
    return settings_fingerprint(a, settings)


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


def grade_one(grader: Grader, sub: Submission, protect: list[str]) -> SubmissionResult:
    """Grade one submission (or record why there is nothing to grade); never raises for it."""
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


def _grader_error(
    grader: Grader, sub: Submission, why: str, flags: list[str] | None = None
) -> SubmissionResult:
    result = SubmissionResult(
        student=sub.student,
        assignment=grader.assignment.name,
        status=ERROR,
        source=str(sub.path),
        message=why,
    )
    result.cases = grader._not_run("grading stopped: " + why)
    result.integrity = flags if flags is not None else [why]
    return result


def grade_batch(
    name: str | Assignment,
    submissions_dir: Path,
    out: Path,
    *,
    workers: int = 1,
    timeout: float | None = None,
    memory_mb: int | None = None,
    budget: float | None = None,
    regrade: bool = False,
    scheduler: str | None = None,
    progress: Callable[[SubmissionResult], None] | None = None,
    force: bool = False,
    figures: bool = True,
    started: Callable[[int], None] | None = None,
    manual: Path | None = None,
) -> BatchSummary:
    """Grade every submission in ``submissions_dir`` that is not graded yet; write ``out``.

    ``submissions_dir`` is a folder or an LMS zip (see :mod:`autograder.intake`);
    :class:`~autograder.intake.NoSubmissions` when it holds none.

    With ``scheduler`` (``tcp://host:8786``) the grading runs on that Dask cluster
    instead of ``workers`` local processes. ``figures=False`` leaves the figures out
    of the feedback pages (they cost about 0.1-0.2 s per submission). ``budget``:
    seconds all calls of one submission may take together (default: 10 times the
    call timeout).

    ``manual``: the teacher's points of the manually graded questions (a CSV, see
    :mod:`autograder.manual`; default ``out/manual.csv`` when it exists), merged into every
    output after grading; a file that cannot be read at all raises ``ManualFileError``
    before anything is graded, a bad row is a problem in the summary.

    The settings are resolved once (:func:`autograder.settings.resolve`; raises
    ``SettingsError``) and the reference solution must score 100% under them
    (raises ``ReferenceFailed``, unless ``force``: then every result carries the warning).
    """
    a = name if isinstance(name, Assignment) else load_assignment(name)
    settings = resolve(a, timeout=timeout, memory_mb=memory_mb, budget=budget)  # SettingsError
    grader = Grader(a, settings=settings, figures=figures)  # what every worker gets too
    fingerprint = settings_fingerprint(grader.assignment, settings)
    summary = BatchSummary(out=out)
    manual = manual_path(grader.assignment, out, manual)  # ManualFileError
    intake = find_submissions(submissions_dir, grader.assignment.module)  # NoSubmissions
    summary.intake = intake.report_lines()
    subs = intake.submissions
    summary.total = len(subs)
    book = Gradebook(out / "grades.sqlite")
    early = None
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
        # On a pool, the reference is the first job: no zygote of its own here, and the
        # workers start while it is graded; results wait for its verdict (held below).
        pooled = workers > 1 and not scheduler
        reference = reference_to_grade(grader, book, fingerprint) if todo and pooled else None
        gate = (
            check_reference(grader, settings, book, fingerprint, force=force)
            if (todo and reference is None)
            else ""
        )
        if gate:
            summary.problems.append(gate)
        if workers > 1 or scheduler:
            grader.close()  # the gate's zygote; the workers have their own
        held: list[SubmissionResult] | None = [] if reference else None
        if todo:  # lexes each file for the similarity check as soon as it is graded
            early = start_comparison(grader.assignment)

        def record(result: SubmissionResult) -> None:
            nonlocal gate, held
            if held is not None:  # the reference's verdict is not in yet
                if result.student != REFERENCE_ID:
                    held.append(result)
                    return
                record_reference(grader, settings, book, fingerprint, result)
                gate = reference_verdict(grader, book, fingerprint, force=force)  # or raises
                if gate:
                    summary.problems.append(gate)
                waiting, held = held, None
                for kept in waiting:
                    record(kept)
                return
            if gate and force:
                result.warnings.append(gate)
            book.record(result, fingerprint)
            if early is not None and result.source and result.status != UNREADABLE:
                early.add(result.source)
            summary.graded.append(result.student)
            summary.warnings.extend(w for w in result.warnings if w not in summary.warnings)
            if progress:
                progress(result)

        if started:
            started(len(todo))
        try:
            if scheduler:
                from autograder.distributed import grade_on_dask

                grade_on_dask(
                    scheduler,
                    grader,
                    name,
                    todo,
                    record,
                    lambda sub, why: record(_grader_error(grader, sub, why)),
                    settings=settings,
                    figures=figures,
                )
            elif workers <= 1:
                try:
                    for sub in todo:
                        record(grade_one(grader, sub, protect))
                finally:
                    grader.close()
            else:
                summary.problems += run_pool(
                    WorkerSettings(name, settings, figures),
                    [Submission(REFERENCE_ID, reference), *todo] if reference else todo,
                    protect,
                    workers,
                    record,
                    lambda sub, why, flags: record(_grader_error(grader, sub, why, flags)),
                )
        except KeyboardInterrupt:  # Ctrl-C: keep what was graded, write every output
            summary.interrupted = True
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        summary.problems += write_outputs(
            book,
            grader,
            out,
            intake=summary.intake,
            submissions=subs,
            manual=manual,
            comparison=early,
        )
        summary.manual = manual_line(book, grader.assignment, manual)
    finally:
        if early is not None:
            early.cancel()
        book.close()
        intake.cleanup()
        grader.close()
        if summary.interrupted:
            signal.signal(signal.SIGINT, signal.default_int_handler)
    return summary


def write_outputs(
    book: Gradebook,
    grader: Grader,
    out: Path,
    *,
    intake: Sequence[str] = (),
    not_graded: Sequence[NotGraded] = (),
    submissions: Sequence[Submission] = (),
    similarity: bool = True,
    manual: Path | None = None,
    comparison: Comparison | None = None,
) -> list[str]:
    """Rebuild every output file of the assignment from the gradebook, atomically.

    Every format in :mod:`autograder.render` is written; ``intake`` lines (``not
    graded: <name>: <why>``, replacements, ...) and ``not_graded`` go into the class
    report. With ``similarity`` the submissions are also compared with each other
    (teacher-only outputs): the ``submissions`` of this run as they are now, else the
    files the results were graded from. The manual points of ``manual`` (a CSV, see
    :mod:`autograder.manual`) replace those in the gradebook first. Returns a sentence
    per output that could not be written and per manual row that was not used.

    ``comparison``: the similarity check started with the batch (:func:`start_comparison`),
    which lexed the files as they were graded; else one starts here. It runs while the
    formats that do not show similarity are written."""
    a = grader.assignment
    manual_problems = store_manual(book, a, manual)
    results = book.results(a.name)
    from_intake, notes = intake_lines(list(intake))
    batch = Batch(
        assignment=a.name,
        title=a.title,
        questions=[q.name for q in grader.questions] + [m.name for m in a.manual],
        results=results,
        not_graded=[*not_graded, *from_intake],
        intake_notes=notes,
        manual_problems=manual_problems,
    )
    problems = list(manual_problems)
    pending = None
    if not similarity and comparison is not None:
        comparison.cancel()
    if similarity:
        try:
            pending = compare_submissions(a, results, submissions, comparison)
        except (OSError, RuntimeError, ValueError) as exc:
            problems.append(f"the similarity check could not run: {exc}")

    def wait_for_similarity() -> None:
        try:
            batch.similarity = pending.result()
        except (OSError, RuntimeError, ValueError) as exc:
            problems.append(f"the similarity check could not run: {exc}")

    try:  # the formats without similarity are written while it runs
        written = write_all(batch, out, similarity=wait_for_similarity if pending else None)
    finally:
        if pending is not None:
            pending.cancel()
    return problems + written


def start_comparison(a: Assignment) -> Comparison | None:
    """A similarity check of ``a``'s submissions started before they are graded (see
    :class:`autograder.similarity.Comparison`); None if it cannot start."""
    from autograder.similarity import Comparison

    try:
        return Comparison(boilerplate=_boilerplate(a))
    except OSError:
        return None


def _boilerplate(a: Assignment) -> str:
    """The stub's code: every student was given it, so it never counts as similar."""
    stub = a.bundle_dir / f"{a.module}.py"
    return stub.read_text(encoding="utf-8") if stub.is_file() else ""


def compare_submissions(
    a: Assignment,
    results: list[SubmissionResult],
    submissions: Sequence[Submission] = (),
    comparison: Comparison | None = None,
) -> Comparison:
    """Start the pairwise similarity check of the graded students' files (the stub's code
    as boilerplate), on ``comparison`` if given; returns it under way."""
    from autograder.similarity import Comparison, read_submission

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
    if comparison is None or not comparison.running():  # started with the batch, or now
        comparison = Comparison(boilerplate=_boilerplate(a))
    comparison.send(sources)
    return comparison


def manual_path(a: Assignment, out: Path, given: Path | None) -> Path | None:
    """The manual-points file of a batch (``given``, else ``out/manual.csv`` if there), its
    header checked before anything is graded (raises ``ManualFileError``)."""
    from autograder import manual

    path = given if given is not None else out / manual.DEFAULT_NAME
    if given is None and not path.is_file():
        return None
    if not path.is_file():
        raise manual.ManualFileError(f"--manual {path}: there is no such file")
    manual.read(path, a.manual, [])  # whole-file problems only; rows are checked later
    return path


def store_manual(book: Gradebook, a: Assignment, path: Path | None) -> list[str]:
    """Read ``path`` (if any) into the gradebook's manual points; one sentence per bad row.

    Without a file the points entered before are kept; the rows of students graded since
    are added, to be graded by the teacher.
    """
    from autograder import manual

    if not a.manual:
        if path is None:
            return []
        return [f"{path}: {a.name} has no manually graded questions; the file is not used"]
    if path is None:
        entries = book.manual(a.name)[1]
        problems = []
    else:
        students = [r.student for r in book.results(a.name, manual=False)]
        try:
            found = manual.read(path, a.manual, students)
        except manual.ManualFileError as exc:  # changed since the batch started
            return [f"{exc}; the manual points entered before are kept"]
        entries, problems = found.entries, found.problems
    book.replace_manual(a.name, list(a.manual), entries)
    return problems


def manual_line(book: Gradebook, a: Assignment, path: Path | None) -> str:
    """``manual points: 5 of 7 entered (grades/manual.csv); 2 to be graded by the teacher``."""
    from autograder.manual import TO_BE_GRADED

    if not a.manual:
        return ""
    _, entries = book.manual(a.name)
    done = sum(e.points is not None for e in entries)
    where = f" ({path})" if path else " (no manual.csv yet: `clusterlab manual-template`)"
    line = f"manual points: {done} of {len(entries)} entered{where}"
    return line + (f"; {len(entries) - done} {TO_BE_GRADED}" if done < len(entries) else "")
