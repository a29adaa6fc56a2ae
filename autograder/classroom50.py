"""Classroom 50's ``result.json`` (schema ``classroom50/result/v1``) from a graded submission.

Contract followed: the Classroom 50 wiki, "Advanced Autograding", section "The
result.json contract" (foundation50/classroom50, wiki/Advanced-Autograding.md):
``schema`` is exactly ``classroom50/result/v1``; ``classroom``, ``assignment``,
``submission`` (the submit tag), ``commit``, ``release`` and ``review`` are strings
the runner passes as the environment variables ``CLASSROOM``, ``ASSIGNMENT``,
``SUBMISSION_TAG``, ``COMMIT_URL``, ``RELEASE_URL`` and ``REVIEW_URL`` (``review``
falls back to the commit URL); ``owner`` and ``assignment_type`` are stamped by the
runner; ``score`` and ``max-score`` are integers, the sums over ``tests[]``, whose
entries have ``test-name``, ``passed``, ``score`` and ``max-score`` (extra fields on a
test are kept verbatim: we add the student's ``message``). The autograder exits 0
whenever it ran; pass or fail is in the file.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from autograder.gradebook import atomic_write
from autograder.results import NOT_RUN, PASSED, SubmissionResult

SCHEMA = "classroom50/result/v1"

RUNNER_FIELDS = {
    "classroom": "CLASSROOM",
    "assignment": "ASSIGNMENT",
    "submission": "SUBMISSION_TAG",
    "commit": "COMMIT_URL",
    "release": "RELEASE_URL",
    "review": "REVIEW_URL",
}
"""result.json field -> the runner's environment variable that fills it."""


def _points(x: float) -> int:
    # the schema wants whole points: never round a partial score up
    return int(math.floor(x + 1e-9))


def result_json(
    result: SubmissionResult, *, env: Mapping[str, str] | None = None, now: datetime | None = None
) -> dict[str, Any]:
    """The ``classroom50/result/v1`` document of one graded submission.

    Runner fields are filled from ``env`` (default: ``os.environ``) where present.
    """
    env = os.environ if env is None else env
    out: dict[str, Any] = {"schema": SCHEMA}
    for key, var in RUNNER_FIELDS.items():
        value = env.get(var, "")
        if key == "review" and not value:
            value = env.get("COMMIT_URL", "")
        if value:
            out[key] = value
    stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    out["datetime"] = stamp
    out["graded_at"] = stamp
    tests = []
    for c in result.cases:
        passed = c.status == PASSED
        tests.append(
            {
                "test-name": c.name,
                "passed": passed,
                "score": _points(c.score),
                "max-score": round(c.max_score),
                "message": c.output if c.status != NOT_RUN else f"not run: {c.output}",
            }
        )
    out["score"] = sum(t["score"] for t in tests)
    out["max-score"] = sum(t["max-score"] for t in tests)
    out["tests"] = tests
    return out


def write_result(
    result: SubmissionResult, path: Path, *, env: Mapping[str, str] | None = None
) -> Path:
    """Write ``result.json`` at ``path`` (or inside it, when ``path`` is a folder)."""
    if path.is_dir():
        path = path / "result.json"
    atomic_write(
        path, json.dumps(result_json(result, env=env), indent=2, ensure_ascii=False) + "\n"
    )
    return path
