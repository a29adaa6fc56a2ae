"""Operating-system restrictions applied inside a sandbox child, before student code runs.

Three layers, applied in this order by :func:`confine`:

1. rlimits (everywhere): CPU seconds, address space, file size, open files, core
   dumps, processes.
2. seccomp (Linux x86_64/aarch64): new processes are refused (threads are
   allowed), because RLIMIT_NPROC does not bind a process running as root.
3. Landlock (Linux >= 5.13): the filesystem is read-only below the allowed
   read paths, read-write below the scratch folder and invisible elsewhere; TCP
   bind/connect are refused (ABI >= 4); signals to processes outside the sandbox
   and abstract unix sockets are refused (ABI >= 6).

Each layer reports what it could not apply; the grader turns that into a warning
that travels with every result.
"""

from __future__ import annotations

import ctypes
import os
import platform
import resource
import struct
from dataclasses import dataclass, field

# --- Landlock ---------------------------------------------------------------
_SYS = {"x86_64": (444, 445, 446), "aarch64": (444, 445, 446)}
_FS_EXECUTE, _FS_WRITE_FILE, _FS_READ_FILE, _FS_READ_DIR = 1, 2, 4, 8
_FS_ALL_V1 = (1 << 13) - 1
_FS_REFER, _FS_TRUNCATE, _FS_IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
_NET_BIND_TCP, _NET_CONNECT_TCP = 1, 2
_SCOPE_ABSTRACT_UNIX, _SCOPE_SIGNAL = 1, 2
_FILE_ONLY = _FS_EXECUTE | _FS_WRITE_FILE | _FS_READ_FILE | _FS_TRUNCATE | _FS_IOCTL_DEV
_READ = _FS_EXECUTE | _FS_READ_FILE | _FS_READ_DIR

# --- seccomp ------------------------------------------------------------------
_PR_SET_NO_NEW_PRIVS, _PR_SET_SECCOMP, _SECCOMP_MODE_FILTER = 38, 22, 2
_RET_ALLOW, _RET_ERRNO = 0x7FFF0000, 0x00050000
_EPERM, _ENOSYS = 1, 38
_CLONE_THREAD = 0x00010000
# arch: (AUDIT_ARCH, clone, clone3, fork or None, vfork or None)
_ARCH = {
    "x86_64": (0xC000003E, 56, 435, 57, 58),
    "aarch64": (0xC00000B7, 220, 435, None, None),
}


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


def deny_new_processes() -> str | None:
    """Install a seccomp filter that refuses fork/vfork/clone without CLONE_THREAD.

    Returns None on success, else the reason it could not be applied.
    """
    arch = _ARCH.get(platform.machine())
    if platform.system() != "Linux" or arch is None:
        return f"seccomp is not available on {platform.system()} {platform.machine()}"
    audit_arch, clone, clone3, fork, vfork = arch

    def stmt(code: int, k: int) -> bytes:
        return struct.pack("HBBI", code, 0, 0, k)

    def jeq(k: int, jt: int, jf: int) -> bytes:
        return struct.pack("HBBI", 0x15, jt, jf, k)

    ld, ret = 0x20, 0x06
    deny, nosys = _RET_ERRNO | _EPERM, _RET_ERRNO | _ENOSYS
    prog = [stmt(ld, 4), jeq(audit_arch, 1, 0), stmt(ret, deny), stmt(ld, 0)]
    for nr in (fork, vfork):
        if nr is not None:
            prog += [jeq(nr, 0, 1), stmt(ret, deny)]
    prog += [jeq(clone3, 0, 1), stmt(ret, nosys)]  # glibc falls back to clone()
    prog += [
        jeq(clone, 0, 3),
        stmt(ld, 16),  # low 32 bits of args[0]: the clone flags
        struct.pack("HBBI", 0x45, 1, 0, _CLONE_THREAD),  # jset CLONE_THREAD -> allow
        stmt(ret, deny),
        stmt(ret, _RET_ALLOW),
    ]
    code = b"".join(prog)
    filt = ctypes.create_string_buffer(code, len(code))

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    fprog = SockFprog(len(prog), ctypes.addressof(filt))
    libc = _libc()
    if libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        return f"seccomp filter refused: {os.strerror(ctypes.get_errno())}"
    return None


def landlock_abi() -> int:
    """The Landlock ABI version of this kernel, or 0 when Landlock is unavailable."""
    nrs = _SYS.get(platform.machine())
    if platform.system() != "Linux" or nrs is None:
        return 0
    abi = _libc().syscall(nrs[0], None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    return max(abi, 0)


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
        rules = [(p, _READ) for p in limits.read_paths]
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


def new_network_namespace() -> str | None:
    """Move this process into an empty network namespace (no interface but a down lo)."""
    if platform.system() != "Linux":
        return "network namespaces are Linux only"
    if _libc().unshare(0x40000000) != 0:  # CLONE_NEWNET
        return f"network namespace refused: {os.strerror(ctypes.get_errno())}"
    return None


def private_scratch(folder: str, size_mb: int) -> str | None:
    """Mount a size-limited tmpfs over ``folder`` in a private mount namespace.

    The files already in ``folder`` (the module, its data) are carried over. The
    mount disappears with the process, and the tmpfs bounds what the child can
    write in total (a disk bomb fills it, not the grader's disk).
    """
    if platform.system() != "Linux":
        return "mount namespaces are Linux only"
    files = {}
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        if os.path.isfile(path) and not os.path.islink(path):
            with open(path, "rb") as fh:
                files[name] = fh.read()
    libc = _libc()
    libc.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_char_p]
    ms_rec, ms_private, ms_nosuid, ms_nodev = 1 << 14, 1 << 18, 2, 4
    if libc.unshare(0x00020000) != 0:  # CLONE_NEWNS
        return f"mount namespace refused: {os.strerror(ctypes.get_errno())}"
    if libc.mount(None, b"/", None, ms_rec | ms_private, None) != 0:
        return f"making mounts private refused: {os.strerror(ctypes.get_errno())}"
    opts = f"size={size_mb}m,mode=0700".encode()
    if libc.mount(b"tmpfs", folder.encode(), b"tmpfs", ms_nosuid | ms_nodev, opts) != 0:
        return f"tmpfs scratch refused: {os.strerror(ctypes.get_errno())}"
    for name, data in files.items():
        with open(os.path.join(folder, name), "wb") as fh:
            fh.write(data)
    return None


LAYERS = ("netns", "mountns", "seccomp", "landlock")
"""The optional layers; rlimits and deadlines are always on."""


def confine(limits: Limits, *, disabled: frozenset[str] = frozenset()) -> list[str]:
    """Apply every layer this platform supports; return the protections that are missing.

    ``disabled`` names layers to leave off (to emulate a platform without them).
    """
    missing = [f"{layer} disabled by configuration" for layer in LAYERS if layer in disabled]
    steps = [
        ("netns", new_network_namespace),
        ("mountns", lambda: private_scratch(limits.write_paths[0], limits.scratch_mb)),
    ]
    for layer, step in steps:
        if layer not in disabled and limits.write_paths:
            err = step()
            if err:
                missing.append(err)
    if limits.write_paths:
        os.chdir(limits.write_paths[0])  # the tmpfs, if one was mounted over the folder
    missing += apply_rlimits(limits)
    if disabled >= {"seccomp", "landlock"}:
        return missing
    if not no_new_privs():
        missing.append("no_new_privs could not be set: seccomp and Landlock are off")
        return missing
    if not limits.processes and "seccomp" not in disabled:
        err = deny_new_processes()
        if err:
            missing.append(err)
    if "landlock" not in disabled:
        err = landlock(limits)
        if err:
            missing.append(err)
    return missing
