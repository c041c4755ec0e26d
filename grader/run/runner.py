"""The real runner: the checks in trusted harnesses (harness.py), student code in the
sandbox, one record per check parsed strictly (results.py) and cross-checked against the
rubric; without network namespaces, this user's runs take turns on the machine's ports."""

from __future__ import annotations

import contextlib
import os
import socket
import stat
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from grader import trace
from grader.errors import GraderError, InfrastructureError
from grader.model import Assignment, Isolation, RunResult
from grader.protocol import RunConfig
from grader.run import harness as harnesses
from grader.run import policy as policies
from grader.run.harness import HarnessProcess, Supervisor, Zygotes
from grader.run.job import Job, plan
from grader.run.results import Parsed, parse, results
from grader.sandbox import Capabilities
from grader.sandbox.policy import wants_netns, with_job
from grader.settings import Settings

if sys.platform != "win32":  # grading refuses on Windows (policy_for says: use WSL)
    import fcntl

UNSANDBOXED_WARNING = (
    "NOT SANDBOXED: this machine lacks bubblewrap or network namespaces (or is not Linux), "
    "so the student's code ran with your user's rights and network. Run `grade "
    "--check-sandbox` to see why and what to install."
)
PORTABLE_NOTE = (
    "without Linux's /proc the grader cannot tell a stuck process at once, so a hang takes "
    "its check's whole time limit here."
)
ESCAPED_WARNING = (
    "some of your processes tried to outlive the grading (e.g. a daemon that forks into "
    "the background); they were killed."
)


class SandboxRunner:
    """The real runner: the checks in trusted harnesses, student code in the sandbox."""

    def __init__(self, settings: Settings, *, supervisor: Supervisor | None = None) -> None:
        self.settings = settings
        self.supervisor = supervisor or Supervisor()
        self.zygotes = Zygotes()

    def warm(self, assignment: Assignment) -> None:
        """Start warming a harness for this assignment now, while the submission is
        fetched and inspected (for a batch, once for all its submissions)."""
        settings = self.settings
        caps = policies.capabilities(settings.portable)
        with contextlib.suppress(GraderError, KeyError):  # the run itself will say what is wrong
            netns = wants_netns(
                caps,
                sandbox=settings.sandbox,
                run_as=settings.run_as,
                prefer_run_as=settings.prefer_run_as,
            )
            self.zygotes.get(assignment.checks_dir, netns=netns, caps=caps)

    def close(self) -> None:
        """Stop the warm harnesses (they also die with the grader)."""
        self.zygotes.close()

    def run(self, job: Job) -> RunResult:
        """Run every check of the assignment; a student's misbehaviour is an outcome, only
        a machine that cannot grade raises (InfrastructureError)."""
        settings = self.settings
        caps = policies.capabilities(settings.portable)
        policy = job.policy or policies.student_policy(settings)
        policy = replace(policy, hidden=(*policy.hidden, *_assignment_paths(job.assignment)))
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
        with _serialized(not config.policy.netns):
            if not config.policy.netns:
                _port_free(config.default_port)
            started = time.monotonic()
            deadline = started + budget
            # Each harness gets its own job id (its own cgroups and leftovers sweep); with
            # network namespaces they run side by side, else one after another.
            running: list[HarnessProcess] = []
            for i, (group, shared) in enumerate(_harnesses(assignment, config, home)):
                group_config = replace(
                    shared, policy=with_job(config.policy, job_id=f"{config.policy.job_id}g{i}")
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
                        zygote=self.zygotes.get(
                            assignment.checks_dir, netns=config.policy.netns, caps=caps
                        ),
                    )
                )
                if not config.policy.netns:
                    running[-1].finish(deadline)
            for one in running:
                one.finish(deadline)
            wall = time.monotonic() - started
        return _result(assignment, config, running, wall)


SIDE_BY_SIDE = 2  # harnesses sharing one submission's checks: the machine's 2 cores


def _harnesses(
    assignment: Assignment, config: RunConfig, home: Path
) -> list[tuple[tuple[str, ...], RunConfig]]:
    """The harnesses to start: (check files, plan) each. The assignment's own groups if
    it names any; else, with network namespaces, SIDE_BY_SIDE harnesses that each take
    the next unclaimed check, one from the front of the plan and one from the back, so
    they finish together whatever each check costs; else one harness for everything."""
    if assignment.harness_groups:
        return [(group, config) for group in assignment.harness_groups]
    if not config.policy.netns:
        return [((), config)]
    claims = home / "claims"
    claims.mkdir(mode=0o700)
    return [((), replace(config, claims=claims, backwards=i % 2 == 1)) for i in range(SIDE_BY_SIDE)]


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
    # A harness that said nothing at all (not even its session's end) never started: the
    # grader's fault, whatever the other harnesses found.
    silent = [
        h for h, p in zip(running, parsed, strict=True) if not (p.checks or p.errors or p.session)
    ]
    if silent and not timed_out:
        said = " ".join(h.output.text()[-300:] for h in silent)
        raise InfrastructureError(
            "the grader's own check harness failed before running any check (exit status "
            f"{[h.proc.returncode for h in silent]}); this is a bug or a broken install: "
            f"{said}"
        )
    escaped = {p for h in running for p in h.escaped} | {
        p for one in parsed if one.session for p in one.session.escaped
    }
    warnings = [ESCAPED_WARNING] if escaped else []
    if config.policy.portable:
        warnings.insert(0, PORTABLE_NOTE)
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


def _assignment_paths(assignment: Assignment) -> tuple[str, ...]:
    """The assignment's own files (checks, reference): out of student code's reach too."""
    folder = assignment.checks_dir.parent
    paths = [folder if (folder / "assignment.toml").is_file() else assignment.checks_dir]
    if assignment.reference_dir:
        paths.append(Path(assignment.reference_dir))
    return tuple(str(p) for p in paths)


def _lock_path() -> Path:
    """A lock of this user's, never a fixed name in the shared /tmp: in the user's runtime
    folder or cache, else a folder of the user's own (checked) in the temp folder."""
    try:
        cache = str(Path.home() / ".cache")
    except RuntimeError:  # no home at all
        cache = ""
    for base in (os.environ.get("XDG_RUNTIME_DIR", ""), cache):
        if base and Path(base).is_absolute():
            folder = Path(base) / "grader"
            try:
                folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            except OSError:
                continue
            return folder / "unsandboxed.lock"
    folder = Path(tempfile.gettempdir()) / f"grader-{os.getuid()}"
    with contextlib.suppress(FileExistsError):
        folder.mkdir(mode=0o700)
    info = folder.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise InfrastructureError(
            f"{folder} is not a private folder of this user, so the grader cannot keep its "
            "lock there; remove it, or set XDG_RUNTIME_DIR to a folder of yours."
        )
    return folder / "unsandboxed.lock"


def _port_free(port: int) -> None:
    """Sharing the machine's network (its turn taken), refuse to start while another
    program listens on the assignment's port: the checks would meet that program, and
    the student's server could not bind. Its fault is the machine's, never the student's."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except OSError:
        return
    raise InfrastructureError(
        f"another program listens on port {port} of this machine (maybe your own server, "
        "still running in a terminal); stop it and run grade again."
    )


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
