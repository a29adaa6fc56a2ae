"""Self-contained HTML: ``feedback/<student>.html``, ``report.html`` and ``similarity.html``.

The class pages are written by :func:`write`, the students' by
:mod:`autograder.render.feedback_html`.

Every page is one file: its CSS is inline and its figures are data URIs, and a
Content-Security-Policy forbids loading anything else, so a page opened from a
disk, a mail or an LMS fetches nothing.

A student's page shows their public checks with message and hint, counts their
hidden checks without naming them, and the figures their own code produced on
public inputs. Similarity and integrity flags exist only on the teacher's pages.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter
from itertools import groupby, takewhile
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from autograder import itemanalysis
from autograder.gradebook import atomic_write
from autograder.manual import TO_BE_GRADED, summarise
from autograder.render import Batch, pct, pts
from autograder.render.terminal import MANUAL_MARK, MARK
from autograder.results import PASSED, SubmissionResult
from autograder.similarity import SIDE_BY_SIDE

TOP_PAIRS = SIDE_BY_SIDE
"""Most similar pairs listed in the class report (each has a side-by-side view)."""

_env = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html", "j2"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.globals.update(pts=pts, num=lambda x: "–" if x is None else f"{x:.2f}")


def _figures(records: list[dict[str, str]]) -> list[dict]:
    out = []
    for rec in records:
        fig = dict(rec)
        if fig.get("mime") == "text/table":
            fig["table"] = json.loads(fig["data"])
        out.append(fig)
    return out


def feedback(result: SubmissionResult, *, title: str = "") -> str:
    """A student's page: public checks in full, hidden checks counted, their own figures."""
    questions = []
    scores = result.question_scores()
    for question, group in groupby(result.cases, key=lambda c: c.question):
        cases = list(group)
        hidden = [c for c in cases if c.hidden]
        public = [
            {
                "name": c.name,
                "status": c.status,
                "css": "manual" if c.manual and not c.to_be_graded else c.status.replace(" ", "-"),
                "mark": MANUAL_MARK if c.manual and not c.to_be_graded else MARK.get(c.status, "?"),
                "score": c.score,
                "max_score": c.max_score,
                "output": c.output,
                "hint": c.hint,
                "expected": c.expected,
                "actual": c.actual,
                "manual": c.manual,
                "to_be_graded": c.to_be_graded,
            }
            for c in cases
            if not c.hidden
        ]
        questions.append(
            {
                "name": question,
                "to_be_graded": any(c.to_be_graded for c in cases),
                "score": scores[question][0],
                "max_score": scores[question][1],
                "public": public,
                "hidden_total": len(hidden),
                "hidden_passed": sum(1 for c in hidden if c.status == PASSED),
                "hidden_score": sum(c.score for c in hidden),
                "hidden_max": sum(c.max_score for c in hidden),
            }
        )
    return _env.get_template("feedback.html.j2").render(
        r=result,
        title=title or result.assignment,
        percent=pct(result.score, result.max_score),
        n_passed=sum(1 for c in result.cases if c.status == PASSED and not c.manual),
        n_checks=sum(1 for c in result.cases if not c.manual),
        waiting=result.to_be_graded,
        waiting_points=sum(c.max_score for c in result.to_be_graded),
        to_be_graded=TO_BE_GRADED,
        questions=questions,
        figures=_figures(result.figures),
    )


def integrity_by_kind(results: list[SubmissionResult]) -> list[tuple[str, list]]:
    """Integrity flags grouped by kind (the word before the colon), each student once.

    Returns ``[(kind, [(student, [evidence, ...]), ...]), ...]``, kinds by name.
    """
    kinds: dict[str, dict[str, list[str]]] = {}
    for r in results:
        for flag in r.integrity:
            kind, _, evidence = flag.partition(": ")
            kind, evidence = (kind, evidence) if evidence else ("other", flag)
            seen = kinds.setdefault(kind, {}).setdefault(r.student, [])
            if evidence not in seen:
                seen.append(evidence)
    return [(k, sorted(kinds[k].items())) for k in sorted(kinds)]


def _summary(results: list[SubmissionResult]) -> dict:
    from autograder.render import plots

    pcts = [pct(r.score, r.max_score) for r in results]
    seconds = [r.seconds for r in results]
    top = max(seconds) if seconds else 1.0
    return {
        "mean": statistics.mean(pcts),
        "median": statistics.median(pcts),
        "full": sum(1 for r in results if r.max_score and r.score == r.max_score),
        "statuses": sorted(Counter(r.status for r in results).items()),
        "seconds_median": statistics.median(seconds),
        "seconds_max": max(seconds),
        "figures": [
            plots.histogram(
                pcts,
                bins=range(0, 101, 10),
                xlabel="score (%)",
                title="Score distribution",
                caption=f"{len(pcts)} submissions, bins of 10 points",
            ),
            plots.histogram(
                seconds,
                bins=[top * i / 10 for i in range(11)] if top > 0 else [0, 1],
                xlabel="seconds",
                title="Time per submission",
                caption="wall time of grading, sandbox included",
            ),
        ],
    }


def report(batch: Batch) -> str:
    """The teacher's class report."""
    results = batch.results
    items = itemanalysis.analyse(results)
    warnings = Counter(w for r in results for w in set(r.warnings))
    return _env.get_template("report.html.j2").render(
        title=batch.title or batch.assignment,
        results=results,
        summary=_summary(results) if results else None,
        items=items,
        items_n=items[0].n if items else 0,
        nearly_all=itemanalysis.NEARLY_ALL,
        nearly_none=itemanalysis.NEARLY_NONE,
        low_r=itemanalysis.LOW_DISCRIMINATION,
        integrity=integrity_by_kind(results),
        warnings=sorted(warnings.items()),
        similarity=batch.similarity,
        top_pairs=TOP_PAIRS,
        not_graded=batch.not_graded,
        intake_notes=batch.intake_notes,
        manual=summarise(results),
        manual_problems=batch.manual_problems,
    )


def similarity_page(batch: Batch) -> str:
    """Side-by-side views of the pairs above the similarity threshold (teacher only)."""
    sim = batch.similarity
    return _env.get_template("similarity.html.j2").render(
        title=batch.title or batch.assignment,
        similarity=sim,
        shown=sum(1 for _ in takewhile(lambda p: p.html_a, sim.pairs)),
        not_shown=sim.flagged_not_shown(),
    )


SHOWS_SIMILARITY = True
"""Written after the similarity check (:func:`autograder.render.write_all`); the students'
pages are :mod:`autograder.render.feedback_html`, written while it runs."""


def write(batch: Batch, out: Path) -> list[Path]:
    """``report.html`` and ``similarity.html``."""
    atomic_write(out / "report.html", report(batch))
    written = [out / "report.html"]
    if batch.similarity is not None:
        atomic_write(out / "similarity.html", similarity_page(batch))
        written.append(out / "similarity.html")
    return written


__all__ = ["feedback", "integrity_by_kind", "report", "similarity_page", "write"]
