"""report/text.py: `safe` makes any text harmless in a terminal, a page, XML or CSV (each
dangerous character shown as an escape, nothing else changed), and the shared words
(feedback, summary line) pass every student string through it."""

from __future__ import annotations

import re

import pytest

from grader.model import CheckResult, Detail, Diagnosis, GradeResult, Outcome, Score, Status
from grader.report.text import feedback_text, safe, show_bytes, summary_line

SAMPLE = "".join(
    chr(c)
    for span in (range(0, 0x3000), range(0xD7F0, 0xE100), range(0xFE00, 0x10100), [0x10FFFF])
    for c in span
)
# What XML 1.0 forbids, plus what could clear a terminal or reorder what a reader sees.
DANGEROUS = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]"
)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("\x1b[2J\x1b[H", "\\x1b[2J\\x1b[H"),  # clear the screen
        ("a\x00b", "a\\x00b"),
        ("over\rwrite", "over\\x0dwrite"),
        ("\x07\x08\x7f", "\\x07\\x08\\x7f"),
        ("\x85\x9b", "\\x85\\x9b"),  # C1 controls (0x9b is a one-byte CSI)
        ("\u202eevil.py", "\\u202eevil.py"),  # right-to-left override
        ("\u2066x\u2069", "\\u2066x\\u2069"),
        ("line\u2028sep", "line\\u2028sep"),
        ("\ud800 \udfff", "\\ud800 \\udfff"),  # lone surrogates
        ("\ufffe\uffff", "\\ufffe\\uffff"),
        ("tab\tand\nnewline", "tab\tand\nnewline"),  # kept
        ("Ünïcödé 😀 <b>&amp;</b> \\x41", "Ünïcödé 😀 <b>&amp;</b> \\x41"),  # unchanged
    ],
)
def test_dangerous_characters_are_shown_as_escapes(text: str, shown: str) -> None:
    assert safe(text) == shown


def test_no_dangerous_character_survives_and_the_rest_is_kept() -> None:
    out = safe(SAMPLE)
    assert not DANGEROUS.search(out)
    out.encode("utf-8")  # strict: no surrogate left
    assert set(DANGEROUS.sub("", SAMPLE)) <= set(out)
    assert len(out) == len(SAMPLE) + sum(len(safe(c)) - 1 for c in DANGEROUS.findall(SAMPLE))


def test_safe_is_stable() -> None:
    assert safe(safe(SAMPLE)) == safe(SAMPLE)


def test_bytes_are_shown_escaped_and_cut_in_the_middle() -> None:
    assert show_bytes(None) == "(nothing)"
    assert show_bytes(b"") == "(0 bytes)"
    assert show_bytes(b"\x1b[31m\xff") == "\\x1b[31m\\xff"
    cut = show_bytes(b"a" * 100 + b"\x00" * 100 + b"z" * 100, limit=60)
    assert cut.startswith("a" * 40) and cut.endswith("z" * 10)
    assert "[... 250 bytes not shown; 300 bytes in all ...]" in cut
    clipped = show_bytes(b"head" + b"tail", limit=360, total=5000)  # already clipped by the harness
    assert "bytes not shown; 5,000 bytes in all" in clipped


def check(outcome: Outcome, **fields: object) -> CheckResult:
    return CheckResult("c", outcome, 0.1, **fields)  # type: ignore[arg-type]


def test_feedback_passes_student_text_through_safe() -> None:
    text = feedback_text(
        check(
            Outcome.FAILED,
            message="got \x1b[2J",
            diagnoses=(Diagnosis("d", "why \u202e", "evidence \x00"),),
            reproduce=("python \x1b]0;x\x07.py",),
            trace="Traceback \x00",
        )
    )
    assert not DANGEROUS.search(text.replace("\n", ""))
    assert "got \\x1b[2J" in text and "Evidence: evidence \\x00" in text
    assert "What went wrong in the grader (instructors only):\n  Traceback \\x00" in text


def test_feedback_follows_the_detail() -> None:
    failed = check(Outcome.FAILED, message="the secret is 42")
    assert feedback_text(failed, detail=Detail.NONE) == (
        "Failed. The details of this check are not shown, only whether it passed."
    )
    assert feedback_text(None) == "This check did not run."
    passed = check(Outcome.PASSED, diagnoses=(Diagnosis("a", "count the bytes"),))
    assert feedback_text(passed) == "Passed.\nAdvice (no points): count the bytes"


def graded(score: Score | None, *, problem: str = "", status: Status = Status.GRADED) -> str:
    return summary_line(GradeResult("ada", status, "tiny", "d", "v", problem=problem, score=score))


def test_the_summary_line_says_what_was_left_out() -> None:
    s = Score(15, 20, (), 1, hidden_points=4, extra_points=2)
    assert graded(s) == (
        "15/20 points (75%); 1 hidden checks worth 4 points not shown; 2 extra credit"
    )
    assert graded(None, problem="no \x1b[2J", status=Status.FETCH_FAILED) == (
        "Not graded: no \\x1b[2J"
    )
