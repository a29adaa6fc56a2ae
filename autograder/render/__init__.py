"""Every output format in one place: judged results in, text or files out.

Judging (``grading``, ``runner``) never renders; the batch hands a :class:`Batch`
to each writer here. A format is one module in this package with a function
``write(batch, out) -> list[Path]``; :func:`write_all` finds them all, so a new
format is one new file.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from autograder.results import SubmissionResult

__all__ = ["Batch", "NotGraded", "intake_lines", "write_all", "writers"]


@dataclass(frozen=True)
class NotGraded:
    """A file of the submissions folder that was not graded, and why (for the teacher)."""

    path: str
    """The file or folder, relative to the submissions folder."""
    why: str
    """The reason, one plain sentence."""


@dataclass
class Batch:
    """What every writer gets: one assignment's judged results and the analyses made of them."""

    assignment: str
    """Assignment name (folder name)."""
    title: str
    """Human title of the assignment."""
    questions: list[str]
    """Question names in grading order."""
    results: list[SubmissionResult]
    """One result per student, sorted by student."""
    not_graded: list[NotGraded] = field(default_factory=list)
    """Files of the submissions folder that were not graded."""
    intake_notes: list[str] = field(default_factory=list)
    """Other things the intake tells the teacher (replaced resubmissions, names kept apart)."""
    similarity: object | None = None
    """A :class:`autograder.similarity.SimilarityReport`, or None when not computed."""
    manual_problems: list[str] = field(default_factory=list)
    """Rows of the teacher's manual-points file that were not used, one sentence each."""


def writers() -> dict[str, Callable[[Batch, Path], list[Path]]]:
    """Format name -> its ``write`` function, for every module of this package that has one."""
    found = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        write = getattr(module, "write", None)
        if callable(write):
            found[info.name] = write
    return found


def write_all(
    batch: Batch, out: Path, *, similarity: Callable[[], None] | None = None
) -> list[str]:
    """Write every format of ``batch`` below ``out``.

    A format that cannot be written (a full disk, a read-only folder) is reported in
    the returned list, one sentence each, and the other formats are still written.

    ``similarity``: a call that waits for the similarity check and stores it in
    ``batch.similarity``, made after the formats that never show it (their module has no
    ``SHOWS_SIMILARITY = True``): those are written while the check runs.
    """
    problems: list[str] = []
    found = writers()
    late = [n for n in found if getattr(_module(n), "SHOWS_SIMILARITY", False)]
    for name in [*(n for n in found if n not in late), None, *late]:
        if name is None:
            if similarity is not None:
                similarity()
            continue
        try:
            found[name](batch, out)
        except (OSError, ValueError) as exc:
            problems.append(f"the {name} output could not be written: {exc}")
    return problems


def _module(name: str):
    return importlib.import_module(f"{__name__}.{name}")


def intake_lines(lines: list[str]) -> tuple[list[NotGraded], list[str]]:
    """Split the intake's report lines into files not graded and other notes.

    A line ``not graded: <name>: <why>`` is a file not graded; any other line is a note.
    """
    not_graded, notes = [], []
    for line in lines:
        if line.startswith("not graded: "):
            name, _, why = line.removeprefix("not graded: ").partition(": ")
            not_graded.append(NotGraded(name, why or "not graded"))
        else:
            notes.append(line)
    return not_graded, notes


def message(case) -> str:
    """A case's message with its expected and actual values and hint, as one block of text.

    For the formats without room for separate fields (terminal, Markdown, Gradescope's
    ``output``); HTML lays the fields out itself.
    """
    return case.text()


def pct(score: float, max_score: float) -> float:
    """Score as a percentage (0 when nothing was possible)."""
    return 100.0 * score / max_score if max_score else 0.0


def pts(x: float) -> str:
    """Points as a person writes them: 2, 0.5, 12.25."""
    return f"{x:g}"
