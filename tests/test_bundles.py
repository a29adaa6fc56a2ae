"""The student bundle runs its public checks under pytest and under the real otter-grader."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import assignment
from autograder.results import hidden_points_line
from autograder.testfiles import load_questions

REPO = Path(__file__).resolve().parent.parent
NAMES = [n for n in assignment.names() if (REPO / "solutions" / f"{n}.py").is_file()]


def bundle_with(name: str, module_source: Path, tmp_path: Path) -> Path:
    a = assignment.load(name)
    folder = tmp_path / name
    shutil.copytree(a.bundle_dir, folder)
    shutil.copy(module_source, folder / f"{a.module}.py")
    return folder


def run(cmd, cwd):
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("name", NAMES)
def test_pytest_in_the_bundle_passes_on_the_solution_and_fails_on_the_stub(name, tmp_path):
    a = assignment.load(name)
    good = bundle_with(name, REPO / "solutions" / f"{name}.py", tmp_path / "good")
    proc = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], good)
    assert proc.returncode == 0, proc.stdout[-3000:]
    n_public = sum(
        1
        for q in a.public_files()
        for line in q.read_text().splitlines()
        if line.startswith("@test_case(")
    )
    assert f"{n_public} passed" in proc.stdout

    stub = bundle_with(name, a.bundle_dir / f"{a.module}.py", tmp_path / "stub")
    proc = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], stub)
    assert proc.returncode == 1, proc.stdout[-3000:]  # tests failed; pytest itself did not
    assert "NotImplementedError" in proc.stdout
    assert "Traceback" not in proc.stdout


def points_line(folder: Path, lost: float = 0) -> str:
    """The announcement for the bundle's public copies when ``lost`` public points are lost."""
    questions = load_questions(sorted((folder / "tests").glob("q*.py")), public_only=True)
    possible = sum(q.points for q in questions)
    hidden = sum(q.hidden_points for q in questions)
    return hidden_points_line(possible - lost, possible, hidden)


@pytest.mark.parametrize("name", NAMES)
def test_otter_check_passes_on_the_solution(name, tmp_path):
    a = assignment.load(name)
    good = bundle_with(name, REPO / "solutions" / f"{name}.py", tmp_path)
    proc = run([sys.executable, "-m", "otter", "check", f"{a.module}.py"], good)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "All tests passed!" in proc.stdout, proc.stdout[-3000:]
    if not (good / "tests" / "support" / "graderkit.py").is_file():
        pytest.skip(f"{name}'s graders do not load graderkit yet: no points line")
    # the same last line as `clusterlab check` and the bundle's pytest run
    assert proc.stdout.rstrip().splitlines()[-1] == points_line(good), proc.stdout[-3000:]


def test_otter_check_ends_with_the_points_line_on_a_broken_submission(tmp_path):
    """A tie broken the wrong way loses 1 public point: otter's failure report, then the line."""
    source = (REPO / "solutions" / "kmeans_scratch.py").read_text()
    old = "np.argmin(d2, axis=1)"
    assert source.count(old) == 1
    broken = tmp_path / "kmeans_scratch.py"
    broken.write_text(source.replace(old, "d2.shape[1] - 1 - np.argmin(d2[:, ::-1], axis=1)"))
    folder = bundle_with("kmeans_scratch", broken, tmp_path / "bundle")
    proc = run([sys.executable, "-m", "otter", "check", "kmeans_scratch.py"], folder)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "labels [3, 2, 3, 3, 2, 3]" in proc.stdout, proc.stdout[-3000:]
    assert proc.stdout.rstrip().splitlines()[-1] == points_line(folder, lost=1), proc.stdout
