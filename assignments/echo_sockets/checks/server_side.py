"""Judging the student's server from the wire: drive it with the grader's client, record
the transcript, and turn what happened into a verdict a student can act on (what was
sent, what came back, what it means, a code from diagnoses.py with its evidence).

Every check gathers its own evidence: when a diagnosis needs a second look (is this the
"echoes only the first chunk" bug?), the check takes that look itself, so no verdict
depends on which checks ran before. Failure messages never quote the expected reply
(sizes only); the expected side lives in the transcript, which `actual-only` hides.
"""

from __future__ import annotations

from dataclasses import dataclass

import commands
from messages import CHUNK, LONG, show

from grader.harness import (
    Check,
    Hang,
    IdleCheck,
    RunConfig,
    StudentServer,
    Traffic,
    Waited,
    Wire,
    exchange,
    student_traceback,
    wait_until,
)


@dataclass(frozen=True)
class Echo:
    """How one exchange with the student's server went; failed ones say how to fail."""

    ok: bool
    hang: Hang | None = None
    message: str = ""


def recorded_exchange(
    check: Check,
    server: StudentServer,
    payload: bytes,
    label: str,
    *,
    pieces: int = 1,
    piece_pause_s: float = 0.0,
    note: str = "",
) -> tuple[Traffic, Waited]:
    """Send payload to the student's server with the grader's client (hang detection on
    the server's processes) and put the exchange in the check's transcript."""
    assert server.port is not None
    traffic, waited = exchange(
        server.port,
        payload,
        timeout_s=check.timeout_s,
        idle=IdleCheck(server.proc, check.quiescence_s),
        quiescence_s=check.quiescence_s,
        pieces=pieces,
        piece_pause_s=piece_pause_s,
    )
    check.exchange(
        label,
        sent=bytes(traffic.sent),
        received=bytes(traffic.received),
        expected=payload,
        elapsed_s=round(waited.elapsed_s, 3),
        note=note,
    )
    return traffic, waited


def probe_echo(
    check: Check,
    server: StudentServer,
    payload: bytes,
    label: str,
    *,
    config: RunConfig,
    pieces: int = 1,
    piece_pause_s: float = 0.0,
) -> Echo:
    """Drive the student's server with the grader's client; record the transcript and
    any diagnosis, and say how it went (the caller decides whether that fails the check)."""
    home = commands.server_port(server, config)
    check.commands(
        commands.server(config),
        commands.send(home, payload, config, pieces=pieces, pause_s=piece_pause_s),
    )
    note = f"{pieces} pieces, {piece_pause_s:g} s apart" if pieces > 1 else ""
    traffic, waited = recorded_exchange(
        check, server, payload, label, pieces=pieces, piece_pause_s=piece_pause_s, note=note
    )
    got = bytes(traffic.received)
    if waited.ended is Wire.DONE:
        return _compare(got, payload)
    if waited.ended in (Wire.EOF, Wire.ERROR):
        settle(server)
    if not server.proc.alive():
        explain_crash(check, server)
        return Echo(
            False, message=f"your server crashed after echoing {len(got)} of {len(payload)} bytes."
        )
    if waited.ended is Wire.ERROR:
        return Echo(False, message=f"{traffic.error}.")
    if waited.ended is Wire.EOF:
        _explain_early_close(check, server, payload, got, pieces)
        return Echo(
            False,
            message=f"your server closed the connection after echoing {len(got)} of "
            f"{len(payload)} bytes.",
        )
    if waited.ended is Wire.BLOCKED:
        return _blocked(check, server, payload, got, pieces)
    return Echo(
        False,
        Hang.BUSY,
        f"your server echoed {len(got)} of {len(payload)} bytes in {check.timeout_s:g} s and "
        "was still busy (running, or waiting on a timer) at the limit: look for a loop that "
        "never waits, e.g. one that keeps calling recv() after it returned b''.",
    )


def _compare(got: bytes, payload: bytes) -> Echo:
    if got[: len(payload)] == payload:
        return Echo(True)
    shorter = min(len(got), len(payload))
    first = next((i for i in range(shorter) if got[i] != payload[i]), shorter)
    return Echo(
        False,
        message=f"your server sent back different bytes from byte {first} on "
        f"({show(got[first : first + 16])}...): it must send back exactly what it received.",
    )


def _blocked(check: Check, server: StudentServer, payload: bytes, got: bytes, pieces: int) -> Echo:
    n, m = len(got), len(payload)
    _explain_first_chunk(check, server, n, m, pieces)
    if n == 0 and m > 0:
        check.explain(
            "server_waits_for_close",
            f"sent {m} bytes, received 0; the server then sat idle for {check.quiescence_s:g} s",
        )
    return Echo(
        False,
        Hang.BLOCKED,
        f"your server echoed {n} of {m} bytes and then stopped: for {check.quiescence_s:g} s "
        "it used no CPU, set no timer and sent nothing, so it is waiting for something that "
        "will not come.",
    )


def expect_echo(
    check: Check,
    server: StudentServer,
    payload: bytes,
    label: str,
    *,
    config: RunConfig,
    pieces: int = 1,
    piece_pause_s: float = 0.0,
) -> None:
    """Drive the student's server with the grader's client; fail with an explanation."""
    echo = probe_echo(
        check, server, payload, label, config=config, pieces=pieces, piece_pause_s=piece_pause_s
    )
    if echo.hang is not None:
        check.hung(echo.hang, echo.message)
    if not echo.ok:
        check.fail(echo.message)


def settle(server: StudentServer, timeout_s: float = 1.0) -> None:
    """Wait until the server is gone or back at accept(): a server that closed a
    connection may be on its way out (a crash, or one that serves a single client), and
    it closes its listening socket before it is gone."""
    wait_until(
        lambda: not server.proc.alive() or (server.settled() and server.listening()), timeout_s
    )


def explain_crash(check: Check, server: StudentServer) -> None:
    """The server is gone: a crash (with the student's frames), or a clean exit."""
    server.proc.settle_output()  # its last words may still be on their way
    status = server.proc.returncode
    frames = student_traceback(server.proc.stderr.text(), server.workdir)
    if frames or status != 0:
        check.explain("server_crashed", frames or f"exit status {status}, no traceback printed")
    else:
        check.explain(
            "server_stops_after_first_client",
            "the server exited (status 0) while a client was connected",
        )


def _explain_first_chunk(check: Check, server: StudentServer, n: int, m: int, pieces: int) -> bool:
    """The "echoes only its first chunk" bug: seen directly (16 of a longer message), or,
    for a message that came in pieces, confirmed by sending the long message at once."""
    first_only = n == CHUNK < m
    if not first_only and pieces > 1 and 0 < n <= CHUNK:
        first_only = _echoes_first_chunk_only(check, server)
    if first_only:
        check.explain("server_echoes_first_chunk", f"echoed {n} of {m} bytes")
    return first_only


def _echoes_first_chunk_only(check: Check, server: StudentServer) -> bool:
    settle(server)
    if not server.listening():
        return False
    traffic, waited = recorded_exchange(
        check,
        server,
        LONG.encode(),
        "then the long message at once, to tell which bug this is",
    )
    return len(traffic.received) == CHUNK and waited.ended is not Wire.DONE


def _explain_early_close(
    check: Check, server: StudentServer, payload: bytes, got: bytes, pieces: int
) -> None:
    n, m = len(got), len(payload)
    tail = m % CHUNK
    if tail and n == m - tail and pieces == 1:
        check.explain("server_drops_last_chunk", f"echoed {n} of {m} bytes", tail=tail)
    elif _explain_first_chunk(check, server, n, m, pieces):
        pass
    elif pieces > 1 and n < m:
        check.explain(
            "server_stops_on_short_chunk",
            f"the message arrived in {pieces} pieces; the server closed after {n} of {m} bytes",
        )
    elif 0 < n < m - tail:
        check.explain("server_stops_on_short_chunk", f"the server closed after {n} of {m} bytes")
