"""The contract between the grader and the trusted harness process of one submission.

The grader hands the harness a `RunConfig` on an inherited pipe (file descriptor in
CONFIG_FD_ENV); the harness answers with one `Record` per line on another inherited pipe
(RESULTS_FD_ENV): one per check, then one for the session. Neither is a path, so no
student process can read the plan or forge an answer. Both travel through
`grader.codec`, the same code that stores the model, so every field arrives with its
type checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from grader.model import CheckResult, FileProblem, FileSpec, MultiServer, PortFunction
from grader.sandbox.policy import Policy

SCHEMA = 2
CONFIG_FD_ENV = "GRADER_CONFIG_FD"
RESULTS_FD_ENV = "GRADER_RESULTS_FD"


@dataclass(frozen=True, slots=True)
class CheckPlan:
    """One check to run: its time limit, and the files (roles) it needs."""

    id: str
    timeout_s: float
    needs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class StagedFile:
    """A graded file: its role, its name in the staged folder, its path in the repository."""

    role: str
    name: str
    path: PurePosixPath


@dataclass(frozen=True, slots=True)
class StagedServer:
    """A candidate for the optional multi-client server, as staged."""

    name: str
    found: MultiServer


@dataclass(frozen=True, slots=True)
class StagedFunction:
    """The optional port-services function, as staged (`name` is its file)."""

    name: str
    found: PortFunction


@dataclass(frozen=True, slots=True)
class RunConfig:
    """Everything the trusted harness needs; paths are on the machine running it."""

    staged: Path
    wanted: tuple[FileSpec, ...]  # the files the assignment asks for
    files: tuple[StagedFile, ...]  # those found and staged
    problems: tuple[FileProblem, ...]
    checks: tuple[CheckPlan, ...]
    policy: Policy
    default_port: int
    quiescence_s: float
    client_accepts_port: bool = False
    client_port_literal: int | None = None
    reference_dir: Path | None = None
    multi_servers: tuple[StagedServer, ...] = ()
    port_function: StagedFunction | None = None
    # Harnesses side by side share the checks: each runs a check only if it creates the
    # check's file in `claims` first, and `backwards` ones start from the end of the plan.
    claims: Path | None = None
    backwards: bool = False

    def file(self, role: str) -> StagedFile | None:
        return next((f for f in self.files if f.role == role), None)

    def wanted_name(self, role: str) -> str:
        return next((f.name for f in self.wanted if f.role == role), f"your {role} file")

    def port_env(self, role: str) -> str:
        """The environment variable the file of `role` is told its port in ('' none)."""
        return next((f.port_env for f in self.wanted if f.role == role), "")

    def problem(self, role: str) -> FileProblem | None:
        return next((p for p in self.problems if p.role == role), None)

    def plan(self, check_id: str) -> CheckPlan | None:
        return next((c for c in self.checks if c.id == check_id), None)


@dataclass(frozen=True, slots=True)
class SessionEnd:
    """The harness's last word: student processes that outlived their checks (killed)."""

    escaped: tuple[int, ...]
    exit_status: int


@dataclass(frozen=True, slots=True)
class Record:
    """One line of the harness's answer: a check's result, or the end of the session."""

    schema: int
    check: CheckResult | None = None
    session: SessionEnd | None = None
