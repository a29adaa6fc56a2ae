"""Plain text for a terminal (``clusterlab check``), with colours through rich.

The lines are made once, with their kind; :func:`print_result` colours by kind,
so nothing re-parses rendered text.
"""

from __future__ import annotations

from collections.abc import Iterator

from rich.console import Console
from rich.markup import escape

from autograder.intake import printable
from autograder.manual import TO_BE_GRADED
from autograder.render import message, pct, pts
from autograder.results import (
    FAILED,
    NOT_RUN,
    PASSED,
    CaseResult,
    SubmissionResult,
    hidden_points_line,
)

MARK = {PASSED: "✓", FAILED: "✗", NOT_RUN: "–"}
MANUAL_MARK = "•"
"""The mark of points the teacher entered: a judgement, not a pass or a fail."""
STYLE = {
    PASSED: "green",
    FAILED: "red",
    NOT_RUN: "yellow",
    "problem": "bold red",
    "printed": "dim",
}


def case_lines(case: CaseResult, seen: set[str]) -> list[tuple[str, str]]:
    """(kind, line) pairs for one case, in the house style (message indented, one hint).

    A message already shown for an earlier case is shortened to its first line.
    """
    mark = f"  [{pts(case.score)}/{pts(case.max_score)}]"
    if case.to_be_graded:
        return [
            (NOT_RUN, f"{MARK[NOT_RUN]} {case.name}: {TO_BE_GRADED}  [–/{pts(case.max_score)}]")
        ]
    if case.manual:  # the teacher's points, and their comment
        lines = [(case.status, f"{MANUAL_MARK} {case.name}{mark}")]
        return lines + [("", f"    {line}") for line in case.output.splitlines()]
    if case.status == NOT_RUN:
        return [(NOT_RUN, f"{MARK[NOT_RUN]} {case.name}: not run, because {case.output}{mark}")]
    lines = [(case.status, f"{MARK.get(case.status, '?')} {case.name}{mark}")]
    if case.status == FAILED:
        text = message(case)
        if text in seen:
            first = text.splitlines()[0] if text else ""
            lines.append(("", f"    {first} (same problem as above)"))
        else:
            lines += [("", f"    {line}") for line in text.splitlines()]
            seen.add(text)
    return lines


def lines(result: SubmissionResult, *, title: str = "") -> Iterator[tuple[str, str]]:
    """(kind, line) pairs of a result: question by question, then the total."""
    yield "", title or f"{result.assignment}: {result.student}"
    yield "", ""
    if result.message:
        yield "problem", f"! {result.message}"
        yield "", ""
    if result.notes:
        for note in result.notes:
            yield "", f"note: {note}"
        yield "", ""
    seen: set[str] = set()
    scores = result.question_scores()
    current = None
    for i, case in enumerate(result.cases):
        if case.question != current:
            current = case.question
            got, possible = scores[current]
            if i:
                yield "", ""
            yield "", f"{current}  ({pts(got)}/{pts(possible)})"
        yield from case_lines(case, seen)
    yield "", ""
    yield "", total_line(result)
    if result.student_output:
        yield "", ""
        for line in printed_lines(result.student_output, result.printed_bytes):
            yield "printed", line


PRINTED_LINES = 20
"""Lines of the student's own printed output that ``check`` shows."""
PRINTED_CHARS = 2000
"""Characters of it shown at most (each line at most :data:`PRINTED_WIDTH`)."""
PRINTED_WIDTH = 160
PRINTED_MARK = "  | "
"""Starts every line the student's code printed, so none can pass for a line of ours."""


def printed_lines(text: str, printed_bytes: int = 0) -> list[str]:
    """The start of what the student's code printed, safe for any terminal.

    At most :data:`PRINTED_LINES` lines and :data:`PRINTED_CHARS` characters, each line
    after :data:`PRINTED_MARK` with control characters (ANSI escapes, carriage returns,
    bidirectional overrides) written out as escapes, then how much was left out.
    """
    rows = text.splitlines(keepends=True)
    shown: list[str] = []
    shown_bytes = used = 0
    for row in rows[:PRINTED_LINES]:
        line = printable(row.rstrip("\r\n").expandtabs(4), PRINTED_WIDTH)
        if used + len(line) > PRINTED_CHARS:
            break
        shown.append(PRINTED_MARK + line)
        used += len(line)
        shown_bytes += len(row.encode("utf-8", "replace"))
    total = max(printed_bytes, len(text.encode("utf-8", "replace")))
    out = ["your code printed (stdout and stderr):", *shown]
    if total > shown_bytes:
        out.append(f"  … {total - shown_bytes:,} more bytes not shown ({total:,} in all)")
    return out


def total_line(result: SubmissionResult) -> str:
    """``Score: 93/100 (93%)``; when hidden cases were left out (``clusterlab check``), the
    announcement of the points still to come instead."""
    if result.hidden_points:
        return hidden_points_line(result.score, result.max_score, result.hidden_points)
    percent = pct(result.score, result.max_score)
    line = f"Score: {pts(result.score)}/{pts(result.max_score)} ({percent:.0f}%)"
    waiting = sum(c.max_score for c in result.to_be_graded)
    return line + (f"; {pts(waiting)} points {TO_BE_GRADED}" if waiting else "")


def render_text(result: SubmissionResult, *, title: str = "") -> str:
    """Plain-text feedback, as :func:`print_result` shows it without colours."""
    return "\n".join(line for _, line in lines(result, title=title)) + "\n"


def print_result(console: Console, result: SubmissionResult, *, title: str = "") -> None:
    """Print the feedback to a rich console, each line coloured by its status."""
    for kind, line in lines(result, title=title):
        style = STYLE.get(kind)
        console.print(f"[{style}]{escape(line)}[/]" if style else escape(line))
