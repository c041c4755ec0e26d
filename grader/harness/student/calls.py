"""Calls of the student's functions: `call_client` runs client() against a server the
check provides, `call_function` any other function of a staged module, each in a
separate sandboxed interpreter (runner.py), and each brings back what the call did as
the runner answered it (answer.py) or as it was seen to end from outside."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from grader.harness.idle import IdleCheck
from grader.harness.peers.traffic import Traffic
from grader.harness.student.answer import (
    ClientCall,
    Ended,
    FunctionCall,
    _client_answer,
    _function_answer,
)
from grader.harness.student.runner import Ran, run_runner
from grader.sandbox import Launcher


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


def _peer_done(traffic: Traffic | None, peer: int | None) -> bool:
    """The server side has nothing left to send (as far as the grader can know)."""
    if traffic is not None:
        return traffic.done()
    return peer is not None  # a server process: its idleness is in the IdleCheck


def _quiet_since(traffic: Traffic | None, start: float) -> float:
    return max(traffic.last_activity, start) if traffic is not None else start
