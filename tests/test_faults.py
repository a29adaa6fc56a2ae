"""Faults: the grader killed mid-batch, a worker dying, a platform without Linux protections."""

import csv
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder import assignment
from autograder.batch import grade_batch
from autograder.grading import Grader
from autograder.sandbox.zygote_client import DISABLE_VARIABLE, disabled_layers

from .conftest import ENGINE

REPO = Path(__file__).resolve().parent.parent
SLOW_GOOD = (
    (ENGINE / "submissions" / "good.py")
    .read_text()
    .replace(
        "    return 2 * np.asarray(x)",
        "    import time\n    time.sleep(0.02)\n    return 2 * np.asarray(x)",
    )
)


def make_class(folder: Path, n: int) -> None:
    folder.mkdir()
    for i in range(n):
        (folder / f"student{i:03d}.py").write_text(SLOW_GOOD + f"\n# student {i}\n")


def count_rows(db: Path) -> int:
    try:
        with sqlite3.connect(db, timeout=5) as con:
            return con.execute("SELECT count(*) FROM submissions").fetchone()[0]
    except sqlite3.OperationalError:  # not created yet
        return 0


BATCH = """
import sys
from pathlib import Path
from autograder import assignment
from autograder.batch import grade_batch
toy = assignment.load("toy", root=Path(sys.argv[1]))
grade_batch(toy, Path(sys.argv[2]), Path(sys.argv[3]), workers=2)
"""


def test_sigkill_mid_batch_then_rerun_grades_everything_exactly_once(tmp_path):
    subs, out = tmp_path / "subs", tmp_path / "out"
    make_class(subs, 100)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-c", BATCH, str(ENGINE), str(subs), str(out)],
        env=env,
        start_new_session=True,
    )
    deadline = time.monotonic() + 300
    while count_rows(out / "grades.sqlite") < 20:
        assert proc.poll() is None, "the batch ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    recorded = count_rows(out / "grades.sqlite")
    assert 20 <= recorded < 100, "killed in the middle"
    with sqlite3.connect(out / "grades.sqlite") as con:
        first = {r[0] for r in con.execute("SELECT student FROM submissions")}

    toy = assignment.load("toy", root=ENGINE)
    summary = grade_batch(toy, subs, out, workers=2)

    assert set(summary.graded).isdisjoint(first), "nothing graded twice"
    assert len(summary.graded) + len(first) == 100 == len(summary.skipped) + len(summary.graded)
    assert count_rows(out / "grades.sqlite") == 100
    with sqlite3.connect(out / "grades.sqlite") as con:
        (cases,) = con.execute("SELECT count(*) FROM case_results").fetchone()
        (full,) = con.execute("SELECT count(*) FROM submissions WHERE score = 5").fetchone()
    assert cases == 100 * 4 and full == 100
    rows = list(csv.DictReader((out / "gradebook.csv").open()))
    assert sorted(r["student"] for r in rows) == sorted(p.stem for p in subs.iterdir())
    assert len(list((out / "results").glob("*.json"))) == 100
    assert not list(out.rglob("*.tmp")), "no half-written output left behind"


def _pool_workers() -> list[int]:
    """Pids of this process's children that are pool workers (not zygotes)."""
    me = os.getpid()
    pids = []
    for task in Path(f"/proc/{me}/task").iterdir():
        for pid in (task / "children").read_text().split():
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            if b"spawn_main" in cmdline:
                pids.append(int(pid))
    return pids


def test_grading_continues_when_a_worker_dies(tmp_path):
    subs, out = tmp_path / "subs", tmp_path / "out"
    make_class(subs, 12)
    killed = []

    def kill_one_worker(result):
        if not killed:
            victim = _pool_workers()[0]
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)

    toy = assignment.load("toy", root=ENGINE)
    summary = grade_batch(toy, subs, out, workers=2, progress=kill_one_worker)
    assert killed
    assert sorted(set(summary.graded)) == sorted(p.stem for p in subs.iterdir())
    assert any("worker died" in p for p in summary.problems)
    assert count_rows(out / "grades.sqlite") == 12


def test_without_linux_protections_grading_works_and_every_result_warns(monkeypatch, tmp_path):
    monkeypatch.setenv(DISABLE_VARIABLE, "netns,mountns,seccomp,landlock")
    toy = assignment.load("toy", root=ENGINE)
    grader = Grader(toy)
    try:
        good = grader.grade(ENGINE / "submissions" / "good.py")
        loop = grader.grade(ENGINE / "submissions" / "endless_loop.py")
    finally:
        grader.close()
    assert good.score == 5 and loop.score == 1, "rlimits and deadlines still hold"
    for result in (good, loop):
        assert {w.split(": ", 1)[1] for w in result.warnings} >= {
            "landlock disabled by configuration",
            "seccomp disabled by configuration",
        }
    subs = tmp_path / "subs"
    make_class(subs, 2)
    summary = grade_batch(toy, subs, tmp_path / "out")
    assert any("landlock" in w for w in summary.warnings)
    assert "landlock disabled" in (tmp_path / "out" / "report.md").read_text()


def test_a_bad_disable_setting_says_where_it_came_from(monkeypatch):
    monkeypatch.setenv(DISABLE_VARIABLE, "landlock,firewall")
    with pytest.raises(
        ValueError,
        match=r"CLUSTERLAB_SANDBOX_DISABLE='landlock,firewall': "
        r"unknown layer\(s\) firewall",
    ):
        disabled_layers()
