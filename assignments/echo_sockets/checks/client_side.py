"""Judging the student's client from the wire.

A client check passes only if the server it met (the grader's own, or one behind the
grader's relay) received exactly the message, in full, on one connection, and client()
returned exactly what the server sent back on that connection. What the client logs or
returns is never taken on its word: a client that fakes the echo never passes.

When a client hangs, the check looks again itself (the same client, a message whose
length is not a multiple of 16) to tell "stops on a short chunk" from "waits for the
server to close", so no diagnosis depends on which checks ran before.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import commands
from messages import CHUNK, SHORT, show, show_text

from grader.harness import Check, ClientCall, Ended, Hang, Traffic, student_traceback

Probe = Callable[[str], ClientCall]  # call the same client() again on another message


@dataclass
class Met:
    """What the grader saw of the server a client met: every connection's bytes."""

    connections: list[Traffic] = field(default_factory=list)
    port: int = 0

    def carried(self, msg: str) -> Traffic | None:
        """The connection on which the server received exactly `msg`, if any."""
        want = msg.encode()
        return next(
            (c for c in self.connections if c.received_n == len(want) and c.received == want),
            None,
        )

    def received(self) -> int:
        return max((c.received_n for c in self.connections), default=0)


def record_reply(
    check: Check, call: ClientCall, msg: str, expected: str, *, label: str, met: Met
) -> None:
    """The transcript of one client() call: what the server got, what client() returned."""
    talk = met.carried(msg) or next(iter(met.connections), None)
    notes = {
        Ended.BLOCKED: "client() did not return (it waited, idle)",
        Ended.TIMEOUT: "client() did not return in time",
        Ended.RAISED: f"client() raised {call.exception_type}",
        Ended.EXITED: "the client process ended without returning",
        Ended.MISSING: "there is no client() to call",
    }
    note = notes.get(call.ended, "")
    if talk is not None:
        note += ("; " if note else "") + f"the server sent back {talk.sent_n} bytes"
    else:
        note += ("; " if note else "") + "no connection reached the server"
    check.exchange(
        label,
        sent=bytes(talk.received) if talk is not None else b"",
        received=call.reply,
        expected=expected.encode(),
        elapsed_s=round(call.elapsed_s, 3),
        note=note,
    )


def judge_reply(
    check: Check,
    call: ClientCall,
    msg: str,
    *,
    met: Met,
    filename: str,
    serve: str,
    probe: Probe | None = None,
) -> str:
    """Judge one client() call from the wire; return its reply when it is right.

    `serve` is the command that starts the server it met; `probe` lets the check call
    the client again to tell one bug from another (None when the server is the
    student's own and may be the one at fault: then no bug of the client is guessed).
    """
    check.commands(serve, commands.client(msg, filename))
    _ended_badly(check, call, filename)
    if call.ended in (Ended.BLOCKED, Ended.TIMEOUT):
        _explain_hang(check, call, msg, met, probe)
    talk = met.carried(msg)
    if talk is None:
        _not_sent(check, call, msg, met)
    if call.reply_type != "str":
        _wrong_type(check, call)
    assert talk is not None
    sent_back = bytes(talk.answer)
    reply = call.text or ""
    if reply.encode("utf-8", "surrogatepass") != sent_back:
        _wrong_reply(check, msg, reply, sent_back, guess=probe is not None)
    if call.waited_on_timer and probe is not None:
        _timer_advice(check, call)
    return reply


def _ended_badly(check: Check, call: ClientCall, filename: str) -> None:
    if call.ended is Ended.MISSING:
        check.fail(f"{filename} has no function named client(msg, log_buffer=...).")
    if call.ended is Ended.RAISED:
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
    if call.ended is Ended.EXITED:
        check.fail(call.exception_message + ".")


def _not_sent(check: Check, call: ClientCall, msg: str, met: Met) -> None:
    """The server never received exactly the message on one connection."""
    size = len(msg.encode())
    if not met.connections:
        check.fail(f"your client never connected to the server on port {met.port}.")
    got = met.received()
    if got == 0 and size:
        check.explain("client_sends_nothing", f"server received 0 of {size} bytes")
    check.fail(
        f"the server received {got} bytes on any one connection, not the {size}-byte message: "
        "client() must send the whole message (sock.sendall(msg.encode('utf-8'))) and build "
        "its reply from what comes back."
    )


def _wrong_reply(check: Check, msg: str, reply: str, sent_back: bytes, *, guess: bool) -> None:
    expected = sent_back.decode("utf-8", "replace")
    if reply == msg and msg != expected:
        check.explain(
            "client_returns_what_it_sent",
            f"sent {show(msg.encode())}, server replied {show(sent_back)}, "
            f"client returned {show(reply.encode())}",
        )
        check.fail("client() returned what it sent instead of what the server sent back.")
    if guess and reply and expected.startswith(reply):
        check.explain(
            "client_stops_early",
            f"returned {show_text(reply)}",
            got=len(reply.encode()),
            total=len(sent_back),
        )
    check.fail(
        f"client() returned {show_text(reply)} ({len(reply.encode())} bytes), not the "
        f"{len(sent_back)}-byte reply the server sent back."
    )


def _explain_hang(check: Check, call: ClientCall, msg: str, met: Met, probe: Probe | None) -> None:
    talk = met.carried(msg)
    got = f"{talk.sent_n} bytes" if talk is not None else "its reply"
    size = len(msg.encode())
    if call.ended is Ended.BLOCKED:
        if probe is not None and size % CHUNK == 0 and _returns_on_other_lengths(probe):
            check.explain(
                "client_stops_on_short_chunk",
                f"the server had sent all {got}; the client sat idle for {check.quiescence_s:g} "
                f"s, while a {len(SHORT)}-byte message came back at once",
                size=size,
            )
        elif probe is not None and not call.peer_closed:
            check.explain(
                "client_waits_for_close",
                f"the server had echoed {got} and was waiting for the client to close",
            )
        check.hung(
            Hang.BLOCKED,
            f"client() did not return: it was sent {got} and then waited idle (no CPU, no "
            f"timer, no bytes) for {check.quiescence_s:g} s.",
        )
    check.hung(
        Hang.BUSY,
        f"client() was still running (using CPU, or waiting on a timer) after "
        f"{check.timeout_s:g} s: look for a loop that keeps calling recv() after it returned "
        "b'', or a socket timeout longer than the check allows.",
    )


def _returns_on_other_lengths(probe: Probe) -> bool:
    """Does the same client return on a message whose length is not a multiple of 16?"""
    again = probe(SHORT)
    return again.ended is Ended.RETURNED and again.text == SHORT


def _wrong_type(check: Check, call: ClientCall) -> None:
    if call.reply_type in ("bytes", "bytearray"):
        check.explain("client_returns_bytes", f"returned {show(call.reply)}")
        check.fail(f"client() returned bytes {show(call.reply)}, not a str.")
    if call.reply_type == "NoneType":
        check.explain("client_returns_none", "returned None")
        check.fail("client() returned None instead of the reply.")
    if call.reply_type.endswith(".str"):  # a class of its own named str: not the real one
        check.fail(
            f"client() returned an object of its own class {call.reply_type} "
            f"({call.reply_repr}), not a str: return the str itself."
        )
    check.fail(f"client() returned a {call.reply_type} ({call.reply_repr}), not a str.")


def _timer_advice(check: Check, call: ClientCall) -> None:
    waited = f"{call.timer_s:g} s " if call.timer_s else ""
    check.explain(
        "client_waits_for_timeout",
        f"the server had sent everything; client() then waited on its {waited}timer "
        f"before returning after {call.elapsed_s:.2f} s",
        timeout=waited,
    )


def log_chunks(log: str) -> list[str]:
    return re.findall(r'^received "(.*)"\s*$', log, flags=re.MULTILINE)
