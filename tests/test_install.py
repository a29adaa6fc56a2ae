"""A regular (non-editable) install keeps every protection and every score.

The wheel puts the graders inside site-packages, which the sandbox child must read
(numpy, scikit-learn's bundled data): the child sees site-packages with the graders'
folder masked, so scores are those of the editable install and the graders stay
unreadable. `clusterlab check` never runs test files found next to a submission.
"""

import csv
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from autograder.grading import Grader

REPO = Path(__file__).resolve().parent.parent
STUDENTS = ["devries_sanne", "jansen_pieter", "smit_daan"]  # 100, 92 and 82 points
THIEF = """
import os

import autograder

try:
    with open(os.path.join(os.path.dirname(autograder.__file__), "graders", "handwriting",
                           "q1_load_data.py")) as fh:
        LEAK = fh.read()
except OSError as exc:
    LEAK = type(exc).__name__
if "test_case" in LEAK:
    raise SystemExit("read the hidden graders")
"""


def run(cmd: list, cwd: Path) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory) -> Path:
    """A fresh venv with ClusterLab installed from its wheel (dependencies shared)."""
    root = tmp_path_factory.mktemp("wheel")
    run([sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "-q", "-w", "dist"], root)
    run([sys.executable, "-m", "venv", "venv"], root)
    python = root / "venv" / "bin" / "python"
    wheel = next((root / "dist").glob("clusterlab-*.whl"))
    run([str(python), "-m", "pip", "install", "-q", "--no-deps", str(wheel)], root)
    # numpy, scikit-learn, otter...: the ones of this environment, not a second download
    purelib = run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], root
    )
    Path(purelib.stdout.strip(), "clusterlab-deps.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n"
    )
    where = run(
        [str(python), "-c", "import autograder; print(autograder.__file__)"],
        tmp_path_factory.mktemp("elsewhere"),
    )
    assert "site-packages" in where.stdout, "a regular install, not the checkout"
    return root / "venv"


def test_a_wheel_install_grades_the_demo_class_like_the_editable_one(wheel_venv, tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    for name in STUDENTS:
        (subs / f"{name}.py").write_bytes(
            (REPO / "examples/handwriting" / f"{name}.py").read_bytes()
        )
    thief = (REPO / "examples/handwriting/smit_daan.py").read_text() + THIEF
    (subs / "thief.py").write_text(thief)
    run(
        [
            str(wheel_venv / "bin" / "clusterlab"),
            "grade",
            "handwriting",
            str(subs),
            "--out",
            str(tmp_path / "out"),
        ],
        tmp_path,
    )
    with open(tmp_path / "out" / "gradebook.csv") as fh:
        installed = {row["student"]: float(row["total"]) for row in csv.DictReader(fh)}
    grader = Grader("handwriting")
    try:
        editable = {name: grader.grade(subs / f"{name}.py").score for name in STUDENTS}
    finally:
        grader.close()
    assert editable == {name: installed[name] for name in STUDENTS}
    assert sorted(editable.values()) == [82, 92, 100]
    assert installed["thief"] == installed["smit_daan"], "the graders were not readable"


def test_check_never_runs_test_files_next_to_the_submission(tmp_path):
    (tmp_path / "tests").mkdir()
    owned = str(tmp_path / "owned")
    (tmp_path / "tests" / "q1_evil.py").write_text(
        "from otter.test_files import test_case\n"
        "OK_FORMAT = False\nname = 'q1_evil'\npoints = 100\n\n"
        "@test_case(points=100)\ndef evil(fit_kmeans):\n"
        f"    open({owned!r}, 'w').write('ran in the grader')\n"
    )
    stub = tmp_path / "handwriting.py"
    stub.write_bytes((REPO / "assignments/handwriting/handwriting.py").read_bytes())
    cli = Path(sys.executable).parent / "clusterlab"
    proc = subprocess.run(
        [str(cli), "check", "handwriting", str(stub)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert not (tmp_path / "owned").exists()
    assert "100%" not in proc.stdout
