"""Reports: deterministic, escaped, and honest about hidden checks and failure detail."""

from __future__ import annotations

import io
import json
import os
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree as ET

import pytest

from grader.cli.summary import print_summary
from grader.model import (
    Assignment,
    Captured,
    Checkout,
    CheckResult,
    CheckSpec,
    Detail,
    Diagnosis,
    Exchange,
    FileProblem,
    FileSpec,
    GradeResult,
    Hang,
    Isolation,
    Located,
    LocatedFile,
    Outcome,
    RunResult,
    Status,
    Visibility,
)
from grader.platforms.gradescope import results_document
from grader.report import junit_xml, render_html, results_json, summary_markdown
from grader.report.text import feedback_text, show_bytes
from grader.report.visibility import redact
from grader.score import score

EVIL = "<script>alert(1)</script>"
GOLDEN = Path(__file__).resolve().parents[2] / "golden"
REGENERATE = "GRADER_REGENERATE_GOLDEN"  # set to 1 to rewrite tests/golden/ from the code


def sample(assignment: Assignment) -> GradeResult:
    """Every student-controlled field holds markup."""
    checks = tuple(
        CheckResult(
            c.id,
            Outcome.FAILED if i % 3 == 0 else Outcome.PASSED,
            0.1,
            message=f"failed {EVIL}",
            exchanges=(
                Exchange(
                    f"probe {EVIL}",
                    sent=EVIL.encode(),
                    received=b"\xff\x00<b>",
                    expected=b"x",
                    note=EVIL,
                ),
            ),
            outputs=(Captured(f"your server {EVIL}", EVIL, "tail", 9999, 9000),),
            diagnoses=(Diagnosis("code", f"because {EVIL}", EVIL),),
            reproduce=(f"python {EVIL}.py",),
            hang=Hang.BLOCKED,
        )
        for i, c in enumerate(assignment.checks)
    )
    run = RunResult(checks, 1.0, Isolation.BWRAP, warnings=(EVIL,))
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
            branch=EVIL,
            commit="a" * 40,
            commit_time=datetime(2026, 1, 1, tzinfo=UTC),
        ),
        located=Located(
            (LocatedFile("server", PurePosixPath(f"{EVIL}.py"), EVIL),), ("client",), (EVIL,)
        ),
        file_problems=(FileProblem("client", PurePosixPath(f"{EVIL}.py"), 1, EVIL),),
        run=run,
        score=score(run, assignment=assignment, reveal=True),
        warnings=(EVIL,),
        started_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


def test_student_controlled_text_is_escaped(echo_assignment: Assignment) -> None:
    html = render_html(sample(echo_assignment), assignment=echo_assignment, reveal=True)
    assert "<script" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_same_input_renders_byte_identical(echo_assignment: Assignment) -> None:
    result = sample(echo_assignment)
    assert render_html(result, assignment=echo_assignment, reveal=True) == render_html(
        replace(result), assignment=echo_assignment, reveal=True
    )


def test_hidden_checks_are_left_out_for_students(echo_assignment: Assignment) -> None:
    result = sample(echo_assignment)
    result = replace(result, score=score(result.run, assignment=echo_assignment, reveal=False))
    data = results_json(result, assignment=echo_assignment, reveal=False)
    hidden = [c for c in echo_assignment.checks if c.visibility.value != "visible"]
    assert len(data["tests"]) == len(echo_assignment.checks) - len(hidden)
    assert data["extra_data"]["hidden_checks"] == len(hidden)
    html = render_html(result, assignment=echo_assignment, reveal=False)
    assert f"{len(hidden)} hidden checks worth" in html
    assert not any(f'id="check-{c.id}"' in html for c in hidden)


def test_long_payloads_are_cut_with_a_marker() -> None:
    shown = show_bytes(b"x" * 100_000)
    assert "bytes not shown; 100,000 bytes in all" in shown
    assert len(shown) < 1000
    assert show_bytes(b"a\x00\xff") == "a\\x00\\xff"


# ---------------------------------------------------------------- a fixed, small assignment


def tiny_assignment(detail: Detail = Detail.ACTUAL_ONLY) -> Assignment:
    """A hand-made rubric, so the golden file does not change when the real one does."""
    return Assignment(
        name="tiny",
        title="Tiny echo",
        root=Path("/nowhere"),
        checks_dir=Path("/nowhere/checks"),
        files=(FileSpec("server", "echo_server.py"), FileSpec("client", "echo_client.py")),
        checks=(
            CheckSpec("echo_short", "Server echoes a short message", 5, "server"),
            CheckSpec("echo_long", "Server echoes a long message", 5, "server"),
            CheckSpec(
                "echo_secret",
                "Server echoes the secret message",
                4,
                "server",
                visibility=Visibility.HIDDEN,
                detail=detail,
            ),
            CheckSpec(
                "client_mutated",
                "Client returns what the server sent",
                6,
                "client",
                visibility=Visibility.AFTER_DUE_DATE,
                detail=detail,
            ),
            CheckSpec("client_hangs", "Client returns 16 bytes", 6, "client"),
            CheckSpec(
                "client_secret",
                "Client passes the secret check",
                3,
                "client",
                visibility=Visibility.HIDDEN,
                detail=Detail.NONE,
            ),
            CheckSpec("advice", "Advice: a split character", 0, "advice", advice=True),
        ),
        default_port=10000,
        check_timeout_s=2.0,
        submission_budget_s=120.0,
        quiescence_s=0.5,
        version="1",
        digest="0123456789abcdef",
    )


SECRET = b"the expected reply, which must not leak"


def fixed_result(assignment: Assignment, *, reveal: bool) -> GradeResult:
    long = b"".join(b"%015d\n" % i for i in range(200))
    checks = (
        CheckResult("echo_short", Outcome.PASSED, 0.01),
        CheckResult(
            "echo_long",
            Outcome.FAILED,
            0.2,
            message="your server closed the connection after echoing 48 of 52 bytes.",
            exchanges=(
                Exchange(
                    "the 52-byte long message",
                    sent=b"Four score and seven years ago our fathers did stuff",
                    received=b"Four score and seven years ago our fathers did s",
                    expected=b"Four score and seven years ago our fathers did stuff",
                    elapsed_s=0.012,
                ),
                Exchange("3200 bytes", sent=long, received=long[:100], expected=long, elapsed_s=1),
            ),
            outputs=(
                Captured("your server stderr", "making a server\n", "closed\n", 70_000, 65_000),
            ),
            diagnoses=(
                Diagnosis(
                    "server_drops_last_chunk",
                    "your server echoed only the full 16-byte chunks and dropped the last 4 "
                    "bytes: send back every chunk you receive.",
                    "echoed 48 of 52 bytes",
                ),
            ),
            reproduce=(
                "python echo_server.py   # terminal 1: your server",
                "grade-peer send 'Four score'   # terminal 2: the grader's client",
            ),
        ),
        CheckResult(
            "echo_secret",
            Outcome.FAILED,
            0.3,
            message="your server sent back 3 bytes, then closed.",
            exchanges=(Exchange("the secret", sent=b"abc", received=b"abc", expected=SECRET),),
            diagnoses=(
                Diagnosis("d1", "words without the expected value", f"saw {SECRET!r}", True),
            ),
            reproduce=("python echo_server.py   # terminal 1: your server",),
        ),
        CheckResult(
            "client_mutated",
            Outcome.FAILED,
            0.4,
            message="client() returned what it sent instead of what the server sent back.",
            exchanges=(
                Exchange("mutated", sent=b"Hello", received=b"Hello", expected=SECRET, note="x"),
            ),
            diagnoses=(
                Diagnosis(
                    "client_returns_what_it_sent", "returned what it sent", str(SECRET), True
                ),
            ),
            reproduce=("grade-peer serve --scramble 3   # terminal 1",),
        ),
        CheckResult(
            "client_hangs",
            Outcome.TIMEOUT,
            0.9,
            message="client() did not return.",
            exchanges=(Exchange("sixteen", sent=b"sixteen bytes!!!", elapsed_s=0.5),),
            hang=Hang.BLOCKED,
            reproduce=("python -c 'from echo_client import client'   # terminal 2",),
        ),
        CheckResult(
            "client_secret", Outcome.FAILED, 0.1, message=f"it said {SECRET!r}", reproduce=("x",)
        ),
        CheckResult(
            "advice",
            Outcome.FAILED,
            0.1,
            message="client() crashed on a character split across two chunks.",
            diagnoses=(Diagnosis("client_decodes_chunks", "decode the whole reply once."),),
        ),
    )
    run = RunResult(checks, 3.0, Isolation.BWRAP)
    return GradeResult(
        student="ada",
        status=Status.GRADED,
        assignment=assignment.name,
        assignment_digest=assignment.digest,
        grader_version="golden",
        checkout=Checkout(
            "https://example.edu/ada/echo.git",
            Path("/tmp/checkout"),
            "git-url",
            url="https://example.edu/ada/echo.git",
            branch="main",
            commit="0123456789abcdef0123456789abcdef01234567",
            commit_time=datetime(2026, 11, 1, 12, 0, tzinfo=UTC),
        ),
        located=Located(
            (
                LocatedFile("server", PurePosixPath("echo_server.py"), "at the root"),
                LocatedFile("client", PurePosixPath("hw/client.py"), "looks like echo_client.py"),
            ),
            (),
        ),
        run=run,
        score=score(run, assignment=assignment, reveal=reveal),
        started_at=datetime(2026, 11, 2, tzinfo=UTC),
        duration_s=4.2,
    )


@pytest.mark.parametrize(
    ("name", "reveal"), [("report_instructor.html", True), ("report_student.html", False)]
)
def test_rendered_report_matches_the_golden_file(name: str, reveal: bool) -> None:
    """Byte for byte; run with GRADER_REGENERATE_GOLDEN=1 after an intended change."""
    tiny = tiny_assignment()
    html = render_html(fixed_result(tiny, reveal=reveal), assignment=tiny, reveal=reveal)
    assert html == render_html(fixed_result(tiny, reveal=reveal), assignment=tiny, reveal=reveal)
    golden = GOLDEN / name
    if os.environ.get(REGENERATE) == "1":
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(html, encoding="utf-8")
    assert golden.exists(), f"no {golden}; run the tests once with {REGENERATE}=1"
    assert html == golden.read_text(encoding="utf-8"), f"{golden} differs; see its docstring"


def test_results_json_matches_the_golden_file() -> None:
    tiny = tiny_assignment()
    data = results_json(fixed_result(tiny, reveal=True), assignment=tiny, reveal=True)
    text = json.dumps(data, indent=2, sort_keys=True) + "\n"
    golden = GOLDEN / "results_instructor.json"
    if os.environ.get(REGENERATE) == "1":
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


# ---------------------------------------------------------------- visibility and detail


def _terminal(result: GradeResult, assignment: Assignment, *, reveal: bool) -> str:
    out = io.StringIO()
    print_summary(result, assignment=assignment, folder=Path("grades/ada"), out=out, reveal=reveal)
    return out.getvalue()


def views(result: GradeResult, assignment: Assignment, *, reveal: bool) -> dict[str, str]:
    return {
        "html": render_html(result, assignment=assignment, reveal=reveal),
        "json": json.dumps(results_json(result, assignment=assignment, reveal=reveal)),
        "terminal": _terminal(result, assignment, reveal=reveal),
    }


def test_students_see_visible_checks_and_only_the_number_and_points_of_hidden_ones() -> None:
    tiny = tiny_assignment()
    student = fixed_result(tiny, reveal=False)
    assert student.score is not None and student.score.hidden_count == 3
    assert student.score.max_points == 16
    data = results_json(student, assignment=tiny, reveal=False)
    assert [t["tags"][0] for t in data["tests"]] == [
        "echo_short",
        "echo_long",
        "client_hangs",
        "advice",
    ]
    for text in views(student, tiny, reveal=False).values():
        assert "secret" not in text.lower()
        assert SECRET.decode() not in text
    assert "3 hidden checks worth 13 points" in render_html(student, assignment=tiny, reveal=False)


def test_after_the_deadline_hidden_checks_show_with_their_rubric_detail() -> None:
    """The score counts them (the pipeline scores with reveal once the deadline passed);
    students still see only what `detail` allows, in every format."""
    tiny = tiny_assignment(Detail.ACTUAL_ONLY)
    late = fixed_result(tiny, reveal=True)
    assert late.score is not None and late.score.hidden_count == 0
    data = results_json(late, assignment=tiny, reveal=False)
    by_id = {t["tags"][0]: t for t in data["tests"]}
    assert by_id["echo_secret"]["visibility"] == "hidden"
    assert by_id["client_mutated"]["visibility"] == "after_due_date"
    assert by_id["echo_long"]["visibility"] == "visible"
    for where, text in views(late, tiny, reveal=False).items():
        assert SECRET.decode() not in text, where
        assert "it said" not in text, where  # detail none: pass/fail only
    html = render_html(late, assignment=tiny, reveal=False)
    assert "The deadline has passed" in html
    assert "words without the expected value" in html  # the words stay, the evidence goes
    assert "returned what it sent" in html
    assert "Expected</dt>" in html  # the visible check keeps its expected side
    assert by_id["client_secret"]["output"].startswith("Failed. The details")


def test_instructors_see_everything_in_full() -> None:
    tiny = tiny_assignment(Detail.NONE)
    full = fixed_result(tiny, reveal=True)
    for where, text in views(full, tiny, reveal=True).items():
        assert "Server echoes the secret message" in text, where
    html = render_html(full, assignment=tiny, reveal=True)
    assert repr(SECRET) in html.replace("&#39;", "'") and "it said" in html
    assert "instructor view" in html


def test_redact_keeps_what_the_code_did() -> None:
    check = fixed_result(tiny_assignment(), reveal=True).run.get("client_mutated")  # type: ignore[union-attr]
    assert check is not None
    assert redact(check, detail=Detail.FULL) is check
    actual = redact(check, detail=Detail.ACTUAL_ONLY)
    assert actual is not None
    assert actual.exchanges[0].expected is None and actual.exchanges[0].received == b"Hello"
    assert actual.diagnoses[0].evidence == "" and actual.diagnoses[0].text
    assert actual.message == check.message and actual.reproduce == check.reproduce
    none = redact(check, detail=Detail.NONE)
    assert none == CheckResult("client_mutated", Outcome.FAILED, 0.4)
    assert SECRET.decode() not in feedback_text(actual, detail=Detail.ACTUAL_ONLY)


def test_the_terminal_mirrors_the_page_briefly() -> None:
    tiny = tiny_assignment()
    text = _terminal(fixed_result(tiny, reveal=False), tiny, reveal=False)
    assert "FAIL     0/5    Server echoes a long message" in text
    assert "why: your server echoed only the full 16-byte chunks" in text
    assert "try: python echo_server.py" in text
    assert "\033[" not in text  # not a TTY: no colour
    assert "3 hidden checks worth 13 points not shown" in text


ADVICE_TINY = tiny_assignment()

# ---------------------------------------------------------------- advice is never a failure


def test_advice_never_reads_as_a_failure_on_the_page() -> None:
    html = render_html(fixed_result(ADVICE_TINY, reveal=True), assignment=ADVICE_TINY, reveal=True)
    item = html[
        html.index('id="check-advice"') : html.index("</li>", html.index('id="check-advice"'))
    ]
    assert 'class="badge ADVICE"' in item and "FAIL" not in item and "✗" not in item
    assert "Advice (no points); checked in" in item
    todo = html[html.index('id="todo-heading"') : html.index("</ul>", html.index("todo-heading"))]
    assert "Advice: a split character" not in todo  # not under "Did not pass"
    assert "1 of 6 checks passed" in html  # advice is not counted as a check that failed


def test_advice_never_reads_as_a_failure_in_markdown_and_results_json() -> None:
    result = fixed_result(ADVICE_TINY, reveal=True)
    md = summary_markdown(result, assignment=ADVICE_TINY, reveal=True)
    (row,) = [ln for ln in md.splitlines() if "Advice: a split character" in ln]
    assert "ADVICE" in row and "FAIL" not in row and "❌" not in row
    for document in (
        results_json(result, assignment=ADVICE_TINY, reveal=True),
        results_document(result, assignment=ADVICE_TINY),
    ):
        by_id = {t["tags"][0]: t for t in document["tests"]}
        assert by_id["advice"]["status"] == "passed"  # Gradescope draws "failed" red
        assert by_id["echo_long"]["status"] == "failed"


def test_advice_is_not_a_junit_failure() -> None:
    suite = ET.fromstring(junit_xml(fixed_result(ADVICE_TINY, reveal=True), assignment=ADVICE_TINY))
    (case,) = [c for c in suite.iter("testcase") if c.get("name") == "advice"]
    assert list(case) == []


def test_a_grader_fault_in_an_advice_check_is_still_a_grader_fault() -> None:
    result = fixed_result(ADVICE_TINY, reveal=True)
    assert result.run is not None
    fault = CheckResult("advice", Outcome.ERROR, 0.1, message="boom", trace="Traceback")
    run = replace(result.run, checks=(*result.run.checks[:-1], fault))
    result = replace(result, run=run, score=score(run, assignment=ADVICE_TINY, reveal=True))
    by_id = {
        t["tags"][0]: t for t in results_json(result, assignment=ADVICE_TINY, reveal=True)["tests"]
    }
    assert by_id["advice"]["status"] == "failed"
