"""The sandbox protocol: every message between the grader and a child, and its framing.

Both sides use this module: one frame writer (:func:`send`), one frame reader
(:func:`receive`), and one declared type per message. Values inside messages
travel as :mod:`autograder.codec` data.

Grader to child (requests): :class:`Get`, :class:`Call`, :class:`GetAttr`,
:class:`GetItem`, :class:`Len`.

Child to grader (replies): :class:`Confined` (first: the protections in place),
:class:`Ready` (second: the module imported, its global names), then one
:class:`Ok` or :class:`Failed` per request. :func:`parse_reply` checks every
field of a reply against the type the grader expects at that point; anything
else is a :class:`ProtocolError`, which the grader treats like a codec error:
the child is killed and only that call fails.
"""

from __future__ import annotations

import socket
import struct
import time
from dataclasses import dataclass, field
from typing import Any

from autograder import codec
from autograder.sandbox.probes import _PROBE_KEYS as PROBES
from autograder.sandbox.probes import probe_stats

MAX_TEXT = 2000
"""Most characters of an exception's text kept from a child."""
MAX_TRACEBACK = 8000
"""Most characters of a child's traceback kept (for the teacher)."""
MAX_NAMES = 10_000
"""Most global names a module may report."""
MAX_NOTES = 20
"""Most conversion notes per reply."""
FAILURE_KINDS = ("raised", "exit", "unsendable", "import", "protocol")
"""What a :class:`Failed` reply may report."""


class ProtocolError(codec.CodecError):
    """A message decoded to data, but not to the message the receiver expects."""


# --- requests (grader -> child) ----------------------------------------------
@dataclass(frozen=True)
class Get:
    """Read the module global ``name``."""

    name: str


@dataclass(frozen=True)
class Call:
    """Call ``target`` (a global's name, or a handle) with ``args`` and ``kwargs``."""

    target: Any
    args: list = field(default_factory=list)
    kwargs: dict = field(default_factory=dict)


@dataclass(frozen=True)
class GetAttr:
    """Read attribute ``name`` of the object behind a handle."""

    target: Any
    name: str


@dataclass(frozen=True)
class GetItem:
    """``target[key]`` for the object behind a handle."""

    target: Any
    key: Any


@dataclass(frozen=True)
class Len:
    """``len(target)`` for the object behind a handle."""

    target: Any


@dataclass(frozen=True)
class Reimport:
    """Import the module again, as a fresh module object in the same process: its
    top-level code runs again (a determinism check across imports). Later calls by name
    reach the new module; handles from before stay valid."""


Request = Get | Call | GetAttr | GetItem | Len | Reimport
_REQUESTS = {
    "get": Get,
    "call": Call,
    "getattr": GetAttr,
    "getitem": GetItem,
    "len": Len,
    "reimport": Reimport,
}
_OPS = {cls: op for op, cls in _REQUESTS.items()}


def request_to_wire(req: Request) -> dict:
    """The data form of a request."""
    return {"op": _OPS[type(req)], **{k: getattr(req, k) for k in req.__dataclass_fields__}}


def request_from_wire(data: Any) -> Request:
    """A request from its data form (the child's side; checked all the same)."""
    if type(data) is not dict or data.get("op") not in _REQUESTS:
        raise ProtocolError("not a request")
    cls = _REQUESTS[data["op"]]
    try:
        req = cls(**{k: v for k, v in data.items() if k != "op"})
    except TypeError:
        raise ProtocolError(f"bad {data['op']} request") from None
    if isinstance(req, Call) and (type(req.args) is not list or type(req.kwargs) is not dict):
        raise ProtocolError("bad call request")
    return req


# --- replies (child -> grader) -----------------------------------------------
@dataclass(frozen=True)
class Confined:
    """The child is confined; ``missing`` names each protection it could not apply."""

    missing: list[str]


@dataclass(frozen=True)
class Ready:
    """The module imported; ``names`` maps each global to "callable" or "value"."""

    names: dict[str, str]


@dataclass(frozen=True)
class Ok:
    """A request's value, with notes on conversions worth telling the teacher."""

    value: Any
    notes: list[str] = field(default_factory=list)
    stats: dict[str, dict[str, int]] = field(default_factory=dict)
    """What the call did, by probe (:mod:`autograder.sandbox.probes`): ``{"dask": {...}}``."""


@dataclass(frozen=True)
class Failed:
    """A request (or the import) failed in the child.

    ``kind`` is one of :data:`FAILURE_KINDS`; ``type`` the exception's class name;
    ``line`` a line of the student's file, if the child says so (checked by the grader).
    """

    kind: str
    type: str
    message: str = ""
    line: int | None = None
    traceback: str = ""


Reply = Confined | Ready | Ok | Failed


def reply_to_wire(reply: Reply) -> dict:
    """The data form of a reply (the child's side)."""
    if isinstance(reply, Confined):
        return {"confined": list(reply.missing)}
    if isinstance(reply, Ready):
        return {"ready": dict(reply.names)}
    if isinstance(reply, Ok):
        return {"ok": reply.value, "notes": list(reply.notes), **reply.stats}
    return {
        "error": {
            "kind": reply.kind,
            "type": reply.type,
            "message": reply.message,
            "line": reply.line,
            "traceback": reply.traceback,
        }
    }


def parse_reply(data: Any, expected: tuple[type, ...]) -> Reply:
    """Check a decoded reply field by field; it must be one of the ``expected`` types.

    Raises
    ------
    ProtocolError
        For anything but exactly a reply of an expected type with well-typed fields.
    """
    if type(data) is not dict or not 1 <= len(data) <= 2 + len(PROBES):
        raise ProtocolError("a reply is not a message")
    if Confined in expected and set(data) == {"confined"}:
        missing = data["confined"]
        if type(missing) is not list or not all(type(m) is str for m in missing):
            raise ProtocolError("bad confined reply")
        return Confined([m[:200] for m in missing[:50]])
    if Ready in expected and set(data) == {"ready"}:
        names = data["ready"]
        if (
            type(names) is not dict
            or len(names) > MAX_NAMES
            or not all(type(k) is str and len(k) <= 200 for k in names)
            or not all(v in ("callable", "value") for v in names.values())
        ):
            raise ProtocolError("bad ready reply")
        return Ready(names)
    if Ok in expected and set(data) <= {"ok", "notes", *PROBES} and "ok" in data:
        notes = data.get("notes", [])
        if type(notes) is not list or not all(type(n) is str for n in notes):
            raise ProtocolError("bad notes in a reply")
        return Ok(data["ok"], [n[:200] for n in notes[:MAX_NOTES]], probe_stats(data))
    if Failed in expected and set(data) == {"error"}:
        return _failed(data["error"])
    raise ProtocolError("a reply of the wrong kind")


def _failed(err: Any) -> Failed:
    if type(err) is not dict or set(err) - {"kind", "type", "message", "line", "traceback"}:
        raise ProtocolError("bad error reply")
    kind, exc_type = err.get("kind"), err.get("type")
    message, line, tb = err.get("message", ""), err.get("line"), err.get("traceback", "")
    if kind not in FAILURE_KINDS or type(exc_type) is not str or not exc_type.isidentifier():
        raise ProtocolError("bad error reply")
    if type(message) is not str or type(tb) is not str:
        raise ProtocolError("bad error reply")
    if line is not None and (type(line) is not int or not 0 < line < 10**7):
        raise ProtocolError("bad line in an error reply")
    return Failed(kind, exc_type[:80], message[:MAX_TEXT], line, tb[-MAX_TRACEBACK:])


# --- framing: the one writer and the one reader --------------------------------
_LENGTH = struct.Struct("<Q")


def send(sock: socket.socket, value: Any, to_handle, *, timeout: float | None = None) -> None:
    """Encode ``value`` (a message's data form) and write it as one frame."""
    send_frame(sock, codec.encode_parts(value, to_handle), timeout=timeout)


_JOIN_BELOW = 64 << 10
"""A frame smaller than this is joined and written with one ``sendall``; a larger one is
written from its pieces as they lie (``sendmsg``): the arrays are not copied."""
_IOV_MAX = 1024


def send_frame(
    sock: socket.socket, frame: bytes | list[bytes | memoryview], *, timeout: float | None = None
) -> None:
    """Write one encoded frame: bytes, or its pieces (:func:`codec.frame_parts`)."""
    sock.settimeout(timeout)
    if isinstance(frame, list):
        if sum(len(p) for p in frame) >= _JOIN_BELOW and hasattr(sock, "sendmsg"):
            _send_pieces(sock, frame)
            return
        frame = b"".join(frame)
    sock.sendall(frame)


def _send_pieces(sock: socket.socket, pieces: list[bytes | memoryview]) -> None:
    """``sendall`` for a list of buffers: ``sendmsg`` until every byte is written."""
    views = [memoryview(p).cast("B") for p in pieces]
    first = 0
    while first < len(views):
        sent = sock.sendmsg(views[first : first + _IOV_MAX])
        while sent and first < len(views):
            size = len(views[first])
            if sent >= size:
                sent -= size
                first += 1
            else:
                views[first] = views[first][sent:]
                sent = 0


def receive(
    sock: socket.socket,
    from_handle,
    *,
    deadline: float | None = None,
    limits: codec.DecodeLimits | None = None,
) -> Any:
    """Read one frame and decode it within ``limits``.

    Raises
    ------
    TimeoutError
        The frame did not arrive by ``deadline`` (``time.monotonic()``).
    EOFError
        The other side closed the connection.
    codec.CodecError
        The frame is too large or is not data the decoder accepts.
    """
    limits = limits or codec.DecodeLimits()
    (length,) = _LENGTH.unpack(_read_exact(sock, 8, deadline))
    if length > limits.max_bytes:
        raise codec.FrameTooLarge(f"{length:,} bytes")
    payload = _read_exact(sock, length, deadline)
    return codec.decode_message(payload, from_handle, limits)


_FIRST_BUFFER = 16 << 20
"""Bytes :func:`_read_exact` allocates up front (a larger frame doubles it as it arrives:
a frame's announced length alone does not make the reader hold memory)."""


def _read_exact(sock: socket.socket, n: int, deadline: float | None) -> bytearray:
    """``n`` bytes, read in place into one buffer: reading into a new bytes object per
    piece, then joining them, cost more in page faults than the data's copy (a 1 MB
    array arrives in a few dozen pieces, and a child pays for each fault in its cgroup)."""
    buf, got = bytearray(min(n, _FIRST_BUFFER)), 0
    while got < n:
        if got == len(buf):
            bigger = bytearray(min(n, 2 * len(buf)))
            bigger[:got] = buf
            buf = bigger
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            sock.settimeout(left)
        with memoryview(buf) as view:
            size = sock.recv_into(view[got:], len(buf) - got)
        if not size:
            raise EOFError
        got += size
    return buf
