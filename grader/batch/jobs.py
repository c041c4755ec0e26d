"""One grading job of a batch, the same call locally and on a cluster worker.

A job knows which results its student already has in the gradebook (their cache keys):
once the exact commit is fetched, a known key means `Reused` (the batch then takes the
stored result); otherwise the submission is graded. Small and picklable, so it travels
to workers while the gradebook stays on the submitting machine.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from grader import __version__
from grader.batch.gradebook import cache_key
from grader.model import Assignment, GradeResult, Status
from grader.pipeline import Grading
from grader.run import Runner
from grader.settings import Settings


def relevant_settings(settings: Settings) -> str:
    """The settings that change a verdict, as text: part of the cache key."""
    return json.dumps(
        {
            "check_timeout_s": settings.check_timeout_s,
            "sandbox": settings.sandbox,
            "python": settings.python,
            "reveal": settings.reveal,
            "limits": [getattr(settings.limits, f) for f in settings.limits.__slots__],
        },
        sort_keys=True,
    )


@dataclass(frozen=True, slots=True)
class Task:
    """Grade one student's repository, unless its commit was graded before."""

    repo: str
    student: str
    deadline: datetime | None
    known: frozenset[str]  # cache keys of this student's final results in the gradebook
    settings_key: str
    version: str = __version__  # the submitting side's grader version


@dataclass(frozen=True, slots=True)
class Reused:
    """The gradebook already holds a final result under this key."""

    key: str


def run_task(
    task: Task, *, assignment: Assignment, settings: Settings, runner: Runner | None = None
) -> GradeResult | Reused:
    """Fetch; reuse a known result of the same commit; else grade."""
    with Grading(
        task.repo,
        assignment=assignment,
        settings=settings,
        runner=runner,
        student=task.student,
        deadline=task.deadline,
    ) as grading:
        fetched = grading.fetch()
        if isinstance(fetched, GradeResult):
            return fetched
        key = cache_key(
            fetched, digest=assignment.digest, version=task.version, settings=task.settings_key
        )
        if key is not None and key in task.known:
            return Reused(key)
        return grading.grade(fetched)


def ungraded(
    identifier: str, *, assignment: Assignment, status: Status, problem: str
) -> GradeResult:
    """The result of a submission that was not graded, and why (one sentence)."""
    return GradeResult(
        student=identifier,
        status=status,
        assignment=assignment.name,
        assignment_digest=assignment.digest,
        grader_version=__version__,
        problem=problem,
    )


def key_of(result: GradeResult, *, assignment: Assignment, settings_key: str) -> str | None:
    return cache_key(
        result.checkout, digest=assignment.digest, version=__version__, settings=settings_key
    )
