"""harness/peers/relay.py's Relay on loopback: it knows when every connection through it has
ended both ways, which lets a pairing check stop waiting for stragglers at once."""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Iterator

import pytest

from grader.harness.idle import wait_until
from grader.harness.peers.relay import Relay
from grader.harness.peers.servers import TrustedServer


@pytest.fixture
def echo_server() -> Iterator[int]:
    """A plain echo server on an ephemeral loopback port (stands for a student's)."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                while data := conn.recv(16):
                    conn.sendall(data)

    threading.Thread(target=serve, daemon=True).start()
    yield listener.getsockname()[1]
    listener.close()


def test_a_relay_has_ended_once_every_connection_closed_both_ways(echo_server: int) -> None:
    relay = Relay(0, lambda: socket.create_connection(("127.0.0.1", echo_server), timeout=2))
    assert relay._sock is not None
    port = relay._sock.getsockname()[1]
    try:
        assert not relay.ended()  # nobody came yet: not "done"
        client = socket.create_connection(("127.0.0.1", port), timeout=2)
        client.sendall(b"hello, relay")
        assert client.recv(64) == b"hello, relay"
        time.sleep(0.1)
        assert not relay.ended()  # open: more may come
        client.shutdown(socket.SHUT_WR)
        assert client.recv(64) == b""  # the server saw the end and closed its side
        client.close()
        assert wait_until(relay.ended, 2.0)
        assert relay.traffic.ended is not None and relay.traffic.ended()
        assert [bytes(t.received) for t in relay.connections] == [b"hello, relay"]
    finally:
        relay.close()


def test_a_trusted_server_has_caught_up_only_once_it_saw_every_finished_client() -> None:
    """A client that connects and leaves at once (an empty message) is counted before
    the verdict, however late the server's thread gets to accept it."""
    server = TrustedServer(0)
    assert server._sock is not None
    port = server._sock.getsockname()[1]
    try:
        assert server.caught_up()
        with server._admit:  # hold the accept back, as a busy machine would
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
            time.sleep(0.05)
        assert wait_until(server.caught_up, 2.0)
        assert len(server.connections) == 1 and server.connections[0].eof
        still_open = socket.create_connection(("127.0.0.1", port), timeout=2)
        still_open.sendall(b"x")
        assert wait_until(lambda: server.traffic.received_n == 1, 2.0)
        assert not server.caught_up()  # a connection being served: not done
        still_open.close()
        assert wait_until(server.caught_up, 2.0)
    finally:
        server.close()


def test_a_client_that_closes_with_the_reply_unread_has_closed() -> None:
    """A reset (close() with bytes unread) is a close, as a FIN is: the connection ends
    with eof, not with an error, whichever of the two the timing gives."""
    server = TrustedServer(0)
    assert server._sock is not None
    port = server._sock.getsockname()[1]
    try:
        client = socket.create_connection(("127.0.0.1", port), timeout=2)
        client.sendall(b"hello")
        assert wait_until(lambda: server.traffic.sent_n == 5, 2.0)
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        client.close()  # unread echo + linger 0: the kernel sends a reset
        assert wait_until(lambda: bool(server.connections[0].eof), 2.0)
        assert server.connections[0].error == ""
    finally:
        server.close()
