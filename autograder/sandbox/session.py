"""One submission in the sandbox: its scratch folder, its child, and the calls into it."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from dataclasses import asdict
from typing import Any

from autograder import codec
from autograder.sandbox.client import OUTPUT_LIMIT, Child
from autograder.sandbox.errors import (
    CallTimeout,
    ChildDied,
    ImportFailed,
    ReturnedNonData,
    SandboxError,
    StudentAttributeError,
    StudentError,
    describe_status,
    first_line,
)
from autograder.sandbox.limits import Limits
from autograder.sandbox.probes import probe_stats
from autograder.sandbox.proxies import Handle, RemoteFunction
from autograder.sandbox.zygote_client import (
    PROC_READ_PATHS,
    Zygote,
    disabled_layers,
    is_under,
    masked_paths,
    safe_read_paths,
)

MAX_AUDIT_FLAGS = 50
"""Most distinct audit attempts listed per submission (the rest are counted)."""


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
        limits.masked = masked_paths([*protected, os.path.dirname(self.scratch)], limits.read_paths)
        self.request_base = {
            "scratch": self.scratch,
            "module_name": module_name,
            "module_file": self.module_file,
            "limits": asdict(limits),
            # only the installation's own entries: not the grader's script folder or checkout
            "sys_path": [p for p in sys.path if is_under(p, limits.read_paths)],
            "disabled": sorted(disabled_layers()),
        }
        self.child: Child | None = None
        self.generation = 0
        self.output_parts: list[str] = []
        self.events: list[str] = []
        self.missing: list[str] = []
        self.names: dict[str, str] = {}
        self.last_stats: dict[str, dict[str, int]] = {}

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
                f"process while being imported ({describe_status(exc.detail)})",
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
                    f"{first_line(err['message'])}{line}"
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
            self._audit_flags(self.child)
            self.child = None

    def _audit_flags(self, child: Child) -> None:
        """The child's audit lines as flags; a flooded channel is a flag of its own."""
        audit = child.audit
        lines = [ln.strip() for ln in audit.kept.decode("utf-8", "replace").splitlines()]
        attempts = [f"attempt: {ln}" for ln in dict.fromkeys(ln for ln in lines if ln)]
        new = [a for a in attempts if a not in self.events]
        self.events += new[:MAX_AUDIT_FLAGS]
        if len(new) > MAX_AUDIT_FLAGS:
            self.events.append(f"audit: {len(new) - MAX_AUDIT_FLAGS} more attempts not listed")
        if audit.dropped:
            flag = (
                f"audit: the submission wrote {audit.dropped + len(audit.kept):,} bytes to its "
                f"audit channel; only the first {len(audit.kept):,} were read (flooded)"
            )
            self.events.append(flag)
        if child.audit_closed_early and "audit: the submission closed its audit channel" not in (
            self.events
        ):
            self.events.append("audit: the submission closed its audit channel")

    def fresh_child(self) -> None:
        """Replace the child: the next call starts a fresh process that imports the module
        again (a determinism check across processes). Handles from before become stale."""
        self._retire()

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
                    f"{first_line(str(err.get('message')))}",
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
                first_line(str(err.get("message"))),
                err.get("line"),
                str(err.get("traceback", "")),
            )
        for note in reply.get("notes", [])[:20] if type(reply.get("notes")) is list else []:
            self.events.append(f"returned: {label} returned {str(note)[:200]}")
        if "ok" not in reply:
            raise ChildDied(label, f"{label}: the sandbox sent a malformed reply")
        self.last_stats = probe_stats(reply)
        return reply["ok"]
