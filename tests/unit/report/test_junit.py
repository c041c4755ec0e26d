"""report/junit.py: junit.xml is well-formed XML whatever a student's code printed or
named (control characters, NUL, lone surrogates), parsed back here with ElementTree."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from fakes import tiny_assignment

from grader.model import CheckResult, GradeResult, Isolation, Outcome, RunResult, Status
from grader.report import atomic_write, junit_xml
from grader.report.text import safe
from grader.score import score

# Every character XML 1.0 forbids, a few it allows, markup and a character beyond the BMP.
FORBIDDEN = "".join(map(chr, [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)]))
SURROGATES = "\ud800 \udbff\udc00 \udfff"
NASTY = f"{FORBIDDEN}|{SURROGATES}|\ufffe\uffff|\x7f\x85\x9f|\u202e|]]>|<a b='c'>&amp;|\t\n|😀"
EVERY = "".join(
    chr(c)
    for span in (range(0, 0x3000), range(0xD7F0, 0xE100), range(0xFFF0, 0x10100))
    for c in span
)


def graded(message: str, *, trace: str = "", student: str = "ada") -> GradeResult:
    tiny = tiny_assignment()
    outcomes = {
        "short": Outcome.PASSED,
        "long": Outcome.FAILED,
        "secret": Outcome.TIMEOUT,
        "client": Outcome.ERROR,
        "advice": Outcome.NOT_RUN,
        "extra": Outcome.SKIPPED,
    }
    run = RunResult(
        tuple(
            CheckResult(cid, o, 0.25, message=message, trace=trace if o is Outcome.ERROR else "")
            for cid, o in outcomes.items()
        ),
        1.0,
        Isolation.NONE,
    )
    return GradeResult(
        student=student,
        status=Status.GRADED,
        assignment=tiny.name,
        assignment_digest=tiny.digest,
        grader_version="test",
        run=run,
        score=score(run, assignment=tiny, reveal=True),
    )


def parse(xml: str) -> ET.Element:
    return ET.fromstring(xml.encode("utf-8"))  # a lone surrogate would not even encode


def cases(suite: ET.Element) -> dict[str, ET.Element]:
    return {c.get("name", ""): c for c in suite.iter("testcase")}


@pytest.mark.parametrize(
    "text",
    [NASTY, EVERY, FORBIDDEN, SURROGATES, "\x00", ""],
    ids=["nasty", "every", "forbidden", "surrogates", "nul", "empty"],
)
def test_any_student_text_gives_well_formed_xml(text: str) -> None:
    result = graded(text, trace=text, student=text)
    suite = parse(junit_xml(result, assignment=tiny_assignment()))
    failed = cases(suite)["long"].find("failure")
    assert failed is not None
    assert failed.get("message") == safe(text)  # exactly what safe() shows, nothing lost
    assert failed.text == safe(text) or (failed.text is None and not text)
    assert suite.get("name") == safe(f"tiny:{text}")


def test_a_grader_fault_shows_its_trace_in_the_error_element() -> None:
    suite = parse(
        junit_xml(graded("msg", trace=f"Traceback {NASTY}"), assignment=tiny_assignment())
    )
    error = cases(suite)["client"].find("error")
    assert error is not None
    assert error.get("message") == "msg" and error.text == safe(f"Traceback {NASTY}")


def test_each_outcome_has_its_element_and_the_suite_counts_them() -> None:
    suite = parse(junit_xml(graded("m"), assignment=tiny_assignment()))
    kinds = {name: [child.tag for child in case] for name, case in cases(suite).items()}
    assert kinds == {
        "short": [],
        "long": ["failure"],
        "secret": ["failure"],
        "client": ["error"],
        "advice": ["error"],
        "extra": ["failure"],
    }
    assert (suite.get("tests"), suite.get("failures")) == ("6", "5")
    assert {c.get("time") for c in suite.iter("testcase")} == {"0.250"}
    assert {c.get("classname") for c in suite.iter("testcase")} == {"tiny"}


def test_an_ungraded_submission_is_one_error_with_its_problem() -> None:
    tiny = tiny_assignment()
    result = GradeResult("ada", Status.FETCH_FAILED, tiny.name, tiny.digest, "t", problem=NASTY)
    suite = parse(junit_xml(result, assignment=tiny))
    (case,) = suite.iter("testcase")
    error = case.find("error")
    assert error is not None and error.get("message") == safe(NASTY)
    assert (suite.get("tests"), suite.get("failures")) == ("1", "1")


def test_a_check_without_a_result_says_its_outcome() -> None:
    result = graded("m")
    assert result.run is not None
    result = dataclasses.replace(result, run=dataclasses.replace(result.run, checks=()))
    suite = parse(junit_xml(result, assignment=tiny_assignment()))
    error = cases(suite)["client"].find("error")
    assert error is not None and error.get("message") == "error" and not error.text


def test_the_written_file_parses_too(tmp_path: Path) -> None:
    path = atomic_write(
        tmp_path / "junit.xml", text=junit_xml(graded(NASTY), assignment=tiny_assignment())
    )
    assert ET.parse(path).getroot().tag == "testsuite"
    assert path.read_bytes().startswith(b"<?xml version='1.0' encoding='utf-8'?>")
