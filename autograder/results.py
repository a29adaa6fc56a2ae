"""Typed records of grading results, and their Gradescope ``results.json`` form."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

PASSED, FAILED, NOT_RUN = "passed", "failed", "not run"

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
    warnings: list[str] = field(default_factory=list)
    """Protections that were missing while grading (shown to the teacher)."""
    integrity: list[str] = field(default_factory=list)
    """Suspicious events (exits, kills, rejected data) for the teacher."""
    seconds: float = 0.0
    """Wall time of the whole submission."""
    sha256: str = ""
    """Hash of the submitted file."""
    source: str = ""
    """Path of the submitted file."""

    @property
    def score(self) -> float:
        return round(sum(c.score for c in self.cases), 6)

    @property
    def max_score(self) -> float:
        return round(sum(c.max_score for c in self.cases), 6)

    def question_scores(self) -> dict[str, tuple[float, float]]:
        """Question name -> (score, max_score), in grading order."""
        out: dict[str, tuple[float, float]] = {}
        for c in self.cases:
            s, m = out.get(c.question, (0.0, 0.0))
            out[c.question] = (round(s + c.score, 6), round(m + c.max_score, 6))
        return out

    def to_gradescope(self) -> dict[str, Any]:
        """The result in Gradescope's ``results.json`` schema (with our extras in extra_data)."""
        return {
            "score": self.score,
            "max_score": self.max_score,
            "execution_time": round(self.seconds, 3),
            "output": "\n".join([*self.notes, self.message]).strip(),
            "tests": [
                {
                    "name": c.name,
                    "number": c.question,
                    "score": c.score,
                    "max_score": c.max_score,
                    "status": "passed" if c.status == PASSED else "failed",
                    "output": c.output if c.status != NOT_RUN else f"not run: {c.output}",
                    "visibility": "after_published" if c.hidden else "visible",
                }
                for c in self.cases
            ],
            "extra_data": {
                "student": self.student,
                "assignment": self.assignment,
                "status": self.status,
                "integrity": self.integrity,
                "warnings": self.warnings,
                "sha256": self.sha256,
                "cases": [
                    {
                        "question": c.question,
                        "name": c.name,
                        "status": c.status,
                        "hidden": c.hidden,
                        "seconds": round(c.seconds, 4),
                        "detail": c.detail,
                    }
                    for c in self.cases
                ],
                "child_output": self.output,
            },
        }

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SubmissionResult:
        data = dict(data)
        data["cases"] = [CaseResult(**c) for c in data.get("cases", [])]
        return cls(**data)
