"""Batches: discovery, student names, resumption, and a hostile class that still completes."""

import json
import shutil

import pytest

from autograder import assignment
from autograder.batch import discover, grade_batch, student_id
from autograder.gradebook import Gradebook

from .conftest import ENGINE


@pytest.mark.parametrize(
    ("filename", "student"),
    [
        ("bakker_48213_99102_handwriting.py", "bakker_48213"),
        ("bakker_LATE_48213_99102_handwriting-1.py", "bakker_48213"),
        ("Sanne de Vries_123456_assignsubmission_file_handwriting.py", "sanne_de_vries_123456"),
        ("devries_sanne.py", "devries_sanne"),
        ("weird name!.py", "weird_name"),
    ],
)
def test_lms_download_names_map_to_the_student(filename, student):
    assert student_id(filename) == student


def test_discover_files_folders_and_symlinks(tmp_path):
    (tmp_path / "anna.py").write_text("x = 1\n")
    (tmp_path / "bram").mkdir()
    (tmp_path / "bram" / "toy.py").write_text("x = 2\n")
    (tmp_path / "bram" / "notes.txt").write_text("ignored\n")
    (tmp_path / "cas").mkdir()  # a folder without toy.py
    (tmp_path / "dirk.py").symlink_to("/etc/passwd")
    (tmp_path / "notes.txt").write_text("not a submission\n")
    subs = {s.student: s for s in discover(tmp_path, "toy")}
    assert set(subs) == {"anna", "bram", "cas", "dirk"}
    assert subs["bram"].path == tmp_path / "bram" / "toy.py"
    assert subs["dirk"].note == "a symbolic link"


@pytest.fixture(scope="module")
def hostile_class(tmp_path_factory):
    """Every engine fixture (good and hostile) as one class, graded with 2 workers."""
    root = tmp_path_factory.mktemp("class")
    subs = root / "submissions"
    shutil.copytree(ENGINE / "submissions", subs)
    (subs / "linked.py").symlink_to(ENGINE / "graders" / "toy" / "q1_basics.py")
    (subs / "missing").mkdir()
    toy = assignment.load("toy", root=ENGINE)
    summary = grade_batch(toy, subs, root / "out", workers=2)
    return toy, subs, root / "out", summary


def test_a_hostile_class_completes_with_every_student_graded(hostile_class):
    toy, subs, out, summary = hostile_class
    students = {p.stem for p in subs.iterdir()}
    assert set(summary.graded) == students
    book = Gradebook(out / "grades.sqlite")
    try:
        results = {r.student: r for r in book.results("toy")}
    finally:
        book.close()
    assert set(results) == students
    assert results["good"].score == 5
    assert results["linked"].status == "unreadable" and results["linked"].score == 0
    assert results["missing"].status == "unreadable"
    assert "no toy.py" in results["missing"].message
    for student in students - {"good"}:
        assert results[student].score < 5, student
    feedback = (out / "feedback" / "linked.md").read_text()
    assert "double returns twice" in feedback and "symbolic link" in feedback


def test_gradescope_json_hides_nothing_it_should_show(hostile_class):
    _, _, out, _ = hostile_class
    result = json.loads((out / "results" / "endless_loop.json").read_text())
    tests = {t["name"]: t for t in result["tests"]}
    assert tests["double works on other input"]["visibility"] == "after_published"
    assert tests["double works on other input"]["output"].startswith("not run: ")
    assert result["extra_data"]["integrity"], "the time-outs are recorded for the teacher"


def test_rerun_grades_nothing_and_a_changed_file_is_regraded(hostile_class, tmp_path):
    toy, subs, out, _ = hostile_class
    again = grade_batch(toy, subs, out, workers=1)
    assert again.graded == [] and len(again.skipped) == len(list(subs.iterdir()))
    (subs / "good.py").write_text((subs / "good.py").read_text() + "\n# edited\n")
    third = grade_batch(toy, subs, out, workers=1)
    assert third.graded == ["good"]
    forced = grade_batch(toy, subs, out, workers=1, regrade=True)
    assert len(forced.graded) == len(list(subs.iterdir()))
