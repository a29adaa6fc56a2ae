"""The gradebook: a SQLite database that makes a batch resumable, and the files made from it.

Each graded submission is committed in one transaction, so a batch killed at
any moment loses at most the submissions that were being graded. Every output
file (per-student JSON, ``gradebook.csv``, feedback, report) is rebuilt from the
database and written atomically (temporary file, then rename).
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from autograder.results import SubmissionResult

SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
    assignment  TEXT NOT NULL,
    student     TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    graders     TEXT NOT NULL,
    score       REAL NOT NULL CHECK (score >= 0),
    max_score   REAL NOT NULL CHECK (max_score >= score),
    status      TEXT NOT NULL,
    result_json TEXT NOT NULL,
    graded_at   TEXT NOT NULL,
    PRIMARY KEY (assignment, student)
);
CREATE TABLE IF NOT EXISTS case_results (
    assignment TEXT NOT NULL,
    student    TEXT NOT NULL,
    position   INTEGER NOT NULL,
    question   TEXT NOT NULL,
    name       TEXT NOT NULL,
    score      REAL NOT NULL,
    max_score  REAL NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('passed', 'failed', 'not run')),
    hidden     INTEGER NOT NULL,
    PRIMARY KEY (assignment, student, position),
    FOREIGN KEY (assignment, student) REFERENCES submissions (assignment, student)
        ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS identities (
    assignment        TEXT NOT NULL,
    student           TEXT NOT NULL,
    lms               TEXT NOT NULL CHECK (lms IN ('', 'canvas', 'moodle', 'brightspace')),
    lms_user_id       TEXT NOT NULL,
    lms_submission_id TEXT NOT NULL,
    display_name      TEXT NOT NULL,
    found_as          TEXT NOT NULL,
    PRIMARY KEY (assignment, student)
);
"""
REFERENCE_SCHEMA = """
CREATE TABLE IF NOT EXISTS reference_checks (
    assignment TEXT NOT NULL,
    graders    TEXT NOT NULL,
    score      REAL NOT NULL,
    max_score  REAL NOT NULL,
    cause      TEXT NOT NULL,
    checked_at TEXT NOT NULL,
    PRIMARY KEY (assignment, graders)
);
"""
MANUAL_SCHEMA = """
CREATE TABLE IF NOT EXISTS manual_grades (
    assignment TEXT NOT NULL,
    student    TEXT NOT NULL,
    question   TEXT NOT NULL,
    title      TEXT NOT NULL,
    points     REAL CHECK (points IS NULL OR (points >= 0 AND points <= max_points)),
    max_points REAL NOT NULL CHECK (max_points > 0),
    comment    TEXT NOT NULL,
    entered_in TEXT NOT NULL,
    PRIMARY KEY (assignment, student, question)
);
CREATE VIEW IF NOT EXISTS totals AS
SELECT s.assignment, s.student, s.status,
       s.score AS automatic,
       coalesce(sum(m.points), 0) AS manual,
       s.score + coalesce(sum(m.points), 0) AS total,
       s.max_score + coalesce(sum(m.max_points), 0) AS max_score,
       count(m.question) - count(m.points) AS to_be_graded
FROM submissions AS s
LEFT JOIN manual_grades AS m ON m.assignment = s.assignment AND m.student = s.student
GROUP BY s.assignment, s.student;
"""
"""Manually graded points (``points`` NULL: to be graded by the teacher), a row per graded
student and manual question, replaced whenever the outputs are written; and ``totals``,
each student's automatic and manual points together."""
IDENTITY_COLUMNS = (
    "student",
    "lms",
    "lms_user_id",
    "lms_submission_id",
    "display_name",
    "found_as",
)
"""Who each student is in the LMS the submissions came from (``identities`` table)."""


_UMASK = os.umask(0o022)
os.umask(_UMASK)


def atomic_write(path: Path, text: str, *, sync: bool = True) -> None:
    """Write ``text`` to ``path`` so that readers see the old or the new file, never half.

    ``sync=False`` skips the ``fsync`` before the rename: for the files of one student
    (results, feedback), a thousand in a batch, which every run rebuilds from the
    gradebook. A power cut right after the batch may leave such a file empty; the next
    run writes it again.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)  # as any file the teacher writes (0644), not 0600
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            if sync:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


class Gradebook:
    """The results of one output folder (any number of assignments)."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, timeout=30, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.executescript(SCHEMA)
        self.db.executescript(REFERENCE_SCHEMA)
        self.db.executescript(MANUAL_SCHEMA)

    def close(self) -> None:
        self.db.close()

    def __repr__(self) -> str:
        (n,) = self.db.execute("SELECT count(*) FROM submissions").fetchone()
        return f"<Gradebook with {n} graded submission(s)>"

    def up_to_date(self, assignment: str, graders: str) -> dict[str, str]:
        """student -> sha256 of the file graded with these graders."""
        rows = self.db.execute(
            "SELECT student, sha256 FROM submissions WHERE assignment = ? AND graders = ?",
            (assignment, graders),
        )
        return dict(rows.fetchall())

    def record(self, result: SubmissionResult, graders: str) -> None:
        """Store one result (replacing an older one of the same student) in one transaction."""
        key = (result.assignment, result.student)
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute("DELETE FROM submissions WHERE assignment = ? AND student = ?", key)
            self.db.execute(
                "INSERT INTO submissions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    *key,
                    result.sha256,
                    graders,
                    result.score,
                    result.max_score,
                    result.status,
                    json.dumps(result.to_dict()),
                    datetime.now(UTC).isoformat(timespec="seconds"),
                ),
            )
            self.db.executemany(
                "INSERT INTO case_results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (*key, i, c.question, c.name, c.score, c.max_score, c.status, int(c.hidden))
                    for i, c in enumerate(result.cases)
                ],
            )

    def reference(self, assignment: str, graders: str) -> tuple[float, float, str] | None:
        """(score, max_score, likely cause) of the reference under this fingerprint, if checked."""
        row = self.db.execute(
            "SELECT score, max_score, cause FROM reference_checks"
            " WHERE assignment = ? AND graders = ?",
            (assignment, graders),
        ).fetchone()
        return tuple(row) if row else None

    def record_reference(
        self, assignment: str, graders: str, score: float, max_score: float, cause: str
    ) -> None:
        """Remember how the reference solution scored under this fingerprint."""
        with self.db:
            self.db.execute(
                "INSERT OR REPLACE INTO reference_checks VALUES (?, ?, ?, ?, ?, ?)",
                (
                    assignment,
                    graders,
                    score,
                    max_score,
                    cause,
                    datetime.now(UTC).isoformat(timespec="seconds"),
                ),
            )

    def record_identities(self, assignment: str, submissions: list) -> None:
        """Store what the LMS download said about each student (ids, name, file name)."""
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.executemany(
                "INSERT OR REPLACE INTO identities VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (assignment, *(str(getattr(s, c)) for c in IDENTITY_COLUMNS))
                    for s in submissions
                ],
            )

    def identities(self, assignment: str) -> dict[str, dict[str, str]]:
        """student -> {lms, lms_user_id, lms_submission_id, display_name, found_as}."""
        rows = self.db.execute(
            f"SELECT {', '.join(IDENTITY_COLUMNS)} FROM identities WHERE assignment = ?",
            (assignment,),
        )
        return {row[0]: dict(zip(IDENTITY_COLUMNS[1:], row[1:], strict=True)) for row in rows}

    def results(self, assignment: str, *, manual: bool = True) -> list[SubmissionResult]:
        """Every student's result, sorted by student; with ``manual``, the manually graded
        questions stored by :meth:`replace_manual` as cases at the end."""
        rows = self.db.execute(
            "SELECT result_json FROM submissions WHERE assignment = ? ORDER BY student",
            (assignment,),
        )
        results = [SubmissionResult.from_dict(json.loads(r[0])) for r in rows]
        if manual:
            from autograder.manual import merge

            questions, entries = self.manual(assignment)
            merge(results, questions, entries)
        return results

    def manual(self, assignment: str) -> tuple[list, list]:
        """The manual questions and entries stored for ``assignment`` (``ManualQuestion``
        of :mod:`autograder.assignment`, ``ManualEntry`` of :mod:`autograder.manual`)."""
        from autograder.assignment import ManualQuestion
        from autograder.manual import ManualEntry

        rows = self.db.execute(
            "SELECT student, question, title, points, max_points, comment, entered_in"
            " FROM manual_grades WHERE assignment = ? ORDER BY rowid",
            (assignment,),
        ).fetchall()
        questions = {r[1]: ManualQuestion(r[1], r[2], r[4]) for r in rows}
        entries = [ManualEntry(r[0], r[1], r[3], r[5], r[6]) for r in rows]
        return list(questions.values()), entries

    def replace_manual(self, assignment: str, questions: list, entries: list) -> None:
        """Store the manual points of every graded student in one transaction: a row per
        student and question, NULL points for those without an entry."""
        found = {(e.student, e.question): e for e in entries}
        students = [
            r[0]
            for r in self.db.execute(
                "SELECT student FROM submissions WHERE assignment = ? ORDER BY student",
                (assignment,),
            )
        ]
        rows = []
        for student in students:
            for q in questions:
                e = found.get((student, q.name))
                rows.append(
                    (
                        assignment,
                        student,
                        q.name,
                        q.title,
                        e.points if e else None,
                        q.points,
                        e.comment if e else "",
                        e.where if e else "",
                    )
                )
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute("DELETE FROM manual_grades WHERE assignment = ?", (assignment,))
            self.db.executemany("INSERT INTO manual_grades VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
