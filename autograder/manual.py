"""Manually graded questions: points a teacher enters in a CSV, merged into every output.

A question no test can judge (oosterhout's written reflection) is declared in the
assignment's ``assignment.toml``::

    [[manual]]
    name = "r1_reflection"
    title = "R1: advice to the policy team"
    points = 5

and counts in every maximum. The teacher enters the points in a CSV (by default
``<out>/manual.csv``; ``clusterlab manual-template`` writes one with a row per
graded student), one row per student and question::

    student,question,points,comment
    bakker_tim,r1_reflection,4,"Clear advice; name the zorgsoort of cluster 2."
    smit_51234,r1_reflection,,

An empty ``points`` cell means *to be graded by the teacher*: that student's result
says so in every output (never a silent 0). The file is read after grading, on every
run of ``clusterlab grade``, and replaces the manual points kept in the SQLite
gradebook (table ``manual_grades``); it never causes a regrade. Each bad row (an
unknown student or question, points that are not a number or out of range, a second
row for the same student and question) is reported with its file and line and not
used; every other row is.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from autograder.assignment import ManualQuestion
from autograder.results import FAILED, NOT_RUN, PASSED, CaseResult, SubmissionResult

COLUMNS = ("student", "question", "points", "comment")
"""The columns of a manual-points CSV (``comment`` may be left out)."""

TO_BE_GRADED = "to be graded by the teacher"
"""What every output says of a manual question without points yet."""

DEFAULT_NAME = "manual.csv"
"""The file ``clusterlab grade`` reads from its ``--out`` folder unless ``--manual`` names one."""


class ManualFileError(ValueError):
    """The file as a whole cannot be read (missing, not text, no ``points`` column)."""


@dataclass(frozen=True)
class ManualEntry:
    """One student's points for one manual question."""

    student: str
    question: str
    points: float | None
    """None: to be graded by the teacher."""
    comment: str = ""
    """The teacher's words for the student (shown in their feedback)."""
    where: str = ""
    """``manual.csv line 3``: where the points were entered."""


@dataclass
class ManualRead:
    """What a manual-points file gave: the rows to use, and one sentence per bad row."""

    entries: list[ManualEntry] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _rows(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header (lower case) and the data rows with the line each starts on."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ManualFileError(f"{path} could not be read as a UTF-8 CSV file: {exc}") from None
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)  # Excel in a Dutch locale writes semicolons
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows, start = [], 1
    try:
        header = [h.strip().lower() for h in next(reader, [])]
        start = reader.line_num + 1
        for row in reader:
            if any(cell.strip() for cell in row):
                rows.append((start, row))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise ManualFileError(f"{path} line {start}: {exc}") from None
    missing = [c for c in COLUMNS[:3] if c not in header]
    if missing:
        raise ManualFileError(
            f"{path} has no {', '.join(missing)} column: its first line must name the columns "
            f"{','.join(COLUMNS)} (`clusterlab manual-template` writes one)"
        )
    return header, rows


def _number(text: str) -> float | None:
    text = text.strip().replace(",", ".")  # 3,5 from a Dutch spreadsheet
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def read(path: Path, questions: Sequence[ManualQuestion], students: Iterable[str]) -> ManualRead:
    """The usable rows of ``path`` and a sentence for each row that is not used.

    Raises
    ------
    ManualFileError
        When the file cannot be read at all (then nothing of it is used).
    """
    header, rows = _rows(path)
    col = {name: header.index(name) for name in COLUMNS if name in header}
    by_name = {q.name: q for q in questions}
    known = {s: s for s in students}
    folded: dict[str, list[str]] = {}
    for s in known:
        folded.setdefault(s.lower(), []).append(s)
    out = ManualRead()
    first_line: dict[tuple[str, str], int] = {}
    for line, row in rows:
        cells = {name: (row[i].strip() if i < len(row) else "") for name, i in col.items()}
        where = f"{path} line {line}"

        def bad(why: str, where=where) -> None:
            out.problems.append(f"{where}: {why}; this row is not used")

        student = cells["student"]
        if student not in known and len(folded.get(student.lower(), [])) == 1:
            student = folded[student.lower()][0]  # Bakker_Tim for bakker_tim
        question = by_name.get(cells["question"])
        if not student:
            bad("no student")
        elif student not in known:
            bad(f"no submission of {student!r} was graded (check the name in gradebook.csv)")
        elif question is None:
            choices = ", ".join(by_name) or "none: this assignment has no manual questions"
            bad(f"{cells['question']!r} is not a manually graded question (choose {choices})")
        elif (student, question.name) in first_line:
            first = first_line[(student, question.name)]
            bad(f"a second row for {student}, {question.name} (the first is line {first})")
        else:
            raw = cells["points"]
            points = _number(raw) if raw else None
            if raw and points is None:
                bad(f"points {raw!r} is not a number")
            elif points is not None and not 0 <= points <= question.points:
                bad(f"points {raw} is outside 0-{question.points:g} for {question.name}")
            else:
                first_line[(student, question.name)] = line
                out.entries.append(
                    ManualEntry(student, question.name, points, cells.get("comment", ""), where)
                )
    return out


def template(questions: Sequence[ManualQuestion], students: Iterable[str]) -> str:
    """A manual-points CSV with a row per student and manual question, points left empty."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    for student in students:
        for q in questions:
            writer.writerow([student, q.name, "", ""])
    return buf.getvalue()


def write_template(a, grades_dir: Path | None = None, out: Path | None = None) -> tuple[Path, int]:
    """Write :func:`template` for assignment ``a``: a row per student graded in the batch
    folder ``grades_dir`` (none without it), at ``out`` (default ``grades_dir/manual.csv``).
    Returns the path and the number of students; raises :class:`ManualFileError` for an
    assignment without manual questions, a folder without a gradebook, or a file that
    exists (a teacher's points are never overwritten)."""
    from autograder.gradebook import Gradebook, atomic_write

    if not a.manual:
        raise ManualFileError(
            f"{a.name} has no manually graded questions (declare them as [[manual]] in its "
            "assignment.toml)"
        )
    students: list[str] = []
    if grades_dir is not None:
        db = grades_dir / "grades.sqlite"
        if not db.is_file():
            raise ManualFileError(f"{grades_dir} has no grades.sqlite: name a batch's --out")
        book = Gradebook(db)
        try:
            students = [r.student for r in book.results(a.name, manual=False)]
        finally:
            book.close()
    target = out or (grades_dir or Path.cwd()) / DEFAULT_NAME
    if target.exists():
        raise ManualFileError(f"{target} exists: fill it in, or name another file with --out")
    atomic_write(target, template(a.manual, students))
    return target, len(students)


def case(question: ManualQuestion, entry: ManualEntry | None) -> CaseResult:
    """The result of a manual question as every output shows it."""
    if entry is None or entry.points is None:
        return CaseResult(
            question=question.name,
            name=question.title,
            score=0.0,
            max_score=question.points,
            status=NOT_RUN,
            output=TO_BE_GRADED,
            manual=True,
            detail=entry.where if entry else "",
        )
    return CaseResult(
        question=question.name,
        name=question.title,
        score=entry.points,
        max_score=question.points,
        status=PASSED if entry.points >= question.points else FAILED,
        output=entry.comment,
        manual=True,
        detail=f"entered in {entry.where}",
    )


def merge(
    results: list[SubmissionResult],
    questions: Sequence[ManualQuestion],
    entries: Iterable[ManualEntry],
) -> list[SubmissionResult]:
    """``results`` with a case per manual question appended (the given objects, changed)."""
    found = {(e.student, e.question): e for e in entries}
    for r in results:
        r.cases = [c for c in r.cases if not c.manual]
        r.cases += [case(q, found.get((r.student, q.name))) for q in questions]
    return results


@dataclass
class ManualSummary:
    """One manual question across the class, for the class report."""

    question: str
    title: str
    points: float
    entered: int
    mean: float | None
    to_be_graded: list[str]


def summarise(results: Sequence[SubmissionResult]) -> list[ManualSummary]:
    """Per manual question: how many have points, their mean, who is still to be graded."""
    out: dict[str, ManualSummary] = {}
    scores: dict[str, list[float]] = {}
    for r in results:
        for c in r.cases:
            if not c.manual:
                continue
            s = out.setdefault(
                c.question, ManualSummary(c.question, c.name, c.max_score, 0, None, [])
            )
            if c.status == NOT_RUN:
                s.to_be_graded.append(r.student)
            else:
                scores.setdefault(c.question, []).append(c.score)
    for q, s in out.items():
        got = scores.get(q, [])
        s.entered, s.mean = len(got), (sum(got) / len(got) if got else None)
    return list(out.values())
