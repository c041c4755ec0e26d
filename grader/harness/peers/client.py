"""The grader's own client for a server that sends back what it receives: `exchange`
sends a payload (whole, or in pieces with pauses) and reads until as many bytes came
back, the server closes, sits blocked, or the time is up."""

from __future__ import annotations

import contextlib
import selectors
import socket
import time

from grader.harness.peers.traffic import HOST, IdleProbe, Traffic, Waited, Wire


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
