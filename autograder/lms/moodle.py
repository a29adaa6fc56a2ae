"""Moodle: a gradebook export filled in for "Import > CSV file", or the grading worksheet.

Formats followed:

- Gradebook: ``grade/export/txt/grade_export_txt.php`` in moodle/moodle (Grades >
  Export > Plain text file): the user profile fields (``First name``, ``Last name``,
  ``ID number``, ``Institution``, ``Department``, ``Email address`` by default),
  ``Suspended`` when inactive users are included, one column per grade item named
  ``<Module>: <item> (<display type>)`` (``Assignment: Handwriting (Real)``), and the
  trailing ``Last downloaded from this course`` column holding a Unix time; written by
  ``csv_export_writer`` (quotes only where needed, the separator the teacher chose).
  Moodle's Import > CSV file maps a user by "Email address" or "ID number" and each
  column to a grade item (or to a new one); this file is matched the same way.
- Grading worksheet (the assignment's "Download grading worksheet"; uploaded with
  "Upload grading worksheet"): ``Identifier`` (``Participant 123456``: the participant
  id Moodle also writes into the download names), ``Full name``, ``Email address``,
  ``Status``, ``Grade``, ``Maximum Grade``, ... Students are matched on the participant
  id first.
"""

from __future__ import annotations

import re
from pathlib import Path

from autograder.lms import RosterRow, Sheet, find_column, logins
from autograder.lms.table import RosterError, Table

LAST_DOWNLOADED = "Last downloaded from this course"
_ITEM = re.compile(r"^(?:[^:]+:\s*)?(?P<item>.*?)(?:\s*\((?:Real|Percentage|Letter)\))?$")
_PARTICIPANT = re.compile(r"^\D*(\d+)$")


def _worksheet(table: Table, path: Path) -> Sheet:
    header = [h.strip() for h in table.header]
    ident, grade = header.index("Identifier"), header.index("Grade")
    cols = [header.index(c) for c in ("Email address", "Username", "ID number") if c in header]
    name = header.index("Full name") if "Full name" in header else ident
    rows = []
    for i, r in enumerate(table.rows[1:], 1):
        m = _PARTICIPANT.match(r[ident].strip())
        if not m:
            continue
        rows.append(
            RosterRow(
                index=i,
                label=f"{r[name].strip()} ({r[ident].strip()})",
                ids={m[1]},
                logins=logins(*(r[c] for c in cols)),
            )
        )
    return Sheet(table, grade, "Grade", False, rows)


def prepare(table: Table, *, names: list[str], max_points: float, path: Path) -> Sheet:
    """Find (or add) the grade item's column and the student rows of a Moodle export."""
    header = [h.strip() for h in table.header]
    if "Identifier" in header and "Grade" in header:
        return _worksheet(table, path)
    keys = [header.index(c) for c in ("Email address", "ID number", "Username") if c in header]
    if not keys:
        raise RosterError(
            f"{path} is not a Moodle grade export: it needs an 'Email address' or 'ID number' "
            "column (Grades > Export > Plain text file), or is a grading worksheet with "
            "'Identifier' and 'Grade'"
        )
    column = find_column(
        table,
        names,
        lambda h, name: h.lower() == name or (":" in h and _ITEM.match(h)["item"].lower() == name),
        "Moodle",
    )
    notes = []
    created = column is None
    if created:
        at = header.index(LAST_DOWNLOADED) if LAST_DOWNLOADED in header else len(header)
        column = table.insert_column(at, names[0])
        notes.append(
            f"in Moodle's import, map the column {names[0]!r} to the assignment's grade item "
            f"(or to a new grade item worth {max_points:g})"
        )
    first = header.index("First name") if "First name" in header else None
    last = header.index("Last name") if "Last name" in header else None
    rows = []
    for i, r in enumerate(table.rows[1:], 1):
        if not any(r[c].strip() for c in keys):
            continue
        name = " ".join(r[c] for c in (first, last) if c is not None).strip()
        rows.append(
            RosterRow(
                index=i,
                label=f"{name} ({next(r[c].strip() for c in keys if r[c].strip())})",
                logins=logins(*(r[c] for c in keys)),
            )
        )
    return Sheet(table, column, table.header[column], created, rows, notes)
