"""The sandbox child: confine this process, import the student module, serve calls.

Runs in a process forked from the zygote. Everything it sends is a frame of
:mod:`autograder.codec`; objects that are not plain data stay here in a handle
table and are referred to by number. Nothing here is trusted by the grader: the
student's module can monkeypatch all of it, and can only ever send data.
"""

from __future__ import annotations

import importlib
import os
import signal
import socket
import sys
import traceback
from typing import Any

from autograder import codec
from autograder.sandbox import audit, jail, probes, protocol
from autograder.sandbox import limits as limits_mod

MAX_MESSAGE_CHARS = 2000
_SAFE_ENV = {
    "PATH": "/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "MPLBACKEND": "Agg",
    "PYTHONDONTWRITEBYTECODE": "1",
}


class Server:
    """Serve grader requests on a connected socket (messages of :mod:`..protocol`)."""

    def __init__(self, sock: socket.socket, module_name: str, module_file: str):
        self.sock = sock
        self.module_name = module_name
        self.module_file = module_file
        self.module: Any = None
        self.handles: dict[int, Any] = {}

    # --- framing -------------------------------------------------------------
    def send(self, reply: protocol.Reply) -> None:
        enc = codec.Encoder(self._to_handle)
        try:
            tree = enc.encode(protocol.reply_to_wire(reply))
            if enc.notes and isinstance(reply, protocol.Ok):
                tree["v"][1][1]["v"] = list(enc.notes)  # ["notes", {"t": "list", "v": []}]
            frame = codec.frame_parts(tree, enc.buffers)
        except (Exception, RecursionError) as exc:  # unencodable: report instead of dying
            try:
                text = str(exc)[:300] or type(exc).__name__
            except Exception:
                text = type(exc).__name__
            failed = protocol.Failed("unsendable", "CodecError", text)
            frame = codec.encode_parts(protocol.reply_to_wire(failed), self._no_handle)
        protocol.send_frame(self.sock, frame)

    def recv(self) -> protocol.Request:
        try:
            data = protocol.receive(self.sock, self._from_handle)
        except EOFError:
            os._exit(0)  # the grader went away
        return protocol.request_from_wire(data)

    def _to_handle(self, obj: Any) -> dict:
        hid = len(self.handles) + 1
        self.handles[hid] = obj
        kind = "callable" if callable(obj) else "object"
        return {"t": "handle", "id": hid, "type": type(obj).__name__[:80], "kind": kind}

    @staticmethod
    def _no_handle(obj: Any) -> dict:
        raise codec.CodecError(f"{type(obj).__name__} is not data")

    def _from_handle(self, node: dict) -> Any:
        return self.handles[node["id"]]

    # --- requests ------------------------------------------------------------
    def error(self, exc: BaseException, kind: str = "raised") -> protocol.Failed:
        line = None
        for frame in traceback.extract_tb(exc.__traceback__):
            if os.path.basename(frame.filename) == os.path.basename(self.module_file):
                line = frame.lineno
        try:
            text = str(exc)[:MAX_MESSAGE_CHARS]
        except Exception:
            text = "<the exception could not be shown>"
        name = type(exc).__name__[:80]
        tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__, limit=-8))
        return protocol.Failed(
            kind, name if name.isidentifier() else "Exception", text, line, tb[-8000:]
        )

    def import_module(self) -> protocol.Ready | protocol.Failed:
        try:
            self.module = importlib.import_module(self.module_name)
        except SystemExit as exc:
            return self.error(exc, kind="exit")
        except BaseException as exc:
            return self.error(exc, kind="import")
        names = {}
        for name, value in list(vars(self.module).items()):
            if not name.startswith("__"):
                names[name] = "callable" if callable(value) else "value"
        return protocol.Ready(names)

    def handle(self, req: protocol.Request) -> protocol.Ok | protocol.Failed:
        if isinstance(req, protocol.Reimport):
            sys.modules.pop(self.module_name, None)
            reply = self.import_module()
            return protocol.Ok(None) if isinstance(reply, protocol.Ready) else reply
        if isinstance(req, protocol.Get):
            return protocol.Ok(vars(self.module).get(req.name))
        if isinstance(req, protocol.Call):
            target = req.target
            fn = vars(self.module)[target] if isinstance(target, str) else target
            with probes.Measure() as measure:
                value = fn(*req.args, **req.kwargs)
            return protocol.Ok(value, stats=measure.stats)
        if isinstance(req, protocol.GetAttr):
            return protocol.Ok(getattr(req.target, req.name))
        if isinstance(req, protocol.GetItem):
            return protocol.Ok(req.target[req.key])
        return protocol.Ok(len(req.target))

    def serve(self) -> None:
        reply = self.import_module()
        self.send(reply)
        if isinstance(reply, protocol.Failed):
            os._exit(1)
        while True:
            try:
                req = self.recv()
                reply = self.handle(req)
            except SystemExit as exc:
                reply = self.error(exc, kind="exit")
            except protocol.ProtocolError as exc:
                reply = self.error(exc, kind="protocol")
            except BaseException as exc:
                reply = self.error(exc)
            self.send(reply)


def main(request: dict, fds: list[int], own: frozenset[str] | None = None) -> None:
    """Entry point in the forked child (never returns).

    ``fds``: the connection to the grader, the write end of the output pipe, and
    the write end of the audit pipe. ``own``: :func:`audit.own_sources`, made once by
    the zygote (about 4 ms per child otherwise).
    """
    conn_fd, out_fd, audit_fd = fds
    try:
        jail.parent_death_signal()  # dies with the zygote
        jail.close_other_fds(set(fds))
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.setsid()
        os.dup2(out_fd, 1)
        os.dup2(out_fd, 2)
        os.close(out_fd)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        scratch = request["scratch"]
        os.environ.clear()
        os.environ.update(_SAFE_ENV, HOME=scratch, TMPDIR=scratch, MPLCONFIGDIR=scratch)
        sys.path[:] = [scratch] + [p for p in request["sys_path"] if p != scratch]
        sys.argv = [request["module_file"]]
        lim = limits_mod.Limits(**request["limits"])
        if own is None:  # before the jail, where resolving paths is cheap
            own = audit.own_sources()
        missing = limits_mod.confine(
            lim,
            disabled=frozenset(request.get("disabled", ())),
            cgroup_procs=request.get("cgroup_procs", ()),
            cgroup_problem=request.get("cgroup_problem"),
            pid_namespace=request.get("pid_namespace", "not requested"),
        )
        audit.install(audit_fd, scratch, lim.read_paths, own)
        sock = socket.socket(fileno=conn_fd)
        server = Server(sock, request["module_name"], request["module_file"])
        server.send(protocol.Confined(missing))
        sys.stdout = open(1, "w", buffering=1, closefd=False)
        sys.stderr = open(2, "w", buffering=1, closefd=False)
        server.serve()
    except BaseException:
        traceback.print_exc()
    finally:
        os._exit(3)
