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
import struct
import threading
import time
from typing import Any

from autograder import codec
from autograder.sandbox.errors import CallTimeout, ChildDied, describe_status
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
        self.audit_closed_early = False
        """The audit pipe reached end-of-file while the child still answered."""
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
            if not self.audit.is_alive():  # only the child holds the write end
                self.audit_closed_early = True
            return codec.decode_message(payload, from_handle or no_handles)
        except TimeoutError:
            self.kill()
            raise CallTimeout(label, f"{label} was stopped after {timeout:g} s") from None
        except (EOFError, ConnectionError, OSError):
            self.kill()
            status = self.zygote.status(self.pid)
            raise ChildDied(
                label, f"{label} ended the sandbox process ({describe_status(status)})", status
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
        frame = codec.encode_message(message, handle_ref)
        try:
            self.sock.settimeout(30)
            self.sock.sendall(frame)
        except OSError:
            self.kill()
            status = self.zygote.status(self.pid)
            raise ChildDied(
                label, f"{label} ended the sandbox process ({describe_status(status)})", status
            ) from None


def no_handles(node: dict) -> Any:
    raise codec.CodecError("unexpected handle")
