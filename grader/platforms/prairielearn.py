"""PrairieLearn's external grader: /grade/student -> /grade/results/results.json.

The contract (PrairieLearn docs/externalGrading.md, and the grader host's code): the
student's files are in /grade/student; the grader creates /grade/results itself and
writes results.json there, under 1 MB, with `score` in [0, 1] and `tests` entries of
`name`, `description`, `points`, `max_points`, `message`, `output`; `gradable: false`
with `format_errors` uses no attempt and costs no points. The file is read only when the
container exits 0, so the entry point always writes one and exits 0. An incomplete
result (a check the grader could not run) is not gradable either: a grader fault never
scores, and the student simply submits again.

PrairieLearn has no "after the due date" for a test, so hidden checks count in the score
but are shown to students only as one line (how many, how many points), never one by
one. Extra credit is shown, but the score never goes above 1 (whether PrairieLearn
clamps it is not documented).
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from grader import __version__
from grader.model import Assignment, GradeResult, Outcome, Score, Status
from grader.pipeline import grade
from grader.platforms.gradescope import FAILED_MESSAGE, isolation_line, submission_line
from grader.platforms.intake import copy_submission
from grader.report.files import atomic_write
from grader.report.markdown import one_line
from grader.report.text import feedback_text, incomplete_line, safe, summary_line
from grader.report.visibility import visible_rows
from grader.run import capabilities
from grader.score import score as score_of
from grader.settings import Settings

ROOT_ENV = "GRADE_ROOT"
DEFAULT_ROOT = Path("/grade")
LIMIT_BYTES = 1024 * 1024  # the grader host refuses larger results
OUTPUT_CHARS = 16_000  # of one test's output
TOO_LONG = "The details of this check were too long to include here."


def results_document(result: GradeResult, *, assignment: Assignment) -> dict[str, Any]:
    """results.json for one submission graded with every check counted."""
    if result.status is Status.INFRA_ERROR:
        return failure_document()
    if result.incomplete:
        return incomplete_document(result)
    if result.status is not Status.GRADED or result.score is None:
        problem = safe(result.problem) or "nothing to grade was submitted."
        return {
            "gradable": False,
            "score": 0.0,
            "format_errors": [problem],
            "message": f"Not graded: {problem}",
        }
    counted = result.score
    # The rows a student may see one by one: scored as if hidden checks were still hidden.
    shown = replace(result, score=score_of(result.run, assignment=assignment, reveal=False))
    tests = []
    for row in visible_rows(shown, assignment=assignment, reveal=False):
        if row.row.outcome is Outcome.ERROR:
            message = "The grader could not run this check (not your code's fault)."
        else:
            message = "" if row.row.outcome is Outcome.PASSED else safe(one_line(row))
        tests.append(
            {
                "name": row.row.title,
                "description": "extra credit" if row.row.extra else row.category,
                "points": row.row.points,
                "max_points": row.row.max_points,
                "message": message,
                "output": feedback_text(row.check, detail=row.detail)[:OUTPUT_CHARS],
            }
        )
    hidden = [c for c in counted.checks if c.check_id in _hidden_ids(shown) and not c.extra]
    if hidden:
        passed = sum(c.outcome is Outcome.PASSED for c in hidden)
        tests.append(
            {
                "name": f"{len(hidden)} hidden checks",
                "description": "their details are not shown",
                "points": sum(c.points for c in hidden),
                "max_points": sum(c.max_points for c in hidden),
                "message": f"{passed} of {len(hidden)} passed.",
                "output": "",
            }
        )
    fraction = counted.points / counted.max_points if counted.max_points else 0.0
    return _fit(
        {
            "gradable": True,
            "score": round(min(1.0, max(0.0, fraction)), 6),
            "message": _message(counted),
            "output": "\n".join(safe(w) for w in result.warnings),
            "tests": tests,
        }
    )


def _message(counted: Score) -> str:
    """The score in one sentence, with what is apart from it."""
    message = f"{counted.points:g}/{counted.max_points:g} points"
    if counted.extra_points:
        message += f" (+{counted.extra_points:g} extra credit, shown but not above 100%)"
    return message + "."


def _hidden_ids(shown: GradeResult) -> set[str]:
    assert shown.score is not None
    return {c.check_id for c in shown.score.checks if c.hidden}


def _fit(document: dict[str, Any]) -> dict[str, Any]:
    """Replace test outputs, longest first, until the file is under LIMIT_BYTES."""
    tests = document.get("tests", [])
    while len(json.dumps(document).encode()) >= LIMIT_BYTES:
        left = [t for t in tests if t["output"] not in ("", TOO_LONG)]
        if not left:
            break
        max(left, key=lambda t: len(t["output"]))["output"] = TOO_LONG
    return document


def incomplete_document(result: GradeResult) -> dict[str, Any]:
    """The grader could not run some checks: not gradable, so no attempt is used and no
    points are lost (the student submits again), and never a score a fault raised."""
    sentence = safe(incomplete_line(result).removeprefix("incomplete: "))
    return {
        "gradable": False,
        "score": 0.0,
        "format_errors": [f"Incomplete: {sentence}."],
        "message": f"Incomplete: {sentence}.",
    }


def failure_document() -> dict[str, Any]:
    """The grader itself failed: not gradable, so the student loses no points and no
    attempt (the reason is in the job's log, for instructors)."""
    return {
        "gradable": False,
        "score": 0.0,
        "format_errors": [FAILED_MESSAGE],
        "message": FAILED_MESSAGE,
        "output": "",
    }


def write_results(root: Path, *, document: dict[str, Any]) -> Path:
    """Write results/results.json (creating the folder, which PrairieLearn does not)."""
    folder = root / "results"
    folder.mkdir(parents=True, exist_ok=True)
    return atomic_write(folder / "results.json", text=json.dumps(document, indent=1) + "\n")


def make_private(root: Path) -> None:
    """Take other users' rights off /grade (data.json holds the question's parameters and
    answers; serverFilesCourse, tests and results are the course's): student code, which
    the fallback runs as a uid of its own, grades from a copy and never needs it."""
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        with contextlib.suppress(OSError):
            root.chmod(stat.S_IMODE(root.stat().st_mode) & ~0o007)


def run(root: Path, *, assignment: Assignment, settings: Settings, out: TextIO) -> dict[str, Any]:
    """Grade root/student and write root/results/results.json; the log says how."""
    caps = capabilities()
    make_private(root)
    print(f"grader {__version__}, assignment {assignment.name} ({assignment.digest})", file=out)
    with tempfile.TemporaryDirectory(prefix="grader-prairielearn-") as scratch:
        copied = copy_submission(root / "student", dest=Path(scratch) / "student")
        if not copied.files:
            document = {
                "gradable": False,
                "score": 0.0,
                "format_errors": ["No files were submitted; upload your files and submit again."],
                "message": "Not graded: no files were submitted.",
            }
            write_results(root, document=document)
            print("nothing submitted: not gradable", file=out)
            return document
        folder = Path(scratch) / "student"
        result = grade(
            str(folder),
            assignment=assignment,
            settings=replace(settings, reveal=True),
            student="prairielearn",
        )
        result = replace(result, problem=result.problem.replace(str(folder), "your files"))
    document = results_document(result, assignment=assignment)
    write_results(root, document=document)
    print(isolation_line(result, settings=settings, problems=caps.problems), file=out)
    print(submission_line(copied), file=out)
    print(f"{result.status.value}: {summary_line(result)}", file=out)
    if result.problem:
        print(f"problem: {safe(result.problem)}", file=out)
    return document
