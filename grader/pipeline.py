"""Compose the stages for one submission:
fetch -> snapshot -> locate -> static -> stage -> run -> score (report is the caller's,
last). The submission's files are read once, into the snapshot; every later stage reads
that, never the submission.

`grade` turns every student-caused problem into a GradeResult with a Status and a
one-sentence problem; only the grader's own error types are caught here. `Grading` is
the same work in two steps, so a batch can look a commit up in its gradebook between
fetching and grading.
"""

from __future__ import annotations

import re
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from grader import __version__, trace
from grader.errors import InfrastructureError, NotGradableError, SourceError
from grader.fetch import fetch, is_url
from grader.fetch.tree import CUTS
from grader.integrity import note_changed_tests, repository_flags, run_flags
from grader.locate import locate, unread_problems
from grader.model import (
    Assignment,
    Checkout,
    FileProblem,
    Flag,
    GradeResult,
    Located,
    RunResult,
    Score,
    SourceFile,
    Status,
)
from grader.run import Job, Runner, SandboxRunner, student_policy_beside
from grader.sandbox import Policy
from grader.score import score
from grader.settings import Settings
from grader.snapshot import Snapshot, read_tree, remove_tree
from grader.stage import read_sources, stage
from grader.static import Inspection, analyse


def student_name(source: str) -> str:
    """A folder-safe name for a submission: the repo owner for URLs, else the folder."""
    if is_url(source):
        parts = [p for p in re.split(r"[/:]", source.removesuffix(".git")) if p]
        name = parts[-2] if len(parts) >= 2 else parts[-1]
    else:
        name = Path(source).expanduser().resolve().name
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "submission"


def grade(
    source: str,
    *,
    assignment: Assignment,
    settings: Settings | None = None,
    runner: Runner | None = None,
    student: str | None = None,
    deadline: datetime | None = None,
) -> GradeResult:
    """Grade one submission end to end; a student's failure is a result, not an error.

    `deadline` picks the last commit at or before it, and once it has passed, hidden
    checks are shown and counted as if revealed (their failure detail still follows the
    rubric; only `settings.reveal` shows everything in full).
    """
    with Grading(
        source,
        assignment=assignment,
        settings=settings,
        runner=runner,
        student=student,
        deadline=deadline,
    ) as grading:
        fetched = grading.fetch()
        if isinstance(fetched, GradeResult):
            return fetched
        return grading.grade(fetched)


@dataclass(frozen=True, slots=True)
class Found:
    """Stages 1-2: the exact state graded, the files found, what the repository shows."""

    checkout: Checkout
    located: Located
    flags: tuple[Flag, ...] = ()
    notes: tuple[str, ...] = ()
    unread: tuple[FileProblem, ...] = ()  # wanted files that are links, pipes, too big


@dataclass(frozen=True, slots=True)
class Ran:
    """Stages 3-6: the static look, the run and its score."""

    inspection: Inspection
    run: RunResult
    score: Score
    sources: tuple[SourceFile, ...] = ()


class Grading:
    """One submission on its way through the stages: its scratch folder and its clock.

    Each way out builds its GradeResult once, complete, from what the stages so far
    found (`Found`, `Ran`): nothing is carried half-built from stage to stage."""

    def __init__(
        self,
        source: str,
        *,
        assignment: Assignment,
        settings: Settings | None = None,
        runner: Runner | None = None,
        student: str | None = None,
        deadline: datetime | None = None,
    ) -> None:
        self.source = source
        self.assignment = assignment
        self.settings = settings or Settings()
        self._own: SandboxRunner | None = None  # a runner of its own, closed at the end
        if runner is None:
            # Graded alone: its harness warms up while the submission is fetched.
            self._own = runner = SandboxRunner(self.settings)
            self._own.warm(assignment)
        self.runner: Runner = runner
        self.student = student or student_name(source)
        self.deadline = deadline
        self.started = datetime.now(UTC)
        self.t0 = time.monotonic()
        self.scratch = Path(tempfile.mkdtemp(prefix="grader-"))

    def __enter__(self) -> Grading:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._own is not None:
            self._own.close()
        remove_tree(self.scratch)

    def fetch(self) -> Checkout | GradeResult:
        """Stage 1: the exact state of the submission to grade, or why there is none."""
        try:
            with trace.span("fetch"):
                return fetch(self.source, dest=self.scratch / "checkout", deadline=self.deadline)
        except SourceError as exc:
            return self.result(Status.FETCH_FAILED, problem=str(exc))
        except NotGradableError as exc:
            return self.result(Status.NOT_GRADABLE, problem=str(exc))

    def grade(self, checkout: Checkout) -> GradeResult:
        """Stages 2-6 on a fetched checkout."""
        work = checkout.path
        assert work is not None
        if work.is_relative_to(self.scratch):
            # A result carries no path that exists only on the machine that graded it.
            checkout = replace(checkout, path=None)
        try:
            with trace.span("snapshot"):
                snapshot = read_tree(work)
        except OSError as exc:
            problem = (
                f"cannot read the folder {self.source} ({exc.strerror}); check its permissions."
            )
            return self.result(Status.FETCH_FAILED, problem=problem)
        located = locate(snapshot, assignment=self.assignment)
        found = Found(
            checkout,
            located,
            flags=repository_flags(snapshot),
            notes=checkout.notes
            + note_changed_tests(snapshot, located=located, assignment=self.assignment),
            unread=unread_problems(snapshot, located=located, assignment=self.assignment),
        )
        if not located.files:
            cut = (*snapshot.cut, *(n for n in checkout.notes if n in CUTS))
            problem = found.unread[0].message if found.unread else self._nothing(cut=cut)
            return self.result(Status.NOT_GRADABLE, problem=problem, found=found)
        try:
            ran = self._run(snapshot, found)
        except InfrastructureError as exc:
            return self.result(Status.INFRA_ERROR, problem=str(exc), found=found)
        except NotGradableError as exc:
            return self.result(Status.NOT_GRADABLE, problem=str(exc), found=found)
        return self.result(Status.GRADED, found=found, ran=ran)

    def _run(self, snapshot: Snapshot, found: Found) -> Ran:
        located = found.located

        def look(policy: Policy) -> Inspection:
            with trace.span("static look (sandboxed)"):
                return analyse(
                    snapshot,
                    located=located,
                    policy=policy,
                    scratch=self.scratch / "analysis",
                    optional=self.assignment.optional,
                )

        policy, inspection = student_policy_beside(self.settings, work=look)
        inspection = replace(inspection, problems=found.unread + inspection.problems)
        staged = stage(
            snapshot,
            located=located,
            dest=self.scratch / "staged",
            optional=inspection.optional,
            data=self.assignment.data,
        )
        run = self.runner.run(
            Job(
                staged.folder,
                staged.files,
                inspection,
                self.assignment,
                staged.multi_servers,
                staged.port_function,
                policy,
            )
        )
        reveal = self.settings.reveal or _past(self.deadline, self.started)
        return Ran(
            inspection,
            run,
            score(run, assignment=self.assignment, reveal=reveal),
            sources=read_sources(snapshot, located=located, optional=inspection.optional),
        )

    def result(
        self,
        status: Status,
        *,
        problem: str = "",
        found: Found | None = None,
        ran: Ran | None = None,
    ) -> GradeResult:
        """The one GradeResult of this grading, from what its stages produced."""
        return GradeResult(
            student=self.student,
            status=status,
            assignment=self.assignment.name,
            assignment_digest=self.assignment.digest,
            grader_version=__version__,
            problem=problem,
            checkout=found.checkout if found else None,
            located=found.located if found else None,
            file_problems=ran.inspection.problems if ran else found.unread if found else (),
            run=ran.run if ran else None,
            score=ran.score if ran else None,
            warnings=ran.run.warnings if ran else (),
            started_at=self.started,
            duration_s=round(time.monotonic() - self.t0, 3),
            optional=ran.inspection.optional if ran else None,
            flags=(found.flags if found else ()) + (run_flags(ran.run) if ran else ()),
            notes=found.notes if found else (),
            sources=ran.sources if ran else (),
        )

    def _nothing(self, *, cut: tuple[str, ...] = ()) -> str:
        wanted = " or ".join(f.name for f in self.assignment.files)
        if cut:
            return (
                f"no {wanted} found in {self.source}, whose tree was too large and was cut "
                f"({cut[0].rstrip('.')}); put your files at the root of the repository."
            )
        return (
            f"no {wanted} found in {self.source}; put your files at the root of the "
            "repository (and commit and push them)."
        )


def _past(deadline: datetime | None, now: datetime) -> bool:
    return deadline is not None and now >= deadline
