"""The grader's own errors: each carries its exit code and reads as one sentence.

    GraderError                 exit 3 unless overridden
    ├── UsageError              2  bad options, malformed input files
    │   └── AssignmentError     2  an assignment folder or its assignment.toml is wrong
    ├── SourceError             3  the submission could not be fetched (bad URL, missing, empty)
    ├── NotGradableError        3  fetched, but nothing to grade (no expected files)
    └── InfrastructureError     4  this machine cannot run the grading (sandbox, harness crash)
        └── HarnessError        4  trusted check code could not set a check up (a grader fault)

    StudentFault                   a submission made trusted check code fail: its FAIL

Third-party errors are translated where they enter (`raise ... from exc`); anything else
that escapes is a bug and is shown with its traceback.

The rule for check code (grader/harness/plugin.py applies it): anything a submission can
cause is that submission's outcome. A reader of bytes a student influenced (/proc text,
an answer pipe, JSON, a returned value, a port held) is bounded and total: it returns a
value, or the caller fails the check, or it raises StudentFault; the check then FAILS
with a diagnosis. HarnessError, and any other exception, is a grader fault (ERROR): the
check earns nothing and stays in the maximum, the result is incomplete (a batch grades
it again at once), so a fault the student provokes can never raise a score.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    BELOW_THRESHOLD = 1
    USAGE = 2
    NOT_GRADABLE = 3
    INFRASTRUCTURE = 4
    INTERRUPTED = 130


class GraderError(Exception):
    """Base class: the message is one sentence saying what is wrong and how to fix it."""

    exit_code: ExitCode = ExitCode.NOT_GRADABLE


class UsageError(GraderError):
    exit_code = ExitCode.USAGE


class AssignmentError(UsageError):
    pass


class SourceError(GraderError):
    exit_code = ExitCode.NOT_GRADABLE


class NotGradableError(GraderError):
    exit_code = ExitCode.NOT_GRADABLE


class InfrastructureError(GraderError):
    exit_code = ExitCode.INFRASTRUCTURE


class StudentFault(Exception):
    """Raised by trusted check code when what the submission did made it fail (its
    answer could not be read, its process holds a port the grader needs): the check is
    the student's FAIL, with this one sentence as its message, never a grader fault.
    Not a GraderError: it never leaves the check that raised it."""


class HarnessError(InfrastructureError):
    """Raised by trusted check code that cannot set its check up (a port the grader
    cannot bind, a reference server that does not start): the check is reported as
    "the grader could not run this check", never as the student's failure."""
