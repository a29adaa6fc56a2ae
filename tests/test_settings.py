"""Settings resolved once, the resume fingerprint, and the reference gate."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import assignment
from autograder.batch import grade_batch
from autograder.reference import ReferenceFailed
from autograder.settings import SettingsError, resolve

from .conftest import ENGINE

REPO = Path(__file__).resolve().parent.parent
STUB = REPO / "assignments" / "handwriting" / "handwriting.py"


def clusterlab(*args, cwd=REPO, timeout=600):
    return subprocess.run(
        [sys.executable, "-m", "autograder.cli", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_each_bad_value_is_reported_with_where_it_came_from(tmp_path):
    (tmp_path / "subs").mkdir()
    shutil.copy(STUB, tmp_path / "subs" / "anna.py")
    proc = clusterlab(
        "grade", "handwriting", tmp_path / "subs", "--out", tmp_path / "out",
        "--memory", "64", "--timeout", "0.1",
    )  # fmt: skip
    assert proc.returncode == 2
    assert "--timeout 0.1: must be between 1 and 3600 seconds per call" in proc.stderr
    assert "--memory 64: must be between 256 and 65536 MB" in proc.stderr
    assert not (tmp_path / "out").exists(), "nothing was graded"
    toy = assignment.load("toy", root=ENGINE)
    settings = resolve(toy, timeout=5)
    assert (settings.timeout, settings.memory_mb) == (5.0, 1024)
    assert settings.describe("timeout") == "--timeout 5"
    assert settings.describe("memory_mb") == "memory_mb = 1024 (assignment.toml of toy)"
    with pytest.raises(SettingsError, match="memory_mb = 100 in assignment.toml of toy"):
        resolve(toy.__class__(**{**toy.__dict__, "memory_mb": 100}))


def test_a_changed_timeout_or_grader_data_file_regrades(tmp_path):
    root = tmp_path / "engine"
    shutil.copytree(ENGINE, root, ignore=shutil.ignore_patterns("__pycache__"))
    subs = tmp_path / "subs"
    subs.mkdir()
    for name in ("good", "syntax_error"):
        shutil.copy(ENGINE / "submissions" / f"{name}.py", subs / f"{name}.py")
    toy = assignment.load("toy", root=root)
    out = tmp_path / "out"
    assert len(grade_batch(toy, subs, out).graded) == 2
    assert grade_batch(toy, subs, out).graded == []
    assert len(grade_batch(toy, subs, out, timeout=3).graded) == 2, "a new timeout"
    assert grade_batch(toy, subs, out, timeout=3).graded == []
    (root / "graders" / "toy" / "variant_k3.csv").write_text("k\n3\n")
    assert len(grade_batch(toy, subs, out, timeout=3).graded) == 2, "a new data file"


def test_the_reference_gate_stops_a_starved_batch_and_force_marks_every_result(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    shutil.copy(STUB, subs / "anna.py")
    out = tmp_path / "out"
    proc = clusterlab("grade", "handwriting", subs, "--out", out, "--memory", "400")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "the reference solution scored" in proc.stderr
    assert "likely cause: the memory limit (--memory 400)" in proc.stderr
    assert "--force" in proc.stderr and "Traceback" not in proc.stderr
    forced = clusterlab("grade", "handwriting", subs, "--out", out, "--memory", "400", "--force")
    assert forced.returncode == 0, forced.stdout + forced.stderr
    result = json.loads((out / "results" / "anna.json").read_text())
    assert any("likely cause: the memory limit" in w for w in result["extra_data"]["warnings"])
    assert "likely cause: the memory limit" in (out / "report.md").read_text()


def test_the_reference_gate_passes_a_sound_batch_once(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    shutil.copy(ENGINE / "submissions" / "good.py", subs / "good.py")
    toy = assignment.load("toy", root=ENGINE)
    summary = grade_batch(toy, subs, tmp_path / "out")
    assert summary.graded == ["good"] and summary.problems == []
    broken = tmp_path / "engine"
    shutil.copytree(ENGINE, broken, ignore=shutil.ignore_patterns("__pycache__"))
    (broken / "solutions" / "toy.py").write_text("GREETING = 'hello'\n")
    with pytest.raises(ReferenceFailed, match="scored 1/5.*not a setting"):
        grade_batch(assignment.load("toy", root=broken), subs, tmp_path / "out2")


def test_the_budget_is_a_setting_checked_with_its_source_and_a_new_budget_regrades(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    shutil.copy(STUB, subs / "anna.py")
    out = tmp_path / "out"
    grade = ("grade", "handwriting", subs, "--out", out)
    low = clusterlab(*grade, "--budget", "0.5")
    assert low.returncode == 2
    assert "--budget 0.5: must be between 1 and 86400 seconds per submission" in low.stderr
    short = clusterlab(*grade, "--budget", "5", "--timeout", "10")
    assert short.returncode == 2
    assert "--budget 5: must be at least the time of one call (--timeout 10)" in short.stderr
    assert not out.exists(), "nothing was graded"
    first = clusterlab(*grade, "--budget", "120")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "graded 1, already up to date 0" in first.stdout
    again = clusterlab(*grade, "--budget", "120")
    assert "graded 0, already up to date 1" in again.stdout, again.stdout + again.stderr
    changed = clusterlab(*grade, "--budget", "150")
    assert "graded 1, already up to date 0" in changed.stdout, "a new budget regrades"
    default = clusterlab(*grade)  # the default budget (10 x the timeout) is another one
    assert "graded 1, already up to date 0" in default.stdout, default.stdout + default.stderr


def test_the_budget_comes_from_the_command_line_then_assignment_toml_then_the_default():
    toy = assignment.load("toy", root=ENGINE)
    assert resolve(toy).budget == 10 * toy.timeout
    assert resolve(toy).describe("budget") == f"budget = {10 * toy.timeout:g} (default)"
    assert resolve(toy, timeout=2).budget == 20.0, "10 x the resolved timeout"
    in_toml = toy.__class__(**{**toy.__dict__, "budget": 45.0})
    assert resolve(in_toml).budget == 45.0
    assert resolve(in_toml, budget=60).describe("budget") == "--budget 60"
    with pytest.raises(SettingsError, match=r"budget = 2 in assignment.toml of toy: must be at"):
        resolve(toy.__class__(**{**toy.__dict__, "budget": 2.0}), timeout=3)


def test_on_a_pool_the_reference_is_the_first_job_and_its_verdict_decides_what_is_kept(tmp_path):
    """workers > 1: the reference is graded by a worker (the batch starts no zygote of its
    own), student results wait for its verdict: kept if it passes, with the warning under
    --force, and none recorded when it fails."""
    from autograder.gradebook import Gradebook

    subs = tmp_path / "subs"
    subs.mkdir()
    for name in ("good", "syntax_error", "endless_loop"):
        shutil.copy(ENGINE / "submissions" / f"{name}.py", subs / f"{name}.py")
    sound = grade_batch(assignment.load("toy", root=ENGINE), subs, tmp_path / "out", workers=2)
    assert sorted(sound.graded) == ["endless_loop", "good", "syntax_error"]
    assert sound.problems == []
    book = Gradebook(tmp_path / "out" / "grades.sqlite")
    try:
        students = [r.student for r in book.results("toy")]
    finally:
        book.close()
    assert sorted(students) == ["endless_loop", "good", "syntax_error"], "no reference row"

    broken = tmp_path / "engine"
    shutil.copytree(ENGINE, broken, ignore=shutil.ignore_patterns("__pycache__"))
    (broken / "solutions" / "toy.py").write_text("GREETING = 'hello'\n")
    toy = assignment.load("toy", root=broken)
    with pytest.raises(ReferenceFailed, match="scored 1/5.*not a setting"):
        grade_batch(toy, subs, tmp_path / "out2", workers=2)
    book = Gradebook(tmp_path / "out2" / "grades.sqlite")
    try:
        assert book.results("toy") == [], "results graded before the verdict are dropped"
    finally:
        book.close()
    forced = grade_batch(toy, subs, tmp_path / "out2", workers=2, force=True)
    assert sorted(forced.graded) == ["endless_loop", "good", "syntax_error"]
    assert any("scored 1/5" in p for p in forced.problems)
    good = json.loads((tmp_path / "out2" / "results" / "good.json").read_text())
    assert any("graded anyway with --force" in w for w in good["extra_data"]["warnings"])


def test_a_reference_its_worker_could_not_grade_blames_no_setting(tmp_path):
    """On a pool the reference is graded by a worker; if grading it failed (a worker that
    died twice, a grader bug), the gate says so instead of guessing "the time limit"."""
    from autograder.gradebook import Gradebook
    from autograder.grading import Grader
    from autograder.reference import record_reference, reference_verdict
    from autograder.results import ERROR, SubmissionResult

    toy = assignment.load("toy", root=ENGINE)
    grader = Grader(toy)
    settings = resolve(toy)
    failed = SubmissionResult(student="reference solution", assignment="toy", status=ERROR)
    failed.message = "your submission stopped its grading process, also when graded on its own"
    failed.cases = grader._not_run("grading stopped: " + failed.message)
    book = Gradebook(tmp_path / "grades.sqlite")
    try:
        record_reference(grader, settings, book, "fp", failed)
        with pytest.raises(ReferenceFailed, match="not a setting: grading it failed"):
            reference_verdict(grader, book, "fp", force=False)
    finally:
        book.close()
        grader.close()
