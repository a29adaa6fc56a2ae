"""The sandbox protocol: declared messages, one framing for both sides, every reply checked."""

import socket
import threading
import time

import numpy as np
import pytest

from autograder import codec
from autograder.sandbox import protocol
from autograder.sandbox.errors import (
    MESSAGE_LIMIT,
    BudgetExceeded,
    CallTimeout,
    ChildDied,
    ImportFailed,
    StudentError,
    event,
    message,
)

CALL = (protocol.Ok, protocol.Failed)
IMPORT = (protocol.Ready, protocol.Failed)


def no_handle(obj):
    raise codec.CodecError("no handles here")


@pytest.fixture
def pair():
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    yield a, b
    a.close()
    b.close()


def test_requests_and_replies_cross_the_one_framing_both_ways(pair):
    grader, child = pair
    request = protocol.Call("double", [np.arange(3.0)], {"scale": 2})
    protocol.send(grader, protocol.request_to_wire(request), no_handle)
    got = protocol.request_from_wire(protocol.receive(child, None, deadline=time.monotonic() + 5))
    assert type(got) is protocol.Call and got.target == "double" and got.kwargs == {"scale": 2}
    assert np.array_equal(got.args[0], [0.0, 1.0, 2.0])
    reply = protocol.Failed("raised", "ValueError", "bad", 3, "Traceback ...")
    protocol.send(child, protocol.reply_to_wire(reply), no_handle)
    data = protocol.receive(grader, None, deadline=time.monotonic() + 5)
    assert protocol.parse_reply(data, CALL) == reply


def test_receive_stops_at_the_deadline_and_at_eof(pair):
    grader, child = pair
    with pytest.raises(TimeoutError):
        protocol.receive(grader, None, deadline=time.monotonic() + 0.05)
    child.close()
    with pytest.raises(EOFError):
        protocol.receive(grader, None, deadline=time.monotonic() + 5)


def test_an_announced_frame_larger_than_the_limit_is_refused_unread(pair):
    grader, child = pair
    child.sendall((10**12).to_bytes(8, "little"))
    with pytest.raises(codec.FrameTooLarge):
        protocol.receive(grader, None, deadline=time.monotonic() + 5)


def test_requests_are_checked_on_the_childs_side_too():
    with pytest.raises(protocol.ProtocolError):
        protocol.request_from_wire({"op": "exec", "code": "print(1)"})
    with pytest.raises(protocol.ProtocolError):
        protocol.request_from_wire({"op": "get", "name": "x", "extra": 1})
    with pytest.raises(protocol.ProtocolError):
        protocol.request_from_wire({"op": "call", "target": "f", "args": "x", "kwargs": {}})


def test_well_formed_replies_parse_to_their_declared_types():
    assert protocol.parse_reply({"confined": ["landlock"]}, (protocol.Confined,)) == (
        protocol.Confined(["landlock"])
    )
    ready = protocol.parse_reply({"ready": {"fit": "callable", "K": "value"}}, IMPORT)
    assert ready == protocol.Ready({"fit": "callable", "K": "value"})
    ok = protocol.parse_reply({"ok": [1, 2], "notes": ["a note"]}, CALL)
    assert ok == protocol.Ok([1, 2], ["a note"])
    long = protocol.parse_reply(
        {"error": {"kind": "raised", "type": "E", "message": "x" * 10**5, "line": None}}, CALL
    )
    assert len(long.message) == protocol.MAX_TEXT


@pytest.mark.parametrize(
    "reply, expected",
    [
        ({"error": "boom"}, CALL),
        ({"error": {"kind": "import", "message": "x"}}, IMPORT),  # the forged import reply
        ({"error": {"kind": "raised", "type": "ValueError", "line": "7"}}, CALL),
        ({"error": {"kind": "raised", "type": "ValueError", "line": 10**9}}, CALL),
        ({"error": {"kind": "raised", "type": "not a name", "message": ""}}, CALL),
        ({"error": {"kind": 5, "type": "E"}}, CALL),
        ({"error": {"kind": "raised", "type": "E", "message": ["x"]}}, CALL),
        ({"error": {"kind": "raised", "type": "E", "sneaky": 1}}, CALL),
        ({"ready": {"fit": 5}}, IMPORT),
        ({"ready": ["fit"]}, IMPORT),
        ({"ready": {"fit": "callable"}}, CALL),  # a reply of the wrong kind here
        ({"ok": 1, "notes": "x"}, CALL),
        ({"ok": 1, "notes": [1]}, CALL),
        ({"ok": 1, "also": 2}, CALL),
        ({"confined": "all"}, (protocol.Confined,)),
        ([1, 2], CALL),
        ("ok", CALL),
    ],
)
def test_every_malformed_or_unexpected_reply_is_a_protocol_error(reply, expected):
    with pytest.raises(protocol.ProtocolError):
        protocol.parse_reply(reply, expected)


def test_errors_carry_typed_fields_and_one_function_words_them():
    err = StudentError("fit", "ValueError", "I saw [0.27, 0.31]\nmore", 12, "tb")
    assert (err.exc_type, err.line, err.function) == ("ValueError", 12, "fit")
    assert message(err) == "fit raised ValueError: I saw [0.27, 0.31] (line 12 of your file)"
    assert message(err, hidden=True) == "fit raised ValueError"
    own = StudentError("fit", "LeakyError_0_27", "x", 3)
    assert message(own, hidden=True) == "fit raised an exception"
    timeout = CallTimeout("fit.predict", 20)
    assert (timeout.seconds, timeout.function) == (20, "fit")
    assert message(timeout) == "fit.predict was stopped after 20 s"
    died = ChildDied("double", status="signal 9")
    assert message(died) == "double ended the sandbox process (killed by SIGKILL)"
    assert message(died, hidden=True) == "double ended the sandbox process"
    assert event(died) == "died: double ended the sandbox process (killed by SIGKILL)"
    assert event(err) is None, "a student's own exception is no integrity flag"
    imp = ImportFailed("toy", CallTimeout("toy.py", 6))
    assert message(imp) == "toy.py was stopped after 6 s while being imported"
    assert event(imp) == "timeout: import stopped after 6 s"
    assert "time budget of 40 s" in message(BudgetExceeded("fit", 40))
    huge = StudentError("f", "ValueError", "x" * 10**6, None)
    assert len(message(huge)) <= MESSAGE_LIMIT


def test_a_child_that_writes_half_a_frame_and_stops_times_out(pair):
    grader, child = pair
    frame = codec.encode_message([1, 2, 3], no_handle)
    writer = threading.Thread(target=child.sendall, args=(frame[:12],))
    writer.start()
    with pytest.raises(TimeoutError):
        protocol.receive(grader, None, deadline=time.monotonic() + 0.2)
    writer.join()


@pytest.mark.parametrize("arrays", [1, 1500], ids=["one large array", "1,500 pieces"])
def test_a_large_frame_is_written_from_its_pieces_whole_even_through_a_small_buffer(pair, arrays):
    """Past 64 kB a frame is written with sendmsg from its pieces: a socket that takes a
    few kB at a time gets every byte in order, also beyond the 1,024 pieces one call
    can take."""
    grader, child = pair
    grader.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    rng = np.random.default_rng(0)
    value = [rng.random((200, 64)) for _ in range(arrays)] if arrays > 1 else rng.random((900, 64))
    got = []
    reader = threading.Thread(
        target=lambda: got.append(protocol.receive(child, None, deadline=time.monotonic() + 20))
    )
    reader.start()
    protocol.send(grader, value, no_handle, timeout=20)
    reader.join()
    if arrays > 1:
        assert len(got[0]) == arrays and all(
            np.array_equal(a, b) for a, b in zip(got[0], value, strict=True)
        )
    else:
        assert np.array_equal(got[0], value)
