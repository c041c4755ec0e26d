"""report/visibility.py, and results.json that asks it: who sees which check, with how
much detail; a grader fault's traceback and the integrity flags reach instructors only."""

from __future__ import annotations

import json

import pytest
from fakes import tiny_assignment

from grader.model import (
    CheckResult,
    Detail,
    Diagnosis,
    Exchange,
    Flag,
    FlagKind,
    GradeResult,
    Isolation,
    Outcome,
    RunResult,
    Status,
)
from grader.report import results_json
from grader.report.visibility import visible_rows
from grader.score import score

TRACE = "Traceback (most recent call last): grader/harness/peers.py line 3"
EXPECTED = b"the expected reply"


def result(*, reveal: bool, extra: Outcome = Outcome.PASSED) -> GradeResult:
    tiny = tiny_assignment()
    run = RunResult(
        (
            CheckResult("short", Outcome.PASSED),
            CheckResult("long", Outcome.ERROR, message="the grader could not", trace=TRACE),
            CheckResult(
                "secret",
                Outcome.FAILED,
                message="3 bytes back",
                exchanges=(Exchange("x", sent=b"abc", received=b"ab", expected=EXPECTED),),
                diagnoses=(Diagnosis("d", "dropped a byte", f"wanted {EXPECTED!r}", True),),
            ),
            CheckResult("client", Outcome.FAILED, message="no echo"),
            CheckResult("advice", Outcome.PASSED),
            CheckResult("extra", extra),
        ),
        1.0,
        Isolation.NONE,
    )
    return GradeResult(
        student="ada",
        status=Status.GRADED,
        assignment=tiny.name,
        assignment_digest=tiny.digest,
        grader_version="t",
        run=run,
        score=score(run, assignment=tiny, reveal=reveal),
        flags=(Flag(FlagKind.HIJACK_FILE, "ships conftest.py"),),
        notes=("tests.py differs",),
    )


def shown(*, counted: bool, reveal: bool, extra: Outcome = Outcome.PASSED) -> dict[str, Detail]:
    rows = visible_rows(
        result(reveal=counted, extra=extra), assignment=tiny_assignment(), reveal=reveal
    )
    return {r.row.check_id: r.detail for r in rows}


@pytest.mark.parametrize(
    ("counted", "reveal", "extra", "expected"),
    [
        # before the deadline, a student: the hidden check is left out
        (False, False, Outcome.PASSED, {"secret": None}),
        # after the deadline, a student: shown, cut to its rubric detail
        (True, False, Outcome.PASSED, {"secret": Detail.ACTUAL_ONLY}),
        # an instructor: everything, in full
        (True, True, Outcome.PASSED, {"secret": Detail.FULL}),
        # an optional task not attempted (skipped) is left out for everyone
        (True, True, Outcome.SKIPPED, {"secret": Detail.FULL, "extra": None}),
    ],
)
def test_who_sees_which_check(
    counted: bool, reveal: bool, extra: Outcome, expected: dict[str, Detail | None]
) -> None:
    seen = shown(counted=counted, reveal=reveal, extra=extra)
    for check_id, detail in {"short": Detail.FULL, "extra": Detail.FULL, **expected}.items():
        assert seen.get(check_id) == detail, check_id


def test_students_never_get_a_grader_trace_instructors_do() -> None:
    tiny = tiny_assignment()
    for reveal in (False, True):
        rows = visible_rows(result(reveal=True), assignment=tiny, reveal=reveal)
        long = next(r for r in rows if r.row.check_id == "long")
        assert long.check is not None and long.check.trace == (TRACE if reveal else "")
        text = json.dumps(results_json(result(reveal=True), assignment=tiny, reveal=reveal))
        assert ("Traceback" in text) is reveal


def test_actual_only_hides_what_was_expected_in_every_field() -> None:
    tiny = tiny_assignment()
    student = results_json(result(reveal=True), assignment=tiny, reveal=False)
    secret = next(t for t in student["tests"] if t["tags"][0] == "secret")
    assert "dropped a byte" in secret["output"] and "received: ab\n" in secret["output"]
    assert EXPECTED.decode() not in json.dumps(student)
    teacher = results_json(result(reveal=True), assignment=tiny, reveal=True)
    assert EXPECTED.decode() in json.dumps(teacher)


def test_results_json_counts_what_it_leaves_out() -> None:
    tiny = tiny_assignment()
    before = results_json(result(reveal=False), assignment=tiny, reveal=False)
    assert [t["tags"][0] for t in before["tests"]] == ["short", "long", "client", "advice", "extra"]
    assert (before["score"], before["max_score"]) == (5, 16)  # the fault earns 0 of its 5
    extra = before["extra_data"]
    assert (extra["hidden_checks"], extra["hidden_points"], extra["grader_faults"]) == (1, 4, 1)
    assert extra["incomplete"] is True
    assert "incomplete: the grader could not run 1 check " in before["output"]
    assert "flags" not in extra and "notes" not in extra
    teacher = results_json(result(reveal=True), assignment=tiny, reveal=True)["extra_data"]
    assert teacher["flags"] == [{"kind": "hijack_file", "text": "ships conftest.py"}]
    assert teacher["notes"] == ["tests.py differs"]


def test_an_ungraded_submission_has_no_rows_and_the_rubric_maximum() -> None:
    tiny = tiny_assignment()
    ungraded = GradeResult("ada", Status.NOT_GRADABLE, "tiny", "d", "t", problem="no files")
    assert visible_rows(ungraded, assignment=tiny, reveal=True) == []
    data = results_json(ungraded, assignment=tiny, reveal=False)
    assert (data["score"], data["max_score"], data["tests"]) == (0, 16, [])
    assert data["output"] == "Not graded: no files"
