"""Stage 5 of 7, staged submission -> RunResult: run the assignment's checks on it.

The pipeline talks to a `Runner`. The real one, `SandboxRunner`, starts trusted pytest
processes (grader/run/harness.py) that drive the student's code in the sandbox and
report one record per check, parsed strictly (grader/run/results.py) and cross-checked
against the rubric: a missing check did not run and scores zero, and nothing written by
student code is ever read as a result. Tests use a fake runner with the same shape.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Protocol

from grader import trace
from grader.errors import InfrastructureError
from grader.model import Assignment, Isolation, RunResult
from grader.protocol import CheckPlan, RunConfig, StagedFile, StagedFunction, StagedServer
from grader.run import harness as harnesses
from grader.run.harness import HarnessProcess, Supervisor
from grader.run.results import Parsed, parse, results
from grader.sandbox import Capabilities, Launcher, Policy, policy_for, probe
from grader.settings import Settings
from grader.static import Inspection

UNSANDBOXED_WARNING = (
    "NOT SANDBOXED: this machine lacks bubblewrap or network namespaces, so the student's "
    "code ran with your user's rights and network. Run `grade --check-sandbox` to see what "
    "to install."
)
ESCAPED_WARNING = (
    "some of your processes tried to outlive the grading (e.g. a daemon that forks into "
    "the background); they were killed."
)


@dataclass(frozen=True, slots=True)
class Job:
    """One submission, staged: its files, what the static look found, the assignment."""

    staged: Path
    files: tuple[StagedFile, ...]
    inspection: Inspection
    assignment: Assignment
    multi_servers: tuple[StagedServer, ...] = ()
    port_function: StagedFunction | None = None
    # The policy the static look already ran under (None: the runner decides one): one
    # job id, one set of limits, per submission.
    policy: Policy | None = None


class Runner(Protocol):
    """Runs a staged submission's checks: the seam between the pipeline and the sandbox."""

    def run(self, job: Job) -> RunResult: ...


@cache
def capabilities() -> Capabilities:
    """What this machine offers, probed once per process."""
    return probe()


def require_sandbox(caps: Capabilities) -> None:
    """Refuse, in one sentence, to grade a batch on a machine without the sandbox."""
    if not caps.sandbox:
        raise InfrastructureError(
            "batch grading runs student code only in the sandbox, which this machine lacks ("
            + "; ".join(caps.problems)
            + "); fix that, or pass --no-sandbox to run it unprotected."
        )


def student_policy(settings: Settings) -> Policy:
    """The policy student code runs under on this machine, once the interpreter is known
    to start under it (the static look of the files runs under it too)."""
    caps = capabilities()
    if settings.require_sandbox:
        require_sandbox(caps)
    policy = policy_for(
        caps,
        sandbox=settings.sandbox,
        python=settings.python,
        limits=settings.limits,
        run_as=settings.run_as,
        prefer_run_as=settings.prefer_run_as,
    )
    with trace.span("preflight"):
        preflight(policy)
    return policy


class SandboxRunner:
    """The real runner: the checks in trusted harnesses, student code in the sandbox."""

    def __init__(self, settings: Settings, *, supervisor: Supervisor | None = None) -> None:
        self.settings = settings
        self.supervisor = supervisor or Supervisor()

    def run(self, job: Job) -> RunResult:
        """Run every check of the assignment; a student's misbehaviour is an outcome, only
        a machine that cannot grade raises (InfrastructureError)."""
        caps = capabilities()
        settings = self.settings
        policy = job.policy or student_policy(settings)
        config = plan(job, policy=policy, check_timeout_s=settings.check_timeout_s)
        with (
            tempfile.TemporaryDirectory(prefix="grader-harness-") as home,
            trace.span("checks (harnesses, wall)"),
        ):
            return self._run(job.assignment, config, caps, Path(home))

    def _run(
        self, assignment: Assignment, config: RunConfig, caps: Capabilities, home: Path
    ) -> RunResult:
        budget = assignment.submission_budget_s
        groups = assignment.harness_groups or ((),)
        with _serialized(not config.policy.netns):
            started = time.monotonic()
            deadline = started + budget
            # Each group of check files gets its own harness; with network namespaces
            # they run side by side, else one after another.
            running: list[HarnessProcess] = []
            for i, group in enumerate(groups):
                group_config = replace(
                    config, policy=replace(config.policy, job_id=f"{config.policy.job_id}g{i}")
                )
                targets = [assignment.checks_dir / f for f in group] or [assignment.checks_dir]
                running.append(
                    harnesses.start(
                        group_config,
                        targets=targets,
                        checks_dir=assignment.checks_dir,
                        caps=caps,
                        home=home,
                        supervisor=self.supervisor,
                    )
                )
                if not config.policy.netns:
                    running[-1].finish(deadline)
            for one in running:
                one.finish(deadline)
            wall = time.monotonic() - started
        return _result(assignment, config, running, wall)


def _result(
    assignment: Assignment, config: RunConfig, running: list[HarnessProcess], wall: float
) -> RunResult:
    budget = assignment.submission_budget_s
    timed_out = any(h.timed_out for h in running)
    known = [c.id for c in assignment.checks]
    parsed: list[Parsed] = [parse(h.raw, known=known) for h in running]
    missing = (
        f"this check did not run: grading your submission hit its {budget:g} s budget "
        "before reaching it."
        if timed_out
        else "this check did not report a result (the check harness stopped early)."
    )
    checks = results(parsed, specs=assignment.checks, missing=missing)
    if not any(p.checks or p.errors for p in parsed) and not timed_out:
        said = " ".join(h.output.text()[-300:] for h in running)
        raise InfrastructureError(
            "the grader's own check harness failed before running any check (exit status "
            f"{[h.proc.returncode for h in running]}); this is a bug or a broken install: "
            f"{said}"
        )
    escaped = {p for h in running for p in h.escaped} | {
        p for one in parsed if one.session for p in one.session.escaped
    }
    warnings = [ESCAPED_WARNING] if escaped else []
    if config.policy.isolation is Isolation.NONE:
        warnings.insert(0, UNSANDBOXED_WARNING)
    return RunResult(
        checks=checks,
        wall_s=round(wall, 3),
        isolation=config.policy.isolation,
        timed_out=timed_out,
        job_id=config.policy.job_id,
        harness_output=harnesses.merged_output(running),
        warnings=tuple(warnings),
        escaped=len(escaped),
    )


def plan(job: Job, *, policy: Policy, check_timeout_s: float | None = None) -> RunConfig:
    """The harness's plan for one submission (its protocol.RunConfig)."""
    assignment = job.assignment
    inspection = job.inspection
    return RunConfig(
        staged=job.staged,
        wanted=assignment.files,
        files=job.files,
        problems=inspection.problems,
        checks=tuple(
            CheckPlan(c.id, check_timeout_s or c.timeout_s or assignment.check_timeout_s, c.needs)
            for c in assignment.checks
        ),
        policy=policy,
        default_port=assignment.default_port,
        quiescence_s=assignment.quiescence_s,
        client_accepts_port=inspection.client_accepts_port,
        client_port_literal=inspection.client_port_literal,
        reference_dir=assignment.reference_dir,
        multi_servers=job.multi_servers,
        port_function=job.port_function,
    )


_PREFLIGHT_LOCK = threading.Lock()
_PREFLIGHT_DONE: set[Policy] = set()


def preflight(policy: Policy) -> None:
    """Start the student interpreter in the sandbox once per process (per interpreter and
    isolation) before any check: if it cannot start, no student verdict is produced."""
    key = replace(policy, job_id="")
    with _PREFLIGHT_LOCK:
        if key in _PREFLIGHT_DONE:
            return
        with tempfile.TemporaryDirectory(prefix="grader-preflight-") as folder:
            launcher = Launcher(replace(policy, job_id=uuid.uuid4().hex[:12]), Path(folder))
            proc = launcher.spawn(["-c", "import socket, select, json"], name="preflight")
            code = proc.wait(20.0)
            said = (proc.stderr.text() + proc.stdout.text()).strip().splitlines()
            launcher.close()
        if code != 0:
            why = said[-1] if said else f"exit status {code}"
            raise InfrastructureError(
                f"the student interpreter {policy.python} does not start in the sandbox "
                f"({why}); run `grade --check-sandbox`, or pass another interpreter with "
                "--python."
            )
        _PREFLIGHT_DONE.add(key)


def _lock_path() -> Path:
    """A lock of this user's, never a fixed name in the shared /tmp."""
    base = os.environ.get("XDG_RUNTIME_DIR") or str(Path.home() / ".cache")
    folder = Path(base) / "grader"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder / "unsandboxed.lock"


@contextlib.contextmanager
def _serialized(needed: bool) -> Iterator[None]:
    """Without network namespaces, submissions share the machine's ports (most hard-code
    10000), so this user's unsandboxed runs take turns."""
    if not needed:
        yield
        return
    fd = os.open(_lock_path(), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
