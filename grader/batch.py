"""Grade a whole roster: bounded parallel jobs, results recorded as they finish,
resumable, and stoppable with Ctrl-C without losing what is done.

The executor is a parameter (a local thread pool by default; anything with the
`concurrent.futures.Executor.submit` shape works), so every line of grading code is
shared between local and distributed runs.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from grader import __version__, classpage, exports, gradebook, report
from grader.model import Assignment, Checkout, GradeResult, Status, Student
from grader.pipeline import Settings, grade
from grader.run import kill_running

log = logging.getLogger(__name__)


def default_jobs() -> int:
    """Jobs mostly wait on subprocesses and sockets: three per core kept both cores of the
    benchmark machine busy (more only added queueing)."""
    return max(2, 3 * (os.cpu_count() or 1))


@dataclass(frozen=True, slots=True)
class Progress:
    """One event for a progress display: `done` of `total`, the latest result."""

    done: int
    total: int
    failures: int
    reused: int
    result: GradeResult | None


@dataclass(frozen=True, slots=True)
class BatchSummary:
    total: int
    graded: int  # graded now (not reused)
    reused: int
    failures: int  # not graded (fetch, not gradable, infrastructure) or no submission
    interrupted: bool
    out_dir: Path
    results: tuple[GradeResult, ...]


def relevant_settings(settings: Settings) -> dict[str, Any]:
    """The settings that change a verdict, and so belong in the cache key."""
    return {
        "check_timeout_s": settings.check_timeout_s,
        "sandbox": settings.sandbox,
        "python": settings.python,
        "reveal": settings.reveal,
        "limits": [getattr(settings.limits, f) for f in settings.limits.__slots__],
    }


@dataclass(frozen=True, slots=True)
class KnownKeys:
    """The reuse test a grading job runs once it knows the exact commit: small and
    picklable, so it travels to cluster workers (the gradebook stays here)."""

    keys: frozenset[str]
    digest: str
    settings: dict[str, Any]
    version: str = __version__  # the submitting side's grader version

    def __call__(self, checkout: Checkout) -> GradeResult | None:
        key = gradebook.cache_key(
            checkout, digest=self.digest, version=self.version, settings=self.settings
        )
        if key is None or key not in self.keys:
            return None
        return GradeResult(
            student="",
            status=Status.GRADED,
            assignment="",
            assignment_digest=self.digest,
            grader_version=self.version,
            checkout=checkout,
            cache_hit=key,
        )


Task = Callable[..., GradeResult]


def local_task(
    repo: str,
    assignment: Assignment,
    settings: Settings,
    student: str,
    deadline: datetime | None,
    reuse: KnownKeys,
) -> GradeResult:
    """One grading job: the same call locally and (wrapped) on a cluster worker."""
    return grade(repo, assignment, settings, student=student, deadline=deadline, reuse=reuse)


def grade_roster(
    students: tuple[Student, ...],
    assignment: Assignment,
    settings: Settings,
    *,
    out_dir: Path,
    jobs: int | None = None,
    deadline: datetime | None = None,
    regrade: bool = False,
    executor: Executor | None = None,
    task: Task = local_task,
    progress: Callable[[Progress], None] | None = None,
) -> BatchSummary:
    """Grade every student; record each result as it finishes; reuse earlier results."""
    book = gradebook.Gradebook(out_dir)
    key_settings = relevant_settings(settings)
    run_id = book.start_run(
        grader_version=__version__,
        assignment=assignment.name,
        digest=assignment.digest,
        settings={**key_settings, "deadline": deadline.isoformat() if deadline else None},
    )
    stopping = threading.Event()
    results: dict[str, GradeResult] = {}
    counts = {"reused": 0, "graded": 0, "failures": 0}

    def finish(student: Student, result: GradeResult) -> None:
        if stopping.is_set():
            return  # killed mid-run: incomplete, never recorded
        reused = result.cache_hit is not None
        if result.cache_hit is not None:
            stored = book.stored(student.identifier, result.cache_hit)
            if stored is None:  # vanished meanwhile: keep the stub's verdict honest
                stored = _infra(student, assignment, "its cached result was lost; regrade it.")
            result = replace(stored, student=student.identifier)
        key = _key(result.checkout, assignment, key_settings)
        book.record(run_id, result, repo=student.repo, key=key, reused=reused)
        report.write(result, assignment, out_dir, reveal=settings.reveal)
        exports.write_junit(result, assignment, out_dir)
        results[student.identifier] = result
        if reused:
            counts["reused"] += 1
        elif result.status is not Status.NO_SUBMISSION:
            counts["graded"] += 1
        if result.status is not Status.GRADED:
            counts["failures"] += 1
        if progress:
            progress(
                Progress(len(results), len(students), counts["failures"], counts["reused"], result)
            )

    known = {} if regrade else book.known_keys()
    pending: dict[Future[GradeResult], Student] = {}
    own_pool = executor is None
    pool = executor or ThreadPoolExecutor(max_workers=jobs or default_jobs())
    interrupted = False
    try:
        for student in students:
            if student.repo is None:
                finish(student, _no_submission(student, assignment))
                continue
            due = deadline + timedelta(hours=student.extension_hours) if deadline else None
            reuse = KnownKeys(
                known.get(student.identifier, frozenset()),
                assignment.digest,
                key_settings,
            )
            future = pool.submit(
                task, student.repo, assignment, settings, student.identifier, due, reuse
            )
            pending[future] = student
        while pending:
            done, _ = wait(list(pending), return_when=FIRST_COMPLETED)
            for future in done:
                student = pending.pop(future)
                finish(student, _outcome(future, student, assignment))
    except KeyboardInterrupt:
        interrupted = True
        stopping.set()
        for future in pending:
            future.cancel()
        kill_running()
        log.warning("interrupted: %d results kept, %d not graded", len(results), len(pending))
    finally:
        if own_pool:
            pool.shutdown(wait=True, cancel_futures=True)
        if not interrupted:
            ordered = [results[s.identifier] for s in students if s.identifier in results]
            classpage.write(ordered, students, assignment, out_dir, reveal=settings.reveal)
            exports.write_grades_csv(ordered, students, out_dir)
        book.finish_run(run_id, "interrupted" if interrupted else "complete")
        book.close()
    ordered_results = tuple(results[s.identifier] for s in students if s.identifier in results)
    return BatchSummary(
        total=len(students),
        graded=counts["graded"],
        reused=counts["reused"],
        failures=counts["failures"],
        interrupted=interrupted,
        out_dir=out_dir,
        results=ordered_results,
    )


def _key(checkout: Checkout | None, assignment: Assignment, settings: dict[str, Any]) -> str | None:
    return gradebook.cache_key(
        checkout, digest=assignment.digest, version=__version__, settings=settings
    )


def _outcome(future: Future[GradeResult], student: Student, assignment: Assignment) -> GradeResult:
    """The job's result; a crash of one job becomes that student's infrastructure error."""
    exc = future.exception()
    if exc is None:
        return future.result()
    if isinstance(exc, KeyboardInterrupt):
        raise exc
    if type(exc).__name__ == "KilledWorker":  # distributed's, without importing it here
        return _infra(
            student,
            assignment,
            "the cluster lost the worker grading this submission several times (a machine "
            "died or ran out of memory); recorded as an infrastructure error, not a zero. "
            "Regrade it later.",
        )
    log.error("grading %s crashed: %r", student.identifier, exc)
    return _infra(
        student,
        assignment,
        f"the grader crashed on this submission ({type(exc).__name__}: {exc}); this is a "
        "bug, please report it.",
    )


def ungraded(identifier: str, assignment: Assignment, status: Status, problem: str) -> GradeResult:
    """The result of a submission that was not graded, and why (one sentence)."""
    return GradeResult(
        student=identifier,
        status=status,
        assignment=assignment.name,
        assignment_digest=assignment.digest,
        grader_version=__version__,
        problem=problem,
    )


def _infra(student: Student, assignment: Assignment, problem: str) -> GradeResult:
    return ungraded(student.identifier, assignment, Status.INFRA_ERROR, problem)


def _no_submission(student: Student, assignment: Assignment) -> GradeResult:
    return ungraded(
        student.identifier,
        assignment,
        Status.NO_SUBMISSION,
        "no repository yet (the student has not accepted the assignment).",
    )
