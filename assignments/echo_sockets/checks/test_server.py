"""Checks of the student's server, driven by a trusted client on the wire."""

from __future__ import annotations

import socket
from collections.abc import Callable

from echo_helpers import ARBITRARY, LONG, MEBIBYTE, SHORT, SIXTEEN, THIRTY_TWO

from grader.harness.config import RunConfig
from grader.harness.peers import connect_and_close
from grader.harness.plugin import Check, Servers, wait_until
from grader.harness.student import StudentServer

Echo = Callable[..., None]
# Three whole 16-byte chunks, so this check is about surviving clients, not partial chunks.
SEQUENTIAL = ("first client!!!!", "second client!!!", "third client!!!!")


def test_server_short_message(student_server: StudentServer, echo: Echo) -> None:
    echo(student_server, SHORT.encode(), "a 14-byte message")


def test_server_long_message(student_server: StudentServer, echo: Echo) -> None:
    echo(student_server, LONG.encode(), "the 52-byte long message")


def test_server_exactly_16_bytes(student_server: StudentServer, echo: Echo) -> None:
    echo(student_server, SIXTEEN.encode(), "exactly one 16-byte chunk")


def test_server_exactly_32_bytes(student_server: StudentServer, echo: Echo) -> None:
    echo(student_server, THIRTY_TWO.encode(), "exactly two 16-byte chunks")


def test_server_one_mebibyte(student_server: StudentServer, echo: Echo) -> None:
    echo(student_server, MEBIBYTE, "1 MiB of numbered lines")


def test_server_arbitrary_bytes(student_server: StudentServer, echo: Echo) -> None:
    echo(student_server, ARBITRARY, "44 bytes that are not valid UTF-8 (NUL, 0xFF, ...)")


def test_server_message_in_pieces(student_server: StudentServer, echo: Echo) -> None:
    echo(
        student_server,
        LONG.encode(),
        "the long message sent in 4 pieces",
        pieces=4,
        piece_pause_s=0.15,
    )


def test_server_empty_connection(servers: Servers, echo: Echo, check: Check) -> None:
    server = servers.start(check)  # a fresh server: this check is about its first client
    port = server.port
    assert port is not None
    try:
        error = connect_and_close(port, check.timeout_s)
        check.exchange("connect, send nothing, close", sent=b"", note=error)
        if error:
            check.fail(error + ".")
        wait_until(lambda: port in server.proc.listening_ports() or not server.proc.alive(), 1.0)
        if port not in server.proc.listening_ports():
            check.diagnose(
                "server_stops_after_first_client",
                "your server stopped listening after a client that sent nothing: it treats "
                "the first connection as the only one. Keep accepting in a loop, and treat an "
                "empty recv() as the end of that one connection.",
                "after one empty connection the server no longer listened",
            )
            check.fail("your server stopped after a client that connected and sent nothing.")
        echo(server, SIXTEEN.encode(), "then a normal client")
    finally:
        check.output(*server.outputs())
        server.stop()


def test_server_sequential_clients(servers: Servers, echo: Echo, check: Check) -> None:
    server = servers.start(check)
    try:
        port = server.port
        for i, text in enumerate(SEQUENTIAL, start=1):
            wait_until(
                lambda: port in server.proc.listening_ports() or not server.proc.alive(), 1.0
            )
            if port not in server.proc.listening_ports():
                check.diagnose(
                    "server_stops_after_first_client",
                    "your server exits after its first client. A server keeps accepting new "
                    "connections in a loop (`while True: conn, addr = sock.accept() ...`) and "
                    "closes only the connection, never the listening socket, after each client.",
                    f"client {i - 1} was served; then the server stopped listening"
                    + (
                        f" and exited (status {server.proc.returncode})"
                        if not server.proc.alive()
                        else ""
                    ),
                )
                check.fail(f"your server was no longer running when client {i} connected.")
            echo(server, text.encode(), f"client {i} of 3")
    finally:
        check.output(*server.outputs())
        server.stop()


def test_server_restart_same_port(servers: Servers, check: Check, run_config: RunConfig) -> None:
    first = servers.start(check)
    port = first.port
    assert port is not None
    # A connection still open when the server dies leaves the server's side of it in
    # TIME_WAIT; only a server that sets SO_REUSEADDR can bind the port again at once.
    conn = socket.create_connection(("127.0.0.1", port), timeout=check.timeout_s)
    conn.sendall(SHORT.encode())
    conn.recv(64)
    first.stop()
    conn.close()
    check.exchange(
        "start, serve a client, kill the server with the client still connected, restart",
        note=f"first run listened on port {port}",
    )
    second = servers.start(check, port=first.requested_port, must_listen=False)
    try:
        check.output(*second.outputs())
        if second.port is None:
            said = second.proc.stderr.text() + second.proc.stdout.text()
            if "Address already in use" in said or "Errno 98" in said:
                check.diagnose(
                    "address_in_use",
                    "your server could not bind its port again right after a restart "
                    '("Address already in use"): the old connection still holds it for a '
                    "minute. Set SO_REUSEADDR before bind(): "
                    "sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1).",
                    "the restarted server printed 'Address already in use'",
                )
                check.fail(f"the restarted server could not bind port {port}: address in use.")
            check.fail("the restarted server did not listen again; see its output below.")
        if second.port != port:
            check.fail(f"after the restart your server listened on {second.port}, not {port}.")
    finally:
        second.stop()
