"""The closed sets of the model: how a check, a hang, a run and a grading ended, how
student code was isolated, who sees a check and how much of it, and what a submission's
source, server or flag is."""

from __future__ import annotations

from enum import Enum


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


class Concurrency(Enum):
    """How a server serves several clients, from a look at its source."""

    SELECT = "select"
    THREADS = "threads"
    BOTH = "select and threads"
    NEITHER = "neither"


class FlagKind(Enum):
    """What an integrity flag is about; flags inform instructors and never cost points."""

    HIJACK_FILE = "hijack_file"  # conftest.py, pytest.ini, sitecustomize.py, *.pth
    RESULT_FILE = "result_file"  # results.json, *.jsonl, junit*.xml
    ESCAPED = "escaped"  # processes that tried to outlive the grading
    OUTPUT_FLOOD = "output_flood"  # far more output than homework writes
