"""A fresh network namespace per check, so no check meets another's traffic.

Every check runs in a namespace of its own with only `lo`, up: the student's server
finds its port free (nothing in TIME_WAIT from an earlier check, no server of an earlier
check still holding it), and the grader's own servers too. The harness thread enters it
for the check; sockets, threads and processes made meanwhile live in it, and it vanishes
when the last of them is gone. Creating one costs about 2 ms.

Needs CAP_SYS_ADMIN in the harness's user namespace, which the harness has when it runs
in a namespace of its own (`unshare --net`, or `--map-root-user --net` as a user).
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import os
import random
import socket
import struct
import threading
from collections.abc import Iterator

CLONE_NEWNET = 0x40000000
_SIOCGIFFLAGS, _SIOCSIFFLAGS, _IFF_UP = 0x8913, 0x8914, 0x1
_libc = ctypes.CDLL(None, use_errno=True)
# Ports handed out in each fresh namespace (by its inode), see `pick_port`.
_PORTS: dict[int, set[int]] = {}
_PORTS_LOCK = threading.Lock()
PICKED = range(20001, 30000)  # below the ephemeral range: no connection's own port


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _lo_up() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        request = struct.pack("16sH", b"lo", 0)
        flags = struct.unpack("16sH", fcntl.ioctl(s, _SIOCGIFFLAGS, request)[:18])[1]
        fcntl.ioctl(s, _SIOCSIFFLAGS, struct.pack("16sH", b"lo", flags | _IFF_UP))


class Netns:
    """A handle on a network namespace (an open /proc/.../ns/net file)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    @classmethod
    def current(cls) -> Netns:
        return cls(os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC))

    @classmethod
    def fresh(cls) -> Netns:
        """A new namespace with lo up, made in a helper thread so the caller stays put."""
        made: list[Netns | BaseException] = []

        def make() -> None:
            try:
                _check(_libc.unshare(CLONE_NEWNET), "unshare(CLONE_NEWNET)")
                _lo_up()
                with _PORTS_LOCK:  # an inode is reused once its namespace is gone
                    _PORTS[_inode()] = set()
                made.append(cls.current())
            except BaseException as exc:  # handed to the caller below
                made.append(exc)

        thread = threading.Thread(target=make, name="netns")
        thread.start()
        thread.join()
        if isinstance(made[0], BaseException):
            raise made[0]
        return made[0]

    def enter(self) -> None:
        """Move the calling thread into this namespace."""
        _check(_libc.setns(self.fd, CLONE_NEWNET), "setns")

    @contextlib.contextmanager
    def entered(self) -> Iterator[None]:
        """Run a block in this namespace, then return to where the thread was."""
        back = Netns.current()
        try:
            self.enter()
            yield
        finally:
            back.enter()
            back.close()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)


@contextlib.contextmanager
def elsewhere() -> Iterator[Netns]:
    """Run a block in a fresh network namespace (for a second look that must not meet
    the check's own servers), then come back; the namespace goes when it is unused."""
    ns = Netns.fresh()
    try:
        with ns.entered():
            yield ns
    finally:
        ns.close()


def _inode() -> int:
    return os.stat("/proc/thread-self/ns/net").st_ino


def pick_port() -> int | None:
    """A port for a server in the calling thread's namespace when it is a fresh one made
    here (None otherwise): there, no port is in use but those handed out before, so one
    is drawn at random and never probed. Probing (bind to port 0, close, bind again) is
    racy in a process that starts children from several threads: a child forked in
    between holds a copy of the probe socket until it execs, and the port is busy for
    that moment."""
    here = _inode()
    with _PORTS_LOCK:
        used = _PORTS.get(here)
        if used is None or len(used) > len(PICKED) // 2:
            return None
        port = random.choice(PICKED)
        while port in used:  # a check uses a handful of its ten thousand
            port = random.choice(PICKED)
        used.add(port)
        return port
