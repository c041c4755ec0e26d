"""score: one table of (rubric line, outcome, reveal) -> how the line is scored, then the
totals that follow from the rows."""

from __future__ import annotations

from dataclasses import replace

import pytest
from fakes import tiny_assignment

from grader.model import (
    Assignment,
    CheckResult,
    CheckScore,
    CheckSpec,
    Isolation,
    Outcome,
    RunResult,
    Visibility,
)
from grader.score import score

VISIBLE = CheckSpec("c", "a check", 5)
HIDDEN = replace(VISIBLE, visibility=Visibility.HIDDEN)
AFTER = replace(VISIBLE, visibility=Visibility.AFTER_DUE_DATE)
EXTRA = replace(VISIBLE, points=3, category="extra", extra=True)
ADVICE = replace(VISIBLE, points=0, category="advice", advice=True)

# spec, outcome (None: the run has no result for it), reveal -> points, counted, hidden
ROWS = [
    (VISIBLE, Outcome.PASSED, False, 5, True, False),
    (VISIBLE, Outcome.FAILED, False, 0, True, False),
    (VISIBLE, Outcome.TIMEOUT, False, 0, True, False),
    (VISIBLE, Outcome.SKIPPED, False, 0, True, False),
    (VISIBLE, Outcome.NOT_RUN, False, 0, True, False),
    (VISIBLE, None, False, 0, True, False),  # never reported: NOT_RUN
    (VISIBLE, Outcome.ERROR, False, 0, True, False),  # the grader's fault: 0 of 5, never out
    (VISIBLE, Outcome.ERROR, True, 0, True, False),
    (HIDDEN, Outcome.PASSED, False, 5, False, True),
    (HIDDEN, Outcome.PASSED, True, 5, True, False),
    (HIDDEN, Outcome.FAILED, True, 0, True, False),
    (HIDDEN, Outcome.ERROR, False, 0, False, True),
    (AFTER, Outcome.PASSED, False, 5, False, True),
    (AFTER, Outcome.PASSED, True, 5, True, False),
    (EXTRA, Outcome.PASSED, False, 3, True, False),
    (EXTRA, Outcome.SKIPPED, False, 0, True, False),
    (ADVICE, Outcome.FAILED, False, 0, True, False),
    (ADVICE, Outcome.PASSED, False, 0, True, False),
]


def rubric(*checks: CheckSpec) -> Assignment:
    return replace(tiny_assignment(), checks=checks)


def run_of(*results: CheckResult) -> RunResult:
    return RunResult(results, 1.0, Isolation.NONE)


@pytest.mark.parametrize(("spec", "outcome", "reveal", "points", "counted", "hidden"), ROWS)
def test_each_line_is_scored_by_the_table(
    spec: CheckSpec,
    outcome: Outcome | None,
    reveal: bool,
    points: float,
    counted: bool,
    hidden: bool,
) -> None:
    run = run_of(*([CheckResult("c", outcome)] if outcome else []))
    (row,) = score(run, assignment=rubric(spec), reveal=reveal).checks
    assert row == CheckScore(
        check_id="c",
        title="a check",
        points=points,
        max_points=spec.points,
        outcome=outcome or Outcome.NOT_RUN,
        visibility=spec.visibility,
        counted=counted,
        hidden=hidden,
        extra=spec.extra,
        advice=spec.advice,
    )


def totals(outcomes: dict[str, Outcome], *, reveal: bool) -> tuple[float, ...]:
    tiny = tiny_assignment()
    run = run_of(*(CheckResult(cid, o) for cid, o in outcomes.items()))
    s = score(run, assignment=tiny, reveal=reveal)
    return (
        s.points,
        s.max_points,
        s.hidden_count,
        s.hidden_points,
        s.extra_points,
        s.fault_count,
        s.fault_points,
    )


P, F, E, S = Outcome.PASSED, Outcome.FAILED, Outcome.ERROR, Outcome.SKIPPED
ALL = {"short": P, "long": P, "secret": P, "client": P, "advice": P, "extra": P}


@pytest.mark.parametrize(
    ("outcomes", "reveal", "expected"),
    [
        # points, max, hidden count, hidden points, extra, faults, fault points
        (ALL, False, (16, 16, 1, 4, 3, 0, 0)),
        (ALL, True, (20, 20, 0, 0, 3, 0, 0)),
        ({**ALL, "long": F, "extra": S}, True, (15, 20, 0, 0, 0, 0, 0)),
        ({**ALL, "long": E}, True, (15, 20, 0, 0, 3, 1, 5)),  # a fault never shrinks max
        ({**ALL, "secret": E}, False, (16, 16, 1, 4, 3, 1, 4)),
        ({**ALL, "extra": E}, True, (20, 20, 0, 0, 0, 1, 0)),  # a fault, worth no main points
        ({}, True, (0, 20, 0, 0, 0, 0, 0)),  # nothing reported: every check NOT_RUN
    ],
)
def test_totals_follow_from_the_rows(
    outcomes: dict[str, Outcome], reveal: bool, expected: tuple[float, ...]
) -> None:
    assert totals(outcomes, reveal=reveal) == expected


def test_extra_credit_stays_out_of_the_percent() -> None:
    s = score(run_of(*(CheckResult(c, P) for c in ALL)), assignment=tiny_assignment(), reveal=True)
    assert s.percent == 100.0 and s.extra_points == 3


def test_without_a_run_every_check_is_not_run() -> None:
    s = score(None, assignment=tiny_assignment(), reveal=True)
    assert {r.outcome for r in s.checks} == {Outcome.NOT_RUN}
    assert (s.points, s.max_points, s.percent) == (0, 20, 0.0)


def test_rows_follow_the_rubric_order_not_the_run_order() -> None:
    tiny = tiny_assignment()
    run = run_of(*(CheckResult(c.id, P) for c in reversed(tiny.checks)))
    assert [r.check_id for r in score(run, assignment=tiny, reveal=True).checks] == [
        c.id for c in tiny.checks
    ]


def test_an_empty_rubric_scores_zero_percent() -> None:
    assert score(run_of(), assignment=rubric(), reveal=True).percent == 0.0
