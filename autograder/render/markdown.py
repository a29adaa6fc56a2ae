"""Markdown: ``feedback/<student>.md`` and the class report ``report.md``."""

from __future__ import annotations

import statistics
from collections import Counter
from itertools import groupby
from pathlib import Path

from autograder.gradebook import atomic_write
from autograder.intake import printable
from autograder.manual import TO_BE_GRADED, summarise
from autograder.render import Batch, pct, pts
from autograder.render.terminal import case_lines
from autograder.results import PASSED, SubmissionResult


def feedback(result: SubmissionResult, *, include_hidden: bool = True) -> str:
    """A student's feedback page (hidden cases included: it is released with the grades)."""
    out = [
        f"# {result.assignment}: feedback for {result.student}",
        "",
        f"**Score: {pts(result.score)} / {pts(result.max_score)}"
        f" ({pct(result.score, result.max_score):.0f}%)**",
        "",
    ]
    if waiting := result.to_be_graded:
        points = pts(sum(c.max_score for c in waiting))
        names = ", ".join(c.name for c in waiting)
        out += [f"{points} of these points are {TO_BE_GRADED} ({names}).", ""]
    if result.message:
        out += [f"> {result.message}", ""]
    if result.notes:
        out += [f"- note: {n}" for n in result.notes] + [""]
    seen: set[str] = set()
    scores = result.question_scores()
    for question, cases in groupby(result.cases, key=lambda c: c.question):
        shown = [c for c in cases if include_hidden or not c.hidden]
        if not shown:
            continue
        got, possible = scores[question]
        shown_got = "–" if any(c.to_be_graded for c in shown) else pts(got)
        out += [f"## {question} ({shown_got}/{pts(possible)})", "", "```"]
        for case in shown:
            out += [line for _, line in case_lines(case, seen)]
        out += ["```", ""]
    return "\n".join(out)


def report(batch: Batch) -> str:
    """The class report: distribution, per-question averages, most common failures, flags."""
    results = batch.results
    out = [f"# Class report: {batch.title or batch.assignment}", ""]
    if not results:
        return "\n".join(out + ["No submissions graded yet.", "", *_intake_section(batch)])
    pcts = [pct(r.score, r.max_score) for r in results]
    out += [
        f"- submissions graded: {len(results)}",
        f"- mean score: {statistics.mean(pcts):.1f}%; median {statistics.median(pcts):.1f}%;"
        f" lowest {min(pcts):.1f}%; highest {max(pcts):.1f}%",
        f"- full marks: {sum(1 for r in results if r.score == r.max_score)}",
    ]
    statuses = Counter(r.status for r in results)
    out.append("- status: " + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())))
    out += ["", "## Score distribution", "", "```"]
    for lo in range(0, 100, 10):
        n = sum(1 for p in pcts if lo <= p < lo + 10 or (lo == 90 and p == 100))
        out.append(f"{lo:3d}–{lo + 10:<3d}% {'█' * n} {n}")
    out += ["```", "", "## Questions", "", "| question | mean | max |", "| --- | --- | --- |"]
    questions: dict[str, list[float]] = {}
    maxima: dict[str, float] = {}
    manual = {c.question for r in results for c in r.cases if c.manual}
    for r in results:
        for q, (got, possible) in r.question_scores().items():
            if q not in manual:  # their own section below: only entered points count
                questions.setdefault(q, []).append(got)
                maxima[q] = possible
    for q, got in questions.items():
        out.append(f"| {q} | {statistics.mean(got):.2f} | {pts(maxima[q])} |")
    out += _manual_section(batch)
    failures = Counter(
        (c.question, c.name)
        for r in results
        for c in r.cases
        if c.status != PASSED and not c.manual
    )
    if failures:
        out += ["", "## Most often lost", "", "| case | students |", "| --- | --- |"]
        for (q, name), n in failures.most_common(10):
            out.append(f"| {q}: {name} | {n} |")
    out += _intake_section(batch)
    flagged = [r for r in results if r.integrity or r.warnings]
    if flagged:
        out += ["", "## For the teacher: integrity flags and warnings", ""]
        for r in flagged:
            for flag in r.integrity:
                out.append(f"- {r.student}: {printable(flag, 500)}")
            for warning in sorted(set(r.warnings)):
                out.append(f"- {r.student}: {printable(warning, 500)}")
    out += ["", "The HTML report (`report.html`) adds item analysis, plots and similarity."]
    return "\n".join(out) + "\n"


def _manual_section(batch: Batch) -> list[str]:
    """The manually graded questions: entered, mean, who is still to be graded, bad rows."""
    summaries = summarise(batch.results)
    if not summaries and not batch.manual_problems:
        return []
    out = ["", "## Graded by the teacher", ""]
    if summaries:
        out += [
            "| question | points | entered | mean | to be graded |",
            "| --- | --- | --- | --- | --- |",
        ]
    for s in summaries:
        mean = "–" if s.mean is None else f"{s.mean:.2f}"
        waiting = ", ".join(s.to_be_graded) or "none"
        n = s.entered + len(s.to_be_graded)
        cells = [f"{s.question}: {s.title}", pts(s.points), f"{s.entered} of {n}", mean, waiting]
        out.append("| " + " | ".join(cells) + " |")
    if batch.manual_problems:
        out += ["", "Rows of the manual points not used:", ""]
        out += [f"- {printable(p, 500)}" for p in batch.manual_problems]
    return out


def _intake_section(batch: Batch) -> list[str]:
    """Files not graded, then the intake's other notes (replaced, renamed), one line each."""
    if not batch.not_graded and not batch.intake_notes:
        return []
    out = ["", "## Files not graded, replaced or renamed", ""]
    out += [f"- not graded: {item.path}: {item.why}" for item in batch.not_graded]
    return out + [f"- {note}" for note in batch.intake_notes]


def write(batch: Batch, out: Path) -> list[Path]:
    """``feedback/<student>.md`` for every result, and ``report.md``."""
    written = []
    for r in batch.results:
        path = out / "feedback" / f"{r.student}.md"
        atomic_write(path, feedback(r), sync=False)
        written.append(path)
    atomic_write(out / "report.md", report(batch))
    return [*written, out / "report.md"]
