"""Facts about live processes read from /proc: trees, listening ports, CPU time.

Reading /proc instead of asking the student's code is what lets the grader discover the
port a server really listens on (almost every real submission hard-codes 10000 and
ignores the port it is given) and tell a blocked process from a busy one.

Linux only. Without /proc (macOS, or GRADER_PORTABLE=1) nothing here is called:
`StudentProcess` knows it is not observable, and the policy says so. The module still
imports anywhere, so the grader does.

A student's process writes some of what /proc shows: its name (in stat, status, comm),
its command line and environment, any bytes at all. So every file is read through
`_text` (at most 64 KiB, undecodable bytes replaced, never strict UTF-8) and every parse
tolerates what it does not expect: a reader here returns what it could read, skips what
it could not, and raises nothing but OSError, so no name a process gives itself can make
the grader's watching fail.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import platform
import signal
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
_TCP_LISTEN = "0A"
_CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
try:
    _libc: ctypes.CDLL | None = ctypes.CDLL(None, use_errno=True)
except (OSError, TypeError):  # Windows has no process-wide C library handle
    _libc = None


MAX_READ = 1 << 16  # bytes of one /proc file: more than any field read here needs


def _text(path: Path, limit: int = MAX_READ) -> str:
    """A /proc file as text, whatever bytes a process put in it: at most `limit` bytes,
    undecodable ones replaced. Raises OSError only."""
    with open(path, "rb") as f:
        return f.read(limit).decode("utf-8", "replace")


def _numbers(words: str | list[str]) -> list[int]:
    """The whole numbers among whitespace-separated words (others are skipped)."""
    found = words.split() if isinstance(words, str) else words
    return [int(w) for w in found if w.isascii() and w.isdigit() and len(w) <= 20]


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the process's name, from the state on (None:
    gone, or not readable). The name may hold anything, ")" and spaces included, so the
    fields start after the last ")"."""
    try:
        stat = _text(PROC / str(pid) / "stat")
    except OSError:
        return None
    end = stat.rfind(")")
    fields = stat[end + 2 :].split() if end >= 0 else []
    return fields or None


def children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        for task in (PROC / str(pid) / "task").iterdir():
            with contextlib.suppress(OSError):
                kids.extend(_numbers(_text(task / "children")))
    except OSError:
        pass
    return kids


def tree(pid: int) -> list[int]:
    """The pid and all its live descendants (a snapshot; processes may come and go)."""
    seen: list[int] = []
    todo = [pid]
    while todo:
        p = todo.pop()
        if p in seen or not (PROC / str(p)).exists():
            continue
        seen.append(p)
        todo.extend(children(p))
    return seen


def socket_inodes(pids: list[int]) -> set[int]:
    inodes: set[int] = set()
    for pid in pids:
        fd_dir = PROC / str(pid) / "fd"
        try:
            entries = list(fd_dir.iterdir())
        except OSError:
            continue
        for entry in entries:
            with contextlib.suppress(OSError):
                target = os.readlink(entry)
                if target.startswith("socket:[") and target[8:-1].isdigit():
                    inodes.add(int(target[8:-1]))
    return inodes


def listening_ports(pid: int) -> list[int]:
    """TCP ports on which the process tree rooted at pid listens (in our own netns)."""
    pids = tree(pid)
    if not pids:
        return []
    inodes = socket_inodes(pids)
    if not inodes:
        return []
    try:
        listening = _listening_netlink()
    except OSError:
        listening = _listening_procfs(pids[0])
    return sorted({port for inode, port in listening.items() if inode in inodes})


# sock_diag over netlink answers "which sockets listen" from the kernel's listening
# table directly; /proc/net/tcp walks every hash bucket (milliseconds of CPU per read on
# a machine with a lot of RAM), and readiness is polled many times per submission.
_NETLINK_SOCK_DIAG = 4
_SOCK_DIAG_BY_FAMILY = 20
_NLM_F_REQUEST_DUMP = 0x1 | 0x300
_NLMSG_ERROR, _NLMSG_DONE = 2, 3
_TCP_LISTEN_STATE = 10


def _listening_netlink() -> dict[int, int]:
    """inode -> port of every listening TCP socket (IPv4 and IPv6) in this netns."""
    found: dict[int, int] = {}
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, _NETLINK_SOCK_DIAG) as nl:
        nl.settimeout(2.0)
        for family in (socket.AF_INET, socket.AF_INET6):
            req = struct.pack("=BBBBI", family, socket.IPPROTO_TCP, 0, 0, 1 << _TCP_LISTEN_STATE)
            req += bytes(48)  # inet_diag_sockid: match any
            nl.send(
                struct.pack(
                    "=IHHII", 16 + len(req), _SOCK_DIAG_BY_FAMILY, _NLM_F_REQUEST_DUMP, family, 0
                )
                + req
            )
            done = False
            while not done:
                data = nl.recv(1 << 16)
                offset = 0
                while offset + 16 <= len(data):
                    length, kind = struct.unpack_from("=IH", data, offset)
                    if kind == _NLMSG_DONE:
                        done = True
                        break
                    if kind == _NLMSG_ERROR or length < 16:
                        raise OSError("sock_diag refused the request")
                    msg = offset + 16  # inet_diag_msg: 4 bytes, sockid (48), 4 x u32, inode
                    port = struct.unpack_from(">H", data, msg + 4)[0]
                    inode = struct.unpack_from("=I", data, msg + 68)[0]
                    found[inode] = port
                    offset += (length + 3) & ~3
    return found


def _listening_procfs(pid: int) -> dict[int, int]:
    found: dict[int, int] = {}
    for name in ("tcp", "tcp6"):
        try:
            lines = _text(PROC / str(pid) / "net" / name, 1 << 24).splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 9 and fields[3] == _TCP_LISTEN:
                with contextlib.suppress(ValueError, IndexError):
                    found[int(fields[9])] = int(fields[1].rsplit(":", 1)[1], 16)
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of the given processes (not their reaped children)."""
    total = 0
    for pid in pids:
        fields = _stat(pid)
        if fields is not None and len(fields) > 12:
            total += sum(_numbers(fields[11:13]))
    return total / _CLK_TCK


def threads(pids: list[int], *, besides: tuple[str, ...] = ()) -> int:
    """How many threads these processes run now, not counting those running a program
    named in `besides` (e.g. bwrap). The program is the executable's name, which a
    process cannot change without running that program: its own name (comm) it can,
    so a student's threaded server calling itself "bwrap" is still counted."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            if besides and _program(pid) in besides:
                continue
            total += len(os.listdir(PROC / str(pid) / "task"))
    return total


def _program(pid: int) -> str:
    """The name of the executable a process runs (its comm where that is unreadable)."""
    try:
        return os.path.basename(os.readlink(PROC / str(pid) / "exe")).removesuffix(" (deleted)")
    except OSError:
        return _text(PROC / str(pid) / "comm").strip()


def states(pids: list[int]) -> list[str]:
    """One-letter scheduler states (R running, S sleeping, Z zombie, ...)."""
    out: list[str] = []
    for pid in pids:
        fields = _stat(pid)
        if fields is not None:
            out.append(fields[0][:1])
    return out


# System calls that wait, by number, per machine: name, and which argument says whether
# the wait has a time limit ("ms": a millisecond count, negative = forever; "ptr": a
# pointer to a timeout, NULL = forever; "always": a sleep; "never": a wait on a peer, a
# child or a signal; "fd": a blocking read of that file descriptor, timed only if the
# socket has SO_RCVTIMEO).
_WAITS = {
    "x86_64": {
        0: ("read", "fd", 0),
        1: ("write", "never", 0),
        17: ("pread64", "never", 0),
        19: ("readv", "fd", 0),
        20: ("writev", "never", 0),
        34: ("pause", "never", 0),
        42: ("connect", "never", 0),
        44: ("sendto", "never", 0),
        46: ("sendmsg", "never", 0),
        61: ("wait4", "never", 0),
        72: ("fcntl", "never", 0),
        73: ("flock", "never", 0),
        130: ("rt_sigsuspend", "never", 0),
        247: ("waitid", "never", 0),
        7: ("poll", "ms", 2),
        23: ("select", "ptr", 4),
        35: ("nanosleep", "always", 0),
        43: ("accept", "fd", 0),
        45: ("recvfrom", "fd", 0),
        47: ("recvmsg", "fd", 0),
        128: ("rt_sigtimedwait", "ptr", 2),
        202: ("futex", "ptr", 3),
        230: ("clock_nanosleep", "always", 0),
        232: ("epoll_wait", "ms", 3),
        270: ("pselect6", "ptr", 4),
        271: ("ppoll", "ptr", 2),
        281: ("epoll_pwait", "ms", 3),
        288: ("accept4", "fd", 0),
        441: ("epoll_pwait2", "ptr", 3),
        449: ("futex_waitv", "ptr", 3),
    },
    "aarch64": {
        22: ("epoll_pwait", "ms", 3),
        25: ("fcntl", "never", 0),
        32: ("flock", "never", 0),
        63: ("read", "fd", 0),
        64: ("write", "never", 0),
        65: ("readv", "fd", 0),
        66: ("writev", "never", 0),
        67: ("pread64", "never", 0),
        95: ("waitid", "never", 0),
        133: ("rt_sigsuspend", "never", 0),
        203: ("connect", "never", 0),
        206: ("sendto", "never", 0),
        211: ("sendmsg", "never", 0),
        260: ("wait4", "never", 0),
        72: ("pselect6", "ptr", 4),
        73: ("ppoll", "ptr", 2),
        98: ("futex", "ptr", 3),
        101: ("nanosleep", "always", 0),
        115: ("clock_nanosleep", "always", 0),
        137: ("rt_sigtimedwait", "ptr", 2),
        202: ("accept", "fd", 0),
        207: ("recvfrom", "fd", 0),
        212: ("recvmsg", "fd", 0),
        242: ("accept4", "fd", 0),
        441: ("epoll_pwait2", "ptr", 3),
        449: ("futex_waitv", "ptr", 3),
    },
}
_PIDFD_GETFD = 438  # the same number on every architecture


@dataclass(frozen=True, slots=True)
class Wait:
    """One thread waiting in a system call, and whether that wait ends by itself."""

    pid: int
    call: str
    timed: bool
    timeout_s: float | None = None  # when the call itself says how long (poll, epoll)


def waits(pids: list[int]) -> list[Wait]:
    """What every sleeping thread of these processes waits in (from /proc/.../syscall).

    A wait with a time limit (a socket timeout, select with a timeout, time.sleep, a
    timed Event.wait) ends by itself: such a process is slow, not stuck. Threads whose
    call cannot be read, or is not a known wait, are reported as timed, so an unknown
    wait is never mistaken for a hang (it runs into the check's limit instead).
    """
    table = _WAITS.get(platform.machine())
    found: list[Wait] = []
    for pid in pids:
        try:
            tasks = [t.name for t in (PROC / str(pid) / "task").iterdir()]
        except OSError:
            continue
        for tid in tasks:
            wait = _wait(pid, tid, table)
            if wait is not None:
                found.append(wait)
    return found


def _wait(pid: int, tid: str, table: dict[int, tuple[str, str, int]] | None) -> Wait | None:
    try:
        fields = _text(PROC / str(pid) / "task" / tid / "syscall").split()
    except OSError:
        return None  # gone, or not ours to read
    if not fields or fields[0] == "running":
        return None
    if table is None or not (fields[0].isascii() and fields[0].isdigit()) or len(fields) < 7:
        return Wait(pid, "unknown", True)
    known = table.get(int(fields[0]))
    if known is None:
        return Wait(pid, f"syscall {fields[0]}", True)
    name, how, index = known
    try:
        arg = int(fields[1 + index], 16)
    except ValueError:
        return Wait(pid, name, True)
    if how in ("always", "never"):
        return Wait(pid, name, how == "always")
    if how == "ptr":
        return Wait(pid, name, arg != 0)
    if how == "ms":
        ms = arg & 0xFFFFFFFF
        forever = ms >= 1 << 31
        return Wait(pid, name, not forever, None if forever else ms / 1000)
    return Wait(pid, name, _receive_timeout(pid, arg) is not None)


def _receive_timeout(pid: int, fd: int) -> float | None:
    """SO_RCVTIMEO of another process's socket (None: none, or not a socket)."""
    if _libc is None:
        return None
    try:
        pidfd = os.pidfd_open(pid)
    except (OSError, AttributeError):
        return None
    try:
        theirs = _libc.syscall(_PIDFD_GETFD, pidfd, fd, 0)
        if theirs < 0:
            return None
        try:
            sock = socket.socket(fileno=theirs)
        except OSError:
            os.close(theirs)
            return None
        with sock:
            raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, 16)
    except OSError:
        return None
    finally:
        os.close(pidfd)
    seconds, micros = struct.unpack("qq", raw)
    return seconds + micros / 1e6 if seconds or micros else None


def kill_tree(pid: int) -> None:
    """SIGKILL a process tree, children first found while the parent still holds them."""
    for p in reversed(tree(pid)):
        with contextlib.suppress(OSError):
            os.kill(p, signal.SIGKILL)


def tasks_of(uid: int) -> int:
    """Threads run now by the processes of uid (what RLIMIT_NPROC counts)."""
    total = 0
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if entry.stat().st_uid == uid:
                    total += len(os.listdir(entry / "task"))
    return total


def pids_with_env(marker: str) -> list[int]:
    """Processes whose initial environment carries marker (KEY=VALUE): escaped daemons."""
    needle = marker.encode() + b"\0"
    found: list[int] = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError), open(entry / "environ", "rb") as f:
            # the marker is set by the launcher; a process may grow its environment, but
            # not past the ARG_MAX the kernel allows at exec
            if needle in f.read(1 << 22):
                found.append(int(entry.name))
    return found


_PR_SET_CHILD_SUBREAPER = 36


def adopt_orphans() -> bool:
    """Make this process the reaper of its orphaned descendants (a sandbox's init, left
    when bubblewrap's outer process is killed; a student's double-forked daemon), instead
    of PID 1, which in a container may never reap them."""
    return _libc is not None and _libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0


def reap(settle_s: float = 0.3) -> int:
    """Collect every exited child (for a subreaper: adopted ones too); how many."""
    reaped = 0
    deadline = time.monotonic() + settle_s
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return reaped
        if pid:
            reaped += 1
        elif time.monotonic() > deadline:
            return reaped
        else:
            time.sleep(0.01)


def _status_uid_state(pid: str) -> tuple[set[int], str]:
    """(real, effective, saved and fs uids, state letter) of a process, from the first
    lines of its status (what a process cannot hide: /proc/PID's owner becomes root when
    it makes itself non-dumpable). Bytes-safe: a name is never decoded."""
    uids: set[int] = set()
    state = ""
    with open(PROC / pid / "status", "rb") as f:
        for line in f.read(4096).split(b"\n"):
            if line.startswith(b"State:"):
                state = line[6:].strip()[:1].decode("ascii", "replace")
            elif line.startswith(b"Uid:"):
                uids = {int(u) for u in line[4:].split() if u.isdigit()}
                break
    return uids, state


def processes_of(uid: int) -> list[int]:
    """Live processes (zombies are dead) with uid as any of their uids."""
    found: list[int] = []
    for entry in os.listdir(PROC):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError):
            uids, state = _status_uid_state(entry)
            if uid in uids and state != "Z":
                found.append(int(entry))
    return found


def kill_uid(
    uid: int,
    *,
    settle_s: float = 0.2,
    timeout_s: float = 3.0,
    spare: Callable[[], frozenset[int]] = frozenset,
) -> tuple[list[int], list[int]]:
    """SIGKILL every process of uid, whatever its session, environment or parent, until
    none is left but `spare` (the grader's own waiting processes): (the processes found
    alive after `settle_s`, those killed a moment ago being on their way out; those still
    alive at the end)."""

    def alive() -> list[int]:
        found = processes_of(uid)
        kept = spare() if found else frozenset()
        return [pid for pid in found if pid not in kept]

    found = alive()
    deadline = time.monotonic() + settle_s
    while found and time.monotonic() < deadline:
        time.sleep(0.005)
        found = alive()
    left = found
    deadline = time.monotonic() + timeout_s
    while left and time.monotonic() < deadline:
        for pid in left:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.002)
        left = alive()
    return found, left


def reap_orphans(*, keep: set[int]) -> None:
    """Collect this subreaper's adopted children that have exited (a killed daemon),
    leaving the ones a Popen waits for (`keep`) to it."""
    for pid in children(os.getpid()):
        if pid in keep:
            continue
        with contextlib.suppress(OSError):
            os.waitpid(pid, os.WNOHANG)


def port_owner(port: int) -> int | None:
    """The uid owning the TCP socket listening on port in this network namespace, if any."""
    for name in ("tcp", "tcp6"):
        try:
            with open(PROC / "thread-self" / "net" / name, "rb") as f:
                lines = f.read(1 << 22).split(b"\n")[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 7 and fields[3] == b"0A" and fields[1].endswith(b":%04X" % port):
                with contextlib.suppress(ValueError):
                    return int(fields[7])
    return None
