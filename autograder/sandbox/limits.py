"""Operating-system restrictions applied inside a sandbox child, before student code runs.

:func:`confine` applies these layers, in this order (each optional one can be
switched off with CLUSTERLAB_SANDBOX_DISABLE, and each reports what it could not
apply; the grader turns that into a warning that travels with every result):

1. ``cgroup``: join the memory and process cgroup the zygote made for this child
   (memory counts memfd and tmpfs pages too), see :mod:`.cgroup`;
2. ``netns``, ``mountns`` (+ IPC and UTS): new namespaces; with ``mountns``, a
   filesystem view with only the read paths (read-only), the scratch (a tmpfs) and
   /proc, and ``pivot_root`` into it, see :mod:`.jail`; ``pidns`` is made by the
   zygote, which forks the child as PID 1 of a namespace of its own;
3. rlimits (always, everywhere): CPU seconds, address space, file size, open
   files, core dumps, processes;
4. ``uid``: an unprivileged user id of its own, no groups, no capabilities;
5. no_new_privs, then ``seccomp`` (:mod:`.seccomp`) and ``landlock``: the
   filesystem is read-only below the read paths (minus the masked folders),
   read-write below the scratch and invisible elsewhere; TCP bind/connect refused
   (ABI >= 4); signals and abstract unix sockets outside refused (ABI >= 6).
"""

from __future__ import annotations

import ctypes
import os
import platform
import resource
import struct
from dataclasses import dataclass, field

# imported with this module, so by the zygote: a child that imported them in confine()
# paid 3 ms and 430 page faults for seccomp alone
from autograder.sandbox import cgroup, jail, seccomp

# --- Landlock ---------------------------------------------------------------
_SYS = {"x86_64": (444, 445, 446), "aarch64": (444, 445, 446)}
_FS_EXECUTE, _FS_WRITE_FILE, _FS_READ_FILE, _FS_READ_DIR = 1, 2, 4, 8
_FS_ALL_V1 = (1 << 13) - 1
_FS_REFER, _FS_TRUNCATE, _FS_IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
_NET_BIND_TCP, _NET_CONNECT_TCP = 1, 2
_SCOPE_ABSTRACT_UNIX, _SCOPE_SIGNAL = 1, 2
_FILE_ONLY = _FS_EXECUTE | _FS_WRITE_FILE | _FS_READ_FILE | _FS_TRUNCATE | _FS_IOCTL_DEV
_READ = _FS_EXECUTE | _FS_READ_FILE | _FS_READ_DIR

_PR_SET_NO_NEW_PRIVS = 38


@dataclass
class Limits:
    """What a sandbox child may use."""

    cpu_seconds: int = 120
    """CPU time of the whole child (all calls of one submission)."""
    memory_mb: int = 2048
    """Address-space limit (RLIMIT_AS)."""
    file_size_mb: int = 64
    """Largest file the child may write."""
    open_files: int = 256
    """Most open file descriptors."""
    processes: bool = False
    """Whether the child may start processes (threads are always allowed)."""
    read_paths: list[str] = field(default_factory=list)
    """Folders and files the child may read (the Python installation, data)."""
    write_paths: list[str] = field(default_factory=list)
    """Folders the child may read and write (its scratch folder first)."""
    scratch_mb: int = 256
    """Size of the scratch tmpfs (all files the child writes, together)."""
    masked: list[str] = field(default_factory=list)
    """Folders and files inside a read path the child must not see (graders, solutions)."""


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def apply_rlimits(limits: Limits) -> list[str]:
    """Set the resource limits (soft = hard, so they cannot be raised); return those refused."""
    mb = 1024 * 1024
    settings = [
        ("RLIMIT_CPU", (limits.cpu_seconds, limits.cpu_seconds + 1)),
        ("RLIMIT_AS", (limits.memory_mb * mb, limits.memory_mb * mb)),
        ("RLIMIT_FSIZE", (limits.file_size_mb * mb, limits.file_size_mb * mb)),
        ("RLIMIT_NOFILE", (limits.open_files, limits.open_files)),
        ("RLIMIT_CORE", (0, 0)),
    ]
    if not limits.processes:
        settings.append(("RLIMIT_NPROC", (64, 64)))
    refused = []
    for name, value in settings:
        try:
            resource.setrlimit(getattr(resource, name), value)
        except (AttributeError, ValueError, OSError) as exc:  # e.g. RLIMIT_AS on macOS
            refused.append(f"{name} could not be set ({exc})")
    return refused


def no_new_privs() -> bool:
    """Set PR_SET_NO_NEW_PRIVS (needed by seccomp and Landlock); True on success."""
    if platform.system() != "Linux":
        return False
    return _libc().prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0


def landlock_abi() -> int:
    """The Landlock ABI version of this kernel, or 0 when Landlock is unavailable."""
    nrs = _SYS.get(platform.machine())
    if platform.system() != "Linux" or nrs is None:
        return 0
    abi = _libc().syscall(nrs[0], None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    return max(abi, 0)


def carve(paths: list[str], masked: list[str]) -> list[str]:
    """The read paths with the masked ones cut out (Landlock only adds, never removes).

    A read path that contains a masked folder is replaced by its entries, recursively,
    leaving the masked ones out: site-packages minus ``autograder/graders``.
    """
    out: list[str] = []
    masked = [m.rstrip("/") for m in masked]
    for path in paths:
        path = path.rstrip("/") or "/"
        if any(m == path for m in masked):
            continue
        inside = [m for m in masked if m.startswith(path.rstrip("/") + "/")]
        if not inside or not os.path.isdir(path):
            out.append(path)
            continue
        try:
            entries = sorted(os.listdir(path))
        except OSError:
            continue
        out += carve([os.path.join(path, e) for e in entries], inside)
    return out


def landlock(limits: Limits) -> str | None:
    """Restrict this process with Landlock. None on success, else the reason it could not."""
    abi = landlock_abi()
    if abi < 1:
        return "Landlock is not available on this kernel"
    create, add_rule, restrict = _SYS[platform.machine()]
    fs = _FS_ALL_V1
    if abi >= 2:
        fs |= _FS_REFER
    if abi >= 3:
        fs |= _FS_TRUNCATE
    if abi >= 5:
        fs |= _FS_IOCTL_DEV
    net = (_NET_BIND_TCP | _NET_CONNECT_TCP) if abi >= 4 else 0
    scoped = (_SCOPE_ABSTRACT_UNIX | _SCOPE_SIGNAL) if abi >= 6 else 0
    attr = struct.pack("QQQ", fs, net, scoped)
    size = 8 if abi < 4 else 16 if abi < 6 else 24
    libc = _libc()
    ruleset = libc.syscall(create, attr[:size], ctypes.c_size_t(size), ctypes.c_uint32(0))
    if ruleset < 0:
        return f"Landlock ruleset refused: {os.strerror(ctypes.get_errno())}"
    try:
        rules = [(p, _READ) for p in carve(limits.read_paths, limits.masked)]
        rules += [(p, fs) for p in limits.write_paths]
        for path, access in rules:
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue  # a missing optional path is simply not allowed
            try:
                if not os.path.isdir(path):
                    access &= _FILE_ONLY
                rule = struct.pack("=Qi", access & fs, fd)
                if libc.syscall(add_rule, ruleset, 1, rule, ctypes.c_uint32(0)) != 0:
                    return f"Landlock rule for {path} refused: {os.strerror(ctypes.get_errno())}"
            finally:
                os.close(fd)
        if libc.syscall(restrict, ruleset, ctypes.c_uint32(0)) != 0:
            return f"Landlock restrict_self refused: {os.strerror(ctypes.get_errno())}"
    finally:
        os.close(ruleset)
    missing = []
    if abi < 4:
        missing.append("TCP")
    if abi < 6:
        missing.append("signals")
    return f"Landlock ABI {abi} does not cover {' and '.join(missing)}" if missing else None


CLOSED_INSTALL = (
    "no mount namespace, and {folder} is closed to other users: a module the zygote did "
    "not import cannot be imported (put Python where others can read it, e.g. /usr/local)"
)
"""Under 200 characters, the protocol's limit of one missing protection, for a 40-character
folder."""

LAYERS = ("netns", "mountns", "pidns", "uid", "cgroup", "seccomp", "landlock")
"""The optional layers; rlimits and deadlines are always on."""


def confine(
    limits: Limits,
    *,
    disabled: frozenset[str] = frozenset(),
    cgroup_procs: list[str] = (),
    cgroup_problem: str | None = None,
    pid_namespace: str | None = "not requested",
) -> list[str]:
    """Apply every layer this platform supports; return the protections that are missing.

    ``disabled`` names layers to leave off (to emulate a platform without them);
    ``cgroup_procs`` are the cgroup files to join (made by the zygote, or
    ``cgroup_problem`` says why none); ``pid_namespace`` is None when the zygote
    forked this child into a PID namespace of its own, else why it did not.
    """
    missing = [f"{layer} disabled by configuration" for layer in LAYERS if layer in disabled]
    linux = platform.system() == "Linux"
    if "pidns" not in disabled and pid_namespace:
        missing.append(f"no PID namespace ({pid_namespace}): other processes are visible")
    if "cgroup" not in disabled:
        err = cgroup.join(list(cgroup_procs)) if cgroup_procs else cgroup_problem
        if err:
            missing.append(err)
    uid = None
    if "uid" not in disabled:
        if linux and os.geteuid() == 0:
            uid = jail.UID_BASE + jail.host_pid()
        else:
            missing.append("not running as root: the child keeps the grader's user id")
    scratch = limits.write_paths[0] if limits.write_paths else None
    if scratch and linux:
        errs = jail.unshare_namespaces(mount="mountns" not in disabled, net="netns" not in disabled)
        missing += errs
        view = "mountns" not in disabled and not any("mount namespace" in e for e in errs)
        if view:
            err = jail.build_view(
                scratch,
                [*limits.read_paths, "/dev/null"],
                limits.masked,
                limits.scratch_mb,
                uid,
                proc=pid_namespace is None,
            )
            if err:
                missing.append(err)
                view = False
        if not view and uid is not None:
            jail.chown_scratch(scratch, uid)
            closed = jail.closed_to_others(limits.read_paths)
            if closed:  # the child's own uid is kept all the same: it is what guards the rest
                missing.append(CLOSED_INSTALL.format(folder=closed))
    if scratch:
        os.chdir(scratch)  # the tmpfs, if a view was built
    missing += apply_rlimits(limits)
    if uid is not None:
        err = jail.drop_privileges(uid)
        if err:
            missing.append(err)
    if disabled >= {"seccomp", "landlock"}:
        return missing
    if not no_new_privs():
        missing.append("no_new_privs could not be set: seccomp and Landlock are off")
        return missing
    if "seccomp" not in disabled:
        err = seccomp.install(os.getpid(), limits.processes)
        if err:
            missing.append(err)
    if "landlock" not in disabled:
        err = landlock(limits)
        if err:
            missing.append(err)
    return missing
