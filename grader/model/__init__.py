"""The immutable result model shared by every stage.

Student -> Checkout -> Located -> (FileProblem...) -> RunResult(CheckResult...) -> Score
-> GradeResult. Every value is a frozen dataclass of tuples, strings, numbers and enums,
so results pickle, compare, and travel between processes (or cluster workers) unchanged;
`grader.codec` turns them into JSON and back, strictly.

The closed sets are in enums.py, what an assignment asks for in rubric.py, what is known
of a submission before its checks run in intake.py, and what running and scoring it
found in results.py; every stage imports them from here.
"""

from grader.model.enums import (
    CheckoutKind,
    Concurrency,
    Detail,
    FlagKind,
    Hang,
    Isolation,
    Outcome,
    Status,
    Visibility,
)
from grader.model.intake import (
    Checkout,
    FileProblem,
    Flag,
    Located,
    LocatedFile,
    MultiServer,
    OptionalWork,
    PortFunction,
    SourceFile,
    Student,
)
from grader.model.results import (
    Captured,
    CheckResult,
    CheckScore,
    Diagnosis,
    Exchange,
    GradeResult,
    RunResult,
    Score,
)
from grader.model.rubric import Assignment, CheckSpec, DataFolder, FileSpec

__all__ = [
    "Assignment",
    "Captured",
    "CheckResult",
    "CheckScore",
    "CheckSpec",
    "Checkout",
    "CheckoutKind",
    "Concurrency",
    "DataFolder",
    "Detail",
    "Diagnosis",
    "Exchange",
    "FileProblem",
    "FileSpec",
    "Flag",
    "FlagKind",
    "GradeResult",
    "Hang",
    "Isolation",
    "Located",
    "LocatedFile",
    "MultiServer",
    "OptionalWork",
    "Outcome",
    "PortFunction",
    "RunResult",
    "Score",
    "SourceFile",
    "Status",
    "Student",
    "Visibility",
]
