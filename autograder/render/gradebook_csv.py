"""``gradebook.csv``: one row per student, one column per question."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from autograder.gradebook import atomic_write
from autograder.render import Batch, pct, pts
from autograder.results import SubmissionResult


def gradebook_csv(results: list[SubmissionResult], questions: list[str]) -> str:
    """One row per student, one column per question, then total, max, percent, status.

    A manual question still to be graded has an empty cell, and the status says so
    (``graded; r1_reflection to be graded by the teacher``).
    """
    from autograder.manual import TO_BE_GRADED

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student", *questions, "total", "max_score", "percent", "status"])
    for r in results:
        per_q = r.question_scores()
        waiting = [c.question for c in r.to_be_graded]
        status = r.status + (f"; {', '.join(waiting)} {TO_BE_GRADED}" if waiting else "")
        writer.writerow(
            [
                r.student,
                *("" if q in waiting else pts(per_q.get(q, (0.0, 0.0))[0]) for q in questions),
                pts(r.score),
                pts(r.max_score),
                f"{pct(r.score, r.max_score):.1f}",
                status,
            ]
        )
    return out.getvalue()


def write(batch: Batch, out: Path) -> list[Path]:
    """``gradebook.csv``."""
    path = out / "gradebook.csv"
    atomic_write(path, gradebook_csv(batch.results, batch.questions))
    return [path]
