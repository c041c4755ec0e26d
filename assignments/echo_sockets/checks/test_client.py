"""Checks of the student's client(), run in the sandbox against trusted servers; each
verdict is made from what crossed the wire (client_side.py)."""

from __future__ import annotations

from collections.abc import Callable

import commands
from client_side import Met, judge_reply, log_chunks, record_reply
from messages import LONG, NON_ASCII_SPLIT, SHORT, SIXTEEN, THIRTY_TWO, show

from grader.harness import (
    Check,
    ClientCall,
    Ended,
    RunClient,
    RunConfig,
    Scramble,
    Serve,
    Served,
    elsewhere,
    student_traceback,
    wait_until,
)

EchoWith = Callable[..., Serve]


def _client_file(config: RunConfig) -> str:
    staged = config.file("client")
    assert staged is not None  # the check's `needs` made sure
    return staged.name


def _call(
    msg: str,
    label: str,
    run_client: RunClient,
    serve: Serve,
    check: Check,
    config: RunConfig,
    *,
    home: str,
    **options: object,
) -> tuple[ClientCall, Served, str]:
    """Call client(msg) against `serve`, record it and judge it (a reply that is right)."""
    call, served, port = run_client(msg, serve=serve, **options)
    met = Met(served.connections, port)
    expected = (
        msg
        if not served.connections
        else bytes((met.carried(msg) or served.connections[0]).answer).decode("utf-8", "replace")
    )
    record_reply(check, call, msg, expected, label=label, met=met)

    def probe(other: str) -> ClientCall:
        with elsewhere():  # the check's own server still holds the port here
            again, _served, _port = run_client(other, serve=serve)
        return again

    reply = judge_reply(
        check,
        call,
        msg,
        met=met,
        filename=_client_file(config),
        serve=home,
        probe=probe if config.policy.netns else None,
    )
    return call, served, reply


def test_client_short_message(
    run_client: RunClient, reference_server: Serve, check: Check, run_config: RunConfig
) -> None:
    _call(
        SHORT,
        "a 14-byte message to the reference server",
        run_client,
        reference_server,
        check,
        run_config,
        home=commands.serve(run_config),
    )


def _echo_check(
    msg: str, label: str, run_client: RunClient, echo_with: EchoWith, check: Check, cfg: RunConfig
) -> None:
    _call(msg, label, run_client, echo_with(), check, cfg, home=commands.serve(cfg))


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
    _made, served, _reply = _call(
        "", "an empty message", run_client, echo_with(), check, run_config,
        home=commands.serve(run_config),
    )  # fmt: skip
    # The grader's server thread may see the close a moment after client() returned.
    if not wait_until(lambda: any(c.eof for c in served.connections), 1.0):
        check.fail("your client never closed its connection to the server.")


def test_client_returns_what_server_sent(
    run_client: RunClient, echo_with: EchoWith, check: Check, run_config: RunConfig
) -> None:
    scramble = Scramble()
    _call(
        LONG,
        "the long message to a server that changes every letter it echoes",
        run_client,
        echo_with(transform=scramble.apply),
        check,
        run_config,
        home=commands.serve(run_config, scramble=scramble.seed),
    )


def test_client_slow_server(
    run_client: RunClient, echo_with: EchoWith, check: Check, run_config: RunConfig
) -> None:
    _call(
        LONG,
        "the long message echoed 4 bytes at a time, 10 ms apart",
        run_client,
        echo_with(trickle=4, trickle_pause_s=0.01),
        check,
        run_config,
        home=commands.serve(run_config, trickle=4, pause_s=0.01),
    )


def test_client_logs_chunks(
    run_client: RunClient, echo_with: EchoWith, check: Check, run_config: RunConfig
) -> None:
    call, _served, _reply = _call(
        LONG, "the long message, with a log_buffer", run_client, echo_with(), check, run_config,
        home=commands.serve(run_config),
    )  # fmt: skip
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
    seen: list[Served] = []
    closed: list[bool] = []
    plain = echo_with()

    def serve(port: int) -> Served:
        seen.append(plain(port))
        return seen[-1]

    def look() -> None:
        # The client process is still alive here: only an explicit close() sent the FIN.
        closed.append(wait_until(lambda: any(c.eof for c in seen[0].connections), 0.3))

    _call(
        SHORT, "a short message", run_client, serve, check, run_config,
        home=commands.serve(run_config), linger=True, on_returned=look,
    )  # fmt: skip
    if closed and not closed[0]:
        check.fail(
            "after client() returned, its connection was still open: close the socket "
            "(sock.close(), ideally in a `finally:` block)."
        )


def test_client_non_ascii_split(
    run_client: RunClient, echo_with: EchoWith, check: Check, run_config: RunConfig
) -> None:
    serve = echo_with()
    call, served, port = run_client(NON_ASCII_SPLIT, serve=serve)
    if call.ended is Ended.RAISED and call.exception_type == "UnicodeDecodeError":
        check.explain("unicode_split", student_traceback(call.traceback, call.workdir))
    met = Met(served.connections, port)
    record_reply(
        check,
        call,
        NON_ASCII_SPLIT,
        NON_ASCII_SPLIT,
        label="a message whose 'é' straddles the 16-byte boundary",
        met=met,
    )
    judge_reply(
        check,
        call,
        NON_ASCII_SPLIT,
        met=met,
        filename=_client_file(run_config),
        serve=commands.serve(run_config),
    )
