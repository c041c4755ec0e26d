"""Reports: deterministic, escaped, and honest about hidden checks."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from grader.model import (
    Assignment,
    Captured,
    Checkout,
    CheckResult,
    Diagnosis,
    Exchange,
    GradeResult,
    Located,
    LocatedFile,
    Outcome,
    RunResult,
    Status,
)
from grader.report import render_html, results_json, show_bytes
from grader.score import score

EVIL = "<script>alert(1)</script>"


def sample(assignment: Assignment) -> GradeResult:
    checks = tuple(
        CheckResult(
            c.id,
            Outcome.FAILED if i % 3 == 0 else Outcome.PASSED,
            0.1,
            message=f"failed {EVIL}",
            exchanges=(
                Exchange("probe", sent=EVIL.encode(), received=b"\xff\x00<b>", expected=b"x"),
            ),
            outputs=(Captured("your server stderr", EVIL, "tail", 9999, 9000),),
            diagnoses=(Diagnosis("code", f"because {EVIL}", EVIL),),
            reproduce=("python echo_server.py",),
        )
        for i, c in enumerate(assignment.checks)
    )
    run = RunResult(checks, 1.0, sandboxed=True)
    return GradeResult(
        student=EVIL,
        status=Status.GRADED,
        assignment=assignment.name,
        assignment_digest=assignment.digest,
        grader_version="test",
        checkout=Checkout(
            EVIL,
            Path("/x"),
            "git-url",
            commit="a" * 40,
            commit_time=datetime(2026, 1, 1, tzinfo=UTC),
        ),
        located=Located((LocatedFile("server", PurePosixPath(f"{EVIL}.py"), EVIL),), ("client",)),
        run=run,
        score=score(run, assignment, reveal=True),
        started_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


def test_student_controlled_text_is_escaped(echo_assignment: Assignment) -> None:
    html = render_html(sample(echo_assignment), echo_assignment, reveal=True)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_same_input_renders_byte_identical(echo_assignment: Assignment) -> None:
    result = sample(echo_assignment)
    assert render_html(result, echo_assignment, reveal=True) == render_html(
        replace(result), echo_assignment, reveal=True
    )


def test_hidden_checks_are_left_out_for_students(echo_assignment: Assignment) -> None:
    result = sample(echo_assignment)
    result = replace(result, score=score(result.run, echo_assignment, reveal=False))
    data = results_json(result, echo_assignment, reveal=False)
    hidden = [c for c in echo_assignment.checks if c.visibility.value != "visible"]
    assert len(data["tests"]) == len(echo_assignment.checks) - len(hidden)
    assert data["extra_data"]["hidden_checks"] == len(hidden)
    html = render_html(result, echo_assignment, reveal=False)
    assert f"{len(hidden)} hidden checks worth" in html


def test_long_payloads_are_cut_with_a_marker() -> None:
    shown = show_bytes(b"x" * 100_000)
    assert "bytes not shown; 100,000 bytes in all" in shown
    assert len(shown) < 1000
