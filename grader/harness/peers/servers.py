"""The grader's own servers a student's client talks to: `TrustedServer` sends back what
it receives, changed (`Scramble`) or trickled, one connection at a time."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import random
import secrets
import select
import socket
import struct
import termios
import threading
import time
from collections.abc import Callable

from grader.harness.peers.traffic import HOST, Traffic


class Scramble:
    """A length-preserving change of every ASCII letter by a shift of its own (1-25),
    drawn at random per run and position by position.

    A client that returns what it sent instead of what it received fails against this
    server, and one that peeks at a prefix of the reply learns nothing about the rest.
    With the same seed (`grade-peer serve --scramble SEED`) it does the same again.
    """

    SPAN = 4096  # shifts repeat after this many bytes

    def __init__(self, seed: int | None = None) -> None:
        self.seed = secrets.randbelow(1_000_000) if seed is None else seed
        rng = random.Random(self.seed)
        self.shifts = bytes(rng.randint(1, 25) for _ in range(self.SPAN))

    def apply(self, data: bytes, offset: int = 0) -> bytes:
        """The scrambled bytes of `data`, which starts `offset` bytes into the stream."""
        out = bytearray(data)
        for i, b in enumerate(out):
            shift = self.shifts[(offset + i) % self.SPAN]
            if 65 <= b <= 90:
                out[i] = 65 + (b - 65 + shift) % 26
            elif 97 <= b <= 122:
                out[i] = 97 + (b - 97 + shift) % 26
        return bytes(out)


Transform = Callable[[bytes, int], bytes]


def _same(data: bytes, _offset: int) -> bytes:
    return data


def _listen(port: int) -> tuple[socket.socket | None, str]:
    """A listening socket on HOST:port, or why there is none (one sentence)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
        sock.listen(8)
    except OSError as exc:
        sock.close()
        why = f"the grader could not listen on {HOST}:{port} ({exc.strerror or exc})"
        if exc.errno == errno.EADDRINUSE:
            why += (
                "; another program (maybe your own server) is using that port: stop it "
                "and run grade again"
            )
        return None, why
    sock.settimeout(0.05)
    return sock, ""


def _abort(sock: socket.socket | None) -> None:
    """Close with a reset, so no TIME_WAIT of ours outlives the check."""
    if sock is None:
        return
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()


class TrustedServer:
    """A one-connection-at-a-time server in a thread, standing in for the reference.

    It answers each received piece through `transform` (by stream position), optionally
    trickling the reply in tiny pieces with pauses, and records every connection's
    bytes on a Traffic of its own (`connections`), plus all of them on `traffic`.
    """

    def __init__(
        self,
        port: int,
        *,
        transform: Transform = _same,
        trickle: int = 0,
        trickle_pause_s: float = 0.0,
    ) -> None:
        self.port = port
        self.transform = transform
        self.trickle = trickle
        self.trickle_pause_s = trickle_pause_s
        self.traffic = Traffic()
        self.traffic.settled = self.settled
        self.traffic.caught_up = self.caught_up
        self.connections: list[Traffic] = []
        self._stop = threading.Event()
        self._conn: socket.socket | None = None
        self._admit = threading.Lock()
        self._serving = False
        self._sock, self.bind_error = _listen(port)
        if self._sock is not None:
            self._thread = threading.Thread(target=self._serve, daemon=True, name=f"trusted-{port}")
            self._thread.start()

    def _serve(self) -> None:
        assert self._sock is not None
        while not self._stop.is_set():
            try:
                waiting, _, _ = select.select([self._sock], [], [], 0.05)
            except (OSError, ValueError):
                return
            if not waiting:
                continue
            with self._admit:  # accepted and counted as one step: see caught_up()
                try:
                    conn, _ = self._sock.accept()
                except (TimeoutError, BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    return
                if len(self.connections) >= 64:
                    _abort(conn)  # a client that connects without end gets no more
                    continue
                talk = Traffic()
                self.connections.append(talk)
                self._conn = conn
                self._serving = True
            try:
                with conn:
                    self._handle(conn, talk)
            finally:
                self._serving = False

    def caught_up(self) -> bool:
        """Nothing waits in the accept queue and the connection being served has ended:
        once a client process is gone, whatever it did has been seen (a busy machine
        may not have scheduled the accept yet when the client exits)."""
        if self._sock is None or self._stop.is_set():
            return True
        with self._admit:
            try:
                waiting, _, _ = select.select([self._sock], [], [], 0)
            except (OSError, ValueError):
                return True
            return not waiting and not self._serving

    def _handle(self, conn: socket.socket, talk: Traffic) -> None:
        conn.settimeout(0.05)
        while not self._stop.is_set():
            try:
                data = conn.recv(65536)
            except TimeoutError:
                continue
            except ConnectionResetError:
                data = b""  # closed with our reply unread: a close all the same
            except OSError as exc:
                talk.error = self.traffic.error = str(exc)
                return
            if not data:
                talk.eof = self.traffic.eof = True
                self.traffic.last_activity = time.monotonic()
                return
            offset = talk.received_n
            talk.took(data)
            self.traffic.took(data)
            reply = self.transform(data, offset)
            talk.owe(reply)
            if not self._reply(conn, talk, reply):
                return

    def _reply(self, conn: socket.socket, talk: Traffic, reply: bytes) -> bool:
        step = self.trickle or len(reply) or 1
        for i in range(0, len(reply), step):
            if self._stop.is_set():
                return False
            piece = reply[i : i + step]
            try:
                conn.sendall(piece)
            except (BrokenPipeError, ConnectionResetError):
                talk.eof = self.traffic.eof = True  # the client closed before our reply
                return False
            except OSError as exc:
                talk.error = self.traffic.error = str(exc)
                return False
            talk.gave(piece)
            self.traffic.gave(piece)
            if self.trickle_pause_s:
                time.sleep(self.trickle_pause_s)
        return True

    def settled(self) -> bool:
        """Nothing waits for this server: no connection queued, no unread byte, no byte
        received and not yet answered. A server thread starved of CPU is not settled, so
        a client waiting for it is not taken for a stuck one."""
        if self._sock is None:
            return True
        conn = self._conn
        try:
            if conn is None or conn.fileno() < 0:
                queued, _, _ = select.select([self._sock], [], [], 0)
                return not queued
            unread = fcntl.ioctl(conn.fileno(), termios.FIONREAD, b"\0\0\0\0")
            waiting = struct.unpack("i", unread)[0]
            return waiting == 0 and self.traffic.sent_n >= self.traffic.received_n
        except (OSError, ValueError):
            return False  # closing or closed just now: look again at the next poll

    def close(self) -> None:
        self._stop.set()
        if self._sock is not None:
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
