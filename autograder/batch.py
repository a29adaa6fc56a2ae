"""Grade a whole class: find the submissions, grade what is missing, write the outputs.

The steps, in order (see :func:`grade_batch`): discover submissions, skip those
already graded with the same file and graders, grade the rest on a pool of
sandbox workers (each with its own zygote), record each result in the SQLite
gradebook as it arrives, then rebuild every output file from the gradebook.
"""

from __future__ import annotations

import hashlib
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from autograder.assignment import Assignment
from autograder.feedback import render_markdown, render_report
from autograder.gradebook import Gradebook, atomic_write, gradebook_csv
from autograder.grading import Grader
from autograder.pool import WorkerSettings, run_pool
from autograder.results import ERROR, UNREADABLE, SubmissionResult

# Canvas: lastname_12345_67890_handwriting.py (also lastname_LATE_12345_67890_...)
_CANVAS = re.compile(r"^(?P<name>[^_]+?)(?:_late)?_(?P<uid>\d+)_(?P<sub>\d+)_(?P<orig>.+)$", re.I)
# Moodle: Firstname Lastname_123456_assignsubmission_file_handwriting.py
_MOODLE = re.compile(r"^(?P<name>.+?)_(?P<uid>\d+)_assignsubmission_file_?(?P<orig>.*)$", re.I)


@dataclass(frozen=True)
class Submission:
    """One student's file to grade."""

    student: str
    path: Path
    note: str = ""


@dataclass
class BatchSummary:
    """What a batch did."""

    graded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    out: Path | None = None


def student_id(filename: str) -> str:
    """The student a submitted file name belongs to (LMS download names understood)."""
    stem = filename[:-3] if filename.endswith(".py") else filename
    for pattern in (_CANVAS, _MOODLE):
        m = pattern.match(stem)
        if m:
            name = re.sub(r"[^A-Za-z0-9]+", "_", m["name"]).strip("_").lower()
            return f"{name}_{m['uid']}"
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", stem).strip("_") or "unnamed"


def discover(folder: Path, module: str) -> list[Submission]:
    """Submissions in ``folder``: ``*.py`` files, or per-student folders with ``<module>.py``.

    Symlinks are never followed (a link to a grader file is not a submission).
    """
    found: dict[str, Submission] = {}
    for entry in sorted(folder.iterdir()):
        mode = entry.lstat().st_mode
        if entry.name.startswith("."):
            continue
        if stat.S_ISDIR(mode):
            file = entry / f"{module}.py"
            sub = Submission(entry.name, file)
        elif stat.S_ISREG(mode) and entry.suffix == ".py":
            sub = Submission(student_id(entry.name), entry)
        elif stat.S_ISLNK(mode):
            sub = Submission(student_id(entry.name), entry, note="a symbolic link")
        else:
            continue
        if sub.student in found:  # a resubmission: the later download name wins
            sub = Submission(sub.student, sub.path, note=f"replaces {found[sub.student].path.name}")
        found[sub.student] = sub
    return list(found.values())


def graders_fingerprint(grader: Grader) -> str:
    """Hash of the grader files: results graded by other graders are out of date."""
    h = hashlib.sha256()
    for q in grader.questions:
        h.update(q.path.read_bytes())
    return h.hexdigest()[:16]


def _file_hash(path: Path) -> str:
    try:
        if not stat.S_ISREG(path.lstat().st_mode):
            return "not-a-file"
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "missing"


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
) -> BatchSummary:
    """Grade every submission in ``submissions_dir`` that is not graded yet; write ``out``.

    With ``scheduler`` (``tcp://host:8786``) the grading runs on that Dask cluster
    instead of ``workers`` local processes. ``budget``: seconds all calls of one
    submission may take together (default: 10 times the call timeout).
    """
    grader = Grader(name, timeout=timeout, memory_mb=memory_mb, budget=budget)
    fingerprint = graders_fingerprint(grader)
    summary = BatchSummary(out=out)
    subs = discover(submissions_dir, grader.assignment.module)
    book = Gradebook(out / "grades.sqlite")
    try:
        done = {} if regrade else book.up_to_date(grader.assignment.name, fingerprint)
        todo = []
        for sub in subs:
            if done.get(sub.student) == _file_hash(sub.path):
                summary.skipped.append(sub.student)
            else:
                todo.append(sub)
        protect = [str(submissions_dir), str(out)]

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
                budget=budget,
            )
        elif workers <= 1:
            try:
                for sub in todo:
                    record(grade_one(grader, sub, protect))
            finally:
                grader.close()
        else:
            settings = WorkerSettings(name, timeout, memory_mb, budget)
            summary.problems += run_pool(
                settings,
                todo,
                protect,
                workers,
                record,
                lambda sub, why, flags: record(_grader_error(grader, sub, why, flags)),
            )
        write_outputs(book, grader, out)
    finally:
        book.close()
    return summary


def write_outputs(book: Gradebook, grader: Grader, out: Path) -> None:
    """Rebuild every output file of the assignment from the gradebook, atomically."""
    import json

    name = grader.assignment.name
    results = book.results(name)
    questions = [q.name for q in grader.questions]
    atomic_write(out / "gradebook.csv", gradebook_csv(results, questions))
    for r in results:
        atomic_write(
            out / "results" / f"{r.student}.json",
            json.dumps(r.to_gradescope(), indent=2, ensure_ascii=False) + "\n",
        )
        atomic_write(out / "feedback" / f"{r.student}.md", render_markdown(r))
    atomic_write(
        out / "report.md", render_report(results, assignment=name, title=grader.assignment.title)
    )
