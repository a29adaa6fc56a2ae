"""The attack suite: hostile submissions graded together in one batch.

For every attack: the batch completes; the submission scores what its honest
part merits (GREETING is right: 1 point; some also double correctly); no file
outside the child's scratch folder changes; the honest student's result is the
same as when graded alone; nothing hidden appears in student-visible feedback;
and the attempt is recorded as an integrity flag for the teacher.

The privilege attacks (``priv_*``) aim at things outside the sandbox that a
file fingerprint does not see: a canary process (its nice value, CPU affinity,
rlimits, life), a canary file (content, mode, owner, times, extended attributes),
a unix socket listener, the zygote and the grader. Each must stay untouched.

The fixtures in fixtures/attacks/ are templates: {REPO}, {OUT}, {SUBMISSIONS},
{ENGINE}, {CANARY_FILE}, {CANARY_PID}, {GRADER_PID} and {SOCKET} are replaced by
the real paths and PIDs so that each attack aims at the real target.
"""

import hashlib
import json
import os
import resource
import socket
import subprocess
import threading
from pathlib import Path

import pytest

from autograder import assignment
from autograder.batch import grade_batch
from autograder.gradebook import Gradebook
from autograder.grading import Grader

from .conftest import ENGINE

REPO = Path(__file__).resolve().parent.parent
ATTACKS = Path(__file__).parent / "fixtures" / "attacks"
TIMEOUT = 5  # seconds per call: roomy for a loaded 2-core CI machine, short for loops

# attack -> (score its honest part merits, flag it must leave for the teacher)
EXPECTED = {
    "read_graders": (1, "attempt: tried to read {ENGINE}/graders/toy/q1_basics.py"),
    "read_solutions": (1, "attempt: tried to read {REPO}/solutions/handwriting.py"),
    "read_gradebook": (1, "attempt: tried to read {OUT}/grades.sqlite"),
    "read_other_student": (1, "attempt: tried to read {SUBMISSIONS}/good.py"),
    "import_solution": (1, "attempt: tried to import solutions"),
    "patch_numpy": (1, "source: source assigns to np.array_equal (monkeypatching)"),
    "patch_sklearn": (1, "source: source assigns to sklearn.cluster.KMeans.fit"),
    "patch_otter": (1, "attempt: tried to import otter"),
    "sys_exit_at_import": (0, "source: source calls sys.exit"),
    "os_exit_at_import": (0, "died: during import"),
    "sys_exit_in_call": (1, "exit: double called sys.exit()"),
    "os_exit_in_call": (1, "died: double ended the sandbox process (exit code 0)"),
    "ignore_sigterm": (1, "timeout: double was stopped after 5 s"),
    "endless_import": (0, "timeout: import stopped after 15 s"),
    "endless_call": (1, "timeout: double was stopped after 5 s"),
    "numpy_long_op": (1, "timeout: double was stopped after 5 s"),
    "memory_bomb": (1, "memory: double ran out of memory"),
    "fork_bomb": (1, "attempt: tried to start a process (os.fork)"),
    "thread_bomb": (1, "source: source calls threading.Thread"),
    "daemon": (1, "attempt: tried to start a process (os.fork)"),
    "disk_bomb": (1, "disk: double filled its scratch space"),
    "write_outside": (3, "attempt: tried to write {REPO}/solutions/handwriting.py"),
    "gigantic_array": (1, "died: double returned more data than the grader accepts"),
    "object_array": (1, "returned: double returned an array of object kept in the sandbox"),
    "deep_nesting": (1, "unsendable: double returned value is nested more than"),
    "ndarray_subclass": (1, "returned: double returned an ndarray subclass Agreeable"),
    "hanging_attribute": (1, "timeout: fit.center_ was stopped after 5 s"),
    "fake_results": (1, "output: printed text that looks like grading results"),
    "read_env": (1, "source: source reads os.environ"),
    "tcp_connect": (1, "attempt: tried to use the network (socket.connect"),
    "exfiltrate_hidden": (2, "died: double ended the sandbox process"),
    "binary_junk": (0, "file: the file contains binary data"),
    "empty": (0, "file: the file is empty"),
    "not_utf8": (0, "file: the file is not UTF-8 text"),
    "notebook": (1, "file: this file is a Jupyter notebook"),  # its code cells are graded
    "symlink_grader": (
        0,
        "file: the submission is a symbolic link; submit the file itself "
        "(-> {ENGINE}/graders/toy/q1_basics.py)",
    ),
    "symlink_passwd": (0, "(-> /etc/passwd)"),
    # privilege: each does its trick in fit (2 points it does not earn) and doubles right
    "priv_prlimit_others": (3, "attempt: tried to change the limits of another process"),
    "priv_renice_others": (3, "source: source calls os.setpriority"),
    "priv_signal_others": (3, "attempt: tried to send a signal"),
    "priv_chmod_outside": (3, "attempt: tried to change {CANARY_FILE} (os.chmod)"),
    "priv_memfd": (3, "died: fit ended the sandbox process (the kernel stopped a forbidden"),
    "priv_unix_socket": (3, "attempt: tried to use the network (socket.connect"),
    "priv_stat_outside": (3, "attempt: tried to read {SUBMISSIONS} (os.listdir)"),
    "priv_privileged_calls": (3, "died: fit ended the sandbox process (the kernel stopped"),
    "priv_audit_flood": (3, "to its audit channel; only the first 65,536 were read (flooded)"),
    "priv_audit_gc": (3, "attempt: tried to read {ENGINE}/graders/toy/q1_basics.py"),
    "priv_utf7_cookie": (3, "source: source imports ctypes (raw system calls)"),
}
HIDDEN_CANARIES = ("0.333", "0.666", "0.3333", "-0.33")  # digits of the hidden input
SECRET = "CLUSTERLAB_ATTACK_SECRET"


def fingerprint(*roots: Path) -> dict[str, str]:
    """Hash of every file below the roots (caches and the virtualenv aside)."""
    skip = {".git", ".venv", "__pycache__", ".pytest_cache", ".ruff_cache", "demo-out"}
    out = {}
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [d for d in dirnames if d not in skip]
            for name in filenames:
                path = Path(dirpath) / name
                if path.is_file() and not path.is_symlink():
                    out[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def file_state(path: Path) -> dict:
    """Everything about a file an attack could change."""
    st = os.stat(path)
    xattrs = {k: os.getxattr(path, k) for k in os.listxattr(path)}
    return {
        "data": path.read_bytes(),
        "mode": st.st_mode,
        "owner": (st.st_uid, st.st_gid),
        "times": (st.st_mtime_ns, st.st_ctime_ns),
        "xattrs": xattrs,
    }


def process_state(pid: int) -> dict:
    """Everything about a process an attack could change."""
    limits = {
        name: resource.prlimit(pid, getattr(resource, name))
        for name in dir(resource)
        if name.startswith("RLIMIT_")
    }
    return {
        "nice": os.getpriority(os.PRIO_PROCESS, pid),
        "affinity": os.sched_getaffinity(pid),
        "limits": limits,
    }


class Listener(threading.Thread):
    """A unix socket server outside the sandbox that records whatever reaches it."""

    def __init__(self, path: Path):
        super().__init__(daemon=True)
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(str(path))
        os.chmod(path, 0o777)  # no file permission stands in the way: the sandbox must
        self.server.listen(8)
        self.received: list[bytes] = []

    def run(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                try:
                    self.received.append(conn.recv(65536) or b"(connected)")
                except OSError:
                    self.received.append(b"(connected)")


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    root = tmp_path_factory.mktemp("attack")
    subs, out = root / "submissions", root / "out"
    subs.mkdir()
    canary_file = root / "canary.txt"
    canary_file.write_text("untouched")
    os.chmod(canary_file, 0o640)
    try:
        os.setxattr(canary_file, "user.canary", b"1")
    except OSError:
        pass  # a file system without user xattrs: the comparison still holds
    canary = subprocess.Popen(["sleep", "600"], start_new_session=True)
    listener = Listener(root / "listener.sock")
    listener.start()
    paths = {
        "REPO": str(REPO),
        "OUT": str(out),
        "SUBMISSIONS": str(subs),
        "ENGINE": str(ENGINE),
        "CANARY_FILE": str(canary_file),
        "CANARY_PID": str(canary.pid),
        "GRADER_PID": str(os.getpid()),
        "SOCKET": str(root / "listener.sock"),
    }
    for src in ATTACKS.glob("*.py"):
        data = src.read_bytes()
        for key, value in paths.items():
            data = data.replace(b"{" + key.encode() + b"}", value.encode())
        (subs / src.name).write_bytes(data)
    (subs / "symlink_grader.py").symlink_to(ENGINE / "graders" / "toy" / "q1_basics.py")
    (subs / "symlink_passwd.py").symlink_to("/etc/passwd")
    (subs / "good.py").write_bytes((ENGINE / "submissions" / "good.py").read_bytes())
    Path("/tmp/clusterlab-owned").unlink(missing_ok=True)

    toy = assignment.load("toy", root=ENGINE)
    # what the attacks aim at: solutions, the engine, the graders they run under, the class
    targets = (REPO / "solutions", REPO / "autograder" / "sandbox", ENGINE, subs)
    before = fingerprint(*targets)
    canary_before, file_before = process_state(canary.pid), file_state(canary_file)
    grader_before = process_state(os.getpid())
    os.environ[SECRET] = "s3cret-token"
    try:
        summary = grade_batch(toy, subs, out, workers=2, timeout=TIMEOUT)
    finally:
        del os.environ[SECRET]
    after = fingerprint(*targets)
    canary_alive = canary.poll() is None
    canary_after = process_state(canary.pid) if canary_alive else None
    file_after, grader_after = file_state(canary_file), process_state(os.getpid())
    canary.kill()
    canary.wait()
    listener.server.close()
    book = Gradebook(out / "grades.sqlite")
    results = {r.student: r for r in book.results("toy")}
    book.close()
    alone = Grader(toy, timeout=TIMEOUT)
    try:
        good_alone = alone.grade(subs / "good.py", student="good")
    finally:
        alone.close()
    return {
        "summary": summary,
        "results": results,
        "before": before,
        "after": after,
        "good_alone": good_alone,
        "out": out,
        "paths": paths,
        "canary": (canary_before, canary_after, canary_alive),
        "canary_file": (file_before, file_after),
        "grader": (grader_before, grader_after),
        "received": listener.received,
    }


def test_the_suite_has_every_attack():
    assert len(EXPECTED) >= 25
    assert {p.stem for p in ATTACKS.glob("*.py")} | {"symlink_grader", "symlink_passwd"} == set(
        EXPECTED
    )


def test_the_batch_completes_with_every_submission_graded(attacked):
    assert set(attacked["results"]) == set(EXPECTED) | {"good"}
    assert not attacked["summary"].problems


@pytest.mark.parametrize("attack", sorted(EXPECTED))
def test_attack_scores_only_its_honest_part_and_is_flagged(attack, attacked):
    result = attacked["results"][attack]
    score, flag = EXPECTED[attack]
    flag = flag.format(**attacked["paths"])
    assert result.score == score, [(c.name, c.status, c.output) for c in result.cases]
    assert any(flag in f for f in result.integrity), result.integrity


def test_no_file_outside_the_scratch_folders_changed(attacked):
    assert attacked["after"] == attacked["before"]
    assert not Path("/tmp/clusterlab-owned").exists()
    good_json = json.loads((attacked["out"] / "results" / "good.json").read_text())
    assert good_json["score"] == 5, "the daemon did not overwrite another student's result"


def test_the_honest_students_result_is_unchanged(attacked):
    in_batch = attacked["results"]["good"]
    alone = attacked["good_alone"]
    assert in_batch.score == alone.score == 5
    assert [(c.name, c.status, c.output) for c in in_batch.cases] == [
        (c.name, c.status, c.output) for c in alone.cases
    ]


def test_nothing_hidden_or_secret_reaches_student_visible_feedback(attacked):
    for student, result in attacked["results"].items():
        visible = [result.message] + [c.output for c in result.cases]
        feedback = (attacked["out"] / "feedback" / f"{student}.md").read_text()
        page = (attacked["out"] / "feedback" / f"{student}.html").read_text()
        for text in [*visible, feedback, page]:
            for canary in (*HIDDEN_CANARIES, "s3cret-token", SECRET):
                assert canary not in text, (student, canary, text)
        hidden = [c.name for c in result.cases if c.hidden]
        assert hidden and not [name for name in hidden if name in page], student
        assert "similarity" not in page.lower() and "integrity" not in page.lower()
    exfil = {c.name: c for c in attacked["results"]["exfiltrate_hidden"].cases}
    assert exfil["double works on other input"].output == "double ended the sandbox process"
    assert (
        exfil["fit returns a model that predicts"].output
        == "fit raised ValueError: I saw [[0.0, 1.0, 2.0, 3.0]] (line 17 of your file)"
    ), "public cases run before hidden ones: only the public input was there to see"


def test_no_process_outside_was_touched(attacked):
    before, after, alive = attacked["canary"]
    assert alive, "the canary process was killed"
    assert after == before, "the canary's nice value, affinity or limits changed"
    grader_before, grader_after = attacked["grader"]
    assert grader_after == grader_before, "the grader's nice value, affinity or limits changed"


def test_no_file_outside_changed_mode_owner_times_or_xattrs(attacked):
    before, after = attacked["canary_file"]
    assert after == before
    assert not os.stat(attacked["out"] / "grades.sqlite").st_mode & 0o022, "world-writable"


def test_nothing_reached_a_unix_socket_outside(attacked):
    assert attacked["received"] == []


def test_paths_outside_do_not_exist_for_the_child(attacked):
    stat = {c.name: c for c in attacked["results"]["priv_stat_outside"].cases}
    output = stat["fit returns a model that predicts"].output
    assert "bytes" not in output and "classmates" not in output, output
    calls = {c.name: c for c in attacked["results"]["priv_privileged_calls"].cases}
    assert "passed its privilege check" not in calls["fit returns a model that predicts"].output
