"""Attempts a submission makes, reported to the grader for the teacher (integrity flags).

Three sources:

- what the grader sees from outside, which the submission cannot hide: a child
  killed by the seccomp filter (SIGSYS), by its memory cgroup, or by its CPU limit,
  an audit channel flooded past what the grader keeps or closed by the submission
  (see ``session.py``);
- a Python audit hook (PEP 578) installed in the child before the student module
  is imported: hooks cannot be removed, and each watched event is written at once
  to a pipe the grader reads, before the operation is attempted. The hook keeps no
  state that ``gc`` could reach and change: everything it uses is in its (immutable)
  default arguments, and an attempt to replace its code or defaults is refused;
- a static scan of the submitted source (``scan_source``), run in the grader on the
  source as Python decodes it (coding cookies included).
"""

from __future__ import annotations

import ast
import io
import os
import sys
import tokenize

_PROCESS = {
    "os.fork",
    "os.forkpty",
    "os.system",
    "os.exec",
    "os.posix_spawn",
    "os.spawn",
    "subprocess.Popen",
    "pty.spawn",
}
_SIGNAL = {"os.kill", "os.killpg", "signal.pthread_kill"}
_NETWORK = {"socket.connect", "socket.bind", "socket.sendto", "socket.getaddrinfo"}
_FILES = {
    "open",
    "os.remove",
    "os.rename",
    "os.rmdir",
    "os.mkdir",
    "os.symlink",
    "os.link",
    "os.chmod",
    "os.chown",
    "os.utime",
    "os.setxattr",
    "os.removexattr",
    "os.chflags",
    "shutil.rmtree",
    "os.truncate",
}
_READS = {"sqlite3.connect", "glob.glob", "os.listdir", "os.scandir", "os.listxattr"}
_LIMITS = {"resource.prlimit"}
_INTROSPECTION = {"gc.get_objects", "gc.get_referrers", "gc.get_referents"}
_RAW_CALLS = frozenset(
    {
        "syscall", "prctl", "mount", "umount2", "unshare", "setns", "ptrace", "reboot",
        "swapon", "swapoff", "memfd_create", "prlimit", "prlimit64", "setpriority",
        "sched_setaffinity", "kill", "chmod", "chown", "setxattr", "utime", "utimes",
        "keyctl", "pivot_root", "chroot", "setuid", "setresuid", "capset",
    }
)  # fmt: skip
_FORBIDDEN_IMPORTS = ("solutions", "autograder", "otter", "clusterlab")
WATCHED = frozenset(
    _PROCESS | _SIGNAL | _NETWORK | _FILES | _READS | _LIMITS | _INTROSPECTION
    | {"import", "ctypes.dlsym", "object.__setattr__"}
)  # fmt: skip
HOOK_NAME = "_clusterlab_audit_hook"


def own_sources() -> frozenset[str]:
    """The files of ClusterLab's own modules in this process, as given and resolved.

    Call it before the jail is built: there, resolving paths costs about 10 ms per
    child, and the sources' paths are the ones their frames name.
    """
    realpath = os.path.realpath
    # filtered by key first: touching each of the zygote's thousands of modules would
    # copy their pages into the forked child
    modules = [sys.modules[k] for k in list(sys.modules) if k.startswith("autograder")]
    files = [
        m.__file__
        for m in modules
        if getattr(m, "__name__", "").startswith("autograder") and getattr(m, "__file__", None)
    ]
    return frozenset(files) | frozenset(realpath(f) for f in files)


def install(fd: int, scratch: str, readable: list[str], own: frozenset[str] | None = None) -> None:
    """Install the hook in this (child) process; events go to ``fd`` as text lines.

    The hook has no closure and no mutable state (a list or set found through ``gc``
    could switch it off): the pipe, the paths and the helpers are default arguments,
    which are a tuple, and replacing its ``__code__`` or defaults raises. ``own`` is
    :func:`own_sources`, made before the jail (else here).
    """
    realpath = os.path.realpath
    readable_prefixes = tuple(p.rstrip("/") + "/" for p in readable) + (
        "/proc/self/",
        f"/proc/{os.getpid()}/",
        "/dev/",
    )
    # tracebacks of the child's own frames look up these sources: not the student's doing
    if own is None:
        own = own_sources()
    sys.addaudithook(
        _make_hook(fd, realpath(scratch), readable_prefixes, own)  # type: ignore[arg-type]
    )


def _make_hook(fd, scratch, readable, own):
    def _clusterlab_audit_hook(
        event,
        args,
        _fd=fd,
        _scratch=scratch,
        _readable=readable,
        _own=own,
        _watched=WATCHED,
        _write=os.write,
        _realpath=os.path.realpath,
        _fspath=os.fspath,
        _isinstance=isinstance,
        _str=str,
        _int=int,
        _tuple=tuple,
        _any=any,
        _files=frozenset(_FILES),
        _reads=frozenset(_READS),
        _process=frozenset(_PROCESS),
        _signal=frozenset(_SIGNAL),
        _network=frozenset(_NETWORK),
        _introspection=frozenset(_INTROSPECTION),
        _raw=_RAW_CALLS,
        _forbidden=_FORBIDDEN_IMPORTS,
        _name=HOOK_NAME,
        _error=RuntimeError,
        _getattr=getattr,
        _len=len,
        _bad_path=(TypeError, ValueError),
        _os_error=OSError,
    ):
        if event not in _watched:
            return

        def report(text):
            try:
                _write(_fd, (text[:300].replace("\n", " ") + "\n").encode("utf-8", "replace"))
            except _os_error:
                pass

        def outside(path):
            if _isinstance(path, _int):
                return None
            try:
                full = _realpath(_fspath(path))
            except _bad_path:
                return None
            if full == _scratch or full.startswith(_scratch + "/") or full == "/dev/null":
                return None
            return full

        if event == "object.__setattr__":
            code = _getattr(args[0], "__code__", None)
            if _getattr(code, "co_name", None) == _name:
                report("tried to switch off the audit hook")
                raise _error("the audit hook cannot be changed")
        elif event == "import":
            name = args[0] or ""
            top = name.split(".")[0]
            if top in _forbidden and not name.startswith("autograder.sandbox"):
                report(f"tried to import {top}")
        elif event == "open":
            full = outside(args[0])
            writing = _isinstance(args[1], _str) and _any(c in args[1] for c in "wax+")
            if full and full not in _own and (writing or not (full + "/").startswith(_readable)):
                report(f"tried to {'write' if writing else 'read'} {full}")
        elif event in _reads:
            full = outside(args[0]) if args else None
            if full and not (full + "/").startswith(_readable):
                report(f"tried to read {full} ({event})")
        elif event in _files:
            full = outside(args[0]) if args else None
            if full:
                report(f"tried to change {full} ({event})")
        elif event in _process:
            report(f"tried to start a process ({event})")
        elif event in _signal:
            report(f"tried to send a signal ({event} {args[:2]!r})")
        elif event in _network:
            report(f"tried to use the network ({event} {args[1:2]!r})")
        elif event == "resource.prlimit":
            if args and args[0] not in (0, 1):
                report(f"tried to change the limits of another process ({args[0]!r})")
        elif event in _introspection:
            report(f"walked the interpreter's objects ({event})")
        elif event == "ctypes.dlsym":
            name = args[1] if _len(args) > 1 else None
            if _isinstance(name, _str) and name in _raw:
                report(f"tried to call {name} through ctypes")

    return _clusterlab_audit_hook


_MODULE_FLAGS = {
    "socket": "imports socket (network access)",
    "subprocess": "imports subprocess (starting programs)",
    "multiprocessing": "imports multiprocessing (starting processes)",
    "ctypes": "imports ctypes (raw system calls)",
    "signal": "imports signal",
    "otter": "imports otter (the grading framework)",
    "solutions": "imports solutions (the reference solutions)",
    "autograder": "imports autograder (the grader)",
    "builtins": "imports builtins",
    "gc": "imports gc (walking the interpreter's objects)",
}
_PATCHABLE = {
    "np",
    "numpy",
    "sklearn",
    "pd",
    "pandas",
    "otter",
    "builtins",
    "sys",
    "os",
    "KMeans",
    "scipy",
}


def decode_source(source: bytes | str) -> tuple[str, str]:
    """The source as Python would decode it (PEP 263 coding cookie), and the encoding."""
    if isinstance(source, str):
        return source, "utf-8"
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
        return source.decode(encoding), encoding
    except (SyntaxError, LookupError, UnicodeDecodeError):
        return source.decode("utf-8", "replace"), "utf-8"


def scan_source(source: bytes | str) -> list[str]:
    """Suspicious constructs in a submission's source, as flags for the teacher.

    Bytes are decoded as Python would (a UTF-7 coding cookie cannot hide an import).
    """
    text, encoding = decode_source(source)
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    flags: list[str] = []

    def flag(text: str) -> None:
        if text not in flags:
            flags.append(text)

    if encoding.lower().replace("_", "-") not in ("utf-8", "utf-8-sig", "ascii", "us-ascii"):
        flag(f"source declares the encoding {encoding[:40]} (hides text from a UTF-8 reader)")
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                if top in _MODULE_FLAGS:
                    flag(f"source {_MODULE_FLAGS[top]}")
        elif isinstance(node, ast.ImportFrom) and node.module:
            top = node.module.split(".")[0]
            if top in _MODULE_FLAGS:
                flag(f"source {_MODULE_FLAGS[top]}")
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                root = target
                while isinstance(root, (ast.Attribute, ast.Subscript)):
                    root = root.value
                if (
                    isinstance(target, (ast.Attribute, ast.Subscript))
                    and isinstance(root, ast.Name)
                    and root.id in _PATCHABLE
                ):
                    flag(f"source assigns to {ast.unparse(target)[:80]} (monkeypatching)")
        elif isinstance(node, ast.Call):
            name = _dotted(node.func)
            if name in (
                "setattr",
                "__import__",
                "importlib.import_module",
                "exec",
                "eval",
                "os._exit",
                "sys.exit",
                "os.fork",
                "os.system",
                "os.getenv",
                "os.kill",
                "signal.signal",
                "threading.Thread",
                "os.setpriority",
                "os.sched_setaffinity",
                "resource.prlimit",
                "os.memfd_create",
                "os.setxattr",
                "os.chmod",
                "os.chown",
                "os.utime",
                "gc.get_objects",
                "gc.get_referents",
            ):
                flag(f"source calls {name}")
        elif isinstance(node, ast.Attribute) and _dotted(node) == "os.environ":
            flag("source reads os.environ")
    return flags


def _dotted(node: ast.expr) -> str | None:
    """``a.b.c`` for a chain of names and attributes, else None (what ``ast.unparse``
    would give for such a chain, at a fraction of its cost: scanning a submission's
    every call with ``unparse`` took 7 ms)."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))
