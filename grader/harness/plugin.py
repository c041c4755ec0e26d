"""The trusted pytest plugin: fixtures that reach student code only through the sandbox,
per-check time limits, and one JSON line per check (schema 1) written as each ends.

Loaded with `-p grader.harness.plugin` by the grader's own pytest invocation; it is never
loaded from a student's folder, and nothing here imports student code.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any, NoReturn

import pytest

from grader.harness.config import CONFIG_ENV, SCHEMA, CheckLimits, RunConfig
from grader.harness.diagnosis import HARNESS, Catalogue, student_traceback
from grader.harness.peers import Traffic, TrustedServer
from grader.harness.student import ClientCall, StudentServer, call_client, free_port
from grader.model import Captured, b64
from grader.sandbox import Launcher

DEFAULT_TIMEOUT_S = 2.0


CLIP_HEAD = 2048
CLIP_TAIL = 512


def clip(data: bytes | None) -> bytes | None:
    """Keep the head and tail of a payload; the report needs no more (and 1 MiB x 3 is
    too much to carry through results and the gradebook)."""
    if data is None or len(data) <= CLIP_HEAD + CLIP_TAIL:
        return data
    return data[:CLIP_HEAD] + data[-CLIP_TAIL:]


class Check:
    """Evidence a check collects for its report: exchanges, outputs, diagnoses, commands."""

    def __init__(
        self,
        check_id: str,
        limits: CheckLimits,
        quiescence_s: float,
        catalogue: Catalogue | None = None,
    ) -> None:
        self.id = check_id
        self.catalogue = catalogue if catalogue is not None else Catalogue(*HARNESS)
        self.timeout_s = limits.timeout_s
        self.quiescence_s = quiescence_s
        self.exchanges: list[dict[str, Any]] = []
        self.outputs: list[Captured] = []
        self.diagnoses: list[dict[str, Any]] = []
        self.reproduce: list[str] = []
        self.hang: str | None = None

    def exchange(
        self,
        label: str,
        *,
        sent: bytes | None = None,
        received: bytes | None = None,
        expected: bytes | None = None,
        elapsed_s: float | None = None,
        note: str = "",
    ) -> None:
        self.exchanges.append(
            {
                "label": label,
                "sent": b64(clip(sent)),
                "received": b64(clip(received)),
                "expected": b64(clip(expected)),
                "sent_len": None if sent is None else len(sent),
                "received_len": None if received is None else len(received),
                "expected_len": None if expected is None else len(expected),
                "elapsed_s": elapsed_s,
                "note": note,
            }
        )

    def output(self, *captured: Captured) -> None:
        self.outputs.extend(c for c in captured if c.total_bytes)

    def explain(self, code: str, evidence: str = "", **fields: object) -> None:
        """Record a diagnosis from the catalogue: its words, filled with `fields`."""
        try:
            entry = self.catalogue[code]
            text = entry.render(**fields)
        except KeyError as exc:
            raise HarnessError(f"diagnosis {code!r}: {exc}; add it to the catalogue") from exc
        if not any(d["code"] == code for d in self.diagnoses):
            self.diagnoses.append(
                {
                    "code": code,
                    "text": text,
                    "evidence": evidence,
                    "quotes_expected": entry.quotes_expected,
                }
            )

    def diagnosed(self, *codes: str) -> bool:
        return any(d["code"] in codes for d in self.diagnoses) if codes else bool(self.diagnoses)

    def commands(self, *lines: str) -> None:
        self.reproduce.extend(lines)

    def fail(self, message: str) -> NoReturn:
        pytest.fail(message, pytrace=False)

    def hung(self, kind: str, message: str) -> NoReturn:
        """Fail as a timeout; kind is 'blocked' (idle, waiting) or 'busy' (ran out of time)."""
        self.hang = kind
        pytest.fail(message, pytrace=False)

    def record(self) -> dict[str, Any]:
        return {
            "exchanges": self.exchanges,
            "outputs": [asdict(c) for c in self.outputs],
            "diagnoses": self.diagnoses,
            "reproduce": self.reproduce,
            "hang": self.hang,
        }


class _State:
    """Per-session bookkeeping of the plugin (one pytest run grades one submission)."""

    def __init__(self, config: RunConfig) -> None:
        self.config = config
        self.checks: dict[str, Check] = {}
        self.phases: dict[str, dict[str, Any]] = {}
        self.escaped: list[int] = []
        self.out: IO[str] = open(config.results_path, "a", buffering=1, encoding="utf-8")  # noqa: SIM115

    def write(self, line: dict[str, Any]) -> None:
        self.out.write(json.dumps({"schema": SCHEMA, **line}) + "\n")
        self.out.flush()


_STATE: _State | None = None


def _state() -> _State:
    if _STATE is None:
        raise RuntimeError(f"the grader harness needs {CONFIG_ENV}")
    return _STATE


def check_id(item: pytest.Item) -> str:
    name = getattr(item, "originalname", None) or item.name
    return name.removeprefix("test_")


def pytest_configure(config: pytest.Config) -> None:
    global _STATE
    path = os.environ.get(CONFIG_ENV)
    if path:
        _STATE = _State(RunConfig.load(Path(path)))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run only the checks the grader asked for, each with its own limit (pytest-timeout
    is the backstop behind ours)."""
    state = _state()
    unwanted = [item for item in items if check_id(item) not in state.config.checks]
    if unwanted:
        config.hook.pytest_deselected(items=unwanted)
        items[:] = [item for item in items if check_id(item) in state.config.checks]
    for item in items:
        limits = state.config.checks.get(check_id(item), CheckLimits(DEFAULT_TIMEOUT_S))
        item.add_marker(pytest.mark.timeout(2 * limits.timeout_s + 5, method="signal"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    phase = _state().phases.setdefault(item.nodeid, {})
    if report.failed:
        our_fail = call.excinfo is not None and call.excinfo.errisinstance(pytest.fail.Exception)
        text = str(call.excinfo.value) if our_fail and call.excinfo else str(report.longrepr)
        if "Timeout (>" in text or (call.excinfo and "Timeout" in call.excinfo.typename):
            phase.setdefault("outcome", "timeout")
            phase.setdefault("message", "the check ran out of time")
        else:
            phase.setdefault("outcome", "failed" if our_fail else "error")
            phase.setdefault("message", text[-6000:])
    elif report.skipped and report.when in ("setup", "call"):
        phase.setdefault("outcome", "skipped")
        why = report.longrepr[-1] if isinstance(report.longrepr, tuple) else report.longrepr
        phase.setdefault("message", str(why or ""))
    phase[report.when] = report.duration
    if report.when == "teardown":
        _write_check(item, phase)
    return report


def _write_check(item: pytest.Item, phase: dict[str, Any]) -> None:
    state = _state()
    check = state.checks.get(item.nodeid)
    outcome = phase.get("outcome", "passed")
    if check is not None and check.hang and outcome == "failed":
        outcome = "timeout"
    line: dict[str, Any] = {
        "kind": "check",
        "check": check_id(item),
        "outcome": outcome,
        "duration_s": round(sum(phase.get(w, 0.0) for w in ("setup", "call", "teardown")), 4),
        "message": phase.get("message", ""),
    }
    if check is not None:
        line.update(check.record())
    state.write(line)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _STATE is not None:
        _STATE.write({"kind": "session", "escaped": _STATE.escaped, "exitstatus": int(exitstatus)})
        _STATE.out.close()


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def run_config() -> RunConfig:
    return _state().config


@pytest.fixture(scope="session")
def launcher(run_config: RunConfig) -> Iterator[Launcher]:
    launcher = Launcher(run_config.policy, Path(run_config.staged))
    yield launcher
    _state().escaped.extend(launcher.close())


@pytest.fixture
def catalogue() -> Catalogue:
    """The assignment's diagnoses; its conftest overrides this with its own catalogue."""
    return Catalogue(*HARNESS)


@pytest.fixture
def check(request: pytest.FixtureRequest, run_config: RunConfig, catalogue: Catalogue) -> Check:
    cid = check_id(request.node)
    limits = run_config.checks.get(cid, CheckLimits(DEFAULT_TIMEOUT_S))
    made = Check(cid, limits, run_config.quiescence_s, catalogue)
    _state().checks[request.node.nodeid] = made
    return made


def student_file(run_config: RunConfig, check: Check, role: str, label: str) -> str:
    """The staged file for role, or fail the check saying why it cannot run."""
    problem = run_config.file_problems.get(role)
    if problem:
        if role in run_config.python2_roles:
            line = re.search(r"line \d+ `[^`]*`", problem)
            check.explain("python2", line.group(0) if line else problem)
        check.commands(f"python3 -m py_compile {run_config.files.get(role, '')}".rstrip())
        check.fail(problem)
    name = run_config.files.get(role)
    if not name:
        check.commands("git ls-files   # the files your repository holds (commit and push yours)")
        check.fail(f"{label} was not found in your repository, so this check could not run.")
    return name


class Servers:
    """Starts the student's server; keeps one running across checks while they pass.

    After a check that did not pass, the next check gets a fresh server, so one failure
    (a crash, a wedged connection) costs one check, not every later one.
    """

    def __init__(self, launcher: Launcher, config: RunConfig) -> None:
        self.launcher = launcher
        self.config = config
        self.current: StudentServer | None = None
        self.last_port: int | None = None
        self.started: list[StudentServer] = []
        # (message, how, evidence, outputs) of a server that did not listen
        self.start_failure: tuple[str, str, str, tuple[Captured, ...]] | None = None

    def start(
        self, check: Check, port: int | None = None, *, must_listen: bool = True
    ) -> StudentServer:
        """A brand-new server process (the caller owns it); fails the check if none listens."""
        name = student_file(self.config, check, "server", "echo_server.py")
        self.discard()  # one student server at a time: most hard-code the same port
        if self.start_failure and must_listen:
            # It did not listen before; waiting again would only repeat the same verdict.
            message, how, evidence, outputs = self.start_failure
            check.commands(f"python {name}   # terminal 1: your server")
            check.output(*outputs)
            check.explain("server_never_listens", evidence, how=how)
            check.fail(message + " (as in an earlier check)")
        wanted = port or free_port()
        check.commands(f"python {name}   # terminal 1: your server")
        limit = max(check.timeout_s, 2.0)
        server = StudentServer.start(self.launcher, name, wanted, timeout_s=limit)
        self.started.append(server)
        if server.port is None and must_listen:
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
                message = f"your server exited (status {server.proc.returncode}) before it " + (
                    f"listened: {said}" if said else "listened."
                )
                how = f"it exited (status {server.proc.returncode}) before it listened"
            evidence = student_traceback(stderr, self.launcher.workdir) or (
                f"it printed: {said}" if said else "it printed nothing"
            )
            self.start_failure = (message, how, evidence, outputs)
            check.explain("server_never_listens", evidence, how=how)
            check.fail(message)
        self.last_port = server.port or self.last_port
        return server

    def shared(self, check: Check) -> StudentServer:
        current = self.current
        if current is not None:
            # Let it finish with the last client first: a server that serves one client
            # closes its listening socket a moment after that client has gone.
            wait_until(lambda: current.settled(), 0.3)
        if current is not None and current.port not in current.proc.listening_ports():
            self.discard()  # it exited, or is about to: it no longer listens
        if self.current is None:
            self.current = self.start(check)
        return self.current

    def discard(self) -> None:
        if self.current is not None:
            self.current.stop()
            self.current = None

    def stop_all(self) -> None:
        for server in self.started:
            server.stop()
        self.current = None


@pytest.fixture(scope="session")
def servers(launcher: Launcher, run_config: RunConfig) -> Iterator[Servers]:
    pool = Servers(launcher, run_config)
    yield pool
    pool.stop_all()


@pytest.fixture
def student_server(
    request: pytest.FixtureRequest, servers: Servers, check: Check
) -> Iterator[StudentServer]:
    """The student's server, shared with earlier checks while they all passed."""
    server = servers.shared(check)
    yield server
    check.output(*server.outputs())
    node = request.node
    if getattr(node, "_grader_failed", False) or not server.proc.alive():
        servers.discard()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    try:
        return (yield)
    except BaseException:
        item._grader_failed = True  # type: ignore[attr-defined]
        raise


def client_port(run_config: RunConfig, servers: Servers) -> int:
    """Where the student's client will connect: the port it is told, or the one it hard-codes."""
    if run_config.client_accepts_port:
        return free_port()
    if run_config.client_port_literal is not None:
        return run_config.client_port_literal
    return servers.last_port or run_config.default_port


ClientRunner = Callable[..., ClientCall]


@pytest.fixture
def run_client(
    launcher: Launcher, run_config: RunConfig, servers: Servers, check: Check
) -> Callable[..., tuple[ClientCall, int]]:
    """Call the student's client() in the sandbox against a server the check provides.

    Returns a function `(msg, *, serve) -> (ClientCall, port)`, where `serve(port)`
    starts the server the client should meet and returns what the grader can observe of
    it: the Traffic of a trusted in-process server, or the pid of a server process.
    """
    name = student_file(run_config, check, "client", "echo_client.py")

    def run(
        msg: str,
        *,
        serve: Callable[[int], Traffic | int | None],
        linger: bool = False,
        on_returned: Callable[[], None] | None = None,
        port: int | None = None,
    ) -> tuple[ClientCall, int]:
        target = port or client_port(run_config, servers)
        served = serve(target)
        call = call_client(
            launcher,
            name,
            msg,
            port=target if run_config.client_accepts_port else None,
            timeout_s=check.timeout_s,
            traffic=served if isinstance(served, Traffic) else None,
            peer=served if isinstance(served, int) else None,
            quiescence_s=check.quiescence_s,
            linger=linger,
            on_returned=on_returned,
        )
        check.output(*call.outputs)
        return call, target

    return run


@pytest.fixture
def trusted_server(check: Check) -> Iterator[Callable[..., TrustedServer]]:
    """Start trusted servers (echo, mutating, trickling) that the check owns."""
    made: list[TrustedServer] = []

    def start(port: int, **kwargs: Any) -> TrustedServer:
        server = TrustedServer(port, **kwargs)
        made.append(server)
        if server.bind_error:
            raise HarnessError(server.bind_error)
        return server

    yield start
    for server in made:
        server.close()


def last_words(text: str) -> str:
    """The last non-empty line a process printed (for a crash, the exception line)."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[-1][:300] if lines else ""


class HarnessError(Exception):
    """The grader itself could not set a check up (reported as an error, not a failure)."""


def wait_until(predicate: Callable[[], bool], timeout_s: float) -> bool:
    """Poll a condition without a fixed sleep; True if it came true in time."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.005)
    return predicate()
