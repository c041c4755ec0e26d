"""Checks of the optional tasks ("going further"), scored as extra credit.

The multi-client server: every candidate the grader found (a second server that binds
and listens and mentions select or threads, or is named like one) runs in the sandbox;
a check passes when one of them does what it asks. The port-services function (found
in any file by its parameters) is called in the sandbox on a few small ranges. When a
task was not attempted, its checks are skipped: extra credit never costs points.
"""

from __future__ import annotations

import contextlib
import shlex
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from echo_helpers import (
    LONG,
    SHORT,
    SIXTEEN,
    recorded_exchange,
    repro_send,
    repro_server_port,
    show,
)

from grader.harness.calls import FunctionCall, call_function
from grader.harness.config import RunConfig
from grader.harness.peers import HOST, exchange
from grader.harness.plugin import Check, Servers
from grader.harness.student import IdleCheck, StudentServer, free_port
from grader.sandbox import Launcher

# Client A sends the first half of the long message and waits; client B then sends a
# whole message. A server that serves one client at a time answers B only after A.
A_FIRST, A_REST = LONG.encode()[:26], LONG.encode()[26:]
B_MESSAGE = SHORT.encode()
# candidate file -> whether it served two clients at once (set by the check below)
SERVED_TOGETHER: dict[str, bool] = {}
NO_SERVER = (
    "no second server was found (a file besides your echo server that binds, listens and "
    "uses select): this optional task was not attempted."
)
NO_FUNCTION = (
    "no function taking a lower and an upper port bound was found in your repository: "
    "this optional task was not attempted."
)
# A range around port 80 (http) with unassigned ports in it, and ports outside it.
RANGE = (78, 82)
INVALID = ((-5, 5), (65530, 65540))


def _servers(config: RunConfig) -> list[dict[str, str]]:
    if not config.multi_servers:
        pytest.skip(NO_SERVER)
    return config.multi_servers


@contextlib.contextmanager
def _running(
    servers: Servers, launcher: Launcher, check: Check, candidate: dict[str, str]
) -> Iterator[StudentServer | None]:
    """The candidate running in the sandbox (None if it never listened); stopped after."""
    servers.discard()  # the graded server may hold the same hard-coded port
    check.commands(f"python {candidate['file']}   # terminal 1: your multi-client server")
    server = StudentServer.start(
        launcher, candidate["file"], free_port(), timeout_s=max(check.timeout_s, 2.0)
    )
    try:
        yield server if server.port is not None else None
    finally:
        check.output(*server.outputs())
        server.stop()


def _echoes(
    check: Check, server: StudentServer, payload: bytes, label: str, config: RunConfig
) -> str:
    """'' if the server echoed payload whole, else what went wrong."""
    assert server.port is not None
    check.commands(repro_send(repro_server_port(server, config), payload, config))
    traffic, waited = recorded_exchange(check, server, payload, label)
    got = bytes(traffic.received)
    if waited.ended == "done" and got[: len(payload)] == payload:
        return ""
    if traffic.error:
        return traffic.error
    how = {
        "eof": "closed the connection",
        "blocked": "stopped (idle)",
        "timeout": "ran out of time",
    }
    then = how.get(waited.ended, waited.ended)
    return f"it echoed {len(got)} of {len(payload)} bytes and then {then}"


def test_extra_select_echo(
    servers: Servers, launcher: Launcher, check: Check, run_config: RunConfig
) -> None:
    problems = []
    for candidate in _servers(run_config):
        with _running(servers, launcher, check, candidate) as server:
            if server is None:
                problems.append(f"{candidate['path']} did not start listening")
                continue
            for payload, label in (
                (SHORT.encode(), "a 14-byte message"),
                (SIXTEEN.encode(), "exactly one 16-byte chunk"),
                (LONG.encode(), "the 52-byte long message"),
            ):
                wrong = _echoes(check, server, payload, f"{candidate['path']}: {label}", run_config)
                if wrong:
                    problems.append(f"{candidate['path']}: {label}: {wrong}")
                    break
            else:
                return
    check.fail("your multi-client server does not echo correctly: " + "; ".join(problems) + ".")


def test_extra_select_two_clients(
    servers: Servers, launcher: Launcher, check: Check, run_config: RunConfig
) -> None:
    problems = []
    for candidate in _servers(run_config):
        with _running(servers, launcher, check, candidate) as server:
            if server is None:
                problems.append(f"{candidate['path']} did not start listening")
                continue
            wrong = _two_at_once(check, server, candidate, run_config)
            SERVED_TOGETHER[candidate["file"]] = not wrong
            if not wrong:
                return
            problems.append(f"{candidate['path']}: {wrong}")
    check.fail("; ".join(problems) + ".")


def _two_at_once(
    check: Check, server: StudentServer, candidate: dict[str, str], config: RunConfig
) -> str:
    """Client A sends half a message and waits; client B must get its whole echo before
    A finishes. '' if so, else what happened."""
    assert server.port is not None
    port = repro_server_port(server, config)
    option = "" if port == config.default_port else f" --port {port}"
    check.commands(
        f"grade-peer send{option} --stay 30 {shlex.quote(A_FIRST.decode())}   # terminal 2: "
        "client A (half a message, then it waits)",
        repro_send(port, B_MESSAGE, config).replace("terminal 2", "terminal 3: client B", 1),
    )
    started = time.monotonic()
    try:
        a = socket.create_connection((HOST, server.port), timeout=check.timeout_s)
    except OSError as exc:
        return f"client A could not connect ({exc.strerror or exc})"
    with a:
        a.sendall(A_FIRST)
        a_got = _receive(a, len(A_FIRST), check.timeout_s)
        check.exchange(
            "client A connects and sends the first half of a message",
            sent=A_FIRST,
            received=a_got,
            expected=A_FIRST,
            elapsed_s=round(time.monotonic() - started, 3),
        )
        if a_got != A_FIRST:
            return f"client A's first half was not echoed (it got {show(a_got)})"
        traffic, waited = exchange(
            server.port,
            B_MESSAGE,
            timeout_s=check.timeout_s,
            idle=IdleCheck(server.proc, check.quiescence_s),
            quiescence_s=check.quiescence_s,
        )
        b_got = bytes(traffic.received)
        check.exchange(
            "meanwhile client B connects and sends a whole message",
            sent=bytes(traffic.sent),
            received=b_got,
            expected=B_MESSAGE,
            elapsed_s=round(waited.elapsed_s, 3),
            note="" if waited.ended == "done" else "client B waited: the server was busy with A",
        )
        a.sendall(A_REST)
        with contextlib.suppress(OSError):
            a.shutdown(socket.SHUT_WR)
        a_rest = _receive(a, len(A_REST), check.timeout_s)
        check.exchange(
            "then client A sends the rest of its message",
            sent=A_REST,
            received=a_rest,
            expected=A_REST,
        )
    if waited.ended != "done" or b_got != B_MESSAGE:
        check.explain(
            "multi_server_one_at_a_time",
            f"client B got {len(b_got)} of {len(B_MESSAGE)} bytes while client A was connected",
        )
        return (
            "client B got no echo while client A was still connected: it serves one client "
            "at a time"
        )
    if a_rest != A_REST:
        return (
            f"client A got {show(a_rest)} instead of the rest of its echo after client B was served"
        )
    return ""


def _receive(sock: socket.socket, want: int, timeout_s: float) -> bytes:
    got = b""
    deadline = time.monotonic() + timeout_s
    while len(got) < want and (left := deadline - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except OSError:
            break
        if not chunk:
            break
        got += chunk
    return got


def test_extra_select_without_threads(check: Check, run_config: RunConfig) -> None:
    found = _servers(run_config)
    for candidate in found:
        together = SERVED_TOGETHER.get(candidate["file"])
        if candidate["concurrency"] == "select" and together is not False:
            return
    said = "; ".join(
        f"{c['path']} uses {c['concurrency']} ({c['evidence']})"
        + (
            ", and did not serve two clients at once"
            if SERVED_TOGETHER.get(c["file"]) is False
            else ""
        )
        for c in found
    )
    check.fail(f"the task asks for select.select(), without threads: {said}.")


# ---------------------------------------------------------------- port services


def _function(config: RunConfig) -> dict[str, Any]:
    if config.port_function is None:
        pytest.skip(NO_FUNCTION)
    return config.port_function


def _call(launcher: Launcher, check: Check, found: dict[str, Any], args: list[int]) -> FunctionCall:
    module = found["file"].removesuffix(".py")
    check.commands(
        f"python -c 'from {module} import {found['name']}; "
        f"print(repr({found['name']}({', '.join(map(str, args))})))'"
    )
    call = call_function(
        launcher,
        found["file"],
        found["name"],
        args,
        timeout_s=check.timeout_s,
        quiescence_s=check.quiescence_s,
    )
    check.output(*call.outputs)
    check.exchange(
        f"{found['name']}({', '.join(map(str, args))}) from {found['path']}",
        received=call.said.strip().encode()[:4000],
        elapsed_s=round(call.elapsed_s, 3),
        note=_ended(call),
    )
    return call


def _ended(call: FunctionCall) -> str:
    asked = f"; it looked up {call.asked_count} ports" if call.asked_count else ""
    return {
        "returned": f"returned {call.value_type}{asked}",
        "raised": f"raised {call.exception_type}: {call.exception_message}{asked}",
        "blocked": "did not return (it waited, idle)",
        "timeout": "did not return in time",
        "exited": call.exception_message,
        "missing": "the function could not be found when the module was imported",
    }.get(call.ended, call.ended)


def test_extra_services_well_known(launcher: Launcher, check: Check, run_config: RunConfig) -> None:
    found = _function(run_config)
    call = _call(launcher, check, found, list(RANGE))
    if call.ended != "returned":
        check.fail(f"{found['name']}{RANGE} {_ended(call)}.")
    if "http" not in call.said:
        check.fail(
            f"{found['name']}{RANGE} did not report 'http', the service on port 80 (it "
            "returned or printed something else): look each port up with "
            "socket.getservbyport(port) and skip the ports that have no service."
        )
    if "smtp" in call.said:
        check.fail(f"{found['name']}{RANGE} also reported 'smtp' (port 25), outside the range.")


def test_extra_services_defaults(check: Check, run_config: RunConfig) -> None:
    found = _function(run_config)
    defaults = list(found["defaults"]) + ["", ""]
    lower, upper = found["bounds"]
    missing = [name for name, d in zip((lower, upper), defaults, strict=False) if not d]
    if missing:
        check.fail(
            f"{found['name']}() has no default for {' and '.join(missing)}: give the bounds "
            "sensible defaults (e.g. 0 and 65535) so it can be called without arguments."
        )
    values = []
    for d in defaults[:2]:
        try:
            values.append(int(d))
        except ValueError:
            return  # an expression: fine, not judged further
    if not 0 <= values[0] <= values[1] <= 65535:
        check.fail(f"the defaults {values[0]} and {values[1]} are not a range of valid ports.")


def test_extra_services_rejects_invalid(
    launcher: Launcher, check: Check, run_config: RunConfig
) -> None:
    found = _function(run_config)
    for args in INVALID:
        call = _call(launcher, check, found, list(args))
        if call.ended in ("blocked", "timeout", "exited", "missing"):
            check.fail(f"{found['name']}{args} {_ended(call)}.")
        if call.asked_invalid:
            check.fail(
                f"{found['name']}{args} looked up port {call.asked_invalid[0]}, which is not "
                "a valid port: check that both bounds are within 0-65535 (and raise "
                "ValueError otherwise) before looking anything up."
            )
