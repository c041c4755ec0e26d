"""Compose the stages for one submission: fetch -> locate -> static -> stage -> run -> score.

`grade` turns every student-caused problem into a GradeResult with a Status and a
one-sentence problem; only the grader's own error types are caught here.
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from grader import __version__
from grader.errors import InfrastructureError, NotGradableError, SourceError
from grader.fetch import fetch, is_url
from grader.integrity import repository_flags, run_flags
from grader.locate import locate
from grader.model import Assignment, Checkout, GradeResult, Status
from grader.run import policy_for, run_checks
from grader.sandbox import Capabilities, Limits, probe
from grader.score import score
from grader.stage import read_sources, stage
from grader.static import analyse

UNSANDBOXED_WARNING = (
    "NOT SANDBOXED: this machine lacks bubblewrap or network namespaces, so the student's "
    "code ran with your user's rights and network. Run `grade --check-sandbox` to see what "
    "to install."
)


@dataclass(frozen=True, slots=True)
class Settings:
    """Options of a grading run; the defaults live here and only here."""

    out_dir: Path = Path("grades")
    python: str = sys.executable
    check_timeout_s: float | None = None
    sandbox: bool = True
    require_sandbox: bool = False
    reveal: bool = False
    limits: Limits = field(default_factory=Limits)


@cache
def capabilities() -> Capabilities:
    return probe()


def student_name(source: str) -> str:
    """A folder-safe name for a submission: the repo owner for URLs, else the folder."""
    if is_url(source):
        parts = [p for p in re.split(r"[/:]", source.removesuffix(".git")) if p]
        name = parts[-2] if len(parts) >= 2 else parts[-1]
    else:
        name = Path(source).expanduser().resolve().name
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "submission"


Reuse = Callable[[Checkout], GradeResult | None]


def grade(
    source: str,
    assignment: Assignment,
    settings: Settings,
    *,
    student: str | None = None,
    deadline: datetime | None = None,
    reuse: Reuse | None = None,
) -> GradeResult:
    """Grade one submission end to end; a student's failure is a result, not an error.

    `reuse` is asked, once the exact commit is known, for an earlier result of it (the
    batch's cache); `deadline` picks the last commit at or before it, and once it has
    passed, hidden checks are shown and counted as if revealed (their failure detail
    still follows the rubric; only `settings.reveal` shows everything in full).
    """
    started = datetime.now(UTC)
    t0 = time.monotonic()
    name = student or student_name(source)
    base = GradeResult(
        student=name,
        status=Status.GRADED,
        assignment=assignment.name,
        assignment_digest=assignment.digest,
        grader_version=__version__,
        started_at=started,
    )
    scratch = Path(tempfile.mkdtemp(prefix="grader-"))
    try:
        return _grade(source, assignment, settings, base, scratch, t0, deadline, reuse)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _grade(
    source: str,
    assignment: Assignment,
    settings: Settings,
    base: GradeResult,
    scratch: Path,
    t0: float,
    deadline: datetime | None,
    reuse: Reuse | None,
) -> GradeResult:
    def done(**changes: object) -> GradeResult:
        return replace(base, duration_s=round(time.monotonic() - t0, 3), **changes)  # type: ignore[arg-type]

    try:
        checkout = fetch(source, dest=scratch / "checkout", deadline=deadline)
    except SourceError as exc:
        return done(status=Status.FETCH_FAILED, problem=str(exc))
    except NotGradableError as exc:
        return done(status=Status.NOT_GRADABLE, problem=str(exc))
    work = checkout.path
    if work.is_relative_to(scratch):
        # A result carries no path that exists only on the machine that graded it.
        checkout = replace(checkout, path=Path())
    if reuse is not None:
        earlier = reuse(checkout)
        if earlier is not None:
            return replace(earlier, student=base.student)
    located = locate(work, assignment)
    flags = repository_flags(work, located, assignment)
    if not located.files:
        wanted = " or ".join(f.name for f in assignment.files)
        return done(
            status=Status.NOT_GRADABLE,
            checkout=checkout,
            located=located,
            flags=flags,
            problem=f"no {wanted} found in {source}; put your files at the root of the "
            "repository (and commit and push them).",
        )
    caps = capabilities()
    warnings: list[str] = []
    try:
        if settings.require_sandbox and not caps.sandbox:
            raise InfrastructureError(
                "this machine cannot sandbox student code ("
                + "; ".join(caps.problems)
                + ") and batch grading needs it; fix that or pass --no-sandbox."
            )
        inspection = analyse(work, located, settings.python)
        files = stage(work, located, scratch / "staged", optional=inspection.optional)
        policy = policy_for(
            caps, sandbox=settings.sandbox, python=settings.python, limits=settings.limits
        )
        if policy.isolation == "none":
            warnings.append(UNSANDBOXED_WARNING)
        (scratch / "harness").mkdir()
        run = run_checks(
            scratch / "staged",
            files,
            inspection,
            assignment,
            policy=policy,
            caps=caps,
            scratch=scratch / "harness",
            check_timeout_s=settings.check_timeout_s,
        )
    except (InfrastructureError, NotGradableError) as exc:
        status = Status.INFRA_ERROR if isinstance(exc, InfrastructureError) else Status.NOT_GRADABLE
        return done(
            status=status, checkout=checkout, located=located, problem=str(exc), flags=flags
        )
    return done(
        checkout=checkout,
        located=located,
        file_problems=inspection.problems,
        run=run,
        score=score(run, assignment, reveal=settings.reveal or _past(deadline, base.started_at)),
        warnings=tuple(warnings) + run.warnings,
        optional=inspection.optional,
        flags=flags + run_flags(run),
        sources=read_sources(work, located, optional=inspection.optional),
    )


def _past(deadline: datetime | None, now: datetime | None) -> bool:
    return deadline is not None and now is not None and now >= deadline
