"""Run a batch's grading jobs on a Dask cluster (`pip install 'grader[cluster]'`).

Only the executor changes: each job is the same `jobs.run_task` call, made on a
worker. The gradebook, the cache and the reports stay on this machine. Workers are
checked first (sandbox, grader and assignment versions) and a job re-checks on arrival,
so a worker that joins late with another version refuses rather than mis-grades.
"""

from __future__ import annotations

import functools
import os
import sys
from concurrent.futures import Executor
from dataclasses import replace
from pathlib import Path
from typing import Any

import grader
from grader import __version__
from grader import assignment as assignment_mod
from grader.batch import selfcheck
from grader.batch.jobs import Reused, Task, run_task, ungraded
from grader.errors import GraderError, InfrastructureError, UsageError
from grader.model import Assignment, GradeResult, Status
from grader.run import SandboxRunner, capabilities, ready
from grader.settings import Settings

RETRIES = 2  # a job whose worker died is retried elsewhere this many times


def _load_here(name: str, root: str) -> Assignment:
    """The assignment as installed on this machine: same folder if present, else by name."""
    return assignment_mod.load(root if Path(root, "assignment.toml").is_file() else name)


def worker_problem(version: str, *, digest: str, name: str, root: str) -> str | None:
    """Run on a worker: why it cannot grade this batch, in one sentence, or None."""
    host = os.uname().nodename
    here = grader.__version__  # read at call time: the worker's own installed version
    if here != version:
        return (
            f"worker {host} has grader {here} but the batch needs {version}; install the "
            "same grader version on every worker."
        )
    try:
        found = _load_here(name, root)
    except GraderError as exc:
        return f"worker {host} cannot load assignment {name!r}: {exc}"
    if found.digest != digest:
        return (
            f"worker {host} has a different version of assignment {found.name} "
            f"({found.digest}, batch {digest}); install the same assignments on every worker."
        )
    if not capabilities().sandbox:
        return f"worker {host} cannot sandbox student code: {'; '.join(capabilities().problems)}"
    try:
        ready(Settings())  # its own interpreter and harness start, sandboxed
    except InfrastructureError as exc:
        return f"worker {host}: {exc}"
    return None


def worker_task(task: Task, *, assignment: Assignment, settings: Settings) -> GradeResult | Reused:
    """One grading job on a worker: re-check the worker, use its own paths, grade."""
    problem = worker_problem(
        task.version, digest=assignment.digest, name=assignment.name, root=str(assignment.root)
    )
    if problem:
        return ungraded(
            task.student, assignment=assignment, status=Status.INFRA_ERROR, problem=problem
        )
    local = _load_here(assignment.name, str(assignment.root))
    if not Path(settings.python).exists():  # the client's interpreter path: use ours
        settings = replace(settings, python=sys.executable)
    return run_task(task, assignment=local, settings=settings, runner=_runner(settings, local))


@functools.cache
def _runner(settings: Settings, assignment: Assignment) -> SandboxRunner:
    """This worker's runner for these settings: its warm harness serves every task."""
    runner = SandboxRunner(settings)
    runner.warm(assignment)
    return runner


def worker_selfcheck(name: str, *, root: str, settings: Settings) -> str | None:
    """Run on a worker: the self-check (reference passes, faulty variants fail) here, or
    the one sentence that says why this worker is not trustworthy."""
    local = _load_here(name, root)
    if not Path(settings.python).exists():
        settings = replace(settings, python=sys.executable)
    try:
        selfcheck.verify(local, settings=settings)
    except GraderError as exc:
        return f"worker {os.uname().nodename}: {exc}"
    return None


class Cluster:
    """A connection to a Dask scheduler, checked, and its executor for the batch."""

    def __init__(self, address: str, assignment: Assignment) -> None:
        self.assignment = assignment
        try:
            import distributed
        except ImportError as exc:
            raise UsageError(
                "--cluster needs Dask distributed; install it with `pip install 'grader[cluster]'`."
            ) from exc
        try:
            connect: Any = distributed.Client
            self.client: Any = connect(address, timeout="15s")
        except (OSError, TimeoutError) as exc:
            raise UsageError(
                f"cannot reach the Dask scheduler at {address} ({exc}); start it with "
                "`dask scheduler` and check the address."
            ) from exc
        answers = self.client.run(
            worker_problem,
            __version__,
            digest=assignment.digest,
            name=assignment.name,
            root=str(assignment.root),
        )
        if not answers:
            self.close()
            raise InfrastructureError(f"the Dask scheduler at {address} has no workers.")
        refused = sorted(a for a in answers.values() if a)
        if refused:
            self.close()
            raise InfrastructureError(refused[0])

    def selfcheck(self, settings: Settings) -> None:
        """Every worker grades the reference and the faulty variants itself; the first
        refusal stops the batch before anyone is graded."""
        answers = self.client.run(
            worker_selfcheck,
            self.assignment.name,
            root=str(self.assignment.root),
            settings=settings,
        )
        refused = sorted(a for a in answers.values() if a)
        if refused:
            raise InfrastructureError(refused[0])

    def executor(self) -> Executor:
        # pure=False: Dask would otherwise merge jobs with equal arguments into one task
        # (two byte-identical submissions would be graded once).
        executor: Executor = self.client.get_executor(pure=False, retries=RETRIES)
        return executor

    def close(self) -> None:
        self.client.close()
