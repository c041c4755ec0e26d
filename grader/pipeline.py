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
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from grader import __version__
from grader.errors import InfrastructureError, NotGradableError, SourceError
from grader.fetch import fetch, is_url
from grader.integrity import note_changed_tests, repository_flags, run_flags
from grader.locate import locate, unread_problems
from grader.model import Assignment, Checkout, GradeResult, Located, Status
from grader.run import Job, Runner, SandboxRunner, student_policy
from grader.score import score
from grader.settings import Settings
from grader.snapshot import Snapshot, read_tree, remove_tree
from grader.stage import read_sources, stage
from grader.static import analyse


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


class Grading:
    """One submission on its way through the stages: its scratch folder and its clock."""

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
        self.runner = runner or SandboxRunner(self.settings)
        self.deadline = deadline
        self.started = datetime.now(UTC)
        self.t0 = time.monotonic()
        self.base = GradeResult(
            student=student or student_name(source),
            status=Status.GRADED,
            assignment=assignment.name,
            assignment_digest=assignment.digest,
            grader_version=__version__,
            started_at=self.started,
        )
        self.scratch = Path(tempfile.mkdtemp(prefix="grader-"))

    def __enter__(self) -> Grading:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        remove_tree(self.scratch)

    def done(self, result: GradeResult) -> GradeResult:
        return replace(result, duration_s=round(time.monotonic() - self.t0, 3))

    def fetch(self) -> Checkout | GradeResult:
        """Stage 1: the exact state of the submission to grade, or why there is none."""
        try:
            return fetch(self.source, dest=self.scratch / "checkout", deadline=self.deadline)
        except SourceError as exc:
            return self.done(replace(self.base, status=Status.FETCH_FAILED, problem=str(exc)))
        except NotGradableError as exc:
            return self.done(replace(self.base, status=Status.NOT_GRADABLE, problem=str(exc)))

    def grade(self, checkout: Checkout) -> GradeResult:
        """Stages 2-6 on a fetched checkout."""
        work = checkout.path
        assert work is not None
        if work.is_relative_to(self.scratch):
            # A result carries no path that exists only on the machine that graded it.
            checkout = replace(checkout, path=None)
        try:
            snapshot = read_tree(work)
        except OSError as exc:
            problem = (
                f"cannot read the folder {self.source} ({exc.strerror}); check its permissions."
            )
            return self.done(replace(self.base, status=Status.FETCH_FAILED, problem=problem))
        located = locate(snapshot, self.assignment)
        found = replace(
            self.base,
            checkout=checkout,
            located=located,
            flags=repository_flags(snapshot),
            notes=checkout.notes
            + note_changed_tests(snapshot, located=located, assignment=self.assignment),
        )
        unread = unread_problems(snapshot, located=located, assignment=self.assignment)
        if not located.files:
            problem = unread[0].message if unread else self._nothing()
            return self.done(
                replace(found, status=Status.NOT_GRADABLE, problem=problem, file_problems=unread)
            )
        try:
            return self.done(self._run(snapshot, located, replace(found, file_problems=unread)))
        except (InfrastructureError, NotGradableError) as exc:
            status = (
                Status.INFRA_ERROR if isinstance(exc, InfrastructureError) else Status.NOT_GRADABLE
            )
            return self.done(replace(found, status=status, problem=str(exc)))

    def _run(self, snapshot: Snapshot, located: Located, found: GradeResult) -> GradeResult:
        policy = student_policy(self.settings)
        inspection = analyse(
            snapshot, located=located, policy=policy, scratch=self.scratch / "analysis"
        )
        inspection = replace(inspection, problems=found.file_problems + inspection.problems)
        staged = stage(snapshot, located, self.scratch / "staged", optional=inspection.optional)
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
        return replace(
            found,
            file_problems=inspection.problems,
            run=run,
            score=score(run, self.assignment, reveal=reveal),
            warnings=run.warnings,
            optional=inspection.optional,
            flags=found.flags + run_flags(run),
            sources=read_sources(snapshot, located, optional=inspection.optional),
        )

    def _nothing(self) -> str:
        wanted = " or ".join(f.name for f in self.assignment.files)
        return (
            f"no {wanted} found in {self.source}; put your files at the root of the "
            "repository (and commit and push them)."
        )


def _past(deadline: datetime | None, now: datetime) -> bool:
    return deadline is not None and now >= deadline
