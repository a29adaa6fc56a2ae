"""Item analysis of a class: which checks and questions separate strong from weak students.

The numbers are the classical ones of test theory, computed over the submissions
that were graded (a module that did not import says nothing about any one check):

- ``mean``: average points earned on the item;
- ``share_passing``: share of students with full points on it;
- ``point_biserial``: the corrected item-total correlation, Pearson's r between the
  item's score and the *rest* score (total minus the item), so that an item does not
  correlate with itself; for a pass/fail item this is the point-biserial coefficient
  r = (M1 - M0) / s * sqrt(p q), with s the population standard deviation of the rest
  scores;
- ``upper_lower``: share passing among the top 27% of students by total minus the
  share passing among the bottom 27% (Kelley's groups; ties broken by student id).

An item is flagged when nearly everyone passes it, nearly no one does, or its
point-biserial is below :data:`LOW_DISCRIMINATION` (Ebel's "poor" band).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from autograder.results import FAILED, GRADED, NOT_RUN, SubmissionResult

NEARLY_ALL = 0.95
"""Share passing at or above which an item is flagged as passed by nearly everyone."""
NEARLY_NONE = 0.05
"""Share passing at or below which an item is flagged as passed by nearly no one."""
LOW_DISCRIMINATION = 0.2
"""Point-biserial below which an item is flagged as not discriminating."""
GROUP_SHARE = 0.27
"""Size of the upper and lower groups of the upper-lower index."""
TOP_MESSAGES = 3
"""How many of the most frequent failure messages are kept per check."""


@dataclass
class ItemStats:
    """The statistics of one check (or, with ``name == ""``, of one whole question)."""

    question: str
    """Question (test file) name."""
    name: str
    """Check title; empty for the question as a whole."""
    hidden: bool
    """A hidden check (always False for a question)."""
    points: float
    """Points possible."""
    n: int
    """Students counted."""
    mean: float
    """Mean points earned."""
    share_passing: float
    """Share of students with full points."""
    point_biserial: float | None
    """Corrected item-total correlation; None when the item or the rest does not vary."""
    upper_lower: float | None
    """Upper-lower 27% index; None for fewer than 4 students."""
    flags: list[str] = field(default_factory=list)
    """Why the item deserves a look, in words."""
    messages: list[tuple[str, int]] = field(default_factory=list)
    """The messages students saw most often when the check failed, with counts."""


def pearson(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Pearson's r, or None when either side is constant or there are fewer than 2 points."""
    n = len(x)
    if n < 2:
        return None
    mx, my = sum(x) / n, sum(y) / n
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y, strict=True))
    sxx = sum((a - mx) ** 2 for a in x)
    syy = sum((b - my) ** 2 for b in y)
    if sxx <= 1e-12 or syy <= 1e-12:
        return None
    return sxy / math.sqrt(sxx * syy)


def upper_lower(item: Sequence[float], full: float, order: Sequence[int]) -> float | None:
    """Share with full points in the top 27% minus in the bottom 27% (``order``: best first)."""
    n = len(order)
    if n < 4:
        return None
    g = max(1, round(GROUP_SHARE * n))
    top, bottom = order[:g], order[-g:]

    def share(group: Sequence[int]) -> float:
        return sum(1 for i in group if item[i] >= full - 1e-9) / len(group)

    return share(top) - share(bottom)


def _flags(share: float, r: float | None) -> list[str]:
    if share >= NEARLY_ALL:
        return ["passed by nearly everyone"]
    if share <= NEARLY_NONE:
        return ["passed by nearly no one"]
    if r is not None and r < LOW_DISCRIMINATION:
        return ["does not discriminate" if r >= 0 else "weaker students do better"]
    return []


def _stats(question, name, hidden, points, item, totals, order) -> ItemStats:
    n = len(item)
    share = sum(1 for s in item if s >= points - 1e-9) / n
    rest = [t - s for t, s in zip(totals, item, strict=True)]
    r = pearson(item, rest)
    return ItemStats(
        question=question,
        name=name,
        hidden=hidden,
        points=points,
        n=n,
        mean=sum(item) / n,
        share_passing=share,
        point_biserial=r,
        upper_lower=upper_lower(item, points, order),
        flags=_flags(share, r),
    )


def analyse(results: Sequence[SubmissionResult]) -> list[ItemStats]:
    """Statistics of every question (``name == ""``) followed by its checks, in grading order.

    Only submissions with status ``graded`` count; an empty list when there are none.
    """
    graded = [r for r in results if r.status == GRADED and r.cases]
    if not graded:
        return []
    totals = [r.score for r in graded]
    # best first; ties by student id so that the groups are the same on every run
    order = sorted(range(len(graded)), key=lambda i: (-totals[i], graded[i].student))
    template = [c for c in graded[0].cases if not c.manual]  # the teacher's: report.md
    out: list[ItemStats] = []
    for question in dict.fromkeys(c.question for c in template):
        q_scores = [r.question_scores().get(question, (0.0, 0.0))[0] for r in graded]
        q_points = max(r.question_scores().get(question, (0.0, 0.0))[1] for r in graded)
        out.append(_stats(question, "", False, q_points, q_scores, totals, order))
        for case in (c for c in template if c.question == question):
            scores, messages = [], Counter()
            for r in graded:
                match = next(
                    (c for c in r.cases if c.question == question and c.name == case.name), None
                )
                scores.append(match.score if match else 0.0)
                if match is not None and match.status == FAILED:
                    messages[match.output] += 1
                elif match is not None and match.status == NOT_RUN:
                    messages[f"not run, because {match.output}"] += 1
            stats = _stats(question, case.name, case.hidden, case.max_score, scores, totals, order)
            stats.messages = messages.most_common(TOP_MESSAGES)
            out.append(stats)
    return out
