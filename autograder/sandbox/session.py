"""One submission in the sandbox: its scratch folder, its child, and the calls into it."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from dataclasses import asdict
from typing import Any

from autograder import codec
from autograder.sandbox import protocol
from autograder.sandbox.client import OUTPUT_LIMIT, Child
from autograder.sandbox.errors import (
    BudgetExceeded,
    CalledExit,
    CallTimeout,
    ChildDied,
    ImportFailed,
    ReturnedNonData,
    SandboxError,
    StudentAttributeError,
    StudentError,
    event,
)
from autograder.sandbox.limits import Limits
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
        budget: float | None = None,
    ):
        self.zygote, self.module_name, self.timeout = zygote, module_name, timeout
        self.import_timeout = import_timeout or 3 * timeout
        self.max_frame = max_frame
        self.budget = budget
        """Seconds all waits on the child together may take (None: no budget)."""
        self.used = 0.0
        """Seconds spent waiting on the child so far (imports and calls)."""
        self.source_lines = source.count(b"\n") + 1
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
        # The temporary folder (other children's scratch, the host's /tmp) is never a read
        # path; but a Python installation that lives in it (a checkout cloned into /tmp,
        # its .venv) must stay readable, so the folder is masked, not used to drop paths.
        limits.read_paths = safe_read_paths(list(protected))
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
        self.retired_bytes = 0
        """Bytes printed by children already retired (kept or not)."""
        self.events: list[str] = []
        self.missing: list[str] = []
        self.names: dict[str, str] = {}
        self.last_stats: dict[str, dict[str, int]] = {}
        self.returned_none: list[str] = []
        """Labels of the calls into student code that returned None, oldest first (the
        runner names them when a check then fails on None: a forgotten ``return``)."""

    # --- lifecycle -----------------------------------------------------------
    def start(self) -> dict[str, str]:
        """Start a child and import the module; returns its global names (name -> kind)."""
        self.generation += 1
        allowed, budget_binds = self._allowance(self.import_timeout)
        if allowed <= 0:
            raise ImportFailed(self.module_name, BudgetExceeded(self.module_name, self.budget))
        started = time.monotonic()
        try:
            self.child = Child(
                self.zygote,
                self.request_base,
                import_timeout=allowed,
                max_frame=self.max_frame,
                label=f"{self.module_name}.py",
            )
        except CallTimeout as exc:
            cause = BudgetExceeded(exc.label, self.budget) if budget_binds else exc
            raise self._import_failed(cause) from None
        except ChildDied as exc:
            raise self._import_failed(exc) from None
        finally:
            self.used += time.monotonic() - started
        self.missing = self.child.missing
        ready = self.child.ready
        if isinstance(ready, protocol.Failed):
            self._retire()
            if ready.kind == "exit":
                cause = CalledExit(self.module_name, self._line(ready.line))
            else:
                cause = StudentError(
                    self.module_name, ready.type, ready.message, self._line(ready.line)
                )
            failed = ImportFailed(self.module_name, cause)
            failed.detail = ready.traceback
            raise failed
        self.names = ready.names
        return self.names

    def _import_failed(self, cause: SandboxError) -> ImportFailed:
        exc = ImportFailed(self.module_name, cause)
        self.events.append(event(exc) or "")
        return exc

    def _allowance(self, timeout: float) -> tuple[float, bool]:
        """Seconds the next wait may take, and whether the budget (not ``timeout``) binds."""
        if self.budget is None:
            return timeout, False
        left = self.budget - self.used
        return (min(timeout, left), left < timeout)

    def _line(self, line: int | None) -> int | None:
        """A line number the child reported, if it is a line of the submitted file."""
        if line is None or 0 < line <= self.source_lines:
            return line
        flag = "protocol: the sandbox reported a line number outside the submitted file"
        if flag not in self.events:
            self.events.append(flag)
        return None

    def _retire(self) -> None:
        if self.child is not None:
            self.child.kill()
            self.child.output.join(timeout=1.0)
            self.child.audit.join(timeout=1.0)
            self.output_parts.append(self.child.output.text())
            self.retired_bytes += len(self.child.output.kept) + self.child.output.dropped
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

    def reimport(self) -> None:
        """Import the module again in the same child, as a fresh module: its top-level code
        runs again, and later calls reach the new module (a determinism check across
        imports, without the cost of a second process). Raises as a call would."""
        # the time an import has, as in a fresh child: top-level code may do real work
        self.request(
            protocol.Reimport(), f"importing {self.module_name}.py again", self.import_timeout
        )

    def close(self) -> None:
        self._retire()
        shutil.rmtree(self.scratch, ignore_errors=True)

    @property
    def output(self) -> str:
        parts = list(self.output_parts)
        if self.child is not None:
            parts.append(self.child.output.text())
        return "".join(parts)[: OUTPUT_LIMIT * 2]

    @property
    def printed_bytes(self) -> int:
        """Bytes the module printed (stdout and stderr) in all its children, kept or not."""
        live = self.child.output if self.child is not None else None
        return self.retired_bytes + (len(live.kept) + live.dropped if live is not None else 0)

    # --- calls ---------------------------------------------------------------
    def binding(self, name: str) -> Any:
        """The value a grader parameter of this name gets: a proxy or plain data."""
        if self.names.get(name) == "callable":
            return RemoteFunction(self, name)
        return self.request(protocol.Get(name), name)

    def call_global(self, name: str, args: tuple, kwargs: dict) -> Any:
        return self.request(protocol.Call(name, list(args), dict(kwargs)), name)

    def request(self, req: protocol.Request, label: str, timeout: float | None = None) -> Any:
        """Send one request and return its value, or raise the typed error it ended with.
        ``timeout``: seconds it may take (default: a call's timeout)."""
        try:
            return self._request(req, label, timeout or self.timeout)
        except SandboxError as exc:
            flag = event(exc)
            if flag is not None and flag not in self.events:
                self.events.append(flag)
            raise

    def _request(self, req: protocol.Request, label: str, timeout: float) -> Any:
        if self.child is None or not self.child.alive:
            self._retire()
            try:
                self.start()
            except ImportFailed as exc:  # imported before, not now: treat as a crash
                if isinstance(exc.cause, BudgetExceeded):
                    raise BudgetExceeded(label, self.budget) from None
                reason = "could not run: your module stopped importing"
                raise ChildDied(label, reason=reason) from None
        allowed, budget_binds = self._allowance(timeout)
        if allowed <= 0:
            raise BudgetExceeded(label, self.budget)
        child, generation = self.child, self.generation
        started = time.monotonic()
        try:
            child.send(req, label)
            reply = child.receive(
                started + allowed,
                allowed,
                label,
                (protocol.Ok, protocol.Failed),
                lambda node: Handle(self, generation, node, label),
            )
        except CallTimeout:
            self._retire()
            if budget_binds:
                raise BudgetExceeded(label, self.budget) from None
            raise
        except SandboxError:
            self._retire()
            raise
        finally:
            self.used += time.monotonic() - started
        if isinstance(reply, protocol.Ok):
            for note in reply.notes:
                self.events.append(f"returned: {label} returned {note}")
            self.last_stats = reply.stats
            if reply.value is None and isinstance(req, protocol.Call):
                if label in self.returned_none:
                    self.returned_none.remove(label)
                self.returned_none.append(label)
            return reply.value
        line = self._line(reply.line)
        if reply.kind == "exit":
            raise CalledExit(label, line)
        if reply.kind == "unsendable":
            raise ReturnedNonData(label, reply.message)
        if reply.type == "MemoryError":
            self.events.append(f"memory: {label} ran out of memory")
        elif "No space left on device" in reply.message or "File too large" in reply.message:
            self.events.append(f"disk: {label} filled its scratch space")
        getattr_error = isinstance(req, protocol.GetAttr) and reply.type == "AttributeError"
        cls = StudentAttributeError if getattr_error else StudentError
        raise cls(label, reply.type, reply.message, line, reply.traceback)
