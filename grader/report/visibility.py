"""Who sees what: the one place that decides which checks a reader may see, and how much
of each. Every output (page, results.json, junit, markdown, platforms, terminal) asks here.

Instructors (`reveal`) see every check in full. Students see the checks that count for
them (visible ones, and hidden ones once the deadline has passed: the score says
which), each cut to its rubric `detail`; instructor-only parts (a grader fault's
traceback) never reach them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from grader.model import Assignment, CheckResult, CheckScore, Detail, GradeResult, Outcome


@dataclass(frozen=True, slots=True)
class Shown:
    """One check as a reader may see it: its score row, its result cut to `detail`."""

    row: CheckScore
    check: CheckResult | None
    detail: Detail
    category: str = ""


def visible_rows(result: GradeResult, *, assignment: Assignment, reveal: bool) -> list[Shown]:
    """The checks a reader may see, each with the detail they may see. Optional tasks not
    attempted (their checks skipped) are left out: the report says nothing was found."""
    if result.score is None:
        return []
    rows = []
    for row in result.score.checks:
        if (row.hidden and not reveal) or (row.extra and row.outcome is Outcome.SKIPPED):
            continue
        spec = assignment.check(row.check_id)
        detail = Detail.FULL if reveal or spec is None else spec.detail
        check = result.run.get(row.check_id) if result.run else None
        if check is not None and not reveal:
            check = replace(check, trace="")
        rows.append(
            Shown(
                row, redact(check, detail=detail), detail, spec.category if spec is not None else ""
            )
        )
    return rows


def redact(check: CheckResult | None, *, detail: Detail) -> CheckResult | None:
    """A check's result cut to what `detail` allows.

    `actual-only` drops the expected side of every exchange and the evidence of the
    diagnoses that quote it (messages and diagnosis words never quote it); `none` keeps
    only the outcome.
    """
    if check is None or detail is Detail.FULL:
        return check
    if detail is Detail.NONE:
        return CheckResult(check.check_id, check.outcome, check.duration_s)
    return replace(
        check,
        exchanges=tuple(replace(e, expected=None, expected_len=None) for e in check.exchanges),
        diagnoses=tuple(
            replace(d, evidence="") if d.quotes_expected else d for d in check.diagnoses
        ),
    )
