"""The clusterlab command, run for real in a subprocess."""

import csv
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "examples" / "handwriting"


def clusterlab(*args, cwd=REPO, timeout=900):
    return subprocess.run(
        [sys.executable, "-m", "autograder.cli", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_list_shows_every_assignment_with_points():
    proc = clusterlab("list")
    assert proc.returncode == 0, proc.stderr
    assert "handwriting" in proc.stdout and "K-means on handwritten digits" in proc.stdout


def test_unknown_assignment_is_a_clear_error():
    proc = clusterlab("check", "handwritting")
    assert proc.returncode == 2
    assert "no assignment called 'handwritting'" in proc.stderr and "handwriting" in proc.stderr


def test_check_passes_the_solution_and_explains_the_stub():
    good = clusterlab("check", "handwriting", REPO / "solutions" / "handwriting.py")
    assert good.returncode == 0, good.stdout
    assert "✗" not in good.stdout
    # the hidden points are announced, not left out of a "100%"
    assert good.stdout.rstrip().endswith(
        "public checks: 64/64 points; 36 more points are checked when your teacher grades"
    )
    stub = clusterlab("check", "handwriting", REPO / "assignments/handwriting/handwriting.py")
    assert stub.returncode == 1
    assert "✗ fit_kmeans returns a fitted model" in stub.stdout
    # explained once, then not run (the terminal may wrap the line)
    assert "not run, because fit_kmeans failed" in " ".join(stub.stdout.split())
    assert "raised NotImplementedError" in stub.stdout


def test_check_json_is_a_gradescope_result_with_public_cases_only():
    proc = clusterlab("check", "handwriting", REPO / "solutions" / "handwriting.py", "--json")
    result = json.loads(proc.stdout)
    assert result["score"] == result["max_score"] > 0
    assert all(t["visibility"] == "visible" for t in result["tests"])


@pytest.fixture(scope="module")
def demo_runs(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    first = clusterlab("grade", "handwriting", DEMO, "--out", out, "--workers", "2")
    second = clusterlab("grade", "handwriting", DEMO, "--out", out, "--workers", "2")
    return out, first, second


def test_grade_demo_class_writes_every_output(demo_runs):
    out, first, _ = demo_runs
    assert first.returncode == 0, first.stderr + first.stdout
    students = sorted(p.stem for p in DEMO.glob("*.py"))
    rows = list(csv.DictReader((out / "gradebook.csv").open()))
    assert len(rows) == len(students) >= 8
    assert {"total", "max_score", "percent", "status"} <= set(rows[0])
    for row in rows:
        result = json.loads((out / "results" / f"{row['student']}.json").read_text())
        assert {"score", "max_score", "tests"} <= set(result)
        for test in result["tests"]:
            assert {"name", "score", "max_score", "status", "output", "visibility"} <= set(test)
        assert float(row["total"]) == pytest.approx(result["score"])
        assert (out / "feedback" / f"{row['student']}.md").is_file()
    assert "Class report" in (out / "report.md").read_text()
    scores = sorted(float(r["percent"]) for r in rows)
    assert scores[-1] == 100.0 and scores[0] < 50.0, "the demo class has varied quality"


def test_second_run_grades_nothing_new(demo_runs):
    out, first, second = demo_runs
    assert second.returncode == 0, second.stderr
    n = len(list(DEMO.glob("*.py")))
    assert f"graded {n}, already up to date 0" in first.stdout
    assert f"graded 0, already up to date {n}" in second.stdout
    with sqlite3.connect(out / "grades.sqlite") as db:
        (count,) = db.execute("SELECT count(*) FROM submissions").fetchone()
    assert count == n
