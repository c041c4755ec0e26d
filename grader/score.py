"""Score a run by the rubric: a pure function, no I/O, no clock."""

from __future__ import annotations

from grader.model import Assignment, CheckScore, Outcome, RunResult, Score, Visibility


def score(run: RunResult | None, assignment: Assignment, *, reveal: bool = True) -> Score:
    """Points per check; hidden checks count only when revealed, extras never in max."""
    rows: list[CheckScore] = []
    for spec in assignment.checks:
        result = run.get(spec.id) if run else None
        outcome = result.outcome if result else Outcome.NOT_RUN
        counted = reveal or spec.visibility is Visibility.VISIBLE
        earned = spec.points if outcome is Outcome.PASSED else 0.0
        rows.append(
            CheckScore(
                check_id=spec.id,
                title=spec.title,
                points=earned,
                max_points=spec.points,
                outcome=outcome,
                visibility=spec.visibility,
                counted=counted,
                extra=spec.extra,
                advice=spec.advice,
            )
        )
    main = [r for r in rows if r.counted and not r.extra]
    hidden = [r for r in rows if not r.counted]
    return Score(
        points=sum(r.points for r in main),
        max_points=sum(r.max_points for r in main),
        checks=tuple(rows),
        hidden_count=len(hidden),
        hidden_points=sum(r.max_points for r in hidden),
        extra_points=sum(r.points for r in rows if r.extra and r.counted),
    )
