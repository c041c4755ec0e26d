"""Facts about live processes read from /proc: trees, listening ports, CPU time.

Reading /proc instead of asking the student's code is what lets the grader discover the
port a server really listens on (almost every real submission hard-codes 10000 and
ignores the port it is given) and tell a blocked process from a busy one.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import struct
from pathlib import Path

PROC = Path("/proc")
_TCP_LISTEN = "0A"
_CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        for task in (PROC / str(pid) / "task").iterdir():
            with contextlib.suppress(OSError):
                kids.extend(int(k) for k in (task / "children").read_text().split())
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
                if target.startswith("socket:["):
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
            lines = (PROC / str(pid) / "net" / name).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 9 and fields[3] == _TCP_LISTEN:
                found[int(fields[9])] = int(fields[1].rsplit(":", 1)[1], 16)
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of the given processes (not their reaped children)."""
    total = 0
    for pid in pids:
        try:
            stat = (PROC / str(pid) / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        total += int(fields[11]) + int(fields[12])
    return total / _CLK_TCK


def states(pids: list[int]) -> list[str]:
    """One-letter scheduler states (R running, S sleeping, Z zombie, ...)."""
    out: list[str] = []
    for pid in pids:
        with contextlib.suppress(OSError):
            stat = (PROC / str(pid) / "stat").read_text()
            out.append(stat[stat.rindex(")") + 2])
    return out


def timed_sleep(pids: list[int]) -> bool:
    """True if any thread of these processes is in a timed sleep (time.sleep()): a
    process that chose to wait is slow, not blocked waiting for bytes that never come."""
    for pid in pids:
        try:
            tasks = list((PROC / str(pid) / "task").iterdir())
        except OSError:
            continue
        for task in tasks:
            with contextlib.suppress(OSError):
                if "nanosleep" in (task / "wchan").read_text():
                    return True
    return False


def kill_tree(pid: int) -> None:
    """SIGKILL a process tree, children first found while the parent still holds them."""
    for p in reversed(tree(pid)):
        with contextlib.suppress(OSError):
            os.kill(p, signal.SIGKILL)


def pids_with_env(marker: str) -> list[int]:
    """Processes whose initial environment carries marker (KEY=VALUE): escaped daemons."""
    needle = marker.encode() + b"\0"
    found: list[int] = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if needle in (entry / "environ").read_bytes():
                found.append(int(entry.name))
    return found
