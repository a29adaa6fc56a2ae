"""Gradescope's ``results.json`` schema: ``results/<student>.json`` for every student."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from autograder.gradebook import atomic_write
from autograder.render import Batch, message
from autograder.results import NOT_RUN, PASSED, SubmissionResult, visibility


def results_json(result: SubmissionResult) -> dict[str, Any]:
    """The result in Gradescope's ``results.json`` schema (our extras in ``extra_data``)."""
    return {
        "score": result.score,
        "max_score": result.max_score,
        "execution_time": round(result.seconds, 3),
        "output": "\n".join([*result.notes, result.message]).strip(),
        "tests": [
            {
                "name": c.name,
                "number": c.question,
                "score": c.score,
                "max_score": c.max_score,
                "status": "passed" if c.status == PASSED else "failed",
                "output": _output(c),
                "visibility": visibility(c.hidden),
            }
            for c in result.cases
        ],
        "extra_data": {
            "student": result.student,
            "assignment": result.assignment,
            "status": result.status,
            "integrity": result.integrity,
            "warnings": result.warnings,
            "sha256": result.sha256,
            "hidden_points": result.hidden_points,
            "to_be_graded": [c.question for c in result.to_be_graded],
            "cases": [
                {
                    "question": c.question,
                    "name": c.name,
                    "status": c.status,
                    "hidden": c.hidden,
                    "seconds": round(c.seconds, 4),
                    "detail": c.detail,
                    "hint": c.hint,
                    "expected": c.expected,
                    "actual": c.actual,
                    "manual": c.manual,
                }
                for c in result.cases
            ],
            "child_output": result.output,
        },
    }


def _output(c) -> str:
    if c.to_be_graded or (c.manual and c.status != NOT_RUN):
        return c.output  # "to be graded by the teacher", or the teacher's comment
    return message(c) if c.status != NOT_RUN else f"not run: {c.output}"


def write(batch: Batch, out: Path) -> list[Path]:
    """``results/<student>.json`` for every result."""
    written = []
    for r in batch.results:
        path = out / "results" / f"{r.student}.json"
        atomic_write(path, json.dumps(results_json(r), indent=2, ensure_ascii=False) + "\n")
        written.append(path)
    return written
