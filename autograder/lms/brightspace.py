"""Brightspace (D2L): a grades export filled in for Grades > Import.

Format followed: D2L's Brightspace help "Importing grades" (community.d2l.com,
article 3538) and its ``Grades_Sample_Import_File.csv``: users are identified by
``OrgDefinedId`` and/or ``Username``; a numeric item's column is ``<Item> Points
Grade``; the last column is ``End-of-Line Indicator`` with ``#`` in every row. A
grades export (Enter Grades > Export, key field "Both", "Points grade") has the same
shape, writes ``#`` before each OrgDefinedId and Username, may add ``Last Name``,
``First Name``, ``Email`` and section columns, and describes each item after its
name (``Handwriting Points Grade <Numeric MaxPoints:65 Weight:10 ...>``). A column
with a new item name and ``<Numeric MaxPoints:N>`` creates that item on import.
"""

from __future__ import annotations

import re
from pathlib import Path

from autograder.lms import RosterRow, Sheet, find_column, logins
from autograder.lms.table import RosterError, Table

END = "End-of-Line Indicator"
_POINTS = re.compile(r"^(?P<item>.*?) Points Grade(?:\s*<[^>]*>)?$")


def prepare(table: Table, *, names: list[str], max_points: float, path: Path) -> Sheet:
    """Find (or add) the item's ``Points Grade`` column and the user rows of an export."""
    header = [h.strip() for h in table.header]
    org = header.index("OrgDefinedId") if "OrgDefinedId" in header else None
    user = header.index("Username") if "Username" in header else None
    if org is None and user is None:
        raise RosterError(
            f"{path} is not a Brightspace grades export: it needs an OrgDefinedId or a "
            "Username column (Grades > Enter Grades > Export, key field 'Both')"
        )
    notes = []
    if END not in header:
        table.insert_column(len(header), END)
        for row in table.rows[1:]:
            row[-1] = "#"
        header.append(END)
        notes.append(f"added the {END!r} column Brightspace's import needs")
    column = find_column(
        table,
        names,
        lambda h, name: bool((m := _POINTS.match(h)) and m["item"].strip().lower() == name),
        "Brightspace",
    )
    created = column is None
    if created:
        column = table.insert_column(
            header.index(END), f"{names[0]} Points Grade <Numeric MaxPoints:{max_points:g}>"
        )
        notes.append(
            f"Brightspace will create the grade item {names[0]!r} worth {max_points:g} points "
            "when you import this file"
        )
    header = [h.strip() for h in table.header]
    extra = [header.index(c) for c in ("Email",) if c in header]
    first = header.index("First Name") if "First Name" in header else None
    last = header.index("Last Name") if "Last Name" in header else None
    rows = []
    for i, r in enumerate(table.rows[1:], 1):
        oid = r[org].strip().lstrip("#") if org is not None else ""
        uname = r[user].strip() if user is not None else ""
        if not oid and not uname:
            continue
        name = " ".join(r[c] for c in (first, last) if c is not None).strip()
        rows.append(
            RosterRow(
                index=i,
                label=f"{name or uname.lstrip('#')} ({'OrgDefinedId ' + oid if oid else uname})",
                ids={oid} if oid else set(),
                logins=logins(uname, *(r[c] for c in extra)),
            )
        )
    return Sheet(table, column, table.header[column], created, rows, notes)
