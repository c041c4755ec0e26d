"""Listening sockets: which TCP ports a process tree listens on, and who owns a port.

Readiness is polled many times per submission, so the listening table comes from the
kernel over netlink (sock_diag) where it answers, from /proc/net/tcp otherwise.
"""

from __future__ import annotations

import contextlib
import os
import socket
import struct

from grader.sandbox.procfs import files
from grader.sandbox.procfs.trees import tree

_TCP_LISTEN = "0A"


def socket_inodes(pids: list[int]) -> set[int]:
    inodes: set[int] = set()
    for pid in pids:
        fd_dir = files.PROC / str(pid) / "fd"
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
            lines = files.text(files.PROC / str(pid) / "net" / name, limit=1 << 24).splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 9 and fields[3] == _TCP_LISTEN:
                with contextlib.suppress(ValueError, IndexError):
                    found[int(fields[9])] = int(fields[1].rsplit(":", 1)[1], 16)
    return found


def port_owner(port: int) -> int | None:
    """The uid owning the TCP socket listening on port in this network namespace, if any."""
    for name in ("tcp", "tcp6"):
        try:
            with open(files.PROC / "thread-self" / "net" / name, "rb") as f:
                lines = f.read(1 << 22).split(b"\n")[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 7 and fields[3] == b"0A" and fields[1].endswith(b":%04X" % port):
                with contextlib.suppress(ValueError):
                    return int(fields[7])
    return None
