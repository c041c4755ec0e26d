"""The grader's raw-bytes client for any protocol: send a request (whole, or in pieces
with pauses) and read the reply until the assignment's own test says it is complete, the
server closes, sits blocked, or the time is up.

`exchange` (peers/client.py) waits for as many bytes as it sent, which is what a server that
sends back what it receives needs;
`converse` leaves "complete" to the checks, which know their protocol (an HTTP response
is complete once its headers and Content-Length bytes of body have arrived). A server
that answers before the request is whole and closes is not an error here: the rest of
the request is not sent, and the reply is read to its end, so a check sees what the
server did (`Traffic.sent_n` says how much of the request it had).
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import time
from collections.abc import Callable

from grader.harness.peers.client import _finish, _read, _split
from grader.harness.peers.traffic import HOST, IdleProbe, Traffic, Waited, Wire

Complete = Callable[[bytes], bool]
"""Given every byte received so far, True when the reply is whole."""


def converse(
    payload: bytes,
    *,
    port: int,
    timeout_s: float,
    complete: Complete | None = None,
    idle: IdleProbe | None = None,
    quiescence_s: float = 0.5,
    pieces: int = 1,
    piece_pause_s: float = 0.0,
) -> tuple[Traffic, Waited]:
    """Send payload to HOST:port and read until `complete(received)` (Wire.DONE), the
    server closes (Wire.EOF), it sits blocked with nothing moving for `quiescence_s`
    (Wire.BLOCKED, when `idle` says its processes are idle), or `timeout_s` (Wire.TIMEOUT).

    After DONE the client half-closes and waits up to `quiescence_s` for the server to
    close too (`Traffic.eof` says whether it did). `pieces` > 1 sends the payload in that
    many parts, `piece_pause_s` apart.
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
        talk = _Talk(sock, traffic, _split(payload, pieces), start, piece_pause_s)
        ended = talk.run(
            complete or _never, timeout_s=timeout_s, idle=idle, quiescence_s=quiescence_s
        )
        elapsed = time.monotonic() - start
        if ended is Wire.DONE:
            _finish(sock, traffic, quiescence_s)
        return traffic, Waited(ended, elapsed)


def _never(_received: bytes) -> bool:
    return False


class _Talk:
    """One conversation's state: the parts still to send, and when the next one is due."""

    def __init__(
        self, sock: socket.socket, traffic: Traffic, parts: list[bytes], start: float, pause: float
    ) -> None:
        self.sock = sock
        self.traffic = traffic
        self.parts = parts
        self.pending = b""
        self.start = start
        self.next_send = start
        self.pause = pause

    def run(
        self,
        complete: Complete,
        *,
        timeout_s: float,
        idle: IdleProbe | None,
        quiescence_s: float,
    ) -> Wire:
        sel = selectors.DefaultSelector()
        sel.register(self.sock, selectors.EVENT_READ)
        traffic = self.traffic
        while True:
            now = time.monotonic()
            if traffic.received_n and complete(bytes(traffic.received)):
                return Wire.DONE
            if now - self.start > timeout_s:
                return Wire.TIMEOUT
            self._send(now)
            sending = bool(self.pending or self.parts)
            for _key, _ev in sel.select(timeout=0.005 if sending else 0.02):
                ended = _read(self.sock, traffic)
                if ended is Wire.EOF and complete(bytes(traffic.received)):
                    return Wire.DONE
                if ended is not None:
                    return ended
            # idle() is sampled on every round so its verdict covers a whole window
            quiet = time.monotonic() - traffic.last_activity >= quiescence_s
            if idle is not None and idle() and not self.pending and not self.parts and quiet:
                return Wire.BLOCKED

    def _send(self, now: float) -> None:
        """Send what is due; a server that closed early gets no more (its reply is read)."""
        if not self.pending and self.parts and now >= self.next_send:
            self.pending, self.next_send = self.parts.pop(0), now + self.pause
        if not self.pending:
            return
        try:
            n = self.sock.send(self.pending)
        except BlockingIOError:
            return
        except OSError:
            self.pending, self.parts = b"", []
            with contextlib.suppress(OSError):
                self.sock.shutdown(socket.SHUT_WR)
            return
        self.traffic.gave(self.pending[:n])
        self.pending = self.pending[n:]
