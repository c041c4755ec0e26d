"""The fixtures a check receives: its evidence, its own network, the student's server
and client in the sandbox, and the grader's trusted servers.

Loaded with `-p grader.harness.fixtures` next to the plugin. Every check starts from a
clean state: a fresh network namespace, a fresh student server. The one fact carried
between checks (`RunMemory`) is a server start that failed deterministically, which
would fail the same way again; it only saves the time of repeating it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, NoReturn

import pytest

from grader.errors import HarnessError, StudentFault
from grader.harness.diagnosis import HARNESS, Catalogue, student_traceback
from grader.harness.evidence import Check
from grader.harness.idle import wait_until
from grader.harness.netns import Netns
from grader.harness.peers import Relay, Traffic, TrustedServer, Upstream
from grader.harness.plugin import check_id, evidence_key, harness
from grader.harness.rooms import Rooms
from grader.harness.student import (
    ClientCall,
    StudentServer,
    call_client,
    free_port,
    port_in_use,
)
from grader.model import Captured, Isolation
from grader.protocol import CheckPlan, RunConfig
from grader.sandbox import Launcher, procfs
from grader.sandbox.warm import WarmPool

MIN_START_S = 2.0  # a server gets at least this long to start listening


@pytest.fixture(scope="session")
def run_config(request: pytest.FixtureRequest) -> RunConfig:
    return harness(request.config).config


@pytest.fixture(scope="session")
def launcher(request: pytest.FixtureRequest, run_config: RunConfig) -> Iterator[Launcher]:
    launcher = Launcher(run_config.policy, run_config.staged, reaper=True)
    yield launcher
    harness(request.config).escaped.extend(launcher.close())


@pytest.fixture(scope="session")
def rooms(launcher: Launcher, run_config: RunConfig) -> Iterator[Rooms | None]:
    """Each check's network namespace, prepared with its student processes while the
    check before it runs (when the machine has namespaces)."""
    # Only under bubblewrap: each process there has mounts of its own, fresh. Running as
    # a separate user (no namespaces for files), every check gets a new writable copy of
    # the submission, which a process started during the check before would straddle.
    if not run_config.policy.netns or run_config.policy.isolation is not Isolation.BWRAP:
        yield None
        return
    launcher.warm = WarmPool(launcher)
    made = Rooms(launcher.warm)
    yield made
    made.close()
    launcher.warm = None


@pytest.fixture(autouse=True)
def own_network(request: pytest.FixtureRequest, rooms: Rooms | None) -> Iterator[None]:
    """Each check in a network namespace of its own (when the machine has them)."""
    if rooms is None:
        yield
        return
    try:
        room = rooms.take()
    except OSError as exc:
        raise HarnessError(f"cannot make a network namespace for this check ({exc})") from exc
    following = next_check(request)
    if following is not None:
        rooms.prepare(max(1, len(following.needs)))
    try:
        with room.ns.entered():
            yield
    finally:
        rooms.leave(room)


def next_check(request: pytest.FixtureRequest) -> CheckPlan | None:
    """The plan of the check this harness will most likely run next: its next one that
    the other harness has not claimed yet."""
    config = harness(request.config).config
    items = request.session.items
    try:
        at = items.index(request.node)
    except ValueError:
        return None
    for item in items[at + 1 :]:
        cid = check_id(item)
        if config.claims is None or not (config.claims / cid).exists():
            return config.plan(cid)
    return None


@pytest.fixture(autouse=True)
def nothing_outlives_the_check(
    request: pytest.FixtureRequest, launcher: Launcher
) -> Iterator[None]:
    """After each check (its servers and clients stopped first), kill whatever student
    code it started that still runs anywhere: nothing is left to meet the next check."""
    yield
    harness(request.config).escaped.extend(launcher.end_check())


def student_holds(port: int, *, run_config: RunConfig) -> bool:
    """Whether a port the grader needs is held by student code: in the check's own
    network namespace anything that listens is the check's; without one, a socket of the
    job's own uid (a port held by another program is the machine's problem)."""
    if run_config.policy.portable:
        return False
    owner = procfs.port_owner(port)
    if owner is None:
        return False
    return run_config.policy.netns or owner == run_config.policy.dedicated_uid


def port_refused(port: int, *, run_config: RunConfig, why: str) -> NoReturn:
    """The grader could not listen on `port`: the student's failure (StudentFault) when
    student code holds it, else the grader's fault (`why`)."""
    if student_holds(port, run_config=run_config):
        raise StudentFault(
            f"a process of your submission was still listening on port {port}, which the "
            "grader's own server needed for this check (a server or daemon your code "
            "started and left running): every process your code starts must end with it."
        )
    raise HarnessError(why)


@pytest.fixture
def catalogue() -> Catalogue:
    """The assignment's diagnoses; its conftest overrides this with its own catalogue."""
    return Catalogue(*HARNESS)


@pytest.fixture
def check(request: pytest.FixtureRequest, run_config: RunConfig, catalogue: Catalogue) -> Check:
    cid = check_id(request.node)
    plan = run_config.plan(cid) or CheckPlan(cid, 2.0)
    made = Check(plan, run_config.quiescence_s, catalogue)
    request.node.stash[evidence_key] = made
    return made


@pytest.fixture(autouse=True)
def needs(check: Check, run_config: RunConfig) -> None:
    """Fail a check at once, saying why, when a file it needs is missing or cannot run."""
    for role in check.plan.needs:
        staged_name(run_config, check, role)


def staged_name(run_config: RunConfig, check: Check, role: str) -> str:
    """The staged file of a role, or fail the check saying why it cannot run."""
    problem = run_config.problem(role)
    staged = run_config.file(role)
    if problem is not None:
        if problem.python2:
            check.explain("python2", f"line {problem.line} `{problem.source_line}`")
        check.commands(f"python3 -m py_compile {problem.path.name}")
        check.fail(problem.message)
    if staged is None:
        check.commands("git ls-files   # the files your repository holds (commit and push yours)")
        check.fail(
            f"{run_config.wanted_name(role)} was not found in your repository, so this check "
            "could not run."
        )
    return staged.name


@dataclass
class FailedStart:
    """A server start that did not listen: what to tell the student about it."""

    message: str
    how: str
    evidence: str
    outputs: tuple[Captured, ...]
    deterministic: bool  # it exited: a fresh start would fail the same way


@dataclass
class RunMemory:
    """Facts a later check may reuse because they cannot change: a deterministic failed
    start, how many starts in a row ran out of time without listening, and (without
    network namespaces) whether another program held a port before the run began."""

    failed: FailedStart | None = None
    slow_starts: int = 0
    port_problem: str | None = None  # without network namespaces: a port already taken

    def known_failure(self) -> FailedStart | None:
        if self.failed is not None and (self.failed.deterministic or self.slow_starts >= 2):
            return self.failed
        return None


@pytest.fixture(scope="session")
def memory() -> RunMemory:
    return RunMemory()


class Servers:
    """Starts the student's server for one check; stops every one it started after."""

    def __init__(
        self, launcher: Launcher, config: RunConfig, check: Check, memory: RunMemory
    ) -> None:
        self.launcher = launcher
        self.config = config
        self.check = check
        self.memory = memory
        self.started: list[StudentServer] = []

    def start(
        self,
        port: int | None = None,
        *,
        must_listen: bool = True,
        netns: Netns | None = None,
        role: str = "server",
    ) -> StudentServer:
        """A brand-new server process of the file of `role` (in `netns`, else the check's
        own network); fails the check if none listens (and must_listen)."""
        check = self.check
        name = staged_name(self.config, check, role)
        check.commands(f"python {name}   # terminal 1: your server")
        known = self.memory.known_failure()
        if known is not None and must_listen:
            check.output(*known.outputs)
            check.explain("server_never_listens", known.evidence, how=known.how)
            check.fail(known.message + " (as in an earlier check)")
        limit = max(check.timeout_s, MIN_START_S)
        port = port or free_port()
        if not self.config.policy.netns:
            self._ports_free(port)
        server = StudentServer.start(
            self.launcher,
            name,
            port,
            timeout_s=limit,
            netns=netns,
            port_env=self.config.port_env(role),
        )
        self.started.append(server)
        if server.port is None and must_listen:
            self._failed(server, limit)
        if server.port is not None:
            self.memory.slow_starts = 0
        return server

    def _ports_free(self, port: int) -> None:
        """Sharing the machine's network, a port someone else holds is not the student's
        fault (their own server left running in a terminal, say): looked at once, before
        any server of this run held one, and every later start is refused the same way."""
        memory = self.memory
        for wanted in sorted({port, self.config.default_port}):
            if student_holds(wanted, run_config=self.config):
                port_refused(wanted, run_config=self.config, why="")
        if memory.port_problem is None:
            taken = [p for p in sorted({port, self.config.default_port}) if port_in_use(p)]
            memory.port_problem = (
                f"another program listens on port {taken[0]} of this machine (maybe your "
                "own server, still running in a terminal); stop it and run grade again"
                if taken
                else ""
            )
        if memory.port_problem:
            raise HarnessError(memory.port_problem)

    def _failed(self, server: StudentServer, limit: float) -> None:
        check = self.check
        alive = server.proc.alive()
        if alive:
            server.stop()
        outputs = server.outputs()
        check.output(*outputs)
        stderr = server.proc.stderr.text()
        said = last_words(stderr or server.proc.stdout.text())
        if alive:
            message = f"your server did not start listening within {limit:g} s."
            how = (
                f"it kept running for {limit:g} s without a listening socket; check that "
                "it calls bind() and listen() before accept()"
            )
        else:
            status = server.proc.returncode
            message = f"your server exited (status {status}) before it " + (
                f"listened: {said}" if said else "listened."
            )
            how = f"it exited (status {status}) before it listened"
        evidence = student_traceback(stderr, self.launcher.workdir) or (
            f"it printed: {said}" if said else "it printed nothing"
        )
        in_use = "Address already in use" in stderr
        self.memory.failed = FailedStart(message, how, evidence, outputs, not (alive or in_use))
        self.memory.slow_starts = self.memory.slow_starts + 1 if alive else 0
        check.explain("server_never_listens", evidence, how=how)
        check.fail(message)

    def stop_all(self) -> None:
        for server in self.started:
            server.stop()


@pytest.fixture
def servers(
    launcher: Launcher, run_config: RunConfig, check: Check, memory: RunMemory
) -> Iterator[Servers]:
    pool = Servers(launcher, run_config, check, memory)
    yield pool
    pool.stop_all()


@pytest.fixture
def student_server(servers: Servers, check: Check) -> Iterator[StudentServer]:
    """A fresh student server for this check, listening (or the check fails)."""
    server = servers.start()
    yield server
    check.output(*server.outputs())


def client_port(run_config: RunConfig) -> int:
    """Where the student's client will connect: the port it is told, or the one it hard-codes."""
    if run_config.client_accepts_port:
        return free_port()
    if run_config.client_port_literal is not None:
        return run_config.client_port_literal
    return run_config.default_port


@dataclass
class Served:
    """The server a student's client meets, as the grader sees it: every connection's
    bytes (a trusted server, or the relay in front of a server process), and the pid of
    that process when there is one, so a deadlock can be told from a slow server."""

    traffic: Traffic
    connections: list[Traffic]
    pid: int | None = None

    @classmethod
    def of(cls, peer: TrustedServer | Relay, pid: int | None = None) -> Served:
        return cls(peer.traffic, peer.connections, pid)


Serve = Callable[[int], Served]
RunClient = Callable[..., tuple[ClientCall, Served, int]]


@pytest.fixture
def run_client(launcher: Launcher, run_config: RunConfig, check: Check) -> RunClient:
    """Call the student's client() in the sandbox against a server the check provides.

    Returns a function `(msg, *, serve) -> (ClientCall, Served, port)`, where
    `serve(port)` starts the server the client should meet on that port.
    """
    name = staged_name(run_config, check, "client")

    def run(
        msg: str,
        *,
        serve: Serve,
        linger: bool = False,
        on_returned: Callable[[], None] | None = None,
        port: int | None = None,
    ) -> tuple[ClientCall, Served, int]:
        target = port or client_port(run_config)
        served = serve(target)
        call = call_client(
            launcher,
            name,
            msg,
            port=target if run_config.client_accepts_port else None,
            timeout_s=check.timeout_s,
            traffic=served.traffic,
            peer=served.pid,
            quiescence_s=check.quiescence_s,
            linger=linger,
            on_returned=on_returned,
        )
        check.output(*call.outputs)
        if served.pid is not None:
            # A server process answers at its own pace: let what it still sends for this
            # call arrive, so the verdict never depends on who was faster.
            wait_until(lambda: _quiet(served.traffic, 0.1), 1.0)
        elif (caught_up := served.traffic.caught_up) is not None:
            # Ours may not have accepted a connection the client made just before it
            # ended; the verdict waits for it, never for the machine's scheduler.
            wait_until(caught_up, 2.0)
        return call, served, target

    return run


def _quiet(traffic: Traffic, for_s: float) -> bool:
    if traffic.ended is not None and traffic.ended():
        return True
    return traffic.done() and time.monotonic() - traffic.last_activity >= for_s


@pytest.fixture
def trusted_server(run_config: RunConfig) -> Iterator[Callable[..., TrustedServer]]:
    """Start trusted servers (answering with what they received, changed or trickled)
    that the check owns."""
    made: list[TrustedServer] = []

    def start(port: int, **kwargs: Any) -> TrustedServer:
        server = TrustedServer(port, **kwargs)
        made.append(server)
        if server.bind_error:
            port_refused(port, run_config=run_config, why=server.bind_error)
        return server

    yield start
    for server in made:
        server.close()


@pytest.fixture
def relay(run_config: RunConfig) -> Iterator[Callable[[int, Upstream], Relay]]:
    """Start relays (in the check's network) to servers elsewhere, owned by the check."""
    made: list[Relay] = []

    def start(port: int, upstream: Upstream) -> Relay:
        front = Relay(port, upstream)
        made.append(front)
        if front.bind_error:
            port_refused(port, run_config=run_config, why=front.bind_error)
        return front

    yield start
    for front in made:
        front.close()


def last_words(text: str) -> str:
    """The last non-empty line a process printed (for a crash, the exception line)."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[-1][:300] if lines else ""
