"""Trusted network peers: the client that drives a student's server; the servers (sending
back what they receive, changed or trickled) a student's client talks to; and a relay
that stands between a student's client and a student's server.

They run inside the trusted harness process, so every byte on the wire is observed by
code the student cannot touch: a verdict about a reply is made from what crossed the
wire on one connection, never from what a student's process says. Each records what it
sent and received (copies capped, counts exact) and when bytes last moved, which is what
hang detection reads.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import random
import secrets
import select
import selectors
import socket
import struct
import termios
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

HOST = "127.0.0.1"
KEEP = (2 << 20) + (64 << 10)  # bytes kept of each direction: a 1 MiB reply and some


@dataclass
class Traffic:
    """Bytes seen on one trusted connection (or server), updated live.

    `received` is what the peer sent us, `sent` what we sent it, and `answer` the whole
    reply we owe it for what it sent (a trickling server has not sent all of it yet).
    Copies keep the first KEEP bytes; the counts are exact however much a peer floods.
    """

    sent: bytearray = field(default_factory=bytearray)
    received: bytearray = field(default_factory=bytearray)
    answer: bytearray = field(default_factory=bytearray)
    last_activity: float = field(default_factory=time.monotonic)
    sent_n: int = 0
    received_n: int = 0
    eof: bool = False
    error: str = ""
    # Set by a trusted server: True when it has read and answered all that arrived.
    settled: Callable[[], bool] | None = None
    # Set by a relay: True when every connection through it has ended both ways, so
    # nothing more can arrive and nobody needs to wait for stragglers.
    ended: Callable[[], bool] | None = None
    # Set by a trusted server: True when no connection waits to be accepted and the one
    # it serves (if any) has ended, i.e. it has seen all a finished client did.
    caught_up: Callable[[], bool] | None = None

    def took(self, data: bytes) -> None:
        self.received_n += len(data)
        room = KEEP - len(self.received)
        if room > 0:
            self.received += data[:room]
        self.last_activity = time.monotonic()

    def owe(self, data: bytes) -> None:
        room = KEEP - len(self.answer)
        if room > 0:
            self.answer += data[:room]

    def gave(self, data: bytes) -> None:
        self.sent_n += len(data)
        room = KEEP - len(self.sent)
        if room > 0:
            self.sent += data[:room]
        self.last_activity = time.monotonic()

    def done(self) -> bool:
        """Our side has nothing left to do: every byte that arrived was read and answered."""
        if self.settled is not None:
            return self.settled()
        return self.sent_n >= self.received_n


IdleProbe = Callable[[], bool]
"""Returns True when the other side (a student process) is blocked: nothing can wake it."""


class Wire(Enum):
    """How the grader's client's wait for a reply ended."""

    DONE = "done"  # the whole reply came back
    EOF = "eof"  # the server closed first
    BLOCKED = "blocked"  # the server sat blocked with nothing moving
    TIMEOUT = "timeout"  # the check's time limit
    ERROR = "error"  # could not connect, or the connection failed


@dataclass(frozen=True)
class Waited:
    """How a wait ended, and after how long."""

    ended: Wire
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
) -> tuple[Traffic, Waited]:
    """Send payload to a server and read until as many bytes came back.

    Sending and receiving are interleaved, because a server that sends back while we
    are still writing would otherwise fill both buffers and deadlock on large messages.
    `pieces` > 1 sends the payload in that many parts with pauses, which is how a server
    that ends a message on a short chunk gets caught.
    """
    traffic = Traffic()
    start = time.monotonic()
    try:
        sock = socket.create_connection((HOST, port), timeout=timeout_s)
    except OSError as exc:
        traffic.error = f"could not connect to {HOST}:{port}: {exc.strerror or exc}"
        return traffic, Waited(Wire.ERROR, time.monotonic() - start)
    with sock:
        sock.setblocking(False)
        ended = _converse(sock, traffic, _split(payload, pieces), len(payload), start,
                          timeout_s=timeout_s, idle=idle, quiescence_s=quiescence_s,
                          pause_s=piece_pause_s)  # fmt: skip
        if ended is Wire.DONE:
            elapsed = time.monotonic() - start
            _finish(sock, traffic, quiescence_s)
            return traffic, Waited(ended, elapsed)
        return traffic, Waited(ended, time.monotonic() - start)


def _converse(
    sock: socket.socket,
    traffic: Traffic,
    parts: list[bytes],
    want: int,
    start: float,
    *,
    timeout_s: float,
    idle: IdleProbe | None,
    quiescence_s: float,
    pause_s: float,
) -> Wire:
    """Send the parts (pausing between them) while reading, until `want` bytes came back."""
    sel = selectors.DefaultSelector()
    sel.register(sock, selectors.EVENT_READ)
    pending = b""
    next_send = start
    while True:
        now = time.monotonic()
        if traffic.received_n >= want and not pending and not parts:
            return Wire.DONE
        if now - start > timeout_s:
            return Wire.TIMEOUT
        if not pending and parts and now >= next_send:
            pending, next_send = parts.pop(0), now + pause_s
        if pending:
            try:
                n = sock.send(pending)
                traffic.gave(pending[:n])
                pending = pending[n:]
            except BlockingIOError:
                pass
            except OSError as exc:
                traffic.error = f"sending failed: {exc.strerror or exc}"
                return Wire.ERROR
        for _key, _ev in sel.select(timeout=0.005 if pending or parts else 0.02):
            ended = _read(sock, traffic)
            if ended is not None:
                return ended
        # idle() is sampled on every round so its verdict covers a whole window
        quiet = time.monotonic() - traffic.last_activity >= quiescence_s
        if idle is not None and idle() and not pending and not parts and quiet:
            return Wire.BLOCKED


def _read(sock: socket.socket, traffic: Traffic) -> Wire | None:
    try:
        data = sock.recv(65536)
    except BlockingIOError:
        return None
    except ConnectionResetError:
        traffic.eof = True  # closed with our data unread: an abrupt close
        return Wire.EOF
    except OSError as exc:
        traffic.error = f"receiving failed: {exc.strerror or exc}"
        return Wire.ERROR
    if not data:
        traffic.eof = True
        return Wire.EOF
    traffic.took(data)
    return None


def _finish(sock: socket.socket, traffic: Traffic, wait_s: float) -> None:
    """Half-close and wait (briefly) for the server to close its side too, so what the
    server does once its client has finished is part of this exchange."""
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
    return [payload[i : i + size] for i in range(0, len(payload), size)]


def connect_and_close(port: int, timeout_s: float) -> str:
    """Open a connection and close it without sending: '' on success, else the error."""
    try:
        with socket.create_connection((HOST, port), timeout=timeout_s):
            pass
    except OSError as exc:
        return f"could not connect to {HOST}:{port}: {exc.strerror or exc}"
    return ""


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


Upstream = Callable[[], socket.socket]


class Relay:
    """A trusted relay between a student's client and a student's server.

    It listens where the student's server listens (same port, in the client's network
    namespace), and for each connection opens one to the real server (`upstream`), then
    copies bytes both ways, recording each connection on a Traffic from the client's
    side: `received` is what the client sent (and the server got), `sent` what the server
    answered (and the client got). Half-closes travel through. So a pair of programs is
    judged by what really crossed the wire, not by what either says.
    """

    def __init__(self, port: int, upstream: Upstream) -> None:
        self.port = port
        self.upstream = upstream
        self.connections: list[Traffic] = []
        self.traffic = Traffic()
        self.traffic.settled = self.settled
        self.traffic.ended = self.ended
        self._stop = threading.Event()
        self._busy = 0
        self._pumping = 0
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []
        self._sock, self.bind_error = _listen(port)
        if self._sock is not None:
            self._start(self._serve)

    def _start(self, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True, name="relay")
        self._threads.append(thread)
        thread.start()

    def _serve(self) -> None:
        assert self._sock is not None
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, BlockingIOError):
                continue
            except OSError:
                return
            if len(self.connections) >= 64:
                _abort(conn)
                continue
            talk = Traffic()
            with self._lock:  # counted before it shows, so ended() never sees a gap
                self.connections.append(talk)
                self._pumping += 2
            try:
                up = self.upstream()
            except OSError as exc:
                talk.error = f"the grader could not reach your server: {exc.strerror or exc}"
                _abort(conn)
                with self._lock:
                    self._pumping -= 2
                continue
            self._sockets += [conn, up]
            self._start(self._pump, conn, up, talk, True)
            self._start(self._pump, up, conn, talk, False)

    def _pump(self, src: socket.socket, dst: socket.socket, talk: Traffic, outward: bool) -> None:
        """Copy src to dst until src ends; then pass the end on (a half-close)."""
        try:
            self._copy(src, dst, talk, outward)
        finally:
            with self._lock:
                self._pumping -= 1

    def _copy(self, src: socket.socket, dst: socket.socket, talk: Traffic, outward: bool) -> None:
        src.settimeout(0.05)
        while not self._stop.is_set():
            try:
                data = src.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                data = b""
            if not data:
                if outward:
                    talk.eof = True
                with contextlib.suppress(OSError):
                    dst.shutdown(socket.SHUT_WR)
                return
            with self._lock:
                self._busy += 1
            try:
                if outward:
                    talk.took(data)
                    self.traffic.took(data)
                else:
                    talk.owe(data)
                    talk.gave(data)
                    self.traffic.gave(data)
                dst.sendall(data)
            except OSError:
                return
            finally:
                with self._lock:
                    self._busy -= 1

    def settled(self) -> bool:
        """Nothing in transit through the relay (it forwards at once)."""
        with self._lock:
            return self._busy == 0

    def ended(self) -> bool:
        """At least one connection came, and every one has ended in both directions."""
        with self._lock:
            return bool(self.connections) and self._pumping == 0

    def close(self) -> None:
        self._stop.set()
        for sock in [self._sock, *self._sockets]:
            _abort(sock)
        for thread in self._threads:
            thread.join(1.0)
