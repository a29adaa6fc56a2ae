"""Grade one submission: read it, run it in the sandbox, judge it with the assignment's cases."""

from __future__ import annotations

import atexit
import hashlib
import importlib.util
import os
import re
import shutil
import stat
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from autograder import assignment as assignment_mod
from autograder import notebooks
from autograder.intake import printable
from autograder.results import DID_NOT_IMPORT, NOT_RUN, UNREADABLE, CaseResult, SubmissionResult
from autograder.runner import CaseRunner, run_questions
from autograder.sandbox import audit
from autograder.sandbox.errors import ImportFailed
from autograder.sandbox.limits import Limits
from autograder.sandbox.session import Session
from autograder.sandbox.zygote_client import Zygote
from autograder.settings import Settings
from autograder.testfiles import Question, load_questions

MAX_SOURCE_BYTES = 1024 * 1024
"""Largest submission file accepted (a student module is a few kilobytes)."""


BUDGET_FACTOR = 10
"""A submission's time budget, in per-call timeouts, unless one is given."""

FAKE_RESULTS = re.compile(r'"(score|max_score|tests)"\s*:|all tests passed|\d+ passed', re.I)
"""Child output that imitates grading results (harmless, but worth telling the teacher)."""


def file_flags(source: bytes) -> list[str]:
    """What is odd about a submitted file as a file."""
    if not source.strip():
        return ["file: the file is empty"]
    if b"\0" in source:
        return ["file: the file contains binary data"]
    try:
        source.decode("utf-8")
    except UnicodeDecodeError:
        return ["file: the file is not UTF-8 text"]
    return []


class SubmissionUnreadable(Exception):
    """The file cannot be graded as Python source; the message is for the student."""


def read_source(path: Path) -> bytes:
    """Read a submission without following symlinks, bounded in size.

    The file is checked with ``lstat`` before it is opened, and opened non-blocking,
    so a named pipe, a device or a socket is refused without ever waiting on it.
    """
    try:
        mode = os.lstat(path).st_mode
    except OSError as exc:
        raise SubmissionUnreadable(f"the file could not be opened ({exc.strerror})") from None
    if stat.S_ISLNK(mode):
        raise SubmissionUnreadable("the submission is a symbolic link; submit the file itself")
    if not stat.S_ISREG(mode):
        raise SubmissionUnreadable("the submission is not a regular file")
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise SubmissionUnreadable(f"the file could not be opened ({exc.strerror})") from None
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise SubmissionUnreadable("the submission is not a regular file")
        data = fh.read(MAX_SOURCE_BYTES + 1)
    if len(data) > MAX_SOURCE_BYTES:
        raise SubmissionUnreadable(f"the file is larger than {MAX_SOURCE_BYTES // 1024} KB")
    return data


def module_source(path: Path, raw: bytes) -> bytes | notebooks.Converted:
    """The module to import: the file itself, or a notebook's code cells."""
    if not notebooks.looks_like_notebook(path.name, raw):
        return raw
    try:
        return notebooks.to_module(raw)
    except notebooks.NotebookError as exc:
        raise SubmissionUnreadable(str(exc)) from None


def _point_at_cells(result: SubmissionResult, nb: notebooks.Converted, path: Path, module: str):
    """Messages name the notebook's cell and line, not a line of the generated module."""
    named = path.name if path.name.lower().endswith(".ipynb") else "your notebook"

    def fix(text: str) -> str:
        return nb.remap(text).replace(f"{module}.py", named) if text else text

    result.message = fix(result.message)
    for case in result.cases:
        case.output, case.detail = fix(case.output), fix(case.detail)
    if not path.name.lower().endswith(".ipynb"):
        result.integrity.append(
            "file: this file is a Jupyter notebook saved with a .py name; its code cells "
            "were graded"
        )


class Grader:
    """Grades submissions of one assignment; one zygote, test files loaded once.

    Parameters
    ----------
    name : str
        Assignment name.
    public_only : bool
        Run only the public cases (``clusterlab check``).
    timeout : float, optional
        Seconds per call into student code (default: the assignment's).
    memory_mb : int, optional
        Address-space limit of the child (default: the assignment's).
    budget : float, optional
        Seconds all calls of one submission may take together (default:
        :data:`BUDGET_FACTOR` times ``timeout``); a submission over it fails its
        remaining cases with that reason.
    figures : bool
        After grading, draw the figures of the student's own results on public inputs
        (:mod:`autograder.figures`) for their feedback page.
    settings : Settings, optional
        A batch's resolved settings (:func:`autograder.settings.resolve`): its timeout,
        memory limit and budget, instead of the three arguments above.
    """

    def __init__(
        self,
        name: str | assignment_mod.Assignment,
        *,
        public_only: bool = False,
        timeout: float | None = None,
        memory_mb: int | None = None,
        test_files: list[Path] | None = None,
        budget: float | None = None,
        figures: bool = False,
        settings: Settings | None = None,
        zygote: Zygote | None = None,
    ):
        if settings is not None:
            timeout, memory_mb, budget = settings.timeout, settings.memory_mb, settings.budget
        self.assignment = (
            name if isinstance(name, assignment_mod.Assignment) else assignment_mod.load(name)
        )
        self._zygote: Zygote | None = zygote
        """Given already started (``Zygote(wait=False)``), its imports overlap ours."""
        self.public_only = public_only
        self.figures = figures
        self.figure_notes: list[str] = []
        """Why figures of the last submission are missing (for whoever debugs a figures.py)."""
        self.timeout = timeout or self.assignment.timeout
        self.memory_mb = memory_mb or self.assignment.memory_mb
        self.budget = budget or BUDGET_FACTOR * self.timeout
        files = test_files or self.assignment.grader_files()
        self.questions: list[Question] = load_questions(files, public_only=public_only)
        _one_thread()  # after the graders' imports: it limits the libraries loaded so far
        self.protected = [
            str(assignment_mod.GRADERS_DIR),
            str(assignment_mod.SOLUTIONS_DIR),
            str(assignment_mod.REPO_DIR / "tests"),
        ]

    @property
    def max_score(self) -> float:
        return sum(q.points for q in self.questions)

    @property
    def hidden_points(self) -> float:
        """Points of hidden cases this grader does not run (announced by ``check``)."""
        return sum(q.hidden_points for q in self.questions)

    def zygote(self) -> Zygote:
        if self._zygote is None or not self._zygote.alive():
            self._zygote = Zygote()
        return self._zygote

    def close(self) -> None:
        if self._zygote is not None:
            self._zygote.close()
            self._zygote = None

    def _not_run(self, reason: str) -> list[CaseResult]:
        return [
            CaseResult(
                question=c.question,
                name=c.name,
                score=0.0,
                max_score=c.points,
                status=NOT_RUN,
                output=reason,
                hidden=c.hidden,
            )
            for q in self.questions
            for c in q.cases
        ]

    def grade(
        self, path: str | Path, student: str | None = None, *, protect: list[str] = ()
    ) -> SubmissionResult:
        """Grade one file; never raises for anything the submission does."""
        path = Path(path)
        start = time.perf_counter()
        result = SubmissionResult(
            student=student or path.stem,
            assignment=self.assignment.name,
            source=str(path),
            hidden_points=self.hidden_points,
        )
        try:
            source = read_source(path)
            raw, notebook, source = source, None, module_source(path, source)
        except SubmissionUnreadable as exc:
            result.status, result.message = UNREADABLE, str(exc)
            result.cases = self._not_run(f"your file could not be graded: {exc}")
            target = printable(os.path.realpath(path)) if os.path.islink(path) else ""
            result.integrity = [f"file: {exc}" + (f" (-> {target})" if target else "")]
            return result
        if isinstance(source, notebooks.Converted):
            notebook, source = source, source.source.encode("utf-8")
            result.notes = list(notebook.notes)
        result.sha256 = hashlib.sha256(raw).hexdigest()
        lim = Limits(cpu_seconds=int(max(60, self.timeout * 10)), memory_mb=self.memory_mb)
        session = Session(
            self.zygote(),
            module_name=self.assignment.module,
            source=source,
            data_files=[str(p) for p in self.assignment.data_paths],
            limits=lim,
            timeout=self.timeout,
            protected=[*self.protected, *protect],
            budget=self.budget,
        )
        try:
            try:
                session.start()
                import_error = None
            except ImportFailed as exc:
                import_error = exc.student_message
                result.status, result.message = DID_NOT_IMPORT, import_error
            runner = CaseRunner(
                session,
                module=self.assignment.module,
                source=source.decode("utf-8", "replace"),
                import_error=import_error,
            )
            memo = self._figure_memo(session, runner) if self.figures else None
            result.cases = run_questions(self.questions, runner)
        finally:
            session.close()
        result.output = session.output
        if self.public_only:  # no hidden case ran: the student may see what their code printed
            result.student_output, result.printed_bytes = session.output, session.printed_bytes
        result.warnings = [f"missing protection: {m}" for m in session.missing]
        if notebook is not None:
            _point_at_cells(result, notebook, path, self.assignment.module)
        result.integrity = (
            file_flags(source)
            + result.integrity
            + session.events
            + [f"source: {flag}" for flag in audit.scan_source(source)]
        )
        if FAKE_RESULTS.search(result.output):
            result.integrity.append("output: printed text that looks like grading results")
        result.seconds = time.perf_counter() - start
        if self.figures and import_error is None:
            from autograder.figures import make_figures

            try:
                result.figures, self.figure_notes = make_figures(
                    self.assignment,
                    self.zygote(),
                    source,
                    protected=[*self.protected, *protect],
                    memory_mb=self.memory_mb,
                    # a function that ran out of time in grading would only do so again
                    names={k: v for k, v in session.names.items() if k not in runner.timed_out},
                    memo=memo,
                )
            except Exception as exc:  # figures never cost a grade, whatever went wrong
                result.figures, self.figure_notes = [], [f"{type(exc).__name__}: {exc}"]
        return result

    @staticmethod
    def _figure_memo(session: Session, runner: CaseRunner):
        """Record the public cases' calls for the figures; stop at the first hidden case."""
        from autograder.figures import CallMemo

        memo = CallMemo()
        memo.record(session)
        run = runner.run

        def run_case(case):
            if case.hidden:
                memo.stop()
            return run(case)

        runner.run = run_case
        return memo


def _one_thread() -> None:
    """One BLAS/OpenMP thread for the grader's own numbers (reference fits, distances).

    The grader runs beside single-threaded sandbox children on a few cores; a second
    thread only contends with them (the reference fit of `check` took 1.8 s instead of
    0.1 s on a loaded 2-core machine).
    """
    # libraries loaded later (a grader that imports scikit-learn only when it needs it)
    # read these when they load; those loaded already are limited below
    os.environ.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # threadpoolctl comes with scikit-learn; without it, nothing to limit
        return
    threadpool_limits(1)


class BareGrader(Grader):
    """The same cases with the student module imported in this process: no sandbox.

    Only for measuring the sandbox's overhead (``make bench``) and for debugging a
    grader; never for grading students.
    """

    def grade(
        self, path: str | Path, student: str | None = None, *, protect: list[str] = ()
    ) -> SubmissionResult:
        path = Path(path)
        start = time.perf_counter()
        result = SubmissionResult(student=student or path.stem, assignment=self.assignment.name)
        tmp = tempfile.mkdtemp(prefix="clusterlab-bare-")
        mod_name = f"_bare_{uuid.uuid4().hex}"
        try:
            shutil.copyfile(path, os.path.join(tmp, f"{mod_name}.py"))
            for p in self.assignment.data_paths:
                shutil.copyfile(p, os.path.join(tmp, p.name))
            spec = importlib.util.spec_from_file_location(
                mod_name, os.path.join(tmp, f"{mod_name}.py")
            )
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            bindings = _ModuleBindings(module)
            runner = CaseRunner(
                bindings, module=self.assignment.module, source=path.read_text(errors="replace")
            )
            result.cases = run_questions(self.questions, runner)
        finally:
            sys.modules.pop(mod_name, None)
            shutil.rmtree(tmp, ignore_errors=True)
        result.seconds = time.perf_counter() - start
        return result


class _ModuleBindings:
    def __init__(self, module: Any):
        self.module = module
        self.names = {
            k: ("callable" if callable(v) else "value")
            for k, v in vars(module).items()
            if not k.startswith("__")
        }

    def binding(self, name: str) -> Any:
        return getattr(self.module, name)


_GRADERS: dict[tuple, Grader] = {}


def grade_submission(
    assignment: str,
    path: str | Path,
    *,
    public_only: bool = False,
    timeout: float | None = None,
    memory_mb: int | None = None,
    student: str | None = None,
) -> SubmissionResult:
    """Grade one submission in the sandbox (public and hidden cases unless ``public_only``).

    Graders (and their zygotes) are kept per settings for the life of the process,
    so a test suite grading many fixtures pays the warm-up once.
    """
    key = (assignment, public_only, timeout, memory_mb)
    if key not in _GRADERS:
        _GRADERS[key] = Grader(
            assignment, public_only=public_only, timeout=timeout, memory_mb=memory_mb
        )
    return _GRADERS[key].grade(path, student=student)


@atexit.register
def _close_graders() -> None:
    for grader in _GRADERS.values():
        grader.close()
