"""The grader's own reading of an HTTP response (trusted, standard library only).

It is lenient where one mistake should cost one check, not all of them: lines may end
in \\n alone and the body may run to the close without a Content-Length, and `Response`
records each such departure (`crlf`, `blank_line`, `length`) so the form check can judge
it. It never reads past what arrived, and keeps what it parses as small as what the
harness kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

STATUS = re.compile(rb"^HTTP/(\d)\.(\d) (\d{3})(?: (.*))?$")
HEADER = re.compile(rb"^[!#$%&'*+.^_`|~0-9A-Za-z-]+:")
MAX_HEADERS = 100


@dataclass(frozen=True)
class Response:
    """One response as the grader read it."""

    raw: bytes
    status_line: bytes  # the first line, without its line end
    code: int | None  # None: the first line is not `HTTP/x.y NNN reason`
    reason: str
    headers: tuple[tuple[str, str], ...]  # (lower-case name, value), in order
    body: bytes  # after the blank line, cut at Content-Length when it says less
    came: int  # bytes that came after the blank line (more than the body, if cut)
    blank_line: bool  # an empty line ended the headers
    crlf: bool  # every line of the head ended in \r\n
    length: int | None  # Content-Length, if given and a number
    length_bad: bool  # a Content-Length that is not a number

    def header(self, name: str) -> str | None:
        return next((v for n, v in self.headers if n == name), None)

    @property
    def media_type(self) -> str:
        """The Content-Type without parameters, lower case ('' when missing)."""
        return (self.header("content-type") or "").split(";", 1)[0].strip().lower()


@dataclass(frozen=True)
class Head:
    """Where the head of a response ends: the separator's offset and the body's start."""

    at: int  # where the last line of the head ends, before its line end (len(raw) if none)
    body: int  # where the body starts (len(raw) if no empty line)
    separator: bytes  # the last line end and the empty line: b"\r\n\r\n", b"\n\n"... (b"" none)


def head_of(raw: bytes) -> Head:
    """The first empty line ends the head, if every line before it is the status line or a
    header (`Name: value`); a line that is neither means the head ran into the body with
    no empty line between (a body may hold empty lines of its own). Lines may end in
    \r\n or, a departure the form check judges, \n alone."""
    at = 0
    content_end = 0  # where the previous line's text ended (before its line end)
    for n in range(MAX_HEADERS + 1):
        end = raw.find(b"\n", at)
        if end < 0:
            break
        line = raw[at:end].rstrip(b"\r")
        if not line and n > 0:
            return Head(content_end, end + 1, raw[content_end : end + 1])
        if n > 0 and not HEADER.match(line):
            return Head(at, len(raw), b"")
        content_end = at + len(line)
        at = end + 1
    return Head(at if at < len(raw) else len(raw), len(raw), b"")


def parse(raw: bytes) -> Response:
    """Read a response (possibly cut short, possibly malformed) without failing."""
    head = head_of(raw)
    blank = bool(head.separator)
    lines = raw[: head.at].split(b"\n")[:MAX_HEADERS]
    ended = lines if blank else lines[:-1]  # lines that ended (the last is cut, if no blank)
    crlf = head.separator == b"\r\n\r\n" and all(ln.endswith(b"\r") for ln in ended[:-1])
    if not blank:
        crlf = bool(ended) and all(ln.endswith(b"\r") for ln in ended)
    first = raw.split(b"\n", 1)[0].rstrip(b"\r")[:1000]
    status = STATUS.match(first)
    headers = _headers(lines[1:])
    length_text = next((v for n, v in headers if n == "content-length"), None)
    length = int(length_text) if length_text is not None and length_text.isdigit() else None
    body = raw[head.body :] if blank else b""
    if length is not None and len(body) > length:
        body = body[:length]
    return Response(
        raw=raw,
        status_line=first,
        code=int(status.group(3)) if status else None,
        reason=(status.group(4) or b"").decode("latin-1") if status else "",
        headers=headers,
        body=body,
        came=len(raw) - head.body if blank else 0,
        blank_line=blank,
        crlf=crlf,
        length=length,
        length_bad=length_text is not None and length is None,
    )


def _headers(lines: list[bytes]) -> tuple[tuple[str, str], ...]:
    """`Name: value` lines, up to the first line that is not one."""
    found = []
    for line in lines:
        name, colon, value = line.rstrip(b"\r").partition(b":")
        if not colon or not name.strip() or b" " in name.strip():
            break
        found.append((name.strip().decode("latin-1").lower(), value.strip().decode("latin-1")))
    return tuple(found)


def complete(received: bytes) -> bool:
    """The response is whole: its head has ended and Content-Length bytes of body came.
    Without a Content-Length, only the server's close ends it."""
    head = head_of(received)
    if not head.separator:
        return False
    length = parse(received).length
    return length is not None and len(received) - head.body >= length
