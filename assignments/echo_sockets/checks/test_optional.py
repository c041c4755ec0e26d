"""Checks of the optional tasks ("going further"), scored as extra credit and judged from
what the code does when it runs, never from how its source looks.

The multi-client server: every candidate the grader found runs in the sandbox; a check
passes when one of them does what it asks. "With select, without threads" means it
served two clients at once in this very check with a single thread and no other
process. The port-services function is called in the sandbox on a range drawn at
random per run, and must report what `getservbyport` really says for those ports,
having looked up exactly those ports (as its sandboxed process reports them). When a
task was not attempted, its checks are skipped: extra credit never costs points.
"""

from __future__ import annotations

import contextlib
import random
import re
import shlex
import socket
import threading
import time
from collections.abc import Callable, Iterator

import commands
import pytest
from messages import LONG, SHORT, SIXTEEN, show
from server_side import recorded_exchange

from grader.harness import (
    HOST,
    Check,
    Ended,
    FunctionCall,
    IdleCheck,
    Launcher,
    RunConfig,
    StagedFunction,
    StagedServer,
    StudentServer,
    Wire,
    call_function,
    exchange,
    free_port,
)

# Client A sends the first half of the long message and waits; client B then sends a
# whole message. A server that serves one client at a time answers B only after A.
A_FIRST, A_REST = LONG.encode()[:26], LONG.encode()[26:]
B_MESSAGE = SHORT.encode()
NO_SERVER = (
    "no second server was found (a file besides your echo server that binds, listens and "
    "uses select): this optional task was not attempted."
)
NO_FUNCTION = (
    "no function taking a lower and an upper port bound was found in your repository: "
    "this optional task was not attempted."
)
INVALID = ((-5, 5), (65530, 65540))
WIDTH = 5  # ports in the range asked about


def _candidates(config: RunConfig) -> tuple[StagedServer, ...]:
    if not config.multi_servers:
        pytest.skip(NO_SERVER)
    return config.multi_servers


@contextlib.contextmanager
def _running(
    launcher: Launcher, check: Check, candidate: StagedServer
) -> Iterator[StudentServer | None]:
    """The candidate running in the sandbox (None if it never listened); stopped after."""
    check.commands(f"python {candidate.name}   # terminal 1: your multi-client server")
    server = StudentServer.start(
        launcher,
        candidate.name,
        free_port(),
        timeout_s=max(check.timeout_s, 2.0),
        port_env="ECHO_PORT",  # as the graded server (assignment.toml)
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
    check.commands(commands.send(commands.server_port(server, config), payload, config))
    traffic, waited = recorded_exchange(check, server, payload, label)
    got = bytes(traffic.received)
    if waited.ended is Wire.DONE and got[: len(payload)] == payload:
        return ""
    if traffic.error:
        return traffic.error
    how = {
        Wire.EOF: "closed the connection",
        Wire.BLOCKED: "stopped (idle)",
        Wire.TIMEOUT: "ran out of time",
    }
    return f"it echoed {len(got)} of {len(payload)} bytes and then {how.get(waited.ended, '')}"


def test_extra_select_echo(launcher: Launcher, check: Check, run_config: RunConfig) -> None:
    problems = []
    for candidate in _candidates(run_config):
        where = candidate.found.path
        with _running(launcher, check, candidate) as server:
            if server is None:
                problems.append(f"{where} did not start listening")
                continue
            for payload, label in (
                (SHORT.encode(), "a 14-byte message"),
                (SIXTEEN.encode(), "exactly one 16-byte chunk"),
                (LONG.encode(), "the 52-byte long message"),
            ):
                wrong = _echoes(check, server, payload, f"{where}: {label}", run_config)
                if wrong:
                    problems.append(f"{where}: {label}: {wrong}")
                    break
            else:
                return
    check.fail("your multi-client server does not echo correctly: " + "; ".join(problems) + ".")


def test_extra_select_two_clients(launcher: Launcher, check: Check, run_config: RunConfig) -> None:
    problems = []
    for candidate in _candidates(run_config):
        with _running(launcher, check, candidate) as server:
            if server is None:
                problems.append(f"{candidate.found.path} did not start listening")
                continue
            wrong, _threads = _two_at_once(check, server, run_config)
            if not wrong:
                return
            problems.append(f"{candidate.found.path}: {wrong}")
    check.fail("; ".join(problems) + ".")


def test_extra_select_without_threads(
    launcher: Launcher, check: Check, run_config: RunConfig
) -> None:
    said = []
    for candidate in _candidates(run_config):
        found = candidate.found
        with _running(launcher, check, candidate) as server:
            if server is None:
                said.append(f"{found.path} did not start listening")
                continue
            wrong, most = _two_at_once(check, server, run_config)
        if not wrong and most == 1:
            return
        ran = f"ran {most} threads or processes at once" if most > 1 else "ran one thread"
        served = "did not serve two clients at once" if wrong else "served two clients at once"
        said.append(f"{found.path} {served} and {ran} (its source {found.evidence})")
    check.fail(
        "the task asks for one thread serving several clients with select.select(): "
        + "; ".join(said)
        + "."
    )


class _Threads:
    """Count a server's threads (all its processes) while it serves: in the background,
    and at the moments that matter (`look`, while both clients are connected)."""

    def __init__(self, server: StudentServer) -> None:
        self.server = server
        self.most = server.threads()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True, name="threads")
        self._thread.start()

    def look(self) -> None:
        self.most = max(self.most, self.server.threads())

    def _watch(self) -> None:
        while not self._stop.wait(0.005):
            self.look()

    def stop(self) -> int:
        self._stop.set()
        self._thread.join(1.0)
        return max(self.most, self.server.threads())


def _two_at_once(check: Check, server: StudentServer, config: RunConfig) -> tuple[str, int]:
    """Client A sends half a message and waits; client B must get its whole echo before
    A finishes. Returns what went wrong ('' if nothing) and the most threads seen."""
    assert server.port is not None
    port = commands.server_port(server, config)
    option = "" if port == config.default_port else f" --port {port}"
    check.commands(
        f"grade-peer send{option} --stay 30 {shlex.quote(A_FIRST.decode())}   # terminal 2: "
        "client A (half a message, then it waits)",
        commands.send(port, B_MESSAGE, config).replace("terminal 2", "terminal 3: client B", 1),
    )
    watch = _Threads(server)
    try:
        wrong = _clients_a_and_b(check, server, watch.look)
    finally:
        most = watch.stop()
    return wrong, most


def _clients_a_and_b(check: Check, server: StudentServer, look: Callable[[], None]) -> str:
    assert server.port is not None
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
        look()
        traffic, waited = exchange(
            server.port,
            B_MESSAGE,
            timeout_s=check.timeout_s,
            idle=IdleCheck(server.proc, check.quiescence_s),
            quiescence_s=check.quiescence_s,
        )
        b_got = bytes(traffic.received)
        look()
        check.exchange(
            "meanwhile client B connects and sends a whole message",
            sent=bytes(traffic.sent),
            received=b_got,
            expected=B_MESSAGE,
            elapsed_s=round(waited.elapsed_s, 3),
            note="" if waited.ended is Wire.DONE else "client B waited: the server was busy with A",
        )
        a.sendall(A_REST)
        with contextlib.suppress(OSError):
            a.shutdown(socket.SHUT_WR)
        a_rest = _receive(a, len(A_REST), check.timeout_s)
        check.exchange(
            "then client A sends the rest of its message", sent=A_REST, received=a_rest,
            expected=A_REST,
        )  # fmt: skip
    if waited.ended is not Wire.DONE or b_got != B_MESSAGE:
        check.explain(
            "multi_server_one_at_a_time",
            f"client B got {len(b_got)} of {len(B_MESSAGE)} bytes while client A was connected",
        )
        return (
            "client B got no echo while client A was still connected: it serves one client "
            "at a time"
        )
    if a_rest != A_REST:
        return f"client A got {show(a_rest)} instead of the rest of its echo after B was served"
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


# ---------------------------------------------------------------- port services


def _function(config: RunConfig) -> StagedFunction:
    if config.port_function is None:
        pytest.skip(NO_FUNCTION)
    return config.port_function


def _call(
    launcher: Launcher, check: Check, found: StagedFunction, args: list[int], mode: str = "call"
) -> FunctionCall:
    name = found.found.name
    shown = f"{name}({', '.join(map(str, args))})"
    module = found.name.removesuffix(".py")
    if mode == "call":
        check.commands(f"python -c 'from {module} import {name}; print(repr({shown}))'")
    call = call_function(
        launcher,
        found.name,
        name,
        args,
        timeout_s=check.timeout_s,
        quiescence_s=check.quiescence_s,
        mode=mode,
    )
    check.output(*call.outputs)
    if mode == "call":
        check.exchange(
            f"{shown} from {found.found.path}",
            received=call.said.strip().encode()[:4000],
            elapsed_s=round(call.elapsed_s, 3),
            note=_ended(call),
        )
    return call


def _ended(call: FunctionCall) -> str:
    looked = f"; it looked up {call.lookup_count} ports" if call.lookup_count else ""
    return {
        Ended.RETURNED: f"returned {call.value_type}{looked}",
        Ended.RAISED: f"raised {call.exception_type}: {call.exception_message}{looked}",
        Ended.BLOCKED: "did not return (it waited, idle)",
        Ended.TIMEOUT: "did not return in time",
        Ended.EXITED: call.exception_message,
        Ended.MISSING: "the function could not be found when the module was imported",
    }[call.ended]


def _random_range() -> tuple[int, int]:
    """WIDTH ports, drawn per run, around a well-known service (so some have one)."""
    known = [p for p in range(1, 1024) if _service(p)]
    middle = random.SystemRandom().choice(known)
    lower = max(0, middle - random.SystemRandom().randint(0, WIDTH - 1))
    return lower, lower + WIDTH - 1


def _service(port: int) -> str | None:
    try:
        return socket.getservbyport(port)
    except OSError:
        return None


def _lists_services(check: Check, launcher: Launcher, found: StagedFunction) -> str:
    """Call the function on a random range: '' if it reports exactly what getservbyport
    says there (upper bound inclusive, or exclusive), else what went wrong."""
    lower, upper = _random_range()
    call = _call(launcher, check, found, [lower, upper])
    if call.ended is not Ended.RETURNED:
        return f"{found.found.name}({lower}, {upper}) {_ended(call)}"
    asked = {p for p, _name in call.lookups}
    for last in (upper, upper - 1):
        ports = set(range(lower, last + 1))
        names = {n for p in ports if (n := _service(p))}
        words = set(re.findall(r"[\w-]+", call.said))
        if asked == ports and names <= words:
            return ""
    names = sorted({n for p in range(lower, upper + 1) if (n := _service(p))})
    return (
        f"{found.found.name}({lower}, {upper}) looked up {_ports(asked)} and reported "
        f"{call.said.strip()[:200]!r}; it should look up each port from {lower} to {upper} "
        f"with socket.getservbyport(port) and report what it says ({', '.join(names)})"
    )


def _ports(asked: set[object]) -> str:
    if not asked:
        return "no port"
    ints = sorted(p for p in asked if isinstance(p, int))
    return f"ports {ints[:8]}" + ("..." if len(ints) > 8 else "")


def test_extra_services_well_known(launcher: Launcher, check: Check, run_config: RunConfig) -> None:
    found = _function(run_config)
    wrong = _lists_services(check, launcher, found)
    if wrong:
        check.fail(wrong + ".")


def test_extra_services_defaults(launcher: Launcher, check: Check, run_config: RunConfig) -> None:
    found = _function(run_config)
    call = _call(launcher, check, found, [], mode="signature")
    if call.ended is not Ended.RETURNED:
        check.fail(f"{found.found.name}() could not be inspected: {_ended(call)}.")
    given = [d for d in call.defaults if d.get("given")]
    if len(given) < 2:
        missing = " and ".join(call.params[len(given) : 2]) or "its bounds"
        check.fail(
            f"{found.found.name}() has no default for {missing}: give the bounds sensible "
            "defaults (e.g. 0 and 65535) so it can be called without arguments."
        )
    values = [d.get("int") for d in call.defaults[:2]]
    if not all(isinstance(v, int) for v in values):
        shown = " and ".join(str(d.get("repr")) for d in call.defaults[:2])
        check.fail(f"the defaults {shown} are not port numbers.")
    lower, upper = values
    assert isinstance(lower, int) and isinstance(upper, int)
    if not 0 <= lower <= upper <= 65535:
        check.fail(f"the defaults {lower} and {upper} are not a range of valid ports.")


def test_extra_services_rejects_invalid(
    launcher: Launcher, check: Check, run_config: RunConfig
) -> None:
    found = _function(run_config)
    wrong = _lists_services(check, launcher, found)
    if wrong:
        check.fail(f"it must first work on valid ports: {wrong}.")
    name = found.found.name
    for args in INVALID:
        call = _call(launcher, check, found, list(args))
        if call.ended in (Ended.BLOCKED, Ended.TIMEOUT, Ended.EXITED, Ended.MISSING):
            check.fail(f"{name}{args} {_ended(call)}.")
        invalid = [p for p, _n in call.lookups if not (isinstance(p, int) and 0 <= p <= 65535)]
        if invalid:
            check.fail(
                f"{name}{args} looked up port {invalid[0]}, which is not a valid port: check "
                "that both bounds are within 0-65535 (and raise ValueError otherwise) before "
                "looking anything up."
            )
