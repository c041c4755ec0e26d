"""Judging the student's web server from the wire: send a request with the grader's own
client, record the transcript, read the response with the grader's own parser
(responses.py), and turn what happened into a verdict a student can act on: what was
sent, what came back, what it means (a code from diagnoses.py, with its evidence), and
how to see it at home.

Every check gathers its own evidence and starts its own server (the fixtures), so no
verdict depends on another check. Failure messages never quote an expected body.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

from responses import Response, complete, parse

from grader.harness import (
    Check,
    Hang,
    IdleCheck,
    RunConfig,
    StudentServer,
    Traffic,
    Waited,
    Wire,
    converse,
    student_traceback,
    wait_until,
)

PEER = "grade-peer"
DATA = "webroot"  # the [[data]] folder of assignment.toml, staged beside the server


def request(path: str, method: str = "GET", headers: str = "") -> bytes:
    """A request as a browser would send it (no body)."""
    return f"{method} {path} HTTP/1.1\r\nHost: localhost\r\n{headers}\r\n".encode("latin-1")


@dataclass(frozen=True)
class Asked:
    """One request and what came of it."""

    request: bytes
    traffic: Traffic
    waited: Waited

    @property
    def received(self) -> bytes:
        return bytes(self.traffic.received)

    @property
    def whole_request_sent(self) -> bool:
        return self.traffic.sent_n >= len(self.request)


def webroot(config: RunConfig) -> Path:
    """The web root as the student's server had it (the grader staged it)."""
    return config.staged / DATA


def server_port(server: StudentServer, config: RunConfig) -> int:
    """The port the student's server uses at home, started without arguments."""
    if server.port not in (None, server.requested_port):
        return server.port
    return config.default_port


def commands(
    check: Check, server: StudentServer, config: RunConfig, sent: bytes, pieces: int = 1
) -> None:
    """How to see this request at home: the student's server, the grader's client."""
    staged = config.file("server")
    check.commands(
        f"python {staged.name if staged else 'http_server.py'}   # terminal 1: your server"
    )
    port = server_port(server, config)
    option = "" if port == config.default_port else f" --port {port}"
    if pieces > 1:
        option += f" --pieces {pieces} --pause 0.15"
    text = sent.decode("latin-1").replace("\\", "\\\\").replace("%", "%%")
    printf = "printf " + shlex.quote(text.replace("\r", "\\r").replace("\n", "\\n"))
    check.commands(
        f"{printf} | {PEER} send --until-close{option} -   # terminal 2: the grader's client"
    )


def ask(
    check: Check,
    server: StudentServer,
    sent: bytes,
    label: str,
    *,
    config: RunConfig,
    pieces: int = 1,
    pause_s: float = 0.15,
) -> Asked:
    """Send one request on a new connection with the grader's client (hang detection on
    the server's processes) and put the exchange in the check's transcript."""
    assert server.port is not None
    commands(check, server, config, sent, pieces)
    traffic, waited = converse(
        sent,
        port=server.port,
        timeout_s=check.timeout_s,
        complete=complete,
        idle=IdleCheck(server.proc, check.quiescence_s),
        quiescence_s=check.quiescence_s,
        pieces=pieces,
        piece_pause_s=pause_s if pieces > 1 else 0.0,
    )
    note = f"the request in {pieces} pieces, {pause_s:g} s apart" if pieces > 1 else ""
    if traffic.sent_n < len(sent):
        note += f"; the server answered after {traffic.sent_n} of {len(sent)} bytes"
    check.exchange(
        label,
        sent=bytes(traffic.sent),
        received=bytes(traffic.received),
        elapsed_s=round(waited.elapsed_s, 3),
        note=note.lstrip("; "),
    )
    return Asked(sent, traffic, waited)


def settle(server: StudentServer, timeout_s: float = 1.0) -> None:
    """Wait until the server is gone or back at accept() (listening, every process
    asleep): a server that closed a connection may be on its way out."""
    wait_until(
        lambda: not server.proc.alive() or (server.settled() and server.listening()), timeout_s
    )


def answered(
    check: Check, server: StudentServer, asked: Asked, *, missing: bool = False
) -> Response:
    """The response, or fail the check saying why there is none: a hang, a crash, an
    empty close. `missing`: the request was for a file that does not exist."""
    waited, got = asked.waited, asked.received
    if waited.ended is Wire.BLOCKED:
        _blocked(check, asked)
    if waited.ended is Wire.TIMEOUT:
        check.hung(
            Hang.BUSY,
            f"your server sent {len(got)} bytes in {check.timeout_s:g} s and was still busy "
            "(running, or waiting on a timer) at the limit: look for a loop that never "
            "waits, e.g. one that keeps calling recv() after it returned b''.",
        )
    if waited.ended is Wire.ERROR and not got:
        check.fail(f"{asked.traffic.error}.")
    if not got:
        settle(server)
        if not server.proc.alive():
            explain_crash(check, server, missing=missing)
            check.fail("your server crashed before it answered.")
        check.fail("your server closed the connection without sending a response.")
    return parse(got)


def _blocked(check: Check, asked: Asked) -> None:
    got = asked.received
    quiet = f"for {check.quiescence_s:g} s it used no CPU, set no timer and sent nothing"
    if not got:
        check.explain(
            "server_waits_for_close",
            f"sent the {len(asked.request)}-byte request, received 0 bytes; the server then "
            f"sat idle for {check.quiescence_s:g} s with the connection open",
        )
        check.hung(
            Hang.BLOCKED,
            f"your server received the whole request and answered nothing: {quiet}, so it "
            "is waiting for something that will not come.",
        )
    response = parse(got)
    if response.blank_line and response.length is None:
        check.explain(
            "no_length_no_close",
            f"received a {len(got)}-byte response without Content-Length; the server then "
            f"kept the connection open, idle, for {check.quiescence_s:g} s",
        )
    check.hung(
        Hang.BLOCKED,
        f"your server sent {len(got)} bytes, then stopped with the connection open: {quiet}, "
        "and the client could not know the response had ended.",
    )


def explain_crash(check: Check, server: StudentServer, *, missing: bool = False) -> None:
    """The server is gone: say why, with the student's own frames of the traceback."""
    server.proc.settle_output()  # its last words may still be on their way
    frames = student_traceback(server.proc.stderr.text(), server.workdir)
    last = frames.strip().splitlines()[-1] if frames.strip() else ""
    if last.startswith("TypeError") and ("bytes" in last or "str" in last):
        check.explain("body_as_str", frames, how=f"it crashed with {last}")
    elif missing and last.startswith(("FileNotFoundError", "IsADirectoryError", "OSError")):
        check.explain("crash_on_missing_file", frames, error=last.split(":", 1)[0])
    else:
        status = server.proc.returncode
        check.explain("server_crashed", frames or f"exit status {status}, no traceback printed")


def expect_status_line(check: Check, response: Response) -> int:
    """The status code, or fail: the first line is not `HTTP/x.y NNN reason`."""
    if response.code is None:
        if looks_like_repr(response.raw):
            check.explain("body_as_str", f"the response began {response.raw[:40]!r}", how=REPR_HOW)
        else:
            check.explain("bad_status_line", f"the first line was {response.status_line[:200]!r}")
        check.fail(
            f"the first line of your response is not a status line: {_short(response.status_line)}."
        )
    return response.code


def expect_status(check: Check, response: Response, want: int, *, what: str) -> None:
    """Fail unless the status line is well formed and says `want`."""
    if expect_status_line(check, response) != want:
        said = f"{response.code} {response.reason}".strip()
        check.explain(
            "wrong_status",
            f"status line {_short(response.status_line)}",
            what=what,
            said=said,
            want=want,
        )
        check.fail(f"for {what} your server answered {said}, not {want}.")


REPR_HOW = "what it sent starts with b' (Python's way of writing bytes as text)"


def looks_like_repr(data: bytes, of: bytes | None = None) -> bool:
    """`data` is Python's `b'...'` text of bytes (of `of`, when given): the bytes went
    through str() or an f-string before they were sent."""
    if not data.startswith((b"b'", b'b"')) or len(data) < 3:
        return False
    if of is None:
        return True
    shown = repr(of).encode("ascii")
    k = min(len(data), len(shown), 64)
    return data[:k] == shown[:k]


def expect_blank_line(check: Check, response: Response) -> None:
    """Fail unless an empty line ends the headers (else there is no body to judge)."""
    if not response.blank_line:
        check.explain(
            "no_blank_line",
            f"the {len(response.raw)} bytes received hold no empty line after the headers",
        )
        check.fail("your response has no empty line after its headers, so it has no body.")


def expect_body(check: Check, response: Response, want: bytes, *, name: str) -> None:
    """Fail unless the body is exactly `want` (the file `name` of the web root)."""
    expect_blank_line(check, response)
    check.exchange(f"the body, compared with {name}", received=response.body, expected=want)
    if response.body == want:
        return
    if looks_like_repr(response.body, want):
        check.explain("body_as_str", f"the body began {response.body[:40]!r}", how=REPR_HOW)
    elif response.length is not None and response.length != response.came:
        check.explain(
            "content_length_mismatch",
            f"Content-Length: {response.length}; {response.came} bytes came after the headers",
            said=response.length,
            got=response.came,
        )
    n, m = len(response.body), len(want)
    first = next((i for i in range(min(n, m)) if response.body[i] != want[i]), min(n, m))
    check.fail(
        f"the body differs from {name}: {n} bytes came, the file has {m}, and they differ "
        f"from byte {first} on. Send the file's bytes exactly as they are on disk."
    )


def expect_type(check: Check, response: Response, want: str, *, ext: str) -> None:
    """Fail unless the Content-Type is `want` (parameters such as charset are fine)."""
    said = response.header("content-type")
    if response.media_type == want:
        return
    check.explain("wrong_content_type", f"Content-Type: {said}", ext=ext, said=said, want=want)
    check.fail(
        f"your server said Content-Type: {said or '(none)'} for a .{ext} file, not {want}."
        if said
        else f"your response has no Content-Type header; a .{ext} file is {want}."
    )


def _short(data: bytes, limit: int = 80) -> str:
    text = repr(bytes(data))
    return text if len(text) <= limit else f"{text[: limit - 15]}...{text[-10:]}"
