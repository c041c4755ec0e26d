"""`grade export canvas|moodle`: a batch's output folder into the files Canvas and Moodle
import, against small exports written from their documented formats."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest

from grader import assignment as assignment_mod
from grader import report
from grader.batch.jobs import ungraded
from grader.cli import main
from grader.errors import ExitCode
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
from grader.score import score

# Canvas GradebookExporter: Student, ID, SIS User ID, SIS Login ID, Section, assignments
# as "Title (id)", totals; a "Points Possible" row (4 leading spaces) and, when an
# assignment posts manually, a "Manual Posting" row.
CANVAS = (
    "Student,ID,SIS User ID,SIS Login ID,Section,Echo server and client over TCP sockets "
    "(4242),Quiz 1 (77),Current Score,Final Score\n"
    "    Points Possible,,,,,100.00,10.00,(read only),(read only)\n"
    ",,,,,Manual Posting,,,\n"
    '"Lovelace, Ada",101,S1,ada@uni.edu,Sec A,,9.00,90.00,90.00\n'
    '"Babbage, Bob",102,S2,BOB@uni.edu,Sec A,,8.00,80.00,80.00\n'
    '"Hopper, Cy",103,S3,cy@uni.edu,Sec B,,7.00,70.00,70.00\n'
    '"Dijkstra, Dee",104,S4,dee@uni.edu,Sec B,,6.00,60.00,60.00\n'
    '"Fay, Fay",106,S6,fay@uni.edu,Sec B,,5.00,50.00,50.00\n'
    '"Student, Test",999,,,Sec A,,,,\n'
)
# Moodle's grades export ("Export grades: CSV"): identity columns, items, a timestamp.
MOODLE = (
    "First name,Last name,ID number,Institution,Department,Email address,"
    "Assignment: Echo (Real),Last downloaded from this course\n"
    "Ada,Lovelace,S1,,,ada@uni.edu,-,1764500000\n"
    "Bob,Babbage,S2,,,bob@uni.edu,-,1764500000\n"
    "Cy,Hopper,S3,,,cy@uni.edu,-,1764500000\n"
    "Fay,Fay,S6,,,fay@uni.edu,-,1764500000\n"
)
ROSTER = ("ada@uni.edu", "bob@uni.edu", "cy@uni.edu", "dee@uni.edu", "eve@uni.edu")


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A batch's output folder as `grade --roster` writes it (grades.csv, results)."""
    spec = assignment_mod.load("echo_sockets")
    out = tmp_path_factory.mktemp("grades")
    students = tuple(Student(i, f"repo-{i}", name=i.split("@")[0]) for i in ROSTER)

    def graded(ident: str, failing: set[str]) -> GradeResult:
        checks = tuple(
            CheckResult(c.id, Outcome.FAILED if c.id in failing else Outcome.PASSED)
            for c in spec.checks
        )
        run = RunResult(checks, 1.0, isolation=Isolation.BWRAP)
        return GradeResult(
            ident,
            Status.GRADED,
            spec.name,
            spec.digest,
            "test",
            run=run,
            score=score(run, assignment=spec, reveal=True),
        )

    results = [
        graded("ada@uni.edu", {"server_short_message"}),  # 95 and 9 extra
        graded("bob@uni.edu", {c.id for c in spec.checks if c.category == "client"}),
        ungraded(
            "cy@uni.edu", assignment=spec, status=Status.NO_SUBMISSION, problem="no repository yet."
        ),
        ungraded(
            "dee@uni.edu", assignment=spec, status=Status.INFRA_ERROR, problem="the sandbox broke."
        ),
        graded("eve@uni.edu", set()),
    ]
    for r in results:
        report.write_submission(r, assignment=spec, out_dir=out, reveal=True)
    report.write_class(results, students=students, assignment=spec, out_dir=out, reveal=True)
    return out


def rows(path: Path, delimiter: str = ",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text()), delimiter=delimiter))


def test_canvas_fills_the_assignment_column_and_lists_who_did_not_match(
    batch: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = tmp_path / "export.csv"
    export.write_text("\ufeff" + CANVAS, encoding="utf-8")
    out = io.StringIO()
    argv = ["export", "canvas", str(batch), "--gradebook", str(export)]
    argv += ["--match", "SIS Login ID", "-o", str(tmp_path / "canvas.csv")]
    assert main(argv, stdout=out) == ExitCode.OK
    table = rows(tmp_path / "canvas.csv")
    assert table[0] == [
        "Student",
        "ID",
        "SIS User ID",
        "SIS Login ID",
        "Section",
        "Echo server and client over TCP sockets (4242)",  # matched by title, id kept
    ]
    assert table[1] == ["    Points Possible", "", "", "", "", "100.00"]
    by_login = {r[3]: r[5] for r in table[2:]}
    assert by_login == {
        "ada@uni.edu": "95.00",  # extra credit only with --extra
        "BOB@uni.edu": "",  # case differs: not matched, left blank
        "cy@uni.edu": "0.00",  # no submission: the student's zero
        "dee@uni.edu": "",  # the grader failed: blank, never zero
        "fay@uni.edu": "",  # not in the batch
        "": "",  # Canvas's test student
    }
    said = out.getvalue()
    assert "wrote" in said and "1 grades" not in said
    assert "graded but not in the LMS file (not written): 2" in said
    assert "bob@uni.edu (SIS Login ID 'bob@uni.edu') (the export has 'BOB@uni.edu')" in said
    assert "eve@uni.edu" in said
    assert "in the LMS file but not in the batch (left blank): 3" in said
    assert "Fay, Fay (SIS Login ID fay@uni.edu)" in said
    assert "dee@uni.edu (infra_error: the sandbox broke.)" in said


def test_canvas_with_a_mapping_semicolons_extra_credit_and_a_new_column(
    batch: Path, tmp_path: Path
) -> None:
    export = tmp_path / "export.csv"
    export.write_text(CANVAS.replace(",", ";").replace(";Echo server", ";Other (1)"))
    mapping = tmp_path / "map.csv"
    mapping.write_text("identifier,canvas id\nada@uni.edu,101\nbob@uni.edu,102\n")
    argv = ["export", "canvas", str(batch), "--gradebook", str(export), "--match", "ID"]
    argv += ["--map", str(mapping), "--extra", "--title", "HW3 echo", "-o", str(tmp_path / "c")]
    out = io.StringIO()
    assert main(argv, stdout=out) == ExitCode.OK
    table = rows(tmp_path / "c", ";")
    assert table[0][-1] == "HW3 echo" and table[1][-1] == "100.00"
    assert {r[1]: r[-1] for r in table[2:]}["101"] == "104.00"  # 95 + 9 extra
    assert {r[1]: r[-1] for r in table[2:]}["102"] == "69.00"  # 60 + 9 extra
    assert "new column 'HW3 echo': Canvas creates an assignment" in out.getvalue()


def test_canvas_refuses_a_file_that_is_not_its_export(
    batch: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = tmp_path / "x.csv"
    export.write_text("name,email\nada,ada@uni.edu\n")
    argv = ["export", "canvas", str(batch), "--gradebook", str(export), "--match", "email"]
    assert main([*argv, "-o", str(tmp_path / "o.csv")]) == ExitCode.USAGE
    assert "is not a Canvas gradebook export" in capsys.readouterr().err
    export.write_text(CANVAS)
    argv[-1] = "Email"
    assert main([*argv, "-o", str(tmp_path / "o.csv")]) == ExitCode.USAGE
    assert "has no column 'Email'" in capsys.readouterr().err


def test_moodle_writes_identifier_grade_feedback_for_participants_only(
    batch: Path, tmp_path: Path
) -> None:
    participants = tmp_path / "moodle.csv"
    participants.write_text(MOODLE)
    out = io.StringIO()
    argv = ["export", "moodle", str(batch), "--gradebook", str(participants)]
    argv += ["--match", "Email address", "-o", str(tmp_path / "m.csv")]
    assert main(argv, stdout=out) == ExitCode.OK
    table = rows(tmp_path / "m.csv")
    title = "Echo server and client over TCP sockets"
    assert table[0] == ["identifier", title, f"{title} feedback"]
    by_id = {r[0]: r for r in table[1:]}
    assert set(by_id) == {"ada@uni.edu", "bob@uni.edu", "cy@uni.edu"}  # eve: no such user
    assert by_id["ada@uni.edu"][1] == "95.00"
    assert "Failed: Server echoes a message shorter than 16 bytes" in by_id["ada@uni.edu"][2]
    assert "hidden" not in by_id["bob@uni.edu"][2].lower()
    assert "exactly 32 bytes" not in by_id["bob@uni.edu"][2]  # a hidden check's title
    assert by_id["cy@uni.edu"][1:] == ["0.00", "0 points: no repository yet."]
    said = out.getvalue()
    assert "graded but not in the LMS file (not written): 2" in said  # eve and dee
    assert "in the LMS file but not in the batch (left blank): 1" in said
    assert "  fay@uni.edu" in said


def test_moodle_without_participants_warns_that_one_unknown_user_aborts_the_import(
    batch: Path, tmp_path: Path
) -> None:
    out = io.StringIO()
    argv = ["export", "moodle", str(batch), "--extra", "-o", str(tmp_path / "m.csv")]
    assert main(argv, stdout=out) == ExitCode.OK
    assert "Moodle aborts the whole import" in out.getvalue()
    assert "ada@uni.edu: 104 is above 100" in out.getvalue()
    assert len(rows(tmp_path / "m.csv")) == 1 + 4  # everyone but dee (left blank)


# ---------------------------------------------------------------- an incomplete result
# A check the grader could not run: "incomplete" instead of a grade in grades.csv, a
# blank LMS cell (never its partial score), listed as incomplete for the instructor.

CANVAS_TWO = (
    "Student,ID,SIS User ID,SIS Login ID,Section,Echo server and client over TCP sockets "
    "(4242)\n"
    "    Points Possible,,,,,100.00\n"
    '"Lovelace, Ada",101,S1,ada@uni.edu,Sec A,\n'
    '"Babbage, Bob",102,S2,bob@uni.edu,Sec A,\n'
)
MOODLE_TWO = (
    "First name,Last name,ID number,Email address,Assignment: Echo (Real)\n"
    "Ada,Lovelace,S1,ada@uni.edu,-\n"
    "Bob,Babbage,S2,bob@uni.edu,-\n"
)


@pytest.fixture(scope="module")
def incomplete_batch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ada: one check the grader could not run (95 of 100 earned); bob: complete."""
    spec = assignment_mod.load("echo_sockets")
    out = tmp_path_factory.mktemp("grades")
    students = (Student("ada@uni.edu", "r", name="ada"), Student("bob@uni.edu", "r", name="bob"))

    def graded(ident: str, fault: bool) -> GradeResult:
        first = Outcome.ERROR if fault else Outcome.PASSED
        run = RunResult(
            tuple(
                CheckResult(c.id, first if c.id == "server_short_message" else Outcome.PASSED)
                for c in spec.checks
            ),
            1.0,
            Isolation.BWRAP,
        )
        return GradeResult(
            ident,
            Status.GRADED,
            spec.name,
            spec.digest,
            "t",
            run=run,
            score=score(run, assignment=spec, reveal=True),
        )

    results = [graded("ada@uni.edu", True), graded("bob@uni.edu", False)]
    for r in results:
        report.write_submission(r, assignment=spec, out_dir=out, reveal=True)
    report.write_class(results, students=students, assignment=spec, out_dir=out, reveal=True)
    return out


def test_grades_csv_says_incomplete_instead_of_a_grade(incomplete_batch: Path) -> None:
    table = {r[0]: r for r in rows(incomplete_batch / "grades.csv")}
    ada, bob = table["ada@uni.edu"], table["bob@uni.edu"]
    assert (ada[2], ada[3], ada[4], ada[6]) == ("incomplete", "100", "incomplete", "incomplete")
    assert ada[8].startswith("the grader could not run 1 check (its own fault")
    assert (bob[2], bob[4], bob[6]) == ("100", "100.0", "graded")


def test_the_class_page_counts_it(incomplete_batch: Path) -> None:
    page = (incomplete_batch / "index.html").read_text()
    assert "incomplete (the grader failed)</dt><dd>1</dd>" in page
    assert '<td class="status-incomplete">incomplete</td>' in page


def test_canvas_leaves_it_blank_and_lists_it_as_incomplete(
    incomplete_batch: Path, tmp_path: Path
) -> None:
    export = tmp_path / "export.csv"
    export.write_text(CANVAS_TWO)
    out = io.StringIO()
    argv = [
        "export",
        "canvas",
        str(incomplete_batch),
        "--gradebook",
        str(export),
        "--match",
        "SIS Login ID",
    ]
    assert main([*argv, "-o", str(tmp_path / "c.csv")], stdout=out) == ExitCode.OK
    assert {r[3]: r[5] for r in rows(tmp_path / "c.csv")[2:]} == {
        "ada@uni.edu": "",  # never its partial 95
        "bob@uni.edu": "100.00",
    }
    said = out.getvalue()
    assert "not graded, or incomplete, by the grader (left blank, not zero): 1" in said
    assert "ada@uni.edu (incomplete: the grader could not run 1 check" in said


def test_moodle_writes_no_grade_for_it_and_lists_it(incomplete_batch: Path, tmp_path: Path) -> None:
    participants = tmp_path / "moodle.csv"
    participants.write_text(MOODLE_TWO)
    out = io.StringIO()
    argv = ["export", "moodle", str(incomplete_batch), "--gradebook", str(participants)]
    argv += ["--match", "Email address", "-o", str(tmp_path / "m.csv")]
    assert main(argv, stdout=out) == ExitCode.OK
    assert [r[:2] for r in rows(tmp_path / "m.csv")[1:]] == [["bob@uni.edu", "100.00"]]
    assert "ada@uni.edu (incomplete: " in out.getvalue()


def test_lms_files_guard_every_cell_against_formulas_and_keep_grades_numbers(
    batch: Path, tmp_path: Path
) -> None:
    export = tmp_path / "export.csv"
    export.write_text(CANVAS.replace('"Lovelace, Ada"', '"=HYPERLINK(""http://evil"")"'))
    argv = ["export", "canvas", str(batch), "--gradebook", str(export), "--match", "SIS Login ID"]
    assert main([*argv, "--title=-HW3", "-o", str(tmp_path / "c.csv")]) == ExitCode.OK
    table = rows(tmp_path / "c.csv")
    assert table[0][-1] == "'-HW3"
    assert ['\'=HYPERLINK("http://evil")', "101", "S1", "ada@uni.edu", "Sec A", "95.00"] in table
    mapping = tmp_path / "map.csv"
    mapping.write_text("identifier,moodle\nada@uni.edu,@ada\nbob@uni.edu,+bob\n")
    argv = ["export", "moodle", str(batch), "--map", str(mapping), "-o", str(tmp_path / "m.csv")]
    assert main(argv) == ExitCode.OK
    by_id = {r[0]: r[1] for r in rows(tmp_path / "m.csv")[1:]}
    assert by_id["'@ada"] == "95.00" and by_id["'+bob"] == "60.00"


def test_a_failed_fetch_is_left_blank_and_listed_never_zero(tmp_path: Path) -> None:
    spec = assignment_mod.load("echo_sockets")
    out = tmp_path / "grades"
    results = [
        ungraded(
            "fay@uni.edu",
            assignment=spec,
            status=Status.FETCH_FAILED,
            problem="could not clone https://github.com/fay/echo (the host did not answer).",
        ),
        ungraded("cy@uni.edu", assignment=spec, status=Status.NOT_GRADABLE, problem="no files."),
    ]
    for r in results:
        report.write_submission(r, assignment=spec, out_dir=out, reveal=True)
    students = tuple(Student(r.student, "repo") for r in results)
    report.write_class(results, students=students, assignment=spec, out_dir=out, reveal=True)
    export = tmp_path / "export.csv"
    export.write_text(CANVAS)
    said = io.StringIO()
    argv = ["export", "canvas", str(out), "--gradebook", str(export), "--match", "SIS Login ID"]
    assert main([*argv, "-o", str(tmp_path / "c.csv")], stdout=said) == ExitCode.OK
    by_login = {r[3]: r[5] for r in rows(tmp_path / "c.csv")[2:]}
    assert by_login["fay@uni.edu"] == "" and by_login["cy@uni.edu"] == "0.00"
    assert "fay@uni.edu (fetch_failed: could not clone" in said.getvalue()
    said = io.StringIO()
    argv = ["export", "moodle", str(out), "-o", str(tmp_path / "m.csv")]
    assert main(argv, stdout=said) == ExitCode.OK
    assert [r[0] for r in rows(tmp_path / "m.csv")[1:]] == ["cy@uni.edu"]
    assert "fay@uni.edu (fetch_failed: could not clone" in said.getvalue()


def test_moodle_feedback_names_hidden_failures_once_the_deadline_has_passed(
    tmp_path: Path,
) -> None:
    spec = assignment_mod.load("echo_sockets")
    hidden = [c for c in spec.checks if c.visibility.value != "visible" and not c.extra]
    visible = next(c for c in spec.checks if c.visibility.value == "visible")
    failing = {visible.id, *(c.id for c in hidden)}
    out = tmp_path / "grades"

    def graded(ident: str, deadline: datetime) -> GradeResult:
        checks = tuple(
            CheckResult(c.id, Outcome.FAILED if c.id in failing else Outcome.PASSED)
            for c in spec.checks
        )
        run = RunResult(checks, 1.0, isolation=Isolation.BWRAP)
        checkout = Checkout("repo", None, CheckoutKind.GIT_CLONE, commit="c0", deadline=deadline)
        return GradeResult(
            ident,
            Status.GRADED,
            spec.name,
            spec.digest,
            "test",
            checkout=checkout,
            run=run,
            score=score(run, assignment=spec, reveal=True),
        )

    results = [
        graded("past@uni.edu", datetime(2020, 1, 1, tzinfo=UTC)),
        graded("future@uni.edu", datetime(2999, 1, 1, tzinfo=UTC)),
    ]
    for r in results:
        report.write_submission(r, assignment=spec, out_dir=out, reveal=True)
    students = tuple(Student(r.student, "repo") for r in results)
    report.write_class(results, students=students, assignment=spec, out_dir=out, reveal=True)
    assert main(["export", "moodle", str(out), "-o", str(tmp_path / "m.csv")]) == ExitCode.OK
    feedback = {r[0]: r[2] for r in rows(tmp_path / "m.csv")[1:]}
    assert visible.title in feedback["past@uni.edu"] and hidden
    for check in hidden:
        assert f"{check.title} (hidden until the deadline)" in feedback["past@uni.edu"]
        assert check.title not in feedback["future@uni.edu"]
    assert visible.title in feedback["future@uni.edu"]
