"""The grader's connection to one sandbox child: framing, replies, captured output.

The grader holds only objects it built itself: every reply from a child is
decoded by :mod:`autograder.codec` into plain data, or into a
:class:`~autograder.sandbox.proxies.Handle` that forwards attribute reads and
calls back to the child.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from typing import Any

from autograder import codec
from autograder.sandbox import protocol
from autograder.sandbox.errors import CallTimeout, ChildDied
from autograder.sandbox.proxies import handle_ref
from autograder.sandbox.zygote_client import Zygote

OUTPUT_LIMIT = 64 * 1024
"""Bytes of a child's stdout/stderr kept for the teacher."""


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
    """One sandbox child: the student module, imported once, serving calls.

    Every reply is read by :func:`protocol.receive` within the decoder's limits and
    checked by :func:`protocol.parse_reply`; a reply that is late, too large, not
    data or not the expected message kills the child and raises a
    :class:`~autograder.sandbox.errors.SandboxError` for that call only.
    """

    def __init__(
        self,
        zygote: Zygote,
        request: dict,
        *,
        import_timeout: float,
        max_frame: int,
        label: str = "importing your module",
    ):
        self.zygote = zygote
        self.limits = codec.DecodeLimits(max_bytes=max_frame)
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
        self.audit_closed_early = False
        """The audit pipe reached end-of-file while the child still answered."""
        deadline = time.monotonic() + import_timeout
        confined = self.receive(deadline, import_timeout, label, (protocol.Confined,))
        self.missing = confined.missing
        self.ready = self.receive(
            deadline, import_timeout, label, (protocol.Ready, protocol.Failed)
        )

    def kill(self) -> None:
        if self.alive:
            self.alive = False
            for kill in (os.killpg, os.kill):
                try:
                    kill(self.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            self.sock.close()

    def receive(
        self,
        deadline: float,
        timeout: float,
        label: str,
        expected: tuple[type, ...],
        from_handle=None,
    ) -> protocol.Reply:
        """Read one reply of an ``expected`` type; on any failure the child is killed.

        ``timeout`` is what ``deadline`` allowed (for the message); decoding has its
        own limits and does not count against it.
        """
        try:
            data = protocol.receive(
                self.sock, from_handle or no_handles, deadline=deadline, limits=self.limits
            )
            if not self.audit.is_alive():  # only the child holds the write end
                self.audit_closed_early = True
            return protocol.parse_reply(data, expected)
        except TimeoutError:
            self.kill()
            raise CallTimeout(label, timeout) from None
        except (EOFError, ConnectionError, OSError):
            self.kill()
            raise ChildDied(label, status=self.zygote.status(self.pid)) from None
        except codec.FrameTooLarge as exc:
            self.kill()
            reason = (
                f"returned more data than the grader accepts (limit {self.limits.max_bytes:,} "
                "bytes)"
            )
            raise ChildDied(label, reason=reason, detail=f"frame: {exc}") from None
        except codec.CodecError as exc:
            self.kill()
            raise ChildDied(
                label, reason="sent something that is not data", detail=f"codec: {exc}"
            ) from None

    def send(self, request: protocol.Request, label: str) -> None:
        try:
            protocol.send(self.sock, protocol.request_to_wire(request), handle_ref, timeout=30)
        except OSError:
            self.kill()
            raise ChildDied(label, status=self.zygote.status(self.pid)) from None


def no_handles(node: dict) -> Any:
    raise protocol.ProtocolError("unexpected handle")
