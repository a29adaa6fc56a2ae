"""What the LMS files are made from: one record per graded student of a batch's ``--out``.

The LMS ids of a student (Canvas user id, Moodle participant id, Brightspace
OrgDefinedId) come from the names the LMS gave the downloaded files;
:func:`lms_ids` is the one place that reads them.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from autograder.gradebook import Gradebook
from autograder.results import DID_NOT_IMPORT, GRADED, SubmissionResult

# Canvas "Download Submissions": lastname_12345_67890_handwriting.py, late ones
# lastname_late_12345_67890_handwriting.py (12345 is the Canvas user id, the ID column).
_CANVAS = re.compile(
    r"^(?P<name>[^_]+?)(?P<late>_late)?_(?P<uid>\d+)_(?P<sub>\d+)_(?P<orig>.+)$", re.I
)
# Moodle "Download all submissions": Firstname Lastname_123456_assignsubmission_file_x.py
# (123456 is the participant id, "Participant 123456" in the grading worksheet).
_MOODLE = re.compile(r"^(?P<name>.+?)_(?P<uid>\d+)_assignsubmission_(?:file|onlinetext)_", re.I)
# Brightspace download names ("94837-112233 - Sanne de Vries- Dec 4, 2026 1022 AM -
# handwriting.py") carry submission ids, not the OrgDefinedId: Brightspace students
# are matched by Username or email until the intake records carry the OrgDefinedId.

SCORED = (GRADED, DID_NOT_IMPORT)
"""Statuses whose score counts: the grader ran (a module that does not import earns 0)."""


@dataclass
class Graded:
    """One student's result as the LMS files need it."""

    student: str
    """The student key of the batch (file or folder name)."""
    score: float
    max_score: float
    status: str
    """The result's status; only :data:`SCORED` statuses carry a score to the LMS."""
    source: str = ""
    """The file that was graded."""
    ids: dict[str, str] = field(default_factory=dict)
    """LMS -> the id the LMS put into the download name (``canvas``, ``moodle``)."""
    late: bool = False
    """The LMS marked the download as late."""
    to_be_graded: list[str] = field(default_factory=list)
    """Manual questions whose points the teacher has not entered yet (the score lacks them)."""
    logins: set[str] = field(default_factory=set)
    """Lower-case keys that may be the student's login: the student key, and the name the
    file or repository was found as in the download (``tom.smit`` for a cloned repository)."""

    @property
    def percent(self) -> float:
        return 100.0 * self.score / self.max_score if self.max_score else 0.0

    @property
    def scored(self) -> bool:
        return self.status in SCORED


def lms_ids(student: str, source: str) -> tuple[dict[str, str], bool]:
    """The LMS ids in a submission's download name, and whether it was marked late.

    Parameters
    ----------
    student : str
        The batch's student key (``bakker_48213`` for a Canvas download).
    source : str
        Path of the graded file; its name (or its folder's, for cloned repositories)
        is the download name.

    Returns
    -------
    ids : dict
        ``{"canvas": "48213"}``, ``{"moodle": "123456"}`` or ``{}``.
    late : bool
        The download name says the submission was late (Canvas adds ``_late``).
    """
    ids: dict[str, str] = {}
    late = False
    for name in (Path(source).name, Path(source).parent.name, student):
        stem = name[:-3] if name.endswith(".py") else name
        if m := _CANVAS.match(stem):
            ids.setdefault("canvas", m["uid"])
            late = late or bool(m["late"])
        elif m := _MOODLE.match(stem):
            ids.setdefault("moodle", m["uid"])
    return ids, late


def assignments_in(grades_dir: Path) -> list[str]:
    """The assignments graded into ``grades_dir`` (a batch's ``--out``)."""
    db = grades_dir / "grades.sqlite"
    if not db.is_file():
        return []
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = con.execute("SELECT DISTINCT assignment FROM submissions ORDER BY 1").fetchall()
    finally:
        con.close()
    return [r[0] for r in rows]


def from_result(result: SubmissionResult, identity: dict[str, str] | None = None) -> Graded:
    """``result`` as the LMS files need it; ``identity`` is intake's record of the download."""
    identity = identity or {}
    ids, late = lms_ids(result.student, identity.get("found_as") or result.source)
    if identity.get("lms") in ("canvas", "moodle") and identity.get("lms_user_id"):
        ids[identity["lms"]] = identity["lms_user_id"]
    keys = {result.student.lower()}
    if found := identity.get("found_as", ""):
        keys.add(Path(found).name.removesuffix(".py").removesuffix(".ipynb").lower())
    # the intake's record, once results carry it: the LMS and the user id it read from the
    # download. Brightspace's download names hold its internal user id, which its grade
    # exports do not have, so only an OrgDefinedId the record names as such is used.
    lms, uid = getattr(result, "lms", ""), getattr(result, "lms_user_id", "")
    if lms in ("canvas", "moodle") and uid:
        ids[lms] = str(uid)
    if org := getattr(result, "org_defined_id", ""):
        ids["brightspace"] = str(org)
    return Graded(
        student=result.student,
        score=result.score,
        max_score=result.max_score,
        status=result.status,
        source=result.source,
        ids=ids,
        late=late,
        to_be_graded=[c.question for c in result.to_be_graded],
        logins=keys,
    )


def load_graded(grades_dir: Path, assignment: str) -> list[Graded]:
    """Every student of ``assignment`` in the batch folder ``grades_dir``."""
    book = Gradebook(grades_dir / "grades.sqlite")
    try:
        found = book.identities(assignment)
        return [from_result(r, found.get(r.student)) for r in book.results(assignment)]
    finally:
        book.close()
