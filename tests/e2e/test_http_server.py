"""The second assignment, http_server, through the real pipeline and sandbox: the command
grades its reference at 100 and its template at 0 with every failure explained, every
example submission (tests/examples_http/) gets the verdict a teacher would give, every
diagnosis has an example whose report shows it, and the web root served is always the
assignment's own."""

from __future__ import annotations

import importlib.util
import io
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import markupsafe
import pytest
from support import EXAMPLES_HTTP, ROOT, leftover_student_processes

from grader.cli import main
from grader.errors import ExitCode
from grader.harness import Catalogue
from grader.model import Assignment, GradeResult, Hang, Outcome, Status
from grader.report import render_html

CHECKS = ROOT / "assignments" / "http_server" / "checks"


def _module(name: str) -> ModuleType:
    """A module of the checks, loaded by path (its bare name would clash with
    echo_sockets' modules of the same name in this process)."""
    spec = importlib.util.spec_from_file_location(
        f"http_server_checks_{name}", CHECKS / f"{name}.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


CATALOGUE: Catalogue = _module("diagnoses").CATALOGUE
responses = _module("responses")

FILES = {"get_text_file", "get_html_file", "get_png_image", "get_jpeg_image"}
FOLDERS = {"root_listing", "folder_listing"}
STATUSES = {"missing_file_404", "method_not_allowed_405", "bad_request_400"}
BODIES = FILES | FOLDERS | {"response_form", "request_in_pieces", "two_requests_in_a_row"}
EVERY = BODIES | STATUSES | {"path_outside_webroot"}

# example -> (checks that must fail, exactly the diagnoses its report gives, points)
EXPECTED: dict[str, tuple[set[str], set[str], float]] = {
    "passes_all": (set(), set(), 100),
    "passes_all_close_delimited": (set(), set(), 100),
    "passes_all_own_webroot": (set(), set(), 100),
    "template_as_given": (EVERY, {"server_never_listens"}, 0),
    "python2": (EVERY, {"python2"}, 0),
    "lf_line_ends": ({"response_form"}, {"lf_line_ends"}, 92),
    "no_blank_line": (BODIES, {"no_blank_line"}, 26),
    "body_as_str": (BODIES, {"body_as_str"}, 26),
    "body_str_typeerror": (EVERY, {"body_as_str"}, 0),
    "wrong_content_type": (
        {"get_text_file", "get_png_image", "get_jpeg_image"},
        {"wrong_content_type"},
        72,
    ),
    "length_counts_characters": (
        {"get_html_file", "response_form"},
        {"content_length_mismatch"},
        82,
    ),
    "no_length_keeps_open": (EVERY, {"no_length_no_close"}, 0),
    "bad_status_line": (EVERY, {"bad_status_line"}, 0),
    "single_recv": ({"request_in_pieces"}, {"single_recv"}, 92),
    "waits_for_close": (EVERY, {"server_waits_for_close"}, 0),
    "crash_on_missing_file": ({"missing_file_404"}, {"crash_on_missing_file"}, 92),
    "crashes_on_bad_request": ({"bad_request_400"}, {"server_crashed"}, 93),
    "not_found_as_200": ({"missing_file_404", "path_outside_webroot"}, {"wrong_status"}, 87),
    "index_instead_of_listing": ({"root_listing"}, {"index_instead_of_listing"}, 92),
    "serves_outside_webroot": ({"path_outside_webroot"}, {"serves_outside_webroot"}, 95),
    "stops_after_first_request": (
        {"two_requests_in_a_row"},
        {"server_stops_after_first_request"},
        94,
    ),
}
HANGS = {"no_length_keeps_open", "waits_for_close"}  # every failed check a blocked hang

# The example that shows each diagnosis.
SHOWN_BY = {
    "python2": "python2",
    "server_never_listens": "template_as_given",
    "lf_line_ends": "lf_line_ends",
    "no_blank_line": "no_blank_line",
    "body_as_str": "body_as_str",
    "wrong_content_type": "wrong_content_type",
    "content_length_mismatch": "length_counts_characters",
    "no_length_no_close": "no_length_keeps_open",
    "bad_status_line": "bad_status_line",
    "wrong_status": "not_found_as_200",
    "index_instead_of_listing": "index_instead_of_listing",
    "serves_outside_webroot": "serves_outside_webroot",
    "single_recv": "single_recv",
    "server_waits_for_close": "waits_for_close",
    "crash_on_missing_file": "crash_on_missing_file",
    "server_crashed": "crashes_on_bad_request",
    "server_stops_after_first_request": "stops_after_first_request",
}


def failed(result: GradeResult) -> set[str]:
    assert result.run is not None
    return {c.check_id for c in result.run.checks if c.outcome is not Outcome.PASSED}


def diagnoses(result: GradeResult) -> set[str]:
    assert result.run is not None
    return {d.code for c in result.run.checks for d in c.diagnoses}


def _graded_by_the_command(source: Path, out: Path, *extra: str) -> dict[str, object]:
    said = io.StringIO()
    code = main(
        [str(source), "--assignment", "http_server", "--out", str(out), *extra], stdout=said
    )
    assert code == ExitCode.OK, said.getvalue()
    data: dict[str, object] = json.loads((out / source.name / "results.json").read_text())
    return data


def test_the_command_grades_the_reference_at_100(tmp_path: Path) -> None:
    data = _graded_by_the_command(
        ROOT / "assignments" / "http_server" / "reference", tmp_path, "--reveal"
    )
    assert data["score"] == data["max_score"] == 100
    tests = data["tests"]
    assert isinstance(tests, list) and len(tests) == 13
    assert all(t["status"] == "passed" for t in tests)


def test_the_command_grades_the_template_at_0_with_every_failure_explained(
    tmp_path: Path,
) -> None:
    data = _graded_by_the_command(ROOT / "assignments" / "http_server" / "template", tmp_path)
    assert data["score"] == 0
    tests = data["tests"]
    assert isinstance(tests, list) and tests
    shown = [t for t in tests if t.get("visibility", "visible") == "visible"]
    assert len(shown) == 12  # the path check is hidden from students
    for test in shown:
        assert test["status"] == "failed"
        assert "never listened" in test["output"], test["output"]
        assert "python http_server.py" in test["output"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_gets_the_teachers_verdict(
    name: str, graded_http: Callable[[str], GradeResult], http_assignment: Assignment
) -> None:
    must_fail, must_diagnose, points = EXPECTED[name]
    result = graded_http(name)
    assert result.status is Status.GRADED, result.problem
    assert failed(result) == must_fail
    assert diagnoses(result) == must_diagnose
    assert result.score is not None and result.score.points == points
    assert result.run is not None and result.run.sandboxed
    assert result.duration_s < http_assignment.submission_budget_s
    assert leftover_student_processes(result.run.job_id) == []
    if name in HANGS:
        assert all(c.outcome is Outcome.TIMEOUT for c in result.run.checks)
        assert all(c.hang is Hang.BLOCKED for c in result.run.checks)


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_each_diagnosis_has_an_example_whose_report_shows_it(
    code: str, graded_http: Callable[[str], GradeResult], http_assignment: Assignment
) -> None:
    name = SHOWN_BY[code]
    result = graded_http(name)
    assert code in diagnoses(result) == EXPECTED[name][1]
    page = render_html(result, assignment=http_assignment, reveal=True)
    words = next(d.text for c in result.run.checks for d in c.diagnoses if d.code == code)  # type: ignore[union-attr]
    assert str(markupsafe.escape(words)) in page


def test_the_catalogue_lists_exactly_the_codes_the_checks_emit() -> None:
    emitted = {
        m
        for path in CHECKS.glob("*.py")
        for m in re.findall(r'explain\(\s*"(\w+)"', path.read_text())
    }
    assert emitted | {"python2", "server_never_listens"} == set(CATALOGUE) == set(SHOWN_BY)


def test_every_failed_check_says_how_to_see_it_at_home(
    graded_http: Callable[[str], GradeResult],
) -> None:
    result = graded_http("single_recv")
    (check,) = [c for c in result.run.checks if c.outcome is Outcome.FAILED]  # type: ignore[union-attr]
    assert check.reproduce[0] == "python http_server.py   # terminal 1: your server"
    assert check.reproduce[1].startswith(
        "printf 'GET /hello.txt HTTP/1.1\\r\\nHost: localhost\\r\\n\\r\\n' | grade-peer send "
        "--until-close --pieces 4 --pause 0.15 -"
    )
    assert check.exchanges[0].sent_len == 11  # the first piece; the server answered then


def test_the_web_root_served_is_the_assignments_own(
    graded_http: Callable[[str], GradeResult],
) -> None:
    """The student's own webroot/ (other files) is never staged: the checks compare with
    the bytes the server had, which are the assignment's."""
    result = graded_http("passes_all_own_webroot")
    assert result.score is not None and result.score.points == 100
    text = next(c for c in result.run.checks if c.check_id == "get_text_file")  # type: ignore[union-attr]
    ours = (
        ROOT / "assignments" / "http_server" / "template" / "webroot" / "hello.txt"
    ).read_bytes()
    assert any(e.received == ours for e in text.exchanges)
    assert (EXAMPLES_HTTP / "passes_all_own_webroot" / "webroot" / "hello.txt").read_bytes() != ours


# ---------------------------------------------------------------- the checks' own reader


@pytest.mark.parametrize(
    ("raw", "code", "body", "crlf", "blank"),
    [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbodyMORE", 200, b"body", True, True),
        (b"HTTP/1.1 200 OK\nContent-Type: a/b\n\nbody", 200, b"body", False, True),
        (b"HTTP/1.0 404 Not Found\r\n\r\n", 404, b"", True, True),
        # the body's own empty line is not the head's end
        (b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\nHello\n\nthere", 200, b"", True, False),
        (b"b'HTTP/1.1 200 OK\\r\\n'", None, b"", False, False),
    ],
)
def test_the_reader_is_lenient_and_says_where(
    raw: bytes, code: int | None, body: bytes, crlf: bool, blank: bool
) -> None:
    got = responses.parse(raw)
    assert (got.code, got.body, got.crlf, got.blank_line) == (code, body, crlf, blank)


def test_a_response_is_whole_once_its_content_length_came() -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"
    assert not responses.complete(head + b"hell")
    assert responses.complete(head + b"hello")
    assert not responses.complete(b"HTTP/1.1 200 OK\r\n\r\nhello")  # only the close ends it
