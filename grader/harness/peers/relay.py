"""A trusted relay between a student's client and a student's server, so a pair of
programs is judged by what crossed the wire between them."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable

from grader.harness.peers.servers import _abort, _listen
from grader.harness.peers.traffic import Traffic

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
