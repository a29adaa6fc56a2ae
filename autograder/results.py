"""Typed records of grading results (their output formats live in :mod:`autograder.render`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

PASSED, FAILED, NOT_RUN = "passed", "failed", "not run"

HIDDEN_VISIBILITY = "after_published"
"""Gradescope visibility of a hidden case's result, in ClusterLab's results JSON and in the
exported otter zip alike (``show_hidden``): the student sees it once grades are published."""


def visibility(hidden: bool) -> str:
    """Gradescope ``visibility`` of a case result: one rule for every output."""
    return HIDDEN_VISIBILITY if hidden else "visible"


def hidden_points_line(public_score: float, public_max: float, hidden_points: float) -> str:
    """The announcement every student-facing run ends with when hidden cases exist."""
    return (
        f"public checks: {public_score:g}/{public_max:g} points; "
        f"{hidden_points:g} more points are checked when your teacher grades"
    )


GRADED = "graded"
"""Submission status: the module imported and every case ran or was skipped for a reason."""
DID_NOT_IMPORT = "did not import"
"""Submission status: the module could not be imported; nothing ran."""
UNREADABLE = "unreadable"
"""Submission status: the file is not a Python source file the grader can read."""
ERROR = "grader error"
"""Submission status: grading itself failed (a bug in a grader, reported to the teacher)."""


@dataclass
class CaseResult:
    """The outcome of one test case for one submission."""

    question: str
    """Question (test file) name, e.g. ``q1_fit_kmeans``."""
    name: str
    """The case title the student reads."""
    score: float
    """Points earned."""
    max_score: float
    """Points possible."""
    status: str
    """``passed``, ``failed`` or ``not run``."""
    output: str = ""
    """Message for the student (never hidden inputs or tracebacks)."""
    hidden: bool = False
    """A hidden case: its output is visible once grades are published."""
    seconds: float = 0.0
    """Wall time of the case."""
    detail: str = ""
    """For the teacher only: the traceback or reason behind ``output``."""
    hint: str = ""
    """One hint for the student (without the ``hint:`` prefix); rendered after the message."""
    expected: str = ""
    """What the check expected, as the student should read it (e.g. ``(10, 64)``)."""
    actual: str = ""
    """What the student's code gave, as the student should read it (e.g. ``(64, 10)``)."""
    manual: bool = False
    """A manually graded question (:mod:`autograder.manual`): ``output`` is the teacher's
    comment, and ``not run`` means *to be graded by the teacher*."""

    @property
    def to_be_graded(self) -> bool:
        """A manual question whose points the teacher has not entered yet."""
        return self.manual and self.status == NOT_RUN

    def text(self) -> str:
        """The message, the expected and actual values and the hint, as one block of text.

        The form every renderer without fields of its own uses (Gradescope's ``output``,
        otter, pytest); a renderer with room for fields lays them out itself.
        """
        lines = [self.output] if self.output else []
        if self.expected:
            lines.append(f"expected: {self.expected}")
        if self.actual:
            lines.append(f"yours:    {self.actual}")
        if self.hint:
            lines.append(f"hint: {self.hint}")
        return "\n".join(lines)


@dataclass
class SubmissionResult:
    """Everything the grader found about one submission."""

    student: str
    """Student identifier (from the file or folder name)."""
    assignment: str
    """Assignment name."""
    cases: list[CaseResult] = field(default_factory=list)
    """One result per case, in grading order."""
    status: str = GRADED
    """``graded``, ``did not import``, ``unreadable`` or ``grader error``."""
    message: str = ""
    """Submission-level message for the student (e.g. why the module did not import)."""
    notes: list[str] = field(default_factory=list)
    """Notes for the student about their file (a notebook's skipped magics, say)."""
    output: str = ""
    """The child's stdout/stderr, bounded; for the teacher only."""
    student_output: str = ""
    """What the module printed (stdout and stderr) at import and in the public cases,
    as captured (at most 64 KB): only ``clusterlab check`` fills it, and shows the start
    of it, sanitised, under the results. ``grade`` leaves it empty, so no student-facing
    output of a batch carries text printed while hidden cases ran (``output`` has it, for
    the teacher)."""
    printed_bytes: int = 0
    """How many bytes the module printed in all, kept or not (``check`` only)."""
    warnings: list[str] = field(default_factory=list)
    """Protections that were missing while grading (shown to the teacher)."""
    integrity: list[str] = field(default_factory=list)
    """Suspicious events (exits, kills, rejected data) for the teacher."""
    seconds: float = 0.0
    """Wall time of the whole submission."""
    hidden_points: float = 0.0
    """Points of hidden cases that were not run (``clusterlab check``): announced to the
    student as checked when the teacher grades."""
    sha256: str = ""
    """Hash of the submitted file."""
    source: str = ""
    """Path of the submitted file."""
    figures: list[dict[str, str]] = field(default_factory=list)
    """Pictures of what the student's code returned on public inputs, for their feedback
    page: ``{"title", "caption", "mime", "data"}`` with ``data`` in base64 (made by
    :mod:`autograder.figures`; never from hidden inputs or reference values)."""

    @property
    def score(self) -> float:
        return round(sum(c.score for c in self.cases), 6)

    @property
    def max_score(self) -> float:
        return round(sum(c.max_score for c in self.cases), 6)

    @property
    def to_be_graded(self) -> list[CaseResult]:
        """Manual questions whose points the teacher has not entered yet."""
        return [c for c in self.cases if c.to_be_graded]

    def question_scores(self) -> dict[str, tuple[float, float]]:
        """Question name -> (score, max_score), in grading order."""
        out: dict[str, tuple[float, float]] = {}
        for c in self.cases:
            s, m = out.get(c.question, (0.0, 0.0))
            out[c.question] = (round(s + c.score, 6), round(m + c.max_score, 6))
        return out

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SubmissionResult:
        data = dict(data)
        known = set(CaseResult.__dataclass_fields__)
        data["cases"] = [
            CaseResult(**{k: v for k, v in c.items() if k in known}) for c in data.get("cases", [])
        ]
        return cls(**data)
