"""Messages of the echo_sockets checks, and the helpers that turn what happened on the
wire into a verdict a student can act on (what was sent, what came back, what it means).
"""

from __future__ import annotations

import re
from pathlib import Path

from grader.harness.config import RunConfig
from grader.harness.peers import Traffic, exchange
from grader.harness.plugin import Check
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

EXPRESSIONS = {
    MEBIBYTE: "b''.join(b'%015d\\n' % i for i in range(65536))",
    ARBITRARY: "bytes([0xFF, 0xFE, 0x00, 0x80, 0xC3, 0x28, 0xA0, 0xA1]) * 5 + b'\\x00end'",
}


def literal(data: bytes | str) -> str:
    """A short Python expression for a message, for the reproduce commands."""
    if isinstance(data, bytes) and data in EXPRESSIONS:
        return EXPRESSIONS[data]
    return repr(data)


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


# ---------------------------------------------------------------- the server side


def repro_port(server: StudentServer, config: RunConfig) -> int:
    """The port the student's server uses on their own machine when started without args."""
    return server.port if server.port != server.requested_port else config.default_port


def repro_send(port: int, payload: bytes) -> str:
    return (
        "python -c \"import socket; s = socket.create_connection(('127.0.0.1', "
        f"{port})); s.sendall({literal(payload)}); s.settimeout(5); "
        'print(s.recv(65536)); s.close()"'
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
    """Drive the student's server with a trusted client; fail with an explanation."""
    assert server.port is not None
    check.commands(repro_send(repro_port(server, config), payload))
    traffic, waited = exchange(
        server.port,
        payload,
        timeout_s=check.timeout_s,
        idle=IdleCheck(server.proc, check.quiescence_s),
        quiescence_s=check.quiescence_s,
        pieces=pieces,
        piece_pause_s=piece_pause_s,
    )
    got = bytes(traffic.received)
    check.exchange(
        label,
        sent=bytes(traffic.sent),
        received=got,
        expected=payload,
        elapsed_s=round(waited.elapsed_s, 3),
        note=f"{pieces} pieces, {piece_pause_s:g} s apart" if pieces > 1 else "",
    )
    n, m = len(got), len(payload)
    if waited.ended == "done":
        if got[:m] != payload:
            first = next(i for i in range(min(n, m)) if got[i] != payload[i])
            check.fail(
                f"your server sent back different bytes from byte {first} on: expected "
                f"{show(payload[first : first + 16])}, got {show(got[first : first + 16])}."
            )
        return
    died = not server.proc.alive()
    if waited.ended == "error":
        check.fail(f"{traffic.error}.")
    if died:
        check.diagnose(
            "server_crashed",
            "your server process ended during this exchange; its output below shows why.",
            f"exit status {server.proc.returncode}",
        )
        check.fail(f"your server crashed after echoing {n} of {m} bytes.")
    if waited.ended == "eof":
        _explain_early_close(check, payload, got, pieces)
    if waited.ended == "blocked":
        if n == 0 and m > 0:
            check.diagnose(
                "server_waits_for_close",
                "your server echoed nothing while the client waited for the echo: it seems to "
                "wait for the client to close (or for more data) before it sends anything, "
                "while the client waits for the echo before it closes. Both wait forever: a "
                "deadlock. Send each chunk back as soon as you receive it.",
                f"sent {m} bytes, received 0; server idle for {check.quiescence_s:g} s",
            )
        check.hung(
            "blocked",
            f"your server echoed {n} of {m} bytes and then stopped: for {check.quiescence_s:g} s "
            "it used no CPU and sent nothing, so it is waiting for something that will not come.",
        )
    check.hung(
        "busy",
        f"your server echoed {n} of {m} bytes in {check.timeout_s:g} s and was still busy "
        "(using CPU) at the limit: look for a loop that never waits, e.g. one that keeps "
        "calling recv() after it returned b''.",
    )


def _explain_early_close(check: Check, payload: bytes, got: bytes, pieces: int) -> None:
    n, m = len(got), len(payload)
    tail = m % CHUNK
    if pieces > 1 and n < m:
        check.diagnose(
            "server_stops_on_short_chunk",
            "your server ended the message when a recv() returned fewer than 16 bytes. TCP "
            "may deliver a message in pieces of any size, so a short chunk does not mean the "
            "message is complete: keep reading until recv() returns b'' (the client closed).",
            f"the message arrived in {pieces} pieces; the server closed after {n} of {m} bytes",
        )
    elif tail and n == m - tail:
        check.diagnose(
            "server_drops_last_chunk",
            f"your server echoed only the full 16-byte chunks and dropped the last {tail} "
            "bytes: send back every chunk you receive, including a final shorter one.",
            f"echoed {n} of {m} bytes",
        )
    elif n == CHUNK and m > 2 * CHUNK:
        check.diagnose(
            "server_echoes_first_chunk",
            "your server echoed the first 16-byte chunk and then closed the connection: keep "
            "receiving and echoing in a loop until the client has finished.",
            f"echoed {n} of {m} bytes",
        )
    elif 0 < n < m - tail:
        check.diagnose(
            "server_stops_on_short_chunk",
            "your server closed the connection in the middle of the message. A recv(16) may "
            "return fewer than 16 bytes whenever less has arrived so far, so a short chunk "
            "does not mean the message is complete: keep reading until recv() returns b''.",
            f"the server closed after {n} of {m} bytes",
        )
    check.fail(f"your server closed the connection after echoing {n} of {m} bytes.")


# ---------------------------------------------------------------- the client side


def student_frames(traceback: str) -> str:
    """Keep the frames of the student's code (and what it called), drop the grader's."""
    lines = traceback.splitlines()
    out: list[str] = []
    skip = False
    for line in lines:
        if line.startswith('  File "<string>"') or line.startswith('  File "<frozen'):
            skip = True
            continue
        if skip and line.startswith("    "):
            continue
        skip = False
        out.append(line)
    return "\n".join(out)


def repro_client(msg: str, filename: str, port_note: str = "") -> str:
    module = Path(filename).stem
    return f'python -c "from {module} import client; print(repr(client({literal(msg)})))"' + (
        f"   # {port_note}" if port_note else ""
    )


def expect_reply(
    check: Check,
    call: ClientCall,
    msg: str,
    expected: str,
    *,
    label: str,
    traffic: Traffic | None,
    filename: str,
    server_note: str = "start your server first: python echo_server.py",
) -> str:
    """Judge one client() call; return its reply when it is the expected str."""
    check.commands(server_note, repro_client(msg, filename))
    sent = bytes(traffic.received) if traffic is not None else msg.encode()
    echoed = bytes(traffic.sent) if traffic is not None else None
    check.exchange(
        label,
        sent=sent,
        received=call.reply,
        expected=expected.encode(),
        elapsed_s=round(call.elapsed_s, 3),
        note=f"the server sent back {show(echoed)}" if echoed is not None else "",
    )
    if call.ended == "missing":
        check.fail(f"{filename} has no function named client(msg, log_buffer=...).")
    if call.ended == "raised":
        where = "importing your client module" if call.phase == "import" else "client()"
        check.diagnose(
            "client_crashed",
            f"{where} raised {call.exception_type}; the traceback below shows your code's frames.",
            student_frames(call.traceback),
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
    CLIENT_HUNG[len(msg.encode())] = call.ended in ("blocked", "timeout")
    if traffic is not None and msg and not traffic.received and call.ended == "returned":
        check.diagnose(
            "client_sends_nothing",
            "the server received nothing from your client: it never sent the message. Send "
            "it with sock.sendall(msg.encode('utf-8')) before receiving.",
            f"server received 0 of {len(msg.encode())} bytes",
        )
    if call.ended in ("blocked", "timeout"):
        _explain_client_hang(check, call, msg, traffic)
    if call.reply_type != "str":
        _explain_wrong_type(check, call)
    reply = call.text or ""
    if reply != expected:
        if reply == msg and msg != expected:
            check.diagnose(
                "client_returns_what_it_sent",
                "your client returned the message it sent, not what the server sent back. "
                "This server changes the letters it echoes, so only a client that returns the "
                "received bytes passes: build the reply from the chunks you recv().",
                f"sent {show(msg.encode())}, server replied {show(expected.encode())}, "
                f"client returned {show(reply.encode())}",
            )
            check.fail("client() returned what it sent instead of what the server sent back.")
        if reply and expected.startswith(reply):
            check.diagnose(
                "client_stops_early",
                f"your client returned only the first {len(reply.encode())} of "
                f"{len(expected.encode())} bytes: it stopped reading before the whole reply "
                "had arrived, probably at the first chunk shorter than 16 bytes. A server may "
                "send the reply in pieces of any size: keep reading until you have as many "
                "bytes as you sent.",
                f"returned {show_text(reply)}",
            )
        check.fail(
            f"client() returned {show_text(reply)}, but the server sent {show_text(expected)}."
        )
    return reply


# Whether client() hung, by message size, across the checks of this run (they run in file
# order, short and long messages first): a client that hangs on every message waits for
# the server to close; one that hangs only on multiples of 16 stops on a short chunk.
CLIENT_HUNG: dict[int, bool] = {}


def _explain_client_hang(check: Check, call: ClientCall, msg: str, traffic: Traffic | None) -> None:
    size = len(msg.encode())
    got = f"{len(traffic.sent)} bytes" if traffic is not None else "the reply"
    waits_for_close = any(hung for n, hung in CLIENT_HUNG.items() if n % CHUNK)
    if call.ended == "blocked":
        if size % CHUNK == 0 and not waits_for_close:
            check.diagnose(
                "client_stops_on_short_chunk",
                "your client stops reading only when a chunk is shorter than 16 bytes, so a "
                f"message whose length is a multiple of 16 (this one is {size} bytes) never "
                "ends: after the last full chunk it waits for more data that never comes. "
                "Keep count of the bytes received and stop when you have as many as you sent.",
                f"the server had sent all {got}; the client sat idle for {check.quiescence_s:g} s",
            )
        elif not call.peer_closed:
            check.diagnose(
                "client_waits_for_close",
                "your client waits for the server to close the connection, while the server "
                "waits for your client to close it first: both wait forever (a deadlock). "
                "Stop reading when you have received as many bytes as you sent.",
                f"the server had echoed {got} and was waiting for the client to close",
            )
        check.hung(
            "blocked",
            f"client() did not return: it was sent {got} and then waited idle (no CPU, "
            f"no bytes) for {check.quiescence_s:g} s.",
        )
    check.hung(
        "busy",
        f"client() was still running and using CPU after {check.timeout_s:g} s: look for a "
        "loop that keeps calling recv() after it returned b''.",
    )


def _explain_wrong_type(check: Check, call: ClientCall) -> None:
    if call.reply_type in ("bytes", "bytearray"):
        check.diagnose(
            "client_returns_bytes",
            "client() must return a str, but it returned bytes: decode the complete reply "
            "once at the end with .decode('utf-8').",
            f"returned {show(call.reply)}",
        )
        check.fail(f"client() returned bytes {show(call.reply)}, not a str.")
    if call.reply_type == "NoneType":
        check.diagnose(
            "client_returns_none",
            "client() returned None: it has no `return` statement for the reply (or returns "
            "before receiving).",
            "returned None",
        )
        check.fail("client() returned None instead of the reply.")
    check.fail(f"client() returned a {call.reply_type} ({call.reply_repr}), not a str.")


def log_chunks(log: str) -> list[str]:
    return re.findall(r'^received "(.*)"\s*$', log, flags=re.MULTILINE)
