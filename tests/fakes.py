"""A table-driven Runner and a small rubric: the pipeline, score, report and batch logic
without a sandbox, in milliseconds.

The fake stands where `SandboxRunner` stands (the `grader.run.Runner` seam). Each
submission picks its row of the table by a marker in its staged files, so a real git
repository holding a one-line `echo_server.py` (`# verdict: fails-long`) drives the
whole pipeline: fetch, locate, static, stage, then this table instead of the harness.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from grader.model import (
    Assignment,
    CheckResult,
    CheckSpec,
    Detail,
    FileSpec,
    Isolation,
    Outcome,
    RunResult,
    Visibility,
)
from grader.run import Job

MARKER = re.compile(r"#\s*verdict:\s*([\w-]+)")


@dataclass(frozen=True, slots=True)
class Row:
    """The verdicts of one kind of submission: an outcome per check id (the rest get
    `default`), or an exception the runner raises instead (a crash, a broken machine).
    `first` overrides outcomes for the row's first job only (a fault that goes away)."""

    outcomes: Mapping[str, Outcome] = field(default_factory=dict)
    default: Outcome = Outcome.PASSED
    raises: BaseException | None = None
    warnings: tuple[str, ...] = ()
    first: Mapping[str, Outcome] = field(default_factory=dict)  # the first job's only


class FakeRunner:
    """A `Runner` whose results come from `table`, keyed by the `# verdict: NAME` marker
    in the staged files. It remembers every job it ran and the row each picked (the
    staged folder is gone once grading ends); thread-safe."""

    def __init__(self, table: Mapping[str, Row]) -> None:
        self.table = table
        self._ran: list[tuple[str, Job]] = []
        self._seen: dict[str, int] = {}  # jobs per row, ever (forget() keeps it)
        self._lock = threading.Lock()

    def run(self, job: Job) -> RunResult:
        key = marker(job.staged)
        with self._lock:
            before = self._seen.get(key, 0)
            self._seen[key] = before + 1
            self._ran.append((key, job))
        row = self.table[key]
        if row.raises is not None:
            raise row.raises
        outcomes = {**row.outcomes, **row.first} if before == 0 else row.outcomes
        checks = tuple(
            _result(spec.id, outcomes.get(spec.id, row.default)) for spec in job.assignment.checks
        )
        return RunResult(checks, wall_s=0.0, isolation=Isolation.NONE, warnings=row.warnings)

    @property
    def jobs(self) -> list[Job]:
        """The jobs run so far, in the order they arrived."""
        with self._lock:
            return [job for _, job in self._ran]

    def markers(self) -> list[str]:
        """The rows the jobs picked, in the order they arrived."""
        with self._lock:
            return [key for key, _ in self._ran]

    def forget(self) -> None:
        with self._lock:
            self._ran.clear()


def marker(staged: Path) -> str:
    """The verdict marker of a staged submission (the first one found, by file name)."""
    for path in sorted(staged.iterdir()):
        found = MARKER.search(path.read_text(encoding="utf-8", errors="replace"))
        if found:
            return found.group(1)
    names = sorted(p.name for p in staged.iterdir())
    raise AssertionError(f"no '# verdict: NAME' line in the staged files {names}")


def _result(check_id: str, outcome: Outcome) -> CheckResult:
    if outcome is Outcome.PASSED:
        return CheckResult(check_id, outcome, 0.01)
    return CheckResult(check_id, outcome, 0.01, message=f"fake: {check_id} {outcome.value}.")


def submission(verdict: str) -> dict[str, str]:
    """The files of a one-line submission that picks row `verdict` of a FakeRunner."""
    return {
        "echo_server.py": f"# verdict: {verdict}\n",
        "echo_client.py": "def client(msg, log_buffer):\n    return msg\n",
    }


def tiny_assignment(root: Path = Path("/nowhere")) -> Assignment:
    """A small rubric that covers each kind of check: visible, hidden, advice, extra."""
    return Assignment(
        name="tiny",
        title="Tiny echo",
        root=root,
        checks_dir=root / "checks",
        files=(
            FileSpec("server", "echo_server.py", ("*server*.py",)),
            FileSpec("client", "echo_client.py", ("*client*.py",)),
        ),
        checks=(
            CheckSpec("short", "Echoes a short message", 5, "server"),
            CheckSpec("long", "Echoes a long message", 5, "server"),
            CheckSpec(
                "secret",
                "Echoes the secret",
                4,
                "server",
                visibility=Visibility.HIDDEN,
                detail=Detail.ACTUAL_ONLY,
            ),
            CheckSpec("client", "Client returns the echo", 6, "client"),
            CheckSpec("advice", "Advice: log each chunk", 0, "advice", advice=True),
            CheckSpec("extra", "Serves two clients at once", 3, "extra", extra=True),
        ),
        default_port=10000,
        check_timeout_s=2.0,
        submission_budget_s=30.0,
        quiescence_s=0.35,
        version="1",
        digest="tiny-digest",
    )
