"""A CSV file read and written back in its own dialect: BOM, delimiter, quoting, line ends.

An LMS checks an import file against what it exported, so the file we hand back
keeps every byte-level habit of the roster the teacher downloaded: a UTF-8 byte
order mark if it had one (Canvas and Brightspace can write one), its delimiter
(Canvas and Moodle let a teacher choose ``;`` or a tab), whether every field is
quoted, and ``\\r\\n`` or ``\\n`` line ends. Only the cells we fill change.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

BOM = "\ufeff"


class RosterError(ValueError):
    """The roster is not a gradebook export this LMS could have written; the message says why."""


@dataclass
class Table:
    """The rows of a CSV file (header first) and how the file was written."""

    rows: list[list[str]]
    """Every row, the header first; short rows are padded to the header's width."""
    bom: bool = False
    """The file started with a UTF-8 byte order mark."""
    delimiter: str = ","
    """Field separator."""
    quote_all: bool = False
    """Every field was quoted (else only fields that need it)."""
    newline: str = "\n"
    """Line terminator."""
    trailing_newline: bool = True
    """The last row ended with a line terminator."""
    notes: list[str] = field(default_factory=list)

    @property
    def header(self) -> list[str]:
        return self.rows[0]

    def column(self, name: str) -> int | None:
        """Index of the column called ``name`` (exact, surrounding spaces ignored), or None."""
        for i, h in enumerate(self.header):
            if h.strip() == name:
                return i
        return None

    def insert_column(self, index: int, name: str, fill: str = "") -> int:
        for row in self.rows:
            row.insert(index, fill)
        self.rows[0][index] = name
        return index

    def dumps(self) -> str:
        out = io.StringIO()
        writer = csv.writer(
            out,
            delimiter=self.delimiter,
            quoting=csv.QUOTE_ALL if self.quote_all else csv.QUOTE_MINIMAL,
            lineterminator=self.newline,
        )
        writer.writerows(self.rows)
        text = out.getvalue()
        if not self.trailing_newline and text.endswith(self.newline):
            text = text[: -len(self.newline)]
        return (BOM if self.bom else "") + text


def read_table(path: Path) -> Table:
    """Read a roster file; raise :class:`RosterError` when it is not a CSV with a header."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RosterError(f"{path} could not be read ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        # Excel on Windows saves "CSV" as cp1252; LMSes import it as such
        text = raw.decode("cp1252", errors="strict")
    bom = text.startswith(BOM)
    if bom:
        text = text[1:]
    if not text.strip():
        raise RosterError(f"{path} is empty")
    first = text.splitlines()[0]
    newline = "\r\n" if "\r\n" in text[: len(first) + 2] else "\n"
    try:
        delimiter = csv.Sniffer().sniff(first, delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ","
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    rows = [r for r in rows if any(cell.strip() for cell in r)] if rows else rows
    if not rows:
        raise RosterError(f"{path} has no header row")
    width = len(rows[0])
    for row in rows:
        row.extend([""] * (width - len(row)))
    fields = first.split(delimiter)
    quote_all = all(f.startswith('"') and f.endswith('"') and len(f) >= 2 for f in fields)
    return Table(
        rows=rows,
        bom=bom,
        delimiter=delimiter,
        quote_all=quote_all,
        newline=newline,
        trailing_newline=text.endswith(("\n", "\r")),
    )
