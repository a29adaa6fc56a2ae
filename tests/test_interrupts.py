"""Ctrl-C mid-batch, progress lines in a log, --version, and output file modes."""

import csv
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SLOW = "import time\n\ntime.sleep(1.5)\n\n\ndef fit_kmeans(X):\n    return None\n"


def _interrupt_then_rerun(tmp_path, workers: int) -> float:
    """Ctrl-C after two students are graded; check what was saved and the rerun. Returns
    the seconds from the signal to the end of the command."""
    subs = tmp_path / "subs"
    subs.mkdir()
    for i in range(8):
        (subs / f"student{i}.py").write_text(SLOW)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "autograder.cli", "grade", "handwriting", subs, "--out", out,
           "--workers", str(workers)]  # fmt: skip
    proc = subprocess.Popen(
        cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,  # its own process group: Ctrl-C reaches every process in it
        # pytest-xdist's workers ignore SIGINT, and an ignored SIGINT is inherited: Python
        # then never raises KeyboardInterrupt. A terminal's shell starts it with the default.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    lines = []
    for line in proc.stdout:  # wait until two students are graded
        lines.append(line)
        if line.startswith("  [2/8]"):
            break
    sent = time.monotonic()
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal does on Ctrl-C
    rest, stderr = proc.communicate(timeout=30)
    stopped = time.monotonic() - sent
    print(f"--workers {workers}: stopped {stopped:.2f} s after Ctrl-C")
    # about 2-4 s here (outputs written, processes gone) on a loaded 2-core machine; the
    # bound is loose so that the test does not time the machine (it took 12-40 s before)
    assert stopped < 10.0, f"took {stopped:.1f} s to stop"
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr + rest, stderr
    assert "KeyboardInterrupt" not in stderr
    message = [line for line in rest.splitlines() if line.startswith("interrupted:")]
    assert len(message) == 1 and message[0].endswith(
        "of 8 graded and saved; run the same command to continue"
    ), rest
    saved = int(message[0].split()[1])
    assert 2 <= saved < 8
    rows = list(csv.DictReader((out / "gradebook.csv").open()))
    assert len(rows) == saved
    assert len(list((out / "results").glob("*.json"))) == saved
    assert len(list((out / "feedback").glob("*.html"))) == saved
    assert "submissions graded: " + str(saved) in (out / "report.md").read_text()
    again = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    assert f"graded {8 - saved}, already up to date {saved}" in again.stdout
    assert sum(1 for line in again.stdout.splitlines() if line.startswith("  [")) == 8 - saved
    assert len(list(csv.DictReader((out / "gradebook.csv").open()))) == 8
    assert stat.S_IMODE((out / "gradebook.csv").stat().st_mode) == 0o644
    assert stat.S_IMODE((out / "results" / "student0.json").stat().st_mode) == 0o644
    return stopped


def test_ctrl_c_saves_what_was_graded_and_the_rerun_grades_only_the_rest(tmp_path):
    _interrupt_then_rerun(tmp_path, workers=1)


def test_ctrl_c_with_two_workers_stops_them_and_saves_what_was_graded(tmp_path):
    _interrupt_then_rerun(tmp_path, workers=2)


def test_version():
    proc = subprocess.run(
        [sys.executable, "-m", "autograder.cli", "--version"],
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    from autograder import __version__

    assert proc.returncode == 0 and proc.stdout.strip() == f"clusterlab {__version__}"
