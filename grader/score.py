"""Stage 6 of 7, RunResult -> Score: score a run by the rubric (pure: no I/O, no clock)."""

from __future__ import annotations

from grader.model import Assignment, CheckScore, Outcome, RunResult, Score, Visibility


def score(run: RunResult | None, *, assignment: Assignment, reveal: bool) -> Score:
    """Points per check. Hidden checks count only when revealed; extras never count in
    max_points; a check the grader could not run (ERROR) earns nothing and stays in
    max_points, so no fault, whoever provoked it, ever raises a percentage (the result
    is incomplete instead, and says so)."""
    rows: list[CheckScore] = []
    for spec in assignment.checks:
        result = run.get(spec.id) if run else None
        outcome = result.outcome if result else Outcome.NOT_RUN
        shown = reveal or spec.visibility is Visibility.VISIBLE
        rows.append(
            CheckScore(
                check_id=spec.id,
                title=spec.title,
                points=spec.points if outcome is Outcome.PASSED else 0.0,
                max_points=spec.points,
                outcome=outcome,
                visibility=spec.visibility,
                counted=shown,
                hidden=not shown,
                extra=spec.extra,
                advice=spec.advice,
            )
        )
    main = [r for r in rows if r.counted and not r.extra]
    hidden = [r for r in rows if r.hidden]
    faults = [r for r in rows if r.outcome is Outcome.ERROR]
    return Score(
        points=sum(r.points for r in main),
        max_points=sum(r.max_points for r in main),
        checks=tuple(rows),
        hidden_count=len(hidden),
        hidden_points=sum(r.max_points for r in hidden),
        extra_points=sum(r.points for r in rows if r.extra and r.counted),
        fault_count=len(faults),
        fault_points=sum(r.max_points for r in faults if not r.extra),
    )
