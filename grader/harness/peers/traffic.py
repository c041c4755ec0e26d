"""What the grader's peers record of the wire: the bytes of one connection (`Traffic`:
copies capped, counts exact, and when bytes last moved, which is what hang detection
reads), and how a wait for a reply ended (`Wire`, `Waited`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

HOST = "127.0.0.1"
KEEP = (2 << 20) + (64 << 10)  # bytes kept of each direction: a 1 MiB reply and some


@dataclass
class Traffic:
    """Bytes seen on one trusted connection (or server), updated live.

    `received` is what the peer sent us, `sent` what we sent it, and `answer` the whole
    reply we owe it for what it sent (a trickling server has not sent all of it yet).
    Copies keep the first KEEP bytes; the counts are exact however much a peer floods.
    """

    sent: bytearray = field(default_factory=bytearray)
    received: bytearray = field(default_factory=bytearray)
    answer: bytearray = field(default_factory=bytearray)
    last_activity: float = field(default_factory=time.monotonic)
    sent_n: int = 0
    received_n: int = 0
    eof: bool = False
    error: str = ""
    # Set by a trusted server: True when it has read and answered all that arrived.
    settled: Callable[[], bool] | None = None
    # Set by a relay: True when every connection through it has ended both ways, so
    # nothing more can arrive and nobody needs to wait for stragglers.
    ended: Callable[[], bool] | None = None
    # Set by a trusted server: True when no connection waits to be accepted and the one
    # it serves (if any) has ended, i.e. it has seen all a finished client did.
    caught_up: Callable[[], bool] | None = None

    def took(self, data: bytes) -> None:
        self.received_n += len(data)
        room = KEEP - len(self.received)
        if room > 0:
            self.received += data[:room]
        self.last_activity = time.monotonic()

    def owe(self, data: bytes) -> None:
        room = KEEP - len(self.answer)
        if room > 0:
            self.answer += data[:room]

    def gave(self, data: bytes) -> None:
        self.sent_n += len(data)
        room = KEEP - len(self.sent)
        if room > 0:
            self.sent += data[:room]
        self.last_activity = time.monotonic()

    def done(self) -> bool:
        """Our side has nothing left to do: every byte that arrived was read and answered."""
        if self.settled is not None:
            return self.settled()
        return self.sent_n >= self.received_n


IdleProbe = Callable[[], bool]
"""Returns True when the other side (a student process) is blocked: nothing can wake it."""


class Wire(Enum):
    """How the grader's client's wait for a reply ended."""

    DONE = "done"  # the whole reply came back
    EOF = "eof"  # the server closed first
    BLOCKED = "blocked"  # the server sat blocked with nothing moving
    TIMEOUT = "timeout"  # the check's time limit
    ERROR = "error"  # could not connect, or the connection failed


@dataclass(frozen=True)
class Waited:
    """How a wait ended, and after how long."""

    ended: Wire
    elapsed_s: float
