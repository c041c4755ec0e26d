"""Checks of the student's client(), run in the sandbox against trusted servers."""

from __future__ import annotations

from collections.abc import Callable

from echo_helpers import (
    LONG,
    NON_ASCII_SPLIT,
    SHORT,
    SIXTEEN,
    THIRTY_TWO,
    expect_reply,
    log_chunks,
    repro_serve,
    show,
)

from grader.harness.config import RunConfig
from grader.harness.diagnosis import student_traceback
from grader.harness.peers import Mutation, Traffic
from grader.harness.plugin import Check, wait_until
from grader.harness.student import ClientCall

RunClient = Callable[..., tuple[ClientCall, int]]
EchoWith = Callable[..., Callable[[int], Traffic]]


def _served(serve: Callable[[int], Traffic]) -> tuple[Callable[[int], Traffic], list[Traffic]]:
    """Wrap serve() so the check keeps the traffic the trusted server saw."""
    seen: list[Traffic] = []

    def wrapped(port: int) -> Traffic:
        traffic = serve(port)
        seen.append(traffic)
        return traffic

    return wrapped, seen


def _echo_check(
    msg: str,
    label: str,
    run_client: RunClient,
    echo_with: EchoWith,
    check: Check,
    run_config: RunConfig,
    *,
    trickle: int = 0,
    trickle_pause_s: float = 0.0,
) -> str:
    serve, seen = _served(echo_with(trickle=trickle, trickle_pause_s=trickle_pause_s))
    call, _port = run_client(msg, serve=serve)
    return expect_reply(
        check,
        call,
        msg,
        msg,
        label=label,
        traffic=seen[0] if seen else None,
        filename=run_config.files["client"],
        serve=repro_serve(run_config, trickle=trickle, pause_s=trickle_pause_s),
    )


def test_client_short_message(
    run_client: RunClient,
    reference_server: Callable[[int], int],
    check: Check,
    run_config: RunConfig,
) -> None:
    call, _port = run_client(SHORT, serve=reference_server)
    expect_reply(
        check,
        call,
        SHORT,
        SHORT,
        label="a 14-byte message to the reference server",
        traffic=None,
        filename=run_config.files["client"],
        serve=repro_serve(run_config),
    )


def test_client_long_message(
    run_client: RunClient, echo_with: EchoWith, check: Check, run_config: RunConfig
) -> None:
    _echo_check(LONG, "the 52-byte long message", run_client, echo_with, check, run_config)


def test_client_exactly_16_bytes(
    run_client: RunClient, echo_with: EchoWith, check: Check, run_config: RunConfig
) -> None:
    _echo_check(SIXTEEN, "exactly one 16-byte chunk", run_client, echo_with, check, run_config)


def test_client_exactly_32_bytes(
    run_client: RunClient, echo_with: EchoWith, check: Check, run_config: RunConfig
) -> None:
    _echo_check(THIRTY_TWO, "exactly two 16-byte chunks", run_client, echo_with, check, run_config)


def test_client_empty_message(
    run_client: RunClient, echo_with: EchoWith, check: Check, run_config: RunConfig
) -> None:
    serve, seen = _served(echo_with())
    call, port = run_client("", serve=serve)
    expect_reply(
        check,
        call,
        "",
        "",
        label="an empty message",
        traffic=seen[0] if seen else None,
        filename=run_config.files["client"],
        serve=repro_serve(run_config),
    )
    # The grader's server thread may see the close a moment after client() returned.
    if not wait_until(lambda: bool(seen and seen[0].eof), 1.0):
        check.fail(f"your client never connected to the server on port {port} (or never closed).")


def test_client_returns_what_server_sent(
    run_client: RunClient, echo_with: EchoWith, check: Check, run_config: RunConfig
) -> None:
    mutation = Mutation()
    serve, seen = _served(echo_with(transform=mutation.apply))
    call, _port = run_client(LONG, serve=serve)
    expect_reply(
        check,
        call,
        LONG,
        mutation.apply(LONG.encode()).decode(),
        label="the long message to a server that changes the letters it echoes",
        traffic=seen[0] if seen else None,
        filename=run_config.files["client"],
        serve=repro_serve(run_config, shift=mutation.shift),
    )


def test_client_slow_server(
    run_client: RunClient, echo_with: EchoWith, check: Check, run_config: RunConfig
) -> None:
    _echo_check(
        LONG,
        "the long message echoed 4 bytes at a time, 10 ms apart",
        run_client,
        echo_with,
        check,
        run_config,
        trickle=4,
        trickle_pause_s=0.01,
    )


def test_client_logs_chunks(
    run_client: RunClient, echo_with: EchoWith, check: Check, run_config: RunConfig
) -> None:
    serve, seen = _served(echo_with())
    call, _port = run_client(LONG, serve=serve)
    expect_reply(
        check,
        call,
        LONG,
        LONG,
        label="the long message, with a log_buffer",
        traffic=seen[0] if seen else None,
        filename=run_config.files["client"],
        serve=repro_serve(run_config),
    )
    chunks = log_chunks(call.log)
    check.exchange("what your client wrote to log_buffer", received=call.log.encode())
    if not chunks:
        check.fail(
            'your client wrote no `received "..."` line to log_buffer; log each chunk as '
            "print(f'received \"{chunk.decode()}\"', file=log_buffer)."
        )
    if "".join(chunks) != LONG:
        logged = "".join(chunks).encode()
        check.fail(
            f'the received "..." lines of your log add up to {show(logged)} ({len(logged)} '
            f"bytes), not the {len(LONG)}-byte message: log every chunk, each exactly as "
            "received."
        )
    if any(len(c.encode()) > 16 for c in chunks):
        check.fail("a logged chunk is longer than 16 bytes: receive with recv(16).")


def test_client_closes_connection(
    run_client: RunClient, echo_with: EchoWith, check: Check, run_config: RunConfig
) -> None:
    serve, seen = _served(echo_with())
    closed: list[bool] = []

    def look() -> None:
        # The client process is still alive here: only an explicit close() sent the FIN.
        closed.append(wait_until(lambda: bool(seen and seen[0].eof), 0.3))

    call, _port = run_client(SHORT, serve=serve, linger=True, on_returned=look)
    expect_reply(
        check,
        call,
        SHORT,
        SHORT,
        label="a short message",
        traffic=seen[0] if seen else None,
        filename=run_config.files["client"],
        serve=repro_serve(run_config),
    )
    if closed and not closed[0]:
        check.fail(
            "after client() returned, its connection was still open: close the socket "
            "(sock.close(), ideally in a `finally:` block)."
        )


def test_client_non_ascii_split(
    run_client: RunClient, echo_with: EchoWith, check: Check, run_config: RunConfig
) -> None:
    serve, seen = _served(echo_with())
    call, _port = run_client(NON_ASCII_SPLIT, serve=serve)
    if call.ended == "raised" and call.exception_type == "UnicodeDecodeError":
        check.explain("unicode_split", student_traceback(call.traceback, call.workdir))
    expect_reply(
        check,
        call,
        NON_ASCII_SPLIT,
        NON_ASCII_SPLIT,
        label="a message whose 'é' straddles the 16-byte boundary",
        traffic=seen[0] if seen else None,
        filename=run_config.files["client"],
        serve=repro_serve(run_config),
    )
