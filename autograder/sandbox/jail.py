"""Namespaces, the filesystem view and the child's own user id (Linux, run as root).

The least-privilege layers of IOI isolate and nsjail, built in process so that the
zygote's warm imports are kept (no exec):

- PID namespace: the zygote forks each child as PID 1 of a namespace of its own
  (:func:`new_pid_namespace_for_next_fork`), so the child sees no other process;
- mount, network, IPC and UTS namespaces (:func:`unshare_namespaces`);
- a filesystem view (:func:`build_view`): a fresh tmpfs root holding read-only bind
  mounts of the Python installation and the data, a private read-write tmpfs
  scratch, a /proc of the child's own PID namespace; the protected folders (graders,
  solutions, submissions, outputs) masked by empty read-only tmpfs where they lie
  inside a read path (a regular install keeps the graders in site-packages);
  ``pivot_root`` into it, so no other path exists for the child;
- its own unprivileged user and group id (:func:`drop_privileges`): an empty
  capability bounding set, no supplementary groups, ``setresgid``/``setresuid``,
  and a parent-death signal.

Every function returns None on success, else the reason (a missing protection).
"""

from __future__ import annotations

import ctypes
import os
import platform
import resource
import signal

UID_BASE = 1_900_000_000
"""Child user ids are UID_BASE + the child's host PID: unique among live children of
every zygote on the machine, above the ranges of real users and of systemd-nspawn."""

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWPID, CLONE_NEWNET = 0x20000000, 0x40000000
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC = 1, 2, 4, 8
_MS_REMOUNT, _MS_BIND, _MS_REC, _MS_PRIVATE = 32, 4096, 1 << 14, 1 << 18
_MNT_DETACH = 2
_PR_CAPBSET_DROP, _PR_SET_PDEATHSIG, _PR_CAP_AMBIENT = 24, 1, 47
_PR_CAP_AMBIENT_CLEAR_ALL = 4
_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}
HOST_LINKS = ("/lib", "/lib64", "/lib32", "/bin", "/sbin")
"""Top-level symlinks of merged-/usr systems, recreated in the view (the loader uses them)."""


def _libc() -> ctypes.CDLL:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_char_p]
    libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
    return libc


def _err(what: str) -> str:
    return f"{what} refused: {os.strerror(ctypes.get_errno())}"


def _linux() -> str | None:
    if platform.system() == "Linux":
        return None
    return f"namespaces are not available on {platform.system()}"


def new_pid_namespace_for_next_fork(own_ns_fd: int) -> str | None:
    """Put the next child of this process (the zygote) into a new PID namespace.

    Call :func:`restore_pid_namespace` right after the fork: the kernel allows
    one ``unshare(CLONE_NEWPID)`` until the namespace for children is reset.
    """
    if _linux():
        return _linux()
    if _libc().unshare(CLONE_NEWPID) != 0:
        return _err("PID namespace")
    return None


def restore_pid_namespace(own_ns_fd: int) -> None:
    """Make this process's later children share its own PID namespace again."""
    _libc().setns(own_ns_fd, CLONE_NEWPID)


def host_pid() -> int:
    """This process's PID as the host sees it (read before /proc is replaced)."""
    try:
        return int(os.readlink("/proc/self"))
    except (OSError, ValueError):
        return os.getpid()


def unshare_namespaces(mount: bool, net: bool) -> list[str]:
    """New IPC and UTS namespaces, and mount/network ones when asked; the refusals."""
    if _linux():
        return [_linux()]
    libc, missing = _libc(), []
    for flag, name, wanted in (
        (CLONE_NEWIPC, "IPC namespace", True),
        (CLONE_NEWUTS, "UTS namespace", True),
        (CLONE_NEWNET, "network namespace", net),
        (CLONE_NEWNS, "mount namespace", mount),
    ):
        if wanted and libc.unshare(flag) != 0:
            missing.append(_err(name))
    if not missing or all("UTS" not in m for m in missing):
        libc.sethostname(b"sandbox", 7)
    return missing


def _mount(libc, src, target: str, fstype, flags: int, data: str | None = None) -> None:
    def enc(s):
        return s.encode() if isinstance(s, str) else s

    if libc.mount(enc(src), target.encode(), enc(fstype), flags, enc(data)) != 0:
        raise OSError(ctypes.get_errno(), f"mount {target}: {os.strerror(ctypes.get_errno())}")


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def _bind(libc, src: str, root: str, writable: bool = False) -> None:
    target = root + src
    if os.path.isdir(src):
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if not os.path.exists(target):
            open(target, "wb").close()
    _mount(libc, src, target, None, _MS_BIND)
    flags = _MS_REMOUNT | _MS_BIND | _MS_NOSUID | (0 if writable else _MS_RDONLY)
    if not src.startswith("/dev/"):
        flags |= _MS_NODEV
    _mount(libc, None, target, None, flags)


def build_view(
    scratch: str,
    read_paths: list[str],
    masked: list[str],
    scratch_mb: int,
    owner: int | None,
    proc: bool,
) -> str | None:
    """Pivot into a fresh root holding only the read paths, the scratch and /proc.

    ``scratch`` becomes a tmpfs of ``scratch_mb`` MB holding the files it had
    (owned by ``owner``); ``masked`` folders inside a read path are covered by an
    empty read-only tmpfs; ``proc`` mounts a /proc of this PID namespace.
    Must run as root in a new mount namespace, before privileges are dropped.
    """
    libc = _libc()
    files = {}
    for name in os.listdir(scratch):
        path = os.path.join(scratch, name)
        if os.path.isfile(path) and not os.path.islink(path):
            with open(path, "rb") as fh:
                files[name] = fh.read()
    try:
        _mount(libc, None, "/", None, _MS_REC | _MS_PRIVATE)
        root = scratch  # any folder serves as the mount point of the new root
        _mount(libc, "tmpfs", root, "tmpfs", _MS_NOSUID | _MS_NODEV, "size=1m,mode=0755")
        for link in HOST_LINKS:
            if os.path.islink(link):
                os.symlink(os.readlink(link), root + link)
        binds = sorted(p for p in read_paths if p != "/proc" and not p.startswith("/proc/"))
        for path in binds:
            if os.path.exists(path) and not any(_under(path, b) for b in binds if b != path):
                _bind(libc, path, root, writable=path == "/dev/null")
        for path in masked:
            if os.path.isdir(path) and any(_under(path, b) for b in binds):
                flags = _MS_RDONLY | _MS_NOSUID | _MS_NODEV
                _mount(libc, "tmpfs", root + path, "tmpfs", flags, "size=4k,mode=0")
            elif os.path.isfile(path) and any(_under(path, b) for b in binds):
                _mount(libc, "/dev/null", root + path, None, _MS_BIND)
        os.makedirs(root + scratch, exist_ok=True)
        opts = f"size={scratch_mb}m,mode=0700"
        _mount(libc, "tmpfs", root + scratch, "tmpfs", _MS_NOSUID | _MS_NODEV, opts)
        for name, data in files.items():
            with open(os.path.join(root + scratch, name), "wb") as fh:
                fh.write(data)
        if owner is not None:
            for name in ["", *files]:
                os.chown(os.path.join(root + scratch, name), owner, owner)
        if proc:
            os.makedirs(root + "/proc", exist_ok=True)
            flags = _MS_NOSUID | _MS_NODEV | _MS_NOEXEC
            _mount(libc, "proc", root + "/proc", "proc", flags, "hidepid=2")
        os.chdir(root)
        nr = _PIVOT_ROOT.get(platform.machine())
        if nr is None or libc.syscall(nr, b".", b".") != 0:
            return _err("pivot_root")
        if libc.umount2(b".", _MNT_DETACH) != 0:
            return _err("detaching the host's root")
        os.chdir("/")
        _mount(libc, None, "/", None, _MS_REMOUNT | _MS_RDONLY | _MS_NOSUID | _MS_NODEV)
    except OSError as exc:
        return f"filesystem view refused: {exc}"
    return None


def chown_scratch(scratch: str, owner: int) -> None:
    """Without a view: give the child's user its scratch folder (the host's folder)."""
    for name in ["", *os.listdir(scratch)]:
        os.chown(os.path.join(scratch, name), owner, owner, follow_symlinks=False)


def closed_to_others(paths: list[str]) -> str | None:
    """The first folder on the way to ``paths`` that a user with no tie to its owner
    cannot pass (no ``x`` bit for others), or None.

    Without a view (no mount namespace), the child reads the host's folders under its
    own user id: below a folder closed to others (``/root`` is 0700, and pyenv and conda
    install Python there), it can import only what the zygote imported before the fork.
    """
    for path in paths:
        if not path.startswith("/") or path.startswith(("/proc/", "/sys/")):
            continue
        real = os.path.realpath(path)
        if not os.path.exists(real):
            continue
        folder, chain = real if os.path.isdir(real) else os.path.dirname(real), []
        while folder not in chain:
            chain.append(folder)
            folder = os.path.dirname(folder)
        for folder in reversed(chain):
            try:
                if not os.stat(folder).st_mode & 0o001:
                    return folder
            except OSError:
                break
    return None


def _last_cap() -> int:
    try:
        with open("/proc/sys/kernel/cap_last_cap") as fh:
            return int(fh.read())
    except (OSError, ValueError):
        return 63


def drop_privileges(uid: int) -> str | None:
    """Become ``uid``/``uid`` with no groups, no capabilities (bounding set too)."""
    if _linux():
        return _linux()
    libc = _libc()
    last = _last_cap()
    for cap in range(last + 1):
        if libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            return _err(f"dropping capability {cap} from the bounding set")
    libc.prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    try:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
    except OSError as exc:
        return f"changing to user id {uid} refused: {exc.strerror}"
    # the credentials changed, which clears the parent-death signal: set it now
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    caps = capabilities()
    if any(caps.get(k, 1) for k in ("CapEff", "CapPrm", "CapBnd", "CapAmb", "CapInh")):
        return f"capabilities remain after the change of user: {caps}"
    return None


def capabilities() -> dict[str, int]:
    """This process's capability sets (from /proc/self/status), as integers."""
    caps = {}
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                if key.startswith("Cap"):
                    caps[key] = int(value.strip(), 16)
    except OSError:
        pass
    return caps


def close_other_fds(keep: set[int]) -> None:
    """Close every descriptor but 0-2 and ``keep``: what a forked child inherits from the
    zygote (its control socket, its PID namespace, a spare child's socket) is not its own."""
    bounds = sorted({2, *keep})
    top = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    for low, high in zip(bounds, [*bounds[1:], top if 0 < top < 1 << 20 else 1 << 20], strict=True):
        os.closerange(low + 1, high)


def parent_death_signal() -> None:
    """SIGKILL this process when its parent dies (the grader, for a zygote)."""
    if platform.system() == "Linux":
        _libc().prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
