"""An incomplete result (a check the grader could not run) in every output: the score
stays over the full maximum, the check earns nothing, and each output says
"incomplete: the grader could not run N checks" with what to do; a complete result
says nothing of the kind. Gradescope keeps the earned score, PrairieLearn makes it not
gradable, and `grade` exits 4."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from fakes import tiny_assignment

from grader.batch import BatchSummary
from grader.cli import _batch_exit, _exit_code
from grader.cli.summary import print_summary
from grader.errors import ExitCode
from grader.model import CheckResult, GradeResult, Isolation, Outcome, RunResult, Status
from grader.platforms import gradescope, prairielearn
from grader.report import render_html, results_json
from grader.report.markdown import summary_markdown
from grader.report.text import incomplete_line, summary_line
from grader.score import score

TINY = tiny_assignment()
SENTENCE = "incomplete: the grader could not run 1 check (its own fault, not the code's)"
TO_DO = "grade it again, and if that fails too, report it to the instructor"


def result(*, fault: bool, reveal: bool = True) -> GradeResult:
    """short fails (its check crashed in the grader, or the code failed it), the rest pass."""
    short = Outcome.ERROR if fault else Outcome.FAILED
    run = RunResult(
        tuple(
            CheckResult(c.id, short if c.id == "short" else Outcome.PASSED, message="fake")
            for c in TINY.checks
        ),
        1.0,
        Isolation.BWRAP,
    )
    return GradeResult(
        "ada",
        Status.GRADED,
        TINY.name,
        TINY.digest,
        "t",
        run=run,
        score=score(run, assignment=TINY, reveal=reveal),
    )


@pytest.mark.parametrize("reveal", [True, False])
def test_a_fault_earns_nothing_and_the_percentage_is_what_a_failure_gives(reveal: bool) -> None:
    faulty, failed = result(fault=True, reveal=reveal), result(fault=False, reveal=reveal)
    assert faulty.score is not None and failed.score is not None
    assert (faulty.score.points, faulty.score.max_points, faulty.score.percent) == (
        failed.score.points,
        failed.score.max_points,
        failed.score.percent,
    )
    assert (faulty.score.fault_count, faulty.score.fault_points) == (1, 5)
    assert faulty.incomplete and not failed.incomplete


def test_a_result_not_graded_by_a_grader_crash_is_incomplete_too() -> None:
    crashed = GradeResult("ada", Status.INFRA_ERROR, "tiny", "d", "t", problem="boom.")
    assert crashed.incomplete and crashed.fault_count == 0
    assert incomplete_line(crashed).startswith("incomplete: the grader could not grade this")
    assert summary_line(crashed).startswith("Not graded: boom.; incomplete: ")
    assert incomplete_line(result(fault=False)) == ""


def test_the_summary_line_says_it_in_one_sentence_with_what_to_do() -> None:
    line = summary_line(result(fault=True))
    assert line == (
        f"15/20 points (75%); 3 extra credit; {SENTENCE}, and it earns nothing until graded "
        f"again: {TO_DO}"
    )
    assert "incomplete" not in summary_line(result(fault=False))


def test_the_terminal_says_it(tmp_path: Path) -> None:
    for fault in (True, False):
        out = io.StringIO()
        print_summary(result(fault=fault), assignment=TINY, folder=tmp_path, out=out, reveal=True)
        assert (SENTENCE in out.getvalue()) is fault


def test_the_report_page_says_it_above_the_score() -> None:
    page = render_html(result(fault=True), assignment=TINY, reveal=False)
    banner = page.index("<strong>Incomplete.</strong> The grader could not run 1 check")
    assert banner < page.index('<p class="score">')
    assert TO_DO in page
    assert "Incomplete." not in render_html(result(fault=False), assignment=TINY, reveal=False)


def test_results_json_says_it_and_keeps_the_full_maximum() -> None:
    data = results_json(result(fault=True), assignment=TINY, reveal=True)
    assert (data["score"], data["max_score"]) == (15, 20)
    assert SENTENCE in data["output"]
    assert data["extra_data"]["incomplete"] is True and data["extra_data"]["grader_faults"] == 1
    clean = results_json(result(fault=False), assignment=TINY, reveal=True)["extra_data"]
    assert clean["incomplete"] is False and clean["grader_faults"] == 0


def test_the_markdown_summary_says_it() -> None:
    text = summary_markdown(result(fault=True), assignment=TINY, reveal=True)
    assert text.startswith("## Tiny echo: 15/20 points (75%) (incomplete)\n")
    assert SENTENCE in text
    assert "incomplete" not in summary_markdown(result(fault=False), assignment=TINY, reveal=True)


def test_gradescope_keeps_the_earned_score_and_says_it_is_incomplete_at_the_top() -> None:
    doc = gradescope.results_document(result(fault=True), assignment=TINY)
    assert doc["score"] == 15 + 3  # earned points and extra credit; the fault earns 0
    assert "**Incomplete:** the grader could not run 1 check" in doc["output"]
    assert TO_DO in doc["output"]
    faulty = next(t for t in doc["tests"] if "short" in t["tags"])
    assert (faulty["score"], faulty["max_score"], faulty["status"]) == (0, 5, "failed")
    assert (
        "Incomplete"
        not in gradescope.results_document(result(fault=False), assignment=TINY)["output"]
    )


def test_prairielearn_makes_it_not_gradable_so_no_attempt_is_used() -> None:
    doc = prairielearn.results_document(result(fault=True), assignment=TINY)
    assert doc["gradable"] is False and doc["score"] == 0.0
    assert doc["format_errors"][0].startswith("Incomplete: the grader could not run 1 check")
    assert json.dumps(doc).count("tests") == 0
    clean = prairielearn.results_document(result(fault=False), assignment=TINY)
    assert clean["gradable"] is True and clean["score"] == 0.75


def test_a_single_grade_exits_4_and_says_why(capsys: pytest.CaptureFixture[str]) -> None:
    assert _exit_code(result(fault=True), fail_under=None) == ExitCode.INFRASTRUCTURE
    assert f"grade: {SENTENCE}" in capsys.readouterr().err
    assert _exit_code(result(fault=False), fail_under=None) == ExitCode.OK
    assert _exit_code(result(fault=False), fail_under=80) == ExitCode.BELOW_THRESHOLD


def test_a_batch_with_an_incomplete_result_exits_4_and_names_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def summary(*results: GradeResult) -> BatchSummary:
        return BatchSummary(len(results), len(results), 0, 0, False, tmp_path, results)

    out = io.StringIO()
    assert _batch_exit(summary(result(fault=False)), out=out) == ExitCode.OK
    assert _batch_exit(summary(result(fault=True)), out=out) == ExitCode.INFRASTRUCTURE
    assert "grade: 1 result is incomplete (the grader could not run" in capsys.readouterr().err
