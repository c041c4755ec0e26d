"""Handles on the student's code, as the trusted checks see it.

`StudentServer` starts `echo_server.py` in the sandbox and finds the port it really
listens on from /proc. `call_client` runs the student's `client()` in a separate
sandboxed interpreter and brings back its reply, type and log over a private pipe; the
trusted process never imports student code.
"""

from __future__ import annotations

import base64
import collections
import contextlib
import json
import os
import select
import socket
import textwrap
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from grader.harness.peers import Traffic
from grader.model import Captured
from grader.sandbox import Launcher, StudentProcess, procfs

POLL_S = 0.005


# Runs inside the sandbox as `python -c RUNNER RESULT_FD MODULE_FILE`; stdlib only. The
# reply travels on a pipe fd of its own, so whatever the student prints cannot be taken
# for it, and the process ends with os._exit so student atexit hooks and stray non-daemon
# threads cannot hold it open.
def runner_script(*, setup: str, call: str, finish: str, after: str = "") -> str:
    """The text of a runner: load the student's module from its path, then `call` (with
    `function` bound, in the "call" phase), then `finish`; every exception is recorded,
    and the result goes to the private pipe as one JSON object (schema 1)."""
    return (
        "import base64, contextlib, io, json, os, socket, sys, traceback\n"
        "channel = os.fdopen(int(sys.argv[1]), 'w', encoding='utf-8')\n"
        "path = sys.argv[2]\n"
        "req = json.loads(sys.stdin.readline())\n"
        "result = {'schema': 1, 'phase': 'import'}\n" + setup + "try:\n"
        "    import importlib.util\n"
        "    name = os.path.splitext(os.path.basename(path))[0]\n"
        "    spec = importlib.util.spec_from_file_location(name, path)\n"
        "    module = importlib.util.module_from_spec(spec)\n"
        "    sys.modules[name] = module\n"
        "    spec.loader.exec_module(module)\n"
        "    function = getattr(module, req['function'], None)\n"
        "    if not callable(function):\n"
        "        result['missing'] = True\n"
        "    else:\n"
        "        result['phase'] = 'call'\n"
        + textwrap.indent(call, " " * 8)
        + "except BaseException as exc:\n"
        "    result['exception'] = {\n"
        "        'type': type(exc).__name__,\n"
        "        'message': str(exc)[:2000],\n"
        "        'traceback': ''.join(traceback.format_exception(exc))[-8000:],\n"
        "    }\n" + finish + "channel.write(json.dumps(result))\n"
        "channel.flush()\n"
        "channel.close()\n" + after + "os._exit(0)\n"
    )


RUNNER = runner_script(
    setup=(
        "log = io.StringIO()\n"
        "def b64(data):\n"
        "    return base64.b64encode(bytes(data)).decode('ascii')\n"
    ),
    call=(
        "kwargs = {'log_buffer': log}\n"
        "if req.get('port') is not None:\n"
        "    kwargs['port'] = req['port']\n"
        "reply = function(req['msg'], **kwargs)\n"
        "result['type'] = type(reply).__name__\n"
        "if isinstance(reply, str):\n"
        "    result['reply'] = b64(reply.encode('utf-8', 'surrogatepass'))\n"
        "elif isinstance(reply, (bytes, bytearray)):\n"
        "    result['reply'] = b64(reply)\n"
        "else:\n"
        "    result['repr'] = repr(reply)[:2000]\n"
    ),
    finish="result['log'] = log.getvalue()[-65536:]\n",
    after="if req.get('linger'):\n    sys.stdin.read()\n",
)


class IdleCheck:
    """Is the student's process tree blocked? Less than 10% of a core over the last window,
    nothing runnable, and no thread in a timed sleep.

    Sampled on every call (at most every 20 ms), so a verdict always covers a whole
    window: a blocked process reads as idle within about `window_s`, while a busy loop
    never does and runs into the check's time limit instead.
    """

    BUSY_SHARE = 0.10

    def __init__(
        self, proc: StudentProcess, window_s: float = 0.5, *, also: tuple[int, ...] = ()
    ) -> None:
        self.proc = proc
        self.also = also  # other process trees that must be idle too (the peer server)
        self.window_s = window_s
        # (time, CPU seconds, whether anything was runnable or in disk wait at that time)
        self.samples: collections.deque[tuple[float, float, bool]] = collections.deque()
        self.busy_seen = False
        self._sample()

    def _sample(self) -> None:
        now = time.monotonic()
        if self.samples and now - self.samples[-1][0] < 0.02:
            return
        pids = self._pids()
        running = any(state in "RD" for state in procfs.states(pids))
        self.samples.append((now, procfs.cpu_seconds(pids), running))
        # keep one sample older than the window, to measure the window against
        while len(self.samples) > 2 and self.samples[1][0] <= now - self.window_s:
            self.samples.popleft()

    def __call__(self) -> bool:
        self._sample()
        now, cpu, _ = self.samples[-1]
        then, cpu_then, _ = self.samples[0]
        if now - then < self.window_s:
            return False  # not watched for a whole window yet
        # Little CPU, and never seen runnable in the window: a process starved of CPU on
        # a loaded machine uses little CPU too, but it is runnable whenever we look.
        idle = (cpu - cpu_then) < self.BUSY_SHARE * (now - then) and not any(
            running for _, _, running in self.samples
        )
        if idle:
            # asleep by choice (time.sleep) is slow, not stuck
            idle = not procfs.timed_sleep(self._pids())
        self.busy_seen = self.busy_seen or not idle
        return idle

    def _pids(self) -> list[int]:
        return self.proc.tree() + [p for root in self.also for p in procfs.tree(root)]


@dataclass
class StudentServer:
    """A student's server process and the port it was found listening on."""

    proc: StudentProcess
    requested_port: int
    port: int | None = None
    startup_s: float = 0.0
    workdir: str = ""  # the submission's folder as the student's code sees it

    @classmethod
    def start(
        cls, launcher: Launcher, filename: str, port: int, *, timeout_s: float
    ) -> StudentServer:
        proc = launcher.spawn(
            [filename, str(port)], name="your server", env={"ECHO_PORT": str(port)}
        )
        server = cls(proc, port, workdir=launcher.workdir)
        server.wait_listening(timeout_s)
        return server

    def wait_listening(self, timeout_s: float) -> int | None:
        """Poll /proc until the server listens, exits, or the time is up."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            ports = self.proc.listening_ports()
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

    def outputs(self) -> tuple[Captured, ...]:
        return (self.proc.stdout.snapshot(), self.proc.stderr.snapshot())

    def settled(self) -> bool:
        """Gone, or every process of it asleep (e.g. waiting in accept()): not running, and
        not half-way out (a zombie in the tree means a process of it is just ending)."""
        return not self.proc.alive() or all(s in "SD" for s in procfs.states(self.proc.tree()))

    def stop(self) -> None:
        self.proc.terminate()


@dataclass
class Answer:
    """How a runner's call of student code ended, as observed from outside."""

    ended: str  # "returned", "raised", "exited", "blocked", "timeout", "missing"
    elapsed_s: float
    exception_type: str = ""
    exception_message: str = ""
    traceback: str = ""
    phase: str = ""
    outputs: tuple[Captured, ...] = ()

    def read(self, raw: bytes, code: int | None, what: str) -> dict[str, Any] | None:
        """Parse the runner's JSON strictly and record how the call ended; None if it
        is malformed (that counts against the student's code: a process that exited
        without answering). A raise or a missing function sets `ended`."""
        try:
            data = json.loads(raw.decode("utf-8"))
            if not isinstance(data, dict) or data.get("schema") != 1:
                raise ValueError("bad schema")
        except (ValueError, UnicodeDecodeError):
            self.ended = "exited"
            self.exception_message = (
                f"the process ended (exit status {code}) without returning from {what}"
            )
            return None
        self.phase = str(data.get("phase", ""))
        exc = data.get("exception")
        if isinstance(exc, dict):
            self.ended = "raised"
            self.exception_type = str(exc.get("type", ""))
            self.exception_message = str(exc.get("message", ""))
            self.traceback = str(exc.get("traceback", ""))
        elif data.get("missing"):
            self.ended = "missing"
        return data


@dataclass
class ClientCall(Answer):
    """What one call of the student's client() did."""

    reply: bytes | None = None
    reply_type: str = ""
    reply_repr: str = ""
    log: str = ""
    busy: bool = False
    peer_closed: bool = False  # the trusted server had seen the client close, before cleanup
    workdir: str = ""  # the submission's folder as the student's code sees it

    @property
    def text(self) -> str | None:
        """The reply decoded as UTF-8 if it was a str, else None."""
        if self.reply is None or self.reply_type != "str":
            return None
        return self.reply.decode("utf-8", "surrogatepass")


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
    on_returned: object = None,
) -> ClientCall:
    """Run client(msg, log_buffer=..., [port=...]) in the sandbox and observe it.

    A call is declared blocked at once, instead of at the full timeout, when the other
    side is known to be done and the client sits idle (no CPU) for `quiescence_s`: the
    grader's own server (`traffic`) has echoed all it received and no bytes moved, or the
    server process `peer` is idle too (a deadlock). Without either, a slow or starved
    server could be mistaken for a stuck client, so only the timeout ends the call. A busy
    loop always runs into the timeout. With `linger`, the process stays alive after returning until
    `on_returned` (a callable) has looked at the wire, e.g. for an unclosed socket.
    """
    request = json.dumps({"function": "client", "msg": msg, "port": port, "linger": linger})
    snapshot: list[bool] = []

    def blocked(idle: IdleCheck, now: float, start: float) -> bool:
        return (
            idle()
            and _peer_done(traffic, peer)
            and now - _quiet_since(traffic, start) >= quiescence_s
        )

    def before_kill() -> None:
        snapshot.append(bool(traffic and traffic.eof))  # before the kill closes everything
        if linger and callable(on_returned):
            on_returned()

    ran = run_runner(
        launcher,
        RUNNER,
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
    call = ClientCall(
        ran.ended or "returned",
        ran.elapsed_s,
        workdir=launcher.workdir,
        outputs=ran.outputs,
        busy=ran.busy,
        peer_closed=snapshot[0] if snapshot else False,
    )
    if ran.ended:
        return call
    return _parse(ran.raw, call, ran.proc)


@dataclass
class Ran:
    """How one runner process ended: answered (ended ""), "timeout" or "blocked"."""

    ended: str
    elapsed_s: float
    raw: bytes
    proc: StudentProcess
    outputs: tuple[Captured, ...]
    busy: bool


Blocked = Callable[[IdleCheck, float, float], bool]


def run_runner(
    launcher: Launcher,
    code: str,
    filename: str,
    request: str,
    *,
    name: str,
    timeout_s: float,
    quiescence_s: float,
    blocked: Blocked,
    also: tuple[int, ...] = (),
    keep_stdin: bool = False,
    before_kill: Callable[[], None] | None = None,
) -> Ran:
    """Start `python -c CODE RESULT_FD FILENAME` in the sandbox, hand it `request` on
    stdin, and collect its answer from a private pipe until it answers, runs out of time,
    or `blocked(idle, now, start)` says it is stuck. The process is always killed after.
    With `keep_stdin`, stdin stays open until `before_kill` has run (the runner lingers)."""
    result_r, result_w = os.pipe()
    stdin_r, stdin_w = os.pipe()
    try:
        proc = launcher.spawn(
            ["-c", code, str(result_w), filename],
            name=name,
            pass_fds=(result_w,),
            stdin=stdin_r,
        )
    finally:
        os.close(result_w)
        os.close(stdin_r)
    writer = threading.Thread(
        target=_write_request, args=(stdin_w, request, keep_stdin), daemon=True
    )
    writer.start()
    idle = IdleCheck(proc, quiescence_s, also=also)
    raw = bytearray()
    start = time.monotonic()
    ended = ""
    while True:
        now = time.monotonic()
        ready, _, _ = select.select([result_r], [], [], 0.02)
        if ready:
            chunk = os.read(result_r, 65536)
            if not chunk:
                break
            raw += chunk
            continue
        if not proc.alive():
            continue  # drain: the next select sees EOF
        if now - start > timeout_s:
            ended = "timeout"
            break
        if blocked(idle, now, start):
            ended = "blocked"
            break
    elapsed = time.monotonic() - start
    os.close(result_r)
    if before_kill is not None:
        before_kill()
    if keep_stdin:
        os.close(stdin_w)
    proc.terminate()
    return Ran(ended, elapsed, bytes(raw), proc, _outputs(proc), idle.busy_seen)


def _peer_done(traffic: Traffic | None, peer: int | None) -> bool:
    """The server side has nothing left to send (as far as the grader can know)."""
    if traffic is not None:
        return traffic.done()
    return peer is not None  # a server process: its idleness is in the IdleCheck


def _quiet_since(traffic: Traffic | None, start: float) -> float:
    return max(traffic.last_activity, start) if traffic is not None else start


def _write_request(fd: int, request: str, keep_open: bool) -> None:
    with contextlib.suppress(OSError):
        os.write(fd, (request + "\n").encode("utf-8"))
    if not keep_open:
        os.close(fd)


def _outputs(proc: StudentProcess) -> tuple[Captured, ...]:
    return (proc.stdout.snapshot(), proc.stderr.snapshot())


def _parse(raw: bytes, call: ClientCall, proc: StudentProcess) -> ClientCall:
    data = call.read(raw, proc.returncode, "client()")
    if data is None:
        return call
    call.log = str(data.get("log", ""))  # kept even when client() raised
    if call.ended != "returned":
        return call
    call.reply_type = str(data.get("type", ""))
    reply = data.get("reply")
    if isinstance(reply, str):
        try:
            call.reply = base64.b64decode(reply, validate=True)
        except ValueError:
            call.reply = None
    call.reply_repr = str(data.get("repr", ""))
    return call


def free_port() -> int:
    """A port nobody listens on now (in the submission's own netns when there is one)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
