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
IDENTITY_COLUMNS = (
    "student",
    "lms",
    "lms_user_id",
    "lms_submission_id",
    "display_name",
    "found_as",
)
"""Who each student is in the LMS the submissions came from (``identities`` table)."""


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old or the new file, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
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

    def results(self, assignment: str) -> list[SubmissionResult]:
        rows = self.db.execute(
            "SELECT result_json FROM submissions WHERE assignment = ? ORDER BY student",
            (assignment,),
        )
        return [SubmissionResult.from_dict(json.loads(r[0])) for r in rows]
