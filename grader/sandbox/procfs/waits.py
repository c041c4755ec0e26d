"""What a sleeping thread waits in, and whether that wait ends by itself (a timer, a
timeout) or only when something else happens: the difference between slow and stuck."""

from __future__ import annotations

import os
import platform
import socket
import struct
from dataclasses import dataclass

from grader.sandbox.procfs import files

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
            tasks = [t.name for t in (files.PROC / str(pid) / "task").iterdir()]
        except OSError:
            continue
        for tid in tasks:
            wait = _wait(pid, tid, table)
            if wait is not None:
                found.append(wait)
    return found


def _wait(pid: int, tid: str, table: dict[int, tuple[str, str, int]] | None) -> Wait | None:
    try:
        fields = files.text(files.PROC / str(pid) / "task" / tid / "syscall").split()
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
    if files.LIBC is None:
        return None
    try:
        pidfd = os.pidfd_open(pid)
    except (OSError, AttributeError):
        return None
    try:
        theirs = files.LIBC.syscall(_PIDFD_GETFD, pidfd, fd, 0)
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
