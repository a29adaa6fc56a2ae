"""Classroom 50: `clusterlab check --classroom50` writes result.json to classroom50/result/v1."""

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from autograder.classroom50 import result_json
from autograder.results import CaseResult, SubmissionResult

REPO = Path(__file__).resolve().parent.parent

# The contract's table in the Classroom 50 wiki ("Advanced Autograding", "The
# result.json contract"), as a JSON Schema: runner fields are strings, score and
# max-score integers, each test has test-name, passed, score, max-score.
RESULT_V1 = {
    "type": "object",
    "required": ["schema", "score", "max-score", "tests"],
    "properties": {
        "schema": {"const": "classroom50/result/v1"},
        **{
            k: {"type": "string", "minLength": 1}
            for k in ("classroom", "assignment", "submission", "commit", "release", "review")
        },
        "datetime": {"type": "string", "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"},
        "graded_at": {"type": "string", "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"},
        "score": {"type": "integer", "minimum": 0},
        "max-score": {"type": "integer", "minimum": 0},
        "tests": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["test-name", "passed", "score", "max-score"],
                "properties": {
                    "test-name": {"type": "string"},
                    "passed": {"type": "boolean"},
                    "score": {"type": "integer"},
                    "max-score": {"type": "integer"},
                },
            },
        },
    },
    "additionalProperties": False,
}

RUNNER = {
    "CLASSROOM": "cs-data-2026",
    "ASSIGNMENT": "kmeans-scratch",
    "SUBMISSION_TAG": "submit/2026-12-04T10-22-05Z-a1b2c3d",
    "COMMIT_URL": "https://github.com/cs-data/kmeans-scratch-sanne/commit/a1b2c3d",
    "RELEASE_URL": "https://github.com/cs-data/kmeans-scratch-sanne/releases/tag/submit%2F2026",
}


def check(file, out, env):
    return subprocess.run(
        [sys.executable, "-m", "autograder.cli", "check", "kmeans_scratch", str(file)]
        + ["--classroom50", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **env},
        cwd=out.parent,
    )


def validate(doc):
    jsonschema.validate(doc, RESULT_V1)
    assert doc["score"] == sum(t["score"] for t in doc["tests"])
    assert doc["max-score"] == sum(t["max-score"] for t in doc["tests"])


def test_solution_scores_full_with_the_runner_fields(tmp_path):
    out = tmp_path / "result.json"
    proc = check(REPO / "solutions" / "kmeans_scratch.py", out, RUNNER)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = json.loads(out.read_text())
    validate(doc)
    assert doc["score"] == doc["max-score"] > 0 and all(t["passed"] for t in doc["tests"])
    assert doc["classroom"] == "cs-data-2026" and doc["submission"] == RUNNER["SUBMISSION_TAG"]
    assert doc["review"] == RUNNER["COMMIT_URL"]  # no REVIEW_URL: the commit


def test_stub_fails_but_grading_ran_so_exit_0(tmp_path):
    bundle = tmp_path / "repo"
    bundle.mkdir()
    stub = bundle / "kmeans_scratch.py"
    stub.write_text((REPO / "assignments/kmeans_scratch/kmeans_scratch.py").read_text())
    (bundle / "tests").mkdir()  # a student's own "checks" are never what Classroom 50 scores
    (bundle / "tests" / "q1_fake.py").write_text("OK_FORMAT = False\nname = 'q1'\npoints = 1\n")
    out = bundle / "result.json"
    proc = check(stub, out, {})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = json.loads(out.read_text())
    validate(doc)
    assert doc["score"] == 0 < doc["max-score"] and len(doc["tests"]) > 1
    assert "classroom" not in doc  # not on a runner: no runner fields
    assert "NotImplementedError" in doc["tests"][0]["message"]


def test_grading_that_cannot_run_exits_non_zero(tmp_path):
    proc = check(tmp_path / "missing.py", tmp_path / "result.json", {})
    assert proc.returncode == 2 and "does not exist" in proc.stderr
    assert not (tmp_path / "result.json").exists()


@pytest.mark.parametrize(("score", "expected"), [(2.0, 2), (1.5, 1), (0.0, 0)])
def test_partial_points_are_never_rounded_up(score, expected):
    result = SubmissionResult(
        "s", "a", cases=[CaseResult("q1", "t", score, 2.0, "failed" if score < 2 else "passed")]
    )
    doc = result_json(result, env={"CLASSROOM": "c", "REVIEW_URL": "https://x/compare"})
    validate(doc)
    assert doc["score"] == expected and doc["max-score"] == 2
    assert doc["review"] == "https://x/compare" and doc["classroom"] == "c"
