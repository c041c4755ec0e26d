"""Handles on the student's code, as the trusted checks see it.

`StudentServer` starts a student's server in the sandbox and finds the port it really
listens on from the kernel. `call_client` and `call_function` run one function of a
student's module in a separate sandboxed interpreter (grader/inside/runner.py) and bring
back what it did over a private pipe; the trusted process never imports student code.

The runner runs in the student's interpreter, so its answer is the student's bytes: the
student's code can write anything to that pipe. `Answer.read` takes nothing on trust:
the answer is parsed bounded (size and depth, `codec.read_json`), every field must have
exactly the type the runner writes and is cut to the runner's own cap, text loses any
lone surrogate, and a reply said to be a str must be text. An answer that fails any of
this is the student's failure ("your process made the grader's reading fail: ..."),
never an exception in the check.
"""

from __future__ import annotations

import base64
import contextlib
import marshal
import os
import re
import select
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from grader import codec, trace
from grader.harness.idle import IdleCheck
from grader.harness.netns import Netns, pick_port
from grader.harness.peers import Traffic
from grader.model import Captured
from grader.sandbox import Launcher, StudentProcess

POLL_S = 0.005
MIN_START_S = 2.0  # an interpreter gets at least this long to start and import the module
MAX_ANSWER = 4 << 20  # bytes of a runner's answer; more is a student writing to our pipe
FLOODED = b"flooded"
RUNNER = "runner.py"
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
class StudentServer:
    """A student's server process and the port it was found listening on.

    `netns` is the network namespace it runs in when that is not the check's own (the
    pairing checks put a relay between the student's client and server).
    """

    proc: StudentProcess
    requested_port: int
    port: int | None = None
    startup_s: float = 0.0
    workdir: str = ""  # the submission's folder as the student's code sees it
    netns: Netns | None = None

    @classmethod
    def start(
        cls,
        launcher: Launcher,
        filename: str,
        port: int,
        *,
        timeout_s: float,
        netns: Netns | None = None,
        port_env: str = "",
    ) -> StudentServer:
        """Start FILENAME with the port as argv[1] (and in $port_env, if named)."""
        args, env = [filename, str(port)], {port_env: str(port)} if port_env else {}
        with netns.entered() if netns else contextlib.nullcontext():
            warm = launcher.warm.take() if launcher.warm else None
            if warm is not None:
                proc = warm.go(args, name="your server", env=env)
                os.close(warm.stdin_w)  # nothing to read: end of file, as /dev/null gives
            else:
                proc = launcher.spawn(args, name="your server", env=env)
        _traced_start(warm is not None)
        server = cls(proc, port, workdir=launcher.workdir, netns=netns)
        server.wait_listening(timeout_s)
        trace.record(
            "student server start", start=proc.started, seconds=time.monotonic() - proc.started
        )
        return server

    def listening_ports(self) -> list[int]:
        """The ports its processes listen on, as its own network namespace sees them."""
        with self.netns.entered() if self.netns else contextlib.nullcontext():
            return self.proc.listening_ports()

    def connect(self, timeout_s: float) -> socket.socket:
        """A connection to it, made in its network namespace (raises OSError)."""
        assert self.port is not None
        with self.netns.entered() if self.netns else contextlib.nullcontext():
            return socket.create_connection(("127.0.0.1", self.port), timeout=timeout_s)

    def wait_listening(self, timeout_s: float) -> int | None:
        """Poll the kernel until the server listens, exits, or the time is up."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            ports = self.listening_ports()
            if ports:
                self.port = self.requested_port if self.requested_port in ports else ports[0]
                self.startup_s = time.monotonic() - self.proc.started
                return self.port
            if not self.proc.alive():
                # The process may have printed its last words just now.
                self.proc.stderr.join(0.2)
                return None
            time.sleep(POLL_S)
        return None

    def listening(self) -> bool:
        return self.port is not None and self.port in self.listening_ports()

    def outputs(self) -> tuple[Captured, ...]:
        return (self.proc.stdout.snapshot(), self.proc.stderr.snapshot())

    def settled(self) -> bool:
        """Gone, or every process of it asleep (e.g. waiting in accept()): not running, and
        not half-way out (a zombie in the tree means a process of it is just ending)."""
        return not self.proc.alive() or all(s in "SD" for s in self.proc.states())

    def threads(self) -> int:
        """How many threads its processes run now (a select server runs one); the
        sandbox's own processes around it (bwrap) do not count."""
        return self.proc.threads(besides=("bwrap",))

    def stop(self) -> None:
        self.proc.terminate()


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


def call_client(
    launcher: Launcher,
    filename: str,
    msg: str,
    *,
    port: int | None,
    timeout_s: float,
    traffic: Traffic | None = None,
    peer: int | None = None,
    quiescence_s: float = 0.5,
    linger: bool = False,
    on_returned: Callable[[], None] | None = None,
) -> ClientCall:
    """Run client(msg, log_buffer=..., [port=...]) in the sandbox and observe it.

    A call is declared blocked at once, instead of at the time limit, when the other
    side is known to be done and the client sits blocked (idle, no timer) for
    `quiescence_s`: the grader's own server (`traffic`) has answered all it received and no
    bytes moved, or the server process `peer` is blocked too (a deadlock). Without either,
    a slow or starved server could be mistaken for a stuck client, so only the limit ends
    the call. With `linger`, the process stays alive after returning until `on_returned`
    has looked at the wire, e.g. for an unclosed socket.
    """
    request = {"mode": "client", "function": "client", "msg": msg, "port": port, "linger": linger}
    snapshot: list[bool] = []
    timer: list[bool] = []

    def blocked(idle: IdleCheck, now: float, start: float) -> bool:
        stuck = idle()
        settled = _peer_done(traffic, peer) and now - _quiet_since(traffic, start) >= quiescence_s
        if idle.on_timer and settled and not timer:
            timer.append(True)
        return stuck and settled

    def before_kill() -> None:
        snapshot.append(bool(traffic and traffic.eof))  # before the kill closes everything
        if linger and on_returned is not None:
            on_returned()

    ran = run_runner(
        launcher,
        filename,
        request,
        name="your client",
        timeout_s=timeout_s,
        quiescence_s=quiescence_s,
        blocked=blocked,
        also=(peer,) if peer else (),
        keep_stdin=linger,
        before_kill=before_kill,
    )
    return _client_call(
        ran,
        workdir=launcher.workdir,
        waited_on_timer=bool(timer),
        peer_closed=snapshot[0] if snapshot else False,
    )


def _client_call(ran: Ran, *, workdir: str, waited_on_timer: bool, peer_closed: bool) -> ClientCall:
    """What a finished run of client() did: how it ended, and the runner's answer if any."""
    call = ClientCall(
        ran.ended or Ended.RETURNED,
        ran.elapsed_s,
        workdir=workdir,
        outputs=ran.outputs,
        timer_s=ran.idle.timer_s,
        waited_on_timer=waited_on_timer,
        peer_closed=peer_closed,
    )
    if ran.ended is None:
        _client_answer(ran.raw, call, ran.proc.returncode)
    return call


def call_function(
    launcher: Launcher,
    filename: str,
    function: str,
    args: list[Any],
    *,
    timeout_s: float,
    quiescence_s: float = 0.5,
    mode: str = "call",
) -> FunctionCall:
    """Run `function(*args)` from the staged file in the sandbox (or, with mode
    "signature", read its parameters and defaults); a call blocked for `quiescence_s` is
    declared blocked, one that keeps running (or waiting on a timer) times out."""
    request = {"mode": mode, "function": function, "args": args}
    ran = run_runner(
        launcher,
        filename,
        request,
        name=f"your {function}()",
        timeout_s=timeout_s,
        quiescence_s=quiescence_s,
        # nothing on the wire to wait for: blocked for a whole window is stuck
        blocked=lambda idle, _now, _start: idle(),
    )
    call = FunctionCall(ran.ended or Ended.RETURNED, ran.elapsed_s, outputs=ran.outputs)
    if ran.ended is None:
        _function_answer(ran.raw, call, ran.proc.returncode)
    return call


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


def _peer_done(traffic: Traffic | None, peer: int | None) -> bool:
    """The server side has nothing left to send (as far as the grader can know)."""
    if traffic is not None:
        return traffic.done()
    return peer is not None  # a server process: its idleness is in the IdleCheck


def _quiet_since(traffic: Traffic | None, start: float) -> float:
    return max(traffic.last_activity, start) if traffic is not None else start


def _write_request(fd: int, text: str, keep_open: bool) -> None:
    with contextlib.suppress(OSError):
        os.write(fd, text.encode("utf-8"))
    if not keep_open:
        os.close(fd)


def _outputs(proc: StudentProcess) -> tuple[Captured, ...]:
    return (proc.stdout.snapshot(), proc.stderr.snapshot())


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


def free_port() -> int:
    """A port nobody listens on now (in the check's own network namespace)."""
    picked = pick_port()
    if picked is not None:
        return picked
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_in_use(port: int) -> bool:
    """Whether some program listens on 127.0.0.1:port (on any address that covers it);
    an old connection in TIME_WAIT does not count."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except OSError:
        return False
    return True
