"""The immutable result model shared by every stage.

Student -> Checkout -> Located -> (FileProblem...) -> RunResult(CheckResult...) -> Score
-> GradeResult. Every value is a frozen dataclass of tuples, strings, numbers and enums,
so results pickle, compare, and travel between processes (or cluster workers) unchanged;
`grader.codec` turns them into JSON and back, strictly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from pathlib import Path, PurePosixPath


class Outcome(Enum):
    """How one check ended; a timeout is an outcome, not an exception.

    ERROR is the grader's own fault (trusted check code crashed, or its report was
    malformed): never the student's failure, and never a way to a better score either.
    Such a check earns nothing and still counts in the maximum, and the result is
    incomplete (`GradeResult.incomplete`) until it is graded again.
    """

    PASSED = "passed"
    FAILED = "failed"
    TIMEOUT = "timeout"
    ERROR = "error"
    SKIPPED = "skipped"
    NOT_RUN = "not_run"


class Hang(Enum):
    """How the student's side stopped making progress in a check that timed out."""

    BLOCKED = "blocked"  # waiting for something that cannot come: no CPU, no timer, no bytes
    BUSY = "busy"  # still running (CPU, or a timed wait) at the check's time limit


class Isolation(Enum):
    """How student code ran: the sandbox, as a separate unprivileged user (where root
    cannot use namespaces, e.g. in a platform's container), or plainly as the grading
    user (warned)."""

    BWRAP = "bwrap"
    USER = "user"
    NONE = "none"


class CheckoutKind(Enum):
    """Where a submission came from."""

    GIT_URL = "git-url"
    GIT_CLONE = "git-clone"
    DIRECTORY = "directory"


class Status(Enum):
    """How grading one submission ended as a whole."""

    GRADED = "graded"
    NOT_GRADABLE = "not_gradable"
    FETCH_FAILED = "fetch_failed"
    INFRA_ERROR = "infra_error"
    NO_SUBMISSION = "no_submission"


class Visibility(Enum):
    """Who sees a check, using Gradescope's vocabulary."""

    VISIBLE = "visible"
    HIDDEN = "hidden"
    AFTER_DUE_DATE = "after_due_date"


class Detail(Enum):
    """How much of a failed check a student may see (hidden checks must not leak answers)."""

    FULL = "full"
    ACTUAL_ONLY = "actual-only"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class FileSpec:
    """A file the assignment asks for: its role, canonical name and look-alike patterns;
    the words a look-alike must contain (`hints`), and the environment variable its
    server is also told its port in (`port_env`, besides argv[1])."""

    role: str
    name: str
    patterns: tuple[str, ...] = ()
    hints: tuple[str, ...] = ()
    port_env: str = ""


@dataclass(frozen=True, slots=True)
class DataFolder:
    """A folder of the assignment staged beside the graded files, read-only, under `name`
    (the student's own copy, if any, is never staged)."""

    name: str
    source: Path


@dataclass(frozen=True, slots=True)
class CheckSpec:
    """One rubric line: a check id (a test function in the suite) and how it is scored."""

    id: str
    title: str
    points: float
    category: str = ""
    visibility: Visibility = Visibility.VISIBLE
    detail: Detail = Detail.FULL
    needs: tuple[str, ...] = ()
    timeout_s: float | None = None
    advice: bool = False
    extra: bool = False


@dataclass(frozen=True, slots=True)
class Assignment:
    """A declarative assignment: where its checks live and how they are scored."""

    name: str
    title: str
    root: Path
    checks_dir: Path
    files: tuple[FileSpec, ...]
    checks: tuple[CheckSpec, ...]
    default_port: int
    check_timeout_s: float
    submission_budget_s: float
    quiescence_s: float
    version: str
    digest: str
    reference_dir: Path | None = None
    template_dir: Path | None = None
    # Check files run by separate harnesses, side by side when each has its own netns.
    harness_groups: tuple[tuple[str, ...], ...] = ()
    data: tuple[DataFolder, ...] = ()  # staged beside the graded files
    optional: tuple[str, ...] = ()  # the optional tasks the static look searches for
    student_tests: tuple[str, ...] = ()  # template files students edit freely (a note)

    def check(self, check_id: str) -> CheckSpec | None:
        return next((c for c in self.checks if c.id == check_id), None)

    def file(self, role: str) -> FileSpec:
        return next(f for f in self.files if f.role == role)


@dataclass(frozen=True, slots=True)
class Student:
    """One roster row: who, and where their submission lives (None: nothing to fetch)."""

    identifier: str
    repo: str | None
    name: str = ""
    line: int = 0
    extension_hours: float = 0.0


@dataclass(frozen=True, slots=True)
class Checkout:
    """Where a submission came from and which exact state of it is graded."""

    source: str
    path: Path | None  # None once the checkout's folder is gone (it was a scratch clone)
    kind: CheckoutKind
    url: str | None = None
    branch: str | None = None
    commit: str | None = None
    commit_time: datetime | None = None
    dirty: bool = False
    deadline: datetime | None = None  # the rule applied: last commit at or before this
    late_commits: tuple[str, ...] = ()  # "sha date subject" of commits after the deadline
    notes: tuple[str, ...] = ()  # what fetching left out or did not trust, one sentence each


@dataclass(frozen=True, slots=True)
class LocatedFile:
    role: str
    path: PurePosixPath
    reason: str


@dataclass(frozen=True, slots=True)
class Located:
    """Which files were found for which role, and why those."""

    files: tuple[LocatedFile, ...]
    missing: tuple[str, ...]
    notes: tuple[str, ...] = ()
    # Files beyond the required ones that look like the optional multi-client server.
    candidates: tuple[LocatedFile, ...] = ()

    def get(self, role: str) -> LocatedFile | None:
        return next((f for f in self.files if f.role == role), None)


class Concurrency(Enum):
    """How a server serves several clients, from a look at its source."""

    SELECT = "select"
    THREADS = "threads"
    BOTH = "select and threads"
    NEITHER = "neither"


@dataclass(frozen=True, slots=True)
class MultiServer:
    """A candidate for the optional multi-client server, and how it goes about it."""

    path: PurePosixPath
    reason: str
    concurrency: Concurrency = Concurrency.NEITHER
    evidence: str = ""  # e.g. "calls select.select() at line 31"


@dataclass(frozen=True, slots=True)
class PortFunction:
    """A function that looks like the optional port-services task: it takes port bounds."""

    path: PurePosixPath
    name: str
    line: int
    bounds: tuple[str, str]  # the names of its lower and upper bound parameters
    defaults: tuple[str, ...] = ()  # their default values as written ("" = no default)

    @property
    def signature(self) -> str:
        """How it is declared, e.g. `list_services(lower=0, upper=65535)`."""
        defaults = (*self.defaults, "", "")
        shown = [f"{p}={d}" if d else p for p, d in zip(self.bounds, defaults[:2], strict=True)]
        return f"{self.name}({', '.join(shown)})"


@dataclass(frozen=True, slots=True)
class OptionalWork:
    """What the static look found of the optional tasks ("going further")."""

    servers: tuple[MultiServer, ...] = ()
    port_function: PortFunction | None = None


class FlagKind(Enum):
    """What an integrity flag is about; flags inform instructors and never cost points."""

    HIJACK_FILE = "hijack_file"  # conftest.py, pytest.ini, sitecustomize.py, *.pth
    RESULT_FILE = "result_file"  # results.json, *.jsonl, junit*.xml
    ESCAPED = "escaped"  # processes that tried to outlive the grading
    OUTPUT_FLOOD = "output_flood"  # far more output than homework writes


@dataclass(frozen=True, slots=True)
class Flag:
    """Something an instructor may want to look at: one sentence and the files it names."""

    kind: FlagKind
    text: str
    paths: tuple[PurePosixPath, ...] = ()


@dataclass(frozen=True, slots=True)
class SourceFile:
    """The text of one graded file, kept for comparing submissions across a class."""

    role: str
    path: PurePosixPath
    text: str


@dataclass(frozen=True, slots=True)
class FileProblem:
    """A located file that cannot run at all (syntax error, Python 2 code)."""

    role: str
    path: PurePosixPath
    line: int | None
    message: str
    source_line: str = ""
    python2: bool = False


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
