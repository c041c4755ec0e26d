"""grades.csv: one row per roster student, keyed by the roster identifier, in roster
order (never completion order). An incomplete result (the grader failed on it) has
"incomplete" for its score and percent, never a number, and for its status when it was
graded in part (a grader crash keeps `infra_error`): an LMS export leaves it blank."""

from __future__ import annotations

from grader.model import GradeResult, Status, Student
from grader.report.files import csv_text
from grader.report.text import incomplete_line, safe

INCOMPLETE = "incomplete"

# extra_score: the optional tasks' extra credit, never part of score or max_score
CSV_COLUMNS = (
    "identifier",
    "name",
    "score",
    "max_score",
    "percent",
    "extra_score",
    "status",
    "commit",
    "problem",
)


def grades_csv(results: list[GradeResult], *, students: tuple[Student, ...]) -> str:
    """One row per roster student (in roster order), keyed by the roster identifier."""
    by_id = {r.student: r for r in results}
    rows: list[list[str]] = [list(CSV_COLUMNS)]
    for s in students:
        r = by_id.get(s.identifier)
        score = r.score if r else None
        row = [
            s.identifier,
            safe(s.name),
            f"{score.points:g}" if score else "0",
            f"{score.max_points:g}" if score else "",
            f"{score.percent:.1f}" if score else "0.0",
            f"{score.extra_points:g}" if score else "0",
            r.status.value if r else "not_graded",
            r.checkout.commit if r and r.checkout and r.checkout.commit else "",
            safe(r.problem) if r else "not graded (the batch was interrupted)",
        ]
        if r is not None and r.incomplete:  # not at all (its problem says why), or in part
            row[2] = row[4] = INCOMPLETE
            if r.status is Status.GRADED:
                row[6] = INCOMPLETE  # and the problem says why, what to do
                row[8] = incomplete_line(r).removeprefix(f"{INCOMPLETE}: ")
        rows.append(row)
    return csv_text(rows)
