"""Grade a whole roster: bounded parallel jobs, results recorded as they finish,
resumable, and stoppable with Ctrl-C without losing what is done.

A result the grader could not finish (`GradeResult.incomplete`: a check it could not
run, or a crash) is not recorded at first: it is graded once more at once, and only the
second result is recorded, never to be reused; if it is still incomplete, every output
says so and `grade` exits 4.

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
from grader.errors import GraderError
from grader.model import Assignment, GradeResult, Status, Student
from grader.run import SandboxRunner
from grader.settings import Settings, default_jobs

log = logging.getLogger(__name__)
Job = Callable[..., GradeResult | Reused]
REGRADED = (
    "graded twice: the first grading was incomplete (a check the grader could not run, or "
    "a crash), so it was not kept."
)


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
        # An existing gradebook is opened (and checked) at once, for what it already
        # holds; the run is only recorded once results may be (after the self-check).
        exists = (out_dir / gradebook.FILENAME).exists()
        self._book = gradebook.Gradebook(out_dir) if exists else None
        self._run_id: int | None = None
        self.tally = _Tally()
        self.stopping = threading.Event()
        self.refused = False  # stopped before anything could be recorded

    def known(self) -> dict[str, frozenset[str]]:
        """Per student, the cache keys of results the gradebook already holds."""
        return self._book.known_keys() if self._book else {}

    @property
    def book(self) -> gradebook.Gradebook:
        """The gradebook, with this run recorded in it (from the first use on)."""
        if self._book is None:
            self._book = gradebook.Gradebook(self.out_dir)
        return self._book

    @property
    def run_id(self) -> int:
        if self._run_id is None:
            self._run_id = self.book.start_run(
                grader_version=__version__,
                assignment=self.assignment.name,
                digest=self.assignment.digest,
                settings={"key": self.key_settings},
            )
        return self._run_id

    def task(self, student: Student, deadline: datetime | None, known: frozenset[str]) -> Task:
        due = deadline + timedelta(hours=student.extension_hours) if deadline else None
        assert student.repo is not None
        return Task(student.repo, student.identifier, due, known, self.key_settings)

    def finish(self, student: Student, outcome: GradeResult | Reused, *, again: bool) -> None:
        """Record one finished job (unless the batch is being killed) and write its outputs;
        `again`: it is the second grading, the first having been incomplete."""
        if self.stopping.is_set():
            return  # killed mid-run: incomplete, never recorded
        reused = isinstance(outcome, Reused)
        result = self._stored(student, outcome) if isinstance(outcome, Reused) else outcome
        result = replace(result, student=student.identifier, reused=reused)
        if again:
            result = replace(result, notes=(*result.notes, REGRADED))
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
        if self.refused and self._run_id is None:  # the self-check stopped it: no trace
            if self._book is not None:
                self._book.close()
            return self._summary(interrupted=True)
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
        return self._summary(interrupted=interrupted)

    def _summary(self, *, interrupted: bool) -> BatchSummary:
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


@dataclass
class _InFlight:
    """The jobs running, and who is being graded a second time."""

    pool: Executor
    work: Job
    assignment: Assignment
    settings: Settings
    pending: dict[Future[GradeResult | Reused], Student] = field(default_factory=dict)
    again: set[str] = field(default_factory=set)

    def submit(self, task: Task, student: Student) -> None:
        future = self.pool.submit(
            self.work, task, assignment=self.assignment, settings=self.settings
        )
        self.pending[future] = student

    def drain(self, batch: _Batch, deadline: datetime | None) -> None:
        """Record each job as it ends; an incomplete first result is not recorded but
        graded once more at once (never from the gradebook), and that one is kept."""
        while self.pending:
            done, _ = wait(list(self.pending), return_when=FIRST_COMPLETED)
            for future in done:
                student = self.pending.pop(future)
                outcome = _outcome(future, student, self.assignment)
                first = student.identifier not in self.again
                if first and isinstance(outcome, GradeResult) and outcome.incomplete:
                    log.warning("%s: incomplete; grading it once more", student.identifier)
                    self.again.add(student.identifier)
                    self.submit(batch.task(student, deadline, frozenset()), student)
                    continue
                batch.finish(student, outcome, again=not first)


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
    gate: Callable[[], None] | None = None,
) -> BatchSummary:
    """Grade every student; record each result as it finishes; reuse earlier results.

    `job(task, assignment=..., settings=...)` grades one student (default: `run_task` on a
    local sandbox runner; a cluster passes its worker's job). `gate()` is waited for
    before the first result is recorded, while the jobs already run: if it raises (the
    self-check failed), the jobs are killed, nothing is recorded and the error propagates.
    """
    batch = _Batch(students, assignment, settings, out_dir, progress)
    runner = SandboxRunner(settings)
    if job is None:
        runner.warm(assignment)  # one warm harness serves every submission of the batch
    work: Job = job or (lambda task, **kw: run_task(task, runner=runner, **kw))
    known = {} if regrade else batch.known()
    pool = executor or ThreadPoolExecutor(max_workers=jobs or default_jobs())
    flight = _InFlight(pool, work, assignment, settings)
    interrupted = False
    try:
        for student in students:
            if student.repo is not None:
                known_keys = known.get(student.identifier, frozenset())
                flight.submit(batch.task(student, deadline, known_keys), student)
        _wait_for(gate, batch=batch, pending=flight.pending, runner=runner)
        for student in students:
            if student.repo is None:
                batch.finish(student, _no_submission(student, assignment), again=False)
        flight.drain(batch, deadline)
    except KeyboardInterrupt:
        interrupted = True
        _stop(batch, flight.pending, runner)
        log.warning(
            "interrupted: %d results kept, %d not graded",
            len(batch.tally.results),
            len(flight.pending),
        )
    finally:
        if executor is None:
            pool.shutdown(wait=True, cancel_futures=True)
        runner.close()
        summary = batch.close(interrupted=interrupted or batch.stopping.is_set())
    return summary


def _wait_for(
    gate: Callable[[], None] | None,
    *,
    batch: _Batch,
    pending: dict[Future[GradeResult | Reused], Student],
    runner: SandboxRunner,
) -> None:
    """Hold every result back until the gate opens; if it raises, stop and say why."""
    if gate is None:
        return
    try:
        gate()
    except GraderError:  # nothing may be recorded
        batch.refused = True
        _stop(batch, pending, runner)
        raise


def _stop(
    batch: _Batch, pending: dict[Future[GradeResult | Reused], Student], runner: SandboxRunner
) -> None:
    """Kill the jobs in flight; nothing more is recorded."""
    batch.stopping.set()
    for future in pending:
        future.cancel()
    runner.supervisor.kill_all()


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
