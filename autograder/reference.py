"""The reference gate: before a batch, the reference solution must earn full marks.

A starved setting (``--memory 450``, ``--timeout 1``) makes honest code fail; if the
batch ran anyway, every student would lose points for the teacher's setting. So the
reference solution (``solutions/<name>.py``) is graded first under the batch's
settings, once per fingerprint (the result is kept in the gradebook). If it loses
points the batch stops and names the likely setting, unless ``force`` is given;
then every result carries the warning.
"""

from __future__ import annotations

from pathlib import Path

from autograder.assignment import SOLUTIONS_DIR, Assignment
from autograder.gradebook import Gradebook
from autograder.grading import Grader
from autograder.results import ERROR, FAILED, SubmissionResult
from autograder.sandbox.limits import CLOSED_INSTALL
from autograder.settings import Settings

_MEMORY_SIGNS = ("memory", "ended the sandbox process", "killed")
_TIME_SIGNS = ("stopped", "within", "time budget", "took longer", "timed out")


class ReferenceFailed(RuntimeError):
    """The reference solution lost points under these settings; the message says why."""


def solution_path(assignment: Assignment) -> Path:
    """Where the assignment's reference solution lives."""
    folder = assignment.root / "solutions" if assignment.root else SOLUTIONS_DIR
    return folder / f"{assignment.name}.py"


_CLOSED_MARK = CLOSED_INSTALL.split("{folder}")[1][:26]
"""What every warning made from CLOSED_INSTALL holds right after its folder (" is closed
to other users:"), before the protocol's 200-character cut can reach it."""


def likely_cause(outputs: list[str], settings: Settings) -> str:
    """The setting most likely behind the reference's lost points, with where it came from."""
    text = " ".join(outputs).lower()
    if "time budget" in text:
        return f"the time budget of a submission ({settings.describe('budget')})"
    if any(sign in text for sign in _TIME_SIGNS):
        return f"the time limit ({settings.describe('timeout')})"
    if any(sign in text for sign in _MEMORY_SIGNS):
        return f"the memory limit ({settings.describe('memory_mb')})"
    return "not a setting: the graders or this machine (run `clusterlab check` on the solution)"


REFERENCE_ID = "reference solution"
"""The student id the reference is graded under in a worker pool (a space: no student's)."""


def reference_to_grade(grader: Grader, book: Gradebook, fingerprint: str) -> Path | None:
    """The reference solution's path if it must be graded for this fingerprint, else None
    (checked before under these settings, or there is no reference)."""
    solution = solution_path(grader.assignment)
    if not solution.is_file() or book.reference(grader.assignment.name, fingerprint):
        return None
    return solution


def check_reference(
    grader: Grader, settings: Settings, book: Gradebook, fingerprint: str, *, force: bool = False
) -> str:
    """Grade the reference once per fingerprint; return a warning ("" if it scored 100%).

    Raises
    ------
    ReferenceFailed
        When the reference loses points and ``force`` is false.
    """
    solution = solution_path(grader.assignment)
    if not solution.is_file():
        return f"no reference solution at {solution}: the batch's settings were not checked"
    if book.reference(grader.assignment.name, fingerprint) is None:
        record_reference(grader, settings, book, fingerprint, grader.grade(solution, REFERENCE_ID))
    return reference_verdict(grader, book, fingerprint, force=force)


def record_reference(
    grader: Grader, settings: Settings, book: Gradebook, fingerprint: str, result: SubmissionResult
) -> None:
    """Keep the reference's score (and the likely cause of lost points) for this fingerprint."""
    lost = [c.output for c in result.cases if c.status == FAILED or c.score < c.max_score]
    cause = likely_cause(lost + [result.message], settings) if lost else ""
    closed = [w.split(": ", 1)[-1] for w in result.warnings if _CLOSED_MARK in w]
    if lost and closed:  # the sandbox could not read the Python installation (no view)
        cause = f"not a setting: this machine ({closed[0]})"
    if result.status == ERROR:  # a worker could not grade it: no setting is to blame
        cause = f"not a setting: grading it failed ({result.message[:300]})"
    book.record_reference(
        grader.assignment.name, fingerprint, result.score, result.max_score, cause
    )


def reference_verdict(grader: Grader, book: Gradebook, fingerprint: str, *, force: bool) -> str:
    """The warning of the recorded reference result ("" if it scored 100%).

    Raises
    ------
    ReferenceFailed
        When the reference lost points and ``force`` is false.
    """
    score, max_score, cause = book.reference(grader.assignment.name, fingerprint)
    if score >= max_score:
        return ""
    message = (
        f"the reference solution scored {score:g}/{max_score:g} under this batch's settings; "
        f"likely cause: {cause}"
    )
    if not force:
        raise ReferenceFailed(f"{message}. Change that setting, or add --force to grade anyway")
    return f"{message} (graded anyway with --force: scores may be too low)"
