"""Sandbox basics: hostile or broken submissions get an honest score, the batch goes on."""

import ctypes
import errno
import os
import platform
import resource
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from autograder import assignment
from autograder.grading import Grader
from autograder.results import DID_NOT_IMPORT, FAILED, GRADED, NOT_RUN, PASSED, UNREADABLE
from autograder.sandbox import jail, seccomp
from autograder.sandbox import limits as limits_mod
from autograder.sandbox.errors import CallTimeout, StudentError
from autograder.sandbox.limits import Limits
from autograder.sandbox.session import Session

from .conftest import ENGINE


def outcome(result):
    return {c.name: c.status for c in result.cases}


DOUBLE, HIDDEN, FIT, GREETING = (
    "double returns twice its input",
    "double works on other input",
    "fit returns a model that predicts",
    "GREETING is a friendly string",
)


def test_good_submission_scores_full_marks(toy_grader, toy_submission):
    result = toy_grader.grade(toy_submission("good"))
    assert result.status == GRADED
    assert result.score == result.max_score == 5
    assert not result.warnings, "Landlock, seccomp and a network namespace work on this kernel"


def test_syntax_error_is_one_message_and_nothing_runs(toy_grader, toy_submission):
    result = toy_grader.grade(toy_submission("syntax_error"))
    assert result.status == DID_NOT_IMPORT and result.score == 0
    assert "SyntaxError" in result.message and "line 2" in result.message
    assert set(outcome(result).values()) == {NOT_RUN}
    assert all(c.output == "toy.py did not import" for c in result.cases)


def test_exception_and_sys_exit_at_import(toy_grader, toy_submission):
    raised = toy_grader.grade(toy_submission("raises_at_import"))
    assert raised.status == DID_NOT_IMPORT and "FileNotFoundError" in raised.message
    exited = toy_grader.grade(toy_submission("exit_at_import"))
    assert exited.status == DID_NOT_IMPORT
    assert exited.message == "toy.py called sys.exit() while being imported"


def test_endless_loop_at_import_is_stopped(toy_grader, toy_submission):
    result = toy_grader.grade(toy_submission("endless_import"))
    assert result.status == DID_NOT_IMPORT
    assert result.message == "toy.py was stopped after 6 s while being imported"


def test_os_exit_in_a_call_fails_that_case_only(toy_grader, toy_submission):
    result = toy_grader.grade(toy_submission("os_exit_in_call"))
    got = {c.name: c for c in result.cases}
    assert got[DOUBLE].status == FAILED
    assert got[DOUBLE].output == "double ended the sandbox process (exit code 0)"
    assert got[FIT].output == "fit raised ValueError: not done yet (line 7 of your file)"
    assert got[GREETING].status == PASSED, "a fresh child serves the cases after a crash"
    assert result.score == 1
    assert any("ended the sandbox process" in e for e in result.integrity)


def test_endless_loop_in_a_call_is_stopped_and_not_called_again(toy_grader, toy_submission):
    result = toy_grader.grade(toy_submission("endless_loop"))
    got = {c.name: c for c in result.cases}
    assert got[DOUBLE].output == "double was stopped after 2 s"
    assert got[HIDDEN].status == NOT_RUN and "double was stopped earlier" in got[HIDDEN].output
    assert got[FIT].output == "fit was stopped after 2 s"
    assert got[GREETING].status == PASSED
    assert result.score == 1 and result.seconds < 10


def test_memory_hog_gets_memory_error(toy_submission):
    # touching a gigabyte can take seconds on a virtual machine: a roomier deadline
    grader = Grader(assignment.load("toy", root=ENGINE), timeout=30)
    try:
        result = grader.grade(toy_submission("memory_hog"))
    finally:
        grader.close()
    got = {c.name: c for c in result.cases}
    assert got[DOUBLE].output.startswith("double raised MemoryError")
    assert got[FIT].output.startswith("fit raised MemoryError")
    assert got[HIDDEN].output == "double raised MemoryError", (
        "hidden cases show the built-in exception's name, never its text or a line the "
        "child reports (a forged line number could carry a hidden input)"
    )
    assert result.score == 1


def test_rigged_eq_objects_arrive_as_plain_data(toy_grader, toy_submission):
    result = toy_grader.grade(toy_submission("rigged_eq"))
    got = {c.name: c for c in result.cases}
    assert got[GREETING].output == "GREETING is 'goodbye'; expected 'hello'"
    assert got[DOUBLE].status == FAILED and got[HIDDEN].status == FAILED
    assert got[FIT].status == PASSED, "its model does answer these inputs correctly"
    assert result.score == 2


def test_fake_results_printed_to_stdout_change_nothing(toy_grader, toy_submission):
    result = toy_grader.grade(toy_submission("fake_output"))
    assert result.score == 1
    assert '"score": 100' in result.output, "the output is kept for the teacher"
    assert all('"score"' not in c.output for c in result.cases)


def test_files_network_processes_signals_and_env_are_off_limits(toy_grader, toy_submission):
    os.environ["CLUSTERLAB_TEST_SECRET"] = "s3cret"
    escape = Path("/tmp/clusterlab_escape")
    escape.unlink(missing_ok=True)
    try:
        result = toy_grader.grade(toy_submission("hostile_io"))
        env = toy_grader.grade(toy_submission("reads_env"))
    finally:
        del os.environ["CLUSTERLAB_TEST_SECRET"]
    message = {c.name: c for c in result.cases}[DOUBLE].output
    verdicts = message.split(": ", 1)[1].split(" [")[0].split()
    # solutions, graders, /etc/passwd, /root: not even there in the child's view
    assert verdicts[:4] == ["FileNotFoundError"] * 4, message
    # TCP (Landlock), subprocess (seccomp), a process outside (PID namespace), /tmp (read-only)
    assert verdicts[4:8] == ["PermissionError", "PermissionError", "ProcessLookupError", "OSError"]
    assert not escape.exists()
    env_message = {c.name: c for c in env.cases}[DOUBLE].output
    assert "CLUSTERLAB_TEST_SECRET" not in env_message
    assert "HOME" in env_message


def test_scratch_folder_is_writable_and_removed_afterwards(toy_grader, toy_submission):
    result = toy_grader.grade(toy_submission("where_am_i"))
    message = {c.name: c for c in result.cases}[DOUBLE].output
    cwd = message.split("cwd=")[1].split(" (line")[0]
    assert cwd.startswith("/") and "clusterlab-sandbox-" in cwd
    assert not Path(cwd).exists()


def test_unreadable_files_get_a_reason(toy_grader, tmp_path):
    notebook = tmp_path / "nb.py"
    notebook.write_text('{"cells": [], "metadata": {}, "nbformat": 4}')
    junk = tmp_path / "junk.py"
    junk.write_bytes(bytes(range(256)) * 4)
    link = tmp_path / "link.py"
    link.symlink_to("/etc/passwd")
    nb = toy_grader.grade(notebook)
    assert nb.status == UNREADABLE and "Jupyter notebook" in nb.message
    bad = toy_grader.grade(junk)
    assert bad.status == DID_NOT_IMPORT and bad.score == 0
    linked = toy_grader.grade(link)
    assert linked.status == UNREADABLE and "symbolic link" in linked.message
    empty = tmp_path / "empty.py"
    empty.write_text("")
    res = toy_grader.grade(empty)
    assert res.score == 0 and all("has no function" in c.output for c in res.cases)


def _toy_session(grader, source: str, timeout: float = 5) -> Session:
    return Session(
        grader.zygote(),
        module_name="toy",
        source=source.encode(),
        data_files=[],
        limits=Limits(),
        timeout=timeout,
        protected=grader.protected,
    )


def test_reimport_runs_the_top_level_again_in_the_same_child(toy_grader):
    """A fresh module object in the same process: a seed drawn at import is new, later
    calls reach the new module, handles from before stay valid."""
    session = _toy_session(
        toy_grader,
        "import numpy as np\n"
        "SEED = int(np.random.randint(1 << 30))\n"
        "class Box:\n"
        "    size = 5\n"
        "def seed():\n"
        "    return SEED\n"
        "def box():\n"
        "    return Box()\n",
    )
    try:
        session.start()
        pid, first = session.child.pid, session.call_global("seed", (), {})
        box = session.call_global("box", (), {})
        assert session.call_global("seed", (), {}) == first
        session.reimport()
        assert session.child.pid == pid, "no second process"
        assert session.call_global("seed", (), {}) != first
        assert box.size == 5, "a handle from before the import still works"
    finally:
        session.close()


def test_a_fresh_child_runs_the_next_call_in_a_new_process(toy_grader):
    """``env["__restart__"]``: the module imported again in another process; handles from
    the old one are refused as stale, not answered by the new one."""
    from autograder.sandbox.errors import StaleHandle

    session = _toy_session(
        toy_grader,
        "class Box:\n    size = 5\ndef box():\n    return Box()\n",
    )
    try:
        session.start()
        first, box = session.child.pid, session.call_global("box", (), {})
        session.fresh_child()
        assert session.call_global("box", (), {}).size == 5, "imported again"
        assert session.child.pid != first
        with pytest.raises(StaleHandle):
            box.size  # noqa: B018
    finally:
        session.close()


def test_reimport_that_fails_or_hangs_is_reported_like_a_call(toy_grader):
    """Top-level code that raises the second time, or never ends: the error of that
    import, labelled as such; the session carries on."""
    session = _toy_session(
        toy_grader,
        "import os\n"
        "if os.path.exists('imported'):\n"
        "    raise RuntimeError('imported twice')\n"
        "open('imported', 'w').close()\n"
        "def one():\n"
        "    return 1\n",
    )
    try:
        session.start()
        with pytest.raises(
            StudentError,
            match=r"importing toy.py again raised RuntimeError: "
            r"imported twice \(line 3 of your file\)",
        ):
            session.reimport()
        assert session.call_global("one", (), {}) == 1, "the module from before still answers"
    finally:
        session.close()
    session = _toy_session(
        toy_grader,
        "import os\nwhile os.path.exists('imported'):\n    pass\nopen('imported', 'w').close()\n",
        timeout=0.5,
    )
    try:
        session.start()
        started = time.monotonic()
        with pytest.raises(CallTimeout, match="importing toy.py again"):
            session.reimport()
        assert 1.4 <= time.monotonic() - started < 5, "an import's time (3x a call's), no more"
    finally:
        session.close()


# --- least privilege ------------------------------------------------------------
def _linux_root() -> bool:
    return sys.platform == "linux" and os.geteuid() == 0


needs_root = pytest.mark.skipif(not _linux_root(), reason="namespaces need Linux and root")


def _in_filtered_child(action) -> int:
    """Run ``action`` in a forked child under the sandbox's seccomp filter; its wait status."""
    pid = os.fork()
    if pid == 0:
        try:
            limits_mod.no_new_privs()
            seccomp.install(os.getpid())
            os._exit(action())
        finally:
            os._exit(99)
    return os.waitpid(pid, 0)[1]


@pytest.mark.skipif(platform.machine() != "x86_64" or sys.platform != "linux", reason="x86_64")
def test_seccomp_kills_every_privileged_family_and_refuses_others_processes():
    libc = ctypes.CDLL(None, use_errno=True)
    nr = {name: nrs[0] for name, nrs in seccomp._KILLED.items()}
    calls = {
        "reboot": (0xFEE1DEAD, 0x28121969, 0x12345678, 0),
        "swapoff": (0,),
        "bpf": (-1, 0, 0),
        "perf_event_open": (0, 0, -1, -1, 0),
        "keyctl": (-1, 0),
        "io_uring_setup": (0, 0),
        "ptrace": (-1, 0, 0, 0),
        "process_vm_readv": (os.getpid(), 0, 0, 0, 0, 0),
        "unshare": (0x10000000,),  # CLONE_NEWUSER
        "setns": (-1, 0),
        "mount": (0, 0, 0, 0, 0),
        "memfd_create": (ctypes.c_char_p(b"x"), 0),
    }
    for name, args in calls.items():
        status = _in_filtered_child(lambda n=nr[name], a=args: libc.syscall(n, *a) and 0)
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGSYS, name
    x32 = _in_filtered_child(lambda: libc.syscall(0x40000000 + 39) and 0)  # x32 getpid
    assert os.WIFSIGNALED(x32) and os.WTERMSIG(x32) == signal.SIGSYS

    def errno_of(fn):
        try:
            fn()
        except OSError as exc:
            return exc.errno
        return 0

    other = os.getppid()
    assert _in_filtered_child(lambda: errno_of(os.fork)) >> 8 == errno.EPERM
    assert (
        _in_filtered_child(
            lambda: errno_of(lambda: resource.prlimit(other, resource.RLIMIT_NOFILE, (3, 3)))
        )
        >> 8
        == errno.EPERM
    )
    assert (
        _in_filtered_child(lambda: errno_of(lambda: os.setpriority(os.PRIO_PROCESS, other, 19)))
        >> 8
        == errno.EPERM
    )
    assert _in_filtered_child(
        lambda: errno_of(lambda: os.setpriority(os.PRIO_USER, 0, 19))
    ) >> 8 == (errno.EPERM)
    assert _in_filtered_child(lambda: errno_of(lambda: os.sched_setaffinity(other, {0}))) >> 8 == (
        errno.EPERM
    )

    def own_things():  # on itself, and threads: all allowed
        resource.setrlimit(resource.RLIMIT_NOFILE, resource.getrlimit(resource.RLIMIT_NOFILE))
        os.setpriority(os.PRIO_PROCESS, 0, os.getpriority(os.PRIO_PROCESS, 0))
        os.sched_setaffinity(0, os.sched_getaffinity(0))
        thread = threading.Thread(target=lambda: None)
        thread.start()
        thread.join()
        return 0

    assert _in_filtered_child(own_things) == 0


@needs_root
def test_the_child_is_unprivileged_alone_and_memory_limited(toy_submission):
    """Its own uid, no capabilities, PID 1 of its own namespace, in a memory cgroup of its
    own, holding none of the zygote's descriptors: the first child of a zygote (forked on
    request), the next ones (spares forked ahead of their request) and one whose memory
    limit differs from the spare's (forked on request again)."""
    toy = assignment.load("toy", root=ENGINE)
    grader = Grader(toy)
    cgroups = set()
    for memory_mb in (1024, 1024, 1024, 512):
        session = Session(
            grader.zygote(),
            module_name="toy",
            source=toy_submission("good").read_bytes(),
            data_files=[],
            limits=Limits(memory_mb=memory_mb),
            timeout=5,
            protected=grader.protected,
        )
        try:
            session.start()
            assert session.missing == []
            assert session.call_global("double", (4,), {}) == 8
            pid, zygote = session.child.pid, grader.zygote().proc.pid
            zygote_fds = {
                os.readlink(f"/proc/{zygote}/fd/{fd}")
                for fd in os.listdir(f"/proc/{zygote}/fd")
                if int(fd) > 2
            }
            assert len(zygote_fds) >= 2 + (memory_mb == 1024)  # ctl, PID namespace, spare
            status = dict(
                ln.split(":\t", 1) for ln in Path(f"/proc/{pid}/status").read_text().splitlines()
            )
            uid = int(status["Uid"].split()[0])
            assert uid >= jail.UID_BASE and uid != os.getuid()
            assert set(status["Uid"].split()) == {str(uid)} and status["Groups"].strip() == ""
            for cap in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
                assert int(status[cap], 16) == 0, cap
            assert status["NoNewPrivs"].strip() == "1" and status["Seccomp"].strip() == "2"
            assert status["NSpid"].split()[-1] == "1", "PID 1 of a namespace of its own"
            for ns in ("pid", "mnt", "net", "ipc", "uts"):
                assert os.readlink(f"/proc/{pid}/ns/{ns}") != os.readlink(f"/proc/self/ns/{ns}")
            held = {os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}
            assert not held & zygote_fds, "a descriptor of the zygote leaked into the child"
            assert len(held) <= 5, held  # /dev/null, its output pipe, socket and audit pipe
            memory = [
                ln.split(":", 2)[2]
                for ln in Path(f"/proc/{pid}/cgroup").read_text().splitlines()
                if ":memory:" in ln
            ]
            if memory and Path("/sys/fs/cgroup/memory").is_dir():
                folder = Path(f"/sys/fs/cgroup/memory{memory[0]}")
                limit = int((folder / "memory.limit_in_bytes").read_text())
                assert limit == memory_mb * 1024 * 1024
                assert folder.name.startswith("c") and folder not in cgroups
                cgroups.add(folder)
        finally:
            session.close()
    grader.close()
    assert not _descendants(zygote), "a spare child outlived its zygote"
    assert not any(folder.exists() for folder in cgroups)
    assert not any(folder.parent.exists() for folder in cgroups)


@needs_root
def test_without_a_mount_namespace_a_closed_python_installation_is_named(monkeypatch, tmp_path):
    """No view: the child reads the host's folders under its own user id. Where that id
    cannot pass a folder on the way to the Python installation (this machine's Python
    lives under /root, 0700), every result says so and how to fix it, and the batch's
    reference gate names it as the cause (before: "likely cause: not a setting", with
    load_digits_data failing on ModuleNotFoundError: importlib.readers). The child keeps
    its own uid: the grader's would let it change root's files and reach its sockets."""
    from autograder.batch import grade_batch
    from autograder.reference import ReferenceFailed
    from autograder.sandbox.zygote_client import DISABLE_VARIABLE

    monkeypatch.setenv(DISABLE_VARIABLE, "mountns")
    toy = assignment.load("toy", root=ENGINE)
    grader = Grader(toy)
    lim = Limits()
    session = Session(
        grader.zygote(),
        module_name="toy",
        source=b"import os\ndef uid():\n    return os.getuid()\n",
        data_files=[],
        limits=lim,
        timeout=5,
        protected=grader.protected,
    )
    try:
        session.start()
        assert session.call_global("uid", (), {}) >= jail.UID_BASE
        closed = jail.closed_to_others(lim.read_paths)
        warned = [m for m in session.missing if "closed to other users" in m]
        assert warned == ([limits_mod.CLOSED_INSTALL.format(folder=closed)] if closed else [])
    finally:
        session.close()
        grader.close()
    if not closed:
        return
    (tmp_path / "subs").mkdir()
    (tmp_path / "subs" / "ada.py").write_text("def x():\n    return 1\n")
    with pytest.raises(
        ReferenceFailed,
        match=f"not a setting: this machine \\(no mount namespace, and {closed} is closed",
    ):
        grade_batch("handwriting", tmp_path / "subs", tmp_path / "out", workers=1, figures=False)


def test_closed_to_others_names_the_first_folder_others_cannot_pass():
    import shutil
    import tempfile

    top = Path(tempfile.mkdtemp(dir="/tmp"))  # pytest's tmp_path lies in a 0700 folder
    try:
        inner = top / "home" / "lib" / "python3.11"
        inner.mkdir(parents=True)
        (inner / "os.py").write_text("")
        for folder in (top, top / "home"):
            os.chmod(folder, 0o755)
        assert jail.closed_to_others([str(inner), str(inner / "os.py")]) is None
        os.chmod(top / "home", 0o700)
        assert jail.closed_to_others(["/proc/self", str(inner / "os.py")]) == str(top / "home")
        assert jail.closed_to_others([str(top / "missing")]) is None
    finally:
        shutil.rmtree(top)


def _state(pid: int) -> str:
    """The state letter of a process (R, S, Z, ...), "" once it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return ""


def _waiting_spares(zygote: int) -> list[int]:
    """The zygote's own children that are not zombies (between two submissions: the spare)."""
    time.sleep(0.2)  # the zygote reaps the submission's children at its next turn
    return [p for p in _descendants(zygote) if _state(p) not in ("Z", "")]  # none can fork


@needs_root
def test_a_spare_child_that_died_is_replaced_by_a_fork(toy_grader, toy_submission):
    """The zygote forks the next child ahead of its request; if that spare is gone when
    the request comes (killed from outside, reaped or not), the child is forked as before."""
    assert toy_grader.grade(toy_submission("good")).score == 5
    zygote = toy_grader.zygote().proc.pid
    spares = _waiting_spares(zygote)
    assert len(spares) == 1, "one spare waits for the next request"
    os.kill(spares[0], signal.SIGKILL)
    time.sleep(0.2)  # reaped by the zygote before the next request
    assert toy_grader.grade(toy_submission("good")).score == 5
    (spare,) = _waiting_spares(zygote)
    os.kill(spare, signal.SIGKILL)  # and one dead, not yet reaped, when the request comes
    while spare in _descendants(zygote) and _state(spare) != "Z":
        time.sleep(0.001)
    result = toy_grader.grade(toy_submission("good"))
    assert result.score == 5 and toy_grader.zygote().proc.pid == zygote
    assert not [w for w in result.warnings if "missing protection" in w]


def _thp_mode() -> str:
    try:
        text = Path("/sys/kernel/mm/transparent_hugepage/enabled").read_text()
    except OSError:
        return "absent"
    return text.split("[", 1)[1].split("]", 1)[0] if "[" in text else "absent"


@pytest.mark.skipif(
    _thp_mode() not in ("always", "madvise"),
    reason=f"transparent huge pages are {_thp_mode()} on this kernel",
)
def test_the_zygote_allocates_in_huge_pages_and_its_children_grade_as_before(
    toy_grader, toy_submission
):
    """The zygote starts with the C library's huge-page allocation on (the fork of a
    2 MB page copies one entry, not 512); its children grade exactly as before, and the
    setting is not in their environment."""
    zygote = toy_grader.zygote().proc.pid
    rollup = Path(f"/proc/{zygote}/smaps_rollup").read_text()
    huge_kb = int(rollup.split("AnonHugePages:")[1].split()[0])
    assert huge_kb > 0, "the zygote holds no huge page"
    environ = Path(f"/proc/{zygote}/environ").read_bytes().split(b"\0")
    assert b"GLIBC_TUNABLES=glibc.malloc.hugetlb=1" in environ
    assert toy_grader.grade(toy_submission("good")).score == 5
    env = toy_grader.grade(toy_submission("reads_env"))
    names = {c.name: c for c in env.cases}[DOUBLE].output
    assert "HOME" in names and "GLIBC_TUNABLES" not in names


@needs_root
def test_a_tampered_or_dead_zygote_is_replaced_and_the_fork_retried(toy_grader, toy_submission):
    zygote = toy_grader.zygote()
    first = zygote.proc.pid
    soft, hard = resource.prlimit(first, resource.RLIMIT_NOFILE)
    resource.prlimit(first, resource.RLIMIT_NOFILE, (soft - 1, hard))
    assert toy_grader.grade(toy_submission("good")).score == 5
    assert zygote.proc.pid != first and "tampered: rlimits changed" in zygote.restarts[-1]
    os.kill(zygote.proc.pid, signal.SIGKILL)
    zygote.proc.wait()
    assert toy_grader.grade(toy_submission("good")).score == 5


def _descendants(root: int) -> dict[int, str]:
    """PID -> start time of every live descendant of ``root``."""
    parents, starts = {}, {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            parents[int(entry)], starts[int(entry)] = int(fields[1]), fields[19]
    found, frontier = {}, [root]
    while frontier:
        parent = frontier.pop()
        for pid, ppid in parents.items():
            if ppid == parent and pid not in found:
                found[pid] = starts[pid]
                frontier.append(pid)
    return found


def _alive(pid: int, start: str) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    fields = stat.rsplit(")", 1)[1].split()
    return fields[19] == start and fields[0] != "Z"


@pytest.mark.skipif(sys.platform != "linux", reason="parent-death signals are Linux only")
def test_killing_the_grader_leaves_no_orphan(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    for i in range(2):
        (subs / f"loop{i}.py").write_text("while True:\n    pass\n")
    cli = Path(sys.executable).parent / "clusterlab"
    main = subprocess.Popen(
        [str(cli), "grade", "handwriting", str(subs), "--out", str(tmp_path / "out")]
        + ["--workers", "2", "--timeout", "30"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 90
    family: dict[int, str] = {}
    while time.monotonic() < deadline:
        family.update(_descendants(main.pid))
        children = [p for p in family if _alive(p, family[p]) and _sandboxed(p)]
        if len(children) >= 2:
            break
        time.sleep(0.2)
    else:
        main.kill()
        pytest.fail("no sandbox child started")
    main.kill()
    main.wait()
    time.sleep(2)
    left = [p for p, start in family.items() if _alive(p, start)]
    assert left == [], f"orphans: {left}"


def _sandboxed(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    nspid = next((ln for ln in status.splitlines() if ln.startswith("NSpid:")), "")
    return nspid.split()[-1:] == ["1"] and len(nspid.split()) > 2
