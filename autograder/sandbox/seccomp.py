"""The child's seccomp filter: privileged and cross-process system calls are refused.

Three kinds of refusal:

- **killed** (``SECCOMP_RET_KILL_PROCESS``): system calls no grading code needs and
  that only serve an escape: mount, namespaces, ptrace and reading other processes'
  memory, kernel keyrings, BPF, perf, io_uring, memfd, modules, reboot, swap, clock,
  host name, and any foreign ABI (x32, i386 on x86_64). The child dies with SIGSYS,
  which the grader sees from outside and records as an integrity flag: a submission
  cannot hide it.
- **refused** (``EPERM``): new processes (fork, vfork, clone without CLONE_THREAD;
  threads stay allowed: dask's threaded scheduler works), changes of user id, and
  prlimit/setpriority/affinity/scheduling of any process but the child itself.
- ``clone3`` answers ENOSYS so that the C library falls back to ``clone``, whose
  flags the filter can read.

Everything else is allowed (a deny-list: the PID namespace, the unprivileged user
id and the empty capability set are what make the rest harmless).
"""

from __future__ import annotations

import ctypes
import os
import platform
import struct

_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER = 22, 2
RET_KILL, RET_ALLOW, RET_ERRNO = 0x80000000, 0x7FFF0000, 0x00050000
_EPERM, _ENOSYS = 1, 38
_CLONE_THREAD = 0x00010000
_X32_BIT = 0x40000000

# name -> (x86_64, aarch64); None where the architecture has no such call
_KILLED = {
    "mount": (165, 40),
    "umount2": (166, 39),
    "pivot_root": (155, 41),
    "chroot": (161, 51),
    "unshare": (272, 97),
    "setns": (308, 268),
    "ptrace": (101, 117),
    "process_vm_readv": (310, 270),
    "process_vm_writev": (311, 271),
    "process_madvise": (440, 440),
    "pidfd_getfd": (438, 438),
    "kcmp": (312, 272),
    "reboot": (169, 142),
    "swapon": (167, 224),
    "swapoff": (168, 225),
    "bpf": (321, 280),
    "perf_event_open": (298, 241),
    "keyctl": (250, 219),
    "add_key": (248, 217),
    "request_key": (249, 218),
    "io_uring_setup": (425, 425),
    "io_uring_enter": (426, 426),
    "io_uring_register": (427, 427),
    "memfd_create": (319, 279),
    "memfd_secret": (447, 447),
    "userfaultfd": (323, 282),
    "kexec_load": (246, 104),
    "kexec_file_load": (320, 294),
    "init_module": (175, 105),
    "finit_module": (313, 273),
    "delete_module": (176, 106),
    "acct": (163, 89),
    "quotactl": (179, 60),
    "sethostname": (170, 161),
    "setdomainname": (171, 162),
    "settimeofday": (164, 170),
    "clock_settime": (227, 112),
    "clock_adjtime": (305, 266),
    "adjtimex": (159, 171),
    "syslog": (103, 116),
    "vhangup": (153, 58),
    "iopl": (172, None),
    "ioperm": (173, None),
    "open_by_handle_at": (304, 265),
    "name_to_handle_at": (303, 264),
    "fanotify_init": (300, 262),
    "open_tree": (428, 428),
    "move_mount": (429, 429),
    "fsopen": (430, 430),
    "fsconfig": (431, 431),
    "fsmount": (432, 432),
    "fspick": (433, 433),
    "mount_setattr": (442, 442),
    "migrate_pages": (256, 238),
    "move_pages": (279, 239),
}
_REFUSED = {
    "setuid": (105, 146),
    "setgid": (106, 144),
    "setreuid": (113, 145),
    "setregid": (114, 143),
    "setresuid": (117, 147),
    "setresgid": (119, 149),
    "setgroups": (116, 159),
    "setfsuid": (122, 151),
    "setfsgid": (123, 152),
    "capset": (126, 91),
}
# calls whose first argument is a PID: allowed on 0 and on the child itself only
_SELF_ONLY = {
    "prlimit64": (302, 261),
    "sched_setaffinity": (203, 122),
    "sched_setscheduler": (144, 119),
    "sched_setparam": (142, 118),
    "sched_setattr": (314, 274),
}
_SETPRIORITY = (141, 140)  # setpriority(which, who, prio): PRIO_PROCESS on itself only
_IOPRIO_SET = (251, 30)  # ioprio_set(which, who, prio): IOPRIO_WHO_PROCESS on itself only
# arch: (AUDIT_ARCH, column in the tables, clone, clone3, fork, vfork)
_ARCH = {
    "x86_64": (0xC000003E, 0, 56, 435, 57, 58),
    "aarch64": (0xC00000B7, 1, 220, 435, None, None),
}
KILLED_NAMES = tuple(sorted(_KILLED))


def _stmt(code: int, k: int) -> bytes:
    return struct.pack("HBBI", code, 0, 0, k)


def _jeq(k: int, jt: int, jf: int) -> bytes:
    return struct.pack("HBBI", 0x15, jt, jf, k)


_LD_NR, _LD_ARCH, _LD_ARG0, _LD_ARG1 = (0x20, 0), (0x20, 4), (0x20, 16), (0x20, 24)
_RET = 0x06


def program(own_pid: int, processes: bool = False) -> list[bytes]:
    """The BPF program for this machine's architecture (empty if unsupported)."""
    arch = _ARCH.get(platform.machine())
    if arch is None:
        return []
    audit_arch, col, clone, clone3, fork, vfork = arch
    kill, deny = _stmt(_RET, RET_KILL), _stmt(_RET, RET_ERRNO | _EPERM)
    allow = _stmt(_RET, RET_ALLOW)
    prog = [_stmt(*_LD_ARCH), _jeq(audit_arch, 1, 0), kill, _stmt(*_LD_NR)]
    if audit_arch == 0xC000003E:  # x32 system calls share the x86_64 audit arch
        prog += [struct.pack("HBBI", 0x35, 0, 1, _X32_BIT), kill]  # jge
    for table, action in ((_KILLED, kill), (_REFUSED, deny)):
        for nrs in table.values():
            if nrs[col] is not None:
                prog += [_jeq(nrs[col], 0, 1), action]

    def self_only(nr: int, load: tuple[int, int], guard: list[bytes]) -> list[bytes]:
        body = guard + [
            _stmt(*load),
            _jeq(0, 2, 0),
            _jeq(own_pid, 1, 0),
            deny,
            allow,
        ]
        return [_jeq(nr, 0, len(body)), *body]

    for nrs in _SELF_ONLY.values():
        prog += self_only(nrs[col], _LD_ARG0, [])
    for nrs in (_SETPRIORITY, _IOPRIO_SET):
        which_process = 0 if nrs is _SETPRIORITY else 1  # PRIO_PROCESS, IOPRIO_WHO_PROCESS
        guard = [_stmt(*_LD_ARG0), _jeq(which_process, 1, 0), deny]
        prog += self_only(nrs[col], _LD_ARG1, guard)
    if not processes:
        for nr in (fork, vfork):
            if nr is not None:
                prog += [_jeq(nr, 0, 1), deny]
        prog += [_jeq(clone3, 0, 1), _stmt(_RET, RET_ERRNO | _ENOSYS)]
        prog += [
            _jeq(clone, 0, 3),
            _stmt(*_LD_ARG0),
            struct.pack("HBBI", 0x45, 1, 0, _CLONE_THREAD),  # jset CLONE_THREAD -> allow
            deny,
        ]
    prog.append(allow)
    return prog


def install(own_pid: int, processes: bool = False) -> str | None:
    """Install the filter in this process (needs no_new_privs); None on success."""
    prog = program(own_pid, processes)
    if platform.system() != "Linux" or not prog:
        return f"seccomp is not available on {platform.system()} {platform.machine()}"
    code = b"".join(prog)
    filt = ctypes.create_string_buffer(code, len(code))

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    fprog = SockFprog(len(prog), ctypes.addressof(filt))
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        return f"seccomp filter refused: {os.strerror(ctypes.get_errno())}"
    return None
