"""Submissions as they arrive: LMS zips and folders, notebooks, resubmissions, hostile names."""

import ast
import csv
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder import assignment
from autograder.batch import grade_batch
from autograder.intake import MAX_ID, NoSubmissions, find_submissions, printable, student_id
from autograder.notebooks import to_module

from .conftest import ENGINE

REPO = Path(__file__).resolve().parent.parent
SOLUTION = (REPO / "solutions" / "handwriting.py").read_text()
STUB = (REPO / "assignments" / "handwriting" / "handwriting.py").read_text()
GOOD_TOY = (ENGINE / "submissions" / "good.py").read_text()


def clusterlab(*args, cwd=REPO, timeout=600):
    return subprocess.run(
        [sys.executable, "-m", "autograder.cli", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def notebook_of(source: str, *, before: list[str] = (), after: list[str] = ()) -> str:
    """A notebook made with nbformat: extra cells, then the module in one cell, then more."""
    nb = new_notebook()
    nb.cells = [new_markdown_cell("# My clustering notebook")]
    nb.cells += [new_code_cell(c) for c in before]
    nb.cells.append(new_code_cell(source))
    nb.cells += [new_code_cell(c) for c in after]
    return nbformat.writes(nb)


def make_zip(path: Path, members: dict[str, str | bytes], *, symlinks: dict[str, str] = ()):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        for name, target in dict(symlinks).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o120777) << 16
            zf.writestr(info, target)
    return path


@pytest.mark.parametrize(
    ("filename", "student"),
    [
        ("müller_777_888_handwriting.py", "müller_777"),
        ("kim_55555_66666_handwriting.ipynb", "kim_55555"),
        ("HANDWRITING.PY", "handwriting"),
        ("handwriting (1).py", "handwriting"),
        ("12345-67890 - Noor Hendriks - Nov 3, 2026 1013 PM - handwriting.py", "noor_hendriks"),
        ("Sanne de Vries_123456_assignsubmission_file_", "sanne_de_vries_123456"),
        ("evil\nname.py", "evil_name"),
    ],
)
def test_names_keep_their_letters_and_lose_what_is_unsafe(filename, student):
    assert student_id(filename) == student


def test_a_canvas_zip_with_macosx_resubmissions_and_a_notebook(tmp_path):
    outside = tmp_path / "evil.py"
    archive = make_zip(
        tmp_path / "submissions.zip",
        {
            "__MACOSX/._bakker_48213_99102_handwriting.py": b"\x00\x05\x16\x07",
            ".DS_Store": b"\x00\x00\x00\x01Bud1",
            "bakker_48213_99102_handwriting.py": STUB,
            "bakker_LATE_48213_99350_handwriting-1.py": SOLUTION,
            "kim_55555_66666_handwriting.ipynb": notebook_of(SOLUTION),
            "müller_777_888_handwriting.py": STUB,
            "notes.txt": "grading notes",
            "../evil.py": "print('escaped')",
        },
        symlinks={"link_1_2_handwriting.py": "/etc/passwd"},
    )
    intake = find_submissions(archive, "handwriting")
    try:
        subs = {s.student: s for s in intake.submissions}
        assert set(subs) == {"bakker_48213", "kim_55555", "müller_777"}
        assert subs["bakker_48213"].path.read_text() == SOLUTION, "the later attachment wins"
        assert subs["bakker_48213"].lms == "canvas"
        assert (subs["bakker_48213"].lms_user_id, subs["bakker_48213"].lms_submission_id) == (
            "48213",
            "99350",
        )
        assert intake.replaced == [
            "bakker_48213: bakker_48213_99102_handwriting.py was replaced by the later "
            "bakker_LATE_48213_99350_handwriting-1.py"
        ]
        reasons = dict(intake.not_graded)
        assert "ignored" in reasons["__MACOSX"] and "ignored" in reasons[".DS_Store"]
        assert reasons["notes.txt"] == "not a .py file or notebook"
        assert "outside" in reasons["../evil.py"]
        assert "symbolic link" in reasons["link_1_2_handwriting.py"]
        assert not outside.exists()
    finally:
        intake.cleanup()
    assert intake.workdir is None


def test_a_moodle_folder_with_nested_repos_and_online_text(tmp_path):
    subs = tmp_path / "download"
    sanne = subs / "Sanne de Vries_123456_assignsubmission_file_"
    jan = subs / "Jan Jansen_222222_assignsubmission_file_" / "src"
    for folder in (sanne, jan, subs / "Jan Jansen_222222_assignsubmission_onlinetext_"):
        folder.mkdir(parents=True)
    (sanne / "HANDWRITING.PY").write_text(STUB)
    (sanne / "handwriting.ipynb").write_text(notebook_of(STUB))
    (jan / "handwriting.py").write_text(STUB)
    (jan.parent / "README.md").write_text("my repo")
    intake = find_submissions(subs, "handwriting")
    found = {s.student: s for s in intake.submissions}
    assert set(found) == {"sanne_de_vries_123456", "jan_jansen_222222"}
    assert found["sanne_de_vries_123456"].path.name == "HANDWRITING.PY"
    assert found["jan_jansen_222222"].path == jan / "handwriting.py"
    assert found["jan_jansen_222222"].lms_user_id == "222222"
    assert found["jan_jansen_222222"].display_name == "Jan Jansen"
    reasons = dict(intake.not_graded)
    assert reasons["Sanne de Vries_123456_assignsubmission_file_/handwriting.ipynb"] == (
        "HANDWRITING.PY in the same folder was graded"
    )
    assert "online" in reasons["Jan Jansen_222222_assignsubmission_onlinetext_"]


def test_a_brightspace_zip_keeps_the_latest_by_its_date(tmp_path):
    late = "12345-67890 - Noor Hendriks - Nov 3, 2026 1013 PM - handwriting.py"
    early = "12001-67890 - Noor Hendriks - Oct 28, 2026 0905 AM - handwriting.py"
    archive = make_zip(
        tmp_path / "Assignment 1 Download Dec 4, 2026 1020 PM.zip",
        {
            f"Assignment 1/{late}": "LATE = True\n",
            f"Assignment 1/{early}": "LATE = False\n",
            "Assignment 1/11111-22222 - Lotte de Boer - Nov 1, 2026 0100 PM - handwriting.ipynb": (
                notebook_of(STUB)
            ),
            "Assignment 1/index.html": "<html>Brightspace index</html>",
        },
    )
    intake = find_submissions(archive, "handwriting")
    try:
        found = {s.student: s for s in intake.submissions}
        assert set(found) == {"noor_hendriks", "lotte_de_boer"}
        noor = found["noor_hendriks"]
        assert noor.path.read_text() == "LATE = True\n", "Nov 3 is later than Oct 28"
        assert (noor.lms, noor.lms_submission_id, noor.lms_user_id) == (
            "brightspace",
            "12345",
            "67890",
        )
        assert len(intake.replaced) == 1 and early in intake.replaced[0]
        assert dict(intake.not_graded)["index.html"] == "not a .py file or notebook"
    finally:
        intake.cleanup()


def test_copies_resolve_to_one_student_but_different_names_never_merge(tmp_path):
    (tmp_path / "handwriting.py").write_text("A = 1\n")
    (tmp_path / "handwriting (1).py").write_text("A = 2\n")
    (tmp_path / "honest_control.py").write_text("A = 3\n")
    (tmp_path / "honest_control~.py").write_text("A = 4\n")
    intake = find_submissions(tmp_path, "handwriting")
    found = {s.student: s.path.name for s in intake.submissions}
    assert found["handwriting"] == "handwriting (1).py"
    assert found["honest_control"] in {"honest_control.py", "honest_control~.py"}
    assert sorted(found.values()).count("honest_control~.py") == 1
    assert len(found) == 3, "both honest_control files are graded, under different ids"
    assert len(intake.collisions) == 1 and "honest_control" in intake.collisions[0]
    assert "handwriting (1).py" in intake.replaced[0]


def test_no_submissions_is_an_error_with_a_message(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(NoSubmissions, match="it is empty"):
        find_submissions(tmp_path / "empty", "handwriting")
    proc = clusterlab("grade", "handwriting", tmp_path / "empty", "--out", tmp_path / "out")
    assert proc.returncode == 2
    assert "no submissions found" in proc.stderr and "Traceback" not in proc.stderr
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "readme.txt").write_text("x")
    with pytest.raises(NoSubmissions, match=r"readme\.txt \(not a \.py file or notebook\)"):
        find_submissions(tmp_path / "notes", "handwriting")


def _alarm(signum, frame):
    raise TimeoutError("the batch hung")


def test_hostile_file_names_neither_hang_nor_hide_a_classmate(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "honest.py").write_text(GOOD_TOY)
    (subs / "honest_control.py").write_text(GOOD_TOY)
    (subs / "honest_control~.py").write_text("GREETING = 'forged'\n")
    (subs / ("x" * 240 + ".py")).write_text(GOOD_TOY)
    forged = subs / "eve\n- honest: copied from the solution"
    forged.mkdir()
    (forged / "toy.py").write_text(GOOD_TOY)
    (subs / "piper").mkdir()
    os.mkfifo(subs / "piper" / "toy.py")
    os.mkfifo(subs / "fifo.py")
    canary = tmp_path / "canary.txt"
    canary.write_text("untouched")
    toy = assignment.load("toy", root=ENGINE)
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(240)
    try:
        summary = grade_batch(toy, subs, tmp_path / "out")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    out = tmp_path / "out"
    rows = {r["student"]: r for r in csv.DictReader((out / "gradebook.csv").open())}
    assert rows["honest"]["total"] == rows["honest_control"]["total"] == "5"
    assert len(rows) == 7 and all(len(s) <= MAX_ID for s in rows)
    assert rows["piper"]["status"] == "unreadable" and rows["fifo"]["status"] == "unreadable"
    assert [s for s in rows if s.startswith("xxx")] and all(
        (out / "results" / f"{s}.json").is_file() for s in rows
    )
    report = (out / "report.md").read_text()
    assert "\n- honest: copied" not in report
    assert not [line for line in report.splitlines() if line.startswith("- honest:")]
    assert any("honest_control~.py" in c for c in summary.intake)
    assert canary.read_text() == "untouched"
    feedback = json.loads((out / "results" / "piper.json").read_text())
    assert "not a regular file" in feedback["output"]


def test_a_canvas_zip_is_graded_end_to_end_with_lms_ids_in_the_gradebook(tmp_path):
    archive = make_zip(
        tmp_path / "submissions.zip",
        {
            "__MACOSX/._kim_55555_66666_handwriting.ipynb": b"\x00\x05\x16\x07",
            "bakker_48213_99102_handwriting.py": STUB,
            "bakker_LATE_48213_99350_handwriting-1.py": SOLUTION,
            "kim_55555_66666_handwriting.ipynb": notebook_of(
                SOLUTION,
                before=["%matplotlib inline\n!pip install scikit-learn"],
                after=[
                    "import matplotlib.pyplot as plt\nX, y = load_digits_data()\n"
                    "model = fit_kmeans(X)\nplt.imshow(centroid_images(model)[0])\nplt.show()"
                ],
            ),
            "notes.txt": "x",
        },
    )
    out = tmp_path / "out"
    proc = clusterlab("grade", "handwriting", archive, "--out", out)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = {r["student"]: r for r in csv.DictReader((out / "gradebook.csv").open())}
    assert set(rows) == {"bakker_48213", "kim_55555"}
    assert rows["bakker_48213"]["percent"] == rows["kim_55555"]["percent"] == "100.0"
    kim = json.loads((out / "results" / "kim_55555.json").read_text())
    assert "cell 2, line 1: `%matplotlib inline`" in kim["output"]
    assert "`!pip install scikit-learn`" in kim["output"]
    report = (out / "report.md").read_text()
    for text in ("__MACOSX", "notes.txt: not a .py file", "replaced by the later"):
        assert text in report and text in proc.stdout
    with sqlite3.connect(out / "grades.sqlite") as db:
        ids = dict(db.execute("SELECT student, lms_user_id FROM identities").fetchall())
    assert ids == {"bakker_48213": "48213", "kim_55555": "55555"}


def test_check_reads_a_notebook_and_points_at_its_cell(tmp_path):
    nb = tmp_path / "handwriting.ipynb"
    nb.write_text(notebook_of("import numpy as np", after=["X = np.zeros(3)\nX.fit()"]))
    proc = clusterlab("check", "handwriting", cwd=tmp_path)
    assert proc.returncode == 1
    assert "cell 3, line 2" in proc.stdout, proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr


def test_a_timed_cell_keeps_its_code_and_a_bash_cell_is_dropped():
    """`%%time` runs its cell as Python in Jupyter: the function it defines must be graded."""
    converted = to_module(
        notebook_of(
            "import numpy as np",
            after=[
                "%%time\ndef fit_kmeans(X):\n    %timeit np.zeros(2)\n    return X",
                "%%capture out\nY = fit_kmeans(np.ones(2))",
                "%%bash\nrm -rf data\necho done",
            ],
        ).encode()
    )
    namespace: dict = {}
    exec(compile(converted.source, "handwriting.py", "exec"), namespace)
    assert namespace["fit_kmeans"](3) == 3 and list(namespace["Y"]) == [1.0, 1.0]
    assert "rm -rf" not in converted.source and "echo" not in converted.source
    notes = "\n".join(converted.notes)
    assert "cell 3, line 1: `%%time` is IPython, not Python, so this line was skipped" in notes
    assert "cell 3, line 3: `%timeit np.zeros(2)`" in notes
    assert "cell 5, line 1: `%%bash` is IPython, not Python, so the whole cell" in notes


def test_check_in_a_folder_without_the_module_says_so(tmp_path):
    proc = clusterlab("check", "handwriting", cwd=tmp_path)
    assert proc.returncode == 2
    assert "no handwriting.py or handwriting.ipynb in this folder" in proc.stderr
    folder = clusterlab("check", "handwriting", ".", cwd=tmp_path)
    assert folder.returncode == 2 and "Traceback" not in folder.stderr


def test_printable_escapes_control_characters():
    assert printable("a\nb\x1b[31m") == "a\\nb\\x1b[31m"
    assert len(printable("y" * 500)) == 120


def test_pytest_in_a_bundle_checks_the_notebook_saved_last(tmp_path):
    bundle = tmp_path / "handwriting"
    shutil.copytree(REPO / "assignments" / "handwriting", bundle)
    nb = bundle / "handwriting.ipynb"
    nb.write_text(notebook_of(SOLUTION, before=["%matplotlib inline"], after=["plt = 1"]))
    os.utime(nb, (time.time() + 5, time.time() + 5))
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    proc = subprocess.run(cmd, cwd=bundle, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "checked handwriting.ipynb" in proc.stdout
    assert "note: cell 2, line 1: `%matplotlib inline` is IPython" in proc.stdout
    assert "DeprecationWarning" not in proc.stdout + proc.stderr
    nb.write_text(notebook_of(STUB, after=["import numpy as np\nnp.zeros(2).fit()"]))
    os.utime(nb, (time.time() + 9, time.time() + 9))
    proc = subprocess.run([*cmd, "-x"], cwd=bundle, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 1
    assert "handwriting.ipynb did not import: AttributeError" in proc.stdout
    assert "(line 2 of handwriting.ipynb, cell 3)" in proc.stdout


@pytest.mark.parametrize("name", assignment.names())
def test_each_bundle_ships_its_stub_as_a_notebook(name):
    a = assignment.load(name)
    stub = (a.bundle_dir / f"{a.module}.py").read_text()
    converted = to_module((a.bundle_dir / f"{a.module}.ipynb").read_bytes())
    defined = {n.name for n in ast.parse(stub).body if isinstance(n, ast.FunctionDef)}
    assert defined and defined == {
        n.name for n in ast.parse(converted.source).body if isinstance(n, ast.FunctionDef)
    }
    assert converted.notes == []


def test_user_errors_are_one_sentence_and_exit_2(tmp_path):
    (tmp_path / "subs").mkdir()
    (tmp_path / "subs" / "anna.py").write_text(STUB)
    (tmp_path / "file.txt").write_text("x")
    graded = clusterlab("grade", "handwriting", tmp_path / "subs", "--out", tmp_path / "file.txt")
    exported = clusterlab("export", "handwriting", "--out", tmp_path)
    for proc, text in ((graded, "is a file"), (exported, "is a folder")):
        assert proc.returncode == 2 and text in proc.stderr
        assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("name", assignment.names())
def test_each_bundle_installs_what_otter_check_needs(name):
    reqs = (assignment.load(name).bundle_dir / "requirements.txt").read_text()
    assert "otter-grader[grading]" in reqs, "without it `otter check` fails with NoSuchKernel"
