"""The zygote process, seen from the grader, and what its children may read.

The zygote is started with a scrubbed environment and forks sandbox children on
request; the path functions decide which parts of the installation a child sees.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

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
    """The child's read paths, minus any that contain a protected folder (graders, ...)."""
    prot = [os.path.realpath(p) for p in protected]
    keep = []
    for path in _python_paths():
        if any(p == path or p.startswith(path.rstrip("/") + "/") for p in prot):
            continue
        keep.append(path)
    return keep


def is_under(path: str, roots: list[str]) -> bool:
    if not path or not os.path.isabs(path):
        return False
    real = os.path.realpath(path)
    return any(real == r or real.startswith(r.rstrip("/") + "/") for r in roots)


def _control_pair() -> tuple[socket.socket, socket.socket]:
    """A message-preserving unix socket pair (SEQPACKET; DGRAM where it is missing: macOS)."""
    try:
        return socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    except (AttributeError, OSError):
        return socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)


class Zygote:
    """A warm process that forks sandbox children on request."""

    def __init__(self, *, python: str = sys.executable, start_timeout: float = 120.0):
        self._lock = threading.Lock()
        parent, child = _control_pair()
        self.mpl_dir = tempfile.mkdtemp(prefix="clusterlab-mpl-")
        env = {k: os.environ[k] for k in _ZYGOTE_ENV_KEEP if k in os.environ}
        env.update(
            OMP_NUM_THREADS="1",
            OPENBLAS_NUM_THREADS="1",
            MKL_NUM_THREADS="1",
            MPLBACKEND="Agg",
            PYTHONDONTWRITEBYTECODE="1",
            MPLCONFIGDIR=self.mpl_dir,
        )
        if "PYTHONPATH" in os.environ:  # an uninstalled checkout (tests, bench)
            env["PYTHONPATH"] = os.environ["PYTHONPATH"]
        self.proc = subprocess.Popen(
            [python, "-m", "autograder.sandbox.zygote", str(child.fileno())],
            pass_fds=[child.fileno()],
            env=env,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        child.close()
        self.ctl = parent
        self.ctl.settimeout(start_timeout)
        try:
            ready = json.loads(self.ctl.recv(1 << 16) or b"{}")
        except (TimeoutError, ValueError):
            ready = {}
        if "ready" not in ready:
            self.close()
            raise RuntimeError("the sandbox zygote did not start")
        self.ctl.settimeout(30)

    def fork(self, request: dict, fds: list[int]) -> int:
        with self._lock:
            socket.send_fds(self.ctl, [json.dumps({"op": "fork", **request}).encode()], fds)
            answer = json.loads(self.ctl.recv(1 << 16))
        if "pid" not in answer:
            raise RuntimeError(f"the zygote refused to fork: {answer}")
        return answer["pid"]

    def status(self, pid: int, wait: float = 1.0) -> str:
        """Exit status of a child ("exit N", "signal N", "running" or "unknown")."""
        deadline = time.monotonic() + wait
        while True:
            with self._lock:
                self.ctl.send(json.dumps({"op": "status", "pid": pid}).encode())
                answer = json.loads(self.ctl.recv(1 << 16)).get("status", "unknown")
            if answer != "running" or time.monotonic() > deadline:
                return answer
            time.sleep(0.01)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        try:
            self.ctl.close()
        finally:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(5)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
            shutil.rmtree(self.mpl_dir, ignore_errors=True)
