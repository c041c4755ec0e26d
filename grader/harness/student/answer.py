"""What a runner says a call of student code did, read as the student's bytes.

The runner (grader/inside/runner.py) runs in the student's interpreter, so its answer is
the student's bytes: the student's code can write anything to that pipe. `Answer.read`
takes nothing on trust: the answer is parsed bounded (size and depth,
`codec.read_json`), every field must have exactly the type the runner writes and is cut
to the runner's own cap, text loses any lone surrogate, and a reply said to be a str
must be text. An answer that fails any of this is the student's failure ("your process
made the grader's reading fail: ..."), never an exception in the check.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from grader import codec
from grader.model import Captured

MAX_ANSWER = 4 << 20  # bytes of a runner's answer; more is a student writing to our pipe
FLOODED = b"flooded"
# The runner's own caps (grader/inside/runner.py), enforced again on what arrives.
MAX_TEXT = 20_000
MAX_LOG = 65_536
MAX_MESSAGE = 2_000
MAX_TRACEBACK = 8_000
MAX_LOOKUPS = 5_000
MAX_PARAMS = 8
UNREADABLE = "your process made the grader's reading fail: {why}, instead of returning from {what}"
FORGED = "it wrote something other than the runner's answer to the grader's private answer pipe"
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def text_field(value: object, *, limit: int) -> str:
    """A text field of a runner's answer: exactly a str, cut to `limit`, with every lone
    surrogate replaced (so any later encode() works); anything else reads as ""."""
    if type(value) is not str:
        return ""
    return _LONE_SURROGATE.sub("\ufffd", value[:limit])


def int_field(value: object, *, default: int) -> int:
    """A count of a runner's answer: exactly an int (not a bool), not negative."""
    return value if type(value) is int and 0 <= value < 1 << 53 else default


class Ended(Enum):
    """How a runner's call of student code ended, as observed from outside."""

    RETURNED = "returned"
    RAISED = "raised"
    EXITED = "exited"  # the process ended without answering (or answered nonsense)
    BLOCKED = "blocked"  # idle, with nothing that could wake it
    TIMEOUT = "timeout"  # still running, or waiting on a timer, at the limit
    MISSING = "missing"  # the module has no such function


@dataclass
class Answer:
    """How a runner's call of student code ended, and what the runner reported."""

    ended: Ended
    elapsed_s: float
    exception_type: str = ""
    exception_message: str = ""
    traceback: str = ""
    phase: str = ""
    outputs: tuple[Captured, ...] = ()
    timer_s: float | None = None  # the timeout it waited on, when the call says it
    waited_on_timer: bool = False  # idle but for a timer, with the other side done

    def read(self, raw: bytes, code: int | None, what: str) -> dict[str, Any] | None:
        """Parse the runner's answer (bounded, see the module docstring) and record how
        the call ended; None if there is none, or it is malformed (that counts against
        the student's code). A raise or a missing function sets `ended`."""
        if raw is FLOODED:
            self.ended = Ended.EXITED
            self.exception_message = (
                f"the process wrote over {MAX_ANSWER >> 20} MiB to the grader's private "
                f"answer pipe instead of returning from {what}, and was stopped"
            )
            return None
        if not raw.strip():
            self.ended = Ended.EXITED
            self.exception_message = (
                f"the process ended (exit status {code}) without returning from {what} (did "
                "it call sys.exit() or os._exit()?)"
            )
            return None
        try:
            data = codec.read_json(raw, max_bytes=MAX_ANSWER)
        except ValueError as error:
            self.unreadable(f"{FORGED} ({error})", what=what)
            return None
        if type(data) is not dict or data.get("schema") != 1:
            self.unreadable(FORGED, what=what)
            return None
        self.phase = text_field(data.get("phase"), limit=20)
        raised = data.get("exception")
        if type(raised) is dict:
            self.ended = Ended.RAISED
            self.exception_type = text_field(raised.get("type"), limit=200) or "an exception"
            self.exception_message = text_field(raised.get("message"), limit=MAX_MESSAGE)
            self.traceback = text_field(raised.get("traceback"), limit=MAX_TRACEBACK)
        elif data.get("missing") is True:
            self.ended = Ended.MISSING
        return data

    def unreadable(self, why: str, *, what: str) -> None:
        """The answer cannot be read: the student's process ended the call badly."""
        self.ended = Ended.EXITED
        self.exception_type = ""
        self.exception_message = UNREADABLE.format(why=why, what=what)


@dataclass
class ClientCall(Answer):
    """What one call of the student's client() did."""

    reply: bytes | None = None
    reply_len: int = 0
    reply_type: str = ""
    reply_repr: str = ""
    log: str = ""
    peer_closed: bool = False  # the trusted server had seen the client close, before cleanup
    workdir: str = ""  # the submission's folder as the student's code sees it

    @property
    def text(self) -> str | None:
        """The reply decoded as UTF-8 if it was a str, else None (`Answer.read` has made
        sure a str's reply decodes)."""
        if self.reply is None or self.reply_type != "str":
            return None
        try:
            return self.reply.decode("utf-8", "surrogatepass")
        except UnicodeDecodeError:
            return None


@dataclass
class FunctionCall(Answer):
    """What one call of a student's function did (mode "call") or declares ("signature")."""

    value_repr: str = ""
    value_type: str = ""
    printed: str = ""
    lookups: list[tuple[int | str, str | None]] = field(default_factory=list)  # port, service
    lookup_count: int = 0
    params: list[str] = field(default_factory=list)
    defaults: list[dict[str, Any]] = field(default_factory=list)

    @property
    def said(self) -> str:
        """Everything the function reported: its return value and what it printed."""
        return f"{self.value_repr}\n{self.printed}"


def _client_answer(raw: bytes, call: ClientCall, code: int | None) -> None:
    data = call.read(raw, code, "client()")
    if data is None:
        return
    call.log = text_field(data.get("log"), limit=MAX_LOG)  # kept even when client() raised
    if call.ended is not Ended.RETURNED:
        return
    call.reply_type = text_field(data.get("type"), limit=200)
    call.reply_repr = text_field(data.get("repr"), limit=MAX_TEXT)
    reply = data.get("reply")
    if type(reply) is str:
        try:
            call.reply = base64.b64decode(reply, validate=True)
        except ValueError:
            call.unreadable(f"{FORGED} (a reply that is not base64)", what="client()")
            return
    if call.reply_type == "str" and call.text is None:
        call.unreadable(f"{FORGED} (a str reply that is not UTF-8)", what="client()")
        return
    call.reply_len = int_field(data.get("reply_len"), default=len(call.reply or b""))


def _function_answer(raw: bytes, call: FunctionCall, code: int | None) -> None:
    data = call.read(raw, code, "the function")
    if data is None:
        return
    call.printed = text_field(data.get("printed"), limit=MAX_TEXT)
    call.lookups = [
        found for e in _list(data.get("lookups"))[:MAX_LOOKUPS] if (found := _lookup(e))
    ]
    call.lookup_count = int_field(data.get("lookup_count"), default=len(call.lookups))
    call.params = [text_field(p, limit=200) for p in _list(data.get("params"))[:MAX_PARAMS]]
    call.defaults = [d for d in map(_default, _list(data.get("defaults"))[:2]) if d]
    if call.ended is Ended.RETURNED:
        call.value_type = text_field(data.get("type"), limit=200)
        call.value_repr = text_field(data.get("repr"), limit=MAX_TEXT)


def _lookup(entry: object) -> tuple[int | str, str | None] | None:
    """One getservbyport call as the runner reports it: [port or its repr, name or null]."""
    if type(entry) is not list or len(entry) != 2:
        return None
    port, name = entry
    if type(port) is int:
        shown: int | str = port
    elif type(port) is str:
        shown = text_field(port, limit=200)
    else:
        return None
    return shown, text_field(name, limit=200) if type(name) is str else None


def _default(entry: object) -> dict[str, Any] | None:
    """A parameter's default as the runner reports it: given, its int value, its repr."""
    if type(entry) is not dict or type(entry.get("given")) is not bool:
        return None
    number = entry.get("int")
    return {
        "given": entry["given"],
        "int": number if type(number) is int else None,
        "repr": text_field(entry.get("repr"), limit=200),
    }


def _list(value: object) -> list[Any]:
    return value if type(value) is list else []
