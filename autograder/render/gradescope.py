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


_string = json.encoder.encode_basestring  # what json.dumps uses with ensure_ascii=False
_SCALARS = {str: _string, int: int.__repr__, bool: lambda b: "true" if b else "false"}


def _float(x: float) -> str:
    if x != x:
        return "NaN"
    if x in (float("inf"), float("-inf")):
        return "Infinity" if x > 0 else "-Infinity"
    return float.__repr__(x)


def _encode(obj: Any, indent: str) -> str:
    kind = type(obj)
    if kind is dict:
        if not obj:
            return "{}"
        if any(type(k) is not str for k in obj):
            raise TypeError("a key that is not a string")
        inner = indent + "  "
        items = [f"{inner}{_string(k)}: {_encode(v, inner)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    if kind is list or kind is tuple:
        if not obj:
            return "[]"
        inner = indent + "  "
        return "[\n" + ",\n".join(inner + _encode(v, inner) for v in obj) + "\n" + indent + "]"
    if obj is None:
        return "null"
    if kind is float:
        return _float(obj)
    scalar = _SCALARS.get(kind)
    if scalar is None:
        raise TypeError(kind.__name__)
    return scalar(obj)


def dumps(data: dict[str, Any]) -> str:
    """``json.dumps(data, indent=2, ensure_ascii=False)``, the same text, several times
    faster (the standard library encodes indented JSON in pure Python: 2 ms per student).
    Anything but dicts with string keys, lists, strings, numbers, booleans and None goes
    to the standard library."""
    try:
        return _encode(data, "")
    except (TypeError, RecursionError):
        return json.dumps(data, indent=2, ensure_ascii=False)


def write(batch: Batch, out: Path) -> list[Path]:
    """``results/<student>.json`` for every result."""
    written = []
    for r in batch.results:
        path = out / "results" / f"{r.student}.json"
        atomic_write(path, dumps(results_json(r)) + "\n", sync=False)
        written.append(path)
    return written
