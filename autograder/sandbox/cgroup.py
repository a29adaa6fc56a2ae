"""A memory and process limit per child that counts everything (cgroups).

RLIMIT_AS does not count a memfd or tmpfs file that is never mapped; a cgroup's
memory limit counts every page charged to the child (anonymous memory, page cache,
tmpfs and memfd pages). The zygote creates one cgroup per child below its own
(``clusterlab-<zygote pid>/c<N>``), the child joins it before it drops root, and
the zygote removes it once the child has been reaped.

cgroup v1 (``/sys/fs/cgroup/memory`` and ``/sys/fs/cgroup/pids``) and v2 (one
unified hierarchy with the ``memory`` and ``pids`` controllers) are both handled;
where neither is writable, :meth:`Cgroups.problem` names what is missing and the
grader warns with every result.
"""

from __future__ import annotations

import os

ROOT = "/sys/fs/cgroup"


def _own(controller: str | None) -> str | None:
    """This process's cgroup path for a v1 controller, or its v2 path (controller None)."""
    try:
        with open("/proc/self/cgroup") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return None
    for line in lines:
        _, names, path = line.split(":", 2)
        if controller is None and names == "":
            return path
        if controller is not None and controller in names.split(","):
            return path
    return None


def _write(path: str, value: str) -> None:
    with open(path, "w") as fh:
        fh.write(value)


class Cgroups:
    """The zygote's cgroup folders for its children (one per controller)."""

    def __init__(self) -> None:
        self.parents: dict[str, str] = {}  # controller -> folder of this zygote's children
        self.problem: str | None = None
        tag = f"clusterlab-{os.getpid()}"
        v1 = {c: _own(c) for c in ("memory", "pids")}
        if all(v1.values()) and all(os.path.isdir(f"{ROOT}/{c}") for c in v1):
            for c, own in v1.items():
                self.parents[c] = os.path.join(f"{ROOT}/{c}{own}".rstrip("/"), tag)
        else:
            own2 = _own(None)
            base = ROOT + (own2 or "/")
            if own2 is not None and os.path.isfile(os.path.join(ROOT, "cgroup.controllers")):
                try:
                    _write(os.path.join(base, "cgroup.subtree_control"), "+memory +pids")
                except OSError:
                    pass  # perhaps enabled already; mkdir below tells
                self.parents["v2"] = os.path.join(base.rstrip("/"), tag)
        if not self.parents:
            self.problem = "no cgroup memory controller: memfd and tmpfs memory is not limited"
            return
        for folder in self.parents.values():
            _remove_stale(os.path.dirname(folder))
        try:
            for folder in self.parents.values():
                os.makedirs(folder, exist_ok=True)
            if "v2" in self.parents:
                _write(os.path.join(self.parents["v2"], "cgroup.subtree_control"), "+memory +pids")
        except OSError as exc:
            self.problem = (
                f"cgroup not writable ({exc.strerror}): memory is limited by rlimits only"
            )
            self.parents = {}

    def create(self, name: str, memory_mb: int, tasks: int) -> list[str]:
        """Make the cgroup ``name`` for a child; returns the files the child writes itself into."""
        if not self.parents:
            return []
        procs = []
        limit = str(memory_mb * 1024 * 1024)
        try:
            for controller, parent in self.parents.items():
                folder = os.path.join(parent, name)
                os.makedirs(folder, exist_ok=True)
                if controller == "memory":
                    _write(os.path.join(folder, "memory.limit_in_bytes"), limit)
                    try:
                        _write(os.path.join(folder, "memory.memsw.limit_in_bytes"), limit)
                    except OSError:
                        pass  # no swap accounting
                elif controller == "pids":
                    _write(os.path.join(folder, "pids.max"), str(tasks))
                else:
                    _write(os.path.join(folder, "memory.max"), limit)
                    _write(os.path.join(folder, "memory.swap.max"), "0")
                    _write(os.path.join(folder, "pids.max"), str(tasks))
                procs.append(os.path.join(folder, "cgroup.procs"))
        except OSError:
            self.remove(name)
            return []
        return procs

    def ran_out_of_memory(self, name: str) -> bool:
        """Whether the kernel's OOM killer acted in the cgroup ``name``."""
        for controller, parent in self.parents.items():
            if controller == "pids":
                continue
            path = os.path.join(
                parent, name, "memory.oom_control" if controller == "memory" else "memory.events"
            )
            try:
                with open(path) as fh:
                    for line in fh:
                        key, _, value = line.partition(" ")
                        if key == "oom_kill" and int(value) > 0:
                            return True
            except (OSError, ValueError):
                pass
        return False

    def remove(self, name: str) -> None:
        for parent in self.parents.values():
            try:
                os.rmdir(os.path.join(parent, name))
            except OSError:
                pass

    def close(self) -> None:
        for parent in self.parents.values():
            try:
                for name in os.listdir(parent):
                    if os.path.isdir(os.path.join(parent, name)):
                        os.rmdir(os.path.join(parent, name))
                os.rmdir(parent)
            except OSError:
                pass


def _remove_stale(base: str) -> None:
    """Remove the empty cgroups left by zygotes that were killed (parent-death signal)."""
    try:
        entries = os.listdir(base)
    except OSError:
        return
    for entry in entries:
        pid = entry.removeprefix("clusterlab-")
        if entry.startswith("clusterlab-") and pid.isdigit() and not os.path.exists(f"/proc/{pid}"):
            folder = os.path.join(base, entry)
            try:
                for name in os.listdir(folder):
                    if os.path.isdir(os.path.join(folder, name)):
                        os.rmdir(os.path.join(folder, name))
                os.rmdir(folder)
            except OSError:
                pass  # a child still in it: next time


def join(procs: list[str]) -> str | None:
    """Move this process into the cgroups (run in the child, as root); None on success."""
    try:
        for path in procs:
            _write(path, "0")
    except OSError as exc:
        return f"joining the cgroup refused ({exc.strerror}): memory is limited by rlimits only"
    return None
