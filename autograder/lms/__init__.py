"""Grades where courses keep them: the import files of Canvas, Moodle and Brightspace.

:func:`export_grades` takes a batch's output folder and the gradebook the LMS
exported (its "roster") and writes that file back with the assignment's column
filled in. Students are matched by the id the LMS put into the download names,
then by login or email; everyone who could not be matched, on either side, is
listed and nothing is guessed. The LMS-specific parts (which columns hold ids,
which column is the grade) live in :mod:`.canvas`, :mod:`.moodle` and
:mod:`.brightspace`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from autograder.gradebook import atomic_write
from autograder.lms.grades import Graded, assignments_in, load_graded
from autograder.lms.table import RosterError, Table, read_table

LMSES = ("canvas", "moodle", "brightspace")

__all__ = ["LMSES", "ExportReport", "RosterError", "RosterRow", "Sheet", "export_grades"]


@dataclass
class RosterRow:
    """One student row of the roster, as the matcher sees it."""

    index: int
    """Row number in the table (0 is the header)."""
    label: str
    """How the row is named in messages (name and id)."""
    ids: set[str] = field(default_factory=set)
    """The LMS ids of the row (Canvas ID, Moodle participant id, OrgDefinedId)."""
    logins: set[str] = field(default_factory=set)
    """Lower-case logins and emails (and the part of an email before the @)."""


@dataclass
class Sheet:
    """The roster prepared by an LMS module: where the grades go and who the rows are."""

    table: Table
    column: int
    """Index of the grade column."""
    column_name: str
    created: bool
    """The grade column was added (the LMS creates the item on import)."""
    rows: list[RosterRow]
    notes: list[str] = field(default_factory=list)


@dataclass
class ExportReport:
    """What :func:`export_grades` wrote and whom it could not place."""

    out: Path
    lms: str
    assignment: str
    column: str
    created: bool = False
    written: list[str] = field(default_factory=list)
    """Students whose score was written."""
    left_empty: list[str] = field(default_factory=list)
    """``student: why`` for matched students whose cell was left as it was (late, ungraded)."""
    zeroed: list[str] = field(default_factory=list)
    """Roster rows given 0 (with ``missing_as_zero``)."""
    unmatched_students: list[str] = field(default_factory=list)
    """``student: why`` for graded students with no roster row."""
    unmatched_rows: list[str] = field(default_factory=list)
    """Roster rows with no graded submission."""
    notes: list[str] = field(default_factory=list)


def _fmt(x: float) -> str:
    text = f"{round(x, 2):.2f}".rstrip("0").rstrip(".")
    return text if text not in ("-0", "") else "0"


def match(
    graded: list[Graded], rows: list[RosterRow], lms: str
) -> tuple[dict[int, Graded], list[str]]:
    """Pair students with roster rows: by LMS id first, then by login or email.

    Returns the pairs (row index -> student) and ``student: why`` for everyone unmatched.
    A key that fits more than one row, or a row claimed twice, is never resolved by guessing.
    """
    pairs: dict[int, Graded] = {}
    unmatched: list[str] = []
    later: list[Graded] = []
    by_id: dict[str, list[RosterRow]] = {}
    for row in rows:
        for i in row.ids:
            by_id.setdefault(i, []).append(row)
    for g in graded:
        lms_id = g.ids.get(lms)
        hits = by_id.get(lms_id, []) if lms_id else []
        if len(hits) == 1 and hits[0].index not in pairs:
            pairs[hits[0].index] = g
        elif len(hits) > 1:
            unmatched.append(f"{g.student}: id {lms_id} is on {len(hits)} roster rows")
        elif hits:
            other = pairs[hits[0].index].student
            unmatched.append(f"{g.student}: id {lms_id} is already matched to {other}")
        else:
            later.append(g)
    for g in later:
        keys = g.logins or {g.student.lower()}
        key = min(keys, key=len)
        hits = [r for r in rows if keys & r.logins]
        lms_id = g.ids.get(lms)
        why_no_id = f"no roster row has id {lms_id}" if lms_id else "no LMS id in the file name"
        if len(hits) == 1 and hits[0].index not in pairs:
            pairs[hits[0].index] = g
        elif len(hits) > 1:
            labels = ", ".join(r.label for r in hits)
            unmatched.append(f"{g.student}: {why_no_id}, and the login fits {labels}")
        elif hits:
            other = pairs[hits[0].index].student
            unmatched.append(f"{g.student}: its login's row is already matched to {other}")
        else:
            unmatched.append(f"{g.student}: {why_no_id}, and no login or email is {key!r}")
    return pairs, unmatched


def find_column(
    table: Table, names: list[str], fits: Callable[[str, str], bool], lms: str
) -> int | None:
    """The one column whose header ``fits`` the first of ``names`` that any fits, or None.

    ``fits(header, name)`` gets the stripped header and a lower-case name; two columns
    that fit the same name are an error that names them (``--column`` settles it).
    """
    for name in [n.strip().lower() for n in names if n]:
        found = [i for i, h in enumerate(table.header) if fits(h.strip(), name)]
        if len(found) > 1:
            cols = ", ".join(table.header[i] for i in found)
            raise RosterError(f"several {lms} columns fit {name!r} ({cols}): pass --column")
        if found:
            return found[0]
    return None


def logins(*values: str) -> set[str]:
    """Lower-case login keys of a row: each value, and an email's part before the @."""
    out = set()
    for v in values:
        v = v.strip().lstrip("#").lower()
        if v:
            out.add(v)
            if "@" in v:
                out.add(v.split("@", 1)[0])
    return out


def export_grades(
    grades_dir: Path,
    *,
    lms: str,
    roster: Path,
    out: Path,
    assignment: str | None = None,
    column: str | None = None,
    percent: bool = False,
    include_late: bool = False,
    missing_as_zero: bool = False,
    include_unfinished: bool = False,
) -> ExportReport:
    """Write ``out``: the LMS's gradebook export ``roster`` with the assignment's scores.

    Parameters
    ----------
    grades_dir : Path
        A batch's ``--out`` folder (its ``grades.sqlite`` is read).
    lms : {"canvas", "moodle", "brightspace"}
        Whose export ``roster`` is.
    roster, out : Path
        The LMS's own gradebook export, and where to write the import file.
    assignment : str, optional
        Which assignment of ``grades_dir`` (needed when it holds several).
    column : str, optional
        The LMS's name of the grade item (default: the assignment's title, then its name).
    percent : bool
        Write percentages instead of points.
    include_late : bool
        Write the scores of submissions the LMS marked late (default: left empty).
    missing_as_zero : bool
        Write 0 for roster students without a graded submission and for submissions
        that could not be graded (default: left empty).
    include_unfinished : bool
        Write the scores of students with manually graded questions still to be graded
        by the teacher, without those points (default: left empty).
    """
    from autograder import assignment as assignment_mod
    from autograder.lms import brightspace, canvas, moodle
    from autograder.manual import TO_BE_GRADED

    if lms not in LMSES:
        raise RosterError(f"unknown LMS {lms!r}: choose one of {', '.join(LMSES)}")
    graded_here = assignments_in(grades_dir)
    if not graded_here:
        raise RosterError(f"{grades_dir} has no grades.sqlite: pass the --out folder of a batch")
    if assignment is None:
        if len(graded_here) > 1:
            raise RosterError(
                f"{grades_dir} holds {', '.join(graded_here)}: choose one with --assignment"
            )
        assignment = graded_here[0]
    elif assignment not in graded_here:
        raise RosterError(
            f"{grades_dir} has no grades of {assignment!r} ({', '.join(graded_here)})"
        )
    graded = load_graded(grades_dir, assignment)
    try:
        title = assignment_mod.load(assignment).title
    except (assignment_mod.UnknownAssignment, ValueError):
        title = assignment
    max_points = max((g.max_score for g in graded), default=0.0)
    names = [column] if column else [title, assignment]
    module = {"canvas": canvas, "moodle": moodle, "brightspace": brightspace}[lms]
    table = read_table(roster)
    sheet = module.prepare(
        table, names=names, max_points=100.0 if percent else max_points, path=roster
    )
    report = ExportReport(
        out=out, lms=lms, assignment=assignment, column=sheet.column_name, created=sheet.created
    )
    report.notes.extend(sheet.notes)
    pairs, report.unmatched_students = match(graded, sheet.rows, lms)
    if not any(r.ids for r in sheet.rows) and any(lms in g.ids for g in graded):
        report.notes.append(
            f"this roster has no {lms} ids, so downloads are matched by login and email only"
            + (
                ": the assignment's grading worksheet has participant ids"
                if lms == "moodle"
                else ""
            )
        )
    for row in sheet.rows:
        g = pairs.get(row.index)
        cells = table.rows[row.index]
        if g is None:
            report.unmatched_rows.append(row.label)
            if missing_as_zero:
                cells[sheet.column] = "0"
                report.zeroed.append(row.label)
            continue
        if not g.scored:
            if missing_as_zero:
                cells[sheet.column] = "0"
                report.zeroed.append(f"{g.student} ({g.status})")
            else:
                report.left_empty.append(f"{g.student}: not graded ({g.status})")
            continue
        if g.late and not include_late:
            report.left_empty.append(f"{g.student}: late")
            continue
        if g.to_be_graded and not include_unfinished:
            report.left_empty.append(f"{g.student}: {', '.join(g.to_be_graded)} {TO_BE_GRADED}")
            continue
        cells[sheet.column] = _fmt(g.percent if percent else g.score)
        report.written.append(g.student)
    atomic_write(out, table.dumps())
    return report
