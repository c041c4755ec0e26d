"""The trusted pytest plugin: runs the checks the grader planned, in its order, and
writes one record per check (and one for the session) to the grader's results pipe.

Loaded with `-p grader.harness.plugin` by the grader's own pytest invocation; never from
a student's folder. Its state lives in `config.stash`. How a check ended is decided
here, by the exception that ended it, and by nothing a student wrote:
- `Check.fail` / `Check.hung` (pytest.fail underneath): the student's code failed it;
- `StudentFault`: the submission made trusted code fail (a port its process holds, an
  answer that cannot be read): the student's FAIL, its sentence the message;
- pytest-timeout's backstop (twice the limit and more): a hang, the student's side busy;
- anything else raised by check code or a fixture (HarnessError included): the grader's
  own fault (ERROR), shown to students as one sentence and to instructors with its
  traceback.

Student code never runs in this process, so it cannot raise here; what it can do is
send bytes, and every reader of those is bounded and fails closed (grader/errors.py has
the rule). Should a reader still miss a case, the check is an ERROR, and an ERROR never
raises a score: it earns nothing, counts in the maximum, and makes the result
incomplete (`GradeResult.incomplete`), so provoking one gains a student nothing.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import IO, Any

import pytest

from grader import codec
from grader import trace as tracing
from grader.errors import StudentFault
from grader.harness.evidence import Check
from grader.model import CheckResult, Hang, Outcome
from grader.protocol import CONFIG_FD_ENV, RESULTS_FD_ENV, SCHEMA, Record, RunConfig, SessionEnd

GRADER_FAULT = (
    "the grader could not run this check (a fault of the grader, not of your code); it "
    "earns no points until it is graded again, and your instructor can see what went wrong."
)
BACKSTOP = "the check ran out of time: your code was still running at its time limit."
MAX_TRACE = 12_000
MAX_MESSAGE = 4_000  # a failure's message may quote what the student's code said


@dataclass
class Harness:
    """The plugin's state for one session (one submission's checks)."""

    config: RunConfig
    out: IO[str]
    escaped: list[int] = field(default_factory=list)

    def write(self, record: Record) -> None:
        self.out.write(json.dumps(codec.dump(record)) + "\n")
        self.out.flush()


@dataclass
class Phases:
    """How the phases of one check went: the first failure decides its outcome."""

    outcome: Outcome | None = None
    message: str = ""
    trace: str = ""
    seconds: float = 0.0
    backstop_at: float | None = None


harness_key = pytest.StashKey[Harness]()
elsewhere_key = pytest.StashKey[bool]()
evidence_key = pytest.StashKey[Check]()
phases_key = pytest.StashKey[Phases]()


def check_id(item: pytest.Item) -> str:
    name = getattr(item, "originalname", None) or item.name
    return name.removeprefix("test_")


def harness(config: pytest.Config) -> Harness:
    found = config.stash.get(harness_key, None)
    if found is None:
        raise pytest.UsageError(f"the grader harness needs {CONFIG_FD_ENV} and {RESULTS_FD_ENV}")
    return found


def pytest_configure(config: pytest.Config) -> None:
    config_fd, results_fd = os.environ.get(CONFIG_FD_ENV), os.environ.get(RESULTS_FD_ENV)
    if config_fd is None or results_fd is None:
        return
    with os.fdopen(int(config_fd), encoding="utf-8") as f:
        run = codec.load(RunConfig, json.load(f))
    out = os.fdopen(int(results_fd), "w", buffering=1, encoding="utf-8")
    config.stash[harness_key] = Harness(run, out)


def pytest_collection_finish(session: pytest.Session) -> None:
    tracing.record("harness ready", start=time.monotonic(), seconds=0.0)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run exactly the checks the grader planned, in its order, each with pytest-timeout
    as the backstop behind the check's own limit."""
    plans = harness(config).config.checks
    order = {plan.id: n for n, plan in enumerate(plans)}
    unwanted = [item for item in items if check_id(item) not in order]
    if unwanted:
        config.hook.pytest_deselected(items=unwanted)
    items[:] = sorted(
        (i for i in items if check_id(i) in order),
        key=lambda i: order[check_id(i)],
        reverse=harness(config).config.backwards,
    )
    for item in items:
        plan = plans[order[check_id(item)]]
        item.add_marker(pytest.mark.timeout(2 * plan.timeout_s + 5, method="signal"))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """With harnesses side by side, run a check only if this one claims it first; one
    claimed elsewhere is skipped before any fixture starts, and never reported here."""
    claims = harness(item.config).config.claims
    if claims is None:
        return
    try:
        os.close(os.open(claims / check_id(item), os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        item.stash[elsewhere_key] = True
        pytest.skip("run by the other harness")


@pytest.hookimpl(tryfirst=True)
def pytest_timeout_set_timer(item: pytest.Item, settings: Any) -> None:
    """Remember when the backstop fires, to tell its failure from the check's own."""
    item.stash.setdefault(phases_key, Phases()).backstop_at = time.monotonic() + settings.timeout


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if item.stash.get(elsewhere_key, False):
        return report
    phases = item.stash.setdefault(phases_key, Phases())
    phases.seconds += report.duration
    if phases.outcome is None and (report.failed or report.skipped):
        phases.outcome, phases.message, phases.trace = _ended(item, call, report, phases)
    if report.when == "teardown":
        _write(item, phases)
    return report


def _ended(
    item: pytest.Item, call: pytest.CallInfo[None], report: pytest.TestReport, phases: Phases
) -> tuple[Outcome, str, str]:
    if report.skipped:
        why = report.longrepr[-1] if isinstance(report.longrepr, tuple) else report.longrepr
        return Outcome.SKIPPED, str(why or ""), ""
    excinfo = call.excinfo
    if phases.backstop_at is not None and time.monotonic() >= phases.backstop_at:
        check = item.stash.get(evidence_key, None)
        if check is not None and check.hang is None:
            check.hang = Hang.BUSY
        return Outcome.TIMEOUT, BACKSTOP, ""
    if excinfo is not None and excinfo.errisinstance((pytest.fail.Exception, StudentFault)):
        return Outcome.FAILED, str(excinfo.value)[:MAX_MESSAGE], ""
    return Outcome.ERROR, GRADER_FAULT, str(report.longrepr)[-MAX_TRACE:]


def _write(item: pytest.Item, phases: Phases) -> None:
    outcome = phases.outcome or Outcome.PASSED
    check = item.stash.get(evidence_key, None)
    duration = round(phases.seconds, 4)
    if check is None:
        result = CheckResult(check_id(item), outcome, duration, phases.message, trace=phases.trace)
    else:
        result = check.result(
            outcome, duration_s=duration, message=phases.message, trace=phases.trace
        )
    harness(item.config).write(Record(SCHEMA, check=result))
    tracing.record(
        f"check {result.check_id}", start=time.monotonic() - phases.seconds, seconds=phases.seconds
    )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    state = session.config.stash.get(harness_key, None)
    if state is not None:
        state.write(Record(SCHEMA, session=SessionEnd(tuple(state.escaped), int(exitstatus))))
        state.out.close()
