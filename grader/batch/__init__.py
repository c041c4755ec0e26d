"""Grade a whole roster: bounded parallel jobs, results recorded as they finish,
resumable, and stoppable with Ctrl-C without losing what is done.

The batch schedules and resumes; writing the outputs is `grader.report`'s job. The
executor is a parameter (a local thread pool by default; anything with the
`concurrent.futures.Executor` shape works, such as Dask's), so every line of grading
code is shared between local and distributed runs.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path

from grader import __version__, report
from grader.batch import gradebook
from grader.batch.jobs import Reused, Task, key_of, relevant_settings, run_task, ungraded
from grader.model import Assignment, GradeResult, Status, Student
from grader.run import SandboxRunner
from grader.settings import Settings, default_jobs

log = logging.getLogger(__name__)
Job = Callable[..., GradeResult | Reused]


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
    # Each finished student is in exactly one of these three; total less their sum were
    # never reached (an interrupted batch).
    graded: int  # graded now (not reused)
    reused: int  # graded in an earlier run, under the same key
    failures: int  # not graded (fetch, not gradable, infrastructure) or no submission
    interrupted: bool
    out_dir: Path
    results: tuple[GradeResult, ...]


@dataclass
class _Tally:
    results: dict[str, GradeResult] = field(default_factory=dict)
    reused: int = 0
    graded: int = 0
    failures: int = 0


class _Batch:
    """One batch run: its gradebook, its tally, and how a finished job is recorded."""

    def __init__(
        self,
        students: tuple[Student, ...],
        assignment: Assignment,
        settings: Settings,
        out_dir: Path,
        progress: Callable[[Progress], None] | None,
    ) -> None:
        self.students = students
        self.assignment = assignment
        self.settings = settings
        self.out_dir = out_dir
        self.progress = progress
        self.key_settings = relevant_settings(settings)
        self.book = gradebook.Gradebook(out_dir)
        self.run_id = self.book.start_run(
            grader_version=__version__,
            assignment=assignment.name,
            digest=assignment.digest,
            settings={"key": self.key_settings},
        )
        self.tally = _Tally()
        self.stopping = threading.Event()

    def task(self, student: Student, deadline: datetime | None, known: frozenset[str]) -> Task:
        due = deadline + timedelta(hours=student.extension_hours) if deadline else None
        assert student.repo is not None
        return Task(student.repo, student.identifier, due, known, self.key_settings)

    def finish(self, student: Student, outcome: GradeResult | Reused) -> None:
        """Record one finished job (unless the batch is being killed) and write its outputs."""
        if self.stopping.is_set():
            return  # killed mid-run: incomplete, never recorded
        reused = isinstance(outcome, Reused)
        result = self._stored(student, outcome) if isinstance(outcome, Reused) else outcome
        result = replace(result, student=student.identifier, reused=reused)
        key = key_of(result, assignment=self.assignment, settings_key=self.key_settings)
        self.book.record(result, run_id=self.run_id, repo=student.repo, key=key, reused=reused)
        report.write_submission(
            result,
            assignment=self.assignment,
            out_dir=self.out_dir,
            reveal=self.settings.reveal,
            junit=True,
        )
        self._count(student, result)

    def _stored(self, student: Student, reused: Reused) -> GradeResult:
        stored = self.book.stored(student.identifier, key=reused.key)
        if stored is None:  # vanished meanwhile
            return ungraded(
                student.identifier,
                assignment=self.assignment,
                status=Status.INFRA_ERROR,
                problem="its cached result was lost; regrade it.",
            )
        return stored

    def _count(self, student: Student, result: GradeResult) -> None:
        tally = self.tally
        tally.results[student.identifier] = result
        if result.status is not Status.GRADED:  # the three counts partition the roster
            tally.failures += 1
        elif result.reused:
            tally.reused += 1
        else:
            tally.graded += 1
        if self.progress:
            self.progress(
                Progress(
                    len(tally.results), len(self.students), tally.failures, tally.reused, result
                )
            )

    def ordered(self) -> list[GradeResult]:
        return [
            self.tally.results[s.identifier]
            for s in self.students
            if s.identifier in self.tally.results
        ]

    def close(self, *, interrupted: bool) -> BatchSummary:
        if not interrupted:
            report.write_class(
                self.ordered(),
                students=self.students,
                assignment=self.assignment,
                out_dir=self.out_dir,
                reveal=self.settings.reveal,
            )
            found = report.mistakes(
                self.ordered(), assignment=self.assignment, reveal=self.settings.reveal
            )
            self.book.record_mistakes(found, run_id=self.run_id)
        self.book.finish_run(self.run_id, outcome="interrupted" if interrupted else "complete")
        self.book.close()
        tally = self.tally
        return BatchSummary(
            total=len(self.students),
            graded=tally.graded,
            reused=tally.reused,
            failures=tally.failures,
            interrupted=interrupted,
            out_dir=self.out_dir,
            results=tuple(self.ordered()),
        )


def grade_roster(
    students: tuple[Student, ...],
    *,
    assignment: Assignment,
    settings: Settings,
    out_dir: Path,
    jobs: int | None = None,
    deadline: datetime | None = None,
    regrade: bool = False,
    executor: Executor | None = None,
    job: Job | None = None,
    progress: Callable[[Progress], None] | None = None,
) -> BatchSummary:
    """Grade every student; record each result as it finishes; reuse earlier results.

    `job(task, assignment=..., settings=...)` grades one student (default: `run_task` on a
    local sandbox runner; a cluster passes its worker's job).
    """
    batch = _Batch(students, assignment, settings, out_dir, progress)
    runner = SandboxRunner(settings)
    if job is None:
        runner.warm(assignment)  # one warm harness serves every submission of the batch
    work: Job = job or (lambda task, **kw: run_task(task, runner=runner, **kw))
    known = {} if regrade else batch.book.known_keys()
    pool = executor or ThreadPoolExecutor(max_workers=jobs or default_jobs())
    pending: dict[Future[GradeResult | Reused], Student] = {}
    interrupted = False
    try:
        for student in students:
            if student.repo is None:
                batch.finish(student, _no_submission(student, assignment))
                continue
            task = batch.task(student, deadline, known.get(student.identifier, frozenset()))
            pending[pool.submit(work, task, assignment=assignment, settings=settings)] = student
        while pending:
            done, _ = wait(list(pending), return_when=FIRST_COMPLETED)
            for future in done:
                student = pending.pop(future)
                batch.finish(student, _outcome(future, student, assignment))
    except KeyboardInterrupt:
        interrupted = True
        batch.stopping.set()
        for future in pending:
            future.cancel()
        runner.supervisor.kill_all()
        log.warning(
            "interrupted: %d results kept, %d not graded", len(batch.tally.results), len(pending)
        )
    finally:
        if executor is None:
            pool.shutdown(wait=True, cancel_futures=True)
        runner.close()
        summary = batch.close(interrupted=interrupted)
    return summary


def _outcome(
    future: Future[GradeResult | Reused], student: Student, assignment: Assignment
) -> GradeResult | Reused:
    """The job's outcome; a crash of one job becomes that student's infrastructure error."""
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


def _infra(student: Student, assignment: Assignment, problem: str) -> GradeResult:
    return ungraded(
        student.identifier, assignment=assignment, status=Status.INFRA_ERROR, problem=problem
    )


def _no_submission(student: Student, assignment: Assignment) -> GradeResult:
    return ungraded(
        student.identifier,
        assignment=assignment,
        status=Status.NO_SUBMISSION,
        problem="no repository yet (the student has not accepted the assignment).",
    )
