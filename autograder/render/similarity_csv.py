"""``similarity.csv``: ``student_a,student_b,similarity``, the most similar pair first.

Teacher only, like ``similarity.html``; nothing of it reaches a student's page.
"""

from __future__ import annotations

from pathlib import Path

from autograder.gradebook import atomic_write
from autograder.render import Batch

SHOWS_SIMILARITY = True


def write(batch: Batch, out: Path) -> list[Path]:
    """``similarity.csv`` when the batch computed similarity."""
    if batch.similarity is None:
        return []
    path = out / "similarity.csv"
    atomic_write(path, batch.similarity.to_csv())
    return [path]
