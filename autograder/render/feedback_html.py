"""``feedback/<student>.html``: every student's page (made by :func:`.html.feedback`).

Written while the similarity check runs (the class pages, :mod:`.html`, wait for it). A page
is rebuilt from the gradebook on every run, so it is replaced atomically but not synced
to disk one by one (see :func:`autograder.gradebook.atomic_write`).
"""

from __future__ import annotations

from pathlib import Path

from autograder.gradebook import atomic_write
from autograder.render import Batch
from autograder.render.html import feedback


def write(batch: Batch, out: Path) -> list[Path]:
    """``feedback/<student>.html`` for every result."""
    written = []
    for r in batch.results:
        path = out / "feedback" / f"{r.student}.html"
        atomic_write(path, feedback(r, title=batch.title), sync=False)
        written.append(path)
    return written
