"""The seam between the pipeline and the sandbox: a staged submission (`Job`), what runs
its checks (`Runner`), and the harness's plan for it (`plan`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from grader.model import Assignment, RunResult
from grader.protocol import CheckPlan, RunConfig, StagedFile, StagedFunction, StagedServer
from grader.sandbox import Policy
from grader.static import Inspection


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
