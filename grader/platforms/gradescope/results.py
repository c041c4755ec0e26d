"""results.json as Gradescope reads it (gradescope/autograder_samples docs/specs.md): only
its documented top-level and per-test keys (FIELDS, TEST_FIELDS), each check a test, and
the whole document within DOCUMENT_BYTES.

Every check counts (Gradescope, not the grader, hides the rubric's `hidden` and
`after_due_date` checks from students until the due date: both are Gradescope's
`after_due_date` tests, never its `hidden`, which hides a test forever), extra credit is
its own tests with max_score 0 and raises `score` above the maximum, and each test's
output is cut to the rubric's `detail` (students see it once Gradescope shows the test).
An incomplete result (a check the grader could not run) keeps the score it earned, those
checks at 0, and says at the top that it is incomplete and what to do.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from grader.model import Assignment, GradeResult, Outcome, Status, Visibility
from grader.platforms.gradescope.dates import Due, due_line
from grader.platforms.gradescope.scripts import FAILED_MESSAGE
from grader.platforms.intake import Copied
from grader.report.files import atomic_write
from grader.report.markdown import check_markdown, escape
from grader.report.results_json import extra_data
from grader.report.text import feedback_text, gradescope_status, incomplete_line, safe
from grader.report.visibility import visible_rows

FIELDS = frozenset(
    {
        "score",
        "execution_time",
        "output",
        "output_format",
        "test_output_format",
        "test_name_format",
        "visibility",
        "stdout_visibility",
        "extra_data",
        "tests",
        "leaderboard",
    }
)
TEST_FIELDS = frozenset(
    {
        "score",
        "max_score",
        "status",
        "name",
        "name_format",
        "number",
        "output",
        "output_format",
        "tags",
        "visibility",
        "extra_data",
    }
)
# The rubric's visibility in Gradescope's words (its per-test values: "visible",
# "hidden" = never shown, "after_due_date", "after_published"). Ours says "shown once the
# deadline has passed" for both hidden kinds, which is Gradescope's after_due_date.
TEST_VISIBILITY = {
    Visibility.VISIBLE: "visible",
    Visibility.HIDDEN: "after_due_date",
    Visibility.AFTER_DUE_DATE: "after_due_date",
}
# Gradescope's defaults: 768 MB for the whole container, half a CPU, 10 minutes overall.
# Student processes get less than the container, so the grader itself survives them.
TEST_OUTPUT_BYTES = 64 << 10
DOCUMENT_BYTES = 1 << 20  # no documented limit: stay where every platform is comfortable
TOO_LONG = "_The details of this check were too long to include here._"


def results_document(
    result: GradeResult,
    *,
    assignment: Assignment,
    due: Due | None = None,
    copied: Copied | None = None,
) -> dict[str, Any]:
    """results.json as Gradescope reads it; only documented keys (FIELDS, TEST_FIELDS)."""
    due = due or Due()
    graded = result.status is Status.GRADED and result.score is not None
    tests = _tests(result, assignment) if graded else []
    score = result.score
    points = (score.points + score.extra_points) if score and graded else 0.0
    extra = extra_data(result, reveal=False)
    extra.update(
        max_score=score.max_points if score else None,
        submitted_at=due.submitted_at.isoformat() if due.submitted_at else None,
        due_date=due.due.isoformat() if due.due else None,
        late_due_date=due.late_due.isoformat() if due.late_due else None,
        extension=due.extension,
        late=due.late,
        submission_method=due.method,
        submission_id=due.submission_id,
        files_received=[safe(f) for f in copied.files] if copied else [],
    )
    document = {
        "score": points,
        "execution_time": float(result.duration_s),
        "output": _output(result, due, copied),
        "output_format": "md",
        "test_output_format": "md",
        "test_name_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": extra,
    }
    return _fit(document)


def _tests(result: GradeResult, assignment: Assignment) -> list[dict[str, Any]]:
    tests = []
    # The result is scored with every check counted; `reveal=False` cuts each check to
    # its rubric detail (students may see hidden ones once Gradescope shows them).
    for n, shown in enumerate(visible_rows(result, assignment=assignment, reveal=False), start=1):
        row = shown.row
        if row.outcome is Outcome.ERROR:
            output = (
                "The autograder could not run this check: a fault of the autograder, not of "
                "your code. It earns no points until it is graded again; your instructor can "
                "see why."
            )
        else:
            output = check_markdown(shown)
        if len(output.encode()) > TEST_OUTPUT_BYTES:
            output = escape(
                feedback_text(shown.check, detail=shown.detail)[: TEST_OUTPUT_BYTES // 4]
            )
        tests.append(
            {
                "name": row.title,
                "number": str(n),
                "score": row.points,
                "max_score": 0.0 if row.extra else row.max_points,
                "status": gradescope_status(row),
                "output": output,
                "output_format": "md",
                "visibility": TEST_VISIBILITY[row.visibility],
                "tags": [row.check_id, *([shown.category] if shown.category else [])],
            }
        )
    return tests


def _output(result: GradeResult, due: Due, copied: Copied | None) -> str:
    lines: list[str] = []
    if result.status is Status.INFRA_ERROR:
        lines.append(f"**{FAILED_MESSAGE}**")
    elif result.status is not Status.GRADED or result.score is None:
        lines.append(f"**Not graded:** {escape(result.problem)}")
        if copied is not None:
            received = ", ".join(copied.files[:20]) or "no files"
            lines.append(f"Files received: {escape(received)}")
    else:
        s = result.score
        extra = f" (+{s.extra_points:g} extra credit)" if s.extra_points else ""
        lines.append(f"**{s.points:g}/{s.max_points:g} points**{extra}")
        if result.incomplete:  # the earned score stands; the rest is missing, not lost
            sentence = incomplete_line(result).removeprefix("incomplete: ")
            lines.append(f"**Incomplete:** {escape(sentence)}.")
        if result.located:
            graded = ", ".join(f"{f.path} ({f.reason})" for f in result.located.files)
            lines.append(f"Graded: {escape(graded)}")
    if due_line(due):
        lines.append(escape(due_line(due)))
    lines.extend(f"**Warning:** {escape(w)}" for w in result.warnings)
    return "\n\n".join(lines)


def _fit(document: dict[str, Any]) -> dict[str, Any]:
    """Replace test outputs, longest first, until the document fits DOCUMENT_BYTES."""
    tests = document["tests"]
    while len(json.dumps(document).encode()) > DOCUMENT_BYTES:
        left = [t for t in tests if t["output"] != TOO_LONG]
        if not left:
            break
        max(left, key=lambda t: len(t["output"]))["output"] = TOO_LONG
    return document


def failure_document(reason: str) -> dict[str, Any]:
    """results.json when the grader itself failed: a zero nobody is blamed for."""
    return {
        "score": 0.0,
        "execution_time": 0.0,
        "output": f"**{FAILED_MESSAGE}**",
        "output_format": "md",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [],
        "extra_data": {"status": Status.INFRA_ERROR.value, "problem": safe(reason)},
    }


def write_results(root: Path, *, document: Mapping[str, Any]) -> Path:
    """Write results/results.json at once (Gradescope reads a whole file or none)."""
    folder = root / "results"
    folder.mkdir(parents=True, exist_ok=True)
    return atomic_write(folder / "results.json", text=json.dumps(document, indent=1) + "\n")
