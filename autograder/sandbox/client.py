"""The grader's side of the sandbox: the zygote, the children, and proxies to student code.

The grader holds only objects it built itself: every reply from a child is
decoded by :mod:`autograder.codec` into plain data, or into a :class:`Handle`
that forwards attribute reads and calls back to the child.
"""

from __future__ import annotations

import builtins
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict
from typing import Any

from autograder import codec
from autograder.sandbox.limits import LAYERS, Limits

OUTPUT_LIMIT = 64 * 1024
"""Bytes of a child's stdout/stderr kept for the teacher."""

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


class SandboxError(Exception):
    """Student code could not deliver a value. ``student_message`` is safe to show."""

    kind = "error"

    def __init__(self, label: str, student_message: str, detail: str = ""):
        super().__init__(f"{label}: {student_message}")
        self.label = label
        self.student_message = student_message
        self.detail = detail
        self.short = student_message
        """What a hidden case shows: nothing the student's code chose (text, exit code)."""


class StudentError(SandboxError):
    """The student's code raised an exception."""

    kind = "raised"

    def __init__(self, label: str, exc_type: str, message: str, line: int | None, detail: str):
        where = f" (line {line} of your file)" if line else ""
        text = f"{label} raised {exc_type}: {message}" if message else f"{label} raised {exc_type}"
        super().__init__(label, text + where, detail)
        self.exc_type, self.exc_message, self.line = exc_type, message, line
        # hidden cases: a built-in exception's name, never a class name the student chose
        shown = exc_type if isinstance(getattr(builtins, exc_type, None), type) else "an exception"
        self.short = f"{label} raised {shown}{where}"


class StudentAttributeError(StudentError, AttributeError):
    """Reading an attribute of a student object raised AttributeError (so hasattr works)."""


class ReturnedNonData(SandboxError):
    """The student's value could not be turned into data (too deep, unencodable)."""

    kind = "unsendable"

    def __init__(self, label: str, student_message: str, detail: str = ""):
        super().__init__(label, student_message, detail)
        self.short = f"{label} returned a value the grader cannot accept"


class CallTimeout(SandboxError):
    """A call ran past its deadline; the child was killed."""

    kind = "timeout"


class ChildDied(SandboxError):
    """The child process ended (exit, crash, resource limit) or broke the protocol."""

    kind = "died"

    def __init__(self, label: str, student_message: str, detail: str = ""):
        super().__init__(label, student_message, detail)
        self.short = f"{label} ended the sandbox process"


class ImportFailed(SandboxError):
    """The student module could not be imported."""

    kind = "import"


class StaleHandle(SandboxError):
    """A handle from a child that has since been replaced."""

    kind = "stale"


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


def _under(path: str, roots: list[str]) -> bool:
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


class _OutputReader(threading.Thread):
    """Drain a child's stdout/stderr pipe, keeping the first OUTPUT_LIMIT bytes."""

    def __init__(self, fd: int):
        super().__init__(daemon=True)
        self.fd, self.kept, self.dropped = fd, bytearray(), 0

    def run(self) -> None:
        try:
            while chunk := os.read(self.fd, 65536):
                room = OUTPUT_LIMIT - len(self.kept)
                self.kept += chunk[:room]
                self.dropped += max(0, len(chunk) - room)
        except OSError:
            pass
        finally:
            os.close(self.fd)

    def text(self) -> str:
        out = self.kept.decode("utf-8", "replace")
        return out + (f"\n[... {self.dropped:,} more bytes not kept]" if self.dropped else "")


class Child:
    """One sandbox child: the student module, imported once, serving calls."""

    def __init__(self, zygote: Zygote, request: dict, *, import_timeout: float, max_frame: int):
        self.zygote, self.max_frame = zygote, max_frame
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        out_r, out_w = os.pipe()
        audit_r, audit_w = os.pipe()
        try:
            self.pid = zygote.fork(request, [theirs.fileno(), out_w, audit_w])
        finally:
            theirs.close()
            os.close(out_w)
            os.close(audit_w)
        self.sock = ours
        self.output = _OutputReader(out_r)
        self.output.start()
        self.audit = _OutputReader(audit_r)
        self.audit.start()
        self.alive = True
        self.missing = self.receive(import_timeout, "the sandbox")["confined"]
        self.ready = self.receive(import_timeout, "importing your module")

    def kill(self) -> None:
        if self.alive:
            self.alive = False
            for kill in (os.killpg, os.kill):
                try:
                    kill(self.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            self.sock.close()

    def _read_exact(self, n: int, deadline: float) -> bytes:
        buf = bytearray()
        while len(buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            self.sock.settimeout(left)
            chunk = self.sock.recv(min(n - len(buf), 1 << 22))
            if not chunk:
                raise EOFError
            buf += chunk
        return bytes(buf)

    def receive(self, timeout: float, label: str, from_handle=None) -> Any:
        """Read one reply; on time-out, death or a bad frame the child is killed."""
        deadline = time.monotonic() + timeout
        try:
            (length,) = struct.unpack("<Q", self._read_exact(8, deadline))
            if length > self.max_frame:
                raise codec.FrameTooLarge(f"{length:,} bytes")
            payload = self._read_exact(length, deadline)
            return codec.decode_message(payload, from_handle or _no_handles)
        except TimeoutError:
            self.kill()
            raise CallTimeout(label, f"{label} was stopped after {timeout:g} s") from None
        except (EOFError, ConnectionError, OSError):
            self.kill()
            status = self.zygote.status(self.pid)
            raise ChildDied(
                label, f"{label} ended the sandbox process ({_describe(status)})", status
            ) from None
        except codec.FrameTooLarge as exc:
            self.kill()
            raise ChildDied(
                label,
                f"{label} returned more data than the grader accepts "
                f"({exc}; limit {self.max_frame:,})",
                "frame",
            ) from None
        except codec.CodecError as exc:
            self.kill()
            raise ChildDied(label, f"{label} sent something that is not data", str(exc)) from None

    def send(self, message: dict, label: str) -> None:
        frame = codec.encode_message(message, _handle_ref)
        try:
            self.sock.settimeout(30)
            self.sock.sendall(frame)
        except OSError:
            self.kill()
            status = self.zygote.status(self.pid)
            raise ChildDied(
                label, f"{label} ended the sandbox process ({_describe(status)})", status
            ) from None


def _describe(status: str) -> str:
    kind, _, num = status.partition(" ")
    if kind == "signal":
        try:
            name = signal.Signals(int(num)).name
        except ValueError:
            name = f"signal {num}"
        if name == "SIGXCPU":
            return "it used up its CPU time"
        return f"killed by {name}"
    if kind == "exit":
        return f"exit code {num}"
    return "it stopped answering"


def _no_handles(node: dict) -> Any:
    raise codec.CodecError("unexpected handle")


def _handle_ref(obj: Any) -> dict:
    if isinstance(obj, Handle):
        return obj._ref()
    raise codec.CodecError(f"the grader cannot send a {type(obj).__name__} to the sandbox")


class Handle:
    """A non-data object that lives in the child; attribute reads and calls are forwarded."""

    __slots__ = ("_session", "_generation", "_id", "_type", "_label", "__weakref__")

    def __init__(self, session: Session, generation: int, node: dict, label: str):
        object.__setattr__(self, "_session", session)
        object.__setattr__(self, "_generation", generation)
        object.__setattr__(self, "_id", node.get("id"))
        object.__setattr__(self, "_type", str(node.get("type", "object"))[:80])
        object.__setattr__(self, "_label", label)

    def _ref(self) -> dict:
        if self._generation != self._session.generation:
            raise StaleHandle(self._label, f"{self._label} was lost when the sandbox restarted")
        return {"t": "handle", "id": self._id}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return self._session.request(
            {"op": "getattr", "target": self, "name": name}, f"{self._label}.{name}"
        )

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("objects in the sandbox are read-only")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._session.request(
            {"op": "call", "target": self, "args": list(args), "kwargs": kwargs}, self._label
        )

    def __getitem__(self, key: Any) -> Any:
        return self._session.request(
            {"op": "getitem", "target": self, "key": key}, f"{self._label}[...]"
        )

    def __len__(self) -> int:
        n = self._session.request({"op": "len", "target": self}, f"len({self._label})")
        if type(n) is not int or n < 0:
            raise TypeError(f"len({self._label}) did not return a count")
        return n

    def __iter__(self):
        raise TypeError(f"{self._label} is a {self._type} object, not a list or array")

    def __array__(self, *args: Any, **kwargs: Any):
        raise TypeError(f"{self._label} is a {self._type} object, not an array")

    def __repr__(self) -> str:
        return f"<{self._type} object returned by {self._label}>"


class RemoteFunction:
    """A student function: calling it calls the function of that name in the child."""

    def __init__(self, session: Session, name: str):
        self._session, self.__name__ = session, name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._session.call_global(self.__name__, args, kwargs)

    def __repr__(self) -> str:
        return f"<student function {self.__name__}>"


class Session:
    """One submission in the sandbox: a scratch folder and a child, restarted when needed."""

    def __init__(
        self,
        zygote: Zygote,
        *,
        module_name: str,
        source: bytes,
        data_files: list[str],
        limits: Limits,
        timeout: float,
        import_timeout: float | None = None,
        max_frame: int = codec.DEFAULT_MAX_FRAME,
        protected: list[str] = (),
    ):
        self.zygote, self.module_name, self.timeout = zygote, module_name, timeout
        self.import_timeout = import_timeout or 3 * timeout
        self.max_frame = max_frame
        self.scratch = tempfile.mkdtemp(prefix="clusterlab-sandbox-")
        os.chmod(self.scratch, 0o700)
        self.module_file = os.path.join(self.scratch, f"{module_name}.py")
        with open(self.module_file, "wb") as fh:
            fh.write(source)
        for path in data_files:
            shutil.copyfile(
                path, os.path.join(self.scratch, os.path.basename(path)), follow_symlinks=False
            )
        limits.write_paths = [self.scratch, "/dev/null"]
        limits.read_paths = safe_read_paths([*protected, os.path.dirname(self.scratch)])
        limits.read_paths += PROC_READ_PATHS
        self.request_base = {
            "scratch": self.scratch,
            "module_name": module_name,
            "module_file": self.module_file,
            "limits": asdict(limits),
            # only the installation's own entries: not the grader's script folder or checkout
            "sys_path": [p for p in sys.path if _under(p, limits.read_paths)],
            "disabled": sorted(disabled_layers()),
        }
        self.child: Child | None = None
        self.generation = 0
        self.output_parts: list[str] = []
        self.events: list[str] = []
        self.missing: list[str] = []
        self.names: dict[str, str] = {}

    # --- lifecycle -----------------------------------------------------------
    def start(self) -> dict[str, str]:
        """Start a child and import the module; returns its global names (name -> kind)."""
        self.generation += 1
        try:
            self.child = Child(
                self.zygote,
                self.request_base,
                import_timeout=self.import_timeout,
                max_frame=self.max_frame,
            )
        except CallTimeout:
            self.events.append(f"timeout: import stopped after {self.import_timeout:g} s")
            raise ImportFailed(
                self.module_name,
                f"{self.module_name}.py was stopped after "
                f"{self.import_timeout:g} s while being imported",
            ) from None
        except ChildDied as exc:
            self.events.append(f"died: during import ({exc.detail})")
            raise ImportFailed(
                self.module_name,
                f"{self.module_name}.py ended the sandbox "
                f"process while being imported ({_describe(exc.detail)})",
            ) from None
        self.missing = self.child.missing
        ready = self.child.ready
        if "error" in ready:
            err = ready["error"]
            self._retire()
            kind = err.get("kind")
            if kind == "exit":
                msg = f"{self.module_name}.py called sys.exit() while being imported"
            else:
                line = f" (line {err['line']})" if err.get("line") else ""
                msg = (
                    f"{self.module_name}.py does not import: {err['type']}: "
                    f"{_first_line(err['message'])}{line}"
                )
            raise ImportFailed(self.module_name, msg, err.get("traceback", ""))
        self.names = ready["ready"]
        return self.names

    def _retire(self) -> None:
        if self.child is not None:
            self.child.kill()
            self.child.output.join(timeout=1.0)
            self.child.audit.join(timeout=1.0)
            self.output_parts.append(self.child.output.text())
            for line in self.child.audit.text().splitlines():
                flag = f"attempt: {line.strip()}"
                if line.strip() and flag not in self.events:
                    self.events.append(flag)
            self.child = None

    def close(self) -> None:
        self._retire()
        shutil.rmtree(self.scratch, ignore_errors=True)

    @property
    def output(self) -> str:
        parts = list(self.output_parts)
        if self.child is not None:
            parts.append(self.child.output.text())
        return "".join(parts)[: OUTPUT_LIMIT * 2]

    # --- calls ---------------------------------------------------------------
    def binding(self, name: str) -> Any:
        """The value a grader parameter of this name gets: a proxy or plain data."""
        if self.names.get(name) == "callable":
            return RemoteFunction(self, name)
        return self.request({"op": "get", "name": name}, name)

    def call_global(self, name: str, args: tuple, kwargs: dict) -> Any:
        return self.request(
            {"op": "call", "target": name, "args": list(args), "kwargs": dict(kwargs)}, name
        )

    def request(self, message: dict, label: str) -> Any:
        if self.child is None or not self.child.alive:
            self._retire()
            try:
                self.start()
            except ImportFailed as exc:  # imported before, not now: treat as a crash
                raise ChildDied(label, exc.student_message, exc.detail) from None
        child, generation = self.child, self.generation
        try:
            child.send(message, label)
            reply = child.receive(
                self.timeout, label, lambda node: Handle(self, generation, node, label)
            )
        except SandboxError as exc:
            self.events.append(f"{exc.kind}: {exc.student_message}")
            self._retire()
            raise
        if type(reply) is not dict:
            raise ChildDied(label, f"{label}: the sandbox sent a malformed reply")
        if "error" in reply:
            err = reply["error"]
            if type(err) is not dict:
                raise ChildDied(label, f"{label}: the sandbox sent a malformed reply")
            if err.get("kind") == "exit":
                self.events.append(f"exit: {label} called sys.exit()")
                raise StudentError(
                    label,
                    "SystemExit",
                    "you called sys.exit(); return a value instead",
                    err.get("line"),
                    "",
                )
            if err.get("kind") == "unsendable":
                self.events.append(f"unsendable: {label} returned {err.get('message')}"[:300])
                raise ReturnedNonData(
                    label,
                    f"{label} returned a value the grader cannot accept: "
                    f"{_first_line(str(err.get('message')))}",
                )
            exc_type, text = str(err.get("type")), str(err.get("message"))
            if exc_type == "MemoryError":
                self.events.append(f"memory: {label} ran out of memory")
            elif "No space left on device" in text or "File too large" in text:
                self.events.append(f"disk: {label} filled its scratch space")
            cls = (
                StudentAttributeError
                if (message.get("op") == "getattr" and err.get("type") == "AttributeError")
                else StudentError
            )
            raise cls(
                label,
                str(err.get("type")),
                _first_line(str(err.get("message"))),
                err.get("line"),
                str(err.get("traceback", "")),
            )
        for note in reply.get("notes", [])[:20] if type(reply.get("notes")) is list else []:
            self.events.append(f"returned: {label} returned {str(note)[:200]}")
        if "ok" not in reply:
            raise ChildDied(label, f"{label}: the sandbox sent a malformed reply")
        return reply["ok"]


def _first_line(text: str, limit: int = 300) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"
