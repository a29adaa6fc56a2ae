"""The wire format between the grader and a sandbox child.

A message is a JSON tree plus a list of binary buffers. Plain data travels as
data: ``None``, bools, ints, floats, strings, lists, tuples, sets, dicts (any
encodable keys), numpy arrays and scalars (``numpy.lib.format``, never with
pickles), pandas DataFrames and Series (as columns), and numpy ``Generator``s
(as their bit-generator state). Any other object is replaced by a *handle*, an
integer the sender's side keeps in a table; the receiver gets a proxy.

The decoder is the trust boundary: it accepts exactly the tags below, checks
every field, and never unpickles anything. Everything it can be made to spend is
capped (:class:`DecodeLimits`): frame and header bytes, decoded bytes (each
buffer may be used once), nodes, nesting depth, digits of an integer and
seconds. Whatever goes wrong while decoding (unhashable keys, bad numbers, a
parser's recursion limit) is a :class:`CodecError`, never another exception.

Frame on the wire::

    u64 payload length | u32 header length | header (UTF-8 JSON) | buffers...

where the header is ``{"tree": ..., "sizes": [len(buffer), ...]}``.
"""

from __future__ import annotations

import io
import json
import math
import re
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

MAX_DEPTH = 64
"""Deepest nesting of containers accepted by the decoder."""

MAX_NODES = 250_000
"""Most tree nodes (values) accepted in one message (the digits as a list of lists: 117,000)."""

JSON_PARTS_PER_NODE = 6
"""Most commas, braces and brackets one node costs in a header (a handle node: 5). A header
with more than this many per allowed node is refused before it is parsed."""

DEFAULT_MAX_FRAME = 512 * 1024 * 1024
"""Largest frame (bytes) the grader accepts from a child unless told otherwise."""

MAX_HEADER = 64 * 1024 * 1024
"""Largest JSON header (bytes) of a frame: parsing it cannot be interrupted."""

MAX_INT_DIGITS = 4_000
"""Most decimal digits of an integer (Python refuses to parse more than 4,300)."""

DECODE_SECONDS = 10.0
"""Longest a decoder works on one message before it gives up."""


@dataclass(frozen=True)
class DecodeLimits:
    """What decoding one message may cost the receiver.

    Parameters
    ----------
    max_bytes : int
        Bytes of the frame, and of everything decoded from it (arrays, text).
    max_nodes : int
        Values in the tree (each list item, dict key and value counts one).
    max_depth : int
        Deepest nesting of containers.
    seconds : float
        Time the decoder may spend, counted from the start of decoding.
    """

    max_bytes: int = DEFAULT_MAX_FRAME
    max_nodes: int = MAX_NODES
    max_depth: int = MAX_DEPTH
    seconds: float = DECODE_SECONDS


_ARRAY_KINDS = set("biufcmMSU")  # no object (O) or void/structured (V) arrays


class CodecError(ValueError):
    """A message could not be encoded or was rejected by the decoder."""


class FrameTooLarge(CodecError):
    """A frame announced more bytes than the receiver accepts."""


def _array_parts(arr: np.ndarray) -> tuple[bytes | memoryview, ...]:
    """``arr`` in numpy's ``.npy`` layout (format 1.0), as the pieces a frame is written
    from. A C-ordered array is its header and a view of its own memory, sent as it lies:
    no copy at all (numpy's ``write_array`` grows a BytesIO, about 1 ms for the 920 kB of
    the digits; a header plus ``tobytes()`` still made two copies, each paid in page
    faults). Anything else is numpy's own bytes."""
    buf = io.BytesIO()
    if arr.flags.c_contiguous and not arr.dtype.hasobject and arr.dtype.names is None:
        header = np.lib.format.header_data_from_array_1_0(arr)
        np.lib.format.write_array_header_1_0(buf, header)
        return buf.getvalue(), memoryview(arr.reshape(-1).view(np.uint8))
    np.lib.format.write_array(buf, arr, allow_pickle=False)
    return (buf.getvalue(),)


_NPY_MAGIC = b"\x93NUMPY\x01\x00"
_NPY_HEADER = re.compile(
    rb"\{'descr': '([<>|][biufcmMSU]\d{1,3}(?:\[[a-zA-Z]{1,2}\])?)', "
    rb"'fortran_order': (False|True), 'shape': \(((?:\d{1,18}, ?)*\d{0,18})\), \} *\n"
)
"""The header numpy's ``write_array`` writes (format 1.0): parsed with this pattern
instead of ``ast.literal_eval``, a third of the cost of every array across the boundary."""


def _fast_array(data: bytes | memoryview) -> np.ndarray | None:
    """An array in exactly the layout :func:`_array_parts` writes, as a writable copy;
    None for anything else (then numpy's own reader decides, and refuses what is bad)."""
    if data[:8] != _NPY_MAGIC or len(data) < 10:
        return None
    end = 10 + int.from_bytes(data[8:10], "little")
    match = _NPY_HEADER.fullmatch(data, 10, end)
    if match is None:
        return None
    try:
        dtype = np.dtype(match[1].decode("ascii"))
    except TypeError:
        return None
    shape = tuple(int(n) for n in match[3].split(b",") if n.strip())
    count = math.prod(shape)
    if dtype.itemsize == 0 or len(data) - end != count * dtype.itemsize:
        return None
    try:  # more dimensions than numpy allows, say
        flat = np.frombuffer(data, dtype=dtype, count=count, offset=end).copy()
        return flat.reshape(shape, order="F" if match[2] == b"True" else "C")
    except (ValueError, TypeError):
        return None


def _read_array(data: bytes | memoryview) -> np.ndarray:
    fast = _fast_array(data)
    if fast is not None:
        return fast
    try:
        arr = np.lib.format.read_array(io.BytesIO(data), allow_pickle=False)
    except Exception as exc:  # malformed header, object dtype, truncated data
        raise CodecError(f"bad array buffer: {exc}") from None
    if arr.dtype.kind not in _ARRAY_KINDS:
        raise CodecError(f"array dtype {arr.dtype} is not plain data")
    return arr


class Encoder:
    """Turn a value into ``(tree, buffers)``.

    Parameters
    ----------
    to_handle : callable
        Called with an object that is not plain data; returns the JSON node for
        it (a handle reference). Raises ``CodecError`` if handles are not allowed.
    """

    def __init__(self, to_handle: Callable[[Any], dict]):
        self.to_handle = to_handle
        self.buffers: list[tuple[bytes | memoryview, ...]] = []
        """Each buffer as the pieces it is written from (:func:`_array_parts`)."""
        self.notes: list[str] = []
        """Conversions worth telling the teacher about (subclasses, object arrays)."""

    def _note(self, text: str) -> None:
        if text not in self.notes and len(self.notes) < 20:
            self.notes.append(text)

    def _buffer(self, parts: tuple[bytes | memoryview, ...]) -> int:
        self.buffers.append(parts)
        return len(self.buffers) - 1

    def encode(self, value: Any, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            raise CodecError(f"value is nested more than {MAX_DEPTH} levels deep")
        t = type(value)
        if t not in _EXACT and isinstance(value, (str, int, float, list, tuple)):
            self._note(f"a {t.__name__[:40]} (subclass of {t.__mro__[1].__name__}) sent as plain")
            value, t = _exact(value)  # a subclass (rigged __eq__, ...) becomes plain data
        if value is None or t is bool or t is str:
            return value
        if t is int:
            return value if abs(value) < 2**63 else {"t": "bigint", "v": str(value)}
        if t is float:
            return value if math.isfinite(value) else {"t": "float", "v": repr(value)}
        d = depth + 1
        if t is list or t is tuple or t is set or t is frozenset:
            items = list.__iter__(value) if t is list else iter(value)
            return {"t": t.__name__, "v": [self.encode(x, d) for x in items]}
        if isinstance(value, dict):  # dict subclasses (defaultdict, Counter) become dicts
            return {
                "t": "dict",
                "v": [[self.encode(k, d), self.encode(v, d)] for k, v in dict.items(value)],
            }
        if isinstance(value, np.ndarray) and value.dtype.kind in _ARRAY_KINDS:
            if t is not np.ndarray:
                self._note(f"an ndarray subclass {t.__name__[:40]} sent as a plain array")
            return {"t": "nd", "b": self._buffer(_array_parts(np.asarray(value).view(np.ndarray)))}
        if isinstance(value, np.generic) and value.dtype.kind in _ARRAY_KINDS:
            return {"t": "npscalar", "b": self._buffer(_array_parts(np.asarray(value)))}
        if isinstance(value, np.random.Generator):
            return {"t": "generator", "state": self.encode(value.bit_generator.state, d)}
        frame = self._encode_pandas(value, d)
        if frame is not None:
            return frame
        if isinstance(value, np.ndarray):
            self._note(f"an array of {value.dtype} kept in the sandbox (not plain data)")
        return self.to_handle(value)

    def _encode_pandas(self, value: Any, d: int) -> dict | None:
        pd = _pandas()
        if pd is None:
            return None
        if type(value) is pd.DataFrame and value.columns.nlevels == 1:
            return {
                "t": "df",
                "columns": self.encode(list(value.columns), d),
                "data": [self._column(value.iloc[:, i], d) for i in range(value.shape[1])],
                "index": self._index(value.index, d),
            }
        if type(value) is pd.Series:
            return {
                "t": "series",
                "name": self.encode(value.name, d),
                "data": self._column(value, d),
                "index": self._index(value.index, d),
            }
        return None

    def _column(self, col: Any, d: int) -> Any:
        arr = col.to_numpy()
        if arr.dtype.kind in _ARRAY_KINDS:
            return self.encode(arr, d)
        values = [_plain_scalar(x) for x in arr.tolist()]
        if all(v is None or type(v) is str for v in values):  # text: one JSON list, fast
            return {"t": "strcol", "v": values}
        # other object / extension columns (mixed, nullable): element-wise as plain values
        return {"t": "objcol", "v": [self.encode(v, d) for v in values]}

    def _index(self, index: Any, d: int) -> Any:
        pd = _pandas()
        if type(index) is pd.RangeIndex:
            return {
                "t": "range",
                "v": [index.start, index.stop, index.step],
                "name": self.encode(index.name, d),
            }
        if index.nlevels != 1:
            raise CodecError("a MultiIndex cannot be sent")
        return {"t": "index", "data": self._column(index, d), "name": self.encode(index.name, d)}


_EXACT = {type(None), bool, int, float, str, list, tuple}


def _exact(value: Any) -> tuple[Any, type]:
    """The plain built-in value behind an instance of a subclass of a built-in type."""
    if isinstance(value, str):
        out = str.__getitem__(value, slice(None))
    elif isinstance(value, bool):
        out = bool(int.__index__(value))
    elif isinstance(value, int):
        out = int.__index__(value)
    elif isinstance(value, float):
        out = float.__float__(value)
    elif isinstance(value, list):
        out = list(list.__iter__(value))
    else:
        out = tuple(tuple.__iter__(value))
    return out, type(out)


def _plain_scalar(x: Any) -> Any:
    """Element of an object column: NaN/NA become None, timestamps their ISO text."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    pd = _pandas()
    if pd is not None and (x is pd.NA or x is pd.NaT):
        return None
    if hasattr(x, "isoformat") and not isinstance(x, (str, int, float)):
        return x.isoformat()
    return x


def _pandas():
    import sys

    return sys.modules.get("pandas")


class Decoder:
    """Rebuild a value from ``(tree, buffers)`` received from the other side.

    Parameters
    ----------
    from_handle : callable
        Called with the handle node (a dict with ``"t": "handle"``); returns the
        proxy (grader side) or the referenced object (child side).
    limits : DecodeLimits, optional
        What decoding may cost (bytes, nodes, depth, seconds).
    """

    def __init__(
        self,
        buffers: list[bytes | memoryview],
        from_handle: Callable[[dict], Any],
        limits: DecodeLimits | None = None,
    ):
        self.buffers = buffers
        self.from_handle = from_handle
        self.limits = limits or DecodeLimits()
        self.nodes = 0
        self.decoded_bytes = 0
        self.used: set[int] = set()
        self.deadline = time.monotonic() + self.limits.seconds

    def _count(self, nodes: int, nbytes: int = 0) -> None:
        before = self.nodes
        self.nodes += nodes
        if self.nodes > self.limits.max_nodes:
            raise CodecError(f"value has more than {self.limits.max_nodes:,} parts")
        self.decoded_bytes += nbytes
        if self.decoded_bytes > self.limits.max_bytes:
            raise CodecError(f"value is larger than {self.limits.max_bytes:,} bytes")
        if before >> 12 != self.nodes >> 12 and time.monotonic() > self.deadline:
            raise CodecError(f"value took more than {self.limits.seconds:g} s to decode")

    def _buf(self, node: dict) -> memoryview:
        i = node.get("b")
        if type(i) is not int or not 0 <= i < len(self.buffers):
            raise CodecError("bad buffer reference")
        if i in self.used:
            raise CodecError("a buffer is referenced twice")
        self.used.add(i)
        self._count(0, len(self.buffers[i]))
        return self.buffers[i]

    def decode(self, node: Any, depth: int = 0) -> Any:
        self._count(1)
        if depth > self.limits.max_depth:
            raise CodecError(f"value is nested more than {self.limits.max_depth} levels deep")
        if node is None or type(node) in (bool, float):
            return node
        if type(node) is int:
            if not -(2**63) <= node < 2**63:
                raise CodecError("an integer outside 64 bits must be tagged bigint")
            return node
        if type(node) is str:
            self._count(0, len(node))
            return node
        if type(node) is not dict:
            raise CodecError(f"unexpected node of type {type(node).__name__}")
        tag = node.get("t")
        d = depth + 1
        if tag in ("list", "tuple", "set", "frozenset"):
            items = [self.decode(x, d) for x in _list(node.get("v"))]
            if tag == "list":
                return items
            try:
                return {"tuple": tuple, "set": set, "frozenset": frozenset}[tag](items)
            except TypeError:
                raise CodecError(f"a {tag} holds an unhashable value") from None
        if tag == "dict":
            out = {}
            for pair in _list(node.get("v")):
                if type(pair) is not list or len(pair) != 2:
                    raise CodecError("bad dict entry")
                key = self.decode(pair[0], d)
                try:
                    out[key] = self.decode(pair[1], d)
                except TypeError:
                    raise CodecError("a dict has an unhashable key") from None
            return out
        if tag == "nd":
            return _read_array(self._buf(node))
        if tag == "npscalar":
            arr = _read_array(self._buf(node))
            if arr.shape != ():
                raise CodecError("numpy scalar with a shape")
            return arr[()]
        if tag == "bigint":
            digits = _str(node.get("v"))
            if len(digits) > MAX_INT_DIGITS + 1:
                raise CodecError(f"an integer has more than {MAX_INT_DIGITS:,} digits")
            try:
                return int(digits)
            except ValueError:
                raise CodecError("bad integer") from None
        if tag == "float":
            text = _str(node.get("v"))
            if text not in ("inf", "-inf", "nan"):
                raise CodecError("bad special float")
            return float(text)
        if tag == "generator":
            return _generator(self.decode(node.get("state"), d))
        if tag in ("df", "series"):
            return self._pandas(node, d)
        if tag == "handle":
            return self.from_handle(node)
        raise CodecError(f"unknown tag {str(tag)[:40]!r}")

    def _column(self, node: Any, d: int) -> Any:
        if type(node) is dict and node.get("t") == "strcol":
            values = _list(node.get("v"))
            self._count(len(values))
            if not all(v is None or type(v) is str for v in values):
                raise CodecError("a text column holds something other than text")
            self._count(0, sum(len(v) for v in values if v is not None))
            return np.array(values, dtype=object)
        if type(node) is dict and node.get("t") == "objcol":
            return np.array([self.decode(x, d) for x in _list(node.get("v"))], dtype=object)
        arr = self.decode(node, d)
        if not isinstance(arr, np.ndarray) or arr.ndim != 1:
            raise CodecError("a column must be a 1-d array")
        return arr

    def _index(self, node: Any, d: int) -> Any:
        import pandas as pd

        if type(node) is not dict:
            raise CodecError("bad index")
        name = self.decode(node.get("name"), d)
        if node.get("t") == "range":
            start, stop, step = (_int(x) for x in _list(node.get("v"))[:3])
            if step == 0 or len(range(start, stop, step)) > self.limits.max_bytes:
                raise CodecError("bad range index")
            return pd.RangeIndex(start, stop, step, name=name)
        if node.get("t") == "index":
            return pd.Index(self._column(node.get("data"), d), name=name)
        raise CodecError("bad index")

    def _pandas(self, node: dict, d: int) -> Any:
        import pandas as pd

        index = self._index(node.get("index"), d)
        if node["t"] == "series":
            data = self._column(node.get("data"), d)
            _check_len(len(data), len(index))
            return pd.Series(data, index=index, name=self.decode(node.get("name"), d))
        columns = self.decode(node.get("columns"), d)
        data = [self._column(c, d) for c in _list(node.get("data"))]
        if type(columns) is not list or len(columns) != len(data):
            raise CodecError("DataFrame columns do not match its data")
        for col in data:
            _check_len(len(col), len(index))
        frame = pd.DataFrame(dict(enumerate(data)), index=index)
        frame.columns = pd.Index(columns, dtype=object if columns else None)
        return frame


def _check_len(n: int, expected: int) -> None:
    if n != expected:
        raise CodecError("column length does not match the index")


def _list(v: Any) -> list:
    if type(v) is not list:
        raise CodecError("expected a list")
    return v


def _str(v: Any) -> str:
    if type(v) is not str:
        raise CodecError("expected a string")
    return v


def _int(v: Any) -> int:
    if type(v) is not int:
        raise CodecError("expected an integer")
    return v


_BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")


def _generator(state: Any) -> np.random.Generator:
    if type(state) is not dict or state.get("bit_generator") not in _BIT_GENERATORS:
        raise CodecError("bad random generator state")
    bitgen = getattr(np.random, state["bit_generator"])()
    try:
        bitgen.state = state
    except Exception as exc:
        raise CodecError(f"bad random generator state: {exc}") from None
    return np.random.Generator(bitgen)


def frame_parts(tree: Any, buffers: list) -> list[bytes | memoryview]:
    """A header tree and its buffers as the pieces of one frame, in order (length prefix,
    header, each buffer's pieces). A buffer is bytes or a tuple of pieces
    (:attr:`Encoder.buffers`); nothing is joined or copied here."""
    pieces = [b if isinstance(b, tuple) else (b,) for b in buffers]
    sizes = [sum(len(p) for p in parts) for parts in pieces]
    header = json.dumps({"tree": tree, "sizes": sizes}, separators=(",", ":")).encode()
    payload_len = 4 + len(header) + sum(sizes)
    out: list[bytes | memoryview] = [struct.pack("<QI", payload_len, len(header)), header]
    for parts in pieces:
        out.extend(p for p in parts if len(p))
    return out


def pack(tree: Any, buffers: list) -> bytes:
    """Serialise a header tree and its buffers into one frame (:func:`frame_parts`,
    joined)."""
    return b"".join(frame_parts(tree, buffers))


def unpack(
    payload: bytes | bytearray, max_header: int = MAX_HEADER, max_nodes: int = MAX_NODES
) -> tuple[Any, list[memoryview]]:
    """Split a frame payload (without its length prefix) into tree and buffers (views of
    the payload, not copies).

    The header is parsed only if it is small enough and has few enough parts: the JSON
    parser cannot be interrupted, and builds every object before the decoder counts it.
    """
    if len(payload) < 4:
        raise CodecError("truncated frame")
    (hlen,) = struct.unpack_from("<I", payload)
    if hlen > len(payload) - 4:
        raise CodecError("truncated frame header")
    if hlen > max_header:
        raise CodecError(f"frame header is larger than {max_header:,} bytes")
    raw = payload[4 : 4 + hlen]
    if raw.count(b",") + raw.count(b"{") + raw.count(b"[") > JSON_PARTS_PER_NODE * max_nodes:
        raise CodecError(f"value has more than {max_nodes:,} parts")
    try:
        header = json.loads(raw)
    except (ValueError, RecursionError):  # not JSON, too deep, an integer of 5,000 digits
        raise CodecError("frame header is not JSON the decoder accepts") from None
    if type(header) is not dict or type(header.get("sizes")) is not list:
        raise CodecError("bad frame header")
    buffers, pos, view = [], 4 + hlen, memoryview(payload)
    for size in header["sizes"]:
        if type(size) is not int or size < 0 or pos + size > len(payload):
            raise CodecError("bad buffer size")
        buffers.append(view[pos : pos + size])  # no copy: the decoder copies each array once
        pos += size
    if pos != len(payload):
        raise CodecError("bytes after the last buffer")
    return header.get("tree"), buffers


def encode_message(value: Any, to_handle: Callable[[Any], dict]) -> bytes:
    """Encode ``value`` into a frame (handles via ``to_handle``)."""
    return b"".join(encode_parts(value, to_handle))


def encode_parts(value: Any, to_handle: Callable[[Any], dict]) -> list[bytes | memoryview]:
    """Encode ``value`` into the pieces of a frame (:func:`frame_parts`): arrays are
    views of their own memory, so write them before the arrays can change."""
    enc = Encoder(to_handle)
    tree = enc.encode(value)
    return frame_parts(tree, enc.buffers)


def decode_message(
    payload: bytes | bytearray,
    from_handle: Callable[[dict], Any],
    limits: DecodeLimits | None = None,
) -> Any:
    """Decode a frame payload back into a value (handles via ``from_handle``).

    Raises
    ------
    CodecError
        For every way the payload can be wrong or too costly, whatever the cause.
    """
    limits = limits or DecodeLimits()
    if len(payload) > limits.max_bytes:
        raise FrameTooLarge(f"{len(payload):,} bytes")
    tree, buffers = unpack(payload, max_nodes=limits.max_nodes)
    try:
        return Decoder(buffers, from_handle, limits).decode(tree)
    except CodecError:
        raise
    except RecursionError:
        raise CodecError("value is nested too deeply") from None
    except Exception as exc:  # pandas/numpy refusing a forged part: still only bad data
        raise CodecError(f"malformed value ({type(exc).__name__})") from None
