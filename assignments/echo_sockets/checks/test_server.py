"""Checks of the student's server, driven by a trusted client on the wire. Each check
starts a fresh server in a network of its own, so none depends on another."""

from __future__ import annotations

import contextlib
import socket
import struct
import time
from collections.abc import Callable

import commands
from messages import (
    ARBITRARY,
    CHUNK,
    LONG,
    MEBIBYTE,
    SHORT,
    SIXTEEN,
    THIRTY_TWO,
    logged_chunks,
    show,
)
from server_side import settle

from grader.harness import (
    Check,
    RunConfig,
    Servers,
    StudentServer,
    connect_and_close,
    student_traceback,
    wait_until,
)

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
        piece_pause_s=0.05,
    )


def test_server_empty_connection(
    student_server: StudentServer, echo: Echo, check: Check, run_config: RunConfig
) -> None:
    server = student_server
    port = server.port
    assert port is not None
    home = commands.server_port(server, run_config)
    check.commands(commands.send(home, b"", run_config))
    started = time.monotonic()
    error = connect_and_close(port, check.timeout_s)
    check.exchange(
        "connect, send nothing, close",
        sent=b"",
        elapsed_s=round(time.monotonic() - started, 3),
        note=error,
    )
    if error:
        check.fail(error + ".")
    settle(server)
    if not server.listening():
        check.explain(
            "server_stops_after_first_client",
            "after one client that connected and sent nothing, the server no longer "
            "listened" + ("" if server.proc.alive() else " (it had exited)"),
        )
        check.fail("your server stopped after a client that connected and sent nothing.")
    echo(server, SIXTEEN.encode(), "then a normal client")


def test_server_sequential_clients(student_server: StudentServer, echo: Echo, check: Check) -> None:
    server = student_server
    for i, text in enumerate(SEQUENTIAL, start=1):
        settle(server)
        if not server.listening():
            check.explain(
                "server_stops_after_first_client",
                f"client {i - 1} was served; then the server stopped listening"
                + (
                    f" and exited (status {server.proc.returncode})"
                    if not server.proc.alive()
                    else ""
                ),
            )
            check.fail(f"your server was no longer running when client {i} connected.")
        echo(server, text.encode(), f"client {i} of 3")


def test_server_restart_same_port(
    servers: Servers, check: Check, run_config: RunConfig, echo: Echo
) -> None:
    """The server binds its port again at once after a restart, and echoes there: a
    restarted server that listens but echoes nothing has not restarted."""
    first = servers.start()
    port = first.port
    assert port is not None
    # A connection still open when the server dies leaves the server's side of it
    # waiting to close (FIN_WAIT, then TIME_WAIT); only a server that sets SO_REUSEADDR
    # can bind the port again at once.
    home = commands.server_port(first, run_config)
    check.commands(
        commands.send(home, SHORT.encode(), run_config).replace(" send ", " send --stay 30 ", 1),
        "# terminal 1: stop your server (Ctrl-C) while terminal 2 is still connected; then:",
        commands.server(run_config).replace("terminal 1", "terminal 1 again, at once", 1),
        commands.send(home, SHORT.encode(), run_config),
    )
    started = time.monotonic()
    try:
        conn = socket.create_connection(("127.0.0.1", port), timeout=check.timeout_s)
    except OSError as exc:
        check.fail(f"could not connect to your server on port {port}: {exc.strerror or exc}.")
    with conn:
        echoed = _first_echo(conn, min(check.timeout_s, 1.0))
        first.stop()
        second = servers.start(first.requested_port, must_listen=False)
        check.exchange(
            "start your server, connect a client, stop the server while the client is still "
            "connected, start it again",
            sent=SHORT.encode(),
            received=echoed,
            elapsed_s=round(time.monotonic() - started, 3),
            note=f"the first run listened on port {port}"
            + (
                f" (the grader had asked for {first.requested_port}; ignoring that is fine)"
                if port != first.requested_port
                else ""
            ),
        )
        # The client resets its connection: no state of this check outlives it.
        with contextlib.suppress(OSError):
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    check.output(*second.outputs())
    _judge_restart(check, second, port)
    echo(second, SHORT.encode(), "a new client, after the restart")


def _first_echo(conn: socket.socket, timeout_s: float) -> bytes | None:
    conn.settimeout(timeout_s)
    try:
        conn.sendall(SHORT.encode())
        return conn.recv(64)
    except OSError:
        return None  # no echo: other checks judge that; this one is about the restart


def _judge_restart(check: Check, second: StudentServer, port: int) -> None:
    if second.port is None:
        if not second.proc.alive():
            second.proc.settle_output()  # its last words may still be on their way
        said = second.proc.stderr.text() + second.proc.stdout.text()
        if "Address already in use" in said or "Errno 98" in said:
            check.explain(
                "address_in_use",
                student_traceback(second.proc.stderr.text(), second.workdir)
                or "the restarted server printed 'Address already in use'",
            )
            check.fail(f"the restarted server could not bind port {port}: address in use.")
        check.fail("the restarted server did not listen again; see its output below.")
    if second.port != port:
        check.fail(f"after the restart your server listened on {second.port}, not {port}.")


def test_server_logs_chunks(student_server: StudentServer, echo: Echo, check: Check) -> None:
    """The template's contract on the server's side: recv(16), and one `received "..."`
    line per chunk in its log (stderr by default; stdout is read too)."""
    server = student_server
    echo(server, LONG.encode(), "the 52-byte long message")
    wait_until(lambda: len(b"".join(logged_chunks(_log(server)))) >= len(LONG), 1.0)
    log = _log(server)
    chunks = logged_chunks(log)
    check.exchange("what your server logged", received=log.encode()[-4000:])
    if not chunks:
        check.fail(
            'your server logged no `received "..."` line; log each chunk as '
            "print(f'received \"{data.decode()}\"', file=log_buffer)."
        )
    if b"".join(chunks) != LONG.encode():
        joined = b"".join(chunks)
        check.fail(
            f'the received "..." lines of your server\'s log add up to {show(joined)} '
            f"({len(joined)} bytes), not the {len(LONG)}-byte message: log every chunk, "
            "each exactly as received."
        )
    if any(len(c) > CHUNK for c in chunks):
        biggest = max(len(c) for c in chunks)
        check.fail(
            f"your server logged a chunk of {biggest} bytes: receive with conn.recv(16), so "
            "the message travels in 16-byte chunks."
        )


def _log(server: StudentServer) -> str:
    return server.proc.stderr.text() + "\n" + server.proc.stdout.text()
