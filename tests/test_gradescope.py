"""The Gradescope autograder zip: run_autograder grades in ClusterLab's sandbox, in a folder
laid out like /autograder, and scores exactly as `clusterlab grade` does."""

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder import assignment
from autograder.batch import grade_batch
from autograder.gradebook import Gradebook
from autograder.gradescope import PYTHON_VARIABLE, ROOT_VARIABLE, build_wheel, export_zip

from .conftest import ENGINE

REPO = Path(__file__).resolve().parent.parent
ATTACKS = Path(__file__).parent / "fixtures" / "attacks"

# Gradescope's "Autograder Specifications", output format
SPEC_TOP = {
    "score", "execution_time", "output", "output_format", "test_output_format",
    "test_name_format", "visibility", "stdout_visibility", "extra_data", "tests", "leaderboard",
}  # fmt: skip
SPEC_TEST = {
    "score", "max_score", "status", "name", "name_format", "number", "output",
    "output_format", "tags", "visibility", "extra_data",
}  # fmt: skip

BROKEN = (
    (ENGINE / "submissions" / "good.py").read_text().replace("2 * np.asarray", "3 * np.asarray")
)
SUBMISSIONS = {
    "solution": (ENGINE / "submissions" / "good.py").read_text(),
    "broken": BROKEN,  # double is wrong: loses its public and its hidden case
    "endless": (ENGINE / "submissions" / "endless_loop.py").read_text(),
    "attack": (ATTACKS / "patch_otter.py").read_text(),  # monkeypatches otter's test runner
}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    return build_wheel(tmp_path_factory.mktemp("wheel"))


@pytest.fixture(scope="module")
def toy_zip(wheel, tmp_path_factory):
    return export_zip(
        assignment.load("toy", root=ENGINE), tmp_path_factory.mktemp("zip") / "toy.zip", wheel=wheel
    )


def autograde(zip_path: Path, root: Path, source: str | None, env_extra=None) -> dict:
    """Lay out ``root`` like /autograder, put ``source`` in as the submission, run it."""
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(root / "source")
        for info in zf.infolist():  # zipfile drops the permission bits
            os.chmod(root / "source" / info.filename, info.external_attr >> 16 & 0o777)
    (root / "submission").mkdir()
    (root / "results").mkdir()
    if source is not None:
        (root / "submission" / "toy.py").write_text(source)
    env = {**os.environ, ROOT_VARIABLE: str(root), PYTHON_VARIABLE: sys.executable}
    env.update(env_extra or {})
    proc = subprocess.run(
        [str(root / "source" / "run_autograder")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (root / "results" / "stdout").write_text(proc.stdout)  # as Gradescope keeps it
    return json.loads((root / "results" / "results.json").read_text())


@pytest.fixture(scope="module")
def graded(toy_zip, tmp_path_factory):
    """results.json of every submission, and `clusterlab grade`'s scores of the same files."""
    base = tmp_path_factory.mktemp("gs")
    results = {
        name: autograde(toy_zip, base / name, source) for name, source in SUBMISSIONS.items()
    }
    subs = base / "batch"
    subs.mkdir()
    for name, source in SUBMISSIONS.items():
        (subs / f"{name}.py").write_text(source)
    grade_batch(assignment.load("toy", root=ENGINE), subs, base / "out")
    book = Gradebook(base / "out" / "grades.sqlite")
    batch = {r.student: r for r in book.results("toy")}
    book.close()
    return results, batch


def test_the_zip_has_what_gradescope_needs(toy_zip):
    with zipfile.ZipFile(toy_zip) as zf:
        names = set(zf.namelist())
        modes = {i.filename: i.external_attr >> 16 for i in zf.infolist()}
        setup = zf.read("setup.sh").decode()
    assert {"setup.sh", "run_autograder", "graders/toy/q1_basics.py"} <= names
    assert modes["setup.sh"] & 0o111 and modes["run_autograder"] & 0o111
    wheels = [n for n in names if n.endswith(".whl")]
    assert len(wheels) == 1 and f"pip install --quiet ./{wheels[0]}" in setup
    assert subprocess.run(["bash", "-n", "-c", setup]).returncode == 0


def test_scores_equal_clusterlab_grades(graded):
    results, batch = graded
    for name, doc in results.items():
        assert doc["score"] == pytest.approx(batch[name].score), name
        assert sum(t["max_score"] for t in doc["tests"]) == batch[name].max_score == 5
        assert [t["score"] for t in doc["tests"]] == [c.score for c in batch[name].cases]
    assert results["solution"]["score"] == 5
    assert results["broken"]["score"] == 3
    assert results["endless"]["score"] == 1  # GREETING only; each call was stopped
    assert results["attack"]["score"] == 1  # the patched otter gets nothing


def test_results_json_has_only_the_specs_fields(graded):
    results, _ = graded
    for doc in results.values():
        assert set(doc) <= SPEC_TOP and "max_score" not in doc
        for test in doc["tests"]:
            assert set(test) <= SPEC_TEST and test["status"] in ("passed", "failed")
            assert test["visibility"] in ("visible", "after_published")
    endless = results["endless"]["tests"]
    assert any("stopped" in t["output"] for t in endless)
    assert any(t["visibility"] == "after_published" for t in endless)


def test_no_file_is_a_clear_zero(toy_zip, tmp_path):
    doc = autograde(toy_zip, tmp_path / "ag", None)
    assert doc["score"] == 0 and "no toy.py was found" in doc["output"]
    assert all(t["score"] == 0 for t in doc["tests"])


def test_a_regular_install_without_graders_grades_the_same(wheel, toy_zip, tmp_path):
    """What setup.sh leaves: the wheel installed (not editable), its graders deleted."""
    site = tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site)]
    subprocess.run([*pip, str(wheel)], check=True, timeout=300)
    shutil.rmtree(site / "autograder" / "graders")
    root = tmp_path / "ag"
    doc = autograde(toy_zip, root, SUBMISSIONS["broken"], {"PYTHONPATH": str(site)})
    assert doc["score"] == 3
    log = (root / "results" / "stdout").read_text()
    assert f"ClusterLab in {site / 'autograder'}" in log  # the installed copy graded


def test_export_gradescope_command(tmp_path):
    out = tmp_path / "handwriting-gradescope.zip"
    proc = subprocess.run(
        [sys.executable, "-m", "autograder.cli", "export", "handwriting", "--gradescope"]
        + ["--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    a = assignment.load("handwriting")
    with zipfile.ZipFile(out) as zf:
        names = set(zf.namelist())
    assert {f"graders/handwriting/{p.name}" for p in a.grader_files()} <= names
    assert {f"assignments/handwriting/{p.name}" for p in a.data_paths} <= names
    assert "Zip file upload" in proc.stdout


READ_GRADERS = """
import numpy as np

GREETING = "hello"


def _peek():
    try:
        with open("{root}/source/graders/toy/q1_basics.py") as fh:  # Gradescope's layout
            return fh.read()
    except OSError:
        return ""


def double(x):
    # doubles correctly only if the hidden tests could be read
    return (2 if "hidden=True" in _peek() else 3) * np.asarray(x)
"""


def test_the_graders_in_source_cannot_be_read_by_the_submission(toy_zip, tmp_path):
    root = tmp_path / "ag"
    doc = autograde(toy_zip, root, READ_GRADERS.format(root=root))
    if any("landlock" in w.lower() for w in doc["extra_data"]["warnings"]):
        pytest.skip("this kernel has no Landlock: the child could read any file")
    assert doc["score"] == 1  # GREETING only: the file stayed unreadable
