"""harness/conversation.py's converse() against small servers on loopback: it reads until
the caller's own "complete", a close, a blocked server or the limit, and a server that
answers before the request is whole gets no more of it."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator

import pytest

from grader.harness import Wire, converse

Handler = Callable[[socket.socket], None]


@pytest.fixture
def serve() -> Iterator[Callable[[Handler], int]]:
    """Start a one-connection-at-a-time server running `handler` per connection."""
    listeners: list[socket.socket] = []

    def start(handler: Handler) -> int:
        listener = socket.create_server(("127.0.0.1", 0))
        listeners.append(listener)

        def loop() -> None:
            while True:
                try:
                    conn, _ = listener.accept()
                except OSError:
                    return
                with conn:
                    handler(conn)

        threading.Thread(target=loop, daemon=True).start()
        return int(listener.getsockname()[1])

    yield start
    for listener in listeners:
        listener.close()


def read_until_blank_line(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data and (chunk := conn.recv(1024)):
        data += chunk
    return data


def test_complete_ends_the_wait_without_a_close(serve: Callable[[Handler], int]) -> None:
    def keep_alive(conn: socket.socket) -> None:
        read_until_blank_line(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi")
        conn.recv(1)  # stays open until the client closes its side

    port = serve(keep_alive)
    traffic, waited = converse(
        b"GET / HTTP/1.1\r\n\r\n",
        port=port,
        timeout_s=2.0,
        complete=lambda got: got.endswith(b"hi"),
        quiescence_s=0.5,
    )
    assert waited.ended is Wire.DONE and waited.elapsed_s < 1.0
    assert bytes(traffic.received).endswith(b"\r\n\r\nhi")
    assert traffic.eof  # after the client's half-close, the server closed too


def test_without_complete_the_close_ends_the_reply(serve: Callable[[Handler], int]) -> None:
    def close_delimited(conn: socket.socket) -> None:
        read_until_blank_line(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\n\r\nall of it")

    traffic, waited = converse(
        b"GET / HTTP/1.1\r\n\r\n", port=serve(close_delimited), timeout_s=2.0
    )
    assert waited.ended is Wire.EOF
    assert bytes(traffic.received) == b"HTTP/1.1 200 OK\r\n\r\nall of it"


def test_an_early_answer_gets_no_more_of_the_request(serve: Callable[[Handler], int]) -> None:
    def single_recv(conn: socket.socket) -> None:
        conn.recv(1024)
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")

    request = b"GET /hello.txt HTTP/1.1\r\nHost: localhost\r\n\r\n"
    traffic, waited = converse(
        request, port=serve(single_recv), timeout_s=2.0, pieces=4, piece_pause_s=0.2
    )
    assert waited.ended is Wire.EOF
    assert traffic.sent_n == 11 < len(request)  # the first piece only
    assert bytes(traffic.received) == b"HTTP/1.1 400 Bad Request\r\n\r\n"


def test_a_blocked_server_ends_the_wait_at_once(serve: Callable[[Handler], int]) -> None:
    def waits_for_close(conn: socket.socket) -> None:
        while conn.recv(1024):
            pass

    traffic, waited = converse(
        b"GET / HTTP/1.1\r\n\r\n",
        port=serve(waits_for_close),
        timeout_s=5.0,
        idle=lambda: True,  # stands for IdleCheck: the server's processes sit idle
        quiescence_s=0.2,
    )
    assert waited.ended is Wire.BLOCKED and waited.elapsed_s < 2.0
    assert traffic.received_n == 0


def test_a_silent_server_runs_into_the_limit(serve: Callable[[Handler], int]) -> None:
    def silent(conn: socket.socket) -> None:
        while conn.recv(1024):
            pass

    _traffic, waited = converse(b"x", port=serve(silent), timeout_s=0.3)
    assert waited.ended is Wire.TIMEOUT


def test_nobody_listening_is_an_error_that_says_so() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    traffic, waited = converse(b"x", port=port, timeout_s=1.0)
    assert waited.ended is Wire.ERROR and "could not connect" in traffic.error
