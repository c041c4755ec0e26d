"""The run inside Gradescope's container, for each submission (what run_autograder
calls: `grade gradescope --run`): grade /autograder/submission, write
/autograder/results/results.json, and tell instructors on stdout which isolation student
code had and every check in full."""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from grader import __version__
from grader.model import Assignment, GradeResult, Isolation, Outcome
from grader.pipeline import grade
from grader.platforms.gradescope.dates import due_line, read_metadata
from grader.platforms.gradescope.results import results_document, write_results
from grader.platforms.intake import Copied, copy_submission
from grader.report.text import feedback_text, safe, summary_line
from grader.report.visibility import visible_rows
from grader.run import capabilities
from grader.settings import Limits, Settings

ROOT_ENV = "AUTOGRADER_ROOT"
DEFAULT_ROOT = Path("/autograder")
# Gradescope's defaults: 768 MB for the whole container, half a CPU, 10 minutes overall.
# Student processes get less than the container, so the grader itself survives them.
LIMITS = Limits(address_space_bytes=512 << 20, memory_bytes=384 << 20, processes=48)


def run(
    root: Path,
    *,
    assignment: Assignment,
    settings: Settings,
    out: TextIO,
) -> dict[str, Any]:
    """Grade root/submission and write root/results/results.json; the instructor-only
    stdout says which isolation was used and shows every check in full."""
    results = root / "results"
    results.mkdir(parents=True, exist_ok=True)
    results.chmod(0o700)  # out of reach of student code running as another user
    due, problems = read_metadata(root / "submission_metadata.json")
    caps = capabilities()
    print(
        f"grader {__version__}, assignment {assignment.name} v{assignment.version} "
        f"({assignment.digest})",
        file=out,
    )
    with tempfile.TemporaryDirectory(prefix="grader-gradescope-") as scratch:
        copied = copy_submission(root / "submission", dest=Path(scratch) / "submission")
        folder = Path(scratch) / "submission"
        result = grade(
            str(folder),
            assignment=assignment,
            settings=replace(settings, reveal=True),
            student=f"gradescope-{due.submission_id or 'submission'}",
        )
        result = replace(result, problem=result.problem.replace(str(folder), "your submission"))
    if result.checkout is not None:
        checkout = replace(
            result.checkout,
            source=f"gradescope {due.method or 'submission'}",
            path=None,
            commit=copied.commit,
            branch=copied.branch,
        )
        result = replace(result, checkout=checkout)
    document = results_document(result, assignment=assignment, due=due, copied=copied)
    write_results(root, document=document)
    print(isolation_line(result, settings=settings, problems=caps.problems), file=out)
    for problem in problems:
        print(f"metadata: {problem}", file=out)
    print(submission_line(copied), file=out)
    print(f"due: {due_line(due) or 'unknown'}", file=out)
    print(f"{result.status.value}: {summary_line(result)}", file=out)
    if result.problem:
        print(f"problem: {safe(result.problem)}", file=out)
    for shown in visible_rows(result, assignment=assignment, reveal=True):
        if shown.row.outcome is not Outcome.PASSED:
            print(f"\n[{shown.row.outcome.value}] {shown.row.title}", file=out)
            print(feedback_text(shown.check, detail=shown.detail), file=out)
    return document


def submission_line(copied: Copied) -> str:
    """What was received, for the instructor-only stdout."""
    line = f"submission: {len(copied.files)} files copied"
    if copied.skipped:
        line += f", {len(copied.skipped)} skipped ({', '.join(copied.skipped[:5])})"
    if copied.commit:
        line += f"; repository at commit {copied.commit} ({copied.branch or 'detached HEAD'})"
    return safe(line)


def isolation_line(result: GradeResult, *, settings: Settings, problems: tuple[str, ...]) -> str:
    """Which isolation student code had, for the instructor-only stdout."""
    isolation = result.run.isolation if result.run else None
    why = f" (bubblewrap unavailable: {'; '.join(problems)})" if problems else ""
    if isolation is Isolation.BWRAP:
        return "isolation: bubblewrap (own namespaces, unprivileged uid, private network)"
    if isolation is Isolation.USER:
        return (
            f"isolation: a separate unprivileged uid per job (allowed by --user "
            f"'{settings.run_as}'), rlimits, the grader's files and results out of its "
            f"reach{why}"
        )
    if isolation is Isolation.NONE:
        return f"isolation: NONE, student code ran as the grader's own user{why}"
    return "isolation: no student code ran"
