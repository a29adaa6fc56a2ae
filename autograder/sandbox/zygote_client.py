"""The zygote process, seen from the grader, and what its children may read.

The zygote is started with a scrubbed environment and forks sandbox children on
request; the path functions decide which parts of the installation a child sees.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable

from autograder.sandbox.limits import LAYERS

PROC_READ_PATHS = [
    "/proc/self",
    "/proc/cpuinfo",
    "/proc/meminfo",
    "/sys/devices/system/cpu",
    "/sys/fs/cgroup",
]
"""Read-only in the child, opened there (so /proc/self is the child's own): scikit-learn's
thread-pool and CPU-count probes read them."""

_ZYGOTE_ENV_KEEP = ("PATH", "LANG", "LC_ALL", "SYSTEMROOT")


DISABLE_VARIABLE = "CLUSTERLAB_SANDBOX_DISABLE"
"""Comma-separated sandbox layers to leave off, to emulate a platform without them."""


def disabled_layers() -> frozenset[str]:
    """The layers switched off by CLUSTERLAB_SANDBOX_DISABLE (checked, with its source)."""
    raw = os.environ.get(DISABLE_VARIABLE, "")
    names = frozenset(n.strip() for n in raw.split(",") if n.strip())
    unknown = names - set(LAYERS)
    if unknown:
        raise ValueError(
            f"{DISABLE_VARIABLE}={raw!r}: unknown layer(s) {', '.join(sorted(unknown))}; "
            f"known: {', '.join(LAYERS)}"
        )
    return names


def _python_paths() -> list[str]:
    """What a child may read: the Python installation and shared libraries."""
    import site

    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    paths.update(p for p in sys.path if p.endswith("-packages"))
    paths.update(site.getsitepackages())
    paths.update(
        [
            "/usr/lib",
            "/usr/lib64",
            "/lib",
            "/lib64",
            "/usr/share/zoneinfo",
            "/usr/share/fonts",
            "/dev/null",
            "/dev/urandom",
            "/dev/zero",
        ]
    )
    return sorted({os.path.realpath(p) for p in paths if os.path.exists(p)})


def safe_read_paths(protected: list[str]) -> list[str]:
    """The child's read paths: the installation, minus any inside a protected folder.

    A read path that *contains* a protected folder (site-packages holding the
    graders of a regular install) is kept; :func:`masked_paths` cuts the protected
    folder out of it (an empty tmpfs in the child's view, left out of Landlock's rules).
    """
    prot = [os.path.realpath(p) for p in protected]
    return [path for path in _python_paths() if not is_under(path, prot)]


def masked_paths(protected: list[str], read_paths: list[str]) -> list[str]:
    """The protected folders and files that lie inside a read path (to be hidden there)."""
    prot = sorted({os.path.realpath(p) for p in protected if os.path.exists(p)})
    return [p for p in prot if any(_real_under(p, [r]) and p != r for r in read_paths)]


def is_under(path: str, roots: list[str]) -> bool:
    if not path or not os.path.isabs(path):
        return False
    return _real_under(os.path.realpath(path), roots)


def _real_under(real: str, roots: list[str]) -> bool:
    """:func:`is_under` for a path already resolved (``os.path.realpath``)."""
    return any(real == r or real.startswith(r.rstrip("/") + "/") for r in roots)


def _control_pair() -> tuple[socket.socket, socket.socket]:
    """A message-preserving unix socket pair (SEQPACKET; DGRAM where it is missing: macOS)."""
    try:
        return socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    except (AttributeError, OSError):
        return socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)


def packages_imported(source: str | bytes) -> set[str] | None:
    """Top-level packages a module's source imports (None if it does not parse).

    For ``Zygote(warm=...)``: a zygote that serves one submission need only import
    what that submission will import.
    """
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


def packages_imported_by(path: str | os.PathLike) -> set[str] | None:
    """:func:`packages_imported` of a ``.py`` file that is a regular file of at most
    1 MB (checked without following links or opening anything else); else None."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    if not str(path).endswith(".py") or not stat.S_ISREG(st.st_mode) or st.st_size > 1 << 20:
        return None
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | os.O_NONBLOCK)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as fh:
        return packages_imported(fh.read(1 << 20))


class Zygote:
    """A warm process that forks sandbox children on request.

    The process is replaced when it dies, when a fork fails, or when it reports that
    its own limits, priority or affinity changed (``tampered``): the fork is then
    retried once on a fresh zygote. The zygote dies with this process
    (parent-death signal), and its children die with it.
    """

    def __init__(
        self,
        *,
        python: str = sys.executable,
        start_timeout: float = 120.0,
        wait: bool = True,
        warm: Iterable[str] | None = None,
    ):
        self._lock = threading.Lock()
        self.python, self.start_timeout = python, start_timeout
        self.warm = None if warm is None else sorted(set(warm))
        """Top-level packages to import before forking (None: all of the zygote's list)."""
        self.mpl_dir = tempfile.mkdtemp(prefix="clusterlab-mpl-")
        self.restarts: list[str] = []
        """Why the zygote process was replaced, oldest first (for the teacher)."""
        self._starting = False
        try:
            self._start(wait=wait)
        except RuntimeError:
            shutil.rmtree(self.mpl_dir, ignore_errors=True)
            raise

    def _start(self, wait: bool = True) -> None:
        """Start the zygote process; with ``wait=False`` its imports go on while the caller
        does other work, and the first fork waits for them (:meth:`_ready`)."""
        parent, child = _control_pair()
        env = {k: os.environ[k] for k in _ZYGOTE_ENV_KEEP if k in os.environ}
        env.update(
            OMP_NUM_THREADS="1",
            OPENBLAS_NUM_THREADS="1",
            MKL_NUM_THREADS="1",
            MPLBACKEND="Agg",
            PYTHONDONTWRITEBYTECODE="1",
            MPLCONFIGDIR=self.mpl_dir,
            # the C library's allocations in 2 MB pages where the kernel offers them
            # (transparent huge pages on "madvise"): fewer page faults in every child
            GLIBC_TUNABLES="glibc.malloc.hugetlb=1",
        )
        if self.warm is not None:
            env["CLUSTERLAB_ZYGOTE_WARM"] = ",".join(self.warm)
        if "PYTHONPATH" in os.environ:  # an uninstalled checkout (tests, bench)
            env["PYTHONPATH"] = os.environ["PYTHONPATH"]
        self.proc = subprocess.Popen(
            [self.python, "-m", "autograder.sandbox.zygote", str(child.fileno()), str(os.getpid())],
            pass_fds=[child.fileno()],
            env=env,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        child.close()
        self.ctl = parent
        self._starting = True
        if wait:
            self._ready()

    def _ready(self) -> None:
        """Wait for the zygote's ``ready`` (once per start); RuntimeError if it never comes."""
        if not self._starting:
            return
        self._starting = False
        self.ctl.settimeout(self.start_timeout)
        try:
            ready = json.loads(self.ctl.recv(1 << 16) or b"{}")
        except (TimeoutError, ValueError, OSError):
            ready = {}
        if "ready" not in ready:
            self._stop()
            raise RuntimeError("the sandbox zygote did not start")
        self.ctl.settimeout(30)

    def _fork_once(self, request: dict, fds: list[int]) -> int:
        self._ready()
        socket.send_fds(self.ctl, [json.dumps({"op": "fork", **request}).encode()], fds)
        answer = json.loads(self.ctl.recv(1 << 16) or b"{}")
        if "pid" not in answer:
            raise RuntimeError(f"the zygote refused to fork: {answer.get('error', answer)}")
        return answer["pid"]

    def fork(self, request: dict, fds: list[int]) -> int:
        """Fork a child; on any failure, replace the zygote and try once more."""
        with self._lock:
            try:
                return self._fork_once(request, fds)
            except (OSError, ValueError, RuntimeError) as exc:
                self.restarts.append(str(exc)[:200] or type(exc).__name__)
                self._stop()
                self._start()
                return self._fork_once(request, fds)

    def status(self, pid: int, wait: float = 1.0) -> str:
        """Exit status of a child ("exit N", "signal N", "oom", "running" or "unknown")."""
        deadline = time.monotonic() + wait
        while True:
            try:
                with self._lock:
                    self.ctl.send(json.dumps({"op": "status", "pid": pid}).encode())
                    answer = json.loads(self.ctl.recv(1 << 16)).get("status", "unknown")
            except (OSError, ValueError):
                return "unknown"
            if answer != "running" or time.monotonic() > deadline:
                return answer
            time.sleep(0.01)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def _stop(self) -> None:
        try:
            self.ctl.close()
        finally:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(5)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(5)

    def close(self) -> None:
        try:
            self._stop()
        finally:
            shutil.rmtree(self.mpl_dir, ignore_errors=True)
