"""The machinery every runner call shares: start grader/inside/runner.py on a staged
file in the sandbox (warm if one waits), hand it the request, and read its answer from
a private pipe until it answers, runs out of time, or is found stuck."""

from __future__ import annotations

import contextlib
import marshal
import os
import select
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from grader import trace
from grader.harness.idle import IdleCheck
from grader.harness.student.answer import FLOODED, MAX_ANSWER, Ended
from grader.model import Captured
from grader.sandbox import Launcher, StudentProcess

MIN_START_S = 2.0  # an interpreter gets at least this long to start and import the module
RUNNER = "runner.py"


@dataclass
class Ran:
    """How one runner process ended: answered (ended None), timed out or blocked."""

    ended: Ended | None
    elapsed_s: float
    raw: bytes
    proc: StudentProcess
    outputs: tuple[Captured, ...]
    idle: IdleCheck


Blocked = Callable[[IdleCheck, float, float], bool]


def run_runner(
    launcher: Launcher,
    filename: str,
    request: dict[str, Any],
    *,
    name: str,
    timeout_s: float,
    quiescence_s: float,
    blocked: Blocked,
    also: tuple[int, ...] = (),
    keep_stdin: bool = False,
    before_kill: Callable[[], None] | None = None,
) -> Ran:
    """Start the runner on FILENAME in the sandbox, hand it `request` on stdin, and read
    its answer from a private pipe until it answers, runs out of time, or
    `blocked(idle, now, start)` says it is stuck. The process is always killed after.
    With `keep_stdin`, stdin stays open until `before_kill` has run (the runner lingers)."""
    proc, result_r, stdin_w = _start_runner(launcher, filename, name=name)
    text = marshal.dumps(request).hex() + "\n"  # runner.py reads it without json
    writer = threading.Thread(target=_write_request, args=(stdin_w, text, keep_stdin), daemon=True)
    writer.start()
    idle = IdleCheck(proc, quiescence_s, also=also)
    clock = Clock(timeout_s)
    raw, ended = _collect(result_r, proc, idle, clock, blocked)
    elapsed = time.monotonic() - clock.start
    trace.record("student runner start", start=proc.started, seconds=clock.start - proc.started)
    trace.record("student call", start=clock.start, seconds=elapsed)
    if before_kill is not None:
        before_kill()
    if keep_stdin:
        os.close(stdin_w)
    proc.terminate()
    return Ran(ended, elapsed, raw, proc, _outputs(proc), idle)


def _start_runner(
    launcher: Launcher, filename: str, *, name: str
) -> tuple[StudentProcess, int, int]:
    """The runner on FILENAME, warm if one is waiting in this network: its process, the
    read end of its answer pipe and the write end of its stdin."""
    warm = launcher.warm.take() if launcher.warm else None
    _traced_start(warm is not None)
    if warm is not None:
        args = [launcher.program(RUNNER), str(warm.answer_fd), filename]
        return warm.go(args, name=name, answer=True), warm.answer_r, warm.stdin_w
    result_r, result_w = os.pipe()
    stdin_r, stdin_w = os.pipe()
    try:
        proc = launcher.spawn(
            [launcher.program(RUNNER), str(result_w), filename],
            name=name,
            pass_fds=(result_w,),
            stdin=stdin_r,
        )
    finally:
        os.close(result_w)
        os.close(stdin_r)
    return proc, result_r, stdin_w


def _traced_start(warm: bool) -> None:
    trace.record(
        f"student process ({'warm' if warm else 'cold'})", start=time.monotonic(), seconds=0
    )


def _collect(
    fd: int,
    proc: StudentProcess,
    idle: IdleCheck,
    clock: Clock,
    blocked: Blocked,
) -> tuple[bytes, Ended | None]:
    """Read the answer pipe to its end; the time limit holds while data flows, and more
    than MAX_ANSWER bytes is not an answer (a student writing to the pipe directly)."""
    raw = bytearray()
    try:
        while True:
            now = time.monotonic()
            if clock.over(now):
                return bytes(raw), Ended.TIMEOUT
            ready, _, _ = select.select([fd], [], [], 0.02)
            if ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    return bytes(raw), None
                if not raw and chunk.startswith(b"\n"):
                    clock.call_started()
                raw += chunk
                if len(raw) > MAX_ANSWER:
                    return FLOODED, None  # not an answer: a student writing to our pipe
                continue
            if not proc.alive():
                continue  # drain: the next select sees EOF
            if blocked(idle, now, clock.start):
                return bytes(raw), Ended.BLOCKED
    finally:
        os.close(fd)


@dataclass
class Clock:
    """The time limits of one call: starting the interpreter and importing the module
    (at least MIN_START_S), then the call itself (the check's limit)."""

    timeout_s: float
    start: float = field(default_factory=time.monotonic)
    called: float | None = None

    def call_started(self) -> None:
        self.called = time.monotonic()
        self.start = self.called

    def over(self, now: float) -> bool:
        if self.called is None:
            return now - self.start > max(self.timeout_s, MIN_START_S)
        return now - self.called > self.timeout_s


def _write_request(fd: int, text: str, keep_open: bool) -> None:
    with contextlib.suppress(OSError):
        os.write(fd, text.encode("utf-8"))
    if not keep_open:
        os.close(fd)


def _outputs(proc: StudentProcess) -> tuple[Captured, ...]:
    return (proc.stdout.snapshot(), proc.stderr.snapshot())
