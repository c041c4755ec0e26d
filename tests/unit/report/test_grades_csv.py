"""report/grades_csv.py: one row per roster student, in roster order, keyed by the
roster identifier; a CSV reader gets back exactly one record per student whatever the
names and problems hold."""

from __future__ import annotations

import csv
import io

from fakes import tiny_assignment

from grader.model import (
    Checkout,
    CheckoutKind,
    CheckResult,
    GradeResult,
    Isolation,
    Outcome,
    RunResult,
    Status,
    Student,
)
from grader.report import grades_csv
from grader.report.files import FORMULA_START, csv_cell, csv_uncell
from grader.report.grades_csv import CSV_COLUMNS
from grader.report.mistakes import Mistake, mistakes_csv
from grader.score import score

STUDENTS = (
    Student("zed", "/r/zed", name='Zed "Z" \x1b[2J'),
    Student("ada", "/r/ada", name="Lovelace, Ada\nCountess"),
    Student("bob", None, name="Bob"),
    Student("cy", "/r/cy", name="Cy"),
)


def graded(student: str, passed: bool) -> GradeResult:
    tiny = tiny_assignment()
    outcome = Outcome.PASSED if passed else Outcome.FAILED
    run = RunResult(tuple(CheckResult(c.id, outcome) for c in tiny.checks), 1.0, Isolation.NONE)
    return GradeResult(
        student=student,
        status=Status.GRADED,
        assignment=tiny.name,
        assignment_digest=tiny.digest,
        grader_version="t",
        checkout=Checkout("/r", None, CheckoutKind.GIT_CLONE, commit="c0ffee"),
        run=run,
        score=score(run, assignment=tiny, reveal=True),
    )


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_one_row_per_student_in_roster_order_whatever_finished_first() -> None:
    results = [
        graded("ada", True),
        GradeResult("bob", Status.NO_SUBMISSION, "tiny", "d", "t", problem="no repo\r\n=1+1"),
        graded("zed", False),
    ]  # cy: the batch was interrupted before it finished
    text = grades_csv(results, students=STUDENTS)
    assert text.splitlines()[0] == ",".join(CSV_COLUMNS)
    got = rows(text)
    assert [r["identifier"] for r in got] == ["zed", "ada", "bob", "cy"]
    assert [(r["score"], r["max_score"], r["percent"], r["extra_score"]) for r in got] == [
        ("0", "20", "0.0", "0"),
        ("20", "20", "100.0", "3"),
        ("0", "", "0.0", "0"),
        ("0", "", "0.0", "0"),
    ]
    assert [r["status"] for r in got] == ["graded", "graded", "no_submission", "not_graded"]
    assert got[1]["commit"] == "c0ffee" and got[2]["commit"] == ""
    assert got[3]["problem"] == "not graded (the batch was interrupted)"


def test_names_and_problems_are_made_safe_and_stay_one_record() -> None:
    results = [GradeResult("bob", Status.NO_SUBMISSION, "tiny", "d", "t", problem="a\x00\r\nb")]
    got = {r["identifier"]: r for r in rows(grades_csv(results, students=STUDENTS))}
    assert got["zed"]["name"] == 'Zed "Z" \\x1b[2J'
    assert got["ada"]["name"] == "Lovelace, Ada\nCountess"  # quoted, still one record
    assert got["bob"]["problem"] == "a\\x00\\x0d\nb"


def test_an_empty_class_is_only_the_header() -> None:
    assert grades_csv([], students=()) == ",".join(CSV_COLUMNS) + "\n"


FORMULAS = ('=HYPERLINK("http://evil","x")', "+1+2", "-2+3", "@SUM(A1)", "\t=1", "\r=1")


def test_no_cell_a_student_controls_can_start_a_formula_and_scores_stay_numbers() -> None:
    students = tuple(Student(f"s{i}", "/r", name=f) for i, f in enumerate(FORMULAS))
    results = [
        GradeResult(f"s{i}", Status.NO_SUBMISSION, "tiny", "d", "t", problem=f)
        for i, f in enumerate(FORMULAS)
    ]
    got = rows(grades_csv([*results[:-1], graded("s5", True)], students=students))
    for row in got:
        assert all(not v.startswith(FORMULA_START) for v in row.values()), row
    assert got[0]["name"].startswith("'=HYPERLINK") and got[3]["problem"] == "'@SUM(A1)"
    assert got[2]["name"] == "'-2+3" and got[5]["score"] == "20"
    assert [csv_cell(v) for v in ("-5", "+2.5", "12.00", "1e3")] == ["-5", "+2.5", "12.00", "1e3"]
    assert csv_uncell(csv_cell("=1+1")) == "=1+1" and csv_uncell("'x") == "'x"


def test_mistakes_csv_guards_the_words_a_student_was_given() -> None:
    found = [Mistake("code", "=cmd|' /C calc'!A0", ("-ada",), (("@check", 1),), 5.0)]
    row = list(csv.reader(io.StringIO(mistakes_csv(found))))[1]
    assert row[3] == "'@check (1)" and row[5] == "'-ada" and row[6] == "'=cmd|' /C calc'!A0"
    assert row[4] == "5"
