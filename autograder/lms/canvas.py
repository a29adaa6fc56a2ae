"""Canvas: the Gradebook's "Export Entire Gradebook" CSV, filled in for "Import".

Format followed: Canvas's own exporter, ``lib/gradebook_exporter.rb`` in
instructure/canvas-lms (header ``Student, ID, SIS User ID, SIS Login ID, Section``
(``SIS User ID`` only when the teacher may see SIS ids; ``LastName, FirstName``
instead of ``Student`` when the course shows split names), then custom columns,
one column per assignment titled ``Title (id)``, then read-only totals; a second
row ``    Points Possible`` with the points of each assignment and ``(read only)``
under the totals, sometimes preceded by a "Manual Posting" row; Ruby's CSV quoting;
a byte order mark when the user's setting asks for one), and the Canvas
Instructor Guide "How do I import grades in the Gradebook?": rows are matched on
the student's ID, an assignment column is ``Title (id)``, and a column without an
id creates a new assignment worth what its Points Possible cell says.
"""

from __future__ import annotations

import re
from pathlib import Path

from autograder.lms import RosterRow, Sheet, find_column, logins
from autograder.lms.table import RosterError, Table

POINTS_POSSIBLE = "Points Possible"
_TITLE_ID = re.compile(r"^(?P<title>.*?)\s*\((?P<id>\d+)\)$")
# the read-only totals Canvas appends after the assignments (see BUFFER_COLUMN_DEFINITIONS)
_TOTALS = ("Current Points", "Final Points", "Current Score", "Unposted Current Score")


def _fits(header: str, name: str) -> bool:
    m = _TITLE_ID.match(header)
    return header.lower() == name or bool(m and m["title"].lower() == name)


def prepare(table: Table, *, names: list[str], max_points: float, path: Path) -> Sheet:
    """Find (or add) the assignment's column and the student rows of a Canvas export."""
    header = [h.strip() for h in table.header]
    if "ID" not in header or "SIS Login ID" not in header or "Section" not in header:
        raise RosterError(
            f"{path} is not a Canvas gradebook export: it needs the columns Student, ID, "
            "SIS Login ID and Section (Grades > Export > Export Entire Gradebook)"
        )
    id_col = header.index("ID")
    sis_cols = [header.index(c) for c in ("SIS Login ID", "SIS User ID") if c in header]
    name_cols = [header.index(c) for c in ("Student", "LastName", "FirstName") if c in header]
    points_row = next(
        (i for i, r in enumerate(table.rows[1:], 1) if r[0].strip() == POINTS_POSSIBLE), None
    )
    notes = []
    column = find_column(table, names, _fits, "Canvas")
    created = column is None
    if created:
        # before the read-only totals, so the file reads like Canvas's own
        at = next((i for i, h in enumerate(header) if h.startswith(_TOTALS)), len(header))
        column = table.insert_column(at, names[0])
        if points_row is None:
            # a Points Possible row tells Canvas what the new assignment is worth
            table.rows.insert(1, [""] * len(table.header))
            table.rows[1][0] = "    " + POINTS_POSSIBLE
            points_row = 1
        table.rows[points_row][column] = f"{max_points:g}"
        notes.append(
            f"Canvas will create the assignment {names[0]!r} worth {max_points:g} points "
            "when you import this file"
        )
    elif points_row is not None:
        possible = table.rows[points_row][column].strip()
        try:
            if possible and abs(float(possible) - max_points) > 1e-6:
                notes.append(
                    f"Canvas's {table.header[column]!r} is worth {possible} points but the "
                    f"scores are out of {max_points:g}: change the assignment's points, or "
                    "use --percent for an assignment worth 100"
                )
        except ValueError:
            pass
    rows = []
    for i, r in enumerate(table.rows[1:], 1):
        if not r[id_col].strip() or r[0].strip() == POINTS_POSSIBLE:
            continue  # Points Possible, Manual Posting
        name = " ".join(r[c] for c in name_cols).strip()
        rows.append(
            RosterRow(
                index=i,
                label=f"{name} (ID {r[id_col].strip()})",
                ids={r[id_col].strip()},
                logins=logins(*(r[c] for c in sis_cols)),
            )
        )
    return Sheet(table, column, table.header[column], created, rows, notes)
