"""Rendering results: terminal text for students, Markdown feedback pages, the class report.

Judging happens elsewhere; this module only formats :class:`SubmissionResult`s.
"""

from __future__ import annotations

import statistics
from collections import Counter
from itertools import groupby

from autograder.intake import printable
from autograder.results import FAILED, NOT_RUN, PASSED, CaseResult, SubmissionResult

MARK = {PASSED: "✓", FAILED: "✗", NOT_RUN: "–"}


def _pts(x: float) -> str:
    return f"{x:g}"


def case_lines(case: CaseResult, seen: set[str]) -> list[str]:
    """The lines for one case, in the house style (message indented, one hint)."""
    pts = f"  [{_pts(case.score)}/{_pts(case.max_score)}]"
    if case.status == NOT_RUN:
        return [f"{MARK[NOT_RUN]} {case.name}: not run, because {case.output}{pts}"]
    lines = [f"{MARK[case.status]} {case.name}{pts}"]
    if case.status == FAILED:
        if case.output in seen:
            first = case.output.splitlines()[0] if case.output else ""
            lines.append(f"    {first} (same problem as above)")
        else:
            lines += [f"    {line}" for line in case.output.splitlines()]
            seen.add(case.output)
    return lines


def render_text(result: SubmissionResult, *, title: str = "") -> str:
    """Plain-text feedback: question by question, then the total."""
    out = [title or f"{result.assignment}: {result.student}", ""]
    if result.message:
        out += [f"! {result.message}", ""]
    if result.notes:
        out += [f"note: {n}" for n in result.notes] + [""]
    seen: set[str] = set()
    scores = result.question_scores()
    current = None
    for case in result.cases:
        if case.question != current:
            current = case.question
            got, possible = scores[current]
            if len(out) > 2 and out[-1] != "":
                out.append("")
            out.append(f"{current}  ({_pts(got)}/{_pts(possible)})")
        out += case_lines(case, seen)
    pct = 100 * result.score / result.max_score if result.max_score else 0.0
    out += ["", f"Score: {_pts(result.score)}/{_pts(result.max_score)} ({pct:.0f}%)"]
    return "\n".join(out) + "\n"


def render_markdown(result: SubmissionResult, *, include_hidden: bool = True) -> str:
    """A student's feedback page (hidden cases included: it is released with the grades)."""
    pct = 100 * result.score / result.max_score if result.max_score else 0.0
    out = [
        f"# {result.assignment}: feedback for {result.student}",
        "",
        f"**Score: {_pts(result.score)} / {_pts(result.max_score)} ({pct:.0f}%)**",
        "",
    ]
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
        out += [f"## {question} ({_pts(got)}/{_pts(possible)})", "", "```"]
        for case in shown:
            out += case_lines(case, seen)
        out += ["```", ""]
    return "\n".join(out)


def render_report(
    results: list[SubmissionResult],
    *,
    assignment: str,
    title: str = "",
    intake: list[str] = (),
) -> str:
    """The class report: distribution, per-question averages, most common failures, flags.

    ``intake`` lists what discovery did not grade or replaced (one printable line each).
    """
    out = [f"# Class report: {title or assignment}", ""]
    if not results:
        return "\n".join(out + ["No submissions graded yet.", ""] + _intake_section(intake))
    pcts = [100 * r.score / r.max_score if r.max_score else 0.0 for r in results]
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
    for r in results:
        for q, (got, possible) in r.question_scores().items():
            questions.setdefault(q, []).append(got)
            maxima[q] = possible
    for q, got in questions.items():
        out.append(f"| {q} | {statistics.mean(got):.2f} | {_pts(maxima[q])} |")
    failures = Counter((c.question, c.name) for r in results for c in r.cases if c.status != PASSED)
    if failures:
        out += ["", "## Most often lost", "", "| case | students |", "| --- | --- |"]
        for (q, name), n in failures.most_common(10):
            out.append(f"| {q}: {name} | {n} |")
    flagged = [r for r in results if r.integrity or r.warnings]
    if flagged:
        out += ["", "## For the teacher: integrity flags and warnings", ""]
        for r in flagged:
            for flag in r.integrity:
                out.append(f"- {r.student}: {printable(flag, 500)}")
            for warning in sorted(set(r.warnings)):
                out.append(f"- {r.student}: {printable(warning, 500)}")
    return "\n".join(out + _intake_section(intake)) + "\n"


def _intake_section(intake: list[str]) -> list[str]:
    if not intake:
        return []
    return ["", "## Files not graded, replaced or renamed", ""] + [f"- {line}" for line in intake]
