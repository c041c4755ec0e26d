"""Trusted network peers: the client that drives a student's server, and the servers
(echo, mutating, trickling) that a student's client talks to.

They run inside the trusted harness process, so every byte on the wire is observed by
code the student cannot touch. Each records what it sent and received and when bytes
last moved, which is what hang detection reads.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import random
import select
import selectors
import socket
import struct
import termios
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

HOST = "127.0.0.1"


@dataclass
class Traffic:
    """Bytes seen on one trusted socket, updated live."""

    sent: bytearray
    received: bytearray
    last_activity: float
    eof: bool = False
    error: str = ""
    # Set by a trusted server: True when it has read and answered all that arrived.
    settled: Callable[[], bool] | None = None

    @classmethod
    def new(cls) -> Traffic:
        return cls(bytearray(), bytearray(), time.monotonic())

    def done(self) -> bool:
        """Our side has nothing left to do: every byte that arrived was read and echoed."""
        if self.settled is not None:
            return self.settled()
        return len(self.sent) >= len(self.received)


IdleProbe = Callable[[], bool]
"""Returns True when the other side (a student process) is idle: no CPU, nothing running."""


@dataclass(frozen=True)
class Waited:
    """How a wait ended: done, the peer closed, a blocked hang, or the timeout."""

    ended: str  # "done", "eof", "blocked", "timeout", "error"
    elapsed_s: float


def exchange(
    port: int,
    payload: bytes,
    *,
    timeout_s: float,
    idle: IdleProbe | None = None,
    quiescence_s: float = 0.5,
    pieces: int = 1,
    piece_pause_s: float = 0.0,
    expect: int | None = None,
) -> tuple[Traffic, Waited]:
    """Send payload to a server and read until `expect` bytes (default len(payload)) came back.

    Sending and receiving are interleaved, because an echo server that writes while we
    are still writing would otherwise fill both buffers and deadlock on large messages.
    `pieces` > 1 sends the payload in that many parts with pauses, which is how a server
    that ends a message on a short chunk gets caught.
    """
    traffic = Traffic.new()
    want = len(payload) if expect is None else expect
    start = time.monotonic()
    try:
        sock = socket.create_connection((HOST, port), timeout=timeout_s)
    except OSError as exc:
        traffic.error = f"could not connect to {HOST}:{port}: {exc.strerror or exc}"
        return traffic, Waited("error", time.monotonic() - start)
    with sock:
        sock.setblocking(False)
        parts = _split(payload, pieces)
        next_send = start
        sel = selectors.DefaultSelector()
        sel.register(sock, selectors.EVENT_READ)
        pending = b""
        while True:
            now = time.monotonic()
            if len(traffic.received) >= want and not pending and not parts:
                done = Waited("done", now - start)
                _finish(sock, traffic, quiescence_s)
                return traffic, done
            if now - start > timeout_s:
                return traffic, Waited("timeout", now - start)
            if not pending and parts and now >= next_send:
                pending = parts.pop(0)
                next_send = now + piece_pause_s
            if pending:
                try:
                    n = sock.send(pending)
                    traffic.sent += pending[:n]
                    pending = pending[n:]
                    traffic.last_activity = now
                except BlockingIOError:
                    pass
                except OSError as exc:
                    traffic.error = f"sending failed: {exc.strerror or exc}"
                    return traffic, Waited("error", now - start)
            for _key, _ev in sel.select(timeout=0.005 if pending or parts else 0.02):
                try:
                    data = sock.recv(65536)
                except BlockingIOError:
                    continue
                except ConnectionResetError:
                    traffic.eof = True  # closed with our data unread: an abrupt close
                    return traffic, Waited("eof", time.monotonic() - start)
                except OSError as exc:
                    traffic.error = f"receiving failed: {exc.strerror or exc}"
                    return traffic, Waited("error", time.monotonic() - start)
                if not data:
                    traffic.eof = True
                    return traffic, Waited("eof", time.monotonic() - start)
                traffic.received += data
                traffic.last_activity = time.monotonic()
            # idle() is sampled on every round so its verdict covers a whole window
            if (
                idle is not None
                and idle()
                and not pending
                and not parts
                and time.monotonic() - traffic.last_activity >= quiescence_s
            ):
                return traffic, Waited("blocked", time.monotonic() - start)


def _finish(sock: socket.socket, traffic: Traffic, wait_s: float) -> None:
    """Half-close and wait (briefly) for the server to close its side too.

    A server reacts to our close after we return; waiting for its FIN here means the next
    check meets a server that has finished with this client (and, for a server that
    serves only one client, one that has already stopped listening).
    """
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_WR)
    deadline = time.monotonic() + wait_s
    sock.setblocking(True)
    while (left := deadline - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            data = sock.recv(65536)
        except OSError:
            return
        if not data:
            traffic.eof = True
            return


def _split(payload: bytes, pieces: int) -> list[bytes]:
    if pieces <= 1 or len(payload) < 2:
        return [payload] if payload else []
    size = max(1, len(payload) // pieces)
    parts = [payload[i : i + size] for i in range(0, len(payload), size)]
    return parts


def connect_and_close(port: int, timeout_s: float) -> str:
    """Open a connection and close it without sending: '' on success, else the error."""
    try:
        with socket.create_connection((HOST, port), timeout=timeout_s):
            pass
    except OSError as exc:
        return f"could not connect to {HOST}:{port}: {exc.strerror or exc}"
    return ""


class Mutation:
    """A reversible, length-preserving change of ASCII letters, random per run.

    A client that returns what it sent instead of what it received cannot pass a check
    against this server, and cannot guess the rotation in advance.
    """

    def __init__(self, seed: int | None = None) -> None:
        self.shift = random.Random(seed).randint(1, 25)

    def apply(self, data: bytes) -> bytes:
        out = bytearray(data)
        for i, b in enumerate(out):
            if 65 <= b <= 90:
                out[i] = 65 + (b - 65 + self.shift) % 26
            elif 97 <= b <= 122:
                out[i] = 97 + (b - 97 + self.shift) % 26
        return bytes(out)


class TrustedServer:
    """A one-connection-at-a-time server in a thread, standing in for the reference.

    It echoes each received piece through `transform`, optionally trickling the reply
    in tiny pieces with pauses, and records everything on its Traffic.
    """

    def __init__(
        self,
        port: int,
        *,
        transform: Callable[[bytes], bytes] = bytes,
        trickle: int = 0,
        trickle_pause_s: float = 0.0,
    ) -> None:
        self.port = port
        self.transform = transform
        self.trickle = trickle
        self.trickle_pause_s = trickle_pause_s
        self.traffic = Traffic.new()
        self.connections = 0
        self.bind_error = ""
        self._stop = threading.Event()
        self._conn: socket.socket | None = None
        self.traffic.settled = self.settled
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self._sock.bind((HOST, port))
            self._sock.listen(8)
        except OSError as exc:
            self.bind_error = (
                f"the grader could not listen on {HOST}:{port} ({exc.strerror or exc})"
                + (
                    "; another program (maybe your own server) is using that port: stop it "
                    "and run grade again"
                    if exc.errno == errno.EADDRINUSE
                    else ""
                )
            )
            self._sock.close()
            return
        self._sock.settimeout(0.05)
        self._thread = threading.Thread(target=self._serve, daemon=True, name=f"trusted-{port}")
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, BlockingIOError):
                continue
            except OSError:
                return
            self.connections += 1
            self._conn = conn
            with conn:
                self._handle(conn)

    def _handle(self, conn: socket.socket) -> None:
        conn.settimeout(0.05)
        while not self._stop.is_set():
            try:
                data = conn.recv(65536)
            except TimeoutError:
                continue
            except OSError as exc:
                self.traffic.error = str(exc)
                return
            if not data:
                self.traffic.eof = True
                self.traffic.last_activity = time.monotonic()
                return
            self.traffic.received += data
            self.traffic.last_activity = time.monotonic()
            reply = self.transform(data)
            step = self.trickle or len(reply)
            for i in range(0, len(reply), step):
                if self._stop.is_set():
                    return
                piece = reply[i : i + step]
                try:
                    conn.sendall(piece)
                except OSError as exc:
                    self.traffic.error = str(exc)
                    return
                self.traffic.sent += piece
                self.traffic.last_activity = time.monotonic()
                if self.trickle_pause_s:
                    time.sleep(self.trickle_pause_s)

    def settled(self) -> bool:
        """Nothing waits for this server: no connection queued, no unread byte, no byte
        received and not yet echoed. A server thread starved of CPU is not settled, so a
        client waiting for it is not taken for a stuck one."""
        if self.bind_error:
            return True
        conn = self._conn
        try:
            if conn is None or conn.fileno() < 0:
                queued, _, _ = select.select([self._sock], [], [], 0)
                return not queued
            unread = fcntl.ioctl(conn.fileno(), termios.FIONREAD, b"\0\0\0\0")
            return struct.unpack("i", unread)[0] == 0 and len(self.traffic.sent) >= len(
                self.traffic.received
            )
        except (OSError, ValueError):
            return False  # closing or closed just now: look again at the next poll

    def close(self) -> None:
        self._stop.set()
        if not self.bind_error:
            # shutdown() wakes a thread blocked in accept() or recv() at once, instead of
            # letting it notice the stop flag at its next poll.
            for sock in (self._sock, self._conn):
                if sock is not None:
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                self._sock.close()
            self._thread.join(2.0)

    def __enter__(self) -> TrustedServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
