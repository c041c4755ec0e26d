"""Messages of the echo_sockets checks, and the helpers that turn what happened on the
wire into a verdict a student can act on: what was sent, what came back, what it means
(a code from diagnoses.py, with the evidence), and how to see it at home.

Failure messages describe what the student's code did and never quote the expected
reply (sizes only): the expected side lives in the transcript, which a check with
`detail = "actual-only"` hides.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from grader.harness.config import RunConfig
from grader.harness.diagnosis import student_traceback
from grader.harness.peers import Traffic, Waited, exchange
from grader.harness.plugin import Check, wait_until
from grader.harness.student import ClientCall, IdleCheck, StudentServer

CHUNK = 16
SHORT = "Hello, sockets"
SIXTEEN = "sixteen bytes!!!"
THIRTY_TWO = "thirty-two bytes: two chunks :-)"
LONG = "Four score and seven years ago our fathers did stuff"
NON_ASCII_SPLIT = "fifteen bytes!!é and some more"  # 'é' spans bytes 15 and 16
MEBIBYTE = b"".join(b"%015d\n" % i for i in range(65536))
ARBITRARY = bytes([0xFF, 0xFE, 0x00, 0x80, 0xC3, 0x28, 0xA0, 0xA1]) * 5 + b"\x00end"
assert (len(SIXTEEN), len(THIRTY_TWO), len(LONG), len(MEBIBYTE)) == (16, 32, 52, 1 << 20)
assert len(NON_ASCII_SPLIT[:15].encode()) == 15

# Short Python expressions for the payloads that are not text (double quotes only, so the
# commands can sit in single shell quotes).
EXPRESSIONS = {
    MEBIBYTE: 'b"".join(b"%015d\\n" % i for i in range(65536))',
    ARBITRARY: 'bytes([0xFF, 0xFE, 0x00, 0x80, 0xC3, 0x28, 0xA0, 0xA1]) * 5 + b"\\x00end"',
}
PEER = "grade-peer"  # the grader's client and servers as a command (grader/harness/repro.py)


def show(data: bytes | None, limit: int = 120) -> str:
    """Escape and shorten bytes for a sentence (the report shows them in full detail)."""
    if data is None:
        return "nothing"
    text = repr(bytes(data))
    if len(text) > limit:
        return f"{text[: limit - 20]}...{text[-12:]} ({len(data)} bytes)"
    return text


def show_text(text: str, limit: int = 120) -> str:
    shown = repr(text)
    return (
        shown
        if len(shown) <= limit
        else f"{shown[: limit - 20]}...{shown[-12:]} ({len(text)} chars)"
    )


# ---------------------------------------------------------------- reproduce at home
# Commands for a POSIX shell, in the student's repository, two terminals. The student's
# programs run without arguments, as the template's contract has it (port 10000 unless
# their code says otherwise).


def _port_option(port: int, config: RunConfig) -> str:
    return "" if port == config.default_port else f" --port {port}"


def repro_send(
    port: int, payload: bytes, config: RunConfig, *, pieces: int = 1, pause_s: float = 0.0
) -> str:
    """The grader's client sending payload, as a command."""
    options = _port_option(port, config)
    if pieces > 1:
        options += f" --pieces {pieces} --pause {pause_s:g}"
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and payload not in EXPRESSIONS:
        return f"{PEER} send{options} {shlex.quote(text)}   # terminal 2: the grader's client"
    expression = EXPRESSIONS.get(payload, repr(payload).replace("'", '"'))
    writer = shlex.quote(f"import sys; sys.stdout.buffer.write({expression})")
    return f"python -c {writer} | {PEER} send{options} -   # terminal 2: the grader's client"


def repro_server_port(server: StudentServer, config: RunConfig) -> int:
    """The port the student's server uses at home, started without arguments."""
    return server.port if server.port not in (None, server.requested_port) else config.default_port


def repro_serve(
    config: RunConfig, *, shift: int = 0, trickle: int = 0, pause_s: float = 0.0
) -> str:
    """The grader's server for the student's client, as a command."""
    port = config.client_port_literal or config.default_port
    options = _port_option(port, config)
    if shift:
        options += f" --shift {shift}"
    if trickle:
        options += f" --trickle {trickle} --pause {pause_s:g}"
    return f"{PEER} serve{options}   # terminal 1: the grader's server (Ctrl-C stops it)"


def repro_client(msg: str, filename: str, note: str = "terminal 2: your client") -> str:
    module = Path(filename).stem
    literal = json.dumps(msg, ensure_ascii=False)  # a Python str literal in double quotes
    code = f"from {module} import client; print(repr(client({literal})))"
    return f"python -c {shlex.quote(code)}   # {note}"


def repro_server(config: RunConfig) -> str:
    return f"python {config.files.get('server', 'echo_server.py')}   # terminal 1: your server"


# ---------------------------------------------------------------- the server side


@dataclass(frozen=True)
class Echo:
    """How one exchange with the student's server went; failed ones say how to fail."""

    ok: bool
    hang: str = ""  # "blocked" or "busy" when the server stopped making progress
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
    assert server.port is not None
    check.commands(
        repro_server(config),
        repro_send(
            repro_server_port(server, config),
            payload,
            config,
            pieces=pieces,
            pause_s=piece_pause_s,
        ),
    )
    traffic, waited = recorded_exchange(
        check,
        server,
        payload,
        label,
        pieces=pieces,
        piece_pause_s=piece_pause_s,
        note=f"{pieces} pieces, {piece_pause_s:g} s apart" if pieces > 1 else "",
    )
    got = bytes(traffic.received)
    n, m = len(got), len(payload)
    if waited.ended == "done":
        if got[:m] != payload:
            first = next(i for i in range(min(n, m)) if got[i] != payload[i])
            return Echo(
                False,
                message=f"your server sent back different bytes from byte {first} on "
                f"({show(got[first : first + 16])}...): it must send back exactly what it "
                "received.",
            )
        return Echo(True)
    if waited.ended in ("eof", "error"):
        settle(server)
    if not server.proc.alive():
        explain_crash(check, server)
        return Echo(False, message=f"your server crashed after echoing {n} of {m} bytes.")
    if waited.ended == "error":
        return Echo(False, message=f"{traffic.error}.")
    if waited.ended == "eof":
        _explain_early_close(check, payload, got, pieces)
        return Echo(
            False, message=f"your server closed the connection after echoing {n} of {m} bytes."
        )
    if waited.ended == "blocked":
        _explain_first_chunk(check, n, m, pieces)
        if n == 0 and m > 0:
            check.explain(
                "server_waits_for_close",
                f"sent {m} bytes, received 0; the server then sat idle for "
                f"{check.quiescence_s:g} s",
            )
        return Echo(
            False,
            "blocked",
            f"your server echoed {n} of {m} bytes and then stopped: for {check.quiescence_s:g} "
            "s it used no CPU and sent nothing, so it is waiting for something that will not "
            "come.",
        )
    return Echo(
        False,
        "busy",
        f"your server echoed {n} of {m} bytes in {check.timeout_s:g} s and was still busy "
        "(using CPU) at the limit: look for a loop that never waits, e.g. one that keeps "
        "calling recv() after it returned b''.",
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
    if echo.hang:
        check.hung(echo.hang, echo.message)
    if not echo.ok:
        check.fail(echo.message)


def settle(server: StudentServer, timeout_s: float = 1.0) -> None:
    """Wait until the server is gone or back at accept(): a server that closed a
    connection may be on its way out (a crash, or one that serves a single client), and
    it closes its listening socket before it is gone."""
    wait_until(
        lambda: (
            not server.proc.alive()
            or (server.settled() and server.port in server.proc.listening_ports())
        ),
        timeout_s,
    )


def explain_crash(check: Check, server: StudentServer) -> None:
    """The server is gone: a crash (with the student's frames), or a clean exit."""
    server.proc.stderr.join(0.2)  # its last words may still be on their way
    status = server.proc.returncode
    frames = student_traceback(server.proc.stderr.text(), server.workdir)
    if frames or status != 0:
        check.explain("server_crashed", frames or f"exit status {status}, no traceback printed")
    else:
        check.explain(
            "server_stops_after_first_client",
            "the server exited (status 0) while a client was connected",
        )


# Server diagnoses given earlier in this run (checks run in file order, the whole-message
# ones first): a message in pieces cut short after one piece is the same bug as the long
# message cut after its first chunk, not a new one.
SERVER_SEEN: set[str] = set()


def _explain_first_chunk(check: Check, n: int, m: int, pieces: int) -> bool:
    first_only = n == CHUNK < m or (
        pieces > 1 and 0 < n <= CHUNK and "server_echoes_first_chunk" in SERVER_SEEN
    )
    if first_only:
        SERVER_SEEN.add("server_echoes_first_chunk")
        check.explain("server_echoes_first_chunk", f"echoed {n} of {m} bytes")
    return first_only


def _explain_early_close(check: Check, payload: bytes, got: bytes, pieces: int) -> None:
    n, m = len(got), len(payload)
    tail = m % CHUNK
    if tail and n == m - tail and pieces == 1:
        check.explain("server_drops_last_chunk", f"echoed {n} of {m} bytes", tail=tail)
    elif _explain_first_chunk(check, n, m, pieces):
        pass
    elif pieces > 1 and n < m:
        check.explain(
            "server_stops_on_short_chunk",
            f"the message arrived in {pieces} pieces; the server closed after {n} of {m} bytes",
        )
    elif 0 < n < m - tail:
        check.explain("server_stops_on_short_chunk", f"the server closed after {n} of {m} bytes")


# ---------------------------------------------------------------- the client side


def expect_reply(
    check: Check,
    call: ClientCall,
    msg: str,
    expected: str,
    *,
    label: str,
    traffic: Traffic | None,
    filename: str,
    serve: str,
    guess: bool = True,
) -> str:
    """Judge one client() call; return its reply when it is the expected str.

    `serve` is the command that starts the server it met; `guess` allows the diagnoses
    that infer the client's bug from the wire (off when the server is the student's own
    and may be the one at fault).
    """
    record_reply(check, call, msg, expected, label=label, traffic=traffic)
    return judge_reply(
        check, call, msg, expected, traffic=traffic, filename=filename, serve=serve, guess=guess
    )


def record_reply(
    check: Check,
    call: ClientCall,
    msg: str,
    expected: str,
    *,
    label: str,
    traffic: Traffic | None,
) -> None:
    """The transcript of one client() call: what it sent, what it returned, the timing."""
    sent = bytes(traffic.received) if traffic is not None else msg.encode()
    notes = {
        "blocked": "client() did not return (it waited, idle)",
        "timeout": "client() did not return in time",
        "raised": f"client() raised {call.exception_type}",
        "exited": "the client process ended without returning",
        "missing": "there is no client() to call",
    }
    note = notes.get(call.ended, "")
    if traffic is not None:
        note += ("; " if note else "") + f"the server sent back {len(traffic.sent)} bytes"
    check.exchange(
        label,
        sent=sent,
        received=call.reply,
        expected=expected.encode(),
        elapsed_s=round(call.elapsed_s, 3),
        note=note,
    )


def judge_reply(
    check: Check,
    call: ClientCall,
    msg: str,
    expected: str,
    *,
    traffic: Traffic | None,
    filename: str,
    serve: str,
    guess: bool = True,
) -> str:
    check.commands(serve, repro_client(msg, filename))
    if call.ended == "missing":
        check.fail(f"{filename} has no function named client(msg, log_buffer=...).")
    if call.ended == "raised":
        where = "importing your client module" if call.phase == "import" else "client()"
        if not check.diagnosed():  # a more specific diagnosis already explains it
            check.explain(
                "client_crashed",
                student_traceback(call.traceback, call.workdir),
                where=where,
                exception=call.exception_type,
            )
        if call.phase == "import":
            check.fail(
                f"importing {filename} raised {call.exception_type}: {call.exception_message}. "
                "Code at module level runs on import: put it under "
                "`if __name__ == '__main__':`."
            )
        check.fail(f"client() raised {call.exception_type}: {call.exception_message}")
    if call.ended == "exited":
        check.fail(call.exception_message + " (did it call sys.exit() or os._exit()?).")
    if guess:
        CLIENT_HUNG[len(msg.encode())] = call.ended in ("blocked", "timeout")
    if traffic is not None and msg and not traffic.received and call.ended == "returned":
        check.explain("client_sends_nothing", f"server received 0 of {len(msg.encode())} bytes")
    if call.ended in ("blocked", "timeout"):
        _explain_client_hang(check, call, msg, traffic, guess=guess)
    if call.reply_type != "str":
        _explain_wrong_type(check, call)
    reply = call.text or ""
    if reply != expected:
        if reply == msg and msg != expected:
            check.explain(
                "client_returns_what_it_sent",
                f"sent {show(msg.encode())}, server replied {show(expected.encode())}, "
                f"client returned {show(reply.encode())}",
            )
            check.fail("client() returned what it sent instead of what the server sent back.")
        if guess and reply and expected.startswith(reply):
            check.explain(
                "client_stops_early",
                f"returned {show_text(reply)}",
                got=len(reply.encode()),
                total=len(expected.encode()),
            )
        check.fail(
            f"client() returned {show_text(reply)} ({len(reply.encode())} bytes), not the "
            f"{len(expected.encode())}-byte reply the server sent back."
        )
    return reply


# Whether client() hung, by message size, across the checks of this run (they run in file
# order, short and long messages first): a client that hangs on every message waits for
# the server to close; one that hangs only on multiples of 16 stops on a short chunk.
CLIENT_HUNG: dict[int, bool] = {}


def _explain_client_hang(
    check: Check, call: ClientCall, msg: str, traffic: Traffic | None, *, guess: bool
) -> None:
    size = len(msg.encode())
    got = f"{len(traffic.sent)} bytes" if traffic is not None else "its reply"
    waits_for_close = any(hung for n, hung in CLIENT_HUNG.items() if n % CHUNK)
    if call.ended == "blocked":
        if guess and size % CHUNK == 0 and not waits_for_close:
            check.explain(
                "client_stops_on_short_chunk",
                f"the server had sent all {got}; the client sat idle for {check.quiescence_s:g} s",
                size=size,
            )
        elif guess and not call.peer_closed:
            check.explain(
                "client_waits_for_close",
                f"the server had echoed {got} and was waiting for the client to close",
            )
        check.hung(
            "blocked",
            "client() did not return: "
            + (f"it was sent {got} and then " if traffic is not None else "it ")
            + f"waited idle (no CPU, no bytes) for {check.quiescence_s:g} s.",
        )
    check.hung(
        "busy",
        f"client() was still running and using CPU after {check.timeout_s:g} s: look for a "
        "loop that keeps calling recv() after it returned b''.",
    )


def _explain_wrong_type(check: Check, call: ClientCall) -> None:
    if call.reply_type in ("bytes", "bytearray"):
        check.explain("client_returns_bytes", f"returned {show(call.reply)}")
        check.fail(f"client() returned bytes {show(call.reply)}, not a str.")
    if call.reply_type == "NoneType":
        check.explain("client_returns_none", "returned None")
        check.fail("client() returned None instead of the reply.")
    check.fail(f"client() returned a {call.reply_type} ({call.reply_repr}), not a str.")


def log_chunks(log: str) -> list[str]:
    return re.findall(r'^received "(.*)"\s*$', log, flags=re.MULTILINE)
