"""Example submissions, built as real git repos, get the verdict a teacher would give."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from support import ROOT, leftover_student_processes, make_repo

from grader.model import Assignment, GradeResult, Outcome, Status
from grader.pipeline import Settings, grade

SETTINGS = Settings(reveal=True)
CLIENT = {
    "client_short_message",
    "client_long_message",
    "client_exactly_16_bytes",
    "client_exactly_32_bytes",
    "client_empty_message",
    "client_returns_what_server_sent",
    "client_slow_server",
    "client_logs_chunks",
    "client_closes_connection",
    "client_non_ascii_split",
}
SERVER = {
    "server_short_message",
    "server_long_message",
    "server_exactly_16_bytes",
    "server_exactly_32_bytes",
    "server_one_mebibyte",
    "server_arbitrary_bytes",
    "server_message_in_pieces",
    "server_empty_connection",
    "server_sequential_clients",
    "server_restart_same_port",
}
PAIR = {"pair_short_message", "pair_long_message"}

# example -> (checks that must fail, diagnoses that must appear among them, score)
EXPECTED: dict[str, tuple[set[str], set[str], float]] = {
    "passes_all_legacy": (set(), set(), 100),
    "passes_all_port_arg": (set(), set(), 100),
    "passes_all_send": (set(), set(), 100),
    "legacy_port_12000": (set(), set(), 100),
    "in_subfolder": (set(), set(), 100),
    "python2": (SERVER | CLIENT | PAIR, {"python2"}, 0),
    "syntax_error": (CLIENT | PAIR, set(), 50),
    "missing_client": (CLIENT | PAIR, set(), 50),
    "client_stops_on_short_chunk": (
        {
            "client_exactly_16_bytes",
            "client_exactly_32_bytes",
            "client_empty_message",
            "client_slow_server",
        },
        {"client_stops_on_short_chunk", "client_stops_early"},
        81,
    ),
    "client_returns_what_it_sent": (
        {"client_returns_what_server_sent"},
        {"client_returns_what_it_sent"},
        94,
    ),
    "client_returns_bytes": (CLIENT | PAIR, {"client_returns_bytes"}, 50),
    "client_unicode_split": ({"client_non_ascii_split"}, {"unicode_split"}, 100),
    "client_crashes": (CLIENT - {"client_empty_message"} | PAIR, {"client_crashed"}, 53),
    "deadlock": (CLIENT | PAIR, {"client_waits_for_close"}, 50),
    "server_drops_last_partial_chunk": (
        {
            "server_short_message",
            "server_long_message",
            "server_arbitrary_bytes",
            "server_message_in_pieces",
            "server_one_mebibyte",
            "pair_short_message",
            "pair_long_message",
        },
        {"server_drops_last_chunk", "server_stops_on_short_chunk"},
        None,
    ),
    "server_stops_on_short_chunk": (
        {"server_message_in_pieces", "server_one_mebibyte"},
        {"server_stops_on_short_chunk"},
        90,
    ),
    "server_serves_one_client": (
        {"server_empty_connection", "server_sequential_clients"},
        {"server_stops_after_first_client"},
        90,
    ),
    "server_never_listens": (SERVER | PAIR, {"server_never_listens"}, 40),
    "server_no_reuseaddr": ({"server_restart_same_port"}, {"address_in_use"}, 95),
}


def failed(result: GradeResult) -> set[str]:
    assert result.run is not None
    return {c.check_id for c in result.run.checks if c.outcome is not Outcome.PASSED}


def diagnoses(result: GradeResult) -> set[str]:
    assert result.run is not None
    return {d.code for c in result.run.checks for d in c.diagnoses}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_gets_the_teachers_verdict(
    name: str, example_repo: Callable[[str], Path], echo_assignment: Assignment
) -> None:
    must_fail, must_diagnose, points = EXPECTED[name]
    result = grade(str(example_repo(name)), echo_assignment, SETTINGS)
    assert result.status is Status.GRADED, result.problem
    assert failed(result) == must_fail
    assert must_diagnose <= diagnoses(result)
    if points is not None:
        assert result.score is not None and result.score.points == points
    assert result.run is not None and result.run.sandboxed
    assert result.duration_s < echo_assignment.submission_budget_s
    assert leftover_student_processes(result.run.job_id) == []


def test_every_failed_check_explains_itself(
    example_repo: Callable[[str], Path], echo_assignment: Assignment
) -> None:
    result = grade(str(example_repo("client_stops_on_short_chunk")), echo_assignment, SETTINGS)
    assert result.run is not None
    for check in result.run.checks:
        if check.outcome is Outcome.PASSED:
            continue
        assert check.message, check.check_id
        assert check.exchanges, check.check_id
        assert any("from echo_client import client" in c for c in check.reproduce)
    sixteen = result.run.get("client_exactly_16_bytes")
    assert sixteen is not None and sixteen.hang == "blocked"


def test_correct_submissions_get_no_diagnosis(
    example_repo: Callable[[str], Path], echo_assignment: Assignment
) -> None:
    result = grade(str(example_repo("passes_all_legacy")), echo_assignment, SETTINGS)
    assert diagnoses(result) == set()


def test_reference_scores_full_marks(echo_assignment: Assignment, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "ref", ROOT / "reference")
    result = grade(str(repo), echo_assignment, SETTINGS)
    assert result.score is not None and result.score.percent == 100
    assert failed(result) == set()


def test_untouched_template_scores_zero_and_says_why(
    echo_assignment: Assignment, tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "template", ROOT / "student_template")
    result = grade(str(repo), echo_assignment, SETTINGS)
    assert result.score is not None and result.score.points == 0
    assert result.run is not None
    for check in result.run.checks:
        if check.check_id in SERVER:
            assert "your server exited" in check.message
        if check.check_id in CLIENT - {"client_non_ascii_split"}:
            assert check.message.startswith(("client() returned", "your client never"))


def test_repo_with_only_a_server_grades_what_it_has(
    echo_assignment: Assignment, tmp_path: Path
) -> None:
    server = (ROOT / "reference" / "echo_server.py").read_text()
    repo = make_repo(tmp_path / "only_server", {"echo_server.py": server})
    result = grade(str(repo), echo_assignment, SETTINGS)
    assert result.located is not None and result.located.missing == ("client",)
    assert result.run is not None
    for check in result.run.checks:
        if check.check_id in CLIENT:
            assert "echo_client.py was not found" in check.message
    assert result.score is not None and result.score.points == 50


def test_hidden_checks_count_only_when_revealed(
    example_repo: Callable[[str], Path], echo_assignment: Assignment
) -> None:
    student = grade(str(example_repo("client_stops_on_short_chunk")), echo_assignment, Settings())
    assert student.score is not None
    assert student.score.hidden_count == 7
    assert student.score.max_points == 100 - student.score.hidden_points
    # the visible 16-byte check still catches the dominant bug
    assert student.score.points < student.score.max_points
