"""Attempts a submission makes, reported to the grader for the teacher (integrity flags).

Two sources, both best effort (enforcement is the kernel's job, see limits.py):

- a Python audit hook (PEP 578) installed in the child before the student module
  is imported: hooks cannot be removed, and each watched event is written at once
  to a pipe the grader reads, before the operation is attempted;
- a static scan of the submitted source (``scan_source``), run in the grader.
"""

from __future__ import annotations

import ast
import os
import sys

MAX_EVENTS = 100
"""Most audit lines one child writes (a loop of attempts is one flag anyway)."""

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
    "shutil.rmtree",
    "os.truncate",
}
_READS = {"sqlite3.connect", "glob.glob", "os.listdir", "os.scandir"}
_FORBIDDEN_IMPORTS = ("solutions", "autograder", "otter", "clusterlab")
WATCHED = _PROCESS | _SIGNAL | _NETWORK | _FILES | _READS | {"import"}


def install(fd: int, scratch: str, readable: list[str]) -> None:
    """Install the hook in this (child) process; events go to ``fd`` as text lines."""
    write, realpath, fspath = os.write, os.path.realpath, os.fspath
    scratch = realpath(scratch)
    readable = tuple(p.rstrip("/") + "/" for p in readable) + (
        "/proc/self/",
        f"/proc/{os.getpid()}/",
        "/dev/",
    )
    # tracebacks of the child's own frames look up these sources: not the student's doing
    own = {
        realpath(m.__file__)
        for m in list(sys.modules.values())
        if getattr(m, "__name__", "").startswith("autograder") and getattr(m, "__file__", None)
    }
    left = [MAX_EVENTS]

    seen: set[str] = set()

    def report(text: str) -> None:
        if left[0] > 0 and text not in seen:
            seen.add(text)
            left[0] -= 1
            try:
                write(fd, (text[:300].replace("\n", " ") + "\n").encode("utf-8", "replace"))
            except OSError:
                pass

    def outside(path: object) -> str | None:
        if isinstance(path, int):
            return None
        try:
            full = realpath(fspath(path))
        except (TypeError, ValueError):
            return None
        if full == scratch or full.startswith(scratch + "/") or full == "/dev/null":
            return None
        return full

    def hook(event: str, args: tuple) -> None:
        if event not in WATCHED:
            return
        if event == "import":
            name = args[0] or ""
            top = name.split(".")[0]
            if top in _FORBIDDEN_IMPORTS and not name.startswith("autograder.sandbox"):
                report(f"tried to import {top}")
        elif event == "open":
            full = outside(args[0])
            writing = isinstance(args[1], str) and any(c in args[1] for c in "wax+")
            if full and full not in own and (writing or not (full + "/").startswith(readable)):
                report(f"tried to {'write' if writing else 'read'} {full}")
        elif event in _READS:
            full = outside(args[0]) if args else None
            if full and not (full + "/").startswith(readable):
                report(f"tried to read {full} ({event})")
        elif event in _FILES:
            full = outside(args[0]) if args else None
            if full:
                report(f"tried to change {full} ({event})")
        elif event in _PROCESS:
            report(f"tried to start a process ({event})")
        elif event in _SIGNAL:
            report(f"tried to send a signal ({event} {args[:2]!r})")
        elif event in _NETWORK:
            report(f"tried to use the network ({event} {args[1:2]!r})")

    sys.addaudithook(hook)


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


def scan_source(source: str) -> list[str]:
    """Suspicious constructs in a submission's source, as flags for the teacher."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    flags: list[str] = []

    def flag(text: str) -> None:
        if text not in flags:
            flags.append(text)

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
            name = ast.unparse(node.func)[:60]
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
            ):
                flag(f"source calls {name}")
        elif isinstance(node, ast.Attribute) and ast.unparse(node) == "os.environ":
            flag("source reads os.environ")
    return flags
