"""What running and scoring a submission found: each check's result and its evidence
(`CheckResult`), the run (`RunResult`), the score (`Score`), and everything known about
grading one submission (`GradeResult`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from grader.model.enums import Hang, Isolation, Outcome, Status, Visibility
from grader.model.intake import Checkout, FileProblem, Flag, Located, OptionalWork, SourceFile


@dataclass(frozen=True, slots=True)
class Exchange:
    """One conversation on the wire: what was sent, what came back, what was expected."""

    label: str
    sent: bytes | None = None
    received: bytes | None = None
    expected: bytes | None = None
    elapsed_s: float | None = None
    note: str = ""
    # Payloads are kept clipped (head and tail); these are the real sizes on the wire.
    sent_len: int | None = None
    received_len: int | None = None
    expected_len: int | None = None


@dataclass(frozen=True, slots=True)
class Captured:
    """The capped output of one process: head and tail kept, the middle counted."""

    name: str
    head: str
    tail: str = ""
    total_bytes: int = 0
    cut_bytes: int = 0


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """A plain-words explanation of an outcome and the evidence that triggered it."""

    code: str
    text: str
    evidence: str = ""
    quotes_expected: bool = False  # the evidence shows the expected value: hide it for actual-only


@dataclass(frozen=True, slots=True)
class CheckResult:
    """What one check found: its outcome and the evidence a reader needs to act on it.

    `trace` is the traceback of a grader fault (Outcome.ERROR), for instructors only.
    """

    check_id: str
    outcome: Outcome
    duration_s: float = 0.0
    message: str = ""
    exchanges: tuple[Exchange, ...] = ()
    outputs: tuple[Captured, ...] = ()
    diagnoses: tuple[Diagnosis, ...] = ()
    reproduce: tuple[str, ...] = ()
    hang: Hang | None = None
    trace: str = ""


@dataclass(frozen=True, slots=True)
class RunResult:
    """What the trusted harness reported for one submission."""

    checks: tuple[CheckResult, ...]
    wall_s: float
    isolation: Isolation
    timed_out: bool = False
    job_id: str = ""  # marks every student process of this run (GRADER_JOB=...)
    harness_output: Captured | None = None
    warnings: tuple[str, ...] = ()
    escaped: int = 0  # student processes still alive after the job ended (killed then)

    def get(self, check_id: str) -> CheckResult | None:
        return next((c for c in self.checks if c.check_id == check_id), None)

    @property
    def sandboxed(self) -> bool:
        return self.isolation is not Isolation.NONE

    @property
    def grader_faults(self) -> tuple[CheckResult, ...]:
        """Checks the grader could not run (its own fault: they earn nothing for now)."""
        return tuple(c for c in self.checks if c.outcome is Outcome.ERROR)


@dataclass(frozen=True, slots=True)
class CheckScore:
    """One rubric line as scored: `counted` says whether it is in points and max_points."""

    check_id: str
    title: str
    points: float
    max_points: float
    outcome: Outcome
    visibility: Visibility
    counted: bool = True  # hidden checks count once revealed
    hidden: bool = False  # a hidden check the student may not see yet
    extra: bool = False
    advice: bool = False


@dataclass(frozen=True, slots=True)
class Score:
    """Points by the rubric; extra credit is apart and never part of max_points.

    A check the grader could not run (ERROR) is in max_points and earns 0: a fault never
    raises a percentage. `fault_count` and `fault_points` say how many there were (of
    every check, extra ones too) and what the main ones were worth, so a report can say
    the score is incomplete.
    """

    points: float
    max_points: float
    checks: tuple[CheckScore, ...]
    hidden_count: int = 0
    hidden_points: float = 0.0
    extra_points: float = 0.0
    fault_count: int = 0  # checks the grader could not run: in max_points, earning 0
    fault_points: float = 0.0  # what those (but extra credit) are worth

    @property
    def percent(self) -> float:
        return 100.0 * self.points / self.max_points if self.max_points else 0.0


@dataclass(frozen=True, slots=True)
class GradeResult:
    """Everything known about grading one submission; a student's failure is data."""

    student: str
    status: Status
    assignment: str
    assignment_digest: str
    grader_version: str
    problem: str = ""
    checkout: Checkout | None = None
    located: Located | None = None
    file_problems: tuple[FileProblem, ...] = ()
    run: RunResult | None = None
    score: Score | None = None
    warnings: tuple[str, ...] = ()
    started_at: datetime | None = None
    duration_s: float = 0.0
    optional: OptionalWork | None = None  # the optional tasks found (None: not looked at)
    flags: tuple[Flag, ...] = ()  # for instructors only; no penalty
    notes: tuple[str, ...] = ()  # for instructors only: worth knowing, not a flag
    sources: tuple[SourceFile, ...] = ()  # graded files' text, for similarity in a batch
    reused: bool = False  # taken from the gradebook (same commit, assignment and settings)

    @property
    def incomplete(self) -> bool:
        """The grader failed on this submission (its own fault, not the student's): a
        check it could not run, or no grading at all. Its score is a lower bound, it is
        never reused from a gradebook, and every output says so."""
        return self.status is Status.INFRA_ERROR or self.fault_count > 0

    @property
    def fault_count(self) -> int:
        """How many checks the grader could not run."""
        return len(self.run.grader_faults) if self.run is not None else 0
