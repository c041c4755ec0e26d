"""The hang detector: blocked processes are called hung at once, busy ones run into the
limit, and slow but correct ones pass (classification, not wall-clock assertions)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from grader.model import Assignment, Hang, Outcome
from grader.pipeline import grade
from grader.settings import Settings

SETTINGS = Settings(reveal=True)


def test_idle_blocked_client_is_hung_by_quiescence(
    example_repo: Callable[[str], Path], echo_assignment: Assignment
) -> None:
    result = grade(
        str(example_repo("client_stops_on_short_chunk")),
        assignment=echo_assignment,
        settings=SETTINGS,
    )
    assert result.run is not None
    for check_id in ("client_exactly_16_bytes", "client_exactly_32_bytes", "client_empty_message"):
        check = result.run.get(check_id)
        assert check is not None and check.outcome is Outcome.TIMEOUT
        assert check.hang is Hang.BLOCKED, check_id


def test_busy_looping_client_runs_into_the_time_limit(
    example_repo: Callable[[str], Path], echo_assignment: Assignment
) -> None:
    fast = Settings(reveal=True, check_timeout_s=1.0)
    result = grade(
        str(example_repo("hostile_busy_loop")), assignment=echo_assignment, settings=fast
    )
    assert result.run is not None
    check = result.run.get("client_short_message")
    assert check is not None and check.outcome is Outcome.TIMEOUT
    assert check.hang is Hang.BUSY


def test_slow_but_correct_submission_passes(
    example_repo: Callable[[str], Path], echo_assignment: Assignment
) -> None:
    result = grade(
        str(example_repo("slow_but_correct")), assignment=echo_assignment, settings=SETTINGS
    )
    assert result.score is not None and result.score.percent == 100, [
        (c.check_id, c.message)
        for c in (result.run.checks if result.run else ())
        if c.outcome is not Outcome.PASSED
    ]
